//! Giving a number back to its carrier: mark it releasing, ask the carrier,
//! and record released, still pending (to be retried by `reconcile`, which
//! shares this step), or back in service when the carrier refused for good.

use super::chrono_duration;
use uuid::Uuid;

use crate::{
    AccountId, Error, NumberState, ProvisionedNumber, ProvisioningService, Result,
    TelephonyProvider,
};

impl ProvisioningService {
    /// Gives one of the account's numbers back to its carrier.
    ///
    /// Returns the record as `Released`, or as `Releasing` when the carrier
    /// refused for now: the release is then pending, and `reconcile` retries
    /// it. Releasing a released number returns it unchanged.
    ///
    /// A number whose carrier order is still open cannot be given back yet
    /// (the carrier has nothing to take back until the order completes),
    /// and cancelling an order is not something every carrier offers. So
    /// the release waits for the order, asking the carrier for up to
    /// [`crate::ServiceOptions::order_wait`]: an order that completes is
    /// then released, one that failed is gone ([`Error::NotFound`], as for
    /// any failed purchase), and one still open is refused with
    /// [`Error::Conflict`] naming the state and the order, to be asked
    /// again once it has settled. Nothing is recorded for a refused
    /// release.
    pub async fn release(&self, account: &AccountId, id: Uuid) -> Result<ProvisionedNumber> {
        let mut record = self.get(account, id).await?;
        if record.state == NumberState::Pending {
            record = self.wait_before_release(record).await?;
        }
        match record.state {
            NumberState::Released => return Ok(record),
            NumberState::Reserved => {
                return Err(Error::Conflict {
                    reason: format!("phone number {id} is still being provisioned"),
                });
            }
            _ => {}
        }
        // The carrier it was bought from, never the current default.
        let provider = self.providers.require(&record.provider)?.clone();
        let previous = record.state;
        let now = self.clock.now();
        let releasing = self
            .write_with(&record, |current| match current.state {
                NumberState::Released => Ok(None),
                _ => current.begin_release(now).map(Some),
            })
            .await?;
        if releasing.state == NumberState::Released {
            return Ok(releasing);
        }
        self.release_at_carrier(provider.as_ref(), releasing, previous)
            .await
    }

    /// Waits (bounded) for the order of `record`, which is `Pending`, to
    /// settle before a release: the record as it then stands, or the answer
    /// to a release that cannot happen.
    async fn wait_before_release(&self, record: ProvisionedNumber) -> Result<ProvisionedNumber> {
        let id = record.id;
        let provider = self.providers.require(&record.provider)?.clone();
        let (settled, _) = self
            .wait_for_order(provider.as_ref(), record, self.options.order_wait)
            .await;
        match settled.state {
            NumberState::Pending => Err(Error::Conflict {
                reason: format!(
                    "phone number {id} ({}) is pending: the carrier has not completed order {}; \
                     release it once it is active",
                    settled.phone_number,
                    settled.order.as_ref().map(|o| o.id.as_str()).unwrap_or("?")
                ),
            }),
            NumberState::Failed => Err(Error::not_found(format!("phone number {id}"))),
            _ => Ok(settled),
        }
    }

    /// Asks the carrier to release `record`, which is `Releasing`, and records
    /// the outcome: released, still pending, or (refused for good) back in
    /// service when it was active before (`previous`).
    pub(crate) async fn release_at_carrier(
        &self,
        provider: &dyn TelephonyProvider,
        record: ProvisionedNumber,
        previous: NumberState,
    ) -> Result<ProvisionedNumber> {
        let outcome = match &record.carrier_id {
            Some(carrier_id) => provider.release(carrier_id).await,
            None => Ok(()),
        };
        let now = self.clock.now();
        let defer = |not_before: Option<chrono::DateTime<chrono::Utc>>| {
            move |current: &ProvisionedNumber| match current.state {
                NumberState::Releasing => current.defer_release(not_before, now).map(Some),
                _ => Ok(None),
            }
        };
        match outcome {
            Err(Error::NotFound { .. }) if now < not_found_trusted_from(provider, &record) => {
                let not_before = not_found_trusted_from(provider, &record);
                self.write_with(&record, defer(Some(not_before))).await
            }
            Ok(()) | Err(Error::NotFound { .. }) => {
                self.write_with(&record, |current| match current.state {
                    NumberState::Released => Ok(None),
                    _ => current.complete_release(now).map(Some),
                })
                .await
            }
            Err(error) if error.is_temporary() => {
                let not_before = match &error {
                    Error::RetryLater { not_before, .. } => *not_before,
                    _ => None,
                };
                self.write_with(&record, defer(not_before)).await
            }
            Err(error) => {
                if previous == NumberState::Active {
                    let _ = self
                        .write_with(&record, |current| match current.state {
                            NumberState::Releasing => current.cancel_release(now).map(Some),
                            _ => Ok(None),
                        })
                        .await;
                }
                Err(error)
            }
        }
    }
}

/// From when a "not found" for `record` is taken as proof that its carrier
/// no longer holds it: its carrier's not-found window after the purchase.
fn not_found_trusted_from(
    provider: &dyn TelephonyProvider,
    record: &ProvisionedNumber,
) -> chrono::DateTime<chrono::Utc> {
    let bought = record.purchased_at.unwrap_or(record.created_at);
    bought + chrono_duration(provider.not_found_window())
}
