//! What a reconcile pass found and did: each drift, its kind and its repair,
//! and the totals. The public vocabulary of reconciliation, apart from the
//! pass so the HTTP API and CLI that show it depend on these types only.

use serde::Serialize;

use crate::PhoneNumber;

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
    /// A reservation whose request is gone, and the carrier could not be
    /// asked whether the purchase happened.
    PurchaseUnsettled,
    /// A release asked for but not yet confirmed by the carrier.
    ReleasePending,
    /// An active record of a number the carrier no longer has.
    MissingAtCarrier,
    /// The carrier has a number no record holds.
    OrphanAtCarrier,
    /// An active number whose webhooks at the carrier are not the ones its
    /// record gives, so its calls may not reach its agent.
    RoutingDiffers,
    /// Records of a carrier that is not configured here.
    ProviderNotConfigured,
    /// A carrier order completed that no request had recorded yet.
    OrderCompleted,
    /// A carrier order failed: the number was not bought.
    OrderFailed,
    /// A carrier order waits for regulatory information from the account
    /// owner; it will not complete without it.
    OrderAwaitsRequirements,
    /// The carrier knows no such order and does not hold the number; the
    /// record keeps the number held, since nothing proves the order will
    /// not still complete.
    OrderUnknown,
    /// The carrier could not be asked about an open order.
    OrderUnsettled,
}

impl DriftKind {
    /// The snake_case name the JSON report uses, for metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::PurchaseUnrecorded => "purchase_unrecorded",
            DriftKind::PurchaseNeverHappened => "purchase_never_happened",
            DriftKind::PurchaseUnsettled => "purchase_unsettled",
            DriftKind::ReleasePending => "release_pending",
            DriftKind::MissingAtCarrier => "missing_at_carrier",
            DriftKind::OrphanAtCarrier => "orphan_at_carrier",
            DriftKind::RoutingDiffers => "routing_differs",
            DriftKind::ProviderNotConfigured => "provider_not_configured",
            DriftKind::OrderCompleted => "order_completed",
            DriftKind::OrderFailed => "order_failed",
            DriftKind::OrderAwaitsRequirements => "order_awaits_requirements",
            DriftKind::OrderUnknown => "order_unknown",
            DriftKind::OrderUnsettled => "order_unsettled",
        }
    }
}

impl Repair {
    /// Whether the drift was set right (not left, not failed).
    pub fn is_repaired(&self) -> bool {
        !matches!(self, Repair::Left(_) | Repair::Failed(_))
    }
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
    /// Set the record's webhooks at the carrier.
    Rerouted,
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
    /// What could not be read (a carrier's listing, a page of records):
    /// the pass went on without it, and repaired nothing that depended on
    /// it.
    pub errors: Vec<String>,
}

impl ReconcileReport {
    /// How many drifts were repaired.
    pub fn repaired(&self) -> usize {
        self.drift.iter().filter(|d| d.repair.is_repaired()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_of_each_kind_is_its_json_name() {
        let kinds = [
            DriftKind::PurchaseUnrecorded,
            DriftKind::PurchaseNeverHappened,
            DriftKind::PurchaseUnsettled,
            DriftKind::ReleasePending,
            DriftKind::MissingAtCarrier,
            DriftKind::OrphanAtCarrier,
            DriftKind::RoutingDiffers,
            DriftKind::ProviderNotConfigured,
            DriftKind::OrderCompleted,
            DriftKind::OrderFailed,
            DriftKind::OrderAwaitsRequirements,
            DriftKind::OrderUnknown,
            DriftKind::OrderUnsettled,
        ];
        for kind in kinds {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json.as_str(), Some(kind.as_str()));
        }
    }
}
