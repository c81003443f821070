//! Shared by the integration tests: Twilio's own OpenAPI document (read at
//! test time, so fixtures are Twilio's examples rather than our guesses), a
//! provider pointed at a local wiremock server, and small request helpers.
#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;
use switchboard_core::RetryPolicy;
use switchboard_twilio::{TwilioConfig, TwilioProvider};
use wiremock::{MockServer, Request};

/// The account SID used in every example of Twilio's document.
pub const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// The owned-number SID used in Twilio's examples.
pub const PN: &str = "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// An API key SID.
pub const SK: &str = "SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
/// Secrets distinctive enough to grep for.
pub const AUTH_TOKEN: &str = "tok3n-Zq9Vx1Lm4Np7Rs2Tu5Wy8";
pub const API_SECRET: &str = "s3cret-Kd8Hf3Jg6Bn1Mc4Xv7Zl0";

pub const INCOMING: &str =
    "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/IncomingPhoneNumbers.json";
pub const INCOMING_PN: &str = "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/IncomingPhoneNumbers/PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json";

pub fn available(country: &str, kind: &str) -> String {
    format!("/2010-04-01/Accounts/{AC}/AvailablePhoneNumbers/{country}/{kind}.json")
}

/// Path of Twilio's document in the repository (`spec/carriers/twilio/`,
/// the one copy every crate reads), so a clone needs nothing beside it.
pub fn spec_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../spec/carriers/twilio/api_v2010_phone_numbers.openapi.json")
}

/// Twilio's OpenAPI document for the phone-number paths.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = spec_path();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text).expect("the OpenAPI document is JSON")
    })
}

/// The named response example of an operation in Twilio's document.
pub fn example(path: &str, method: &str, status: &str, name: &str) -> Value {
    spec()["paths"][path][method]["responses"][status]["content"]["application/json"]["examples"]
        [name]["value"]
        .clone()
        .as_object()
        .map(|o| Value::Object(o.clone()))
        .unwrap_or_else(|| panic!("no example {name} for {method} {path} {status}"))
}

pub const T_LOCAL: &str =
    "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json";
pub const T_TOLL_FREE: &str =
    "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/TollFree.json";
pub const T_MOBILE: &str =
    "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Mobile.json";
pub const T_INCOMING: &str = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json";
pub const T_INCOMING_SID: &str =
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json";

/// Twilio's example of a Local search answer (one Hilo number).
pub fn local_search_example() -> Value {
    example(T_LOCAL, "get", "200", "readFull")
}

/// Twilio's example of a purchase answer.
pub fn purchase_example() -> Value {
    example(T_INCOMING, "post", "201", "create")
}

/// Twilio's example of an owned-number list answer.
pub fn list_example() -> Value {
    example(T_INCOMING, "get", "200", "readFull")
}

/// Twilio's example of an update answer.
pub fn update_example() -> Value {
    example(T_INCOMING_SID, "post", "200", "update")
}

/// Quick retries so failure paths do not slow the suite.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(2),
    }
}

pub fn config(server: &MockServer) -> TwilioConfig {
    TwilioConfig::with_auth_token(AC, AUTH_TOKEN)
        .unwrap()
        .base_url(&server.uri())
        .unwrap()
        .retry_policy(fast_retries())
        .timeout(Duration::from_secs(5))
}

pub fn provider(server: &MockServer) -> TwilioProvider {
    TwilioProvider::new(config(server)).unwrap()
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

pub async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

/// The query string as ordered pairs.
pub fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The form body as ordered pairs.
pub fn form_pairs(request: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&request.body).expect("form body")
}

pub fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}
