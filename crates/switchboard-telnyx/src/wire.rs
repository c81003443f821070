//! Telnyx's JSON, read leniently and written exactly.
//!
//! Written: only properties the description defines for the operation,
//! and only those with something to say (every request property of
//! Telnyx's numbers endpoints is optional). Read: with the shared lenient
//! readers, so that ids sent as integers or strings, `""` or `null` for
//! none, and fields Telnyx adds (a live search also carries
//! `phone_number_type`, a `metadata` object, `vanity_format: null`) are
//! read alike rather than failing the answer.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use switchboard_carrier_http::lenient::{Flag, Leniency, Text, TextSeed, list, text};
use switchboard_core::Capabilities;

/// `{data: ...}`, the envelope of every single-object answer.
#[derive(Debug, Deserialize)]
pub(crate) struct Data<T> {
    pub(crate) data: T,
}

/// `GET /available_phone_numbers` (`ListAvailablePhoneNumbersResponse`),
/// its text borrowed from the body.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchResponse<'a> {
    #[serde(default, borrow, deserialize_with = "list")]
    pub(crate) data: Vec<AvailableWire<'a>>,
}

/// One `AvailablePhoneNumber`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AvailableWire<'a> {
    #[serde(default, borrow)]
    pub(crate) phone_number: Text<'a>,
    /// Not an exact match for the criteria.
    #[serde(default)]
    pub(crate) best_effort: Flag,
    #[serde(default, borrow, deserialize_with = "list")]
    pub(crate) region_information: Vec<RegionWire<'a>>,
    #[serde(default)]
    pub(crate) features: Features,
}

/// One `region_information` item: `region_type` is `country_code`,
/// `rate_center`, `state` or `location`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RegionWire<'a> {
    #[serde(default, borrow)]
    pub(crate) region_type: Text<'a>,
    #[serde(default, borrow)]
    pub(crate) region_name: Text<'a>,
}

impl AvailableWire<'_> {
    /// The `region_name` of the first item of `region_type`.
    pub(crate) fn region(&self, region_type: &str) -> Option<&str> {
        self.region_information
            .iter()
            .find(|r| r.region_type.0.as_deref() == Some(region_type))
            .and_then(|r| r.region_name.0.as_deref())
    }
}

/// `features: [{name}]` as capabilities: `voice`, `sms`, `mms` and `fax`
/// are core's; others (`emergency`, the live `hd_voice`) are not
/// capabilities core knows and are skipped, as are items of another shape.
/// A bare name (`["sms"]`) is read too, in case the live service drifts
/// to the shape SignalWire uses.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Features(pub(crate) Capabilities);

impl<'de> Deserialize<'de> for Features {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = Features;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of features")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Features, A::Error> {
                let mut caps = Capabilities::default();
                while let Some(name) = seq.next_element_seed(FeatureName)? {
                    match name.as_deref().map(str::trim) {
                        Some(n) if n.eq_ignore_ascii_case("voice") => caps.voice = true,
                        Some(n) if n.eq_ignore_ascii_case("sms") => caps.sms = true,
                        Some(n) if n.eq_ignore_ascii_case("mms") => caps.mms = true,
                        Some(n) if n.eq_ignore_ascii_case("fax") => caps.fax = true,
                        _ => {}
                    }
                }
                Ok(Features(caps))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Features, E> {
                Ok(Features::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Features, E> {
                Ok(Features::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Features, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Features, E> {
                Ok(Features::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Features, E> {
                Ok(Features::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Features, E> {
                Ok(Features::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Features, E> {
                Ok(Features::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Features, E> {
                Ok(Features::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Features, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Features::default())
            }
        }
        d.deserialize_any(ListVisitor)
    }
}

/// One feature's name: `{"name": "sms"}` or `"sms"`; `None` for anything
/// else.
struct FeatureName;

impl<'de> DeserializeSeed<'de> for FeatureName {
    type Value = Option<std::borrow::Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<std::borrow::Cow<'de, str>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a feature")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut name = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "name" {
                        name = map.next_value_seed(TextSeed(Leniency::CARRIERS))?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(name)
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Some(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Some(v.to_string().into()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }
        }
        d.deserialize_any(V)
    }
}

/// `PhoneNumberDetailed` (list items, get, update, delete): only the
/// fields the adapter maps.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct PhoneNumberWire {
    /// `IntId`: an int64 as a string (read as text if sent as a number).
    #[serde(default, deserialize_with = "text")]
    pub(crate) id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) phone_number: Option<String>,
    /// Hyphenated: `active`, `purchase-pending`, `deleted`, ...
    #[serde(default, deserialize_with = "text")]
    pub(crate) status: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) connection_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) messaging_profile_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) customer_reference: Option<String>,
}

/// `GET /phone_numbers`: the numbers and `PaginationMeta`.
#[derive(Debug, Deserialize)]
pub(crate) struct ListResponse {
    #[serde(default, deserialize_with = "list")]
    pub(crate) data: Vec<PhoneNumberWire>,
    #[serde(default)]
    pub(crate) meta: PaginationMeta,
}

/// `PaginationMeta`; integers, read leniently (a string of digits too).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PaginationMeta {
    #[serde(default, deserialize_with = "count")]
    pub(crate) total_pages: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    pub(crate) page_number: Option<u64>,
}

fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(text(d)?.and_then(|t| t.trim().parse().ok()))
}

/// `NumberOrderWithPhoneNumbers` (create and retrieve).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OrderWire {
    #[serde(default, deserialize_with = "text")]
    pub(crate) id: Option<String>,
    /// `pending`, `success` or `failure`.
    #[serde(default, deserialize_with = "text")]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) requirements_met: Option<Flag>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) connection_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) messaging_profile_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) customer_reference: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub(crate) phone_numbers: Vec<OrderNumberWire>,
}

/// One ordered number (`PhoneNumber` of the order, not an owned number).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OrderNumberWire {
    #[serde(default, deserialize_with = "text")]
    pub(crate) phone_number: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) requirements_met: Option<Flag>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) requirements_status: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub(crate) regulatory_requirements: Vec<RequirementWire>,
}

/// One `PhoneNumberRegulatoryRequirement`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RequirementWire {
    #[serde(default, deserialize_with = "text")]
    pub(crate) requirement_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) field_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) field_value: Option<String>,
}

/// `POST /number_orders` (`CreateNumberOrderRequest`).
#[derive(Debug, Serialize)]
pub(crate) struct OrderBody<'a> {
    pub(crate) phone_numbers: [OrderedNumber<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) connection_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) messaging_profile_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) customer_reference: Option<&'a str>,
}

/// One `phone_numbers` item of an order: the number alone.
#[derive(Debug, Serialize)]
pub(crate) struct OrderedNumber<'a> {
    pub(crate) phone_number: &'a str,
}

/// `PATCH /phone_numbers/{id}` (`UpdatePhoneNumberRequest`), partial.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct UpdateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) customer_reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) connection_id: Option<&'a str>,
}

impl UpdateBody<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        *self == UpdateBody::default()
    }
}

/// `PATCH /phone_numbers/{id}/messaging`
/// (`UpdatePhoneNumberMessagingSettingsRequest`).
#[derive(Debug, Serialize)]
pub(crate) struct MessagingBody<'a> {
    pub(crate) messaging_profile_id: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_read_in_either_shape_and_odd_items_skipped() {
        let f: Features = serde_json::from_str(
            r#"[{"name":"sms"},{"name":" VOICE "},{"name":"hd_voice"},
                "fax",1,null,["mms"],{"other":"mms"}]"#,
        )
        .unwrap();
        assert!(f.0.sms && f.0.voice && f.0.fax && !f.0.mms);
        for none in ["null", "{}", r#""sms""#, "3"] {
            assert!(
                serde_json::from_str::<Features>(none).unwrap().0.is_empty(),
                "{none}"
            );
        }
    }

    #[test]
    fn a_live_search_item_reads_with_fields_the_description_lacks() {
        let body =
            br#"{"data":[{"record_type":"available_phone_number","phone_number":"+19705555098",
            "vanity_format":null,"best_effort":false,"quickship":true,"reservable":true,
            "phone_number_type":"local","region_information":[{"region_type":"country_code",
            "region_name":"US"},{"region_type":"rate_center","region_name":"LOVELAND"}],
            "cost_information":{"upfront_cost":"3.21","monthly_cost":"6.54","currency":"USD"},
            "features":[{"name":"sms"},{"name":"hd_voice"},{"name":"voice"}]}],
            "meta":{"total_results":1,"best_effort_results":0},"metadata":{"x":1}}"#;
        let found: SearchResponse<'_> = serde_json::from_slice(body).unwrap();
        let item = &found.data[0];
        assert_eq!(item.phone_number.0.as_deref(), Some("+19705555098"));
        assert_eq!(item.region("rate_center"), Some("LOVELAND"));
        assert_eq!(item.region("state"), None);
        assert!(item.features.0.voice && item.features.0.sms);
    }

    #[test]
    fn ids_and_counts_read_as_text_whatever_their_json_type() {
        let n: PhoneNumberWire = serde_json::from_str(
            r#"{"id":1293384261075731499,"connection_id":"","status":"active"}"#,
        )
        .unwrap();
        assert_eq!(n.id.as_deref(), Some("1293384261075731499"));
        assert_eq!(n.connection_id, None);
        let m: PaginationMeta =
            serde_json::from_str(r#"{"total_pages":"3","page_number":2}"#).unwrap();
        assert_eq!((m.total_pages, m.page_number), (Some(3), Some(2)));
    }
}
