//! The `[providers.telnyx]` section of a Switchboard configuration file
//! and the `TELNYX_*` variables over it: what a deployment writes down,
//! as opposed to [`TelnyxConfig`], the checked value the adapter runs on.
//!
//! The section lives here, beside the builder it feeds, so that a new
//! builder option becomes settable from TOML in the same change; the
//! facade only lists this type in its carrier table. Every method the
//! table calls (`apply_env`, `provider`, `webhook_verifier`) has the same
//! name and shape in each adapter's `settings` module.

use std::collections::BTreeMap;
use std::sync::Arc;

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use switchboard_core::inbound::WebhookVerifier;
use switchboard_core::{Result, RetryPolicy};

use switchboard_carrier_http::settings as limits;

use limits::{missing, timeout};

use crate::config::{ENV_API_KEY, ENV_BASE_URL};
use crate::{PROVIDER, TelnyxConfig, TelnyxProvider};

/// The section's name, `[providers.telnyx]`.
const SECTION: &str = PROVIDER;

/// Telnyx's section: key, endpoint, what every order carries, routes,
/// timeouts and retries. Every field is optional; [`TelnyxSettings::config`]
/// says which are needed. The key is a [`SecretString`], so `Debug` shows
/// none.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelnyxSettings {
    /// API v2 key, sent as `Authorization: Bearer` (`TELNYX_API_KEY`).
    #[serde(default)]
    pub api_key: Option<SecretString>,
    /// API root (default `https://api.telnyx.com/v2`): a proxy, or a local
    /// emulator's `http://127.0.0.1:PORT/v2` (`TELNYX_BASE_URL`).
    #[serde(default)]
    pub base_url: Option<String>,
    /// The connection every number bought is put on, unless its routing
    /// names another.
    #[serde(default)]
    pub connection_id: Option<String>,
    /// The messaging profile every number bought is put on, unless its
    /// routing names another.
    #[serde(default)]
    pub messaging_profile_id: Option<String>,
    /// The reference every order carries when the purchase has no name.
    #[serde(default)]
    pub customer_reference: Option<String>,
    /// Voice webhook URL = the connection whose application delivers to
    /// it: how core's `voice_url` is written to and read from a number.
    #[serde(default)]
    pub voice_connections: BTreeMap<String, String>,
    /// SMS webhook URL = the messaging profile that delivers to it.
    #[serde(default)]
    pub messaging_profiles: BTreeMap<String, String>,
    /// Like Twilio's `not_found_window_seconds`; default 0.
    #[serde(default)]
    pub not_found_window_seconds: Option<u64>,
    /// The most a whole request may take, answer included (default 30000).
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    /// The most opening a connection may take (default 5000).
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    /// How idempotent calls are retried (orders never are): a table of
    /// `max_attempts` (1 to 10), `initial_backoff_ms`, `max_backoff_ms`
    /// (each up to 60000) and `max_retry_after_ms` (up to 600000).
    #[serde(default, deserialize_with = "retry_policy")]
    pub retry: Option<RetryPolicy>,
}

/// `[providers.telnyx.retry]`, checked as it is read.
fn retry_policy<'de, D: Deserializer<'de>>(input: D) -> Result<Option<RetryPolicy>, D::Error> {
    limits::retry_policy(SECTION, input)
}

impl TelnyxSettings {
    /// Every variable [`TelnyxSettings::apply_env`] reads; any of them set
    /// configures Telnyx.
    pub const ENV_VARS: &'static [&'static str] = &[ENV_API_KEY, ENV_BASE_URL];

    /// Overlays the `TELNYX_*` variables that `lookup` has (empty ones
    /// count as unset, values are trimmed) and says whether there was any.
    pub fn apply_env(&mut self, lookup: impl Fn(&str) -> Option<String>) -> bool {
        let var = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let found = Self::ENV_VARS.iter().any(|name| var(name).is_some());
        if let Some(key) = var(ENV_API_KEY) {
            self.api_key = Some(key.into());
        }
        if let Some(url) = var(ENV_BASE_URL) {
            self.base_url = Some(url);
        }
        found
    }

    /// The adapter's configuration.
    pub fn config(&self) -> Result<TelnyxConfig> {
        let key = self
            .api_key
            .clone()
            .ok_or_else(|| missing(SECTION, "api_key", ENV_API_KEY))?;
        let mut config = TelnyxConfig::new(key)?;
        if let Some(url) = &self.base_url {
            config = config.base_url(url)?;
        }
        if let Some(id) = &self.connection_id {
            config = config.connection_id(id)?;
        }
        if let Some(id) = &self.messaging_profile_id {
            config = config.messaging_profile_id(id)?;
        }
        if let Some(reference) = &self.customer_reference {
            config = config.customer_reference(reference)?;
        }
        for (url, id) in &self.voice_connections {
            config = config.voice_route(url, id)?;
        }
        for (url, id) in &self.messaging_profiles {
            config = config.messaging_route(url, id)?;
        }
        if let Some(window) = limits::not_found_window(SECTION, self.not_found_window_seconds)? {
            config = config.with_not_found_window(window);
        }
        let connect = timeout(SECTION, "connect_timeout_ms", self.connect_timeout_ms)?;
        let request = timeout(SECTION, "request_timeout_ms", self.request_timeout_ms)?;
        if connect.is_some() || request.is_some() {
            config = config.with_timeouts(
                connect.unwrap_or(TelnyxConfig::DEFAULT_CONNECT_TIMEOUT),
                request.unwrap_or(TelnyxConfig::DEFAULT_REQUEST_TIMEOUT),
            );
        }
        if let Some(retry) = self.retry {
            config = config.with_retry_policy(retry);
        }
        Ok(config)
    }

    /// The adapter, ready to call Telnyx.
    pub fn provider(&self) -> Result<TelnyxProvider> {
        TelnyxProvider::new(self.config()?)
    }

    /// No verifier yet: Telnyx signs its webhooks with Ed25519 and the
    /// account's public key, which this crate does not check, so the
    /// service mounts no Telnyx webhook route rather than an unchecked one.
    pub fn webhook_verifier(&self) -> Result<Option<Arc<dyn WebhookVerifier>>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use secrecy::ExposeSecret;

    use super::*;

    const KEY: &str = "api_key = \"KEYsecret-1\"\n";

    fn section(toml: &str) -> TelnyxSettings {
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
            "{KEY}base_url = \"http://127.0.0.1:9/v2\"\nconnection_id = \"1293384261075731499\"\n\
             messaging_profile_id = \"abc85f64-5717-4562-b3fc-2c9600000000\"\n\
             customer_reference = \"acme\"\nnot_found_window_seconds = 30\n\
             request_timeout_ms = 1200\nconnect_timeout_ms = 300\n\
             [voice_connections]\n\"https://agent.example.com/voice\" = \"7\"\n\
             [messaging_profiles]\n\"https://agent.example.com/sms\" = \"p-1\"\n\
             [retry]\nmax_attempts = 3\ninitial_backoff_ms = 7\nmax_backoff_ms = 70\n\
             max_retry_after_ms = 700\n"
        ))
        .config()
        .unwrap();
        assert_eq!(config.api_key.expose_secret(), "KEYsecret-1");
        assert_eq!(config.base_url_str(), "http://127.0.0.1:9/v2");
        assert_eq!(config.default_connection_id(), Some("1293384261075731499"));
        assert_eq!(
            config.default_messaging_profile_id(),
            Some("abc85f64-5717-4562-b3fc-2c9600000000")
        );
        assert_eq!(config.default_customer_reference(), Some("acme"));
        assert_eq!(config.not_found_window(), Duration::from_secs(30));
        assert_eq!(
            config.timeouts(),
            (Duration::from_millis(300), Duration::from_millis(1200))
        );
        assert_eq!(
            config.retry_policy(),
            RetryPolicy {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(7),
                max_backoff: Duration::from_millis(70),
                max_retry_after: Duration::from_millis(700),
            }
        );
        let routing = config.routes.to_core(Some("7"), Some("p-1"));
        assert_eq!(
            routing.voice_url.unwrap().as_str(),
            "https://agent.example.com/voice"
        );
        assert_eq!(
            routing.sms_url.unwrap().as_str(),
            "https://agent.example.com/sms"
        );
    }

    #[test]
    fn unset_options_keep_the_adapters_defaults() {
        let config = section(KEY).config().unwrap();
        assert_eq!(config.base_url_str(), crate::DEFAULT_BASE_URL);
        assert_eq!(
            config.timeouts(),
            (
                TelnyxConfig::DEFAULT_CONNECT_TIMEOUT,
                TelnyxConfig::DEFAULT_REQUEST_TIMEOUT
            )
        );
        assert_eq!(config.retry_policy(), RetryPolicy::default());
        assert_eq!(config.default_connection_id(), None);
        assert_eq!(
            config.not_found_window(),
            TelnyxConfig::DEFAULT_NOT_FOUND_WINDOW
        );
    }

    #[test]
    fn mistakes_are_named_with_their_key_or_variable() {
        let err = section("").config().unwrap_err().to_string();
        assert!(
            err.contains("api_key") && err.contains(ENV_API_KEY),
            "{err}"
        );
        for (rest, key) in [
            ("request_timeout_ms = 0", "request_timeout_ms"),
            ("base_url = \"http://api.telnyx.com/v2\"", "base URL"),
            ("connection_id = \"\"", "connection_id"),
            (
                "[voice_connections]\n\"not a url\" = \"1\"",
                "voice_connections",
            ),
        ] {
            let err = section(&format!("{KEY}{rest}"))
                .config()
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{rest}: {err}");
        }
        let err = toml::from_str::<TelnyxSettings>("[retry]\nmax_attempts = 0").unwrap_err();
        assert!(
            err.message()
                .contains("[providers.telnyx] retry.max_attempts"),
            "{err}"
        );
        assert!(toml::from_str::<TelnyxSettings>("apikey = \"x\"").is_err());
    }

    #[test]
    fn the_variables_overlay_the_file_and_blank_ones_are_unset() {
        let mut settings = section("base_url = \"https://proxy.example/v2\"\n");
        assert!(!settings.apply_env(env(&[(ENV_API_KEY, "  ")])));
        assert!(settings.apply_env(env(&[
            (ENV_API_KEY, " KEYfromenv "),
            (ENV_BASE_URL, "http://127.0.0.1:1/v2")
        ])));
        let config = settings.config().unwrap();
        assert_eq!(config.api_key.expose_secret(), "KEYfromenv");
        assert_eq!(config.base_url_str(), "http://127.0.0.1:1/v2");
        let config = TelnyxConfig::from_lookup(env(&[(ENV_API_KEY, "KEY2")])).unwrap();
        assert_eq!(config.base_url_str(), crate::DEFAULT_BASE_URL);
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        let mut settings = section("api_key = \"tx-secret-1\"\n");
        let shown = format!("{settings:?} {:?}", settings.config().unwrap());
        assert!(!shown.contains("tx-secret-1"), "{shown}");
        settings.apply_env(env(&[(ENV_API_KEY, "tx-secret-2")]));
        let shown = format!("{settings:?} {:?}", settings.provider().unwrap());
        assert!(!shown.contains("tx-secret-2"), "{shown}");
    }
}
