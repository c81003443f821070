//! Strict mode against the carriers' own descriptions: every response body
//! the emulator produces is checked against the schema the OpenAPI document
//! declares for that path, method and status, and every path and parameter
//! the emulator accepts must be declared there.

mod common;

use common::schema::Document;
use common::{SID, client, send, signalwire, twilio};
use reqwest::Method;
use serde_json::Value;
use switchboard_emulator::{Carriers, Emulator, Faults, Mode, Operation, accepted_surface};

// The one copy of each description, shared with the adapters' tests
// (spec/carriers/*/README.md says where they come from).
const TWILIO_DOC: &str =
    include_str!("../../../spec/carriers/twilio/api_v2010_phone_numbers.openapi.json");
const SIGNALWIRE_DOC: &str =
    include_str!("../../../spec/carriers/signalwire/rest_phone_numbers.openapi.yaml");
const SIGNALWIRE_LEGACY_DOC: &str =
    include_str!("../../../spec/carriers/signalwire/rest_phone_numbers.legacy.openapi.yaml");

/// Checks `body` against the declared schema; returns whether one was
/// declared (undeclared error statuses are counted, not silently passed).
fn conforms(doc: &Document, path: &str, method: &str, status: u16, body: &Value) -> bool {
    assert!(
        doc.operation(path, method).is_some(),
        "{method} {path} is not in the document"
    );
    let Some(schema) = doc.response_schema(path, method, status) else {
        return false;
    };
    let errors = doc.check(schema, body);
    assert!(
        errors.is_empty(),
        "{method} {path} -> {status}: {errors:#?}\nbody: {body:#}"
    );
    true
}

#[tokio::test]
async fn strict_twilio_answers_match_the_openapi_schemas() {
    let doc = Document::json(TWILIO_DOC);
    let emulator = Emulator::builder()
        .mode(Mode::Strict)
        .start()
        .await
        .unwrap();
    let c = client();
    let base = "/2010-04-01/Accounts/{AccountSid}";
    let mut checked = 0;

    for (kind, country) in [
        ("Local", "US"),
        ("TollFree", "US"),
        ("Mobile", "GB"),
        ("Local", "CA"),
    ] {
        let (status, body) = send(
            twilio(
                &c,
                &emulator,
                Method::GET,
                &format!("AvailablePhoneNumbers/{country}/{kind}.json"),
            )
            .query(&[("PageSize", "5")]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            !body["available_phone_numbers"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        let path = format!("{base}/AvailablePhoneNumbers/{{CountryCode}}/{kind}.json");
        assert!(conforms(&doc, &path, "get", status, &body));
        checked += 1;
    }
    let (_, found) = send(
        twilio(
            &c,
            &emulator,
            Method::GET,
            "AvailablePhoneNumbers/US/Local.json",
        )
        .query(&[("AreaCode", "512"), ("PageSize", "3")]),
    )
    .await;
    let list = format!("{base}/IncomingPhoneNumbers.json");
    let one = format!("{base}/IncomingPhoneNumbers/{{Sid}}.json");
    let mut sids = Vec::new();
    for item in found["available_phone_numbers"].as_array().unwrap() {
        let (status, body) = send(
            twilio(&c, &emulator, Method::POST, "IncomingPhoneNumbers.json").form(&[
                ("PhoneNumber", item["phone_number"].as_str().unwrap()),
                ("VoiceUrl", "https://example.com/voice"),
            ]),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert!(conforms(&doc, &list, "post", status, &body));
        sids.push(body["sid"].as_str().unwrap().to_string());
    }
    let (status, page) = send(
        twilio(&c, &emulator, Method::GET, "IncomingPhoneNumbers.json").query(&[("PageSize", "2")]),
    )
    .await;
    assert!(conforms(&doc, &list, "get", status, &page));
    assert!(page["next_page_uri"].is_string());
    let (status, body) = send(twilio(
        &c,
        &emulator,
        Method::GET,
        &format!("IncomingPhoneNumbers/{}.json", sids[0]),
    ))
    .await;
    assert!(conforms(&doc, &one, "get", status, &body));
    let (status, body) = send(
        twilio(
            &c,
            &emulator,
            Method::POST,
            &format!("IncomingPhoneNumbers/{}.json", sids[0]),
        )
        .form(&[("FriendlyName", "Main Line"), ("SmsMethod", "GET")]),
    )
    .await;
    assert_eq!(status, 200);
    assert!(conforms(&doc, &one, "post", status, &body));
    let response = twilio(
        &c,
        &emulator,
        Method::DELETE,
        &format!("IncomingPhoneNumbers/{}.json", sids[0]),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert!(
        doc.operation(&one, "delete").unwrap()["responses"]
            .get("204")
            .is_some()
    );
    checked += 5;
    assert_eq!(checked, 9);
}

#[tokio::test]
async fn strict_signalwire_answers_match_the_openapi_schemas() {
    let doc = Document::yaml(SIGNALWIRE_DOC);
    let emulator = Emulator::builder()
        .mode(Mode::Strict)
        .release_cooldown(Some(std::time::Duration::from_secs(3600)))
        .start()
        .await
        .unwrap();
    let c = client();
    let search = "/api/relay/rest/phone_numbers/search";
    let list = "/api/relay/rest/phone_numbers";
    let one = "/api/relay/rest/phone_numbers/{id}";
    let mut undeclared = Vec::new();

    let (status, found) = send(
        signalwire(&c, &emulator, Method::GET, "/phone_numbers/search")
            .query(&[("areacode", "512"), ("max_results", "3")]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(found["data"].as_array().unwrap().len(), 3);
    assert!(conforms(&doc, search, "get", status, &found));
    let (status, tf) = send(
        signalwire(&c, &emulator, Method::GET, "/phone_numbers/search")
            .query(&[("number_type", "toll-free"), ("contains", "800")]),
    )
    .await;
    assert!(conforms(&doc, search, "get", status, &tf));

    let mut ids = Vec::new();
    for item in found["data"].as_array().unwrap() {
        let number = item["number"].as_str().unwrap();
        let (status, body) = send(
            signalwire(&c, &emulator, Method::POST, "/phone_numbers")
                .json(&serde_json::json!({ "number": number })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(conforms(&doc, list, "post", status, &body));
        ids.push(body["id"].as_str().unwrap().to_string());
        // Buying it again: 422, a ValidationError.
        let (status, body) = send(
            signalwire(&c, &emulator, Method::POST, "/phone_numbers")
                .json(&serde_json::json!({ "number": number })),
        )
        .await;
        assert_eq!(status, 422);
        assert!(conforms(&doc, list, "post", status, &body));
    }
    let (status, page) =
        send(signalwire(&c, &emulator, Method::GET, "/phone_numbers").query(&[("page_size", "2")]))
            .await;
    assert!(conforms(&doc, list, "get", status, &page));
    assert!(page["links"]["next"].is_string());
    let (status, body) = send(signalwire(
        &c,
        &emulator,
        Method::GET,
        &format!("/phone_numbers/{}", ids[0]),
    ))
    .await;
    assert!(conforms(&doc, one, "get", status, &body));
    let (status, body) = send(
        signalwire(
            &c,
            &emulator,
            Method::PUT,
            &format!("/phone_numbers/{}", ids[0]),
        )
        .json(&serde_json::json!({
            "name": "Main Line",
            "call_handler": "laml_webhooks",
            "call_request_url": "https://example.com/voice",
            "message_handler": "laml_webhooks",
            "message_request_url": "https://example.com/sms",
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(conforms(&doc, one, "put", status, &body));
    // The cooldown refusal is a ValidationError too.
    let (status, body) = send(signalwire(
        &c,
        &emulator,
        Method::DELETE,
        &format!("/phone_numbers/{}", ids[0]),
    ))
    .await;
    assert_eq!(status, 422);
    assert!(conforms(&doc, one, "delete", status, &body));
    // 404 and 401 have their own declared bodies.
    let missing = "/phone_numbers/00000000-0000-4000-8000-000000000000";
    let (status, body) = send(signalwire(&c, &emulator, Method::GET, missing)).await;
    assert_eq!(status, 404);
    assert!(conforms(&doc, one, "get", status, &body));
    let (status, body) = send(
        c.get(format!("{}/phone_numbers", emulator.signalwire_base_url()))
            .basic_auth("nobody", Some("wrong")),
    )
    .await;
    assert_eq!(status, 401);
    assert!(conforms(&doc, list, "get", status, &body));
    // 500 from an injected fault.
    emulator
        .set_faults(Faults {
            error_rate: 1.0,
            operations: vec![Operation::List],
            ..Faults::default()
        })
        .unwrap();
    let (status, body) = send(signalwire(&c, &emulator, Method::GET, "/phone_numbers")).await;
    assert_eq!(status, 500);
    assert!(conforms(&doc, list, "get", status, &body));
    // Search errors are not declared by the current document.
    let (status, body) = send(
        signalwire(&c, &emulator, Method::GET, "/phone_numbers/search")
            .query(&[("number_type", "toll-free"), ("region", "TX")]),
    )
    .await;
    assert_eq!(status, 422);
    if !conforms(&doc, search, "get", status, &body) {
        undeclared.push(status);
    }
    assert_eq!(undeclared, vec![422]);
}

#[tokio::test]
async fn live_signalwire_search_items_have_the_legacy_documents_shape() {
    let legacy = Document::yaml(SIGNALWIRE_LEGACY_DOC);
    let emulator = Emulator::builder().start().await.unwrap();
    let (status, body) = send(
        signalwire(&client(), &emulator, Method::GET, "/phone_numbers/search")
            .query(&[("areacode", "604")]),
    )
    .await;
    assert_eq!(status, 200);
    let schema = legacy
        .response_schema("/phone_numbers/search", "get", 200)
        .unwrap();
    assert_eq!(legacy.check(schema, &body), Vec::<String>::new());
    let item = &body["data"][0];
    let declared =
        &legacy.resolve(&schema["properties"]["data"]["items"])["allOf"][0]["properties"];
    for key in item.as_object().unwrap().keys() {
        assert!(
            declared.get(key).is_some(),
            "{key} is not in the legacy shape"
        );
    }
}

#[test]
fn every_accepted_path_and_parameter_is_declared() {
    let twilio_doc = Document::json(TWILIO_DOC);
    let signalwire_doc = Document::yaml(SIGNALWIRE_DOC);
    let surface = accepted_surface(Carriers::Both);
    assert_eq!(surface.len(), 14);
    for op in surface {
        let doc = if op.carrier == "twilio" {
            &twilio_doc
        } else {
            &signalwire_doc
        };
        let operation = doc
            .operation(op.path, op.method)
            .unwrap_or_else(|| panic!("{} {} is not declared", op.method, op.path));
        let path_item = &doc.root["paths"][op.path];
        let mut params = Vec::new();
        for p in operation["parameters"]
            .as_array()
            .into_iter()
            .chain(path_item["parameters"].as_array())
            .flatten()
        {
            let p = doc.resolve(p);
            if p["in"] == "query" {
                params.push(p["name"].as_str().unwrap().to_string());
            }
        }
        for q in &op.query {
            assert!(
                params.contains(&q.to_string()),
                "{} {}: query {q} is not declared",
                op.method,
                op.path
            );
        }
        if !op.body.is_empty() {
            let body = &operation["requestBody"]["content"];
            let schema = body
                .get("application/x-www-form-urlencoded")
                .or_else(|| body.get("application/json"))
                .map(|c| doc.resolve(&c["schema"]))
                .unwrap_or_else(|| panic!("{} {} declares no body", op.method, op.path));
            let declared = schema["properties"].as_object().expect("body properties");
            for field in &op.body {
                assert!(
                    declared.contains_key(*field),
                    "{} {}: body field {field} is not declared",
                    op.method,
                    op.path
                );
            }
        }
    }
}

#[tokio::test]
async fn strict_mode_refuses_undeclared_parameters_and_live_ignores_them() {
    let emulator = Emulator::builder()
        .mode(Mode::Strict)
        .start()
        .await
        .unwrap();
    let c = client();
    let (status, body) = send(
        twilio(
            &c,
            &emulator,
            Method::GET,
            "AvailablePhoneNumbers/US/Local.json",
        )
        .query(&[("AreaCodes", "512")]),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("AreaCodes"));
    let (status, _) = send(
        signalwire(&c, &emulator, Method::GET, "/phone_numbers/search")
            .query(&[("area_code", "512")]),
    )
    .await;
    assert_eq!(status, 400);
    emulator.set_mode(Mode::Live);
    let (status, _) = send(
        twilio(
            &c,
            &emulator,
            Method::GET,
            "AvailablePhoneNumbers/US/Local.json",
        )
        .query(&[("AreaCodes", "512")]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(SID.len(), 34);
}

/// The checker is not vacuous: live answers, which differ from the
/// descriptions on purpose, are caught by it.
#[tokio::test]
async fn live_answers_are_caught_where_they_differ_from_the_descriptions() {
    let twilio_doc = Document::json(TWILIO_DOC);
    let signalwire_doc = Document::yaml(SIGNALWIRE_DOC);
    let emulator = Emulator::builder().start().await.unwrap();
    let c = client();
    let (_, body) = send(twilio(
        &c,
        &emulator,
        Method::GET,
        "AvailablePhoneNumbers/US/Local.json",
    ))
    .await;
    let schema = twilio_doc
        .response_schema(
            "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json",
            "get",
            200,
        )
        .unwrap();
    let errors = twilio_doc.check(schema, &body);
    assert!(errors.iter().any(|e| e.contains(".latitude")), "{errors:?}");
    let (_, body) = send(signalwire(
        &c,
        &emulator,
        Method::GET,
        "/phone_numbers/search",
    ))
    .await;
    let schema = signalwire_doc
        .response_schema("/api/relay/rest/phone_numbers/search", "get", 200)
        .unwrap();
    let errors = signalwire_doc.check(schema, &body);
    assert!(
        errors.iter().any(|e| e.contains("e164 is not declared")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("required property number")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("required property self")),
        "{errors:?}"
    );
}
