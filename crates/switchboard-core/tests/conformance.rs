//! The in-memory stores pass the same suites as every other store.

use switchboard_core::conformance::{run_repository_suite, run_token_store_suite};
use switchboard_core::{InMemoryRepository, InMemoryTokenStore};

#[tokio::test]
async fn in_memory_repository_passes_the_repository_suite() {
    run_repository_suite(&InMemoryRepository::new()).await;
}

#[tokio::test]
async fn in_memory_token_store_passes_the_token_store_suite() {
    run_token_store_suite(&InMemoryTokenStore::new()).await;
}
