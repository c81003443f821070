//! What a control call asks for: a call or a message to one of the
//! emulator's numbers, and what the carrier would know about the caller.

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use switchboard_core::PhoneNumber;

use super::{InboundError, MAX_BODY_CHARS, MAX_MEDIA};

/// An inbound call to place. Only `to` and `from` are needed; the rest is
/// what Twilio sends when it knows it (`CallerName`, `FromCity`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRequest {
    /// The number called: one an account of the emulator owns, E.164.
    pub to: String,
    /// The caller: E.164, or what carriers send for a withheld number
    /// (`anonymous`).
    pub from: String,
    /// `CallerName` (caller ID name lookup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_name: Option<String>,
    /// `ForwardedFrom`: the number that forwarded the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_from: Option<String>,
    /// `FromCity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_city: Option<String>,
    /// `FromState`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_state: Option<String>,
    /// `FromZip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_zip: Option<String>,
    /// `FromCountry`, ISO 3166 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_country: Option<String>,
    /// More parameters, sent and signed as given: carriers add parameters
    /// over time, and a receiver must sign what it does not know too.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_params: BTreeMap<String, String>,
    /// Sign with this key instead of the account's, as a deployment
    /// configured with the wrong key would see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<SigningKeyOverride>,
}

/// An inbound message to send.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// The number texted: one an account of the emulator owns, E.164.
    pub to: String,
    /// The sender.
    pub from: String,
    /// `Body`; may be empty when media is attached.
    #[serde(default)]
    pub body: String,
    /// Attachments (`MediaUrl{i}`, `MediaContentType{i}`): each a URL, or
    /// `{"url", "content_type"}`. A message with media gets an `MM` SID.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media_urls: Vec<Media>,
    /// `MessagingServiceSid`, when the number belongs to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_service_sid: Option<String>,
    /// More parameters, sent and signed as given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_params: BTreeMap<String, String>,
    /// Sign with this key instead of the account's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<SigningKeyOverride>,
}

/// One attachment of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media {
    /// Where the carrier would serve the file.
    pub url: String,
    /// Its type; when absent, guessed from the URL's extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

impl Media {
    /// An attachment whose type is guessed from its URL.
    pub fn url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            content_type: None,
        }
    }

    /// The type sent as `MediaContentType{i}`.
    pub(crate) fn content_type(&self) -> String {
        if let Some(given) = &self.content_type {
            return given.clone();
        }
        let path = self.url.split(['?', '#']).next().unwrap_or("");
        let extension = path
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match extension.as_str() {
            "jpg" | "jpeg" => "image/jpeg",
            "png" => "image/png",
            "gif" => "image/gif",
            "webp" => "image/webp",
            "mp3" => "audio/mpeg",
            "ogg" => "audio/ogg",
            "mp4" => "video/mp4",
            "pdf" => "application/pdf",
            "vcf" => "text/vcard",
            "txt" => "text/plain",
            _ => "application/octet-stream",
        }
        .to_string()
    }
}

impl<'de> Deserialize<'de> for Media {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            url: String,
            #[serde(default)]
            content_type: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Url(String),
            Full(Full),
        }
        match Either::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom(
                "each media_urls item must be a URL or {\"url\", \"content_type\"}",
            )
        })? {
            Either::Url(url) => Ok(Media::url(url)),
            Either::Full(full) => Ok(Media {
                url: full.url,
                content_type: full.content_type,
            }),
        }
    }
}

/// A signing key given in a control call. It is sent to the emulator (so it
/// serializes as plain text) but never shown: `Debug` redacts it and no
/// delivery records it.
#[derive(Clone)]
pub struct SigningKeyOverride(pub SecretString);

impl SigningKeyOverride {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(SecretString::from(key.into()))
    }
}

impl fmt::Debug for SigningKeyOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKeyOverride([redacted])")
    }
}

impl PartialEq for SigningKeyOverride {
    fn eq(&self, other: &Self) -> bool {
        crate::credentials::secret_matches(&self.0, other.0.expose_secret())
    }
}

impl Eq for SigningKeyOverride {}

impl Serialize for SigningKeyOverride {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose_secret())
    }
}

impl<'de> Deserialize<'de> for SigningKeyOverride {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SigningKeyOverride::new)
    }
}

/// The longest caller detail or extra parameter value taken, so that one
/// control call cannot make the emulator send megabytes.
const MAX_VALUE_CHARS: usize = 256;

pub(crate) fn called_number(to: &str) -> Result<PhoneNumber, InboundError> {
    if to.trim().is_empty() {
        return Err(InboundError::invalid("to", "is missing"));
    }
    // Syntax only: whether the number is real is whether an account owns it.
    PhoneNumber::parse_trusted(to.trim())
        .map_err(|e| InboundError::invalid("to", format!("{to:?} {e}")))
}

fn text(field: &'static str, value: &str) -> Result<(), InboundError> {
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(InboundError::invalid(
            field,
            format!("may be at most {MAX_VALUE_CHARS} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(InboundError::invalid(field, "contains control characters"));
    }
    Ok(())
}

fn sender(from: &str) -> Result<(), InboundError> {
    if from.trim().is_empty() {
        return Err(InboundError::invalid("from", "is missing"));
    }
    text("from", from)
}

fn extras(extra: &BTreeMap<String, String>) -> Result<(), InboundError> {
    for (name, value) in extra {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(InboundError::invalid(
                "extra_params",
                format!("{name:?} is not a parameter name (letters, digits and _)"),
            ));
        }
        text("extra_params", value)?;
    }
    Ok(())
}

impl CallRequest {
    /// A call from `from` to `to`, with nothing else known.
    pub fn new(to: impl Into<String>, from: impl Into<String>) -> Self {
        Self {
            to: to.into(),
            from: from.into(),
            ..Self::default()
        }
    }

    /// Checks every field, naming the first one at fault.
    pub(crate) fn validate(&self) -> Result<PhoneNumber, InboundError> {
        let to = called_number(&self.to)?;
        sender(&self.from)?;
        for (field, value) in [
            ("caller_name", &self.caller_name),
            ("forwarded_from", &self.forwarded_from),
            ("from_city", &self.from_city),
            ("from_state", &self.from_state),
            ("from_zip", &self.from_zip),
            ("from_country", &self.from_country),
        ] {
            if let Some(value) = value {
                text(field, value)?;
            }
        }
        extras(&self.extra_params)?;
        Ok(to)
    }
}

impl MessageRequest {
    /// A text message from `from` to `to`.
    pub fn new(to: impl Into<String>, from: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            to: to.into(),
            from: from.into(),
            body: body.into(),
            ..Self::default()
        }
    }

    /// Checks every field, naming the first one at fault.
    pub(crate) fn validate(&self) -> Result<PhoneNumber, InboundError> {
        let to = called_number(&self.to)?;
        sender(&self.from)?;
        let chars = self.body.chars().count();
        if chars > MAX_BODY_CHARS {
            return Err(InboundError::invalid(
                "body",
                format!("has {chars} characters; a message carries at most {MAX_BODY_CHARS}"),
            ));
        }
        if self.body.is_empty() && self.media_urls.is_empty() {
            return Err(InboundError::invalid(
                "body",
                "is empty and no media_urls are given: a message needs one or the other",
            ));
        }
        if self.media_urls.len() > MAX_MEDIA {
            return Err(InboundError::invalid(
                "media_urls",
                format!(
                    "has {} items; a message carries at most {MAX_MEDIA}",
                    self.media_urls.len()
                ),
            ));
        }
        for media in &self.media_urls {
            if !(media.url.starts_with("https://") || media.url.starts_with("http://")) {
                return Err(InboundError::invalid(
                    "media_urls",
                    format!("{:?} is not an http or https URL", media.url),
                ));
            }
            text("media_urls", &media.url)?;
            if let Some(content_type) = &media.content_type {
                text("media_urls", content_type)?;
            }
        }
        if let Some(sid) = &self.messaging_service_sid
            && !crate::config::is_sid(sid, "MG")
        {
            return Err(InboundError::invalid(
                "messaging_service_sid",
                format!("{sid:?} is not MG followed by 32 hex digits"),
            ));
        }
        extras(&self.extra_params)?;
        Ok(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_is_a_url_or_an_object_and_its_type_is_guessed() {
        let request: MessageRequest = serde_json::from_str(
            r#"{"to":"+15125550100","from":"+15125550101",
                "media_urls":["https://m.example/a.JPG?x=1",
                              {"url":"https://m.example/b","content_type":"audio/amr"}]}"#,
        )
        .unwrap();
        assert_eq!(request.media_urls[0].content_type(), "image/jpeg");
        assert_eq!(request.media_urls[1].content_type(), "audio/amr");
        assert_eq!(
            Media::url("https://m.example/x").content_type(),
            "application/octet-stream"
        );
        let bad = serde_json::from_str::<MessageRequest>(
            r#"{"to":"+15125550100","from":"x","media_urls":[3]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(bad.contains("media_urls"), "{bad}");
    }

    #[test]
    fn bad_fields_are_named() {
        let field = |e: InboundError| match e {
            InboundError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(CallRequest::new("", "+1").validate().unwrap_err()),
            "to"
        );
        assert_eq!(
            field(
                CallRequest::new("5125550100x", "+1")
                    .validate()
                    .unwrap_err()
            ),
            "to"
        );
        assert_eq!(
            field(
                CallRequest::new("+15125550100", " ")
                    .validate()
                    .unwrap_err()
            ),
            "from"
        );
        let mut call = CallRequest::new("+15125550100", "+15125550101");
        call.extra_params.insert("Bad Name".into(), "v".into());
        assert_eq!(field(call.validate().unwrap_err()), "extra_params");
        let empty = MessageRequest::new("+15125550100", "+15125550101", "");
        assert_eq!(field(empty.validate().unwrap_err()), "body");
        let long = MessageRequest::new("+15125550100", "+1", "x".repeat(MAX_BODY_CHARS + 1));
        assert_eq!(field(long.validate().unwrap_err()), "body");
        let mut many = MessageRequest::new("+15125550100", "+1", "hi");
        many.media_urls = vec![Media::url("https://m/x"); MAX_MEDIA + 1];
        assert_eq!(field(many.validate().unwrap_err()), "media_urls");
        let mut service = MessageRequest::new("+15125550100", "+1", "hi");
        service.messaging_service_sid = Some("MG1".into());
        assert_eq!(
            field(service.validate().unwrap_err()),
            "messaging_service_sid"
        );
        assert!(
            serde_json::from_str::<CallRequest>(r#"{"to":"+1","from":"+1","colour":"red"}"#)
                .unwrap_err()
                .to_string()
                .contains("colour")
        );
    }

    #[test]
    fn an_override_key_never_shows_in_debug() {
        let mut call = CallRequest::new("+15125550100", "+15125550101");
        call.signing_key = Some(SigningKeyOverride::new("key-SECRET"));
        let text = format!("{call:?}");
        assert!(!text.contains("SECRET"), "{text}");
        let json = serde_json::to_string(&call).unwrap();
        let back: CallRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, call);
    }
}
