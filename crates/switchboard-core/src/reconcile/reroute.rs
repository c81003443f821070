//! Webhooks that differ between a record and its carrier: confirmed by
//! asking the carrier, and (when asked to) sent again until the carrier
//! holds the record's routing. Separate from settling because the record is
//! not changed here, only the carrier, and it must keep up with requests
//! that re-route the number meanwhile.

use super::{Drift, DriftKind, ReconcileOptions, Repair};
use crate::{CarrierUpdate, NumberState, PhoneNumber, ProvisioningService, TelephonyProvider};

/// How many times one pass sends a number's routing when requests keep
/// re-routing it meanwhile.
const MAX_REROUTES: usize = 3;

impl ProvisioningService {
    /// An active number whose listing showed other webhooks than its
    /// record. Confirmed by asking the carrier about the number, and
    /// repaired (when asked to) by sending the record's routing. The record
    /// is the truth: if it changed while the carrier was being updated (a
    /// request re-routed the number meanwhile), the routing it holds then
    /// is sent again, so a pass never leaves the carrier on an older
    /// routing than the record's.
    pub(super) async fn reroute(
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
}
