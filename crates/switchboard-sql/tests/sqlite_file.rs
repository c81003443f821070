//! SQLite specifics: the file outlives the process, and a closed repository
//! refuses work instead of answering from connections it kept.

mod common;

use switchboard_core::{Error, NumberRepository};
use switchboard_sql::SqlRepository;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_survive_closing_and_reopening_the_file() {
    let dir = common::TempDir::new();
    let url = dir.sqlite_url("reopen.db");
    let record = common::reserved(&common::random_account(), &common::random_number());
    let store = SqlRepository::connect(&url).await.expect("create");
    store.insert(&record).await.expect("insert");
    store.close().await;
    // Reopening runs the migrations again: they must be a no-op.
    let store = SqlRepository::connect(&url).await.expect("reopen");
    let found = store
        .find_by_phone_number(&record.phone_number)
        .await
        .expect("look up");
    assert_eq!(found, Some(record));
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_repository_refuses_lookups_and_writes() {
    let dir = common::TempDir::new();
    let store = SqlRepository::connect(&dir.sqlite_url("closed.db"))
        .await
        .expect("open");
    let record = common::reserved(&common::random_account(), &common::random_number());
    store.insert(&record).await.expect("insert");
    store.close().await;
    match store.find_by_phone_number(&record.phone_number).await {
        Err(Error::Repository { .. }) => {}
        other => panic!("lookup after close gave {other:?}"),
    }
    assert!(store.get(record.id).await.is_err());
    assert!(
        store
            .insert(&common::reserved(
                &common::random_account(),
                &common::random_number()
            ))
            .await
            .is_err()
    );
}
