//! Twilio's JSON answers, read as the live service sends them rather than as
//! the specification promises.
//!
//! The numbers below are the live behaviours of docs/carriers/twilio.md.
//! Every field is optional and unknown fields are ignored (live behaviour
//! 5). The readers are the shared lenient ones, under the rules every
//! carrier is read with ([`Leniency::CARRIERS`](switchboard_carrier_http::lenient::Leniency::CARRIERS)):
//! a URL or SID that comes back as `""` or `null` is absent (4), a latitude
//! or a code sent as a string or a number is its text (3), capability keys
//! match without regard to case and a missing one is false (2), and a field
//! of an unexpected JSON type reads as absent rather than failing the whole
//! answer.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use switchboard_carrier_http::lenient::{self, Slot, capabilities, list, text};
use switchboard_core::Capabilities;

/// `GET .../AvailablePhoneNumbers/{CC}/{Type}.json`, borrowing its text
/// from the answer's bytes: a search answer is the one large answer, and
/// only the numbers kept are copied out of it.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AvailableList<'a> {
    #[serde(default, borrow, deserialize_with = "available_list")]
    pub available_phone_numbers: Vec<AvailableWire<'a>>,
}

/// The list of numbers for sale, with `null` read as empty. Room for a full
/// page is made up front, since JSON does not say how long an array is.
fn available_list<'de: 'a, 'a, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<AvailableWire<'a>>, D::Error> {
    struct V<'a>(std::marker::PhantomData<&'a ()>);
    impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
        type Value = Vec<AvailableWire<'a>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of available phone numbers")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(FULL_PAGE).min(FULL_PAGE));
            while let Some(wire) = seq.next_element()? {
                list.push(wire);
            }
            Ok(list)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
    }
    d.deserialize_option(V(std::marker::PhantomData))
}

/// How many numbers a full search page holds (live behaviour 1 in
/// docs/carriers/twilio.md).
const FULL_PAGE: usize = crate::provider::MAX_SEARCH_RESULTS as usize;

/// One number for sale. Text is borrowed from the answer unless it had to
/// be unescaped or was sent as a number.
#[derive(Debug, Default)]
pub(crate) struct AvailableWire<'a> {
    pub phone_number: Option<Cow<'a, str>>,
    pub iso_country: Option<Cow<'a, str>>,
    pub locality: Option<Cow<'a, str>>,
    pub region: Option<Cow<'a, str>>,
    pub postal_code: Option<Cow<'a, str>>,
    pub rate_center: Option<Cow<'a, str>>,
    pub capabilities: Capabilities,
}

/// Where each key of an offered number goes; any other is skipped unread.
fn available_slot<'s, 'a>(wire: &'s mut AvailableWire<'a>, key: &[u8]) -> Slot<'s, 'a> {
    match key {
        b"phone_number" => Slot::Text(&mut wire.phone_number),
        b"iso_country" => Slot::Text(&mut wire.iso_country),
        b"locality" => Slot::Text(&mut wire.locality),
        b"region" => Slot::Text(&mut wire.region),
        b"postal_code" => Slot::Text(&mut wire.postal_code),
        b"rate_center" => Slot::Text(&mut wire.rate_center),
        b"capabilities" => Slot::Capabilities(&mut wire.capabilities),
        _ => Slot::Skip,
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for AvailableWire<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient::read_object(d, "an available phone number", available_slot)
    }
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
    pub account_sid: Option<String>,
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
    fn search_text_is_borrowed_unless_it_had_to_be_unescaped() {
        let body = br#"{"available_phone_numbers":[{"phone_number":"+18089251571",
            "locality":"Hilo \u0041","region":"H\"I","postal_code":96720,
            "rate_\u0063enter":"HILO","friendly_name":"(808) 925-1571","beta":false,
            "capabilities":{"voice":true,"SMS":"true"}}]}"#;
        let list: AvailableList<'_> = serde_json::from_slice(body).unwrap();
        let n = &list.available_phone_numbers[0];
        assert!(matches!(
            n.phone_number,
            Some(Cow::Borrowed("+18089251571"))
        ));
        assert!(matches!(&n.locality, Some(Cow::Owned(l)) if l == "Hilo A"));
        assert_eq!(n.region.as_deref(), Some("H\"I"));
        assert_eq!(n.postal_code.as_deref(), Some("96720"));
        // A key written with an escape is still the same key.
        assert_eq!(n.rate_center.as_deref(), Some("HILO"));
        assert!(n.capabilities.voice && n.capabilities.sms && !n.capabilities.mms);
    }

    #[test]
    fn a_search_answer_that_is_not_json_objects_fails_to_read() {
        for body in [
            &b"{\"available_phone_numbers\":[1]}"[..],
            b"[",
            b"{\"available_phone_numbers\":{}}",
        ] {
            assert!(serde_json::from_slice::<AvailableList<'_>>(body).is_err());
        }
        let l: AvailableList<'_> =
            serde_json::from_slice(br#"{"available_phone_numbers":null}"#).unwrap();
        assert!(l.available_phone_numbers.is_empty());
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
