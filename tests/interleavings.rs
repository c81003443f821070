//! No write undoes another: each scenario of overlapping work that used to
//! lose a paid number or a release, replayed deterministically. Gates inside
//! a scripted carrier (and, where a request must look stalled, a store that
//! drops its lease renewals) hold one operation at a chosen point while
//! another runs, so every test fails without the mechanism it names.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use switchboard::fake::{FakeProvider, Fault, Operation, Times};
use switchboard::*;
use tokio::sync::Semaphore;
use uuid::Uuid;

/// Holds a call at one point until the test opens it, and tells the test
/// when a call got there.
#[derive(Debug)]
struct Gate {
    arrived: Semaphore,
    open: Semaphore,
}

impl Gate {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            arrived: Semaphore::new(0),
            open: Semaphore::new(0),
        })
    }

    async fn pass(&self) {
        self.arrived.add_permits(1);
        self.open.acquire().await.expect("gate").forget();
    }

    async fn reached(&self) {
        self.arrived.acquire().await.expect("gate").forget();
    }

    fn open(&self) {
        self.open.add_permits(1);
    }
}

/// Where a gate holds a call: before the carrier acts, or after it acted
/// and answered (the answer then reaches the caller late, and stale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum At {
    Before(Operation),
    After(Operation),
}

/// The fake carrier with gates, a listing that can leave numbers out, a
/// purchase answer that can name another number, and a window in which it
/// may deny a number it just sold.
#[derive(Debug)]
struct Scripted {
    inner: FakeProvider,
    gates: Mutex<Vec<(At, Arc<Gate>)>>,
    unlisted: Mutex<HashSet<PhoneNumber>>,
    answer_names: Mutex<Option<PhoneNumber>>,
    not_found_window: Duration,
}

impl Scripted {
    fn new(inner: FakeProvider) -> Arc<Self> {
        Self::with_window(inner, Duration::ZERO)
    }

    fn with_window(inner: FakeProvider, not_found_window: Duration) -> Arc<Self> {
        Arc::new(Self {
            inner,
            gates: Mutex::new(Vec::new()),
            unlisted: Mutex::new(HashSet::new()),
            answer_names: Mutex::new(None),
            not_found_window,
        })
    }

    /// The next call at `at` waits for the returned gate.
    fn gate(&self, at: At) -> Arc<Gate> {
        let gate = Gate::new();
        self.gates.lock().unwrap().push((at, gate.clone()));
        gate
    }

    async fn pass(&self, at: At) {
        let gate = {
            let mut gates = self.gates.lock().unwrap();
            let found = gates.iter().position(|(where_, _)| *where_ == at);
            found.map(|i| gates.remove(i).1)
        };
        if let Some(gate) = gate {
            gate.pass().await;
        }
    }
}

#[async_trait]
impl TelephonyProvider for Scripted {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn features(&self) -> ProviderFeatures {
        self.inner.features()
    }
    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>> {
        self.inner.search(query).await
    }
    async fn purchase(&self, request: &PurchaseRequest) -> Result<PurchaseOutcome> {
        self.pass(At::Before(Operation::Purchase)).await;
        let mut answer = self.inner.purchase(request).await;
        if let (Ok(PurchaseOutcome::Bought(bought)), Some(other)) =
            (&mut answer, self.answer_names.lock().unwrap().take())
        {
            bought.phone_number = other;
        }
        self.pass(At::After(Operation::Purchase)).await;
        answer
    }
    async fn find_owned(&self, phone_number: &PhoneNumber) -> Result<Option<CarrierNumber>> {
        self.pass(At::Before(Operation::FindOwned)).await;
        let answer = self.inner.find_owned(phone_number).await;
        self.pass(At::After(Operation::FindOwned)).await;
        answer
    }
    async fn list_owned(&self, page: &PageRequest) -> Result<Page<CarrierNumber>> {
        let mut answer = self.inner.list_owned(page).await?;
        let unlisted = self.unlisted.lock().unwrap().clone();
        answer.items.retain(|n| !unlisted.contains(&n.phone_number));
        self.pass(At::After(Operation::ListOwned)).await;
        Ok(answer)
    }
    async fn update(&self, carrier_id: &str, update: &CarrierUpdate) -> Result<CarrierNumber> {
        self.pass(At::Before(Operation::Update)).await;
        let answer = self.inner.update(carrier_id, update).await;
        self.pass(At::After(Operation::Update)).await;
        answer
    }
    async fn release(&self, carrier_id: &str) -> Result<()> {
        self.pass(At::Before(Operation::Release)).await;
        self.inner.release(carrier_id).await
    }
    fn not_found_window(&self) -> Duration {
        self.not_found_window
    }
}

/// A store that can be made to refuse writes of records in one state: of
/// reserved ones, as for a request whose process stalls (its lease
/// renewals fail and the reservation lapses while the carrier works), or of
/// active ones (the purchase cannot be recorded).
#[derive(Debug, Default)]
struct StallingStore {
    inner: InMemoryRepository,
    refuse: Mutex<Option<NumberState>>,
}

impl StallingStore {
    fn refuse(&self, state: Option<NumberState>) {
        *self.refuse.lock().unwrap() = state;
    }
}

#[async_trait]
impl NumberRepository for StallingStore {
    async fn insert(&self, number: &ProvisionedNumber) -> Result<()> {
        self.inner.insert(number).await
    }
    async fn get(&self, id: Uuid) -> Result<Option<ProvisionedNumber>> {
        self.inner.get(id).await
    }
    async fn find_by_phone_number(
        &self,
        phone_number: &PhoneNumber,
    ) -> Result<Option<ProvisionedNumber>> {
        self.inner.find_by_phone_number(phone_number).await
    }
    async fn find_by_idempotency_key(
        &self,
        account: &AccountId,
        key: &str,
    ) -> Result<Option<ProvisionedNumber>> {
        self.inner.find_by_idempotency_key(account, key).await
    }
    async fn list(
        &self,
        filter: &NumberFilter,
        page: &PageRequest,
    ) -> Result<Page<ProvisionedNumber>> {
        self.inner.list(filter, page).await
    }
    async fn update(&self, number: &ProvisionedNumber) -> Result<ProvisionedNumber> {
        if *self.refuse.lock().unwrap() == Some(number.state) {
            return Err(Error::Repository {
                message: "stalled".into(),
                temporary: true,
                cause: None,
            });
        }
        self.inner.update(number).await
    }
}

/// The service's clock, following tokio's (paused) time, so that leases and
/// the timers that renew them agree.
#[derive(Debug)]
struct TokioClock {
    start: DateTime<Utc>,
    origin: tokio::time::Instant,
}

impl TokioClock {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            origin: tokio::time::Instant::now(),
        })
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::from_std(self.origin.elapsed()).unwrap()
    }
}

const LEASE: Duration = Duration::from_secs(30);
const GRACE: Duration = Duration::from_secs(120);

fn service(carrier: Arc<Scripted>, store: Arc<dyn NumberRepository>) -> ProvisioningService {
    ProvisioningService::new(ProviderRegistry::new(carrier), store)
        .with_clock(TokioClock::new())
        .with_options(ServiceOptions {
            purchase_retry: RetryPolicy::NONE,
            reservation_lease: LEASE,
            fresh_record_grace: GRACE,
            ..ServiceOptions::default()
        })
}

fn fake() -> FakeProvider {
    FakeProvider::builder().inventory_size(1_000).build()
}

/// A number the fake sells.
async fn for_sale(carrier: &Scripted, n: usize) -> PhoneNumber {
    let offers = carrier
        .search(&SearchQuery::new(CountryCode::US).limit(n as u32 + 1))
        .await
        .unwrap();
    offers[n].phone_number.clone()
}

fn acme() -> AccountId {
    AccountId::parse("acme").unwrap()
}

async fn only_record(store: &dyn NumberRepository, phone: &PhoneNumber) -> ProvisionedNumber {
    let filter = &NumberFilter::default();
    let all = collect_pages(|page| async move { store.list(filter, &page).await })
        .await
        .unwrap();
    let mut mine: Vec<_> = all
        .into_iter()
        .filter(|r| r.phone_number == *phone)
        .collect();
    assert_eq!(mine.len(), 1, "records of {phone}: {mine:?}");
    mine.remove(0)
}

/// Buys `phone` for acme in a task of its own, so the test can act while
/// the purchase is held at a gate.
fn spawn_provision(
    service: &ProvisioningService,
    phone: &PhoneNumber,
) -> tokio::task::JoinHandle<Result<ProvisionedNumber>> {
    let service = service.clone();
    let request = ProvisionRequest::new(phone.clone());
    tokio::spawn(async move { service.provision(&acme(), &request).await })
}

/// What Twilio answers for a number it does not show (live behaviour 7).
fn twilio_not_found() -> Error {
    Error::NotFound {
        what: "PN".into(),
        code: Some("20404".into()),
    }
}

/// A carrier call whose connection was cut before any answer.
fn connection_reset() -> Error {
    Error::Transport {
        provider: "fake".into(),
        message: "reset".into(),
        cause: None,
    }
}

fn drift_of<'r>(report: &'r ReconcileReport, phone: &PhoneNumber) -> Option<&'r Drift> {
    report.drift.iter().find(|d| d.phone_number == *phone)
}

/// Scenario 1, the lease: a purchase that outlasts the lease many times
/// over keeps its reservation alive, so a reconcile beside it leaves it
/// alone, and the number ends active. Without renewals, reconcile fails the
/// reservation after one lease and the purchase lands on a failed record.
#[tokio::test(start_paused = true)]
async fn a_slow_purchase_keeps_its_reservation_from_reconcile() {
    let carrier = Scripted::new(fake());
    let store = Arc::new(StallingStore::default());
    let service = service(carrier.clone(), store.clone());
    let phone = for_sale(&carrier, 0).await;
    let purchase = carrier.gate(At::Before(Operation::Purchase));

    let provisioning = spawn_provision(&service, &phone);
    purchase.reached().await;
    // The carrier takes ten leases' time; reconcile runs in the middle.
    tokio::time::sleep(LEASE * 5).await;
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(drift_of(&report, &phone), None, "{report:?}");
    tokio::time::sleep(LEASE * 5).await;
    purchase.open();

    let bought = provisioning.await.unwrap().expect("provision");
    assert_eq!(bought.state, NumberState::Active);
    assert_eq!(only_record(store.as_ref(), &phone).await, bought);
    assert!(carrier.inner.find_owned(&phone).await.unwrap().is_some());
}

/// Scenario 1, compare-and-swap: the request stalls (its renewals fail) and
/// its lease lapses; reconcile reads the reservation, asks the carrier
/// before the purchase lands (not owned), then the purchase lands and the
/// service records it active; reconcile's verdict, decided on the old read,
/// must not overwrite that.
#[tokio::test(start_paused = true)]
async fn reconcile_never_writes_a_stale_verdict_over_a_completed_purchase() {
    let carrier = Scripted::new(fake());
    let store = Arc::new(StallingStore::default());
    let service = service(carrier.clone(), store.clone());
    let phone = for_sale(&carrier, 0).await;
    let purchase = carrier.gate(At::Before(Operation::Purchase));
    let verdict = carrier.gate(At::After(Operation::FindOwned));
    store.refuse(Some(NumberState::Reserved));

    let provisioning = spawn_provision(&service, &phone);
    purchase.reached().await;
    tokio::time::sleep(LEASE * 2).await;
    let reconciling = tokio::spawn({
        let service = service.clone();
        async move { service.reconcile(&ReconcileOptions::default()).await }
    });
    // Reconcile has its answer ("not owned") and is held before acting on it.
    verdict.reached().await;
    purchase.open();
    let bought = provisioning.await.unwrap().expect("provision");
    assert_eq!(bought.state, NumberState::Active);
    verdict.open();
    let report = reconciling.await.unwrap().unwrap();

    let drift = drift_of(&report, &phone).expect("reconcile looked at it");
    assert_eq!(drift.kind, DriftKind::PurchaseNeverHappened);
    assert!(
        matches!(&drift.repair, Repair::Left(why) if why.contains("changed while reconciling")),
        "{drift:?}"
    );
    let record = only_record(store.as_ref(), &phone).await;
    assert_eq!(record.state, NumberState::Active, "{record:?}");
    assert!(carrier.inner.find_owned(&phone).await.unwrap().is_some());
}

/// Scenario 2: a rename reads the number active and calls the carrier;
/// meanwhile a release is asked for and the carrier refuses for now. The
/// rename must not put the number back in service.
#[tokio::test(start_paused = true)]
async fn a_rename_in_flight_never_undoes_a_pending_release() {
    let carrier = Scripted::new(fake());
    let store = Arc::new(InMemoryRepository::new());
    let service = service(carrier.clone(), store.clone());
    let phone = for_sale(&carrier, 0).await;
    let bought = service
        .provision(&acme(), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
    let update = carrier.gate(At::Before(Operation::Update));
    let renaming = tokio::spawn({
        let service = service.clone();
        async move {
            let rename = NumberUpdate {
                friendly_name: Some("Renamed".into()),
                ..NumberUpdate::default()
            };
            service.update(&acme(), bought.id, &rename).await
        }
    });
    update.reached().await;
    carrier.inner.script(
        Operation::Release,
        Fault::Fail(Error::RetryLater {
            provider: "fake".into(),
            not_before: None,
            message: "purchased too recently".into(),
        }),
        Times::Once,
    );
    let pending = service.release(&acme(), bought.id).await.unwrap();
    assert_eq!(pending.state, NumberState::Releasing);
    update.open();

    let renamed = renaming.await.unwrap();
    assert!(
        matches!(&renamed, Err(Error::Conflict { reason }) if reason.contains("releasing")),
        "{renamed:?}"
    );
    let record = only_record(store.as_ref(), &phone).await;
    assert_eq!(record.state, NumberState::Releasing, "{record:?}");
    // And the release completes later, as asked.
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(
        drift_of(&report, &phone).map(|d| &d.repair),
        Some(&Repair::Released)
    );
}

/// Two renames overlap: the first is answered by the carrier and held
/// before it records its name; the second reaches the carrier after it and
/// records first. The carrier holds the second name, so the record must
/// too: the first rename's late write must not undo the second's.
#[tokio::test(start_paused = true)]
async fn a_late_rename_never_undoes_a_later_one() {
    let carrier = Scripted::new(fake());
    let store = Arc::new(InMemoryRepository::new());
    let service = service(carrier.clone(), store.clone());
    let phone = for_sale(&carrier, 0).await;
    let bought = service
        .provision(&acme(), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
    let rename = |name: &str| NumberUpdate {
        friendly_name: Some(name.into()),
        ..NumberUpdate::default()
    };
    let answered = carrier.gate(At::After(Operation::Update));
    let first = tokio::spawn({
        let service = service.clone();
        let rename = rename("First");
        async move { service.update(&acme(), bought.id, &rename).await }
    });
    answered.reached().await;
    let second = service
        .update(&acme(), bought.id, &rename("Second"))
        .await
        .unwrap();
    assert_eq!(second.friendly_name, "Second");
    answered.open();
    let first = first.await.unwrap().unwrap();

    let held = carrier.inner.find_owned(&phone).await.unwrap().unwrap();
    assert_eq!(held.friendly_name.as_deref(), Some("Second"));
    let record = only_record(store.as_ref(), &phone).await;
    assert_eq!(record.friendly_name, "Second", "{record:?}");
    // The first caller is told what the number is now called.
    assert_eq!(first.friendly_name, "Second");
}

/// Scenario 3: a number bought moments ago that the carrier's listing
/// does not show yet is not marked released; after the grace, a listing
/// that still leaves it out is checked against the carrier for that one
/// number, and only a carrier that denies it makes it released.
#[tokio::test(start_paused = true)]
async fn one_listing_that_leaves_a_number_out_releases_nothing() {
    let carrier = Scripted::new(fake());
    let store = Arc::new(InMemoryRepository::new());
    let service = service(carrier.clone(), store.clone());
    let phone = for_sale(&carrier, 0).await;
    service
        .provision(&acme(), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
    carrier.unlisted.lock().unwrap().insert(phone.clone());

    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert!(
        matches!(drift_of(&report, &phone).map(|d| &d.repair), Some(Repair::Left(why)) if why.contains("too recently")),
        "{report:?}"
    );
    tokio::time::sleep(GRACE * 2).await;
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert!(
        matches!(drift_of(&report, &phone).map(|d| &d.repair), Some(Repair::Left(why)) if why.contains("carrier holds it")),
        "{report:?}"
    );
    assert_eq!(
        only_record(store.as_ref(), &phone).await.state,
        NumberState::Active
    );

    // Gone at the carrier for real (released behind our back): now it is.
    let owned = carrier.inner.find_owned(&phone).await.unwrap().unwrap();
    carrier.inner.release(&owned.carrier_id).await.unwrap();
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(
        drift_of(&report, &phone).map(|d| (d.kind, d.repair.clone())),
        Some((DriftKind::MissingAtCarrier, Repair::MarkedReleased))
    );
}

/// Scenario 3, paging: a listing that cannot be followed to its end is
/// reported, and nothing is judged missing from it.
#[tokio::test(start_paused = true)]
async fn a_listing_that_fails_is_reported_and_judges_nothing() {
    let carrier = Scripted::new(fake());
    let store = Arc::new(InMemoryRepository::new());
    let service = service(carrier.clone(), store.clone());
    let phone = for_sale(&carrier, 0).await;
    service
        .provision(&acme(), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
    tokio::time::sleep(GRACE * 2).await;
    // Gone at the carrier, but the listing cannot be read.
    let owned = carrier.inner.find_owned(&phone).await.unwrap().unwrap();
    carrier.inner.release(&owned.carrier_id).await.unwrap();
    carrier.inner.script(
        Operation::ListOwned,
        Fault::Fail(connection_reset()),
        Times::Once,
    );
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(report.errors.len(), 1, "{report:?}");
    assert!(report.errors[0].contains("could not list"), "{report:?}");
    assert_eq!(drift_of(&report, &phone), None, "{report:?}");
    assert_eq!(
        only_record(store.as_ref(), &phone).await.state,
        NumberState::Active
    );
}

/// Scenario 4: a carrier that denies a number it sold a moment ago does
/// not make the release done: it stays pending until the window has passed
/// and the carrier is asked again.
#[tokio::test(start_paused = true)]
async fn not_found_right_after_a_purchase_keeps_the_release_pending() {
    let window = Duration::from_secs(300);
    let carrier = Scripted::with_window(fake(), window);
    let store = Arc::new(InMemoryRepository::new());
    let service = service(carrier.clone(), store.clone());
    let phone = for_sale(&carrier, 0).await;
    let bought = service
        .provision(&acme(), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
    carrier.inner.script(
        Operation::Release,
        Fault::Fail(twilio_not_found()),
        Times::Once,
    );
    let pending = service.release(&acme(), bought.id).await.unwrap();
    assert_eq!(pending.state, NumberState::Releasing, "{pending:?}");
    assert!(pending.release_not_before.is_some());
    assert!(carrier.inner.find_owned(&phone).await.unwrap().is_some());

    // Within the window reconcile leaves it; after it, the release is done.
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert!(
        matches!(
            drift_of(&report, &phone).map(|d| &d.repair),
            Some(Repair::Left(_))
        ),
        "{report:?}"
    );
    tokio::time::sleep(window + Duration::from_secs(1)).await;
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(
        drift_of(&report, &phone).map(|d| &d.repair),
        Some(&Repair::Released),
        "{report:?}"
    );
    assert!(carrier.inner.find_owned(&phone).await.unwrap().is_none());
}

/// Scenario 4, the compensating release: a purchase that cannot be recorded
/// is given back, and a "not found" for it (sold a moment ago) keeps the
/// reservation, so reconcile finds the number still billed and records it.
#[tokio::test(start_paused = true)]
async fn a_compensating_release_answered_not_found_keeps_the_reservation() {
    let carrier = Scripted::with_window(fake(), Duration::from_secs(300));
    let store = Arc::new(StallingStore::default());
    let service = service(carrier.clone(), store.clone());
    let phone = for_sale(&carrier, 0).await;
    // Recording the purchase fails, and so does the give-back: the carrier
    // denies the number it has just sold.
    store.refuse(Some(NumberState::Active));
    carrier.inner.script(
        Operation::Release,
        Fault::Fail(twilio_not_found()),
        Times::Once,
    );
    let err = service
        .provision(&acme(), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Repository { .. }), "{err:?}");
    store.refuse(None);
    assert_eq!(
        only_record(store.as_ref(), &phone).await.state,
        NumberState::Reserved
    );
    assert!(carrier.inner.find_owned(&phone).await.unwrap().is_some());
    tokio::time::sleep(LEASE * 2).await;
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(
        drift_of(&report, &phone).map(|d| (d.kind, d.repair.clone())),
        Some((DriftKind::PurchaseUnrecorded, Repair::MarkedActive)),
        "{report:?}"
    );
}

/// Scenario 5: a purchase answer that names another number is not
/// recorded; the number asked for is settled by asking the carrier.
#[tokio::test(start_paused = true)]
async fn a_purchase_answer_naming_another_number_is_not_recorded() {
    let carrier = Scripted::new(fake());
    let store = Arc::new(InMemoryRepository::new());
    let service = service(carrier.clone(), store.clone());
    let phone = for_sale(&carrier, 0).await;
    let other = for_sale(&carrier, 1).await;

    // The carrier can be asked: its own record of the number settles it.
    *carrier.answer_names.lock().unwrap() = Some(other.clone());
    let bought = service
        .provision(&acme(), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
    assert_eq!(bought.phone_number, phone);
    let owned = carrier.inner.find_owned(&phone).await.unwrap().unwrap();
    assert_eq!(
        bought.carrier_id.as_deref(),
        Some(owned.carrier_id.as_str())
    );
    assert!(store.find_by_phone_number(&other).await.unwrap().is_none());

    // It cannot be asked: the reservation stays, and reconcile settles it.
    let third = for_sale(&carrier, 2).await;
    *carrier.answer_names.lock().unwrap() = Some(other.clone());
    carrier.inner.script(
        Operation::FindOwned,
        Fault::Fail(connection_reset()),
        Times::Once,
    );
    let err = service
        .provision(&acme(), &ProvisionRequest::new(third.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Inconsistent { .. }), "{err:?}");
    assert_eq!(
        only_record(store.as_ref(), &third).await.state,
        NumberState::Reserved
    );
    tokio::time::sleep(LEASE * 2).await;
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(
        drift_of(&report, &third).map(|d| (d.kind, d.repair.clone())),
        Some((DriftKind::PurchaseUnrecorded, Repair::MarkedActive))
    );
    assert!(store.find_by_phone_number(&other).await.unwrap().is_none());
}

/// Scenario 6: a key reused with another body is refused naming the field;
/// concurrent requests with one key and one body buy once, and each loser
/// gets the winner's record or "in progress", never `already_provisioned`.
#[tokio::test(start_paused = true)]
async fn an_idempotency_key_binds_the_whole_request() {
    let carrier = Scripted::new(fake());
    let store = Arc::new(InMemoryRepository::new());
    let service = service(carrier.clone(), store.clone());
    let phone = for_sale(&carrier, 0).await;
    let request = ProvisionRequest::new(phone.clone())
        .friendly_name("Main Line")
        .idempotency_key("onboard-1");
    let purchase = carrier.gate(At::Before(Operation::Purchase));
    let racing: Vec<_> = (0..8)
        .map(|_| {
            let service = service.clone();
            let request = request.clone();
            tokio::spawn(async move { service.provision(&acme(), &request).await })
        })
        .collect();
    purchase.reached().await;
    // Every other request has run into the first while it buys.
    tokio::time::sleep(Duration::from_millis(10)).await;
    purchase.open();
    let mut bought = Vec::new();
    for task in racing {
        match task.await.unwrap() {
            Ok(record) => bought.push(record),
            Err(Error::Conflict { reason }) => assert!(reason.contains("in progress"), "{reason}"),
            Err(other) => panic!("a loser got {other:?}"),
        }
    }
    assert!(!bought.is_empty());
    assert!(bought.iter().all(|r| r.id == bought[0].id));
    let purchases = carrier
        .inner
        .calls()
        .iter()
        .filter(|c| c.operation == Operation::Purchase)
        .count();
    assert_eq!(purchases, 1);

    // The same key again, with one field changed: refused, naming it.
    let cases: Vec<(ProvisionRequest, &str)> = vec![
        (request.clone().friendly_name("Other"), "friendly_name"),
        (request.clone().agent(Uuid::nil()), "agent_id"),
        (request.clone().provider("fake"), "provider"),
        (
            ProvisionRequest {
                phone_number: for_sale(&carrier, 1).await,
                ..request.clone()
            },
            "phone_number",
        ),
    ];
    for (changed, field) in cases {
        let err = service.provision(&acme(), &changed).await.unwrap_err();
        assert!(
            matches!(&err, Error::IdempotencyKeyMismatch { field: f } if f == field),
            "{field}: {err:?}"
        );
    }
    // And the same body replays the record.
    let again = service.provision(&acme(), &request).await.unwrap();
    assert_eq!(again.id, bought[0].id);
}

/// The orphan path with `release_orphans`: a number the carrier bills that
/// no record holds is released from a record that holds its slot, so that
/// a provision of the same number cannot start in between.
#[tokio::test(start_paused = true)]
async fn orphans_are_released_only_when_asked_and_while_their_slot_is_held() {
    let carrier = Scripted::new(fake());
    let store = Arc::new(InMemoryRepository::new());
    let service = service(carrier.clone(), store.clone());
    let phone = for_sale(&carrier, 0).await;
    // Bought outside Switchboard.
    carrier
        .inner
        .purchase(&PurchaseRequest {
            phone_number: phone.clone(),
            friendly_name: None,
            routing: Routing::default(),
        })
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert!(
        matches!(
            drift_of(&report, &phone).map(|d| &d.repair),
            Some(Repair::Left(_))
        ),
        "{report:?}"
    );
    assert!(carrier.inner.find_owned(&phone).await.unwrap().is_some());

    // While reconcile releases it, the number's slot is held: a provision
    // of it is refused as already provisioned, not bought over the release.
    let release = carrier.gate(At::Before(Operation::Release));
    let reconciling = tokio::spawn({
        let service = service.clone();
        async move {
            service
                .reconcile(&ReconcileOptions {
                    release_orphans: true,
                    ..ReconcileOptions::default()
                })
                .await
        }
    });
    release.reached().await;
    let err = service
        .provision(&acme(), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyProvisioned { .. }), "{err:?}");
    release.open();
    let report = reconciling.await.unwrap().unwrap();
    assert_eq!(
        drift_of(&report, &phone).map(|d| (d.kind, d.repair.clone())),
        Some((DriftKind::OrphanAtCarrier, Repair::Released))
    );
    assert!(carrier.inner.find_owned(&phone).await.unwrap().is_none());
    // The number is free again for anyone.
    service
        .provision(&acme(), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
}

/// Routing drift: reconcile sends a number's routing to the carrier while
/// a request re-routes the same number. The request's routing reaches the
/// carrier first and the record; reconcile's older routing lands after it.
/// The pass sees the record moved and sends what it holds now, so the
/// carrier ends on the request's routing. Without the re-read, the carrier
/// keeps the routing reconcile read before the request.
#[tokio::test(start_paused = true)]
async fn a_routing_repair_never_undoes_a_re_route_made_meanwhile() {
    let carrier = Scripted::new(fake());
    let store = Arc::new(InMemoryRepository::new());
    let service = service(carrier.clone(), store.clone());
    let phone = for_sale(&carrier, 0).await;
    let routed = |url: &str| Routing {
        voice_url: Some(WebhookUrl::parse(url).unwrap()),
        ..Routing::default()
    };
    let bought = service
        .provision(
            &acme(),
            &ProvisionRequest::new(phone.clone()).routing(routed("https://a.example/voice")),
        )
        .await
        .unwrap();
    // Someone changes the webhook at the carrier, outside Switchboard.
    let carrier_id = bought.carrier_id.clone().unwrap();
    carrier
        .inner
        .update(
            &carrier_id,
            &CarrierUpdate {
                routing: Some(routed("https://elsewhere.example/voice")),
                ..CarrierUpdate::default()
            },
        )
        .await
        .unwrap();

    let repairing = carrier.gate(At::Before(Operation::Update));
    let reconciling = tokio::spawn({
        let service = service.clone();
        async move {
            service
                .reconcile(&ReconcileOptions {
                    repair_routing: true,
                    ..ReconcileOptions::default()
                })
                .await
        }
    });
    repairing.reached().await;
    let re_routed = service
        .update(
            &acme(),
            bought.id,
            &NumberUpdate {
                routing: Some(routed("https://b.example/voice")),
                ..NumberUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(re_routed.routing, routed("https://b.example/voice"));
    repairing.open();
    let report = reconciling.await.unwrap().unwrap();

    let drift = drift_of(&report, &phone).expect("the routing drift is reported");
    assert_eq!(drift.kind, DriftKind::RoutingDiffers);
    assert_eq!(drift.repair, Repair::Rerouted, "{report:?}");
    let held = carrier.inner.find_owned(&phone).await.unwrap().unwrap();
    assert_eq!(
        held.routing.voice_url,
        routed("https://b.example/voice").voice_url,
        "the carrier is left on the request's routing, not the one reconcile read first"
    );
}
