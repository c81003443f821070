//! The service's tunables and the check that refuses unsafe ones: the leases
//! and graces `reconcile` relies on, the purchase retry, the default inbound
//! webhooks, how long to wait for a carrier's order. Apart from the service
//! because callers build and validate them (from configuration) before any
//! service exists.

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
    /// How long a provision whose purchase became a carrier order asks the
    /// carrier about it before answering. An order settled within this is
    /// answered as the settled record (active, or the error of a failed
    /// order); one still open is answered as the pending record, and the
    /// settler or `reconcile` settles it later. Zero answers pending at
    /// once. A release of a pending number waits as long for its order.
    pub order_wait: Duration,
    /// The first wait between two questions about an open order; each
    /// later wait doubles, up to [`ServiceOptions::order_poll_max_interval`].
    pub order_poll_interval: Duration,
    /// The longest wait between two questions about an open order: an
    /// order that completes is seen at most this long after it did.
    pub order_poll_max_interval: Duration,
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
            order_wait: Duration::from_secs(5),
            order_poll_interval: Duration::from_millis(200),
            order_poll_max_interval: Duration::from_secs(1),
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
        if !self.order_wait.is_zero()
            && (self.order_poll_interval.is_zero() || self.order_poll_max_interval.is_zero())
        {
            return Err(Error::Configuration {
                message: "order_poll_interval and order_poll_max_interval must be longer than \
                          0 when order_wait is: a zero interval would ask the carrier about an \
                          order without pause"
                    .into(),
            });
        }
        Ok(())
    }

    /// The wait before question number `asked + 1` about an open order
    /// (counted from 1): the interval, doubled for each question asked,
    /// within the maximum.
    pub(crate) fn order_poll_delay(&self, asked: u32) -> Duration {
        let factor = 1u32
            .checked_shl(asked.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.order_poll_interval
            .saturating_mul(factor)
            .min(self.order_poll_max_interval.max(self.order_poll_interval))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_polls_back_off_within_the_maximum() {
        let options = ServiceOptions::default();
        let waits: Vec<u128> = (1..=5)
            .map(|asked| options.order_poll_delay(asked).as_millis())
            .collect();
        assert_eq!(waits, [200, 400, 800, 1000, 1000]);
        assert_eq!(options.order_poll_delay(u32::MAX).as_millis(), 1000);
    }

    #[test]
    fn a_zero_poll_interval_is_refused_while_provision_waits() {
        let mut options = ServiceOptions {
            order_poll_interval: Duration::ZERO,
            ..ServiceOptions::default()
        };
        let err = options.validate().unwrap_err();
        assert!(err.to_string().contains("order_poll_interval"), "{err}");
        options.order_wait = Duration::ZERO;
        assert!(options.validate().is_ok());
    }
}
