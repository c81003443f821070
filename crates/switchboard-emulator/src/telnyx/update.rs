//! `PATCH /phone_numbers/{id}` (tags, customer reference, connection: voice
//! routing) and `PATCH /phone_numbers/{id}/messaging` (messaging profile:
//! message routing). Every field is checked before the record changes.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::app::{App, Committed};
use crate::config::Mode;
use crate::state::{AccountKey, NumberRecord};

use super::owned::check_id;
use super::{errors, read_json_object, refuse_unwritable, render};

/// Writable fields of `UpdatePhoneNumberRequest`.
pub const UPDATE_FIELDS: &[&str] = &[
    "tags",
    "external_pin",
    "customer_reference",
    "connection_id",
    "billing_group_id",
    "number_level_routing",
];

/// Fields of `UpdatePhoneNumberMessagingSettingsRequest`.
pub const MESSAGING_FIELDS: &[&str] = &["messaging_profile_id", "messaging_product"];

/// A change to one stored field: set it, or clear it (`None`).
type Change = (&'static str, Option<String>);

/// A string field's change; `null` (live) and `""` clear it.
fn text(key: &'static str, value: &Value, mode: Mode) -> Result<Change, Response> {
    match value {
        Value::Null if mode == Mode::Live => Ok((key, None)),
        Value::String(s) if s.is_empty() => Ok((key, None)),
        Value::String(s) => Ok((key, Some(s.clone()))),
        _ => Err(errors::invalid(
            &format!("/{key}"),
            format!("{key} must be a string"),
        )),
    }
}

fn read_changes(
    object: &Map<String, Value>,
    allowed: &[&'static str],
    mode: Mode,
) -> Result<Vec<Change>, Response> {
    let mut changes = Vec::new();
    for &key in allowed {
        let Some(value) = object.get(key) else {
            continue;
        };
        match key {
            "tags" => {
                let tags = match value {
                    Value::Null if mode == Mode::Live => Vec::new(),
                    Value::Array(items) => {
                        let tags: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
                        match tags {
                            Some(tags) => tags.into_iter().map(str::to_string).collect(),
                            None => {
                                return Err(errors::invalid(
                                    "/tags",
                                    "tags must be an array of strings",
                                ));
                            }
                        }
                    }
                    _ => return Err(errors::invalid("/tags", "tags must be an array of strings")),
                };
                let json = serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into());
                changes.push(("tags", (!tags.is_empty()).then_some(json)));
            }
            "number_level_routing" => {
                if *value != "disabled" {
                    return Err(errors::invalid(
                        "/number_level_routing",
                        "number_level_routing is deprecated; its only value is \"disabled\"",
                    ));
                }
            }
            _ => changes.push(text(key, value, mode)?),
        }
    }
    Ok(changes)
}

fn apply(app: &App, record: &mut NumberRecord, changes: Vec<Change>) {
    for (key, value) in changes {
        if key == "customer_reference" {
            record.name = value.clone();
        }
        match value {
            Some(v) => record.fields.insert(key.to_string(), v),
            None => record.fields.remove(key),
        };
    }
    record.updated_at = app.clock.now().max(record.created_at);
    record.updated = true;
}

/// Reads, checks and applies a PATCH; `render` gives the answer's `data`.
fn patch(
    app: &App,
    account: &AccountKey,
    id: &str,
    body: &Bytes,
    allowed: &[&'static str],
    render: impl FnOnce(&NumberRecord) -> Value,
) -> Response {
    let mode = app.behaviour().mode;
    if let Err(response) = check_id(id) {
        return response;
    }
    let object = match read_json_object(body) {
        Ok(object) => object,
        Err(response) => return response,
    };
    if let Err(response) = refuse_unwritable(app, &object, allowed, "") {
        return response;
    }
    let changes = match read_changes(&object, allowed, mode) {
        Ok(changes) => changes,
        Err(response) => return response,
    };
    let result = app.store.update(account, id, |record| {
        apply(app, record, changes);
        Ok::<_, ()>(())
    });
    match result {
        Some(Ok(record)) => {
            let mut response = Json(json!({ "data": render(&record) })).into_response();
            response.extensions_mut().insert(Committed);
            response
        }
        _ => errors::not_found(&format!("phone number {id}")),
    }
}

pub(super) async fn update(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mode = app.behaviour().mode;
    patch(&app, &account, &id, &body, UPDATE_FIELDS, |r| {
        render::phone_number(r, mode, false)
    })
}

pub(super) async fn update_messaging(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    patch(
        &app,
        &account,
        &id,
        &body,
        MESSAGING_FIELDS,
        render::messaging,
    )
}
