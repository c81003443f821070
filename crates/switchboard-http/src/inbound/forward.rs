//! Forwarding a verified event to the application's own receiver, signed
//! the Standard Webhooks way, and relaying its TwiML/cXML answer.
//!
//! The receiver gets JSON (the neutral event plus the number's `account`,
//! `number_id` and `agent_id`) and three headers: `webhook-id` (stable per
//! carrier event, so a carrier's retry carries the same id), `webhook-timestamp`
//! (unix seconds) and `webhook-signature: v1,<Base64(HMAC-SHA256(key,
//! "{id}.{timestamp}.{body}"))>`.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::Serialize;
use switchboard_core::ProvisionedNumber;
use switchboard_core::inbound::{InboundEvent, signing};
use uuid::Uuid;

use super::answer::Answer;

/// The largest answer read from a receiver; a TwiML answer is a few hundred
/// bytes, and the carrier's own limit is near this.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The key forwarded events are signed with. Its `Debug` shows nothing of
/// it, so it cannot reach a log through a settings dump.
#[derive(Clone)]
pub(crate) struct ForwardSecret(Arc<[u8]>);

impl ForwardSecret {
    /// Reads the `whsec_<base64 key>` form. The reason never repeats the text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let encoded = text
            .trim()
            .strip_prefix("whsec_")
            .ok_or_else(|| "must start with whsec_ followed by the Base64 key".to_string())?;
        let key = signing::base64_decode(encoded)
            .ok_or_else(|| "is not whsec_ followed by standard Base64".to_string())?;
        if key.len() < 16 {
            return Err(format!(
                "holds a {}-byte key; use at least 16 random bytes",
                key.len()
            ));
        }
        Ok(Self(key.into()))
    }

    /// The `webhook-signature` value for one delivery.
    pub(crate) fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let mut signed = Vec::with_capacity(id.len() + body.len() + 24);
        signed.extend_from_slice(id.as_bytes());
        signed.push(b'.');
        signed.extend_from_slice(timestamp.to_string().as_bytes());
        signed.push(b'.');
        signed.extend_from_slice(body);
        let mac = signing::hmac_sha256(&self.0, &signed);
        format!("v1,{}", signing::base64_encode(&mac))
    }
}

impl fmt::Debug for ForwardSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ForwardSecret(redacted)")
    }
}

/// Where one scope's events go.
#[derive(Debug, Clone)]
pub(crate) struct Forward {
    pub(crate) url: reqwest::Url,
    pub(crate) secret: ForwardSecret,
}

/// What the receiver is sent.
#[derive(Serialize)]
struct Forwarded<'a> {
    #[serde(flatten)]
    event: &'a InboundEvent,
    account: &'a str,
    number_id: Uuid,
    agent_id: Option<Uuid>,
}

/// The client and the time limit shared by every forward.
#[derive(Debug, Clone)]
pub(crate) struct Forwarder {
    client: reqwest::Client,
    timeout: Duration,
}

impl Forwarder {
    /// A client that follows no redirects (a redirect is not an answer) and
    /// gives up after `timeout`, connection included.
    pub(crate) fn new(timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .build()
            .map_err(|e| format!("the HTTP client could not be built: {e}"))?;
        Ok(Self { client, timeout })
    }

    /// The receiver's answer, if it gave a `<Response>` document with a 2xx
    /// status in time; otherwise why not (for the log: no URL, no secret).
    pub(crate) async fn forward(
        &self,
        to: &Forward,
        event: &InboundEvent,
        number: &ProvisionedNumber,
    ) -> Result<Answer, String> {
        let body = serde_json::to_vec(&Forwarded {
            event,
            account: number.account.as_str(),
            number_id: number.id,
            agent_id: number.agent_id,
        })
        .map_err(|e| format!("the event could not be encoded: {e}"))?;
        let id = delivery_id(event);
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let signature = to.secret.sign(&id, timestamp, &body);
        let request = self
            .client
            .post(to.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "text/xml, application/xml")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp)
            .header("webhook-signature", signature)
            .body(body);
        match tokio::time::timeout(self.timeout, exchange(request)).await {
            Ok(answer) => answer,
            Err(_) => Err(format!("no answer within {} ms", self.timeout.as_millis())),
        }
    }
}

/// `msg_` and 32 hex digits derived from the carrier's event: the same for a
/// carrier's retries of one call, so a receiver can act once, and safe in a
/// header whatever the carrier's id holds.
fn delivery_id(event: &InboundEvent) -> String {
    let key = format!(
        "{}\n{}\n{}",
        event.carrier(),
        event.kind().route_segment(),
        event.carrier_event_id()
    );
    let mut hash = signing::sha256_hex(key.as_bytes());
    hash.truncate(32);
    format!("msg_{hash}")
}

async fn exchange(request: reqwest::RequestBuilder) -> Result<Answer, String> {
    let mut response = request
        .send()
        .await
        .map_err(|e| format!("the request failed: {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the receiver answered {status}"));
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !is_xml(content_type) {
        return Err(format!(
            "the receiver answered {content_type:?}, not text/xml or application/xml"
        ));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("the answer could not be read: {}", e.without_url()))?
    {
        if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!("the answer is over {MAX_ANSWER_BYTES} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(bytes).map_err(|_| "the answer is not UTF-8".to_string())?;
    Answer::checked(text).map_err(|problem| format!("the answer {problem}"))
}

fn is_xml(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "text/xml" || essence == "application/xml" || essence.ends_with("+xml")
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::PhoneNumber;
    use switchboard_core::inbound::InboundMessage;

    /// Pinned with Python's hmac module, independently of this code:
    /// python3 -c 'import hmac,hashlib,base64; k=b"switchboard-forwarding-key-1"; print(base64.b64encode(k).decode()); print(base64.b64encode(hmac.new(k, b"msg_0123.1767225600.{\"to\":\"+16045550100\"}", hashlib.sha256).digest()).decode())'
    #[test]
    fn the_signature_matches_an_independent_computation() {
        let secret =
            ForwardSecret::parse("whsec_c3dpdGNoYm9hcmQtZm9yd2FyZGluZy1rZXktMQ==").unwrap();
        assert_eq!(
            secret.sign("msg_0123", 1_767_225_600, br#"{"to":"+16045550100"}"#),
            "v1,iGTSxoc4p5BKRTEHsHJ7PPhE8pr0sXVd0uGxDwMwBq8="
        );
    }

    #[test]
    fn secrets_are_checked_without_being_repeated() {
        for bad in ["c2VjcmV0", "whsec_not*base64", "whsec_c2hvcnQ="] {
            let reason = ForwardSecret::parse(bad).unwrap_err();
            assert!(!reason.contains(bad), "{reason}");
        }
        let secret =
            ForwardSecret::parse("whsec_c3dpdGNoYm9hcmQtZm9yd2FyZGluZy1rZXktMQ==").unwrap();
        assert_eq!(format!("{secret:?}"), "ForwardSecret(redacted)");
    }

    #[test]
    fn delivery_ids_are_stable_per_event_and_header_safe() {
        let message = |id: &str| {
            InboundEvent::Message(InboundMessage {
                carrier: "twilio".into(),
                message_id: id.into(),
                to: PhoneNumber::parse("+16045550100").unwrap(),
                from: "+16045550101".into(),
                body: String::new(),
                media: Vec::new(),
            })
        };
        let a = delivery_id(&message("SM1\r\nX: y"));
        assert_eq!(a, delivery_id(&message("SM1\r\nX: y")));
        assert_ne!(a, delivery_id(&message("SM2")));
        assert_eq!(a.len(), 36);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    }

    #[test]
    fn xml_content_types() {
        assert!(is_xml("text/xml"));
        assert!(is_xml("application/xml; charset=utf-8"));
        assert!(is_xml("application/twiml+xml"));
        assert!(!is_xml("application/json"));
        assert!(!is_xml(""));
    }
}
