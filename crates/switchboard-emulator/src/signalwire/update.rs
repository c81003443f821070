//! `PUT phone_numbers/{id}`: which fields an update may set, how each is
//! checked (handlers, methods, ids), and the record changed only when all
//! of them pass.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::app::{App, Committed};
use crate::config::Mode;
use crate::errors::signalwire_plain;
use crate::state::AccountKey;

use super::{read_json_object, render, unprocessable};

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

pub(super) async fn update(
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
