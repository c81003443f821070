//! From configuration to a running service: carriers, store, service.

use std::sync::Arc;

use switchboard_core::{
    Error, InMemoryRepository, InMemoryTokenStore, NumberRepository, ProviderRegistry,
    ProvisioningService, Result, TokenStore,
};

use crate::carriers::{Books, Carriers};
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
    let carriers = Carriers::configure(config)?;
    #[allow(unused_mut)] // only the server feature adds to the options
    let mut options = config.service_options()?;
    #[cfg(feature = "server")]
    let inbound = crate::webhooks::configure(config)?;
    #[cfg(feature = "server")]
    if let Some(inbound) = &inbound {
        options.inbound_routing = inbound.routing.clone();
    }
    let (repository, tokens) = open_configured_store(config).await?;
    let books = match carriers.needs_books() {
        true => open_fake_books(config).await?,
        false => None,
    };
    Ok(Switchboard {
        service: ProvisioningService::new(carriers.into_registry(books)?, repository)
            .with_options(options),
        tokens,
        #[cfg(feature = "server")]
        inbound,
    })
}

/// Every configured carrier, with the default one set. A fake built here
/// keeps its books in memory; [`open`] gives it the store's.
pub fn build_registry(config: &Config) -> Result<ProviderRegistry> {
    Carriers::configure(config)?.into_registry(None)
}

/// The fake's books in the configured SQL store; none (the fake's own, in
/// memory) for the `memory` store, which no other process can share anyway.
#[cfg(all(feature = "fake", any(feature = "sqlite", feature = "postgres")))]
async fn open_fake_books(config: &Config) -> Result<Option<Books>> {
    let url = config.database_url();
    if url.expose() == "memory" {
        return Ok(None);
    }
    let ledger = switchboard_sql::SqlFakeLedger::connect(url.expose()).await?;
    Ok(Some(Arc::new(ledger)))
}

#[cfg(not(all(feature = "fake", any(feature = "sqlite", feature = "postgres"))))]
async fn open_fake_books(_: &Config) -> Result<Option<Books>> {
    Ok(None)
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
