//! One purchase at the carrier while the reservation is held: the lease is
//! renewed for as long as the carrier takes, and an answer that is lost,
//! temporary or cannot be right is settled by asking the carrier whether the
//! number is now owned. Separate from provisioning because it is the one
//! place that races a timer against the carrier and the one place that
//! calls the carrier again after a failure.

use std::future::Future;
use std::time::Duration;

use super::chrono_duration;
use crate::{
    CarrierNumber, Error, PendingOrder, ProvisionedNumber, ProvisioningService, PurchaseOutcome,
    PurchaseRequest, TelephonyProvider,
};

/// How a purchase attempt ended.
pub(super) enum Purchase {
    Bought(CarrierNumber),
    /// Accepted as an order the carrier completes later: never to be bought
    /// again while it is open.
    Pending(PendingOrder),
    /// The outcome is unknown (the carrier could not be asked, or answered
    /// something that proves nothing); the reservation stays for `reconcile`.
    Unsettled(Error),
    /// It did not happen.
    Failed(Error),
}

impl ProvisioningService {
    /// Runs the purchase while renewing the reservation's lease, so that
    /// `reconcile` never takes a reservation whose request is alive however
    /// slow the carrier is. Returns the record as last written.
    pub(super) async fn purchase_holding_lease(
        &self,
        provider: &dyn TelephonyProvider,
        purchase: &PurchaseRequest,
        mut record: ProvisionedNumber,
    ) -> (Purchase, ProvisionedNumber) {
        let lease = self.options.reservation_lease;
        let renew_every = (lease / 3).max(Duration::from_millis(1));
        let attempt = self.purchase_settled(provider, purchase);
        let mut attempt = std::pin::pin!(attempt);
        // A carrier that answers without waiting (the fake, an in-memory
        // double) needs no timer: poll once before arming one.
        let first =
            std::future::poll_fn(|cx| std::task::Poll::Ready(attempt.as_mut().poll(cx))).await;
        if let std::task::Poll::Ready(outcome) = first {
            return (outcome, record);
        }
        loop {
            match tokio::time::timeout(renew_every, &mut attempt).await {
                Ok(outcome) => return (outcome, record),
                Err(_) => {
                    let now = self.clock.now();
                    if let Ok(renewed) = record.renew_lease(now + chrono_duration(lease), now) {
                        // A failed renewal is tried again at the next tick;
                        // a stale one means the reservation was taken over,
                        // which recording the outcome will find out.
                        if let Ok(stored) = self.repository.update(&renewed).await {
                            record = stored;
                        }
                    }
                }
            }
        }
    }

    /// Buys, and when the answer is lost, temporary or cannot be right (it
    /// names another number, or the carrier's adapter found it inconsistent),
    /// asks the carrier whether the number is now owned. Only a
    /// rate-limited purchase (which carriers never process) is tried again;
    /// any other unsettled outcome keeps its reservation for `reconcile`.
    async fn purchase_settled(
        &self,
        provider: &dyn TelephonyProvider,
        purchase: &PurchaseRequest,
    ) -> Purchase {
        let asked = &purchase.phone_number;
        let mut attempt = 1;
        loop {
            let error = match provider.purchase(purchase).await {
                Ok(PurchaseOutcome::Bought(bought)) if bought.phone_number == *asked => {
                    return Purchase::Bought(bought);
                }
                // Not settled yet, and never to be bought again meanwhile:
                // the order is recorded and asked about until it settles.
                Ok(PurchaseOutcome::Pending(order)) if order.phone_number == *asked => {
                    return Purchase::Pending(order);
                }
                Ok(other) => Error::Inconsistent {
                    source_name: provider.name().to_string(),
                    message: format!(
                        "the purchase of {asked} was answered with {}; the reservation stays \
                         until reconcile asks the carrier",
                        other.phone_number()
                    ),
                },
                // An answer that cannot be right says nothing either way:
                // ask, as for a lost one.
                Err(error @ Error::Inconsistent { .. }) => error,
                Err(error) if !error.is_temporary() => return Purchase::Failed(error),
                Err(error) => error,
            };
            // The carrier may have bought it and the answer got lost.
            match provider.find_owned(asked).await {
                Ok(Some(owned)) if owned.phone_number == *asked => {
                    return Purchase::Bought(owned);
                }
                // A rate-limited request was never processed: safe to repeat.
                Ok(None) if matches!(error, Error::RateLimited { .. }) => {}
                // Not owned yet, but a lost or failed request may still be
                // running at the carrier: buying again could buy twice, or fail
                // against our own first purchase and leave it unrecorded. The
                // reservation stays for `reconcile` to settle after its lease.
                Ok(_) | Err(_) => return Purchase::Unsettled(error),
            }
            match self.options.purchase_retry.delay(attempt, &error) {
                Some(wait) => {
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return Purchase::Failed(error),
            }
        }
    }
}
