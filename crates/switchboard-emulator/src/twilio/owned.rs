//! The numbers an account owns: listing them (filtered and paged as Twilio
//! pages), fetching one, updating its fields, releasing it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, RawForm, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::app::{App, Committed};
use crate::config::Mode;
use crate::errors::{self, twilio_bad_request};
use crate::lag::ListingLag;
use crate::params::{self, get, integer, undeclared};
use crate::state::AccountKey;

use super::fields::{apply_fields, read_form, update_fields};
use super::{account_sid, pattern, render};

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

pub(super) async fn list(
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

pub(super) async fn fetch(
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

pub(super) async fn update(
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

pub(super) async fn release(
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
