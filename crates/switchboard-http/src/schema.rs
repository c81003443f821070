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
    #[schema(required = true)]
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
    /// Display name; the number itself when absent. 1 to 64 characters, not
    /// all blank, without control characters, bidirectional overrides or
    /// isolates (U+202A..U+202E, U+2066..U+2069) or zero-width characters
    /// (U+200B..U+200F, U+2060, U+FEFF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]*$",
        example = "Main Line"
    )]
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
    /// same; when both are given they must agree. Printable ASCII, no spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 255, pattern = "^[!-~]+$")]
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
    Contains(Digits),
    /// At its start.
    StartsWith(Digits),
    /// At its end.
    EndsWith(Digits),
}

/// 1 to 15 digits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, pattern = "^[0-9]{1,15}$", example = "1234")]
pub(crate) struct Digits(String);

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
    /// State or province, 1 to 64 characters, not all blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub(crate) region: Option<String>,
    /// City or locality, 1 to 64 characters, not all blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub(crate) locality: Option<String>,
    /// Postal code, 1 to 64 characters, not all blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
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
    #[schema(required = true)]
    pub(crate) region: Option<String>,
    /// City, when the carrier says.
    #[schema(required = true)]
    pub(crate) locality: Option<String>,
    /// Postal code, when the carrier says.
    #[schema(required = true)]
    pub(crate) postal_code: Option<String>,
    /// Rate center, when the carrier says.
    #[schema(required = true)]
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
    #[schema(required = true)]
    pub(crate) next_cursor: Option<String>,
}

/// Changes to one of the account's numbers; absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": "a1b2c3d4-5678-9012-3456-789012345678", "friendly_name": "Support", "agent_id": null}))]
pub(crate) struct UpdateRequest {
    /// The number's `id`.
    pub(crate) id: Uuid,
    /// New display name: 1 to 64 characters, not all blank, without control
    /// characters, bidirectional overrides or isolates, or zero-width
    /// characters (as in `provision-phone-number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]*$"
    )]
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
    #[schema(required = true)]
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

/// Which numbers a bulk purchase may buy: the search fields, every one
/// optional. `limit` is accepted and not used (each search asks the carrier
/// for as many as it returns at once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"country": "US", "area_code": "415"}))]
pub(crate) struct BulkSearch {
    /// ISO 3166-1 alpha-2 country.
    #[serde(default = "us")]
    #[schema(pattern = "^[A-Za-z]{2}$", default = "US", example = "US")]
    pub(crate) country: String,
    /// Kind of number.
    #[serde(default = "local")]
    #[schema(default = "local")]
    pub(crate) number_type: NumberType,
    /// Area code, digits only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9]{1,6}$", example = "415")]
    pub(crate) area_code: Option<String>,
    /// A digit pattern the numbers must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pattern: Option<DigitPattern>,
    /// State or province, 1 to 64 characters, not all blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub(crate) region: Option<String>,
    /// City or locality, 1 to 64 characters, not all blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub(crate) locality: Option<String>,
    /// Postal code, 1 to 64 characters, not all blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub(crate) postal_code: Option<String>,
    /// Capabilities every number must have.
    #[serde(default = "no_capabilities")]
    pub(crate) capabilities: Capabilities,
    /// Not used by bulk purchases.
    #[serde(default = "twenty")]
    #[schema(minimum = 1, maximum = 100, default = 20)]
    pub(crate) limit: u32,
}

/// Buy `count` numbers matching `search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "count": 25,
    "search": {"area_code": "415"},
    "friendly_name_prefix": "Sales",
    "agent_id": "550e8400-e29b-41d4-a716-446655440000",
    "idempotency_key_prefix": "sales-2024-01"
}))]
pub(crate) struct BulkProvisionRequest {
    /// How many numbers to buy, 1 to 1000.
    #[schema(minimum = 1, maximum = 1000)]
    pub(crate) count: u32,
    /// Which numbers qualify; any local US number when absent.
    #[serde(default = "any_us_local")]
    pub(crate) search: BulkSearch,
    /// The carrier to buy from; the configured default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) provider: Option<String>,
    /// Display names are this prefix, a space and the position (`Sales 1`,
    /// `Sales 2`, ...); the numbers themselves when absent. The characters
    /// allowed are those of a `friendly_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 59,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]*$",
        example = "Sales"
    )]
    pub(crate) friendly_name_prefix: Option<String>,
    /// Agent to assign to every number bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) agent_id: Option<Uuid>,
    /// Webhooks to set on every number bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) routing: Option<Routing>,
    /// Position `n` is bought under idempotency key `{prefix}-{n}`: repeating
    /// the request returns the numbers already bought and buys only the
    /// missing ones. Printable ASCII, no spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 250, pattern = "^[!-~]+$")]
    pub(crate) idempotency_key_prefix: Option<String>,
    /// Carrier calls in flight at most, 1 to 64 (default 8); fewer while the
    /// carrier answers with rate limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 64)]
    pub(crate) max_concurrency: Option<u32>,
}

fn any_us_local() -> BulkSearch {
    BulkSearch {
        country: us(),
        number_type: local(),
        area_code: None,
        pattern: None,
        region: None,
        locality: None,
        postal_code: None,
        capabilities: no_capabilities(),
        limit: twenty(),
    }
}

/// How one position of a bulk purchase ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BulkStatus {
    /// A number was bought for it (`number`).
    Bought,
    /// None was (`error`).
    Failed,
}

/// One position's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BulkOutcome {
    /// Bought or failed.
    pub(crate) status: BulkStatus,
    /// The position, from 1.
    pub(crate) index: u32,
    /// Bought by an earlier request with the same idempotency key prefix
    /// (status `bought`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) replayed: Option<bool>,
    /// The number bought (status `bought`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) number: Option<PhoneNumber>,
    /// The number last tried, if one was (status `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "+14155550100")]
    pub(crate) phone_number: Option<String>,
    /// Why no number was bought (status `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<ErrorDetail>,
}

/// How the carrier behaved during a bulk purchase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BulkStats {
    /// Searches sent to the carrier.
    pub(crate) searches: u32,
    /// Numbers someone else took between search and purchase, replaced.
    pub(crate) replaced: u32,
    /// Calls the carrier refused with a rate limit (each tried again).
    pub(crate) rate_limited: u32,
    /// Purchases tried again after a temporary failure.
    pub(crate) retries: u32,
    /// The most carrier calls in flight at once.
    pub(crate) peak_concurrency: u32,
    /// The concurrency limit at the end, as adapted to the carrier.
    pub(crate) final_concurrency: u32,
}

/// Every position's outcome, in order, and the totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BulkReport {
    /// Numbers asked for.
    pub(crate) requested: u32,
    /// Positions with a number, replayed ones included.
    pub(crate) bought: u32,
    /// Of those, bought by an earlier request with the same keys.
    pub(crate) replayed: u32,
    /// Positions without one.
    pub(crate) failed: u32,
    /// One per position, by index.
    pub(crate) outcomes: Vec<BulkOutcome>,
    /// How the carrier behaved.
    pub(crate) stats: BulkStats,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{TimeZone, Utc};
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};
    use switchboard_core as core;

    use super::*;

    fn number(agent: Option<Uuid>, fax: bool) -> core::ProvisionedNumber {
        core::ProvisionedNumber {
            id: "a1b2c3d4-5678-9012-3456-789012345678".parse().unwrap(),
            account: core::AccountId::parse("acme").unwrap(),
            phone_number: core::PhoneNumber::parse("+16045551234").unwrap(),
            friendly_name: "Main Line".into(),
            agent_id: agent,
            capabilities: core::Capabilities {
                fax,
                ..core::Capabilities::VOICE_SMS_MMS
            },
            provider: "signalwire".into(),
            carrier_id: Some("c1".into()),
            routing: core::Routing::default(),
            state: core::NumberState::Active,
            idempotency_key: None,
            created_at: Utc.with_ymd_and_hms(2024, 1, 15, 10, 30, 0).unwrap(),
            updated_at: Utc.with_ymd_and_hms(2024, 1, 15, 10, 30, 0).unwrap(),
            released_at: None,
            release_not_before: None,
            version: 1,
            lease_until: None,
            purchased_at: None,
            request_fingerprint: None,
        }
    }

    fn routing() -> core::Routing {
        core::Routing {
            voice_url: Some(core::WebhookUrl::parse("https://a.example/voice").unwrap()),
            voice_method: Some(core::WebhookMethod::Get),
            sms_url: Some(core::WebhookUrl::parse("https://a.example/sms").unwrap()),
            sms_method: Some(core::WebhookMethod::Post),
            status_callback: Some(core::WebhookUrl::parse("https://a.example/status").unwrap()),
        }
    }

    /// Core JSON decodes into the mirror (which rejects unknown fields) and
    /// encodes back to the same JSON.
    fn round_trip<M: Serialize + DeserializeOwned>(core_json: &Value) {
        let mirror: M = serde_json::from_value(core_json.clone())
            .unwrap_or_else(|e| panic!("mirror rejects core JSON {core_json}: {e}"));
        assert_eq!(&serde_json::to_value(&mirror).unwrap(), core_json);
    }

    fn component(name: &str) -> Value {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        doc["components"]["schemas"][name].clone()
    }

    fn keys(value: &Value) -> BTreeSet<String> {
        value
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn required(schema: &Value) -> BTreeSet<String> {
        schema["required"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The published schema names exactly the fields of `full` (every optional
    /// field set) plus `extra`, and requires exactly those of `minimal`.
    fn schema_matches(name: &str, full: &Value, minimal: &Value, extra: &[&str]) {
        let schema = component(name);
        let mut expected = keys(full);
        expected.extend(extra.iter().map(|s| s.to_string()));
        assert_eq!(
            keys(&schema["properties"]),
            expected,
            "properties of {name}"
        );
        assert_eq!(required(&schema), keys(minimal), "required of {name}");
    }

    /// The characters a `^[^...]*$` pattern's class excludes, as ranges.
    fn excluded_ranges(pattern: &str) -> Vec<(u32, u32)> {
        let class = pattern
            .strip_prefix("^[^")
            .and_then(|p| p.strip_suffix("]*$"))
            .unwrap_or_else(|| panic!("not a negated class: {pattern}"));
        let points: Vec<u32> = class
            .split("\\u")
            .skip(1)
            .flat_map(|part| {
                let (hex, rest) = part.split_at(4);
                assert!(rest.is_empty() || rest == "-", "{pattern}");
                let point = u32::from_str_radix(hex, 16).unwrap();
                [Some(point), (rest == "-").then_some(u32::MAX)]
            })
            .flatten()
            .collect();
        let mut ranges = Vec::new();
        let mut i = 0;
        while i < points.len() {
            if points.get(i + 1) == Some(&u32::MAX) {
                ranges.push((points[i], points[i + 2]));
                i += 3;
            } else {
                ranges.push((points[i], points[i]));
                i += 1;
            }
        }
        ranges
    }

    fn property(schema: &str, field: &str) -> Value {
        component(schema)["properties"][field].clone()
    }

    fn max_length(schema: &str, field: &str) -> usize {
        let p = property(schema, field);
        assert_eq!(p["minLength"], 1, "{schema}.{field}: {p}");
        p["maxLength"].as_u64().unwrap() as usize
    }

    #[test]
    fn the_name_pattern_excludes_exactly_the_characters_core_refuses() {
        for schema in ["ProvisionRequest", "UpdateRequest"] {
            let pattern = property(schema, "friendly_name")["pattern"]
                .as_str()
                .unwrap()
                .to_string();
            let excluded = excluded_ranges(&pattern);
            // Every character of the basic plane, and the first astral ones.
            for c in (0..=0x1_0FFFu32).filter_map(char::from_u32) {
                let documented = excluded
                    .iter()
                    .any(|(lo, hi)| (*lo..=*hi).contains(&u32::from(c)));
                let refused = core::validate_friendly_name(&format!("a{c}b")).is_err();
                assert_eq!(documented, refused, "{schema}: U+{:04X}", u32::from(c));
            }
        }
        let prefix = property("BulkProvisionRequest", "friendly_name_prefix");
        assert_eq!(
            prefix["pattern"],
            property("ProvisionRequest", "friendly_name")["pattern"]
        );
        // Search texts refuse control characters only.
        let text = property("SearchRequest", "region")["pattern"]
            .as_str()
            .unwrap()
            .to_string();
        for c in (0..=0x3000u32).filter_map(char::from_u32) {
            let documented = excluded_ranges(&text)
                .iter()
                .any(|(lo, hi)| (*lo..=*hi).contains(&u32::from(c)));
            let query = core::SearchQuery::new(core::CountryCode::US).region(format!("a{c}b"));
            assert_eq!(
                documented,
                query.validate().is_err(),
                "U+{:04X}",
                u32::from(c)
            );
        }
    }

    #[test]
    fn documented_lengths_and_ranges_are_the_ones_core_enforces() {
        let number = || core::PhoneNumber::parse("+16045551234").unwrap();
        let name_ok = |n: usize| {
            core::ProvisionRequest::new(number())
                .friendly_name("x".repeat(n))
                .validate()
                .is_ok()
        };
        for schema in ["ProvisionRequest", "UpdateRequest"] {
            let max = max_length(schema, "friendly_name");
            assert!(name_ok(max) && !name_ok(max + 1) && !name_ok(0), "{schema}");
        }
        let key_ok = |key: String| {
            core::ProvisionRequest::new(number())
                .idempotency_key(key)
                .validate()
                .is_ok()
        };
        let max = max_length("ProvisionRequest", "idempotency_key");
        assert!(key_ok("k".repeat(max)) && !key_ok("k".repeat(max + 1)) && !key_ok(String::new()));
        let key_pattern = property("ProvisionRequest", "idempotency_key")["pattern"].clone();
        assert_eq!(key_pattern, "^[!-~]+$");
        for c in (0..0x100u32).filter_map(char::from_u32) {
            assert_eq!(key_ok(c.to_string()), ('!'..='~').contains(&c), "{c:?}");
        }

        let bulk = |f: &dyn Fn(core::BulkProvisionRequest) -> core::BulkProvisionRequest| {
            f(core::BulkProvisionRequest::new(
                1,
                core::SearchQuery::default(),
            ))
            .validate()
            .is_ok()
        };
        let max = max_length("BulkProvisionRequest", "friendly_name_prefix");
        assert!(bulk(&|r| r.friendly_name_prefix("p".repeat(max))));
        assert!(!bulk(&|r| r.friendly_name_prefix("p".repeat(max + 1))));
        let max = max_length("BulkProvisionRequest", "idempotency_key_prefix");
        assert!(bulk(&|r| r.idempotency_key_prefix("p".repeat(max))));
        assert!(!bulk(&|r| r.idempotency_key_prefix("p".repeat(max + 1))));
        assert_eq!(
            property("BulkProvisionRequest", "idempotency_key_prefix")["pattern"],
            key_pattern
        );

        let search_ok = |q: core::SearchQuery| q.validate().is_ok();
        let query = || core::SearchQuery::new(core::CountryCode::US);
        for schema in ["SearchRequest", "BulkSearch"] {
            for field in ["region", "locality", "postal_code"] {
                let max = max_length(schema, field);
                let with = |text: String| match field {
                    "region" => query().region(text),
                    "locality" => query().locality(text),
                    _ => query().postal_code(text),
                };
                assert!(search_ok(with("r".repeat(max))), "{schema}.{field}");
                assert!(!search_ok(with("r".repeat(max + 1))), "{schema}.{field}");
                assert!(!search_ok(with(" ".into())), "{schema}.{field}");
            }
        }
        assert_eq!(component("Digits")["pattern"], "^[0-9]{1,15}$");
        let digits =
            |n: usize| search_ok(query().pattern(core::DigitPattern::Contains("1".repeat(n))));
        assert!(digits(1) && digits(15) && !digits(16) && !digits(0));
        assert_eq!(
            property("SearchRequest", "area_code")["pattern"],
            "^[0-9]{1,6}$"
        );

        let range = |schema: &str, field: &str| {
            let p = property(schema, field);
            (
                p["minimum"].as_u64().unwrap(),
                p["maximum"].as_u64().unwrap(),
            )
        };
        assert_eq!(
            range("SearchRequest", "limit"),
            (1, u64::from(core::MAX_SEARCH_LIMIT))
        );
        assert_eq!(
            range("BulkProvisionRequest", "count"),
            (1, u64::from(core::MAX_BULK_COUNT))
        );
        assert_eq!(
            range("BulkProvisionRequest", "max_concurrency"),
            (1, u64::from(core::MAX_BULK_CONCURRENCY))
        );
        assert_eq!(
            range("ListRequest", "limit"),
            (1, u64::from(core::MAX_PAGE_SIZE))
        );
        for field in ["voice_url", "sms_url", "status_callback"] {
            assert_eq!(
                property("Routing", field)["maxLength"],
                core::MAX_WEBHOOK_URL_LEN,
                "{field}"
            );
        }
    }

    #[test]
    fn the_phone_number_object_mirrors_core() {
        let full = serde_json::to_value(number(Some(Uuid::nil()), true)).unwrap();
        let minimal = serde_json::to_value(number(None, false)).unwrap();
        assert!(minimal["agent_id"].is_null());
        round_trip::<PhoneNumber>(&full);
        round_trip::<PhoneNumber>(&minimal);
        schema_matches("PhoneNumber", &full, &minimal, &[]);
        round_trip::<Capabilities>(&full["capabilities"]);
        round_trip::<Capabilities>(&minimal["capabilities"]);
        schema_matches("Capabilities", &full["capabilities"], &json!({}), &[]);
    }

    #[test]
    fn the_provision_request_mirrors_core() {
        let full = core::ProvisionRequest::new(core::PhoneNumber::parse("+16045551234").unwrap())
            .friendly_name("Main Line")
            .agent(Uuid::nil())
            .routing(routing())
            .provider("fake")
            .idempotency_key("k1");
        let full = serde_json::to_value(full).unwrap();
        let minimal = json!({"phone_number": "+16045551234"});
        round_trip::<ProvisionRequest>(&full);
        round_trip::<ProvisionRequest>(&minimal);
        // And the other way: what the mirror documents, core accepts.
        let back: core::ProvisionRequest = serde_json::from_value(full.clone()).unwrap();
        assert_eq!(serde_json::to_value(back).unwrap(), full);
        schema_matches("ProvisionRequest", &full, &minimal, &[]);
        round_trip::<Routing>(&full["routing"]);
        schema_matches("Routing", &full["routing"], &json!({}), &[]);
    }

    #[test]
    fn the_search_request_mirrors_core_plus_provider() {
        let full = core::SearchQuery::new(core::CountryCode::CA)
            .number_type(core::NumberType::TollFree)
            .area_code("604")
            .pattern(core::DigitPattern::EndsWith("1234".into()))
            .region("BC")
            .locality("Vancouver")
            .postal_code("V6B")
            .capabilities(core::Capabilities::VOICE_SMS_MMS)
            .limit(5);
        let full = serde_json::to_value(full).unwrap();
        round_trip::<SearchRequest>(&full);
        for pattern in [json!({"contains": "55"}), json!({"starts_with": "604"})] {
            let mut with = full.clone();
            with["pattern"] = pattern;
            round_trip::<SearchRequest>(&with);
        }
        let defaults = serde_json::to_value(core::SearchQuery::default()).unwrap();
        let mirror_defaults: SearchRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(serde_json::to_value(mirror_defaults).unwrap(), defaults);
        schema_matches("SearchRequest", &full, &json!({}), &["provider"]);
    }

    #[test]
    fn the_bulk_request_mirrors_core() {
        let search = core::SearchQuery::new(core::CountryCode::CA)
            .number_type(core::NumberType::TollFree)
            .area_code("604")
            .pattern(core::DigitPattern::EndsWith("1234".into()))
            .region("BC")
            .locality("Vancouver")
            .postal_code("V6B")
            .capabilities(core::Capabilities::VOICE_SMS_MMS)
            .limit(5);
        let full = core::BulkProvisionRequest::new(25, search)
            .provider("fake")
            .friendly_name_prefix("Sales")
            .agent(Uuid::nil())
            .routing(routing())
            .idempotency_key_prefix("batch")
            .max_concurrency(10);
        let full = serde_json::to_value(full).unwrap();
        round_trip::<BulkProvisionRequest>(&full);
        let back: core::BulkProvisionRequest = serde_json::from_value(full.clone()).unwrap();
        assert_eq!(serde_json::to_value(back).unwrap(), full);
        // Absent fields default the same way on both sides.
        let minimal = json!({"count": 1});
        let core_minimal: core::BulkProvisionRequest =
            serde_json::from_value(minimal.clone()).unwrap();
        let mirror_minimal: BulkProvisionRequest = serde_json::from_value(minimal.clone()).unwrap();
        assert_eq!(
            serde_json::to_value(mirror_minimal).unwrap(),
            serde_json::to_value(core_minimal).unwrap()
        );
        schema_matches("BulkProvisionRequest", &full, &minimal, &[]);
        round_trip::<BulkSearch>(&full["search"]);
        schema_matches("BulkSearch", &full["search"], &json!({}), &[]);
    }

    #[test]
    fn the_bulk_report_mirrors_what_the_handler_sends() {
        let report = core::BulkReport {
            requested: 2,
            bought: 1,
            replayed: 1,
            failed: 1,
            outcomes: vec![
                core::BulkOutcome::Bought {
                    index: 1,
                    number: Box::new(number(Some(Uuid::nil()), false)),
                    replayed: true,
                },
                core::BulkOutcome::Failed {
                    index: 2,
                    phone_number: Some(core::PhoneNumber::parse("+16045551235").unwrap()),
                    error: core::Error::invalid("phone_number", "bad"),
                },
            ],
            stats: core::BulkStats {
                searches: 1,
                replaced: 2,
                rate_limited: 3,
                retries: 4,
                peak_concurrency: 5,
                final_concurrency: 6,
            },
        };
        let body = crate::routes::bulk::test_report_body(report);
        assert_eq!(body["outcomes"][0]["status"], "bought");
        assert_eq!(body["outcomes"][1]["status"], "failed");
        assert_eq!(body["outcomes"][1]["error"]["field"], "phone_number");
        round_trip::<BulkReport>(&body);
        schema_matches("BulkReport", &body, &body, &[]);
        schema_matches("BulkStats", &body["stats"], &body["stats"], &[]);
        let mut every = body["outcomes"][0].clone();
        for (key, value) in body["outcomes"][1].as_object().unwrap() {
            every[key] = value.clone();
        }
        schema_matches(
            "BulkOutcome",
            &every,
            &json!({"status": "failed", "index": 2}),
            &[],
        );
        // A store failure is summarised, as in whole-request errors.
        let hidden = crate::routes::bulk::test_report_body(core::BulkReport {
            outcomes: vec![core::BulkOutcome::Failed {
                index: 1,
                phone_number: None,
                error: core::Error::Repository {
                    message: "connection to db-7.internal refused".into(),
                    temporary: true,
                },
            }],
            ..core::BulkReport {
                requested: 1,
                bought: 0,
                replayed: 0,
                failed: 1,
                outcomes: Vec::new(),
                stats: core::BulkStats::default(),
            }
        });
        let error = &hidden["outcomes"][0]["error"];
        assert_eq!(error["code"], "repository_error");
        assert!(!error.to_string().contains("db-7"), "{error}");
        round_trip::<BulkReport>(&hidden);
    }

    #[test]
    fn available_numbers_mirror_core() {
        let full = core::AvailableNumber {
            phone_number: core::PhoneNumber::parse("+16045551234").unwrap(),
            country: core::CountryCode::CA,
            number_type: core::NumberType::Local,
            region: Some("BC".into()),
            locality: Some("Vancouver".into()),
            postal_code: Some("V6B".into()),
            rate_center: Some("VANCOUVER".into()),
            capabilities: core::Capabilities::VOICE_SMS_MMS,
            provider: "fake".into(),
        };
        let minimal = core::AvailableNumber {
            region: None,
            locality: None,
            postal_code: None,
            rate_center: None,
            ..full.clone()
        };
        let full = serde_json::to_value(full).unwrap();
        let minimal = serde_json::to_value(minimal).unwrap();
        round_trip::<AvailableNumber>(&full);
        round_trip::<AvailableNumber>(&minimal);
        // Core writes absent details as null, so every field is always there.
        schema_matches("AvailableNumber", &full, &minimal, &[]);
        round_trip::<SearchResults>(&json!({"data": [full]}));
    }

    #[test]
    fn the_update_request_mirrors_core_plus_id() {
        let id = json!("a1b2c3d4-5678-9012-3456-789012345678");
        for agent in [Some(Some(Uuid::nil())), Some(None)] {
            let update = core::NumberUpdate {
                friendly_name: Some("Support".into()),
                agent_id: agent,
                routing: Some(routing()),
            };
            let mut full = serde_json::to_value(update).unwrap();
            full["id"] = id.clone();
            round_trip::<UpdateRequest>(&full);
            if agent == Some(None) {
                assert!(full["agent_id"].is_null());
            }
        }
        let update = core::NumberUpdate {
            friendly_name: Some("Support".into()),
            agent_id: Some(Some(Uuid::nil())),
            routing: Some(routing()),
        };
        let full = serde_json::to_value(update).unwrap();
        schema_matches("UpdateRequest", &full, &json!({"id": id}), &["id"]);
        let schema = component("UpdateRequest");
        assert!(
            schema["properties"]["agent_id"]
                .to_string()
                .contains("null"),
            "agent_id must be documented as nullable: {schema}"
        );
    }

    #[test]
    fn list_release_and_error_bodies_mirror_what_the_handlers_send() {
        let listing =
            crate::routes::numbers::test_listing(vec![number(None, false)], Some("c".into()));
        round_trip::<NumberList>(&listing);
        schema_matches("NumberList", &listing, &listing, &[]);

        let mut releasing = number(None, false);
        releasing.state = core::NumberState::Releasing;
        releasing.release_not_before = Some(Utc.with_ymd_and_hms(2024, 1, 16, 0, 0, 0).unwrap());
        let pending = crate::routes::numbers::test_release_body(releasing);
        assert_eq!(pending["status"], "releasing");
        assert_eq!(pending["release_not_before"], "2024-01-16T00:00:00Z");
        round_trip::<ReleasedNumber>(&pending);
        let mut released = number(None, false);
        released.state = core::NumberState::Released;
        released.released_at = Some(Utc.with_ymd_and_hms(2024, 1, 16, 0, 0, 0).unwrap());
        let done = crate::routes::numbers::test_release_body(released.clone());
        assert_eq!(done["status"], "released");
        round_trip::<ReleasedNumber>(&done);
        let mut full = done.clone();
        full["release_not_before"] = json!("2024-01-16T00:00:00Z");
        released.released_at = None;
        let minimal = crate::routes::numbers::test_release_body(released);
        schema_matches("ReleasedNumber", &full, &minimal, &[]);

        let error = crate::error::test_body(Some("phone_number"));
        round_trip::<ErrorResponse>(&error);
        round_trip::<ErrorResponse>(&crate::error::test_body(None));
        schema_matches(
            "ErrorDetail",
            &error["error"],
            &crate::error::test_body(None)["error"],
            &[],
        );
    }
}
