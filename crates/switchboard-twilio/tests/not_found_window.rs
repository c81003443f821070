//! Live behaviour 7: Twilio has answered 20404 for a number it sold a moment
//! before. Through the provisioning service, a release that meets such an
//! answer inside the adapter's window stays pending and is tried again
//! after it; with the window set to zero every not-found is believed.

mod common;
mod fixtures;

use std::time::Duration;

use common::*;
use fixtures::*;
use switchboard_core::{
    AccountId, NumberState, PhoneNumber, ProvisionRequest, ReconcileOptions, TelephonyProvider,
};
use switchboard_twilio::{DEFAULT_NOT_FOUND_WINDOW, TwilioProvider};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A purchase of [`NUMBER`] answered by Twilio's example, and a listing that
/// holds it: the carrier does own the number, whatever its DELETE says.
async fn carrier_owning_the_number(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(201).set_body_json(purchase_answer()))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(list_answer(vec![purchase_answer()])),
        )
        .mount(server)
        .await;
}

async fn first_delete_not_found_then_deleted(server: &MockServer) {
    Mock::given(method("DELETE"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(404).set_body_json(not_found_answer()))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;
}

#[test]
fn the_default_window_covers_live_behaviour_7() {
    let server_less = TwilioProvider::new(
        switchboard_twilio::TwilioConfig::with_auth_token(AC, AUTH_TOKEN).unwrap(),
    )
    .unwrap();
    assert_eq!(server_less.not_found_window(), DEFAULT_NOT_FOUND_WINDOW);
    // "A moment" is seconds; the window is minutes, and no more than the
    // default background reconcile interval, so a pending release is not
    // held long past it.
    assert!(DEFAULT_NOT_FOUND_WINDOW >= Duration::from_secs(60));
    assert!(DEFAULT_NOT_FOUND_WINDOW <= Duration::from_secs(300));
}

#[tokio::test]
async fn a_not_found_right_after_the_purchase_keeps_the_release_pending_until_the_window_ends() {
    let server = MockServer::start().await;
    carrier_owning_the_number(&server).await;
    first_delete_not_found_then_deleted(&server).await;
    let window = Duration::from_secs(120);
    let twilio = TwilioProvider::new(config(&server).not_found_window(window)).unwrap();
    let (service, _repository, clock) = service(twilio);
    let account = AccountId::parse("acme").unwrap();

    let bought = service
        .provision(
            &account,
            &ProvisionRequest::new(PhoneNumber::parse(NUMBER).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(bought.state, NumberState::Active);
    let purchased_at = bought.purchased_at.expect("a purchase time");

    clock.advance(chrono::Duration::seconds(5));
    let pending = service.release(&account, bought.id).await.unwrap();
    assert_eq!(pending.state, NumberState::Releasing, "{pending:?}");
    assert_eq!(
        pending.release_not_before,
        Some(purchased_at + chrono::Duration::from_std(window).unwrap())
    );
    assert_eq!(requests(&server, "DELETE").await, 1);

    // Inside the window reconcile leaves it: no second DELETE.
    clock.advance(chrono::Duration::seconds(60));
    service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    let still = service.get(&account, bought.id).await.unwrap();
    assert_eq!(still.state, NumberState::Releasing);
    assert_eq!(requests(&server, "DELETE").await, 1);

    // After it, the number Twilio still held is released for real.
    clock.advance(chrono::Duration::seconds(60));
    service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    let done = service.get(&account, bought.id).await.unwrap();
    assert_eq!(done.state, NumberState::Released, "{done:?}");
    assert_eq!(requests(&server, "DELETE").await, 2);
}

#[tokio::test]
async fn a_not_found_after_the_window_is_believed() {
    let server = MockServer::start().await;
    carrier_owning_the_number(&server).await;
    first_delete_not_found_then_deleted(&server).await;
    let twilio =
        TwilioProvider::new(config(&server).not_found_window(Duration::from_secs(120))).unwrap();
    let (service, _repository, clock) = service(twilio);
    let account = AccountId::parse("acme").unwrap();
    let bought = service
        .provision(
            &account,
            &ProvisionRequest::new(PhoneNumber::parse(NUMBER).unwrap()),
        )
        .await
        .unwrap();
    clock.advance(chrono::Duration::seconds(121));
    let released = service.release(&account, bought.id).await.unwrap();
    assert_eq!(released.state, NumberState::Released, "{released:?}");
    assert_eq!(requests(&server, "DELETE").await, 1);
}

#[tokio::test]
async fn a_zero_window_believes_every_not_found() {
    let server = MockServer::start().await;
    carrier_owning_the_number(&server).await;
    first_delete_not_found_then_deleted(&server).await;
    let twilio = TwilioProvider::new(config(&server).not_found_window(Duration::ZERO)).unwrap();
    assert_eq!(twilio.not_found_window(), Duration::ZERO);
    let (service, _repository, _clock) = service(twilio);
    let account = AccountId::parse("acme").unwrap();
    let bought = service
        .provision(
            &account,
            &ProvisionRequest::new(PhoneNumber::parse(NUMBER).unwrap()),
        )
        .await
        .unwrap();
    let released = service.release(&account, bought.id).await.unwrap();
    assert_eq!(released.state, NumberState::Released, "{released:?}");
    assert_eq!(requests(&server, "DELETE").await, 1);
}
