//! The seed's provisioning request, and the webhooks every request that sets
//! them carries (`routing` in provision, bulk and update).

use serde::{Deserialize, Serialize};
use switchboard_core::{self as core, Error, PhoneNumber, Result, WebhookUrl};
use utoipa::ToSchema;
use uuid::Uuid;

/// The seed's request body, plus optional extensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "phone_number": "+16045551234",
    "friendly_name": "Main Line",
    "agent_id": "550e8400-e29b-41d4-a716-446655440000"
}))]
pub struct ProvisionRequest {
    /// The number to provision, from search results, E.164.
    #[schema(pattern = r"^\+[1-9][0-9]{7,14}$", example = "+16045551234")]
    pub phone_number: String,
    /// Display name; the number itself when absent. 1 to 64 characters, not
    /// all blank, without control characters, bidirectional overrides or
    /// isolates (U+202A..U+202E, U+2066..U+2069) or zero-width characters
    /// (U+200B..U+200F, U+2060, U+FEFF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]*$",
        example = "Main Line"
    )]
    pub friendly_name: Option<String>,
    /// Agent to assign to this number immediately.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Uuid>,
    /// Extension: webhooks to set at the carrier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
    /// Extension: the carrier to buy from; the configured default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Extension: repeating a request with the same key returns the same
    /// number and buys nothing more. The `Idempotency-Key` header does the
    /// same; when both are given they must agree. Printable ASCII, no spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 255, pattern = "^[!-~]+$")]
    pub idempotency_key: Option<String>,
}

impl TryFrom<ProvisionRequest> for core::ProvisionRequest {
    type Error = Error;

    /// Parses the number as a user's (numbering plan included) and the
    /// webhooks; the service validates the rest.
    fn try_from(request: ProvisionRequest) -> Result<Self> {
        Ok(Self {
            phone_number: phone_number("phone_number", &request.phone_number)?,
            friendly_name: request.friendly_name,
            agent_id: request.agent_id,
            routing: Routing::parse(request.routing)?,
            provider: request.provider,
            idempotency_key: request.idempotency_key,
        })
    }
}

impl From<&core::ProvisionRequest> for ProvisionRequest {
    fn from(request: &core::ProvisionRequest) -> Self {
        Self {
            phone_number: request.phone_number.as_str().to_string(),
            friendly_name: request.friendly_name.clone(),
            agent_id: request.agent_id,
            routing: Routing::unless_empty(&request.routing),
            provider: request.provider.clone(),
            idempotency_key: request.idempotency_key.clone(),
        }
    }
}

/// A number given by the client, checked against the numbering plan.
pub(crate) fn phone_number(field: &'static str, text: &str) -> Result<PhoneNumber> {
    PhoneNumber::parse(text).map_err(|e| Error::invalid(field, format!("phone number {e}")))
}

/// Webhooks for a number's inbound calls and messages; absent fields are left
/// as the carrier has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// Called when a call comes in (absolute http or https URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = "uri", max_length = 2048)]
    pub voice_url: Option<String>,
    /// Method for `voice_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_method: Option<WebhookMethod>,
    /// Called when a message comes in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = "uri", max_length = 2048)]
    pub sms_url: Option<String>,
    /// Method for `sms_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_method: Option<WebhookMethod>,
    /// Called with call status changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = "uri", max_length = 2048)]
    pub status_callback: Option<String>,
}

impl Routing {
    /// Core's routing for an optional `routing` field: absent (or `null`)
    /// is no webhook at all.
    pub(crate) fn parse(routing: Option<Routing>) -> Result<core::Routing> {
        routing.map_or_else(|| Ok(core::Routing::default()), core::Routing::try_from)
    }

    /// The field for core's routing: absent when it sets nothing, as a
    /// request without webhooks is written.
    pub(crate) fn unless_empty(routing: &core::Routing) -> Option<Self> {
        (!routing.is_empty()).then(|| Self::from(routing))
    }
}

impl TryFrom<Routing> for core::Routing {
    type Error = Error;

    /// Parses each URL; every request carries its webhooks as `routing`, so
    /// that is the prefix of the field an error names.
    fn try_from(routing: Routing) -> Result<Self> {
        let url = |field: &'static str, text: Option<String>| {
            text.map(|text| {
                WebhookUrl::parse(&text)
                    .map_err(|e| Error::invalid(field, format!("webhook URL {e}")))
            })
            .transpose()
        };
        Ok(Self {
            voice_url: url("routing.voice_url", routing.voice_url)?,
            voice_method: routing.voice_method.map(Into::into),
            sms_url: url("routing.sms_url", routing.sms_url)?,
            sms_method: routing.sms_method.map(Into::into),
            status_callback: url("routing.status_callback", routing.status_callback)?,
        })
    }
}

impl From<&core::Routing> for Routing {
    fn from(routing: &core::Routing) -> Self {
        let url = |url: &Option<WebhookUrl>| url.as_ref().map(|u| u.as_str().to_string());
        Self {
            voice_url: url(&routing.voice_url),
            voice_method: routing.voice_method.map(Into::into),
            sms_url: url(&routing.sms_url),
            sms_method: routing.sms_method.map(Into::into),
            status_callback: url(&routing.status_callback),
        }
    }
}

/// The HTTP method a carrier uses for a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum WebhookMethod {
    /// Parameters in the query string.
    Get,
    /// Parameters in a form body.
    Post,
}

impl From<WebhookMethod> for core::WebhookMethod {
    fn from(method: WebhookMethod) -> Self {
        match method {
            WebhookMethod::Get => Self::Get,
            WebhookMethod::Post => Self::Post,
        }
    }
}

impl From<core::WebhookMethod> for WebhookMethod {
    fn from(method: core::WebhookMethod) -> Self {
        match method {
            core::WebhookMethod::Get => Self::Get,
            core::WebhookMethod::Post => Self::Post,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn decode(json: serde_json::Value) -> Result<core::ProvisionRequest> {
        let request: ProvisionRequest = serde_json::from_value(json).unwrap();
        core::ProvisionRequest::try_from(request)
    }

    #[test]
    fn the_seed_request_body_parses() {
        let request = decode(json!({
            "phone_number": "+16045551234",
            "friendly_name": "Main Line",
            "agent_id": "550e8400-e29b-41d4-a716-446655440000"
        }))
        .unwrap();
        assert_eq!(request.phone_number.as_str(), "+16045551234");
        assert_eq!(request.friendly_name.as_deref(), Some("Main Line"));
        assert!(request.routing.is_empty());
        assert!(request.validate().is_ok());
    }

    #[test]
    fn values_are_parsed_by_core_and_the_field_is_named() {
        let err = decode(json!({"phone_number": "604-555-1234"})).unwrap_err();
        assert_eq!(err.field(), Some("phone_number"));
        assert!(
            err.to_string()
                .starts_with("invalid phone_number: phone number must start with '+'"),
            "{err}"
        );
        // A user's number must exist in the numbering plan.
        let err = decode(json!({"phone_number": "+10995551234"})).unwrap_err();
        assert_eq!(err.field(), Some("phone_number"));
        for field in ["voice_url", "sms_url", "status_callback"] {
            let err = decode(json!({
                "phone_number": "+16045551234",
                "routing": {field: "ftp://x"}
            }))
            .unwrap_err();
            assert_eq!(err.field(), Some(format!("routing.{field}").as_str()));
            assert!(err.to_string().contains("webhook URL must be"), "{err}");
        }
    }

    #[test]
    fn unknown_fields_are_refused_at_every_level() {
        for body in [
            json!({"phone_number": "+16045551234", "colour": "red"}),
            json!({"phone_number": "+16045551234", "routing": {"voice_uri": "https://x"}}),
        ] {
            assert!(serde_json::from_value::<ProvisionRequest>(body).is_err());
        }
    }

    #[test]
    fn a_core_request_goes_out_as_the_json_it_comes_back_from() {
        let request = core::ProvisionRequest::new(PhoneNumber::parse("+16045551234").unwrap())
            .friendly_name("Main Line")
            .agent(Uuid::nil())
            .routing(core::Routing {
                voice_url: Some(WebhookUrl::parse("https://a.example/voice").unwrap()),
                voice_method: Some(core::WebhookMethod::Get),
                sms_url: Some(WebhookUrl::parse("https://a.example/sms").unwrap()),
                sms_method: Some(core::WebhookMethod::Post),
                status_callback: Some(WebhookUrl::parse("https://a.example/status").unwrap()),
            })
            .provider("fake")
            .idempotency_key("k1");
        let json = serde_json::to_value(ProvisionRequest::from(&request)).unwrap();
        assert_eq!(json["routing"]["voice_method"], "GET");
        assert_eq!(decode(json).unwrap(), request);
        // Nothing set, nothing written.
        let bare = core::ProvisionRequest::new(PhoneNumber::parse("+16045551234").unwrap());
        assert_eq!(
            serde_json::to_value(ProvisionRequest::from(&bare)).unwrap(),
            json!({"phone_number": "+16045551234"})
        );
    }
}
