//! A verifier for the tests and the benchmark, while the carriers' own are
//! written in their crates: Twilio's form scheme (Base64 HMAC-SHA1 over the
//! URL and the sorted POST parameters, in `X-Twilio-Signature`), and for
//! JSON bodies SignalWire's (hex HMAC-SHA1 over the URL and the raw body),
//! built from core's signing arithmetic. It records every URL it was given,
//! unless told not to (the benchmark).
#![allow(dead_code)]

use std::fmt;
use std::sync::{Arc, Mutex};

use switchboard_core::inbound::signing::{self, MacAlgorithm};
use switchboard_core::inbound::{
    InboundEvent, InboundKind, WebhookError, WebhookRequest, WebhookVerifier, json_params,
    parse_laml_event,
};

/// Where the signature goes.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";

pub struct TestVerifier {
    carrier: String,
    key: Vec<u8>,
    /// Every URL `accept` was handed, in order.
    pub urls: Arc<Mutex<Vec<String>>>,
    record: bool,
}

impl TestVerifier {
    pub fn new(carrier: &str, key: &str) -> Self {
        Self {
            carrier: carrier.into(),
            key: key.as_bytes().to_vec(),
            urls: Arc::default(),
            record: true,
        }
    }

    /// The same verifier without the URL log, so that a long run neither
    /// grows it nor takes its lock on every request.
    pub fn without_recording(mut self) -> Self {
        self.record = false;
        self
    }

    pub fn last_url(&self) -> Option<String> {
        self.urls.lock().unwrap().last().cloned()
    }
}

impl fmt::Debug for TestVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestVerifier")
            .field("carrier", &self.carrier)
            .finish_non_exhaustive()
    }
}

/// The signature of a form (or query-only) webhook to `url`.
pub fn sign_form(key: &str, url: &str, body_params: &[(String, String)]) -> String {
    let payload = signing::laml_payload(url, body_params);
    signing::base64_encode(&signing::hmac_sha1(key.as_bytes(), payload.as_bytes()))
}

/// The signature of a JSON webhook to `url`.
pub fn sign_json(key: &str, url: &str, body: &[u8]) -> String {
    let mut signed = url.as_bytes().to_vec();
    signed.extend_from_slice(body);
    signing::hex_lower(&signing::hmac_sha1(key.as_bytes(), &signed))
}

impl WebhookVerifier for TestVerifier {
    fn carrier(&self) -> &str {
        &self.carrier
    }

    fn accept(
        &self,
        kind: InboundKind,
        request: &WebhookRequest<'_>,
    ) -> Result<InboundEvent, WebhookError> {
        if self.record {
            self.urls.lock().unwrap().push(request.url.to_string());
        }
        let signature = request
            .header(SIGNATURE_HEADER)
            .ok_or(WebhookError::Unsigned {
                header: SIGNATURE_HEADER,
            })?;
        let bad = WebhookError::BadSignature {
            header: SIGNATURE_HEADER,
        };
        if request.is_json() {
            let tag = signing::hex_decode(signature).ok_or(bad.clone())?;
            let signed = signing::url_variants(request.url).any(|url| {
                signing::mac_of_pieces_matches(
                    MacAlgorithm::HmacSha1,
                    &self.key,
                    [url.as_bytes(), request.body],
                    &tag,
                )
            });
            if !signed {
                return Err(bad);
            }
            return parse_laml_event(&self.carrier, kind, &json_params(request.body)?);
        }
        let params =
            signing::verify_laml_form(MacAlgorithm::HmacSha1, &self.key, request, signature)
                .ok_or(bad)?;
        parse_laml_event(&self.carrier, kind, &params)
    }
}
