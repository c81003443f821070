//! Reconciliation: compare what the repository says with what each carrier
//! says, report the drift, and repair what can be repaired safely.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::{
    AccountId, CarrierNumber, CarrierUpdate, Error, NumberFilter, NumberState, PhoneNumber,
    ProvisionedNumber, ProvisioningService, Result, TelephonyProvider,
};

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
        self.drift
            .iter()
            .filter(|d| !matches!(d.repair, Repair::Left(_) | Repair::Failed(_)))
            .count()
    }
}

/// The account that holds an orphan while `reconcile` releases it, so that
/// no provision can reserve the number in between. Not a valid name for a
/// user's account to collide with by accident: it starts with `_`.
const RECONCILE_ACCOUNT: &str = "_reconcile";

/// How many times one pass sends a number's routing when requests keep
/// re-routing it meanwhile.
const MAX_REROUTES: usize = 3;

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

    /// Settles one live record against what its carrier says about it.
    async fn settle(
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
            NumberState::Released | NumberState::Failed => None,
        }
    }

    /// An active number whose listing showed other webhooks than its
    /// record. Confirmed by asking the carrier about the number, and
    /// repaired (when asked to) by sending the record's routing. The record
    /// is the truth: if it changed while the carrier was being updated (a
    /// request re-routed the number meanwhile), the routing it holds then
    /// is sent again, so a pass never leaves the carrier on an older
    /// routing than the record's.
    async fn reroute(
        &self,
        provider: &dyn TelephonyProvider,
        id: uuid::Uuid,
        phone_number: PhoneNumber,
        options: &ReconcileOptions,
    ) -> Option<Drift> {
        let drift = |repair| {
            Some(Drift {
                provider: provider.name().to_string(),
                phone_number: phone_number.clone(),
                kind: DriftKind::RoutingDiffers,
                repair,
            })
        };
        let mut sent = false;
        for _ in 0..MAX_REROUTES {
            let record = match self.repository.get(id).await {
                Ok(Some(record)) if record.state == NumberState::Active => record,
                // Released or gone meanwhile: nothing to point anywhere.
                Ok(_) => return None,
                Err(e) => return drift(Repair::Failed(e.to_string())),
            };
            let carrier_id = record.carrier_id.clone()?;
            match provider.find_owned(&record.phone_number).await {
                Ok(Some(held)) if held.carrier_id == carrier_id => {
                    if !record.routing.differs_from(&held.routing) {
                        // The listing was older than the number's routing,
                        // or the previous round's change reached it.
                        return if sent { drift(Repair::Rerouted) } else { None };
                    }
                }
                // Whether the carrier holds it is settle's question.
                Ok(_) => return None,
                Err(e) => return drift(Repair::Failed(e.to_string())),
            }
            if !options.repair_routing {
                return drift(Repair::Left("repair_routing is off".into()));
            }
            let change = CarrierUpdate {
                friendly_name: None,
                routing: Some(record.routing.clone()),
            };
            if let Err(e) = provider.update(&carrier_id, &change).await {
                return drift(Repair::Failed(e.to_string()));
            }
            sent = true;
            match self.repository.get(id).await {
                Ok(Some(after))
                    if after.routing != record.routing && after.state == NumberState::Active =>
                {
                    continue;
                }
                Ok(_) => return drift(Repair::Rerouted),
                Err(e) => return drift(Repair::Failed(e.to_string())),
            }
        }
        drift(Repair::Left(
            "re-routed again and again while reconciling; left for the next pass".into(),
        ))
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

    /// A number the carrier holds and no record does. Released only when
    /// asked to, after the carrier confirmed it still holds that number
    /// under that id, and while a record of ours holds the number, so that
    /// no provision can reserve it during the release.
    async fn orphan(
        &self,
        provider: &dyn TelephonyProvider,
        carrier: &CarrierNumber,
        options: &ReconcileOptions,
    ) -> Option<Drift> {
        let drift = |repair| {
            Some(Drift {
                provider: provider.name().to_string(),
                phone_number: carrier.phone_number.clone(),
                kind: DriftKind::OrphanAtCarrier,
                repair,
            })
        };
        // A record may have appeared since the listing (a provision in flight).
        match self
            .repository
            .find_by_phone_number(&carrier.phone_number)
            .await
        {
            Ok(Some(_)) => return None,
            Ok(None) => {}
            Err(e) => return drift(Repair::Failed(e.to_string())),
        }
        if !options.release_orphans {
            return drift(Repair::Left(
                "no record holds it; release_orphans is off".into(),
            ));
        }
        match provider.find_owned(&carrier.phone_number).await {
            Ok(Some(owned)) if owned.carrier_id == carrier.carrier_id => {}
            Ok(_) => return drift(Repair::Left("the carrier no longer holds it".into())),
            Err(e) => return drift(Repair::Failed(e.to_string())),
        }
        let now = self.clock.now();
        let account = AccountId::parse(RECONCILE_ACCOUNT).expect("a valid account name");
        let request = crate::ProvisionRequest::new(carrier.phone_number.clone());
        let reservation = ProvisionedNumber::reserve(
            &request,
            crate::Reservation {
                id: self.ids.next_id(),
                account: &account,
                provider: provider.name(),
                now,
                lease_until: now,
            },
        );
        // Recorded as a release in progress, in one insert: taking the
        // number's slot is the check that no request holds it, and from then
        // on no other pass can mistake the record for a live purchase.
        let adopted = match reservation
            .settle_active(carrier, now)
            .and_then(|active| active.begin_release(now))
        {
            Ok(releasing) => releasing,
            Err(e) => return drift(Repair::Failed(e.to_string())),
        };
        if let Err(e) = self.repository.insert(&adopted).await {
            return match e {
                Error::AlreadyProvisioned { .. } => None,
                e => drift(Repair::Failed(e.to_string())),
            };
        }
        // From here on it is a pending release like any other: if the
        // carrier refuses now, the next pass tries again.
        drift(
            match self
                .release_at_carrier(provider, adopted, NumberState::Releasing)
                .await
            {
                Ok(done) if done.state == NumberState::Released => Repair::Released,
                Ok(_) => Repair::Left("the carrier refused for now; the release is pending".into()),
                Err(e) => Repair::Failed(e.to_string()),
            },
        )
    }

    /// Every record matching `filter`; a page that cannot be read is
    /// reported and ends the listing with what was read so far.
    async fn all_records(
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
