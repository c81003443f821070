//! Configuration: which carriers, which store, where to listen. Read from a
//! TOML file and then from environment variables (which win), so the same
//! binary switches carriers with no code change.
//!
//! Unknown keys are errors, not silently ignored, and asking for a carrier
//! whose Cargo feature is not compiled in names the ones that are.

use std::path::Path;

use serde::Deserialize;
use switchboard_core::Error;

mod environment;
mod inbound;
mod secret;

pub use crate::carriers::{KNOWN_CARRIERS, ProvidersConfig, compiled_providers, not_compiled};
pub use environment::{Environment, ProcessEnvironment};
pub use inbound::{AccountInbound, InboundConfig};
pub use secret::Secret;

#[cfg(test)]
pub(crate) use environment::test_env;
use environment::whole_number;

/// The database used when none is configured: a SQLite file in the working
/// directory, shared by every CLI command run there.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://switchboard.db";
/// The address `serve` listens on when none is configured.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The SQL stores' read cache bound when none is configured (the store's
/// own default; kept here so configuration compiles without the store).
pub const DEFAULT_READ_CACHE_STALENESS: std::time::Duration = std::time::Duration::from_millis(250);

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
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
    /// How long a provision (or a release) waits for a carrier's order to
    /// complete before answering the number as pending (default 5 s; 0
    /// answers at once; at most 60).
    #[serde(default)]
    pub order_wait_seconds: Option<u64>,
    /// How often `serve` asks the carriers about open orders (default 5 s;
    /// 0 turns it off, leaving them to reconcile), so a pending number
    /// becomes active soon after its order completes.
    #[serde(default)]
    pub settle_interval_seconds: Option<u64>,
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
        config.apply_env(env)?;
        Ok(config)
    }

    /// Overlays environment variables: `SWITCHBOARD_PROVIDER`,
    /// `SWITCHBOARD_DATABASE_URL`, `SWITCHBOARD_LISTEN`, the other
    /// `SWITCHBOARD_*` settings, and the carriers' own conventional
    /// variables (a carrier whose variables are set is configured). A
    /// number that does not parse is an error naming its variable.
    pub fn apply_env(&mut self, env: &dyn Environment) -> Result<(), Error> {
        if let Some(v) = env.var("SWITCHBOARD_PROVIDER") {
            self.default_provider = Some(v);
        }
        if let Some(v) = env.var("SWITCHBOARD_DATABASE_URL") {
            self.database_url = Some(Secret::new(v));
        }
        if let Some(v) = env.var("SWITCHBOARD_LISTEN") {
            self.listen = Some(v);
        }
        if let Some(v) = env.var("SWITCHBOARD_PUBLIC_URL") {
            self.inbound.public_url = Some(v);
        }
        let numbers = [
            (
                &mut self.reconcile_interval_seconds,
                "SWITCHBOARD_RECONCILE_INTERVAL_SECONDS",
                "reconcile_interval_seconds",
            ),
            (
                &mut self.read_cache_staleness_ms,
                "SWITCHBOARD_READ_CACHE_STALENESS_MS",
                "read_cache_staleness_ms",
            ),
            (
                &mut self.reservation_grace_seconds,
                "SWITCHBOARD_RESERVATION_GRACE_SECONDS",
                "reservation_grace_seconds",
            ),
            (
                &mut self.reservation_lease_seconds,
                "SWITCHBOARD_RESERVATION_LEASE_SECONDS",
                "reservation_lease_seconds",
            ),
            (
                &mut self.order_wait_seconds,
                "SWITCHBOARD_ORDER_WAIT_SECONDS",
                "order_wait_seconds",
            ),
            (
                &mut self.settle_interval_seconds,
                "SWITCHBOARD_SETTLE_INTERVAL_SECONDS",
                "settle_interval_seconds",
            ),
        ];
        for (slot, variable, key) in numbers {
            if let Some(value) = whole_number(env, variable, key)? {
                *slot = Some(value);
            }
        }
        self.providers.apply_env(env);
        Ok(())
    }

    /// The database URL, or the embedded default.
    pub fn database_url(&self) -> Secret {
        self.database_url
            .clone()
            .unwrap_or_else(|| Secret::new(DEFAULT_DATABASE_URL))
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
        match self.order_wait_seconds {
            None => {}
            Some(s) if s <= 60 => options.order_wait = std::time::Duration::from_secs(s),
            Some(_) => {
                return Err(Error::Configuration {
                    message: "order_wait_seconds (SWITCHBOARD_ORDER_WAIT_SECONDS) must be a \
                              whole number of seconds up to 60; 0 answers a pending order at once"
                        .into(),
                });
            }
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

    /// How often `serve` settles open carrier orders; `None` when turned
    /// off.
    pub fn settle_interval(&self) -> Result<Option<std::time::Duration>, Error> {
        match self.settle_interval_seconds {
            None => Ok(Some(std::time::Duration::from_secs(5))),
            Some(0) => Ok(None),
            Some(seconds) if seconds <= 24 * 3600 => {
                Ok(Some(std::time::Duration::from_secs(seconds)))
            }
            Some(_) => Err(Error::Configuration {
                message: "settle_interval_seconds (SWITCHBOARD_SETTLE_INTERVAL_SECONDS) must be a whole number of seconds up to a day; 0 turns it off".into(),
            }),
        }
    }

    /// The listen address, or the default.
    pub fn listen(&self) -> &str {
        self.listen.as_deref().unwrap_or(DEFAULT_LISTEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_env as env;

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
        let err = Config::from_toml("[providers.acme]\napi_key = \"x\"").unwrap_err();
        assert!(err.to_string().contains("acme"), "{err}");
        // A carrier's own keys are its adapter's to check, when compiled in.
        if cfg!(feature = "twilio") {
            let err = Config::from_toml("[providers.twilio]\nauth_tokn = \"x\"").unwrap_err();
            assert!(err.to_string().contains("auth_tokn"), "{err}");
        }
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
        let err = config
            .apply_env(&env(&[("SWITCHBOARD_RESERVATION_GRACE_SECONDS", "soon")]))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("SWITCHBOARD_RESERVATION_GRACE_SECONDS (reservation_grace_seconds)"),
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
        config
            .apply_env(&env(&[("SWITCHBOARD_READ_CACHE_STALENESS_MS", "0")]))
            .unwrap();
        assert_eq!(config.read_cache().unwrap(), None);
        let err = config
            .apply_env(&env(&[("SWITCHBOARD_READ_CACHE_STALENESS_MS", "a while")]))
            .unwrap_err();
        assert!(err.to_string().contains("read_cache_staleness_ms"), "{err}");
        config
            .apply_env(&env(&[("SWITCHBOARD_READ_CACHE_STALENESS_MS", "60001")]))
            .unwrap();
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
        let err = bad
            .apply_env(&env(&[("SWITCHBOARD_RECONCILE_INTERVAL_SECONDS", "-1")]))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("SWITCHBOARD_RECONCILE_INTERVAL_SECONDS"),
            "{err}"
        );
    }

    #[test]
    fn the_order_wait_and_the_settle_interval_are_configurable_and_checked() {
        assert_eq!(
            Config::default().settle_interval().unwrap(),
            Some(std::time::Duration::from_secs(5))
        );
        let off = Config::from_toml("settle_interval_seconds = 0").unwrap();
        assert_eq!(off.settle_interval().unwrap(), None);
        let wait = Config::from_toml("order_wait_seconds = 0").unwrap();
        assert!(wait.service_options().unwrap().order_wait.is_zero());
        let err = Config::from_toml("order_wait_seconds = 61")
            .unwrap()
            .service_options()
            .unwrap_err();
        assert!(err.to_string().contains("order_wait_seconds"), "{err}");
    }

    /// A number in the environment that does not parse stops the program
    /// as the configuration is loaded, naming the variable, for each of the
    /// numeric variables; nothing is left for a later check to catch.
    #[test]
    fn a_malformed_number_in_the_environment_fails_at_load_naming_the_variable() {
        for variable in [
            "SWITCHBOARD_RECONCILE_INTERVAL_SECONDS",
            "SWITCHBOARD_READ_CACHE_STALENESS_MS",
            "SWITCHBOARD_RESERVATION_GRACE_SECONDS",
            "SWITCHBOARD_RESERVATION_LEASE_SECONDS",
            "SWITCHBOARD_ORDER_WAIT_SECONDS",
            "SWITCHBOARD_SETTLE_INTERVAL_SECONDS",
        ] {
            for bad in ["5s", "-5", "18446744073709551616"] {
                let err = Config::load(None, &env(&[(variable, bad)])).unwrap_err();
                assert!(
                    err.to_string().contains(variable),
                    "{variable}={bad}: {err}"
                );
            }
            let config = Config::load(None, &env(&[(variable, "7")])).unwrap();
            let read = [
                config.reconcile_interval_seconds,
                config.read_cache_staleness_ms,
                config.reservation_grace_seconds,
                config.reservation_lease_seconds,
                config.order_wait_seconds,
                config.settle_interval_seconds,
            ];
            assert_eq!(
                read.iter().flatten().collect::<Vec<_>>(),
                [&7],
                "{variable}"
            );
        }
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let mut config = Config::from_toml(
            "[inbound]\nforward_secret = \"fw-secret-5\"\n[inbound.accounts.a]\nforward_secret = \"fw-secret-6\"\n",
        )
        .unwrap();
        config
            .apply_env(&env(&[
                ("TWILIO_AUTH_TOKEN", "tw-secret-1"),
                ("TWILIO_API_SECRET", "tw-secret-2"),
                ("SIGNALWIRE_API_TOKEN", "sw-secret-3"),
                ("SWITCHBOARD_DATABASE_URL", "postgres://u:db-secret-4@h/d"),
            ]))
            .unwrap();
        let shown = format!("{config:?}");
        for secret in [
            "tw-secret-1",
            "tw-secret-2",
            "sw-secret-3",
            "db-secret-4",
            "fw-secret-5",
            "fw-secret-6",
        ] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
    }
}
