//! The Telnyx protocol over real HTTP: search, orders and each way they
//! settle, owned numbers, updates, release, auth and paging, in live and
//! strict mode.

mod common;

use std::time::Duration;

use common::{client, send, telnyx};
use reqwest::{Client, Method};
use serde_json::{Value, json};
use switchboard_emulator::{
    Carriers, DEFAULT_TELNYX_API_KEY, Emulator, EmulatorConfig, Mode, Operation, RunningEmulator,
    TelnyxAccount, TelnyxOrderOutcome, TelnyxSettlement,
};

const OTHER_KEY: &str = "KEYother-account";

/// An emulator with a second Telnyx account (key [`OTHER_KEY`]) whose
/// orders stay pending for an hour unless settled.
async fn emulator(mode: Mode, outcome: TelnyxOrderOutcome, delay: Duration) -> RunningEmulator {
    Emulator::builder()
        .mode(mode)
        .telnyx_account(TelnyxAccount::default_test())
        .telnyx_account(TelnyxAccount::new("other-user", OTHER_KEY))
        .telnyx_order_outcome(outcome)
        .telnyx_order_delay(delay)
        .start()
        .await
        .unwrap()
}

const HOUR: Duration = Duration::from_secs(3600);

async fn search(c: &Client, e: &RunningEmulator, query: &[(&str, &str)]) -> (u16, Value) {
    send(telnyx(c, e, Method::GET, "/available_phone_numbers").query(query)).await
}

fn numbers(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["phone_number"].as_str().unwrap().to_string())
        .collect()
}

async fn offers(c: &Client, e: &RunningEmulator, ndc: &str, n: &str) -> Vec<String> {
    let (status, body) = search(
        c,
        e,
        &[
            ("filter[national_destination_code]", ndc),
            ("filter[limit]", n),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    numbers(&body)
}

fn order_body(numbers: &[&str]) -> Value {
    json!({
        "phone_numbers": numbers.iter().map(|n| json!({"phone_number": n})).collect::<Vec<_>>(),
        "connection_id": "1234567890",
        "messaging_profile_id": "abc85f64-5717-4562-b3fc-2c9600000000",
        "customer_reference": "main line",
    })
}

async fn order(c: &Client, e: &RunningEmulator, numbers: &[&str]) -> (u16, Value) {
    send(telnyx(c, e, Method::POST, "/number_orders").json(&order_body(numbers))).await
}

/// Asks for the order until it reaches `status` (a bounded number of
/// times, not a timed wait).
async fn wait_for(c: &Client, e: &RunningEmulator, id: &str, status: &str) -> Value {
    for _ in 0..500 {
        let (code, body) = send(telnyx(c, e, Method::GET, &format!("/number_orders/{id}"))).await;
        assert_eq!(code, 200, "{body}");
        if body["data"]["status"] == status {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("order {id} never reached {status}");
}

async fn owned(c: &Client, e: &RunningEmulator, query: &[(&str, &str)]) -> Value {
    let (status, body) = send(telnyx(c, e, Method::GET, "/phone_numbers").query(query)).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn search_uses_the_declared_filters_and_answers_string_costs() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Complete, HOUR).await;
    let c = client();
    let (status, body) = search(
        &c,
        &e,
        &[
            ("filter[country_code]", "US"),
            ("filter[national_destination_code]", "512"),
            ("filter[limit]", "5"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let found = numbers(&body);
    assert_eq!(found.len(), 5);
    assert!(found.iter().all(|n| n.starts_with("+1512")), "{found:?}");
    let item = &body["data"][0];
    assert_eq!(item["record_type"], "available_phone_number");
    assert!(item["cost_information"]["upfront_cost"].is_string());
    assert!(item["cost_information"]["monthly_cost"].is_string());
    assert_eq!(item["phone_number_type"], "local");
    assert!(item["vanity_format"].is_null());
    assert_eq!(
        body["meta"],
        json!({"total_results": 5, "best_effort_results": 0})
    );
    assert_eq!(body["metadata"], body["meta"]);
    // Strict: the description's shape only.
    e.set_mode(Mode::Strict);
    let (_, body) = search(&c, &e, &[("filter[limit]", "1")]).await;
    assert!(body["data"][0].get("phone_number_type").is_none());
    assert!(body.get("metadata").is_none());
    assert_eq!(body["data"][0]["vanity_format"], "");
    // Toll-free, and a type the catalogue never sells.
    let (_, tf) = search(&c, &e, &[("filter[phone_number_type]", "toll_free")]).await;
    assert!(!numbers(&tf).is_empty());
    let (status, none) = search(&c, &e, &[("filter[phone_number_type]", "shared_cost")]).await;
    assert_eq!((status, numbers(&none).len()), (200, 0));
    let (status, bad) = search(&c, &e, &[("filter[phone_number_type]", "tollfree")]).await;
    assert_eq!(status, 400);
    assert_eq!(bad["errors"][0]["code"], "10015");
    assert_eq!(
        bad["errors"][0]["source"]["parameter"],
        "filter[phone_number_type]"
    );
}

#[tokio::test]
async fn unwrapped_keys_are_ignored_live_and_refused_strict() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Complete, HOUR).await;
    let c = client();
    // As the SDK bug sent them: not wrapped in filter[...]; the filters
    // are silently not applied, so numbers come from elsewhere.
    let (status, body) = search(
        &c,
        &e,
        &[("country_code", "CA"), ("national_destination_code", "604")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(numbers(&body).iter().all(|n| !n.starts_with("+1604")));
    // The bracket-array form of a filter is read live.
    let (_, body) = search(&c, &e, &[("filter[national_destination_code][]", "604")]).await;
    assert!(numbers(&body).iter().all(|n| n.starts_with("+1604")));
    e.set_mode(Mode::Strict);
    let (status, body) = search(&c, &e, &[("national_destination_code", "604")]).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["source"]["parameter"],
        "national_destination_code"
    );
}

#[tokio::test]
async fn features_take_the_comma_and_the_bracket_forms() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Complete, HOUR).await;
    let c = client();
    let has = |item: &Value, name: &str| {
        item["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == name)
    };
    let (_, comma) = search(&c, &e, &[("filter[features]", "voice,fax")]).await;
    let (_, brackets) = search(
        &c,
        &e,
        &[
            ("filter[features][]", "voice"),
            ("filter[features][]", "fax"),
        ],
    )
    .await;
    assert!(!numbers(&comma).is_empty());
    assert_eq!(numbers(&comma), numbers(&brackets));
    assert!(
        comma["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| has(i, "fax"))
    );
    let (_, all) = search(&c, &e, &[]).await;
    assert!(
        !all["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| has(i, "fax"))
    );
    let (status, _) = search(&c, &e, &[("filter[features]", "telepathy")]).await;
    assert_eq!(status, 400);
    // Strict takes the declared name only.
    e.set_mode(Mode::Strict);
    let (status, _) = search(&c, &e, &[("filter[features][]", "fax")]).await;
    assert_eq!(status, 400);
    let (status, strict) = search(&c, &e, &[("filter[features]", "voice,fax")]).await;
    assert_eq!(status, 200);
    assert_eq!(numbers(&strict), numbers(&comma));
}

/// Letters spell keypad digits: a number's last four digits written as
/// letters (where the keypad has them) find that number.
#[tokio::test]
async fn vanity_letters_are_keypad_digits() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Complete, HOUR).await;
    let c = client();
    let pool = offers(&c, &e, "512", "50").await;
    let target = pool
        .iter()
        .find(|n| n[n.len() - 4..].bytes().all(|b| (b'2'..=b'9').contains(&b)))
        .expect("a number whose last four digits all have letters")
        .clone();
    let letter = |d: u8| match d {
        b'2' => 'A',
        b'3' => 'D',
        b'4' => 'G',
        b'5' => 'J',
        b'6' => 'M',
        b'7' => 'P',
        b'8' => 'T',
        _ => 'W',
    };
    let word: String = target[target.len() - 4..].bytes().map(letter).collect();
    let (status, body) = search(
        &c,
        &e,
        &[
            ("filter[national_destination_code]", "512"),
            ("filter[phone_number][ends_with]", &word),
            ("filter[limit]", "100"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let found = numbers(&body);
    assert!(found.contains(&target), "{word}: {found:?}");
    let digits = &target[target.len() - 4..];
    assert!(found.iter().all(|n| n.ends_with(digits)));
    // contains needs the NDC and looks at the last four digits only.
    let (status, body) = search(&c, &e, &[("filter[phone_number][contains]", &word[1..3])]).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "10004");
    let (_, body) = search(
        &c,
        &e,
        &[
            ("filter[national_destination_code]", "512"),
            ("filter[phone_number][contains]", &word[1..3]),
            ("filter[limit]", "100"),
        ],
    )
    .await;
    let middle = &digits[1..3];
    assert!(numbers(&body).contains(&target));
    assert!(
        numbers(&body)
            .iter()
            .all(|n| n[n.len() - 4..].contains(middle))
    );
}

#[tokio::test]
async fn an_order_is_pending_and_holds_its_number_until_it_settles() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Complete, HOUR).await;
    let c = client();
    let pool = offers(&c, &e, "512", "3").await;
    let (status, body) = order(&c, &e, &[&pool[0]]).await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["status"], "pending");
    assert_eq!(data["record_type"], "number_order");
    assert_eq!(data["phone_numbers_count"], 1);
    assert_eq!(data["phone_numbers"][0]["status"], "pending");
    assert_eq!(data["phone_numbers"][0]["phone_number"], pool[0].as_str());
    assert_eq!(data["requirements_met"], true);
    assert_eq!(data["customer_reference"], "main line");
    assert_eq!(data["sub_number_orders_ids"].as_array().unwrap().len(), 1);
    let id = data["id"].as_str().unwrap().to_string();

    // Held: listed as purchase-pending, for sale to nobody.
    let listed = owned(&c, &e, &[]).await;
    assert_eq!(listed["data"][0]["status"], "purchase-pending");
    assert_eq!(listed["data"][0]["connection_id"], "1234567890");
    let pn_id = listed["data"][0]["id"].as_str().unwrap().to_string();
    assert!(pn_id.bytes().all(|b| b.is_ascii_digit()), "{pn_id}");
    let (_, again) = search(
        &c,
        &e,
        &[
            ("filter[national_destination_code]", "512"),
            ("filter[limit]", "3"),
        ],
    )
    .await;
    assert!(!numbers(&again).contains(&pool[0]));
    let (status, body) = send(
        c.post(format!("{}/number_orders", e.telnyx_base_url()))
            .bearer_auth(OTHER_KEY)
            .json(&order_body(&[&pool[0]])),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (422, Some("10021"))
    );
    let (status, body) = order(&c, &e, &[&pool[0]]).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (422, Some("10012"))
    );
    let (status, body) = send(telnyx(
        &c,
        &e,
        Method::DELETE,
        &format!("/phone_numbers/{pn_id}"),
    ))
    .await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (422, Some("10021"))
    );
    assert_eq!(e.telnyx_orders()[0].status, "pending");

    // Released through the control endpoint, as requirements provided.
    let (status, summary) = send(
        c.post(format!(
            "{}/__emulator/telnyx/orders/{id}/settle",
            e.base_url()
        ))
        .json(&json!({"result": "success"})),
    )
    .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        summary["phone_numbers"][0]["phone_number_id"],
        pn_id.as_str()
    );
    let body = wait_for(&c, &e, &id, "success").await;
    assert_eq!(body["data"]["phone_numbers"][0]["status"], "success");
    let (_, one) = send(telnyx(
        &c,
        &e,
        Method::GET,
        &format!("/phone_numbers/{pn_id}"),
    ))
    .await;
    assert_eq!(one["data"]["status"], "active");
    let (status, _) = send(
        c.post(format!(
            "{}/__emulator/telnyx/orders/{id}/settle",
            e.base_url()
        ))
        .json(&json!({"result": "failure"})),
    )
    .await;
    assert_eq!(status, 409, "a settled order stays settled");
    let (status, _) = send(
        c.post(format!(
            "{}/__emulator/telnyx/orders/nope/settle",
            e.base_url()
        ))
        .json(&json!({"result": "success"})),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_order_completes_after_the_delay() {
    let e = emulator(
        Mode::Live,
        TelnyxOrderOutcome::Complete,
        Duration::from_millis(20),
    )
    .await;
    let c = client();
    let pool = offers(&c, &e, "512", "2").await;
    let (status, body) = order(&c, &e, &[&pool[0], &pool[1]]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "pending");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let done = wait_for(&c, &e, &id, "success").await;
    let items = done["data"]["phone_numbers"].as_array().unwrap();
    assert!(items.iter().all(|n| n["status"] == "success"));
    let listed = owned(&c, &e, &[("filter[status]", "active")]).await;
    assert_eq!(listed["meta"]["total_results"], 2);
    let operations: Vec<_> = e.requests().iter().filter_map(|r| r.operation).collect();
    assert!(operations.contains(&Operation::Purchase), "{operations:?}");
    assert!(operations.contains(&Operation::Fetch), "{operations:?}");
    assert!(e.requests().iter().all(|r| r.carrier == "telnyx"));
}

#[tokio::test]
async fn a_failed_order_frees_its_numbers() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Fail, Duration::ZERO).await;
    let c = client();
    let pool = offers(&c, &e, "512", "1").await;
    let (status, body) = order(&c, &e, &[&pool[0]]).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["status"], "pending");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let failed = wait_for(&c, &e, &id, "failure").await;
    assert_eq!(failed["data"]["phone_numbers"][0]["status"], "failure");
    assert_eq!(owned(&c, &e, &[]).await["meta"]["total_results"], 0);
    assert_eq!(offers(&c, &e, "512", "1").await, pool);
    let (_, failures) =
        send(telnyx(&c, &e, Method::GET, "/number_orders").query(&[("filter[status]", "failure")]))
            .await;
    assert_eq!(failures["meta"]["total_results"], 1);
}

#[tokio::test]
async fn an_order_waiting_for_requirements_stays_pending_until_released() {
    let e = emulator(
        Mode::Live,
        TelnyxOrderOutcome::AwaitRequirements,
        Duration::ZERO,
    )
    .await;
    let c = client();
    let pool = offers(&c, &e, "512", "2").await;
    let (_, first) = order(&c, &e, &[&pool[0]]).await;
    let (_, second) = order(&c, &e, &[&pool[1]]).await;
    let first_id = first["data"]["id"].as_str().unwrap().to_string();
    let second_id = second["data"]["id"].as_str().unwrap().to_string();
    let (_, body) = send(telnyx(
        &c,
        &e,
        Method::GET,
        &format!("/number_orders/{first_id}"),
    ))
    .await;
    let data = &body["data"];
    assert_eq!(data["status"], "pending");
    assert_eq!(data["requirements_met"], false);
    let number = &data["phone_numbers"][0];
    assert_eq!(number["requirements_met"], false);
    assert_eq!(number["requirements_status"], "requirement-info-pending");
    assert!(number["regulatory_requirements"][0]["requirement_id"].is_string());
    let (_, waiting) = send(
        telnyx(&c, &e, Method::GET, "/number_orders")
            .query(&[("filter[requirements_met]", "false")]),
    )
    .await;
    assert_eq!(waiting["meta"]["total_results"], 2);

    let settled = e
        .settle_telnyx_order(&first_id, TelnyxSettlement::Success)
        .unwrap();
    assert_eq!(settled.status, "success");
    assert!(
        e.settle_telnyx_order(&first_id, TelnyxSettlement::Failure)
            .is_err()
    );
    let done = wait_for(&c, &e, &first_id, "success").await;
    assert_eq!(done["data"]["requirements_met"], true);
    e.settle_telnyx_order(&second_id, TelnyxSettlement::Failure)
        .unwrap();
    let listed = owned(&c, &e, &[]).await;
    assert_eq!(numbers(&listed), vec![pool[0].clone()]);
    assert_eq!(listed["data"][0]["status"], "active");
    // A later behaviour applies to later orders only.
    e.set_telnyx_orders(TelnyxOrderOutcome::Complete, Duration::ZERO);
    let fresh = offers(&c, &e, "512", "1").await;
    let (_, third) = order(&c, &e, &[&fresh[0]]).await;
    wait_for(&c, &e, third["data"]["id"].as_str().unwrap(), "success").await;
}

#[tokio::test]
async fn orders_that_cannot_be_placed_change_nothing() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Complete, HOUR).await;
    let c = client();
    let pool = offers(&c, &e, "512", "1").await;
    let digits_only = pool[0].trim_start_matches('+').to_string();
    for (body, code, pointer) in [
        (
            order_body(&[&digits_only]),
            "10016",
            "/phone_numbers/0/phone_number",
        ),
        (
            order_body(&[&pool[0], "+1 512 555"]),
            "10016",
            "/phone_numbers/1/phone_number",
        ),
        (
            order_body(&["+19999999999"]),
            "10005",
            "/phone_numbers/0/phone_number",
        ),
        (
            order_body(&[&pool[0], &pool[0]]),
            "10012",
            "/phone_numbers/1/phone_number",
        ),
        (json!({"phone_numbers": []}), "10004", "/phone_numbers"),
        (
            json!({"connection_id": 5, "phone_numbers": [{"phone_number": pool[0]}]}),
            "10015",
            "/connection_id",
        ),
    ] {
        let (status, answer) =
            send(telnyx(&c, &e, Method::POST, "/number_orders").json(&body)).await;
        assert_eq!(status, 422, "{body} -> {answer}");
        assert_eq!(answer["errors"][0]["code"], code, "{answer}");
        assert_eq!(
            answer["errors"][0]["source"]["pointer"], pointer,
            "{answer}"
        );
    }
    let (status, _) = send(telnyx(&c, &e, Method::POST, "/number_orders").body("[1]")).await;
    assert_eq!(status, 400);
    assert!(e.telnyx_orders().is_empty());
    assert!(e.owned_numbers().is_empty());
    // Live keeps a webhook_url; strict refuses it, and read-only fields.
    let mut body = order_body(&[&pool[0]]);
    body["webhook_url"] = json!("https://example.com/hook");
    e.set_mode(Mode::Strict);
    let (status, answer) = send(telnyx(&c, &e, Method::POST, "/number_orders").json(&body)).await;
    assert_eq!(
        (status, answer["errors"][0]["source"]["pointer"].as_str()),
        (422, Some("/webhook_url"))
    );
    let (status, _) = send(
        telnyx(&c, &e, Method::POST, "/number_orders")
            .json(&json!({"status": "success", "phone_numbers": [{"phone_number": pool[0]}]})),
    )
    .await;
    assert_eq!(status, 422);
    e.set_mode(Mode::Live);
    let (status, _) = send(telnyx(&c, &e, Method::POST, "/number_orders").json(&body)).await;
    assert_eq!(status, 200);
    assert_eq!(
        e.telnyx_orders()[0].webhook_url.as_deref(),
        Some("https://example.com/hook")
    );
}

#[tokio::test]
async fn owned_numbers_page_by_number_newest_first() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Complete, Duration::ZERO).await;
    let c = client();
    let pool = offers(&c, &e, "512", "5").await;
    for number in &pool {
        let (_, body) = order(&c, &e, &[number]).await;
        wait_for(&c, &e, body["data"]["id"].as_str().unwrap(), "success").await;
    }
    let page = |n: &'static str| [("page[size]", "2"), ("page[number]", n)];
    let first = owned(&c, &e, &page("1")).await;
    assert_eq!(
        first["meta"],
        json!({"total_pages": 3, "total_results": 5, "page_number": 1, "page_size": 2})
    );
    let mut seen = numbers(&first);
    seen.extend(numbers(&owned(&c, &e, &page("2")).await));
    seen.extend(numbers(&owned(&c, &e, &page("3")).await));
    let mut newest_first = pool.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    assert!(numbers(&owned(&c, &e, &page("4")).await).is_empty());
    assert_eq!(owned(&c, &e, &[]).await["meta"]["page_size"], 20);
    let sorted = owned(&c, &e, &[("sort", "phone_number")]).await;
    let mut ascending = pool.clone();
    ascending.sort();
    assert_eq!(numbers(&sorted), ascending);
    for bad in [
        ("page[size]", "251"),
        ("page[size]", "0"),
        ("page[number]", "0"),
        ("filter[status]", "gone"),
        ("sort", "name"),
    ] {
        let (status, body) =
            send(telnyx(&c, &e, Method::GET, "/phone_numbers").query(&[bad])).await;
        assert_eq!(status, 400, "{bad:?}");
        assert_eq!(body["errors"][0]["source"]["parameter"], bad.0);
    }
    let (_, orders) = send(telnyx(&c, &e, Method::GET, "/number_orders").query(&[
        ("page[size]", "2"),
        ("filter[customer_reference]", "main line"),
    ]))
    .await;
    assert_eq!(orders["meta"]["total_pages"], 3);
    assert_eq!(orders["data"].as_array().unwrap().len(), 2);
    assert!(
        orders["data"][0]["phone_numbers"][0]["id"]
            .as_str()
            .unwrap()
            .bytes()
            .all(|b| b.is_ascii_digit())
    );
    assert_eq!(
        owned(&c, &e, &[("filter[customer_reference]", "main line")]).await["meta"]["total_results"],
        5
    );
    assert_eq!(
        owned(&c, &e, &[("filter[connection_id]", "999")]).await["meta"]["total_results"],
        0
    );
    assert_eq!(
        owned(&c, &e, &[("filter[billing_group_id]", "null")]).await["meta"]["total_results"],
        5
    );
}

/// The `+` question of `filter[phone_number]`: live takes both forms;
/// strict reads "non-numerical characters return nothing" literally.
#[tokio::test]
async fn the_number_filter_takes_a_plus_live_and_digits_only_strict() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Complete, Duration::ZERO).await;
    let c = client();
    let pool = offers(&c, &e, "512", "2").await;
    let (_, body) = order(&c, &e, &[&pool[0], &pool[1]]).await;
    wait_for(&c, &e, body["data"]["id"].as_str().unwrap(), "success").await;
    let target = pool[0].as_str();
    let digits = &target[1..];
    for mode in [Mode::Live, Mode::Strict] {
        e.set_mode(mode);
        let with_plus = owned(&c, &e, &[("filter[phone_number]", target)]).await;
        let without = owned(&c, &e, &[("filter[phone_number]", digits)]).await;
        assert_eq!(numbers(&without), vec![target.to_string()], "{mode:?}");
        let expected = match mode {
            Mode::Live => vec![target.to_string()],
            Mode::Strict => Vec::new(),
        };
        assert_eq!(numbers(&with_plus), expected, "{mode:?}");
        let (status, _) = send(
            telnyx(&c, &e, Method::GET, "/phone_numbers").query(&[("filter[phone_number]", "51")]),
        )
        .await;
        assert_eq!(status, 400);
    }
    // A partial number matches anywhere.
    let partial = &digits[..7];
    assert_eq!(
        owned(&c, &e, &[("filter[phone_number]", partial)]).await["meta"]["total_results"],
        2
    );
}

#[tokio::test]
async fn numbers_update_route_and_show_their_voice_and_messaging_settings() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Complete, Duration::ZERO).await;
    let c = client();
    let pool = offers(&c, &e, "512", "1").await;
    let (_, body) = order(&c, &e, &[&pool[0]]).await;
    wait_for(&c, &e, body["data"]["id"].as_str().unwrap(), "success").await;
    let id = owned(&c, &e, &[]).await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/phone_numbers/{id}");
    let (status, body) = send(telnyx(&c, &e, Method::PATCH, &path).json(&json!({
        "customer_reference": "support",
        "tags": ["agent", "eu"],
        "connection_id": "777",
    })))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["customer_reference"], "support");
    assert_eq!(body["data"]["tags"], json!(["agent", "eu"]));
    let (_, voice) = send(telnyx(&c, &e, Method::GET, &format!("{path}/voice"))).await;
    assert_eq!(voice["data"]["connection_id"], "777");
    assert_eq!(voice["data"]["record_type"], "voice_settings");
    let (status, body) = send(
        telnyx(&c, &e, Method::PATCH, &format!("{path}/messaging"))
            .json(&json!({"messaging_profile_id": "profile-2"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, messaging) = send(telnyx(&c, &e, Method::GET, &format!("{path}/messaging"))).await;
    assert_eq!(messaging["data"]["messaging_profile_id"], "profile-2");
    assert_eq!(
        owned(&c, &e, &[("filter[tag]", "eu")]).await["meta"]["total_results"],
        1
    );
    // Bad values change nothing.
    for bad in [
        json!({"tags": "agent"}),
        json!({"number_level_routing": "enabled"}),
        json!({"connection_id": 7}),
    ] {
        let (status, _) = send(telnyx(&c, &e, Method::PATCH, &path).json(&bad)).await;
        assert_eq!(status, 422, "{bad}");
    }
    e.set_mode(Mode::Strict);
    let (status, _) = send(telnyx(&c, &e, Method::PATCH, &path).json(&json!({"name": "x"}))).await;
    assert_eq!(status, 422);
    let (_, one) = send(telnyx(&c, &e, Method::GET, &path)).await;
    assert_eq!(one["data"]["connection_id"], "777");
    assert_eq!(one["data"]["customer_reference"], "support");
    // Clearing with an empty string.
    let (_, cleared) =
        send(telnyx(&c, &e, Method::PATCH, &path).json(&json!({"connection_id": ""}))).await;
    assert!(cleared["data"].get("connection_id").is_none(), "{cleared}");
}

#[tokio::test]
async fn release_answers_the_deleted_record_and_frees_the_number() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Complete, Duration::ZERO).await;
    let c = client();
    let pool = offers(&c, &e, "512", "1").await;
    let (_, body) = order(&c, &e, &[&pool[0]]).await;
    wait_for(&c, &e, body["data"]["id"].as_str().unwrap(), "success").await;
    let id = owned(&c, &e, &[]).await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = send(telnyx(
        &c,
        &e,
        Method::DELETE,
        &format!("/phone_numbers/{id}"),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["status"], "deleted");
    assert_eq!(body["data"]["phone_number"], pool[0].as_str());
    assert!(body["data"]["updated_at"].is_string());
    let (status, body) = send(telnyx(&c, &e, Method::GET, &format!("/phone_numbers/{id}"))).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (404, Some("10005"))
    );
    let (status, body) = send(telnyx(
        &c,
        &e,
        Method::DELETE,
        &format!("/phone_numbers/{id}"),
    ))
    .await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (404, Some("10005"))
    );
    let (status, body) = send(telnyx(
        &c,
        &e,
        Method::GET,
        &format!("/phone_numbers/{}", pool[0]),
    ))
    .await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (400, Some("10006"))
    );
    // For sale again, to anyone.
    let (status, _) = send(
        c.post(format!("{}/number_orders", e.telnyx_base_url()))
            .bearer_auth(OTHER_KEY)
            .json(&order_body(&[&pool[0]])),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_api_key_opens_one_account_and_never_shows() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Complete, Duration::ZERO).await;
    let c = client();
    let url = format!("{}/phone_numbers", e.telnyx_base_url());
    for request in [
        c.get(&url),
        c.get(&url).bearer_auth("KEYwrong"),
        c.get(&url).basic_auth("user", Some(DEFAULT_TELNYX_API_KEY)),
        c.get(&url).header("x-api-token", DEFAULT_TELNYX_API_KEY),
    ] {
        let (status, body) = send(request).await;
        assert_eq!(status, 401);
        assert_eq!(body["errors"][0]["code"], "10009");
        assert!(!body.to_string().contains(DEFAULT_TELNYX_API_KEY));
    }
    let pool = offers(&c, &e, "512", "1").await;
    let (_, body) = order(&c, &e, &[&pool[0]]).await;
    let order_id = body["data"]["id"].as_str().unwrap().to_string();
    wait_for(&c, &e, &order_id, "success").await;
    let id = owned(&c, &e, &[]).await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The other account sees neither the number nor the order.
    for path in [
        format!("/phone_numbers/{id}"),
        format!("/number_orders/{order_id}"),
    ] {
        let (status, _) = send(
            c.get(format!("{}{path}", e.telnyx_base_url()))
                .bearer_auth(OTHER_KEY),
        )
        .await;
        assert_eq!(status, 404, "{path}");
    }
    let (_, theirs) = send(c.get(&url).bearer_auth(OTHER_KEY)).await;
    assert_eq!(theirs["meta"]["total_results"], 0);
    let log = serde_json::to_string(&e.requests()).unwrap();
    assert!(!log.contains(DEFAULT_TELNYX_API_KEY) && !log.contains(OTHER_KEY));
    assert!(
        e.requests()
            .iter()
            .any(|r| r.account.as_deref() == Some("other-user"))
    );
    let config = EmulatorConfig {
        telnyx_accounts: vec![TelnyxAccount::new("u", "KEY-very-SECRET")],
        ..EmulatorConfig::default()
    };
    assert!(!format!("{config:?} {e:?}").contains("SECRET"));
    assert!(!format!("{e:?}").contains(DEFAULT_TELNYX_API_KEY));
}

#[tokio::test]
async fn concurrent_orders_of_one_number_hold_it_once() {
    let e = emulator(Mode::Live, TelnyxOrderOutcome::Complete, HOUR).await;
    let c = client();
    let pool = offers(&c, &e, "512", "1").await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let key = if i % 2 == 0 {
            DEFAULT_TELNYX_API_KEY
        } else {
            OTHER_KEY
        };
        let request = c
            .post(format!("{}/number_orders", e.telnyx_base_url()))
            .bearer_auth(key)
            .json(&order_body(&[&pool[0]]));
        tasks.push(tokio::spawn(async move { send(request).await }));
    }
    let mut placed = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            200 => placed += 1,
            422 => assert!(matches!(
                body["errors"][0]["code"].as_str(),
                Some("10021" | "10012")
            )),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(placed, 1);
    assert_eq!(e.telnyx_orders().len(), 1);
    let held: usize = e.owned_numbers().iter().map(|a| a.numbers.len()).sum();
    assert_eq!(held, 1);
}

#[tokio::test]
async fn carriers_choose_which_protocols_answer() {
    let only = Emulator::builder()
        .carriers(Carriers::Telnyx)
        .start()
        .await
        .unwrap();
    let c = client();
    let (status, _) = send(telnyx(&c, &only, Method::GET, "/phone_numbers")).await;
    assert_eq!(status, 200);
    let twilio = c
        .get(format!(
            "{}/2010-04-01/Accounts/AC/IncomingPhoneNumbers.json",
            only.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(twilio.status().as_u16(), 404);
    let (status, body) = send(telnyx(&c, &only, Method::GET, "/nothing")).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (404, Some("10005"))
    );
    let both = Emulator::builder()
        .carriers(Carriers::Both)
        .start()
        .await
        .unwrap();
    let response = telnyx(&c, &both, Method::GET, "/phone_numbers")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert!(response.text().await.unwrap().contains("not a path"));
    // A number bought through Telnyx is gone from the other protocols.
    let all = Emulator::builder().start().await.unwrap();
    let pool = offers(&c, &all, "512", "1").await;
    let (status, _) = order(&c, &all, &[&pool[0]]).await;
    assert_eq!(status, 200);
    let (status, body) = send(
        common::twilio(&c, &all, Method::POST, "IncomingPhoneNumbers.json")
            .form(&[("PhoneNumber", pool[0].as_str())]),
    )
    .await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(21422)));
}

#[tokio::test]
async fn overlapping_settlements_settle_an_order_once_and_its_numbers_agree() {
    let e = emulator(
        Mode::Live,
        TelnyxOrderOutcome::AwaitRequirements,
        Duration::ZERO,
    )
    .await;
    let c = client();
    let pool = offers(&c, &e, "512", "3").await;
    let refs: Vec<&str> = pool.iter().map(String::as_str).collect();
    let (_, placed) = order(&c, &e, &refs).await;
    let id = placed["data"]["id"].as_str().unwrap().to_string();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let result = if i % 2 == 0 { "success" } else { "failure" };
        let request = c
            .post(format!(
                "{}/__emulator/telnyx/orders/{id}/settle",
                e.base_url()
            ))
            .json(&json!({ "result": result }));
        tasks.push(tokio::spawn(async move { (result, send(request).await) }));
        // Reads overlap the settlements.
        let read = telnyx(&c, &e, Method::GET, "/phone_numbers");
        tasks.push(tokio::spawn(async move { ("read", send(read).await) }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (what, (status, body)) = task.await.unwrap();
        match (what, status) {
            ("read", 200) => {
                // Never a mix: all three numbers are in one state.
                let statuses: Vec<&Value> = body["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| &n["status"])
                    .collect();
                assert!(statuses.windows(2).all(|w| w[0] == w[1]), "{body}");
            }
            (result, 200) => winners.push(result),
            (_, 409) => {}
            other => panic!("unexpected {other:?}: {body}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let settled = wait_for(&c, &e, &id, winners[0]).await;
    let listed = owned(&c, &e, &[]).await;
    if winners[0] == "success" {
        assert_eq!(listed["meta"]["total_results"], 3);
        assert!(
            settled["data"]["phone_numbers"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["status"] == "success")
        );
    } else {
        assert_eq!(listed["meta"]["total_results"], 0);
        assert_eq!(offers(&c, &e, "512", "3").await, pool);
    }
}
