//! Bad input at volume: a deterministic stream of a few thousand malformed
//! and hostile requests against `switchboard serve` (Twilio through the
//! carrier emulator): wrong types and injection strings in every field of
//! every route the OpenAPI document lists, broken bodies, odd paths, wrong
//! methods and content types, forged and revoked tokens. No answer is a 5xx,
//! no account's numbers change (nor the carrier's), and no secret appears in
//! any answer or in the server's log.

#![cfg(all(
    feature = "cli",
    feature = "server",
    feature = "twilio",
    feature = "emulator",
    feature = "sqlite",
    feature = "fake"
))]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Server, TempDir, create_token, owned_at_carrier, run_ok};
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};
use switchboard_emulator::{DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, Emulator};
use tokio::sync::Semaphore;

const SEED: u64 = 0xBAD_1A7E;
/// Requests in all: the systematic cases first, random ones to fill up.
const REQUESTS: usize = 4_000;
const CONCURRENCY: usize = 16;
const DATABASE_PASSWORD: &str = "hostile-db-password-51c9";
/// The server's default request body limit.
const BODY_LIMIT: usize = 64 * 1024;

/// splitmix64: a small deterministic generator, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Strings an attacker or a broken client sends.
fn hostile_strings() -> Vec<String> {
    let mut strings: Vec<String> = [
        "' OR '1'='1",
        "'; DROP TABLE numbers; --",
        "\"; DELETE FROM api_tokens; --",
        "1; UPDATE numbers SET account='x'",
        "$(touch /tmp/pwned)",
        "`reboot`",
        "; cat /etc/passwd",
        "| nc 127.0.0.1 9",
        "../../../../etc/passwd",
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "..\\..\\windows\\win.ini",
        "{\"phone_number\":\"+16045551234\"}",
        "[1,2,3]",
        "null",
        "true",
        "",
        " ",
        "\u{0000}",
        "a\u{0000}b",
        "\u{0007}\u{001b}[31mred\u{001b}[0m",
        "\r\nX-Injected: yes",
        "\u{202e}gnp.exe",
        "\u{feff}+16045551234",
        "e\u{0301}\u{0301}\u{0301}",
        "\u{fffd}\u{fffe}",
        "%00",
        "%s%s%s%n",
        "${jndi:ldap://127.0.0.1/a}",
        "{{7*7}}",
        "<script>alert(1)</script>",
        "NaN",
        "-1",
        "1e309",
        "+16045551234' --",
        "+1604555123\u{0664}",
        "+0000000000",
        "+99999999999999999999999",
        "550e8400-e29b-41d4-a716-44665544000G",
        "00000000-0000-0000-0000-000000000000",
        "http://127.0.0.1:1/\u{0000}",
        "javascript:alert(1)",
        "file:///etc/passwd",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    strings.push("A".repeat(100_000));
    strings.push("\u{1d54f}".repeat(2_000));
    strings.push("%".repeat(5_000));
    strings
}

/// Values of every JSON type, for "wrong type in this field".
fn hostile_values() -> Vec<Value> {
    let mut values: Vec<Value> = hostile_strings().into_iter().map(Value::String).collect();
    values.extend([
        json!(0),
        json!(-1),
        json!(1.5),
        json!(1e308),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(true),
        json!(false),
        Value::Null,
        json!([]),
        json!(["+16045551234"]),
        json!({}),
        json!({"$ne": null}),
        json!({"__proto__": {"admin": true}}),
    ]);
    values
}

/// Raw bodies no JSON parser should choke on.
fn hostile_bodies() -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = vec![
        b"{\"phone_number\":\"\xff\xfe\"}".to_vec(),
        b"\xc3\x28\xa0\xa1".to_vec(),
        b"{\"phone_number\":".to_vec(),
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"+16045551234\"".to_vec(),
        b"{\"friendly_name\":\"\\ud800\"}".to_vec(),
        b"{\"phone_number\":\"+1\",\"phone_number\":\"+2\"}".to_vec(),
        b"\xef\xbb\xbf{}".to_vec(),
        b"{\"a\":1}\x00".to_vec(),
        b"{} {}".to_vec(),
        b"{'phone_number': '+16045551234'}".to_vec(),
        b"phone_number=%2B16045551234".to_vec(),
    ];
    bodies.push(vec![b'['; 100_000]);
    bodies.push(format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000)).into_bytes());
    let mut many_keys = String::from("{");
    for i in 0..5_000 {
        many_keys.push_str(&format!("\"k{i}\":{i},"));
    }
    many_keys.push_str("\"end\":0}");
    bodies.push(many_keys.into_bytes());
    let mut huge = vec![b' '; 2 * 1024 * 1024];
    huge.extend_from_slice(b"{}");
    bodies.push(huge);
    bodies
}

/// One request as generated; sent later.
#[derive(Clone, Debug)]
struct Probe {
    label: String,
    method: Method,
    path: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Vec<u8>>,
}

/// A route of the OpenAPI document and the fields it reads.
#[derive(Debug, Clone)]
struct Route {
    method: Method,
    path: String,
    query: Vec<String>,
    body: Vec<String>,
}

fn routes_from_openapi(doc: &Value) -> Vec<Route> {
    let resolve = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(reference) => {
                let name = reference.rsplit('/').next().unwrap_or_default();
                doc["components"]["schemas"][name].clone()
            }
            None => schema.clone(),
        }
    };
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let query = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(String::from))
                .collect();
            let schema =
                resolve(&operation["requestBody"]["content"]["application/json"]["schema"]);
            let body = schema["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            routes.push(Route {
                method,
                path: path.clone(),
                query,
                body,
            });
        }
    }
    routes
}

/// A well-formed value for a field, aimed at the victim's records so that
/// even a request that passes validation can change nothing: the attacker's
/// account cannot see them, and their phone numbers are taken.
fn aimed_value(field: &str, victim: &Victim) -> Value {
    match field {
        "phone_number" => json!(victim.phone_numbers[0]),
        "id" => json!(victim.ids[0]),
        "agent_id" => json!("550e8400-e29b-41d4-a716-446655440000"),
        "friendly_name" => json!("Hostile"),
        "limit" => json!(5),
        _ => Value::Null,
    }
}

struct Victim {
    phone_numbers: Vec<String>,
    ids: Vec<String>,
}

fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn json_headers(auth: &str) -> Vec<(HeaderName, HeaderValue)> {
    vec![
        (
            reqwest::header::AUTHORIZATION,
            HeaderValue::from_str(auth).expect("auth header"),
        ),
        (
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
    ]
}

/// Every systematic case, then random combinations up to `REQUESTS`.
fn generate(routes: &[Route], victim: &Victim, auths: &[String], attacker: &str) -> Vec<Probe> {
    let mut rng = Rng(SEED);
    let values = hostile_values();
    // The HTTP client refuses URLs over 64 KiB: long query values stop at 8 KiB.
    let strings: Vec<String> = hostile_strings()
        .into_iter()
        .map(|s| s.chars().take(8 * 1024).collect())
        .collect();
    let bodies = hostile_bodies();
    let me = format!("Bearer {attacker}");
    let mut probes = Vec::new();

    // Wrong type or hostile value in every body field of every route.
    for route in routes.iter().filter(|r| !r.body.is_empty()) {
        for field in &route.body {
            for value in &values {
                let mut body = serde_json::Map::new();
                for other in &route.body {
                    let v = if other == field {
                        value.clone()
                    } else {
                        aimed_value(other, victim)
                    };
                    if !v.is_null() || other == field {
                        body.insert(other.clone(), v);
                    }
                }
                probes.push(Probe {
                    label: format!("{} {} body.{field}", route.method, route.path),
                    method: route.method.clone(),
                    path: route.path.clone(),
                    headers: json_headers(&me),
                    body: Some(serde_json::to_vec(&Value::Object(body)).expect("JSON")),
                });
            }
        }
        // Unknown fields too.
        probes.push(Probe {
            label: format!("{} {} unknown field", route.method, route.path),
            method: route.method.clone(),
            path: route.path.clone(),
            headers: json_headers(&me),
            body: Some(br#"{"account":"victim","state":"released","is_admin":true}"#.to_vec()),
        });
    }
    // Hostile value in every query parameter.
    for route in routes.iter().filter(|r| !r.query.is_empty()) {
        for name in &route.query {
            for value in &strings {
                probes.push(Probe {
                    label: format!("{} {} query.{name}", route.method, route.path),
                    method: route.method.clone(),
                    path: format!("{}?{name}={}", route.path, encode(value)),
                    headers: json_headers(&me),
                    body: None,
                });
            }
            for raw in ["%ZZ", "%FF%FE", "%", "a&&&=", "x%00y"] {
                probes.push(Probe {
                    label: format!("{} {} raw query.{name}", route.method, route.path),
                    method: route.method.clone(),
                    path: format!("{}?{name}={raw}&{name}=again", route.path),
                    headers: json_headers(&me),
                    body: None,
                });
            }
        }
    }
    // Broken bodies on every route that reads one.
    for route in routes.iter().filter(|r| r.method == Method::POST) {
        for body in &bodies {
            probes.push(Probe {
                label: format!("{} {} raw body", route.method, route.path),
                method: route.method.clone(),
                path: route.path.clone(),
                headers: json_headers(&me),
                body: Some(body.clone()),
            });
        }
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=utf-16",
            "application/xml",
            "",
        ] {
            let mut headers = vec![(
                reqwest::header::AUTHORIZATION,
                HeaderValue::from_str(&me).expect("auth"),
            )];
            if !content_type.is_empty() {
                headers.push((
                    reqwest::header::CONTENT_TYPE,
                    HeaderValue::from_str(content_type).expect("content type"),
                ));
            }
            probes.push(Probe {
                label: format!(
                    "{} {} content type {content_type:?}",
                    route.method, route.path
                ),
                method: route.method.clone(),
                path: route.path.clone(),
                headers,
                body: Some(
                    format!(r#"{{"phone_number":"{}"}}"#, victim.phone_numbers[0]).into_bytes(),
                ),
            });
        }
    }
    // Forged, revoked and malformed credentials on every route, aimed at
    // the victim's numbers.
    for route in routes {
        let mut body = serde_json::Map::new();
        for field in &route.body {
            let v = aimed_value(field, victim);
            if !v.is_null() {
                body.insert(field.clone(), v);
            }
        }
        for auth in auths {
            let mut headers = vec![(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )];
            if !auth.is_empty()
                && let Ok(value) = HeaderValue::from_bytes(auth.as_bytes())
            {
                headers.push((reqwest::header::AUTHORIZATION, value));
            }
            let path = if route.method == Method::GET && !route.query.is_empty() {
                format!("{}?id={}", route.path, victim.ids[0])
            } else {
                route.path.clone()
            };
            probes.push(Probe {
                label: format!("{} {} credentials", route.method, route.path),
                method: route.method.clone(),
                path,
                headers,
                body: (route.method != Method::GET)
                    .then(|| serde_json::to_vec(&Value::Object(body.clone())).expect("JSON")),
            });
        }
        // Wrong methods.
        for method in [
            "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "HEAD", "GET", "POST",
        ] {
            let method = method.parse::<Method>().expect("method");
            if routes
                .iter()
                .any(|r| r.path == route.path && r.method == method)
            {
                continue;
            }
            probes.push(Probe {
                label: format!("{method} {} wrong method", route.path),
                method,
                path: route.path.clone(),
                headers: json_headers(&me),
                body: Some(b"{}".to_vec()),
            });
        }
    }
    // Odd paths.
    for path in [
        "/functions/v1/../v1/list-phone-numbers",
        "/functions/v1/%2e%2e/%2e%2e/etc/passwd",
        "/functions/v1/..%2f..%2fopenapi.json",
        "/FUNCTIONS/V1/list-phone-numbers",
        "/functions/v1/list-phone-numbers;drop",
        "/functions/v1/list-phone-numbers%00",
        "/functions/v1/list-phone-numbers/",
        "//functions//v1//list-phone-numbers",
        "/functions/v1/provision-phone-number/../release-phone-number",
        "/functions/v2/provision-phone-number",
        "/.env",
        "/%ff%fe",
        "/__emulator/faults",
    ] {
        for method in [Method::GET, Method::POST] {
            probes.push(Probe {
                label: format!("{method} odd path {path}"),
                method,
                path: path.to_string(),
                headers: json_headers(&me),
                body: Some(b"{}".to_vec()),
            });
        }
    }
    probes.push(Probe {
        label: "a very long path".into(),
        method: Method::GET,
        path: format!("/functions/v1/{}", "a".repeat(20_000)),
        headers: json_headers(&me),
        body: None,
    });
    probes.push(Probe {
        label: "a 16 MiB body".into(),
        method: Method::POST,
        path: "/functions/v1/provision-phone-number".into(),
        headers: json_headers(&me),
        body: Some(vec![b'{'; 16 * 1024 * 1024]),
    });
    // Hostile Idempotency-Key headers, some not even UTF-8.
    for value in strings.iter().take(30) {
        if let Ok(header) = HeaderValue::from_str(value) {
            let mut headers = json_headers(&me);
            headers.push((HeaderName::from_static("idempotency-key"), header));
            probes.push(Probe {
                label: "Idempotency-Key header".into(),
                method: Method::POST,
                path: "/functions/v1/provision-phone-number".into(),
                headers,
                body: Some(
                    format!(r#"{{"phone_number":"{}"}}"#, victim.phone_numbers[1]).into_bytes(),
                ),
            });
        }
    }
    let mut headers = json_headers(&me);
    headers.push((
        HeaderName::from_static("idempotency-key"),
        HeaderValue::from_bytes(b"\xff\xfe\x80").expect("obs-text"),
    ));
    probes.push(Probe {
        label: "non-UTF-8 Idempotency-Key".into(),
        method: Method::POST,
        path: "/functions/v1/provision-phone-number".into(),
        headers,
        body: Some(b"{}".to_vec()),
    });

    // Random combinations to fill the stream: a route, a hostile value in
    // one field, and sometimes bad credentials or a broken body instead.
    while probes.len() < REQUESTS {
        let route = rng.pick(routes).clone();
        let auth = if rng.below(4) == 0 {
            rng.pick(auths).clone()
        } else {
            me.clone()
        };
        let mut headers = vec![(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )];
        if let Ok(value) = HeaderValue::from_bytes(auth.as_bytes())
            && !auth.is_empty()
        {
            headers.push((reqwest::header::AUTHORIZATION, value));
        }
        let (path, body) = if route.body.is_empty() {
            let name = route
                .query
                .get(rng.below(route.query.len().max(1)))
                .cloned()
                .unwrap_or_else(|| "x".into());
            let value = rng.pick(&strings);
            (format!("{}?{name}={}", route.path, encode(value)), None)
        } else if rng.below(5) == 0 {
            (route.path.clone(), Some(rng.pick(&bodies).clone()))
        } else {
            let mut body = serde_json::Map::new();
            for field in &route.body {
                let v = if rng.below(2) == 0 {
                    rng.pick(&values).clone()
                } else {
                    aimed_value(field, victim)
                };
                body.insert(field.clone(), v);
            }
            (
                route.path.clone(),
                Some(serde_json::to_vec(&Value::Object(body)).expect("JSON")),
            )
        };
        probes.push(Probe {
            label: format!("{} {} random", route.method, route.path),
            method: route.method,
            path,
            headers,
            body,
        });
    }
    probes
}

/// The victim's numbers as its own listing shows them, and the carrier's.
async fn snapshot(
    client: &reqwest::Client,
    server: &Server,
    tokens: &[&str],
    emulator: &switchboard_emulator::RunningEmulator,
) -> (Vec<Value>, BTreeMap<String, String>) {
    let mut listings = Vec::new();
    for token in tokens {
        let listing: Value = client
            .get(server.url("/functions/v1/list-phone-numbers?limit=100"))
            .bearer_auth(token)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("list JSON");
        listings.push(listing);
    }
    (listings, owned_at_carrier(emulator, "twilio"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_clear_errors_and_change_nothing() {
    let started = Instant::now();
    let emulator = Emulator::builder()
        .inventory(0x4057, 1_000)
        .start()
        .await
        .expect("start the emulator");
    let dir = TempDir::new("hostile");
    // PostgreSQL when the test database is there (so its password can be
    // looked for in the answers and the log), else a SQLite file.
    let database_url = match std::env::var(common::DATABASE_URL_VAR)
        .ok()
        .filter(|u| u.starts_with("postgres://postgres@"))
    {
        Some(url) => {
            let schema = common::unique_schema("hostile");
            switchboard_sql::SqlRepository::connect_with(
                switchboard_sql::SqlOptions::new(&url).schema(&schema),
            )
            .await
            .expect("connect to PostgreSQL");
            common::with_search_path(
                &url.replacen(
                    "postgres://postgres@",
                    &format!("postgres://postgres:{DATABASE_PASSWORD}@"),
                    1,
                ),
                &schema,
            )
        }
        None => {
            eprintln!("hostile input: SWITCHBOARD_TEST_DATABASE_URL unset, using a SQLite file");
            format!("sqlite://{}", dir.path().join("numbers.db").display())
        }
    };
    let config = dir.path().join("switchboard.toml");
    std::fs::write(
        &config,
        format!(
            "default_provider = \"twilio\"\n\
             database_url = \"{database_url}\"\n\
             [providers.twilio]\n\
             account_sid = \"{DEFAULT_TWILIO_ACCOUNT_SID}\"\n\
             auth_token = \"{DEFAULT_TWILIO_AUTH_TOKEN}\"\n\
             base_url = \"{}\"\n",
            emulator.base_url()
        ),
    )
    .expect("write config");
    let victim_token = create_token(dir.path(), &config, "victim");
    let attacker_token = create_token(dir.path(), &config, "attacker");
    // A token of the victim's, revoked: it must open nothing.
    let revoked = run_ok(
        dir.path(),
        &config,
        &["token", "create", "--account", "victim", "--json"],
    );
    let revoked: Value = serde_json::from_slice(&revoked.stdout).expect("token JSON");
    let revoked_token = revoked["token"].as_str().expect("token").to_string();
    run_ok(
        dir.path(),
        &config,
        &["token", "revoke", revoked["id"].as_str().expect("id")],
    );

    let mut server = Server::start(dir.path(), &config);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");

    // The victim owns three numbers.
    let offers: Value = client
        .get(server.url("/functions/v1/search-phone-numbers?limit=3"))
        .bearer_auth(&victim_token)
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("search JSON");
    let mut victim = Victim {
        phone_numbers: Vec::new(),
        ids: Vec::new(),
    };
    for offer in offers["data"].as_array().expect("offers") {
        let number = offer["phone_number"].as_str().expect("number");
        let bought: Value = client
            .post(server.url("/functions/v1/provision-phone-number"))
            .bearer_auth(&victim_token)
            .json(&json!({"phone_number": number, "friendly_name": "Victim line"}))
            .send()
            .await
            .expect("provision")
            .json()
            .await
            .expect("provision JSON");
        victim.phone_numbers.push(number.to_string());
        victim
            .ids
            .push(bought["id"].as_str().expect("id").to_string());
    }
    assert_eq!(victim.ids.len(), 3);

    let openapi: Value = client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("openapi JSON");
    let routes = routes_from_openapi(&openapi);
    assert!(routes.len() >= 8, "{routes:?}");

    let victim_hash = switchboard::hash_token(&victim_token);
    let forged_same_shape = format!("sb_{}", "0".repeat(64));
    let mut flipped = attacker_token.clone();
    flipped.pop();
    flipped.push('x');
    let auths: Vec<String> = vec![
        String::new(),
        "Bearer".into(),
        "Bearer ".into(),
        format!("Bearer {revoked_token}"),
        format!("Bearer {victim_hash}"),
        format!("Bearer {forged_same_shape}"),
        format!("Bearer {flipped}"),
        format!("Bearer {attacker_token}x"),
        format!("Bearer  {revoked_token} "),
        format!("Bearer {attacker_token} Bearer {victim_token}"),
        format!("Basic {victim_token}"),
        format!("Token {victim_token}"),
        format!("Bearer {}", "b".repeat(10_000)),
        "Bearer ' OR '1'='1".into(),
        "Bearer \u{0}".into(),
        "Bearer sb_\u{7f}".into(),
    ];
    let probes = generate(&routes, &victim, &auths, &attacker_token);

    let before = snapshot(
        &client,
        &server,
        &[&victim_token, &attacker_token],
        &emulator,
    )
    .await;

    // A fresh connection per request: the server rightly closes one whose
    // request body it refused unread, and a pooled client would race that.
    let hostile_client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let gate = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    let base = server.url("");
    for probe in probes.clone() {
        let permit = gate.clone().acquire_owned().await.expect("semaphore");
        let client = hostile_client.clone();
        let base = base.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let mut request = client.request(probe.method.clone(), format!("{base}{}", probe.path));
            for (name, value) in &probe.headers {
                request = request.header(name, value);
            }
            if let Some(body) = &probe.body {
                request = request.body(body.clone());
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let json = response
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.starts_with("application/json"));
                    let body = response
                        .bytes()
                        .await
                        .map(|b| b.to_vec())
                        .unwrap_or_default();
                    Ok((status, json, body))
                }
                Err(e) => Err(format!("{e:?}")),
            };
            (probe, outcome)
        });
    }
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut answers = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (probe, outcome) = joined.expect("request task");
        match outcome {
            Ok((status, json, body)) => {
                *by_status.entry(status.to_string()).or_insert(0) += 1;
                if status >= 500 {
                    problems.push(format!(
                        "{status} for {}: {}",
                        probe.label,
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    ));
                }
                // An error on an API path is a JSON error object.
                if status >= 400
                    && probe.path.starts_with("/functions/v1/")
                    && probe.method != Method::HEAD
                    && !(json
                        && serde_json::from_slice::<Value>(&body)
                            .is_ok_and(|v| v["error"]["code"].is_string()))
                {
                    problems.push(format!(
                        "{status} without a JSON error for {}: {}",
                        probe.label,
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    ));
                }
                answers.push(body);
            }
            // A body over the limit may be refused (413) before it is all
            // sent, and the connection closed under the sender.
            Err(e) => {
                *by_status.entry("closed".into()).or_insert(0) += 1;
                if probe.body.as_ref().is_none_or(|b| b.len() <= BODY_LIMIT) {
                    problems.push(format!("no answer for {}: {e}", probe.label));
                }
            }
        }
    }

    let after = snapshot(
        &client,
        &server,
        &[&victim_token, &attacker_token],
        &emulator,
    )
    .await;
    server.kill_now();
    let log = server.log_text();

    let secrets: Vec<(&str, &str)> = vec![
        ("the victim's token", victim_token.as_str()),
        ("the attacker's token", attacker_token.as_str()),
        ("the revoked token", revoked_token.as_str()),
        ("the Twilio auth token", DEFAULT_TWILIO_AUTH_TOKEN),
        ("the database password", DATABASE_PASSWORD),
    ];
    let mut leaks = Vec::new();
    for (name, secret) in &secrets {
        let needle = secret.as_bytes();
        if answers
            .iter()
            .any(|body| body.windows(needle.len()).any(|w| w == needle))
        {
            leaks.push(format!("{name} in an answer"));
        }
        if log.contains(secret) {
            leaks.push(format!("{name} in the server log"));
        }
    }
    println!(
        "hostile input: {} requests ({} routes from the OpenAPI document, {} credential \
         variants) in {:.1}s: by status {by_status:?}; {} log bytes scanned; victim numbers {} \
         before and after",
        probes.len(),
        routes.len(),
        auths.len(),
        started.elapsed().as_secs_f64(),
        log.len(),
        before.0[0]["data"].as_array().map_or(0, Vec::len),
    );
    assert!(
        problems.is_empty(),
        "{} bad answers:\n{}",
        problems.len(),
        problems[..problems.len().min(40)]
            .iter()
            .map(|p| p.chars().take(300).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(before, after, "hostile requests changed numbers");
    assert_eq!(before.0[0]["data"].as_array().map_or(0, Vec::len), 3);
    assert!(leaks.is_empty(), "secrets leaked: {leaks:?}");
    assert!(probes.len() >= REQUESTS);
}
