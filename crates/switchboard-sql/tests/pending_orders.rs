//! Purchases a carrier settles later, over each backend: the core's pending
//! suite with the fake in pending mode, and a process restart (a second
//! repository opened on the same SQLite file, as the next process would)
//! settling the order the first one recorded.

mod common;

use std::sync::Arc;

use switchboard_core::conformance::{a_second_service_settles_the_order, run_pending_suite};
use switchboard_core::{NumberRepository, TelephonyProvider};
use switchboard_fake::{FakeProvider, OrderPlan};
use switchboard_sql::SqlRepository;

fn carrier() -> Arc<dyn TelephonyProvider> {
    Arc::new(
        FakeProvider::builder()
            .inventory_size(2_000)
            .pending_orders(OrderPlan::CompleteAfterPolls(3))
            .build(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_pending_suite() {
    let dir = common::TempDir::new();
    let store = SqlRepository::connect(&dir.sqlite_url("numbers.db"))
        .await
        .expect("open SQLite file");
    run_pending_suite(carrier(), Arc::new(store.clone())).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_process_settles_the_order_over_the_same_sqlite_file() {
    let dir = common::TempDir::new();
    let url = dir.sqlite_url("numbers.db");
    let first = SqlRepository::connect(&url).await.expect("first process");
    // The carrier outlives the process: one fake for both.
    let carrier = carrier();
    let second = SqlRepository::connect(&url).await.expect("second process");
    let first_handle: Arc<dyn NumberRepository> = Arc::new(first.clone());
    a_second_service_settles_the_order(carrier.clone(), first_handle, Arc::new(second.clone()))
        .await;
    first.close().await;
    second.close().await;
    // And once the first has closed for good: a third opening settles too.
    let before = SqlRepository::connect(&url).await.expect("before restart");
    let after = SqlRepository::connect(&url).await.expect("after restart");
    a_second_service_settles_the_order(carrier, Arc::new(before.clone()), Arc::new(after.clone()))
        .await;
    before.close().await;
    after.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_passes_the_pending_suite() {
    let Some((store, schema)) = common::postgres_store().await else {
        return;
    };
    run_pending_suite(carrier(), Arc::new(store.clone())).await;
    let other = SqlRepository::connect_with(schema.options())
        .await
        .expect("a second process on the schema");
    a_second_service_settles_the_order(carrier(), Arc::new(store.clone()), Arc::new(other.clone()))
        .await;
    other.close().await;
    store.close().await;
    schema.drop_now().await;
}

/// A SQLite file an earlier version wrote (every migration before pending
/// orders) is upgraded in place: its rows keep every value, the live-number
/// index still holds them, and the new state can be stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_sqlite_file_is_upgraded_with_its_rows() {
    use sqlx::Executor;
    use switchboard_core::{Error, NumberState, PendingOrder};

    let dir = common::TempDir::new();
    let earlier = dir.path().join("earlier-migrations");
    std::fs::create_dir_all(&earlier).expect("dir");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    for entry in std::fs::read_dir(&source).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        if name.as_str() < "20261202000001" {
            std::fs::copy(&path, earlier.join(&name)).expect("copy");
        }
    }
    let url = dir.sqlite_url("upgrade.db");
    let pool = sqlx::sqlite::SqlitePool::connect_with(
        url.parse::<sqlx::sqlite::SqliteConnectOptions>()
            .expect("url")
            .create_if_missing(true),
    )
    .await
    .expect("raw SQLite");
    sqlx::migrate::Migrator::new(earlier.as_path())
        .await
        .expect("earlier migrations")
        .run(&pool)
        .await
        .expect("run earlier migrations");
    let account = common::random_account();
    let active = common::random_number();
    let reserved = common::random_number();
    // As the earlier version wrote them, through its own column list.
    for (id, number, state, carrier) in [
        (
            "0190f3a0b1c27d3e8f90a1b2c3d4e5f6",
            &active,
            "active",
            "'PN1'",
        ),
        (
            "0190f3a0b1c27d3e8f90a1b2c3d4e5f7",
            &reserved,
            "reserved",
            "NULL",
        ),
    ] {
        pool.execute(sqlx::AssertSqlSafe(format!(
            "INSERT INTO numbers (id, account, phone_number, friendly_name, cap_voice, cap_sms, \
             cap_mms, cap_fax, provider, carrier_id, state, created_at, updated_at, version, \
             request_fingerprint) VALUES (x'{id}', '{account}', '{number}', 'Line', 1, 1, 0, 0, \
             'twilio', {carrier}, '{state}', '2026-11-27T16:03:09+00:00', \
             '2026-11-27T16:03:10+00:00', 4, 'fp')"
        )))
        .await
        .expect("earlier row");
    }
    pool.close().await;

    let store = SqlRepository::connect(&url).await.expect("upgrade");
    let found = store
        .find_by_phone_number(&active)
        .await
        .expect("lookup")
        .expect("the active row is still the live one");
    assert_eq!(found.state, NumberState::Active);
    assert_eq!(found.carrier_id.as_deref(), Some("PN1"));
    assert_eq!(found.version, 4);
    assert_eq!(found.request_fingerprint.as_deref(), Some("fp"));
    assert_eq!(found.order, None);
    let held = store
        .find_by_phone_number(&reserved)
        .await
        .expect("lookup")
        .expect("the reservation is still live");
    // The live-number index holds the old rows and the new state.
    match store
        .insert(&common::reserved(&common::random_account(), &active))
        .await
    {
        Err(Error::AlreadyProvisioned { .. }) => {}
        other => panic!("a second live record of an upgraded row: {other:?}"),
    }
    let order = PendingOrder {
        order_id: "ord-1".into(),
        phone_number: reserved.clone(),
    };
    let pending = held.await_order(&order, chrono::Utc::now()).expect("order");
    let stored = store.update(&pending).await.expect("store pending");
    assert_eq!(stored.state, NumberState::Pending);
    assert_eq!(stored.order.map(|o| o.id).as_deref(), Some("ord-1"));
    match store
        .insert(&common::reserved(&common::random_account(), &reserved))
        .await
    {
        Err(Error::AlreadyProvisioned { .. }) => {}
        other => panic!("a second live record of a pending number: {other:?}"),
    }
    store.close().await;
}
