//! What callers of the provisioning service ask for.

use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use crate::{Error, PhoneNumber, Result, Routing};

/// The longest display name accepted (Twilio's limit).
pub const MAX_FRIENDLY_NAME_LEN: usize = 64;
/// The longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// Buy a number for an account. The JSON form is the seed API's request body
/// (`phone_number`, `friendly_name`, `agent_id`) plus optional extensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionRequest {
    /// The number to buy, from search results.
    pub phone_number: PhoneNumber,
    /// Display name; the number itself when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// The agent that answers the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Uuid>,
    /// Webhooks to set at the carrier.
    #[serde(default, skip_serializing_if = "Routing::is_empty")]
    pub routing: Routing,
    /// The carrier to buy from; the configured default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Repeating a request with the same key returns the same number and
    /// buys nothing more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

impl ProvisionRequest {
    /// A request for `phone_number` with nothing else set.
    pub fn new(phone_number: PhoneNumber) -> Self {
        Self {
            phone_number,
            friendly_name: None,
            agent_id: None,
            routing: Routing::default(),
            provider: None,
            idempotency_key: None,
        }
    }

    /// Sets the display name.
    pub fn friendly_name(mut self, name: impl Into<String>) -> Self {
        self.friendly_name = Some(name.into());
        self
    }

    /// Assigns an agent.
    pub fn agent(mut self, agent_id: Uuid) -> Self {
        self.agent_id = Some(agent_id);
        self
    }

    /// Sets the webhooks.
    pub fn routing(mut self, routing: Routing) -> Self {
        self.routing = routing;
        self
    }

    /// Buys from this carrier rather than the default.
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Sets the idempotency key.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Checks the fields that types alone do not.
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = &self.friendly_name {
            validate_friendly_name(name)?;
        }
        if let Some(key) = &self.idempotency_key
            && (key.is_empty()
                || key.len() > MAX_IDEMPOTENCY_KEY_LEN
                || !key.chars().all(|c| c.is_ascii_graphic()))
        {
            return Err(Error::invalid(
                "idempotency_key",
                format!("must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} printable ASCII characters"),
            ));
        }
        Ok(())
    }

    /// The request as one line per field, for binding an idempotency key to
    /// the whole request: a later request under the same key must have the
    /// same fingerprint, and [`ProvisionRequest::first_difference`] names
    /// the field where two differ. Values are written with `{:?}`, which
    /// escapes line breaks, so every field stays on its own line. The key
    /// itself is left out (it is what the fingerprint is stored under).
    pub fn fingerprint(&self) -> String {
        let routing = &self.routing;
        let method = |m: Option<crate::WebhookMethod>| m.map(|m| m.as_str());
        let url = |u: &Option<crate::WebhookUrl>| u.as_ref().map(|u| u.as_str().to_string());
        let fields: [(&str, String); 9] = [
            ("phone_number", format!("{:?}", self.phone_number.as_str())),
            ("friendly_name", format!("{:?}", self.friendly_name)),
            (
                "agent_id",
                format!("{:?}", self.agent_id.map(|a| a.to_string())),
            ),
            (
                "routing.voice_url",
                format!("{:?}", url(&routing.voice_url)),
            ),
            (
                "routing.voice_method",
                format!("{:?}", method(routing.voice_method)),
            ),
            ("routing.sms_url", format!("{:?}", url(&routing.sms_url))),
            (
                "routing.sms_method",
                format!("{:?}", method(routing.sms_method)),
            ),
            (
                "routing.status_callback",
                format!("{:?}", url(&routing.status_callback)),
            ),
            ("provider", format!("{:?}", self.provider)),
        ];
        let mut out = String::new();
        for (name, value) in fields {
            out.push_str(name);
            out.push('=');
            out.push_str(&value);
            out.push('\n');
        }
        out
    }

    /// The first field in which this request differs from the one that
    /// produced `fingerprint`, or `None` when they are the same request.
    /// A fingerprint from an older layout (a field missing on either side)
    /// counts as a difference in that field.
    pub fn first_difference(&self, fingerprint: &str) -> Option<String> {
        let ours = self.fingerprint();
        let mut theirs = fingerprint.lines();
        for line in ours.lines() {
            let name = line.split_once('=').map_or(line, |(name, _)| name);
            if theirs.next() != Some(line) {
                return Some(name.to_string());
            }
        }
        theirs.next().map(|line| {
            line.split_once('=')
                .map_or(line, |(name, _)| name)
                .to_string()
        })
    }
}

/// Checks a display name: 1 to 64 characters, no control characters.
pub fn validate_friendly_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().count() > MAX_FRIENDLY_NAME_LEN {
        return Err(Error::invalid(
            "friendly_name",
            format!("must be 1 to {MAX_FRIENDLY_NAME_LEN} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "friendly_name",
            "may not contain control characters",
        ));
    }
    Ok(())
}

/// Changes to an owned number; absent fields stay as they are.
///
/// `agent_id` has three states in JSON: absent (keep), `null` (unassign),
/// or a UUID (assign).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberUpdate {
    /// New display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// New agent: `Some(None)` unassigns.
    #[serde(
        default,
        deserialize_with = "present_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub agent_id: Option<Option<Uuid>>,
    /// New webhooks; set fields replace the carrier's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
}

fn present_or_null<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<Uuid>>, D::Error> {
    Option::<Uuid>::deserialize(deserializer).map(Some)
}

impl NumberUpdate {
    /// Checks the fields that types alone do not.
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = &self.friendly_name {
            validate_friendly_name(name)?;
        }
        if self.friendly_name.is_none() && self.agent_id.is_none() && self.routing.is_none() {
            return Err(Error::invalid(
                "body",
                "names nothing to change; give friendly_name, agent_id or routing",
            ));
        }
        Ok(())
    }

    /// Whether the carrier must be told (name or routing change).
    pub fn touches_carrier(&self) -> bool {
        self.friendly_name.is_some() || self.routing.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_request_body_parses() {
        let req: ProvisionRequest = serde_json::from_str(
            r#"{"phone_number": "+16045551234", "friendly_name": "Main Line",
                "agent_id": "550e8400-e29b-41d4-a716-446655440000"}"#,
        )
        .unwrap();
        assert_eq!(req.phone_number.as_str(), "+16045551234");
        assert!(req.validate().is_ok());
    }

    #[test]
    fn bad_fields_are_named() {
        let n = PhoneNumber::parse("+16045551234").unwrap();
        let err = ProvisionRequest::new(n.clone())
            .friendly_name("x".repeat(65))
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("friendly_name"));
        let err = ProvisionRequest::new(n)
            .idempotency_key("a b")
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("idempotency_key"));
    }

    #[test]
    fn fingerprints_name_the_first_differing_field() {
        let n = PhoneNumber::parse("+16045551234").unwrap();
        let first = ProvisionRequest::new(n.clone())
            .friendly_name("Main\nLine")
            .idempotency_key("k1");
        let print = first.fingerprint();
        assert_eq!(print.lines().count(), 9, "{print}");
        assert_eq!(first.first_difference(&print), None);
        // The key is not part of the request it binds.
        assert_eq!(
            first.clone().idempotency_key("k2").first_difference(&print),
            None
        );
        let other_agent = first.clone().agent(Uuid::nil());
        assert_eq!(
            other_agent.first_difference(&print).as_deref(),
            Some("agent_id")
        );
        let other_number = ProvisionRequest {
            phone_number: PhoneNumber::parse("+16045551235").unwrap(),
            ..first.clone()
        };
        assert_eq!(
            other_number.first_difference(&print).as_deref(),
            Some("phone_number")
        );
        let routed = first.clone().routing(Routing {
            sms_url: Some(crate::WebhookUrl::parse("https://a.example/sms").unwrap()),
            ..Routing::default()
        });
        assert_eq!(
            routed.first_difference(&print).as_deref(),
            Some("routing.sms_url")
        );
        let provider = first.clone().provider("twilio");
        assert_eq!(
            provider.first_difference(&print).as_deref(),
            Some("provider")
        );
        // A name is not confused with a neighbouring field by a line break.
        let renamed = first.clone().friendly_name("Main");
        assert_eq!(
            renamed.first_difference(&print).as_deref(),
            Some("friendly_name")
        );
        assert_eq!(
            first
                .first_difference("phone_number=\"+16045551234\"\n")
                .as_deref(),
            Some("friendly_name")
        );
    }

    #[test]
    fn agent_id_null_unassigns_and_absent_keeps() {
        let u: NumberUpdate = serde_json::from_str(r#"{"agent_id": null}"#).unwrap();
        assert_eq!(u.agent_id, Some(None));
        let u: NumberUpdate = serde_json::from_str(r#"{"friendly_name": "x"}"#).unwrap();
        assert_eq!(u.agent_id, None);
        let empty: NumberUpdate = serde_json::from_str("{}").unwrap();
        assert_eq!(empty.validate().unwrap_err().field(), Some("body"));
    }
}
