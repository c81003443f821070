//! SignalWire REST: `/api/relay/rest/phone_numbers`, JSON in and out.
//!
//! This module routes the endpoints to their handlers and holds what they
//! share: reading a query or a JSON body, and the 422 answer. Each endpoint
//! is a module of its own: [`search`](mod@search),
//! [`purchase`](mod@purchase), [`owned`] (listing and fetching),
//! [`update`](mod@update) (with its field checks) and
//! [`release`](mod@release) (with the cooldown after a purchase).
#![allow(
    clippy::result_large_err,
    reason = "the error is the HTTP answer itself, built once on a rare path and returned as is"
)]

mod owned;
mod purchase;
mod release;
mod render;
mod search;
mod update;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use serde_json::{Map, Value};

use crate::app::App;
use crate::config::Mode;
use crate::errors::signalwire_errors;
use crate::params::{self, undeclared};

use owned::{fetch, list};
use purchase::purchase;
use release::release;
use search::search;
use update::update;

pub use owned::LIST_PARAMS;
pub use purchase::PURCHASE_FIELDS;
pub use search::SEARCH_PARAMS;
pub use update::UPDATE_FIELDS;

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

fn read_json_object(body: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(signalwire_errors(
            StatusCode::BAD_REQUEST,
            Some("the body must be a JSON object".into()),
        )),
    }
}
