//! Scenarios for any [`TelephonyProvider`].

use crate::{
    CarrierUpdate, Error, NumberType, OrderStatus, PageRequest, PurchaseOutcome, PurchaseRequest,
    Routing, SearchQuery, TelephonyProvider, WebhookMethod, WebhookUrl,
};

/// Runs every provider scenario in order.
///
/// The provider must have local US numbers for sale and an account that may
/// buy a few; every number a scenario buys is released again.
pub async fn run_provider_suite(provider: &dyn TelephonyProvider) {
    search_respects_limit_and_type(provider).await;
    search_by_area_code_returns_only_that_area_code(provider).await;
    unsupported_filters_are_refused(provider).await;
    purchase_find_list_release_cycle(provider).await;
    update_changes_name_and_routing(provider).await;
    list_owned_pages_through_every_number(provider).await;
    release_of_a_released_number_is_not_found(provider).await;
}

/// The number a purchase bought, waiting for the order to complete when
/// the carrier answered with one (bounded: an order that neither completes
/// nor fails within a minute fails the scenario).
async fn settled(
    provider: &dyn TelephonyProvider,
    outcome: PurchaseOutcome,
    scenario: &str,
) -> crate::CarrierNumber {
    let order = match outcome {
        PurchaseOutcome::Bought(number) => return number,
        PurchaseOutcome::Pending(order) => order,
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut wait = std::time::Duration::from_millis(5);
    loop {
        match provider.order_status(&order.order_id).await {
            Ok(OrderStatus::Complete(number)) => {
                assert_eq!(
                    number.phone_number, order.phone_number,
                    "{scenario}: order {} completed with another number",
                    order.order_id
                );
                return number;
            }
            Ok(OrderStatus::Pending) | Err(Error::RetryLater { .. }) => {}
            Ok(other) => panic!("{scenario}: order {} ended as {other:?}", order.order_id),
            Err(e) => panic!("{scenario}: order_status({}): {e}", order.order_id),
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{scenario}: order {} still pending after a minute",
            order.order_id
        );
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(std::time::Duration::from_millis(500));
    }
}

pub(crate) fn us_local(limit: u32) -> SearchQuery {
    SearchQuery::new(crate::CountryCode::US).limit(limit)
}

/// The national number of a NANP (+1) number.
fn national(number: &crate::PhoneNumber) -> &str {
    &number.digits()[1..]
}

pub(crate) async fn buy_one(
    provider: &dyn TelephonyProvider,
    scenario: &str,
) -> crate::CarrierNumber {
    let found = provider
        .search(&us_local(5))
        .await
        .unwrap_or_else(|e| panic!("{scenario}: search failed: {e}"));
    let candidate = found
        .first()
        .unwrap_or_else(|| panic!("{scenario}: the provider offers no US local number"));
    let outcome = provider
        .purchase(&PurchaseRequest {
            phone_number: candidate.phone_number.clone(),
            friendly_name: Some(format!("conformance {scenario}")),
            routing: Routing::default(),
        })
        .await
        .unwrap_or_else(|e| {
            panic!(
                "{scenario}: purchase of {} failed: {e}",
                candidate.phone_number
            )
        });
    settled(provider, outcome, scenario).await
}

/// A search returns at most `limit` numbers, all of the country and type asked.
pub async fn search_respects_limit_and_type(provider: &dyn TelephonyProvider) {
    let found = provider
        .search(&us_local(3))
        .await
        .unwrap_or_else(|e| panic!("search_respects_limit_and_type: {e}"));
    assert!(
        !found.is_empty() && found.len() <= 3,
        "search_respects_limit_and_type: asked for 3, got {}",
        found.len()
    );
    for number in &found {
        assert_eq!(
            number.country,
            crate::CountryCode::US,
            "search_respects_limit_and_type"
        );
        assert_eq!(
            number.number_type,
            NumberType::Local,
            "search_respects_limit_and_type"
        );
        assert!(
            number.phone_number.as_str().starts_with("+1"),
            "search_respects_limit_and_type: {} is not a US number",
            number.phone_number
        );
        assert_eq!(
            number.provider,
            provider.name(),
            "search_respects_limit_and_type"
        );
    }
}

/// Every result of an area-code search is in that area code.
pub async fn search_by_area_code_returns_only_that_area_code(provider: &dyn TelephonyProvider) {
    const SCENARIO: &str = "search_by_area_code_returns_only_that_area_code";
    if !provider.features().area_code {
        return;
    }
    let seed = provider
        .search(&us_local(1))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let Some(first) = seed.first() else {
        panic!("{SCENARIO}: the provider offers no US local number");
    };
    let area_code = national(&first.phone_number)[..3].to_string();
    let found = provider
        .search(&us_local(10).area_code(area_code.clone()))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    assert!(
        !found.is_empty(),
        "{SCENARIO}: nothing found in area code {area_code}"
    );
    for number in &found {
        assert!(
            national(&number.phone_number).starts_with(&area_code),
            "{SCENARIO}: {} is not in area code {area_code}",
            number.phone_number
        );
    }
}

/// A filter the provider says it lacks is refused, never silently dropped.
pub async fn unsupported_filters_are_refused(provider: &dyn TelephonyProvider) {
    const SCENARIO: &str = "unsupported_filters_are_refused";
    let features = provider.features();
    let mut probes = Vec::new();
    if !features.number_types.contains(&NumberType::Mobile) {
        probes.push(us_local(1).number_type(NumberType::Mobile));
    }
    if !features.postal_code {
        probes.push(us_local(1).postal_code("94105"));
    }
    if !features.capability_filter {
        probes.push(us_local(1).capabilities(crate::Capabilities {
            fax: true,
            ..Default::default()
        }));
    }
    for query in probes {
        match provider.search(&query).await {
            Err(Error::NotSupported { .. }) => {}
            other => panic!("{SCENARIO}: {query:?} gave {other:?}, expected NotSupported"),
        }
    }
}

/// Bought numbers are found by number and listed; released ones are not.
pub async fn purchase_find_list_release_cycle(provider: &dyn TelephonyProvider) {
    const SCENARIO: &str = "purchase_find_list_release_cycle";
    let bought = buy_one(provider, SCENARIO).await;
    let found = provider
        .find_owned(&bought.phone_number)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: find_owned: {e}"))
        .unwrap_or_else(|| {
            panic!(
                "{SCENARIO}: {} not found after purchase",
                bought.phone_number
            )
        });
    assert_eq!(found.carrier_id, bought.carrier_id, "{SCENARIO}");
    let listed = collect_owned(provider, SCENARIO).await;
    assert!(
        listed.iter().any(|n| n.carrier_id == bought.carrier_id),
        "{SCENARIO}: {} missing from list_owned",
        bought.phone_number
    );
    let again = provider
        .search(&us_local(100))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    assert!(
        again.iter().all(|n| n.phone_number != bought.phone_number),
        "{SCENARIO}: an owned number is still offered for sale"
    );
    provider
        .release(&bought.carrier_id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: release: {e}"));
    let gone = provider
        .find_owned(&bought.phone_number)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: find_owned after release: {e}"));
    assert!(gone.is_none(), "{SCENARIO}: still owned after release");
}

/// Name and routing changes are stored and reported back.
pub async fn update_changes_name_and_routing(provider: &dyn TelephonyProvider) {
    const SCENARIO: &str = "update_changes_name_and_routing";
    let bought = buy_one(provider, SCENARIO).await;
    let voice = WebhookUrl::parse("https://agent.example.com/voice").expect("valid URL");
    let updated = provider
        .update(
            &bought.carrier_id,
            &CarrierUpdate {
                friendly_name: Some("Support line".into()),
                routing: Some(Routing {
                    voice_url: Some(voice.clone()),
                    voice_method: Some(WebhookMethod::Post),
                    ..Routing::default()
                }),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: update: {e}"));
    assert_eq!(
        updated.friendly_name.as_deref(),
        Some("Support line"),
        "{SCENARIO}"
    );
    assert_eq!(
        updated.routing.voice_url.as_ref(),
        Some(&voice),
        "{SCENARIO}"
    );
    let found = provider
        .find_owned(&bought.phone_number)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"))
        .unwrap_or_else(|| panic!("{SCENARIO}: not found after update"));
    assert_eq!(
        found.friendly_name.as_deref(),
        Some("Support line"),
        "{SCENARIO}"
    );
    assert_eq!(found.routing.voice_url.as_ref(), Some(&voice), "{SCENARIO}");
    provider
        .release(&bought.carrier_id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: release: {e}"));
}

/// Paging through owned numbers two at a time sees each exactly once.
pub async fn list_owned_pages_through_every_number(provider: &dyn TelephonyProvider) {
    const SCENARIO: &str = "list_owned_pages_through_every_number";
    let found = provider
        .search(&us_local(3))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    assert!(
        found.len() == 3,
        "{SCENARIO}: need 3 numbers for sale, got {}",
        found.len()
    );
    let mut bought = Vec::new();
    for candidate in &found {
        bought.push(
            provider
                .purchase(&PurchaseRequest {
                    phone_number: candidate.phone_number.clone(),
                    friendly_name: None,
                    routing: Routing::default(),
                })
                .await
                .unwrap_or_else(|e| panic!("{SCENARIO}: purchase: {e}")),
        );
    }
    let mut settled_numbers = Vec::new();
    for outcome in bought {
        settled_numbers.push(settled(provider, outcome, SCENARIO).await);
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let batch = provider
            .list_owned(&page)
            .await
            .unwrap_or_else(|e| panic!("{SCENARIO}: list_owned: {e}"));
        assert!(batch.items.len() <= 2, "{SCENARIO}: page larger than asked");
        seen.extend(batch.items.into_iter().map(|n| n.carrier_id));
        match batch.next_cursor {
            Some(cursor) => page = PageRequest::after(cursor, 2),
            None => break,
        }
    }
    for number in &settled_numbers {
        let times = seen.iter().filter(|id| **id == number.carrier_id).count();
        assert_eq!(
            times, 1,
            "{SCENARIO}: {} listed {times} times",
            number.phone_number
        );
        provider
            .release(&number.carrier_id)
            .await
            .unwrap_or_else(|e| panic!("{SCENARIO}: release: {e}"));
    }
}

/// Releasing twice: the second answer is NotFound, which callers treat as done.
pub async fn release_of_a_released_number_is_not_found(provider: &dyn TelephonyProvider) {
    const SCENARIO: &str = "release_of_a_released_number_is_not_found";
    let bought = buy_one(provider, SCENARIO).await;
    provider
        .release(&bought.carrier_id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: release: {e}"));
    match provider.release(&bought.carrier_id).await {
        Err(Error::NotFound { .. }) => {}
        other => panic!("{SCENARIO}: second release gave {other:?}, expected NotFound"),
    }
}

async fn collect_owned(
    provider: &dyn TelephonyProvider,
    scenario: &str,
) -> Vec<crate::CarrierNumber> {
    let mut all = Vec::new();
    let mut page = PageRequest::first(crate::MAX_PAGE_SIZE);
    loop {
        let batch = provider
            .list_owned(&page)
            .await
            .unwrap_or_else(|e| panic!("{scenario}: list_owned: {e}"));
        all.extend(batch.items);
        match batch.next_cursor {
            Some(cursor) => page = PageRequest::after(cursor, crate::MAX_PAGE_SIZE),
            None => return all,
        }
    }
}
