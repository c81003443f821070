//! [`TwilioProvider`]: core's [`TelephonyProvider`] over Twilio's REST API
//! 2010-04-01.
//!
//! Idempotent calls (search, find, list, update, release) go through the
//! configured [`switchboard_core::RetryPolicy`]; purchase is sent exactly
//! once, because Twilio answers 201 even when the account already owned the
//! number (live behaviour 6 in docs/carriers/twilio.md), so a repeated
//! purchase proves nothing. A purchase
//! whose answer is lost is reported as [`Error::Transport`] and settled by
//! [`TelephonyProvider::find_owned`], which lists with `PhoneNumber=` rather
//! than fetching by SID, because a fetch right after a purchase has been seen
//! to answer 20404 (live behaviour 7 in docs/carriers/twilio.md). For the same reason the adapter reports a
//! [`TelephonyProvider::not_found_window`], inside which the service does not
//! take a release's 20404 as proof that the number is gone.
//!
//! Every IncomingPhoneNumber read must name our account when it names one
//! (`account_sid`); one naming another is [`Error::Inconsistent`], and a
//! purchase answered so is not reported as bought.

use std::fmt;

use async_trait::async_trait;
use switchboard_carrier_http::{
    Answer, Body, CarrierClient, ClientSettings, Credentials, Idempotent, Listing, Method, Request,
    Url, find_in_pages, invalid_carrier_id,
};
use switchboard_core::{
    AvailableNumber, CarrierNumber, CarrierUpdate, Error, MAX_PAGE_SIZE, Page, PageRequest,
    PhoneNumber, ProviderFeatures, PurchaseOutcome, PurchaseRequest, Result, Routing, SearchQuery,
    TelephonyProvider, WebhookMethod, WebhookUrl, validate_friendly_name,
};

use crate::config::TwilioConfig;
use crate::errors::{self, Subject};
use crate::sid::{Sid, SidKind};
use crate::wire::{AvailableList, IncomingList, IncomingWire};
use crate::{PROVIDER, search};

/// The most numbers one Twilio search returns (live behaviour 1 in
/// docs/carriers/twilio.md: about 30, and no usable next page).
pub const MAX_SEARCH_RESULTS: u32 = 30;

/// How many pages `find_owned` follows before giving up; a filter on one
/// E.164 number matches at most a handful.
const MAX_FIND_PAGES: usize = 20;

/// Twilio as a [`TelephonyProvider`].
#[derive(Clone)]
pub struct TwilioProvider {
    config: TwilioConfig,
    client: CarrierClient,
    /// `{base}/2010-04-01/Accounts/{AccountSid}`.
    account_url: String,
    /// `IncomingPhoneNumbers.json`: its page links and cursors.
    incoming: Listing,
}

impl TwilioProvider {
    /// A provider for `config`, with its own HTTP client.
    pub fn new(config: TwilioConfig) -> Result<Self> {
        let (user, password) = config.basic_auth();
        let client = CarrierClient::new(ClientSettings {
            carrier: PROVIDER,
            user_agent: concat!("switchboard-twilio/", env!("CARGO_PKG_VERSION")),
            credentials: Credentials::basic(user, password.to_string()),
            timeout: config.timeout_value(),
            connect_timeout: config.connect_timeout_value(),
            retry: config.retry(),
        })?;
        let account_path = format!("/2010-04-01/Accounts/{}", config.account_sid());
        let account_url = format!("{}{account_path}", config.base_url_str());
        let base = parse_url(config.base_url_str())?;
        let incoming = Listing::new(
            PROVIDER,
            &base,
            format!("{account_path}/IncomingPhoneNumbers.json"),
        )
        .described_as("next_page_uri", "base URL");
        Ok(Self {
            config,
            client,
            account_url,
            incoming,
        })
    }

    /// A provider configured from Twilio's environment variables; see
    /// [`TwilioConfig::from_env`].
    pub fn from_env() -> Result<Self> {
        Self::new(TwilioConfig::from_env()?)
    }

    /// The configuration in use.
    pub fn config(&self) -> &TwilioConfig {
        &self.config
    }

    fn number_url(&self, sid: &Sid) -> Result<Url> {
        parse_url(&format!(
            "{}/IncomingPhoneNumbers/{sid}.json",
            self.account_url
        ))
    }

    /// Sends `request`, Twilio's refusals read with `subject` in mind.
    async fn send(&self, request: Request<'_>, subject: Subject<'_>) -> Result<Answer> {
        self.client
            .send(request, |refusal| errors::from_refusal(&refusal, subject))
            .await
    }

    /// One page of owned numbers from `url`, and the cursor of the next.
    async fn incoming_page(
        &self,
        url: &Url,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<Page<IncomingWire>> {
        let subject = Subject {
            what,
            phone_number: None,
        };
        let answer = self.send(Request::get(url).query(query), subject).await?;
        let list: IncomingList = answer.json("list")?;
        let next_cursor = match list.next_page_uri.as_deref() {
            Some(next) => Some(self.incoming.cursor_from_link(url, next)?),
            None => None,
        };
        Ok(Page {
            items: list.incoming_phone_numbers,
            next_cursor,
        })
    }

    /// Sets the configured emergency address on a number just bought.
    ///
    /// Twilio has been seen to ignore `EmergencyAddressSid` on purchase (live
    /// behaviour 8 in docs/carriers/twilio.md), so it is sent as an update;
    /// and since a number just bought may answer 20404 for a moment (live
    /// behaviour 7), not-found is retried here like a temporary failure. If
    /// it still fails, the purchase stands (the number is bought and must be
    /// recorded) and the failure is logged.
    async fn attach_emergency_address(
        &self,
        bought: CarrierNumber,
        address: &str,
    ) -> CarrierNumber {
        let Ok(sid) = Sid::parse(SidKind::PhoneNumber, &bought.carrier_id) else {
            return bought;
        };
        let form = [("EmergencyAddressSid", address.to_string())];
        let what = format!("twilio phone number {sid}");
        let subject = Subject {
            what: &what,
            phone_number: None,
        };
        let result = match self.number_url(&sid) {
            Ok(url) => {
                let request =
                    Request::new(Method::POST, &url, Idempotent::Yes).body(Body::Form(&form));
                self.client
                    .send(request, |refusal| {
                        match errors::from_refusal(&refusal, subject) {
                            Error::NotFound { what, .. } => Error::Transport {
                                provider: PROVIDER.to_string(),
                                message: format!("{what}: not visible yet after its purchase"),
                                cause: None,
                            },
                            other => other,
                        }
                    })
                    .await
                    .and_then(|answer| {
                        owned_number(&answer.json("update")?, self.config.account_sid())
                    })
            }
            Err(error) => Err(error),
        };
        result.unwrap_or_else(|error| {
            tracing::error!(
                phone_number = %bought.phone_number,
                sid = %sid,
                error = %error,
                "twilio: bought the number but could not set its emergency address"
            );
            bought
        })
    }
}

impl fmt::Debug for TwilioProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioProvider")
            .field("config", self.config())
            .finish_non_exhaustive()
    }
}

/// A URL built from the checked base URL and checked path segments.
fn parse_url(url: &str) -> Result<Url> {
    Url::parse(url).map_err(|e| Error::Configuration {
        message: format!("twilio URL could not be built from the base URL: {e}"),
    })
}

/// The PN SID of an owned number, checked before it goes into a path.
fn number_sid(carrier_id: &str) -> Result<Sid> {
    Sid::parse(SidKind::PhoneNumber, carrier_id).map_err(invalid_carrier_id)
}

/// Adds the webhooks that are set to a form; unset ones are left out so
/// Twilio keeps what it has.
fn routing_form(routing: &Routing, form: &mut Vec<(&'static str, String)>) {
    let url = |u: &Option<WebhookUrl>| u.as_ref().map(|u| u.as_str().to_string());
    let method = |m: &Option<WebhookMethod>| m.map(|m| m.as_str().to_string());
    let fields = [
        ("VoiceUrl", url(&routing.voice_url)),
        ("VoiceMethod", method(&routing.voice_method)),
        ("SmsUrl", url(&routing.sms_url)),
        ("SmsMethod", method(&routing.sms_method)),
        ("StatusCallback", url(&routing.status_callback)),
    ];
    form.extend(
        fields
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name, v))),
    );
}

fn webhook(url: &Option<String>) -> Option<WebhookUrl> {
    url.as_deref()
        .and_then(|u| WebhookUrl::parse(u.trim()).ok())
}

fn method(method: &Option<String>) -> Option<WebhookMethod> {
    match method.as_deref().map(str::trim) {
        Some(m) if m.eq_ignore_ascii_case("GET") => Some(WebhookMethod::Get),
        Some(m) if m.eq_ignore_ascii_case("POST") => Some(WebhookMethod::Post),
        _ => None,
    }
}

/// What is wrong when `wire` names an account other than `account`, the one
/// whose path was asked.
///
/// Twilio puts `account_sid` on every IncomingPhoneNumber. An answer under
/// our path naming another account cannot be right (a proxy or edge mixing
/// up accounts, say), and a number recorded from it would be one we can
/// neither route nor release. An absent or empty `account_sid` passes: fields
/// come and go (live behaviour 5), and the path already named ours. Hex
/// digits compare in either case, as the configured SID may be spelled so.
fn foreign_account(wire: &IncomingWire, account: &str) -> Option<String> {
    let named = wire.account_sid.as_deref()?.trim();
    if named.eq_ignore_ascii_case(account) {
        return None;
    }
    // Named only when it is a SID: anything else is not ours to repeat.
    Some(match Sid::parse(SidKind::Account, named) {
        Ok(other) => format!("names account {other}, not {account}"),
        Err(_) => format!("names an account_sid that is not an AC SID, not {account}"),
    })
}

/// An IncomingPhoneNumber of `account` as core's [`CarrierNumber`]; one of
/// another account is [`Error::Inconsistent`] (see [`foreign_account`]). A
/// method is reported only with its URL: Twilio reports `POST` for numbers
/// with no webhook at all.
fn owned_number(wire: &IncomingWire, account: &str) -> Result<CarrierNumber> {
    if let Some(why) = foreign_account(wire, account) {
        return Err(Error::Inconsistent {
            source_name: PROVIDER.to_string(),
            message: format!(
                "the phone number resource {} {why}",
                wire.sid.as_deref().unwrap_or("without a sid")
            ),
        });
    }
    let unreadable = |why: String| Error::Carrier {
        provider: PROVIDER.to_string(),
        status: None,
        code: None,
        message: Some(format!("unreadable phone number resource: {why}")),
    };
    let sid = wire
        .sid
        .as_deref()
        .ok_or_else(|| unreadable("no sid".into()))?;
    let sid = Sid::parse(SidKind::PhoneNumber, sid.trim())
        .map_err(|why| unreadable(format!("sid {why}")))?;
    let phone_number = wire
        .phone_number
        .as_deref()
        .ok_or_else(|| unreadable("no phone_number".into()))?;
    let phone_number = PhoneNumber::parse_trusted(phone_number.trim())
        .map_err(|why| unreadable(format!("phone_number {why}")))?;
    let voice_url = webhook(&wire.voice_url);
    let sms_url = webhook(&wire.sms_url);
    let routing = Routing {
        voice_method: voice_url.as_ref().and(method(&wire.voice_method)),
        voice_url,
        sms_method: sms_url.as_ref().and(method(&wire.sms_method)),
        sms_url,
        status_callback: webhook(&wire.status_callback),
    };
    Ok(CarrierNumber {
        carrier_id: sid.as_str().to_string(),
        phone_number,
        friendly_name: wire.friendly_name.clone(),
        capabilities: wire.capabilities,
        routing,
    })
}

#[async_trait]
impl TelephonyProvider for TwilioProvider {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn features(&self) -> ProviderFeatures {
        // Area code, region and postal code work in the US and Canada only;
        // elsewhere search refuses them (the flags cannot say per country).
        ProviderFeatures::all(MAX_SEARCH_RESULTS)
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>> {
        query.validate()?;
        self.features().check(PROVIDER, query)?;
        let params = search::parameters(query)?;
        let url = parse_url(&format!(
            "{}/AvailablePhoneNumbers/{}/{}.json",
            self.account_url,
            query.country,
            search::type_segment(query.number_type)
        ))?;
        let what = format!("twilio {} numbers in {}", query.number_type, query.country);
        // One page only: Twilio's search has no usable next page (live
        // behaviour 1 in docs/carriers/twilio.md).
        let subject = Subject {
            what: &what,
            phone_number: None,
        };
        let answer = self
            .send(Request::get(&url).query(&params), subject)
            .await?;
        let list: AvailableList = answer.json("search")?;
        Ok(search::results(query, list.available_phone_numbers))
    }

    async fn purchase(&self, request: &PurchaseRequest) -> Result<PurchaseOutcome> {
        if let Some(name) = &request.friendly_name {
            validate_friendly_name(name)?;
        }
        let phone = request.phone_number.as_str();
        let mut form = vec![("PhoneNumber", phone.to_string())];
        if let Some(name) = &request.friendly_name {
            form.push(("FriendlyName", name.clone()));
        }
        routing_form(&request.routing, &mut form);
        if let Some(address) = self.config.address() {
            form.push(("AddressSid", address.to_string()));
        }
        if let Some(bundle) = self.config.bundle() {
            form.push(("BundleSid", bundle.to_string()));
        }
        let url = self.incoming.first_page();
        let what = format!("twilio number {phone}");
        let subject = Subject {
            what: &what,
            phone_number: Some(phone),
        };
        // Sent once, never retried: see the module documentation.
        let request = Request::new(Method::POST, &url, Idempotent::No).body(Body::Form(&form));
        let answer = self.send(request, subject).await?;
        // Twilio said yes, but if the answer cannot be read the outcome is
        // as unknown as a lost answer, and must be settled the same way.
        let purchase = format!("the purchase of {phone}");
        let wire = serde_json::from_slice::<IncomingWire>(answer.body())
            .map_err(|e| answer.unknown_outcome(&purchase, e))?;
        tracing::info!(
            phone_number = phone,
            sid = ?wire.sid,
            status = ?wire.status,
            date_created = ?wire.date_created,
            "twilio purchase answered"
        );
        // An answer for another account proves nothing about ours: it is
        // not returned as bought, and the service asks `find_owned` instead.
        let account = self.config.account_sid();
        if let Some(why) = foreign_account(&wire, account) {
            return Err(Error::Inconsistent {
                source_name: PROVIDER.to_string(),
                message: format!(
                    "the purchase of {phone} was answered with a number that {why}; \
                     nothing is recorded from that answer"
                ),
            });
        }
        let bought =
            owned_number(&wire, account).map_err(|e| answer.unknown_outcome(&purchase, e))?;
        match self.config.emergency_address() {
            Some(address) => Ok(PurchaseOutcome::Bought(
                self.attach_emergency_address(bought, address).await,
            )),
            None => Ok(PurchaseOutcome::Bought(bought)),
        }
    }

    async fn find_owned(&self, phone_number: &PhoneNumber) -> Result<Option<CarrierNumber>> {
        // By listing with a filter, never by fetching a SID (live behaviour
        // 7 in docs/carriers/twilio.md); the filter may match more than the
        // exact number, so compare exactly.
        let filter = [("PhoneNumber", phone_number.as_str().to_string())];
        let what = format!("twilio numbers matching {phone_number}");
        let page = |cursor: Option<String>| {
            let (what, filter) = (&what, &filter);
            async move {
                match cursor {
                    None => {
                        let url = self.incoming.first_page();
                        self.incoming_page(&url, filter, what).await
                    }
                    Some(cursor) => {
                        let url = self.incoming.url_from_cursor(&cursor)?;
                        self.incoming_page(&url, &[], what).await
                    }
                }
            }
        };
        let same = |wire: &IncomingWire| {
            wire.phone_number
                .as_deref()
                .is_some_and(|n| n.trim() == phone_number.as_str())
        };
        find_in_pages(PROVIDER, MAX_FIND_PAGES, page, same)
            .await?
            .map(|wire| owned_number(&wire, self.config.account_sid()))
            .transpose()
    }

    async fn list_owned(&self, page: &PageRequest) -> Result<Page<CarrierNumber>> {
        // A cursor is Twilio's next_page_uri, which already carries the page
        // size of the first request.
        let (url, params) = match &page.cursor {
            None => (
                self.incoming.first_page(),
                vec![("PageSize", page.limit.clamp(1, MAX_PAGE_SIZE).to_string())],
            ),
            Some(cursor) => (self.incoming.url_from_cursor(cursor)?, Vec::new()),
        };
        let page = self
            .incoming_page(&url, &params, "twilio owned numbers")
            .await?;
        let items = page
            .items
            .iter()
            .map(|wire| owned_number(wire, self.config.account_sid()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    async fn update(&self, carrier_id: &str, update: &CarrierUpdate) -> Result<CarrierNumber> {
        let sid = number_sid(carrier_id)?;
        let mut form = Vec::new();
        if let Some(name) = &update.friendly_name {
            validate_friendly_name(name)?;
            form.push(("FriendlyName", name.clone()));
        }
        if let Some(routing) = &update.routing {
            routing_form(routing, &mut form);
        }
        let url = self.number_url(&sid)?;
        let what = format!("twilio phone number {sid}");
        let subject = Subject {
            what: &what,
            phone_number: None,
        };
        // The form names every field it changes, so sending it again
        // changes nothing more.
        let request = Request::new(Method::POST, &url, Idempotent::Yes).body(Body::Form(&form));
        let answer = self.send(request, subject).await?;
        owned_number(&answer.json("update")?, self.config.account_sid())
    }

    async fn release(&self, carrier_id: &str) -> Result<()> {
        // Release is immediate and irreversible (live behaviour 9 in
        // docs/carriers/twilio.md): only a checked PN
        // SID is ever deleted, never a number looked up by value. A retry
        // after a lost answer sees 20404, which callers treat as done.
        let sid = number_sid(carrier_id)?;
        let url = self.number_url(&sid)?;
        let what = format!("twilio phone number {sid}");
        let subject = Subject {
            what: &what,
            phone_number: None,
        };
        self.send(Request::new(Method::DELETE, &url, Idempotent::Yes), subject)
            .await?;
        Ok(())
    }

    fn not_found_window(&self) -> std::time::Duration {
        self.config.not_found_window_value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn methods_are_reported_only_with_their_urls() {
        let wire: IncomingWire = serde_json::from_str(
            r#"{"sid":"PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","phone_number":"+18089255327",
                "voice_url":null,"voice_method":"POST","sms_url":"https://example.com",
                "sms_method":"get","status_callback":""}"#,
        )
        .unwrap();
        let n = owned_number(&wire, AC).unwrap();
        assert_eq!(n.routing.voice_url, None);
        assert_eq!(n.routing.voice_method, None);
        assert_eq!(n.routing.sms_method, Some(WebhookMethod::Get));
        assert_eq!(n.routing.status_callback, None);
    }

    #[test]
    fn a_number_without_a_usable_sid_is_an_error_not_a_guess() {
        for body in [
            r#"{"phone_number":"+18089255327"}"#,
            r#"{"sid":"","phone_number":"+18089255327"}"#,
            r#"{"sid":"XX1","phone_number":"+18089255327"}"#,
            r#"{"sid":"PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","phone_number":"8089255327"}"#,
        ] {
            let wire: IncomingWire = serde_json::from_str(body).unwrap();
            assert!(owned_number(&wire, AC).is_err(), "{body}");
        }
    }

    #[test]
    fn a_number_of_another_account_is_inconsistent_and_an_unnamed_one_is_ours() {
        let read = |account: &str| {
            let wire: IncomingWire = serde_json::from_value(serde_json::json!({
                "sid": "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "phone_number": "+18089255327",
                "account_sid": account,
            }))
            .unwrap();
            owned_number(&wire, AC)
        };
        assert!(read(AC).is_ok());
        // The configured SID may be spelled in upper-case hex.
        assert!(read("ACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").is_ok());
        // Absent fields are normal on Twilio (live behaviour 4 and 5).
        assert!(read("").is_ok());
        let err = read("ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").unwrap_err();
        assert!(matches!(err, Error::Inconsistent { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
            "{err}"
        );
        let err = read("not-a-sid-secret-looking").unwrap_err();
        assert!(matches!(err, Error::Inconsistent { .. }), "{err:?}");
        assert!(!err.to_string().contains("not-a-sid"), "{err}");
    }
}
