//! Telnyx's JSON shapes for number orders. Creating and retrieving an order
//! answer `NumberOrderWithPhoneNumbers`, whose numbers are order phone
//! numbers (their own UUID, status and requirements); the order list
//! answers `NumberOrder`, whose numbers are `{id, phone_number}` with the
//! id of the number's `/phone_numbers` record. The description's `allOf`
//! joins both item shapes under one name; each endpoint gets the one its
//! schema names first.

use serde_json::{Map, Value, json};

use crate::config::Mode;

use super::orders::{Order, OrderNumber, OrderStatus};
use super::render::{number_type, timestamp};

fn order_number(number: &OrderNumber) -> Value {
    let requirements: Vec<Value> = number
        .requirement_id
        .iter()
        .map(|id| {
            json!({
                "record_type": "phone_number_regulatory_requirement",
                "requirement_id": id,
                "field_type": "address",
            })
        })
        .collect();
    let requirements_met = number.requirement_id.is_none() || number.status == OrderStatus::Success;
    let mut item = json!({
        "id": number.id,
        "record_type": "number_order_phone_number",
        "phone_number": number.phone_number.as_str(),
        "regulatory_requirements": requirements,
        "requirements_met": requirements_met,
        "status": number.status.as_str(),
        "phone_number_type": number_type(number.number_type),
        "country_code": number.country.as_str(),
    });
    if number.requirement_id.is_some()
        && let Some(map) = item.as_object_mut()
    {
        let status = match number.status {
            OrderStatus::Pending => "requirement-info-pending",
            OrderStatus::Success => "approved",
            OrderStatus::Failure => "cancelled",
        };
        map.insert("requirements_status".into(), Value::from(status));
    }
    item
}

fn common(order: &Order, mode: Mode) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("id".into(), Value::from(order.id.as_str()));
    map.insert("record_type".into(), Value::from("number_order"));
    map.insert(
        "phone_numbers_count".into(),
        Value::from(order.numbers.len()),
    );
    for (key, value) in [
        ("connection_id", &order.connection_id),
        ("messaging_profile_id", &order.messaging_profile_id),
        ("billing_group_id", &order.billing_group_id),
        ("customer_reference", &order.customer_reference),
    ] {
        match (value, mode) {
            (Some(v), _) => {
                map.insert(key.into(), Value::from(v.as_str()));
            }
            (None, Mode::Live) => {
                map.insert(key.into(), Value::Null);
            }
            (None, Mode::Strict) => {}
        }
    }
    // The response spells it with an extra "s"; the request does not.
    map.insert(
        "sub_number_orders_ids".into(),
        json!([order.sub_order_id.as_str()]),
    );
    map.insert("status".into(), Value::from(order.status.as_str()));
    map.insert(
        "created_at".into(),
        Value::from(timestamp(order.created_at)),
    );
    map.insert(
        "updated_at".into(),
        Value::from(timestamp(order.updated_at)),
    );
    map.insert(
        "requirements_met".into(),
        Value::from(order.requirements_met),
    );
    map
}

/// `NumberOrderWithPhoneNumbers`.
pub(super) fn order(order: &Order, mode: Mode) -> Value {
    let mut map = common(order, mode);
    map.insert(
        "phone_numbers".into(),
        Value::Array(order.numbers.iter().map(order_number).collect()),
    );
    Value::Object(map)
}

/// `NumberOrder`, as the order list has it.
pub(super) fn listed_order(order: &Order, mode: Mode) -> Value {
    let mut map = common(order, mode);
    map.insert(
        "phone_numbers".into(),
        Value::Array(
            order
                .numbers
                .iter()
                .map(|n| json!({ "id": n.record_id, "phone_number": n.phone_number.as_str() }))
                .collect(),
        ),
    );
    Value::Object(map)
}
