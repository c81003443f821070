//! SignalWire's JSON, read leniently and written exactly.
//!
//! Reading follows the live behaviour in docs/carriers/signalwire.md rather
//! than the description alone: search results come as `e164` (live) or `number` (the
//! current description); capabilities as an array of names or a map of
//! booleans; `""` stands for "none" in any string field, UUID-typed ones too;
//! `*_method` may be null; fields SignalWire adds later are ignored. The
//! readers are the shared lenient ones, under the rules every carrier is
//! read with ([`Leniency::CARRIERS`](switchboard_carrier_http::lenient::Leniency::CARRIERS)):
//! a field of an unexpected type is absent rather than failing the whole
//! answer, because one odd field should not hide a number we own.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use switchboard_carrier_http::lenient::{self, Slot, WireCapabilities, list, text};
use switchboard_carrier_http::quote;

/// `GET /phone_numbers/search` answer, its text borrowed from the body.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchResponse<'a> {
    #[serde(default, borrow, deserialize_with = "list")]
    pub(crate) data: Vec<AvailableWire<'a>>,
}

/// One search result, in either documented shape.
#[derive(Debug, Default)]
pub(crate) struct AvailableWire<'a> {
    /// Live and legacy-description spelling.
    pub(crate) e164: Option<Cow<'a, str>>,
    /// Current-description spelling.
    pub(crate) number: Option<Cow<'a, str>>,
    pub(crate) region: Option<Cow<'a, str>>,
    pub(crate) city: Option<Cow<'a, str>>,
    pub(crate) rate_center: Option<Cow<'a, str>>,
    pub(crate) country_code: Option<Cow<'a, str>>,
    pub(crate) capabilities: WireCapabilities,
}

impl AvailableWire<'_> {
    /// The E.164 number under whichever name it came.
    pub(crate) fn e164(&self) -> Option<&str> {
        self.e164.as_deref().or(self.number.as_deref())
    }
}

/// Where each key of a search result goes; any other is skipped unread.
fn available_slot<'s, 'a>(wire: &'s mut AvailableWire<'a>, key: &[u8]) -> Slot<'s, 'a> {
    match key {
        b"e164" => Slot::Text(&mut wire.e164),
        b"number" => Slot::Text(&mut wire.number),
        b"region" => Slot::Text(&mut wire.region),
        b"city" => Slot::Text(&mut wire.city),
        b"rate_center" => Slot::Text(&mut wire.rate_center),
        b"country_code" => Slot::Text(&mut wire.country_code),
        b"capabilities" => Slot::Capabilities(&mut wire.capabilities.0),
        _ => Slot::Skip,
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for AvailableWire<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient::read_object(deserializer, "a search result", available_slot)
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

impl ErrorBody {
    /// Reads any body; never fails.
    pub(crate) fn parse(body: &[u8]) -> Self {
        // The shared text rules: blank is none, a number is its text.
        let as_text = |v: Option<&Value>| {
            v.and_then(|v| text(v).ok().flatten())
                .and_then(|t| quote(&t))
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
            _ => ErrorBody {
                detail: quote(&String::from_utf8_lossy(body)),
                ..ErrorBody::default()
            },
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
    fn odd_capability_entries_are_skipped_not_fatal() {
        let names: WireCapabilities =
            serde_json::from_str(r#"[" Voice ",1,null,["sms"],{"mms":true},"FAX","telex"]"#)
                .unwrap();
        assert!(names.0.voice && names.0.fax && !names.0.sms && !names.0.mms);
        let flags: WireCapabilities =
            serde_json::from_str(r#"{"SMS":true,"voice":"true","mms":1,"fax":{"x":true}}"#)
                .unwrap();
        // A flag sent as the string "true" is true, as for every carrier
        // (the shared Leniency); a number is not a flag.
        assert!(flags.0.sms && flags.0.voice && !flags.0.mms && !flags.0.fax);
        for other in ["null", "true", "12", "\"voice\""] {
            let none: WireCapabilities = serde_json::from_str(other).unwrap();
            assert!(none.0.is_empty(), "{other}");
        }
    }

    #[test]
    fn search_results_borrow_their_text_unless_it_was_escaped() {
        let body = br#"{"data":[{"e164":"+15125550001","region":"T\u0058","city":"",
            "rate_center":12,"country_code":null,"c\u0061pabilities":["voice"],
            "national_number_formatted":"(512) 555-0001"},
            {"number":"+15125550002","capabilities":{"voice":true}}]}"#;
        let found: SearchResponse<'_> = serde_json::from_slice(body).unwrap();
        let [first, second] = &found.data[..] else {
            panic!("{:?}", found.data)
        };
        assert!(matches!(first.e164, Some(Cow::Borrowed("+15125550001"))));
        assert!(matches!(&first.region, Some(Cow::Owned(r)) if r == "TX"));
        assert_eq!(first.city, None);
        // A number where text is expected is its text, as for every carrier.
        assert_eq!(first.rate_center.as_deref(), Some("12"));
        assert_eq!(first.country_code, None);
        assert!(first.capabilities.0.voice);
        assert_eq!(second.e164(), Some("+15125550002"));
        assert!(second.capabilities.0.voice);
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
        assert!(
            e.detail.unwrap().chars().count() <= switchboard_carrier_http::MAX_QUOTED_CHARS + 1
        );
        assert_eq!(ErrorBody::parse(b""), ErrorBody::default());
        assert_eq!(
            ErrorBody::parse(&[0xff, 0xfe]).detail.as_deref(),
            Some("��")
        );
    }
}
