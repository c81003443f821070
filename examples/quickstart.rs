//! Search, buy a number for an agent, reassign it, release it: the whole
//! life of a number, against the deterministic fake carrier.
//!
//! Run with `cargo run --example quickstart`.

use std::sync::Arc;

use switchboard::fake::FakeProvider;
use switchboard::{
    AccountId, CountryCode, InMemoryRepository, NumberUpdate, ProviderRegistry, ProvisionRequest,
    ProvisioningService, SearchQuery,
};
use uuid::Uuid;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(FakeProvider::new())),
        Arc::new(InMemoryRepository::new()),
    );
    let account = AccountId::parse("acme")?;

    let offers = service
        .search(
            &SearchQuery::new(CountryCode::CA).area_code("604").limit(3),
            None,
        )
        .await?;
    println!(
        "1. search: {} numbers for sale in area code 604",
        offers.len()
    );
    for offer in &offers {
        println!(
            "   {} ({})",
            offer.phone_number,
            offer.locality.as_deref().unwrap_or("-")
        );
    }
    let choice = offers.first().ok_or("the fake offered no number")?;

    let support_agent = Uuid::new_v4();
    let number = service
        .provision(
            &account,
            &ProvisionRequest::new(choice.phone_number.clone())
                .friendly_name("Main Line")
                .agent(support_agent),
        )
        .await?;
    // The JSON the HTTP API answers with: the seed's phone number object.
    let shown = switchboard::api::NumberResource::from(&number);
    println!("2. provision: {}", serde_json::to_string_pretty(&shown)?);

    let sales_agent = Uuid::new_v4();
    let number = service
        .update(
            &account,
            number.id,
            &NumberUpdate {
                friendly_name: Some("Sales".into()),
                agent_id: Some(Some(sales_agent)),
                routing: None,
            },
        )
        .await?;
    println!(
        "3. reassign: {} is now {:?}, answered by agent {}",
        number.phone_number,
        number.friendly_name,
        number.agent_id.map(|a| a.to_string()).unwrap_or_default()
    );

    let inbound = service.lookup(&number.phone_number).await?;
    println!(
        "4. inbound call to {}: route to agent {:?}",
        number.phone_number,
        inbound.and_then(|n| n.agent_id).map(|a| a.to_string())
    );

    let released = service.release(&account, number.id).await?;
    println!(
        "5. release: {} is {} (is_active: {})",
        released.phone_number,
        released.state.as_str(),
        released.is_active()
    );
    Ok(())
}
