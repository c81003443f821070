//! Telnyx's JSON shapes for numbers: search results with string costs, and
//! an owned number with its voice and messaging settings. Unset optional
//! strings are `null` live (as the live answers show) and left out strict,
//! where the description types them as plain, non-nullable strings.

use axum::Json;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use switchboard_core::{AvailableNumber, NumberType};

use crate::config::Mode;
use crate::state::{NumberRecord, splitmix64};

/// An owned number's status while its order is pending.
pub(crate) const PURCHASE_PENDING: &str = "purchase-pending";
/// An owned number's status once its order succeeded.
pub(crate) const ACTIVE: &str = "active";

pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn number_type(number_type: NumberType) -> &'static str {
    match number_type {
        NumberType::Local => "local",
        NumberType::TollFree => "toll_free",
        NumberType::Mobile => "mobile",
    }
}

/// A stable hash of a number, for the catalogue facts Telnyx has and the
/// catalogue does not (quickship, reservable).
fn hash(number: &AvailableNumber) -> u64 {
    let digits: u64 = number.phone_number.digits().parse().unwrap_or(0);
    splitmix64(digits)
}

/// Toll-free numbers that need extra time before they take calls are not
/// quickship; a quarter of them, chosen by number. Others always are.
pub(crate) fn quickship(number: &AvailableNumber) -> bool {
    number.number_type != NumberType::TollFree || !(hash(number) >> 8).is_multiple_of(4)
}

/// A fifth of the numbers, chosen by number, cannot be reserved.
pub(crate) fn reservable(number: &AvailableNumber) -> bool {
    !hash(number).is_multiple_of(5)
}

fn features(number: &AvailableNumber, mode: Mode) -> Vec<Value> {
    let c = &number.capabilities;
    let mut names = Vec::new();
    for (on, name) in [
        (c.sms, "sms"),
        (c.mms, "mms"),
        (c.voice, "voice"),
        (c.fax, "fax"),
        (c.voice, "emergency"),
    ] {
        if on {
            names.push(name);
        }
    }
    // Live answers also list `hd_voice`, which the description's feature
    // enum does not have.
    if mode == Mode::Live && c.voice {
        names.push("hd_voice");
    }
    names.into_iter().map(|n| json!({ "name": n })).collect()
}

fn costs(number: &AvailableNumber) -> Value {
    let (upfront, monthly) = match number.number_type {
        NumberType::Local => ("1.00", "1.00"),
        NumberType::TollFree => ("1.00", "2.00"),
        NumberType::Mobile => ("1.00", "1.50"),
    };
    json!({ "upfront_cost": upfront, "monthly_cost": monthly, "currency": "USD" })
}

fn regions(number: &AvailableNumber) -> Vec<Value> {
    let mut out =
        vec![json!({"region_type": "country_code", "region_name": number.country.as_str()})];
    for (kind, value) in [
        ("rate_center", number.rate_center.as_deref()),
        ("state", number.region.as_deref()),
        ("location", number.locality.as_deref()),
    ] {
        if let Some(value) = value {
            out.push(json!({ "region_type": kind, "region_name": value }));
        }
    }
    out
}

fn available(number: &AvailableNumber, mode: Mode) -> Value {
    let mut item = json!({
        "record_type": "available_phone_number",
        "phone_number": number.phone_number.as_str(),
        "vanity_format": match mode { Mode::Live => Value::Null, Mode::Strict => Value::from("") },
        "best_effort": false,
        "quickship": quickship(number),
        "reservable": reservable(number),
        "region_information": regions(number),
        "cost_information": costs(number),
        "features": features(number, mode),
    });
    if mode == Mode::Live
        && let Some(map) = item.as_object_mut()
    {
        map.insert(
            "phone_number_type".into(),
            Value::from(number_type(number.number_type)),
        );
    }
    item
}

/// A search answer: `data` and `meta` (not `PaginationMeta`); live adds the
/// second top-level `metadata` the live answers carry. Its content is not
/// documented, so it repeats `meta`.
pub(super) fn search_page(found: &[AvailableNumber], mode: Mode) -> Response {
    let meta = json!({ "total_results": found.len(), "best_effort_results": 0 });
    let mut body = json!({
        "data": found.iter().map(|n| available(n, mode)).collect::<Vec<_>>(),
        "meta": meta,
    });
    if mode == Mode::Live
        && let Some(map) = body.as_object_mut()
    {
        map.insert("metadata".into(), meta);
    }
    Json(body).into_response()
}

/// Puts an optional string: the value, else `null` live and nothing strict.
fn optional(map: &mut Map<String, Value>, key: &str, value: Option<&str>, mode: Mode) {
    match (value, mode) {
        (Some(v), _) => {
            map.insert(key.into(), Value::from(v));
        }
        (None, Mode::Live) => {
            map.insert(key.into(), Value::Null);
        }
        (None, Mode::Strict) => {}
    }
}

/// The tags a record holds (kept as JSON text in its fields).
pub(crate) fn tags(record: &NumberRecord) -> Vec<String> {
    record
        .field("tags")
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// `PhoneNumberDetailed`; `deleted` gives `PhoneNumberDeletedDetailed`.
pub(super) fn phone_number(record: &NumberRecord, mode: Mode, deleted: bool) -> Value {
    let status = if deleted {
        "deleted"
    } else {
        record.field("status").unwrap_or(ACTIVE)
    };
    let mut map = Map::new();
    map.insert("id".into(), Value::from(record.id.as_str()));
    map.insert("record_type".into(), Value::from("phone_number"));
    map.insert(
        "phone_number".into(),
        Value::from(record.catalogue.phone_number.as_str()),
    );
    map.insert("status".into(), Value::from(status));
    map.insert("tags".into(), json!(tags(record)));
    for key in [
        "external_pin",
        "connection_id",
        "connection_name",
        "customer_reference",
        "messaging_profile_id",
        "messaging_profile_name",
        "billing_group_id",
        "emergency_address_id",
    ] {
        optional(&mut map, key, record.field(key), mode);
    }
    for (key, on) in [
        ("emergency_enabled", false),
        ("call_forwarding_enabled", true),
        ("cnam_listing_enabled", false),
        ("caller_id_name_enabled", false),
        ("call_recording_enabled", false),
        ("t38_fax_gateway_enabled", false),
    ] {
        map.insert(key.into(), Value::from(on));
    }
    map.insert(
        "purchased_at".into(),
        Value::from(timestamp(record.created_at)),
    );
    map.insert(
        "created_at".into(),
        Value::from(timestamp(record.created_at)),
    );
    map.insert(
        "updated_at".into(),
        Value::from(timestamp(record.updated_at)),
    );
    map.insert("number_level_routing".into(), Value::from("disabled"));
    map.insert(
        "phone_number_type".into(),
        Value::from(number_type(record.catalogue.number_type)),
    );
    if !deleted {
        map.insert("inbound_call_screening".into(), Value::from("disabled"));
    }
    Value::Object(map)
}

/// `PhoneNumberWithMessagingSettings`.
pub(super) fn messaging(record: &NumberRecord) -> Value {
    let c = &record.catalogue.capabilities;
    let set = |on: bool| {
        if on {
            json!({"domestic_two_way": true, "international_inbound": true, "international_outbound": true})
        } else {
            Value::Null
        }
    };
    let kind = match record.catalogue.number_type {
        NumberType::TollFree => "toll-free",
        NumberType::Local | NumberType::Mobile => "long-code",
    };
    json!({
        "record_type": "messaging_settings",
        "id": record.id,
        "phone_number": record.catalogue.phone_number.as_str(),
        "messaging_profile_id": record.field("messaging_profile_id"),
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
        "country_code": record.catalogue.country.as_str(),
        "type": kind,
        "health": {"message_count": 0, "inbound_outbound_ratio": 0.0, "success_ratio": 0.0, "spam_ratio": 0.0},
        "eligible_messaging_products": ["A2P"],
        "traffic_type": "A2P",
        "messaging_product": record.field("messaging_product").unwrap_or("A2P"),
        "features": {"sms": set(c.sms), "mms": set(c.mms)},
    })
}

/// `PhoneNumberWithVoiceSettings`.
pub(super) fn voice(record: &NumberRecord, mode: Mode) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), Value::from(record.id.as_str()));
    map.insert("record_type".into(), Value::from("voice_settings"));
    map.insert(
        "phone_number".into(),
        Value::from(record.catalogue.phone_number.as_str()),
    );
    optional(
        &mut map,
        "connection_id",
        record.field("connection_id"),
        mode,
    );
    optional(
        &mut map,
        "customer_reference",
        record.field("customer_reference"),
        mode,
    );
    let rest = json!({
        "tech_prefix_enabled": false,
        "translated_number": "",
        "call_forwarding": {"call_forwarding_enabled": true},
        "cnam_listing": {"cnam_listing_enabled": false},
        "emergency": {"emergency_enabled": false},
        "usage_payment_method": "pay-per-minute",
        "media_features": {
            "rtp_auto_adjust_enabled": true,
            "accept_any_rtp_packets_enabled": false,
            "t38_fax_gateway_enabled": false,
        },
        "call_recording": {
            "inbound_call_recording_enabled": false,
            "inbound_call_recording_format": "wav",
            "inbound_call_recording_channels": "single",
        },
        "inbound_call_screening": "disabled",
    });
    if let Value::Object(rest) = rest {
        map.extend(rest);
    }
    Value::Object(map)
}
