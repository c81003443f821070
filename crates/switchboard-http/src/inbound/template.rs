//! Answer templates: TwiML/cXML text with placeholders for the call and its
//! number, checked when configured so that a typo fails at startup rather
//! than on the first call.

use std::fmt::Write;

use switchboard_core::ProvisionedNumber;
use switchboard_core::inbound::InboundEvent;

use super::answer::{Answer, escape, response_root_problem};

/// A value a template can insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholder {
    AgentId,
    To,
    From,
    CallId,
    Account,
    NumberId,
}

impl Placeholder {
    const ALL: [(&'static str, Placeholder); 6] = [
        ("agent_id", Placeholder::AgentId),
        ("to", Placeholder::To),
        ("from", Placeholder::From),
        ("call_id", Placeholder::CallId),
        ("account", Placeholder::Account),
        ("number_id", Placeholder::NumberId),
    ];

    fn named(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
    }

    fn known() -> String {
        Self::ALL
            .iter()
            .map(|(n, _)| format!("{{{n}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value(Placeholder),
}

/// A parsed template: literal XML and the placeholders between it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
    /// Bytes of literal text, to size the rendered answer.
    literal_len: usize,
}

impl Template {
    /// Parses `text`. `{name}` is a placeholder and `{{` a literal `{`; an
    /// unknown or unclosed placeholder is refused, naming it, and so is a
    /// template that is not a well-formed document with a `<Response>` root.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            if let Some(tail) = after.strip_prefix('{') {
                literal.push('{');
                rest = tail;
                continue;
            }
            let close = after.find('}').ok_or_else(|| {
                let start: String = after.chars().take(20).collect();
                format!("has an unclosed placeholder {{{start}")
            })?;
            let name = &after[..close];
            let placeholder = Placeholder::named(name).ok_or_else(|| {
                format!(
                    "has an unknown placeholder {{{name}}}; the placeholders are {}",
                    Placeholder::known()
                )
            })?;
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal)));
            }
            parts.push(Part::Value(placeholder));
            rest = &after[close + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        let template = Self {
            literal_len: parts
                .iter()
                .map(|p| match p {
                    Part::Text(t) => t.len(),
                    Part::Value(_) => 0,
                })
                .sum(),
            parts,
        };
        // Checked as rendered with sample values: every value is escaped,
        // so none can change the structure, and `{{` must not hide a tag.
        if let Some(problem) = response_root_problem(&template.render_with(|_| "x".into())) {
            return Err(problem);
        }
        Ok(template)
    }

    /// The answer for `event` to `number`, every value XML-escaped.
    pub(crate) fn render(&self, event: &InboundEvent, number: &ProvisionedNumber) -> Answer {
        Answer::xml(self.render_with(|placeholder| match placeholder {
            Placeholder::AgentId => number.agent_id.map(|a| a.to_string()).unwrap_or_default(),
            Placeholder::To => event.to().as_str().to_string(),
            Placeholder::From => escape(event.from()).into_owned(),
            Placeholder::CallId => escape(event.carrier_event_id()).into_owned(),
            Placeholder::Account => escape(number.account.as_str()).into_owned(),
            Placeholder::NumberId => number.id.to_string(),
        }))
    }

    fn render_with(&self, value: impl Fn(Placeholder) -> String) -> String {
        let mut out = String::with_capacity(self.literal_len + 64);
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Value(placeholder) => {
                    let _ = write!(out, "{}", value(*placeholder));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use switchboard_core::inbound::{InboundCall, Location};
    use switchboard_core::{
        AccountId, Capabilities, NumberState, PhoneNumber, ProvisionedNumber, Routing,
    };
    use uuid::Uuid;

    fn number() -> ProvisionedNumber {
        ProvisionedNumber {
            id: Uuid::from_u128(1),
            account: AccountId::parse("acme").unwrap(),
            phone_number: PhoneNumber::parse("+16045550100").unwrap(),
            friendly_name: "Line".into(),
            agent_id: Some(Uuid::from_u128(2)),
            capabilities: Capabilities::VOICE_SMS_MMS,
            provider: "fake".into(),
            carrier_id: Some("c1".into()),
            routing: Routing::default(),
            state: NumberState::Active,
            idempotency_key: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            released_at: None,
            release_not_before: None,
            version: 1,
            lease_until: None,
            purchased_at: None,
            request_fingerprint: None,
            order: None,
        }
    }

    fn call(from: &str) -> InboundEvent {
        InboundEvent::Call(InboundCall {
            carrier: "fake".into(),
            call_id: "CA<1>".into(),
            to: PhoneNumber::parse("+16045550100").unwrap(),
            from: from.into(),
            caller_name: None,
            from_location: Location::default(),
            forwarded_from: None,
        })
    }

    #[test]
    fn every_placeholder_is_filled_and_escaped() {
        let template = Template::parse(
            "<Response><Say>{from} to {to} {{ok}</Say><Stream url=\"wss://a/{agent_id}?n={number_id}&amp;c={call_id}&amp;a={account}\"/></Response>",
        )
        .unwrap();
        let answer = template.render(&call("\"Eve\" <sip:e@x>"), &number());
        assert_eq!(
            answer.as_str(),
            "<Response><Say>&quot;Eve&quot; &lt;sip:e@x&gt; to +16045550100 {ok}</Say>\
             <Stream url=\"wss://a/00000000-0000-0000-0000-000000000002?n=00000000-0000-0000-0000-000000000001&amp;c=CA&lt;1&gt;&amp;a=acme\"/></Response>"
        );
        assert_eq!(response_root_problem(answer.as_str()), None);
    }

    #[test]
    fn unknown_or_unclosed_placeholders_and_other_roots_are_named() {
        let err = Template::parse("<Response>{agnet_id}</Response>").unwrap_err();
        assert!(err.contains("{agnet_id}"), "{err}");
        assert!(err.contains("{agent_id}"), "lists the known ones: {err}");
        let err = Template::parse("<Response>{agent_id</Response>").unwrap_err();
        assert!(err.contains("unclosed placeholder {agent_id"), "{err}");
        let err = Template::parse("<Say>{agent_id}</Say>").unwrap_err();
        assert!(err.contains("<Say>"), "{err}");
        let err = Template::parse("<Response>{{<x</Response>").unwrap_err();
        assert!(err.contains("well-formed"), "{err}");
        assert!(Template::parse("<Response/>").is_ok());
    }
}
