//! PostgreSQL connections that die under the repository: an operation in
//! flight fails with a temporary error, and the pool reconnects for the next.
//! Backends are killed with `pg_terminate_backend` from a second connection.
//! The read cache is off here (its listener is another backend, and a
//! cached read would not reach the database); tests/read_cache.rs kills the
//! listener's connection on purpose.

mod common;

use std::time::Duration;

use sqlx::{Connection, Executor};
use switchboard_core::{Error, NumberRepository};
use switchboard_sql::{SqlOptions, SqlRepository};
use uuid::Uuid;

/// The test URL with a unique application name, so this test's backends
/// can be found in `pg_stat_activity` and no other test's are touched.
fn tagged(url: &str) -> (String, String) {
    let tag = format!("sbtest_{}", Uuid::new_v4().simple());
    let separator = if url.contains('?') { '&' } else { '?' };
    (format!("{url}{separator}application_name={tag}"), tag)
}

/// Kills the tagged backends (only those waiting for a lock, if `waiting`).
async fn terminate(admin: &mut sqlx::PgConnection, tag: &str, waiting: bool) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND (NOT $2 OR wait_event_type = 'Lock')) AS killed",
    )
    .bind(tag)
    .bind(waiting)
    .fetch_one(admin)
    .await
    .expect("terminate backends")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_whose_connection_is_killed_fails_temporarily_and_the_next_succeeds() {
    let Some(url) = common::postgres_url() else {
        return;
    };
    let (tagged_url, tag) = tagged(&url);
    let schema = common::PgSchema {
        url: url.clone(),
        name: common::fresh_schema(),
    };
    let store = SqlRepository::connect_with(
        SqlOptions::new(&tagged_url)
            .schema(&schema.name)
            .without_read_cache(),
    )
    .await
    .expect("connect");
    let record = common::reserved(&common::random_account(), &common::random_number());
    store.insert(&record).await.expect("insert");

    // Hold a lock that makes the repository's next read wait, so it is
    // certainly in flight when its backend is killed.
    let mut locker = schema.raw().await;
    locker
        .execute(sqlx::AssertSqlSafe(format!(
            "BEGIN; LOCK TABLE \"{}\".numbers IN ACCESS EXCLUSIVE MODE",
            schema.name
        )))
        .await
        .expect("lock the table");
    let reader = {
        let store = store.clone();
        tokio::spawn(async move { store.get(record.id).await })
    };
    let mut admin = schema.raw().await;
    let mut waiting = 0;
    for _ in 0..1000 {
        waiting = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE application_name = $1 AND wait_event_type = 'Lock'",
        )
        .bind(&tag)
        .fetch_one(&mut admin)
        .await
        .expect("watch pg_stat_activity");
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        waiting, 1,
        "the repository's read never queued behind the lock"
    );
    // Only the reader's backend: the pool may hold another, idle one (the
    // insert's connection was still being checked on release when the read
    // asked for one), and this test is about the operation in flight.
    assert_eq!(terminate(&mut admin, &tag, true).await, 1);

    let outcome = reader.await.expect("reader task");
    match &outcome {
        Err(Error::Repository {
            temporary: true, ..
        }) => {}
        other => panic!("expected a temporary repository error, got {other:?}"),
    }
    let shown = format!("{outcome:?}");
    assert!(shown.contains("could not read number record"), "{shown}");

    locker.execute("ROLLBACK").await.expect("unlock");
    let again = store
        .get(record.id)
        .await
        .expect("the next operation reconnects");
    assert_eq!(again, Some(record));
    locker.close().await.ok();
    admin.close().await.ok();
    store.close().await;
    schema.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_killed_while_idle_are_replaced_before_use() {
    let Some(url) = common::postgres_url() else {
        return;
    };
    let (tagged_url, tag) = tagged(&url);
    let schema = common::PgSchema {
        url: url.clone(),
        name: common::fresh_schema(),
    };
    let store = SqlRepository::connect_with(
        SqlOptions::new(&tagged_url)
            .schema(&schema.name)
            .max_connections(2)
            .test_before_acquire(true)
            .without_read_cache(),
    )
    .await
    .expect("connect");
    let record = common::reserved(&common::random_account(), &common::random_number());
    store.insert(&record).await.expect("insert");
    let mut admin = schema.raw().await;
    assert!(terminate(&mut admin, &tag, false).await >= 1);
    // With the check on, the pool tests a connection before handing it out.
    let found = store
        .find_by_phone_number(&record.phone_number)
        .await
        .expect("a fresh connection serves the lookup");
    assert_eq!(found.map(|n| n.id), Some(record.id));
    admin.close().await.ok();
    store.close().await;
    schema.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_at_most_one_operation_fails_then_the_pool_recovers() {
    let Some(url) = common::postgres_url() else {
        return;
    };
    let (tagged_url, tag) = tagged(&url);
    let schema = common::PgSchema {
        url: url.clone(),
        name: common::fresh_schema(),
    };
    let store = SqlRepository::connect_with(
        SqlOptions::new(&tagged_url)
            .schema(&schema.name)
            .max_connections(1)
            // The cache's listener would be a second backend to kill.
            .without_read_cache(),
    )
    .await
    .expect("connect");
    let record = common::reserved(&common::random_account(), &common::random_number());
    store.insert(&record).await.expect("insert");
    let mut admin = schema.raw().await;
    assert!(terminate(&mut admin, &tag, false).await >= 1);
    // Give the server a moment to close the socket.
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The pool hands out the dead connection unchecked, and the operation
    // fails temporarily; unless sqlx's own check of the connection, run
    // when the insert gave it back, was still under way at the kill and
    // replaced it (seen on a loaded machine): then nothing fails at all.
    if let Err(e) = store.get(record.id).await {
        assert!(e.is_temporary(), "{e:?}");
    }
    let found = store.get(record.id).await.expect("the pool reconnected");
    assert_eq!(found, Some(record));
    admin.close().await.ok();
    store.close().await;
    schema.drop_now().await;
}
