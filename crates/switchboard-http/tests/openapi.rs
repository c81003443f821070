//! The served OpenAPI document: valid 3.x JSON, every reference resolves, and
//! it lists exactly the routes the router serves.

mod common;

use std::collections::BTreeSet;

use common::{ACME, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_core::TelephonyProvider;

/// The carriers' webhooks: under `/functions/v1/` but without a bearer token.
const INBOUND: &str = "/functions/v1/inbound/";

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref"
                    && let Some(r) = v.as_str()
                {
                    out.push(r.to_string());
                }
                refs(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_describes_exactly_what_is_served() {
    let server = TestServer::start().await;
    let answer = server.get("/openapi.json", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(answer.text, switchboard_http::openapi_json());
    let doc = answer.body;
    std::fs::write(
        std::env::temp_dir().join("switchboard-openapi.json"),
        serde_json::to_string_pretty(&doc).unwrap(),
    )
    .unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Switchboard");
    assert!(doc["info"]["version"].is_string());

    let mut operations = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations.insert(format!("{} {path}", method.to_uppercase()));
            assert!(ids.insert(op["operationId"].as_str().unwrap().to_string()));
            assert!(op["responses"]["200"].is_object(), "{method} {path}");
            let security = op["security"].to_string();
            if path.starts_with("/functions/v1/") && !path.starts_with(INBOUND) {
                assert!(security.contains("bearer"), "{method} {path}: {security}");
            } else {
                assert!(!security.contains("bearer"), "{method} {path}: {security}");
            }
        }
    }
    let expected: BTreeSet<String> = [
        "POST /functions/v1/provision-phone-number",
        "POST /functions/v1/import-phone-number",
        "POST /functions/v1/bulk-provision-phone-numbers",
        "GET /functions/v1/search-phone-numbers",
        "POST /functions/v1/search-phone-numbers",
        "GET /functions/v1/list-phone-numbers",
        "POST /functions/v1/list-phone-numbers",
        "GET /functions/v1/get-phone-number",
        "POST /functions/v1/get-phone-number",
        "POST /functions/v1/update-phone-number",
        "POST /functions/v1/release-phone-number",
        "GET /functions/v1/inbound/{provider}/voice",
        "POST /functions/v1/inbound/{provider}/voice",
        "GET /functions/v1/inbound/{provider}/messages",
        "POST /functions/v1/inbound/{provider}/messages",
        "GET /healthz",
        "GET /metrics",
        "GET /openapi.json",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(operations, expected);

    // Every documented operation is served (whatever it answers to an empty
    // request, it is not "no such route" or "wrong method").
    for operation in &operations {
        let (method, path) = operation.split_once(' ').unwrap();
        let answer = common::Answer::from(
            server
                .client
                .request(method.parse().unwrap(), server.url(path))
                .bearer_auth(ACME)
                .header("content-type", "application/json")
                .body(if method == "POST" { "{}" } else { "" })
                .send()
                .await
                .unwrap(),
        )
        .await;
        // The inbound routes answer a provider they have no verifier for
        // (here: `{provider}`, on a server with inbound not configured) 404,
        // but not the fallback's "no route".
        let no_route = answer.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("no route"));
        assert!(
            answer.status != StatusCode::NOT_FOUND
                && answer.status != StatusCode::METHOD_NOT_ALLOWED
                || answer.body["error"]["code"] == "not_found" && path.contains("get-phone")
                || answer.status == StatusCode::NOT_FOUND && path.starts_with(INBOUND) && !no_route,
            "{operation}: {} {}",
            answer.status,
            answer.text
        );
    }

    // Every reference resolves, and the bearer scheme is declared.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {r}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} does not resolve"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // The seed's documented fields are all there.
    let object = &doc["components"]["schemas"]["PhoneNumber"]["properties"];
    for field in [
        "id",
        "phone_number",
        "friendly_name",
        "agent_id",
        "capabilities",
        "is_active",
        "provider",
        "created_at",
    ] {
        assert!(object[field].is_object(), "{field}");
    }
    server.stop().await;
}

/// `{"$ref": ...}` resolved against the document's components.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap_or_default()],
        None => schema,
    }
}

fn is_nullable(schema: &Value) -> bool {
    let typed = match &schema["type"] {
        Value::String(t) => t == "null",
        Value::Array(types) => types.iter().any(|t| t == "null"),
        _ => false,
    };
    typed
        || schema["oneOf"]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["type"] == "null"))
}

/// The object schema a property holds, directly, by reference, or as the
/// non-null branch of a nullable one.
fn object_of<'a>(doc: &'a Value, schema: &'a Value) -> Option<&'a Value> {
    let direct = resolve(doc, schema);
    if direct["properties"].is_object() {
        return Some(direct);
    }
    schema["oneOf"]
        .as_array()?
        .iter()
        .map(|item| resolve(doc, item))
        .find(|s| s["properties"].is_object())
}

/// The paths (`routing.voice_url`) of every nullable property under `schema`.
fn nullable_paths(doc: &Value, schema: &Value, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let Some(properties) = schema["properties"].as_object() else {
        return;
    };
    for (name, property) in properties {
        let mut path = prefix.to_vec();
        path.push(name.clone());
        if is_nullable(property) {
            out.push(path.clone());
        }
        if let Some(inner) = object_of(doc, property) {
            nullable_paths(doc, inner, &path, out);
        }
    }
}

#[tokio::test]
async fn every_request_field_the_document_calls_nullable_accepts_null() {
    let server = TestServer::start().await;
    let doc = server.get("/openapi.json", None).await.body;
    // Bulk purchases buy from the front of the inventory; single ones take
    // theirs from the back, so the two never collide.
    let for_sale = server.for_sale(500);
    let mut fresh = for_sale.iter().rev().map(|n| n.as_str().to_string());
    let made = server.provision(ACME, &for_sale[0]).await;
    let id = made["id"].clone();
    let phone_number = made["phone_number"].clone();

    let mut probes = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(operation) = item.get("post") else {
            continue;
        };
        let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
        let Some(schema) = object_of(&doc, schema) else {
            continue;
        };
        let mut paths = Vec::new();
        nullable_paths(&doc, schema, &[], &mut paths);
        for field in paths {
            // A valid request without the field (so that null is all that
            // changes); a route with no such request has a required field
            // that the document must not call nullable.
            let mut bases: Vec<Value> = match path.as_str() {
                "/functions/v1/provision-phone-number" => {
                    vec![json!({"phone_number": fresh.next().unwrap()})]
                }
                "/functions/v1/import-phone-number" => {
                    // A number bought at the carrier by hand, for each probe.
                    let number = fresh.next().unwrap();
                    server
                        .fake
                        .purchase(&switchboard_core::PurchaseRequest {
                            phone_number: switchboard_core::PhoneNumber::parse(&number).unwrap(),
                            friendly_name: None,
                            routing: Default::default(),
                        })
                        .await
                        .unwrap();
                    vec![json!({"phone_number": number, "provider": "fake"})]
                }
                "/functions/v1/bulk-provision-phone-numbers" => vec![json!({"count": 1})],
                "/functions/v1/search-phone-numbers" | "/functions/v1/list-phone-numbers" => {
                    vec![json!({})]
                }
                "/functions/v1/get-phone-number" => {
                    vec![json!({"id": id}), json!({"phone_number": phone_number})]
                }
                "/functions/v1/update-phone-number" => vec![
                    json!({"id": id, "agent_id": null}),
                    json!({"id": id, "friendly_name": "Line"}),
                ],
                other => panic!("no valid request known for {other}"),
            };
            bases.retain(|b| b.get(&field[0]).is_none());
            let mut body = bases
                .into_iter()
                .next()
                .unwrap_or_else(|| panic!("{path}: {field:?} is nullable but required"));
            let mut at = &mut body;
            for step in &field[..field.len() - 1] {
                at = at
                    .as_object_mut()
                    .unwrap()
                    .entry(step.clone())
                    .or_insert_with(|| json!({}));
            }
            at[field.last().unwrap()] = Value::Null;
            let answer = server.post(path, Some(ACME), &body).await;
            assert!(
                answer.status.is_success(),
                "{path} with {}: null refused: {body} -> {} {}",
                field.join("."),
                answer.status,
                answer.text
            );
            probes += 1;
        }
    }
    // routing and its five fields on three routes, and more: the walk found them.
    assert!(probes >= 18, "only {probes} nullable fields found");
    server.stop().await;
}

#[tokio::test]
async fn a_body_is_documented_optional_exactly_where_no_body_is_a_valid_request() {
    let server = TestServer::start().await;
    let doc = server.get("/openapi.json", None).await.body;
    let mut optional = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(body) = item.get("post").map(|op| &op["requestBody"]) else {
            continue;
        };
        if path.starts_with(INBOUND) {
            // A carrier's webhook: its body is whatever the carrier signed
            // (tests/inbound.rs), not a JSON request of ours.
            continue;
        }
        // No body and no Content-Type, as `curl -X POST` sends.
        let answer = common::Answer::from(
            server
                .client
                .post(server.url(path))
                .bearer_auth(ACME)
                .send()
                .await
                .unwrap(),
        )
        .await;
        if body["required"] == false {
            assert!(answer.status.is_success(), "{path}: {}", answer.text);
            optional.push(path.clone());
        } else {
            assert_eq!(body["required"], true, "{path}");
            assert_eq!(
                answer.status,
                StatusCode::BAD_REQUEST,
                "{path}: {}",
                answer.text
            );
            assert_eq!(answer.code(), "invalid_input", "{path}");
        }
    }
    assert_eq!(
        optional,
        [
            "/functions/v1/list-phone-numbers",
            "/functions/v1/search-phone-numbers"
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn get_phone_number_takes_exactly_one_of_id_and_phone_number_as_documented() {
    let server = TestServer::start().await;
    let doc = server.get("/openapi.json", None).await.body;
    let schema = &doc["components"]["schemas"]["GetRequest"];
    let branches: Vec<&Value> = schema["oneOf"]
        .as_array()
        .unwrap_or_else(|| panic!("no oneOf: {schema}"))
        .iter()
        .map(|b| &b["required"])
        .collect();
    assert_eq!(branches, [&json!(["id"]), &json!(["phone_number"])]);

    let number = server.for_sale(1).remove(0);
    let made = server.provision(ACME, &number).await;
    let (id, phone_number) = (&made["id"], &made["phone_number"]);
    let path = "/functions/v1/get-phone-number";
    for (body, valid) in [
        (json!({"id": id}), true),
        (json!({"phone_number": phone_number}), true),
        // null is absent, as the branches' non-null types say.
        (json!({"id": id, "phone_number": null}), true),
        (json!({}), false),
        (json!({"id": id, "phone_number": phone_number}), false),
        (json!({"id": null, "phone_number": null}), false),
    ] {
        let answer = server.post(path, Some(ACME), &body).await;
        if valid {
            assert_eq!(answer.status, StatusCode::OK, "{body}: {}", answer.text);
        } else {
            assert_eq!(
                answer.status,
                StatusCode::BAD_REQUEST,
                "{body}: {}",
                answer.text
            );
        }
    }
    server.stop().await;
}
