//! Every state change a number record can go through, in one place.
//!
//! Each transition is a method that takes the record as it was read and
//! returns the record to write, or refuses when the record is not in a
//! state the change applies to. The service, bulk provisioning and
//! reconcile all go through these methods and then write the result with
//! [`NumberRepository::update`](crate::NumberRepository::update), which
//! stores it only if nobody wrote the record since it was read. So a
//! decision taken on a stale read can never overwrite a newer one: the
//! writer gets [`Error::Stale`], reads again and decides again.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    AccountId, CarrierNumber, CarrierOrder, Error, NumberState, PendingOrder, ProvisionRequest,
    ProvisionedNumber, Result,
};

/// What a new reservation needs besides the request.
#[derive(Debug, Clone)]
pub struct Reservation<'a> {
    /// Our id for the record.
    pub id: Uuid,
    /// The owning account.
    pub account: &'a AccountId,
    /// The carrier it will be bought from.
    pub provider: &'a str,
    /// When it is made.
    pub now: DateTime<Utc>,
    /// Until when the request vouches for it (see
    /// [`ProvisionedNumber::lease_until`]).
    pub lease_until: DateTime<Utc>,
}

impl ProvisionedNumber {
    /// A reservation of `request`'s number: recorded before the carrier is
    /// asked to sell it, so that two requests can never both buy it.
    pub fn reserve(request: &ProvisionRequest, reservation: Reservation<'_>) -> Self {
        Self {
            id: reservation.id,
            account: reservation.account.clone(),
            phone_number: request.phone_number.clone(),
            friendly_name: request
                .friendly_name
                .clone()
                .unwrap_or_else(|| request.phone_number.to_string()),
            agent_id: request.agent_id,
            capabilities: Default::default(),
            provider: reservation.provider.to_string(),
            carrier_id: None,
            routing: request.routing.clone(),
            state: NumberState::Reserved,
            idempotency_key: request.idempotency_key.clone(),
            created_at: reservation.now,
            updated_at: reservation.now,
            released_at: None,
            release_not_before: None,
            version: 1,
            lease_until: Some(reservation.lease_until),
            purchased_at: None,
            request_fingerprint: request
                .idempotency_key
                .as_ref()
                .map(|_| request.fingerprint()),
            order: None,
        }
    }

    /// Whether a reservation's request may still be working on it at `now`:
    /// its lease has not lapsed. Records without a lease (written before
    /// leases existed) are judged by the last change plus `fallback`.
    pub fn lease_is_live(&self, now: DateTime<Utc>, fallback: std::time::Duration) -> bool {
        match self.lease_until {
            Some(until) => until > now,
            None => (now - self.updated_at).to_std().unwrap_or_default() < fallback,
        }
    }

    /// Extends a reservation's lease to `until`.
    pub fn renew_lease(&self, until: DateTime<Utc>, now: DateTime<Utc>) -> Result<Self> {
        self.expect(&[NumberState::Reserved], "renew its reservation")?;
        let mut next = self.clone();
        next.lease_until = Some(until);
        next.updated_at = now;
        Ok(next)
    }

    /// The purchase went through: the number is ours and in service, as the
    /// carrier reports it (its id, capabilities and the routing it actually
    /// holds, which may not be what was asked for). Refused when the
    /// carrier's answer names another number: that answer proves nothing
    /// about ours.
    ///
    /// A `Pending` record settles the same way when its order completes;
    /// the order stays on the record (with nothing missing) as its history.
    pub fn settle_active(&self, bought: &CarrierNumber, now: DateTime<Utc>) -> Result<Self> {
        self.expect(
            &[NumberState::Reserved, NumberState::Pending],
            "record its purchase",
        )?;
        if bought.phone_number != self.phone_number {
            return Err(Error::Inconsistent {
                source_name: self.provider.clone(),
                message: format!(
                    "the purchase of {} was answered with {} (carrier id {})",
                    self.phone_number, bought.phone_number, bought.carrier_id
                ),
            });
        }
        let mut next = self.clone();
        next.state = NumberState::Active;
        next.carrier_id = Some(bought.carrier_id.clone());
        next.capabilities = bought.capabilities;
        next.routing = bought.routing.clone();
        next.lease_until = None;
        next.purchased_at = Some(now);
        next.updated_at = now;
        if let Some(order) = &mut next.order {
            order.missing.clear();
        }
        Ok(next)
    }

    /// The carrier accepted the purchase as an order it completes later:
    /// the number stays held (`Pending`) under the order, with no lease,
    /// since what vouches for it now is the carrier's open order, not the
    /// request, and nothing may take it while that is open. Refused when
    /// the order is for another number, as for a purchase answer.
    pub fn await_order(&self, order: &PendingOrder, now: DateTime<Utc>) -> Result<Self> {
        self.expect(&[NumberState::Reserved], "record its order")?;
        if order.phone_number != self.phone_number {
            return Err(Error::Inconsistent {
                source_name: self.provider.clone(),
                message: format!(
                    "the purchase of {} was answered with an order for {} (order {})",
                    self.phone_number, order.phone_number, order.order_id
                ),
            });
        }
        let mut next = self.clone();
        next.state = NumberState::Pending;
        next.order = Some(CarrierOrder {
            id: order.order_id.clone(),
            missing: Vec::new(),
        });
        next.lease_until = None;
        next.updated_at = now;
        Ok(next)
    }

    /// The carrier says the order waits for `missing` (regulatory
    /// information it will not complete without). Still pending; `None`
    /// when the record already says exactly that, so that asking again
    /// writes nothing.
    pub fn await_requirements(
        &self,
        missing: &[String],
        now: DateTime<Utc>,
    ) -> Result<Option<Self>> {
        self.expect(&[NumberState::Pending], "record what its order waits for")?;
        let current = self.order.as_ref().map(|o| o.missing.as_slice());
        if current == Some(missing) {
            return Ok(None);
        }
        let mut next = self.clone();
        let order = next.order.get_or_insert_with(CarrierOrder::default);
        order.missing = missing.to_vec();
        next.updated_at = now;
        Ok(Some(next))
    }

    /// The carrier gave up on the order: nothing was bought, and the number
    /// and the idempotency key are free again, as for an abandoned
    /// reservation. The order stays on the record as its history.
    pub fn fail_order(&self, now: DateTime<Utc>) -> Result<Self> {
        self.expect(&[NumberState::Pending], "record its order as failed")?;
        Ok(self.not_bought(now))
    }

    /// The record of a purchase that did not happen, however it ended:
    /// failed, holding neither the number nor the idempotency key.
    fn not_bought(&self, now: DateTime<Utc>) -> Self {
        let mut next = self.clone();
        next.state = NumberState::Failed;
        next.idempotency_key = None;
        next.request_fingerprint = None;
        next.lease_until = None;
        next.updated_at = now;
        next
    }

    /// The purchase did not happen: the number and the idempotency key are
    /// free again (a retry with the same key may try again).
    pub fn abandon(&self, now: DateTime<Utc>) -> Result<Self> {
        self.expect(&[NumberState::Reserved], "abandon its reservation")?;
        Ok(self.not_bought(now))
    }

    /// A change the owner asked for, already accepted by the carrier when it
    /// touched name or routing (`carrier` is the carrier's answer then, and
    /// its routing is what gets recorded).
    pub fn apply_update(
        &self,
        update: &crate::NumberUpdate,
        carrier: Option<&CarrierNumber>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        self.expect(&[NumberState::Active], "change it")?;
        let mut next = self.clone();
        if let Some(name) = &update.friendly_name {
            next.friendly_name = name.clone();
        }
        if let Some(agent) = update.agent_id {
            next.agent_id = agent;
        }
        match carrier {
            Some(answer) => next.routing = answer.routing.clone(),
            None => {
                if let Some(routing) = &update.routing {
                    next.routing.merge(routing);
                }
            }
        }
        next.updated_at = now;
        Ok(next)
    }

    /// The owner asked to give the number back; until the carrier confirms,
    /// it stays held (`Releasing`).
    pub fn begin_release(&self, now: DateTime<Utc>) -> Result<Self> {
        self.expect(&[NumberState::Active, NumberState::Releasing], "release it")?;
        let mut next = self.clone();
        next.state = NumberState::Releasing;
        next.updated_at = now;
        Ok(next)
    }

    /// The carrier refused the release for now; `not_before` is when it
    /// said to come back, if it did.
    pub fn defer_release(
        &self,
        not_before: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        self.expect(&[NumberState::Releasing], "defer its release")?;
        let mut next = self.clone();
        next.release_not_before = not_before;
        next.updated_at = now;
        Ok(next)
    }

    /// The carrier confirmed the release, or has confirmed (by being asked
    /// about this one number) that it no longer holds it.
    pub fn complete_release(&self, now: DateTime<Utc>) -> Result<Self> {
        self.expect(
            &[NumberState::Releasing, NumberState::Active],
            "mark it released",
        )?;
        let mut next = self.clone();
        next.state = NumberState::Released;
        next.released_at = Some(now);
        next.release_not_before = None;
        next.updated_at = now;
        Ok(next)
    }

    /// The carrier refused the release for good: the number stays in
    /// service.
    pub fn cancel_release(&self, now: DateTime<Utc>) -> Result<Self> {
        self.expect(&[NumberState::Releasing], "cancel its release")?;
        let mut next = self.clone();
        next.state = NumberState::Active;
        next.release_not_before = None;
        next.updated_at = now;
        Ok(next)
    }

    fn expect(&self, states: &[NumberState], action: &str) -> Result<()> {
        if states.contains(&self.state) {
            return Ok(());
        }
        Err(Error::Conflict {
            reason: format!(
                "cannot {action}: phone number {} ({}) is {}",
                self.id,
                self.phone_number,
                self.state.as_str()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Capabilities, NumberUpdate, PhoneNumber, Routing, WebhookUrl};
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn reserved() -> ProvisionedNumber {
        let account = AccountId::parse("acme").unwrap();
        let request = ProvisionRequest::new(PhoneNumber::parse("+16045551234").unwrap())
            .idempotency_key("k1");
        ProvisionedNumber::reserve(
            &request,
            Reservation {
                id: Uuid::nil(),
                account: &account,
                provider: "fake",
                now: at(0),
                lease_until: at(60),
            },
        )
    }

    fn bought(number: &str) -> CarrierNumber {
        CarrierNumber {
            carrier_id: "FK1".into(),
            phone_number: PhoneNumber::parse(number).unwrap(),
            friendly_name: None,
            capabilities: Capabilities::VOICE_SMS_MMS,
            routing: Routing {
                voice_url: Some(WebhookUrl::parse("https://carrier.example/held").unwrap()),
                ..Routing::default()
            },
        }
    }

    #[test]
    fn a_reservation_binds_its_key_to_the_request_and_holds_a_lease() {
        let r = reserved();
        assert_eq!(r.state, NumberState::Reserved);
        assert_eq!(r.version, 1);
        assert!(r.request_fingerprint.is_some());
        assert!(r.lease_is_live(at(59), Default::default()));
        assert!(!r.lease_is_live(at(60), Default::default()));
        let renewed = r.renew_lease(at(120), at(50)).unwrap();
        assert!(renewed.lease_is_live(at(100), Default::default()));
    }

    #[test]
    fn settling_records_what_the_carrier_holds() {
        let active = reserved()
            .settle_active(&bought("+16045551234"), at(5))
            .unwrap();
        assert_eq!(active.state, NumberState::Active);
        assert_eq!(active.carrier_id.as_deref(), Some("FK1"));
        assert_eq!(
            active.routing.voice_url.as_ref().map(|u| u.as_str()),
            Some("https://carrier.example/held")
        );
        assert_eq!(active.purchased_at, Some(at(5)));
        assert_eq!(active.lease_until, None);
    }

    #[test]
    fn an_answer_naming_another_number_is_not_recorded() {
        let err = reserved()
            .settle_active(&bought("+16045551235"), at(5))
            .unwrap_err();
        assert!(matches!(err, Error::Inconsistent { .. }), "{err}");
        assert!(err.to_string().contains("+16045551235"), "{err}");
    }

    #[test]
    fn transitions_refuse_records_in_other_states() {
        let active = reserved()
            .settle_active(&bought("+16045551234"), at(5))
            .unwrap();
        assert!(active.abandon(at(6)).is_err());
        assert!(
            active
                .settle_active(&bought("+16045551234"), at(6))
                .is_err()
        );
        assert!(active.renew_lease(at(100), at(6)).is_err());
        let releasing = active.begin_release(at(7)).unwrap();
        // A rename in flight cannot put a releasing number back in service.
        let rename = NumberUpdate {
            friendly_name: Some("x".into()),
            ..NumberUpdate::default()
        };
        assert!(releasing.apply_update(&rename, None, at(8)).is_err());
        let released = releasing.complete_release(at(9)).unwrap();
        assert_eq!(released.state, NumberState::Released);
        assert!(released.begin_release(at(10)).is_err());
        assert!(released.cancel_release(at(10)).is_err());
        assert!(reserved().begin_release(at(1)).is_err());
    }

    fn order(number: &str) -> PendingOrder {
        PendingOrder {
            order_id: "ORD1".into(),
            phone_number: PhoneNumber::parse(number).unwrap(),
        }
    }

    #[test]
    fn an_order_holds_the_number_until_it_completes() {
        let pending = reserved()
            .await_order(&order("+16045551234"), at(2))
            .unwrap();
        assert_eq!(pending.state, NumberState::Pending);
        assert!(pending.state.is_live());
        assert_eq!(pending.order.as_ref().map(|o| o.id.as_str()), Some("ORD1"));
        assert_eq!(pending.lease_until, None);
        assert_eq!(pending.idempotency_key.as_deref(), Some("k1"));
        // Nothing but the order's settling moves it.
        assert!(pending.begin_release(at(3)).is_err());
        assert!(pending.abandon(at(3)).is_err());
        assert!(pending.renew_lease(at(90), at(3)).is_err());
        assert!(pending.await_order(&order("+16045551234"), at(3)).is_err());
        let active = pending
            .settle_active(&bought("+16045551234"), at(4))
            .unwrap();
        assert_eq!(active.state, NumberState::Active);
        assert_eq!(active.carrier_id.as_deref(), Some("FK1"));
        assert_eq!(active.order.as_ref().map(|o| o.id.as_str()), Some("ORD1"));
        assert!(active.fail_order(at(5)).is_err());
    }

    #[test]
    fn an_order_for_another_number_is_not_recorded() {
        let err = reserved()
            .await_order(&order("+16045551235"), at(2))
            .unwrap_err();
        assert!(matches!(err, Error::Inconsistent { .. }), "{err}");
        let pending = reserved()
            .await_order(&order("+16045551234"), at(2))
            .unwrap();
        assert!(
            pending
                .settle_active(&bought("+16045551235"), at(3))
                .is_err()
        );
    }

    #[test]
    fn requirements_are_recorded_once_and_cleared_on_completion() {
        let pending = reserved()
            .await_order(&order("+16045551234"), at(2))
            .unwrap();
        let missing = vec!["proof of address".to_string()];
        let waiting = pending
            .await_requirements(&missing, at(3))
            .unwrap()
            .unwrap();
        assert_eq!(waiting.state, NumberState::Pending);
        assert_eq!(waiting.order.as_ref().unwrap().missing, missing);
        assert_eq!(waiting.await_requirements(&missing, at(4)).unwrap(), None);
        let active = waiting
            .settle_active(&bought("+16045551234"), at(5))
            .unwrap();
        assert!(active.order.as_ref().unwrap().missing.is_empty());
        assert!(active.await_requirements(&missing, at(6)).is_err());
    }

    #[test]
    fn a_failed_order_frees_the_number_and_the_key() {
        let failed = reserved()
            .await_order(&order("+16045551234"), at(2))
            .unwrap()
            .fail_order(at(3))
            .unwrap();
        assert_eq!(failed.state, NumberState::Failed);
        assert!(!failed.state.is_live());
        assert_eq!(failed.idempotency_key, None);
        assert_eq!(failed.request_fingerprint, None);
        assert!(reserved().fail_order(at(3)).is_err());
    }

    #[test]
    fn abandoning_frees_the_key() {
        let failed = reserved().abandon(at(1)).unwrap();
        assert_eq!(failed.state, NumberState::Failed);
        assert_eq!(failed.idempotency_key, None);
        assert_eq!(failed.request_fingerprint, None);
    }
}
