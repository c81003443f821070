//! Versions: a write decided on an old read is refused with `Stale`, only
//! one of many writers from one version lands, and writing an unknown id is
//! `NotFound`. The compare-and-swap every change of the service goes
//! through.

use super::{now, random_account, random_number, released, sample_record, write};
use crate::conformance::join_all;
use crate::{Error, NumberRepository, NumberState, ProvisionedNumber};

/// Changing a record that does not exist is NotFound.
pub async fn updates_of_unknown_ids_are_not_found(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "updates_of_unknown_ids_are_not_found";
    let ghost = sample_record(&random_account(), &random_number());
    match repository.update(&ghost).await {
        Err(Error::NotFound { .. }) => {}
        other => panic!("{SCENARIO}: update gave {other:?}"),
    }
    match repository.update(&released(&ghost, now())).await {
        Err(Error::NotFound { .. }) => {}
        other => panic!("{SCENARIO}: release gave {other:?}"),
    }
}

/// A write decided on an old read is refused with `Stale` and changes
/// nothing: the stored record keeps the newer write.
pub async fn an_update_from_an_old_version_is_refused(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "an_update_from_an_old_version_is_refused";
    let mut original = sample_record(&random_account(), &random_number());
    original.state = NumberState::Active;
    repository
        .insert(&original)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let mut releasing = original.clone();
    releasing.state = NumberState::Releasing;
    let stored = write(repository, &releasing, SCENARIO).await;
    assert_eq!(stored.version, original.version + 1, "{SCENARIO}: version");
    // A rename read before the release tries to write `active` back.
    let mut rename = original.clone();
    rename.friendly_name = "Renamed".into();
    match repository.update(&rename).await {
        Err(Error::Stale { .. }) => {}
        other => panic!("{SCENARIO}: a write from version 1 gave {other:?}, expected Stale"),
    }
    let now_stored = repository
        .get(original.id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"))
        .unwrap_or_else(|| panic!("{SCENARIO}: record vanished"));
    assert_eq!(
        now_stored, stored,
        "{SCENARIO}: the stale write changed the record"
    );
    // Decided again on the fresh read, it goes through.
    let mut again = now_stored.clone();
    again.friendly_name = "Renamed".into();
    let renamed = write(repository, &again, SCENARIO).await;
    assert_eq!(renamed.state, NumberState::Releasing, "{SCENARIO}");
    assert_eq!(renamed.version, original.version + 2, "{SCENARIO}");
}

/// Twenty writers that read the same version: exactly one write lands.
pub async fn concurrent_updates_from_one_version_succeed_once(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "concurrent_updates_from_one_version_succeed_once";
    let original = sample_record(&random_account(), &random_number());
    repository
        .insert(&original)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let writes: Vec<ProvisionedNumber> = (0..20)
        .map(|i| {
            let mut next = original.clone();
            next.friendly_name = format!("writer {i}");
            next
        })
        .collect();
    let outcomes = join_all(writes.iter().map(|w| repository.update(w)).collect()).await;
    let won: Vec<&ProvisionedNumber> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(
        won.len(),
        1,
        "{SCENARIO}: {} writes landed: {outcomes:?}",
        won.len()
    );
    for outcome in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert!(
            matches!(outcome, Error::Stale { .. }),
            "{SCENARIO}: loser got {outcome:?}"
        );
    }
    let stored = repository
        .get(original.id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"))
        .unwrap_or_else(|| panic!("{SCENARIO}: record vanished"));
    assert_eq!(&stored, won[0], "{SCENARIO}: the winner is what is stored");
}
