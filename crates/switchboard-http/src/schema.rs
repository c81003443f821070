//! OpenAPI schemas for the core types, which carry no `ToSchema` derive (core
//! depends on no HTTP crate). Each mirror here has the same serde shape as its
//! core type; the tests below round-trip core JSON through every mirror and
//! compare the published schemas' property names with what core emits, so a
//! change in core that the document misses fails a test.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A phone number this account owns: exactly the seed API's object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "a1b2c3d4-5678-9012-3456-789012345678",
    "phone_number": "+16045551234",
    "friendly_name": "Main Line",
    "agent_id": "550e8400-e29b-41d4-a716-446655440000",
    "capabilities": {"voice": true, "sms": true, "mms": true},
    "is_active": true,
    "provider": "signalwire",
    "created_at": "2024-01-15T10:30:00Z"
}))]
pub(crate) struct PhoneNumber {
    /// Unique identifier for this phone number.
    pub(crate) id: Uuid,
    /// The number, E.164.
    #[schema(pattern = r"^\+[1-9][0-9]{7,14}$", example = "+16045551234")]
    pub(crate) phone_number: String,
    /// Display name; the number itself when none was given.
    pub(crate) friendly_name: String,
    /// The assigned agent, or `null`.
    pub(crate) agent_id: Option<Uuid>,
    /// What the number can carry.
    pub(crate) capabilities: Capabilities,
    /// Whether the number is bought and in service (false while a release
    /// is pending and after it).
    pub(crate) is_active: bool,
    /// The carrier it was bought from (`signalwire`, `twilio`, `fake`, ...).
    pub(crate) provider: String,
    /// When it was provisioned, ISO 8601 UTC to the second.
    #[schema(format = DateTime, example = "2024-01-15T10:30:00Z")]
    pub(crate) created_at: String,
}

/// What a number can carry. In a search, the capabilities every result must have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Capabilities {
    /// Voice calls.
    #[serde(default)]
    pub(crate) voice: bool,
    /// SMS.
    #[serde(default)]
    pub(crate) sms: bool,
    /// MMS.
    #[serde(default)]
    pub(crate) mms: bool,
    /// Fax; present only when true.
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) fax: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The seed's request body, plus optional extensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "phone_number": "+16045551234",
    "friendly_name": "Main Line",
    "agent_id": "550e8400-e29b-41d4-a716-446655440000"
}))]
pub(crate) struct ProvisionRequest {
    /// The number to provision, from search results, E.164.
    #[schema(pattern = r"^\+[1-9][0-9]{7,14}$", example = "+16045551234")]
    pub(crate) phone_number: String,
    /// Display name, 1 to 64 characters; the number itself when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64, example = "Main Line")]
    pub(crate) friendly_name: Option<String>,
    /// Agent to assign to this number immediately.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) agent_id: Option<Uuid>,
    /// Extension: webhooks to set at the carrier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) routing: Option<Routing>,
    /// Extension: the carrier to buy from; the configured default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) provider: Option<String>,
    /// Extension: repeating a request with the same key returns the same
    /// number and buys nothing more. The `Idempotency-Key` header does the
    /// same; when both are given they must agree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 255)]
    pub(crate) idempotency_key: Option<String>,
}

/// Webhooks for a number's inbound calls and messages; absent fields are left
/// as the carrier has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Routing {
    /// Called when a call comes in (absolute http or https URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = "uri", max_length = 2048)]
    pub(crate) voice_url: Option<String>,
    /// Method for `voice_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) voice_method: Option<WebhookMethod>,
    /// Called when a message comes in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = "uri", max_length = 2048)]
    pub(crate) sms_url: Option<String>,
    /// Method for `sms_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sms_method: Option<WebhookMethod>,
    /// Called with call status changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = "uri", max_length = 2048)]
    pub(crate) status_callback: Option<String>,
}

/// The HTTP method a carrier uses for a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum WebhookMethod {
    /// Parameters in the query string.
    Get,
    /// Parameters in a form body.
    Post,
}

/// The kind of number.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NumberType {
    /// Geographic.
    Local,
    /// Toll-free (`toll-free` and `tollfree` are accepted too).
    TollFree,
    /// Mobile.
    Mobile,
}

/// Digits the national number (after the country code) must contain,
/// start with, or end with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DigitPattern {
    /// Anywhere in the number.
    Contains(String),
    /// At its start.
    StartsWith(String),
    /// At its end.
    EndsWith(String),
}

/// What to search for; every field is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"country": "CA", "area_code": "604", "limit": 5}))]
pub(crate) struct SearchRequest {
    /// ISO 3166-1 alpha-2 country.
    #[serde(default = "us")]
    #[schema(pattern = "^[A-Za-z]{2}$", default = "US", example = "CA")]
    pub(crate) country: String,
    /// Kind of number.
    #[serde(default = "local")]
    #[schema(default = "local")]
    pub(crate) number_type: NumberType,
    /// Area code, digits only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9]{1,6}$", example = "604")]
    pub(crate) area_code: Option<String>,
    /// A digit pattern the number must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pattern: Option<DigitPattern>,
    /// State or province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<String>,
    /// City or locality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) locality: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) postal_code: Option<String>,
    /// Capabilities every result must have.
    #[serde(default = "no_capabilities")]
    pub(crate) capabilities: Capabilities,
    /// At most this many results.
    #[serde(default = "twenty")]
    #[schema(minimum = 1, maximum = 100, default = 20)]
    pub(crate) limit: u32,
    /// Extension: the carrier to search; the configured default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) provider: Option<String>,
}

fn us() -> String {
    "US".into()
}
fn local() -> NumberType {
    NumberType::Local
}
fn twenty() -> u32 {
    20
}
fn no_capabilities() -> Capabilities {
    Capabilities {
        voice: false,
        sms: false,
        mms: false,
        fax: false,
    }
}

/// A number a carrier offers for sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AvailableNumber {
    /// The number, E.164: what `provision-phone-number` takes.
    #[schema(example = "+16045551234")]
    pub(crate) phone_number: String,
    /// ISO country.
    #[schema(example = "CA")]
    pub(crate) country: String,
    /// Kind of number.
    pub(crate) number_type: NumberType,
    /// State or province, when the carrier says.
    pub(crate) region: Option<String>,
    /// City, when the carrier says.
    pub(crate) locality: Option<String>,
    /// Postal code, when the carrier says.
    pub(crate) postal_code: Option<String>,
    /// Rate center, when the carrier says.
    pub(crate) rate_center: Option<String>,
    /// What it can carry.
    pub(crate) capabilities: Capabilities,
    /// The carrier offering it.
    pub(crate) provider: String,
}

/// Search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchResults {
    /// Numbers for sale, at most `limit`.
    pub(crate) data: Vec<AvailableNumber>,
}

/// One page of the account's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NumberList {
    /// The numbers, oldest first.
    pub(crate) data: Vec<PhoneNumber>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub(crate) next_cursor: Option<String>,
}

/// Changes to one of the account's numbers; absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": "a1b2c3d4-5678-9012-3456-789012345678", "friendly_name": "Support", "agent_id": null}))]
pub(crate) struct UpdateRequest {
    /// The number's `id`.
    pub(crate) id: Uuid,
    /// New display name, 1 to 64 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64)]
    pub(crate) friendly_name: Option<String>,
    /// New agent; `null` unassigns, absent keeps the current one.
    #[serde(
        default,
        deserialize_with = "present_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Uuid>)]
    pub(crate) agent_id: Option<Option<Uuid>>,
    /// New webhooks; set fields replace the carrier's, absent ones are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) routing: Option<Routing>,
}

fn present_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Uuid>>, D::Error> {
    Option::<Uuid>::deserialize(d).map(Some)
}

/// A number after a release request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReleasedNumber {
    /// Unique identifier for this phone number.
    pub(crate) id: Uuid,
    /// The number, E.164.
    pub(crate) phone_number: String,
    /// Display name.
    pub(crate) friendly_name: String,
    /// The assigned agent, or `null`.
    pub(crate) agent_id: Option<Uuid>,
    /// What the number could carry.
    pub(crate) capabilities: Capabilities,
    /// Always false after a release request.
    pub(crate) is_active: bool,
    /// The carrier it was bought from.
    pub(crate) provider: String,
    /// When it was provisioned.
    #[schema(format = DateTime)]
    pub(crate) created_at: String,
    /// `released` (HTTP 200): the carrier has it back. `releasing` (HTTP
    /// 202): the carrier refused for now; the release is recorded and retried
    /// later, and the number stays on the account until the carrier takes it.
    pub(crate) status: ReleaseStatus,
    /// When the carrier confirmed the release (status `released`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub(crate) released_at: Option<String>,
    /// The earliest time the carrier accepts the release, when it said
    /// (status `releasing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub(crate) release_not_before: Option<String>,
}

/// Where a release stands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ReleaseStatus {
    /// Done.
    Released,
    /// Pending at the carrier.
    Releasing,
}

/// Every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"error": {"code": "invalid_input", "message": "invalid phone_number: phone number must start with '+' followed by the country code (E.164, such as +16045551234)", "field": "phone_number"}}))]
pub(crate) struct ErrorResponse {
    /// What went wrong.
    pub(crate) error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ErrorDetail {
    /// Stable, machine-readable kind: `invalid_input`, `invalid_json`,
    /// `unsupported_media_type`, `payload_too_large`, `unauthenticated`,
    /// `not_found`, `method_not_allowed`, `already_provisioned`, `conflict`,
    /// `number_unavailable`, `requirement_missing`, `not_supported`,
    /// `rate_limited`, `retry_later`, `carrier_error`, `carrier_unreachable`,
    /// `timeout`, `repository_error`, `configuration_error`, `internal_error`.
    #[schema(example = "invalid_input")]
    pub(crate) code: String,
    /// For people: what was wrong and, where it helps, how to fix it.
    pub(crate) message: String,
    /// The input field at fault (`phone_number`, `routing.voice_url`), when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) field: Option<String>,
}

/// Liveness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub(crate) status: String,
}
