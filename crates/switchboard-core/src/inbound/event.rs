//! What a carrier tells us about a call or message to one of our numbers.

use serde::Serialize;

use crate::PhoneNumber;

/// Which of a number's two webhooks was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundKind {
    /// A call is ringing the number (`voice_url`).
    Voice,
    /// A text or media message arrived (`sms_url`).
    Message,
}

impl InboundKind {
    /// The word used in routes and logs (`voice`, `messages`).
    pub fn route_segment(&self) -> &'static str {
        match self {
            InboundKind::Voice => "voice",
            InboundKind::Message => "messages",
        }
    }
}

/// Where a caller is, as far as the carrier knows; every part is optional
/// because carriers give only what the numbering plan tells them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or province.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Location {
    /// Whether the carrier told us nothing.
    pub fn is_empty(&self) -> bool {
        self.city.is_none()
            && self.state.is_none()
            && self.postal_code.is_none()
            && self.country.is_none()
    }
}

/// A call ringing one of our numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundCall {
    /// The carrier that delivered it (`twilio`, `signalwire`).
    pub carrier: String,
    /// The carrier's call id (Twilio `CA...`); carriers retry a webhook with
    /// the same id, so it is the key for acting once.
    pub call_id: String,
    /// The called number: ours.
    pub to: PhoneNumber,
    /// The caller as the carrier gives it. Not always E.164: withheld
    /// callers arrive as `anonymous` and SIP callers as URIs.
    pub from: String,
    /// Caller name (CNAM) where the carrier looked it up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_name: Option<String>,
    /// Where the caller is.
    #[serde(skip_serializing_if = "Location::is_empty")]
    pub from_location: Location,
    /// The number the call was forwarded from, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarded_from: Option<String>,
}

/// One attachment of a media message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media {
    /// Where the carrier serves it.
    pub url: String,
    /// Its MIME type, where given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

/// A message to one of our numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundMessage {
    /// The carrier that delivered it.
    pub carrier: String,
    /// The carrier's message id (Twilio `SM...`/`MM...`).
    pub message_id: String,
    /// The number written to: ours.
    pub to: PhoneNumber,
    /// The sender as the carrier gives it (a short code is not E.164).
    pub from: String,
    /// The text; empty for a media-only message.
    pub body: String,
    /// Attachments, in the carrier's order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<Media>,
}

/// A call or a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboundEvent {
    /// A call.
    Call(InboundCall),
    /// A message.
    Message(InboundMessage),
}

impl InboundEvent {
    /// The number called or written to.
    pub fn to(&self) -> &PhoneNumber {
        match self {
            InboundEvent::Call(call) => &call.to,
            InboundEvent::Message(message) => &message.to,
        }
    }

    /// The caller or sender.
    pub fn from(&self) -> &str {
        match self {
            InboundEvent::Call(call) => &call.from,
            InboundEvent::Message(message) => &message.from,
        }
    }

    /// The carrier's id of the call or message.
    pub fn carrier_event_id(&self) -> &str {
        match self {
            InboundEvent::Call(call) => &call.call_id,
            InboundEvent::Message(message) => &message.message_id,
        }
    }

    /// The carrier that delivered it.
    pub fn carrier(&self) -> &str {
        match self {
            InboundEvent::Call(call) => &call.carrier,
            InboundEvent::Message(message) => &message.carrier,
        }
    }

    /// Which webhook it came through.
    pub fn kind(&self) -> InboundKind {
        match self {
            InboundEvent::Call(_) => InboundKind::Voice,
            InboundEvent::Message(_) => InboundKind::Message,
        }
    }
}
