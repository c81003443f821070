//! Settling open carrier orders: each `Pending` record's order is asked
//! about once and the answer written (see the service's `orders` module for
//! the one question everyone asks). `reconcile` does this for every pending
//! record it meets; [`ProvisioningService::settle_orders`] does only this,
//! cheaply enough to run every few seconds beside requests.

use super::{Drift, DriftKind, ReconcileReport, Repair};
use crate::service::Asked;
use crate::{
    NumberFilter, NumberState, ProvisionedNumber, ProvisioningService, Result, TelephonyProvider,
};

impl ProvisioningService {
    /// Asks the carriers about every open order (every `Pending` record)
    /// once, and records what they say: completed orders become active
    /// numbers, failed ones free their number and key, orders waiting for
    /// regulatory information say what they wait for. Orders still being
    /// processed are left as they are and not reported.
    ///
    /// Safe beside requests, `reconcile` and other processes' settlers:
    /// every write is a compare-and-swap from a `Pending` record, so
    /// whoever asks first settles an order and the rest find it settled.
    /// `serve` runs it periodically; the report lists what changed or
    /// needs someone's attention.
    pub async fn settle_orders(&self) -> Result<ReconcileReport> {
        self.options.validate()?;
        let mut report = ReconcileReport::default();
        let pending = self
            .all_records(
                NumberFilter::default().in_states(&[NumberState::Pending]),
                &mut report,
            )
            .await;
        report.records_checked = pending.len();
        for record in pending {
            let Some(provider) = self.providers.get(&record.provider).cloned() else {
                report.drift.push(Drift {
                    provider: record.provider.clone(),
                    phone_number: record.phone_number.clone(),
                    kind: DriftKind::ProviderNotConfigured,
                    repair: Repair::Left(format!(
                        "provider {:?} is not configured",
                        record.provider
                    )),
                });
                continue;
            };
            if let Some(drift) = self.settle_pending(provider.as_ref(), record).await {
                report.drift.push(drift);
            }
        }
        Ok(report)
    }

    /// Asks about one pending record's order and reports what was done:
    /// `None` for an order still being processed (nothing to report).
    pub(super) async fn settle_pending(
        &self,
        provider: &dyn TelephonyProvider,
        record: ProvisionedNumber,
    ) -> Option<Drift> {
        let order = record
            .order
            .as_ref()
            .map(|o| o.id.clone())
            .unwrap_or_default();
        let drift = |kind, repair| {
            Some(Drift {
                provider: provider.name().to_string(),
                phone_number: record.phone_number.clone(),
                kind,
                repair,
            })
        };
        match self.ask_about_order(provider, &record).await {
            Ok((_, Asked::Open { missing })) if missing.is_empty() => None,
            Ok((_, Asked::Open { missing })) => drift(
                DriftKind::OrderAwaitsRequirements,
                Repair::Left(format!(
                    "order {order} waits for the account owner to provide: {}",
                    missing.join("; ")
                )),
            ),
            Ok((_, Asked::Completed)) => drift(DriftKind::OrderCompleted, Repair::MarkedActive),
            // The reason is the carrier's; the record says the order failed.
            Ok((_, Asked::Failed { .. })) => drift(DriftKind::OrderFailed, Repair::MarkedFailed),
            Ok((_, Asked::Unknown)) => drift(
                DriftKind::OrderUnknown,
                Repair::Left(format!(
                    "the carrier knows no order {order} and does not hold the number; the \
                     number stays held until the carrier settles it or someone looks into it"
                )),
            ),
            Ok((_, Asked::Moved)) => None,
            Err(error) => drift(DriftKind::OrderUnsettled, Repair::Failed(error.to_string())),
        }
    }
}
