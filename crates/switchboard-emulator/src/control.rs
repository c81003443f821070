//! The control endpoint under `/__emulator/`: read the request log and the
//! owned numbers, change faults and behaviour, move the clock, settle Telnyx
//! number orders, and place
//! inbound calls and messages (`POST /__emulator/calls`, `.../messages`). It needs no
//! credentials: the emulator is a local test tool and never holds real
//! numbers.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::app::App;
use crate::config::{Behaviour, Faults};
use crate::inbound::{self, CallRequest, Delivery, DeliveryKind, InboundError, MessageRequest};
use crate::telnyx::TelnyxSettlement;
use crate::telnyx::orders::{SettleError, settle};

/// Path prefix of the control endpoint.
pub const CONTROL_PREFIX: &str = "/__emulator";

pub(crate) fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/__emulator/health", get(health))
        .route("/__emulator/requests", get(requests).delete(clear_requests))
        .route("/__emulator/numbers", get(numbers))
        .route(
            "/__emulator/faults",
            get(faults).put(set_faults).delete(clear_faults),
        )
        .route("/__emulator/behaviour", get(behaviour).put(set_behaviour))
        .route("/__emulator/clock/advance", post(advance_clock))
        .route("/__emulator/reset", post(reset))
        .route(
            "/__emulator/calls",
            get(calls).post(place_call).delete(clear_calls),
        )
        .route(
            "/__emulator/messages",
            get(messages).post(send_message).delete(clear_messages),
        )
        .route("/__emulator/telnyx/orders", get(telnyx_orders))
        .route(
            "/__emulator/telnyx/orders/{id}/settle",
            post(settle_telnyx_order),
        )
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

async fn health(State(app): State<Arc<App>>) -> Response {
    Json(json!({
        "status": "ok",
        "carriers": app.config.carriers,
        "behaviour": app.behaviour(),
        "inventory_size": app.inventory.len(),
    }))
    .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestFilter {
    account: Option<String>,
    carrier: Option<String>,
}

async fn requests(State(app): State<Arc<App>>, Query(filter): Query<RequestFilter>) -> Response {
    let entries: Vec<_> = app
        .log
        .entries()
        .into_iter()
        .filter(|e| {
            filter
                .account
                .as_deref()
                .is_none_or(|a| e.account.as_deref() == Some(a))
                && filter.carrier.as_deref().is_none_or(|c| e.carrier == c)
        })
        .collect();
    Json(json!({ "requests": entries })).into_response()
}

async fn clear_requests(State(app): State<Arc<App>>) -> Response {
    app.log.clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn numbers(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "accounts": app.store.snapshot() })).into_response()
}

async fn faults(State(app): State<Arc<App>>) -> Response {
    Json(app.faults().as_ref().clone()).into_response()
}

async fn set_faults(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    let faults: Faults = match serde_json::from_slice(&body) {
        Ok(faults) => faults,
        Err(e) => return bad_request(format!("faults: {e}")),
    };
    if let Err(e) = faults.validate() {
        return bad_request(e);
    }
    app.set_faults(faults.clone());
    Json(faults).into_response()
}

async fn clear_faults(State(app): State<Arc<App>>) -> Response {
    app.set_faults(Faults::default());
    StatusCode::NO_CONTENT.into_response()
}

async fn behaviour(State(app): State<Arc<App>>) -> Response {
    Json(app.behaviour()).into_response()
}

async fn set_behaviour(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    let behaviour: Behaviour = match serde_json::from_slice(&body) {
        Ok(behaviour) => behaviour,
        Err(e) => return bad_request(format!("behaviour: {e}")),
    };
    app.set_behaviour(behaviour);
    Json(behaviour).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    let advance: Advance = match serde_json::from_slice(&body) {
        Ok(advance) => advance,
        Err(e) => return bad_request(format!("clock: {e}")),
    };
    if advance.seconds < 0 {
        return bad_request("clock: seconds must not be negative".into());
    }
    app.clock.advance(advance.seconds);
    Json(json!({ "now": app.clock.now() })).into_response()
}

async fn reset(State(app): State<Arc<App>>) -> Response {
    app.store.clear();
    app.orders.clear();
    app.log.clear();
    app.deliveries.log.clear();
    app.set_faults(Faults::default());
    StatusCode::NO_CONTENT.into_response()
}

async fn telnyx_orders(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "orders": app.orders.summaries() })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settle {
    result: TelnyxSettlement,
}

/// Settles a pending order: `{"result": "success"}` releases an order
/// waiting for requirements, `{"result": "failure"}` fails it.
async fn settle_telnyx_order(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let request: Settle = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return bad_request(format!("settle: {e}")),
    };
    match settle(&app, &id, request.result) {
        Ok(order) => Json(order).into_response(),
        Err(e) => {
            let status = match e {
                SettleError::Unknown => StatusCode::NOT_FOUND,
                SettleError::NotPending(_) => StatusCode::CONFLICT,
            };
            (status, Json(json!({ "error": e.to_string() }))).into_response()
        }
    }
}

/// A refusal as the control endpoint answers it: the status its case
/// calls for, the message, and the case's code.
fn refused(error: &InboundError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        Json(json!({ "error": error.to_string(), "reason": error.code() })),
    )
        .into_response()
}

fn read_json<T: serde::de::DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, InboundError> {
    serde_json::from_slice(body).map_err(|e| InboundError::Invalid {
        field: "body",
        reason: format!("the {what} is not the JSON expected: {e}"),
    })
}

fn answered(result: Result<Delivery, InboundError>) -> Response {
    match result {
        Ok(delivery) => Json(delivery).into_response(),
        Err(error) => refused(&error),
    }
}

async fn place_call(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    match read_json::<CallRequest>("call", &body) {
        Ok(call) => answered(inbound::place_call(&app, &call).await),
        Err(error) => refused(&error),
    }
}

async fn send_message(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    match read_json::<MessageRequest>("message", &body) {
        Ok(message) => answered(inbound::send_message(&app, &message).await),
        Err(error) => refused(&error),
    }
}

fn listing(app: &App, kind: DeliveryKind) -> Response {
    let deliveries: Vec<_> = app
        .deliveries
        .log
        .entries()
        .into_iter()
        .filter(|d| d.kind == kind)
        .collect();
    Json(json!({ "deliveries": deliveries })).into_response()
}

async fn calls(State(app): State<Arc<App>>) -> Response {
    listing(&app, DeliveryKind::Call)
}

async fn messages(State(app): State<Arc<App>>) -> Response {
    listing(&app, DeliveryKind::Message)
}

async fn clear_calls(State(app): State<Arc<App>>) -> Response {
    app.deliveries.log.retain(|d| d.kind != DeliveryKind::Call);
    StatusCode::NO_CONTENT.into_response()
}

async fn clear_messages(State(app): State<Arc<App>>) -> Response {
    app.deliveries
        .log
        .retain(|d| d.kind != DeliveryKind::Message);
    StatusCode::NO_CONTENT.into_response()
}
