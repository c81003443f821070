//! The `[providers.fake]` section of a Switchboard configuration file: the
//! fake carrier's settings as a deployment writes them down.
//!
//! The section lives here, beside the builder it feeds, so that a new
//! builder option becomes settable from TOML in the same change; the facade
//! only lists this type in its carrier table. Every method the table calls
//! (`apply_env`, `provider`, `webhook_verifier`) has the same name and shape
//! in each adapter's `settings` module. The builder's clock and ledger are
//! objects, not settings: a program passes them to [`FakeSettings::builder`]'s
//! result.

use std::sync::Arc;

use serde::Deserialize;
use switchboard_core::inbound::WebhookVerifier;
use switchboard_core::{Error, Result};

use crate::{FakeProvider, FakeProviderBuilder, OrderPlan};

/// The longest release cooldown, in seconds: SignalWire's, which the
/// cooldown imitates, is about two weeks; thirty days leaves room without
/// letting a typo hold releases for a year.
const MAX_RELEASE_COOLDOWN: u64 = 30 * 24 * 3600;

/// The longest order completion, in seconds: a day is far past any order
/// that completes by itself.
const MAX_ORDER_SECONDS: u64 = 24 * 3600;

/// The fake carrier's section; every field has a default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeSettings {
    /// Inventory seed: the same seed offers the same numbers.
    #[serde(default)]
    pub seed: Option<u64>,
    /// How many numbers the inventory holds (default 100000, capped at
    /// [`crate::Inventory::max_size`]).
    #[serde(default)]
    pub inventory_size: Option<usize>,
    /// Refuses a release this many seconds after the purchase, as
    /// SignalWire does (default 0: none), so that a deployment can rehearse
    /// pending releases.
    #[serde(default)]
    pub release_cooldown_seconds: Option<u64>,
    /// Answers every purchase as an order that completes this many seconds
    /// later, as Telnyx does (default: none, purchases complete at once; 0
    /// completes at the first question), so that a deployment can rehearse
    /// pending purchases. At most a day.
    #[serde(default)]
    pub order_seconds: Option<u64>,
}

impl FakeSettings {
    /// The fake reads no environment variables: nothing about it is secret
    /// or differs between machines.
    pub const ENV_VARS: &'static [&'static str] = &[];

    /// Reads nothing (see [`FakeSettings::ENV_VARS`]) and so never
    /// configures the fake.
    pub fn apply_env(&mut self, _lookup: impl Fn(&str) -> Option<String>) -> bool {
        false
    }

    /// A builder with these settings, for a caller that adds a clock or a
    /// ledger.
    pub fn builder(&self) -> Result<FakeProviderBuilder> {
        let mut builder = FakeProvider::builder();
        if let Some(seed) = self.seed {
            builder = builder.seed(seed);
        }
        if let Some(size) = self.inventory_size {
            builder = builder.inventory_size(size);
        }
        match self.order_seconds {
            Some(s) if s > MAX_ORDER_SECONDS => {
                return Err(Error::Configuration {
                    message: format!(
                        "[providers.fake] order_seconds must be at most {MAX_ORDER_SECONDS} (a day)"
                    ),
                });
            }
            Some(s) => {
                let after = chrono::Duration::seconds(s.cast_signed());
                builder = builder.pending_orders(OrderPlan::CompleteAfter(after));
            }
            None => {}
        }
        match self.release_cooldown_seconds {
            Some(s) if s > MAX_RELEASE_COOLDOWN => Err(Error::Configuration {
                message: format!(
                    "[providers.fake] release_cooldown_seconds must be at most {MAX_RELEASE_COOLDOWN} (30 days)"
                ),
            }),
            Some(s) => Ok(builder.release_cooldown(chrono::Duration::seconds(s.cast_signed()))),
            None => Ok(builder),
        }
    }

    /// The fake, selling into books of its own in memory.
    pub fn provider(&self) -> Result<FakeProvider> {
        Ok(self.builder()?.build())
    }

    /// None: the fake delivers no webhooks.
    pub fn webhook_verifier(&self) -> Result<Option<Arc<dyn WebhookVerifier>>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DEFAULT_INVENTORY_SIZE, DEFAULT_SEED};

    fn section(toml: &str) -> FakeSettings {
        toml::from_str(toml).unwrap()
    }

    #[test]
    fn every_option_reaches_the_builder() {
        let builder = section(
            "seed = 7\ninventory_size = 50\nrelease_cooldown_seconds = 60\norder_seconds = 2",
        )
        .builder()
        .unwrap();
        assert_eq!(
            builder.order_plan,
            Some(OrderPlan::CompleteAfter(chrono::Duration::seconds(2)))
        );
        assert_eq!(builder.seed, 7);
        assert_eq!(builder.inventory_size, 50);
        assert_eq!(
            builder.release_cooldown,
            Some(chrono::Duration::seconds(60))
        );
    }

    #[test]
    fn an_empty_section_is_the_builders_defaults() {
        let builder = section("").builder().unwrap();
        assert_eq!(builder.seed, DEFAULT_SEED);
        assert_eq!(builder.inventory_size, DEFAULT_INVENTORY_SIZE);
        assert_eq!(builder.release_cooldown, None);
        assert_eq!(builder.order_plan, None);
        assert!(section("").webhook_verifier().unwrap().is_none());
    }

    #[test]
    fn a_cooldown_past_thirty_days_and_unknown_keys_are_refused() {
        let err = section("release_cooldown_seconds = 2592001")
            .builder()
            .unwrap_err();
        assert!(
            err.to_string().contains("release_cooldown_seconds"),
            "{err}"
        );
        let err = section("order_seconds = 86401").builder().unwrap_err();
        assert!(err.to_string().contains("order_seconds"), "{err}");
        let err = toml::from_str::<FakeSettings>("sed = 1").unwrap_err();
        assert!(err.message().contains("sed"), "{err}");
    }

    #[test]
    fn the_environment_configures_nothing() {
        let mut settings = FakeSettings::default();
        assert!(!settings.apply_env(|_| Some("1".to_string())));
        assert_eq!(settings, FakeSettings::default());
    }
}
