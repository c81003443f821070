//! `search-phone-numbers` across carriers (`providers`): every carrier
//! asked, results merged and tagged, a failing carrier reported beside the
//! others' results, and the one-carrier answer unchanged.

mod common;

use std::sync::Arc;

use common::{ACME, Setup, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use switchboard_core::Error;
use switchboard_fake::{FakeProvider, Fault, Operation, Times};

const SEARCH: &str = "/functions/v1/search-phone-numbers";

async fn two_carriers() -> (TestServer, FakeProvider) {
    let second = FakeProvider::builder().name("fake-b").seed(7).build();
    let server = TestServer::with(Setup {
        extra_carriers: vec![Arc::new(second.clone())],
        ..Setup::default()
    })
    .await;
    (server, second)
}

fn providers_of(body: &serde_json::Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["provider"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn both_carriers_answer_in_turn_in_either_form() {
    let (server, _second) = two_carriers().await;
    let body = server
        .post(
            SEARCH,
            Some(ACME),
            &json!({"providers": ["fake-b", "fake"], "limit": 4}),
        )
        .await;
    assert_eq!(body.status, StatusCode::OK, "{}", body.body);
    assert_eq!(
        providers_of(&body.body),
        ["fake-b", "fake", "fake-b", "fake"]
    );
    assert!(body.body.get("failed").is_none() && body.body.get("skipped").is_none());
    let get = server
        .get(&format!("{SEARCH}?providers=all&limit=2"), Some(ACME))
        .await;
    assert_eq!(get.status, StatusCode::OK, "{}", get.body);
    assert_eq!(providers_of(&get.body), ["fake", "fake-b"]);
    // One carrier, as before: no new fields.
    let one = server.post(SEARCH, Some(ACME), &json!({"limit": 2})).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body.as_object().unwrap().len(), 1, "{}", one.body);
    server.stop().await;
}

#[tokio::test]
async fn a_carrier_that_fails_is_named_beside_the_others_results() {
    let (server, second) = two_carriers().await;
    second.script(
        Operation::Search,
        Fault::Fail(Error::rate_limited("fake-b", None)),
        Times::Always,
    );
    let answer = server
        .post(SEARCH, Some(ACME), &json!({"providers": "all", "limit": 3}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(providers_of(&answer.body), ["fake", "fake", "fake"]);
    assert_eq!(answer.body["failed"][0]["provider"], "fake-b");
    assert_eq!(answer.body["failed"][0]["error"]["code"], "rate_limited");
    // Only that carrier asked: its error is the answer.
    let alone = server
        .post(SEARCH, Some(ACME), &json!({"providers": ["fake-b"]}))
        .await;
    assert_eq!(
        alone.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        alone.body
    );
    server.stop().await;
}

#[tokio::test]
async fn bad_carrier_lists_are_refused_naming_providers() {
    let (server, _second) = two_carriers().await;
    for body in [
        json!({"providers": []}),
        json!({"providers": ["fake", ""]}),
        json!({"providers": ["fake", "nowhere"]}),
        json!({"providers": ["fake"], "provider": "fake"}),
    ] {
        let answer = server.post(SEARCH, Some(ACME), &body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.body
        );
        assert_eq!(answer.field(), Some("providers"), "{body}: {}", answer.body);
    }
    let wrong = server
        .post(SEARCH, Some(ACME), &json!({"providers": "every"}))
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    server.stop().await;
}
