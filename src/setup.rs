//! From configuration to a running service: carriers, store, service.

use std::sync::Arc;

use switchboard_core::{
    Error, InMemoryRepository, InMemoryTokenStore, NumberRepository, ProviderRegistry,
    ProvisioningService, Result, TelephonyProvider, TokenStore,
};

use crate::config::Config;

/// A ready service and the token store that guards it.
#[derive(Debug, Clone)]
pub struct Switchboard {
    /// Searches, buys, changes and releases numbers.
    pub service: ProvisioningService,
    /// Bearer tokens of the HTTP service.
    pub tokens: Arc<dyn TokenStore>,
    /// How carriers' webhooks are answered; `None` without a public URL.
    #[cfg(feature = "server")]
    pub inbound: Option<crate::webhooks::Inbound>,
}

#[cfg(feature = "server")]
impl Switchboard {
    /// The HTTP service's state: the service, its tokens, and the inbound
    /// routes when a public URL is configured.
    pub fn app_state(&self) -> switchboard_http::AppState {
        let state = switchboard_http::AppState::new(self.service.clone(), self.tokens.clone());
        match &self.inbound {
            Some(inbound) => state.with_inbound(inbound.options.clone()),
            None => state,
        }
    }
}

/// Builds the carriers, opens the store and assembles the service.
///
/// The carriers are checked first, so that a mistake in their settings is
/// reported without waiting on a database. Over a SQL store the fake sells
/// into books kept in that store (`switchboard_sql::SqlFakeLedger`), so
/// that every process sharing the store (several `serve`, or `serve` and a
/// CLI command) sells from one fake carrier.
pub async fn open(config: &Config) -> Result<Switchboard> {
    let carriers = configure_carriers(config)?;
    #[allow(unused_mut)] // only the server feature adds to the options
    let mut options = config.service_options()?;
    #[cfg(feature = "server")]
    let inbound = crate::webhooks::configure(config)?;
    #[cfg(feature = "server")]
    if let Some(inbound) = &inbound {
        options.inbound_routing = inbound.routing.clone();
    }
    let (repository, tokens) = open_configured_store(config).await?;
    let ledger = match carriers.has_fake() {
        true => open_fake_ledger(config).await?,
        false => None,
    };
    Ok(Switchboard {
        service: ProvisioningService::new(carriers.into_registry(ledger)?, repository)
            .with_options(options),
        tokens,
        #[cfg(feature = "server")]
        inbound,
    })
}

/// Every configured carrier, with the default one set. A fake built here
/// keeps its books in memory; [`open`] gives it the store's.
pub fn build_registry(config: &Config) -> Result<ProviderRegistry> {
    configure_carriers(config)?.into_registry(None)
}

/// The configured carriers, checked, with the fake (if any) still to be
/// given its books.
struct Carriers {
    default: String,
    slots: Vec<Slot>,
}

enum Slot {
    Ready(Arc<dyn TelephonyProvider>),
    Fake(FakeBuilder),
}

fn configure_carriers(config: &Config) -> Result<Carriers> {
    let default = config.default_provider_name()?;
    let mut slots = Vec::new();
    for name in config.configured_providers() {
        match name {
            "fake" => slots.push(Slot::Fake(fake_builder(config)?)),
            "twilio" => slots.push(Slot::Ready(build_twilio(config)?)),
            "signalwire" => slots.push(Slot::Ready(build_signalwire(config)?)),
            other => {
                return Err(Error::Configuration {
                    message: format!("unknown provider {other:?}"),
                });
            }
        }
    }
    if slots.is_empty() {
        return Err(Error::Configuration {
            message: "no carrier is configured".into(),
        });
    }
    Ok(Carriers { default, slots })
}

impl Carriers {
    fn has_fake(&self) -> bool {
        self.slots.iter().any(|slot| matches!(slot, Slot::Fake(_)))
    }

    fn into_registry(self, ledger: Option<FakeLedger>) -> Result<ProviderRegistry> {
        let mut providers = self.slots.into_iter().map(|slot| match slot {
            Slot::Ready(provider) => provider,
            Slot::Fake(builder) => build_fake(builder, ledger.clone()),
        });
        let first = providers.next().ok_or_else(|| Error::Configuration {
            message: "no carrier is configured".into(),
        })?;
        providers
            .fold(ProviderRegistry::new(first), ProviderRegistry::with)
            .with_default(&self.default)
    }
}

#[cfg(feature = "fake")]
type FakeBuilder = switchboard_fake::FakeProviderBuilder;

#[cfg(feature = "fake")]
type FakeLedger = Arc<dyn switchboard_fake::SalesLedger>;

#[cfg(feature = "fake")]
fn fake_builder(config: &Config) -> Result<FakeBuilder> {
    let section = config.providers.fake.clone().unwrap_or_default();
    let mut builder = switchboard_fake::FakeProvider::builder();
    if let Some(seed) = section.seed {
        builder = builder.seed(seed);
    }
    if let Some(size) = section.inventory_size {
        builder = builder.inventory_size(size);
    }
    Ok(builder)
}

#[cfg(feature = "fake")]
fn build_fake(builder: FakeBuilder, ledger: Option<FakeLedger>) -> Arc<dyn TelephonyProvider> {
    let builder = match ledger {
        Some(ledger) => builder.ledger(ledger),
        None => builder,
    };
    Arc::new(builder.build())
}

/// The fake's books in the configured SQL store; none (the fake's own, in
/// memory) for the `memory` store, which no other process can share anyway.
#[cfg(all(feature = "fake", any(feature = "sqlite", feature = "postgres")))]
async fn open_fake_ledger(config: &Config) -> Result<Option<FakeLedger>> {
    let url = config.database_url();
    if url.expose() == "memory" {
        return Ok(None);
    }
    let ledger = switchboard_sql::SqlFakeLedger::connect(url.expose()).await?;
    Ok(Some(Arc::new(ledger)))
}

#[cfg(all(feature = "fake", not(any(feature = "sqlite", feature = "postgres"))))]
async fn open_fake_ledger(_: &Config) -> Result<Option<FakeLedger>> {
    Ok(None)
}

/// Without the fake compiled in there is never a fake to build: asking for
/// it fails with the list of carriers that are compiled.
#[cfg(not(feature = "fake"))]
enum FakeBuilder {}

#[cfg(not(feature = "fake"))]
type FakeLedger = std::convert::Infallible;

#[cfg(not(feature = "fake"))]
fn fake_builder(_: &Config) -> Result<FakeBuilder> {
    Err(crate::config::not_compiled("fake"))
}

#[cfg(not(feature = "fake"))]
fn build_fake(builder: FakeBuilder, _: Option<FakeLedger>) -> Arc<dyn TelephonyProvider> {
    match builder {}
}

#[cfg(not(feature = "fake"))]
async fn open_fake_ledger(_: &Config) -> Result<Option<FakeLedger>> {
    Ok(None)
}

#[cfg(any(feature = "twilio", feature = "signalwire"))]
fn missing(carrier: &str, key: &str, variable: &str) -> Error {
    Error::Configuration {
        message: format!("{carrier} needs {key} (set [providers.{carrier}] {key} or {variable})"),
    }
}

#[cfg(feature = "twilio")]
fn build_twilio(config: &Config) -> Result<Arc<dyn TelephonyProvider>> {
    use switchboard_twilio::{TwilioConfig, TwilioProvider};
    let section = config.providers.twilio.clone().unwrap_or_default();
    let sid = section
        .account_sid
        .as_deref()
        .ok_or_else(|| missing("twilio", "account_sid", "TWILIO_ACCOUNT_SID"))?;
    let mut twilio = match (&section.api_key, &section.api_secret, &section.auth_token) {
        (Some(key), Some(secret), _) => TwilioConfig::with_api_key(sid, key, secret.expose())?,
        (Some(_), None, _) => return Err(missing("twilio", "api_secret", "TWILIO_API_SECRET")),
        (None, _, Some(token)) => TwilioConfig::with_auth_token(sid, token.expose())?,
        (None, _, None) => return Err(missing("twilio", "auth_token", "TWILIO_AUTH_TOKEN")),
    };
    if let Some(url) = &section.base_url {
        twilio = twilio.base_url(url)?;
    }
    if let Some(sid) = &section.address_sid {
        twilio = twilio.address_sid(sid)?;
    }
    if let Some(sid) = &section.bundle_sid {
        twilio = twilio.bundle_sid(sid)?;
    }
    let window = crate::config::not_found_window("twilio", section.not_found_window_seconds)?;
    if let Some(window) = window {
        twilio = twilio.not_found_window(window);
    }
    Ok(Arc::new(TwilioProvider::new(twilio)?))
}

#[cfg(not(feature = "twilio"))]
fn build_twilio(_: &Config) -> Result<Arc<dyn TelephonyProvider>> {
    Err(crate::config::not_compiled("twilio"))
}

#[cfg(feature = "signalwire")]
fn build_signalwire(config: &Config) -> Result<Arc<dyn TelephonyProvider>> {
    use switchboard_signalwire::{SignalWireConfig, SignalWireProvider};
    let section = config.providers.signalwire.clone().unwrap_or_default();
    let space = section
        .space_url
        .as_deref()
        .ok_or_else(|| missing("signalwire", "space_url", "SIGNALWIRE_SPACE_URL"))?;
    let project = section
        .project_id
        .clone()
        .ok_or_else(|| missing("signalwire", "project_id", "SIGNALWIRE_PROJECT_ID"))?;
    let token = section
        .api_token
        .as_ref()
        .ok_or_else(|| missing("signalwire", "api_token", "SIGNALWIRE_API_TOKEN"))?;
    let mut signalwire = SignalWireConfig::new(space, project, token.expose().to_string())?;
    let window = crate::config::not_found_window("signalwire", section.not_found_window_seconds)?;
    if let Some(window) = window {
        signalwire = signalwire.with_not_found_window(window);
    }
    Ok(Arc::new(SignalWireProvider::new(signalwire)?))
}

#[cfg(not(feature = "signalwire"))]
fn build_signalwire(_: &Config) -> Result<Arc<dyn TelephonyProvider>> {
    Err(crate::config::not_compiled("signalwire"))
}

/// Opens the store named by `url`: `memory`, or a SQL URL when the `sqlite`
/// or `postgres` feature is compiled in.
pub async fn open_store(url: &str) -> Result<(Arc<dyn NumberRepository>, Arc<dyn TokenStore>)> {
    open_store_with(url, Some(crate::config::DEFAULT_READ_CACHE_STALENESS)).await
}

/// Opens the store `config` names, with its read cache setting.
pub async fn open_configured_store(
    config: &Config,
) -> Result<(Arc<dyn NumberRepository>, Arc<dyn TokenStore>)> {
    open_store_with(config.database_url().expose(), config.read_cache()?).await
}

async fn open_store_with(
    url: &str,
    read_cache: Option<std::time::Duration>,
) -> Result<(Arc<dyn NumberRepository>, Arc<dyn TokenStore>)> {
    if url == "memory" {
        return Ok((
            Arc::new(InMemoryRepository::new()),
            Arc::new(InMemoryTokenStore::new()),
        ));
    }
    let scheme = url.split(':').next().unwrap_or_default();
    #[allow(clippy::match_like_matches_macro)] // reads as a table of features
    let compiled = match scheme {
        "sqlite" => cfg!(feature = "sqlite"),
        "postgres" | "postgresql" => cfg!(feature = "postgres"),
        _ => false,
    };
    if !compiled {
        let mut supported = vec!["memory"];
        if cfg!(feature = "sqlite") {
            supported.push("sqlite://PATH");
        }
        if cfg!(feature = "postgres") {
            supported.push("postgres://...");
        }
        return Err(Error::Configuration {
            message: format!(
                "database URL scheme {scheme:?} is not supported by this build; supported: {}",
                supported.join(", ")
            ),
        });
    }
    open_sql(url, read_cache).await
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn open_sql(
    url: &str,
    read_cache: Option<std::time::Duration>,
) -> Result<(Arc<dyn NumberRepository>, Arc<dyn TokenStore>)> {
    let options = switchboard_sql::SqlOptions::new(url);
    let options = match read_cache {
        Some(max_staleness) => options.read_cache(max_staleness),
        None => options.without_read_cache(),
    };
    let store = Arc::new(switchboard_sql::SqlRepository::connect_with(options).await?);
    Ok((store.clone(), store))
}

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
async fn open_sql(
    _: &str,
    _: Option<std::time::Duration>,
) -> Result<(Arc<dyn NumberRepository>, Arc<dyn TokenStore>)> {
    Err(Error::Configuration {
        message: "this build has no SQL store".into(),
    })
}
