//! A purchase answer must be about our account: Twilio's IncomingPhoneNumber
//! carries `account_sid`, and one naming another account is not returned as
//! bought (`Inconsistent`). The service then asks Twilio (`find_owned`);
//! when that does not settle it the reservation stays, and reconcile
//! settles it later by asking again.

mod common;
mod fixtures;

use common::*;
use fixtures::*;
use serde_json::{Value, json};
use switchboard_core::{
    AccountId, Error, NumberRepository, NumberState, PhoneNumber, ProvisionRequest,
    PurchaseRequest, ReconcileOptions, Routing, TelephonyProvider,
};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn request() -> PurchaseRequest {
    PurchaseRequest {
        phone_number: PhoneNumber::parse(NUMBER).unwrap(),
        friendly_name: None,
        routing: Routing::default(),
    }
}

async fn purchase_answered_with(server: &MockServer, answer: Value) {
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(201).set_body_json(answer))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn an_answer_naming_another_account_is_inconsistent_and_sent_once() {
    let server = MockServer::start().await;
    purchase_answered_with(&server, purchase_answer_of(json!(OTHER_AC))).await;
    let err = provider(&server).purchase(&request()).await.unwrap_err();
    match &err {
        Error::Inconsistent {
            source_name,
            message,
        } => {
            assert_eq!(source_name, "twilio");
            assert!(message.contains(NUMBER), "{message}");
            assert!(message.contains(OTHER_AC), "{message}");
            assert!(message.contains(AC), "{message}");
        }
        other => panic!("expected Inconsistent, got {other:?}"),
    }
    assert!(!err.to_string().contains(AUTH_TOKEN), "{err}");
    // Never retried: a repeated purchase answers 201 too (live behaviour 6).
    server.verify().await;
}

#[tokio::test]
async fn an_answer_naming_our_account_or_none_is_the_number_bought() {
    for account in [
        json!(AC),
        json!("ACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        Value::Null,
        json!(""),
    ] {
        let server = MockServer::start().await;
        purchase_answered_with(&server, purchase_answer_of(account.clone())).await;
        let bought = provider(&server)
            .purchase(&request())
            .await
            .unwrap_or_else(|e| panic!("account_sid {account}: {e}"))
            .bought()
            .expect("Twilio sells at once");
        assert_eq!(bought.carrier_id, PN);
        assert_eq!(bought.phone_number.as_str(), NUMBER);
    }
    // Absent altogether, as fields come and go (live behaviour 5).
    let server = MockServer::start().await;
    let mut answer = purchase_answer();
    answer.as_object_mut().unwrap().remove("account_sid");
    purchase_answered_with(&server, answer).await;
    assert!(provider(&server).purchase(&request()).await.is_ok());
}

#[tokio::test]
async fn find_owned_does_not_vouch_for_a_number_of_another_account() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .and(query_param("PhoneNumber", NUMBER))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(list_answer(vec![purchase_answer_of(json!(OTHER_AC))])),
        )
        .mount(&server)
        .await;
    let err = provider(&server)
        .find_owned(&PhoneNumber::parse(NUMBER).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Inconsistent { .. }), "{err:?}");
}

/// Through the service: the purchase answer names another account and the
/// listing right after does not show the number, so nothing is known. The
/// reservation stays (it is neither recorded as ours nor given up); once its
/// lease has lapsed, reconcile asks Twilio again and records what it holds.
#[tokio::test]
async fn the_service_keeps_the_reservation_until_reconcile_settles_it() {
    let server = MockServer::start().await;
    purchase_answered_with(&server, purchase_answer_of(json!(OTHER_AC))).await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_answer(vec![])))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .named("the listing asked right after the purchase")
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(list_answer(vec![purchase_answer()])),
        )
        .mount(&server)
        .await;
    let (service, repository, clock) = service(provider(&server));
    let account = AccountId::parse("acme").unwrap();
    let number = PhoneNumber::parse(NUMBER).unwrap();

    let err = service
        .provision(&account, &ProvisionRequest::new(number.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Inconsistent { .. }), "{err:?}");
    let held = repository
        .find_by_phone_number(&number)
        .await
        .unwrap()
        .expect("the reservation stays");
    assert_eq!(held.state, NumberState::Reserved, "{held:?}");
    assert_eq!(held.carrier_id, None);

    clock.advance(chrono::Duration::minutes(10));
    service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    let settled = repository.get(held.id).await.unwrap().unwrap();
    assert_eq!(settled.state, NumberState::Active, "{settled:?}");
    assert_eq!(settled.carrier_id.as_deref(), Some(PN));
    server.verify().await;
}

/// Through the service: the answer names another account, but asking
/// Twilio at once finds the number in ours, which settles the purchase.
#[tokio::test]
async fn the_service_records_the_number_when_asking_finds_it_in_our_account() {
    let server = MockServer::start().await;
    purchase_answered_with(&server, purchase_answer_of(json!(OTHER_AC))).await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .and(query_param("PhoneNumber", NUMBER))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(list_answer(vec![purchase_answer()])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (service, _repository, _clock) = service(provider(&server));
    let account = AccountId::parse("acme").unwrap();
    let bought = service
        .provision(
            &account,
            &ProvisionRequest::new(PhoneNumber::parse(NUMBER).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(bought.state, NumberState::Active);
    assert_eq!(bought.carrier_id.as_deref(), Some(PN));
    server.verify().await;
}
