//! Twilio's JSON shapes, in live and strict flavours.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};
use switchboard_core::{AvailableNumber, Capabilities, NumberType};

use crate::config::Mode;
use crate::params::{coordinates, national_format};
use crate::state::NumberRecord;

#[derive(Serialize)]
#[serde(untagged)]
enum Coordinate {
    /// Live: `"19.720000"`.
    Text(String),
    /// Strict: the schema's `number`.
    Number(f64),
}

#[derive(Serialize)]
#[serde(untagged)]
enum Caps {
    Live {
        voice: bool,
        #[serde(rename = "SMS")]
        sms: bool,
        #[serde(rename = "MMS")]
        mms: bool,
    },
    Strict {
        voice: bool,
        sms: bool,
        mms: bool,
        fax: bool,
    },
}

impl Caps {
    fn new(c: &Capabilities, mode: Mode) -> Self {
        match mode {
            Mode::Live => Caps::Live {
                voice: c.voice,
                sms: c.sms,
                mms: c.mms,
            },
            Mode::Strict => Caps::Strict {
                voice: c.voice,
                sms: c.sms,
                mms: c.mms,
                fax: c.fax,
            },
        }
    }
}

#[derive(Serialize)]
struct Available<'a> {
    friendly_name: String,
    phone_number: &'a str,
    lata: Option<&'a str>,
    locality: Option<&'a str>,
    rate_center: Option<&'a str>,
    latitude: Coordinate,
    longitude: Coordinate,
    region: Option<&'a str>,
    postal_code: Option<&'a str>,
    iso_country: &'a str,
    address_requirements: &'static str,
    beta: bool,
    capabilities: Caps,
}

#[derive(Serialize)]
struct LivePage<'a> {
    available_phone_numbers: Vec<Available<'a>>,
    uri: String,
}

#[derive(Serialize)]
struct StrictPage<'a> {
    available_phone_numbers: Vec<Available<'a>>,
    uri: String,
    first_page_uri: String,
    next_page_uri: Option<String>,
    previous_page_uri: Option<String>,
    page: u32,
    page_size: u32,
    start: u32,
    end: u32,
}

/// A search answer. Live: only `available_phone_numbers` and `uri`, as the
/// live service (no usable next page). Strict: every paging field.
pub(super) fn search_page(
    found: &[AvailableNumber],
    mode: Mode,
    path: &str,
    query: Option<&str>,
    page_size: u32,
) -> Response {
    let items = found.iter().map(|a| available(a, mode)).collect();
    let uri = match query {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_string(),
    };
    // Serialised straight from the typed page: no intermediate `Value`, as
    // searches are the hot path.
    match mode {
        Mode::Live => Json(LivePage {
            available_phone_numbers: items,
            uri,
        })
        .into_response(),
        Mode::Strict => Json(StrictPage {
            available_phone_numbers: items,
            first_page_uri: uri.clone(),
            uri,
            next_page_uri: None,
            previous_page_uri: None,
            page: 0,
            page_size,
            start: 0,
            end: (found.len() as u32).saturating_sub(1),
        })
        .into_response(),
    }
}

fn available(a: &AvailableNumber, mode: Mode) -> Available<'_> {
    let country = a.country.as_str();
    let place = a
        .locality
        .as_deref()
        .or(a.region.as_deref())
        .unwrap_or(country);
    let (lat, long) = coordinates(country, place);
    let coordinate = |x: f64| match mode {
        Mode::Live => Coordinate::Text(format!("{x:.6}")),
        Mode::Strict => Coordinate::Number(x),
    };
    Available {
        friendly_name: national_format(a.phone_number.as_str()),
        phone_number: a.phone_number.as_str(),
        lata: None,
        locality: a.locality.as_deref(),
        rate_center: a.rate_center.as_deref(),
        latitude: coordinate(lat),
        longitude: coordinate(long),
        region: a.region.as_deref(),
        postal_code: a.postal_code.as_deref(),
        iso_country: country,
        address_requirements: "none",
        beta: false,
        capabilities: Caps::new(&a.capabilities, mode),
    }
}

/// The friendly name Twilio shows: the one set, or the formatted number.
pub(super) fn friendly_name(record: &NumberRecord) -> String {
    record
        .name
        .clone()
        .unwrap_or_else(|| national_format(record.catalogue.phone_number.as_str()))
}

const URL_FIELDS: &[&str] = &[
    "sms_fallback_url",
    "sms_url",
    "status_callback",
    "voice_fallback_url",
    "voice_url",
];
const SID_FIELDS: &[&str] = &[
    "address_sid",
    "sms_application_sid",
    "voice_application_sid",
    "emergency_address_sid",
    "bundle_sid",
];
/// SIDs the live service has been seen to send as `null` rather than `""`.
const NULL_SID_FIELDS: &[&str] = &["trunk_sid", "identity_sid"];
const METHOD_FIELDS: &[&str] = &[
    "sms_fallback_method",
    "sms_method",
    "status_callback_method",
    "voice_fallback_method",
    "voice_method",
];

/// An IncomingPhoneNumber. Unset URLs and SIDs: `""` (some `null`) live,
/// `null` strict; capabilities with upper-case keys live.
pub(super) fn incoming(record: &NumberRecord, account_sid: &str, mode: Mode) -> Value {
    let unset = |null_live: bool| match mode {
        Mode::Live if !null_live => Value::from(""),
        _ => Value::Null,
    };
    let mut map = Map::new();
    for key in URL_FIELDS.iter().chain(SID_FIELDS) {
        map.insert(
            key.to_string(),
            record.field(key).map_or_else(|| unset(false), Value::from),
        );
    }
    for key in NULL_SID_FIELDS {
        map.insert(
            key.to_string(),
            record.field(key).map_or_else(|| unset(true), Value::from),
        );
    }
    for key in METHOD_FIELDS {
        map.insert(
            key.to_string(),
            Value::from(record.field(key).unwrap_or("POST")),
        );
    }
    let c = &record.catalogue.capabilities;
    let capabilities = match mode {
        Mode::Live => json!({"voice": c.voice, "SMS": c.sms, "MMS": c.mms}),
        Mode::Strict => json!({"voice": c.voice, "sms": c.sms, "mms": c.mms, "fax": c.fax}),
    };
    let uri = format!(
        "/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{}.json",
        record.id
    );
    let number_type = match record.catalogue.number_type {
        NumberType::Local => "local",
        NumberType::TollFree => "toll-free",
        NumberType::Mobile => "mobile",
    };
    let rest = json!({
        "account_sid": account_sid,
        "address_requirements": "none",
        "api_version": record.field("api_version").unwrap_or("2010-04-01"),
        "beta": false,
        "capabilities": capabilities,
        "date_created": record.created_at.to_rfc2822(),
        "date_updated": record.updated_at.to_rfc2822(),
        "friendly_name": friendly_name(record),
        "phone_number": record.catalogue.phone_number.as_str(),
        "origin": "twilio",
        "sid": record.id,
        "uri": uri,
        "voice_receive_mode": record.field("voice_receive_mode").unwrap_or("voice"),
        "voice_caller_id_lookup": record.field("voice_caller_id_lookup") == Some("true"),
        "emergency_status": record.field("emergency_status").unwrap_or("Inactive"),
        "emergency_address_status": if record.field("emergency_address_sid").is_some() {
            "registered"
        } else {
            "unregistered"
        },
        "status": "in-use",
        "type": number_type,
    });
    if let Value::Object(rest) = rest {
        map.extend(rest);
    }
    if mode == Mode::Live {
        map.insert(
            "subresource_uris".into(),
            json!({
                "assigned_add_ons": format!(
                    "/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{}/AssignedAddOns.json",
                    record.id
                )
            }),
        );
    }
    Value::Object(map)
}
