//! Helpers shared by the integration tests: clients with each carrier's
//! credentials against a running emulator.
#![allow(dead_code)]

use reqwest::{Client, RequestBuilder};
use serde_json::Value;
use switchboard_emulator::{
    DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_TOKEN, DEFAULT_TELNYX_API_KEY,
    DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, RunningEmulator,
};

pub mod schema;

pub const SID: &str = DEFAULT_TWILIO_ACCOUNT_SID;

pub fn client() -> Client {
    Client::builder().build().expect("client")
}

/// A Twilio request with the default account's credentials.
pub fn twilio(
    client: &Client,
    emulator: &RunningEmulator,
    method: reqwest::Method,
    rest: &str,
) -> RequestBuilder {
    client
        .request(
            method,
            format!("{}/2010-04-01/Accounts/{SID}/{rest}", emulator.base_url()),
        )
        .basic_auth(SID, Some(DEFAULT_TWILIO_AUTH_TOKEN))
}

/// A SignalWire request with the default project's credentials.
pub fn signalwire(
    client: &Client,
    emulator: &RunningEmulator,
    method: reqwest::Method,
    rest: &str,
) -> RequestBuilder {
    client
        .request(method, format!("{}{rest}", emulator.signalwire_base_url()))
        .basic_auth(
            DEFAULT_SIGNALWIRE_PROJECT_ID,
            Some(DEFAULT_SIGNALWIRE_TOKEN),
        )
}

/// A Telnyx request with the default account's API key; `rest` starts
/// with `/` and follows `/v2`.
pub fn telnyx(
    client: &Client,
    emulator: &RunningEmulator,
    method: reqwest::Method,
    rest: &str,
) -> RequestBuilder {
    client
        .request(method, format!("{}{rest}", emulator.telnyx_base_url()))
        .bearer_auth(DEFAULT_TELNYX_API_KEY)
}

/// Sends and returns status and JSON body (`Null` for an empty body).
pub async fn send(request: RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}
