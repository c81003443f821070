//! Scenarios for any [`NumberRepository`].

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use super::{join_all, unique};
use crate::{
    AccountId, Capabilities, Error, NumberFilter, NumberRepository, NumberState, PageRequest,
    PhoneNumber, ProvisionedNumber, Routing, WebhookMethod, WebhookUrl,
};

/// Runs every repository scenario in order.
pub async fn run_repository_suite(repository: &dyn NumberRepository) {
    insert_then_read_back_every_field(repository).await;
    a_second_live_record_for_a_number_is_refused(repository).await;
    a_released_number_can_be_recorded_again(repository).await;
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

/// Every field written comes back unchanged, by id and by phone number.
pub async fn insert_then_read_back_every_field(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "insert_then_read_back_every_field";
    let account = random_account();
    let mut record = sample_record(&account, &random_number());
    record.agent_id = Some(Uuid::new_v4());
    record.capabilities = Capabilities {
        voice: true,
        sms: true,
        mms: false,
        fax: true,
    };
    record.provider = "twilio".into();
    record.carrier_id = Some("PN0123456789abcdef0123456789abcdef".into());
    record.routing = Routing {
        voice_url: Some(WebhookUrl::parse("https://agent.example.com/voice").expect("url")),
        voice_method: Some(WebhookMethod::Get),
        sms_url: Some(WebhookUrl::parse("https://agent.example.com/sms").expect("url")),
        sms_method: Some(WebhookMethod::Post),
        status_callback: Some(WebhookUrl::parse("https://agent.example.com/status").expect("url")),
    };
    record.state = NumberState::Active;
    record.idempotency_key = Some(format!("key-{}", unique()));
    record.release_not_before = Some(now());
    record.lease_until = None;
    record.purchased_at = Some(now());
    record.request_fingerprint = Some("phone_number=\"+1999\"\nfriendly_name=None\n".into());
    record.friendly_name = "Ligne principale – 東京 'quoted' \"twice\"; DROP TABLE x".into();
    repository
        .insert(&record)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: insert: {e}"));
    let by_id = repository
        .get(record.id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: get: {e}"));
    assert_eq!(by_id.as_ref(), Some(&record), "{SCENARIO}: get");
    let by_number = repository
        .find_by_phone_number(&record.phone_number)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: find_by_phone_number: {e}"));
    assert_eq!(
        by_number.as_ref(),
        Some(&record),
        "{SCENARIO}: find_by_phone_number"
    );
    let by_key = repository
        .find_by_idempotency_key(&account, record.idempotency_key.as_deref().expect("set"))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: find_by_idempotency_key: {e}"));
    assert_eq!(
        by_key.as_ref(),
        Some(&record),
        "{SCENARIO}: find_by_idempotency_key"
    );
    let missing = repository
        .get(Uuid::now_v7())
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: get missing: {e}"));
    assert!(missing.is_none(), "{SCENARIO}: an unknown id was found");
}

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
        Err(Error::Conflict { .. }) => {}
        other => panic!("{SCENARIO}: reused key gave {other:?}, expected Conflict"),
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

/// Filters by account, agent, provider and state; pages by id without gaps
/// or repeats.
pub async fn list_filters_and_pages(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "list_filters_and_pages";
    let account = random_account();
    let agent = Uuid::new_v4();
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut record = sample_record(&account, &random_number());
        record.state = NumberState::Active;
        if i % 2 == 0 {
            record.agent_id = Some(agent);
        }
        if i == 4 {
            record.provider = "other".into();
        }
        repository
            .insert(&record)
            .await
            .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
        ids.push(record.id);
    }
    // Another account's record must never appear.
    repository
        .insert(&sample_record(&random_account(), &random_number()))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));

    let list = |filter: NumberFilter, limit| async move {
        let mut seen = Vec::new();
        let mut page = PageRequest::first(limit);
        loop {
            let batch = repository
                .list(&filter, &page)
                .await
                .unwrap_or_else(|e| panic!("{SCENARIO}: list: {e}"));
            assert!(
                batch.items.len() <= limit as usize,
                "{SCENARIO}: page too large"
            );
            seen.extend(batch.items.iter().map(|n| n.id));
            match batch.next_cursor {
                Some(cursor) => page = PageRequest::after(cursor, limit),
                None => return seen,
            }
        }
    };
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(
        list(NumberFilter::account(account.clone()), 2).await,
        sorted,
        "{SCENARIO}: all by account"
    );
    let by_agent = NumberFilter {
        agent_id: Some(agent),
        ..NumberFilter::account(account.clone())
    };
    assert_eq!(
        list(by_agent, 10).await,
        vec![sorted[0], sorted[2], sorted[4]],
        "{SCENARIO}: by agent"
    );
    let by_provider = NumberFilter {
        provider: Some("other".into()),
        ..NumberFilter::account(account.clone())
    };
    assert_eq!(
        list(by_provider, 10).await,
        vec![ids[4]],
        "{SCENARIO}: by provider"
    );
    let second = repository
        .get(ids[1])
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"))
        .unwrap_or_else(|| panic!("{SCENARIO}: record vanished"));
    write(repository, &released(&second, now()), SCENARIO).await;
    let active = NumberFilter::account(account.clone()).in_states(&[NumberState::Active]);
    let expected: Vec<Uuid> = sorted.iter().copied().filter(|id| *id != ids[1]).collect();
    assert_eq!(list(active, 3).await, expected, "{SCENARIO}: by state");
    match repository
        .list(
            &NumberFilter::account(account),
            &PageRequest::after("not-a-cursor", 2),
        )
        .await
    {
        Err(Error::InvalidInput { .. }) => {}
        other => panic!("{SCENARIO}: a junk cursor gave {other:?}, expected InvalidInput"),
    }
}

/// `update` stores the mutable fields and keeps the identity fields.
pub async fn update_persists_mutable_fields_only(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "update_persists_mutable_fields_only";
    let account = random_account();
    let original = sample_record(&account, &random_number());
    repository
        .insert(&original)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let mut changed = original.clone();
    changed.friendly_name = "Renamed".into();
    changed.agent_id = Some(Uuid::new_v4());
    changed.capabilities = Capabilities::VOICE_SMS_MMS;
    changed.carrier_id = Some("carrier-1".into());
    changed.routing.sms_url = Some(WebhookUrl::parse("https://x.example/sms").expect("url"));
    changed.state = NumberState::Releasing;
    changed.updated_at = now();
    changed.release_not_before = Some(now());
    changed.lease_until = None;
    changed.purchased_at = Some(now());
    changed.request_fingerprint = Some("friendly_name=\"Renamed\"\n".into());
    let returned = write(repository, &changed, SCENARIO).await;
    let stored = repository
        .get(original.id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let mut expected = changed.clone();
    expected.version = original.version + 1;
    assert_eq!(
        stored.as_ref(),
        Some(&expected),
        "{SCENARIO}: mutable fields, at the next version"
    );
    assert_eq!(
        returned, expected,
        "{SCENARIO}: update returns what it stored"
    );

    let mut identity = expected.clone();
    identity.account = random_account();
    identity.phone_number = random_number();
    identity.provider = "elsewhere".into();
    repository
        .update(&identity)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let stored = repository
        .get(original.id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"))
        .unwrap_or_else(|| panic!("{SCENARIO}: record vanished"));
    assert_eq!(
        stored.account, original.account,
        "{SCENARIO}: account changed"
    );
    assert_eq!(
        stored.phone_number, original.phone_number,
        "{SCENARIO}: number changed"
    );
    assert_eq!(
        stored.provider, original.provider,
        "{SCENARIO}: provider changed"
    );
}

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
