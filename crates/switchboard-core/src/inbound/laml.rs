//! Reading the Twilio-compatible webhook parameters (Twilio's own, and
//! SignalWire's LaML/cXML webhooks, which use the same names) into events.

use crate::PhoneNumber;

use super::{
    InboundCall, InboundEvent, InboundKind, InboundMessage, Location, Media, WebhookError,
};

/// The most attachments read from one message (Twilio's limit is 10).
pub const MAX_MEDIA: usize = 10;

/// Decodes a form body or a query string into its name/value pairs, in
/// order, repeated names kept: exactly what the signature covers.
pub fn form_params(encoded: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(encoded).into_owned().collect()
}

/// Reads a JSON webhook body as Twilio-named parameters: a flat object
/// whose values are text (numbers and booleans are taken as their text;
/// `null` as absent). Anything else is refused, naming what was wrong.
pub fn json_params(body: &[u8]) -> Result<Vec<(String, String)>, WebhookError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::malformed("body", format!("is not JSON: {e}")))?;
    let serde_json::Value::Object(fields) = value else {
        return Err(WebhookError::malformed("body", "is not a JSON object"));
    };
    let mut params = Vec::with_capacity(fields.len());
    for (name, value) in fields {
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(text) => text,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => return Err(WebhookError::malformed(name, "is not text")),
        };
        params.push((name, text));
    }
    Ok(params)
}

fn first<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn required<'p>(params: &'p [(String, String)], name: &str) -> Result<&'p str, WebhookError> {
    first(params, name).ok_or_else(|| WebhookError::malformed(name, "is missing"))
}

/// `To`, checked as E.164 only: the parameters are the carrier's, proven by
/// its signature before anything here reads them, and the number is only
/// looked up (one not in our records is "not ours"), so the numbering-plan
/// check of [`PhoneNumber::parse`] (a regex match against the plan's
/// metadata, the costliest step of a webhook when measured) would prove
/// nothing more.
fn called_number(params: &[(String, String)]) -> Result<PhoneNumber, WebhookError> {
    let to = required(params, "To")?;
    PhoneNumber::parse_trusted(to)
        .map_err(|e| WebhookError::malformed("To", format!("is not an E.164 number: {e}")))
}

fn owned(value: Option<&str>) -> Option<String> {
    value.map(str::to_string)
}

/// Reads Twilio-named parameters as a `kind` event from `carrier`.
///
/// `To` must be E.164 text (it is ours); `From` is kept as given. Call this
/// only with parameters whose signature was verified.
/// Parameters this does not know are ignored (they were still signed).
pub fn parse_laml_event(
    carrier: &str,
    kind: InboundKind,
    params: &[(String, String)],
) -> Result<InboundEvent, WebhookError> {
    let to = called_number(params)?;
    let from = required(params, "From")?.to_string();
    match kind {
        InboundKind::Voice => Ok(InboundEvent::Call(InboundCall {
            carrier: carrier.to_string(),
            call_id: required(params, "CallSid")?.to_string(),
            to,
            from,
            caller_name: owned(first(params, "CallerName")),
            from_location: Location {
                city: owned(first(params, "FromCity")),
                state: owned(first(params, "FromState")),
                postal_code: owned(first(params, "FromZip")),
                country: owned(first(params, "FromCountry")),
            },
            forwarded_from: owned(first(params, "ForwardedFrom")),
        })),
        InboundKind::Message => {
            let declared = match first(params, "NumMedia") {
                None => 0,
                Some(n) => n
                    .parse::<usize>()
                    .map_err(|_| WebhookError::malformed("NumMedia", "is not a whole number"))?,
            };
            let media = (0..declared.min(MAX_MEDIA))
                .filter_map(|i| {
                    first(params, &format!("MediaUrl{i}")).map(|url| Media {
                        url: url.to_string(),
                        content_type: owned(first(params, &format!("MediaContentType{i}"))),
                    })
                })
                .collect();
            Ok(InboundEvent::Message(InboundMessage {
                carrier: carrier.to_string(),
                message_id: required(params, "MessageSid")?.to_string(),
                to,
                from,
                body: first(params, "Body").unwrap_or("").to_string(),
                media,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_call_keeps_what_the_carrier_knows_of_the_caller() {
        let p = params(&[
            ("CallSid", "CA0123"),
            ("To", "+16045550100"),
            ("From", "anonymous"),
            ("CallerName", "Zoë"),
            ("FromCity", "Vancouver"),
            ("FromCountry", "CA"),
            ("SomethingNew", "ignored"),
        ]);
        let InboundEvent::Call(call) = parse_laml_event("twilio", InboundKind::Voice, &p).unwrap()
        else {
            panic!("not a call")
        };
        assert_eq!(call.call_id, "CA0123");
        assert_eq!(call.to.as_str(), "+16045550100");
        assert_eq!(call.from, "anonymous");
        assert_eq!(call.caller_name.as_deref(), Some("Zoë"));
        assert_eq!(call.from_location.city.as_deref(), Some("Vancouver"));
        assert_eq!(call.from_location.state, None);
    }

    #[test]
    fn a_message_reads_its_declared_media_only() {
        let p = params(&[
            ("MessageSid", "MM1"),
            ("To", "+16045550100"),
            ("From", "+16045550101"),
            ("Body", ""),
            ("NumMedia", "1"),
            ("MediaUrl0", "https://m/0"),
            ("MediaContentType0", "image/png"),
            ("MediaUrl1", "https://m/undeclared"),
        ]);
        let InboundEvent::Message(m) =
            parse_laml_event("signalwire", InboundKind::Message, &p).unwrap()
        else {
            panic!("not a message")
        };
        assert_eq!(m.body, "");
        assert_eq!(m.media.len(), 1);
        assert_eq!(m.media[0].content_type.as_deref(), Some("image/png"));
    }

    #[test]
    fn missing_or_unreadable_parameters_are_named() {
        let no_to = params(&[("CallSid", "CA1"), ("From", "+16045550101")]);
        let err = parse_laml_event("twilio", InboundKind::Voice, &no_to).unwrap_err();
        assert_eq!(err, WebhookError::malformed("To", "is missing"));
        assert!(!err.is_authentication());
        let sip = params(&[("CallSid", "CA1"), ("To", "sip:a@b"), ("From", "x")]);
        let err = parse_laml_event("twilio", InboundKind::Voice, &sip).unwrap_err();
        assert!(matches!(err, WebhookError::Malformed { ref field, .. } if field == "To"));
        let bad_media = params(&[
            ("MessageSid", "SM1"),
            ("To", "+16045550100"),
            ("From", "x"),
            ("NumMedia", "-1"),
        ]);
        let err = parse_laml_event("twilio", InboundKind::Message, &bad_media).unwrap_err();
        assert!(matches!(err, WebhookError::Malformed { ref field, .. } if field == "NumMedia"));
    }

    #[test]
    fn form_params_decode_repeats_and_non_ascii() {
        let p = form_params("a=1&a=2&B=%C3%A9t%C3%A9+ici".as_bytes());
        assert_eq!(p, params(&[("a", "1"), ("a", "2"), ("B", "été ici")]));
    }
}
