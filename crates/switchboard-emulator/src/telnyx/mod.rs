//! Telnyx API v2 (`https://api.telnyx.com/v2`): searching, ordering,
//! owned numbers and their release, JSON in and out, `Authorization:
//! Bearer` with an API v2 key.
//!
//! Buying is asynchronous here, unlike the other two carriers: `POST
//! /number_orders` answers an order in `pending`, and the order settles
//! later ([`orders`] holds the orders and settles them, as
//! `Behaviour::telnyx_order_outcome` says). While it is pending its numbers
//! are held (for sale to nobody) and listed with `status:
//! purchase-pending`.
//!
//! One module per endpoint family: [`search`](mod@search), [`ordering`]
//! (the order endpoints), [`owned`] (listing and fetching numbers),
//! [`update`](mod@update) (PATCH of a number and of its messaging
//! settings) and [`release`](mod@release); [`render`] and
//! [`render_order`] hold the JSON shapes, [`errors`] the `errors[]`
//! bodies, [`paging`] `page[number]`/`page[size]`.
//!
//! Not here yet: inbound webhooks (Ed25519-signed, with the
//! `number_order.complete` event). They belong in `crate::inbound`, beside
//! the Twilio and SignalWire ones; an order keeps the `webhook_url` it was
//! created with ([`orders::Order::webhook_url`]) so that delivery can find
//! it.
#![allow(
    clippy::result_large_err,
    reason = "the error is the HTTP answer itself, built once on a rare path and returned as is"
)]

pub(crate) mod errors;
mod ordering;
pub(crate) mod orders;
mod owned;
mod paging;
mod release;
mod render;
mod render_order;
mod search;
mod update;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing;
use serde_json::{Map, Value};

use crate::app::App;
use crate::config::{Mode, Operation};
use crate::params;

pub(crate) use orders::Orders;
pub use orders::{TelnyxOrder, TelnyxOrderNumber, TelnyxSettlement};

pub use ordering::{ORDER_FIELDS, ORDER_LIST_PARAMS, ORDER_NUMBER_FIELDS};
pub use owned::LIST_PARAMS;
pub use search::SEARCH_PARAMS;
pub use update::{MESSAGING_FIELDS, UPDATE_FIELDS};

/// The base of every Telnyx path.
pub(crate) const BASE: &str = "/v2";

pub(crate) fn router() -> Router<Arc<App>> {
    Router::new()
        .route(
            &format!("{BASE}/available_phone_numbers"),
            routing::get(search::search),
        )
        .route(
            &format!("{BASE}/number_orders"),
            routing::get(ordering::list).post(ordering::create),
        )
        .route(
            &format!("{BASE}/number_orders/{{number_order_id}}"),
            routing::get(ordering::retrieve),
        )
        .route(&format!("{BASE}/phone_numbers"), routing::get(owned::list))
        .route(
            &format!("{BASE}/phone_numbers/{{id}}"),
            routing::get(owned::retrieve)
                .patch(update::update)
                .delete(release::release),
        )
        .route(
            &format!("{BASE}/phone_numbers/{{id}}/messaging"),
            routing::get(owned::messaging).patch(update::update_messaging),
        )
        .route(
            &format!("{BASE}/phone_numbers/{{id}}/voice"),
            routing::get(owned::voice),
        )
}

/// The operation a matched Telnyx route performs, for faults and the log.
/// Reading an order is a fetch: it is how a client polls its purchase.
pub(crate) fn operation(method: &Method, route: &str) -> Option<Operation> {
    let rest = route.strip_prefix(BASE)?;
    let op = match (method.as_str(), rest) {
        ("GET", "/available_phone_numbers") => Operation::Search,
        ("POST", "/number_orders") => Operation::Purchase,
        ("GET", "/number_orders" | "/phone_numbers") => Operation::List,
        ("GET", _) => Operation::Fetch,
        ("PATCH", _) => Operation::Update,
        ("DELETE", "/phone_numbers/{id}") => Operation::Release,
        _ => return None,
    };
    Some(op)
}

/// The query's pairs; strict mode refuses any key the description does not
/// declare, live mode ignores them (as the live API ignores keys an SDK
/// forgot to wrap in `filter[...]`).
fn read_query(
    app: &App,
    raw: Option<&str>,
    declared: &[&str],
) -> Result<Vec<(String, String)>, Response> {
    let Some(pairs) = params::pairs(raw) else {
        return Err(errors::bad_request(
            None,
            "the query string is not URL-encoded",
        ));
    };
    if app.behaviour().mode == Mode::Strict
        && let Some(key) = params::undeclared(&pairs, declared)
    {
        return Err(errors::bad_request(
            Some(key),
            format!("{key} is not a parameter of this endpoint"),
        ));
    }
    Ok(pairs)
}

/// A JSON object body, or the 400 that says it is not one.
fn read_json_object(body: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(errors::telnyx(
            StatusCode::BAD_REQUEST,
            errors::BAD_REQUEST,
            "Bad Request",
            "the body must be a JSON object",
            None,
        )),
    }
}

/// Strict mode: the first body field not in `writable`, refused with a
/// pointer to it. Live mode ignores such fields.
fn refuse_unwritable(
    app: &App,
    object: &Map<String, Value>,
    writable: &[&str],
    at: &str,
) -> Result<(), Response> {
    if app.behaviour().mode != Mode::Strict {
        return Ok(());
    }
    match object.keys().find(|k| !writable.contains(&k.as_str())) {
        Some(key) => Err(errors::invalid(
            &format!("{at}/{key}"),
            format!("{key} is not a writable field of this request"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_their_operations() {
        let op = |m: Method, r: &str| operation(&m, r);
        assert_eq!(
            op(Method::GET, "/v2/available_phone_numbers"),
            Some(Operation::Search)
        );
        assert_eq!(
            op(Method::POST, "/v2/number_orders"),
            Some(Operation::Purchase)
        );
        assert_eq!(op(Method::GET, "/v2/number_orders"), Some(Operation::List));
        assert_eq!(
            op(Method::GET, "/v2/number_orders/{number_order_id}"),
            Some(Operation::Fetch)
        );
        assert_eq!(op(Method::GET, "/v2/phone_numbers"), Some(Operation::List));
        assert_eq!(
            op(Method::PATCH, "/v2/phone_numbers/{id}/messaging"),
            Some(Operation::Update)
        );
        assert_eq!(
            op(Method::DELETE, "/v2/phone_numbers/{id}"),
            Some(Operation::Release)
        );
        assert_eq!(op(Method::PUT, "/v2/phone_numbers/{id}"), None);
    }
}
