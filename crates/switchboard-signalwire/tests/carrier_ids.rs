//! SignalWire's phone-number ids are UUIDs. Anything else is the caller's
//! mistake: `InvalidInput` naming `carrier_id`, never `NotFound` (which a
//! release takes as proof the number is gone), and nothing is sent. Going
//! the other way, an answer whose id is not a UUID is not handed out, since
//! that id could never be updated or released.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use switchboard_core::{
    CarrierUpdate, Error, PageRequest, PhoneNumber, PurchaseRequest, Routing, TelephonyProvider,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NOT_UUIDS: [&str; 6] = [
    "",
    "PN123",
    "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "../addresses",
    "3fa85f64-5717-4562-b3fc-2c963f66afa",
    "3fa85f64-5717-4562-b3fc-2c963f66afa6/../x",
];

fn assert_invalid_carrier_id(result: Result<impl std::fmt::Debug, Error>, id: &str) {
    match result {
        Err(error @ Error::InvalidInput { .. }) => {
            assert_eq!(error.field(), Some("carrier_id"), "{id:?}: {error}");
        }
        other => panic!("{id:?}: expected InvalidInput, got {other:?}"),
    }
}

#[tokio::test]
async fn release_update_and_get_refuse_what_is_not_a_uuid_without_asking_signalwire() {
    let server = MockServer::start().await;
    let signalwire = provider(&server);
    let rename = CarrierUpdate {
        friendly_name: Some("front desk".into()),
        routing: None,
    };
    for id in NOT_UUIDS {
        assert_invalid_carrier_id(signalwire.release(id).await, id);
        assert_invalid_carrier_id(signalwire.update(id, &rename).await, id);
        assert_invalid_carrier_id(signalwire.update(id, &CarrierUpdate::default()).await, id);
        assert_invalid_carrier_id(signalwire.get(id).await, id);
    }
    let sent = server.received_requests().await.unwrap_or_default();
    assert!(
        sent.is_empty(),
        "{} requests reached SignalWire",
        sent.len()
    );
}

#[tokio::test]
async fn an_id_in_another_uuid_spelling_is_sent_in_the_canonical_one() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(number_path()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .release(&NUMBER_ID.to_uppercase())
        .await
        .unwrap();
    server.verify().await;
}

#[tokio::test]
async fn a_purchase_answer_whose_id_is_not_a_uuid_leaves_the_outcome_unknown() {
    let server = MockServer::start().await;
    let mut answer = phone_number_purchased();
    answer["id"] = json!("PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    Mock::given(method("POST"))
        .and(path(NUMBERS))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .purchase(&PurchaseRequest {
            phone_number: PhoneNumber::parse_trusted(NUMBER).unwrap(),
            friendly_name: None,
            routing: Routing::default(),
        })
        .await
        .unwrap_err();
    // Unknown, not failed: the service settles it by asking (find_owned).
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("not a UUID"), "{err}");
    server.verify().await;
}

#[tokio::test]
async fn a_listing_with_an_id_that_is_not_a_uuid_fails_rather_than_hands_it_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(
            vec![
                phone_number_purchased(),
                phone_number("not-a-uuid", "+15558675301"),
            ],
            None,
        )))
        .mount(&server)
        .await;
    let err = provider(&server)
        .list_owned(&PageRequest::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a UUID"), "{err}");
}

#[tokio::test]
async fn the_not_found_window_is_zero_unless_configured() {
    let server = MockServer::start().await;
    assert_eq!(provider(&server).not_found_window(), Duration::ZERO);
    let configured = switchboard_signalwire::SignalWireProvider::new(
        config(&server).with_not_found_window(Duration::from_secs(90)),
    )
    .unwrap();
    assert_eq!(configured.not_found_window(), Duration::from_secs(90));
}
