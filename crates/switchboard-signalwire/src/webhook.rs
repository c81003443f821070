//! Accepting SignalWire's webhooks. Its LaML (cXML) webhooks are signed the
//! way Twilio signs, under the project's Signing Key; its JSON callbacks
//! with hex HMAC-SHA1 over the URL and the raw body. The shared arithmetic
//! is core's.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use switchboard_core::inbound::signing::{self, MacAlgorithm};
use switchboard_core::inbound::{
    InboundEvent, InboundKind, WebhookError, WebhookRequest, WebhookVerifier, json_params,
    parse_laml_event,
};

const SIGNATURE: &str = "X-SignalWire-Signature";
/// SignalWire sends the same value under Twilio's name too, for code
/// written against Twilio.
const TWILIO_SIGNATURE: &str = "X-Twilio-Signature";

/// Checks SignalWire's webhook signatures on calls and messages to
/// SignalWire numbers.
pub struct SignalWireWebhooks {
    signing_key: SecretString,
}

impl SignalWireWebhooks {
    /// Keyed with the project's Signing Key (shown with the API
    /// credentials), not the API token.
    pub fn new(signing_key: impl Into<String>) -> Self {
        Self {
            signing_key: SecretString::from(signing_key.into()),
        }
    }
}

impl fmt::Debug for SignalWireWebhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalWireWebhooks")
            .field("signing_key", &"***")
            .finish()
    }
}

impl WebhookVerifier for SignalWireWebhooks {
    fn carrier(&self) -> &str {
        crate::errors::PROVIDER
    }

    fn accept(
        &self,
        kind: InboundKind,
        request: &WebhookRequest<'_>,
    ) -> Result<InboundEvent, WebhookError> {
        let (header, signature) = [SIGNATURE, TWILIO_SIGNATURE]
            .into_iter()
            .find_map(|name| request.header(name).map(|value| (name, value)))
            .ok_or(WebhookError::Unsigned { header: SIGNATURE })?;
        let bad = WebhookError::BadSignature { header };
        let key = self.signing_key.expose_secret().as_bytes();
        // An unset key would let anyone sign: a verifier without one
        // accepts nothing.
        if key.is_empty() {
            return Err(bad);
        }
        let params = if request.is_json() {
            // SignalWire's own JSON scheme: lower-case hex of HMAC-SHA1 over
            // the URL followed by the raw body.
            let tag = signing::hex_decode(signature).ok_or(bad.clone())?;
            let signed = signing::url_variants(request.url).any(|url| {
                let payload = [url.as_bytes(), request.body].concat();
                signing::mac_matches(MacAlgorithm::HmacSha1, key, &payload, &tag)
            });
            if !signed {
                return Err(bad);
            }
            json_params(request.body)?
        } else {
            signing::verify_laml_form(MacAlgorithm::HmacSha1, key, request, signature).ok_or(bad)?
        };
        parse_laml_event(crate::errors::PROVIDER, kind, &params)
    }
}
