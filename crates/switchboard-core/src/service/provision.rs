//! Buying one number: reserve it in the repository, replay an earlier
//! request with the same idempotency key, have the carrier sell it, and
//! record the outcome or give the number back. The order of these steps is
//! what keeps a number from being bought twice or left unrecorded; the
//! carrier call itself is in [`super::purchase`].

use super::chrono_duration;
use super::purchase::Purchase;
use crate::{
    AccountId, CarrierNumber, Error, NumberState, ProvisionRequest, ProvisionedNumber,
    ProvisioningService, PurchaseRequest, Reservation, Result, TelephonyProvider,
};

impl ProvisioningService {
    /// Buys a number for `account` and records it.
    ///
    /// The number is reserved in the repository first, so two requests can
    /// never both buy it; the reservation's lease is renewed while the
    /// carrier works; a lost purchase answer is settled by asking the
    /// carrier; a purchase that cannot be recorded is released again.
    ///
    /// A purchase the carrier takes as an order is recorded `Pending` and
    /// asked about for [`crate::ServiceOptions::order_wait`]; the answer is
    /// then the record active (the order completed), or still pending
    /// (settled later by [`ProvisioningService::settle_orders`] or
    /// `reconcile`), or [`Error::NumberUnavailable`] for an order the
    /// carrier gave up on. A repeat of the request under the same
    /// idempotency key answers the record as it stands, never a second
    /// order.
    pub async fn provision(
        &self,
        account: &AccountId,
        request: &ProvisionRequest,
    ) -> Result<ProvisionedNumber> {
        request.validate()?;
        self.options.validate()?;
        let provider = self.provider_for(request.provider.as_deref())?.clone();

        if let Some(existing) = self.replay(account, request).await? {
            return Ok(existing);
        }

        let now = self.clock.now();
        let mut record = ProvisionedNumber::reserve(
            request,
            Reservation {
                id: self.ids.next_id(),
                account,
                provider: provider.name(),
                now,
                lease_until: now + chrono_duration(self.options.reservation_lease),
            },
        );
        if record.routing.is_empty()
            && let Some(routing) = self.options.inbound_routing.get(provider.name())
        {
            record.routing = routing.clone();
        }
        match self.repository.insert(&record).await {
            Ok(()) => {}
            Err(error @ (Error::Duplicate { .. } | Error::AlreadyProvisioned { .. }))
                if request.idempotency_key.is_some() =>
            {
                return self.after_key_clash(account, request, error).await;
            }
            Err(e) => return Err(e),
        }

        let purchase = PurchaseRequest {
            phone_number: request.phone_number.clone(),
            friendly_name: request.friendly_name.clone(),
            routing: record.routing.clone(),
        };
        let (outcome, record) = self
            .purchase_holding_lease(provider.as_ref(), &purchase, record)
            .await;
        match outcome {
            Purchase::Bought(bought) => {
                self.record_purchase(provider.as_ref(), record, bought)
                    .await
            }
            Purchase::Pending(order) => self.record_order(provider.as_ref(), record, &order).await,
            Purchase::Unsettled(error) => Err(error),
            Purchase::Failed(error) => {
                self.abandon(&record).await;
                Err(error)
            }
        }
    }

    /// The insert of a keyed request clashed with an existing record: the
    /// same key's earlier request (replay it, or say it is in progress), or
    /// another holder of the number. Never `AlreadyProvisioned` for a loser
    /// of a race between requests with one key and one body.
    async fn after_key_clash(
        &self,
        account: &AccountId,
        request: &ProvisionRequest,
        clash: Error,
    ) -> Result<ProvisionedNumber> {
        if let Some(existing) = self.replay(account, request).await? {
            return Ok(existing);
        }
        if matches!(clash, Error::AlreadyProvisioned { .. })
            && let Some(holder) = self
                .repository
                .find_by_phone_number(&request.phone_number)
                .await?
            && (holder.account != *account || holder.idempotency_key != request.idempotency_key)
        {
            return Err(clash);
        }
        // The record that clashed went away between the insert and the
        // replay (its purchase failed and freed the key): trying again may
        // succeed.
        Err(in_progress())
    }

    /// The record an earlier request with the same idempotency key made, if
    /// any; an error if that request is still running or was a different
    /// request (any field differs).
    async fn replay(
        &self,
        account: &AccountId,
        request: &ProvisionRequest,
    ) -> Result<Option<ProvisionedNumber>> {
        let Some(key) = &request.idempotency_key else {
            return Ok(None);
        };
        let Some(existing) = self
            .repository
            .find_by_idempotency_key(account, key)
            .await?
        else {
            return Ok(None);
        };
        let difference = match &existing.request_fingerprint {
            Some(fingerprint) => request.first_difference(fingerprint),
            // Recorded before requests were fingerprinted: the number is
            // all that can be compared.
            None => (existing.phone_number != request.phone_number).then(|| "phone_number".into()),
        };
        if let Some(field) = difference {
            return Err(Error::IdempotencyKeyMismatch {
                field: field.into(),
            });
        }
        match existing.state {
            NumberState::Reserved => Err(in_progress()),
            _ => Ok(Some(existing)),
        }
    }

    /// Records a purchase that went through. When the record cannot be
    /// written (store down, or the reservation was taken over after its
    /// lease lapsed), the number is given back rather than paid for with
    /// nobody knowing; if that fails too, the reservation stays and
    /// `reconcile` settles it by asking the carrier.
    async fn record_purchase(
        &self,
        provider: &dyn TelephonyProvider,
        record: ProvisionedNumber,
        bought: CarrierNumber,
    ) -> Result<ProvisionedNumber> {
        let now = self.clock.now();
        let written = self
            .write_with(&record, |current| match current.state {
                NumberState::Reserved => current.settle_active(&bought, now).map(Some),
                // `reconcile` found the purchase at the carrier first.
                NumberState::Active
                    if current.carrier_id.as_deref() == Some(&bought.carrier_id) =>
                {
                    Ok(None)
                }
                _ => Err(Error::Conflict {
                    reason: format!(
                        "the reservation of {} was taken over while the carrier sold it \
                         (it is now {})",
                        current.phone_number,
                        current.state.as_str()
                    ),
                }),
            })
            .await;
        let error = match written {
            Ok(stored) => return Ok(stored),
            Err(error) => error,
        };
        // Only a confirmed release frees the reservation: a "not found" for
        // a number sold a moment ago proves nothing.
        if provider.release(&bought.carrier_id).await.is_ok() {
            self.abandon(&record).await;
        }
        Err(error)
    }

    /// Records a purchase the carrier accepted as an order, then asks about
    /// the order for up to [`crate::ServiceOptions::order_wait`]: the record
    /// as it then stands (active, or still pending), or the error of an
    /// order that failed (the number and key are free again then).
    ///
    /// When the pending record cannot be written the reservation stays,
    /// under its lease, and the error is returned: the order is open at the
    /// carrier with nothing here naming it, so once the lease lapses
    /// `reconcile` judges the reservation by whether the carrier holds the
    /// number, as after a lost purchase answer.
    async fn record_order(
        &self,
        provider: &dyn TelephonyProvider,
        record: ProvisionedNumber,
        order: &crate::PendingOrder,
    ) -> Result<ProvisionedNumber> {
        let now = self.clock.now();
        let pending = self
            .write_with(&record, |current| match current.state {
                NumberState::Reserved => current.await_order(order, now).map(Some),
                // The settler cannot know the order before this write; a
                // pending record of this order means this write landed
                // and only its answer was lost.
                NumberState::Pending
                    if current.order.as_ref().map(|o| o.id.as_str())
                        == Some(order.order_id.as_str()) =>
                {
                    Ok(None)
                }
                _ => Err(Error::Conflict {
                    reason: format!(
                        "the reservation of {} was taken over while the carrier took the order \
                         {} (it is now {})",
                        current.phone_number,
                        order.order_id,
                        current.state.as_str()
                    ),
                }),
            })
            .await?;
        let (settled, learnt) = self
            .wait_for_order(provider, pending, self.options.order_wait)
            .await;
        match (settled.state, learnt) {
            (NumberState::Failed, learnt) => Err(super::orders::order_failed(&settled, learnt)),
            _ => Ok(settled),
        }
    }

    /// Marks a reservation failed and frees its idempotency key, best effort:
    /// a reservation left behind is settled by `reconcile`.
    async fn abandon(&self, record: &ProvisionedNumber) {
        let now = self.clock.now();
        let _ = self
            .write_with(record, |current| match current.state {
                NumberState::Reserved => current.abandon(now).map(Some),
                _ => Ok(None),
            })
            .await;
    }
}

/// The 409 answer to a request whose idempotency key another request is
/// still using.
fn in_progress() -> Error {
    Error::Conflict {
        reason: "a request with this idempotency key is in progress; try again".into(),
    }
}
