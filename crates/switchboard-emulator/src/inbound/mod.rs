//! Inbound calls and messages: the emulator plays the caller. A control call
//! names a number some account owns; the emulator reads that number's
//! webhook the way its carrier would (Twilio `VoiceUrl`/`SmsUrl`, SignalWire
//! `call_request_url`/`message_request_url` under `laml_webhooks`), sends
//! the carrier's parameters signed with the account's key, and records the
//! exact request and the answer, so a receiver can be tested end to end
//! without a carrier, and a test can replay or tamper with what was sent.

mod deliver;
mod params;
mod remote;
mod request;
mod route;
mod segments;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub(crate) use deliver::{Deliveries, place_call, send_message};
pub use remote::{RemoteEmulator, RemoteError};
pub use request::{CallRequest, Media, MessageRequest, SigningKeyOverride};

/// The most attachments one message may carry (Twilio's limit).
pub const MAX_MEDIA: usize = 10;

/// The longest message body, in characters (Twilio's limit).
pub const MAX_BODY_CHARS: usize = 1600;

/// The most of a webhook's answer body a delivery keeps; a longer one is
/// cut and marked [`WebhookAnswer::truncated`]. Twilio refuses TwiML this
/// long anyway.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Whether a delivery was a call or a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    /// An inbound call: the voice webhook.
    Call,
    /// An inbound message: the messaging webhook.
    Message,
}

impl DeliveryKind {
    fn noun(self) -> &'static str {
        match self {
            DeliveryKind::Call => "call",
            DeliveryKind::Message => "message",
        }
    }
}

/// The webhook request exactly as the emulator sent it, so that a test can
/// send it again (a replay) or change one byte of it (a forgery).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentWebhook {
    /// `GET` or `POST`, the number's configured method.
    pub method: String,
    /// The URL called; for `GET` it carries the parameters in its query. The
    /// signature covers this text exactly.
    pub url: String,
    /// The headers the emulator set (the HTTP client adds `Host` and, for a
    /// body, `Content-Length`), the signature headers among them.
    pub headers: BTreeMap<String, String>,
    /// The form-encoded body of a `POST`; empty for a `GET`.
    pub body: String,
    /// The carrier's parameters, in the order sent.
    pub params: Vec<(String, String)>,
}

impl SentWebhook {
    /// The value of header `name` (any case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of parameter `name`, if sent.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, if any (TwiML and cXML are `text/xml` or
    /// `application/xml`).
    pub content_type: Option<String>,
    /// The body, as text (bytes that are not UTF-8 are replaced), at most
    /// [`MAX_ANSWER_BYTES`].
    pub body: String,
    /// Whether the body was longer than [`MAX_ANSWER_BYTES`] and cut.
    #[serde(default)]
    pub truncated: bool,
}

/// One inbound call or message the emulator delivered (or tried to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Order of the control calls, from 1.
    pub seq: u64,
    /// Call or message.
    pub kind: DeliveryKind,
    /// `twilio` or `signalwire`: whose book holds the number.
    pub carrier: String,
    /// The owning account's SID or project id (sent as `AccountSid`).
    pub account: String,
    /// The number's Twilio SID or SignalWire id.
    pub number_id: String,
    /// The number called or texted, E.164.
    pub to: String,
    /// The caller or sender, as given.
    pub from: String,
    /// The `CallSid` or `MessageSid` sent.
    pub sid: String,
    /// Whether the control call replaced the account's key with its own
    /// (the key itself is never recorded).
    #[serde(default)]
    pub signing_key_overridden: bool,
    /// The request sent.
    pub request: SentWebhook,
    /// The answer, if one arrived.
    pub answer: Option<WebhookAnswer>,
    /// Why no answer arrived (connection refused, no answer within the
    /// timeout, ...), if none did.
    pub error: Option<String>,
    /// From sending the request to the end of the answer (or the error),
    /// milliseconds.
    pub elapsed_ms: u64,
}

/// Why the emulator placed no call or sent no message. Each says what a
/// caller has to change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InboundError {
    /// A field of the control call is missing or malformed.
    Invalid {
        /// The field, as the control call spells it (`to`, `media_urls`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No account of this emulator owns the number.
    UnknownNumber {
        /// The number, as given.
        number: String,
    },
    /// The number is owned but its carrier would call no URL of ours for
    /// this kind of event: no URL set, another handler, an application.
    NoWebhook {
        /// Call or message.
        kind: DeliveryKind,
        /// The number.
        number: String,
        /// `twilio` or `signalwire`.
        carrier: &'static str,
        /// What the number's configuration says instead, naming the field.
        reason: String,
    },
}

impl InboundError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// A stable, machine-readable name of the case, as the control endpoint
    /// answers it in `reason`.
    pub fn code(&self) -> &'static str {
        match self {
            InboundError::Invalid { .. } => "invalid",
            InboundError::UnknownNumber { .. } => "unknown_number",
            InboundError::NoWebhook { .. } => "no_webhook",
        }
    }

    /// The HTTP status the control endpoint answers with.
    pub fn status(&self) -> u16 {
        match self {
            InboundError::Invalid { .. } => 400,
            InboundError::UnknownNumber { .. } => 404,
            InboundError::NoWebhook { .. } => 422,
        }
    }
}

impl fmt::Display for InboundError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InboundError::Invalid { field, reason } => write!(f, "invalid {field}: {reason}"),
            InboundError::UnknownNumber { number } => write!(
                f,
                "no account of this emulator owns {number}: buy it first through either \
                 carrier's REST API"
            ),
            InboundError::NoWebhook {
                kind,
                number,
                carrier,
                reason,
            } => write!(
                f,
                "{carrier} would call no webhook for a {} to {number}: {reason}",
                kind.noun()
            ),
        }
    }
}

impl std::error::Error for InboundError {}
