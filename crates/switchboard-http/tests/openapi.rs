//! The served OpenAPI document: valid 3.x JSON, every reference resolves, and
//! it lists exactly the routes the router serves.

mod common;

use std::collections::BTreeSet;

use common::{ACME, TestServer};
use reqwest::StatusCode;
use serde_json::Value;

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
            if path.starts_with("/functions/v1/") {
                assert!(security.contains("bearer"), "{method} {path}: {security}");
            } else {
                assert!(!security.contains("bearer"), "{method} {path}: {security}");
            }
        }
    }
    let expected: BTreeSet<String> = [
        "POST /functions/v1/provision-phone-number",
        "POST /functions/v1/bulk-provision-phone-numbers",
        "GET /functions/v1/search-phone-numbers",
        "POST /functions/v1/search-phone-numbers",
        "GET /functions/v1/list-phone-numbers",
        "POST /functions/v1/list-phone-numbers",
        "GET /functions/v1/get-phone-number",
        "POST /functions/v1/get-phone-number",
        "POST /functions/v1/update-phone-number",
        "POST /functions/v1/release-phone-number",
        "GET /healthz",
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
        assert!(
            answer.status != StatusCode::NOT_FOUND
                && answer.status != StatusCode::METHOD_NOT_ALLOWED
                || answer.body["error"]["code"] == "not_found" && path.contains("get-phone"),
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
