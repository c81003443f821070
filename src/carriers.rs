//! The carrier table: the one list of the carriers this facade knows, from
//! which the `[providers]` section, the environment overlay, the registry
//! and the webhook verifiers are all made.
//!
//! Each adapter crate owns its section: a `settings` module with a serde
//! type for `[providers.NAME]` and methods of one shape (`apply_env`, which
//! overlays the carrier's own variables and says whether any was set;
//! `provider`; `webhook_verifier`). Adding a carrier is therefore its
//! crate, its Cargo feature, and one line in [`carriers!`] below; nothing
//! else here names a carrier, except the fake's books (kept in the store,
//! see [`crate::open`]) and the fake as the carrier of an empty
//! configuration.

use std::sync::Arc;

use serde::Deserialize;
#[cfg(feature = "server")]
use switchboard_core::inbound::WebhookVerifier;
use switchboard_core::{Error, ProviderRegistry, Result, TelephonyProvider};

use crate::config::{Config, Environment};

/// The carrier an empty configuration uses: it needs no account.
const FALLBACK: &str = "fake";

/// What the facade asks of a carrier's section. [`carriers!`] implements it
/// for each adapter's settings type by calling that type's own methods.
trait Section {
    /// Overlays the carrier's variables; whether any was set.
    fn overlay_env(&mut self, env: &dyn Environment) -> bool;
    /// The carrier, checked and built, or what it still needs.
    fn prepare(&self) -> Result<Prepared>;
    /// How the carrier's webhooks are checked; `None` when it sends none.
    #[cfg(feature = "server")]
    fn verifier(&self) -> Result<Option<Arc<dyn WebhookVerifier>>>;
}

/// A carrier built from its section, or one still waiting for the store.
enum Prepared {
    #[allow(
        dead_code,
        reason = "in a build whose only carrier is the fake, every carrier waits for the store"
    )]
    Ready(Arc<dyn TelephonyProvider>),
    /// The fake, to be given the store's books (or its own, in memory).
    #[cfg(feature = "fake")]
    NeedsBooks(switchboard_fake::FakeProviderBuilder),
}

/// The books the fake sells into when they are kept in the store.
#[cfg(feature = "fake")]
pub(crate) type Books = Arc<dyn switchboard_fake::SalesLedger>;

/// Without the fake compiled in there are never books to give.
#[cfg(not(feature = "fake"))]
pub(crate) type Books = std::convert::Infallible;

/// How a table entry becomes a [`Prepared`]: built at once, or, for an
/// entry marked `with books_in_store`, left for [`Carriers::into_registry`]
/// to give the store's books.
#[allow(unused_macros, reason = "unused in a build with no carrier")]
macro_rules! prepare {
    ($settings:expr) => {
        Ok(Prepared::Ready(Arc::new($settings.provider()?)))
    };
    ($settings:expr, books_in_store) => {
        Ok(Prepared::NeedsBooks($settings.builder()?))
    };
}

/// Makes everything the facade knows about carriers from one list of
/// `name if "cargo feature" => settings type`. A carrier whose feature is
/// off keeps its name (so naming it says it is not compiled in) and a
/// section that is accepted unread.
macro_rules! carriers {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident if $feature:literal => $settings:ty $(, with $books:ident)?;
    )*) => {
        /// One section per carrier; a present section configures that
        /// carrier.
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct ProvidersConfig {
            $(
                $(#[doc = $doc])*
                #[cfg(feature = $feature)]
                #[serde(default)]
                pub $name: Option<$settings>,
                /// Not compiled into this build: read only so that the
                /// carrier can be named as such.
                #[cfg(not(feature = $feature))]
                #[serde(default)]
                pub $name: Option<serde::de::IgnoredAny>,
            )*
        }

        /// Every carrier in the table, compiled in or not.
        pub const KNOWN_CARRIERS: &[&str] = &[$(stringify!($name)),*];

        /// The carriers this build can talk to.
        pub fn compiled_providers() -> Vec<&'static str> {
            let mut names = Vec::new();
            $(
                if cfg!(feature = $feature) {
                    names.push(stringify!($name));
                }
            )*
            names
        }

        impl ProvidersConfig {
            /// The carriers whose section is present.
            fn present(&self) -> Vec<&'static str> {
                let mut names = Vec::new();
                $(
                    if self.$name.is_some() {
                        names.push(stringify!($name));
                    }
                )*
                names
            }

            /// Overlays each compiled carrier's conventional variables; a
            /// carrier whose variables are set is configured.
            pub(crate) fn apply_env(&mut self, env: &dyn Environment) {
                $(
                    #[cfg(feature = $feature)]
                    overlay(&mut self.$name, env);
                )*
                let _ = env; // read by no carrier when none is compiled in
            }

            /// The section of the compiled carrier `name`, its defaults when
            /// absent; `None` for a carrier not compiled in.
            fn section(&self, name: &str) -> Option<Box<dyn Section>> {
                $(
                    #[cfg(feature = $feature)]
                    if name == stringify!($name) {
                        return Some(Box::new(self.$name.clone().unwrap_or_default()));
                    }
                )*
                let _ = name;
                None
            }
        }

        $(
            #[cfg(feature = $feature)]
            impl Section for $settings {
                fn overlay_env(&mut self, env: &dyn Environment) -> bool {
                    self.apply_env(|name| env.var(name))
                }

                fn prepare(&self) -> Result<Prepared> {
                    prepare!(self $(, $books)?)
                }

                #[cfg(feature = "server")]
                fn verifier(&self) -> Result<Option<Arc<dyn WebhookVerifier>>> {
                    self.webhook_verifier()
                }
            }
        )*
    };
}

carriers! {
    /// The deterministic in-memory carrier.
    fake if "fake" => switchboard_fake::FakeSettings, with books_in_store;
    /// SignalWire.
    signalwire if "signalwire" => switchboard_signalwire::SignalWireSettings;
    /// Telnyx.
    telnyx if "telnyx" => switchboard_telnyx::TelnyxSettings;
    /// Twilio.
    twilio if "twilio" => switchboard_twilio::TwilioSettings;
}

/// Overlays the environment on one carrier's section: present afterwards if
/// it was before or the environment set any of the carrier's variables.
#[allow(dead_code, reason = "unused in a build with no carrier")]
fn overlay<S: Section + Default>(slot: &mut Option<S>, env: &dyn Environment) {
    let was_present = slot.is_some();
    let mut section = slot.take().unwrap_or_default();
    if section.overlay_env(env) || was_present {
        *slot = Some(section);
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

impl Config {
    /// The names of the configured carriers: those with a section (or
    /// variables), and the default one; `fake` when none is.
    pub fn configured_providers(&self) -> Vec<&'static str> {
        let mut names = self.providers.present();
        // Naming a default carrier configures it, with its defaults.
        let named = self.default_provider.as_deref();
        if let Some(known) = KNOWN_CARRIERS.iter().find(|k| Some(**k) == named)
            && !names.contains(known)
        {
            names.push(known);
        }
        if names.is_empty() {
            names.push(FALLBACK);
        }
        names.sort_unstable();
        names
    }

    /// The carrier new purchases use.
    pub fn default_provider_name(&self) -> Result<String> {
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
        if !KNOWN_CARRIERS.contains(&name.as_str()) {
            return Err(Error::Configuration {
                message: format!(
                    "unknown provider {name:?}; known: {}",
                    KNOWN_CARRIERS.join(", ")
                ),
            });
        }
        Ok(name)
    }
}

/// The configured carriers, checked, with the fake (if any) still to be
/// given its books.
pub(crate) struct Carriers {
    default: String,
    prepared: Vec<Prepared>,
}

impl Carriers {
    /// Checks and builds every configured carrier, without touching a
    /// store: a mistake in a section is reported before any database is
    /// waited on.
    pub(crate) fn configure(config: &Config) -> Result<Self> {
        let default = config.default_provider_name()?;
        let prepared = config
            .configured_providers()
            .into_iter()
            .map(|name| match config.providers.section(name) {
                Some(section) => section.prepare(),
                None => Err(not_compiled(name)),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { default, prepared })
    }

    /// Whether a carrier waits for the store's books.
    pub(crate) fn needs_books(&self) -> bool {
        #[cfg(feature = "fake")]
        return self
            .prepared
            .iter()
            .any(|p| matches!(p, Prepared::NeedsBooks(_)));
        #[cfg(not(feature = "fake"))]
        false
    }

    /// The registry, the fake selling into `books` (its own, in memory,
    /// when `None`).
    pub(crate) fn into_registry(self, books: Option<Books>) -> Result<ProviderRegistry> {
        let mut providers = self.prepared.into_iter().map(|prepared| match prepared {
            Prepared::Ready(provider) => provider,
            #[cfg(feature = "fake")]
            Prepared::NeedsBooks(builder) => {
                let builder = match books.clone() {
                    Some(books) => builder.ledger(books),
                    None => builder,
                };
                Arc::new(builder.build())
            }
        });
        let first = providers.next().ok_or_else(|| Error::Configuration {
            message: "no carrier is configured".into(),
        })?;
        #[cfg(not(feature = "fake"))]
        let _ = books;
        providers
            .fold(ProviderRegistry::new(first), ProviderRegistry::with)
            .with_default(&self.default)
    }
}

/// The webhook verifier of every configured carrier that has one, by
/// carrier name.
#[cfg(feature = "server")]
pub(crate) fn webhook_verifiers(
    config: &Config,
) -> Result<Vec<(&'static str, Arc<dyn WebhookVerifier>)>> {
    let mut verifiers = Vec::new();
    for name in config.configured_providers() {
        let Some(section) = config.providers.section(name) else {
            continue;
        };
        if let Some(verifier) = section.verifier()? {
            verifiers.push((name, verifier));
        }
    }
    Ok(verifiers)
}

#[cfg(test)]
mod tests;
