//! The core's conformance suites, run against each backend: the same
//! scenarios the in-memory store passes.

mod common;

use switchboard_core::conformance::{run_repository_suite, run_token_store_suite};
use switchboard_sql::SqlRepository;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_passes_the_repository_and_token_suites() {
    let dir = common::TempDir::new();
    let store = SqlRepository::connect(&dir.sqlite_url("numbers.db"))
        .await
        .expect("open SQLite file");
    run_repository_suite(&store).await;
    run_token_store_suite(&store).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_memory_passes_the_repository_and_token_suites() {
    let store = SqlRepository::connect("sqlite::memory:")
        .await
        .expect("open in-memory SQLite");
    run_repository_suite(&store).await;
    run_token_store_suite(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_passes_the_repository_and_token_suites() {
    let Some((store, schema)) = common::postgres_store().await else {
        return;
    };
    run_repository_suite(&store).await;
    run_token_store_suite(&store).await;
    // Twice on one database: the suites make their own unique data.
    run_repository_suite(&store).await;
    store.close().await;
    schema.drop_now().await;
}
