//! The fake carrier's books: which numbers are sold, to whom, under which
//! carrier id, with what name and routing.
//!
//! The books are behind a trait so that several processes can share them.
//! Each process builds its own [`FakeProvider`](crate::FakeProvider) (the
//! same seeded inventory, its own scripted faults and call log); if they
//! also share one ledger (a table in the store they share, see the
//! `switchboard-sql` crate) they behave as several clients of one carrier:
//! a number bought through one is unavailable through the others, and a
//! carrier id names the same number everywhere. Per-process books would
//! hand out the same carrier ids to different numbers and let a
//! background reconcile in one process mark every other process's
//! purchases as released.

use std::collections::HashSet;
use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_core::{
    AvailableNumber, Capabilities, CarrierNumber, CarrierUpdate, PhoneNumber, Result, Routing,
    SearchQuery,
};

use crate::Inventory;

/// Carrier ids are `FK` and this many digits, so that their text order is
/// their numeric order and `list_owned` pages are stable.
const ID_DIGITS: usize = 10;

/// The most candidates [`SalesLedger::search`] asks about in one
/// [`SalesLedger::held`] call: a ledger in a database answers a batch in
/// one query, and this keeps that query's parameter list modest.
pub const MAX_HELD_BATCH: usize = 1_000;

/// The carrier id of the `serial`-th number a ledger sold: `FK0000000001`
/// for the first. Ledgers never reuse a serial, so a stale id can never
/// name a number sold later.
pub fn carrier_id(serial: u64) -> String {
    format!("FK{serial:0width$}", width = ID_DIGITS)
}

/// The serial in a carrier id [`carrier_id`] made; `None` for any other
/// text (a cursor or carrier id another carrier issued, or input).
pub fn carrier_id_serial(carrier_id: &str) -> Option<u64> {
    let digits = carrier_id.strip_prefix("FK")?;
    if digits.len() != ID_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A number to record as sold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    /// The number.
    pub phone_number: PhoneNumber,
    /// The display name given at purchase.
    pub friendly_name: Option<String>,
    /// What it can do (from the inventory).
    pub capabilities: Capabilities,
    /// Webhooks given at purchase.
    pub routing: Routing,
    /// When it was bought: the start of a release cooldown.
    pub purchased_at: DateTime<Utc>,
}

/// A number the account owns, as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sold {
    /// The number as the carrier reports it.
    pub number: CarrierNumber,
    /// When it was bought.
    pub purchased_at: DateTime<Utc>,
}

/// The books of one or more fake carriers, told apart by the carrier name
/// each call passes (a fake's [`name`](switchboard_core::TelephonyProvider::name)).
///
/// Every method must be safe to call from several processes at once over
/// the same books; in particular [`claim`](SalesLedger::claim) is the one
/// place where two buyers of one number meet, and exactly one may win.
/// Carrier ids come from [`carrier_id`] over a serial the ledger never
/// reuses.
#[async_trait]
pub trait SalesLedger: Send + Sync + fmt::Debug {
    /// Records `sale` as bought by the account unless anyone holds the
    /// number already, atomically. The number with its new carrier id, or
    /// `None` when it was held.
    async fn claim(&self, carrier: &str, sale: &Sale) -> Result<Option<CarrierNumber>>;

    /// Records `phone_number` as held by another customer of the carrier:
    /// not for sale, and invisible to the account. False, changing
    /// nothing, if anyone holds it already.
    async fn take(&self, carrier: &str, phone_number: &PhoneNumber) -> Result<bool>;

    /// For each of `numbers`, in order, whether anyone holds it.
    async fn held(&self, carrier: &str, numbers: &[PhoneNumber]) -> Result<Vec<bool>>;

    /// The account's number `phone_number`, if it owns it.
    async fn find_by_number(
        &self,
        carrier: &str,
        phone_number: &PhoneNumber,
    ) -> Result<Option<Sold>>;

    /// The account's number with `carrier_id`, if it owns it.
    async fn find(&self, carrier: &str, carrier_id: &str) -> Result<Option<Sold>>;

    /// Up to `limit` of the account's numbers in carrier id order, starting
    /// after `after` when given.
    async fn list(
        &self,
        carrier: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CarrierNumber>>;

    /// Applies `update` to the account's number `carrier_id` (set fields
    /// replace, unset ones stay, as one atomic change, so that two
    /// processes changing different fields lose neither). The number after
    /// the change, or `None` if the account does not own it.
    async fn update(
        &self,
        carrier: &str,
        carrier_id: &str,
        update: &CarrierUpdate,
    ) -> Result<Option<CarrierNumber>>;

    /// Gives the account's number `carrier_id` back to the inventory. False
    /// if the account did not own it (never bought, or released already,
    /// perhaps by another process a moment ago).
    async fn remove(&self, carrier: &str, carrier_id: &str) -> Result<bool>;

    /// Records `number` as the account's under its existing carrier id (one
    /// of [`carrier_id`]'s), as bought at `purchased_at`. False, changing
    /// nothing, if the id is not one this carrier issues or the number or
    /// the id is held already.
    async fn restore(
        &self,
        carrier: &str,
        number: &CarrierNumber,
        purchased_at: DateTime<Utc>,
    ) -> Result<bool>;

    /// Numbers of `inventory` matching `query` that nobody holds, in
    /// catalogue order, at most `query.limit`.
    ///
    /// The default asks [`held`](SalesLedger::held) about candidates in
    /// batches (see [`search_in_batches`]); a ledger that can test each
    /// candidate without a round trip overrides it.
    async fn search(
        &self,
        carrier: &str,
        inventory: &Inventory,
        query: &SearchQuery,
    ) -> Result<Vec<AvailableNumber>> {
        search_in_batches(self, carrier, inventory, query).await
    }
}

/// Searches `inventory` asking `ledger` which candidates are held a batch
/// at a time, so that a ledger in a database answers a search in a few
/// queries rather than one per candidate.
///
/// Each round takes the first candidates not yet known to be held, asks
/// about them in one call, and stops when enough were free or the
/// inventory has no more; a round that finds held numbers doubles the
/// next batch (up to [`MAX_HELD_BATCH`]), so a long run of sold numbers
/// costs a few rounds, not one per number.
pub async fn search_in_batches<L: SalesLedger + ?Sized>(
    ledger: &L,
    carrier: &str,
    inventory: &Inventory,
    query: &SearchQuery,
) -> Result<Vec<AvailableNumber>> {
    query.validate()?;
    let limit = query.limit as usize;
    let mut known_held: HashSet<PhoneNumber> = HashSet::new();
    let mut batch = limit.min(MAX_HELD_BATCH);
    loop {
        let candidates = inventory.scan(query, batch, |n| known_held.contains(n));
        let exhausted = candidates.len() < batch;
        let numbers: Vec<PhoneNumber> = candidates.iter().map(|c| c.phone_number.clone()).collect();
        let held = ledger.held(carrier, &numbers).await?;
        let mut found = Vec::with_capacity(limit);
        let mut newly_held = 0;
        for (candidate, held) in candidates.into_iter().zip(held) {
            if held {
                known_held.insert(candidate.phone_number);
                newly_held += 1;
            } else if found.len() < limit {
                found.push(candidate);
            }
        }
        if found.len() >= limit || exhausted || newly_held == 0 {
            return Ok(found);
        }
        batch = (batch * 2).clamp(limit, MAX_HELD_BATCH.max(limit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carrier_ids_round_trip_and_nothing_else_parses() {
        assert_eq!(carrier_id(1), "FK0000000001");
        assert_eq!(carrier_id_serial("FK0000000001"), Some(1));
        assert_eq!(
            carrier_id_serial(&carrier_id(9_876_543_210)),
            Some(9_876_543_210)
        );
        for other in [
            "",
            "FK",
            "FK1",
            "FK00000000001",
            "fk0000000001",
            "FK000000000x",
            "PN1",
        ] {
            assert_eq!(carrier_id_serial(other), None, "{other:?}");
        }
    }
}
