//! Scenarios for any [`NumberRepository`].
//!
//! This module runs the suite and holds the fixtures every scenario uses;
//! the scenarios are grouped by the promise they check: [`round_trip`]
//! (what is written is read back), [`uniqueness`] (one live record per
//! number, one use per key), [`listing`] (filters and pages) and
//! [`versions`] (compare-and-swap writes).

mod listing;
mod round_trip;
mod uniqueness;
mod versions;

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use super::unique;
use crate::{
    AccountId, Capabilities, NumberRepository, NumberState, PhoneNumber, ProvisionedNumber, Routing,
};

pub use listing::list_filters_and_pages;
pub use round_trip::{insert_then_read_back_every_field, update_persists_mutable_fields_only};
pub use uniqueness::{
    a_pending_record_holds_its_number, a_released_number_can_be_recorded_again,
    a_second_live_record_for_a_number_is_refused,
    concurrent_reservations_of_one_number_succeed_once, idempotency_keys_are_unique_per_account,
};
pub use versions::{
    an_update_from_an_old_version_is_refused, concurrent_updates_from_one_version_succeed_once,
    updates_of_unknown_ids_are_not_found,
};

/// Runs every repository scenario in order.
pub async fn run_repository_suite(repository: &dyn NumberRepository) {
    insert_then_read_back_every_field(repository).await;
    a_second_live_record_for_a_number_is_refused(repository).await;
    a_released_number_can_be_recorded_again(repository).await;
    a_pending_record_holds_its_number(repository).await;
    idempotency_keys_are_unique_per_account(repository).await;
    list_filters_and_pages(repository).await;
    update_persists_mutable_fields_only(repository).await;
    updates_of_unknown_ids_are_not_found(repository).await;
    concurrent_reservations_of_one_number_succeed_once(repository).await;
    an_update_from_an_old_version_is_refused(repository).await;
    concurrent_updates_from_one_version_succeed_once(repository).await;
}

/// A random NANP-shaped number no other scenario or run will pick.
pub fn random_number() -> PhoneNumber {
    let n = unique().as_u128() % 10_000_000;
    // Area code 999 is unassigned, so these never clash with real inventory.
    PhoneNumber::parse_trusted(&format!("+1999{n:07}")).expect("well-formed")
}

/// A random account name.
pub fn random_account() -> AccountId {
    AccountId::parse(&format!("conf-{}", unique().simple())).expect("valid account")
}

/// Now, to the microsecond (what every supported store keeps).
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A reserved record for `account` and `phone_number`.
pub fn sample_record(account: &AccountId, phone_number: &PhoneNumber) -> ProvisionedNumber {
    let at = now();
    ProvisionedNumber {
        id: Uuid::now_v7(),
        account: account.clone(),
        phone_number: phone_number.clone(),
        friendly_name: "Main Line".into(),
        agent_id: None,
        capabilities: Capabilities::default(),
        provider: "fake".into(),
        carrier_id: None,
        routing: Routing::default(),
        state: NumberState::Reserved,
        idempotency_key: None,
        created_at: at,
        updated_at: at,
        released_at: None,
        release_not_before: None,
        version: 1,
        lease_until: Some(at),
        purchased_at: None,
        request_fingerprint: None,
        order: None,
    }
}

/// Writes `next` (read at its version) and returns it as stored.
async fn write(
    repository: &dyn NumberRepository,
    next: &ProvisionedNumber,
    scenario: &str,
) -> ProvisionedNumber {
    repository
        .update(next)
        .await
        .unwrap_or_else(|e| panic!("{scenario}: update: {e}"))
}

/// `record` as the carrier's release leaves it.
fn released(record: &ProvisionedNumber, at: DateTime<Utc>) -> ProvisionedNumber {
    let mut next = record.clone();
    next.state = NumberState::Released;
    next.released_at = Some(at);
    next.updated_at = at;
    next
}
