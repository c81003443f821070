//! Accepting Twilio's webhooks: which header, which key, which payload.
//! The arithmetic (the form payload, the port variants, constant-time
//! comparison) is core's, shared with SignalWire, which signs the same way.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use switchboard_core::inbound::signing::{self, MacAlgorithm};
use switchboard_core::inbound::{
    InboundEvent, InboundKind, WebhookError, WebhookRequest, WebhookVerifier, form_params,
    json_params, parse_laml_event,
};

const SIGNATURE: &str = "X-Twilio-Signature";
const SETTINGS: &str = "X-Twilio-Webhooks-Signature-Settings";

/// Checks `X-Twilio-Signature` on calls and messages to Twilio numbers.
///
/// Keyed with the account's primary Auth Token: Twilio signs with it even
/// when the REST API is used with an API key, so a deployment on API keys
/// still configures the Auth Token for webhooks.
pub struct TwilioWebhooks {
    auth_token: SecretString,
    signature_keys: Vec<(String, SecretString)>,
}

impl TwilioWebhooks {
    /// Keyed with the account's primary Auth Token.
    pub fn new(auth_token: impl Into<String>) -> Self {
        Self {
            auth_token: SecretString::from(auth_token.into()),
            signature_keys: Vec::new(),
        }
    }

    /// A key for Twilio's webhook signature settings (HMAC-SHA256), by the
    /// key's name as the settings header gives it. A name given twice keeps
    /// the later secret, as a rotated key replaces the old one.
    pub fn with_signature_key(
        mut self,
        name: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        let name = name.into();
        self.signature_keys.retain(|(n, _)| *n != name);
        self.signature_keys
            .push((name, SecretString::from(secret.into())));
        self
    }

    /// The MAC and key a request says it was signed with: the Auth Token
    /// and HMAC-SHA1 unless a settings header names one of our keys.
    fn scheme(&self, request: &WebhookRequest<'_>) -> Result<(MacAlgorithm, &str), WebhookError> {
        // What is wrong is the settings header: it names no key or
        // algorithm we accept. Never a fallback to the Auth Token.
        let bad = WebhookError::BadSignature { header: SETTINGS };
        let Some(settings) = request.header(SETTINGS) else {
            return Ok((MacAlgorithm::HmacSha1, self.auth_token.expose_secret()));
        };
        let mut name = None;
        let mut algorithm = None;
        for part in settings.split(',') {
            match part.trim().split_once('=') {
                Some(("key", value)) => name = Some(value.trim()),
                Some(("algorithm", value)) => algorithm = Some(value.trim()),
                _ => {}
            }
        }
        if algorithm != Some("HMAC_SHA256") {
            return Err(bad);
        }
        let name = name.ok_or(bad.clone())?;
        self.signature_keys
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, secret)| (MacAlgorithm::HmacSha256, secret.expose_secret()))
            .ok_or(bad)
    }
}

impl fmt::Debug for TwilioWebhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .signature_keys
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        f.debug_struct("TwilioWebhooks")
            .field("auth_token", &"***")
            .field("signature_keys", &names)
            .finish()
    }
}

impl WebhookVerifier for TwilioWebhooks {
    fn carrier(&self) -> &str {
        crate::PROVIDER
    }

    fn accept(
        &self,
        kind: InboundKind,
        request: &WebhookRequest<'_>,
    ) -> Result<InboundEvent, WebhookError> {
        let signature = request
            .header(SIGNATURE)
            .ok_or(WebhookError::Unsigned { header: SIGNATURE })?;
        let (algorithm, key) = self.scheme(request)?;
        let bad = WebhookError::BadSignature { header: SIGNATURE };
        // An unset key would let anyone sign: a verifier without one
        // accepts nothing.
        if key.is_empty() {
            return Err(bad);
        }
        let key = key.as_bytes();
        let params = if request.is_json() {
            // The body is bound to the URL by its hash, the URL by the
            // signature: both must hold.
            let query = form_params(request.query().unwrap_or("").as_bytes());
            let declared = query
                .iter()
                .find(|(name, _)| name == "bodySHA256")
                .map(|(_, value)| value.to_ascii_lowercase());
            let hashed = declared.as_deref() == Some(signing::sha256_hex(request.body).as_str());
            if !hashed
                || !signing::laml_signature_matches(algorithm, key, request.url, None, signature)
            {
                return Err(bad);
            }
            json_params(request.body)?
        } else {
            signing::verify_laml_form(algorithm, key, request, signature).ok_or(bad)?
        };
        parse_laml_event(crate::PROVIDER, kind, &params)
    }
}
