//! SignalWire's JSON, read leniently and written exactly.
//!
//! Reading follows the live behaviour in docs/carriers/signalwire.md rather
//! than the description alone: search results come as `e164` (live) or `number` (the
//! current description); capabilities as an array of names or a map of
//! booleans; `""` stands for "none" in any string field, UUID-typed ones too;
//! `*_method` may be null; fields SignalWire adds later are ignored. A field
//! of an unexpected type is treated as absent rather than failing the whole
//! answer, because one odd field should not hide a number we own.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use switchboard_core::Capabilities;

/// A string field where `""`, null, a missing key or a non-string all mean none.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Text::deserialize(deserializer)?.0.map(Cow::into_owned))
}

/// [`text`] borrowed from the answer's bytes when it holds no escapes, so a
/// search answer is not copied field by field before the kept fields are.
#[derive(Debug, Default)]
struct Text<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text((!blank(v)).then_some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text((!blank(v)).then(|| Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text((!blank(&v)).then_some(Cow::Owned(v))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

/// Whether `text` is empty or only white space. Most values start with a
/// visible ASCII character, which settles it without a Unicode-aware trim.
fn blank(text: &str) -> bool {
    match text.as_bytes().first() {
        Some(b) if b.is_ascii_graphic() => false,
        _ => text.trim().is_empty(),
    }
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
/// `{"voice": true, ...}` (the current description's search result). Names
/// are matched without regard to case or surrounding white space; in the map
/// form only a JSON `true` turns one on; anything else means none.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WireCapabilities(pub(crate) Capabilities);

impl<'de> Deserialize<'de> for WireCapabilities {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WireCapabilities;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("capability names or flags")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut caps = Capabilities::default();
                while let Some(name) = seq.next_element::<CapabilityName>()? {
                    name.set(&mut caps);
                }
                Ok(WireCapabilities(caps))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut caps = Capabilities::default();
                while let Some(name) = map.next_key::<CapabilityName>()? {
                    if map.next_value::<IsTrue>()?.0 {
                        name.set(&mut caps);
                    }
                }
                Ok(WireCapabilities(caps))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(WireCapabilities::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(WireCapabilities::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(WireCapabilities::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(WireCapabilities::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(WireCapabilities::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(WireCapabilities::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(WireCapabilities::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// One capability's name, known or not; a non-string in a list of names is
/// an unknown name.
#[derive(Clone, Copy)]
enum CapabilityName {
    Voice,
    Sms,
    Mms,
    Fax,
    Unknown,
}

impl CapabilityName {
    fn from_bytes(name: &[u8]) -> Self {
        let name = name.trim_ascii();
        if name.eq_ignore_ascii_case(b"voice") {
            Self::Voice
        } else if name.eq_ignore_ascii_case(b"sms") {
            Self::Sms
        } else if name.eq_ignore_ascii_case(b"mms") {
            Self::Mms
        } else if name.eq_ignore_ascii_case(b"fax") {
            Self::Fax
        } else {
            Self::Unknown
        }
    }

    fn from_str(name: &str) -> Self {
        // Only ASCII names are known; trimming Unicode space first keeps the
        // reading of a name padded with it.
        Self::from_bytes(name.trim().as_bytes())
    }

    fn set(self, caps: &mut Capabilities) {
        match self {
            Self::Voice => caps.voice = true,
            Self::Sms => caps.sms = true,
            Self::Mms => caps.mms = true,
            Self::Fax => caps.fax = true,
            Self::Unknown => {}
        }
    }
}

impl<'de> Deserialize<'de> for CapabilityName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CapabilityName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a capability name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CapabilityName::from_str(v))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(CapabilityName::Unknown)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(CapabilityName::Unknown)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(CapabilityName::Unknown)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(CapabilityName::Unknown)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(CapabilityName::Unknown)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(CapabilityName::Unknown)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(CapabilityName::Unknown)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Whether a value is JSON `true`; any other value, of any type, is not.
struct IsTrue(bool);

impl<'de> Deserialize<'de> for IsTrue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IsTrue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(IsTrue(v))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(IsTrue(false))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(IsTrue(false))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(IsTrue(false))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(IsTrue(false))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(IsTrue(false))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(IsTrue(false))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(IsTrue(false))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(IsTrue(false))
            }
        }
        deserializer.deserialize_any(V)
    }
}

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

/// The keys of a search result that are read; any other is skipped unread.
enum AvailableField {
    E164,
    Number,
    Region,
    City,
    RateCenter,
    CountryCode,
    Capabilities,
    Other,
}

impl AvailableField {
    fn from_bytes(key: &[u8]) -> Self {
        match key {
            b"e164" => Self::E164,
            b"number" => Self::Number,
            b"region" => Self::Region,
            b"city" => Self::City,
            b"rate_center" => Self::RateCenter,
            b"country_code" => Self::CountryCode,
            b"capabilities" => Self::Capabilities,
            _ => Self::Other,
        }
    }
}

impl<'de> Deserialize<'de> for AvailableField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AvailableField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AvailableField::from_bytes(v.as_bytes()))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(AvailableField::from_bytes(v))
            }
        }
        // As bytes: a key is only compared with ASCII names, so serde_json
        // need not check it as UTF-8 first.
        deserializer.deserialize_bytes(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for AvailableWire<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = AvailableWire<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a search result")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut wire = AvailableWire::default();
                while let Some(field) = map.next_key::<AvailableField>()? {
                    let slot = match field {
                        AvailableField::E164 => &mut wire.e164,
                        AvailableField::Number => &mut wire.number,
                        AvailableField::Region => &mut wire.region,
                        AvailableField::City => &mut wire.city,
                        AvailableField::RateCenter => &mut wire.rate_center,
                        AvailableField::CountryCode => &mut wire.country_code,
                        AvailableField::Capabilities => {
                            wire.capabilities = map.next_value()?;
                            continue;
                        }
                        AvailableField::Other => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value::<Text<'a>>()?.0;
                }
                Ok(wire)
            }
        }
        deserializer.deserialize_map(V(PhantomData))
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
    fn odd_capability_entries_are_skipped_not_fatal() {
        let names: WireCapabilities =
            serde_json::from_str(r#"[" Voice ",1,null,["sms"],{"mms":true},"FAX","telex"]"#)
                .unwrap();
        assert!(names.0.voice && names.0.fax && !names.0.sms && !names.0.mms);
        let flags: WireCapabilities =
            serde_json::from_str(r#"{"SMS":true,"voice":"true","mms":1,"fax":{"x":true}}"#)
                .unwrap();
        assert!(flags.0.sms && !flags.0.voice && !flags.0.mms && !flags.0.fax);
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
        assert_eq!((&first.city, &first.rate_center), (&None, &None));
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
        assert!(e.detail.unwrap().chars().count() <= MAX_MESSAGE + 1);
        assert_eq!(ErrorBody::parse(b""), ErrorBody::default());
        assert_eq!(
            ErrorBody::parse(&[0xff, 0xfe]).detail.as_deref(),
            Some("��")
        );
    }
}
