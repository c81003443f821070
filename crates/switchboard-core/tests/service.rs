//! The invariants of the provisioning service (DESIGN.md section 4), each
//! proved by a test that fails when the mechanism behind it is removed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use switchboard_core::*;
use uuid::Uuid;

fn number(text: &str) -> PhoneNumber {
    PhoneNumber::parse(text).unwrap()
}

fn account(name: &str) -> AccountId {
    AccountId::parse(name).unwrap()
}

fn carrier_number(phone: &PhoneNumber, carrier_id: &str) -> CarrierNumber {
    CarrierNumber {
        carrier_id: carrier_id.into(),
        phone_number: phone.clone(),
        friendly_name: None,
        capabilities: Capabilities::VOICE_SMS_MMS,
        routing: Routing::default(),
    }
}

fn transport() -> Error {
    Error::Transport {
        provider: "mock".into(),
        message: "timed out".into(),
        cause: None,
    }
}

/// A mock carrier called `name` with no expectations but its name.
fn mock_provider(name: &'static str) -> MockTelephonyProvider {
    let mut mock = MockTelephonyProvider::new();
    mock.expect_name().return_const(name.to_string());
    mock.expect_features()
        .returning(|| ProviderFeatures::all(100));
    mock
}

fn fast_options() -> ServiceOptions {
    ServiceOptions {
        purchase_retry: RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            max_retry_after: Duration::from_secs(1),
        },
        reservation_lease: Duration::from_secs(60),
        fresh_record_grace: Duration::from_secs(60),
        ..ServiceOptions::default()
    }
}

fn service_with(
    provider: MockTelephonyProvider,
    repo: Arc<dyn NumberRepository>,
) -> ProvisioningService {
    ProvisioningService::new(ProviderRegistry::new(Arc::new(provider)), repo)
        .with_options(fast_options())
}

#[tokio::test]
async fn a_purchase_that_cannot_be_recorded_is_released_at_the_carrier() {
    let phone = number("+16045551234");
    let mut provider = mock_provider("mock");
    let bought = carrier_number(&phone, "PN1");
    provider
        .expect_purchase()
        .times(1)
        .returning(move |_| Ok(PurchaseOutcome::Bought(bought.clone())));
    provider
        .expect_release()
        .withf(|id| id == "PN1")
        .times(1)
        .returning(|_| Ok(()));

    let mut repo = MockNumberRepository::new();
    repo.expect_insert().times(1).returning(|_| Ok(()));
    let recorded_failed = Arc::new(Mutex::new(false));
    let seen = recorded_failed.clone();
    repo.expect_update().returning(move |record| {
        if record.state == NumberState::Active {
            Err(Error::Repository {
                message: "disk full".into(),
                temporary: false,
                cause: None,
            })
        } else {
            *seen.lock().unwrap() = record.state == NumberState::Failed;
            Ok(ProvisionedNumber {
                version: record.version + 1,
                ..record.clone()
            })
        }
    });

    let service = service_with(provider, Arc::new(repo));
    let err = service
        .provision(&account("acme"), &ProvisionRequest::new(phone))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Repository { .. }), "{err:?}");
    assert!(
        *recorded_failed.lock().unwrap(),
        "the reservation was not marked failed"
    );
}

#[tokio::test]
async fn a_lost_purchase_answer_is_settled_by_asking_the_carrier() {
    let phone = number("+16045551234");
    let mut provider = mock_provider("mock");
    provider
        .expect_purchase()
        .times(1)
        .returning(|_| Err(transport()));
    let owned = carrier_number(&phone, "PN7");
    provider
        .expect_find_owned()
        .times(1)
        .returning(move |_| Ok(Some(owned.clone())));
    let repo = Arc::new(InMemoryRepository::new());
    let service = service_with(provider, repo.clone());

    let record = service
        .provision(&account("acme"), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
    assert_eq!(record.state, NumberState::Active);
    assert_eq!(record.carrier_id.as_deref(), Some("PN7"));
    let stored = repo.find_by_phone_number(&phone).await.unwrap().unwrap();
    assert_eq!(stored, record);
}

#[tokio::test]
async fn a_rate_limited_purchase_is_retried_only_after_the_carrier_says_it_did_not_happen() {
    let phone = number("+16045551234");
    let mut provider = mock_provider("mock");
    let mut seq = mockall::Sequence::new();
    provider
        .expect_purchase()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Err(Error::rate_limited("mock", Some(Duration::from_millis(1)))));
    provider
        .expect_find_owned()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(None));
    let bought = carrier_number(&phone, "PN8");
    provider
        .expect_purchase()
        .times(1)
        .in_sequence(&mut seq)
        .returning(move |_| Ok(PurchaseOutcome::Bought(bought.clone())));
    let service = service_with(provider, Arc::new(InMemoryRepository::new()));
    let record = service
        .provision(&account("acme"), &ProvisionRequest::new(phone))
        .await
        .unwrap();
    assert_eq!(record.carrier_id.as_deref(), Some("PN8"));
}

#[tokio::test]
async fn a_lost_purchase_the_carrier_does_not_show_yet_is_not_bought_again() {
    // The first request may still complete at the carrier: a second purchase
    // could buy twice, so the reservation waits for reconcile instead.
    let phone = number("+16045551234");
    let mut provider = mock_provider("mock");
    provider
        .expect_purchase()
        .times(1)
        .returning(|_| Err(transport()));
    provider
        .expect_find_owned()
        .times(1)
        .returning(|_| Ok(None));
    let repo = Arc::new(InMemoryRepository::new());
    let service = service_with(provider, repo.clone());
    let err = service
        .provision(&account("acme"), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap_err();
    assert!(err.is_temporary(), "{err:?}");
    let held = repo.find_by_phone_number(&phone).await.unwrap().unwrap();
    assert_eq!(held.state, NumberState::Reserved);
}

#[tokio::test]
async fn an_unsettled_purchase_keeps_its_reservation_for_reconcile() {
    let phone = number("+16045551234");
    let mut provider = mock_provider("mock");
    provider
        .expect_purchase()
        .times(1)
        .returning(|_| Err(transport()));
    provider
        .expect_find_owned()
        .times(1)
        .returning(|_| Err(transport()));
    let repo = Arc::new(InMemoryRepository::new());
    let service = service_with(provider, repo.clone());
    let err = service
        .provision(&account("acme"), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap_err();
    assert!(err.is_temporary(), "{err:?}");
    let held = repo.find_by_phone_number(&phone).await.unwrap().unwrap();
    assert_eq!(held.state, NumberState::Reserved);
    // A second request cannot buy it meanwhile.
    let again = service
        .provision(&account("other"), &ProvisionRequest::new(phone))
        .await
        .unwrap_err();
    assert!(
        matches!(again, Error::AlreadyProvisioned { .. }),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_refused_purchase_frees_the_number_and_the_key() {
    let phone = number("+16045551234");
    let mut provider = mock_provider("mock");
    provider.expect_purchase().times(1).returning(|r| {
        Err(Error::NumberUnavailable {
            phone_number: r.phone_number.to_string(),
            provider: "mock".into(),
            code: Some("21422".into()),
            message: None,
        })
    });
    provider.expect_find_owned().never();
    let repo = Arc::new(InMemoryRepository::new());
    let service = service_with(provider, repo.clone());
    let request = ProvisionRequest::new(phone.clone()).idempotency_key("k-1");
    let err = service
        .provision(&account("acme"), &request)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NumberUnavailable { .. }), "{err:?}");
    assert!(repo.find_by_phone_number(&phone).await.unwrap().is_none());
    assert!(
        repo.find_by_idempotency_key(&account("acme"), "k-1")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_same_idempotency_key_returns_the_same_number_and_buys_nothing_more() {
    let phone = number("+16045551234");
    let mut provider = mock_provider("mock");
    let bought = carrier_number(&phone, "PN1");
    provider
        .expect_purchase()
        .times(1)
        .returning(move |_| Ok(PurchaseOutcome::Bought(bought.clone())));
    let service = service_with(provider, Arc::new(InMemoryRepository::new()));
    let request = ProvisionRequest::new(phone).idempotency_key("onboard-42");
    let first = service.provision(&account("acme"), &request).await.unwrap();
    let second = service.provision(&account("acme"), &request).await.unwrap();
    assert_eq!(first, second);
    let other = ProvisionRequest::new(number("+16045551235")).idempotency_key("onboard-42");
    let err = service
        .provision(&account("acme"), &other)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdempotencyKeyMismatch { .. }),
        "{err:?}"
    );
    assert_eq!(err.field(), Some("phone_number"), "{err:?}");
}

#[tokio::test]
async fn numbers_stay_with_the_carrier_they_were_bought_from() {
    let phone = number("+16045551234");
    let mut old = mock_provider("old");
    let bought = carrier_number(&phone, "OLD-1");
    old.expect_purchase()
        .times(1)
        .returning(move |_| Ok(PurchaseOutcome::Bought(bought.clone())));
    old.expect_release()
        .withf(|id| id == "OLD-1")
        .times(1)
        .returning(|_| Ok(()));
    let mut new = mock_provider("new");
    new.expect_purchase().never();
    new.expect_release().never();
    let old: Arc<dyn TelephonyProvider> = Arc::new(old);
    let new: Arc<dyn TelephonyProvider> = Arc::new(new);
    let repo = Arc::new(InMemoryRepository::new());

    let before = ProvisioningService::new(ProviderRegistry::new(old.clone()), repo.clone());
    let record = before
        .provision(&account("acme"), &ProvisionRequest::new(phone))
        .await
        .unwrap();
    assert_eq!(record.provider, "old");

    // The default carrier changes; the number must still be released at "old".
    let registry = ProviderRegistry::new(old)
        .with(new)
        .with_default("new")
        .unwrap();
    let after = ProvisioningService::new(registry, repo);
    let released = after.release(&account("acme"), record.id).await.unwrap();
    assert_eq!(released.state, NumberState::Released);
}

#[tokio::test]
async fn a_number_whose_carrier_is_gone_from_configuration_is_not_released_elsewhere() {
    let phone = number("+16045551234");
    let mut old = mock_provider("old");
    let bought = carrier_number(&phone, "OLD-1");
    old.expect_purchase()
        .returning(move |_| Ok(PurchaseOutcome::Bought(bought.clone())));
    let mut new = mock_provider("new");
    new.expect_release().never();
    let repo = Arc::new(InMemoryRepository::new());
    let before = ProvisioningService::new(ProviderRegistry::new(Arc::new(old)), repo.clone());
    let record = before
        .provision(&account("acme"), &ProvisionRequest::new(phone))
        .await
        .unwrap();
    let after = ProvisioningService::new(ProviderRegistry::new(Arc::new(new)), repo.clone());
    let err = after
        .release(&account("acme"), record.id)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("\"old\" is not configured"),
        "{err}"
    );
    let stored = repo.get(record.id).await.unwrap().unwrap();
    assert_eq!(stored.state, NumberState::Active);
}

#[tokio::test]
async fn a_release_refused_for_now_stays_pending_until_reconcile_completes_it() {
    let phone = number("+16045551234");
    let start = Utc.with_ymd_and_hms(2025, 6, 4, 5, 49, 47).unwrap();
    let clock = ManualClock::new(start);
    let not_before = start + chrono::Duration::days(14);
    let mut provider = mock_provider("mock");
    let bought = carrier_number(&phone, "SW-1");
    let owned = bought.clone();
    provider
        .expect_purchase()
        .returning(move |_| Ok(PurchaseOutcome::Bought(bought.clone())));
    let mut seq = mockall::Sequence::new();
    provider
        .expect_release()
        .times(1)
        .in_sequence(&mut seq)
        .returning(move |_| {
            Err(Error::RetryLater {
                provider: "mock".into(),
                not_before: Some(not_before),
                message: "purchased too recently".into(),
            })
        });
    provider
        .expect_release()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    provider
        .expect_list_owned()
        .returning(move |_| Ok(Page::last(vec![owned.clone()])));
    let repo = Arc::new(InMemoryRepository::new());
    let service = service_with(provider, repo.clone()).with_clock(Arc::new(clock.clone()));

    let record = service
        .provision(&account("acme"), &ProvisionRequest::new(phone))
        .await
        .unwrap();
    let pending = service.release(&account("acme"), record.id).await.unwrap();
    assert_eq!(pending.state, NumberState::Releasing);
    assert_eq!(pending.release_not_before, Some(not_before));

    // Before the cooldown ends, reconcile leaves it (and calls no release).
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(report.drift.len(), 1);
    assert!(
        matches!(report.drift[0].repair, Repair::Left(_)),
        "{report:?}"
    );

    clock.advance(chrono::Duration::days(15));
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(report.drift[0].kind, DriftKind::ReleasePending);
    assert_eq!(report.drift[0].repair, Repair::Released);
    assert_eq!(
        repo.get(record.id).await.unwrap().unwrap().state,
        NumberState::Released
    );
}

#[tokio::test]
async fn a_release_refused_for_good_restores_the_number() {
    let phone = number("+16045551234");
    let mut provider = mock_provider("mock");
    let bought = carrier_number(&phone, "PN1");
    provider
        .expect_purchase()
        .returning(move |_| Ok(PurchaseOutcome::Bought(bought.clone())));
    provider.expect_release().times(1).returning(|_| {
        Err(Error::Unauthenticated {
            provider: "mock".into(),
            message: "bad credentials".into(),
            code: None,
        })
    });
    let repo = Arc::new(InMemoryRepository::new());
    let service = service_with(provider, repo.clone());
    let record = service
        .provision(&account("acme"), &ProvisionRequest::new(phone))
        .await
        .unwrap();
    let err = service
        .release(&account("acme"), record.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }));
    assert_eq!(
        repo.get(record.id).await.unwrap().unwrap().state,
        NumberState::Active
    );
}

#[tokio::test]
async fn one_account_never_sees_or_changes_another_accounts_numbers() {
    let phone = number("+16045551234");
    let mut provider = mock_provider("mock");
    let bought = carrier_number(&phone, "PN1");
    provider
        .expect_purchase()
        .returning(move |_| Ok(PurchaseOutcome::Bought(bought.clone())));
    provider.expect_update().never();
    provider.expect_release().never();
    let service = service_with(provider, Arc::new(InMemoryRepository::new()));
    let mine = service
        .provision(&account("alice"), &ProvisionRequest::new(phone))
        .await
        .unwrap();
    let eve = account("eve");
    assert!(matches!(
        service.get(&eve, mine.id).await,
        Err(Error::NotFound { .. })
    ));
    let rename = NumberUpdate {
        friendly_name: Some("mine now".into()),
        ..Default::default()
    };
    assert!(matches!(
        service.update(&eve, mine.id, &rename).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        service.release(&eve, mine.id).await,
        Err(Error::NotFound { .. })
    ));
    let listed = service
        .list(&eve, NumberFilter::default(), &PageRequest::default())
        .await
        .unwrap();
    assert!(listed.items.is_empty());
    let still = service.get(&account("alice"), mine.id).await.unwrap();
    assert_eq!(still, mine);
}

#[tokio::test]
async fn bad_input_gets_a_named_error_and_changes_nothing() {
    // The mock has no purchase expectation: any carrier call would panic.
    let provider = mock_provider("mock");
    let repo = Arc::new(InMemoryRepository::new());
    let service = service_with(provider, repo.clone());
    let cases = [
        (
            ProvisionRequest::new(number("+16045551234")).friendly_name(""),
            "friendly_name",
        ),
        (
            ProvisionRequest::new(number("+16045551234")).idempotency_key("with space"),
            "idempotency_key",
        ),
        (
            ProvisionRequest::new(number("+16045551234")).provider("nope"),
            "provider",
        ),
    ];
    for (request, field) in cases {
        let err = service
            .provision(&account("acme"), &request)
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some(field), "{err:?}");
    }
    let err = service
        .search(&SearchQuery::default().limit(0), None)
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("limit"));
    assert!(repo.is_empty());
}

#[tokio::test]
async fn an_unsupported_search_filter_is_refused_before_the_carrier_is_called() {
    let mut provider = MockTelephonyProvider::new();
    provider.expect_name().return_const("narrow".to_string());
    provider.expect_features().returning(|| ProviderFeatures {
        postal_code: false,
        ..ProviderFeatures::all(30)
    });
    provider.expect_search().never();
    let service = service_with(provider, Arc::new(InMemoryRepository::new()));
    let err = service
        .search(&SearchQuery::default().postal_code("94105"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
}

#[tokio::test]
async fn reconcile_finishes_unrecorded_purchases_and_fails_phantom_reservations() {
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let clock = ManualClock::new(start);
    let bought = number("+16045551234");
    let phantom = number("+16045551235");
    let orphan = number("+16045551236");
    let mut provider = mock_provider("mock");
    let listing = vec![
        carrier_number(&bought, "PN-B"),
        carrier_number(&orphan, "PN-O"),
    ];
    let owned = listing.clone();
    provider
        .expect_list_owned()
        .returning(move |_| Ok(Page::last(listing.clone())));
    // Before repairing a reservation, reconcile asks about the one number.
    provider
        .expect_find_owned()
        .returning(move |phone| Ok(owned.iter().find(|n| n.phone_number == *phone).cloned()));
    provider.expect_release().never();
    let repo = Arc::new(InMemoryRepository::new());
    // Two reservations left behind by a crash.
    for phone in [&bought, &phantom] {
        let mut record = switchboard_core::conformance::sample_record(&account("acme"), phone);
        record.provider = "mock".into();
        record.created_at = start;
        record.updated_at = start;
        record.lease_until = Some(start + chrono::Duration::seconds(60));
        repo.insert(&record).await.unwrap();
    }
    let service = service_with(provider, repo.clone()).with_clock(Arc::new(clock.clone()));

    // While their leases hold they may still be in flight: left alone.
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert!(
        report
            .drift
            .iter()
            .all(|d| d.kind == DriftKind::OrphanAtCarrier),
        "{report:?}"
    );

    clock.advance(chrono::Duration::minutes(5));
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    let kinds: HashMap<String, (DriftKind, Repair)> = report
        .drift
        .iter()
        .map(|d| (d.phone_number.to_string(), (d.kind, d.repair.clone())))
        .collect();
    assert_eq!(
        kinds[bought.as_str()],
        (DriftKind::PurchaseUnrecorded, Repair::MarkedActive)
    );
    assert_eq!(
        kinds[phantom.as_str()],
        (DriftKind::PurchaseNeverHappened, Repair::MarkedFailed)
    );
    assert_eq!(kinds[orphan.as_str()].0, DriftKind::OrphanAtCarrier);
    assert!(matches!(kinds[orphan.as_str()].1, Repair::Left(_)));
    let active = repo.find_by_phone_number(&bought).await.unwrap().unwrap();
    assert_eq!(active.state, NumberState::Active);
    assert_eq!(active.carrier_id.as_deref(), Some("PN-B"));
    assert!(repo.find_by_phone_number(&phantom).await.unwrap().is_none());
}

/// A carrier that sells each number once and counts purchases, yielding in
/// the middle so that concurrent requests interleave.
#[derive(Debug, Default)]
struct CountingCarrier {
    sold: Mutex<HashMap<PhoneNumber, u32>>,
}

#[async_trait]
impl TelephonyProvider for CountingCarrier {
    fn name(&self) -> &str {
        "counting"
    }
    fn features(&self) -> ProviderFeatures {
        ProviderFeatures::all(100)
    }
    async fn search(&self, _: &SearchQuery) -> Result<Vec<AvailableNumber>> {
        Ok(vec![])
    }
    async fn purchase(&self, request: &PurchaseRequest) -> Result<PurchaseOutcome> {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(2)).await;
        let mut sold = self.sold.lock().unwrap();
        let count = sold.entry(request.phone_number.clone()).or_default();
        *count += 1;
        Ok(PurchaseOutcome::Bought(carrier_number(
            &request.phone_number,
            &format!("C{}", request.phone_number),
        )))
    }
    async fn find_owned(&self, _: &PhoneNumber) -> Result<Option<CarrierNumber>> {
        Ok(None)
    }
    async fn list_owned(&self, _: &PageRequest) -> Result<Page<CarrierNumber>> {
        Ok(Page::last(vec![]))
    }
    async fn update(&self, _: &str, _: &CarrierUpdate) -> Result<CarrierNumber> {
        Err(Error::not_found("x"))
    }
    async fn release(&self, _: &str) -> Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_requests_for_ten_numbers_buy_each_exactly_once() {
    let carrier = Arc::new(CountingCarrier::default());
    let service = ProvisioningService::new(
        ProviderRegistry::new(carrier.clone()),
        Arc::new(InMemoryRepository::new()),
    );
    let numbers: Vec<PhoneNumber> = (0..10)
        .map(|i| number(&format!("+1604555{:04}", 1000 + i)))
        .collect();
    let mut tasks = Vec::new();
    for task in 0..50 {
        let service = service.clone();
        let phone = numbers[task % 10].clone();
        tasks.push(tokio::spawn(async move {
            service
                .provision(
                    &account(&format!("tenant-{task}")),
                    &ProvisionRequest::new(phone),
                )
                .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(Error::AlreadyProvisioned { .. }) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(won, 10);
    let sold = carrier.sold.lock().unwrap();
    assert_eq!(sold.len(), 10);
    assert!(sold.values().all(|&n| n == 1), "{sold:?}");
}

#[tokio::test]
async fn update_renames_at_the_carrier_and_reassigns_locally() {
    let phone = number("+16045551234");
    let mut provider = mock_provider("mock");
    let bought = carrier_number(&phone, "PN1");
    let renamed = bought.clone();
    provider
        .expect_purchase()
        .returning(move |_| Ok(PurchaseOutcome::Bought(bought.clone())));
    provider
        .expect_update()
        .withf(|id, u| id == "PN1" && u.friendly_name.as_deref() == Some("Sales"))
        .times(1)
        .returning(move |_, _| Ok(renamed.clone()));
    let service = service_with(provider, Arc::new(InMemoryRepository::new()));
    let agent = Uuid::new_v4();
    let record = service
        .provision(
            &account("acme"),
            &ProvisionRequest::new(phone.clone()).agent(agent),
        )
        .await
        .unwrap();
    // Agent-only change: no carrier call (update expects exactly one call).
    let other_agent = Uuid::new_v4();
    let reassigned = service
        .update(
            &account("acme"),
            record.id,
            &NumberUpdate {
                agent_id: Some(Some(other_agent)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(reassigned.agent_id, Some(other_agent));
    let renamed = service
        .update(
            &account("acme"),
            record.id,
            &NumberUpdate {
                friendly_name: Some("Sales".into()),
                agent_id: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.friendly_name, "Sales");
    assert_eq!(renamed.agent_id, None);
    let routed = service.lookup(&phone).await.unwrap().unwrap();
    assert_eq!(routed, renamed);
}

#[tokio::test]
async fn the_routing_recorded_is_what_the_carrier_holds() {
    let phone = number("+16045551234");
    let mut provider = mock_provider("mock");
    // The carrier bought it but did not keep the webhooks.
    let bought = carrier_number(&phone, "SW-1");
    provider
        .expect_purchase()
        .returning(move |_| Ok(PurchaseOutcome::Bought(bought.clone())));
    let service = service_with(provider, Arc::new(InMemoryRepository::new()));
    let asked = Routing {
        voice_url: Some(WebhookUrl::parse("https://agent.example.com/voice").unwrap()),
        ..Routing::default()
    };
    let record = service
        .provision(
            &account("acme"),
            &ProvisionRequest::new(phone).routing(asked),
        )
        .await
        .unwrap();
    assert_eq!(record.routing, Routing::default());
}

/// A provider filter no carrier could be named (control characters, NUL
/// among them) is bad input naming the field, not a store failure: on
/// PostgreSQL, NUL in a text parameter made the listing a 500.
#[tokio::test]
async fn a_provider_filter_with_control_characters_is_invalid_input() {
    let service = service_with(mock_provider("mock"), Arc::new(InMemoryRepository::new()));
    for provider in ["mo\u{0}ck", "twilio\n", "\u{1b}[31m"] {
        let filter = NumberFilter {
            provider: Some(provider.into()),
            ..NumberFilter::default()
        };
        let listed = service
            .list(&account("alice"), filter, &PageRequest::default())
            .await;
        assert!(
            matches!(&listed, Err(e) if e.field() == Some("provider")),
            "{provider:?}: {listed:?}"
        );
    }
}

fn pending_options(order_wait: Duration) -> ServiceOptions {
    ServiceOptions {
        order_wait,
        order_poll_interval: Duration::from_millis(1),
        order_poll_max_interval: Duration::from_millis(2),
        ..fast_options()
    }
}

fn ordering_mock(phone: &PhoneNumber) -> MockTelephonyProvider {
    let mut provider = mock_provider("mock");
    let order = PendingOrder {
        order_id: "ORD-7".into(),
        phone_number: phone.clone(),
    };
    provider
        .expect_purchase()
        .times(1)
        .returning(move |_| Ok(PurchaseOutcome::Pending(order.clone())));
    provider
}

#[tokio::test]
async fn an_order_completed_with_another_number_is_not_recorded_and_stays_pending() {
    let phone = number("+16045551234");
    let mut provider = ordering_mock(&phone);
    let other = carrier_number(&number("+16045559999"), "PN9");
    provider
        .expect_order_status()
        .returning(move |_| Ok(OrderStatus::Complete(other.clone())));
    let repo = Arc::new(InMemoryRepository::new());
    let service =
        service_with(provider, repo.clone()).with_options(pending_options(Duration::ZERO));
    let pending = service
        .provision(&account("acme"), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
    let report = service.settle_orders().await.unwrap();
    assert_eq!(report.drift.len(), 1, "{report:?}");
    assert_eq!(report.drift[0].kind, DriftKind::OrderUnsettled);
    let still = repo.get(pending.id).await.unwrap().unwrap();
    assert_eq!(still.state, NumberState::Pending);
    assert_eq!(still.carrier_id, None);
}

#[tokio::test]
async fn a_provision_waits_out_temporary_failures_to_ask_and_answers_pending() {
    let phone = number("+16045551234");
    let mut provider = ordering_mock(&phone);
    provider
        .expect_order_status()
        .withf(|id| id == "ORD-7")
        .returning(|_| Err(transport()));
    // The carrier's listing does not show the number (an open order).
    provider.expect_list_owned().returning(|_| {
        Ok(Page {
            items: vec![],
            next_cursor: None,
        })
    });
    let repo = Arc::new(InMemoryRepository::new());
    let service = service_with(provider, repo.clone())
        .with_options(pending_options(Duration::from_millis(30)));
    let pending = service
        .provision(&account("acme"), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
    assert_eq!(pending.state, NumberState::Pending);
    assert_eq!(pending.order.as_ref().map(|o| o.id.as_str()), Some("ORD-7"));
    // Reconcile never judges a pending number by the carrier's listing or
    // by find_owned alone: it asks about the order, which cannot be asked.
    let report = service.reconcile(&ReconcileOptions::default()).await;
    let still = repo.get(pending.id).await.unwrap().unwrap();
    assert_eq!(still.state, NumberState::Pending, "{report:?}");
}
