//! Every request the adapter can build, checked against Twilio's OpenAPI
//! document: the path matches a template there, the method is defined for
//! it, path parameters match their patterns, and every query and form
//! parameter is defined for that operation with a value of its declared
//! type, enum or pattern.

mod common;

use std::collections::BTreeSet;

use common::*;
use regex::Regex;
use serde_json::{Value, json};
use switchboard_core::{
    Capabilities, CarrierUpdate, CountryCode, DigitPattern, NumberType, PageRequest, PhoneNumber,
    PurchaseRequest, Routing, SearchQuery, TelephonyProvider, WebhookMethod, WebhookUrl,
};
use switchboard_twilio::TwilioProvider;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Resolves a local `$ref` in the document.
fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            spec().pointer(pointer).unwrap_or(&Value::Null)
        }
        None => schema,
    }
}

/// Why `value` does not fit `schema`, if it does not.
fn check_value(name: &str, value: &str, schema: &Value) -> Result<(), String> {
    let schema = resolve(schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.iter().any(|v| v.as_str() == Some(value))
    {
        return Err(format!("{name}={value:?} is not one of {values:?}"));
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("boolean") if value != "true" && value != "false" => {
            return Err(format!("{name}={value:?} is not a boolean"));
        }
        Some("integer") => {
            let n: i64 = value
                .parse()
                .map_err(|_| format!("{name}={value:?} is not an integer"))?;
            if let Some(min) = schema.get("minimum").and_then(Value::as_i64)
                && n < min
            {
                return Err(format!("{name}={n} is below {min}"));
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_i64)
                && n > max
            {
                return Err(format!("{name}={n} is above {max}"));
            }
        }
        _ => {}
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        let re = Regex::new(pattern).map_err(|e| format!("{name}: bad pattern {e}"))?;
        if !re.is_match(value) {
            return Err(format!("{name}={value:?} does not match {pattern}"));
        }
    }
    for (key, longer) in [("minLength", false), ("maxLength", true)] {
        if let Some(limit) = schema.get(key).and_then(Value::as_u64) {
            let len = value.chars().count() as u64;
            if (longer && len > limit) || (!longer && len < limit) {
                return Err(format!("{name}={value:?} breaks {key} {limit}"));
            }
        }
    }
    if schema.get("format").and_then(Value::as_str) == Some("uri")
        && reqwest::Url::parse(value).is_err()
    {
        return Err(format!("{name}={value:?} is not a URI"));
    }
    if schema.get("format").and_then(Value::as_str) == Some("phone-number")
        && PhoneNumber::parse_trusted(value).is_err()
    {
        return Err(format!("{name}={value:?} is not an E.164 number"));
    }
    Ok(())
}

/// Checks one request against the document; returns the operation
/// (`METHOD template`) it matched.
fn check_request(request: &Request) -> Result<String, String> {
    let paths = spec()["paths"].as_object().ok_or("no paths")?;
    let actual = request.url.path();
    let mut matches = Vec::new();
    for (template, item) in paths {
        let mut names = Vec::new();
        let mut pattern = String::from("^");
        for (i, piece) in template.split(['{', '}']).enumerate() {
            if i % 2 == 1 {
                names.push(piece.to_string());
                pattern.push_str("([^/]+)");
            } else {
                pattern.push_str(&regex::escape(piece));
            }
        }
        pattern.push('$');
        let re = Regex::new(&pattern).map_err(|e| e.to_string())?;
        if let Some(caps) = re.captures(actual) {
            let values: Vec<String> = (1..caps.len()).map(|i| caps[i].to_string()).collect();
            matches.push((template.clone(), item, names, values));
        }
    }
    // A literal template (IncomingPhoneNumbers/Local.json) beats {Sid}.json.
    matches.sort_by_key(|(_, _, names, _)| names.len());
    let (template, item, names, values) = matches
        .into_iter()
        .next()
        .ok_or_else(|| format!("no path template matches {actual}"))?;
    let verb = request.method.as_str().to_ascii_lowercase();
    let operation = item
        .get(&verb)
        .ok_or_else(|| format!("{} is not defined for {template}", request.method))?;
    let parameters = operation["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let parameter = |name: &str, place: &str| {
        parameters
            .iter()
            .find(|p| p["name"] == name && p["in"] == place)
            .cloned()
    };
    for (name, value) in names.iter().zip(&values) {
        let p =
            parameter(name, "path").ok_or_else(|| format!("path parameter {name} undefined"))?;
        check_value(name, value, &p["schema"])?;
    }
    for (name, value) in request.url.query_pairs() {
        let p = parameter(&name, "query").ok_or_else(|| {
            format!("query parameter {name} is not defined for {verb} {template}")
        })?;
        check_value(&name, &value, &p["schema"])?;
    }
    let content_type = header(request, "content-type").unwrap_or("");
    if request.body.is_empty() {
        if verb == "get" || verb == "delete" {
            // Nothing to check.
        } else if operation.get("requestBody").is_none() {
            return Err(format!("{verb} {template} takes no body"));
        }
    } else {
        if content_type != "application/x-www-form-urlencoded" {
            return Err(format!("body sent as {content_type:?}"));
        }
        let schema =
            &operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"];
        let properties = schema["properties"]
            .as_object()
            .ok_or_else(|| format!("{verb} {template} defines no form"))?;
        let form: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&request.body).map_err(|e| e.to_string())?;
        for (name, value) in &form {
            let property = properties.get(name).ok_or_else(|| {
                format!("form parameter {name} is not defined for {verb} {template}")
            })?;
            check_value(name, value, property)?;
        }
        if let Some(required) = schema["required"].as_array() {
            for name in required.iter().filter_map(Value::as_str) {
                if !form.iter().any(|(k, _)| k == name) {
                    return Err(format!("required form parameter {name} missing"));
                }
            }
        }
    }
    let auth = header(request, "authorization").unwrap_or("");
    if !auth.starts_with("Basic ") {
        return Err("no Basic authorization (the document's security scheme)".into());
    }
    Ok(format!("{} {template}", request.method))
}

/// A server answering every operation with Twilio's examples.
async fn twilio_examples() -> MockServer {
    let server = MockServer::start().await;
    let search = "^/2010-04-01/Accounts/AC[0-9a-f]{32}/AvailablePhoneNumbers/[A-Z]{2}/";
    for (kind, template) in [
        ("Local", T_LOCAL),
        ("TollFree", T_TOLL_FREE),
        ("Mobile", T_MOBILE),
    ] {
        let mut body = example(template, "get", "200", "readFull");
        // Make every filter used below match the one example number.
        body["available_phone_numbers"][0]["phone_number"] = json!("+18089251571");
        body["available_phone_numbers"][0]["capabilities"] =
            json!({"voice": true, "sms": true, "mms": true, "fax": true});
        Mock::given(method("GET"))
            .and(path_regex(format!("{search}{kind}\\.json$")))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    let mut first_page = list_example();
    first_page["next_page_uri"] = json!(format!("{INCOMING}?PageSize=1&Page=1&PageToken=PAnext"));
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .and(wiremock::matchers::query_param("PageSize", "1"))
        .and(wiremock::matchers::query_param_is_missing("PageToken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(first_page))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_example()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(201).set_body_json(purchase_example()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(200).set_body_json(update_example()))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

/// Drives every kind of request the adapter makes.
async fn exercise(p: &TwilioProvider) {
    let caps = Capabilities {
        voice: true,
        sms: true,
        mms: true,
        fax: true,
    };
    for number_type in [NumberType::Local, NumberType::TollFree, NumberType::Mobile] {
        for pattern in [
            DigitPattern::Contains("925".into()),
            DigitPattern::StartsWith("808".into()),
            DigitPattern::EndsWith("1571".into()),
        ] {
            let query = SearchQuery::new(CountryCode::US)
                .number_type(number_type)
                .area_code("808")
                .pattern(pattern)
                .region("HI")
                .locality("Hilo")
                .postal_code("96720")
                .capabilities(caps)
                .limit(100);
            p.search(&query).await.unwrap();
        }
        p.search(
            &SearchQuery::new(CountryCode::GB)
                .number_type(number_type)
                .limit(1),
        )
        .await
        .unwrap();
    }
    let hook = |u: &str| Some(WebhookUrl::parse(u).unwrap());
    let routing = Routing {
        voice_url: hook("https://agent.example.com/voice"),
        voice_method: Some(WebhookMethod::Post),
        sms_url: hook("https://agent.example.com/sms"),
        sms_method: Some(WebhookMethod::Get),
        status_callback: hook("https://agent.example.com/status"),
    };
    let number = PhoneNumber::parse("+18089255327").unwrap();
    p.purchase(&PurchaseRequest {
        phone_number: number.clone(),
        friendly_name: Some("Main Line".into()),
        routing: routing.clone(),
    })
    .await
    .unwrap()
    .bought()
    .expect("sold at once");
    p.find_owned(&number).await.unwrap().unwrap();
    let page = p.list_owned(&PageRequest::first(1)).await.unwrap();
    p.list_owned(&PageRequest::after(page.next_cursor.unwrap(), 1))
        .await
        .unwrap();
    p.update(
        PN,
        &CarrierUpdate {
            friendly_name: Some("Support".into()),
            routing: Some(routing),
        },
    )
    .await
    .unwrap();
    p.release(PN).await.unwrap();
}

#[tokio::test]
async fn every_request_the_adapter_builds_is_defined_in_twilios_document() {
    let server = twilio_examples().await;
    let config = config(&server)
        .address_sid("ADaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        .unwrap()
        .bundle_sid("BUaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        .unwrap()
        .emergency_address_sid("ADbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
        .unwrap();
    exercise(&TwilioProvider::new(config).unwrap()).await;

    let mut operations = BTreeSet::new();
    for request in received(&server).await {
        match check_request(&request) {
            Ok(operation) => {
                operations.insert(operation);
            }
            Err(why) => panic!("{} {}: {why}", request.method, request.url),
        }
    }
    let expected: BTreeSet<String> = [
        format!("GET {T_LOCAL}"),
        format!("GET {T_TOLL_FREE}"),
        format!("GET {T_MOBILE}"),
        format!("POST {T_INCOMING}"),
        format!("GET {T_INCOMING}"),
        format!("POST {T_INCOMING_SID}"),
        format!("DELETE {T_INCOMING_SID}"),
    ]
    .into_iter()
    .collect();
    assert_eq!(operations, expected);
}

/// The checker itself can fail: requests that break the document are caught.
#[tokio::test]
async fn the_document_check_rejects_requests_outside_the_document() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let client = reqwest::Client::new();
    let base = server.uri();
    let auth = basic(AC, AUTH_TOKEN);
    let bad = [
        client.get(format!("{base}{}?Contain=12", available("US", "Local"))),
        client.get(format!(
            "{base}{}?VoiceEnabled=yes",
            available("US", "Local")
        )),
        client.get(format!("{base}{}?PageSize=0", INCOMING)),
        client.get(format!(
            "{base}/2010-04-01/Accounts/{AC}/AvailablePhoneNumbers/US/Local"
        )),
        client.put(format!("{base}{INCOMING_PN}")),
        client.delete(format!(
            "{base}/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/+18089255327.json"
        )),
        client
            .post(format!("{base}{INCOMING}"))
            .form(&[("Phone", "+18089255327")]),
        client
            .post(format!("{base}{INCOMING}"))
            .form(&[("VoiceMethod", "PUT")]),
        client
            .post(format!("{base}{INCOMING}"))
            .json(&json!({"PhoneNumber": "+18089255327"})),
    ];
    let count = bad.len();
    for request in bad {
        request.header("authorization", &auth).send().await.unwrap();
    }
    let no_auth = client
        .get(format!("{base}{INCOMING}"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status(), 200);
    let requests = received(&server).await;
    assert_eq!(requests.len(), count + 1);
    for request in &requests {
        assert!(
            check_request(request).is_err(),
            "accepted {} {}",
            request.method,
            request.url
        );
    }
}
