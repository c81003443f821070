//! `POST /functions/v1/bulk-provision-phone-numbers` over real HTTP, with the
//! fake carrier: numbers bought and listed, a repeated request buying nothing
//! more, rate limits and taken numbers absorbed, per-number failures in the
//! usual error shape, and bad requests refused whole.

mod common;

use std::time::Duration;

use common::{ACME, GLOBEX, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_core::Error;
use switchboard_fake::{Fault, Operation, Times};

const PATH: &str = "/functions/v1/bulk-provision-phone-numbers";

fn purchases(server: &TestServer) -> usize {
    server
        .fake
        .calls()
        .iter()
        .filter(|c| c.operation == Operation::Purchase)
        .count()
}

fn numbers(body: &Value) -> Vec<String> {
    body["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["number"]["phone_number"].as_str().map(String::from))
        .collect()
}

#[tokio::test]
async fn numbers_are_bought_listed_and_a_repeat_buys_nothing_more() {
    let server = TestServer::start().await;
    let agent = "550e8400-e29b-41d4-a716-446655440000";
    let body = json!({
        "count": 6,
        "search": {"capabilities": {"voice": true}},
        "friendly_name_prefix": "Sales",
        "agent_id": agent,
        "max_concurrency": 3
    });
    let send = || {
        server
            .client
            .post(server.url(PATH))
            .bearer_auth(ACME)
            .header("Idempotency-Key", "sales-jan")
            .json(&body)
            .send()
    };
    let first = common::Answer::from(send().await.unwrap()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["requested"], 6);
    assert_eq!(first.body["bought"], 6);
    assert_eq!(first.body["failed"], 0);
    let outcomes = first.body["outcomes"].as_array().unwrap();
    for (i, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome["index"], i + 1);
        assert_eq!(outcome["status"], "bought");
        assert_eq!(outcome["replayed"], false);
        assert_eq!(
            outcome["number"]["friendly_name"],
            format!("Sales {}", i + 1)
        );
        assert_eq!(outcome["number"]["agent_id"], agent);
        assert_eq!(outcome["number"]["is_active"], true);
        assert_eq!(outcome["number"]["capabilities"]["voice"], true);
    }
    let bought = numbers(&first.body);
    let mut distinct = bought.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 6);
    assert_eq!(server.fake.owned_numbers().await.expect("books").len(), 6);
    assert_eq!(purchases(&server), 6);

    // The account lists them; the other account does not.
    let listed = server
        .get("/functions/v1/list-phone-numbers", Some(ACME))
        .await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 6);
    let other = server
        .get("/functions/v1/list-phone-numbers", Some(GLOBEX))
        .await;
    assert_eq!(other.body["data"].as_array().unwrap().len(), 0);

    // The same request again: the same numbers, nothing bought.
    let again = common::Answer::from(send().await.unwrap()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["replayed"], 6);
    assert_eq!(numbers(&again.body), bought);
    assert_eq!(purchases(&server), 6);
    server.stop().await;
}

#[tokio::test]
async fn rate_limits_and_taken_numbers_do_not_fail_positions() {
    let server = TestServer::start().await;
    server.fake.script(
        Operation::Purchase,
        Fault::Fail(Error::NumberUnavailable {
            phone_number: "+1".into(),
            provider: "fake".into(),
            code: None,
            message: None,
        }),
        Times::Once,
    );
    server.fake.script(
        Operation::Purchase,
        Fault::Fail(Error::rate_limited("fake", Some(Duration::from_millis(20)))),
        Times::N(3),
    );
    let answer = server
        .post(PATH, Some(ACME), &json!({"count": 4, "max_concurrency": 2}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["bought"], 4, "{}", answer.body);
    assert_eq!(answer.body["failed"], 0);
    assert_eq!(answer.body["stats"]["replaced"], 1);
    assert_eq!(answer.body["stats"]["rate_limited"], 3);
    assert_eq!(server.fake.owned_numbers().await.expect("books").len(), 4);
    server.stop().await;
}

#[tokio::test]
async fn a_position_that_fails_reports_its_error_and_the_rest_are_bought() {
    let server = TestServer::start().await;
    server.fake.script(
        Operation::Purchase,
        Fault::Fail(Error::RequirementMissing {
            provider: "fake".into(),
            requirement: "AddressSid".into(),
            code: Some("21631".into()),
            message: None,
        }),
        Times::Once,
    );
    let answer = server
        .post(PATH, Some(ACME), &json!({"count": 3, "max_concurrency": 1}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["bought"], 2);
    assert_eq!(answer.body["failed"], 1);
    let failed = &answer.body["outcomes"][0];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["code"], "requirement_missing");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("AddressSid")
    );
    assert!(failed["phone_number"].as_str().unwrap().starts_with('+'));
    assert!(failed.get("number").is_none());
    server.stop().await;
}

#[tokio::test]
async fn a_bad_request_is_refused_whole_and_buys_nothing() {
    let server = TestServer::start().await;
    let cases = [
        (json!({"count": 0}), "count"),
        (json!({"count": 1001}), "count"),
        (
            json!({"count": 2, "search": {"area_code": "4x5"}}),
            "search.area_code",
        ),
        (json!({"count": 2, "max_concurrency": 0}), "max_concurrency"),
        (json!({"count": 2, "provider": "nope"}), "provider"),
        (
            json!({"count": 2, "friendly_name_prefix": ""}),
            "friendly_name_prefix",
        ),
        (
            json!({"count": 2, "idempotency_key_prefix": "a b"}),
            "idempotency_key_prefix",
        ),
    ];
    for (body, field) in cases {
        let answer = server.post(PATH, Some(ACME), &body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.text
        );
        assert_eq!(answer.code(), "invalid_input", "{body}");
        assert_eq!(answer.field(), Some(field), "{body}: {}", answer.text);
    }
    // Unknown fields and missing count are named by the decoder.
    let answer = server
        .post(PATH, Some(ACME), &json!({"count": 2, "cuont": 3}))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
    let answer = server.post(PATH, Some(ACME), &json!({})).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
    // Header and body keys must agree.
    let answer = common::Answer::from(
        server
            .client
            .post(server.url(PATH))
            .bearer_auth(ACME)
            .header("Idempotency-Key", "one")
            .json(&json!({"count": 1, "idempotency_key_prefix": "two"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.field(), Some("idempotency_key_prefix"));
    // No token, no purchase.
    let answer = server.post(PATH, None, &json!({"count": 1})).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "unauthenticated");

    assert_eq!(purchases(&server), 0);
    assert!(server.fake.owned_numbers().await.expect("books").is_empty());
    assert!(server.repo.is_empty());
    server.stop().await;
}
