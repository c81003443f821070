//! Uniqueness: at most one live record per phone number (under races too),
//! a released number free to be recorded again, idempotency keys unique per
//! account. The constraints the service relies on to never buy a number
//! twice.

use super::{now, random_account, random_number, released, sample_record, write};
use crate::conformance::{join_all, unique};
use crate::{Error, NumberRepository, NumberState, ProvisionedNumber};

/// At most one live record per phone number.
pub async fn a_second_live_record_for_a_number_is_refused(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "a_second_live_record_for_a_number_is_refused";
    let number = random_number();
    let first = sample_record(&random_account(), &number);
    repository
        .insert(&first)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: insert: {e}"));
    let second = sample_record(&random_account(), &number);
    match repository.insert(&second).await {
        Err(Error::AlreadyProvisioned { phone_number }) => {
            assert_eq!(phone_number, number.to_string(), "{SCENARIO}")
        }
        other => panic!("{SCENARIO}: second insert gave {other:?}, expected AlreadyProvisioned"),
    }
    let stored = repository
        .get(second.id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    assert!(
        stored.is_none(),
        "{SCENARIO}: the refused record was stored"
    );
}

/// Releasing frees the number for a new record; the old one stays as history.
pub async fn a_released_number_can_be_recorded_again(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "a_released_number_can_be_recorded_again";
    let number = random_number();
    let first = sample_record(&random_account(), &number);
    repository
        .insert(&first)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let released_at = now();
    write(repository, &released(&first, released_at), SCENARIO).await;
    let old = repository
        .get(first.id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"))
        .unwrap_or_else(|| panic!("{SCENARIO}: released record vanished"));
    assert_eq!(old.state, NumberState::Released, "{SCENARIO}");
    assert_eq!(old.released_at, Some(released_at), "{SCENARIO}");
    let gone = repository
        .find_by_phone_number(&number)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    assert!(
        gone.is_none(),
        "{SCENARIO}: a released record is still the live one"
    );
    let second = sample_record(&random_account(), &number);
    repository
        .insert(&second)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: re-insert after release: {e}"));
    let live = repository
        .find_by_phone_number(&number)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    assert_eq!(live.map(|n| n.id), Some(second.id), "{SCENARIO}");
}

/// One account cannot use a key twice; another account may use the same key.
pub async fn idempotency_keys_are_unique_per_account(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "idempotency_keys_are_unique_per_account";
    let key = format!("key-{}", unique());
    let account = random_account();
    let mut first = sample_record(&account, &random_number());
    first.idempotency_key = Some(key.clone());
    repository
        .insert(&first)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let mut again = sample_record(&account, &random_number());
    again.idempotency_key = Some(key.clone());
    match repository.insert(&again).await {
        Err(Error::Duplicate { .. }) => {}
        other => panic!("{SCENARIO}: reused key gave {other:?}, expected Duplicate"),
    }
    let mut other_account = sample_record(&random_account(), &random_number());
    other_account.idempotency_key = Some(key.clone());
    repository
        .insert(&other_account)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: same key, other account: {e}"));
    // Clearing the key (as the service does for a failed purchase) frees it.
    first.idempotency_key = None;
    first.state = NumberState::Failed;
    repository
        .update(&first)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    repository
        .insert(&again)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: key reuse after it was cleared: {e}"));
}

/// Twenty concurrent reservations of one number: exactly one wins.
pub async fn concurrent_reservations_of_one_number_succeed_once(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "concurrent_reservations_of_one_number_succeed_once";
    let number = random_number();
    let records: Vec<ProvisionedNumber> = (0..20)
        .map(|_| sample_record(&random_account(), &number))
        .collect();
    let outcomes = join_all(records.iter().map(|r| repository.insert(r)).collect()).await;
    let won = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(
        won, 1,
        "{SCENARIO}: {won} reservations succeeded: {outcomes:?}"
    );
    for outcome in outcomes.into_iter().filter_map(Result::err) {
        assert!(
            matches!(outcome, Error::AlreadyProvisioned { .. }),
            "{SCENARIO}: loser got {outcome:?}"
        );
    }
}

/// A pending record (an order open at the carrier) holds its number as a
/// live record does: found by number, refusing a second live record, and
/// listed among the account's pending numbers with its order. Failing the
/// order frees the number.
pub async fn a_pending_record_holds_its_number(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "a_pending_record_holds_its_number";
    let number = random_number();
    let account = random_account();
    let reserved = sample_record(&account, &number);
    repository
        .insert(&reserved)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: insert: {e}"));
    let order = crate::PendingOrder {
        order_id: format!("order-{}", unique()),
        phone_number: number.clone(),
    };
    let pending = reserved
        .await_order(&order, now())
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let pending = write(repository, &pending, SCENARIO).await;
    let found = repository
        .find_by_phone_number(&number)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    assert_eq!(found.as_ref(), Some(&pending), "{SCENARIO}: by number");
    match repository
        .insert(&sample_record(&random_account(), &number))
        .await
    {
        Err(Error::AlreadyProvisioned { .. }) => {}
        other => panic!("{SCENARIO}: a second record gave {other:?}, expected AlreadyProvisioned"),
    }
    let listed = repository
        .list(
            &crate::NumberFilter::account(account).in_states(&[NumberState::Pending]),
            &crate::PageRequest::first(10),
        )
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: list: {e}"));
    assert_eq!(listed.items, vec![pending.clone()], "{SCENARIO}: listing");
    let failed = pending
        .fail_order(now())
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    write(repository, &failed, SCENARIO).await;
    repository
        .insert(&sample_record(&random_account(), &number))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: the number was not freed: {e}"));
}
