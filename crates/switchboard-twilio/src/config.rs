//! How to reach and authenticate to Twilio: from explicit values (so the
//! facade can map its TOML) or from Twilio's conventional environment
//! variables.
//!
//! Secrets live in [`SecretString`] and are exposed only when the
//! `Authorization` header is built; `Debug` shows which kind of credential is
//! configured, never its value, and errors never repeat what was given.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use switchboard_carrier_http::Url;
use switchboard_core::{Error, Result, RetryPolicy};

use crate::sid::{Sid, SidKind};

/// Twilio's public API host.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";
/// How long one HTTP exchange may take before it counts as lost.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long opening a connection may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long after a purchase a "not found" (20404) for the number is not
/// believed. Twilio has been seen to answer 20404 for a number it sold a
/// moment ago (live behaviour 7); "a moment" has never been measured, so
/// the window is generous: five minutes is far past any such delay yet short
/// enough that a release that really found the number gone completes at the
/// first reconcile after it. The two mistakes cost differently: a window too long only
/// delays marking a number released; one too short marks released a number
/// Twilio still holds and bills, with nobody tracking it.
pub const DEFAULT_NOT_FOUND_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The environment variable holding the account SID (`AC...`).
pub const ENV_ACCOUNT_SID: &str = "TWILIO_ACCOUNT_SID";
/// The environment variable holding the account's auth token.
pub const ENV_AUTH_TOKEN: &str = "TWILIO_AUTH_TOKEN";
/// The environment variable holding an API key SID (`SK...`).
pub const ENV_API_KEY: &str = "TWILIO_API_KEY";
/// The environment variable holding the API key's secret.
pub const ENV_API_SECRET: &str = "TWILIO_API_SECRET";

/// Who the adapter authenticates as. With an API key the URL path still
/// names the account, so the account SID is needed either way.
#[derive(Clone)]
enum Auth {
    AuthToken(SecretString),
    ApiKey { key: Sid, secret: SecretString },
}

/// Everything the Twilio adapter needs.
#[derive(Clone)]
pub struct TwilioConfig {
    account_sid: Sid,
    auth: Auth,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    address_sid: Option<Sid>,
    bundle_sid: Option<Sid>,
    emergency_address_sid: Option<Sid>,
    not_found_window: Duration,
}

fn config_error(message: impl Into<String>) -> Error {
    Error::Configuration {
        message: message.into(),
    }
}

fn parse_sid(kind: SidKind, setting: &str, value: &str) -> Result<Sid> {
    Sid::parse(kind, value.trim()).map_err(|why| config_error(format!("twilio {setting} {why}")))
}

/// Checks a secret without ever quoting it: it goes into an HTTP header, so
/// it must be non-empty printable ASCII without spaces.
fn check_secret(setting: &str, value: &str) -> Result<SecretString> {
    let value = value.trim();
    if value.is_empty() {
        return Err(config_error(format!("twilio {setting} is empty")));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(config_error(format!(
            "twilio {setting} may hold only printable ASCII without spaces"
        )));
    }
    Ok(SecretString::from(value))
}

impl TwilioConfig {
    /// Authenticates as the account itself, with its auth token.
    pub fn with_auth_token(account_sid: &str, auth_token: &str) -> Result<Self> {
        let account_sid = parse_sid(SidKind::Account, "account SID", account_sid)?;
        let token = check_secret("auth token", auth_token)?;
        Ok(Self::new(account_sid, Auth::AuthToken(token)))
    }

    /// Authenticates with an API key (`SK...`) and its secret; requests still
    /// go to the account's paths.
    pub fn with_api_key(account_sid: &str, api_key_sid: &str, api_secret: &str) -> Result<Self> {
        let account_sid = parse_sid(SidKind::Account, "account SID", account_sid)?;
        let key = parse_sid(SidKind::ApiKey, "API key SID", api_key_sid)?;
        let secret = check_secret("API key secret", api_secret)?;
        Ok(Self::new(account_sid, Auth::ApiKey { key, secret }))
    }

    fn new(account_sid: Sid, auth: Auth) -> Self {
        Self {
            account_sid,
            auth,
            base_url: DEFAULT_BASE_URL.to_string(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            address_sid: None,
            bundle_sid: None,
            emergency_address_sid: None,
            not_found_window: DEFAULT_NOT_FOUND_WINDOW,
        }
    }

    /// Reads `TWILIO_ACCOUNT_SID` and either `TWILIO_API_KEY` +
    /// `TWILIO_API_SECRET` (preferred when both are set, as Twilio's own
    /// tools do) or `TWILIO_AUTH_TOKEN`, and `TWILIO_BASE_URL` if set: the
    /// variables of [`crate::TwilioSettings`], read by it.
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`TwilioConfig::from_env`] with the variables read through `lookup`,
    /// so a caller can supply its own environment (and tests need not change
    /// the process's). Empty values count as unset.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        // One reader of the variables, the configuration file's: the same
        // names, the same rules, the same errors.
        let mut settings = crate::TwilioSettings::default();
        settings.apply_env(lookup);
        settings.config()
    }

    /// Sends requests to `base_url` instead of `https://api.twilio.com`: a
    /// regional edge, a proxy, or a local server in tests. An `http` or
    /// `https` URL with a host and at most a path prefix.
    pub fn base_url(mut self, base_url: &str) -> Result<Self> {
        let url = Url::parse(base_url)
            .map_err(|e| config_error(format!("twilio base URL is not an absolute URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(config_error(format!(
                "twilio base URL must use http or https, not {}",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(config_error("twilio base URL has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Credentials belong in the auth settings, where they are kept secret.
            return Err(config_error(
                "twilio base URL may not carry credentials; use the auth token or API key settings",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(config_error(
                "twilio base URL may not have a query or a fragment",
            ));
        }
        self.base_url = url.as_str().trim_end_matches('/').to_string();
        Ok(self)
    }

    /// Uses Twilio's regional edge `api.{edge}.{region}.twilio.com`, e.g.
    /// edge `sydney`, region `au1`.
    pub fn regional(self, edge: &str, region: &str) -> Result<Self> {
        let label = |what: &str, value: &str| {
            if value.is_empty()
                || !value
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                Err(config_error(format!(
                    "twilio {what} must be lower-case letters, digits and '-', got {value:?}"
                )))
            } else {
                Ok(())
            }
        };
        label("edge", edge)?;
        label("region", region)?;
        self.base_url(&format!("https://api.{edge}.{region}.twilio.com"))
    }

    /// The most one HTTP exchange may take; past it the answer counts as lost.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most opening a connection may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How idempotent calls are retried (purchase never is).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// An address (`AD...`) sent with every purchase, for numbers that
    /// require one (error 21631 otherwise).
    pub fn address_sid(mut self, sid: &str) -> Result<Self> {
        self.address_sid = Some(parse_sid(SidKind::Address, "address SID", sid)?);
        Ok(self)
    }

    /// A regulatory bundle (`BU...`) sent with every purchase, for numbers
    /// that require one (error 21649 otherwise).
    pub fn bundle_sid(mut self, sid: &str) -> Result<Self> {
        self.bundle_sid = Some(parse_sid(SidKind::Bundle, "bundle SID", sid)?);
        Ok(self)
    }

    /// An emergency address (`AD...`) to attach to every number bought.
    /// Twilio has been seen to ignore it on purchase, so it is set by an
    /// update right after the purchase instead.
    pub fn emergency_address_sid(mut self, sid: &str) -> Result<Self> {
        self.emergency_address_sid =
            Some(parse_sid(SidKind::Address, "emergency address SID", sid)?);
        Ok(self)
    }

    /// How long after a purchase a "not found" for the number is taken as
    /// Twilio not showing it yet rather than as the number being gone (see
    /// [`DEFAULT_NOT_FOUND_WINDOW`]). Zero believes every not-found, which is
    /// right only against a server known not to lag its own purchases, such
    /// as a local emulator.
    pub fn not_found_window(mut self, window: Duration) -> Self {
        self.not_found_window = window;
        self
    }

    /// The account every path is under.
    pub fn account_sid(&self) -> &str {
        self.account_sid.as_str()
    }

    /// Where requests go, without a trailing `/`.
    pub fn base_url_str(&self) -> &str {
        &self.base_url
    }

    /// The per-exchange timeout.
    pub fn timeout_value(&self) -> Duration {
        self.timeout
    }

    /// The connect timeout.
    pub fn connect_timeout_value(&self) -> Duration {
        self.connect_timeout
    }

    /// The retry policy for idempotent calls.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The address SID sent on purchase, if any.
    pub fn address(&self) -> Option<&str> {
        self.address_sid.as_ref().map(Sid::as_str)
    }

    /// The bundle SID sent on purchase, if any.
    pub fn bundle(&self) -> Option<&str> {
        self.bundle_sid.as_ref().map(Sid::as_str)
    }

    /// The emergency address SID set after purchase, if any.
    pub fn emergency_address(&self) -> Option<&str> {
        self.emergency_address_sid.as_ref().map(Sid::as_str)
    }

    /// The window in which a not-found after a purchase is not believed.
    pub fn not_found_window_value(&self) -> Duration {
        self.not_found_window
    }

    /// The Basic-auth user and password; the only place the secret leaves
    /// its box.
    pub(crate) fn basic_auth(&self) -> (&str, &str) {
        match &self.auth {
            Auth::AuthToken(token) => (self.account_sid.as_str(), token.expose_secret()),
            Auth::ApiKey { key, secret } => (key.as_str(), secret.expose_secret()),
        }
    }
}

impl fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.auth {
            Auth::AuthToken(_) => "auth token [redacted]".to_string(),
            Auth::ApiKey { key, .. } => format!("API key {key}, secret [redacted]"),
        };
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field("auth", &auth)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("address_sid", &self.address_sid)
            .field("bundle_sid", &self.bundle_sid)
            .field("emergency_address_sid", &self.emergency_address_sid)
            .field("not_found_window", &self.not_found_window)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const SK: &str = "SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn an_api_key_authenticates_but_the_path_keeps_the_account() {
        let config = TwilioConfig::from_env_with(env(&[
            (ENV_ACCOUNT_SID, AC),
            (ENV_AUTH_TOKEN, "token-not-used"),
            (ENV_API_KEY, SK),
            (ENV_API_SECRET, "key-secret"),
        ]))
        .unwrap();
        assert_eq!(config.account_sid(), AC);
        assert_eq!(config.basic_auth(), (SK, "key-secret"));
    }

    #[test]
    fn the_auth_token_is_used_without_an_api_key() {
        let config =
            TwilioConfig::from_env_with(env(&[(ENV_ACCOUNT_SID, AC), (ENV_AUTH_TOKEN, "tok")]))
                .unwrap();
        assert_eq!(config.basic_auth(), (AC, "tok"));
    }

    #[test]
    fn missing_or_half_set_variables_are_named() {
        let err = TwilioConfig::from_env_with(env(&[])).unwrap_err();
        assert!(err.to_string().contains(ENV_ACCOUNT_SID), "{err}");
        let err = TwilioConfig::from_env_with(env(&[(ENV_ACCOUNT_SID, AC)])).unwrap_err();
        assert!(err.to_string().contains(ENV_AUTH_TOKEN), "{err}");
        let err = TwilioConfig::from_env_with(env(&[(ENV_ACCOUNT_SID, AC), (ENV_API_KEY, SK)]))
            .unwrap_err();
        assert!(err.to_string().contains(ENV_API_SECRET), "{err}");
        let err = TwilioConfig::from_env_with(env(&[
            (ENV_ACCOUNT_SID, AC),
            (ENV_API_SECRET, "s"),
            (ENV_AUTH_TOKEN, "t"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains(ENV_API_KEY), "{err}");
        let err =
            TwilioConfig::from_env_with(env(&[(ENV_ACCOUNT_SID, "AC123"), (ENV_AUTH_TOKEN, "t")]))
                .unwrap_err();
        assert!(err.to_string().contains(ENV_ACCOUNT_SID), "{err}");
        assert!(err.to_string().contains("5 characters"), "{err}");
    }

    #[test]
    fn base_urls_are_checked_and_normalised() {
        let config = TwilioConfig::with_auth_token(AC, "t").unwrap();
        assert_eq!(config.base_url_str(), DEFAULT_BASE_URL);
        let local = config.clone().base_url("http://127.0.0.1:8080/").unwrap();
        assert_eq!(local.base_url_str(), "http://127.0.0.1:8080");
        let edge = config.clone().regional("sydney", "au1").unwrap();
        assert_eq!(edge.base_url_str(), "https://api.sydney.au1.twilio.com");
        for bad in [
            "api.twilio.com",
            "ftp://api.twilio.com",
            "https://user:pw@api.twilio.com",
            "https://api.twilio.com/?x=1",
        ] {
            assert!(config.clone().base_url(bad).is_err(), "{bad} accepted");
        }
        assert!(config.clone().regional("Sydney", "au1").is_err());
    }

    #[test]
    fn document_sids_are_checked_by_kind() {
        let config = TwilioConfig::with_auth_token(AC, "t").unwrap();
        let config = config
            .address_sid("AD0123456789abcdef0123456789abcdef")
            .unwrap()
            .bundle_sid("BU0123456789abcdef0123456789abcdef")
            .unwrap();
        assert_eq!(config.address(), Some("AD0123456789abcdef0123456789abcdef"));
        assert_eq!(config.bundle(), Some("BU0123456789abcdef0123456789abcdef"));
        let err = config
            .clone()
            .bundle_sid("AD0123456789abcdef0123456789abcdef")
            .unwrap_err();
        assert!(err.to_string().contains("bundle SID"), "{err}");
        assert!(err.to_string().contains("BU"), "{err}");
    }
}
