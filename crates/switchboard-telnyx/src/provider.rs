//! The `TelephonyProvider` for Telnyx's API v2: search, owned numbers and
//! release here; purchases and orders in [`crate::orders`].

use std::fmt;

use async_trait::async_trait;
use switchboard_carrier_http::{
    Answer, CarrierClient, ClientSettings, Credentials, Idempotent, Listing, Method, Request, Url,
    find_in_pages, invalid_carrier_id,
};
use switchboard_core::{
    AvailableNumber, Capabilities, CarrierNumber, CarrierUpdate, Error, OrderStatus, Page,
    PageRequest, PhoneNumber, ProviderFeatures, PurchaseOutcome, PurchaseRequest, Result,
    SearchQuery, TelephonyProvider, validate_friendly_name,
};

use crate::config::TelnyxConfig;
use crate::errors::{self, Operation, PROVIDER};
use crate::search;
use crate::wire::{Data, ListResponse, MessagingBody, PhoneNumberWire, SearchResponse, UpdateBody};

/// How many listing pages `find_owned` reads before giving up: the filter
/// matches partially, so the exact number is normally on the first page.
const FIND_MAX_PAGES: usize = 20;

/// `page[size]`'s bounds in the description (`PageSize`).
const MAX_PAGE_SIZE: u32 = 250;

/// The header Telnyx's rate-limit page documents: seconds until the limit
/// resets (it documents no `Retry-After`).
const RATE_LIMIT_RESET: &str = "x-ratelimit-reset";

/// Statuses of a record in `/phone_numbers` that is not (or not yet, or
/// no longer) the account's number: the description spells them with
/// hyphens, and the list filter's underscores are accepted too (live
/// behaviour 4 in docs/carriers/telnyx.md). `purchase-pending` is here
/// because a number is ours only when its order reaches `success`; until
/// then its order answers for it (`order_status`), and a `find_owned` that
/// found it would call a purchase done that may still fail.
const GONE: &[&str] = &[
    "deleted",
    "purchase-failed",
    "purchase-pending",
    "ported-out",
];

/// The order of listings: `purchased_at`, so that numbers bought while a
/// caller pages go to the end instead of shifting every page (the default
/// is `created_at` descending, newest first).
const LIST_SORT: &str = "purchased_at";

/// Telnyx as a carrier: search, order, list, change and release numbers
/// through `https://api.telnyx.com/v2`.
///
/// Cheap to share behind an `Arc`; one HTTP client (and its connection
/// pool) serves every call.
pub struct TelnyxProvider {
    pub(crate) config: TelnyxConfig,
    client: CarrierClient,
    /// `/phone_numbers`: its pages and cursors.
    numbers: Listing,
    search_url: Url,
    pub(crate) orders_url: Url,
}

impl fmt::Debug for TelnyxProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelnyxProvider")
            .field("config", &self.config)
            .finish()
    }
}

impl TelnyxProvider {
    /// An adapter for the account and settings in `config`.
    pub fn new(config: TelnyxConfig) -> Result<Self> {
        let client = CarrierClient::new(ClientSettings {
            carrier: PROVIDER,
            user_agent: concat!("switchboard-telnyx/", env!("CARGO_PKG_VERSION")),
            credentials: Credentials::bearer(config.api_key.clone()),
            timeout: config.request_timeout,
            connect_timeout: config.connect_timeout,
            retry: config.retry,
        })?
        .with_rate_limit_reset(RATE_LIMIT_RESET)?;
        let numbers = Listing::new(PROVIDER, &config.base, "/phone_numbers")
            .described_as("next page", "base URL");
        let under = |path: &str| {
            let mut url = config.base.clone();
            url.set_path(&format!(
                "{}{path}",
                config.base.path().trim_end_matches('/')
            ));
            url
        };
        Ok(Self {
            search_url: under("/available_phone_numbers"),
            orders_url: under("/number_orders"),
            config,
            client,
            numbers,
        })
    }

    /// An adapter configured from `TELNYX_API_KEY` and `TELNYX_BASE_URL`.
    pub fn from_env() -> Result<Self> {
        Self::new(TelnyxConfig::from_env()?)
    }

    /// The configuration in use (the key stays hidden).
    pub fn config(&self) -> &TelnyxConfig {
        &self.config
    }

    /// `/phone_numbers/{id}` and what follows, for a checked id.
    fn number_url(&self, id: &str, rest: &str) -> Url {
        let mut url = self.numbers.first_page();
        url.set_path(&format!("{}/{id}{rest}", url.path()));
        url
    }

    /// Sends `request`, Telnyx's refusals read as answers to `op`.
    pub(crate) async fn send(&self, op: Operation<'_>, request: Request<'_>) -> Result<Answer> {
        self.client
            .send(request, |refusal| errors::from_refusal(op, &refusal))
            .await
    }

    /// `body` as JSON.
    pub(crate) fn json<T: serde::Serialize>(
        &self,
        body: &T,
    ) -> Result<switchboard_carrier_http::Body<'static>> {
        self.client.json(body)
    }

    /// One owned number by Telnyx id (`GET /phone_numbers/{id}`).
    pub async fn get(&self, carrier_id: &str) -> Result<CarrierNumber> {
        let id = number_id(carrier_id)?;
        let url = self.number_url(&id, "");
        let answer = self
            .send(Operation::Get { id: &id }, Request::get(&url))
            .await?;
        self.carrier_number(&answer.json::<Data<PhoneNumberWire>>("phone number")?.data)
    }

    /// `PATCH /phone_numbers/{id}` with the fields `body` names, which it
    /// sets to the same values however often it is sent.
    pub(crate) async fn patch(&self, id: &str, body: &UpdateBody<'_>) -> Result<PhoneNumberWire> {
        let url = self.number_url(id, "");
        let request = Request::new(Method::PATCH, &url, Idempotent::Yes).body(self.json(body)?);
        let answer = self.send(Operation::Update { id }, request).await?;
        Ok(answer.json::<Data<PhoneNumberWire>>("update")?.data)
    }

    /// `PATCH /phone_numbers/{id}/messaging`: the messaging profile, which
    /// the number's own PATCH cannot set.
    pub(crate) async fn patch_messaging(&self, id: &str, profile_id: &str) -> Result<()> {
        let url = self.number_url(id, "/messaging");
        let body = self.json(&MessagingBody {
            messaging_profile_id: profile_id,
        })?;
        let request = Request::new(Method::PATCH, &url, Idempotent::Yes).body(body);
        self.send(Operation::Update { id }, request).await?;
        Ok(())
    }

    /// One listing page as Telnyx sent it, and the cursor of the next:
    /// `meta` says which page this is of how many, and the next is the same
    /// query with `page[number]` one higher.
    async fn list_wire(&self, url: &Url) -> Result<Page<PhoneNumberWire>> {
        let answer = self.send(Operation::List, Request::get(url)).await?;
        let page: ListResponse = answer.json("list")?;
        let next_cursor = match (page.meta.page_number, page.meta.total_pages) {
            (Some(number), Some(total)) if number < total && !page.data.is_empty() => {
                let mut next = url.clone();
                let pairs: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(k, _)| k != "page[number]")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                next.query_pairs_mut()
                    .clear()
                    .append_pair("page[number]", &(number + 1).to_string())
                    .extend_pairs(pairs);
                Some(self.numbers.cursor_from_link(url, next.as_str())?)
            }
            _ => None,
        };
        let items = page.data.into_iter().filter(|n| !gone(n)).collect();
        Ok(Page { items, next_cursor })
    }

    /// The owned record of `phone_number`, as Telnyx sent it.
    ///
    /// `filter[phone_number]` is sent as digits only first: the description
    /// says non-digits match nothing, so a `+` could hide the number. Its
    /// match is partial ("at least three digits"), so the exact E.164
    /// number is picked out here. Telnyx's documentation examples carry the
    /// `+`, though, so when the digits find nothing the `+` form is asked
    /// too: under either reading of the filter, an owned number is found.
    pub(crate) async fn find_owned_wire(
        &self,
        phone_number: &PhoneNumber,
    ) -> Result<Option<PhoneNumberWire>> {
        for form in [phone_number.digits(), phone_number.as_str()] {
            let page = |cursor: Option<String>| async move {
                let url = match cursor {
                    Some(cursor) => self.numbers.url_from_cursor(&cursor)?,
                    None => {
                        let mut url = self.numbers.first_page();
                        url.query_pairs_mut()
                            .append_pair("filter[phone_number]", form);
                        url
                    }
                };
                self.list_wire(&url).await
            };
            let exact =
                |n: &PhoneNumberWire| n.phone_number.as_deref() == Some(phone_number.as_str());
            if let Some(found) = find_in_pages(PROVIDER, FIND_MAX_PAGES, page, exact).await? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// The record as core's `CarrierNumber`: the id must be an `IntId`
    /// (handed out otherwise, it could never be updated or released), the
    /// name is `customer_reference`, routing is read through the configured
    /// routes. `PhoneNumberDetailed` carries no features, so capabilities
    /// are empty (unknown), not guessed.
    pub(crate) fn carrier_number(&self, wire: &PhoneNumberWire) -> Result<CarrierNumber> {
        let carrier_id = wire
            .id
            .as_deref()
            .ok_or_else(|| unreadable("without an id"))
            .and_then(|id| number_id(id).map_err(|_| unreadable("whose id is not an IntId")))?;
        let phone_number = wire
            .phone_number
            .as_deref()
            .and_then(|n| PhoneNumber::parse_trusted(n).ok())
            .ok_or_else(|| unreadable("without a valid E.164 number"))?;
        Ok(CarrierNumber {
            carrier_id,
            phone_number,
            friendly_name: wire.customer_reference.clone(),
            capabilities: Capabilities::default(),
            routing: self.config.routes.to_core(
                wire.connection_id.as_deref(),
                wire.messaging_profile_id.as_deref(),
            ),
        })
    }
}

#[async_trait]
impl TelephonyProvider for TelnyxProvider {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn features(&self) -> ProviderFeatures {
        search::features()
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>> {
        let params = search::parameters(query)?;
        let mut url = self.search_url.clone();
        url.query_pairs_mut().extend_pairs(params);
        let answer = self.send(Operation::Search, Request::get(&url)).await?;
        let found: SearchResponse = answer.json("search")?;
        Ok(search::results(query, found.data))
    }

    async fn purchase(&self, request: &PurchaseRequest) -> Result<PurchaseOutcome> {
        crate::orders::purchase(self, request).await
    }

    async fn order_status(&self, order_id: &str) -> Result<OrderStatus> {
        crate::orders::order_status(self, order_id).await
    }

    async fn find_owned(&self, phone_number: &PhoneNumber) -> Result<Option<CarrierNumber>> {
        match self.find_owned_wire(phone_number).await? {
            Some(wire) => self.carrier_number(&wire).map(Some),
            None => Ok(None),
        }
    }

    async fn list_owned(&self, page: &PageRequest) -> Result<Page<CarrierNumber>> {
        let url = match &page.cursor {
            Some(cursor) => self.numbers.url_from_cursor(cursor)?,
            None => {
                let mut url = self.numbers.first_page();
                url.query_pairs_mut()
                    .append_pair("page[number]", "1")
                    .append_pair(
                        "page[size]",
                        &page.limit.clamp(1, MAX_PAGE_SIZE).to_string(),
                    )
                    .append_pair("sort", LIST_SORT);
                url
            }
        };
        let wire = self.list_wire(&url).await?;
        // An unreadable owned number fails the page rather than vanishing:
        // reconcile would take a missing number for one released elsewhere.
        let items = wire
            .items
            .iter()
            .map(|n| self.carrier_number(n))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            next_cursor: wire.next_cursor,
        })
    }

    /// The name is written to `customer_reference` and voice routing to
    /// `connection_id` with one PATCH; messaging routing goes to the
    /// number's `/messaging` first, since only that path sets it. A change
    /// of nothing reads the number instead.
    async fn update(&self, carrier_id: &str, update: &CarrierUpdate) -> Result<CarrierNumber> {
        let id = number_id(carrier_id)?;
        if let Some(name) = &update.friendly_name {
            validate_friendly_name(name)?;
        }
        let routing = match &update.routing {
            Some(routing) => self.config.routes.to_telnyx(routing)?,
            None => Default::default(),
        };
        if let Some(profile) = &routing.messaging_profile_id {
            self.patch_messaging(&id, profile).await?;
        }
        let body = UpdateBody {
            customer_reference: update.friendly_name.as_deref(),
            connection_id: routing.connection_id.as_deref(),
        };
        if body.is_empty() {
            return self.get(&id).await;
        }
        let wire = self.patch(&id, &body).await?;
        self.carrier_number(&wire)
    }

    fn not_found_window(&self) -> std::time::Duration {
        self.config.not_found_window
    }

    /// `DELETE /phone_numbers/{id}`, which answers 200 with the record,
    /// `status: "deleted"`. An answer naming another status is not taken
    /// as a release.
    async fn release(&self, carrier_id: &str) -> Result<()> {
        let id = number_id(carrier_id)?;
        let url = self.number_url(&id, "");
        let request = Request::new(Method::DELETE, &url, Idempotent::Yes);
        let answer = self.send(Operation::Release { id: &id }, request).await?;
        let status = serde_json::from_slice::<Data<PhoneNumberWire>>(answer.body())
            .ok()
            .and_then(|d| d.data.status);
        match status.as_deref() {
            None | Some("deleted") => Ok(()),
            Some(other) => Err(Error::Inconsistent {
                source_name: PROVIDER.into(),
                message: format!(
                    "the release of phone number {id} was answered with status {:?}, not \"deleted\"",
                    switchboard_carrier_http::quote(other).unwrap_or_default()
                ),
            }),
        }
    }
}

/// Whether a listed record is no longer the account's number.
fn gone(wire: &PhoneNumberWire) -> bool {
    wire.status.as_deref().is_some_and(|s| {
        GONE.iter()
            .any(|g| s.replace('_', "-").eq_ignore_ascii_case(g))
    })
}

/// The longest `IntId`: an int64 has at most 19 digits.
const MAX_INT_ID_DIGITS: usize = 19;

/// Telnyx number ids are `IntId`s, int64s written as digits; anything else
/// must not reach a URL path, and is refused as every adapter refuses a
/// malformed id (see [`invalid_carrier_id`]).
pub(crate) fn number_id(carrier_id: &str) -> Result<String> {
    let digits = carrier_id.len();
    let well_formed = (1..=MAX_INT_ID_DIGITS).contains(&digits)
        && carrier_id.bytes().all(|b| b.is_ascii_digit())
        && carrier_id.parse::<i64>().is_ok_and(|n| n > 0);
    if well_formed {
        Ok(carrier_id.to_string())
    } else {
        Err(invalid_carrier_id(format!(
            "is not a Telnyx phone number id (a positive int64 in digits, as \
             /phone_numbers gives it); it has {} characters",
            carrier_id.chars().count()
        )))
    }
}

pub(crate) fn unreadable(what: &str) -> Error {
    Error::Carrier {
        provider: PROVIDER.into(),
        status: None,
        code: None,
        message: Some(format!("unreadable answer: a phone number {what}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_id_must_be_an_int_id() {
        assert_eq!(
            number_id("1293384261075731499").unwrap(),
            "1293384261075731499"
        );
        for bad in [
            "",
            "0",
            "-1",
            "+19705555098",
            "../available_phone_numbers",
            "12a",
            "99999999999999999999",
            "9223372036854775808",
            "dc8e4d67-33a0-4cbb-af74-7b58f05bd494",
        ] {
            let err = number_id(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput { .. }), "{bad}: {err:?}");
            assert_eq!(err.field(), Some("carrier_id"), "{bad}");
        }
    }

    #[test]
    fn gone_statuses_are_not_owned_in_either_spelling() {
        for (status, is_gone) in [
            ("active", false),
            ("purchase_pending", true),
            ("port-pending", false),
            ("deleted", true),
            ("purchase_failed", true),
            ("ported-out", true),
        ] {
            let wire = PhoneNumberWire {
                status: Some(status.into()),
                ..PhoneNumberWire::default()
            };
            assert_eq!(gone(&wire), is_gone, "{status}");
        }
    }
}
