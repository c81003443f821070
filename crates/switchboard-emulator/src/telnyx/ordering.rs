//! `POST /number_orders`, `GET /number_orders/{id}` and `GET
//! /number_orders`: buying numbers as an order that answers `pending` and
//! settles later. Every number of an order is checked and held together,
//! or the order is refused and nothing is held.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use switchboard_core::{AvailableNumber, PhoneNumber};

use crate::app::{App, Committed};
use crate::config::{Mode, TelnyxOrderOutcome};
use crate::params::{boolean, get};
use crate::state::{AccountKey, NumberRecord, Refused};

use super::errors::{self, Source};
use super::orders::{Order, OrderNumber, OrderStatus, settle_later};
use super::paging::Page;
use super::render::PURCHASE_PENDING;
use super::{read_json_object, read_query, refuse_unwritable, render_order};

/// Writable fields of `CreateNumberOrderRequest`.
pub const ORDER_FIELDS: &[&str] = &[
    "phone_numbers",
    "connection_id",
    "messaging_profile_id",
    "billing_group_id",
    "customer_reference",
    "sub_number_order_ids",
];

/// Writable fields of each `phone_numbers[]` item.
pub const ORDER_NUMBER_FIELDS: &[&str] = &["phone_number", "regulatory_requirements"];

/// Order list parameters the description declares.
pub const ORDER_LIST_PARAMS: &[&str] = &[
    "filter[status]",
    "filter[created_at][gt]",
    "filter[created_at][lt]",
    "filter[phone_numbers_count]",
    "filter[customer_reference]",
    "filter[requirements_met]",
    "page[number]",
    "page[size]",
];

/// An optional string field: absent or (live) `null` is `None`.
fn string_field(
    object: &Map<String, Value>,
    key: &str,
    mode: Mode,
) -> Result<Option<String>, Response> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::Null) if mode == Mode::Live => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(errors::invalid(
            &format!("/{key}"),
            format!("{key} must be a string"),
        )),
    }
}

/// The numbers asked for, each checked; the error points at the first bad
/// one.
fn read_numbers(
    app: &App,
    object: &Map<String, Value>,
    mode: Mode,
) -> Result<Vec<AvailableNumber>, Response> {
    let missing = || {
        errors::telnyx(
            StatusCode::UNPROCESSABLE_ENTITY,
            errors::MISSING,
            "Missing required parameter",
            "phone_numbers must list at least one {\"phone_number\": \"+E.164\"}",
            Some(Source::Pointer("/phone_numbers")),
        )
    };
    let items = match object.get("phone_numbers") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        _ => return Err(missing()),
    };
    let mut out: Vec<AvailableNumber> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("/phone_numbers/{i}");
        let Value::Object(item) = item else {
            return Err(errors::invalid(
                &at,
                "each phone_numbers item must be an object",
            ));
        };
        refuse_unwritable(app, item, ORDER_NUMBER_FIELDS, &at)?;
        if let Some(requirements) = item.get("regulatory_requirements")
            && !requirements
                .as_array()
                .is_some_and(|r| r.iter().all(Value::is_object))
        {
            return Err(errors::invalid(
                &format!("{at}/regulatory_requirements"),
                "regulatory_requirements must be an array of objects",
            ));
        }
        let pointer = format!("{at}/phone_number");
        let Some(text) = item.get("phone_number").and_then(Value::as_str) else {
            return Err(errors::telnyx(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors::MISSING,
                "Missing required parameter",
                "phone_number is required",
                Some(Source::Pointer(&pointer)),
            ));
        };
        let text = match mode {
            Mode::Live => text.trim(),
            Mode::Strict => text,
        };
        let Ok(number) = PhoneNumber::parse_trusted(text) else {
            return Err(errors::telnyx(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors::NOT_E164,
                "Phone number must be in +E.164 format",
                format!("{text:?} is not a +E.164 phone number"),
                Some(Source::Pointer(&pointer)),
            ));
        };
        if out.iter().any(|n| n.phone_number == number) {
            return Err(errors::telnyx(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors::DUPLICATE,
                "Duplicate resource",
                format!("{number} is listed twice in this order"),
                Some(Source::Pointer(&pointer)),
            ));
        }
        let Some(catalogue) = app.inventory.contains(&number) else {
            return Err(errors::telnyx(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors::NOT_FOUND,
                "Resource not found",
                format!("{number} is not an available phone number: search for numbers first"),
                Some(Source::Pointer(&pointer)),
            ));
        };
        out.push(catalogue);
    }
    Ok(out)
}

pub(super) async fn create(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    body: Bytes,
) -> Response {
    let behaviour = app.behaviour();
    let mode = behaviour.mode;
    let object = match read_json_object(&body) {
        Ok(object) => object,
        Err(response) => return response,
    };
    if let Err(response) = refuse_unwritable(&app, &object, ORDER_FIELDS, "") {
        return response;
    }
    let mut strings = Vec::new();
    for key in [
        "connection_id",
        "messaging_profile_id",
        "billing_group_id",
        "customer_reference",
        "webhook_url",
    ] {
        match string_field(&object, key, mode) {
            Ok(value) => strings.push(value),
            Err(response) => return response,
        }
    }
    let [
        connection_id,
        messaging_profile_id,
        billing_group_id,
        customer_reference,
        webhook_url,
    ] = <[Option<String>; 5]>::try_from(strings).unwrap_or_default();
    let wanted = match read_numbers(&app, &object, mode) {
        Ok(wanted) => wanted,
        Err(response) => return response,
    };
    let now = app.clock.now();
    let pointer = |i: usize| format!("/phone_numbers/{i}/phone_number");
    let numbers = wanted
        .iter()
        .map(|n| n.phone_number.clone())
        .collect::<Vec<_>>();
    let bought = app.store.buy_all(&account, wanted, |seq, catalogue| {
        let mut fields = std::collections::BTreeMap::new();
        fields.insert("status".to_string(), PURCHASE_PENDING.to_string());
        for (key, value) in [
            ("connection_id", &connection_id),
            ("messaging_profile_id", &messaging_profile_id),
            ("billing_group_id", &billing_group_id),
            ("customer_reference", &customer_reference),
        ] {
            if let Some(value) = value {
                fields.insert(key.to_string(), value.clone());
            }
        }
        NumberRecord {
            seq,
            id: app.ids.int_id(),
            catalogue,
            name: customer_reference.clone(),
            created_at: now,
            updated_at: now,
            updated: false,
            fields,
        }
    });
    let records = match bought {
        Ok(records) => records,
        Err((i, Refused::Unavailable)) => {
            return errors::telnyx(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors::IN_USE,
                "Resource in use",
                format!("{} is no longer available", numbers[i]),
                Some(Source::Pointer(&pointer(i))),
            );
        }
        Err((i, Refused::AlreadyYours)) => {
            return errors::telnyx(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors::DUPLICATE,
                "Duplicate resource",
                format!("{} is already yours or on order", numbers[i]),
                Some(Source::Pointer(&pointer(i))),
            );
        }
    };
    let outcome = behaviour.telnyx_order_outcome;
    let waits = outcome == TelnyxOrderOutcome::AwaitRequirements;
    let order = app.orders.insert(Order {
        seq: 0,
        id: app.ids.uuid(),
        account,
        sub_order_id: app.ids.uuid(),
        status: OrderStatus::Pending,
        requirements_met: !waits,
        numbers: records
            .iter()
            .map(|r| OrderNumber {
                id: app.ids.uuid(),
                record_id: r.id.clone(),
                phone_number: r.catalogue.phone_number.clone(),
                country: r.catalogue.country,
                number_type: r.catalogue.number_type,
                status: OrderStatus::Pending,
                requirement_id: waits.then(|| app.ids.uuid()),
            })
            .collect(),
        connection_id,
        messaging_profile_id,
        billing_group_id,
        customer_reference,
        webhook_url: webhook_url.filter(|_| mode == Mode::Live),
        created_at: now,
        updated_at: now,
    });
    settle_later(
        &app,
        order.id.clone(),
        outcome,
        Duration::from_millis(behaviour.telnyx_order_delay_ms),
    );
    let mut response = Json(json!({ "data": render_order::order(&order, mode) })).into_response();
    response.extensions_mut().insert(Committed);
    response
}

pub(super) async fn retrieve(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path(id): Path<String>,
) -> Response {
    match app.orders.get(&account, &id) {
        Some(order) => Json(json!({
            "data": render_order::order(&order, app.behaviour().mode)
        }))
        .into_response(),
        None => errors::not_found(&format!("number order {id}")),
    }
}

fn datetime(key: &str, value: &str) -> Result<DateTime<Utc>, Response> {
    DateTime::parse_from_rfc3339(value)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            errors::bad_request(
                Some(key),
                format!("{key} must be an ISO 8601 date-time, got {value:?}"),
            )
        })
}

pub(super) async fn list(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    RawQuery(raw): RawQuery,
) -> Response {
    let mode = app.behaviour().mode;
    let pairs = match read_query(&app, raw.as_deref(), ORDER_LIST_PARAMS) {
        Ok(pairs) => pairs,
        Err(response) => return response,
    };
    let page = match Page::read(&pairs) {
        Ok(page) => page,
        Err(response) => return response,
    };
    let status = match get(&pairs, "filter[status]") {
        None => None,
        Some(s @ ("pending" | "success" | "failure")) => Some(s),
        Some(other) => {
            return errors::bad_request(
                Some("filter[status]"),
                format!("filter[status] must be pending, success or failure, got {other:?}"),
            );
        }
    };
    let after = match get(&pairs, "filter[created_at][gt]")
        .map(|v| datetime("filter[created_at][gt]", v))
    {
        Some(Ok(at)) => Some(at),
        Some(Err(response)) => return response,
        None => None,
    };
    let before = match get(&pairs, "filter[created_at][lt]")
        .map(|v| datetime("filter[created_at][lt]", v))
    {
        Some(Ok(at)) => Some(at),
        Some(Err(response)) => return response,
        None => None,
    };
    let count = match get(&pairs, "filter[phone_numbers_count]") {
        Some(v) => match v.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => {
                return errors::bad_request(
                    Some("filter[phone_numbers_count]"),
                    format!("filter[phone_numbers_count] must be an integer, got {v:?}"),
                );
            }
        },
        None => None,
    };
    let met = match get(&pairs, "filter[requirements_met]") {
        Some(v) => match boolean("filter[requirements_met]", v) {
            Ok(b) => Some(b),
            Err(m) => return errors::bad_request(Some("filter[requirements_met]"), m),
        },
        None => None,
    };
    let reference = get(&pairs, "filter[customer_reference]");
    let orders = app.orders.list(&account, |o| {
        status.is_none_or(|s| o.status.as_str() == s)
            && after.is_none_or(|at| o.created_at > at)
            && before.is_none_or(|at| o.created_at < at)
            && count.is_none_or(|n| o.numbers.len() == n)
            && met.is_none_or(|m| o.requirements_met == m)
            && reference.is_none_or(|r| o.customer_reference.as_deref() == Some(r))
    });
    let data: Vec<Value> = page
        .slice(&orders)
        .iter()
        .map(|o| render_order::listed_order(o, mode))
        .collect();
    Json(json!({ "data": data, "meta": page.meta(orders.len()) })).into_response()
}
