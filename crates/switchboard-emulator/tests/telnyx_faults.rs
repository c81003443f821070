//! Faults on the Telnyx protocol: the same `Faults` as the other carriers,
//! answered in Telnyx's own terms (its 429 headers and `errors[]` bodies).

mod common;

use std::time::Duration;

use common::{client, send, telnyx};
use reqwest::{Client, Method};
use serde_json::{Value, json};
use switchboard_emulator::{
    AfterCommit, CommitThenTimeout, Emulator, Faults, Latency, Operation, Outcome, RunningEmulator,
    TelnyxOrderOutcome,
};

async fn offer(c: &Client, e: &RunningEmulator, n: usize) -> Vec<String> {
    let (status, body) = send(
        telnyx(c, e, Method::GET, "/available_phone_numbers")
            .query(&[("filter[national_destination_code]", "512")]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .take(n)
        .map(|i| i["phone_number"].as_str().unwrap().to_string())
        .collect()
}

fn order(c: &Client, e: &RunningEmulator, number: &str) -> reqwest::RequestBuilder {
    telnyx(c, e, Method::POST, "/number_orders")
        .json(&json!({"phone_numbers": [{"phone_number": number}]}))
}

fn listed(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["phone_number"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_in_flight_cap_answers_telnyx_429_with_rate_limit_headers() {
    let e = Emulator::builder()
        .faults(Faults {
            max_in_flight: Some(2),
            retry_after_secs: 7,
            latency: Some(Latency {
                min_ms: 400,
                max_ms: 400,
            }),
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let c = client();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let request = telnyx(&c, &e, Method::GET, "/phone_numbers");
        tasks.push(tokio::spawn(async move { request.send().await.unwrap() }));
    }
    let (mut ok, mut limited) = (0, 0);
    for task in tasks {
        let response = task.await.unwrap();
        match response.status().as_u16() {
            200 => ok += 1,
            429 => {
                let headers = response.headers();
                assert_eq!(headers["x-ratelimit-limit"], "2");
                assert_eq!(headers["x-ratelimit-remaining"], "0");
                assert_eq!(headers["x-ratelimit-reset"], "7");
                assert!(headers.get("retry-after").is_none());
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["errors"][0]["code"], "10011");
                assert_eq!(body["errors"][0]["title"], "Too many requests");
                assert_eq!(
                    body["errors"][0]["detail"],
                    "You have exceeded the maximum number of allowed requests."
                );
                limited += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok + limited, 6);
    assert!((1..=2).contains(&ok), "at most two in flight, got {ok}");
}

#[tokio::test]
async fn injected_errors_come_before_the_order_is_placed() {
    let e = Emulator::builder().start().await.unwrap();
    let c = client();
    let numbers = offer(&c, &e, 1).await;
    e.set_faults(Faults {
        error_rate: 1.0,
        error_status: 503,
        operations: vec![Operation::Purchase],
        ..Faults::default()
    })
    .unwrap();
    let (status, body) = send(order(&c, &e, &numbers[0])).await;
    assert_eq!(status, 503);
    assert_eq!(body["errors"][0]["code"], "10007");
    assert!(e.telnyx_orders().is_empty());
    assert!(e.owned_numbers().is_empty());
    let (status, _) = send(telnyx(&c, &e, Method::GET, "/phone_numbers")).await;
    assert_eq!(status, 200, "other operations are untouched");
}

#[tokio::test]
async fn a_dropped_search_gets_no_answer() {
    let e = Emulator::builder()
        .faults(Faults {
            drop_rate: 1.0,
            operations: vec![Operation::Search],
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let result = telnyx(&client(), &e, Method::GET, "/available_phone_numbers")
        .send()
        .await;
    assert!(result.is_err(), "{result:?}");
    let log = e.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, Outcome::Dropped);
    assert_eq!(log[0].carrier, "telnyx");
    assert_eq!(log[0].operation, Some(Operation::Search));
}

#[tokio::test]
async fn an_order_can_be_placed_and_its_answer_lost() {
    let e = Emulator::builder()
        .telnyx_order_delay(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let c = client();
    let numbers = offer(&c, &e, 1).await;
    e.set_faults(Faults {
        commit_then_timeout: Some(CommitThenTimeout {
            mode: AfterCommit::Drop,
            ..CommitThenTimeout::default()
        }),
        operations: vec![Operation::Purchase],
        ..Faults::default()
    })
    .unwrap();
    let result = order(&c, &e, &numbers[0]).send().await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(
        e.requests().last().unwrap().outcome,
        Outcome::CommittedThenDropped
    );
    // The order exists: a client that retries blindly is told the number
    // is already its own; one that looks finds it pending.
    assert_eq!(e.telnyx_orders().len(), 1);
    e.clear_faults();
    let (status, body) = send(order(&c, &e, &numbers[0])).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (422, Some("10012"))
    );
    let (_, found) = send(
        telnyx(&c, &e, Method::GET, "/phone_numbers")
            .query(&[("filter[phone_number]", numbers[0].as_str())]),
    )
    .await;
    assert_eq!(found["data"][0]["status"], "purchase-pending");
    let (_, pending) =
        send(telnyx(&c, &e, Method::GET, "/number_orders").query(&[("filter[status]", "pending")]))
            .await;
    assert_eq!(pending["meta"]["total_results"], 1);
}

#[tokio::test]
async fn a_release_can_commit_then_hang() {
    let e = Emulator::builder()
        .telnyx_order_outcome(TelnyxOrderOutcome::Complete)
        .telnyx_order_delay(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let c = client();
    let numbers = offer(&c, &e, 1).await;
    let (_, placed) = send(order(&c, &e, &numbers[0])).await;
    let order_id = placed["data"]["id"].as_str().unwrap().to_string();
    let mut id = None;
    for _ in 0..500 {
        let (_, body) = send(telnyx(&c, &e, Method::GET, "/phone_numbers")).await;
        if body["data"][0]["status"] == "active" {
            id = body["data"][0]["id"].as_str().map(str::to_string);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let id = id.unwrap_or_else(|| panic!("order {order_id} never completed"));
    e.set_faults(Faults {
        commit_then_timeout: Some(CommitThenTimeout {
            mode: AfterCommit::Hang,
            hold_ms: 50,
            rate: 1.0,
        }),
        operations: vec![Operation::Release],
        ..Faults::default()
    })
    .unwrap();
    let result = telnyx(&c, &e, Method::DELETE, &format!("/phone_numbers/{id}"))
        .send()
        .await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(
        e.requests().last().unwrap().outcome,
        Outcome::CommittedThenHung
    );
    assert!(e.owned_numbers().is_empty(), "the release took effect");
}

#[tokio::test]
async fn a_lagging_listing_leaves_out_young_numbers_but_the_number_filter_finds_them() {
    let e = Emulator::builder()
        .telnyx_order_delay(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let c = client();
    let numbers = offer(&c, &e, 2).await;
    assert_eq!(send(order(&c, &e, &numbers[0])).await.0, 200);
    e.advance_clock(Duration::from_secs(120));
    assert_eq!(send(order(&c, &e, &numbers[1])).await.0, 200);
    e.set_faults(Faults {
        listing_lag_ms: Some(60_000),
        ..Faults::default()
    })
    .unwrap();
    e.clear_requests();
    let (_, all) = send(telnyx(&c, &e, Method::GET, "/phone_numbers")).await;
    assert_eq!(listed(&all), vec![numbers[0].clone()]);
    assert_eq!(all["meta"]["total_results"], 1);
    let (_, one) = send(
        telnyx(&c, &e, Method::GET, "/phone_numbers")
            .query(&[("filter[phone_number]", &numbers[1][1..])]),
    )
    .await;
    assert_eq!(listed(&one), vec![numbers[1].clone()]);
    let left_out: Vec<usize> = e.requests().iter().map(|r| r.left_out).collect();
    assert_eq!(left_out, vec![1, 0]);
}

#[tokio::test]
async fn latency_leaves_the_answers_intact() {
    // The delay itself is not timed (benchmarks measure time).
    let e = Emulator::builder()
        .faults(Faults {
            latency: Some(Latency {
                min_ms: 1,
                max_ms: 10,
            }),
            operations: vec![Operation::Search, Operation::List],
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let c = client();
    assert_eq!(offer(&c, &e, 3).await.len(), 3);
    let (status, _) = send(telnyx(&c, &e, Method::GET, "/phone_numbers")).await;
    assert_eq!(status, 200);
    assert!(e.requests().iter().all(|r| r.outcome == Outcome::Answered));
}

#[tokio::test]
async fn the_control_endpoint_sets_the_order_behaviour_and_lists_orders() {
    let e = Emulator::builder().start().await.unwrap();
    let c = client();
    let control = |method: Method, path: &str| {
        c.request(method, format!("{}/__emulator/{path}", e.base_url()))
    };
    let (status, behaviour) = send(control(Method::PUT, "behaviour").json(&json!({
        "telnyx_order_outcome": "await_requirements",
        "telnyx_order_delay_ms": 0,
    })))
    .await;
    assert_eq!(status, 200, "{behaviour}");
    let (status, _) =
        send(control(Method::PUT, "behaviour").json(&json!({"telnyx_order_outcome": "later"})))
            .await;
    assert_eq!(status, 400);
    let numbers = offer(&c, &e, 1).await;
    let (_, placed) = send(order(&c, &e, &numbers[0])).await;
    assert_eq!(placed["data"]["requirements_met"], false);
    let (_, orders) = send(control(Method::GET, "telnyx/orders")).await;
    assert_eq!(orders["orders"][0]["status"], "pending");
    assert_eq!(
        orders["orders"][0]["phone_numbers"][0]["phone_number"],
        numbers[0].as_str()
    );
    let (_, accounts) = send(control(Method::GET, "numbers")).await;
    assert_eq!(accounts["accounts"][0]["carrier"], "telnyx");
    let (status, _) = send(control(Method::POST, "reset")).await;
    assert_eq!(status, 204);
    assert!(e.telnyx_orders().is_empty());
    assert!(e.owned_numbers().is_empty());
}
