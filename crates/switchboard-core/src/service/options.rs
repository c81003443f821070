//! The service's tunables and the check that refuses unsafe ones: the leases
//! and graces `reconcile` relies on, the purchase retry, the default inbound
//! webhooks. Apart from the service because callers build and validate them
//! (from configuration) before any service exists.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::{Error, Result, RetryPolicy, Routing};

/// Tunables of the service.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Purchase attempts per request, each after the carrier confirmed that
    /// the previous one did not go through.
    pub purchase_retry: RetryPolicy,
    /// How long a reservation is vouched for by the request holding it.
    /// The request renews it every third of this while the carrier works,
    /// so a slow carrier never makes a live request look abandoned;
    /// `reconcile` takes a reservation only once it has lapsed, that is
    /// when its request has died or stalled for this long.
    pub reservation_lease: Duration,
    /// Records younger than this are left alone by `reconcile`: numbers
    /// bought so recently that a carrier's listing may not show them yet,
    /// and reservations written before leases existed.
    pub fresh_record_grace: Duration,
    /// Webhooks given, per carrier, to a number bought without routing of
    /// its own: where the service receives that carrier's calls and
    /// messages (set from the configured public URL). A carrier not named
    /// here leaves such a number unrouted.
    pub inbound_routing: BTreeMap<String, Routing>,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            purchase_retry: RetryPolicy {
                max_attempts: 3,
                ..RetryPolicy::default()
            },
            reservation_lease: Duration::from_secs(60),
            fresh_record_grace: Duration::from_secs(120),
            inbound_routing: BTreeMap::new(),
        }
    }
}

impl ServiceOptions {
    /// Refuses settings that would let `reconcile` take work in flight.
    pub fn validate(&self) -> Result<()> {
        if self.reservation_lease.is_zero() {
            return Err(Error::Configuration {
                message: "reservation_lease must be longer than 0: with no lease, reconcile \
                          could fail a purchase while the carrier completes it"
                    .into(),
            });
        }
        if self.fresh_record_grace.is_zero() {
            return Err(Error::Configuration {
                message: "reservation_grace must be longer than 0: with no grace, reconcile \
                          could release a number bought a moment ago that a carrier's \
                          listing does not show yet"
                    .into(),
            });
        }
        Ok(())
    }
}
