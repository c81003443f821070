//! The fields a purchase and an update both set: which there are, what each
//! holds, and how a form value is checked and applied to a record. Shared by
//! the two handlers, and listed for the surface the OpenAPI document
//! declares.

use axum::response::Response;

use crate::app::App;
use crate::config::{Mode, is_sid};
use crate::errors::{self, twilio_bad_request};
use crate::params::{self, boolean, get, undeclared};
use crate::state::NumberRecord;

/// What a settable field holds, for validation.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Text,
    Url,
    Method,
    Bool,
    Sid(&'static str),
    OneOf(&'static [&'static str]),
}

/// Form key, response key, kind: the fields purchase and update both set.
pub(super) const SETTABLE: &[(&str, &str, Kind)] = &[
    ("FriendlyName", "friendly_name", Kind::Text),
    ("ApiVersion", "api_version", Kind::Text),
    ("VoiceUrl", "voice_url", Kind::Url),
    ("VoiceMethod", "voice_method", Kind::Method),
    ("VoiceFallbackUrl", "voice_fallback_url", Kind::Url),
    ("VoiceFallbackMethod", "voice_fallback_method", Kind::Method),
    ("VoiceCallerIdLookup", "voice_caller_id_lookup", Kind::Bool),
    ("SmsUrl", "sms_url", Kind::Url),
    ("SmsMethod", "sms_method", Kind::Method),
    ("SmsFallbackUrl", "sms_fallback_url", Kind::Url),
    ("SmsFallbackMethod", "sms_fallback_method", Kind::Method),
    ("StatusCallback", "status_callback", Kind::Url),
    (
        "StatusCallbackMethod",
        "status_callback_method",
        Kind::Method,
    ),
    (
        "VoiceApplicationSid",
        "voice_application_sid",
        Kind::Sid("AP"),
    ),
    ("SmsApplicationSid", "sms_application_sid", Kind::Sid("AP")),
    ("TrunkSid", "trunk_sid", Kind::Sid("TK")),
    ("IdentitySid", "identity_sid", Kind::Sid("RI")),
    ("AddressSid", "address_sid", Kind::Sid("AD")),
    (
        "EmergencyAddressSid",
        "emergency_address_sid",
        Kind::Sid("AD"),
    ),
    ("BundleSid", "bundle_sid", Kind::Sid("BU")),
    (
        "EmergencyStatus",
        "emergency_status",
        Kind::OneOf(&["Active", "Inactive"]),
    ),
    (
        "VoiceReceiveMode",
        "voice_receive_mode",
        Kind::OneOf(&["voice", "fax"]),
    ),
];

/// Purchase form fields the OpenAPI document declares.
pub fn create_fields() -> Vec<&'static str> {
    let mut fields: Vec<_> = SETTABLE.iter().map(|(k, _, _)| *k).collect();
    fields.extend(["PhoneNumber", "AreaCode"]);
    fields
}

/// Update form fields the OpenAPI document declares.
pub fn update_fields() -> Vec<&'static str> {
    let mut fields: Vec<_> = SETTABLE.iter().map(|(k, _, _)| *k).collect();
    fields.push("AccountSid");
    fields
}

/// Checks and applies settable fields to `record`.
pub(super) fn apply_fields(
    record: &mut NumberRecord,
    pairs: &[(String, String)],
    skip: &[&str],
) -> Result<(), Response> {
    for (form_key, json_key, kind) in SETTABLE {
        if skip.contains(form_key) {
            continue;
        }
        let Some(value) = get(pairs, form_key) else {
            continue;
        };
        let value = value.trim();
        let bad = |why: &str| {
            Err(twilio_bad_request(
                errors::TWILIO_INVALID_PARAMETER,
                format!("{form_key} {why}, got {value:?}"),
            ))
        };
        let stored = match kind {
            _ if value.is_empty() => None,
            Kind::Text if value.chars().count() > 64 => return bad("may be at most 64 characters"),
            Kind::Text => Some(value.to_string()),
            Kind::Url => {
                if !(value.starts_with("http://") || value.starts_with("https://")) {
                    return bad("must be an http or https URL");
                }
                Some(value.to_string())
            }
            Kind::Method => match value.to_ascii_uppercase().as_str() {
                m @ ("GET" | "POST") => Some(m.to_string()),
                _ => return bad("must be GET or POST"),
            },
            Kind::Bool => match boolean(form_key, value) {
                Ok(b) => Some(b.to_string()),
                Err(_) => return bad("must be true or false"),
            },
            Kind::Sid(prefix) => {
                if !is_sid(value, prefix) {
                    return bad(&format!("must be {prefix} followed by 32 hex digits"));
                }
                Some(value.to_string())
            }
            Kind::OneOf(allowed) => {
                if !allowed.contains(&value) {
                    return bad(&format!("must be one of {}", allowed.join(", ")));
                }
                Some(value.to_string())
            }
        };
        if *json_key == "friendly_name" {
            record.name = stored;
        } else {
            match stored {
                Some(v) => record.fields.insert(json_key.to_string(), v),
                None => record.fields.remove(*json_key),
            };
        }
    }
    Ok(())
}

pub(super) fn read_form(
    app: &App,
    body: &[u8],
    declared: &[&str],
) -> Result<Vec<(String, String)>, Response> {
    let text = std::str::from_utf8(body).ok();
    let Some(pairs) = params::pairs(text) else {
        return Err(twilio_bad_request(
            errors::TWILIO_INVALID_PARAMETER,
            "the body is not application/x-www-form-urlencoded",
        ));
    };
    if app.behaviour().mode == Mode::Strict
        && let Some(key) = undeclared(&pairs, declared)
    {
        return Err(twilio_bad_request(
            errors::TWILIO_INVALID_PARAMETER,
            format!("{key} is not a parameter of this resource"),
        ));
    }
    Ok(pairs)
}
