//! The provisioning service: the one place where carrier calls and records
//! are put in order, so that the invariants hold whatever fails in between.
//!
//! This module holds the service itself (its parts, how it is built, and
//! the compare-and-swap write every change goes through); each operation is
//! a module of its own: [`provision`] and the carrier [`purchase`] inside
//! it, [`first_available`] (from the first carrier that has a number),
//! [`update`], [`release`], [`adopt`] (numbers the carrier account
//! already owns), [`search_across`] (several carriers at once), and the
//! read-only [`queries`]; settling a carrier's open order (for provision,
//! release, the settler and `reconcile`) is [`orders`]. The
//! [`ServiceOptions`] are in [`options`].

mod adopt;
mod first_available;
mod options;
mod orders;
mod provision;
mod purchase;
mod queries;
mod release;
mod search_across;
mod update;

use std::sync::Arc;
use std::time::Duration;

use crate::{
    Clock, Error, IdSource, NumberRepository, ProviderRegistry, ProvisionedNumber, RandomIds,
    Result, SystemClock, TelephonyProvider,
};

pub use adopt::{AdoptRequest, Adoption};
pub use first_available::FirstAvailable;
pub use options::ServiceOptions;
pub(crate) use orders::{Asked, order_failed};
pub use search_across::{CarrierFailed, CarrierSkipped, SearchAcross};

/// How many times a write that lost a compare-and-swap is decided again on
/// a fresh read before giving up with [`Error::Stale`].
const MAX_STALE_RETRIES: u32 = 8;

/// Searches, buys, changes and releases numbers for accounts, keeping the
/// repository and the carriers in agreement.
///
/// Cheap to clone: the parts are shared.
#[derive(Debug, Clone)]
pub struct ProvisioningService {
    // Behind an Arc so that a clone (one per HTTP request, through the
    // router's state) copies no map of carriers.
    pub(crate) providers: Arc<ProviderRegistry>,
    pub(crate) repository: Arc<dyn NumberRepository>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdSource>,
    pub(crate) options: ServiceOptions,
}

impl ProvisioningService {
    /// A service over `providers` and `repository`, with the system clock and
    /// time-ordered random ids.
    pub fn new(providers: ProviderRegistry, repository: Arc<dyn NumberRepository>) -> Self {
        Self {
            providers: Arc::new(providers),
            repository,
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
            options: ServiceOptions::default(),
        }
    }

    /// Uses `clock` for every timestamp.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses `ids` for new records.
    pub fn with_ids(mut self, ids: Arc<dyn IdSource>) -> Self {
        self.ids = ids;
        self
    }

    /// Replaces the options. They are checked when used; call
    /// [`ServiceOptions::validate`] to refuse bad ones up front.
    pub fn with_options(mut self, options: ServiceOptions) -> Self {
        self.options = options;
        self
    }

    /// The same service with every carrier wrapped by `layer`: what it
    /// wraps is what every operation of the service (and of a bulk or
    /// reconcile pass it runs) calls.
    pub fn with_provider_layer(
        mut self,
        layer: impl Fn(Arc<dyn TelephonyProvider>) -> Arc<dyn TelephonyProvider>,
    ) -> Self {
        self.providers = Arc::new((*self.providers).clone().layered(layer));
        self
    }

    /// The options in use.
    pub fn options(&self) -> &ServiceOptions {
        &self.options
    }

    /// The carriers.
    pub fn providers(&self) -> &ProviderRegistry {
        &self.providers
    }

    /// The repository.
    pub fn repository(&self) -> &Arc<dyn NumberRepository> {
        &self.repository
    }

    pub(super) fn provider_for(&self, name: Option<&str>) -> Result<&Arc<dyn TelephonyProvider>> {
        match name {
            None => Ok(self.providers.default_provider()),
            Some(name) => self.providers.get(name).ok_or_else(|| {
                Error::invalid(
                    "provider",
                    format!(
                        "{name:?} is not configured; configured: {}",
                        self.providers.names().join(", ")
                    ),
                )
            }),
        }
    }

    /// Writes what `decide` makes of `record`, with compare-and-swap: when
    /// another write came first, the record is read again and `decide` is
    /// asked again about the fresh copy. `decide` returns `None` when the
    /// record is already as it should be (nothing is written then), and an
    /// error when the change no longer applies.
    pub(crate) async fn write_with(
        &self,
        record: &ProvisionedNumber,
        mut decide: impl FnMut(&ProvisionedNumber) -> Result<Option<ProvisionedNumber>>,
    ) -> Result<ProvisionedNumber> {
        let mut current = record.clone();
        for _ in 0..MAX_STALE_RETRIES {
            let Some(next) = decide(&current)? else {
                return Ok(current);
            };
            match self.repository.update(&next).await {
                Ok(stored) => return Ok(stored),
                Err(Error::Stale { .. }) => {
                    current =
                        self.repository.get(record.id).await?.ok_or_else(|| {
                            Error::not_found(format!("phone number {}", record.id))
                        })?;
                }
                Err(error) => return Err(error),
            }
        }
        Err(Error::Stale {
            what: format!("phone number {}", record.id),
        })
    }
}

/// A std duration as chrono's, saturating at chrono's range.
pub(crate) fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}
