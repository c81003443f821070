//! Changing a number's name, agent or webhooks: at the carrier first, then
//! in the record, and when another change was recorded meanwhile, recording
//! what the carrier holds so the change it applied last is the one kept.

use super::MAX_STALE_RETRIES;
use uuid::Uuid;

use crate::{
    AccountId, CarrierUpdate, Error, NumberState, NumberUpdate, ProvisionedNumber,
    ProvisioningService, Result, TelephonyProvider,
};

impl ProvisioningService {
    /// Renames, reassigns or re-routes one of the account's numbers. Name and
    /// routing change at the carrier first; nothing is recorded if it refuses.
    /// The change is recorded only while the number is still active: a
    /// release asked for meanwhile is never undone. When another change of
    /// the number was recorded while this one was at the carrier, what the
    /// carrier holds then is recorded (and returned), so that of two
    /// overlapping renames the record keeps the one the carrier applied last.
    pub async fn update(
        &self,
        account: &AccountId,
        id: Uuid,
        update: &NumberUpdate,
    ) -> Result<ProvisionedNumber> {
        update.validate()?;
        let record = self.get(account, id).await?;
        if record.state != NumberState::Active {
            return Err(Error::Conflict {
                reason: format!("phone number {id} is {}, not active", record.state.as_str()),
            });
        }
        if !update.touches_carrier() {
            // The change lives only in the record: the last write wins.
            let now = self.clock.now();
            return self
                .write_with(&record, |current| {
                    current.apply_update(update, None, now).map(Some)
                })
                .await;
        }
        let provider = self.providers.require(&record.provider)?;
        let carrier_id = record.carrier_id.clone().ok_or_else(|| Error::Conflict {
            reason: format!("phone number {id} has no carrier id yet"),
        })?;
        let answer = provider
            .update(
                &carrier_id,
                &CarrierUpdate {
                    friendly_name: update.friendly_name.clone(),
                    routing: update.routing.clone(),
                },
            )
            .await?;
        let now = self.clock.now();
        // Written from the copy read before the carrier call: it succeeds
        // only if nothing was recorded meanwhile, and then any change that
        // reaches the carrier after ours is recorded after ours too.
        match self
            .repository
            .update(&record.apply_update(update, Some(&answer), now)?)
            .await
        {
            Err(Error::Stale { .. }) => {}
            done => return done,
        }
        self.record_as_held(provider.as_ref(), id, update, now)
            .await
    }

    /// Records what the carrier holds for a number whose record moved on
    /// while a change of ours was at the carrier: another change may have
    /// reached the carrier after ours and been recorded first, and writing
    /// our answer would undo it. Each attempt reads the record, then asks
    /// the carrier, and writes only if the record did not move again in
    /// between, so the change the carrier applied last is the one recorded.
    /// If the carrier cannot be asked, nothing is written and the error is
    /// returned: the change reached the carrier, and repeating it records it.
    async fn record_as_held(
        &self,
        provider: &dyn TelephonyProvider,
        id: Uuid,
        update: &NumberUpdate,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<ProvisionedNumber> {
        for _ in 0..MAX_STALE_RETRIES {
            let current = self
                .repository
                .get(id)
                .await?
                .ok_or_else(|| Error::not_found(format!("phone number {id}")))?;
            if current.state != NumberState::Active {
                return Err(Error::Conflict {
                    reason: format!(
                        "phone number {id} is {}, not active",
                        current.state.as_str()
                    ),
                });
            }
            let held = provider
                .find_owned(&current.phone_number)
                .await?
                .filter(|held| Some(&held.carrier_id) == current.carrier_id.as_ref())
                .ok_or_else(|| {
                    Error::not_found(format!(
                        "phone number {} at {}",
                        current.phone_number,
                        provider.name()
                    ))
                })?;
            let as_held = NumberUpdate {
                friendly_name: held
                    .friendly_name
                    .clone()
                    .or_else(|| update.friendly_name.clone()),
                agent_id: update.agent_id,
                routing: None,
            };
            match self
                .repository
                .update(&current.apply_update(&as_held, Some(&held), now)?)
                .await
            {
                Err(Error::Stale { .. }) => continue,
                done => return done,
            }
        }
        Err(Error::Stale {
            what: format!("phone number {id}"),
        })
    }
}
