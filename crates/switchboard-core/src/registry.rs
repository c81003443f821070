//! The carriers this system talks to, by name, with one default for new
//! purchases. Existing numbers go to the carrier recorded on them, so
//! changing the default never orphans a number.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::{Error, Result, TelephonyProvider};

/// Carriers by name, and which one new purchases use.
#[derive(Debug, Clone)]
pub struct ProviderRegistry {
    providers: BTreeMap<String, Arc<dyn TelephonyProvider>>,
    default: String,
}

impl ProviderRegistry {
    /// A registry holding `provider`, which is also the default.
    pub fn new(provider: Arc<dyn TelephonyProvider>) -> Self {
        let default = provider.name().to_string();
        let mut providers = BTreeMap::new();
        providers.insert(default.clone(), provider);
        Self { providers, default }
    }

    /// Adds another carrier (replacing one of the same name).
    pub fn with(mut self, provider: Arc<dyn TelephonyProvider>) -> Self {
        self.providers.insert(provider.name().to_string(), provider);
        self
    }

    /// Every carrier wrapped by `layer` (for example in a
    /// [`crate::layer::Hooked`]), under the same names and default.
    pub fn layered(
        self,
        layer: impl Fn(Arc<dyn TelephonyProvider>) -> Arc<dyn TelephonyProvider>,
    ) -> Self {
        Self {
            providers: self
                .providers
                .into_iter()
                .map(|(name, provider)| (name, layer(provider)))
                .collect(),
            default: self.default,
        }
    }

    /// Makes `name` the default for new purchases.
    pub fn with_default(mut self, name: &str) -> Result<Self> {
        if !self.providers.contains_key(name) {
            return Err(Error::Configuration {
                message: format!(
                    "default provider {name:?} is not configured; configured: {}",
                    self.names().join(", ")
                ),
            });
        }
        self.default = name.to_string();
        Ok(self)
    }

    /// The default carrier's name.
    pub fn default_name(&self) -> &str {
        &self.default
    }

    /// The default carrier.
    pub fn default_provider(&self) -> &Arc<dyn TelephonyProvider> {
        // The constructor and `with_default` keep `default` a key of the map.
        &self.providers[&self.default]
    }

    /// The carrier called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn TelephonyProvider>> {
        self.providers.get(name)
    }

    /// The carrier called `name`, or an error listing the configured ones.
    pub fn require(&self, name: &str) -> Result<&Arc<dyn TelephonyProvider>> {
        self.get(name).ok_or_else(|| Error::Configuration {
            message: format!(
                "provider {name:?} is not configured; configured: {}",
                self.names().join(", ")
            ),
        })
    }

    /// Every configured carrier's name, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.providers.keys().map(String::as_str).collect()
    }

    /// Every configured carrier.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<dyn TelephonyProvider>)> {
        self.providers.iter().map(|(k, v)| (k.as_str(), v))
    }
}
