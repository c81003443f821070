//! Shared fixtures. Every JSON body here is taken from SignalWire's own
//! descriptions in spec/carriers/signalwire (example values, field lists)
//! and the live observations in docs/carriers/signalwire.md; `openapi.rs`
//! checks that the
//! described-shape fixtures use only fields the current description defines.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::RetryPolicy;
use switchboard_signalwire::{SignalWireConfig, SignalWireProvider};
use wiremock::MockServer;

/// A project ID shaped like SignalWire's (a UUID).
pub const PROJECT: &str = "b2c3d4e5-7f80-4a1b-9c2d-3e4f5a6b7c8d";
/// An API token: the secret no output may show.
pub const TOKEN: &str = "PT0123456789abcdef-secret";
/// `Basic base64(PROJECT:TOKEN)`, computed outside the code under test
/// (`echo -n "$PROJECT:$TOKEN" | base64`).
pub const AUTHORIZATION: &str =
    "Basic YjJjM2Q0ZTUtN2Y4MC00YTFiLTljMmQtM2U0ZjVhNmI3YzhkOlBUMDEyMzQ1Njc4OWFiY2RlZi1zZWNyZXQ=";
/// The base64 credential alone, which must not leak either.
pub const CREDENTIAL: &str =
    "YjJjM2Q0ZTUtN2Y4MC00YTFiLTljMmQtM2U0ZjVhNmI3YzhkOlBUMDEyMzQ1Njc4OWFiY2RlZi1zZWNyZXQ=";

/// The id and number of the description's PhoneNumber example.
pub const NUMBER_ID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
pub const NUMBER: &str = "+15558675309";

pub const SEARCH: &str = "/api/relay/rest/phone_numbers/search";
pub const NUMBERS: &str = "/api/relay/rest/phone_numbers";
pub fn number_path() -> String {
    format!("{NUMBERS}/{NUMBER_ID}")
}

/// Retries quick enough for tests, as many as the default policy.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(30),
    }
}

pub fn config(server: &MockServer) -> SignalWireConfig {
    SignalWireConfig::new(&server.uri(), PROJECT, TOKEN.to_string())
        .expect("a loopback space is accepted")
        .with_retry_policy(fast_retry())
}

pub fn provider(server: &MockServer) -> SignalWireProvider {
    SignalWireProvider::new(config(server)).expect("the adapter builds")
}

/// A search answer as live traffic has it (live behaviour 1 in
/// docs/carriers/signalwire.md; the legacy
/// description's field names and examples): `e164`, formatted numbers,
/// capabilities as names, and `links: {}`.
pub fn search_live() -> Value {
    json!({
        "links": {},
        "data": [
            {
                "e164": "+15558675309",
                "national_number_formatted": "(555) 867-5309",
                "international_number_formatted": "+1 555-867-5309",
                "rate_center": "AUBURN",
                "region": "TX",
                "country_code": "US",
                "capabilities": ["voice", "sms", "mms", "fax"]
            },
            {
                "e164": "+15558675310",
                "national_number_formatted": "(555) 867-5310",
                "international_number_formatted": "+1 555-867-5310",
                "rate_center": "AUBURN",
                "region": "TX",
                "country_code": "US",
                "capabilities": ["voice", "sms"]
            }
        ]
    })
}

/// A search answer as the current description has it (`AvailablePhoneNumber`,
/// `PhoneNumberCapabilities`, `PaginationLinks`), with its example values.
pub fn search_described() -> Value {
    json!({
        "links": {
            "self": "/api/relay/rest/phone_numbers/search?areacode=555",
            "first": "/api/relay/rest/phone_numbers/search?areacode=555"
        },
        "data": [
            {
                "number": "+15551234567",
                "region": "CA",
                "city": "Los Angeles",
                "rate_center": "LSAN DA 01",
                "lata": "730",
                "capabilities": {"voice": true, "sms": true, "mms": false, "fax": false}
            }
        ]
    })
}

/// The PhoneNumber object right after a purchase: every field the current
/// description requires, `name` null ("Operations"), `*_method` null (live
/// behaviour 3), `""` for "none" even in UUID-typed fields (2), and
/// `e911_status`, which the legacy description lacks (4: fields are added
/// over time); all in docs/carriers/signalwire.md.
pub fn phone_number_purchased() -> Value {
    json!({
        "id": NUMBER_ID,
        "number": NUMBER,
        "name": null,
        "capabilities": ["voice", "sms", "mms", "fax"],
        "number_type": "longcode",
        "e911_address_id": "",
        "e911_status": null,
        "created_at": "2025-06-04T05:49:47Z",
        "updated_at": "2025-06-04T05:49:47Z",
        "next_billed_at": "2025-07-04T05:49:47Z",
        "call_handler": "",
        "calling_handler_resource_id": "",
        "call_receive_mode": "voice",
        "call_request_url": "",
        "call_request_method": null,
        "call_fallback_url": "",
        "call_fallback_method": null,
        "call_status_callback_url": "",
        "call_status_callback_method": null,
        "call_laml_application_id": "",
        "call_dialogflow_agent_id": "",
        "call_relay_topic": "",
        "call_relay_topic_status_callback_url": "",
        "call_relay_script_url": "",
        "call_relay_context": "",
        "call_relay_context_status_callback_url": "",
        "call_relay_application": "",
        "call_relay_connector_id": "",
        "call_sip_endpoint_id": "",
        "call_verto_resource": "",
        "call_video_room_id": "",
        "message_handler": "",
        "messaging_handler_resource_id": "",
        "message_request_url": "",
        "message_request_method": null,
        "message_fallback_url": "",
        "message_fallback_method": null,
        "message_laml_application_id": "",
        "message_relay_topic": "",
        "message_relay_context": "",
        "country_code": "US"
    })
}

/// The same number after the webhook update of docs/carriers/signalwire.md
/// (`call_handler: laml_webhooks`, ...), named with the description's example.
pub fn phone_number_routed() -> Value {
    let mut number = phone_number_purchased();
    let fields = json!({
        "name": "Main Office Line",
        "call_handler": "laml_webhooks",
        "call_request_url": "https://agent.example.com/voice",
        "call_request_method": "POST",
        "call_status_callback_url": "https://agent.example.com/status",
        "message_handler": "laml_webhooks",
        "message_request_url": "https://agent.example.com/sms",
        "message_request_method": "GET"
    });
    for (key, value) in fields.as_object().into_iter().flatten() {
        number[key] = value.clone();
    }
    number
}

/// A listing page (`PhoneNumberListResponse`).
pub fn list_page(numbers: Vec<Value>, next: Option<&str>) -> Value {
    let mut links = json!({
        "self": "/api/relay/rest/phone_numbers?page_size=2",
        "first": "/api/relay/rest/phone_numbers?page_size=2"
    });
    if let Some(next) = next {
        links["next"] = json!(next);
    }
    json!({"links": links, "data": numbers})
}

/// A PhoneNumber with another id and number.
pub fn phone_number(id: &str, number: &str) -> Value {
    let mut value = phone_number_purchased();
    value["id"] = json!(id);
    value["number"] = json!(number);
    value
}

/// The validation-error body (`Types.StatusCodes.ValidationError`).
pub fn validation_error(detail: Option<&str>) -> Value {
    json!({"errors": [{"detail": detail, "status": "422", "title": "Invalid Attribute", "code": "422"}]})
}

/// The release-cooldown detail seen live (docs/carriers/signalwire.md,
/// "Errors"), verbatim because the adapter reads the time out of it.
pub const COOLDOWN: &str = "Number was purchased too recently to release. Please wait until \
    2025-06-18 05:49:47 UTC to release this number, or contact Support for assistance.";
