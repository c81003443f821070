//! The `TelephonyProvider` for SignalWire's REST phone-numbers API.

use std::fmt;

use async_trait::async_trait;
use switchboard_carrier_http::{
    Answer, CarrierClient, ClientSettings, Credentials, Idempotent, Listing, Method, Request, Url,
    find_in_pages, invalid_carrier_id,
};
use switchboard_core::{
    AvailableNumber, CarrierNumber, CarrierUpdate, Error, Page, PageRequest, PhoneNumber,
    ProviderFeatures, PurchaseOutcome, PurchaseRequest, Result, Routing, SearchQuery,
    TelephonyProvider, WebhookMethod, WebhookUrl, validate_friendly_name,
};
use uuid::Uuid;

use crate::config::SignalWireConfig;
use crate::errors::{self, Operation, PROVIDER};
use crate::search;
use crate::wire::{
    LAML_WEBHOOKS, ListResponse, PhoneNumberWire, PurchaseBody, SearchResponse, UpdateBody,
};

/// The REST API's root on a space.
const API_ROOT: &str = "/api/relay/rest/";

/// How many listing pages `find_owned` reads before giving up: the filter is
/// a substring match, so the exact number is normally on the first page.
const FIND_MAX_PAGES: usize = 20;

/// SignalWire as a carrier: search, buy, list, change and release numbers
/// through `https://{space}.signalwire.com/api/relay/rest/phone_numbers`.
///
/// Cheap to share behind an `Arc`; one HTTP client (and its connection pool)
/// serves every call.
pub struct SignalWireProvider {
    config: SignalWireConfig,
    client: CarrierClient,
    /// `/phone_numbers`: its `links.next` and cursors.
    numbers: Listing,
    /// `{space}/api/relay/rest/phone_numbers/search`, built once: every
    /// search starts from it.
    search_url: Url,
}

impl fmt::Debug for SignalWireProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalWireProvider")
            .field("config", &self.config)
            .finish()
    }
}

impl SignalWireProvider {
    /// An adapter for the space and credentials in `config`.
    pub fn new(config: SignalWireConfig) -> Result<Self> {
        let client = CarrierClient::new(ClientSettings {
            carrier: PROVIDER,
            user_agent: concat!("switchboard-signalwire/", env!("CARGO_PKG_VERSION")),
            credentials: Credentials::basic(config.project_id.clone(), config.api_token.clone()),
            timeout: config.request_timeout,
            connect_timeout: config.connect_timeout,
            retry: config.retry,
        })?;
        let numbers = Listing::new(PROVIDER, &config.space, format!("{API_ROOT}phone_numbers"))
            .described_as("links.next", "space");
        let mut search_url = config.space.clone();
        search_url.set_path(&format!("{API_ROOT}phone_numbers/search"));
        Ok(Self {
            config,
            client,
            numbers,
            search_url,
        })
    }

    /// An adapter configured from the `SIGNALWIRE_*` environment variables.
    pub fn from_env() -> Result<Self> {
        Self::new(SignalWireConfig::from_env()?)
    }

    /// The configuration in use (the token stays hidden).
    pub fn config(&self) -> &SignalWireConfig {
        &self.config
    }

    /// `{space}/api/relay/rest/phone_numbers/{id}`, for a checked id.
    fn number_url(&self, id: &str) -> Url {
        let mut url = self.numbers.first_page();
        url.set_path(&format!("{}/{id}", url.path()));
        url
    }

    /// Sends `request`, SignalWire's refusals read as answers to `op`.
    async fn send(&self, op: Operation<'_>, request: Request<'_>) -> Result<Answer> {
        self.client
            .send(request, |refusal| errors::from_refusal(op, &refusal))
            .await
    }

    /// One owned number by SignalWire id (`GET /phone_numbers/{id}`).
    pub async fn get(&self, carrier_id: &str) -> Result<CarrierNumber> {
        let id = number_id(carrier_id)?;
        let url = self.number_url(&id);
        let answer = self
            .send(Operation::Get { id: &id }, Request::get(&url))
            .await?;
        carrier_number(answer.json::<PhoneNumberWire>("phone number")?)
    }

    /// `PUT /phone_numbers/{id}` with a partial body: the fields it names
    /// are set to the same values however often it is sent.
    async fn put(&self, id: &str, body: &UpdateBody<'_>) -> Result<CarrierNumber> {
        let url = self.number_url(id);
        let json = self.client.json(body)?;
        let request = Request::new(Method::PUT, &url, Idempotent::Yes).body(json);
        let answer = self.send(Operation::Update { id }, request).await?;
        carrier_number(answer.json::<PhoneNumberWire>("update")?)
    }

    /// One listing page, and the cursor of the next.
    async fn list_page(&self, url: &Url) -> Result<Page<CarrierNumber>> {
        let answer = self.send(Operation::List, Request::get(url)).await?;
        let page: ListResponse = answer.json("list")?;
        let next_cursor = match page.links.next.as_deref() {
            Some(next) => Some(self.numbers.cursor_from_link(url, next)?),
            None => None,
        };
        // An unreadable owned number fails the page rather than vanishing:
        // reconcile would take a missing number for one released elsewhere.
        let items = page
            .data
            .into_iter()
            .map(carrier_number)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, next_cursor })
    }
}

#[async_trait]
impl TelephonyProvider for SignalWireProvider {
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

    /// Buys with `POST /phone_numbers` (sent once, never repeated), then sets
    /// the name and webhooks with `PUT /phone_numbers/{id}` if any were asked.
    ///
    /// If that PUT still fails after its retries, the number is bought all
    /// the same, and SignalWire refuses to release a number for about two
    /// weeks after its purchase, so it cannot be undone either. The purchase
    /// therefore succeeds and returns the number as SignalWire holds it (no
    /// name, no webhooks), logging a warning: an error here would be worse,
    /// since a permanent one makes the service mark the purchase failed and
    /// leaves a paid number without a record, and a temporary one only sends
    /// the service to `find_owned`, which returns this same number. Setting
    /// the name or routing again with `update` finishes the job.
    ///
    /// Unlike Twilio's, SignalWire's PhoneNumber names no project or account
    /// (neither description has such a field), so the answer cannot be
    /// checked against ours; the number it names is checked by the service.
    async fn purchase(&self, request: &PurchaseRequest) -> Result<PurchaseOutcome> {
        let number = request.phone_number.as_str();
        if let Some(name) = &request.friendly_name {
            validate_friendly_name(name)?;
        }
        let url = self.numbers.first_page();
        let body = self.client.json(&PurchaseBody { number })?;
        let op = Operation::Purchase {
            phone_number: number,
        };
        let answer = self
            .send(
                op,
                Request::new(Method::POST, &url, Idempotent::No).body(body),
            )
            .await?;
        // A 200 we cannot read still means the number was bought: say the
        // outcome is unknown, so the service settles it with find_owned.
        let purchase = format!("the purchase of {number}");
        let wire = serde_json::from_slice::<PhoneNumberWire>(answer.body())
            .map_err(|e| answer.unknown_outcome(&purchase, e))?;
        let bought = carrier_number(wire).map_err(|e| answer.unknown_outcome(&purchase, e))?;
        let changes = update_body(
            request.friendly_name.as_deref(),
            (!request.routing.is_empty()).then_some(&request.routing),
        );
        if changes.is_empty() {
            return Ok(PurchaseOutcome::Bought(bought));
        }
        match self.put(&bought.carrier_id, &changes).await {
            Ok(configured) => Ok(PurchaseOutcome::Bought(configured)),
            Err(error) => {
                tracing::warn!(
                    provider = PROVIDER,
                    phone_number = number,
                    carrier_id = %bought.carrier_id,
                    %error,
                    "number bought, but setting its name and webhooks failed; \
                     returning it as bought, unconfigured"
                );
                Ok(PurchaseOutcome::Bought(bought))
            }
        }
    }

    async fn find_owned(&self, phone_number: &PhoneNumber) -> Result<Option<CarrierNumber>> {
        let page = |cursor: Option<String>| async move {
            let url = match cursor {
                Some(cursor) => self.numbers.url_from_cursor(&cursor)?,
                None => {
                    let mut url = self.numbers.first_page();
                    url.query_pairs_mut()
                        .append_pair("filter_number", phone_number.as_str());
                    url
                }
            };
            self.list_page(&url).await
        };
        // filter_number matches substrings: keep the exact number only.
        find_in_pages(PROVIDER, FIND_MAX_PAGES, page, |n: &CarrierNumber| {
            n.phone_number == *phone_number
        })
        .await
    }

    /// Pages follow SignalWire's `links.next`; the page size of a later page
    /// is the one the first request asked for (it travels in the link), since
    /// SignalWire's page tokens are tied to it.
    async fn list_owned(&self, page: &PageRequest) -> Result<Page<CarrierNumber>> {
        let url = match &page.cursor {
            Some(cursor) => self.numbers.url_from_cursor(cursor)?,
            None => {
                let mut url = self.numbers.first_page();
                url.query_pairs_mut().append_pair(
                    "page_size",
                    &page
                        .limit
                        .clamp(1, switchboard_core::MAX_PAGE_SIZE)
                        .to_string(),
                );
                url
            }
        };
        self.list_page(&url).await
    }

    /// A change of nothing reads the number instead of sending an empty PUT.
    async fn update(&self, carrier_id: &str, update: &CarrierUpdate) -> Result<CarrierNumber> {
        let id = number_id(carrier_id)?;
        if let Some(name) = &update.friendly_name {
            validate_friendly_name(name)?;
        }
        let changes = update_body(update.friendly_name.as_deref(), update.routing.as_ref());
        if changes.is_empty() {
            return self.get(&id).await;
        }
        self.put(&id, &changes).await
    }

    fn not_found_window(&self) -> std::time::Duration {
        self.config.not_found_window()
    }

    async fn release(&self, carrier_id: &str) -> Result<()> {
        let id = number_id(carrier_id)?;
        let url = self.number_url(&id);
        let request = Request::new(Method::DELETE, &url, Idempotent::Yes);
        self.send(Operation::Release { id: &id }, request).await?;
        Ok(())
    }
}

/// SignalWire ids are UUIDs; anything else must not reach a URL path, and
/// is refused as every adapter refuses a malformed id (see
/// [`invalid_carrier_id`]).
fn number_id(carrier_id: &str) -> Result<String> {
    Uuid::try_parse(carrier_id)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| {
            invalid_carrier_id(format!(
                "is not a SignalWire phone number id (a UUID); it has {} characters",
                carrier_id.chars().count()
            ))
        })
}

fn unreadable(what: &str) -> Error {
    Error::Carrier {
        provider: PROVIDER.into(),
        status: None,
        code: None,
        message: Some(format!("unreadable answer: a phone number {what}")),
    }
}

/// The PhoneNumber object as core's `CarrierNumber`. An id that is not a
/// UUID makes the answer unreadable: handed out, it could never be updated
/// or released (see [`number_id`]).
fn carrier_number(wire: PhoneNumberWire) -> Result<CarrierNumber> {
    let carrier_id = wire.id.clone().ok_or_else(|| unreadable("without an id"))?;
    if Uuid::try_parse(&carrier_id).is_err() {
        return Err(unreadable("whose id is not a UUID"));
    }
    let phone_number = wire
        .number
        .as_deref()
        .and_then(|n| PhoneNumber::parse_trusted(n).ok())
        .ok_or_else(|| unreadable("without a valid E.164 number"))?;
    Ok(CarrierNumber {
        carrier_id,
        phone_number,
        friendly_name: wire.name.clone(),
        capabilities: wire.capabilities.0,
        routing: routing(&wire),
    })
}

/// Webhooks count only while the handler sends calls (or messages) to them:
/// a number moved to `relay_script` or `ai_agent` may keep a stale URL. A
/// missing handler is taken as webhooks, since only the URL was reported.
fn routing(wire: &PhoneNumberWire) -> Routing {
    let webhooks = |handler: &Option<String>| {
        handler
            .as_deref()
            .is_none_or(|h| h.eq_ignore_ascii_case(LAML_WEBHOOKS))
    };
    let url = |value: &Option<String>| value.as_deref().and_then(|u| WebhookUrl::parse(u).ok());
    let method = |value: &Option<String>| match value.as_deref() {
        Some(m) if m.eq_ignore_ascii_case("GET") => Some(WebhookMethod::Get),
        Some(m) if m.eq_ignore_ascii_case("POST") => Some(WebhookMethod::Post),
        _ => None,
    };
    let calls = webhooks(&wire.call_handler);
    let messages = webhooks(&wire.message_handler);
    Routing {
        voice_url: url(&wire.call_request_url).filter(|_| calls),
        voice_method: method(&wire.call_request_method).filter(|_| calls),
        sms_url: url(&wire.message_request_url).filter(|_| messages),
        sms_method: method(&wire.message_request_method).filter(|_| messages),
        status_callback: url(&wire.call_status_callback_url),
    }
}

/// The partial PUT body for a name and routing change. A webhook URL also
/// switches its handler to `laml_webhooks`, without which SignalWire ignores it.
fn update_body<'a>(name: Option<&'a str>, routing: Option<&'a Routing>) -> UpdateBody<'a> {
    let mut body = UpdateBody {
        name,
        ..UpdateBody::default()
    };
    if let Some(routing) = routing {
        if let Some(url) = &routing.voice_url {
            body.call_handler = Some(LAML_WEBHOOKS);
            body.call_request_url = Some(url.as_str());
        }
        body.call_request_method = routing.voice_method.map(|m| m.as_str());
        if let Some(url) = &routing.sms_url {
            body.message_handler = Some(LAML_WEBHOOKS);
            body.message_request_url = Some(url.as_str());
        }
        body.message_request_method = routing.sms_method.map(|m| m.as_str());
        body.call_status_callback_url = routing.status_callback.as_ref().map(|u| u.as_str());
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_id_must_be_a_uuid() {
        assert_eq!(
            number_id("3FA85F64-5717-4562-B3FC-2C963F66AFA6").unwrap(),
            "3fa85f64-5717-4562-b3fc-2c963f66afa6"
        );
        for bad in [
            "../addresses",
            "PN123",
            "",
            "3fa85f64-5717-4562-b3fc-2c963f66afa",
        ] {
            let err = number_id(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput { .. }), "{bad}: {err:?}");
            assert_eq!(err.field(), Some("carrier_id"), "{bad}");
        }
    }

    #[test]
    fn routing_follows_the_handler() {
        let wire: PhoneNumberWire = serde_json::from_value(serde_json::json!({
            "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "number": "+15558675309",
            "call_handler": "relay_script", "call_request_url": "https://old.example/voice",
            "message_handler": "laml_webhooks", "message_request_url": "https://x.example/sms",
            "message_request_method": "GET", "call_status_callback_url": ""
        }))
        .unwrap();
        let r = routing(&wire);
        assert_eq!(r.voice_url, None);
        assert_eq!(r.sms_url.unwrap().as_str(), "https://x.example/sms");
        assert_eq!(r.sms_method, Some(WebhookMethod::Get));
        assert_eq!(r.status_callback, None);
    }
}
