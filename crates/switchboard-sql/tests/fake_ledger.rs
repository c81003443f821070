//! The fake carrier's books in the store: fakes over separate handles on one
//! database (as separate processes would have) sell as one carrier.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use common::{TempDir, postgres_url};
use switchboard_core::conformance::run_provider_suite;
use switchboard_core::{
    CarrierNumber, CarrierUpdate, Error, PhoneNumber, PurchaseOutcome, PurchaseRequest, Result,
    Routing, SearchQuery, TelephonyProvider, WebhookUrl,
};
use switchboard_fake::ledger::{Sale, SalesLedger, Sold};
use switchboard_fake::{FakeProvider, Inventory};
use switchboard_sql::{SqlFakeLedger, SqlOptions};
use tokio::sync::Barrier;

/// A fake named `fake` with a small inventory over `ledger`.
fn fake_over(ledger: Arc<dyn SalesLedger>) -> FakeProvider {
    FakeProvider::builder()
        .inventory_size(2_000)
        .ledger(ledger)
        .build()
}

fn buy(number: &PhoneNumber) -> PurchaseRequest {
    PurchaseRequest {
        phone_number: number.clone(),
        friendly_name: Some("bought".into()),
        routing: Routing::default(),
    }
}

/// Two handles on one database, each opened as a process would open it.
struct Pair {
    a: FakeProvider,
    b: FakeProvider,
    ledgers: [SqlFakeLedger; 2],
}

async fn sqlite_pair(dir: &TempDir) -> Pair {
    let url = dir.sqlite_url("books.db");
    pair(SqlOptions::new(&url), SqlOptions::new(&url)).await
}

/// The PostgreSQL pair in a fresh schema, or `None` when skipped.
async fn postgres_pair() -> Option<(Pair, common::PgSchema)> {
    let url = postgres_url()?;
    let schema = common::PgSchema {
        url,
        name: common::fresh_schema(),
    };
    Some((pair(schema.options(), schema.options()).await, schema))
}

async fn pair(a: SqlOptions, b: SqlOptions) -> Pair {
    let a = SqlFakeLedger::connect_with(a).await.expect("open ledger a");
    let b = SqlFakeLedger::connect_with(b).await.expect("open ledger b");
    Pair {
        a: fake_over(Arc::new(a.clone())),
        b: fake_over(Arc::new(b.clone())),
        ledgers: [a, b],
    }
}

#[tokio::test]
async fn the_fake_over_a_sqlite_ledger_passes_the_provider_suite() {
    let dir = TempDir::new();
    let ledger = SqlFakeLedger::connect(&dir.sqlite_url("suite.db"))
        .await
        .expect("open");
    let fake = FakeProvider::builder().ledger(Arc::new(ledger)).build();
    run_provider_suite(&fake).await;
    assert!(fake.owned_numbers().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_fake_over_a_postgres_ledger_passes_the_provider_suite() {
    let Some(url) = postgres_url() else { return };
    let schema = common::PgSchema {
        url,
        name: common::fresh_schema(),
    };
    let ledger = SqlFakeLedger::connect_with(schema.options())
        .await
        .expect("open");
    let fake = FakeProvider::builder().ledger(Arc::new(ledger)).build();
    run_provider_suite(&fake).await;
    assert!(fake.owned_numbers().await.unwrap().is_empty());
    schema.drop_now().await;
}

/// Bought through one => unavailable, found and listed through the other;
/// changed and released through the other; then for sale again through both.
async fn two_fakes_share_the_books(pair: &Pair) {
    let (a, b) = (&pair.a, &pair.b);
    let offer = a.search(&SearchQuery::default()).await.unwrap()[0].clone();
    let number = offer.phone_number.clone();
    assert!(b.is_available(&number).await.unwrap());

    let bought = a
        .purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert!(!b.is_available(&number).await.unwrap());
    let err = b.purchase(&buy(&number)).await.unwrap_err();
    assert!(matches!(err, Error::NumberUnavailable { .. }), "{err:?}");
    let found = b.search(&SearchQuery::default()).await.unwrap();
    assert!(found.iter().all(|o| o.phone_number != number));
    assert_eq!(b.find_owned(&number).await.unwrap(), Some(bought.clone()));
    assert_eq!(b.owned_numbers().await.unwrap(), vec![bought.clone()]);

    let url = WebhookUrl::parse("https://example.com/voice").unwrap();
    let change = CarrierUpdate {
        friendly_name: Some("renamed".into()),
        routing: Some(Routing {
            voice_url: Some(url.clone()),
            ..Routing::default()
        }),
    };
    let changed = b.update(&bought.carrier_id, &change).await.unwrap();
    assert_eq!(changed.friendly_name.as_deref(), Some("renamed"));
    assert_eq!(changed.routing.voice_url, Some(url));
    assert_eq!(a.find_owned(&number).await.unwrap(), Some(changed));

    b.release(&bought.carrier_id).await.unwrap();
    assert!(a.is_available(&number).await.unwrap());
    assert_eq!(a.find_owned(&number).await.unwrap(), None);
    let err = a.release(&bought.carrier_id).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    // Bought again, it has a new carrier id: the old one names nothing.
    let again = b
        .purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_ne!(again.carrier_id, bought.carrier_id);
    let err = a
        .update(&bought.carrier_id, &CarrierUpdate::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn two_fakes_on_one_sqlite_file_share_the_books() {
    let dir = TempDir::new();
    two_fakes_share_the_books(&sqlite_pair(&dir).await).await;
}

#[tokio::test]
async fn two_fakes_on_one_postgres_schema_share_the_books() {
    let Some((pair, schema)) = postgres_pair().await else {
        return;
    };
    two_fakes_share_the_books(&pair).await;
    schema.drop_now().await;
}

/// Holds every `claim` at a barrier until both buyers have reached it, so
/// that both purchases are under way before either touches the books.
#[derive(Debug)]
struct Gated {
    inner: SqlFakeLedger,
    barrier: Arc<Barrier>,
}

#[async_trait]
impl SalesLedger for Gated {
    async fn claim(&self, carrier: &str, sale: &Sale) -> Result<Option<CarrierNumber>> {
        self.barrier.wait().await;
        self.inner.claim(carrier, sale).await
    }
    async fn take(&self, carrier: &str, number: &PhoneNumber) -> Result<bool> {
        self.inner.take(carrier, number).await
    }
    async fn held(&self, carrier: &str, numbers: &[PhoneNumber]) -> Result<Vec<bool>> {
        self.inner.held(carrier, numbers).await
    }
    async fn find_by_number(&self, carrier: &str, number: &PhoneNumber) -> Result<Option<Sold>> {
        self.inner.find_by_number(carrier, number).await
    }
    async fn find(&self, carrier: &str, carrier_id: &str) -> Result<Option<Sold>> {
        self.inner.find(carrier, carrier_id).await
    }
    async fn list(
        &self,
        carrier: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CarrierNumber>> {
        self.inner.list(carrier, after, limit).await
    }
    async fn update(
        &self,
        carrier: &str,
        carrier_id: &str,
        update: &CarrierUpdate,
    ) -> Result<Option<CarrierNumber>> {
        self.inner.update(carrier, carrier_id, update).await
    }
    async fn remove(&self, carrier: &str, carrier_id: &str) -> Result<bool> {
        self.inner.remove(carrier, carrier_id).await
    }
    async fn restore(
        &self,
        carrier: &str,
        number: &CarrierNumber,
        purchased_at: DateTime<Utc>,
    ) -> Result<bool> {
        self.inner.restore(carrier, number, purchased_at).await
    }
}

/// Both buyers of one number are past the barrier, neither has written:
/// exactly one purchase wins, the other is told the number is unavailable,
/// and the books hold the winner's sale only. Repeated over several numbers
/// (and, for the ids, a purchase of a different number through each).
async fn one_of_two_racing_purchases_wins(pair: Pair) {
    let barrier = Arc::new(Barrier::new(2));
    let [la, lb] = pair.ledgers;
    let a = fake_over(Arc::new(Gated {
        inner: la,
        barrier: barrier.clone(),
    }));
    let b = fake_over(Arc::new(Gated { inner: lb, barrier }));
    let offers = a.search(&SearchQuery::default().limit(12)).await.unwrap();
    let mut ids = HashSet::new();
    for round in 0..3 {
        let number = &offers[round].phone_number;
        let request = buy(number);
        let (ra, rb) = tokio::join!(a.purchase(&request), b.purchase(&request));
        let (won, lost) = match (ra, rb) {
            (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => {
                (won.bought().expect("the fake sells at once"), lost)
            }
            (ra, rb) => panic!("exactly one must win: {ra:?} / {rb:?}"),
        };
        assert!(matches!(lost, Error::NumberUnavailable { .. }), "{lost:?}");
        assert_eq!(&won.phone_number, number);
        assert_eq!(a.find_owned(number).await.unwrap(), Some(won.clone()));
        assert!(ids.insert(won.carrier_id));
        // Two different numbers at once, one through each: two sales, two ids.
        let (for_a, for_b) = (
            buy(&offers[3 + round].phone_number),
            buy(&offers[6 + round].phone_number),
        );
        let (ra, rb) = tokio::join!(a.purchase(&for_a), b.purchase(&for_b));
        let sold = |r: Result<PurchaseOutcome>| r.unwrap().bought().expect("sold at once");
        let (ra, rb) = (sold(ra), sold(rb));
        assert!(ids.insert(ra.carrier_id.clone()), "{ra:?}");
        assert!(ids.insert(rb.carrier_id.clone()), "{rb:?}");
    }
    let listed = b.owned_numbers().await.unwrap();
    assert_eq!(listed.len(), 9);
    let listed_ids: HashSet<String> = listed.into_iter().map(|n| n.carrier_id).collect();
    assert_eq!(listed_ids, ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_two_racing_purchases_wins_on_sqlite() {
    let dir = TempDir::new();
    one_of_two_racing_purchases_wins(sqlite_pair(&dir).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_two_racing_purchases_wins_on_postgres() {
    let Some((pair, schema)) = postgres_pair().await else {
        return;
    };
    one_of_two_racing_purchases_wins(pair).await;
    schema.drop_now().await;
}

/// Many purchases through both handles, concurrently: every carrier id is
/// distinct, and each names its own number through either handle.
async fn carrier_ids_never_collide(pair: Pair) {
    let offers = pair
        .a
        .search(&SearchQuery::default().limit(40))
        .await
        .unwrap();
    let requests: Vec<PurchaseRequest> = offers.iter().map(|o| buy(&o.phone_number)).collect();
    let buys = requests.iter().enumerate().map(|(i, request)| {
        let fake = if i % 2 == 0 { &pair.a } else { &pair.b };
        fake.purchase(request)
    });
    let bought: Vec<CarrierNumber> = futures_join_all(buys).await;
    let ids: HashSet<&str> = bought.iter().map(|n| n.carrier_id.as_str()).collect();
    assert_eq!(ids.len(), offers.len());
    for number in &bought {
        let through_a = pair.a.find_owned(&number.phone_number).await.unwrap();
        let through_b = pair.b.find_owned(&number.phone_number).await.unwrap();
        assert_eq!(through_a.as_ref(), Some(number));
        assert_eq!(through_b.as_ref(), Some(number));
    }
}

/// `join_all` without the futures crate: spawn-free, all polled at once.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<CarrierNumber>
where
    F: std::future::Future<Output = Result<PurchaseOutcome>>,
{
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut results: Vec<Option<CarrierNumber>> = vec![None; set.len()];
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, future) in set.iter_mut().enumerate() {
            if results[i].is_some() {
                continue;
            }
            match future.as_mut().poll(cx) {
                std::task::Poll::Ready(result) => {
                    results[i] = result.expect("purchase").bought();
                    assert!(results[i].is_some(), "the fake sells at once");
                }
                std::task::Poll::Pending => pending = true,
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(|r| r.expect("done")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carrier_ids_never_collide_on_sqlite() {
    let dir = TempDir::new();
    carrier_ids_never_collide(sqlite_pair(&dir).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carrier_ids_never_collide_on_postgres() {
    let Some((pair, schema)) = postgres_pair().await else {
        return;
    };
    carrier_ids_never_collide(pair).await;
    schema.drop_now().await;
}

/// A search checks its candidates against the books in batches, not one
/// query per candidate: with a run of sold numbers at the front of the
/// catalogue it still returns the first free ones, in catalogue order.
#[tokio::test]
async fn a_search_skips_numbers_sold_through_the_other_handle() {
    let dir = TempDir::new();
    let pair = sqlite_pair(&dir).await;
    let query = SearchQuery::default().limit(20);
    let first = pair.a.search(&query).await.unwrap();
    for offer in &first[..15] {
        pair.a
            .purchase(&buy(&offer.phone_number))
            .await
            .unwrap()
            .bought()
            .expect("sold at once");
    }
    pair.a.take(&first[15].phone_number).await.unwrap();
    let found = pair.b.search(&query).await.unwrap();
    assert_eq!(found.len(), 20);
    assert_eq!(found[..4], first[16..]);
    let inventory = Inventory::new(switchboard_fake::DEFAULT_SEED, 2_000);
    let expected = inventory
        .search(&query.clone().limit(40), |n| {
            first[..16].iter().any(|o| &o.phone_number == n)
        })
        .unwrap();
    assert_eq!(found, expected[..20]);
}

/// Another customer's number (`take`) is unavailable everywhere and listed
/// nowhere.
#[tokio::test]
async fn a_number_taken_through_one_handle_is_unavailable_through_the_other() {
    let dir = TempDir::new();
    let pair = sqlite_pair(&dir).await;
    let number = pair.a.search(&SearchQuery::default()).await.unwrap()[0]
        .phone_number
        .clone();
    assert!(pair.a.take(&number).await.unwrap());
    assert!(!pair.b.take(&number).await.unwrap());
    assert!(!pair.b.is_available(&number).await.unwrap());
    let err = pair.b.purchase(&buy(&number)).await.unwrap_err();
    assert!(matches!(err, Error::NumberUnavailable { .. }), "{err:?}");
    assert!(pair.b.owned_numbers().await.unwrap().is_empty());
    assert_eq!(pair.b.find_owned(&number).await.unwrap(), None);
}

/// Fakes with different names in one store are different carriers.
#[tokio::test]
async fn carriers_of_other_names_keep_their_own_books() {
    let dir = TempDir::new();
    let pair = sqlite_pair(&dir).await;
    let other = FakeProvider::builder()
        .name("fake-b")
        .inventory_size(2_000)
        .ledger(Arc::new(pair.ledgers[1].clone()))
        .build();
    let number = pair.a.search(&SearchQuery::default()).await.unwrap()[0]
        .phone_number
        .clone();
    let bought = pair
        .a
        .purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert!(other.is_available(&number).await.unwrap());
    assert!(other.owned_numbers().await.unwrap().is_empty());
    let err = other.release(&bought.carrier_id).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(pair.b.find_owned(&number).await.unwrap(), Some(bought));
}

/// A release cooldown is measured from the purchase time the books keep,
/// whichever process bought.
#[tokio::test]
async fn the_release_cooldown_holds_across_handles() {
    let dir = TempDir::new();
    let url = dir.sqlite_url("cooldown.db");
    let ledger = |url: String| async move {
        Arc::new(SqlFakeLedger::connect(&url).await.expect("open")) as Arc<dyn SalesLedger>
    };
    let buyer = FakeProvider::builder()
        .inventory_size(2_000)
        .ledger(ledger(url.clone()).await)
        .build();
    let releaser = FakeProvider::builder()
        .inventory_size(2_000)
        .release_cooldown(chrono::Duration::hours(1))
        .ledger(ledger(url).await)
        .build();
    let number = buyer.search(&SearchQuery::default()).await.unwrap()[0]
        .phone_number
        .clone();
    let bought = buyer
        .purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    let err = releaser.release(&bought.carrier_id).await.unwrap_err();
    assert!(matches!(err, Error::RetryLater { .. }), "{err:?}");
    assert!(!buyer.is_available(&number).await.unwrap());
}

/// Restoring an id makes later purchases issue ids above it (on PostgreSQL
/// the sequence must be moved past an explicit value).
async fn restored_ids_are_never_issued_again(pair: Pair) {
    let offers = pair
        .a
        .search(&SearchQuery::default().limit(3))
        .await
        .unwrap();
    let restored = CarrierNumber {
        carrier_id: "FK0000000500".into(),
        phone_number: offers[0].phone_number.clone(),
        friendly_name: None,
        capabilities: offers[0].capabilities,
        routing: Routing::default(),
    };
    assert!(
        pair.a
            .restore_owned(restored.clone(), Utc::now())
            .await
            .unwrap()
    );
    assert!(
        !pair
            .b
            .restore_owned(restored.clone(), Utc::now())
            .await
            .unwrap()
    );
    let next = pair
        .b
        .purchase(&buy(&offers[1].phone_number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    let serial = |id: &str| id[2..].parse::<u64>().unwrap();
    assert!(serial(&next.carrier_id) > 500, "{next:?}");
    assert_eq!(
        pair.b.find_owned(&restored.phone_number).await.unwrap(),
        Some(restored)
    );
}

#[tokio::test]
async fn restored_ids_are_never_issued_again_on_sqlite() {
    let dir = TempDir::new();
    restored_ids_are_never_issued_again(sqlite_pair(&dir).await).await;
}

#[tokio::test]
async fn restored_ids_are_never_issued_again_on_postgres() {
    let Some((pair, schema)) = postgres_pair().await else {
        return;
    };
    restored_ids_are_never_issued_again(pair).await;
    schema.drop_now().await;
}

#[tokio::test]
async fn debug_and_errors_never_show_the_password() {
    let ledger = SqlFakeLedger::connect_with(
        SqlOptions::new("postgres://user:hunter2@127.0.0.1:1/db")
            .connect_timeout(std::time::Duration::from_millis(500)),
    )
    .await;
    let err = ledger.expect_err("nothing listens on port 1");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    let dir = TempDir::new();
    let ledger = SqlFakeLedger::connect(&dir.sqlite_url("debug.db"))
        .await
        .unwrap();
    assert!(format!("{ledger:?}").contains("debug.db"));
}

/// The ledger's migration, by its version.
const LEDGER_MIGRATION: i64 = 20261201000010;

/// Records as an earlier version left them: live fake numbers whose
/// per-process fakes handed `FK0000000001` to two numbers, a released one,
/// another carrier's, and a reservation without a carrier id. Returned in
/// that order.
fn earlier_records() -> Vec<switchboard_core::ProvisionedNumber> {
    use switchboard_core::NumberState;
    let account = common::random_account();
    let numbers = common::number_block(6);
    let at = |minutes: i64| {
        chrono::SubsecRound::trunc_subsecs(Utc::now(), 6) - chrono::Duration::minutes(minutes)
    };
    let record = |i: usize, provider: &str, state, carrier_id: Option<&str>, minutes| {
        let mut r = common::reserved(&account, &numbers[i]);
        r.provider = provider.into();
        r.state = state;
        r.carrier_id = carrier_id.map(str::to_string);
        r.created_at = at(minutes);
        r.updated_at = r.created_at;
        r
    };
    vec![
        record(0, "fake", NumberState::Active, Some("FK0000000001"), 30),
        record(1, "fake", NumberState::Releasing, Some("FK0000000001"), 20),
        record(2, "fake", NumberState::Active, Some("FK0000000003"), 10),
        record(3, "fake", NumberState::Released, Some("FK0000000007"), 5),
        record(4, "twilio", NumberState::Active, Some("PN0123"), 5),
        record(5, "fake", NumberState::Reserved, None, 0),
    ]
}

/// Opens the store, stores `records`, then undoes the ledger's migration
/// (drops its table, forgets it was applied), so that the next open runs
/// it over records an earlier version wrote.
async fn store_as_before_the_ledger(
    options: SqlOptions,
    raw: Raw<'_>,
    records: &[switchboard_core::ProvisionedNumber],
) {
    use switchboard_core::NumberRepository;
    let store = switchboard_sql::SqlRepository::connect_with(options.clone().without_read_cache())
        .await
        .expect("open store");
    for record in records {
        store.insert(record).await.expect("insert");
    }
    store.close().await;
    let undo = [
        "DROP TABLE fake_carrier_numbers".to_string(),
        format!("DELETE FROM _sqlx_migrations WHERE version = {LEDGER_MIGRATION}"),
    ];
    match raw {
        Raw::Sqlite(url) => {
            use sqlx::Executor;
            let pool = sqlx::SqlitePool::connect(url).await.expect("raw SQLite");
            for sql in undo {
                pool.execute(sqlx::AssertSqlSafe(sql)).await.expect("undo");
            }
            pool.close().await;
        }
        Raw::Postgres(schema) => {
            use sqlx::Executor;
            let mut conn = schema.raw().await;
            let path = format!("SET search_path TO \"{}\"", schema.name);
            conn.execute(sqlx::AssertSqlSafe(path))
                .await
                .expect("schema");
            for sql in undo {
                conn.execute(sqlx::AssertSqlSafe(sql)).await.expect("undo");
            }
        }
    }
}

/// A plain driver connection to the test database, for what neither the
/// store nor the ledger offers.
enum Raw<'a> {
    Sqlite(&'a str),
    Postgres(&'a common::PgSchema),
}

async fn existing_records_are_carried_over(options: SqlOptions, raw: Raw<'_>) {
    use switchboard_core::NumberRepository;
    let records = earlier_records();
    store_as_before_the_ledger(options.clone(), raw, &records).await;

    let ledger = SqlFakeLedger::connect_with(options.clone())
        .await
        .expect("upgrade");
    let fake = FakeProvider::builder().ledger(Arc::new(ledger)).build();
    let owned = fake.owned_numbers().await.unwrap();
    let ids: Vec<(&str, &PhoneNumber)> = owned
        .iter()
        .map(|n| (n.carrier_id.as_str(), &n.phone_number))
        .collect();
    // The earliest holder keeps FK0000000001; the later one gets the next
    // serial after every id carried over.
    assert_eq!(
        ids,
        vec![
            ("FK0000000001", &records[0].phone_number),
            ("FK0000000003", &records[2].phone_number),
            ("FK0000000004", &records[1].phone_number),
        ]
    );
    let carried = &owned[0];
    assert_eq!(
        carried.friendly_name.as_deref(),
        Some(records[0].friendly_name.as_str())
    );
    assert_eq!(carried.capabilities, records[0].capabilities);
    // The record that lost its id now names its new one.
    let store = switchboard_sql::SqlRepository::connect_with(options.without_read_cache())
        .await
        .expect("open store");
    let moved = store
        .find_by_phone_number(&records[1].phone_number)
        .await
        .unwrap()
        .expect("live");
    assert_eq!(moved.carrier_id.as_deref(), Some("FK0000000004"));
    let kept = store
        .find_by_phone_number(&records[0].phone_number)
        .await
        .unwrap()
        .expect("live");
    assert_eq!(kept.carrier_id.as_deref(), Some("FK0000000001"));
    let other = store
        .find_by_phone_number(&records[4].phone_number)
        .await
        .unwrap()
        .expect("live");
    assert_eq!(other.carrier_id.as_deref(), Some("PN0123"));
    store.close().await;
    // New sales continue above every carried-over id.
    let offer = fake.search(&SearchQuery::default()).await.unwrap()[0].clone();
    let bought = fake
        .purchase(&buy(&offer.phone_number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_eq!(bought.carrier_id, "FK0000000005");
    // And the carried-over numbers can be released through the fake.
    fake.release("FK0000000004").await.unwrap();
}

#[tokio::test]
async fn existing_sqlite_records_are_carried_over() {
    let dir = TempDir::new();
    let url = dir.sqlite_url("old.db");
    existing_records_are_carried_over(SqlOptions::new(&url), Raw::Sqlite(&url)).await;
}

#[tokio::test]
async fn existing_postgres_records_are_carried_over() {
    let Some(url) = postgres_url() else { return };
    let schema = common::PgSchema {
        url,
        name: common::fresh_schema(),
    };
    existing_records_are_carried_over(schema.options(), Raw::Postgres(&schema)).await;
    schema.drop_now().await;
}
