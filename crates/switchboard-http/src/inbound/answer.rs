//! What the carrier is told to do: TwiML (Twilio) or cXML (SignalWire),
//! which share the `<Response>` root and the verbs we use, so one type
//! answers both.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

/// The XML answer to a call or message webhook.
///
/// A newtype rather than a `String` so that the route can only send what a
/// handler meant as an answer, and so that the common answers (no reply, a
/// rejected call, a spoken message) are spelled once, escaped correctly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer(String);

impl Answer {
    /// An answer the application wrote itself. It is sent as given: the
    /// application vouches that it is TwiML/cXML with a `<Response>` root
    /// (a carrier treats anything else as an application error).
    pub fn xml(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// `<Response/>`: do nothing. For a message, no reply is sent; for a
    /// call, the carrier hangs up.
    pub fn empty() -> Self {
        Self("<Response/>".into())
    }

    /// `<Response><Reject/></Response>`: the caller hears a busy signal and
    /// the call is not answered, so it is not billed as an answered call.
    pub fn reject() -> Self {
        Self("<Response><Reject/></Response>".into())
    }

    /// `<Response><Say>text</Say></Response>`, with `text` escaped, so a
    /// configured message can never inject verbs.
    pub fn say(text: &str) -> Self {
        Self(format!("<Response><Say>{}</Say></Response>", escape(text)))
    }

    /// The XML text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The XML text, owned.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The text as an answer if it is a well-formed document whose one root
    /// element is `<Response>`; otherwise what is wrong with it. Used for
    /// templates (refused when configured) and for a forwarding receiver's
    /// answer (not relayed unless it passes).
    pub(crate) fn checked(text: String) -> Result<Self, String> {
        response_root_problem(&text).map_or(Ok(Self(text)), Err)
    }
}

/// `text` with the five XML special characters replaced by entities, safe in
/// element text and in attribute values of either quote.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Why `text` is not a TwiML/cXML document, or `None` if it is one: well
/// formed (tags balanced, attributes quoted, only XML's own entities), with
/// exactly one root element, named `Response`. Before and after the root
/// only an XML declaration, comments, processing instructions and whitespace
/// may appear.
pub(crate) fn response_root_problem(text: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(error) => {
                return Some(format!(
                    "is not well-formed XML (at byte {}): {error}",
                    reader.error_position()
                ));
            }
        };
        match &event {
            Event::Start(start) | Event::Empty(start) => {
                if let Some(problem) = attributes_problem(start) {
                    return Some(problem);
                }
                if depth == 0 {
                    let name = start.name();
                    if name.as_ref() != b"Response" {
                        return Some(format!(
                            "has the root element <{}>, not <Response>",
                            String::from_utf8_lossy(name.as_ref())
                        ));
                    }
                    roots += 1;
                    if roots > 1 {
                        return Some("has more than one root element".into());
                    }
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(t) if depth == 0 && !t.as_ref().iter().all(u8::is_ascii_whitespace) => {
                return Some("has text outside the <Response> element".into());
            }
            Event::CData(_) if depth == 0 => {
                return Some("has text outside the <Response> element".into());
            }
            Event::GeneralRef(reference) => {
                if depth == 0 {
                    return Some("has text outside the <Response> element".into());
                }
                let known = match reference.resolve_char_ref() {
                    Ok(Some(_)) => true,
                    Ok(None) => reference
                        .decode()
                        .is_ok_and(|name| resolve_predefined_entity(&name).is_some()),
                    Err(_) => false,
                };
                if !known {
                    return Some(format!(
                        "is not well-formed XML: unknown entity &{};",
                        String::from_utf8_lossy(reference.as_ref())
                    ));
                }
            }
            Event::DocType(_) => return Some("has a DOCTYPE, which carriers refuse".into()),
            Event::Eof => break,
            _ => {}
        }
    }
    if depth > 0 {
        return Some("is not well-formed XML: <Response> is not closed".into());
    }
    (roots == 0).then(|| "has no <Response> root element".into())
}

/// Whether an element's attributes are well formed: quoted, given once,
/// with only XML's own entities in their values.
fn attributes_problem(start: &BytesStart<'_>) -> Option<String> {
    for attribute in start.attributes() {
        let problem = match attribute {
            Err(error) => error.to_string(),
            Ok(attribute) => match attribute.normalized_value(XmlVersion::Implicit1_0) {
                Ok(_) => continue,
                Err(error) => error.to_string(),
            },
        };
        return Some(format!(
            "is not well-formed XML: in <{}>: {problem}",
            String::from_utf8_lossy(start.name().as_ref())
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_the_five_specials_and_leaves_the_rest() {
        assert_eq!(escape("plain"), "plain");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(escape("Zoë"), "Zoë");
    }

    #[test]
    fn the_common_answers_are_response_documents() {
        for answer in [Answer::empty(), Answer::reject(), Answer::say("a < b")] {
            assert_eq!(response_root_problem(answer.as_str()), None, "{answer:?}");
        }
        assert_eq!(
            Answer::say("</Say><Dial>+1</Dial>").as_str(),
            "<Response><Say>&lt;/Say&gt;&lt;Dial&gt;+1&lt;/Dial&gt;</Say></Response>"
        );
    }

    #[test]
    fn only_one_well_formed_response_root_passes() {
        let good = [
            "<Response/>",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>\n  <Say voice=\"a>b\">Hi</Say>\n</Response>\n",
            "<!-- a comment --><Response><Connect><Stream url=\"wss://x/{agent_id}\"/></Connect></Response>",
            "<Response><![CDATA[<not a tag>]]></Response>",
            "<Response><Say>&amp;&#233;&#x41;&lt;</Say><Play url=\"a?b=1&amp;c=2\"/></Response>",
        ];
        for text in good {
            assert_eq!(response_root_problem(text), None, "{text}");
        }
        let bad = [
            ("", "no <Response>"),
            ("hello", "text outside"),
            ("<Say>Hi</Say>", "root element <Say>"),
            ("<response/>", "root element <response>"),
            ("<Response><Say>Hi</Response>", "well-formed"),
            ("<Response>", "not closed"),
            ("<Response/><Response/>", "more than one root"),
            ("<Response/>trailing", "text outside"),
            ("<Response><Say a=b/></Response>", "well-formed"),
            ("<!DOCTYPE x><Response/>", "DOCTYPE"),
            (
                "<Response><Say>&nbsp;</Say></Response>",
                "unknown entity &nbsp;",
            ),
            ("<Response><Play a=\"&bad;\"/></Response>", "<Play>"),
            ("<Response><Play a=\"1\" a=\"2\"/></Response>", "<Play>"),
        ];
        for (text, expected) in bad {
            let problem = response_root_problem(text).unwrap_or_default();
            assert!(problem.contains(expected), "{text:?}: {problem:?}");
        }
        assert!(Answer::checked("<Say/>".into()).is_err());
        assert_eq!(
            Answer::checked("<Response/>".into()).unwrap(),
            Answer::empty()
        );
    }
}
