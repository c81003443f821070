//! Every request the adapter builds, checked against SignalWire's current
//! OpenAPI description loaded at test time: the path exists, the method is
//! allowed there, every query parameter and JSON body property is defined
//! for that operation (with required ones present and enum values allowed),
//! path ids are UUIDs, and auth is Basic. The fixtures the other tests answer
//! with are checked against the descriptions too, so they cannot drift into
//! shapes only our code has produced.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::*;
use serde_json::{Map, Value, json};
use switchboard_core::{
    CarrierUpdate, DigitPattern, NumberType, PageRequest, PhoneNumber, PurchaseRequest, Routing,
    SearchQuery, TelephonyProvider, WebhookMethod, WebhookUrl,
};
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn description(file: &str) -> Value {
    // The repository's one copy (spec/carriers/signalwire/), also read by
    // the emulator's conformance tests.
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "spec",
        "carriers",
        "signalwire",
        file,
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{file} is not YAML: {e}"))
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            let target = doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
            resolve(doc, target)
        }
        None => value,
    }
}

/// A schema's properties and required names, through `$ref` and `allOf`.
fn object_schema(doc: &Value, schema: &Value) -> (Map<String, Value>, BTreeSet<String>) {
    let schema = resolve(doc, schema);
    let mut properties = Map::new();
    let mut required = BTreeSet::new();
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            let (p, r) = object_schema(doc, part);
            properties.extend(p);
            required.extend(r);
        }
    }
    if let Some(p) = schema.get("properties").and_then(Value::as_object) {
        properties.extend(p.clone());
    }
    if let Some(r) = schema.get("required").and_then(Value::as_array) {
        required.extend(r.iter().filter_map(Value::as_str).map(String::from));
    }
    (properties, required)
}

/// The enum a property allows, if any, through `$ref` and `allOf`.
fn allowed_values(doc: &Value, property: &Value) -> Option<Vec<String>> {
    let property = resolve(doc, property);
    if let Some(values) = property.get("enum").and_then(Value::as_array) {
        return Some(
            values
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
        );
    }
    property
        .get("allOf")
        .and_then(Value::as_array)?
        .iter()
        .find_map(|part| allowed_values(doc, part))
}

/// The description's path template matching a request path: literal
/// segments first, so `/phone_numbers/search` is not taken for `/{id}`.
fn template_for<'a>(doc: &'a Value, request_path: &str) -> Option<(&'a str, Vec<String>)> {
    let segments: Vec<&str> = request_path.split('/').collect();
    let mut candidates: Vec<(&str, Vec<String>, usize)> = Vec::new();
    for template in doc["paths"].as_object()?.keys() {
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut params = Vec::new();
        let mut literal = 0;
        let matched = parts.iter().zip(&segments).all(|(t, s)| {
            if t.starts_with('{') && t.ends_with('}') {
                params.push(s.to_string());
                !s.is_empty()
            } else {
                literal += 1;
                t == s
            }
        });
        if matched {
            candidates.push((template, params, literal));
        }
    }
    candidates.sort_by_key(|c| std::cmp::Reverse(c.2));
    candidates.into_iter().next().map(|(t, p, _)| (t, p))
}

/// Checks one request; returns the operationId it exercised.
fn check_request(doc: &Value, request: &Request) -> String {
    let what = format!("{} {}", request.method, request.url);
    let (template, path_params) = template_for(doc, request.url.path())
        .unwrap_or_else(|| panic!("{what}: no such path in the description"));
    let method = request.method.as_str().to_ascii_lowercase();
    let operation = doc["paths"][template]
        .get(&method)
        .unwrap_or_else(|| panic!("{what}: {method} is not allowed on {template}"));
    let operation_id = operation["operationId"].as_str().unwrap_or("?").to_string();

    let parameters: Vec<&Value> = operation
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| ps.iter().map(|p| resolve(doc, p)).collect())
        .unwrap_or_default();
    let query_names: BTreeSet<&str> = parameters
        .iter()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str())
        .collect();
    for (name, _) in request.url.query_pairs() {
        assert!(
            query_names.contains(name.as_ref()),
            "{what}: query parameter {name:?} is not defined for {operation_id} (defined: {query_names:?})"
        );
    }
    for (param, value) in parameters
        .iter()
        .filter(|p| p["in"] == "path")
        .zip(&path_params)
    {
        let schema = resolve(doc, &param["schema"]);
        if schema["format"] == "uuid" {
            assert!(
                uuid::Uuid::try_parse(value).is_ok(),
                "{what}: path parameter {} must be a UUID, got {value:?}",
                param["name"]
            );
        }
    }

    let authorization = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        authorization.starts_with("Basic "),
        "{what}: the description's security scheme is HTTP Basic"
    );

    match operation.get("requestBody") {
        None => assert!(
            request.body.is_empty(),
            "{what}: sends a body the operation does not take"
        ),
        Some(body) => {
            let schema = &body["content"]["application/json"]["schema"];
            assert!(
                !schema.is_null(),
                "{what}: the description takes no JSON body here"
            );
            let sent: Value = serde_json::from_slice(&request.body)
                .unwrap_or_else(|e| panic!("{what}: body is not JSON: {e}"));
            let sent = sent
                .as_object()
                .unwrap_or_else(|| panic!("{what}: body is not a JSON object"));
            let (properties, required) = object_schema(doc, schema);
            for (name, value) in sent {
                let property = properties.get(name).unwrap_or_else(|| {
                    panic!("{what}: body property {name:?} is not defined for {operation_id}")
                });
                if let Some(allowed) = allowed_values(doc, property) {
                    let value = value.as_str().unwrap_or_default();
                    assert!(
                        allowed.iter().any(|a| a == value),
                        "{what}: {name} = {value:?} is not one of {allowed:?}"
                    );
                }
            }
            for name in &required {
                assert!(sent.contains_key(name), "{what}: required {name:?} missing");
            }
        }
    }
    operation_id
}

async fn exercise_every_operation(server: &MockServer) {
    let next = "/api/relay/rest/phone_numbers?page_number=1&page_size=2&page_token=PA1";
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(200).set_body_json(search_live()))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .and(query_param("page_token", "PA1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(vec![], None)))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(list_page(vec![phone_number_purchased()], Some(next))),
        )
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(NUMBERS))
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_number_purchased()))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/relay/rest/phone_numbers/[0-9a-f-]{36}$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_number_routed()))
        .mount(server)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/api/relay/rest/phone_numbers/[0-9a-f-]{36}$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_number_routed()))
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .and(path_regex(r"^/api/relay/rest/phone_numbers/[0-9a-f-]{36}$"))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;

    let signalwire = provider(server);
    let queries = [
        SearchQuery::default()
            .area_code("555")
            .pattern(DigitPattern::StartsWith("867".into()))
            .limit(100),
        SearchQuery::default().pattern(DigitPattern::Contains("8675".into())),
        SearchQuery::default()
            .number_type(NumberType::TollFree)
            .pattern(DigitPattern::EndsWith("5309".into())),
        SearchQuery::default().region("TX").locality("Austin"),
    ];
    for q in &queries {
        signalwire.search(q).await.unwrap();
    }
    let webhook = |u: &str| WebhookUrl::parse(u).unwrap();
    let routing = Routing {
        voice_url: Some(webhook("https://agent.example.com/voice")),
        voice_method: Some(WebhookMethod::Get),
        sms_url: Some(webhook("https://agent.example.com/sms")),
        sms_method: Some(WebhookMethod::Post),
        status_callback: Some(webhook("https://agent.example.com/status")),
    };
    let number = PhoneNumber::parse_trusted(NUMBER).unwrap();
    signalwire
        .purchase(&PurchaseRequest {
            phone_number: number.clone(),
            friendly_name: Some("Main Office Line".into()),
            routing: routing.clone(),
        })
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    signalwire.find_owned(&number).await.unwrap();
    let first = signalwire.list_owned(&PageRequest::first(2)).await.unwrap();
    let cursor = first.next_cursor.expect("the first page links the next");
    signalwire
        .list_owned(&PageRequest::after(cursor, 2))
        .await
        .unwrap();
    signalwire.get(NUMBER_ID).await.unwrap();
    signalwire
        .update(
            NUMBER_ID,
            &CarrierUpdate {
                friendly_name: Some("Support".into()),
                routing: Some(routing),
            },
        )
        .await
        .unwrap();
    signalwire.release(NUMBER_ID).await.unwrap();
}

#[tokio::test]
async fn every_request_the_adapter_builds_is_one_the_description_defines() {
    let doc = description("rest_phone_numbers.openapi.yaml");
    let server = MockServer::start().await;
    exercise_every_operation(&server).await;
    let requests = server.received_requests().await.expect("recording is on");
    let exercised: BTreeSet<String> = requests.iter().map(|r| check_request(&doc, r)).collect();
    let all: BTreeSet<String> = [
        "search_available_phone_numbers",
        "purchase_phone_number",
        "list_phone_numbers",
        "retrieve_phone_number",
        "update_phone_number",
        "release_phone_number",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(exercised, all);
    // Every search parameter the description lists was sent at least once.
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
    let described: BTreeSet<String> =
        doc["paths"]["/api/relay/rest/phone_numbers/search"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str().map(String::from))
            .collect();
    assert_eq!(sent, described);
}

#[test]
fn a_request_outside_the_description_is_caught() {
    // The checker itself must be able to fail.
    let doc = description("rest_phone_numbers.openapi.yaml");
    assert!(template_for(&doc, "/api/relay/rest/phone_number").is_none());
    let (template, _) = template_for(&doc, "/api/relay/rest/phone_numbers/search").unwrap();
    assert_eq!(template, "/api/relay/rest/phone_numbers/search");
    let put = &doc["paths"]["/api/relay/rest/phone_numbers/{id}"]["put"];
    let (properties, _) = object_schema(
        &doc,
        &put["requestBody"]["content"]["application/json"]["schema"],
    );
    assert!(properties.contains_key("call_request_url"));
    assert!(!properties.contains_key("voice_url"));
    assert!(
        allowed_values(&doc, &properties["call_handler"])
            .unwrap()
            .contains(&"laml_webhooks".to_string())
    );
}

/// Keys of `value` not among `properties`.
fn undefined_keys(value: &Value, properties: &Map<String, Value>) -> Vec<String> {
    value
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !properties.contains_key(*k))
        .cloned()
        .collect()
}

#[test]
fn the_fixtures_use_only_fields_the_descriptions_define() {
    let doc = description("rest_phone_numbers.openapi.yaml");
    let schema = |name: &str| {
        object_schema(
            &doc,
            &json!({"$ref": format!("#/components/schemas/{name}")}),
        )
    };

    let (number, required) = schema("PhoneNumber");
    for fixture in [phone_number_purchased(), phone_number_routed()] {
        assert_eq!(undefined_keys(&fixture, &number), Vec::<String>::new());
        for name in &required {
            assert!(fixture.get(name).is_some(), "fixture lacks required {name}");
        }
    }
    let (available, _) = schema("AvailablePhoneNumber");
    for item in search_described()["data"].as_array().unwrap() {
        assert_eq!(undefined_keys(item, &available), Vec::<String>::new());
    }
    let (capabilities, _) = schema("PhoneNumberCapabilities");
    let item = &search_described()["data"][0];
    assert_eq!(
        undefined_keys(&item["capabilities"], &capabilities),
        Vec::<String>::new()
    );
    let (links, _) = schema("PaginationLinks");
    let page = list_page(vec![], Some("/next"));
    assert_eq!(undefined_keys(&page["links"], &links), Vec::<String>::new());
    let (error, _) = schema("Types.StatusCodes.SpaceApiErrorItem");
    assert_eq!(
        undefined_keys(&validation_error(None)["errors"][0], &error),
        Vec::<String>::new()
    );

    // The live search shape is the legacy description's.
    let legacy = description("rest_phone_numbers.legacy.openapi.yaml");
    let item_schema = &legacy["paths"]["/phone_numbers/search"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"]["properties"]["data"]["items"];
    let (live, _) = object_schema(&legacy, item_schema);
    for item in search_live()["data"].as_array().unwrap() {
        assert_eq!(undefined_keys(item, &live), Vec::<String>::new());
    }
}
