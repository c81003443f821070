//! Where a carrier sends a number's calls and messages.

use std::fmt;

/// An absolute `http` or `https` URL that a carrier calls back.
///
/// Checked by hand rather than with a URL crate so that the core stays free of
/// HTTP dependencies; the carrier does the full check when it stores it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct WebhookUrl(String);

/// The longest webhook URL accepted; carriers cap theirs near this.
pub const MAX_WEBHOOK_URL_LEN: usize = 2048;

impl WebhookUrl {
    /// Parses an absolute http(s) URL with a host.
    pub fn parse(input: &str) -> Result<Self, String> {
        let rest = input
            .strip_prefix("https://")
            .or_else(|| input.strip_prefix("http://"))
            .ok_or_else(|| "must be an absolute http:// or https:// URL".to_string())?;
        if input.len() > MAX_WEBHOOK_URL_LEN {
            return Err(format!("is longer than {MAX_WEBHOOK_URL_LEN} characters"));
        }
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() {
            return Err("has no host".to_string());
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("may not contain spaces or control characters".to_string());
        }
        Ok(Self(input.to_string()))
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// The HTTP method a carrier uses for a webhook.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum WebhookMethod {
    /// `GET`, parameters in the query string.
    Get,
    /// `POST`, parameters in a form body (every carrier's default).
    #[default]
    Post,
}

impl WebhookMethod {
    /// The method name as carriers spell it.
    pub fn as_str(&self) -> &'static str {
        match self {
            WebhookMethod::Get => "GET",
            WebhookMethod::Post => "POST",
        }
    }
}

/// Webhooks for a number's inbound calls and messages. Empty means the carrier
/// keeps whatever it has (for a new number: nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routing {
    /// Called when a call comes in.
    pub voice_url: Option<WebhookUrl>,
    /// Method for `voice_url`.
    pub voice_method: Option<WebhookMethod>,
    /// Called when a message comes in.
    pub sms_url: Option<WebhookUrl>,
    /// Method for `sms_url`.
    pub sms_method: Option<WebhookMethod>,
    /// Called with call status changes.
    pub status_callback: Option<WebhookUrl>,
}

impl Routing {
    /// Applies a partial change, as carriers apply an update: fields set in
    /// `change` replace these, unset ones are left alone.
    pub fn merge(&mut self, change: &Routing) {
        if change.voice_url.is_some() {
            self.voice_url = change.voice_url.clone();
        }
        if change.voice_method.is_some() {
            self.voice_method = change.voice_method;
        }
        if change.sms_url.is_some() {
            self.sms_url = change.sms_url.clone();
        }
        if change.sms_method.is_some() {
            self.sms_method = change.sms_method;
        }
        if change.status_callback.is_some() {
            self.status_callback = change.status_callback.clone();
        }
    }

    /// Whether `held` (what a carrier holds) disagrees with this routing in
    /// any field this one sets. Fields this one leaves unset are the
    /// carrier's to keep (a method it defaults, a status callback set
    /// outside Switchboard), so they never count as drift.
    pub fn differs_from(&self, held: &Routing) -> bool {
        fn differs<T: PartialEq>(wanted: &Option<T>, held: &Option<T>) -> bool {
            wanted.is_some() && wanted != held
        }
        // An unset method at the carrier is its default, POST.
        let method = |m: Option<WebhookMethod>| Some(m.unwrap_or_default());
        differs(&self.voice_url, &held.voice_url)
            || (self.voice_method.is_some()
                && method(self.voice_method) != method(held.voice_method))
            || differs(&self.sms_url, &held.sms_url)
            || (self.sms_method.is_some() && method(self.sms_method) != method(held.sms_method))
            || differs(&self.status_callback, &held.status_callback)
    }

    /// Whether no webhook is set.
    pub fn is_empty(&self) -> bool {
        self.voice_url.is_none()
            && self.voice_method.is_none()
            && self.sms_url.is_none()
            && self.sms_method.is_none()
            && self.status_callback.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_must_be_absolute_http() {
        assert!(WebhookUrl::parse("https://agent.example.com/voice").is_ok());
        assert!(WebhookUrl::parse("http://127.0.0.1:9000").is_ok());
        assert!(WebhookUrl::parse("ftp://x").is_err());
        assert!(WebhookUrl::parse("https:///path").is_err());
        assert!(WebhookUrl::parse("https://a b").is_err());
        assert!(WebhookUrl::parse("/relative").is_err());
    }

    #[test]
    fn only_the_fields_a_routing_sets_can_differ() {
        let url = |u: &str| Some(WebhookUrl::parse(u).unwrap());
        let ours = Routing {
            voice_url: url("https://sb.example/voice"),
            voice_method: Some(WebhookMethod::Post),
            ..Routing::default()
        };
        let mut held = Routing {
            voice_url: url("https://sb.example/voice"),
            sms_url: url("https://elsewhere.example/sms"),
            status_callback: url("https://elsewhere.example/status"),
            ..Routing::default()
        };
        assert!(!ours.differs_from(&held), "an unset method is POST");
        held.voice_method = Some(WebhookMethod::Get);
        assert!(ours.differs_from(&held));
        held.voice_method = None;
        held.voice_url = url("https://other.example/voice");
        assert!(ours.differs_from(&held));
        assert!(!Routing::default().differs_from(&held));
    }
}
