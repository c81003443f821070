//! Strict mode against Telnyx's own description: every body the emulator
//! answers on the Telnyx paths, errors included (the description declares
//! them all as `default`), is checked against the schema declared for that
//! path, method and status; every path, query parameter and body field the
//! emulator accepts must be declared there.

mod common;

use std::time::Duration;

use common::schema::Document;
use common::{client, send, telnyx};
use reqwest::Method;
use serde_json::{Value, json};
use switchboard_emulator::{
    Carriers, Emulator, Faults, Latency, Mode, Operation, TelnyxOrderOutcome, TelnyxSettlement,
    accepted_surface,
};

// The repository's one copy (spec/carriers/telnyx/README.md says where it
// comes from).
const TELNYX_DOC: &str = include_str!("../../../spec/carriers/telnyx/numbers.openapi.json");

/// Checks `body` against the declared schema of `path` (relative to the
/// description's `/v2` server), falling back to `default`.
fn conforms(doc: &Document, path: &str, method: &str, status: u16, body: &Value) {
    assert!(
        doc.operation(path, method).is_some(),
        "{method} {path} is not in the document"
    );
    let schema = doc
        .response_schema_or_default(path, method, status)
        .unwrap_or_else(|| panic!("{method} {path} declares no {status} answer"));
    let errors = doc.check(schema, body);
    assert!(
        errors.is_empty(),
        "{method} {path} -> {status}: {errors:#?}\nbody: {body:#}"
    );
}

#[tokio::test]
async fn strict_telnyx_answers_match_the_openapi_schemas() {
    let doc = Document::json(TELNYX_DOC);
    let e = Emulator::builder()
        .mode(Mode::Strict)
        .telnyx_order_outcome(TelnyxOrderOutcome::AwaitRequirements)
        .start()
        .await
        .unwrap();
    let c = client();
    let mut checked = 0;
    let mut check = |path: &str, method: &str, status: u16, body: &Value| {
        conforms(&doc, path, method, status, body);
        checked += 1;
    };

    for query in [
        vec![
            ("filter[national_destination_code]", "512"),
            ("filter[limit]", "3"),
        ],
        vec![
            ("filter[phone_number_type]", "toll_free"),
            ("filter[features]", "voice,sms"),
        ],
        vec![
            ("filter[country_code]", "GB"),
            ("filter[phone_number_type]", "mobile"),
        ],
    ] {
        let (status, body) =
            send(telnyx(&c, &e, Method::GET, "/available_phone_numbers").query(&query)).await;
        assert_eq!(status, 200, "{body}");
        assert!(!body["data"].as_array().unwrap().is_empty(), "{query:?}");
        check("/available_phone_numbers", "get", status, &body);
    }
    let (status, body) = send(
        telnyx(&c, &e, Method::GET, "/available_phone_numbers").query(&[("filter[limit]", "x")]),
    )
    .await;
    assert_eq!(status, 400);
    check("/available_phone_numbers", "get", status, &body);
    let (_, found) = send(
        telnyx(&c, &e, Method::GET, "/available_phone_numbers").query(&[
            ("filter[country_code]", "CA"),
            ("filter[national_destination_code]", "604"),
            ("filter[limit]", "2"),
        ]),
    )
    .await;
    let pool: Vec<String> = found["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["phone_number"].as_str().unwrap().to_string())
        .collect();

    // An order waiting for requirements, then released; another failed.
    let (status, placed) = send(telnyx(&c, &e, Method::POST, "/number_orders").json(&json!({
        "phone_numbers": [{"phone_number": pool[0]}],
        "connection_id": "1234",
        "customer_reference": "ref",
    })))
    .await;
    assert_eq!(status, 200, "{placed}");
    check("/number_orders", "post", status, &placed);
    let order_id = placed["data"]["id"].as_str().unwrap().to_string();
    let one_order = "/number_orders/{number_order_id}";
    let (status, body) = send(telnyx(
        &c,
        &e,
        Method::GET,
        &format!("/number_orders/{order_id}"),
    ))
    .await;
    assert_eq!(body["data"]["requirements_met"], false);
    check(one_order, "get", status, &body);
    e.settle_telnyx_order(&order_id, TelnyxSettlement::Success)
        .unwrap();
    let (status, body) = send(telnyx(
        &c,
        &e,
        Method::GET,
        &format!("/number_orders/{order_id}"),
    ))
    .await;
    assert_eq!(body["data"]["status"], "success");
    check(one_order, "get", status, &body);
    let (_, failed) = send(telnyx(&c, &e, Method::POST, "/number_orders").json(&json!({
        "phone_numbers": [{"phone_number": pool[1]}],
    })))
    .await;
    e.settle_telnyx_order(
        failed["data"]["id"].as_str().unwrap(),
        TelnyxSettlement::Failure,
    )
    .unwrap();
    let (status, body) =
        send(telnyx(&c, &e, Method::GET, "/number_orders").query(&[("page[size]", "1")])).await;
    assert_eq!(body["meta"]["total_pages"], 2);
    check("/number_orders", "get", status, &body);
    for bad in [
        json!({"phone_numbers": [{"phone_number": "15125550100"}]}),
        json!({"phone_numbers": [{"phone_number": pool[0]}]}),
        json!({"phone_numbers": []}),
        json!({"webhook_url": "https://example.com"}),
    ] {
        let (status, body) = send(telnyx(&c, &e, Method::POST, "/number_orders").json(&bad)).await;
        assert_eq!(status, 422, "{bad}");
        check("/number_orders", "post", status, &body);
    }

    // Owned numbers.
    let (status, list) = send(telnyx(&c, &e, Method::GET, "/phone_numbers")).await;
    assert_eq!(list["meta"]["total_results"], 1);
    check("/phone_numbers", "get", status, &list);
    let id = list["data"][0]["id"].as_str().unwrap().to_string();
    let one = "/phone_numbers/{id}";
    let (status, body) = send(telnyx(&c, &e, Method::GET, &format!("/phone_numbers/{id}"))).await;
    check(one, "get", status, &body);
    let (status, body) = send(
        telnyx(&c, &e, Method::PATCH, &format!("/phone_numbers/{id}")).json(
            &json!({"tags": ["a"], "customer_reference": "x", "number_level_routing": "disabled"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    check(one, "patch", status, &body);
    let (status, body) = send(
        telnyx(&c, &e, Method::PATCH, &format!("/phone_numbers/{id}")).json(&json!({"tags": 1})),
    )
    .await;
    assert_eq!(status, 422);
    check(one, "patch", status, &body);
    let messaging = "/phone_numbers/{id}/messaging";
    let (status, body) = send(telnyx(
        &c,
        &e,
        Method::GET,
        &format!("/phone_numbers/{id}/messaging"),
    ))
    .await;
    assert!(body["data"]["messaging_profile_id"].is_null());
    check(messaging, "get", status, &body);
    let (status, body) = send(
        telnyx(
            &c,
            &e,
            Method::PATCH,
            &format!("/phone_numbers/{id}/messaging"),
        )
        .json(&json!({"messaging_profile_id": "p-1", "messaging_product": "P2P"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    check(messaging, "patch", status, &body);
    let (status, body) = send(telnyx(
        &c,
        &e,
        Method::GET,
        &format!("/phone_numbers/{id}/voice"),
    ))
    .await;
    check("/phone_numbers/{id}/voice", "get", status, &body);
    let (status, body) = send(telnyx(&c, &e, Method::GET, "/phone_numbers/123")).await;
    assert_eq!(status, 404);
    check(one, "get", status, &body);
    let (status, body) = send(telnyx(
        &c,
        &e,
        Method::DELETE,
        &format!("/phone_numbers/{id}"),
    ))
    .await;
    assert_eq!(status, 200);
    check(one, "delete", status, &body);
    let (status, body) = send(c.get(format!("{}/phone_numbers", e.telnyx_base_url()))).await;
    assert_eq!(status, 401);
    check("/phone_numbers", "get", status, &body);
    let (status, body) =
        send(telnyx(&c, &e, Method::GET, "/phone_numbers").query(&[("page[size]", "300")])).await;
    assert_eq!(status, 400);
    check("/phone_numbers", "get", status, &body);

    // Faults answer Telnyx's shapes too.
    e.set_faults(Faults {
        error_rate: 1.0,
        operations: vec![Operation::List],
        ..Faults::default()
    })
    .unwrap();
    let (status, body) = send(telnyx(&c, &e, Method::GET, "/phone_numbers")).await;
    assert_eq!(status, 500);
    check("/phone_numbers", "get", status, &body);
    e.set_faults(Faults {
        max_in_flight: Some(1),
        latency: Some(Latency {
            min_ms: 1000,
            max_ms: 1000,
        }),
        operations: vec![Operation::Search],
        ..Faults::default()
    })
    .unwrap();
    let slow = telnyx(&c, &e, Method::GET, "/available_phone_numbers").send();
    let quick = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        send(telnyx(&c, &e, Method::GET, "/phone_numbers")).await
    };
    let (slow, (status, body)) = tokio::join!(slow, quick);
    assert_eq!(slow.unwrap().status().as_u16(), 200);
    assert_eq!(status, 429);
    check("/phone_numbers", "get", status, &body);
    assert_eq!(checked, 25);
}

/// The checker is not vacuous: live answers, which differ from the
/// description on purpose, are caught where they do.
#[tokio::test]
async fn live_telnyx_answers_are_caught_where_they_differ() {
    let doc = Document::json(TELNYX_DOC);
    let e = Emulator::builder().start().await.unwrap();
    let c = client();
    let (_, body) = send(telnyx(&c, &e, Method::GET, "/available_phone_numbers")).await;
    let schema = doc
        .response_schema("/available_phone_numbers", "get", 200)
        .unwrap();
    let errors = doc.check(schema, &body);
    assert!(
        errors.iter().any(|e| e.contains(".vanity_format")),
        "{errors:?}"
    );
    let number = body["data"][0]["phone_number"].as_str().unwrap();
    let (_, placed) = send(
        telnyx(&c, &e, Method::POST, "/number_orders")
            .json(&json!({"phone_numbers": [{"phone_number": number}]})),
    )
    .await;
    let schema = doc.response_schema("/number_orders", "post", 200).unwrap();
    let errors = doc.check(schema, &placed);
    assert!(
        errors.iter().any(|e| e.contains(".connection_id")),
        "{errors:?}"
    );
}

#[test]
fn every_accepted_telnyx_path_and_parameter_is_declared() {
    let doc = Document::json(TELNYX_DOC);
    let surface = accepted_surface(Carriers::Telnyx);
    assert_eq!(surface.len(), 11);
    assert_eq!(accepted_surface(Carriers::All).len(), 25);
    for op in surface {
        assert_eq!(op.carrier, "telnyx");
        let operation = doc
            .operation(op.path, op.method)
            .unwrap_or_else(|| panic!("{} {} is not declared", op.method, op.path));
        let params: Vec<String> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| doc.resolve(p))
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        for q in &op.query {
            assert!(
                params.contains(&q.to_string()),
                "{} {}: query {q} is not declared",
                op.method,
                op.path
            );
        }
        if op.body.is_empty() {
            continue;
        }
        let schema =
            doc.resolve(&operation["requestBody"]["content"]["application/json"]["schema"]);
        let declared = schema["properties"].as_object().expect("body properties");
        for field in &op.body {
            let (name, item_field) = match field.split_once("[].") {
                Some((array, item)) => (array, Some(item)),
                None => (*field, None),
            };
            let property = declared.get(name).unwrap_or_else(|| {
                panic!(
                    "{} {}: body field {name} is not declared",
                    op.method, op.path
                )
            });
            assert_ne!(property["readOnly"], true, "{name} is read-only");
            if let Some(item_field) = item_field {
                let item = doc.resolve(&property["items"]);
                let item_property = &item["properties"][item_field];
                assert!(
                    item_property.is_object(),
                    "{name}[].{item_field} is not declared"
                );
                assert_ne!(
                    item_property["readOnly"], true,
                    "{name}[].{item_field} is read-only"
                );
            }
        }
    }
}
