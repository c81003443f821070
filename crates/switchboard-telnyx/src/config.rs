//! Where Telnyx is and how to sign in, checked once when the adapter is
//! built so that a typo fails at start-up, not at the first purchase.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use switchboard_carrier_http::Url;
use switchboard_carrier_http::settings::is_loopback;
use switchboard_core::{Error, Result, RetryPolicy};

use crate::routes::Routes;

/// The environment variable holding the API v2 key (Telnyx's SDKs read
/// the same one).
pub const ENV_API_KEY: &str = "TELNYX_API_KEY";
/// The environment variable holding the API base URL (a proxy, a local
/// emulator).
pub const ENV_BASE_URL: &str = "TELNYX_BASE_URL";
/// Telnyx's API v2 server, as its description's `servers` gives it.
pub const DEFAULT_BASE_URL: &str = "https://api.telnyx.com/v2";

/// The longest id or reference accepted from configuration: Telnyx's ids
/// are UUIDs or 19-digit integers, and a reference is a short label.
const MAX_SETTING_CHARS: usize = 255;

/// How to reach Telnyx and what every purchase carries.
///
/// The API key is a [`SecretString`]: never shown by `Debug`, never copied
/// into an error. The connection and messaging profile ids are shown:
/// Telnyx returns them in every number's record, they are not credentials.
#[derive(Clone)]
pub struct TelnyxConfig {
    pub(crate) base: Url,
    pub(crate) api_key: SecretString,
    pub(crate) connection_id: Option<String>,
    pub(crate) messaging_profile_id: Option<String>,
    pub(crate) customer_reference: Option<String>,
    pub(crate) routes: Routes,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) not_found_window: Duration,
}

impl fmt::Debug for TelnyxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelnyxConfig")
            .field("base_url", &self.base.as_str())
            .field("api_key", &"[redacted]")
            .field("connection_id", &self.connection_id)
            .field("messaging_profile_id", &self.messaging_profile_id)
            .field("customer_reference", &self.customer_reference)
            .field("routes", &self.routes)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("not_found_window", &self.not_found_window)
            .finish()
    }
}

impl TelnyxConfig {
    /// Default time allowed to open a connection.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default time allowed for a whole request, answer included. Search
    /// and order creation are Telnyx's `heavy` endpoints, hence not less
    /// than the other adapters allow.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default window after a purchase in which a "not found" is not
    /// believed: none. A Telnyx number is only handed out once its order
    /// completed and `/phone_numbers` listed it, so a later 404 is taken
    /// at its word.
    pub const DEFAULT_NOT_FOUND_WINDOW: Duration = Duration::ZERO;

    /// A configuration for Telnyx's own server with this API v2 key.
    pub fn new(api_key: impl Into<SecretString>) -> Result<Self> {
        let api_key = api_key.into();
        let key = api_key.expose_secret();
        if key.trim().is_empty() {
            return Err(config_error("the Telnyx API key is empty"));
        }
        if key.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(config_error(
                "the Telnyx API key contains white space or control characters",
            ));
        }
        Ok(Self {
            base: Url::parse(DEFAULT_BASE_URL).expect("the default base URL parses"),
            api_key,
            connection_id: None,
            messaging_profile_id: None,
            customer_reference: None,
            routes: Routes::default(),
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            not_found_window: Self::DEFAULT_NOT_FOUND_WINDOW,
        })
    }

    /// A configuration from `TELNYX_API_KEY` and `TELNYX_BASE_URL` in the
    /// process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`TelnyxConfig::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        // One reader of the variables, the configuration file's.
        let mut settings = crate::TelnyxSettings::default();
        settings.apply_env(lookup);
        settings.config()
    }

    /// Sends requests to `base_url` instead of [`DEFAULT_BASE_URL`]: a
    /// proxy, or a local emulator (`http://127.0.0.1:PORT/v2`). The path is
    /// the API's root, under which `/available_phone_numbers` and the rest
    /// are found. Plain http only to loopback: the key travels in a header.
    pub fn base_url(mut self, base_url: &str) -> Result<Self> {
        self.base = parse_base_url(base_url)?;
        Ok(self)
    }

    /// The connection (SIP connection, TeXML or Call Control application)
    /// every number bought is put on, unless a purchase's routing names
    /// another (see [`TelnyxConfig::voice_route`]).
    pub fn connection_id(mut self, id: &str) -> Result<Self> {
        self.connection_id = Some(setting("connection_id", id)?);
        Ok(self)
    }

    /// The messaging profile every number bought is put on, unless a
    /// purchase's routing names another.
    pub fn messaging_profile_id(mut self, id: &str) -> Result<Self> {
        self.messaging_profile_id = Some(setting("messaging_profile_id", id)?);
        Ok(self)
    }

    /// The reference sent with every order, and set on every number bought
    /// without a name (see the crate documentation on names).
    pub fn customer_reference(mut self, reference: &str) -> Result<Self> {
        self.customer_reference = Some(setting("customer_reference", reference)?);
        Ok(self)
    }

    /// Routes calls for the webhook `url` through the connection
    /// `connection_id`, whose application holds that URL at Telnyx: a
    /// number's voice routing is a connection, not a URL.
    pub fn voice_route(mut self, url: &str, connection_id: &str) -> Result<Self> {
        let id = setting("voice_connections", connection_id)?;
        self.routes.add_voice(url, id)?;
        Ok(self)
    }

    /// Routes messages for the webhook `url` through the messaging profile
    /// `profile_id`, which holds that URL at Telnyx.
    pub fn messaging_route(mut self, url: &str, profile_id: &str) -> Result<Self> {
        let id = setting("messaging_profiles", profile_id)?;
        self.routes.add_messaging(url, id)?;
        Ok(self)
    }

    /// Sets the connect and whole-request timeouts.
    pub fn with_timeouts(mut self, connect: Duration, request: Duration) -> Self {
        self.connect_timeout = connect;
        self.request_timeout = request;
        self
    }

    /// Sets how idempotent calls are retried (the order is never resent).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how long after a purchase a "not found" is not taken as proof
    /// the number is gone (see [`Self::DEFAULT_NOT_FOUND_WINDOW`]).
    pub fn with_not_found_window(mut self, window: Duration) -> Self {
        self.not_found_window = window;
        self
    }

    /// The API root, e.g. `https://api.telnyx.com/v2`.
    pub fn base_url_str(&self) -> &str {
        self.base.as_str()
    }

    /// The default connection of numbers bought.
    pub fn default_connection_id(&self) -> Option<&str> {
        self.connection_id.as_deref()
    }

    /// The default messaging profile of numbers bought.
    pub fn default_messaging_profile_id(&self) -> Option<&str> {
        self.messaging_profile_id.as_deref()
    }

    /// The reference sent with every order.
    pub fn default_customer_reference(&self) -> Option<&str> {
        self.customer_reference.as_deref()
    }

    /// The retry policy for idempotent calls.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The connect and whole-request timeouts.
    pub fn timeouts(&self) -> (Duration, Duration) {
        (self.connect_timeout, self.request_timeout)
    }

    /// The window in which a not-found after a purchase is not believed.
    pub fn not_found_window(&self) -> Duration {
        self.not_found_window
    }
}

pub(crate) fn config_error(message: impl Into<String>) -> Error {
    Error::Configuration {
        message: message.into(),
    }
}

/// An id or reference from configuration: trimmed, not empty, one line,
/// bounded. It is sent in JSON bodies, so nothing else is required of it.
fn setting(key: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(config_error(format!("telnyx {key} is empty")));
    }
    if value.chars().any(char::is_control) || value.chars().count() > MAX_SETTING_CHARS {
        return Err(config_error(format!(
            "telnyx {key} must be one line of at most {MAX_SETTING_CHARS} characters"
        )));
    }
    Ok(value.to_string())
}

/// The accepted spellings of a base URL, reduced to one without a
/// trailing `/`, so that paths are appended alike.
fn parse_base_url(input: &str) -> Result<Url> {
    let input = input.trim();
    let mut url = Url::parse(input)
        .map_err(|e| config_error(format!("telnyx base URL is not an absolute URL: {e}")))?;
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(config_error("telnyx base URL has no host"));
    };
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(config_error(format!(
                "telnyx base URL: plain http is only allowed for loopback hosts \
                 (127.0.0.1, [::1], localhost), not {host:?}: the API key would travel in clear"
            )));
        }
        other => {
            return Err(config_error(format!(
                "telnyx base URL must use https, not {other}"
            )));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config_error(
            "telnyx base URL may not carry credentials; set the API key instead",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config_error(
            "telnyx base URL may not have a query or a fragment",
        ));
    }
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(input: &str) -> Result<String> {
        parse_base_url(input).map(|u| u.to_string())
    }

    #[test]
    fn base_urls_keep_their_path_without_a_trailing_slash() {
        assert_eq!(base(DEFAULT_BASE_URL).unwrap(), "https://api.telnyx.com/v2");
        assert_eq!(
            base("https://api.telnyx.com/v2/").unwrap(),
            "https://api.telnyx.com/v2"
        );
        assert_eq!(
            base("http://127.0.0.1:9/v2").unwrap(),
            "http://127.0.0.1:9/v2"
        );
        assert_eq!(base("http://localhost:9").unwrap(), "http://localhost:9/");
        for bad in [
            "api.telnyx.com/v2",
            "http://api.telnyx.com/v2",
            "ftp://api.telnyx.com",
            "https://user:pw@api.telnyx.com/v2",
            "https://api.telnyx.com/v2?x=1",
            "https://api.telnyx.com/v2#x",
        ] {
            assert!(base(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn a_key_must_be_one_word_and_is_never_shown() {
        for bad in ["", "  ", "KEY with space", "KEY\n"] {
            assert!(TelnyxConfig::new(bad.to_string()).is_err(), "{bad:?}");
        }
        let config = TelnyxConfig::new("KEYsecret-0123".to_string()).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("KEYsecret"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }

    #[test]
    fn settings_are_trimmed_and_bounded() {
        let config = TelnyxConfig::new("KEY".to_string())
            .unwrap()
            .connection_id(" 1293384261075731499 ")
            .unwrap();
        assert_eq!(config.default_connection_id(), Some("1293384261075731499"));
        let long = "x".repeat(MAX_SETTING_CHARS + 1);
        for bad in ["", "a\nb", long.as_str()] {
            let err = TelnyxConfig::new("KEY".to_string())
                .unwrap()
                .customer_reference(bad)
                .unwrap_err();
            assert!(err.to_string().contains("customer_reference"), "{err}");
        }
    }
}
