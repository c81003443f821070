//! Twilio REST API 2010-04-01: AvailablePhoneNumbers and
//! IncomingPhoneNumbers, form-encoded in, JSON out.
#![allow(
    clippy::result_large_err,
    reason = "the error is the HTTP answer itself, built once on a rare path and returned as is"
)]

mod pattern;
mod render;

use std::sync::Arc;

use axum::extract::{Extension, Path, RawForm, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing;
use axum::{Json, Router};
use serde_json::{Value, json};
use switchboard_core::{
    AvailableNumber, Capabilities, CountryCode, MAX_SEARCH_LIMIT, NumberType, PhoneNumber,
    SearchQuery,
};

use crate::app::{App, Committed};
use crate::config::{Mode, is_sid};
use crate::errors::{self, twilio_bad_request};
use crate::lag::ListingLag;
use crate::params::{self, boolean, get, integer, undeclared};
use crate::state::{AccountKey, Bought, NumberRecord};

pub(crate) use pattern::ContainsPattern;

/// Search parameters the OpenAPI document declares.
pub const SEARCH_PARAMS: &[&str] = &[
    "AreaCode",
    "Contains",
    "SmsEnabled",
    "MmsEnabled",
    "VoiceEnabled",
    "FaxEnabled",
    "ExcludeAllAddressRequired",
    "ExcludeLocalAddressRequired",
    "ExcludeForeignAddressRequired",
    "Beta",
    "NearNumber",
    "NearLatLong",
    "Distance",
    "InPostalCode",
    "InRegion",
    "InRateCenter",
    "InLata",
    "InLocality",
    "PageSize",
    "Page",
    "PageToken",
];

/// Owned-number list parameters the OpenAPI document declares.
pub const LIST_PARAMS: &[&str] = &[
    "Beta",
    "FriendlyName",
    "PhoneNumber",
    "Origin",
    "PageSize",
    "Page",
    "PageToken",
];

/// What a settable field holds, for validation.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Url,
    Method,
    Bool,
    Sid(&'static str),
    OneOf(&'static [&'static str]),
}

/// Form key, response key, kind: the fields purchase and update both set.
const SETTABLE: &[(&str, &str, Kind)] = &[
    ("FriendlyName", "friendly_name", Kind::Text),
    ("ApiVersion", "api_version", Kind::Text),
    ("VoiceUrl", "voice_url", Kind::Url),
    ("VoiceMethod", "voice_method", Kind::Method),
    ("VoiceFallbackUrl", "voice_fallback_url", Kind::Url),
    ("VoiceFallbackMethod", "voice_fallback_method", Kind::Method),
    ("VoiceCallerIdLookup", "voice_caller_id_lookup", Kind::Bool),
    ("SmsUrl", "sms_url", Kind::Url),
    ("SmsMethod", "sms_method", Kind::Method),
    ("SmsFallbackUrl", "sms_fallback_url", Kind::Url),
    ("SmsFallbackMethod", "sms_fallback_method", Kind::Method),
    ("StatusCallback", "status_callback", Kind::Url),
    (
        "StatusCallbackMethod",
        "status_callback_method",
        Kind::Method,
    ),
    (
        "VoiceApplicationSid",
        "voice_application_sid",
        Kind::Sid("AP"),
    ),
    ("SmsApplicationSid", "sms_application_sid", Kind::Sid("AP")),
    ("TrunkSid", "trunk_sid", Kind::Sid("TK")),
    ("IdentitySid", "identity_sid", Kind::Sid("RI")),
    ("AddressSid", "address_sid", Kind::Sid("AD")),
    (
        "EmergencyAddressSid",
        "emergency_address_sid",
        Kind::Sid("AD"),
    ),
    ("BundleSid", "bundle_sid", Kind::Sid("BU")),
    (
        "EmergencyStatus",
        "emergency_status",
        Kind::OneOf(&["Active", "Inactive"]),
    ),
    (
        "VoiceReceiveMode",
        "voice_receive_mode",
        Kind::OneOf(&["voice", "fax"]),
    ),
];

/// Purchase form fields the OpenAPI document declares.
pub fn create_fields() -> Vec<&'static str> {
    let mut fields: Vec<_> = SETTABLE.iter().map(|(k, _, _)| *k).collect();
    fields.extend(["PhoneNumber", "AreaCode"]);
    fields
}

/// Update form fields the OpenAPI document declares.
pub fn update_fields() -> Vec<&'static str> {
    let mut fields: Vec<_> = SETTABLE.iter().map(|(k, _, _)| *k).collect();
    fields.push("AccountSid");
    fields
}

pub(crate) fn router() -> Router<Arc<App>> {
    let base = "/2010-04-01/Accounts/{AccountSid}";
    Router::new()
        .route(
            &format!("{base}/AvailablePhoneNumbers/{{CountryCode}}/Local.json"),
            routing::get(search_local),
        )
        .route(
            &format!("{base}/AvailablePhoneNumbers/{{CountryCode}}/TollFree.json"),
            routing::get(search_toll_free),
        )
        .route(
            &format!("{base}/AvailablePhoneNumbers/{{CountryCode}}/Mobile.json"),
            routing::get(search_mobile),
        )
        .route(
            &format!("{base}/IncomingPhoneNumbers.json"),
            routing::get(list).post(purchase),
        )
        .route(
            &format!("{base}/IncomingPhoneNumbers/{{Sid}}"),
            routing::get(fetch).post(update).delete(release),
        )
}

fn account_sid(account: &AccountKey) -> &str {
    account.id()
}

async fn search_local(
    state: State<Arc<App>>,
    account: Extension<AccountKey>,
    path: Path<(String, String)>,
    query: RawQuery,
) -> Response {
    search(state, account, path, query, NumberType::Local)
}

async fn search_toll_free(
    state: State<Arc<App>>,
    account: Extension<AccountKey>,
    path: Path<(String, String)>,
    query: RawQuery,
) -> Response {
    search(state, account, path, query, NumberType::TollFree)
}

async fn search_mobile(
    state: State<Arc<App>>,
    account: Extension<AccountKey>,
    path: Path<(String, String)>,
    query: RawQuery,
) -> Response {
    search(state, account, path, query, NumberType::Mobile)
}

fn kind_segment(number_type: NumberType) -> &'static str {
    match number_type {
        NumberType::Local => "Local",
        NumberType::TollFree => "TollFree",
        NumberType::Mobile => "Mobile",
    }
}

/// What a search asks for, parsed; the error is Twilio's answer.
struct Search {
    query: SearchQuery,
    contains: Option<ContainsPattern>,
    in_rate_center: Option<String>,
}

fn parse_search(
    pairs: &[(String, String)],
    country: CountryCode,
    number_type: NumberType,
    cap: u32,
) -> Result<Search, Response> {
    let bad = |message: String| twilio_bad_request(errors::TWILIO_INVALID_PARAMETER, message);
    let mut query = SearchQuery::new(country).number_type(number_type);
    if let Some(area_code) = get(pairs, "AreaCode") {
        if area_code.is_empty() || !area_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("AreaCode must be digits, got {area_code:?}")));
        }
        query.area_code = Some(area_code.to_string());
    }
    let mut capabilities = Capabilities::default();
    for (key, flag) in [
        ("VoiceEnabled", &mut capabilities.voice),
        ("SmsEnabled", &mut capabilities.sms),
        ("MmsEnabled", &mut capabilities.mms),
        ("FaxEnabled", &mut capabilities.fax),
    ] {
        if let Some(value) = get(pairs, key) {
            *flag = boolean(key, value).map_err(bad)?;
        }
    }
    query.capabilities = capabilities;
    for key in [
        "ExcludeAllAddressRequired",
        "ExcludeLocalAddressRequired",
        "ExcludeForeignAddressRequired",
        "Beta",
    ] {
        // Every catalogue number needs no address and is not beta, so these
        // filters never remove one; they are still checked.
        if let Some(value) = get(pairs, key) {
            boolean(key, value).map_err(bad)?;
        }
    }
    if let Some(distance) = get(pairs, "Distance") {
        integer("Distance", distance, 0, 500).map_err(bad)?;
    }
    let text = |key: &str| get(pairs, key).map(str::trim).filter(|v| !v.is_empty());
    query.region = text("InRegion").map(str::to_string);
    query.locality = text("InLocality").map(str::to_string);
    query.postal_code = text("InPostalCode").map(str::to_string);
    let page_size = match get(pairs, "PageSize") {
        Some(size) => integer("PageSize", size, 1, 1000).map_err(bad)? as u32,
        None => 50,
    };
    query.limit = page_size.min(cap).min(MAX_SEARCH_LIMIT);
    let contains = match get(pairs, "Contains") {
        Some(pattern) => Some(ContainsPattern::parse(pattern).map_err(bad)?),
        None => None,
    };
    query.validate().map_err(|e| bad(e.to_string()))?;
    Ok(Search {
        query,
        contains,
        in_rate_center: text("InRateCenter").map(str::to_string),
    })
}

fn search(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path((_, country)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    number_type: NumberType,
) -> Response {
    let behaviour = app.behaviour();
    let Some(pairs) = params::pairs(raw.as_deref()) else {
        return twilio_bad_request(
            errors::TWILIO_INVALID_PARAMETER,
            "the query string is not URL-encoded",
        );
    };
    if behaviour.mode == Mode::Strict
        && let Some(key) = undeclared(&pairs, SEARCH_PARAMS)
    {
        return twilio_bad_request(
            errors::TWILIO_INVALID_PARAMETER,
            format!("{key} is not a parameter of this resource"),
        );
    }
    let Ok(country) = CountryCode::parse(&country) else {
        return errors::twilio_not_found(&format!("AvailablePhoneNumbers/{country}"));
    };
    let cap = match behaviour.mode {
        Mode::Live => behaviour.twilio_live_search_cap.max(1),
        Mode::Strict => MAX_SEARCH_LIMIT,
    };
    let search = match parse_search(&pairs, country, number_type, cap) {
        Ok(search) => search,
        Err(response) => return response,
    };
    let found = {
        let owners = app.store.owners();
        app.inventory.search(&search.query, |number| {
            owners.is_owned(number)
                || search
                    .contains
                    .as_ref()
                    .is_some_and(|p| !p.matches(number.digits()))
        })
    };
    let mut found = match found {
        Ok(found) => found,
        Err(e) => return twilio_bad_request(errors::TWILIO_INVALID_PARAMETER, e.to_string()),
    };
    if let Some(rate_center) = &search.in_rate_center {
        found.retain(|a| {
            a.rate_center
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(rate_center))
        });
    }
    let uri = format!(
        "/2010-04-01/Accounts/{}/AvailablePhoneNumbers/{}/{}.json",
        account_sid(&account),
        country,
        kind_segment(number_type)
    );
    render::search_page(
        &found,
        behaviour.mode,
        &uri,
        raw.as_deref(),
        search.query.limit,
    )
}

/// Checks and applies settable fields to `record`.
fn apply_fields(
    record: &mut NumberRecord,
    pairs: &[(String, String)],
    skip: &[&str],
) -> Result<(), Response> {
    for (form_key, json_key, kind) in SETTABLE {
        if skip.contains(form_key) {
            continue;
        }
        let Some(value) = get(pairs, form_key) else {
            continue;
        };
        let value = value.trim();
        let bad = |why: &str| {
            Err(twilio_bad_request(
                errors::TWILIO_INVALID_PARAMETER,
                format!("{form_key} {why}, got {value:?}"),
            ))
        };
        let stored = match kind {
            _ if value.is_empty() => None,
            Kind::Text if value.chars().count() > 64 => return bad("may be at most 64 characters"),
            Kind::Text => Some(value.to_string()),
            Kind::Url => {
                if !(value.starts_with("http://") || value.starts_with("https://")) {
                    return bad("must be an http or https URL");
                }
                Some(value.to_string())
            }
            Kind::Method => match value.to_ascii_uppercase().as_str() {
                m @ ("GET" | "POST") => Some(m.to_string()),
                _ => return bad("must be GET or POST"),
            },
            Kind::Bool => match boolean(form_key, value) {
                Ok(b) => Some(b.to_string()),
                Err(_) => return bad("must be true or false"),
            },
            Kind::Sid(prefix) => {
                if !is_sid(value, prefix) {
                    return bad(&format!("must be {prefix} followed by 32 hex digits"));
                }
                Some(value.to_string())
            }
            Kind::OneOf(allowed) => {
                if !allowed.contains(&value) {
                    return bad(&format!("must be one of {}", allowed.join(", ")));
                }
                Some(value.to_string())
            }
        };
        if *json_key == "friendly_name" {
            record.name = stored;
        } else {
            match stored {
                Some(v) => record.fields.insert(json_key.to_string(), v),
                None => record.fields.remove(*json_key),
            };
        }
    }
    Ok(())
}

fn read_form(app: &App, body: &[u8], declared: &[&str]) -> Result<Vec<(String, String)>, Response> {
    let text = std::str::from_utf8(body).ok();
    let Some(pairs) = params::pairs(text) else {
        return Err(twilio_bad_request(
            errors::TWILIO_INVALID_PARAMETER,
            "the body is not application/x-www-form-urlencoded",
        ));
    };
    if app.behaviour().mode == Mode::Strict
        && let Some(key) = undeclared(&pairs, declared)
    {
        return Err(twilio_bad_request(
            errors::TWILIO_INVALID_PARAMETER,
            format!("{key} is not a parameter of this resource"),
        ));
    }
    Ok(pairs)
}

async fn purchase(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    RawForm(body): RawForm,
) -> Response {
    let pairs = match read_form(&app, &body, &create_fields()) {
        Ok(pairs) => pairs,
        Err(response) => return response,
    };
    let mode = app.behaviour().mode;
    let catalogue: AvailableNumber = match (get(&pairs, "PhoneNumber"), get(&pairs, "AreaCode")) {
        (Some(number), _) => {
            let Ok(number) = PhoneNumber::parse_trusted(number.trim()) else {
                return twilio_bad_request(
                    errors::TWILIO_INVALID_NUMBER,
                    format!(
                        "The phone number you are attempting to purchase, {number}, is invalid."
                    ),
                );
            };
            match app.inventory.contains(&number) {
                Some(catalogue) => catalogue,
                None => return unavailable(&number),
            }
        }
        (None, Some(area_code)) => match first_free_in_area(&app, area_code) {
            Some(catalogue) => catalogue,
            None => {
                return twilio_bad_request(
                    errors::TWILIO_NO_NUMBERS_IN_AREA,
                    format!("No phone numbers found in area code {area_code}."),
                );
            }
        },
        (None, None) => {
            return twilio_bad_request(
                errors::TWILIO_INVALID_NUMBER,
                "A PhoneNumber or AreaCode is required.",
            );
        }
    };
    // Check the fields before buying, so bad input changes nothing.
    let now = app.clock.now();
    let mut template = NumberRecord {
        seq: 0,
        id: String::new(),
        catalogue: catalogue.clone(),
        name: None,
        created_at: now,
        updated_at: now,
        updated: false,
        fields: Default::default(),
    };
    // Live: an EmergencyAddressSid sent with the purchase is ignored (live
    // behaviour 8 in docs/carriers/twilio.md).
    let skip: &[&str] = match mode {
        Mode::Live => &["EmergencyAddressSid"],
        Mode::Strict => &[],
    };
    if let Err(response) = apply_fields(&mut template, &pairs, skip) {
        return response;
    }
    let max_owned = app.twilio_trial(account_sid(&account)).then_some(1);
    let number = catalogue.phone_number.clone();
    let bought = app
        .store
        .buy(&account, catalogue, max_owned, |seq, catalogue| {
            NumberRecord {
                seq,
                id: app.ids.sid("PN"),
                catalogue,
                ..template
            }
        });
    let record = match bought {
        Bought::New(record) | Bought::AlreadyYours(record) => record,
        Bought::Unavailable => return unavailable(&number),
        Bought::LimitReached => {
            return twilio_bad_request(
                errors::TWILIO_TRIAL_LIMIT,
                "Trial accounts are allowed only one Twilio number.",
            );
        }
    };
    let body = render::incoming(&record, account_sid(&account), mode);
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    response.extensions_mut().insert(Committed);
    response
}

fn unavailable(number: &PhoneNumber) -> Response {
    twilio_bad_request(
        errors::TWILIO_UNAVAILABLE,
        format!("The phone number {number} is not available."),
    )
}

fn first_free_in_area(app: &App, area_code: &str) -> Option<AvailableNumber> {
    let owners = app.store.owners();
    [CountryCode::US, CountryCode::CA]
        .into_iter()
        .find_map(|country| {
            let query = SearchQuery::new(country).area_code(area_code).limit(1);
            app.inventory
                .search(&query, |n| owners.is_owned(n))
                .ok()?
                .into_iter()
                .next()
        })
}

async fn list(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    RawQuery(raw): RawQuery,
) -> Response {
    let mode = app.behaviour().mode;
    let Some(pairs) = params::pairs(raw.as_deref()) else {
        return twilio_bad_request(
            errors::TWILIO_INVALID_PARAMETER,
            "the query string is not URL-encoded",
        );
    };
    if mode == Mode::Strict
        && let Some(key) = undeclared(&pairs, LIST_PARAMS)
    {
        return twilio_bad_request(
            errors::TWILIO_INVALID_PARAMETER,
            format!("{key} is not a parameter of this resource"),
        );
    }
    let bad = |m: String| twilio_bad_request(errors::TWILIO_INVALID_PARAMETER, m);
    let page_size = match get(&pairs, "PageSize").map(|v| integer("PageSize", v, 1, 1000)) {
        Some(Ok(n)) => n as usize,
        Some(Err(m)) => return bad(m),
        None => 50,
    };
    let page = match get(&pairs, "Page").map(|v| integer("Page", v, 0, u64::from(u32::MAX))) {
        Some(Ok(n)) => n,
        Some(Err(m)) => return bad(m),
        None => 0,
    };
    let after = match get(&pairs, "PageToken") {
        Some(token) => match token.strip_prefix("PT").and_then(|s| s.parse::<u64>().ok()) {
            Some(seq) => seq,
            None => return bad(format!("PageToken {token:?} was not issued by this API")),
        },
        None => 0,
    };
    let number_filter = get(&pairs, "PhoneNumber").map(str::to_string);
    let name_filter = get(&pairs, "FriendlyName").map(str::to_string);
    let mut lag = ListingLag::new(&app, number_filter.is_some());
    let (records, more) = app.store.list(&account, after, page_size, |r| {
        number_filter
            .as_deref()
            .is_none_or(|f| pattern::owned_number_matches(f, r.catalogue.phone_number.as_str()))
            && name_filter
                .as_deref()
                .is_none_or(|f| render::friendly_name(r) == f)
            && !lag.hides(r)
    });
    let sid = account_sid(&account);
    let mut filters = Vec::new();
    if let Some(f) = &number_filter {
        filters.push(("PhoneNumber", f.clone()));
    }
    if let Some(f) = &name_filter {
        filters.push(("FriendlyName", f.clone()));
    }
    let page_uri = |page: u64, token: Option<u64>| {
        let mut query = filters.clone();
        query.push(("PageSize", page_size.to_string()));
        query.push(("Page", page.to_string()));
        if let Some(token) = token {
            query.push(("PageToken", format!("PT{token}")));
        }
        let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
        format!("/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json?{encoded}")
    };
    let next = more
        .then(|| records.last().map(|r| page_uri(page + 1, Some(r.seq))))
        .flatten();
    let start = page as usize * page_size;
    let items: Vec<Value> = records
        .iter()
        .map(|r| render::incoming(r, sid, mode))
        .collect();
    let end = (start + items.len()).saturating_sub(1);
    let response = Json(json!({
        "incoming_phone_numbers": items,
        "first_page_uri": page_uri(0, None),
        "next_page_uri": next,
        "previous_page_uri": Value::Null,
        "page": page,
        "page_size": page_size,
        "start": start,
        "end": end,
        "uri": page_uri(page, (after > 0).then_some(after)),
    }))
    .into_response();
    lag.mark(response, &records, more)
}

/// The SID from `PN....json`; `None` without the suffix (Twilio would answer
/// XML there, which the emulator does not speak).
fn sid_of(segment: &str) -> Option<&str> {
    segment.strip_suffix(".json")
}

async fn fetch(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path((_, segment)): Path<(String, String)>,
    uri: axum::http::Uri,
) -> Response {
    let found = sid_of(&segment).and_then(|sid| app.store.get(&account, sid));
    match found {
        Some(record) => Json(render::incoming(
            &record,
            account_sid(&account),
            app.behaviour().mode,
        ))
        .into_response(),
        None => errors::twilio_not_found(uri.path()),
    }
}

async fn update(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path((_, segment)): Path<(String, String)>,
    uri: axum::http::Uri,
    RawForm(body): RawForm,
) -> Response {
    let pairs = match read_form(&app, &body, &update_fields()) {
        Ok(pairs) => pairs,
        Err(response) => return response,
    };
    if let Some(target) = get(&pairs, "AccountSid")
        && target != account_sid(&account)
    {
        return twilio_bad_request(
            errors::TWILIO_INVALID_PARAMETER,
            "AccountSid: moving numbers between accounts is not emulated",
        );
    }
    let Some(sid) = sid_of(&segment) else {
        return errors::twilio_not_found(uri.path());
    };
    let now = app.clock.now();
    let result = app.store.update(&account, sid, |record| {
        apply_fields(record, &pairs, &[])?;
        record.updated_at = now.max(record.created_at);
        record.updated = true;
        Ok::<_, Response>(())
    });
    match result {
        None => errors::twilio_not_found(uri.path()),
        Some(Err(response)) => response,
        Some(Ok(record)) => {
            let body = render::incoming(&record, account_sid(&account), app.behaviour().mode);
            let mut response = Json(body).into_response();
            response.extensions_mut().insert(Committed);
            response
        }
    }
}

async fn release(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path((_, segment)): Path<(String, String)>,
    uri: axum::http::Uri,
) -> Response {
    let released =
        sid_of(&segment).and_then(|sid| app.store.release(&account, sid, |_| Ok::<_, ()>(())));
    match released {
        Some(Ok(_)) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            response.extensions_mut().insert(Committed);
            response
        }
        _ => errors::twilio_not_found(uri.path()),
    }
}
