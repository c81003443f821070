//! SignalWire's JSON, read leniently and written exactly.
//!
//! Reading follows the live behaviour in the carrier README rather than the
//! description alone: search results come as `e164` (live) or `number` (the
//! current description); capabilities as an array of names or a map of
//! booleans; `""` stands for "none" in any string field, UUID-typed ones too;
//! `*_method` may be null; fields SignalWire adds later are ignored. A field
//! of an unexpected type is treated as absent rather than failing the whole
//! answer, because one odd field should not hide a number we own.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use switchboard_core::Capabilities;

/// A string field where `""`, null, a missing key or a non-string all mean none.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
        _ => None,
    })
}

/// A list that may also come as null.
fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// Capabilities as `["voice", "sms"]` (live, and the PhoneNumber object) or
/// `{"voice": true, ...}` (the current description's search result).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WireCapabilities(pub(crate) Capabilities);

impl<'de> Deserialize<'de> for WireCapabilities {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut caps = Capabilities::default();
        let mut set = |name: &str| match name.trim().to_ascii_lowercase().as_str() {
            "voice" => caps.voice = true,
            "sms" => caps.sms = true,
            "mms" => caps.mms = true,
            "fax" => caps.fax = true,
            _ => {}
        };
        match Option::<Value>::deserialize(deserializer)? {
            Some(Value::Array(names)) => {
                for name in names.iter().filter_map(Value::as_str) {
                    set(name);
                }
            }
            Some(Value::Object(flags)) => {
                for (name, flag) in &flags {
                    if flag.as_bool() == Some(true) {
                        set(name);
                    }
                }
            }
            _ => {}
        }
        Ok(WireCapabilities(caps))
    }
}

/// `GET /phone_numbers/search` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchResponse {
    #[serde(default, deserialize_with = "list")]
    pub(crate) data: Vec<AvailableWire>,
}

/// One search result, in either documented shape.
#[derive(Debug, Deserialize)]
pub(crate) struct AvailableWire {
    /// Live and legacy-description spelling.
    #[serde(default, deserialize_with = "text")]
    pub(crate) e164: Option<String>,
    /// Current-description spelling.
    #[serde(default, deserialize_with = "text")]
    pub(crate) number: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) region: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) city: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) rate_center: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) country_code: Option<String>,
    #[serde(default)]
    pub(crate) capabilities: WireCapabilities,
}

impl AvailableWire {
    /// The E.164 number under whichever name it came.
    pub(crate) fn e164(&self) -> Option<&str> {
        self.e164.as_deref().or(self.number.as_deref())
    }
}

/// The PhoneNumber object (purchase, get, update, and list items). Only the
/// fields the adapter maps are read; the thirty-odd other routing fields and
/// any new ones are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct PhoneNumberWire {
    #[serde(default, deserialize_with = "text")]
    pub(crate) id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) number: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) capabilities: WireCapabilities,
    #[serde(default, deserialize_with = "text")]
    pub(crate) call_handler: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) call_request_url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) call_request_method: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) call_status_callback_url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) message_handler: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) message_request_url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) message_request_method: Option<String>,
}

/// `GET /phone_numbers` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct ListResponse {
    #[serde(default)]
    pub(crate) links: Links,
    #[serde(default, deserialize_with = "list")]
    pub(crate) data: Vec<PhoneNumberWire>,
}

/// Pagination links; only `next` matters, and it may be a path or a URL.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Links {
    #[serde(default, deserialize_with = "text")]
    pub(crate) next: Option<String>,
}

/// `POST /phone_numbers` body (`PurchasePhoneNumberRequest`).
#[derive(Debug, Serialize)]
pub(crate) struct PurchaseBody<'a> {
    pub(crate) number: &'a str,
}

/// The call handler that sends calls and messages to webhooks (cXML/LaML).
pub(crate) const LAML_WEBHOOKS: &str = "laml_webhooks";

/// `PUT /phone_numbers/{id}` body (`UpdatePhoneNumberRequest`): partial, so
/// every field left `None` is left out and keeps its value at SignalWire.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct UpdateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) call_handler: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) call_request_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) call_request_method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) call_status_callback_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message_handler: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message_request_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message_request_method: Option<&'static str>,
}

impl UpdateBody<'_> {
    /// Whether the body would change nothing.
    pub(crate) fn is_empty(&self) -> bool {
        *self == UpdateBody::default()
    }
}

/// What an error answer said, from whichever of SignalWire's error shapes it
/// used: `{"errors": [{detail, status, title, code}]}` (validation),
/// `{"error": "Not Found"}` (the description's 400/401/404/500), or text.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    pub(crate) code: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) detail: Option<String>,
}

/// The longest carrier message copied into an error.
const MAX_MESSAGE: usize = 300;

impl ErrorBody {
    /// Reads any body; never fails.
    pub(crate) fn parse(body: &[u8]) -> Self {
        let as_text = |v: Option<&Value>| match v {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(clean(s)),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => {
                if let Some(first) = map
                    .get("errors")
                    .and_then(Value::as_array)
                    .and_then(|errors| errors.first())
                {
                    return ErrorBody {
                        code: as_text(first.get("code")),
                        title: as_text(first.get("title")),
                        detail: as_text(first.get("detail")),
                    };
                }
                ErrorBody {
                    detail: as_text(map.get("error")).or_else(|| as_text(map.get("message"))),
                    ..ErrorBody::default()
                }
            }
            _ => {
                let text = String::from_utf8_lossy(body);
                ErrorBody {
                    detail: (!text.trim().is_empty()).then(|| clean(&text)),
                    ..ErrorBody::default()
                }
            }
        }
    }

    /// The most useful words for a person: the detail, else the title.
    pub(crate) fn message(&self) -> Option<String> {
        match (&self.title, &self.detail) {
            (Some(title), Some(detail)) => Some(format!("{title}: {detail}")),
            (None, Some(detail)) => Some(detail.clone()),
            (Some(title), None) => Some(title.clone()),
            (None, None) => None,
        }
    }
}

/// Bounded, single-line text: carrier messages end up in logs and API answers.
fn clean(text: &str) -> String {
    let mut out: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE)
        .collect();
    if text.trim().chars().count() > MAX_MESSAGE {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_come_as_names_or_flags_or_not_at_all() {
        let names: WireCapabilities = serde_json::from_str(r#"["voice","sms","fax"]"#).unwrap();
        assert!(names.0.voice && names.0.sms && names.0.fax && !names.0.mms);
        let flags: WireCapabilities =
            serde_json::from_str(r#"{"voice":true,"sms":false,"mms":true}"#).unwrap();
        assert!(flags.0.voice && !flags.0.sms && flags.0.mms);
        let blank: WireCapabilities = serde_json::from_str(r#""""#).unwrap();
        assert!(blank.0.is_empty());
    }

    #[test]
    fn error_bodies_of_every_shape_are_read_and_opaque_text_is_bounded() {
        let e = ErrorBody::parse(
            br#"{"errors":[{"detail":null,"status":"422","title":"Invalid Attribute","code":"422"}]}"#,
        );
        assert_eq!(e.code.as_deref(), Some("422"));
        assert_eq!(e.detail, None);
        assert_eq!(e.message().as_deref(), Some("Invalid Attribute"));
        let e = ErrorBody::parse(br#"{"error":"Not Found"}"#);
        assert_eq!(e.message().as_deref(), Some("Not Found"));
        let e = ErrorBody::parse(b"<html>\nBad gateway</html>");
        assert_eq!(e.detail.as_deref(), Some("<html> Bad gateway</html>"));
        let long = "x".repeat(2000);
        let e = ErrorBody::parse(long.as_bytes());
        assert!(e.detail.unwrap().chars().count() <= MAX_MESSAGE + 1);
        assert_eq!(ErrorBody::parse(b""), ErrorBody::default());
        assert_eq!(
            ErrorBody::parse(&[0xff, 0xfe]).detail.as_deref(),
            Some("��")
        );
    }
}
