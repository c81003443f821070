//! Purchases a carrier takes as orders, through the API: 202 with the number
//! in state `pending`, refused releases while the order is open, and the
//! number active once the order completes.

mod common;

use std::time::Duration;

use common::{ACME, Setup, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use switchboard_fake::{FakeProvider, OrderPlan};

const PROVISION: &str = "/functions/v1/provision-phone-number";
const GET: &str = "/functions/v1/get-phone-number";
const LIST: &str = "/functions/v1/list-phone-numbers";
const RELEASE: &str = "/functions/v1/release-phone-number";
const BULK: &str = "/functions/v1/bulk-provision-phone-numbers";

async fn server(plan: OrderPlan, order_wait: Duration) -> TestServer {
    TestServer::with(Setup {
        fake: FakeProvider::builder()
            .inventory_size(1_000)
            .pending_orders(plan)
            .build(),
        order_wait: Some(order_wait),
        ..Setup::default()
    })
    .await
}

#[tokio::test]
async fn an_open_order_is_answered_202_pending_and_becomes_active() {
    let server = server(OrderPlan::Manual, Duration::ZERO).await;
    let number = server.for_sale(1).remove(0);
    let body = json!({"phone_number": number.as_str(), "idempotency_key": "order-1"});
    let answer = server.post(PROVISION, Some(ACME), &body).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    let pending = answer.body;
    assert_eq!(pending["state"], "pending");
    assert_eq!(pending["is_active"], false);
    assert_eq!(pending["phone_number"], number.as_str());
    for field in [
        "id",
        "friendly_name",
        "agent_id",
        "capabilities",
        "provider",
        "created_at",
    ] {
        assert!(pending.get(field).is_some(), "{field} missing: {pending}");
    }
    let id = pending["id"].as_str().unwrap().to_string();

    // The same key again: the same pending number, no second order.
    let again = server.post(PROVISION, Some(ACME), &body).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.text);
    assert_eq!(again.body["id"], id.as_str());
    assert_eq!(server.fake.orders().len(), 1);

    // Listed and readable, as pending.
    let got = server.get(&format!("{GET}?id={id}"), Some(ACME)).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.body["state"], "pending");
    let listed = server.get(LIST, Some(ACME)).await;
    assert_eq!(
        listed.body["data"][0]["state"], "pending",
        "{}",
        listed.text
    );

    // A release waits for the order: refused while it is open.
    let refused = server.post(RELEASE, Some(ACME), &json!({"id": id})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    let message = refused.body["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("pending"), "{}", refused.text);

    let order = server.fake.orders()[0].id.clone();
    assert!(server.fake.complete_order(&order));
    server.service.settle_orders().await.unwrap();
    let got = server.get(&format!("{GET}?id={id}"), Some(ACME)).await;
    assert_eq!(got.body["state"], "active", "{}", got.text);
    assert_eq!(got.body["is_active"], true);
    let replay = server.post(PROVISION, Some(ACME), &body).await;
    assert_eq!(replay.status, StatusCode::OK, "{}", replay.text);
    assert_eq!(replay.body["id"], id.as_str());

    let released = server.post(RELEASE, Some(ACME), &json!({"id": id})).await;
    assert_eq!(released.status, StatusCode::OK, "{}", released.text);
    assert_eq!(released.body["state"], "released");
    server.stop().await;
}

#[tokio::test]
async fn an_order_that_completes_while_provision_waits_is_answered_200_active() {
    let server = server(OrderPlan::CompleteAfterPolls(2), Duration::from_secs(30)).await;
    let number = server.for_sale(1).remove(0);
    let answer = server
        .post(
            PROVISION,
            Some(ACME),
            &json!({"phone_number": number.as_str()}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["state"], "active");
    assert_eq!(answer.body["is_active"], true);
    server.stop().await;
}

#[tokio::test]
async fn a_bulk_of_open_orders_reports_each_pending() {
    let server = server(OrderPlan::Manual, Duration::ZERO).await;
    let answer = server
        .post(
            BULK,
            Some(ACME),
            &json!({"count": 3, "idempotency_key_prefix": "b"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["bought"], 3, "{}", answer.text);
    assert_eq!(answer.body["pending"], 3, "{}", answer.text);
    for outcome in answer.body["outcomes"].as_array().unwrap() {
        assert_eq!(outcome["status"], "pending", "{outcome}");
        assert_eq!(outcome["number"]["state"], "pending", "{outcome}");
    }
    assert_eq!(server.fake.orders().len(), 3);
    server.stop().await;
}
