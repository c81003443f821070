//! `import-phone-number` over HTTP: a number bought straight at the carrier
//! (outside Switchboard) is adopted from the carrier's word, and nothing is
//! bought; a number the carrier does not hold is 404, one already live is
//! 409, and two imports of one number at once make one record.

mod common;

use common::{ACME, GLOBEX, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use switchboard_core::{NumberRepository, PurchaseRequest, Routing, TelephonyProvider};

const IMPORT: &str = "/functions/v1/import-phone-number";

/// Buys the first number for sale straight at the fake, as by hand.
async fn bought_outside(server: &TestServer) -> switchboard_core::CarrierNumber {
    let number = server.for_sale(1).remove(0);
    server
        .fake
        .purchase(&PurchaseRequest {
            phone_number: number,
            friendly_name: Some("Bought by hand".into()),
            routing: Routing::default(),
        })
        .await
        .unwrap()
        .bought()
        .expect("the fake sells at once")
}

#[tokio::test]
async fn a_number_bought_outside_is_adopted_as_the_carrier_reports_it() {
    let server = TestServer::start().await;
    let owned = bought_outside(&server).await;
    let purchases_before = server.fake.calls().len();
    let answer = server
        .post(
            IMPORT,
            Some(ACME),
            &json!({
                "phone_number": owned.phone_number.as_str(),
                "provider": "fake",
                "agent_id": "550e8400-e29b-41d4-a716-446655440000",
            }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = &answer.body;
    assert_eq!(body["phone_number"], owned.phone_number.as_str());
    assert_eq!(body["provider"], "fake");
    assert_eq!(body["is_active"], true);
    assert_eq!(body["friendly_name"], "Bought by hand");
    assert_eq!(body["agent_id"], "550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(body["capabilities"]["voice"], owned.capabilities.voice);
    // The carrier was only asked: no purchase, no change.
    let calls = server.fake.calls();
    assert!(
        calls[purchases_before..]
            .iter()
            .all(|c| c.operation == switchboard_core::layer::Operation::FindOwned),
        "{calls:?}"
    );
    let record = server
        .repo
        .find_by_phone_number(&owned.phone_number)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(
        record.carrier_id.as_deref(),
        Some(owned.carrier_id.as_str())
    );
    // The seed's routes manage it from now on.
    let got = server
        .get(
            &format!("/functions/v1/get-phone-number?id={}", record.id),
            Some(ACME),
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    server.stop().await;
}

#[tokio::test]
async fn refusals_name_what_is_wrong_and_record_nothing() {
    let server = TestServer::start().await;
    let not_owned = server.for_sale(2).remove(1);
    let answer = server
        .post(
            IMPORT,
            Some(ACME),
            &json!({"phone_number": not_owned.as_str(), "provider": "fake"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("fake"),
        "{}",
        answer.body
    );
    assert!(server.fake.owned_numbers().await.unwrap().is_empty());
    assert!(
        server
            .repo
            .find_by_phone_number(&not_owned)
            .await
            .unwrap()
            .is_none()
    );

    for (body, field) in [
        (
            json!({"phone_number": "+1604", "provider": "fake"}),
            "phone_number",
        ),
        (
            json!({"phone_number": not_owned.as_str(), "provider": "nope"}),
            "provider",
        ),
        (json!({"phone_number": not_owned.as_str()}), "provider"),
        (
            json!({"phone_number": not_owned.as_str(), "provider": "fake", "use_inbound_routing": true}),
            "use_inbound_routing",
        ),
    ] {
        let answer = server.post(IMPORT, Some(ACME), &body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.body
        );
        assert_eq!(answer.field(), Some(field), "{body}: {}", answer.body);
    }
    let unauthorized = server
        .post(
            IMPORT,
            None,
            &json!({"phone_number": not_owned.as_str(), "provider": "fake"}),
        )
        .await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn a_live_number_is_refused_and_two_imports_at_once_make_one_record() {
    let server = TestServer::start().await;
    let owned = bought_outside(&server).await;
    let body = json!({"phone_number": owned.phone_number.as_str(), "provider": "fake"});
    let (a, b) = tokio::join!(
        server.post(IMPORT, Some(ACME), &body),
        server.post(IMPORT, Some(GLOBEX), &body),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} / {}",
        a.body,
        b.body
    );
    let loser = if a.status == StatusCode::CONFLICT {
        &a
    } else {
        &b
    };
    assert_eq!(loser.code(), "already_provisioned", "{}", loser.body);
    // Provisioned through the seed's route, a number is live too.
    let provisioned = server.for_sale(3).remove(2);
    server.provision(ACME, &provisioned).await;
    let again = server
        .post(
            IMPORT,
            Some(GLOBEX),
            &json!({"phone_number": provisioned.as_str(), "provider": "fake"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    server.stop().await;
}
