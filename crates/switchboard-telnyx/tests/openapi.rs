//! Every request the adapter builds, checked against Telnyx's OpenAPI
//! description loaded at test time: the path exists, the method is allowed
//! there, every query parameter is declared for that operation with a value
//! of its type (enums, integers in range), path ids have their declared
//! format, every JSON body property is defined and writable (never
//! `readOnly`), and auth is the Bearer scheme. The fixtures the other tests
//! answer with are checked against the description too, so they cannot
//! drift into shapes only our code has produced.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::*;
use serde_json::{Map, Value, json};
use switchboard_core::{
    CarrierUpdate, DigitPattern, NumberType, PageRequest, PhoneNumber, PurchaseRequest, Routing,
    SearchQuery, TelephonyProvider, WebhookUrl,
};
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn description() -> Value {
    // The repository's one copy, also read by the emulator's tests.
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "spec",
        "carriers",
        "telnyx",
        "numbers.openapi.json",
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON: {e}"))
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let target = doc
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
            resolve(doc, target)
        }
        None => value,
    }
}

/// A schema's properties, through `$ref` and `allOf` (later parts win).
fn properties(doc: &Value, schema: &Value) -> Map<String, Value> {
    let schema = resolve(doc, schema);
    let mut found = Map::new();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        found.extend(properties(doc, part));
    }
    if let Some(p) = schema.get("properties").and_then(Value::as_object) {
        found.extend(p.clone());
    }
    found
}

fn schema(doc: &Value, name: &str) -> Map<String, Value> {
    properties(
        doc,
        &json!({"$ref": format!("#/components/schemas/{name}")}),
    )
}

/// The description's path template for a request path under the root.
fn template_for<'a>(doc: &'a Value, request_path: &str) -> Option<(&'a str, Vec<String>)> {
    let under = request_path.strip_prefix(ROOT)?;
    let segments: Vec<&str> = under.split('/').collect();
    let mut best: Option<(&str, Vec<String>, usize)> = None;
    for template in doc["paths"].as_object()?.keys() {
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut params = Vec::new();
        let mut literal = 0;
        let matched = parts.iter().zip(&segments).all(|(t, s)| {
            if t.starts_with('{') {
                params.push(s.to_string());
                !s.is_empty()
            } else {
                literal += 1;
                t == s
            }
        });
        if matched && best.as_ref().is_none_or(|b| literal > b.2) {
            best = Some((template, params, literal));
        }
    }
    best.map(|(t, p, _)| (t, p))
}

/// Checks a value against a scalar parameter schema (enum, integer range;
/// an array's enum item by item, comma-separated).
fn check_value(doc: &Value, what: &str, name: &str, schema: &Value, value: &str) {
    let schema = resolve(doc, schema);
    let (items, values): (&Value, Vec<&str>) = if schema["type"] == "array" {
        (resolve(doc, &schema["items"]), value.split(',').collect())
    } else {
        (schema, vec![value])
    };
    for v in values {
        if let Some(allowed) = items.get("enum").and_then(Value::as_array) {
            assert!(
                allowed.iter().any(|a| a == v),
                "{what}: {name} = {v:?} is not one of {allowed:?}"
            );
        }
        match items["type"].as_str() {
            Some("integer") => {
                let n: i64 = v
                    .parse()
                    .unwrap_or_else(|_| panic!("{what}: {name} = {v:?} is not an integer"));
                if let Some(min) = items["minimum"].as_i64() {
                    assert!(n >= min, "{what}: {name} = {n} below {min}");
                }
                if let Some(max) = items["maximum"].as_i64() {
                    assert!(n <= max, "{what}: {name} = {n} above {max}");
                }
            }
            Some("boolean") => assert!(v == "true" || v == "false", "{what}: {name} = {v:?}"),
            _ => {}
        }
    }
}

/// Checks the properties of a JSON body object against a schema: defined
/// and writable, and one level into arrays of objects.
fn check_body(doc: &Value, what: &str, schema: &Value, sent: &Map<String, Value>) {
    let defined = properties(doc, schema);
    for (name, value) in sent {
        let property = defined
            .get(name)
            .unwrap_or_else(|| panic!("{what}: body property {name:?} is not defined"));
        let property = resolve(doc, property);
        assert!(
            property["readOnly"] != true,
            "{what}: body property {name:?} is readOnly"
        );
        if let (Some(items), Some(list)) = (property.get("items"), value.as_array()) {
            for item in list.iter().filter_map(Value::as_object) {
                check_body(doc, &format!("{what} {name}[]"), items, item);
            }
        }
    }
}

/// Checks one request; returns the operationId it exercised.
fn check_request(doc: &Value, request: &Request) -> String {
    let what = format!("{} {}", request.method, request.url);
    let (template, path_params) = template_for(doc, request.url.path())
        .unwrap_or_else(|| panic!("{what}: no such path in the description"));
    let verb = request.method.as_str().to_ascii_lowercase();
    let operation = doc["paths"][template]
        .get(&verb)
        .unwrap_or_else(|| panic!("{what}: {verb} is not allowed on {template}"));
    let operation_id = operation["operationId"].as_str().unwrap_or("?").to_string();
    let parameters: Vec<&Value> = operation
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| ps.iter().map(|p| resolve(doc, p)).collect())
        .unwrap_or_default();
    for (name, value) in request.url.query_pairs() {
        let declared = parameters
            .iter()
            .find(|p| p["in"] == "query" && p["name"] == name.as_ref())
            .unwrap_or_else(|| {
                panic!("{what}: query parameter {name:?} is not declared for {operation_id}")
            });
        check_value(doc, &what, &name, &declared["schema"], &value);
    }
    let in_path: Vec<&&Value> = parameters.iter().filter(|p| p["in"] == "path").collect();
    assert_eq!(in_path.len(), path_params.len(), "{what}: path parameters");
    for (param, value) in in_path.iter().zip(&path_params) {
        let schema = resolve(doc, &param["schema"]);
        if schema["format"] == "int64" {
            assert!(
                value.parse::<i64>().is_ok(),
                "{what}: {} must be an int64, got {value:?}",
                param["name"]
            );
        }
    }
    let security = operation.get("security").unwrap_or(&doc["security"]);
    let scheme = security[0]
        .as_object()
        .and_then(|s| s.keys().next())
        .unwrap();
    assert_eq!(
        doc["components"]["securitySchemes"][scheme]["scheme"],
        "bearer"
    );
    let authorization = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(authorization.starts_with("Bearer "), "{what}: not Bearer");
    match operation.get("requestBody") {
        None => assert!(
            request.body.is_empty(),
            "{what}: a body the operation does not take"
        ),
        Some(body) => {
            let body = resolve(doc, body);
            let schema = &body["content"]["application/json"]["schema"];
            assert!(!schema.is_null(), "{what}: no JSON body is described here");
            let sent: Value = serde_json::from_slice(&request.body)
                .unwrap_or_else(|e| panic!("{what}: body is not JSON: {e}"));
            let sent = sent
                .as_object()
                .unwrap_or_else(|| panic!("{what}: not an object"));
            check_body(doc, &what, schema, sent);
        }
    }
    operation_id
}

async fn exercise_every_operation(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(200).set_body_json(search_answer(&[NUMBER])))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS))
        .respond_with(ResponseTemplate::new(200).set_body_json(order("success", NUMBER)))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v2/number_orders/[0-9a-f-]{36}$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(order("pending", NUMBER)))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .and(query_param("page[number]", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(vec![], 2, 2)))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(
            vec![owned(NUMBER_ID, NUMBER)],
            1,
            2,
        )))
        .mount(server)
        .await;
    let mut deleted = owned(NUMBER_ID, NUMBER);
    deleted["status"] = json!("deleted");
    Mock::given(method("DELETE"))
        .and(path_regex(r"^/v2/phone_numbers/[0-9]+$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(owned_answer(deleted)))
        .mount(server)
        .await;
    for verb in ["GET", "PATCH"] {
        Mock::given(method(verb))
            .and(path_regex(r"^/v2/phone_numbers/[0-9]+$"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(owned_answer(owned(NUMBER_ID, NUMBER))),
            )
            .mount(server)
            .await;
    }
    Mock::given(method("PATCH"))
        .and(path_regex(r"^/v2/phone_numbers/[0-9]+/messaging$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": NUMBER_ID}})))
        .mount(server)
        .await;

    let telnyx = provider(server);
    let caps = switchboard_core::Capabilities {
        voice: true,
        sms: true,
        mms: true,
        fax: true,
    };
    let queries = [
        SearchQuery::default()
            .area_code("970")
            .pattern(DigitPattern::StartsWith("9705".into()))
            .capabilities(caps)
            .limit(100),
        SearchQuery::default()
            .area_code("970")
            .pattern(DigitPattern::Contains("5098".into())),
        SearchQuery::default()
            .number_type(NumberType::TollFree)
            .pattern(DigitPattern::EndsWith("5098".into())),
        SearchQuery::default()
            .number_type(NumberType::Mobile)
            .region("CO")
            .locality("Loveland"),
    ];
    for q in &queries {
        telnyx.search(q).await.unwrap();
    }
    let webhook = |u: &str| Some(WebhookUrl::parse(u).unwrap());
    let routing = Routing {
        voice_url: webhook(VOICE_URL),
        sms_url: webhook(SMS_URL),
        ..Routing::default()
    };
    let number = PhoneNumber::parse_trusted(NUMBER).unwrap();
    telnyx
        .purchase(&PurchaseRequest {
            phone_number: number.clone(),
            friendly_name: Some("Main line".into()),
            routing: routing.clone(),
        })
        .await
        .unwrap();
    telnyx.order_status(ORDER_ID).await.unwrap();
    telnyx.find_owned(&number).await.unwrap();
    let first = telnyx.list_owned(&PageRequest::first(2)).await.unwrap();
    let cursor = first.next_cursor.expect("page 1 of 2 links the next");
    telnyx
        .list_owned(&PageRequest::after(cursor, 2))
        .await
        .unwrap();
    telnyx.get(NUMBER_ID).await.unwrap();
    telnyx
        .update(
            NUMBER_ID,
            &CarrierUpdate {
                friendly_name: Some("Support".into()),
                routing: Some(routing),
            },
        )
        .await
        .unwrap();
    telnyx.release(NUMBER_ID).await.unwrap();
}

#[tokio::test]
async fn every_request_the_adapter_builds_is_one_the_description_defines() {
    let doc = description();
    let server = MockServer::start().await;
    exercise_every_operation(&server).await;
    let requests = server.received_requests().await.expect("recording is on");
    let exercised: BTreeSet<String> = requests.iter().map(|r| check_request(&doc, r)).collect();
    let all: BTreeSet<String> = [
        "listAvailablePhoneNumbers",
        "createNumberOrder",
        "retrieveNumberOrder",
        "listPhoneNumbers",
        "retrievePhoneNumber",
        "updatePhoneNumber",
        "updatePhoneNumberWithMessagingSettings",
        "deletePhoneNumber",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(exercised, all);
    // Every search filter a core query can express was sent; the five left
    // are Telnyx's own refinements, which no core query asks for.
    let sent: BTreeSet<String> = requests
        .iter()
        .filter(|r| r.url.path() == SEARCH)
        .flat_map(|r| {
            r.url
                .query_pairs()
                .map(|(k, _)| k.into_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let described: BTreeSet<String> = doc["paths"]["/available_phone_numbers"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str().map(String::from))
        .collect();
    let unsent: Vec<&str> = described.difference(&sent).map(String::as_str).collect();
    assert_eq!(
        unsent,
        [
            "filter[best_effort]",
            "filter[exclude_held_numbers]",
            "filter[quickship]",
            "filter[rate_center]",
            "filter[reservable]",
        ]
    );
}

#[test]
fn a_request_outside_the_description_is_caught() {
    // The checker itself must be able to fail.
    let doc = description();
    assert!(template_for(&doc, "/v2/phone_number").is_none());
    assert!(template_for(&doc, "/phone_numbers").is_none());
    let (template, params) = template_for(&doc, "/v2/phone_numbers/12/messaging").unwrap();
    assert_eq!(
        (template, params),
        ("/phone_numbers/{id}/messaging", vec!["12".to_string()])
    );
    let order = &doc["paths"]["/number_orders"]["post"]["requestBody"];
    let schema = &resolve(&doc, order)["content"]["application/json"]["schema"];
    let readonly = json!({"status": "pending"});
    let caught = std::panic::catch_unwind(|| {
        check_body(&doc, "test", schema, readonly.as_object().unwrap())
    });
    assert!(caught.is_err(), "a readOnly property went unnoticed");
    let caught = std::panic::catch_unwind(|| {
        check_value(
            &doc,
            "test",
            "filter[features]",
            &json!({"type": "array", "items": {"type": "string", "enum": ["sms", "voice"]}}),
            "voice,telex",
        )
    });
    assert!(
        caught.is_err(),
        "an enum value outside the list went unnoticed"
    );
}

/// Keys of `value` not among `properties`.
fn undefined(value: &Value, properties: &Map<String, Value>) -> Vec<String> {
    value
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !properties.contains_key(*k))
        .cloned()
        .collect()
}

#[test]
fn the_fixtures_use_only_fields_the_description_defines() {
    let doc = description();
    let none = Vec::<String>::new();
    let item = available(NUMBER);
    assert_eq!(
        undefined(&item, &schema(&doc, "AvailablePhoneNumber")),
        none
    );
    assert_eq!(
        undefined(&item["features"][0], &schema(&doc, "Feature")),
        none
    );
    assert_eq!(
        undefined(
            &item["region_information"][0],
            &schema(&doc, "RegionInformation")
        ),
        none
    );
    assert_eq!(
        undefined(
            &search_answer(&[])["meta"],
            &schema(&doc, "AvailablePhoneNumbersMetadata")
        ),
        none
    );
    // The live search shape adds exactly what docs/carriers/telnyx.md says.
    assert_eq!(
        undefined(
            &available_live(NUMBER),
            &schema(&doc, "AvailablePhoneNumber")
        ),
        ["phone_number_type"]
    );
    assert_eq!(
        undefined(
            &owned(NUMBER_ID, NUMBER),
            &schema(&doc, "PhoneNumberDetailed")
        ),
        none
    );
    assert_eq!(
        undefined(
            &list_page(vec![], 1, 1)["meta"],
            &schema(&doc, "PaginationMeta")
        ),
        none
    );
    for answer in [order("pending", NUMBER), order_needing_documents(NUMBER)] {
        let data = &answer["data"];
        assert_eq!(
            undefined(data, &schema(&doc, "NumberOrderWithPhoneNumbers")),
            none
        );
        let ordered = &data["phone_numbers"][0];
        assert_eq!(undefined(ordered, &schema(&doc, "PhoneNumber")), none);
        for requirement in ordered["regulatory_requirements"].as_array().unwrap() {
            assert_eq!(
                undefined(
                    requirement,
                    &schema(&doc, "PhoneNumberRegulatoryRequirement")
                ),
                none
            );
        }
    }
    let e = error("10015", "Bad Request", "x", Some("/phone_numbers"));
    assert_eq!(undefined(&e["errors"][0], &schema(&doc, "Error")), none);
    assert_eq!(
        undefined(&too_many_requests()["errors"][0], &schema(&doc, "Error")),
        none
    );
}
