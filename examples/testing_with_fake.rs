//! How a user tests their own code against carrier failures with the fake:
//! script a fault, run the code, assert on the outcome and the call log.
//!
//! Run with `cargo run --example testing_with_fake`. In a real project these
//! would be `#[tokio::test]` functions; an example keeps them runnable here.

use std::sync::Arc;
use std::time::Duration;

use switchboard::fake::{FakeProvider, Fault, Operation, Times};
use switchboard::{
    AccountId, Error, InMemoryRepository, NumberState, ProviderRegistry, ProvisionRequest,
    ProvisioningService, SearchQuery,
};

/// The user's code under test: buy the first number in an area code.
async fn onboard_customer(
    service: &ProvisioningService,
    account: &AccountId,
    area_code: &str,
) -> switchboard::Result<switchboard::ProvisionedNumber> {
    let offers = service
        .search(&SearchQuery::default().area_code(area_code).limit(1), None)
        .await?;
    let Some(offer) = offers.first() else {
        return Err(Error::not_found(format!(
            "numbers in area code {area_code}"
        )));
    };
    service
        .provision(account, &ProvisionRequest::new(offer.phone_number.clone()))
        .await
}

fn setup() -> (FakeProvider, ProvisioningService) {
    // Clones of the fake share state: keep one to script and inspect.
    let fake = FakeProvider::new();
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(fake.clone())),
        Arc::new(InMemoryRepository::new()),
    );
    (fake, service)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let account = AccountId::parse("acme")?;

    // 1. The carrier's answer to the purchase is lost: the service asks the
    //    carrier, finds the number bought, and records it. One purchase only.
    let (fake, service) = setup();
    fake.script(Operation::Purchase, Fault::AnswerLost, Times::Once);
    let number = onboard_customer(&service, &account, "415").await?;
    assert_eq!(number.state, NumberState::Active);
    let purchases = fake
        .calls()
        .iter()
        .filter(|c| c.operation == Operation::Purchase)
        .count();
    assert_eq!(
        purchases, 1,
        "a lost answer must not lead to a second purchase"
    );
    println!(
        "lost answer: settled by asking the carrier, bought once: {}",
        number.phone_number
    );

    // 2. The carrier is down: the error says it is temporary, so the user's
    //    code can retry later; nothing is recorded as bought.
    let (fake, service) = setup();
    let outage = Error::Transport {
        provider: "fake".into(),
        message: "connection refused".into(),
        cause: None,
    };
    fake.script(
        Operation::Purchase,
        Fault::Fail(outage.clone()),
        Times::Always,
    );
    fake.script(Operation::FindOwned, Fault::Fail(outage), Times::Always);
    let err = onboard_customer(&service, &account, "415")
        .await
        .unwrap_err();
    assert!(err.is_temporary());
    assert!(fake.owned_numbers().await?.is_empty());
    println!("outage: {err} (temporary: {})", err.is_temporary());

    // 3. Someone else buys the number between search and purchase.
    let (fake, service) = setup();
    let offer = service
        .search(&SearchQuery::default().area_code("415").limit(1), None)
        .await?
        .remove(0);
    fake.take(&offer.phone_number).await?;
    let err = service
        .provision(&account, &ProvisionRequest::new(offer.phone_number.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NumberUnavailable { .. }), "{err:?}");
    println!("race lost: {err}");

    // 4. A slow carrier: latency is a scripted sleep.
    let (fake, service) = setup();
    fake.script(
        Operation::Search,
        Fault::Latency(Duration::from_millis(50)),
        Times::Once,
    );
    let started = std::time::Instant::now();
    onboard_customer(&service, &account, "415").await?;
    println!("slow carrier: onboarding took {:?}", started.elapsed());
    Ok(())
}
