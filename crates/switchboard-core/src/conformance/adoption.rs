//! Adoption against any [`TelephonyProvider`]: a number bought outside
//! Switchboard (straight through the carrier, as by hand) is adopted from
//! what the carrier reports; one the carrier does not hold, or one already
//! recorded, is refused and records nothing.

use std::sync::Arc;

use super::provider::{buy_one, us_local};
use crate::{
    AccountId, AdoptRequest, Error, InMemoryRepository, NumberRepository, NumberState,
    ProviderRegistry, ProvisioningService, TelephonyProvider,
};

/// Runs the adoption scenarios. Like [`super::run_provider_suite`], it
/// needs local US numbers for sale, and releases what it buys.
pub async fn run_adoption_suite(provider: Arc<dyn TelephonyProvider>) {
    const SCENARIO: &str = "adoption";
    let bought = buy_one(provider.as_ref(), SCENARIO).await;
    let name = provider.name().to_string();
    let repository = Arc::new(InMemoryRepository::new());
    let service = ProvisioningService::new(
        ProviderRegistry::new(provider.clone()),
        repository.clone() as Arc<dyn NumberRepository>,
    );
    let owner = AccountId::parse("adopter").expect("account");
    let other = AccountId::parse("someone-else").expect("account");

    let adopted = service
        .adopt(
            &owner,
            &AdoptRequest::new(bought.phone_number.clone()).provider(&name),
        )
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: adopting {}: {e}", bought.phone_number));
    assert_eq!(adopted.state, NumberState::Active, "{SCENARIO}");
    assert_eq!(adopted.provider, name, "{SCENARIO}");
    assert_eq!(adopted.account, owner, "{SCENARIO}");
    assert_eq!(adopted.phone_number, bought.phone_number, "{SCENARIO}");
    assert_eq!(
        adopted.carrier_id.as_deref(),
        Some(bought.carrier_id.as_str()),
        "{SCENARIO}: the carrier's id is recorded"
    );
    assert_eq!(adopted.capabilities, bought.capabilities, "{SCENARIO}");
    assert_eq!(adopted.routing, bought.routing, "{SCENARIO}");

    // Live in one account: refused for any account, and nothing changes.
    for account in [&owner, &other] {
        let again = service
            .adopt(
                account,
                &AdoptRequest::new(bought.phone_number.clone()).provider(&name),
            )
            .await;
        assert!(
            matches!(again, Err(Error::AlreadyProvisioned { .. })),
            "{SCENARIO}: adopting a recorded number again: {again:?}"
        );
    }

    // A number the account does not hold: for sale, never bought.
    let for_sale = provider
        .search(&us_local(5))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: search: {e}"))
        .into_iter()
        .find(|n| n.phone_number != bought.phone_number)
        .unwrap_or_else(|| panic!("{SCENARIO}: need a second number for sale"));
    let refused = service
        .adopt(
            &owner,
            &AdoptRequest::new(for_sale.phone_number.clone()).provider(&name),
        )
        .await;
    match refused {
        Err(Error::NotFound { what, .. }) => {
            assert!(
                what.contains(&name),
                "{SCENARIO}: {what:?} names the carrier"
            )
        }
        other => panic!("{SCENARIO}: adopting a number not owned: {other:?}"),
    }
    assert!(
        repository
            .find_by_phone_number(&for_sale.phone_number)
            .await
            .expect("repository")
            .is_none(),
        "{SCENARIO}: a refused adoption records nothing"
    );
    assert!(
        provider
            .find_owned(&for_sale.phone_number)
            .await
            .unwrap_or_else(|e| panic!("{SCENARIO}: find_owned: {e}"))
            .is_none(),
        "{SCENARIO}: adoption bought the number it was refused"
    );

    // Adopted numbers are managed like any other: released through it.
    let released = service
        .release(&owner, adopted.id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: release: {e}"));
    assert_eq!(released.state, NumberState::Released, "{SCENARIO}");
}
