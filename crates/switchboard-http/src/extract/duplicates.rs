//! Duplicate keys in a JSON body.
//!
//! JSON leaves duplicate keys undefined, and decoders disagree: serde's
//! derived structs refuse a repeated field, `serde_json::Value` keeps the last
//! one, other parsers (a proxy's, a WAF's) keep the first. A body read one way
//! by a filter in front of the service and another way here is how a check
//! gets bypassed, so a body with a key twice, at any depth, is refused
//! before any route decodes it, whatever type it decodes into.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Where in the body the walk is: object keys and array positions.
enum Step<'de> {
    Key(Cow<'de, str>),
    Index(usize),
}

/// The path of the first duplicate key in `bytes`, such as
/// `routing.voice_url`, or `None` when every key is unique. Malformed JSON is
/// an error, as the decoder would report it.
pub(super) fn first_duplicate(bytes: &[u8]) -> Result<Option<String>, serde_json::Error> {
    let trail = RefCell::new(Vec::new());
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let walked = Walk {
        trail: &trail,
        found: &found,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match (found.into_inner(), walked) {
        (Some(path), _) => Ok(Some(path)),
        (None, Ok(())) => Ok(None),
        (None, Err(error)) => Err(error),
    }
}

/// Visits one value, and every value inside it, keeping nothing but the
/// keys of the object being read. serde_json's nesting limit bounds the
/// recursion.
struct Walk<'a, 'de> {
    trail: &'a RefCell<Vec<Step<'de>>>,
    found: &'a RefCell<Option<String>>,
}

impl Walk<'_, '_> {
    fn nested(&self) -> Self {
        Walk {
            trail: self.trail,
            found: self.found,
        }
    }

    fn path(&self) -> String {
        let mut path = String::new();
        for step in self.trail.borrow().iter() {
            match step {
                Step::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        path
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            self.trail.borrow_mut().push(Step::Index(index));
            let more = seq.next_element_seed(self.nested())?;
            self.trail.borrow_mut().pop();
            if more.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(Key(key)) = map.next_key()? {
            if !seen.insert(key.clone()) {
                self.trail.borrow_mut().push(Step::Key(key));
                *self.found.borrow_mut() = Some(self.path());
                return Err(de::Error::custom("duplicate key"));
            }
            self.trail.borrow_mut().push(Step::Key(key));
            map.next_value_seed(self.nested())?;
            self.trail.borrow_mut().pop();
        }
        Ok(())
    }
}

/// An object key, borrowed from the body unless it has escapes (which are
/// decoded, so `"a"` and `"\u0061"` are the same key, as to every decoder).
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }

            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_string())))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dup(json: &str) -> Option<String> {
        first_duplicate(json.as_bytes()).expect("valid JSON")
    }

    #[test]
    fn finds_a_repeated_key_at_any_depth_and_names_its_path() {
        assert_eq!(dup(r#"{"a": 1, "a": 2}"#).as_deref(), Some("a"));
        assert_eq!(
            dup(r#"{"routing": {"voice_url": "x", "voice_url": "y"}}"#).as_deref(),
            Some("routing.voice_url")
        );
        assert_eq!(
            dup(r#"{"a": [{"b": 1}, {"b": 1, "c": {"d": 0, "d": 0}}]}"#).as_deref(),
            Some("a[1].c.d")
        );
        // An escaped spelling is the same key.
        assert_eq!(
            dup(r#"{"friendly_name": "x", "friendly\u005fname": "y"}"#).as_deref(),
            Some("friendly_name")
        );
    }

    #[test]
    fn equal_keys_in_different_objects_are_not_duplicates() {
        assert_eq!(dup(r#"{"a": {"x": 1}, "b": {"x": 1}, "x": 1}"#), None);
        assert_eq!(dup(r#"[{"x": 1}, {"x": 2}]"#), None);
        assert_eq!(dup(r#"{"a": null, "b": [1, 2.5, -3, true, "s"]}"#), None);
        assert_eq!(dup("{}"), None);
        assert_eq!(dup("\"text\""), None);
    }

    #[test]
    fn malformed_json_is_an_error_not_a_pass() {
        for bad in [
            r#"{"a": "#,
            r#"{"a": 1} x"#,
            "{'a': 1}",
            r#"{"a": "\ud800"}"#,
        ] {
            assert!(first_duplicate(bad.as_bytes()).is_err(), "{bad}");
        }
        // Deep nesting stops at serde_json's limit instead of the stack.
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(first_duplicate(deep.as_bytes()).is_err());
    }
}
