//! One search across several carriers: asked concurrently, merged in turn,
//! a carrier that cannot apply a filter left out and named, one that fails
//! reported beside the others' results.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use switchboard_core::*;

/// A carrier that answers a search with its own numbers after `latency`,
/// or fails; everything else is out of scope here.
#[derive(Debug)]
struct Shop {
    name: &'static str,
    numbers: Vec<&'static str>,
    latency: Duration,
    postal_code: bool,
    fails: bool,
}

impl Shop {
    fn new(name: &'static str, numbers: &[&'static str], latency_ms: u64) -> Self {
        Self {
            name,
            numbers: numbers.to_vec(),
            latency: Duration::from_millis(latency_ms),
            postal_code: true,
            fails: false,
        }
    }
}

#[async_trait]
impl TelephonyProvider for Shop {
    fn name(&self) -> &str {
        self.name
    }
    fn features(&self) -> ProviderFeatures {
        ProviderFeatures {
            postal_code: self.postal_code,
            ..ProviderFeatures::all(30)
        }
    }
    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>> {
        tokio::time::sleep(self.latency).await;
        if self.fails {
            return Err(Error::Transport {
                provider: self.name.into(),
                message: "timed out".into(),
                cause: None,
            });
        }
        Ok(self
            .numbers
            .iter()
            .take(query.limit as usize)
            .map(|n| AvailableNumber {
                phone_number: PhoneNumber::parse_trusted(n).unwrap(),
                country: CountryCode::US,
                number_type: NumberType::Local,
                region: None,
                locality: None,
                postal_code: None,
                rate_center: None,
                capabilities: Capabilities::VOICE_SMS_MMS,
                provider: self.name.into(),
            })
            .collect())
    }
    async fn purchase(&self, _: &PurchaseRequest) -> Result<PurchaseOutcome> {
        unreachable!("a search buys nothing")
    }
    async fn find_owned(&self, _: &PhoneNumber) -> Result<Option<CarrierNumber>> {
        unreachable!("a search owns nothing")
    }
    async fn list_owned(&self, _: &PageRequest) -> Result<Page<CarrierNumber>> {
        unreachable!("a search lists nothing")
    }
    async fn update(&self, _: &str, _: &CarrierUpdate) -> Result<CarrierNumber> {
        unreachable!("a search changes nothing")
    }
    async fn release(&self, _: &str) -> Result<()> {
        unreachable!("a search releases nothing")
    }
}

fn service(shops: Vec<Shop>) -> ProvisioningService {
    let mut shops = shops.into_iter();
    let mut registry = ProviderRegistry::new(Arc::new(shops.next().unwrap()));
    for shop in shops {
        registry = registry.with(Arc::new(shop));
    }
    ProvisioningService::new(registry, Arc::new(InMemoryRepository::new()))
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|n| n.to_string()).collect()
}

fn numbers(found: &[AvailableNumber]) -> Vec<(&str, &str)> {
    found
        .iter()
        .map(|n| (n.provider.as_str(), n.phone_number.as_str()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn carriers_are_asked_at_once_and_their_results_taken_in_turn() {
    let service = service(vec![
        Shop::new(
            "slow",
            &["+14155550101", "+14155550102", "+14155550103"],
            300,
        ),
        Shop::new("quick", &["+16045550201", "+16045550202"], 150),
    ]);
    let started = tokio::time::Instant::now();
    let across = service
        .search_across(&SearchQuery::default().limit(4), &names(&["quick", "slow"]))
        .await
        .unwrap();
    // On the paused clock: the slower carrier's latency, not the sum.
    assert_eq!(started.elapsed(), Duration::from_millis(300));
    assert_eq!(
        numbers(&across.found),
        [
            ("quick", "+16045550201"),
            ("slow", "+14155550101"),
            ("quick", "+16045550202"),
            ("slow", "+14155550102"),
        ]
    );
    assert!(across.skipped.is_empty() && across.failed.is_empty());
    // Every configured carrier, the default first.
    let all = service
        .search_across(&SearchQuery::default().limit(2), &[])
        .await
        .unwrap();
    assert_eq!(
        numbers(&all.found),
        [("slow", "+14155550101"), ("quick", "+16045550201")]
    );
}

#[tokio::test(start_paused = true)]
async fn a_carrier_that_cannot_filter_is_skipped_and_one_that_fails_is_reported() {
    let mut narrow = Shop::new("narrow", &["+14155550101"], 10);
    narrow.postal_code = false;
    let mut down = Shop::new("down", &[], 10);
    down.fails = true;
    let service = service(vec![narrow, down, Shop::new("open", &["+16045550201"], 10)]);
    let query = SearchQuery::default().postal_code("94105");
    let across = service.search_across(&query, &[]).await.unwrap();
    assert_eq!(numbers(&across.found), [("open", "+16045550201")]);
    assert_eq!(across.skipped.len(), 1);
    assert_eq!(across.skipped[0].provider, "narrow");
    assert_eq!(across.skipped[0].reason.code(), "not_supported");
    assert_eq!(across.failed.len(), 1);
    assert_eq!(across.failed[0].provider, "down");
    assert_eq!(across.failed[0].error.code(), "carrier_unreachable");

    // Only when no carrier can answer is the search an error.
    let err = service
        .search_across(&query, &names(&["narrow"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_supported");
    let err = service
        .search_across(&query, &names(&["down"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "carrier_unreachable");
    let err = service
        .search_across(&query, &names(&["open", "nowhere"]))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("providers"), "{err}");
    let err = service
        .search_across(&SearchQuery::default().limit(0), &[])
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("limit"));
}
