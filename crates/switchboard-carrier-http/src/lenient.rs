//! Carrier JSON read as carriers send it, not as their descriptions promise.
//!
//! Carriers' answers drift: optional text comes back as `""` or `null`,
//! numbers come as strings and codes as numbers, capability names change
//! case, fields appear and disappear. The readers here apply one set of
//! rules, stated as [`Leniency`], so that every adapter reads the same fact
//! the same way. One rule holds whatever the leniency: a value of a type
//! that cannot be the field's (an array where text is expected, an object
//! where a flag is) reads as absent, false or empty rather than failing the
//! whole answer, because one odd field must not hide a number we own.
//!
//! Use them in `#[serde(deserialize_with = "...")]` ([`text`], [`list`],
//! [`capabilities`]), as field types ([`Text`], [`WireCapabilities`]), for a
//! hand-written reader of a large answer ([`read_object`]), or with other
//! rules through the seeds ([`TextSeed`], [`FlagSeed`], [`CapabilitiesSeed`]).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use switchboard_core::Capabilities;

/// How leniently carrier JSON is read, one rule per fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leniency {
    /// Text that is empty or only white space reads as absent. Twilio
    /// sends unset URLs and SIDs as `""` or `null`; SignalWire sends `""`
    /// for "none" in string fields, UUID-typed ones too.
    pub blank_is_absent: bool,
    /// A JSON number where text is expected reads as its decimal text
    /// (otherwise as absent). Carriers do not keep strings and numbers
    /// apart: Twilio's error `code` is a number (`21422`) and its latitude a
    /// string; SignalWire's error `status` and `code` are strings; Telnyx's
    /// ids are integers written as strings. The number is what the carrier
    /// said, so its text is never a guess, and a check on the text (an E.164
    /// `+`, a UUID) still refuses what cannot be right.
    pub number_as_text: bool,
    /// A flag given as the string `"true"` or `"false"` (any case, white
    /// space around) reads as that boolean (otherwise as false). The same
    /// drift between scalars and strings; only a flag that says `true`
    /// turns anything on, and a number (`1`) never does.
    pub flag_as_text: bool,
    /// Capability names, as keys or as list items, match without regard to
    /// ASCII case or surrounding white space (otherwise exactly). Twilio
    /// has sent `voice`, `SMS`, `MMS` as well as `sms`, `mms`, `fax`.
    pub names_ignore_case: bool,
}

impl Leniency {
    /// The rules every carrier adapter reads with: the facts above hold for
    /// Twilio and SignalWire alike.
    pub const CARRIERS: Leniency = Leniency {
        blank_is_absent: true,
        number_as_text: true,
        flag_as_text: true,
        names_ignore_case: true,
    };
}

/// Visitor methods reading the named kinds of JSON value as `$value`:
/// `bool`, `numbers`, `str`, `null`, and `containers` (consumed unread).
macro_rules! read_as {
    ($value:expr => $($kind:ident),+) => { $(read_as!(@ $kind $value);)+ };
    (@ bool $value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> { Ok($value) }
    };
    (@ numbers $value:expr) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> { Ok($value) }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> { Ok($value) }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> { Ok($value) }
    };
    (@ str $value:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> { Ok($value) }
    };
    (@ null $value:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> { Ok($value) }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> { Ok($value) }
    };
    (@ containers $value:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($value)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($value)
        }
    };
}

// ---- text ------------------------------------------------------------

/// Optional text under [`Leniency::CARRIERS`], borrowed from the answer's
/// bytes when it holds no escapes: a large answer is then not copied field
/// by field before the fields kept are.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        TextSeed(Leniency::CARRIERS).deserialize(d).map(Text)
    }
}

/// [`Text`] under other rules.
#[derive(Debug, Clone, Copy)]
pub struct TextSeed(pub Leniency);

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TextVisitor(self.0))
    }
}

/// Optional owned text under [`Leniency::CARRIERS`], for
/// `#[serde(default, deserialize_with = "lenient::text")]`.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Text::deserialize(d)?.0.map(Cow::into_owned))
}

struct TextVisitor(Leniency);

impl TextVisitor {
    fn kept(&self, text: &str) -> bool {
        !(self.0.blank_is_absent && blank(text))
    }

    fn number<T: ToString>(&self, n: T) -> Option<Cow<'static, str>> {
        self.0.number_as_text.then(|| Cow::Owned(n.to_string()))
    }
}

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("text, a number or null")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(self.kept(v).then_some(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.kept(v).then(|| Cow::Owned(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(self.kept(&v).then_some(Cow::Owned(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.number(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.number(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.number(v))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    read_as!(None => bool, null, containers);
}

/// Whether `text` is empty or only white space. Most values start with a
/// visible ASCII character, which settles it without a Unicode-aware trim.
fn blank(text: &str) -> bool {
    match text.as_bytes().first() {
        Some(b) if b.is_ascii_graphic() => false,
        _ => text.trim().is_empty(),
    }
}

// ---- lists and keys --------------------------------------------------

/// A list, with `null` read as empty, for
/// `#[serde(default, deserialize_with = "lenient::list")]`.
pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Where [`read_object`] puts the value of one key.
pub enum Slot<'s, 'a> {
    /// Into optional text, read as [`Text`] (borrowed where it can be).
    Text(&'s mut Option<Cow<'a, str>>),
    /// Into capabilities, read as [`WireCapabilities`].
    Capabilities(&'s mut Capabilities),
    /// Nowhere: the value is skipped unread.
    Skip,
}

/// An object read into a `T` that starts as its default, `slot` saying for
/// each key where its value goes (read under [`Leniency::CARRIERS`]);
/// `expecting` names the object for errors.
///
/// For the one large answer of a carrier, a search, whose text is borrowed
/// rather than copied and whose unwanted keys are skipped without being
/// decoded. A key is matched as bytes (serde_json need not check it as
/// UTF-8 first), and after unescaping, so `"rate_\u0063enter"` is
/// `rate_center`.
pub fn read_object<'de, D, T>(
    d: D,
    expecting: &'static str,
    slot: for<'s> fn(&'s mut T, &[u8]) -> Slot<'s, 'de>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default,
{
    struct ObjectVisitor<'de, T> {
        expecting: &'static str,
        slot: for<'s> fn(&'s mut T, &[u8]) -> Slot<'s, 'de>,
    }
    impl<'de, T: Default> Visitor<'de> for ObjectVisitor<'de, T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut value = T::default();
            while let Some(slot) = map.next_key_seed(KeySeed {
                target: &mut value,
                slot: self.slot,
            })? {
                match slot {
                    Slot::Text(text) => {
                        *text = map.next_value_seed(TextSeed(Leniency::CARRIERS))?
                    }
                    Slot::Capabilities(caps) => {
                        *caps = map.next_value_seed(CapabilitiesSeed(Leniency::CARRIERS))?;
                    }
                    Slot::Skip => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(value)
        }
    }
    d.deserialize_map(ObjectVisitor { expecting, slot })
}

/// A key of [`read_object`], turned into its slot.
struct KeySeed<'s, 'de, T> {
    target: &'s mut T,
    slot: for<'x> fn(&'x mut T, &[u8]) -> Slot<'x, 'de>,
}

impl<'s, 'de: 's, T> DeserializeSeed<'de> for KeySeed<'s, 'de, T> {
    type Value = Slot<'s, 'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_bytes(self)
    }
}

impl<'s, 'de: 's, T> Visitor<'de> for KeySeed<'s, 'de, T> {
    type Value = Slot<'s, 'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((self.slot)(self.target, v.as_bytes()))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok((self.slot)(self.target, v))
    }
}

// ---- flags -----------------------------------------------------------

/// A flag under [`Leniency::CARRIERS`]: `true`, `"true"`, or false for
/// anything else.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        FlagSeed(Leniency::CARRIERS).deserialize(d).map(Flag)
    }
}

/// [`Flag`] under other rules.
#[derive(Debug, Clone, Copy)]
pub struct FlagSeed(pub Leniency);

impl<'de> DeserializeSeed<'de> for FlagSeed {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        struct V(Leniency);
        impl<'de> Visitor<'de> for V {
            type Value = bool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
                Ok(v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
                Ok(self.0.flag_as_text && v.trim().eq_ignore_ascii_case("true"))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
                d.deserialize_any(self)
            }
            read_as!(false => numbers, null, containers);
        }
        d.deserialize_any(V(self.0))
    }
}

// ---- capabilities ----------------------------------------------------

/// Capabilities under [`Leniency::CARRIERS`], in either shape carriers
/// use: a list of names (`["voice", "sms"]`: SignalWire's PhoneNumber and
/// live search) or an object of flags (`{"voice": true, "SMS": true}`:
/// Twilio, and SignalWire's current description). A name missing, unknown
/// or not a string is not a capability; anything else is none.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WireCapabilities(pub Capabilities);

impl<'de> Deserialize<'de> for WireCapabilities {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        CapabilitiesSeed(Leniency::CARRIERS)
            .deserialize(d)
            .map(WireCapabilities)
    }
}

/// [`WireCapabilities`] for `#[serde(default, deserialize_with = "lenient::capabilities")]`.
pub fn capabilities<'de, D: Deserializer<'de>>(d: D) -> Result<Capabilities, D::Error> {
    Ok(WireCapabilities::deserialize(d)?.0)
}

/// [`WireCapabilities`] under other rules.
#[derive(Debug, Clone, Copy)]
pub struct CapabilitiesSeed(pub Leniency);

impl<'de> DeserializeSeed<'de> for CapabilitiesSeed {
    type Value = Capabilities;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Capabilities, D::Error> {
        struct V(Leniency);
        impl<'de> Visitor<'de> for V {
            type Value = Capabilities;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("capability names or flags")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Capabilities, A::Error> {
                let mut caps = Capabilities::default();
                while let Some(name) = seq.next_element_seed(NameSeed {
                    rules: self.0,
                    key: false,
                })? {
                    name.set(&mut caps, true);
                }
                Ok(caps)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Capabilities, A::Error> {
                let mut caps = Capabilities::default();
                while let Some(name) = map.next_key_seed(NameSeed {
                    rules: self.0,
                    key: true,
                })? {
                    let on = map.next_value_seed(FlagSeed(self.0))?;
                    name.set(&mut caps, on);
                }
                Ok(caps)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Capabilities, D::Error> {
                d.deserialize_any(self)
            }
            read_as!(Capabilities::default() => bool, numbers, str, null);
        }
        d.deserialize_any(V(self.0))
    }
}

/// One capability's name, known or not.
#[derive(Clone, Copy)]
enum Name {
    Voice,
    Sms,
    Mms,
    Fax,
    Unknown,
}

impl Name {
    fn from_bytes(name: &[u8], rules: Leniency) -> Self {
        let known = [
            (&b"voice"[..], Name::Voice),
            (b"sms", Name::Sms),
            (b"mms", Name::Mms),
            (b"fax", Name::Fax),
        ];
        let found = |wanted: &[u8]| {
            if rules.names_ignore_case {
                name.trim_ascii().eq_ignore_ascii_case(wanted)
            } else {
                name == wanted
            }
        };
        known
            .into_iter()
            .find(|(wanted, _)| found(wanted))
            .map_or(Name::Unknown, |(_, name)| name)
    }

    /// Sets the flag of this capability, for the last mention to decide.
    fn set(self, caps: &mut Capabilities, on: bool) {
        match self {
            Name::Voice => caps.voice = on,
            Name::Sms => caps.sms = on,
            Name::Mms => caps.mms = on,
            Name::Fax => caps.fax = on,
            Name::Unknown => {}
        }
    }
}

/// A capability name as an object key (always text, read as bytes) or a
/// list item (any value; one that is not text is an unknown name).
struct NameSeed {
    rules: Leniency,
    key: bool,
}

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Name;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Name, D::Error> {
        struct V(Leniency);
        impl<'de> Visitor<'de> for V {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a capability name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Name, E> {
                // Only ASCII names are known; trimming Unicode space first
                // keeps the reading of a name padded with it.
                let v = if self.0.names_ignore_case {
                    v.trim()
                } else {
                    v
                };
                Ok(Name::from_bytes(v.as_bytes(), self.0))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Name, E> {
                match std::str::from_utf8(v) {
                    Ok(v) => self.visit_str(v),
                    Err(_) => Ok(Name::Unknown),
                }
            }
            read_as!(Name::Unknown => bool, numbers, null, containers);
        }
        if self.key {
            d.deserialize_bytes(V(self.rules))
        } else {
            d.deserialize_any(V(self.rules))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Fields {
        #[serde(default, deserialize_with = "text")]
        a: Option<String>,
        #[serde(default, deserialize_with = "list")]
        items: Vec<u8>,
        #[serde(default, deserialize_with = "capabilities")]
        caps: Capabilities,
    }

    fn read(json: &str) -> Fields {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn blank_null_and_odd_types_are_absent_and_numbers_are_their_text() {
        for absent in [r#""""#, r#""  ""#, "null", "true", "[1]", r#"{"x":1}"#] {
            assert_eq!(read(&format!(r#"{{"a":{absent}}}"#)).a, None, "{absent}");
        }
        assert_eq!(read("{}").a, None);
        assert_eq!(read(r#"{"a":21422}"#).a.as_deref(), Some("21422"));
        assert_eq!(read(r#"{"a":-3}"#).a.as_deref(), Some("-3"));
        assert_eq!(read(r#"{"a":19.72}"#).a.as_deref(), Some("19.72"));
        assert_eq!(
            read(r#"{"a":1293384261075731499}"#).a.as_deref(),
            Some("1293384261075731499")
        );
        assert_eq!(read(r#"{"a":" x "}"#).a.as_deref(), Some(" x "));
    }

    #[test]
    fn text_is_borrowed_unless_it_had_to_be_unescaped() {
        let t: Text<'_> = serde_json::from_str(r#""plain""#).unwrap();
        assert!(matches!(t.0, Some(Cow::Borrowed("plain"))));
        let t: Text<'_> = serde_json::from_str(r#""H\"I""#).unwrap();
        assert!(matches!(t.0, Some(Cow::Owned(ref s)) if s == "H\"I"));
    }

    #[test]
    fn stricter_rules_are_parameters() {
        let strict = Leniency {
            blank_is_absent: false,
            number_as_text: false,
            flag_as_text: false,
            names_ignore_case: false,
        };
        let mut de = serde_json::Deserializer::from_str(r#""""#);
        assert_eq!(
            TextSeed(strict).deserialize(&mut de).unwrap().as_deref(),
            Some("")
        );
        let mut de = serde_json::Deserializer::from_str("12");
        assert_eq!(TextSeed(strict).deserialize(&mut de).unwrap(), None);
        let mut de = serde_json::Deserializer::from_str(r#""true""#);
        assert!(!FlagSeed(strict).deserialize(&mut de).unwrap());
        let mut de = serde_json::Deserializer::from_str(r#"{"SMS":true,"voice":true}"#);
        let caps = CapabilitiesSeed(strict).deserialize(&mut de).unwrap();
        assert!(caps.voice && !caps.sms);
    }

    #[test]
    fn lists_may_be_null_or_missing() {
        assert!(read(r#"{"items":null}"#).items.is_empty());
        assert!(read("{}").items.is_empty());
        assert_eq!(read(r#"{"items":[1,2]}"#).items, [1, 2]);
    }

    #[test]
    fn capabilities_come_as_names_or_flags_in_any_case() {
        let caps = read(r#"{"caps":["voice"," SMS ","fax"]}"#).caps;
        assert!(caps.voice && caps.sms && caps.fax && !caps.mms);
        let caps = read(r#"{"caps":{"voice":true,"SMS":"true","MMS":" TRUE ","Fax":false}}"#).caps;
        assert!(caps.voice && caps.sms && caps.mms && !caps.fax);
    }

    #[test]
    fn odd_capability_entries_are_skipped_not_fatal() {
        let caps = read(r#"{"caps":[1,null,["sms"],{"mms":true},"telex","voice"]}"#).caps;
        assert_eq!(
            caps,
            Capabilities {
                voice: true,
                ..Capabilities::default()
            }
        );
        let caps = read(r#"{"caps":{"voice":1,"sms":null,"mms":{"x":true},"fax":"yes"}}"#).caps;
        assert!(caps.is_empty());
        for other in ["null", "true", "12", r#""voice""#, r#""""#] {
            assert!(
                read(&format!(r#"{{"caps":{other}}}"#)).caps.is_empty(),
                "{other}"
            );
        }
    }

    #[derive(Debug, Default)]
    struct Offer<'a> {
        number: Option<Cow<'a, str>>,
        region: Option<Cow<'a, str>>,
        caps: Capabilities,
    }

    fn offer<'s, 'a>(offer: &'s mut Offer<'a>, key: &[u8]) -> Slot<'s, 'a> {
        match key {
            b"number" => Slot::Text(&mut offer.number),
            b"region" => Slot::Text(&mut offer.region),
            b"capabilities" => Slot::Capabilities(&mut offer.caps),
            _ => Slot::Skip,
        }
    }

    impl<'de: 'a, 'a> Deserialize<'de> for Offer<'a> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            read_object(d, "an offer", offer)
        }
    }

    #[test]
    fn an_object_is_read_into_its_slots_borrowing_text_and_skipping_the_rest() {
        let read: Offer<'_> = serde_json::from_str(
            r#"{"number":"+15005550006","regi\u006fn":"T\u0058","ignored":{"deep":[1,{"x":2}]},
                "capabilities":["voice"],"number":"+15005550007"}"#,
        )
        .unwrap();
        // The last mention of a key decides, as for serde's derived readers.
        assert!(matches!(read.number, Some(Cow::Borrowed("+15005550007"))));
        assert!(matches!(&read.region, Some(Cow::Owned(r)) if r == "TX"));
        assert!(read.caps.voice && !read.caps.sms);
        assert!(serde_json::from_str::<Offer<'_>>("[1]").is_err());
        assert!(serde_json::from_str::<Offer<'_>>(r#"{"number":"#).is_err());
    }
}
