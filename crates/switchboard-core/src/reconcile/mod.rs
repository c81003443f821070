//! Reconciliation: compare what the repository says with what each carrier
//! says, report the drift, and repair what can be repaired safely.
//!
//! The pass itself is here: read every live record and every carrier's
//! listing, and hand each record, each routing difference and each orphan
//! to the module that judges it: [`settle`] (records against the carrier),
//! [`reroute`] (webhooks that differ), [`orphan`] (numbers no record holds).
//! Open carrier orders are settled in [`orders`], by reconcile and by the
//! lighter pass [`ProvisioningService::settle_orders`]. What a pass reports
//! is in [`report`].

mod orders;
mod orphan;
mod report;
mod reroute;
mod settle;

use std::collections::{HashMap, HashSet};

use crate::{
    CarrierNumber, NumberFilter, NumberState, PhoneNumber, ProvisionedNumber, ProvisioningService,
    Result, TelephonyProvider,
};

pub use report::{Drift, DriftKind, ReconcileReport, Repair};

/// What `reconcile` may do beyond settling its own records.
#[derive(Debug, Clone, Default)]
pub struct ReconcileOptions {
    /// Release numbers the carrier says we own but no record holds. Off by
    /// default: the carrier account may hold numbers bought outside Switchboard.
    pub release_orphans: bool,
    /// Point numbers whose webhooks at the carrier differ from the record
    /// back at the record's webhooks. Off by default: a difference is
    /// reported, and someone may have changed it at the carrier on purpose.
    pub repair_routing: bool,
}

/// What the carrier's listing says about one number: `None` when the
/// listing could not be read to the end.
type Listed<'a> = Option<Option<&'a CarrierNumber>>;

impl ProvisioningService {
    /// Compares every live record with its carrier and repairs the drift:
    /// unrecorded purchases are recorded, reservations that never bought are
    /// failed, pending releases are retried. Run it after a crash, and
    /// periodically, beside requests: it repairs only what it confirmed by
    /// asking the carrier about the one number, writes only from the
    /// version it read (so a request that moved a record on wins), and
    /// leaves work in flight alone (a reservation whose lease is live, a
    /// number bought within the grace).
    pub async fn reconcile(&self, options: &ReconcileOptions) -> Result<ReconcileReport> {
        self.options.validate()?;
        let mut report = ReconcileReport::default();
        let live = self
            .all_records(
                NumberFilter::default().in_states(&NumberState::LIVE),
                &mut report,
            )
            .await;
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
            let owned = match owned_numbers(provider.as_ref()).await {
                Ok(owned) => Some(owned),
                Err(error) => {
                    report.errors.push(format!(
                        "{name}: could not list the numbers it holds ({error}); no number \
                         was judged missing or orphaned there"
                    ));
                    None
                }
            };
            if let Some(owned) = &owned {
                report.carrier_numbers += owned.len();
            }
            let records = by_provider.remove(name).unwrap_or_default();
            let mut held: HashSet<PhoneNumber> = HashSet::new();
            for record in records {
                held.insert(record.phone_number.clone());
                let listed = owned.as_ref().map(|owned| owned.get(&record.phone_number));
                let routing_drift = match listed {
                    Some(Some(carrier))
                        if record.state == NumberState::Active
                            && record.routing.differs_from(&carrier.routing) =>
                    {
                        Some((record.id, record.phone_number.clone()))
                    }
                    _ => None,
                };
                if let Some(drift) = self.settle(provider.as_ref(), record, listed).await {
                    report.drift.push(drift);
                }
                if let Some((id, number)) = routing_drift
                    && let Some(drift) = self.reroute(provider.as_ref(), id, number, options).await
                {
                    report.drift.push(drift);
                }
            }
            let Some(owned) = owned else { continue };
            for (number, carrier) in &owned {
                if held.contains(number) {
                    continue;
                }
                if let Some(drift) = self.orphan(provider.as_ref(), carrier, options).await {
                    report.drift.push(drift);
                }
            }
        }
        Ok(report)
    }

    /// Every record matching `filter`; a page that cannot be read is
    /// reported and ends the listing with what was read so far.
    pub(super) async fn all_records(
        &self,
        filter: NumberFilter,
        report: &mut ReconcileReport,
    ) -> Vec<ProvisionedNumber> {
        let repository = &self.repository;
        let filter = &filter;
        let mut records = Vec::new();
        let outcome = crate::page::walk_pages(
            |page| async move { repository.list(filter, &page).await },
            |batch| records.extend(batch),
        )
        .await;
        if let Err(error) = outcome {
            report.errors.push(format!(
                "records: could not read past {} of them ({error}); the rest wait for the \
                 next pass",
                records.len()
            ));
        }
        records
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
