//! Bulk provisioning: every position bought exactly once, concurrency that
//! adapts to a carrier's in-flight cap, numbers taken by someone else
//! replaced, repeat-safe keys, and input errors that change nothing.
//!
//! The carrier here is a small in-test one that answers a rate limit when
//! more than its cap of calls are in flight, and records every call. Time is
//! tokio's paused clock, so latency and `Retry-After` cost no real time.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use switchboard_core::*;

fn account(name: &str) -> AccountId {
    AccountId::parse(name).unwrap()
}

#[derive(Debug, Default)]
struct Calls {
    /// Purchase attempts per number (rate-limited ones excluded).
    purchases: BTreeMap<String, u32>,
    /// Rate-limited calls of any kind.
    refused: u32,
    searches: u32,
    /// The most calls in flight at once, accepted ones only.
    peak_accepted: u32,
}

/// A carrier selling `+1415555NNNN`, NNNN from 0000, first unowned first.
#[derive(Debug)]
struct CapCarrier {
    size: u32,
    cap: Option<u32>,
    latency: Duration,
    retry_after: Duration,
    owned: Mutex<HashSet<String>>,
    /// Numbers someone else buys right after they show up in a search.
    taken_after_search: Mutex<HashSet<String>>,
    taken: Mutex<HashSet<String>>,
    accepted: AtomicU32,
    calls: Mutex<Calls>,
}

impl CapCarrier {
    fn new(size: u32) -> Self {
        Self {
            size,
            cap: None,
            latency: Duration::from_millis(100),
            retry_after: Duration::from_secs(1),
            owned: Mutex::default(),
            taken_after_search: Mutex::default(),
            taken: Mutex::default(),
            accepted: AtomicU32::new(0),
            calls: Mutex::default(),
        }
    }

    fn cap(mut self, cap: u32) -> Self {
        self.cap = Some(cap);
        self
    }

    fn take_after_search(self, numbers: &[String]) -> Self {
        self.taken_after_search
            .lock()
            .unwrap()
            .extend(numbers.iter().cloned());
        self
    }

    fn number(i: u32) -> String {
        format!("+1415555{i:04}")
    }

    fn calls(&self) -> std::sync::MutexGuard<'_, Calls> {
        self.calls.lock().unwrap()
    }

    /// Enters a call: a rate limit when over the cap. The guard leaves it.
    async fn enter(&self) -> Result<InFlight<'_>> {
        let accepted = self.accepted.fetch_add(1, Ordering::SeqCst) + 1;
        if self.cap.is_some_and(|cap| accepted > cap) {
            self.accepted.fetch_sub(1, Ordering::SeqCst);
            self.calls().refused += 1;
            return Err(Error::rate_limited("cap", Some(self.retry_after)));
        }
        let guard = InFlight(self);
        {
            let mut calls = self.calls();
            calls.peak_accepted = calls.peak_accepted.max(accepted);
        }
        tokio::time::sleep(self.latency).await;
        Ok(guard)
    }
}

struct InFlight<'a>(&'a CapCarrier);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.accepted.fetch_sub(1, Ordering::SeqCst);
    }
}

fn carrier_number(phone: &PhoneNumber) -> CarrierNumber {
    CarrierNumber {
        carrier_id: format!("PN{}", phone.as_str().trim_start_matches('+')),
        phone_number: phone.clone(),
        friendly_name: None,
        capabilities: Capabilities::VOICE_SMS_MMS,
        routing: Routing::default(),
    }
}

#[async_trait]
impl TelephonyProvider for CapCarrier {
    fn name(&self) -> &str {
        "cap"
    }

    fn features(&self) -> ProviderFeatures {
        let mut features = ProviderFeatures::all(30);
        features.postal_code = false;
        features
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>> {
        let _in = self.enter().await?;
        self.calls().searches += 1;
        let owned = self.owned.lock().unwrap().clone();
        let mut taken = self.taken.lock().unwrap();
        let mut later = self.taken_after_search.lock().unwrap();
        let found: Vec<AvailableNumber> = (0..self.size)
            .map(Self::number)
            .filter(|n| !owned.contains(n) && !taken.contains(n))
            .take(query.limit as usize)
            .map(|n| AvailableNumber {
                phone_number: PhoneNumber::parse_trusted(&n).unwrap(),
                country: CountryCode::US,
                number_type: NumberType::Local,
                region: None,
                locality: None,
                postal_code: None,
                rate_center: None,
                capabilities: Capabilities::VOICE_SMS_MMS,
                provider: "cap".into(),
            })
            .collect();
        for n in &found {
            if later.remove(n.phone_number.as_str()) {
                taken.insert(n.phone_number.as_str().to_string());
            }
        }
        Ok(found)
    }

    async fn purchase(&self, request: &PurchaseRequest) -> Result<PurchaseOutcome> {
        let _in = self.enter().await?;
        let number = request.phone_number.as_str().to_string();
        *self.calls().purchases.entry(number.clone()).or_default() += 1;
        if self.taken.lock().unwrap().contains(&number) {
            return Err(Error::NumberUnavailable {
                phone_number: number,
                provider: "cap".into(),
                code: None,
                message: None,
            });
        }
        self.owned.lock().unwrap().insert(number);
        Ok(PurchaseOutcome::Bought(carrier_number(
            &request.phone_number,
        )))
    }

    async fn find_owned(&self, phone_number: &PhoneNumber) -> Result<Option<CarrierNumber>> {
        let _in = self.enter().await?;
        Ok(self
            .owned
            .lock()
            .unwrap()
            .contains(phone_number.as_str())
            .then(|| carrier_number(phone_number)))
    }

    async fn list_owned(&self, _page: &PageRequest) -> Result<Page<CarrierNumber>> {
        Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        })
    }

    async fn update(&self, _carrier_id: &str, _update: &CarrierUpdate) -> Result<CarrierNumber> {
        Err(Error::not_found("update"))
    }

    async fn release(&self, _carrier_id: &str) -> Result<()> {
        Ok(())
    }
}

fn service(carrier: &Arc<CapCarrier>, repo: &Arc<InMemoryRepository>) -> ProvisioningService {
    ProvisioningService::new(
        ProviderRegistry::new(carrier.clone() as Arc<dyn TelephonyProvider>),
        repo.clone() as Arc<dyn NumberRepository>,
    )
}

async fn active(repo: &InMemoryRepository, who: &AccountId) -> Vec<ProvisionedNumber> {
    repo.list(
        &NumberFilter::account(who.clone()).in_states(&[NumberState::Active]),
        &PageRequest::first(MAX_PAGE_SIZE),
    )
    .await
    .unwrap()
    .items
}

#[tokio::test(start_paused = true)]
async fn every_position_gets_its_own_number_bought_exactly_once() {
    let carrier = Arc::new(CapCarrier::new(1000));
    let repo = Arc::new(InMemoryRepository::new());
    let acme = account("acme");
    let agent = uuid::Uuid::from_u128(7);
    let request = BulkProvisionRequest::new(120, SearchQuery::default())
        .friendly_name_prefix("Sales")
        .agent(agent)
        .max_concurrency(16);
    let report = service(&carrier, &repo)
        .provision_bulk(&acme, &request)
        .await
        .unwrap();

    assert_eq!(
        (report.requested, report.bought, report.failed),
        (120, 120, 0)
    );
    assert_eq!(report.outcomes.len(), 120);
    let mut numbers = BTreeSet::new();
    for (i, outcome) in report.outcomes.iter().enumerate() {
        assert_eq!(outcome.index(), i as u32 + 1);
        let number = outcome.number().expect("bought");
        assert_eq!(number.friendly_name, format!("Sales {}", i + 1));
        assert_eq!(number.agent_id, Some(agent));
        assert_eq!(number.state, NumberState::Active);
        assert!(numbers.insert(number.phone_number.to_string()));
    }
    assert_eq!(active(&repo, &acme).await.len(), 120);
    let calls = carrier.calls();
    assert!(calls.purchases.values().all(|&n| n == 1), "{calls:?}");
    let purchased: BTreeSet<String> = calls.purchases.keys().cloned().collect();
    assert_eq!(purchased, numbers);
    assert!(calls.peak_accepted <= 16, "{calls:?}");
    assert!(report.stats.peak_concurrency <= 16);
}

#[tokio::test(start_paused = true)]
async fn concurrency_finds_the_carriers_cap_from_its_rate_limits() {
    let cap = 4;
    let carrier = Arc::new(CapCarrier::new(1000).cap(cap));
    let repo = Arc::new(InMemoryRepository::new());
    let acme = account("acme");
    let request = BulkProvisionRequest::new(200, SearchQuery::default()).max_concurrency(32);
    let report = service(&carrier, &repo)
        .provision_bulk(&acme, &request)
        .await
        .unwrap();

    // Nothing is left failed because of a rate limit.
    let errors: Vec<_> = report.outcomes.iter().filter_map(|o| o.error()).collect();
    assert_eq!(
        (report.bought, report.failed),
        (200, 0),
        "{:?} {errors:?}",
        report.stats
    );
    let calls = carrier.calls();
    assert!(calls.purchases.values().all(|&n| n == 1), "{calls:?}");
    assert!(calls.refused > 0, "the cap was never met: {calls:?}");
    // The bulk sees the refusals of its own calls (not those inside the
    // service's settling of a refused purchase).
    assert!(report.stats.rate_limited > 0 && report.stats.rate_limited <= calls.refused);
    // Over the cap only briefly: a handful of refusals for 200 numbers and
    // their searches (without adaptation, every wave refuses 28 of 32).
    assert!(calls.refused <= 12, "{calls:?} {:?}", report.stats);
    assert!(
        (1..=cap + 1).contains(&report.stats.final_concurrency),
        "{:?}",
        report.stats
    );
    assert!(calls.peak_accepted <= cap);
}

#[tokio::test(start_paused = true)]
async fn a_number_taken_between_search_and_purchase_is_replaced() {
    let stolen: Vec<String> = [1, 3, 4, 20].map(CapCarrier::number).to_vec();
    let carrier = Arc::new(CapCarrier::new(1000).take_after_search(&stolen));
    let repo = Arc::new(InMemoryRepository::new());
    let acme = account("acme");
    let request = BulkProvisionRequest::new(40, SearchQuery::default()).max_concurrency(4);
    let report = service(&carrier, &repo)
        .provision_bulk(&acme, &request)
        .await
        .unwrap();

    assert_eq!((report.bought, report.failed), (40, 0));
    assert_eq!(report.stats.replaced, 4);
    let calls = carrier.calls();
    // Each stolen number was tried once, found gone, and never again.
    for number in &stolen {
        assert_eq!(calls.purchases.get(number), Some(&1), "{number}");
    }
    assert!(calls.purchases.values().all(|&n| n == 1), "{calls:?}");
    let bought: HashSet<String> = report
        .numbers()
        .map(|n| n.phone_number.to_string())
        .collect();
    assert!(stolen.iter().all(|n| !bought.contains(n)));
    assert_eq!(bought.len(), 40);
}

#[tokio::test(start_paused = true)]
async fn a_repeated_request_buys_nothing_twice_and_only_the_missing_ones() {
    let carrier = Arc::new(CapCarrier::new(1000).cap(3));
    let repo = Arc::new(InMemoryRepository::new());
    let acme = account("acme");
    let service = service(&carrier, &repo);
    let request = BulkProvisionRequest::new(12, SearchQuery::default())
        .idempotency_key_prefix("batch-7")
        .max_concurrency(8);
    let first = service.provision_bulk(&acme, &request).await.unwrap();
    assert_eq!((first.bought, first.replayed), (12, 0));
    let purchases_before = carrier.calls().purchases.len();

    let again = service.provision_bulk(&acme, &request).await.unwrap();
    assert_eq!((again.bought, again.replayed, again.failed), (12, 12, 0));
    assert_eq!(carrier.calls().purchases.len(), purchases_before);
    let ids = |r: &BulkReport| r.numbers().map(|n| n.id).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&again));
    assert_eq!(again.stats.searches, 0);

    // More positions under the same keys: only the new ones are bought.
    let more = BulkProvisionRequest {
        count: 15,
        ..request
    };
    let third = service.provision_bulk(&acme, &more).await.unwrap();
    assert_eq!((third.bought, third.replayed), (15, 12));
    assert_eq!(carrier.calls().purchases.len(), purchases_before + 3);
    assert_eq!(active(&repo, &acme).await.len(), 15);
    let keys: BTreeSet<_> = active(&repo, &acme)
        .await
        .into_iter()
        .filter_map(|n| n.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 15);
    assert!(keys.contains("batch-7-15"));
}

#[tokio::test(start_paused = true)]
async fn bad_input_is_refused_before_anything_changes() {
    let carrier = Arc::new(CapCarrier::new(100));
    let repo = Arc::new(InMemoryRepository::new());
    let service = service(&carrier, &repo);
    let base = BulkProvisionRequest::new(5, SearchQuery::default());
    let cases: Vec<(BulkProvisionRequest, &str)> = vec![
        (
            BulkProvisionRequest {
                count: 0,
                ..base.clone()
            },
            "count",
        ),
        (
            BulkProvisionRequest {
                count: MAX_BULK_COUNT + 1,
                ..base.clone()
            },
            "count",
        ),
        (
            BulkProvisionRequest::new(5, SearchQuery::default().area_code("41x")),
            "search.area_code",
        ),
        (
            base.clone().friendly_name_prefix(" "),
            "friendly_name_prefix",
        ),
        (
            base.clone().friendly_name_prefix("x".repeat(60)),
            "friendly_name_prefix",
        ),
        (
            base.clone().idempotency_key_prefix("has space"),
            "idempotency_key_prefix",
        ),
        (
            base.clone().idempotency_key_prefix("k".repeat(251)),
            "idempotency_key_prefix",
        ),
        (base.clone().max_concurrency(0), "max_concurrency"),
        (
            base.clone().max_concurrency(MAX_BULK_CONCURRENCY + 1),
            "max_concurrency",
        ),
        (base.clone().provider("nope"), "provider"),
    ];
    for (request, field) in cases {
        let err = service
            .provision_bulk(&account("acme"), &request)
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
    }
    // A filter the carrier cannot apply is refused up front too.
    let err = service
        .provision_bulk(
            &account("acme"),
            &BulkProvisionRequest::new(5, SearchQuery::default().postal_code("94105")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");

    let calls = carrier.calls();
    assert_eq!((calls.searches, calls.purchases.len()), (0, 0));
    assert!(repo.is_empty());
}

#[tokio::test(start_paused = true)]
async fn positions_the_inventory_cannot_fill_fail_alone() {
    let carrier = Arc::new(CapCarrier::new(7));
    let repo = Arc::new(InMemoryRepository::new());
    let request = BulkProvisionRequest::new(10, SearchQuery::default()).max_concurrency(4);
    let report = service(&carrier, &repo)
        .provision_bulk(&account("acme"), &request)
        .await
        .unwrap();
    assert_eq!((report.bought, report.failed), (7, 3));
    let failed: Vec<_> = report.outcomes.iter().filter_map(|o| o.error()).collect();
    assert!(failed.iter().all(|e| e.code() == "not_found"), "{failed:?}");
    assert!(carrier.calls().purchases.values().all(|&n| n == 1));
}

#[tokio::test(start_paused = true)]
async fn progress_is_reported_once_per_position() {
    let carrier = Arc::new(CapCarrier::new(100));
    let repo = Arc::new(InMemoryRepository::new());
    let seen = Mutex::new(Vec::new());
    let report = service(&carrier, &repo)
        .provision_bulk_with_progress(
            &account("acme"),
            &BulkProvisionRequest::new(9, SearchQuery::default()),
            &|outcome| seen.lock().unwrap().push(outcome.index()),
        )
        .await
        .unwrap();
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    assert_eq!(seen, (1..=9).collect::<Vec<_>>());
    assert_eq!(report.bought, 9);
}

#[tokio::test(start_paused = true)]
async fn the_report_gives_each_outcome_its_status() {
    let carrier = Arc::new(CapCarrier::new(2));
    let repo = Arc::new(InMemoryRepository::new());
    let report = service(&carrier, &repo)
        .provision_bulk(
            &account("acme"),
            &BulkProvisionRequest::new(3, SearchQuery::default()).max_concurrency(1),
        )
        .await
        .unwrap();
    assert_eq!(report.requested, 3);
    assert_eq!(report.bought, 2);
    assert_eq!(report.failed, 1);
    match &report.outcomes[0] {
        BulkOutcome::Bought {
            index,
            number,
            replayed,
        } => {
            assert_eq!(*index, 1);
            assert!(!replayed);
            assert_eq!(number.phone_number.as_str(), "+14155550000");
        }
        other => panic!("position 1 was not bought: {other:?}"),
    }
    assert_eq!(report.outcomes[2].index(), 3);
    assert_eq!(
        report.outcomes[2].error().map(Error::code),
        Some("not_found"),
        "{:?}",
        report.outcomes[2]
    );
    assert!(report.stats.searches >= 1);
}

fn mock(name: &'static str) -> MockTelephonyProvider {
    let mut mock = MockTelephonyProvider::new();
    mock.expect_name().return_const(name.to_string());
    mock.expect_features()
        .returning(|| ProviderFeatures::all(30));
    mock
}

fn offer(numbers: &[&str]) -> Vec<AvailableNumber> {
    numbers
        .iter()
        .map(|n| AvailableNumber {
            phone_number: PhoneNumber::parse_trusted(n).unwrap(),
            country: CountryCode::US,
            number_type: NumberType::Local,
            region: None,
            locality: None,
            postal_code: None,
            rate_center: None,
            capabilities: Capabilities::VOICE_SMS_MMS,
            provider: "mock".into(),
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn refused_credentials_stop_the_bulk_after_one_purchase() {
    let mut provider = mock("mock");
    provider
        .expect_search()
        .returning(|_| Ok(offer(&["+14155550001", "+14155550002", "+14155550003"])));
    provider.expect_purchase().times(1).returning(|_| {
        Err(Error::Unauthenticated {
            provider: "mock".into(),
            message: "bad token".into(),
            code: None,
        })
    });
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(provider)),
        Arc::new(InMemoryRepository::new()),
    );
    let report = service
        .provision_bulk(
            &account("acme"),
            &BulkProvisionRequest::new(3, SearchQuery::default()).max_concurrency(1),
        )
        .await
        .unwrap();
    assert_eq!(report.failed, 3);
    assert!(
        report
            .outcomes
            .iter()
            .all(|o| o.error().map(Error::code) == Some("unauthenticated"))
    );
}

/// The adapter's retry loop already spent its attempts on these: bulk takes
/// its word for it instead of multiplying them.
#[tokio::test(start_paused = true)]
async fn a_search_the_adapter_gave_up_on_is_not_retried_by_bulk() {
    for last in [
        Error::rate_limited("mock", Some(Duration::from_secs(1))),
        Error::Transport {
            provider: "mock".into(),
            message: "GET /search: timed out".into(),
            cause: None,
        },
    ] {
        let gave_up = last.clone().after_attempts(4);
        assert!(gave_up.retries_exhausted(), "{gave_up}");
        let mut provider = mock("mock");
        provider
            .expect_search()
            .times(1)
            .returning(move |_| Err(gave_up.clone()));
        provider.expect_purchase().never();
        let service = ProvisioningService::new(
            ProviderRegistry::new(Arc::new(provider)),
            Arc::new(InMemoryRepository::new()),
        );
        let report = service
            .provision_bulk(
                &account("acme"),
                &BulkProvisionRequest::new(2, SearchQuery::default()).max_concurrency(1),
            )
            .await
            .unwrap();
        assert_eq!(report.failed, 2, "{last}");
        for outcome in &report.outcomes {
            let error = outcome.error().expect("failed");
            assert_eq!(error.attempts(), 4, "{error}");
            assert_eq!(error.code(), last.code());
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_rate_limited_purchase_left_unsettled_is_settled_then_retried() {
    let phone = "+14155550001";
    let mut provider = mock("mock");
    let mut seq = mockall::Sequence::new();
    provider
        .expect_search()
        .times(1)
        .in_sequence(&mut seq)
        .returning(move |_| Ok(offer(&[phone])));
    provider
        .expect_purchase()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Err(Error::rate_limited("mock", Some(Duration::from_secs(2)))));
    // The service could not ask, so its reservation stays ...
    provider
        .expect_find_owned()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Err(Error::Transport {
                provider: "mock".into(),
                message: "reset".into(),
                cause: None,
            })
        });
    // ... and the bulk asks again before retrying: not bought.
    provider
        .expect_find_owned()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(None));
    provider
        .expect_purchase()
        .times(1)
        .in_sequence(&mut seq)
        .returning(move |r| Ok(PurchaseOutcome::Bought(carrier_number(&r.phone_number))));
    let repo = Arc::new(InMemoryRepository::new());
    let service = ProvisioningService::new(ProviderRegistry::new(Arc::new(provider)), repo.clone());
    let request = BulkProvisionRequest::new(1, SearchQuery::default())
        .idempotency_key_prefix("k")
        .max_concurrency(1);
    let report = service
        .provision_bulk(&account("acme"), &request)
        .await
        .unwrap();
    assert_eq!((report.bought, report.failed), (1, 0));
    assert_eq!(report.stats.rate_limited, 1);
    assert_eq!(report.stats.retries, 1);
    let number = report.numbers().next().unwrap();
    assert_eq!(number.phone_number.as_str(), phone);
    assert_eq!(number.idempotency_key.as_deref(), Some("k-1"));
    // The first reservation is marked failed; only the second is live.
    let all = repo
        .list(&NumberFilter::default(), &PageRequest::first(MAX_PAGE_SIZE))
        .await
        .unwrap()
        .items;
    let states: HashMap<NumberState, usize> = all.iter().fold(HashMap::new(), |mut m, n| {
        *m.entry(n.state).or_default() += 1;
        m
    });
    assert_eq!(states.get(&NumberState::Failed), Some(&1));
    assert_eq!(states.get(&NumberState::Active), Some(&1));
}

#[test]
fn the_bulk_future_can_run_on_a_spawned_task() {
    fn assert_send<T: Send>(_: &T) {}
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(CapCarrier::new(1))),
        Arc::new(InMemoryRepository::new()),
    );
    let acme = account("acme");
    let request = BulkProvisionRequest::new(1, SearchQuery::default());
    let future = service.provision_bulk(&acme, &request);
    assert_send(&future);
}

#[tokio::test(start_paused = true)]
async fn a_lost_purchase_answer_is_never_bought_again_and_keeps_its_reservation() {
    let phone = "+14155550001";
    let mut provider = mock("mock");
    provider
        .expect_search()
        .returning(move |_| Ok(offer(&[phone])));
    provider.expect_purchase().times(1).returning(|_| {
        Err(Error::Transport {
            provider: "mock".into(),
            message: "timed out".into(),
            cause: None,
        })
    });
    // Not owned yet: but the first request may still complete at the carrier.
    provider.expect_find_owned().returning(|_| Ok(None));
    let repo = Arc::new(InMemoryRepository::new());
    let service = ProvisioningService::new(ProviderRegistry::new(Arc::new(provider)), repo.clone());
    let request = BulkProvisionRequest::new(1, SearchQuery::default())
        .idempotency_key_prefix("k")
        .max_concurrency(1);
    let report = service
        .provision_bulk(&account("acme"), &request)
        .await
        .unwrap();
    assert_eq!((report.bought, report.failed), (0, 1));
    assert_eq!(
        report.outcomes[0].error().map(Error::code),
        Some("carrier_unreachable")
    );
    let held = repo
        .find_by_phone_number(&PhoneNumber::parse_trusted(phone).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.state, NumberState::Reserved);
    // Repeating the bulk request reports it in progress, and buys nothing.
    let again = service
        .provision_bulk(&account("acme"), &request)
        .await
        .unwrap();
    assert_eq!(again.outcomes[0].error().map(Error::code), Some("conflict"));
}
