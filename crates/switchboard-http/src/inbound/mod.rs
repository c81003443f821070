//! Calls and messages to our numbers: the carriers' webhooks, verified,
//! resolved to the number's record, and answered with TwiML/cXML.
//!
//! `POST` (or `GET`) `/functions/v1/inbound/{provider}/voice` and
//! `/functions/v1/inbound/{provider}/messages` take no bearer token: the
//! carrier's signature is the credential, checked by the provider's
//! [`WebhookVerifier`] against the URL the carrier called, built from the
//! configured public URL (never from the Host header, which a proxy or a
//! forger chooses). Then the called number is resolved
//! ([`switchboard_core::ProvisioningService::resolve_inbound`]) and an
//! [`InboundHandler`] gives the [`Answer`].

mod answer;
mod configured;
mod forward;
mod handler;
pub(crate) mod routes;
mod template;

use std::collections::HashMap;
use std::sync::Arc;

use switchboard_core::inbound::{InboundKind, WebhookVerifier};
use switchboard_core::{MAX_WEBHOOK_URL_LEN, Routing, WebhookMethod, WebhookUrl};

pub use answer::{Answer, escape as xml_escape};
pub use configured::{AccountAnswers, AnswerSettings, ConfiguredAnswers, DEFAULT_FORWARD_TIMEOUT};
pub use handler::InboundHandler;

/// Where the inbound routes live, before the provider's name.
pub(crate) const INBOUND_PREFIX: &str = "/functions/v1/inbound/";

/// The longest carrier name [`check_public_url`] leaves room for.
const MAX_CARRIER_NAME_LEN: usize = 64;

/// A setting that cannot work, with the field at fault (named as in the
/// `[inbound]` configuration section) and why. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {reason}")]
pub struct InboundConfigError {
    /// The setting, e.g. `voice_answer` or `accounts.acme.forward_secret`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl InboundConfigError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// How the inbound routes are served: where carriers reach us, who proves
/// each carrier's webhooks, and who answers them. Without it (see
/// [`crate::AppState::with_inbound`]) the inbound routes answer 404.
#[derive(Debug, Clone)]
pub struct InboundOptions {
    /// `public_url` without a trailing `/`.
    base: String,
    verifiers: HashMap<String, Arc<dyn WebhookVerifier>>,
    handler: Arc<dyn InboundHandler>,
}

impl InboundOptions {
    /// `public_url`: the base URL carriers reach this service at, e.g.
    /// `https://sb.example.com` (a path prefix allowed, for a proxy that
    /// strips it). Signatures are checked against it, so it must be exactly
    /// what the carriers were given: [`check_public_url`] refuses one that
    /// cannot work. `handler` answers every verified event.
    pub fn new(public_url: WebhookUrl, handler: Arc<dyn InboundHandler>) -> Self {
        Self {
            base: public_url.as_str().trim_end_matches('/').to_string(),
            verifiers: HashMap::new(),
            handler,
        }
    }

    /// Accepts webhooks from `verifier.carrier()` at
    /// `/functions/v1/inbound/{carrier}/...`; a provider without a verifier
    /// is answered 404. A second verifier for the same carrier replaces the
    /// first.
    pub fn with_verifier(mut self, verifier: Arc<dyn WebhookVerifier>) -> Self {
        self.verifiers
            .insert(verifier.carrier().to_string(), verifier);
        self
    }

    /// The verifier of `provider`, if one was given.
    pub(crate) fn verifier(&self, provider: &str) -> Option<&Arc<dyn WebhookVerifier>> {
        self.verifiers.get(provider)
    }

    pub(crate) fn handler(&self) -> &Arc<dyn InboundHandler> {
        &self.handler
    }

    /// The URL the carrier called: the public base, the route's path, and
    /// the query string exactly as received.
    pub(crate) fn called_url(
        &self,
        carrier: &str,
        kind: InboundKind,
        query: Option<&str>,
    ) -> String {
        let mut url = webhook_url(&self.base, carrier, kind);
        if let Some(query) = query {
            url.push('?');
            url.push_str(query);
        }
        url
    }
}

fn webhook_url(base: &str, carrier: &str, kind: InboundKind) -> String {
    format!("{base}{INBOUND_PREFIX}{carrier}/{}", kind.route_segment())
}

/// Why `public_url` cannot serve as the inbound base URL, if it cannot: a
/// query string or fragment (the routes' paths are appended to it), or a
/// length that leaves no room for them under the carriers' URL limit.
pub fn check_public_url(public_url: &WebhookUrl) -> Result<(), InboundConfigError> {
    let text = public_url.as_str();
    if text.contains(['?', '#']) {
        return Err(InboundConfigError::new(
            "public_url",
            "may not have a query string or fragment: the inbound paths are appended to it",
        ));
    }
    let longest = webhook_url(
        text.trim_end_matches('/'),
        &"x".repeat(MAX_CARRIER_NAME_LEN),
        InboundKind::Message,
    );
    if longest.len() > MAX_WEBHOOK_URL_LEN {
        return Err(InboundConfigError::new(
            "public_url",
            format!(
                "is too long: with the inbound paths it must stay within {MAX_WEBHOOK_URL_LEN} characters"
            ),
        ));
    }
    Ok(())
}

/// The webhooks a number bought from `carrier` gets so that its calls and
/// messages reach these routes (`voice_url`, `sms_url`, both POST): what
/// [`switchboard_core::ServiceOptions::inbound_routing`] is filled with.
///
/// A `public_url` that [`check_public_url`] refuses for its length gives an
/// empty routing (the number keeps whatever the carrier has), never a URL
/// the carrier would refuse.
pub fn inbound_routing(public_url: &WebhookUrl, carrier: &str) -> Routing {
    let base = public_url.as_str().trim_end_matches('/');
    let url = |kind| WebhookUrl::parse(&webhook_url(base, carrier, kind));
    match (url(InboundKind::Voice), url(InboundKind::Message)) {
        (Ok(voice), Ok(sms)) => Routing {
            voice_url: Some(voice),
            voice_method: Some(WebhookMethod::Post),
            sms_url: Some(sms),
            sms_method: Some(WebhookMethod::Post),
            status_callback: None,
        },
        (Err(reason), _) | (_, Err(reason)) => {
            tracing::error!(carrier, %reason, "no inbound routing: the public URL is unusable");
            Routing::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> WebhookUrl {
        WebhookUrl::parse(text).unwrap()
    }

    #[test]
    fn routing_points_at_the_routes_under_the_public_url() {
        for base in ["https://sb.example.com", "https://sb.example.com/"] {
            let routing = inbound_routing(&url(base), "twilio");
            assert_eq!(
                routing.voice_url.unwrap().as_str(),
                "https://sb.example.com/functions/v1/inbound/twilio/voice"
            );
            assert_eq!(
                routing.sms_url.unwrap().as_str(),
                "https://sb.example.com/functions/v1/inbound/twilio/messages"
            );
            assert_eq!(routing.voice_method, Some(WebhookMethod::Post));
            assert_eq!(routing.sms_method, Some(WebhookMethod::Post));
            assert_eq!(routing.status_callback, None);
        }
        let prefixed = inbound_routing(&url("http://10.0.0.1:8080/tel/"), "signalwire");
        assert_eq!(
            prefixed.sms_url.unwrap().as_str(),
            "http://10.0.0.1:8080/tel/functions/v1/inbound/signalwire/messages"
        );
    }

    #[test]
    fn public_urls_that_cannot_work_are_refused() {
        assert!(check_public_url(&url("https://sb.example.com/tel")).is_ok());
        let err = check_public_url(&url("https://sb.example.com/?a=1")).unwrap_err();
        assert_eq!(err.field, "public_url");
        assert!(check_public_url(&url("https://sb.example.com/#x")).is_err());
        let long = url(&format!("https://sb.example.com/{}", "a".repeat(1990)));
        assert!(
            check_public_url(&long)
                .unwrap_err()
                .reason
                .contains("too long")
        );
        let too_long = url(&format!("https://sb.example.com/{}", "a".repeat(2000)));
        assert!(inbound_routing(&too_long, "twilio").is_empty());
    }
}
