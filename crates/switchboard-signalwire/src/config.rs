//! Where the SignalWire space is and how to sign in, checked once when the
//! adapter is built so that a typo fails at start-up, not at the first purchase.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use switchboard_carrier_http::Url;
use switchboard_core::{Error, Result, RetryPolicy};

/// The environment variable naming the space host (SignalWire's SDKs use it).
pub const ENV_SPACE_URL: &str = "SIGNALWIRE_SPACE_URL";
/// The environment variable holding the project ID (the Basic-auth user).
pub const ENV_PROJECT_ID: &str = "SIGNALWIRE_PROJECT_ID";
/// The environment variable holding the API token (the Basic-auth password).
pub const ENV_API_TOKEN: &str = "SIGNALWIRE_API_TOKEN";
/// The name some SignalWire tools use instead of [`ENV_API_TOKEN`].
pub const ENV_TOKEN_ALIAS: &str = "SIGNALWIRE_TOKEN";

/// How to reach one SignalWire space.
///
/// The API token is held as a [`SecretString`]: it is never shown by `Debug`
/// and never copied into an error. The project ID is shown: SignalWire itself
/// puts it in URL paths (`/Accounts/{ProjectID}`), so it is an identifier, not
/// a credential.
#[derive(Clone)]
pub struct SignalWireConfig {
    pub(crate) space: Url,
    pub(crate) project_id: String,
    pub(crate) api_token: SecretString,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) not_found_window: Duration,
}

impl fmt::Debug for SignalWireConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalWireConfig")
            .field("space", &self.space.as_str())
            .field("project_id", &self.project_id)
            .field("api_token", &"[redacted]")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("not_found_window", &self.not_found_window)
            .finish()
    }
}

impl SignalWireConfig {
    /// Default time allowed to open a connection.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default time allowed for a whole request, answer included.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default window after a purchase in which a "not found" is not
    /// believed: none. Nothing known about SignalWire says it denies a
    /// number it just sold (unlike Twilio), so its 404 is taken at its word.
    /// Its releases are refused for about two weeks after a purchase anyway
    /// (a [`switchboard_core::Error::RetryLater`] cooldown), so a window
    /// would rarely come into play.
    pub const DEFAULT_NOT_FOUND_WINDOW: Duration = Duration::ZERO;

    /// A configuration from explicit values, as the facade's TOML gives them.
    ///
    /// `space` is `example.signalwire.com`, `https://example.signalwire.com`,
    /// or, for tests, `http://127.0.0.1:PORT` (plain http only to loopback).
    pub fn new(
        space: &str,
        project_id: impl Into<String>,
        api_token: impl Into<SecretString>,
    ) -> Result<Self> {
        let project_id = project_id.into();
        let api_token = api_token.into();
        if project_id.trim().is_empty() {
            return Err(config_error("the SignalWire project ID is empty"));
        }
        if project_id.chars().any(|c| c == ':' || c.is_control()) {
            // A colon would split the Basic-auth pair in the wrong place.
            return Err(config_error(
                "the SignalWire project ID may not contain ':' or control characters",
            ));
        }
        if api_token.expose_secret().trim().is_empty() {
            return Err(config_error("the SignalWire API token is empty"));
        }
        if api_token.expose_secret().chars().any(char::is_control) {
            return Err(config_error(
                "the SignalWire API token contains control characters",
            ));
        }
        Ok(Self {
            space: parse_space(space)?,
            project_id,
            api_token,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            not_found_window: Self::DEFAULT_NOT_FOUND_WINDOW,
        })
    }

    /// A configuration from `SIGNALWIRE_SPACE_URL`, `SIGNALWIRE_PROJECT_ID` and
    /// `SIGNALWIRE_API_TOKEN` (or `SIGNALWIRE_TOKEN`) in the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`SignalWireConfig::from_env`], reading variables through `lookup`,
    /// so that callers and tests need not change the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        // One reader of the variables, the configuration file's: the same
        // names, the same rules, the same errors.
        let mut settings = crate::SignalWireSettings::default();
        settings.apply_env(lookup);
        settings.config()
    }

    /// Sets the connect and whole-request timeouts.
    pub fn with_timeouts(mut self, connect: Duration, request: Duration) -> Self {
        self.connect_timeout = connect;
        self.request_timeout = request;
        self
    }

    /// Sets how idempotent calls are retried (the purchase never is).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how long after a purchase a "not found" for the number is taken
    /// as SignalWire not showing it yet rather than as the number being gone
    /// (see [`Self::DEFAULT_NOT_FOUND_WINDOW`]): for the day SignalWire is
    /// seen lagging its own purchases, without a new release of the adapter.
    pub fn with_not_found_window(mut self, window: Duration) -> Self {
        self.not_found_window = window;
        self
    }

    /// The space's origin, e.g. `https://example.signalwire.com/`.
    pub fn space_url(&self) -> &Url {
        &self.space
    }

    /// The project ID.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The retry policy for idempotent calls.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The window in which a not-found after a purchase is not believed.
    pub fn not_found_window(&self) -> Duration {
        self.not_found_window
    }
}

fn config_error(message: &str) -> Error {
    Error::Configuration {
        message: message.to_string(),
    }
}

/// Reduces the accepted spellings of a space to its origin.
fn parse_space(input: &str) -> Result<Url> {
    let input = input.trim();
    if input.is_empty() {
        return Err(config_error("the SignalWire space URL is empty"));
    }
    let with_scheme = if input.contains("://") {
        input.to_string()
    } else {
        format!("https://{input}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| {
        config_error(&format!(
            "the SignalWire space URL {input:?} is not a host or URL ({e}); \
             expected e.g. example.signalwire.com"
        ))
    })?;
    let Some(host) = url.host_str() else {
        return Err(config_error(&format!(
            "the SignalWire space URL {input:?} has no host"
        )));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config_error(
            "the SignalWire space URL may not carry credentials; \
             give the project ID and API token separately",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || url.path() != "/" {
        return Err(config_error(&format!(
            "the SignalWire space URL must be a bare host such as example.signalwire.com, \
             without a path or query; got {:?}",
            url.as_str()
        )));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(config_error(&format!(
                "plain http is only allowed for loopback hosts (127.0.0.1, [::1], localhost), \
                 not {host:?}: use https://"
            )));
        }
        other => {
            return Err(config_error(&format!(
                "the SignalWire space URL scheme must be https, not {other:?}"
            )));
        }
    }
    Ok(url)
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(input: &str) -> Result<String> {
        parse_space(input).map(|u| u.to_string())
    }

    #[test]
    fn every_documented_spelling_of_a_space_is_accepted() {
        assert_eq!(
            space("example.signalwire.com").unwrap(),
            "https://example.signalwire.com/"
        );
        assert_eq!(
            space("https://example.signalwire.com/").unwrap(),
            "https://example.signalwire.com/"
        );
        assert_eq!(
            space("http://127.0.0.1:8089").unwrap(),
            "http://127.0.0.1:8089/"
        );
        assert!(space("http://localhost:1").is_ok());
        assert!(space("http://[::1]:1").is_ok());
    }

    #[test]
    fn plain_http_elsewhere_is_refused_and_says_why() {
        let err = space("http://example.signalwire.com").unwrap_err();
        assert!(
            err.to_string().contains("only allowed for loopback"),
            "{err}"
        );
        assert!(space("ftp://example.signalwire.com").is_err());
        assert!(space("https://user:pw@example.signalwire.com").is_err());
        assert!(space("https://example.signalwire.com/api/relay/rest").is_err());
        assert!(space("").is_err());
    }

    #[test]
    fn env_reads_both_token_names_and_names_what_is_missing() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let config = SignalWireConfig::from_lookup(env(&[
            (ENV_SPACE_URL, "example.signalwire.com"),
            (ENV_PROJECT_ID, "p-1"),
            (ENV_TOKEN_ALIAS, "PTsecret"),
        ]))
        .unwrap();
        assert_eq!(config.api_token.expose_secret(), "PTsecret");
        assert_eq!(config.project_id(), "p-1");
        let err = SignalWireConfig::from_lookup(env(&[
            (ENV_SPACE_URL, "example.signalwire.com"),
            (ENV_PROJECT_ID, "p-1"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains(ENV_API_TOKEN), "{err}");
        let err = SignalWireConfig::from_lookup(env(&[(ENV_PROJECT_ID, "p")])).unwrap_err();
        assert!(err.to_string().contains(ENV_SPACE_URL), "{err}");
    }
}
