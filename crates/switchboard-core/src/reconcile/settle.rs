//! Settling one live record against its carrier: a lapsed reservation is
//! recorded as bought or failed, an active number the carrier dropped is
//! recorded released, a pending release is retried, an open carrier order
//! is asked about (see [`super::orders`]). Every repair is written
//! from the version read, so a request that moved the record on wins.

use super::{Drift, DriftKind, Listed, Repair};
use crate::{
    Error, NumberState, ProvisionedNumber, ProvisioningService, Result, TelephonyProvider,
};

impl ProvisioningService {
    /// Settles one live record against what its carrier says about it.
    pub(super) async fn settle(
        &self,
        provider: &dyn TelephonyProvider,
        record: ProvisionedNumber,
        listed: Listed<'_>,
    ) -> Option<Drift> {
        let now = self.clock.now();
        let grace = self.options.fresh_record_grace;
        let phone_number = record.phone_number.clone();
        let drift = |kind, repair| {
            Some(Drift {
                provider: provider.name().to_string(),
                phone_number: phone_number.clone(),
                kind,
                repair,
            })
        };
        match record.state {
            NumberState::Reserved => {
                if record.lease_is_live(now, grace) {
                    return None;
                }
                // The listing may predate the purchase: ask about the number.
                let owned = match provider.find_owned(&record.phone_number).await {
                    Ok(owned) => owned.filter(|o| o.phone_number == record.phone_number),
                    Err(e) => {
                        return drift(DriftKind::PurchaseUnsettled, Repair::Failed(e.to_string()));
                    }
                };
                match owned {
                    Some(carrier) => drift(
                        DriftKind::PurchaseUnrecorded,
                        self.repair(record.settle_active(&carrier, now), Repair::MarkedActive)
                            .await,
                    ),
                    None => drift(
                        DriftKind::PurchaseNeverHappened,
                        self.repair(record.abandon(now), Repair::MarkedFailed).await,
                    ),
                }
            }
            NumberState::Active => {
                // Listed, or nothing to compare with.
                let Some(None) = listed else { return None };
                let bought = record.purchased_at.unwrap_or(record.created_at);
                if (now - bought).to_std().unwrap_or_default() < grace {
                    return drift(
                        DriftKind::MissingAtCarrier,
                        Repair::Left("bought too recently to judge from a listing".into()),
                    );
                }
                match provider.find_owned(&record.phone_number).await {
                    Ok(Some(_)) => drift(
                        DriftKind::MissingAtCarrier,
                        Repair::Left("left out of the listing, but the carrier holds it".into()),
                    ),
                    Ok(None) => drift(
                        DriftKind::MissingAtCarrier,
                        self.repair(record.complete_release(now), Repair::MarkedReleased)
                            .await,
                    ),
                    Err(e) => drift(DriftKind::MissingAtCarrier, Repair::Failed(e.to_string())),
                }
            }
            NumberState::Releasing => {
                if let Some(not_before) = record.release_not_before
                    && not_before > now
                {
                    return drift(
                        DriftKind::ReleasePending,
                        Repair::Left(format!(
                            "the release waits until {not_before} (a carrier cooldown, or \
                             its not-found window after the purchase)"
                        )),
                    );
                }
                let held = match listed {
                    Some(Some(carrier)) => Some(carrier.clone()),
                    _ => match provider.find_owned(&record.phone_number).await {
                        Ok(owned) => owned,
                        Err(e) => {
                            return drift(DriftKind::ReleasePending, Repair::Failed(e.to_string()));
                        }
                    },
                };
                let Some(carrier) = held else {
                    return drift(
                        DriftKind::ReleasePending,
                        self.repair(record.complete_release(now), Repair::MarkedReleased)
                            .await,
                    );
                };
                let mut record = record;
                if record.carrier_id.is_none() {
                    record.carrier_id = Some(carrier.carrier_id.clone());
                }
                let repair = match self
                    .release_at_carrier(provider, record, NumberState::Releasing)
                    .await
                {
                    Ok(done) if done.state == NumberState::Released => Repair::Released,
                    Ok(pending) => Repair::Left(match pending.release_not_before {
                        Some(t) => format!("the release waits until {t}"),
                        None => "the carrier refused for now".into(),
                    }),
                    Err(e) => Repair::Failed(e.to_string()),
                };
                drift(DriftKind::ReleasePending, repair)
            }
            NumberState::Pending => self.settle_pending(provider, record).await,
            NumberState::Released | NumberState::Failed => None,
        }
    }

    /// Writes a repair decided on `record` as it was read, only if nobody
    /// wrote the record since: a request that moved it on meanwhile knows
    /// better than this pass.
    async fn repair(&self, next: Result<ProvisionedNumber>, done: Repair) -> Repair {
        let next = match next {
            Ok(next) => next,
            Err(e) => return Repair::Failed(e.to_string()),
        };
        match self.repository.update(&next).await {
            Ok(_) => done,
            Err(Error::Stale { .. }) => {
                Repair::Left("changed while reconciling; left for the next pass".into())
            }
            Err(e) => Repair::Failed(e.to_string()),
        }
    }
}
