//! Configuration: which carriers, which store, where to listen. Read from a
//! TOML file and then from environment variables (which win), so the same
//! binary switches carriers with no code change.
//!
//! Unknown keys are errors, not silently ignored, and asking for a carrier
//! whose Cargo feature is not compiled in names the ones that are.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use switchboard_core::Error;

mod inbound;

pub use inbound::{AccountInbound, InboundConfig};

/// The database used when none is configured: a SQLite file in the working
/// directory, shared by every CLI command run there.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://switchboard.db";
/// The address `serve` listens on when none is configured.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The SQL stores' read cache bound when none is configured (the store's
/// own default; kept here so configuration compiles without the store).
pub const DEFAULT_READ_CACHE_STALENESS: std::time::Duration = std::time::Duration::from_millis(250);

/// The carriers this build can talk to.
pub fn compiled_providers() -> Vec<&'static str> {
    let mut names = Vec::new();
    if cfg!(feature = "fake") {
        names.push("fake");
    }
    if cfg!(feature = "signalwire") {
        names.push("signalwire");
    }
    if cfg!(feature = "twilio") {
        names.push("twilio");
    }
    names
}

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The carrier new purchases use (`fake`, `twilio`, `signalwire`).
    /// Defaults to the only configured carrier, or `fake`.
    #[serde(default, alias = "provider")]
    pub default_provider: Option<String>,
    /// Where numbers and tokens are stored: `sqlite://path`, `sqlite::memory:`,
    /// `postgres://...`, or `memory` (nothing kept after exit).
    #[serde(default)]
    pub database_url: Option<Secret>,
    /// Address for `serve`.
    #[serde(default)]
    pub listen: Option<String>,
    /// How long `reconcile` leaves fresh records alone (default 120 s): a
    /// number bought this recently is not judged missing from a carrier's
    /// listing, which may lag the purchase. Must be above 0.
    #[serde(default)]
    pub reservation_grace_seconds: Option<u64>,
    /// How long a reservation is vouched for by its request (default 60 s),
    /// which renews it every third of that while the carrier works.
    /// `reconcile` settles a reservation only once its lease has lapsed (a
    /// process that crashed mid-purchase). Must be above 0.
    #[serde(default)]
    pub reservation_lease_seconds: Option<u64>,
    /// How often `serve` runs `reconcile` in the background (default 300 s;
    /// 0 turns it off), so pending releases and unsettled purchases complete
    /// without anyone running `switchboard reconcile`.
    #[serde(default)]
    pub reconcile_interval_seconds: Option<u64>,
    /// SQL stores: how stale (in milliseconds) a cached token or number
    /// lookup may be when another process changed it (default 250; 0 turns
    /// the cache off). Changes made by this process are seen at once.
    #[serde(default)]
    pub read_cache_staleness_ms: Option<u64>,
    /// Carrier sections by name.
    #[serde(default)]
    pub providers: ProvidersConfig,
    /// Answering calls and messages to our numbers.
    #[serde(default)]
    pub inbound: InboundConfig,
}

/// One section per carrier; a present section configures that carrier.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidersConfig {
    /// The deterministic in-memory carrier.
    #[serde(default)]
    pub fake: Option<FakeConfig>,
    /// Twilio.
    #[serde(default)]
    pub twilio: Option<TwilioConfig>,
    /// SignalWire.
    #[serde(default)]
    pub signalwire: Option<SignalWireConfig>,
}

/// The fake carrier's settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeConfig {
    /// Inventory seed: the same seed offers the same numbers.
    #[serde(default)]
    pub seed: Option<u64>,
    /// How many numbers the inventory holds.
    #[serde(default)]
    pub inventory_size: Option<usize>,
}

/// Twilio credentials and endpoint (conventional variables: `TWILIO_*`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    /// `AC...` account SID (`TWILIO_ACCOUNT_SID`).
    #[serde(default)]
    pub account_sid: Option<String>,
    /// Auth token (`TWILIO_AUTH_TOKEN`).
    #[serde(default)]
    pub auth_token: Option<Secret>,
    /// `SK...` API key SID, instead of the auth token (`TWILIO_API_KEY`).
    #[serde(default)]
    pub api_key: Option<String>,
    /// API key secret (`TWILIO_API_SECRET`).
    #[serde(default)]
    pub api_secret: Option<Secret>,
    /// API base URL: a regional edge, or a local emulator.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Address SID for numbers that need one.
    #[serde(default)]
    pub address_sid: Option<String>,
    /// Regulatory bundle SID for numbers that need one.
    #[serde(default)]
    pub bundle_sid: Option<String>,
    /// How long after a purchase a "not found" for the number is not taken
    /// as proof it is gone (default 300: Twilio has answered 20404 for a
    /// number it had just sold). 0 believes every not-found, e.g. against a
    /// local emulator.
    #[serde(default)]
    pub not_found_window_seconds: Option<u64>,
    /// The key Twilio signs webhooks with: the account's primary auth
    /// token, even when the REST calls use an API key
    /// (`TWILIO_WEBHOOK_AUTH_TOKEN`; default `auth_token`).
    #[serde(default)]
    pub webhook_auth_token: Option<Secret>,
    /// Keys of Twilio's webhook signature settings (HMAC-SHA256), by the
    /// name the settings header gives.
    #[serde(default)]
    pub webhook_signature_keys: BTreeMap<String, Secret>,
}

/// SignalWire credentials and space (conventional variables: `SIGNALWIRE_*`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalWireConfig {
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
    pub api_token: Option<Secret>,
    /// Like Twilio's `not_found_window_seconds`; default 0, as SignalWire
    /// is not known to deny a number it just sold.
    #[serde(default)]
    pub not_found_window_seconds: Option<u64>,
    /// The project's signing key, which SignalWire signs webhooks with (not
    /// the API token; `SIGNALWIRE_SIGNING_KEY`).
    #[serde(default)]
    pub signing_key: Option<Secret>,
}

/// A carrier's `not_found_window_seconds`, checked: up to a week, since a
/// longer one would hold releases pending for no known reason. `None` keeps
/// the adapter's default.
pub fn not_found_window(
    carrier: &str,
    seconds: Option<u64>,
) -> Result<Option<std::time::Duration>, Error> {
    match seconds {
        None => Ok(None),
        Some(s) if s <= 7 * 24 * 3600 => Ok(Some(std::time::Duration::from_secs(s))),
        Some(_) => Err(Error::Configuration {
            message: format!(
                "[providers.{carrier}] not_found_window_seconds must be a whole number of seconds up to a week; 0 believes every not-found"
            ),
        }),
    }
}

/// A value that must never be printed: `Debug` and `Display` show a mask.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where environment values come from; a map in tests, the process otherwise.
pub trait Environment {
    /// The value of `name`, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Environment for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

impl Config {
    /// Parses TOML text. Unknown keys are errors naming the key.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        toml::from_str(text).map_err(|e| Error::Configuration {
            message: format!("invalid configuration: {}", e.message()),
        })
    }

    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Configuration {
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        Self::from_toml(&text).map_err(|e| match e {
            Error::Configuration { message } => Error::Configuration {
                message: format!("{}: {message}", path.display()),
            },
            other => other,
        })
    }

    /// The configuration `switchboard` uses: the file named by `path` (or
    /// `SWITCHBOARD_CONFIG`), if any, then the environment on top.
    pub fn load(path: Option<&Path>, env: &dyn Environment) -> Result<Self, Error> {
        let from_env = env.var("SWITCHBOARD_CONFIG");
        let path = path.map(Path::to_path_buf).or(from_env.map(Into::into));
        let mut config = match path {
            Some(path) => Self::from_file(&path)?,
            None => Self::default(),
        };
        config.apply_env(env);
        Ok(config)
    }

    /// Overlays environment variables: `SWITCHBOARD_PROVIDER`,
    /// `SWITCHBOARD_DATABASE_URL`, `SWITCHBOARD_LISTEN`, and the carriers'
    /// own conventional variables. A carrier whose variables are set is
    /// configured.
    pub fn apply_env(&mut self, env: &dyn Environment) {
        if let Some(v) = env.var("SWITCHBOARD_PROVIDER") {
            self.default_provider = Some(v);
        }
        if let Some(v) = env.var("SWITCHBOARD_DATABASE_URL") {
            self.database_url = Some(Secret(v));
        }
        if let Some(v) = env.var("SWITCHBOARD_LISTEN") {
            self.listen = Some(v);
        }
        if let Some(v) = env.var("SWITCHBOARD_PUBLIC_URL") {
            self.inbound.public_url = Some(v);
        }
        if let Some(v) = env.var("SWITCHBOARD_RECONCILE_INTERVAL_SECONDS") {
            self.reconcile_interval_seconds = Some(v.parse().unwrap_or(u64::MAX));
        }
        if let Some(v) = env.var("SWITCHBOARD_READ_CACHE_STALENESS_MS") {
            self.read_cache_staleness_ms = Some(v.parse().unwrap_or(u64::MAX));
        }
        if let Some(v) = env.var("SWITCHBOARD_RESERVATION_GRACE_SECONDS") {
            // A malformed value is kept as an impossible one and reported by
            // `service_options`, rather than silently ignored here.
            self.reservation_grace_seconds = Some(v.parse().unwrap_or(u64::MAX));
        }
        if let Some(v) = env.var("SWITCHBOARD_RESERVATION_LEASE_SECONDS") {
            self.reservation_lease_seconds = Some(v.parse().unwrap_or(u64::MAX));
        }
        let twilio_vars = [
            "TWILIO_ACCOUNT_SID",
            "TWILIO_AUTH_TOKEN",
            "TWILIO_API_KEY",
            "TWILIO_API_SECRET",
            "TWILIO_BASE_URL",
            "TWILIO_WEBHOOK_AUTH_TOKEN",
        ];
        if twilio_vars.iter().any(|v| env.var(v).is_some()) {
            let t = self.providers.twilio.get_or_insert_with(Default::default);
            set(&mut t.account_sid, env.var("TWILIO_ACCOUNT_SID"));
            set(&mut t.auth_token, env.var("TWILIO_AUTH_TOKEN").map(Secret));
            set(&mut t.api_key, env.var("TWILIO_API_KEY"));
            set(&mut t.api_secret, env.var("TWILIO_API_SECRET").map(Secret));
            set(&mut t.base_url, env.var("TWILIO_BASE_URL"));
            set(
                &mut t.webhook_auth_token,
                env.var("TWILIO_WEBHOOK_AUTH_TOKEN").map(Secret),
            );
        }
        let signalwire_vars = [
            "SIGNALWIRE_SPACE_URL",
            "SIGNALWIRE_PROJECT_ID",
            "SIGNALWIRE_API_TOKEN",
            "SIGNALWIRE_TOKEN",
            "SIGNALWIRE_SIGNING_KEY",
        ];
        if signalwire_vars.iter().any(|v| env.var(v).is_some()) {
            let s = self
                .providers
                .signalwire
                .get_or_insert_with(Default::default);
            set(&mut s.space_url, env.var("SIGNALWIRE_SPACE_URL"));
            set(&mut s.project_id, env.var("SIGNALWIRE_PROJECT_ID"));
            let token = env
                .var("SIGNALWIRE_API_TOKEN")
                .or(env.var("SIGNALWIRE_TOKEN"));
            set(&mut s.api_token, token.map(Secret));
            set(
                &mut s.signing_key,
                env.var("SIGNALWIRE_SIGNING_KEY").map(Secret),
            );
        }
    }

    /// The names of the configured carriers; `fake` when none is.
    pub fn configured_providers(&self) -> Vec<&'static str> {
        let p = &self.providers;
        let mut names = Vec::new();
        if p.fake.is_some() {
            names.push("fake");
        }
        if p.signalwire.is_some() {
            names.push("signalwire");
        }
        if p.twilio.is_some() {
            names.push("twilio");
        }
        // Naming a default carrier configures it, with its defaults.
        match self.default_provider.as_deref() {
            Some("fake") if p.fake.is_none() => names.push("fake"),
            Some("signalwire") if p.signalwire.is_none() => names.push("signalwire"),
            Some("twilio") if p.twilio.is_none() => names.push("twilio"),
            _ => {}
        }
        if names.is_empty() {
            names.push("fake");
        }
        names.sort_unstable();
        names
    }

    /// The carrier new purchases use.
    pub fn default_provider_name(&self) -> Result<String, Error> {
        let configured = self.configured_providers();
        let name = match &self.default_provider {
            Some(name) => name.clone(),
            None if configured.len() == 1 => configured[0].to_string(),
            None => {
                return Err(Error::Configuration {
                    message: format!(
                        "several carriers are configured ({}); set default_provider",
                        configured.join(", ")
                    ),
                });
            }
        };
        if !["fake", "twilio", "signalwire"].contains(&name.as_str()) {
            return Err(Error::Configuration {
                message: format!("unknown provider {name:?}; known: fake, signalwire, twilio"),
            });
        }
        Ok(name)
    }

    /// The database URL, or the embedded default.
    pub fn database_url(&self) -> Secret {
        self.database_url
            .clone()
            .unwrap_or_else(|| Secret(DEFAULT_DATABASE_URL.to_string()))
    }

    /// The service's options: the defaults, with the configured grace and
    /// lease. Zero is refused for both: either would let `reconcile` take
    /// work that is still in flight.
    pub fn service_options(&self) -> Result<switchboard_core::ServiceOptions, Error> {
        let mut options = switchboard_core::ServiceOptions::default();
        let seconds = |value: Option<u64>, key: &str, var: &str| match value {
            None => Ok(None),
            Some(s) if (1..=7 * 24 * 3600).contains(&s) => {
                Ok(Some(std::time::Duration::from_secs(s)))
            }
            Some(_) => Err(Error::Configuration {
                message: format!(
                    "{key} ({var}) must be a whole number of seconds from 1 up to a week"
                ),
            }),
        };
        if let Some(grace) = seconds(
            self.reservation_grace_seconds,
            "reservation_grace_seconds",
            "SWITCHBOARD_RESERVATION_GRACE_SECONDS",
        )? {
            options.fresh_record_grace = grace;
        }
        if let Some(lease) = seconds(
            self.reservation_lease_seconds,
            "reservation_lease_seconds",
            "SWITCHBOARD_RESERVATION_LEASE_SECONDS",
        )? {
            options.reservation_lease = lease;
        }
        options.validate()?;
        Ok(options)
    }

    /// The SQL stores' read cache bound; `None` when turned off, and the
    /// store's own default when not configured.
    pub fn read_cache(&self) -> Result<Option<std::time::Duration>, Error> {
        match self.read_cache_staleness_ms {
            None => Ok(Some(DEFAULT_READ_CACHE_STALENESS)),
            Some(0) => Ok(None),
            Some(ms) if ms <= 60_000 => Ok(Some(std::time::Duration::from_millis(ms))),
            Some(_) => Err(Error::Configuration {
                message: "read_cache_staleness_ms (SWITCHBOARD_READ_CACHE_STALENESS_MS) must be a whole number of milliseconds up to 60000; 0 turns the cache off".into(),
            }),
        }
    }

    /// How often `serve` reconciles; `None` when turned off.
    pub fn reconcile_interval(&self) -> Result<Option<std::time::Duration>, Error> {
        match self.reconcile_interval_seconds {
            None => Ok(Some(std::time::Duration::from_secs(300))),
            Some(0) => Ok(None),
            Some(seconds) if seconds <= 7 * 24 * 3600 => {
                Ok(Some(std::time::Duration::from_secs(seconds)))
            }
            Some(_) => Err(Error::Configuration {
                message: "reconcile_interval_seconds (SWITCHBOARD_RECONCILE_INTERVAL_SECONDS) must be a whole number of seconds up to a week; 0 turns it off".into(),
            }),
        }
    }

    /// The listen address, or the default.
    pub fn listen(&self) -> &str {
        self.listen.as_deref().unwrap_or(DEFAULT_LISTEN)
    }
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

/// The error for a carrier this build was compiled without.
pub fn not_compiled(name: &str) -> Error {
    Error::Configuration {
        message: format!(
            "provider {name:?} is not compiled into this build (enable the Cargo feature \"{name}\"); compiled: {}",
            compiled_providers().join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn empty_configuration_means_fake_carrier_and_sqlite_file() {
        let config = Config::load(None, &env(&[])).unwrap();
        assert_eq!(config.default_provider_name().unwrap(), "fake");
        assert_eq!(config.database_url().expose(), DEFAULT_DATABASE_URL);
        assert_eq!(config.listen(), DEFAULT_LISTEN);
    }

    #[test]
    fn unknown_keys_are_errors_that_name_the_key() {
        let err = Config::from_toml("databse_url = \"x\"").unwrap_err();
        assert!(err.to_string().contains("databse_url"), "{err}");
        let err = Config::from_toml("[providers.twilio]\nauth_tokn = \"x\"").unwrap_err();
        assert!(err.to_string().contains("auth_tokn"), "{err}");
    }

    #[test]
    fn carriers_are_chosen_by_configuration_and_environment() {
        let config = Config::from_toml(
            "default_provider = \"signalwire\"\n[providers.signalwire]\nspace_url = \"example.signalwire.com\"\n",
        )
        .unwrap();
        assert_eq!(config.default_provider_name().unwrap(), "signalwire");
        let mut config = Config::default();
        config.apply_env(&env(&[
            ("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000"),
            ("TWILIO_AUTH_TOKEN", "tok"),
        ]));
        assert_eq!(config.configured_providers(), vec!["twilio"]);
        assert_eq!(config.default_provider_name().unwrap(), "twilio");
        let mut config = Config::default();
        config.apply_env(&env(&[
            ("SIGNALWIRE_TOKEN", "t"),
            ("SWITCHBOARD_PROVIDER", "nope"),
        ]));
        assert_eq!(
            config.providers.signalwire.as_ref().unwrap().api_token,
            Some(Secret::new("t"))
        );
        let err = config.default_provider_name().unwrap_err();
        assert!(
            err.to_string().contains("unknown provider \"nope\""),
            "{err}"
        );
    }

    #[test]
    fn the_reservation_grace_is_configurable_and_checked() {
        let config =
            Config::from_toml("reservation_grace_seconds = 5\nreservation_lease_seconds = 9")
                .unwrap();
        let options = config.service_options().unwrap();
        assert_eq!(
            options.fresh_record_grace,
            std::time::Duration::from_secs(5)
        );
        assert_eq!(options.reservation_lease, std::time::Duration::from_secs(9));
        for zero in [
            "reservation_grace_seconds = 0",
            "reservation_lease_seconds = 0",
        ] {
            let err = Config::from_toml(zero)
                .unwrap()
                .service_options()
                .unwrap_err();
            let key = zero.split(' ').next().unwrap();
            assert!(err.to_string().contains(key), "{err}");
        }
        let mut config = Config::default();
        config.apply_env(&env(&[("SWITCHBOARD_RESERVATION_GRACE_SECONDS", "soon")]));
        let err = config.service_options().unwrap_err();
        assert!(
            err.to_string().contains("reservation_grace_seconds"),
            "{err}"
        );
    }

    #[test]
    fn the_read_cache_bound_is_configurable_and_checked() {
        use std::time::Duration;
        assert_eq!(
            Config::default().read_cache().unwrap(),
            Some(DEFAULT_READ_CACHE_STALENESS)
        );
        let config = Config::from_toml("read_cache_staleness_ms = 40").unwrap();
        assert_eq!(
            config.read_cache().unwrap(),
            Some(Duration::from_millis(40))
        );
        let mut config = Config::default();
        config.apply_env(&env(&[("SWITCHBOARD_READ_CACHE_STALENESS_MS", "0")]));
        assert_eq!(config.read_cache().unwrap(), None);
        config.apply_env(&env(&[("SWITCHBOARD_READ_CACHE_STALENESS_MS", "a while")]));
        let err = config.read_cache().unwrap_err();
        assert!(err.to_string().contains("read_cache_staleness_ms"), "{err}");
    }

    #[test]
    fn the_background_reconcile_interval_is_configurable_and_checked() {
        assert_eq!(
            Config::default().reconcile_interval().unwrap(),
            Some(std::time::Duration::from_secs(300))
        );
        let off = Config::from_toml("reconcile_interval_seconds = 0").unwrap();
        assert_eq!(off.reconcile_interval().unwrap(), None);
        let mut bad = Config::default();
        bad.apply_env(&env(&[("SWITCHBOARD_RECONCILE_INTERVAL_SECONDS", "-1")]));
        assert!(bad.reconcile_interval().is_err());
    }

    #[test]
    fn the_not_found_window_is_configurable_per_carrier_and_checked() {
        let config = Config::from_toml(
            "[providers.twilio]\nnot_found_window_seconds = 0\n\
             [providers.signalwire]\nnot_found_window_seconds = 90\n",
        )
        .unwrap();
        let twilio = config.providers.twilio.as_ref().unwrap();
        assert_eq!(
            not_found_window("twilio", twilio.not_found_window_seconds).unwrap(),
            Some(std::time::Duration::ZERO)
        );
        let signalwire = config.providers.signalwire.as_ref().unwrap();
        assert_eq!(
            not_found_window("signalwire", signalwire.not_found_window_seconds).unwrap(),
            Some(std::time::Duration::from_secs(90))
        );
        assert_eq!(not_found_window("twilio", None).unwrap(), None);
        let err = not_found_window("twilio", Some(7 * 24 * 3600 + 1)).unwrap_err();
        assert!(
            err.to_string().contains("not_found_window_seconds"),
            "{err}"
        );
        assert!(err.to_string().contains("providers.twilio"), "{err}");
    }

    /// The window reaches the adapters: 0 where the TOML says so, the
    /// adapters' own defaults where it says nothing.
    #[cfg(all(feature = "twilio", feature = "signalwire"))]
    #[test]
    fn the_not_found_window_reaches_the_adapters() {
        let section = "[providers.twilio]\naccount_sid = \"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n\
                       auth_token = \"t\"\n";
        let signalwire = "[providers.signalwire]\nspace_url = \"example.signalwire.com\"\n\
                          project_id = \"p\"\napi_token = \"t\"\n";
        let window = |toml: &str, carrier: &str| {
            let config =
                Config::from_toml(&format!("default_provider = \"twilio\"\n{toml}")).unwrap();
            let registry = crate::build_registry(&config).unwrap();
            registry.require(carrier).unwrap().not_found_window()
        };
        let defaults = format!("{section}{signalwire}");
        assert_eq!(
            window(&defaults, "twilio"),
            switchboard_twilio::DEFAULT_NOT_FOUND_WINDOW
        );
        assert_eq!(
            window(&defaults, "signalwire"),
            switchboard_signalwire::SignalWireConfig::DEFAULT_NOT_FOUND_WINDOW
        );
        let set = format!(
            "{section}not_found_window_seconds = 0\n{signalwire}not_found_window_seconds = 30\n"
        );
        assert_eq!(window(&set, "twilio"), std::time::Duration::ZERO);
        assert_eq!(
            window(&set, "signalwire"),
            std::time::Duration::from_secs(30)
        );
        let too_long = format!("{section}not_found_window_seconds = 9999999\n{signalwire}");
        let config =
            Config::from_toml(&format!("default_provider = \"twilio\"\n{too_long}")).unwrap();
        let err = crate::build_registry(&config).unwrap_err();
        assert!(
            err.to_string().contains("not_found_window_seconds"),
            "{err}"
        );
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let mut config = Config::default();
        config.apply_env(&env(&[
            ("TWILIO_AUTH_TOKEN", "tw-secret-1"),
            ("TWILIO_API_SECRET", "tw-secret-2"),
            ("SIGNALWIRE_API_TOKEN", "sw-secret-3"),
            ("SWITCHBOARD_DATABASE_URL", "postgres://u:db-secret-4@h/d"),
        ]));
        let shown = format!("{config:?}");
        for secret in ["tw-secret-1", "tw-secret-2", "sw-secret-3", "db-secret-4"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
    }
}
