//! The `[providers.twilio]` section of a Switchboard configuration file and
//! the `TWILIO_*` variables over it: what a deployment writes down, as
//! opposed to [`TwilioConfig`], the checked value the adapter runs on.
//!
//! The section lives here, beside the builder it feeds, so that a new
//! builder option becomes settable from TOML in the same change; the facade
//! only lists this type in its carrier table. Every method the table calls
//! (`apply_env`, `provider`, `webhook_verifier`) has the same name and shape
//! in each adapter's `settings` module.

use std::collections::BTreeMap;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};
use switchboard_core::inbound::WebhookVerifier;
use switchboard_core::{Error, Result, RetryPolicy};

use crate::config::{ENV_ACCOUNT_SID, ENV_API_KEY, ENV_API_SECRET, ENV_AUTH_TOKEN};
use switchboard_carrier_http::settings as limits;

use limits::{invalid, missing, timeout};

use crate::sid::{Sid, SidKind};
use crate::{PROVIDER, TwilioConfig, TwilioProvider, TwilioWebhooks};

/// The environment variable holding the API base URL (an edge, a proxy, a
/// local emulator).
pub const ENV_BASE_URL: &str = "TWILIO_BASE_URL";
/// The environment variable holding the key webhooks are signed with, when
/// the REST API uses an API key.
pub const ENV_WEBHOOK_AUTH_TOKEN: &str = "TWILIO_WEBHOOK_AUTH_TOKEN";

/// The section's name, `[providers.twilio]`.
const SECTION: &str = PROVIDER;

/// Twilio's section: credentials, endpoint, purchase documents, timeouts
/// and retries. Every field is optional; [`TwilioSettings::config`] says
/// which are needed. Secrets are [`SecretString`]s, so `Debug` shows none.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSettings {
    /// `AC...` account SID (`TWILIO_ACCOUNT_SID`).
    #[serde(default)]
    pub account_sid: Option<String>,
    /// Auth token (`TWILIO_AUTH_TOKEN`).
    #[serde(default)]
    pub auth_token: Option<SecretString>,
    /// `SK...` API key SID, instead of the auth token (`TWILIO_API_KEY`).
    #[serde(default)]
    pub api_key: Option<String>,
    /// API key secret (`TWILIO_API_SECRET`).
    #[serde(default)]
    pub api_secret: Option<SecretString>,
    /// API base URL: a regional edge, a proxy, or a local emulator
    /// (`TWILIO_BASE_URL`).
    #[serde(default)]
    pub base_url: Option<String>,
    /// A regional edge such as `sydney`, with `region`, instead of
    /// `base_url`.
    #[serde(default)]
    pub edge: Option<String>,
    /// The region of `edge`, such as `au1`.
    #[serde(default)]
    pub region: Option<String>,
    /// Address SID sent with every purchase, for numbers that need one.
    #[serde(default)]
    pub address_sid: Option<String>,
    /// Regulatory bundle SID sent with every purchase, for numbers that
    /// need one.
    #[serde(default)]
    pub bundle_sid: Option<String>,
    /// Emergency address SID set on every number bought.
    #[serde(default)]
    pub emergency_address_sid: Option<String>,
    /// How long after a purchase a "not found" for the number is not taken
    /// as proof it is gone (default 300: Twilio has answered 20404 for a
    /// number it had just sold). 0 believes every not-found, e.g. against a
    /// local emulator.
    #[serde(default)]
    pub not_found_window_seconds: Option<u64>,
    /// The most one HTTP exchange may take (default 30000).
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    /// The most opening a connection may take (default 10000).
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    /// How idempotent calls are retried (purchases never are): a table of
    /// `max_attempts` (1 to 10), `initial_backoff_ms`, `max_backoff_ms`
    /// (each up to 60000) and `max_retry_after_ms` (up to 600000).
    #[serde(default, deserialize_with = "retry_policy")]
    pub retry: Option<RetryPolicy>,
    /// The key Twilio signs webhooks with: the account's primary auth
    /// token, even when the REST calls use an API key
    /// (`TWILIO_WEBHOOK_AUTH_TOKEN`; default `auth_token`).
    #[serde(default)]
    pub webhook_auth_token: Option<SecretString>,
    /// Keys of Twilio's webhook signature settings (HMAC-SHA256), by the
    /// name the settings header gives.
    #[serde(default)]
    pub webhook_signature_keys: BTreeMap<String, SecretString>,
}

/// `[providers.twilio.retry]`, checked as it is read.
fn retry_policy<'de, D: Deserializer<'de>>(input: D) -> Result<Option<RetryPolicy>, D::Error> {
    limits::retry_policy(SECTION, input)
}

impl TwilioSettings {
    /// Every variable [`TwilioSettings::apply_env`] reads; any of them set
    /// configures Twilio.
    pub const ENV_VARS: &'static [&'static str] = &[
        ENV_ACCOUNT_SID,
        ENV_AUTH_TOKEN,
        ENV_API_KEY,
        ENV_API_SECRET,
        ENV_BASE_URL,
        ENV_WEBHOOK_AUTH_TOKEN,
    ];

    /// Overlays the `TWILIO_*` variables that `lookup` has (empty ones
    /// count as unset) and says whether there was any. A base URL from the
    /// environment replaces an edge and region from the file, since the
    /// environment wins.
    pub fn apply_env(&mut self, lookup: impl Fn(&str) -> Option<String>) -> bool {
        // Blank counts as unset, and values are taken without the
        // whitespace a shell or a secrets file may leave around them.
        let var = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let found = Self::ENV_VARS.iter().any(|name| var(name).is_some());
        let secret = |name: &str| var(name).map(SecretString::from);
        overlay(&mut self.account_sid, var(ENV_ACCOUNT_SID));
        overlay(&mut self.auth_token, secret(ENV_AUTH_TOKEN));
        overlay(&mut self.api_key, var(ENV_API_KEY));
        overlay(&mut self.api_secret, secret(ENV_API_SECRET));
        if let Some(url) = var(ENV_BASE_URL) {
            self.base_url = Some(url);
            self.edge = None;
            self.region = None;
        }
        overlay(&mut self.webhook_auth_token, secret(ENV_WEBHOOK_AUTH_TOKEN));
        found
    }

    /// The adapter's configuration. An API key with its secret wins over
    /// the auth token, as in Twilio's own tools.
    pub fn config(&self) -> Result<TwilioConfig> {
        let sid = self
            .account_sid
            .as_deref()
            .ok_or_else(|| missing(SECTION, "account_sid", ENV_ACCOUNT_SID))?
            .trim();
        // Checked here as well as by the builder, so that the error names
        // both places the SID can come from.
        Sid::parse(SidKind::Account, sid).map_err(|why| {
            invalid(
                SECTION,
                "account_sid",
                &format!("(or {ENV_ACCOUNT_SID}) {why}"),
            )
        })?;
        let mut config = match (&self.api_key, &self.api_secret, &self.auth_token) {
            (Some(key), Some(secret), _) => {
                TwilioConfig::with_api_key(sid, key.trim(), secret.expose_secret())?
            }
            (Some(_), None, _) => return Err(missing(SECTION, "api_secret", ENV_API_SECRET)),
            // A secret without its key is a mistake, not a reason to fall
            // back on the auth token silently.
            (None, Some(_), _) => return Err(missing(SECTION, "api_key", ENV_API_KEY)),
            (None, _, Some(token)) => TwilioConfig::with_auth_token(sid, token.expose_secret())?,
            (None, _, None) => return Err(missing(SECTION, "auth_token", ENV_AUTH_TOKEN)),
        };
        config = match (&self.base_url, &self.edge, &self.region) {
            (None, None, None) => config,
            (Some(url), None, None) => config.base_url(url)?,
            (None, Some(edge), Some(region)) => config.regional(edge, region)?,
            (Some(_), _, _) => {
                return Err(invalid(
                    SECTION,
                    "base_url",
                    "and edge/region exclude each other",
                ));
            }
            (None, _, _) => return Err(invalid(SECTION, "edge", "and region go together")),
        };
        if let Some(sid) = &self.address_sid {
            config = config.address_sid(sid)?;
        }
        if let Some(sid) = &self.bundle_sid {
            config = config.bundle_sid(sid)?;
        }
        if let Some(sid) = &self.emergency_address_sid {
            config = config.emergency_address_sid(sid)?;
        }
        if let Some(window) = limits::not_found_window(SECTION, self.not_found_window_seconds)? {
            config = config.not_found_window(window);
        }
        if let Some(limit) = timeout(SECTION, "request_timeout_ms", self.request_timeout_ms)? {
            config = config.timeout(limit);
        }
        if let Some(limit) = timeout(SECTION, "connect_timeout_ms", self.connect_timeout_ms)? {
            config = config.connect_timeout(limit);
        }
        if let Some(retry) = self.retry {
            config = config.retry_policy(retry);
        }
        Ok(config)
    }

    /// The adapter, ready to call Twilio.
    pub fn provider(&self) -> Result<TwilioProvider> {
        TwilioProvider::new(self.config()?)
    }

    /// The verifier of Twilio's webhooks, keyed with the webhook auth token
    /// (or the auth token) and the signature-settings keys.
    pub fn webhook_verifier(&self) -> Result<Option<Arc<dyn WebhookVerifier>>> {
        let key = self
            .webhook_auth_token
            .as_ref()
            .or(self.auth_token.as_ref())
            .ok_or_else(|| Error::Configuration {
                message: format!(
                    "twilio signs webhooks with the account's auth token: set \
                     [providers.twilio] webhook_auth_token (or {ENV_WEBHOOK_AUTH_TOKEN}) \
                     when the REST API uses an API key"
                ),
            })?;
        let mut verifier = TwilioWebhooks::new(key.expose_secret());
        for (name, secret) in &self.webhook_signature_keys {
            verifier = verifier.with_signature_key(name, secret.expose_secret());
        }
        Ok(Some(Arc::new(verifier)))
    }
}

fn overlay<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const SK: &str = "SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const AD: &str = "AD0123456789abcdef0123456789abcdef";

    fn section(toml: &str) -> TwilioSettings {
        toml::from_str(toml).unwrap()
    }

    fn with_credentials(rest: &str) -> TwilioSettings {
        section(&format!(
            "account_sid = \"{AC}\"\nauth_token = \"tok\"\n{rest}"
        ))
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
        let config = with_credentials(&format!(
            "edge = \"sydney\"\nregion = \"au1\"\n\
             address_sid = \"{AD}\"\nbundle_sid = \"BU0123456789abcdef0123456789abcdef\"\n\
             emergency_address_sid = \"AD00000000000000000000000000000001\"\n\
             not_found_window_seconds = 7\nrequest_timeout_ms = 1500\nconnect_timeout_ms = 250\n\
             [retry]\nmax_attempts = 2\ninitial_backoff_ms = 5\nmax_backoff_ms = 40\n\
             max_retry_after_ms = 900\n"
        ))
        .config()
        .unwrap();
        assert_eq!(config.base_url_str(), "https://api.sydney.au1.twilio.com");
        assert_eq!(config.address(), Some(AD));
        assert_eq!(config.bundle(), Some("BU0123456789abcdef0123456789abcdef"));
        assert_eq!(
            config.emergency_address(),
            Some("AD00000000000000000000000000000001")
        );
        assert_eq!(config.not_found_window_value(), Duration::from_secs(7));
        assert_eq!(config.timeout_value(), Duration::from_millis(1500));
        assert_eq!(config.connect_timeout_value(), Duration::from_millis(250));
        assert_eq!(
            config.retry(),
            RetryPolicy {
                max_attempts: 2,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(40),
                max_retry_after: Duration::from_millis(900),
            }
        );
    }

    #[test]
    fn unset_options_keep_the_adapters_defaults() {
        let config = with_credentials("[retry]\nmax_attempts = 1\n")
            .config()
            .unwrap();
        assert_eq!(config.base_url_str(), crate::DEFAULT_BASE_URL);
        assert_eq!(config.timeout_value(), crate::DEFAULT_TIMEOUT);
        assert_eq!(
            config.connect_timeout_value(),
            crate::DEFAULT_CONNECT_TIMEOUT
        );
        assert_eq!(
            config.not_found_window_value(),
            crate::DEFAULT_NOT_FOUND_WINDOW
        );
        let retry = config.retry();
        assert_eq!(retry.max_attempts, 1);
        assert_eq!(retry.max_backoff, RetryPolicy::default().max_backoff);
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
            (
                "base_url = \"http://x\"\nedge = \"e\"\nregion = \"r\"",
                "base_url",
            ),
            ("edge = \"sydney\"", "edge"),
        ] {
            let err = with_credentials(rest).config().unwrap_err().to_string();
            assert!(err.contains(key), "{rest}: {err}");
            assert!(err.contains("[providers.twilio]"), "{rest}: {err}");
        }
        let err = toml::from_str::<TwilioSettings>("[retry]\nmax_attempts = 0").unwrap_err();
        assert!(
            err.message()
                .contains("[providers.twilio] retry.max_attempts"),
            "{err}"
        );
    }

    #[test]
    fn credentials_are_named_when_missing() {
        let err = section("").config().unwrap_err().to_string();
        assert!(
            err.contains("account_sid") && err.contains(ENV_ACCOUNT_SID),
            "{err}"
        );
        let err = section(&format!("account_sid = \"{AC}\""))
            .config()
            .unwrap_err()
            .to_string();
        assert!(err.contains(ENV_AUTH_TOKEN), "{err}");
        let err = section(&format!("account_sid = \"{AC}\"\napi_key = \"{SK}\""))
            .config()
            .unwrap_err()
            .to_string();
        assert!(err.contains(ENV_API_SECRET), "{err}");
    }

    #[test]
    fn every_listed_variable_is_read_and_the_environment_wins() {
        for name in TwilioSettings::ENV_VARS {
            let mut settings = TwilioSettings::default();
            assert!(settings.apply_env(env(&[(name, "value")])), "{name}");
            let shown = format!("{settings:?}");
            assert_ne!(shown, format!("{:?}", TwilioSettings::default()), "{name}");
        }
        let mut settings = TwilioSettings::default();
        assert!(!settings.apply_env(env(&[(ENV_ACCOUNT_SID, "")])));
        let mut settings = with_credentials("edge = \"sydney\"\nregion = \"au1\"\n");
        settings.apply_env(env(&[(ENV_BASE_URL, "http://127.0.0.1:9")]));
        let config = settings.config().unwrap();
        assert_eq!(config.base_url_str(), "http://127.0.0.1:9");
    }

    #[test]
    fn the_webhook_key_defaults_to_the_auth_token_and_is_needed() {
        assert!(with_credentials("").webhook_verifier().unwrap().is_some());
        let err = section(&format!(
            "account_sid = \"{AC}\"\napi_key = \"{SK}\"\napi_secret = \"s\""
        ))
        .webhook_verifier()
        .unwrap_err();
        assert!(err.to_string().contains("webhook_auth_token"), "{err}");
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let mut settings = section(
            "auth_token = \"tw-secret-1\"\napi_secret = \"tw-secret-2\"\n\
             webhook_auth_token = \"tw-secret-3\"\n\
             [webhook_signature_keys]\nmain = \"tw-secret-4\"\n",
        );
        settings.apply_env(env(&[(ENV_API_SECRET, "tw-secret-5")]));
        let shown = format!("{settings:?}");
        for secret in [
            "tw-secret-1",
            "tw-secret-2",
            "tw-secret-3",
            "tw-secret-4",
            "tw-secret-5",
        ] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert!(shown.contains("main"), "{shown}");
    }
}
