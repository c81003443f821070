//! Twilio's JSON answers, read as the live service sends them rather than as
//! the specification promises.
//!
//! Every field is optional and unknown fields are ignored (live quirk 5);
//! text fields accept `""`, `null`, strings and numbers, so a URL or SID that
//! comes back as `""` or `null` is simply absent (quirk 4), and a latitude
//! sent as a string or a number is never a parse failure (quirk 3);
//! capability keys are matched without regard to case and a missing one is
//! false (quirk 2). A field of an unexpected JSON type reads as absent rather
//! than failing the whole answer.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use switchboard_core::Capabilities;

/// `GET .../AvailablePhoneNumbers/{CC}/{Type}.json`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AvailableList {
    #[serde(default, deserialize_with = "list")]
    pub available_phone_numbers: Vec<AvailableWire>,
}

/// One number for sale.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AvailableWire {
    #[serde(default, deserialize_with = "text")]
    pub phone_number: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub iso_country: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub locality: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub postal_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub rate_center: Option<String>,
    #[serde(default, deserialize_with = "capabilities")]
    pub capabilities: Capabilities,
}

/// `GET .../IncomingPhoneNumbers.json`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct IncomingList {
    #[serde(default, deserialize_with = "list")]
    pub incoming_phone_numbers: Vec<IncomingWire>,
    #[serde(default, deserialize_with = "text")]
    pub next_page_uri: Option<String>,
}

/// An owned number (IncomingPhoneNumber).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct IncomingWire {
    #[serde(default, deserialize_with = "text")]
    pub sid: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub phone_number: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub friendly_name: Option<String>,
    #[serde(default, deserialize_with = "capabilities")]
    pub capabilities: Capabilities,
    #[serde(default, deserialize_with = "text")]
    pub voice_url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub voice_method: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub sms_url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub sms_method: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub status_callback: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_created: Option<DateTime<Utc>>,
}

/// Twilio's error body: `{code, message, more_info, status}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default, deserialize_with = "text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub more_info: Option<String>,
}

/// Text, or absent for `null`, `""`, and values that are not scalars.
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(TextVisitor)
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("text, a number or null")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((!v.trim().is_empty()).then(|| v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok((!v.trim().is_empty()).then_some(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TextVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// A flag: `true`/`false`, their string forms, or false for anything else.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match text_or_bool(d)? {
        TextOrBool::Bool(b) => b,
        TextOrBool::Text(t) => t.trim().eq_ignore_ascii_case("true"),
        TextOrBool::Other => false,
    })
}

enum TextOrBool {
    Bool(bool),
    Text(String),
    Other,
}

fn text_or_bool<'de, D: Deserializer<'de>>(d: D) -> Result<TextOrBool, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = TextOrBool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(TextOrBool::Bool(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(TextOrBool::Text(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(TextOrBool::Other)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(TextOrBool::Other)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(TextOrBool::Other)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(TextOrBool::Other)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(TextOrBool::Other)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(TextOrBool::Other)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(TextOrBool::Other)
        }
    }
    d.deserialize_any(V)
}

struct Flag(bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        flag(d).map(Flag)
    }
}

/// Capabilities under any spelling of their keys (`voice`, `SMS`, `mms`,
/// `Fax`...); a missing key, `null`, or a non-object is false.
fn capabilities<'de, D: Deserializer<'de>>(d: D) -> Result<Capabilities, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Capabilities;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of capability flags")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut caps = Capabilities::default();
            while let Some(CapabilityKey(key)) = map.next_key::<CapabilityKey>()? {
                let Flag(on) = map.next_value::<Flag>()?;
                match key {
                    Some(Capability::Voice) => caps.voice = on,
                    Some(Capability::Sms) => caps.sms = on,
                    Some(Capability::Mms) => caps.mms = on,
                    Some(Capability::Fax) => caps.fax = on,
                    None => {}
                }
            }
            Ok(caps)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Capabilities::default())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Capabilities::default())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Capabilities::default())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Capabilities::default())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Capabilities::default())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Capabilities::default())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Capabilities::default())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Capabilities::default())
        }
    }
    d.deserialize_any(V)
}

enum Capability {
    Voice,
    Sms,
    Mms,
    Fax,
}

/// A capability key matched without regard to case and without allocating.
struct CapabilityKey(Option<Capability>);

impl<'de> Deserialize<'de> for CapabilityKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CapabilityKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a capability name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let known = [
                    ("voice", Capability::Voice),
                    ("sms", Capability::Sms),
                    ("mms", Capability::Mms),
                    ("fax", Capability::Fax),
                ];
                Ok(CapabilityKey(
                    known
                        .into_iter()
                        .find(|(name, _)| v.eq_ignore_ascii_case(name))
                        .map(|(_, c)| c),
                ))
            }
        }
        d.deserialize_str(V)
    }
}

/// A list, with `null` read as empty.
fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// An RFC 2822 timestamp (`Thu, 30 Jul 2015 23:19:04 +0000`); absent when
/// missing or unreadable, since no decision depends on it.
fn rfc2822<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(text(d)?.and_then(|t| {
        DateTime::parse_from_rfc2822(t.trim())
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn text_fields_treat_empty_and_null_as_absent() {
        let n: IncomingWire = serde_json::from_str(
            r#"{"sid":"PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","voice_url":"","sms_url":null,
                "friendly_name":"  ","status_callback":"https://example.com"}"#,
        )
        .unwrap();
        assert_eq!(n.voice_url, None);
        assert_eq!(n.sms_url, None);
        assert_eq!(n.friendly_name, None);
        assert_eq!(n.status_callback.as_deref(), Some("https://example.com"));
    }

    #[test]
    fn capability_keys_in_any_case_and_missing_ones_false() {
        let n: AvailableWire =
            serde_json::from_str(r#"{"capabilities":{"voice":true,"SMS":true,"MMS":"true"}}"#)
                .unwrap();
        assert_eq!(
            n.capabilities,
            Capabilities {
                voice: true,
                sms: true,
                mms: true,
                fax: false
            }
        );
        let n: AvailableWire =
            serde_json::from_str(r#"{"capabilities":{"Voice":false,"Fax":true,"sms":null}}"#)
                .unwrap();
        assert_eq!(
            n.capabilities,
            Capabilities {
                fax: true,
                ..Capabilities::default()
            }
        );
        let n: AvailableWire = serde_json::from_str(r#"{"capabilities":null}"#).unwrap();
        assert!(n.capabilities.is_empty());
    }

    #[test]
    fn odd_types_read_as_absent_instead_of_failing_the_answer() {
        let n: AvailableWire = serde_json::from_str(
            r#"{"phone_number":"+18089251571","region":["HI"],"locality":{"x":1},
                "postal_code":96720,"rate_center":true,"capabilities":[1]}"#,
        )
        .unwrap();
        assert_eq!(n.region, None);
        assert_eq!(n.locality, None);
        assert_eq!(n.postal_code.as_deref(), Some("96720"));
        assert_eq!(n.rate_center, None);
        assert!(n.capabilities.is_empty());
    }

    #[test]
    fn timestamps_are_rfc_2822_and_bad_ones_are_absent() {
        let n: IncomingWire =
            serde_json::from_str(r#"{"date_created":"Thu, 30 Jul 2015 23:19:04 +0000"}"#).unwrap();
        assert_eq!(
            n.date_created,
            Some(Utc.with_ymd_and_hms(2015, 7, 30, 23, 19, 4).unwrap())
        );
        let n: IncomingWire =
            serde_json::from_str(r#"{"date_created":"2015-07-30T23:19:04Z"}"#).unwrap();
        assert_eq!(n.date_created, None);
    }

    #[test]
    fn error_codes_may_be_numbers_or_strings() {
        let e: ErrorBody =
            serde_json::from_str(r#"{"code":21422,"message":"gone","status":400}"#).unwrap();
        assert_eq!(e.code.as_deref(), Some("21422"));
        let e: ErrorBody = serde_json::from_str(r#"{"code":"20003"}"#).unwrap();
        assert_eq!(e.code.as_deref(), Some("20003"));
        assert_eq!(e.message, None);
    }

    #[test]
    fn lists_may_be_null_or_missing() {
        let l: IncomingList =
            serde_json::from_str(r#"{"incoming_phone_numbers":null,"next_page_uri":""}"#).unwrap();
        assert!(l.incoming_phone_numbers.is_empty());
        assert_eq!(l.next_page_uri, None);
        let l: AvailableList = serde_json::from_str("{}").unwrap();
        assert!(l.available_phone_numbers.is_empty());
    }
}
