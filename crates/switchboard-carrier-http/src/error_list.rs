//! The `errors[]` body, as carriers that follow JSON:API's error objects
//! send it (`{"errors": [{code, title, detail, source: {pointer,
//! parameter}}]}`: Telnyx's `Errors` schema, SignalWire's validation
//! errors), read once so that every adapter reads codes and the field at
//! fault alike. Which code means what stays in the adapter.

use serde_json::Value;

use crate::lenient::text;
use crate::text::quote;

/// One error object of an `errors[]` body. Text is quoted (one bounded
/// line), since it is copied into core's errors and logs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ErrorItem {
    /// The carrier's code, as text whether it came as a string (Telnyx's
    /// `"10015"`) or a number.
    pub code: Option<String>,
    /// The short title (`Bad Request`).
    pub title: Option<String>,
    /// The longer explanation.
    pub detail: Option<String>,
    /// `source.pointer`: a JSON pointer into the request body
    /// (`/phone_numbers/0/phone_number`).
    pub pointer: Option<String>,
    /// `source.parameter`: the query parameter at fault.
    pub parameter: Option<String>,
}

impl ErrorItem {
    /// Every error object of `body`, in order; none when the body is not
    /// such a list (an HTML page, `{"error": ...}`, empty). Never fails:
    /// an error answer must still become an error however it is spelt.
    pub fn list(body: &[u8]) -> Vec<ErrorItem> {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return Vec::new();
        };
        let Some(Value::Array(errors)) = map.get("errors") else {
            return Vec::new();
        };
        errors
            .iter()
            .filter(|item| item.is_object())
            .map(|item| {
                let source = item.get("source");
                ErrorItem {
                    code: as_text(item.get("code")),
                    title: as_text(item.get("title")),
                    detail: as_text(item.get("detail")),
                    pointer: as_text(source.and_then(|s| s.get("pointer"))),
                    parameter: as_text(source.and_then(|s| s.get("parameter"))),
                }
            })
            .collect()
    }

    /// The words for a person: `title: detail`, or whichever there is.
    pub fn message(&self) -> Option<String> {
        match (&self.title, &self.detail) {
            (Some(title), Some(detail)) => Some(format!("{title}: {detail}")),
            (None, Some(detail)) => Some(detail.clone()),
            (Some(title), None) => Some(title.clone()),
            (None, None) => None,
        }
    }

    /// The name of the field at fault: the last segment of the pointer
    /// (`/phone_numbers/0/phone_number` is `phone_number`), else the query
    /// parameter.
    pub fn field(&self) -> Option<&str> {
        let from_pointer = self.pointer.as_deref().and_then(|p| {
            p.rsplit('/')
                .find(|segment| !segment.is_empty() && !segment.bytes().all(|b| b.is_ascii_digit()))
        });
        from_pointer.or(self.parameter.as_deref())
    }
}

/// The shared text rules (blank is none, a number is its text), quoted.
fn as_text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(|v| text(v).ok().flatten())
        .and_then(|t| quote(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_read_with_codes_as_text_and_the_field_named() {
        let items = ErrorItem::list(
            br#"{"errors":[
                {"code":"10016","title":"Phone number must be in +E.164 format",
                 "detail":"x","source":{"pointer":"/phone_numbers/0/phone_number"}},
                {"code":10004,"title":"Missing required parameter",
                 "source":{"parameter":"filter[country_code]"}},
                "not an object",
                {"title":"  ","detail":null}
            ]}"#,
        );
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].code.as_deref(), Some("10016"));
        assert_eq!(items[0].field(), Some("phone_number"));
        assert_eq!(
            items[0].message().as_deref(),
            Some("Phone number must be in +E.164 format: x")
        );
        assert_eq!(items[1].code.as_deref(), Some("10004"));
        assert_eq!(items[1].field(), Some("filter[country_code]"));
        assert_eq!(items[2], ErrorItem::default());
        assert_eq!(items[2].message(), None);
    }

    #[test]
    fn bodies_without_a_list_have_no_items_and_text_is_bounded() {
        for body in [
            &b""[..],
            b"<html>",
            br#"{"error":"Not Found"}"#,
            br#"{"errors":{}}"#,
        ] {
            assert!(ErrorItem::list(body).is_empty());
        }
        let long = serde_json::json!({"errors": [{"code": "1", "detail": "x".repeat(5000)}]});
        let items = ErrorItem::list(long.to_string().as_bytes());
        let detail = items[0].detail.as_deref().unwrap();
        assert!(detail.chars().count() <= crate::MAX_QUOTED_CHARS + 1);
    }
}
