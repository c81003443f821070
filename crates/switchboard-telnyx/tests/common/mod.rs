//! Shared fixtures. Every JSON body here is built from Telnyx's own
//! description in spec/carriers/telnyx (its schemas' example values) and
//! the live observations in docs/carriers/telnyx.md; `openapi.rs` checks
//! that the described-shape fixtures use only fields the description
//! defines.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::RetryPolicy;
use switchboard_telnyx::{TelnyxConfig, TelnyxProvider};
use wiremock::MockServer;

/// An API v2 key: the secret no output may show.
pub const KEY: &str = "KEY0190D4C3B2A1-telnyx-secret";
/// The header every request must carry.
pub const AUTHORIZATION: &str = "Bearer KEY0190D4C3B2A1-telnyx-secret";

/// The API root under the mock server, as a deployment's base URL has it.
pub const ROOT: &str = "/v2";
pub const SEARCH: &str = "/v2/available_phone_numbers";
pub const ORDERS: &str = "/v2/number_orders";
pub const NUMBERS: &str = "/v2/phone_numbers";

/// The description's examples: `PhoneNumberDetailed.id`, its number, a
/// `NumberOrder` id, a connection and a messaging profile.
pub const NUMBER_ID: &str = "1293384261075731499";
pub const NUMBER: &str = "+19705555098";
pub const ORDER_ID: &str = "12ade33a-21c0-473b-b055-b3c836e1c292";
pub const CONNECTION: &str = "1293384261075731499";
pub const PROFILE: &str = "abc85f64-5717-4562-b3fc-2c9600000000";
/// The connection and profile the routing tests map URLs to.
pub const AGENT_CONNECTION: &str = "1494404757140276705";
pub const AGENT_PROFILE: &str = "dd50eba1-a0c0-4563-9925-b25e842a7cb6";
pub const VOICE_URL: &str = "https://agent.example.com/voice";
pub const SMS_URL: &str = "https://agent.example.com/sms";

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

/// A configuration against `server`, with the description's connection
/// and messaging profile as defaults and the agent's URLs routed.
pub fn config(server: &MockServer) -> TelnyxConfig {
    TelnyxConfig::new(KEY.to_string())
        .and_then(|c| c.base_url(&format!("{}{ROOT}", server.uri())))
        .and_then(|c| c.connection_id(CONNECTION))
        .and_then(|c| c.messaging_profile_id(PROFILE))
        .and_then(|c| c.customer_reference("switchboard-tests"))
        .and_then(|c| c.voice_route(VOICE_URL, AGENT_CONNECTION))
        .and_then(|c| c.messaging_route(SMS_URL, AGENT_PROFILE))
        .expect("a loopback base URL is accepted")
        .with_retry_policy(fast_retry())
}

pub fn provider(server: &MockServer) -> TelnyxProvider {
    TelnyxProvider::new(config(server)).expect("the adapter builds")
}

/// An `AvailablePhoneNumber` as the description's example has it, with
/// another number.
pub fn available(number: &str) -> Value {
    json!({
        "record_type": "available_phone_number",
        "phone_number": number,
        "vanity_format": "",
        "best_effort": false,
        "quickship": true,
        "reservable": true,
        "region_information": [
            {"region_type": "country_code", "region_name": "US"},
            {"region_type": "rate_center", "region_name": "LOVELAND"},
            {"region_type": "state", "region_name": "CO"},
            {"region_type": "location", "region_name": "Loveland"}
        ],
        "cost_information": {"upfront_cost": "3.21", "monthly_cost": "6.54", "currency": "USD"},
        "features": [{"name": "sms"}, {"name": "voice"}]
    })
}

/// `ListAvailablePhoneNumbersResponse`.
pub fn search_answer(numbers: &[&str]) -> Value {
    let data: Vec<Value> = numbers.iter().map(|n| available(n)).collect();
    json!({"data": data, "meta": {"total_results": numbers.len(), "best_effort_results": 0}})
}

/// The live search item of docs/carriers/telnyx.md (section 2): also
/// `phone_number_type`, an `hd_voice` feature, `vanity_format: null`.
pub fn available_live(number: &str) -> Value {
    let mut item = available(number);
    item["phone_number_type"] = json!("local");
    item["vanity_format"] = Value::Null;
    item["features"] = json!([{"name": "sms"}, {"name": "hd_voice"}, {"name": "voice"}]);
    item
}

/// A live search answer: the items above and a second `metadata` object.
pub fn search_answer_live(numbers: &[&str]) -> Value {
    let data: Vec<Value> = numbers.iter().map(|n| available_live(n)).collect();
    json!({"data": data, "meta": {"total_results": numbers.len(), "best_effort_results": 0},
           "metadata": {"total_results": numbers.len()}})
}

/// `PhoneNumberDetailed`, the description's example with another id,
/// number, connection, profile and reference.
pub fn owned(id: &str, number: &str) -> Value {
    json!({
        "id": id,
        "record_type": "phone_number",
        "phone_number": number,
        "status": "active",
        "tags": ["tag_1", "tag_2"],
        "external_pin": "1234",
        "connection_id": CONNECTION,
        "connection_name": "connection-name",
        "customer_reference": "customer-reference",
        "messaging_profile_id": PROFILE,
        "messaging_profile_name": "regional-customers",
        "billing_group_id": "86f58db9-0fe3-4adc-9d1f-46e66e6e9323",
        "emergency_enabled": true,
        "emergency_address_id": "1315261609962112019",
        "call_forwarding_enabled": true,
        "cnam_listing_enabled": true,
        "caller_id_name_enabled": true,
        "call_recording_enabled": true,
        "t38_fax_gateway_enabled": true,
        "number_level_routing": "disabled",
        "phone_number_type": "local",
        "inbound_call_screening": "disabled",
        "purchased_at": "2019-10-23T18:10:00.000Z",
        "created_at": "2019-10-23T18:10:00.000Z"
    })
}

/// `{data: PhoneNumberDetailed}`.
pub fn owned_answer(record: Value) -> Value {
    json!({"data": record})
}

/// `{data: [PhoneNumberDetailed], meta: PaginationMeta}`.
pub fn list_page(records: Vec<Value>, page_number: u64, total_pages: u64) -> Value {
    json!({
        "data": records,
        "meta": {"total_pages": total_pages, "total_results": total_pages * 2,
                 "page_number": page_number, "page_size": 2}
    })
}

/// `NumberOrderResponse`: `{data: NumberOrderWithPhoneNumbers}` with the
/// description's example values, the order and its one number in `status`.
pub fn order(status: &str, number: &str) -> Value {
    json!({"data": {
        "id": ORDER_ID,
        "record_type": "number_order",
        "phone_numbers_count": 1,
        "connection_id": CONNECTION,
        "messaging_profile_id": PROFILE,
        "billing_group_id": "abc85f64-5717-4562-b3fc-2c9600",
        "phone_numbers": [{
            "id": "dc8e4d67-33a0-4cbb-af74-7b58f05bd494",
            "record_type": "number_order_phone_number",
            "phone_number": number,
            "regulatory_requirements": [],
            "requirements_met": true,
            "status": status
        }],
        "sub_number_orders_ids": ["bc8e4d67-33a0-4cbb-af74-7b58f05bd474"],
        "status": status,
        "customer_reference": "switchboard-tests",
        "created_at": "2018-01-01T00:00:00.000000Z",
        "updated_at": "2018-01-01T00:00:00.000000Z",
        "requirements_met": true
    }})
}

/// A pending order waiting for a document (the description's requirement
/// example, without its value).
pub fn order_needing_documents(number: &str) -> Value {
    let mut answer = order("pending", number);
    answer["data"]["requirements_met"] = json!(false);
    answer["data"]["phone_numbers"][0]["requirements_met"] = json!(false);
    answer["data"]["phone_numbers"][0]["requirements_status"] = json!("requirement-info-pending");
    answer["data"]["phone_numbers"][0]["regulatory_requirements"] = json!([{
        "record_type": "phone_number_regulatory_requirement",
        "requirement_id": "8ffb3622-7c6b-4ccc-b65f-7a3dc0099576",
        "field_type": "address"
    }]);
    answer
}

/// The `Errors` body with one `Error`.
pub fn error(code: &str, title: &str, detail: &str, pointer: Option<&str>) -> Value {
    let mut item = json!({"code": code, "title": title, "detail": detail});
    if let Some(pointer) = pointer {
        item["source"] = json!({"pointer": pointer});
    }
    json!({"errors": [item]})
}

/// The 429 body of Telnyx's rate-limiting page, verbatim.
pub fn too_many_requests() -> Value {
    json!({"errors": [{"code": "10011", "title": "Too many requests",
        "detail": "You have exceeded the maximum number of allowed requests."}]})
}
