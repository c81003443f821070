//! `GET /metrics` counts what the routes did: carrier calls through the
//! layer `AppState::new` puts around each carrier, requests by route
//! template, and nothing that identifies an account, a number or a token.

mod common;

use common::{ACME, TestServer};
use reqwest::StatusCode;
use serde_json::json;

/// The value of the sample `line_start` (metric name and labels exactly).
fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(line_start)?.trim().parse().ok())
}

#[tokio::test]
async fn concurrent_requests_are_all_counted_by_route_and_carrier_call() {
    let server = TestServer::start().await;
    let numbers = server.for_sale(8);
    // Eight purchases at once, and as many lookups of a number we do not
    // have: each is counted once, whatever the interleaving.
    let mut calls = Vec::new();
    for number in &numbers {
        let client = server.client.clone();
        let provision = server.url("/functions/v1/provision-phone-number");
        let lookup = server.url(&format!(
            "/functions/v1/get-phone-number?phone_number=%2B16045559{:03}",
            calls.len()
        ));
        let body = json!({"phone_number": number.as_str()});
        calls.push(tokio::spawn(async move {
            let bought = client
                .post(&provision)
                .bearer_auth(ACME)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status();
            let looked_up = client
                .get(&lookup)
                .bearer_auth(ACME)
                .send()
                .await
                .unwrap()
                .status();
            (bought, looked_up)
        }));
    }
    for call in calls {
        assert_eq!(call.await.unwrap(), (StatusCode::OK, StatusCode::NOT_FOUND));
    }
    let missing = server.get("/no/such/route/+16045550100", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let answer = server.get("/metrics", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{:?}",
        answer.headers
    );
    let text = &answer.text;
    let purchases = sample(
        text,
        r#"switchboard_carrier_calls_total{carrier="fake",operation="purchase",outcome="ok"}"#,
    );
    assert_eq!(purchases, Some(8.0), "{text}");
    let provisions = sample(
        text,
        r#"switchboard_http_requests_total{route="/functions/v1/provision-phone-number",method="POST",status="200"}"#,
    );
    assert_eq!(provisions, Some(8.0), "{text}");
    let lookups = sample(
        text,
        r#"switchboard_http_requests_total{route="/functions/v1/get-phone-number",method="GET",status="404"}"#,
    );
    assert_eq!(lookups, Some(8.0), "{text}");
    let unmatched = sample(
        text,
        r#"switchboard_http_requests_total{route="unmatched",method="GET",status="404"}"#,
    );
    assert_eq!(unmatched, Some(1.0), "{text}");
    let timed = sample(
        text,
        r#"switchboard_carrier_call_seconds_count{carrier="fake",operation="purchase"}"#,
    );
    assert_eq!(timed, Some(8.0), "{text}");

    // Labels name routes and carriers, never what a caller sent.
    for secret_or_personal in [ACME, "+1604", "no/such", "acme"] {
        assert!(
            !text.contains(secret_or_personal),
            "{secret_or_personal} in\n{text}"
        );
    }
    server.stop().await;
}
