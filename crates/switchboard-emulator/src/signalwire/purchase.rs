//! `POST phone_numbers`: buying one number by its E.164 form. A number not
//! for sale, already owned or lost to a race gets the one 422 answer.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use switchboard_core::PhoneNumber;

use crate::app::{App, Committed};
use crate::config::Mode;
use crate::errors::signalwire_errors;
use crate::state::{AccountKey, Bought, NumberRecord};

use super::{read_json_object, render, unprocessable};

/// Purchase body fields.
pub const PURCHASE_FIELDS: &[&str] = &["number"];

pub(super) async fn purchase(
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
