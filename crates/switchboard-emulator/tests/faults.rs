//! Faults, limits, the request log and the control endpoint, over real HTTP.

mod common;

use std::time::Duration;

use common::{SID, client, send, signalwire, twilio};
use reqwest::Method;
use serde_json::json;
use switchboard_emulator::{
    AfterCommit, Carriers, CommitThenTimeout, Emulator, Faults, Latency, Operation, Outcome,
};

async fn a_number(c: &reqwest::Client, e: &switchboard_emulator::RunningEmulator) -> String {
    let (_, body) = send(twilio(
        c,
        e,
        Method::GET,
        "AvailablePhoneNumbers/US/Local.json",
    ))
    .await;
    body["available_phone_numbers"][0]["phone_number"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_in_flight_cap_answers_429_with_retry_after() {
    let e = Emulator::builder()
        .faults(Faults {
            max_in_flight: Some(2),
            retry_after_secs: 3,
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
        let request = twilio(&c, &e, Method::GET, "AvailablePhoneNumbers/US/Local.json");
        tasks.push(tokio::spawn(async move { request.send().await.unwrap() }));
    }
    let mut ok = 0;
    let mut limited = 0;
    for task in tasks {
        let response = task.await.unwrap();
        match response.status().as_u16() {
            200 => ok += 1,
            429 => {
                assert_eq!(response.headers()["retry-after"], "3");
                let body: serde_json::Value = response.json().await.unwrap();
                assert_eq!(body["code"], 20429);
                limited += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok + limited, 6);
    assert!(
        (1..=2).contains(&ok),
        "at most two in flight at once, got {ok}"
    );
    assert!(limited >= 4);
    // SignalWire's 429 has its own shape; the cap is per account, and the
    // project is another account.
    let (status, _) = send(signalwire(&c, &e, Method::GET, "/phone_numbers")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn injected_errors_come_before_any_change() {
    let e = Emulator::builder().start().await.unwrap();
    let c = client();
    let number = a_number(&c, &e).await;
    e.set_faults(Faults {
        error_rate: 1.0,
        error_status: 503,
        operations: vec![Operation::Purchase],
        ..Faults::default()
    })
    .unwrap();
    let (status, body) = send(
        twilio(&c, &e, Method::POST, "IncomingPhoneNumbers.json")
            .form(&[("PhoneNumber", number.as_str())]),
    )
    .await;
    assert_eq!(status, 503);
    assert_eq!(body["code"], 20503);
    assert!(e.owned_numbers().is_empty());
    let (status, _) =
        send(signalwire(&c, &e, Method::POST, "/phone_numbers").json(&json!({"number": number})))
            .await;
    assert_eq!(status, 503);
    // Other operations are untouched.
    let (status, _) = send(twilio(&c, &e, Method::GET, "IncomingPhoneNumbers.json")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn dropped_connections_get_no_answer() {
    let e = Emulator::builder()
        .faults(Faults {
            drop_rate: 1.0,
            operations: vec![Operation::Search],
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let c = client();
    let result = twilio(&c, &e, Method::GET, "AvailablePhoneNumbers/US/Local.json")
        .send()
        .await;
    assert!(result.is_err(), "{result:?}");
    let log = e.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, Outcome::Dropped);
    assert_eq!(log[0].status, None);
    assert_eq!(log[0].operation, Some(Operation::Search));
}

#[tokio::test]
async fn a_purchase_can_commit_then_lose_its_answer() {
    let e = Emulator::builder().start().await.unwrap();
    let c = client();
    let number = a_number(&c, &e).await;
    e.set_faults(Faults {
        commit_then_timeout: Some(CommitThenTimeout {
            mode: AfterCommit::Drop,
            ..CommitThenTimeout::default()
        }),
        operations: vec![Operation::Purchase],
        ..Faults::default()
    })
    .unwrap();
    let result = twilio(&c, &e, Method::POST, "IncomingPhoneNumbers.json")
        .form(&[("PhoneNumber", number.as_str())])
        .send()
        .await;
    assert!(result.is_err(), "{result:?}");
    let owned = e.owned_numbers();
    assert_eq!(owned[0].account, SID);
    assert_eq!(
        owned[0].numbers[0].phone_number, number,
        "the purchase happened"
    );
    let last = e.requests().pop().unwrap();
    assert_eq!(last.outcome, Outcome::CommittedThenDropped);
    assert_eq!(last.status, Some(201));

    // Hang: the client times out while the number is already bought.
    e.set_faults(Faults {
        commit_then_timeout: Some(CommitThenTimeout {
            mode: AfterCommit::Hang,
            hold_ms: 60_000,
            rate: 1.0,
        }),
        operations: vec![Operation::Purchase],
        ..Faults::default()
    })
    .unwrap();
    let (_, found) = send(signalwire(&c, &e, Method::GET, "/phone_numbers/search")).await;
    let other = found["data"][0]["e164"].as_str().unwrap().to_string();
    let result = signalwire(&c, &e, Method::POST, "/phone_numbers")
        .json(&json!({"number": other}))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(result.is_err_and(|err| err.is_timeout()));
    let all: Vec<String> = e
        .owned_numbers()
        .into_iter()
        .flat_map(|a| a.numbers)
        .map(|n| n.phone_number)
        .collect();
    assert!(all.contains(&other));
    assert_eq!(
        e.requests().pop().unwrap().outcome,
        Outcome::CommittedThenHung
    );
    // Settling by listing works: the faults do not touch List.
    let (status, listed) = send(
        twilio(&c, &e, Method::GET, "IncomingPhoneNumbers.json")
            .query(&[("PhoneNumber", number.as_str())]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        listed["incoming_phone_numbers"].as_array().unwrap().len(),
        1
    );
    e.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_control_endpoint_changes_faults_and_reads_state() {
    let e = Emulator::builder().start().await.unwrap();
    let c = client();
    let control = |method: Method, path: &str| {
        c.request(method, format!("{}/__emulator/{path}", e.base_url()))
    };
    let (status, body) = send(control(Method::PUT, "faults").json(&json!({"error_rate": 2}))).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("error_rate"));
    let (status, body) = send(control(Method::PUT, "faults").json(&json!({"eror_rate": 1}))).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("eror_rate"));
    let (status, _) = send(
        control(Method::PUT, "faults").json(&json!({"error_rate": 1.0, "operations": ["search"]})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(twilio(
        &c,
        &e,
        Method::GET,
        "AvailablePhoneNumbers/US/Local.json",
    ))
    .await;
    assert_eq!(status, 500);
    let (status, _) = send(control(Method::DELETE, "faults")).await;
    assert_eq!(status, 204);
    let number = a_number(&c, &e).await;
    let (status, _) = send(
        twilio(&c, &e, Method::POST, "IncomingPhoneNumbers.json")
            .form(&[("PhoneNumber", number.as_str())]),
    )
    .await;
    assert_eq!(status, 201);

    let (_, numbers) = send(control(Method::GET, "numbers")).await;
    assert_eq!(numbers["accounts"][0]["account"], SID);
    assert_eq!(
        numbers["accounts"][0]["numbers"][0]["phone_number"],
        number.as_str()
    );
    let (_, log) = send(control(Method::GET, &format!("requests?account={SID}"))).await;
    let entries = log["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["status"], 500);
    assert_eq!(entries[2]["method"], "POST");
    assert_eq!(entries[2]["operation"], "purchase");
    assert_eq!(entries[2]["status"], 201);
    assert!(entries[0]["query"].is_null());

    let (_, behaviour) = send(
        control(Method::PUT, "behaviour")
            .json(&json!({"mode": "strict", "signalwire_release_cooldown_secs": 60})),
    )
    .await;
    assert_eq!(behaviour["mode"], "strict");
    let (_, body) = send(twilio(
        &c,
        &e,
        Method::GET,
        "AvailablePhoneNumbers/US/Local.json",
    ))
    .await;
    assert!(body["available_phone_numbers"][0]["latitude"].is_f64());
    let (status, _) =
        send(control(Method::POST, "clock/advance").json(&json!({"seconds": 120}))).await;
    assert_eq!(status, 200);
    let (status, _) = send(control(Method::POST, "reset")).await;
    assert_eq!(status, 204);
    assert!(e.owned_numbers().is_empty());
    let (_, health) = send(control(Method::GET, "health")).await;
    assert_eq!(health["status"], "ok");
}

#[tokio::test]
async fn one_carrier_servers_do_not_answer_the_other_protocol() {
    let e = Emulator::builder()
        .carriers(Carriers::Twilio)
        .start()
        .await
        .unwrap();
    let c = client();
    let response = signalwire(&c, &e, Method::GET, "/phone_numbers")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert!(response.text().await.unwrap().contains("not a path"));
    let (status, body) = send(twilio(&c, &e, Method::GET, "Nothing.json")).await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(20404)));
    assert!(e.requests().iter().all(|r| r.carrier == "twilio"));
}

#[tokio::test]
async fn latency_is_drawn_from_the_range_and_logged_answers_are_unchanged() {
    // The delay itself is not timed here (benchmarks measure time); this
    // checks that a ranged latency leaves the answers intact.
    let e = Emulator::builder()
        .faults(Faults {
            latency: Some(Latency {
                min_ms: 1,
                max_ms: 20,
            }),
            seed: 42,
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let c = client();
    for _ in 0..5 {
        let (status, _) = send(twilio(
            &c,
            &e,
            Method::GET,
            "AvailablePhoneNumbers/US/Local.json",
        ))
        .await;
        assert_eq!(status, 200);
    }
    assert_eq!(e.requests().len(), 5);
    assert!(e.requests().iter().all(|r| r.outcome == Outcome::Answered));
}

#[tokio::test]
async fn extreme_control_values_are_absorbed_not_fatal() {
    let e = Emulator::builder().start().await.unwrap();
    let c = client();
    let control = |method: Method, path: &str| {
        c.request(method, format!("{}/__emulator/{path}", e.base_url()))
    };
    let (status, _) = send(
        control(Method::PUT, "behaviour")
            .json(&json!({"signalwire_release_cooldown_secs": u64::MAX})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, found) = send(signalwire(&c, &e, Method::GET, "/phone_numbers/search")).await;
    let number = found["data"][0]["e164"].as_str().unwrap();
    let (_, bought) =
        send(signalwire(&c, &e, Method::POST, "/phone_numbers").json(&json!({"number": number})))
            .await;
    let id = bought["id"].as_str().unwrap();
    let (status, _) = send(signalwire(
        &c,
        &e,
        Method::DELETE,
        &format!("/phone_numbers/{id}"),
    ))
    .await;
    assert_eq!(status, 422);
    let (status, _) =
        send(control(Method::POST, "clock/advance").json(&json!({"seconds": i64::MAX}))).await;
    assert_eq!(status, 200);
    let (status, _) =
        send(control(Method::POST, "clock/advance").json(&json!({"seconds": -5}))).await;
    assert_eq!(status, 400);
    let (status, _) =
        send(control(Method::PUT, "faults").json(
            &json!({"latency": {"min_ms": 0, "max_ms": u64::MAX}, "operations": ["release"]}),
        ))
        .await;
    assert_eq!(status, 200);
    let (status, _) = send(signalwire(
        &c,
        &e,
        Method::GET,
        &format!("/phone_numbers/{id}"),
    ))
    .await;
    assert_eq!(status, 200, "the server is still answering");
}

/// The listing lag hides young numbers from whole-account listings only: a
/// lookup by number finds them, the log counts what each answer left out,
/// and numbers older than the lag are listed as before.
#[tokio::test]
async fn a_lagging_listing_leaves_out_young_numbers_but_a_lookup_finds_them() {
    let e = Emulator::builder().start().await.unwrap();
    let c = client();
    let (_, found) = send(twilio(
        &c,
        &e,
        Method::GET,
        "AvailablePhoneNumbers/US/Local.json",
    ))
    .await;
    let offers: Vec<String> = found["available_phone_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["phone_number"].as_str().unwrap().to_string())
        .collect();
    let buy = |number: &str| {
        twilio(&c, &e, Method::POST, "IncomingPhoneNumbers.json").form(&[("PhoneNumber", number)])
    };
    // One old number, then two bought "now" (two minutes later).
    assert_eq!(send(buy(&offers[0])).await.0, 201);
    e.advance_clock(Duration::from_secs(120));
    assert_eq!(send(buy(&offers[1])).await.0, 201);
    assert_eq!(send(buy(&offers[2])).await.0, 201);
    let (status, bought) = send(
        signalwire(&c, &e, Method::POST, "/phone_numbers").json(&json!({"number": offers[3]})),
    )
    .await;
    assert_eq!(status, 200, "{bought}");

    // Set over the control endpoint, as a process would.
    let (status, _) = send(
        c.put(format!("{}/__emulator/faults", e.base_url()))
            .json(&json!({"listing_lag_ms": 60_000})),
    )
    .await;
    assert_eq!(status, 200);
    e.clear_requests();

    let listed = |body: &serde_json::Value, key: &str| -> Vec<String> {
        body[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                n["phone_number"]
                    .as_str()
                    .or(n["number"].as_str())
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    // Page by page, as an adapter follows the cursor: only the old number.
    let (status, page) =
        send(twilio(&c, &e, Method::GET, "IncomingPhoneNumbers.json").query(&[("PageSize", "1")]))
            .await;
    assert_eq!(status, 200);
    assert_eq!(
        listed(&page, "incoming_phone_numbers"),
        vec![offers[0].clone()]
    );
    assert!(page["next_page_uri"].is_null(), "{page}");
    // By number: found at once.
    for young in &offers[1..3] {
        let (_, one) = send(
            twilio(&c, &e, Method::GET, "IncomingPhoneNumbers.json")
                .query(&[("PhoneNumber", young.as_str())]),
        )
        .await;
        assert_eq!(listed(&one, "incoming_phone_numbers"), vec![young.clone()]);
    }
    let (_, all) = send(signalwire(&c, &e, Method::GET, "/phone_numbers")).await;
    assert!(listed(&all, "data").is_empty(), "{all}");
    let (_, one) = send(
        signalwire(&c, &e, Method::GET, "/phone_numbers")
            .query(&[("filter_number", offers[3].as_str())]),
    )
    .await;
    assert_eq!(listed(&one, "data"), vec![offers[3].clone()]);

    let left_out: Vec<usize> = e.requests().iter().map(|r| r.left_out).collect();
    assert_eq!(left_out, vec![2, 0, 0, 1, 0]);

    // Once the lag has passed, every number is listed.
    e.advance_clock(Duration::from_secs(61));
    let (_, page) = send(twilio(&c, &e, Method::GET, "IncomingPhoneNumbers.json")).await;
    assert_eq!(
        listed(&page, "incoming_phone_numbers"),
        offers[..3].to_vec()
    );
    let (_, all) = send(signalwire(&c, &e, Method::GET, "/phone_numbers")).await;
    assert_eq!(listed(&all, "data"), vec![offers[3].clone()]);
    assert!(e.requests().iter().rev().take(2).all(|r| r.left_out == 0));
}
