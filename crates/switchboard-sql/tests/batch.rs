//! `insert_batch`: all records or none, and the exact record refused.

mod common;

use switchboard_core::{Error, NumberFilter, NumberRepository, PageRequest, ProvisionedNumber};
use switchboard_sql::SqlRepository;

async fn batches_are_all_or_nothing(store: &SqlRepository) {
    let account = common::random_account();
    let numbers = common::number_block(1900);
    // More than one multi-row statement's worth.
    let batch: Vec<ProvisionedNumber> = numbers[..1200]
        .iter()
        .map(|n| common::reserved(&account, n))
        .collect();
    store.insert_batch(&batch).await.expect("batch insert");
    let mut listed = Vec::new();
    let mut page = PageRequest::first(1000);
    loop {
        let got = store
            .list(&NumberFilter::account(account.clone()), &page)
            .await
            .expect("list");
        listed.extend(got.items);
        match got.next_cursor {
            Some(cursor) => page = PageRequest::after(cursor, 1000),
            None => break,
        }
    }
    let mut expected = batch.clone();
    expected.sort_by_key(|n| n.id);
    assert_eq!(listed, expected);

    // A batch with one number that is already live stores nothing, and says
    // which number it was.
    let other = common::random_account();
    let mut clashing: Vec<ProvisionedNumber> = numbers[1200..]
        .iter()
        .map(|n| common::reserved(&other, n))
        .collect();
    let taken = batch[17].phone_number.clone();
    clashing[650] = common::reserved(&other, &taken);
    match store.insert_batch(&clashing).await {
        Err(Error::AlreadyProvisioned { phone_number }) => assert_eq!(phone_number, taken.as_str()),
        other => panic!("expected AlreadyProvisioned, got {other:?}"),
    }
    let stored = store
        .list(&NumberFilter::account(other), &PageRequest::first(10))
        .await
        .expect("list");
    assert!(
        stored.items.is_empty(),
        "a refused batch stored {} records",
        stored.items.len()
    );
    assert!(store.insert_batch(&[]).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_batches_are_all_or_nothing() {
    let dir = common::TempDir::new();
    let store = SqlRepository::connect(&dir.sqlite_url("batch.db"))
        .await
        .expect("open");
    batches_are_all_or_nothing(&store).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_batches_are_all_or_nothing() {
    let Some((store, schema)) = common::postgres_store().await else {
        return;
    };
    batches_are_all_or_nothing(&store).await;
    store.close().await;
    schema.drop_now().await;
}
