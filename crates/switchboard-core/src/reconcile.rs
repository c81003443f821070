//! Reconciliation: compare what the repository says with what each carrier
//! says, report the drift, and repair what can be repaired safely.

use std::collections::HashMap;

use serde::Serialize;

use crate::{
    CarrierNumber, Error, NumberFilter, NumberState, PhoneNumber, ProvisionedNumber,
    ProvisioningService, Result, TelephonyProvider,
};

/// What `reconcile` may do beyond settling its own records.
#[derive(Debug, Clone, Default)]
pub struct ReconcileOptions {
    /// Release numbers the carrier says we own but no record holds. Off by
    /// default: the carrier account may hold numbers bought outside Switchboard.
    pub release_orphans: bool,
}

/// One disagreement between the repository and a carrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// The carrier.
    pub provider: String,
    /// The number.
    pub phone_number: PhoneNumber,
    /// What disagreed.
    pub kind: DriftKind,
    /// What was done about it.
    pub repair: Repair,
}

/// The kinds of disagreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// A reservation whose purchase outcome was never recorded, and the
    /// carrier has the number: the purchase happened.
    PurchaseUnrecorded,
    /// A reservation whose purchase never happened.
    PurchaseNeverHappened,
    /// A release asked for but not yet confirmed by the carrier.
    ReleasePending,
    /// An active record of a number the carrier no longer has.
    MissingAtCarrier,
    /// The carrier has a number no record holds.
    OrphanAtCarrier,
    /// Records of a carrier that is not configured here.
    ProviderNotConfigured,
}

/// What reconcile did about a drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "detail")]
pub enum Repair {
    /// Recorded the number as active.
    MarkedActive,
    /// Recorded the reservation as failed.
    MarkedFailed,
    /// Released at the carrier and recorded it.
    Released,
    /// Recorded as released (the carrier had already let it go).
    MarkedReleased,
    /// Left as it is, with the reason.
    Left(String),
    /// The repair failed; it will be tried again next time.
    Failed(String),
}

/// Everything one `reconcile` pass found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// Records checked.
    pub records_checked: usize,
    /// Numbers the carriers reported.
    pub carrier_numbers: usize,
    /// Each disagreement found.
    pub drift: Vec<Drift>,
}

impl ReconcileReport {
    /// How many drifts were repaired.
    pub fn repaired(&self) -> usize {
        self.drift
            .iter()
            .filter(|d| !matches!(d.repair, Repair::Left(_) | Repair::Failed(_)))
            .count()
    }
}

impl ProvisioningService {
    /// Compares every live record with its carrier and repairs the drift:
    /// unrecorded purchases are recorded, reservations that never bought are
    /// failed, pending releases are retried. Run it after a crash, and
    /// periodically.
    pub async fn reconcile(&self, options: &ReconcileOptions) -> Result<ReconcileReport> {
        let mut report = ReconcileReport::default();
        let live = self
            .all_records(NumberFilter::default().in_states(&NumberState::LIVE))
            .await?;
        report.records_checked = live.len();
        let mut by_provider: HashMap<String, Vec<ProvisionedNumber>> = HashMap::new();
        for record in live {
            by_provider
                .entry(record.provider.clone())
                .or_default()
                .push(record);
        }
        for (name, records) in &by_provider {
            if self.providers.get(name).is_none() {
                for record in records {
                    report.drift.push(Drift {
                        provider: name.clone(),
                        phone_number: record.phone_number.clone(),
                        kind: DriftKind::ProviderNotConfigured,
                        repair: Repair::Left(format!("provider {name:?} is not configured")),
                    });
                }
            }
        }
        for (name, provider) in self.providers.iter() {
            let owned = owned_numbers(provider.as_ref()).await?;
            report.carrier_numbers += owned.len();
            let records = by_provider.remove(name).unwrap_or_default();
            let mut held: std::collections::HashSet<PhoneNumber> = Default::default();
            for mut record in records {
                held.insert(record.phone_number.clone());
                let at_carrier = owned.get(&record.phone_number);
                if let Some(drift) = self
                    .settle(provider.as_ref(), &mut record, at_carrier)
                    .await
                {
                    report.drift.push(drift);
                }
            }
            for (number, carrier) in &owned {
                if held.contains(number) {
                    continue;
                }
                // A record may have appeared since the listing (a provision in flight).
                if self
                    .repository
                    .find_by_phone_number(number)
                    .await?
                    .is_some()
                {
                    continue;
                }
                let repair = if options.release_orphans {
                    match provider.release(&carrier.carrier_id).await {
                        Ok(()) | Err(Error::NotFound { .. }) => Repair::Released,
                        Err(e) => Repair::Failed(e.to_string()),
                    }
                } else {
                    Repair::Left("no record holds it; release_orphans is off".into())
                };
                report.drift.push(Drift {
                    provider: name.to_string(),
                    phone_number: number.clone(),
                    kind: DriftKind::OrphanAtCarrier,
                    repair,
                });
            }
        }
        Ok(report)
    }

    async fn settle(
        &self,
        provider: &dyn TelephonyProvider,
        record: &mut ProvisionedNumber,
        at_carrier: Option<&CarrierNumber>,
    ) -> Option<Drift> {
        let now = self.clock.now();
        let phone_number = record.phone_number.clone();
        let drift = |kind, repair| {
            Some(Drift {
                provider: provider.name().to_string(),
                phone_number: phone_number.clone(),
                kind,
                repair,
            })
        };
        match (record.state, at_carrier) {
            (NumberState::Reserved, _)
                if (now - record.updated_at).to_std().unwrap_or_default()
                    < self.options.reservation_grace =>
            {
                None
            }
            (NumberState::Reserved, Some(carrier)) => {
                record.state = NumberState::Active;
                record.carrier_id = Some(carrier.carrier_id.clone());
                record.capabilities = carrier.capabilities;
                record.updated_at = now;
                let repair = match self.repository.update(record).await {
                    Ok(()) => Repair::MarkedActive,
                    Err(e) => Repair::Failed(e.to_string()),
                };
                drift(DriftKind::PurchaseUnrecorded, repair)
            }
            (NumberState::Reserved, None) => {
                record.state = NumberState::Failed;
                record.idempotency_key = None;
                record.updated_at = now;
                let repair = match self.repository.update(record).await {
                    Ok(()) => Repair::MarkedFailed,
                    Err(e) => Repair::Failed(e.to_string()),
                };
                drift(DriftKind::PurchaseNeverHappened, repair)
            }
            (NumberState::Active, Some(_)) => None,
            (NumberState::Active, None) => {
                let repair = match self.repository.mark_released(record.id, now).await {
                    Ok(()) => Repair::MarkedReleased,
                    Err(e) => Repair::Failed(e.to_string()),
                };
                drift(DriftKind::MissingAtCarrier, repair)
            }
            (NumberState::Releasing, None) => {
                let repair = match self.repository.mark_released(record.id, now).await {
                    Ok(()) => Repair::MarkedReleased,
                    Err(e) => Repair::Failed(e.to_string()),
                };
                drift(DriftKind::ReleasePending, repair)
            }
            (NumberState::Releasing, Some(carrier)) => {
                if let Some(not_before) = record.release_not_before
                    && not_before > now
                {
                    return drift(
                        DriftKind::ReleasePending,
                        Repair::Left(format!("the carrier refuses until {not_before}")),
                    );
                }
                if record.carrier_id.is_none() {
                    record.carrier_id = Some(carrier.carrier_id.clone());
                }
                let repair = match self
                    .release_at_carrier(provider, record, NumberState::Releasing)
                    .await
                {
                    Ok(()) if record.state == NumberState::Released => Repair::Released,
                    Ok(()) => Repair::Left(match record.release_not_before {
                        Some(t) => format!("the carrier refuses until {t}"),
                        None => "the carrier refused for now".into(),
                    }),
                    Err(e) => Repair::Failed(e.to_string()),
                };
                drift(DriftKind::ReleasePending, repair)
            }
            (NumberState::Released | NumberState::Failed, _) => None,
        }
    }

    async fn all_records(&self, filter: NumberFilter) -> Result<Vec<ProvisionedNumber>> {
        let repository = &self.repository;
        let filter = &filter;
        crate::collect_pages(|page| async move { repository.list(filter, &page).await }).await
    }
}

async fn owned_numbers(
    provider: &dyn TelephonyProvider,
) -> Result<HashMap<PhoneNumber, CarrierNumber>> {
    let owned =
        crate::collect_pages(|page| async move { provider.list_owned(&page).await }).await?;
    Ok(owned
        .into_iter()
        .map(|number| (number.phone_number.clone(), number))
        .collect())
}
