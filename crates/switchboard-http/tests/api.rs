//! The API over real HTTP on a loopback port: the seed example, every route,
//! auth, account isolation, bad input, carrier failures.

mod common;

use std::time::Duration;

use common::{ACME, GLOBEX, REVOKED, Setup, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_core::Error;
use switchboard_fake::{FakeProvider, Fault, Operation, Times};
use switchboard_http::HttpOptions;

const PROVISION: &str = "/functions/v1/provision-phone-number";
const SEARCH: &str = "/functions/v1/search-phone-numbers";
const LIST: &str = "/functions/v1/list-phone-numbers";
const GET: &str = "/functions/v1/get-phone-number";
const UPDATE: &str = "/functions/v1/update-phone-number";
const RELEASE: &str = "/functions/v1/release-phone-number";
const BULK: &str = "/functions/v1/bulk-provision-phone-numbers";

#[tokio::test]
async fn the_seed_example_works_verbatim() {
    let server = TestServer::with(Setup {
        seed_world: true,
        ..Setup::default()
    })
    .await;
    // The curl command of the seed page, byte for byte.
    let body = r#"{
    "phone_number": "+16045551234",
    "friendly_name": "Main Line",
    "agent_id": "550e8400-e29b-41d4-a716-446655440000"
  }"#;
    let response = server
        .client
        .post(server.url(PROVISION))
        .header("Authorization", format!("Bearer {ACME}"))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let answer = common::Answer::from(response).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let seed: Value = serde_json::from_str(
        r#"{
          "id": "a1b2c3d4-5678-9012-3456-789012345678",
          "phone_number": "+16045551234",
          "friendly_name": "Main Line",
          "agent_id": "550e8400-e29b-41d4-a716-446655440000",
          "capabilities": {"voice": true, "sms": true, "mms": true},
          "is_active": true,
          "provider": "signalwire",
          "created_at": "2024-01-15T10:30:00Z",
          "state": "active"
        }"#,
    )
    .unwrap();
    assert_eq!(answer.body, seed);
    server.stop().await;
}

#[tokio::test]
async fn every_route_works_for_its_owner() {
    let server = TestServer::start().await;
    let numbers = server.for_sale(3);

    // Search, both ways, finds what is for sale.
    let got = server.get(&format!("{SEARCH}?limit=3"), Some(ACME)).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    let found = got.body["data"].as_array().unwrap();
    assert_eq!(found.len(), 3);
    assert!(found[0]["phone_number"].as_str().unwrap().starts_with('+'));
    let posted = server
        .post(SEARCH, Some(ACME), &json!({"limit": 3, "provider": "fake"}))
        .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
    assert_eq!(posted.body, got.body);
    let filtered = server
        .get(
            &format!("{SEARCH}?country=CA&area_code=604&voice=true&limit=2"),
            Some(ACME),
        )
        .await;
    assert_eq!(filtered.status, StatusCode::OK, "{}", filtered.text);
    for n in filtered.body["data"].as_array().unwrap() {
        assert!(
            n["phone_number"].as_str().unwrap().starts_with("+1604"),
            "{n}"
        );
    }
    let patterned = server
        .post(
            SEARCH,
            Some(ACME),
            &json!({"country": "CA", "pattern": {"starts_with": "604"}, "limit": 2}),
        )
        .await;
    assert_eq!(patterned.status, StatusCode::OK, "{}", patterned.text);

    // Provision, with an agent.
    let agent = "550e8400-e29b-41d4-a716-446655440000";
    let made = server
        .post(
            PROVISION,
            Some(ACME),
            &json!({"phone_number": numbers[0].as_str(), "friendly_name": "Main Line", "agent_id": agent}),
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    assert_eq!(made.body["agent_id"], agent);
    assert_eq!(made.body["is_active"], true);
    assert_eq!(made.body["provider"], "fake");
    let id = made.body["id"].as_str().unwrap().to_string();
    let second = server.provision(ACME, &numbers[1]).await;

    // Get by id and by phone number, GET and POST, with + encoded or not.
    for path in [
        format!("{GET}?id={id}"),
        format!("{GET}?phone_number=%2B{}", &numbers[0].as_str()[1..]),
        format!("{GET}?phone_number={}", numbers[0].as_str()),
    ] {
        let got = server.get(&path, Some(ACME)).await;
        assert_eq!(got.status, StatusCode::OK, "{path}: {}", got.text);
        assert_eq!(got.body, made.body);
    }
    let got = server
        .post(
            GET,
            Some(ACME),
            &json!({"phone_number": numbers[0].as_str()}),
        )
        .await;
    assert_eq!(got.body, made.body);

    // List, paged.
    let page = server.get(&format!("{LIST}?limit=1"), Some(ACME)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.body["data"].as_array().unwrap().len(), 1);
    let cursor = page.body["next_cursor"].as_str().unwrap().to_string();
    let next = server
        .post(LIST, Some(ACME), &json!({"limit": 1, "cursor": cursor}))
        .await;
    assert_eq!(next.body["data"][0], second);
    assert!(next.body["next_cursor"].is_null());
    let by_agent = server
        .get(&format!("{LIST}?agent_id={agent}"), Some(ACME))
        .await;
    assert_eq!(by_agent.body["data"], json!([made.body]));
    let no_body = server.post_raw(LIST, Some(ACME), None, "").await;
    assert_eq!(no_body.status, StatusCode::OK, "{}", no_body.text);
    assert_eq!(no_body.body["data"].as_array().unwrap().len(), 2);

    // Update: rename, unassign, route.
    let changed = server
        .post(
            UPDATE,
            Some(ACME),
            &json!({"id": id, "friendly_name": "Support", "agent_id": null,
                    "routing": {"voice_url": "https://agent.example/voice"}}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.body["friendly_name"], "Support");
    assert!(changed.body["agent_id"].is_null());
    let got = server.get(&format!("{GET}?id={id}"), Some(ACME)).await;
    assert_eq!(got.body, changed.body);

    // Release: 200, released; again: still 200, unchanged.
    let released = server.post(RELEASE, Some(ACME), &json!({"id": id})).await;
    assert_eq!(released.status, StatusCode::OK, "{}", released.text);
    assert_eq!(released.body["status"], "released");
    assert_eq!(released.body["is_active"], false);
    assert!(released.body["released_at"].is_string());
    let again = server.post(RELEASE, Some(ACME), &json!({"id": id})).await;
    assert_eq!(again.status, StatusCode::OK);
    // Gone from the default listing and from the inbound lookup; still listed
    // when asked for.
    let listed = server.get(LIST, Some(ACME)).await;
    assert_eq!(listed.body["data"], json!([second]));
    let all = server
        .get(&format!("{LIST}?include_released=true"), Some(ACME))
        .await;
    assert_eq!(all.body["data"].as_array().unwrap().len(), 2);
    let lookup = server
        .get(
            &format!("{GET}?phone_number=%2B{}", &numbers[0].as_str()[1..]),
            Some(ACME),
        )
        .await;
    assert_eq!(lookup.status, StatusCode::NOT_FOUND);
    assert_eq!(lookup.code(), "not_found");

    let health = server.get("/healthz", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, json!({"status": "ok"}));
    server.stop().await;
}

#[tokio::test]
async fn a_pending_release_is_202_releasing() {
    let fake = FakeProvider::builder()
        .release_cooldown(chrono::Duration::days(1))
        .build();
    let server = TestServer::with(Setup {
        fake,
        ..Setup::default()
    })
    .await;
    let number = server.for_sale(1).remove(0);
    let made = server.provision(ACME, &number).await;
    let answer = server
        .post(RELEASE, Some(ACME), &json!({"id": made["id"]}))
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    assert_eq!(answer.body["status"], "releasing");
    assert_eq!(answer.body["is_active"], false);
    assert!(
        answer.body["release_not_before"].is_string(),
        "{}",
        answer.text
    );
    assert!(answer.body.get("released_at").is_none());
    // Still the account's, and still found by an inbound call.
    let got = server
        .get(
            &format!("{GET}?phone_number=%2B{}", &number.as_str()[1..]),
            Some(ACME),
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["is_active"], false);
    server.stop().await;
}

#[tokio::test]
async fn idempotency_key_header_replays_the_first_answer() {
    let server = TestServer::start().await;
    let number = server.for_sale(1).remove(0);
    let body = json!({"phone_number": number.as_str()});
    let send = |key: &'static str, body: Value| {
        let request = server
            .client
            .post(server.url(PROVISION))
            .bearer_auth(ACME)
            .header("Idempotency-Key", key)
            .json(&body);
        async move { common::Answer::from(request.send().await.unwrap()).await }
    };
    let first = send("order-17", body.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let again = send("order-17", body.clone()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body, first.body);
    let purchases = server
        .fake
        .calls()
        .iter()
        .filter(|c| c.operation == Operation::Purchase)
        .count();
    assert_eq!(purchases, 1);
    // Header and body must agree.
    let mut disagreeing = body.clone();
    disagreeing["idempotency_key"] = json!("order-18");
    let clash = send("order-17", disagreeing).await;
    assert_eq!(clash.status, StatusCode::BAD_REQUEST);
    assert_eq!(clash.field(), Some("idempotency_key"));
    // Without a key, the same number again is a conflict.
    let twice = server.post(PROVISION, Some(ACME), &body).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    assert_eq!(twice.code(), "already_provisioned");
    server.stop().await;
}

/// Every `/functions/v1` operation the document lists, as (method, path),
/// but the carriers' inbound webhooks, whose credential is their signature
/// (tests/inbound.rs).
async fn protected_operations(server: &TestServer) -> Vec<(String, String)> {
    let doc = server.get("/openapi.json", None).await.body;
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if path.starts_with("/functions/v1/") && !path.starts_with("/functions/v1/inbound/") {
                ops.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

#[tokio::test]
async fn every_protected_route_refuses_missing_wrong_and_revoked_tokens() {
    let server = TestServer::start().await;
    let ops = protected_operations(&server).await;
    assert_eq!(ops.len(), 11, "{ops:?}");
    let wrong = "sb_not_a_real_token_at_all_0000000000000000";
    for (method, path) in &ops {
        for auth in [
            None,
            Some(format!("Bearer {wrong}")),
            Some(format!("Bearer {REVOKED}")),
            Some(format!("Basic {ACME}")),
            Some("Bearer".to_string()),
        ] {
            let mut request = server
                .client
                .request(method.parse().unwrap(), server.url(path))
                .header("content-type", "application/json")
                .body("{}");
            if let Some(auth) = &auth {
                request = request.header("authorization", auth);
            }
            let answer = common::Answer::from(request.send().await.unwrap()).await;
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {auth:?}: {}",
                answer.text
            );
            assert_eq!(answer.code(), "unauthenticated");
            assert!(answer.headers.contains_key("www-authenticate"));
            assert!(!answer.text.contains(wrong) && !answer.text.contains(REVOKED));
        }
    }
    // The public routes need nothing.
    assert_eq!(server.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(
        server.get("/openapi.json", None).await.status,
        StatusCode::OK
    );
    server.stop().await;
}

#[tokio::test]
async fn another_account_sees_and_changes_nothing() {
    let server = TestServer::start().await;
    let number = server.for_sale(1).remove(0);
    let made = server.provision(ACME, &number).await;
    let id = made["id"].as_str().unwrap();
    let encoded = format!("%2B{}", &number.as_str()[1..]);

    for answer in [
        server.get(&format!("{GET}?id={id}"), Some(GLOBEX)).await,
        server
            .get(&format!("{GET}?phone_number={encoded}"), Some(GLOBEX))
            .await,
        server.post(GET, Some(GLOBEX), &json!({"id": id})).await,
        server
            .post(
                UPDATE,
                Some(GLOBEX),
                &json!({"id": id, "friendly_name": "Mine now"}),
            )
            .await,
        server
            .post(UPDATE, Some(GLOBEX), &json!({"id": id, "agent_id": null}))
            .await,
        server.post(RELEASE, Some(GLOBEX), &json!({"id": id})).await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text);
        assert_eq!(answer.code(), "not_found");
        assert!(!answer.text.contains("Line"), "{}", answer.text);
    }
    let listed = server.get(LIST, Some(GLOBEX)).await;
    assert_eq!(listed.body, json!({"data": [], "next_cursor": null}));
    let listed = server
        .get(&format!("{LIST}?include_released=true"), Some(GLOBEX))
        .await;
    assert_eq!(listed.body["data"], json!([]));

    // The owner's number is as it was, and the carrier was never asked.
    let got = server.get(&format!("{GET}?id={id}"), Some(ACME)).await;
    assert_eq!(got.body, made);
    assert!(
        server
            .fake
            .calls()
            .iter()
            .all(|c| !matches!(c.operation, Operation::Update | Operation::Release))
    );
    // Buying the same number from the other account is refused, not shared.
    let taken = server
        .post(
            PROVISION,
            Some(GLOBEX),
            &json!({"phone_number": number.as_str()}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    server.stop().await;
}

struct Bad {
    what: &'static str,
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: String,
    status: StatusCode,
    code: &'static str,
    field: Option<&'static str>,
}

fn bad(
    what: &'static str,
    path: &str,
    body: &str,
    status: StatusCode,
    code: &'static str,
    field: Option<&'static str>,
) -> Bad {
    Bad {
        what,
        method: "POST",
        path: path.to_string(),
        content_type: Some("application/json"),
        body: body.to_string(),
        status,
        code,
        field,
    }
}

#[tokio::test]
async fn bad_input_is_a_json_400_that_names_the_field_and_changes_nothing() {
    let server = TestServer::start().await;
    let number = server.for_sale(1).remove(0);
    let made = server.provision(ACME, &number).await;
    let id = made["id"].as_str().unwrap().to_string();
    let records = server.repo.len();
    let calls = server.fake.calls().len();
    let free = server.for_sale(2)[1].as_str().to_string();
    let b = StatusCode::BAD_REQUEST;
    let mut cases = vec![
        bad(
            "malformed JSON",
            PROVISION,
            r#"{"phone_number": "+1604"#,
            b,
            "invalid_json",
            None,
        ),
        bad(
            "trailing text",
            PROVISION,
            &format!(r#"{{"phone_number": "{free}"}} x"#),
            b,
            "invalid_json",
            None,
        ),
        bad(
            "not an object",
            PROVISION,
            &format!(r#"["{free}"]"#),
            b,
            "invalid_input",
            None,
        ),
        bad(
            "missing number",
            PROVISION,
            r#"{"friendly_name": "x"}"#,
            b,
            "invalid_input",
            Some("phone_number"),
        ),
        bad(
            "empty body",
            PROVISION,
            "",
            b,
            "invalid_input",
            Some("phone_number"),
        ),
        bad(
            "number not E.164",
            PROVISION,
            r#"{"phone_number": "604-555-1234"}"#,
            b,
            "invalid_input",
            Some("phone_number"),
        ),
        bad(
            "number not in plan",
            PROVISION,
            r#"{"phone_number": "+10995551234"}"#,
            b,
            "invalid_input",
            Some("phone_number"),
        ),
        bad(
            "number wrong type",
            PROVISION,
            r#"{"phone_number": 16045551234}"#,
            b,
            "invalid_input",
            Some("phone_number"),
        ),
        bad(
            "agent not a UUID",
            PROVISION,
            &format!(r#"{{"phone_number": "{free}", "agent_id": "agent-7"}}"#),
            b,
            "invalid_input",
            Some("agent_id"),
        ),
        bad(
            "name wrong type",
            PROVISION,
            &format!(r#"{{"phone_number": "{free}", "friendly_name": 5}}"#),
            b,
            "invalid_input",
            Some("friendly_name"),
        ),
        bad(
            "name too long",
            PROVISION,
            &format!(
                r#"{{"phone_number": "{free}", "friendly_name": "{}"}}"#,
                "x".repeat(65)
            ),
            b,
            "invalid_input",
            Some("friendly_name"),
        ),
        bad(
            "unknown field",
            PROVISION,
            &format!(r#"{{"phone_number": "{free}", "colour": "red"}}"#),
            b,
            "invalid_input",
            Some("colour"),
        ),
        bad(
            "bad webhook",
            PROVISION,
            &format!(r#"{{"phone_number": "{free}", "routing": {{"voice_url": "ftp://x"}}}}"#),
            b,
            "invalid_input",
            Some("routing.voice_url"),
        ),
        bad(
            "unknown provider",
            PROVISION,
            &format!(r#"{{"phone_number": "{free}", "provider": "acme-tel"}}"#),
            b,
            "invalid_input",
            Some("provider"),
        ),
        bad(
            "bad idempotency key",
            PROVISION,
            &format!(r#"{{"phone_number": "{free}", "idempotency_key": "a b"}}"#),
            b,
            "invalid_input",
            Some("idempotency_key"),
        ),
        bad(
            "search limit",
            SEARCH,
            r#"{"limit": 0}"#,
            b,
            "invalid_input",
            Some("limit"),
        ),
        bad(
            "search area code",
            SEARCH,
            r#"{"area_code": "60a"}"#,
            b,
            "invalid_input",
            Some("area_code"),
        ),
        bad(
            "search provider type",
            SEARCH,
            r#"{"provider": 5}"#,
            b,
            "invalid_input",
            Some("provider"),
        ),
        bad(
            "search unknown",
            SEARCH,
            r#"{"areacode": "604"}"#,
            b,
            "invalid_input",
            Some("areacode"),
        ),
        bad(
            "list limit",
            LIST,
            r#"{"limit": 5000}"#,
            b,
            "invalid_input",
            Some("limit"),
        ),
        bad(
            "list cursor",
            LIST,
            r#"{"cursor": "nope"}"#,
            b,
            "invalid_input",
            Some("cursor"),
        ),
        bad("get neither", GET, "{}", b, "invalid_input", None),
        bad(
            "get both",
            GET,
            &format!(r#"{{"id": "{id}", "phone_number": "{}"}}"#, number.as_str()),
            b,
            "invalid_input",
            None,
        ),
        bad(
            "get id",
            GET,
            r#"{"id": "7"}"#,
            b,
            "invalid_input",
            Some("id"),
        ),
        bad(
            "get number",
            GET,
            r#"{"phone_number": "6045551234"}"#,
            b,
            "invalid_input",
            Some("phone_number"),
        ),
        bad(
            "update no id",
            UPDATE,
            r#"{"friendly_name": "x"}"#,
            b,
            "invalid_input",
            Some("id"),
        ),
        bad(
            "update bad id",
            UPDATE,
            r#"{"id": "x", "friendly_name": "x"}"#,
            b,
            "invalid_input",
            Some("id"),
        ),
        bad(
            "update nothing",
            UPDATE,
            &format!(r#"{{"id": "{id}"}}"#),
            b,
            "invalid_input",
            Some("body"),
        ),
        bad(
            "update agent",
            UPDATE,
            &format!(r#"{{"id": "{id}", "agent_id": 7}}"#),
            b,
            "invalid_input",
            Some("agent_id"),
        ),
        bad(
            "update name",
            UPDATE,
            &format!(r#"{{"id": "{id}", "friendly_name": ""}}"#),
            b,
            "invalid_input",
            Some("friendly_name"),
        ),
        bad(
            "update unknown",
            UPDATE,
            &format!(r#"{{"id": "{id}", "name": "x"}}"#),
            b,
            "invalid_input",
            Some("name"),
        ),
        bad(
            "update webhook",
            UPDATE,
            &format!(r#"{{"id": "{id}", "routing": {{"sms_url": "nope"}}}}"#),
            b,
            "invalid_input",
            Some("routing.sms_url"),
        ),
        bad(
            "release no id",
            RELEASE,
            "{}",
            b,
            "invalid_input",
            Some("id"),
        ),
        bad(
            "release bad id",
            RELEASE,
            r#"{"id": 12}"#,
            b,
            "invalid_input",
            Some("id"),
        ),
        bad(
            "release unknown",
            RELEASE,
            &format!(r#"{{"id": "{id}", "force": true}}"#),
            b,
            "invalid_input",
            Some("force"),
        ),
    ];
    let query = |what, path: String, field| Bad {
        what,
        method: "GET",
        path,
        content_type: None,
        body: String::new(),
        status: StatusCode::BAD_REQUEST,
        code: "invalid_input",
        field,
    };
    cases.push(query(
        "query limit",
        format!("{SEARCH}?limit=ten"),
        Some("limit"),
    ));
    cases.push(query(
        "query unknown",
        format!("{SEARCH}?areacode=604"),
        Some("areacode"),
    ));
    cases.push(query(
        "query patterns",
        format!("{SEARCH}?contains=1&ends_with=2"),
        Some("pattern"),
    ));
    cases.push(query(
        "query type",
        format!("{SEARCH}?number_type=landline"),
        Some("number_type"),
    ));
    cases.push(query(
        "query bool",
        format!("{SEARCH}?voice=maybe"),
        Some("voice"),
    ));
    cases.push(query(
        "list agent",
        format!("{LIST}?agent_id=x"),
        Some("agent_id"),
    ));
    cases.push(query(
        "list released",
        format!("{LIST}?include_released=yes"),
        Some("include_released"),
    ));
    cases.push(query("get id", format!("{GET}?id=12"), Some("id")));
    cases.push(query(
        "get number",
        format!("{GET}?phone_number=abc"),
        Some("phone_number"),
    ));
    cases.push(Bad {
        content_type: Some("text/plain"),
        ..bad(
            "not JSON",
            PROVISION,
            &format!(r#"{{"phone_number": "{free}"}}"#),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            None,
        )
    });
    cases.push(Bad {
        content_type: None,
        ..bad(
            "no content type",
            PROVISION,
            &format!(r#"{{"phone_number": "{free}"}}"#),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            None,
        )
    });

    for case in &cases {
        let mut request = server
            .client
            .request(case.method.parse().unwrap(), server.url(&case.path))
            .bearer_auth(ACME)
            .body(case.body.clone());
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        let answer = common::Answer::from(request.send().await.unwrap()).await;
        assert_eq!(answer.status, case.status, "{}: {}", case.what, answer.text);
        assert_eq!(answer.code(), case.code, "{}: {}", case.what, answer.text);
        assert_eq!(answer.field(), case.field, "{}: {}", case.what, answer.text);
    }

    // Nothing was recorded, bought or changed.
    assert_eq!(server.repo.len(), records);
    let after: Vec<_> = server.fake.calls().into_iter().skip(calls).collect();
    assert!(
        after.iter().all(|c| c.operation == Operation::Search),
        "the carrier was asked to change something: {after:?}"
    );
    let got = server.get(&format!("{GET}?id={id}"), Some(ACME)).await;
    assert_eq!(got.body, made);
    server.stop().await;
}

#[tokio::test]
async fn a_key_given_twice_is_refused_on_every_json_route_and_changes_nothing() {
    let server = TestServer::start().await;
    let numbers = server.for_sale(3);
    let made = server.provision(ACME, &numbers[0]).await;
    let id = made["id"].as_str().unwrap().to_string();
    let other = uuid::Uuid::new_v4();
    let records = server.repo.len();
    let calls = server.fake.calls().len();
    let (a, b) = (numbers[1].as_str(), numbers[2].as_str());
    // Each body is valid with either value, so only the repetition is wrong;
    // before, update and search took the last value and provision refused
    // with a serde message of its own.
    let cases: Vec<(&str, String, &str)> = vec![
        (
            PROVISION,
            format!(r#"{{"phone_number": "{a}", "phone_number": "{b}"}}"#),
            "phone_number",
        ),
        (
            PROVISION,
            format!(
                r#"{{"phone_number": "{a}", "routing": {{"voice_url": "https://a.example/v", "voice_url": "https://b.example/v"}}}}"#
            ),
            "routing.voice_url",
        ),
        (
            UPDATE,
            format!(r#"{{"id": "{id}", "friendly_name": "A", "friendly_name": "B"}}"#),
            "friendly_name",
        ),
        (
            UPDATE,
            format!(r#"{{"id": "{other}", "id": "{id}", "friendly_name": "A"}}"#),
            "id",
        ),
        (SEARCH, r#"{"limit": 1, "limit": 2}"#.into(), "limit"),
        (
            SEARCH,
            r#"{"provider": "fake", "provider": "fake"}"#.into(),
            "provider",
        ),
        (LIST, r#"{"limit": 1, "limit": 2}"#.into(), "limit"),
        (GET, format!(r#"{{"id": "{other}", "id": "{id}"}}"#), "id"),
        (
            RELEASE,
            format!(r#"{{"id": "{other}", "id": "{id}"}}"#),
            "id",
        ),
        (BULK, r#"{"count": 1, "count": 2}"#.into(), "count"),
        (
            BULK,
            r#"{"count": 1, "search": {"area_code": "604", "area_code": "415"}}"#.into(),
            "search.area_code",
        ),
        // An escaped spelling is the same key to every decoder.
        (
            UPDATE,
            format!(r#"{{"id": "{id}", "friendly_name": "A", "friendly\u005fname": "B"}}"#),
            "friendly_name",
        ),
    ];
    for (path, body, field) in &cases {
        let answer = server
            .post_raw(path, Some(ACME), Some("application/json"), body.clone())
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.text
        );
        assert_eq!(answer.code(), "invalid_input", "{body}");
        assert_eq!(answer.field(), Some(*field), "{body}: {}", answer.text);
        let message = answer.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("duplicate key"), "{message}");
    }
    assert_eq!(server.repo.len(), records);
    assert_eq!(server.fake.calls().len(), calls, "the carrier was called");
    let got = server.get(&format!("{GET}?id={id}"), Some(ACME)).await;
    assert_eq!(got.body, made);
    server.stop().await;
}

#[tokio::test]
async fn names_with_bidirectional_or_zero_width_characters_are_refused() {
    let server = TestServer::start().await;
    let numbers = server.for_sale(2);
    let made = server.provision(ACME, &numbers[0]).await;
    let id = made["id"].as_str().unwrap();
    let calls = server.fake.calls().len();
    for (c, code_point) in [
        ('\u{202E}', "U+202E"),
        ('\u{2066}', "U+2066"),
        ('\u{200B}', "U+200B"),
        ('\u{FEFF}', "U+FEFF"),
    ] {
        let name = format!("Sales{c}Line");
        let answer = server
            .post(
                PROVISION,
                Some(ACME),
                &json!({"phone_number": numbers[1].as_str(), "friendly_name": name}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
        assert_eq!(answer.field(), Some("friendly_name"));
        assert!(answer.text.contains(code_point), "{}", answer.text);
        let answer = server
            .post(
                UPDATE,
                Some(ACME),
                &json!({"id": id, "friendly_name": name}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
        assert_eq!(answer.field(), Some("friendly_name"));
    }
    assert_eq!(server.repo.len(), 1);
    assert_eq!(server.fake.calls().len(), calls, "the carrier was called");
    let got = server.get(&format!("{GET}?id={id}"), Some(ACME)).await;
    assert_eq!(got.body, made);
    server.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_413_json() {
    let server = TestServer::with(Setup {
        options: HttpOptions::default().with_body_limit(1024),
        ..Setup::default()
    })
    .await;
    let body = format!(
        r#"{{"phone_number": "+16045551234", "friendly_name": "{}"}}"#,
        "x".repeat(4096)
    );
    let answer = server
        .post_raw(PROVISION, Some(ACME), Some("application/json"), body)
        .await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text
    );
    assert_eq!(answer.code(), "payload_too_large");
    assert!(server.repo.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_413_before_the_body_is_sent() {
    use common::raw::{closed_within, read_response, send};
    let server = TestServer::with(Setup {
        options: HttpOptions::default().with_body_limit(1024),
        ..Setup::default()
    })
    .await;
    // A gigabyte declared and nothing sent: waiting for the body would hold
    // the request until its 30 s timeout. With `Expect: 100-continue` the
    // client waits for leave to send; it gets the refusal instead.
    for expect in ["", "Expect: 100-continue\r\n"] {
        let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let head = format!(
            "POST {PROVISION} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {ACME}\r\n\
             Content-Type: application/json\r\nContent-Length: 1073741824\r\n{expect}\r\n"
        );
        send(&mut stream, head.as_bytes()).await;
        let answer = tokio::time::timeout(Duration::from_secs(2), read_response(&mut stream))
            .await
            .expect("no answer within 2 s")
            .expect("an answer");
        assert_eq!(answer.status, 413, "{expect:?}: {answer:?}");
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
        assert!(
            answer.head.to_ascii_lowercase().contains("x-request-id"),
            "{answer:?}"
        );
        // The body it was promised is never read: the connection ends.
        closed_within(&mut stream, Duration::from_secs(2)).await;
    }
    // A body exactly at the limit is read as usual.
    let number = server.for_sale(1).remove(0);
    let mut body = format!(r#"{{"phone_number": "{}"}}"#, number.as_str());
    body.push_str(&" ".repeat(1024 - body.len()));
    let answer = server
        .post_raw(PROVISION, Some(ACME), Some("application/json"), body)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(server.repo.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let server = TestServer::start().await;
    let answer = server
        .get("/functions/v1/buy-phone-number", Some(ACME))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "not_found");
    let answer = server.get(PROVISION, Some(ACME)).await;
    assert_eq!(
        answer.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        answer.text
    );
    assert_eq!(answer.code(), "method_not_allowed");
    assert_eq!(answer.headers["allow"], "POST");
    let answer = server.post("/healthz", None, &json!({})).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.code(), "method_not_allowed");
    server.stop().await;
}

fn unavailable() -> Error {
    Error::NumberUnavailable {
        phone_number: "+16045550000".into(),
        provider: "fake".into(),
        code: Some("21422".into()),
        message: Some("not available".into()),
    }
}

#[tokio::test]
async fn carrier_failures_map_to_statuses_and_change_nothing() {
    let server = TestServer::start().await;
    let numbers = server.for_sale(8);
    let cases: Vec<(Error, StatusCode, &str)> = vec![
        (
            unavailable(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "number_unavailable",
        ),
        (
            Error::RequirementMissing {
                provider: "fake".into(),
                requirement: "AddressSid".into(),
                code: Some("21631".into()),
                message: None,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "requirement_missing",
        ),
        (
            Error::Carrier {
                provider: "fake".into(),
                status: Some(400),
                code: Some("20001".into()),
                message: Some("bad".into()),
            },
            StatusCode::BAD_GATEWAY,
            "carrier_error",
        ),
        (
            Error::Transport {
                provider: "fake".into(),
                message: "connection refused".into(),
                cause: None,
            },
            StatusCode::SERVICE_UNAVAILABLE,
            "carrier_unreachable",
        ),
        (
            Error::rate_limited("fake", Some(Duration::from_secs(7))),
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
        ),
    ];
    for (i, (error, status, code)) in cases.into_iter().enumerate() {
        server
            .fake
            .script(Operation::Purchase, Fault::Fail(error), Times::Once);
        let answer = server
            .post(
                PROVISION,
                Some(ACME),
                &json!({"phone_number": numbers[i].as_str()}),
            )
            .await;
        assert_eq!(answer.status, status, "{code}: {}", answer.text);
        assert_eq!(answer.code(), code);
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(answer.headers["retry-after"], "7");
        }
        let got = server
            .get(
                &format!("{GET}?phone_number=%2B{}", &numbers[i].as_str()[1..]),
                Some(ACME),
            )
            .await;
        if code == "carrier_unreachable" {
            // The purchase may still complete at the carrier: the number stays
            // reserved (not active) until reconcile settles it by asking.
            assert_eq!(got.status, StatusCode::OK, "{code}: {}", got.text);
            assert!(
                got.text.contains("\"is_active\":false"),
                "{code}: {}",
                got.text
            );
        } else {
            // No live record holds the number.
            assert_eq!(got.status, StatusCode::NOT_FOUND, "{code}: {}", got.text);
        }
    }
    server.fake.clear_faults();

    // Search: rate limiting and an unsupported filter.
    server.fake.script(
        Operation::Search,
        Fault::Fail(Error::rate_limited("fake", None)),
        Times::Once,
    );
    let answer = server.get(SEARCH, Some(ACME)).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.headers["retry-after"], "1");
    server.fake.script(
        Operation::Search,
        Fault::Fail(Error::NotSupported {
            provider: "fake".into(),
            what: "search by locality".into(),
        }),
        Times::Once,
    );
    let answer = server
        .get(&format!("{SEARCH}?locality=Vancouver"), Some(ACME))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "not_supported");

    // An update the carrier refuses changes nothing here either.
    let made = server.provision(ACME, &numbers[7]).await;
    server.fake.script(
        Operation::Update,
        Fault::Fail(Error::Transport {
            provider: "fake".into(),
            message: "timeout".into(),
            cause: None,
        }),
        Times::Once,
    );
    let answer = server
        .post(
            UPDATE,
            Some(ACME),
            &json!({"id": made["id"], "friendly_name": "New"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    let got = server
        .get(
            &format!("{GET}?id={}", made["id"].as_str().unwrap()),
            Some(ACME),
        )
        .await;
    assert_eq!(got.body, made);
    server.stop().await;
}

#[tokio::test]
async fn a_slow_carrier_times_out_as_503_and_the_purchase_still_completes() {
    let server = TestServer::with(Setup {
        options: HttpOptions::default().with_request_timeout(Duration::from_millis(300)),
        ..Setup::default()
    })
    .await;
    let number = server.for_sale(1).remove(0);
    server.fake.script(
        Operation::Purchase,
        Fault::Latency(Duration::from_millis(1500)),
        Times::Once,
    );
    let answer = server
        .post(
            PROVISION,
            Some(ACME),
            &json!({"phone_number": number.as_str()}),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.text
    );
    assert_eq!(answer.code(), "timeout");
    // The purchase ran on; it ends recorded, not left reserved.
    let path = format!("{GET}?phone_number=%2B{}", &number.as_str()[1..]);
    let mut active = false;
    for _ in 0..100 {
        let got = server.get(&path, Some(ACME)).await;
        if got.body["is_active"] == true {
            active = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(active, "the purchase never completed");
    server.stop().await;
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let server = TestServer::start().await;
    let given = server
        .client
        .get(server.url("/healthz"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-42");
    let made = server.get("/healthz", None).await;
    let id = made.headers["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let other = server.get(PROVISION, None).await;
    assert_ne!(other.headers["x-request-id"], made.headers["x-request-id"]);
    server.stop().await;
}
