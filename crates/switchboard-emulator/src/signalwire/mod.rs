//! SignalWire REST: `/api/relay/rest/phone_numbers`, JSON in and out.
#![allow(
    clippy::result_large_err,
    reason = "the error is the HTTP answer itself, built once on a rare path and returned as is"
)]

mod render;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing;
use axum::{Json, Router};
use serde_json::{Map, Value};
use switchboard_core::{
    AvailableNumber, CountryCode, DigitPattern, MAX_SEARCH_LIMIT, NumberType, PhoneNumber,
    SearchQuery,
};

use crate::app::{App, Committed};
use crate::config::Mode;
use crate::errors::{signalwire_errors, signalwire_plain};
use crate::lag::ListingLag;
use crate::params::{self, get, integer, undeclared};
use crate::state::{AccountKey, Bought, MAX_ADVANCE_SECS, NumberRecord};

/// Search parameters the OpenAPI documents declare.
pub const SEARCH_PARAMS: &[&str] = &[
    "areacode",
    "number_type",
    "starts_with",
    "contains",
    "ends_with",
    "max_results",
    "region",
    "city",
];

/// Owned-number list parameters the current OpenAPI document declares.
pub const LIST_PARAMS: &[&str] = &[
    "filter_name",
    "filter_number",
    "page_number",
    "page_size",
    "page_token",
];

/// Purchase body fields.
pub const PURCHASE_FIELDS: &[&str] = &["number"];

/// Update body fields (`UpdatePhoneNumberRequest`).
pub const UPDATE_FIELDS: &[&str] = &[
    "name",
    "call_handler",
    "call_receive_mode",
    "call_request_url",
    "call_request_method",
    "call_fallback_url",
    "call_fallback_method",
    "call_status_callback_url",
    "call_status_callback_method",
    "call_laml_application_id",
    "call_dialogflow_agent_id",
    "call_relay_topic",
    "call_relay_topic_status_callback_url",
    "call_relay_script_url",
    "call_relay_context",
    "call_relay_context_status_callback_url",
    "call_relay_application",
    "call_relay_connector_id",
    "call_sip_endpoint_id",
    "call_verto_resource",
    "call_video_room_id",
    "message_handler",
    "message_request_url",
    "message_request_method",
    "message_fallback_url",
    "message_fallback_method",
    "message_laml_application_id",
    "message_relay_topic",
    "message_relay_context",
    "message_relay_application",
];

const CALL_HANDLERS: &[&str] = &[
    "relay_context",
    "relay_topic",
    "relay_script",
    "relay_application",
    "relay_connector",
    "relay_sip_endpoint",
    "relay_verto_endpoint",
    "laml_webhooks",
    "laml_application",
    "dialogflow",
    "video_room",
];
const MESSAGE_HANDLERS: &[&str] = &[
    "relay_context",
    "relay_topic",
    "relay_application",
    "laml_webhooks",
    "laml_application",
];

const BASE: &str = "/api/relay/rest";

pub(crate) fn router() -> Router<Arc<App>> {
    Router::new()
        .route(
            &format!("{BASE}/phone_numbers/search"),
            routing::get(search),
        )
        .route(
            &format!("{BASE}/phone_numbers"),
            routing::get(list).post(purchase),
        )
        .route(
            &format!("{BASE}/phone_numbers/{{id}}"),
            routing::get(fetch).put(update).delete(release),
        )
}

fn unprocessable(detail: impl Into<String>) -> Response {
    signalwire_errors(StatusCode::UNPROCESSABLE_ENTITY, Some(detail.into()))
}

fn read_query(
    app: &App,
    raw: Option<&str>,
    declared: &[&str],
) -> Result<Vec<(String, String)>, Response> {
    let Some(pairs) = params::pairs(raw) else {
        return Err(signalwire_errors(
            StatusCode::BAD_REQUEST,
            Some("the query string is not URL-encoded".into()),
        ));
    };
    if app.behaviour().mode == Mode::Strict
        && let Some(key) = undeclared(&pairs, declared)
    {
        return Err(signalwire_errors(
            StatusCode::BAD_REQUEST,
            Some(format!("{key} is not a parameter of this endpoint")),
        ));
    }
    Ok(pairs)
}

/// Parses a search; the error is SignalWire's answer.
fn parse_search(pairs: &[(String, String)]) -> Result<SearchQuery, Response> {
    let number_type = match get(pairs, "number_type") {
        None | Some("local") => NumberType::Local,
        Some("toll-free") => NumberType::TollFree,
        Some("longcode") => {
            return Err(signalwire_errors(
                StatusCode::BAD_REQUEST,
                Some("number_type must be local or toll-free".into()),
            ));
        }
        Some(other) => {
            return Err(unprocessable(format!(
                "number_type must be local or toll-free, got {other:?}"
            )));
        }
    };
    let mut query = SearchQuery::new(CountryCode::US).number_type(number_type);
    if let Some(area_code) = get(pairs, "areacode") {
        if area_code.len() != 3 || !area_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unprocessable(format!(
                "areacode must be three digits, got {area_code:?}"
            )));
        }
        query.area_code = Some(area_code.to_string());
    }
    let patterns: Vec<_> = ["starts_with", "contains", "ends_with"]
        .into_iter()
        .filter_map(|key| get(pairs, key).map(|v| (key, v)))
        .collect();
    if patterns.len() > 1 {
        return Err(unprocessable(
            "only one of starts_with, contains and ends_with may be given",
        ));
    }
    if let Some((key, digits)) = patterns.first() {
        if !(3..=7).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unprocessable(format!(
                "{key} must be 3 to 7 digits, got {digits:?}"
            )));
        }
        let digits = digits.to_string();
        query.pattern = Some(match *key {
            "starts_with" => DigitPattern::StartsWith(digits),
            "contains" => DigitPattern::Contains(digits),
            _ => DigitPattern::EndsWith(digits),
        });
    }
    let region = get(pairs, "region").filter(|v| !v.trim().is_empty());
    let city = get(pairs, "city").filter(|v| !v.trim().is_empty());
    if number_type == NumberType::TollFree && (region.is_some() || city.is_some()) {
        return Err(unprocessable(
            "region and city cannot be used with toll-free numbers",
        ));
    }
    if city.is_some() && region.is_none() {
        return Err(unprocessable("city requires region"));
    }
    query.region = region.map(str::to_string);
    query.locality = city.map(str::to_string);
    query.limit = match get(pairs, "max_results") {
        // Live clamps rather than refuses above 100.
        Some(n) => integer("max_results", n, 1, u64::MAX)
            .map_err(unprocessable)?
            .min(u64::from(MAX_SEARCH_LIMIT)) as u32,
        None => 50,
    };
    query.validate().map_err(|e| unprocessable(e.to_string()))?;
    Ok(query)
}

async fn search(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let mode = app.behaviour().mode;
    let pairs = match read_query(&app, raw.as_deref(), SEARCH_PARAMS) {
        Ok(pairs) => pairs,
        Err(response) => return response,
    };
    let query = match parse_search(&pairs) {
        Ok(query) => query,
        Err(response) => return response,
    };
    let mut found: Vec<AvailableNumber> = Vec::new();
    {
        let owners = app.store.owners();
        for country in [CountryCode::US, CountryCode::CA] {
            let remaining = query.limit as usize - found.len();
            if remaining == 0 {
                break;
            }
            let mut q = query.clone();
            q.country = country;
            q.limit = remaining as u32;
            match app.inventory.search(&q, |n| owners.is_owned(n)) {
                Ok(more) => found.extend(more),
                Err(e) => return unprocessable(e.to_string()),
            }
        }
    }
    let self_link = match raw.as_deref() {
        Some(q) if !q.is_empty() => format!("{BASE}/phone_numbers/search?{q}"),
        _ => format!("{BASE}/phone_numbers/search"),
    };
    render::search_page(&found, mode, &self_link)
}

fn read_json_object(body: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(signalwire_errors(
            StatusCode::BAD_REQUEST,
            Some("the body must be a JSON object".into()),
        )),
    }
}

async fn purchase(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    body: Bytes,
) -> Response {
    let mode = app.behaviour().mode;
    let object = match read_json_object(&body) {
        Ok(object) => object,
        Err(response) => return response,
    };
    if mode == Mode::Strict
        && let Some(key) = object
            .keys()
            .find(|k| !PURCHASE_FIELDS.contains(&k.as_str()))
    {
        return unprocessable(format!("{key} is not a field of this request"));
    }
    let Some(number) = object.get("number").and_then(Value::as_str) else {
        return unprocessable("number can't be blank");
    };
    let unavailable = || {
        let detail = match mode {
            // Live answers a lost race with a null detail.
            Mode::Live => None,
            Mode::Strict => Some(format!("{number} is not available")),
        };
        signalwire_errors(StatusCode::UNPROCESSABLE_ENTITY, detail)
    };
    let Ok(phone_number) = PhoneNumber::parse_trusted(number.trim()) else {
        return unprocessable(format!("number {number:?} is not E.164"));
    };
    let Some(catalogue) = app.inventory.contains(&phone_number) else {
        return unavailable();
    };
    let now = app.clock.now();
    let bought = app
        .store
        .buy(&account, catalogue, None, |seq, catalogue| NumberRecord {
            seq,
            id: app.ids.uuid(),
            catalogue,
            name: None,
            created_at: now,
            updated_at: now,
            updated: false,
            fields: Default::default(),
        });
    match bought {
        Bought::New(record) => {
            let mut response = Json(render::phone_number(&record, mode)).into_response();
            response.extensions_mut().insert(Committed);
            response
        }
        Bought::AlreadyYours(_) | Bought::Unavailable | Bought::LimitReached => unavailable(),
    }
}

async fn list(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    RawQuery(raw): RawQuery,
) -> Response {
    let mode = app.behaviour().mode;
    let pairs = match read_query(&app, raw.as_deref(), LIST_PARAMS) {
        Ok(pairs) => pairs,
        Err(response) => return response,
    };
    let page_size = match get(&pairs, "page_size").map(|v| integer("page_size", v, 1, 1000)) {
        Some(Ok(n)) => n as usize,
        Some(Err(m)) => return unprocessable(m),
        None => 50,
    };
    let after = match get(&pairs, "page_token") {
        Some(token) => match token.strip_prefix("PA").and_then(|s| s.parse::<u64>().ok()) {
            Some(seq) => seq,
            None => return unprocessable(format!("page_token {token:?} was not issued here")),
        },
        None => 0,
    };
    let name_filter = get(&pairs, "filter_name").map(str::to_lowercase);
    let number_filter = get(&pairs, "filter_number").map(|f| f.trim().to_string());
    let mut lag = ListingLag::new(&app, number_filter.is_some());
    let (records, more) = app.store.list(&account, after, page_size, |r| {
        number_filter
            .as_deref()
            .is_none_or(|f| r.catalogue.phone_number.as_str().contains(f))
            && name_filter.as_deref().is_none_or(|f| {
                r.name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().contains(f))
            })
            && !lag.hides(r)
    });
    let link = |token: Option<u64>| {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(f) = get(&pairs, "filter_name") {
            query.push(("filter_name", f.to_string()));
        }
        if let Some(f) = &number_filter {
            query.push(("filter_number", f.clone()));
        }
        query.push(("page_size", page_size.to_string()));
        if let Some(token) = token {
            query.push(("page_token", format!("PA{token}")));
        }
        let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
        format!("{BASE}/phone_numbers?{encoded}")
    };
    let next = more
        .then(|| records.last().map(|r| link(Some(r.seq))))
        .flatten();
    let data: Vec<Value> = records
        .iter()
        .map(|r| render::phone_number(r, mode))
        .collect();
    let mut links = Map::new();
    links.insert(
        "self".into(),
        Value::from(link((after > 0).then_some(after))),
    );
    links.insert("first".into(), Value::from(link(None)));
    if let Some(next) = next {
        links.insert("next".into(), Value::from(next));
    }
    let response = Json(serde_json::json!({ "links": links, "data": data })).into_response();
    lag.mark(response, &records, more)
}

async fn fetch(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path(id): Path<String>,
) -> Response {
    match app.store.get(&account, &id) {
        Some(record) => Json(render::phone_number(&record, app.behaviour().mode)).into_response(),
        None => signalwire_plain(StatusCode::NOT_FOUND),
    }
}

/// Checks one update field; `Ok(None)` clears it.
fn check_field(key: &str, value: &Value) -> Result<Option<String>, String> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(s) if s.is_empty() => return Ok(None),
        Value::String(s) => s.as_str(),
        _ => return Err(format!("{key} must be a string")),
    };
    let one_of = |allowed: &[&str]| {
        if allowed.contains(&text) {
            Ok(Some(text.to_string()))
        } else {
            Err(format!("{key} must be one of {}", allowed.join(", ")))
        }
    };
    match key {
        "call_handler" => one_of(CALL_HANDLERS),
        "message_handler" => one_of(MESSAGE_HANDLERS),
        "call_receive_mode" => one_of(&["voice", "fax"]),
        k if k.ends_with("_method") => one_of(&["GET", "POST"]),
        "call_video_room_id" | "call_sip_endpoint_id" => uuid::Uuid::parse_str(text)
            .map(|_| Some(text.to_string()))
            .map_err(|_| format!("{key} must be a UUID")),
        "name" if text.chars().count() > 255 => Err("name may be at most 255 characters".into()),
        _ => Ok(Some(text.to_string())),
    }
}

async fn update(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mode = app.behaviour().mode;
    let object = match read_json_object(&body) {
        Ok(object) => object,
        Err(response) => return response,
    };
    let mut changes = Vec::new();
    for (key, value) in &object {
        if !UPDATE_FIELDS.contains(&key.as_str()) {
            if mode == Mode::Strict {
                return unprocessable(format!("{key} is not a field of this request"));
            }
            continue;
        }
        match check_field(key, value) {
            Ok(v) => changes.push((key.clone(), v)),
            Err(detail) => return unprocessable(detail),
        }
    }
    let now = app.clock.now();
    let result = app.store.update(&account, &id, |record| {
        for (key, value) in changes {
            if key == "name" {
                record.name = value;
            } else {
                match value {
                    Some(v) => record.fields.insert(key, v),
                    None => record.fields.remove(&key),
                };
            }
        }
        record.updated_at = now.max(record.created_at);
        record.updated = true;
        Ok::<_, ()>(())
    });
    match result {
        Some(Ok(record)) => {
            let mut response = Json(render::phone_number(&record, mode)).into_response();
            response.extensions_mut().insert(Committed);
            response
        }
        _ => signalwire_plain(StatusCode::NOT_FOUND),
    }
}

async fn release(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path(id): Path<String>,
) -> Response {
    let cooldown = app.behaviour().signalwire_release_cooldown_secs;
    let now = app.clock.now();
    let result = app.store.release(&account, &id, |record| {
        let Some(secs) = cooldown else {
            return Ok(());
        };
        let secs = i64::try_from(secs)
            .unwrap_or(i64::MAX)
            .min(MAX_ADVANCE_SECS);
        let until = chrono::TimeDelta::try_seconds(secs)
            .and_then(|d| record.created_at.checked_add_signed(d))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        if now < until {
            return Err(format!(
                "Number was purchased too recently to release. Please wait until {} UTC to \
                 release this number, or contact Support for assistance.",
                until.format("%Y-%m-%d %H:%M:%S")
            ));
        }
        Ok(())
    });
    match result {
        Some(Ok(_)) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            response.extensions_mut().insert(Committed);
            response
        }
        Some(Err(detail)) => unprocessable(detail),
        None => signalwire_plain(StatusCode::NOT_FOUND),
    }
}
