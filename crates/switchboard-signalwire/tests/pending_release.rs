//! The release cooldown end to end: the provisioning service, the in-memory
//! repository and this adapter against a local server. The first DELETE gets
//! the live cooldown 422; the release stays pending until the cooldown ends,
//! and a reconcile after that completes it.

mod common;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use common::*;
use switchboard_core::{
    AccountId, InMemoryRepository, ManualClock, NumberState, PhoneNumber, ProviderRegistry,
    ProvisionRequest, ProvisioningService, ReconcileOptions,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_cooldown_leaves_a_pending_release_that_reconcile_completes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(NUMBERS))
        .and(header("authorization", AUTHORIZATION))
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_number_purchased()))
        .expect(1)
        .mount(&server)
        .await;
    // Reconcile lists what SignalWire holds: the number, until released.
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(list_page(vec![phone_number_purchased()], None)),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(number_path()))
        .respond_with(ResponseTemplate::new(422).set_body_json(validation_error(Some(COOLDOWN))))
        .up_to_n_times(1)
        .expect(1)
        .named("the first release, refused for the cooldown")
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(number_path()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .named("the release after the cooldown")
        .mount(&server)
        .await;

    // Bought two weeks before the cooldown ends (docs/carriers/signalwire.md,
    // "Errors": about two weeks).
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2025, 6, 4, 5, 49, 47).unwrap());
    let repository = Arc::new(InMemoryRepository::new());
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(provider(&server))),
        repository.clone(),
    )
    .with_clock(Arc::new(clock.clone()));
    let account = AccountId::parse("acme").unwrap();
    let number = service
        .provision(
            &account,
            &ProvisionRequest::new(PhoneNumber::parse_trusted(NUMBER).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(number.state, NumberState::Active);
    assert_eq!(number.carrier_id.as_deref(), Some(NUMBER_ID));

    let releasing = service.release(&account, number.id).await.unwrap();
    let cooldown_end = Utc.with_ymd_and_hms(2025, 6, 18, 5, 49, 47).unwrap();
    assert_eq!(releasing.state, NumberState::Releasing);
    assert_eq!(releasing.release_not_before, Some(cooldown_end));

    // Before the cooldown ends, reconcile leaves it (no DELETE is sent).
    clock.advance(chrono::Duration::days(7));
    service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(
        service.get(&account, number.id).await.unwrap().state,
        NumberState::Releasing
    );

    clock.set(cooldown_end + chrono::Duration::seconds(1));
    service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    let released = service.get(&account, number.id).await.unwrap();
    assert_eq!(released.state, NumberState::Released);
    assert!(released.released_at.is_some());
    // wiremock checks on drop that each DELETE answer was used exactly once.
}
