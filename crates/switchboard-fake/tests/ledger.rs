//! The ledger seam: a fake over a ledger that answers only through the
//! trait's batch look-up (as a database does) searches, sells and lists
//! exactly as the default in-memory fake, and asks about candidates a batch
//! at a time, never one call per candidate.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_core::conformance::run_provider_suite;
use switchboard_core::{
    CarrierNumber, CarrierUpdate, PhoneNumber, PurchaseRequest, Result, Routing, SearchQuery,
    TelephonyProvider,
};
use switchboard_fake::ledger::{MAX_HELD_BATCH, Sale, SalesLedger, Sold};
use switchboard_fake::{FakeProvider, MemoryLedger};

/// A [`MemoryLedger`] seen only through the trait's required methods: the
/// search is the trait's default, and every batch look-up is counted.
#[derive(Debug, Default)]
struct Remote {
    books: MemoryLedger,
    held_calls: AtomicUsize,
    largest_batch: AtomicUsize,
}

#[async_trait]
impl SalesLedger for Remote {
    async fn claim(&self, carrier: &str, sale: &Sale) -> Result<Option<CarrierNumber>> {
        self.books.claim(carrier, sale).await
    }
    async fn take(&self, carrier: &str, number: &PhoneNumber) -> Result<bool> {
        self.books.take(carrier, number).await
    }
    async fn held(&self, carrier: &str, numbers: &[PhoneNumber]) -> Result<Vec<bool>> {
        self.held_calls.fetch_add(1, Ordering::SeqCst);
        self.largest_batch
            .fetch_max(numbers.len(), Ordering::SeqCst);
        self.books.held(carrier, numbers).await
    }
    async fn find_by_number(&self, carrier: &str, number: &PhoneNumber) -> Result<Option<Sold>> {
        self.books.find_by_number(carrier, number).await
    }
    async fn find(&self, carrier: &str, carrier_id: &str) -> Result<Option<Sold>> {
        self.books.find(carrier, carrier_id).await
    }
    async fn list(
        &self,
        carrier: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CarrierNumber>> {
        self.books.list(carrier, after, limit).await
    }
    async fn update(
        &self,
        carrier: &str,
        carrier_id: &str,
        update: &CarrierUpdate,
    ) -> Result<Option<CarrierNumber>> {
        self.books.update(carrier, carrier_id, update).await
    }
    async fn remove(&self, carrier: &str, carrier_id: &str) -> Result<bool> {
        self.books.remove(carrier, carrier_id).await
    }
    async fn restore(
        &self,
        carrier: &str,
        number: &CarrierNumber,
        purchased_at: DateTime<Utc>,
    ) -> Result<bool> {
        self.books.restore(carrier, number, purchased_at).await
    }
}

fn buy(number: &PhoneNumber) -> PurchaseRequest {
    PurchaseRequest {
        phone_number: number.clone(),
        friendly_name: None,
        routing: Routing::default(),
    }
}

#[tokio::test]
async fn a_fake_over_a_batch_only_ledger_passes_the_provider_suite() {
    let remote = Arc::new(Remote::default());
    let fake = FakeProvider::builder().ledger(remote.clone()).build();
    run_provider_suite(&fake).await;
    assert!(fake.owned_numbers().await.unwrap().is_empty());
    assert!(remote.held_calls.load(Ordering::SeqCst) > 0);
}

/// 150 numbers at the front of the catalogue are sold (and one more is
/// another customer's): a search for 20 still returns what the in-memory
/// fake returns, in a handful of batch look-ups.
#[tokio::test]
async fn a_search_past_many_sold_numbers_takes_a_few_batches() {
    let remote = Arc::new(Remote::default());
    let batched = FakeProvider::builder().ledger(remote.clone()).build();
    let local = FakeProvider::new();
    let query = SearchQuery::default().area_code("415");
    // Sell the first 150 of the area code through both fakes.
    let mut sold = 0;
    while sold < 150 {
        let next = local.search(&query.clone().limit(1)).await.unwrap()[0].clone();
        local
            .purchase(&buy(&next.phone_number))
            .await
            .unwrap()
            .bought()
            .expect("sold at once");
        batched
            .purchase(&buy(&next.phone_number))
            .await
            .unwrap()
            .bought()
            .expect("sold at once");
        sold += 1;
    }
    let theirs = local.search(&query.clone().limit(1)).await.unwrap()[0].clone();
    assert!(local.take(&theirs.phone_number).await.unwrap());
    assert!(batched.take(&theirs.phone_number).await.unwrap());

    remote.held_calls.store(0, Ordering::SeqCst);
    let wanted = query.clone().limit(20);
    let found = batched.search(&wanted).await.unwrap();
    assert_eq!(found, local.search(&wanted).await.unwrap());
    assert_eq!(found.len(), 20);
    let calls = remote.held_calls.load(Ordering::SeqCst);
    // 20, 40, 80 and 160 candidates: four look-ups for 151 sold in a row.
    assert!(calls <= 4, "{calls} look-ups for one search");
    assert!(remote.largest_batch.load(Ordering::SeqCst) <= MAX_HELD_BATCH);

    // Nothing sold in the way: one look-up.
    remote.held_calls.store(0, Ordering::SeqCst);
    let elsewhere = SearchQuery::default().area_code("212");
    assert_eq!(
        batched.search(&elsewhere).await.unwrap(),
        local.search(&elsewhere).await.unwrap()
    );
    assert_eq!(remote.held_calls.load(Ordering::SeqCst), 1);
}

/// Carrier ids and listing through the trait agree with the default fake.
#[tokio::test]
async fn ids_and_pages_match_the_in_memory_fake() {
    let batched = FakeProvider::builder()
        .ledger(Arc::new(Remote::default()))
        .build();
    let local = FakeProvider::new();
    let offers = local
        .search(&SearchQuery::default().limit(7))
        .await
        .unwrap();
    for offer in &offers {
        let a = local
            .purchase(&buy(&offer.phone_number))
            .await
            .unwrap()
            .bought()
            .expect("sold at once");
        let b = batched
            .purchase(&buy(&offer.phone_number))
            .await
            .unwrap()
            .bought()
            .expect("sold at once");
        assert_eq!(a, b);
    }
    assert_eq!(
        local.owned_numbers().await.unwrap(),
        batched.owned_numbers().await.unwrap()
    );
    assert_eq!(
        batched.owned_numbers().await.unwrap()[0].carrier_id,
        "FK0000000001"
    );
}
