//! `GET phone_numbers` and `GET phone_numbers/{id}`: the numbers an account
//! owns, filtered by name and number, paged by token.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::app::App;
use crate::errors::signalwire_plain;
use crate::lag::ListingLag;
use crate::params::{get, integer};
use crate::state::AccountKey;

use super::{BASE, read_query, render, unprocessable};

/// Owned-number list parameters the current OpenAPI document declares.
pub const LIST_PARAMS: &[&str] = &[
    "filter_name",
    "filter_number",
    "page_number",
    "page_size",
    "page_token",
];

pub(super) async fn list(
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

pub(super) async fn fetch(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path(id): Path<String>,
) -> Response {
    match app.store.get(&account, &id) {
        Some(record) => Json(render::phone_number(&record, app.behaviour().mode)).into_response(),
        None => signalwire_plain(StatusCode::NOT_FOUND),
    }
}
