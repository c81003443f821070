//! The `[providers.signalwire]` section of a Switchboard configuration file
//! and the `SIGNALWIRE_*` variables over it: what a deployment writes down,
//! as opposed to [`SignalWireConfig`], the checked value the adapter runs on.
//!
//! The section lives here, beside the builder it feeds, so that a new
//! builder option becomes settable from TOML in the same change; the facade
//! only lists this type in its carrier table. Every method the table calls
//! (`apply_env`, `provider`, `webhook_verifier`) has the same name and shape
//! in each adapter's `settings` module.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};
use switchboard_core::inbound::WebhookVerifier;
use switchboard_core::{Error, Result, RetryPolicy};

use crate::config::{ENV_API_TOKEN, ENV_PROJECT_ID, ENV_SPACE_URL, ENV_TOKEN_ALIAS};
use switchboard_carrier_http::settings as limits;

use limits::{missing, timeout};

use crate::{SignalWireConfig, SignalWireProvider, SignalWireWebhooks};

/// The carrier's name: its section is `[providers.signalwire]`.
const SECTION: &str = "signalwire";

/// The environment variable holding the project's signing key, which
/// webhooks are signed with.
pub const ENV_SIGNING_KEY: &str = "SIGNALWIRE_SIGNING_KEY";

/// SignalWire's section: the space, credentials, signing key, timeouts and
/// retries. Every field is optional; [`SignalWireSettings::config`] says
/// which are needed. Secrets are [`SecretString`]s, so `Debug` shows none.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalWireSettings {
    /// `example.signalwire.com`, a full URL, or a local emulator's URL
    /// (`SIGNALWIRE_SPACE_URL`).
    #[serde(default)]
    pub space_url: Option<String>,
    /// Project ID (`SIGNALWIRE_PROJECT_ID`).
    #[serde(default)]
    pub project_id: Option<String>,
    /// API token with the Numbers scope (`SIGNALWIRE_API_TOKEN` or
    /// `SIGNALWIRE_TOKEN`).
    #[serde(default)]
    pub api_token: Option<SecretString>,
    /// The project's signing key, which SignalWire signs webhooks with (not
    /// the API token; `SIGNALWIRE_SIGNING_KEY`).
    #[serde(default)]
    pub signing_key: Option<SecretString>,
    /// Like Twilio's `not_found_window_seconds`; default 0, as SignalWire
    /// is not known to deny a number it just sold.
    #[serde(default)]
    pub not_found_window_seconds: Option<u64>,
    /// The most a whole request may take, answer included (default 30000).
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    /// The most opening a connection may take (default 5000).
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    /// How idempotent calls are retried (purchases never are): a table of
    /// `max_attempts` (1 to 10), `initial_backoff_ms`, `max_backoff_ms`
    /// (each up to 60000) and `max_retry_after_ms` (up to 600000).
    #[serde(default, deserialize_with = "retry_policy")]
    pub retry: Option<RetryPolicy>,
}

/// `[providers.signalwire.retry]`, checked as it is read.
fn retry_policy<'de, D: Deserializer<'de>>(input: D) -> Result<Option<RetryPolicy>, D::Error> {
    limits::retry_policy(SECTION, input)
}

impl SignalWireSettings {
    /// Every variable [`SignalWireSettings::apply_env`] reads; any of them
    /// set configures SignalWire.
    pub const ENV_VARS: &'static [&'static str] = &[
        ENV_SPACE_URL,
        ENV_PROJECT_ID,
        ENV_API_TOKEN,
        ENV_TOKEN_ALIAS,
        ENV_SIGNING_KEY,
    ];

    /// Overlays the `SIGNALWIRE_*` variables that `lookup` has (empty ones
    /// count as unset; `SIGNALWIRE_API_TOKEN` before its alias
    /// `SIGNALWIRE_TOKEN`) and says whether there was any.
    pub fn apply_env(&mut self, lookup: impl Fn(&str) -> Option<String>) -> bool {
        // Blank counts as unset, and values are taken without the
        // whitespace a shell or a secrets file may leave around them.
        let var = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let found = Self::ENV_VARS.iter().any(|name| var(name).is_some());
        if let Some(space) = var(ENV_SPACE_URL) {
            self.space_url = Some(space);
        }
        if let Some(project) = var(ENV_PROJECT_ID) {
            self.project_id = Some(project);
        }
        if let Some(token) = var(ENV_API_TOKEN).or_else(|| var(ENV_TOKEN_ALIAS)) {
            self.api_token = Some(token.into());
        }
        if let Some(key) = var(ENV_SIGNING_KEY) {
            self.signing_key = Some(key.into());
        }
        found
    }

    /// The adapter's configuration.
    pub fn config(&self) -> Result<SignalWireConfig> {
        let space = self
            .space_url
            .as_deref()
            .ok_or_else(|| missing(SECTION, "space_url", ENV_SPACE_URL))?;
        let project = self
            .project_id
            .clone()
            .ok_or_else(|| missing(SECTION, "project_id", ENV_PROJECT_ID))?;
        let token = self
            .api_token
            .clone()
            .ok_or_else(|| missing(SECTION, "api_token", ENV_API_TOKEN))?;
        let mut config = SignalWireConfig::new(space, project, token)?;
        if let Some(window) = limits::not_found_window(SECTION, self.not_found_window_seconds)? {
            config = config.with_not_found_window(window);
        }
        let connect = timeout(SECTION, "connect_timeout_ms", self.connect_timeout_ms)?;
        let request = timeout(SECTION, "request_timeout_ms", self.request_timeout_ms)?;
        if connect.is_some() || request.is_some() {
            config = config.with_timeouts(
                connect.unwrap_or(SignalWireConfig::DEFAULT_CONNECT_TIMEOUT),
                request.unwrap_or(SignalWireConfig::DEFAULT_REQUEST_TIMEOUT),
            );
        }
        if let Some(retry) = self.retry {
            config = config.with_retry_policy(retry);
        }
        Ok(config)
    }

    /// The adapter, ready to call the space.
    pub fn provider(&self) -> Result<SignalWireProvider> {
        SignalWireProvider::new(self.config()?)
    }

    /// The verifier of SignalWire's webhooks, keyed with the signing key.
    pub fn webhook_verifier(&self) -> Result<Option<Arc<dyn WebhookVerifier>>> {
        let key = self
            .signing_key
            .as_ref()
            .ok_or_else(|| Error::Configuration {
                message: format!(
                    "signalwire signs webhooks with the project's signing key (not the API \
                     token): set [providers.signalwire] signing_key or {ENV_SIGNING_KEY}"
                ),
            })?;
        Ok(Some(Arc::new(SignalWireWebhooks::new(key.expose_secret()))))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const CREDENTIALS: &str =
        "space_url = \"example.signalwire.com\"\nproject_id = \"p-1\"\napi_token = \"PTsecret\"\n";

    fn section(toml: &str) -> SignalWireSettings {
        toml::from_str(toml).unwrap()
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn every_builder_option_is_settable_from_toml() {
        let config = section(&format!(
            "{CREDENTIALS}not_found_window_seconds = 30\nrequest_timeout_ms = 1200\n\
             connect_timeout_ms = 300\n\
             [retry]\nmax_attempts = 3\ninitial_backoff_ms = 7\nmax_backoff_ms = 70\n\
             max_retry_after_ms = 700\n"
        ))
        .config()
        .unwrap();
        assert_eq!(
            config.space_url().as_str(),
            "https://example.signalwire.com/"
        );
        assert_eq!(config.project_id(), "p-1");
        assert_eq!(config.api_token.expose_secret(), "PTsecret");
        assert_eq!(config.not_found_window(), Duration::from_secs(30));
        assert_eq!(config.request_timeout, Duration::from_millis(1200));
        assert_eq!(config.connect_timeout, Duration::from_millis(300));
        assert_eq!(
            config.retry_policy(),
            RetryPolicy {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(7),
                max_backoff: Duration::from_millis(70),
                max_retry_after: Duration::from_millis(700),
            }
        );
    }

    #[test]
    fn unset_options_keep_the_adapters_defaults() {
        let config = section(&format!("{CREDENTIALS}request_timeout_ms = 900\n"))
            .config()
            .unwrap();
        assert_eq!(
            config.connect_timeout,
            SignalWireConfig::DEFAULT_CONNECT_TIMEOUT
        );
        assert_eq!(config.request_timeout, Duration::from_millis(900));
        assert_eq!(
            config.not_found_window(),
            SignalWireConfig::DEFAULT_NOT_FOUND_WINDOW
        );
        assert_eq!(config.retry_policy(), RetryPolicy::default());
        let config = section(CREDENTIALS).config().unwrap();
        assert_eq!(
            config.request_timeout,
            SignalWireConfig::DEFAULT_REQUEST_TIMEOUT
        );
    }

    #[test]
    fn out_of_range_values_are_refused_naming_the_key() {
        for (rest, key) in [
            ("request_timeout_ms = 0", "request_timeout_ms"),
            ("connect_timeout_ms = 600001", "connect_timeout_ms"),
            (
                "not_found_window_seconds = 604801",
                "not_found_window_seconds",
            ),
        ] {
            let err = section(&format!("{CREDENTIALS}{rest}"))
                .config()
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{rest}: {err}");
            assert!(err.contains("[providers.signalwire]"), "{rest}: {err}");
        }
        let err = toml::from_str::<SignalWireSettings>("[retry]\nmax_attempts = 0").unwrap_err();
        assert!(
            err.message()
                .contains("[providers.signalwire] retry.max_attempts"),
            "{err}"
        );
    }

    #[test]
    fn what_is_missing_is_named_with_its_variable() {
        for (toml, variable) in [
            ("", ENV_SPACE_URL),
            ("space_url = \"example.signalwire.com\"", ENV_PROJECT_ID),
            (
                "space_url = \"example.signalwire.com\"\nproject_id = \"p\"",
                ENV_API_TOKEN,
            ),
        ] {
            let err = section(toml).config().unwrap_err().to_string();
            assert!(err.contains(variable), "{err}");
        }
        let err = section(CREDENTIALS).webhook_verifier().unwrap_err();
        assert!(err.to_string().contains(ENV_SIGNING_KEY), "{err}");
    }

    #[test]
    fn every_listed_variable_is_read_and_the_api_token_wins_over_its_alias() {
        for name in SignalWireSettings::ENV_VARS {
            let mut settings = SignalWireSettings::default();
            assert!(settings.apply_env(env(&[(name, "value")])), "{name}");
            let shown = format!("{settings:?}");
            let unset = format!("{:?}", SignalWireSettings::default());
            assert_ne!(shown, unset, "{name}");
        }
        let mut settings = section(CREDENTIALS);
        assert!(!settings.apply_env(env(&[(ENV_SPACE_URL, "")])));
        settings.apply_env(env(&[(ENV_TOKEN_ALIAS, "alias"), (ENV_API_TOKEN, "main")]));
        let token = settings
            .api_token
            .as_ref()
            .map(|t| t.expose_secret().to_string());
        assert_eq!(token.as_deref(), Some("main"));
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let mut settings = section("api_token = \"sw-secret-1\"\nsigning_key = \"sw-secret-2\"\n");
        settings.apply_env(env(&[(ENV_TOKEN_ALIAS, "sw-secret-3")]));
        let shown = format!("{settings:?}");
        for secret in ["sw-secret-1", "sw-secret-2", "sw-secret-3"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
    }
}
