//! From configuration to a running service: carriers, store, service.

use std::sync::Arc;

use switchboard_core::{
    Error, InMemoryRepository, InMemoryTokenStore, NumberRepository, ProviderRegistry,
    ProvisioningService, Result, TelephonyProvider, TokenStore,
};

use crate::config::{Config, not_compiled};

/// A ready service and the token store that guards it.
#[derive(Debug, Clone)]
pub struct Switchboard {
    /// Searches, buys, changes and releases numbers.
    pub service: ProvisioningService,
    /// Bearer tokens of the HTTP service.
    pub tokens: Arc<dyn TokenStore>,
}

/// Builds the carriers, opens the store and assembles the service.
pub async fn open(config: &Config) -> Result<Switchboard> {
    let registry = build_registry(config)?;
    let (repository, tokens) = open_store(config.database_url().expose()).await?;
    Ok(Switchboard {
        service: ProvisioningService::new(registry, repository),
        tokens,
    })
}

/// Every configured carrier, with the default one set.
pub fn build_registry(config: &Config) -> Result<ProviderRegistry> {
    let default = config.default_provider_name()?;
    let mut providers = Vec::new();
    for name in config.configured_providers() {
        providers.push(build_provider(name, config)?);
    }
    let mut providers = providers.into_iter();
    let first = providers.next().ok_or_else(|| Error::Configuration {
        message: "no carrier is configured".into(),
    })?;
    providers
        .fold(ProviderRegistry::new(first), ProviderRegistry::with)
        .with_default(&default)
}

fn build_provider(name: &str, config: &Config) -> Result<Arc<dyn TelephonyProvider>> {
    match name {
        "fake" => build_fake(config),
        "twilio" => build_twilio(config),
        "signalwire" => build_signalwire(config),
        other => Err(Error::Configuration {
            message: format!("unknown provider {other:?}"),
        }),
    }
}

#[cfg(feature = "fake")]
fn build_fake(config: &Config) -> Result<Arc<dyn TelephonyProvider>> {
    let section = config.providers.fake.clone().unwrap_or_default();
    let mut builder = switchboard_fake::FakeProvider::builder();
    if let Some(seed) = section.seed {
        builder = builder.seed(seed);
    }
    if let Some(size) = section.inventory_size {
        builder = builder.inventory_size(size);
    }
    Ok(Arc::new(builder.build()))
}

#[cfg(not(feature = "fake"))]
fn build_fake(_: &Config) -> Result<Arc<dyn TelephonyProvider>> {
    Err(not_compiled("fake"))
}

fn build_twilio(_: &Config) -> Result<Arc<dyn TelephonyProvider>> {
    Err(not_compiled("twilio"))
}

fn build_signalwire(_: &Config) -> Result<Arc<dyn TelephonyProvider>> {
    Err(not_compiled("signalwire"))
}

/// Opens the store named by `url`: `memory`, or a SQL URL when the `sqlite`
/// or `postgres` feature is compiled in.
pub async fn open_store(url: &str) -> Result<(Arc<dyn NumberRepository>, Arc<dyn TokenStore>)> {
    if url == "memory" {
        return Ok((
            Arc::new(InMemoryRepository::new()),
            Arc::new(InMemoryTokenStore::new()),
        ));
    }
    let scheme = url.split(':').next().unwrap_or_default();
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
    open_sql(url).await
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn open_sql(url: &str) -> Result<(Arc<dyn NumberRepository>, Arc<dyn TokenStore>)> {
    let store = Arc::new(switchboard_sql::SqlRepository::connect(url).await?);
    Ok((store.clone(), store))
}

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
async fn open_sql(_: &str) -> Result<(Arc<dyn NumberRepository>, Arc<dyn TokenStore>)> {
    Err(Error::Configuration {
        message: "this build has no SQL store".into(),
    })
}
