//! SignalWire's JSON shapes: the live search shape (`e164`, capability
//! names) or the current description's (`number`, capability map), and the
//! PhoneNumber object with `""` (live) or `null` (strict) for unset fields.

use axum::Json;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use switchboard_core::{AvailableNumber, Capabilities, NumberType};

use crate::config::Mode;
use crate::params::{international_format, national_format};
use crate::state::NumberRecord;

#[derive(Serialize)]
struct LiveItem<'a> {
    e164: &'a str,
    national_number_formatted: String,
    international_number_formatted: String,
    rate_center: Option<&'a str>,
    region: Option<&'a str>,
    country_code: &'a str,
    capabilities: Vec<&'static str>,
}

#[derive(Serialize)]
struct CapabilityMap {
    voice: bool,
    sms: bool,
    mms: bool,
    fax: bool,
}

#[derive(Serialize)]
struct StrictItem<'a> {
    number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_center: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    capabilities: CapabilityMap,
}

#[derive(Serialize)]
struct Links {
    #[serde(rename = "self")]
    this: String,
    first: String,
}

#[derive(Serialize)]
struct Page<T, L> {
    links: L,
    data: Vec<T>,
}

#[derive(Serialize)]
struct Empty {}

fn capability_names(c: &Capabilities) -> Vec<&'static str> {
    [
        (c.voice, "voice"),
        (c.sms, "sms"),
        (c.mms, "mms"),
        (c.fax, "fax"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect()
}

/// A search answer: live items with `links: {}`, or strict items with
/// `self`/`first` links.
pub(super) fn search_page(found: &[AvailableNumber], mode: Mode, self_link: &str) -> Response {
    match mode {
        Mode::Live => Json(Page {
            links: Empty {},
            data: found
                .iter()
                .map(|a| LiveItem {
                    e164: a.phone_number.as_str(),
                    national_number_formatted: national_format(a.phone_number.as_str()),
                    international_number_formatted: international_format(a.phone_number.as_str()),
                    rate_center: a.rate_center.as_deref(),
                    region: a.region.as_deref(),
                    country_code: a.country.as_str(),
                    capabilities: capability_names(&a.capabilities),
                })
                .collect(),
        })
        .into_response(),
        Mode::Strict => Json(Page {
            links: Links {
                this: self_link.to_string(),
                first: self_link.to_string(),
            },
            data: found
                .iter()
                .map(|a| StrictItem {
                    number: a.phone_number.as_str(),
                    city: a.locality.as_deref(),
                    rate_center: a.rate_center.as_deref(),
                    region: a.region.as_deref(),
                    capabilities: CapabilityMap {
                        voice: a.capabilities.voice,
                        sms: a.capabilities.sms,
                        mms: a.capabilities.mms,
                        fax: a.capabilities.fax,
                    },
                })
                .collect(),
        })
        .into_response(),
    }
}

/// Plain strings that are `""` live and `null` strict when unset.
const STRING_FIELDS: &[&str] = &[
    "call_dialogflow_agent_id",
    "call_fallback_url",
    "call_laml_application_id",
    "call_relay_application",
    "call_relay_connector_id",
    "call_relay_context",
    "call_relay_context_status_callback_url",
    "call_relay_script_url",
    "call_relay_topic",
    "call_relay_topic_status_callback_url",
    "call_request_url",
    "call_status_callback_url",
    "call_verto_resource",
    "message_fallback_url",
    "message_laml_application_id",
    "message_relay_context",
    "message_relay_topic",
    "message_request_url",
];
/// UUID-typed fields: live sends `""` for them too (live behaviour 2 in
/// docs/carriers/signalwire.md).
const UUID_FIELDS: &[&str] = &[
    "call_sip_endpoint_id",
    "call_video_room_id",
    "calling_handler_resource_id",
    "e911_address_id",
    "messaging_handler_resource_id",
];
const METHOD_FIELDS: &[&str] = &[
    "call_fallback_method",
    "call_request_method",
    "call_status_callback_method",
    "message_fallback_method",
    "message_request_method",
];

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A PhoneNumber object with every field the description requires.
pub(super) fn phone_number(record: &NumberRecord, mode: Mode) -> Value {
    let unset = match mode {
        Mode::Live => Value::from(""),
        Mode::Strict => Value::Null,
    };
    let mut map = Map::new();
    for key in STRING_FIELDS.iter().chain(UUID_FIELDS) {
        map.insert(
            key.to_string(),
            record.field(key).map_or_else(|| unset.clone(), Value::from),
        );
    }
    for key in METHOD_FIELDS {
        // Live: null right after the purchase (live behaviour 3 in
        // docs/carriers/signalwire.md), POST once updated.
        let default = match mode {
            Mode::Live if !record.updated => Value::Null,
            _ => Value::from("POST"),
        };
        map.insert(
            key.to_string(),
            record.field(key).map_or(default, Value::from),
        );
    }
    for key in ["call_handler", "message_handler"] {
        map.insert(
            key.to_string(),
            record.field(key).map_or(Value::Null, Value::from),
        );
    }
    let number_type = match record.catalogue.number_type {
        NumberType::TollFree => "toll-free",
        NumberType::Local | NumberType::Mobile => "longcode",
    };
    let rest = json!({
        "id": record.id,
        "number": record.catalogue.phone_number.as_str(),
        "name": record.name,
        "capabilities": capability_names(&record.catalogue.capabilities),
        "number_type": number_type,
        "e911_status": Value::Null,
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
        "next_billed_at": timestamp(
            record
                .created_at
                .checked_add_signed(chrono::Duration::days(30))
                .unwrap_or(record.created_at)
        ),
        "call_receive_mode": record.field("call_receive_mode").unwrap_or("voice"),
        "country_code": record.catalogue.country.as_str(),
    });
    if let Value::Object(rest) = rest {
        map.extend(rest);
    }
    Value::Object(map)
}
