//! Telnyx's error body, `{"errors": [{code, title, detail, source}]}`, with
//! `code` a string of digits. Clients branch on the code, so the codes are
//! the ones Telnyx lists for these cases; the statuses are the emulator's
//! choice where Telnyx documents none (docs/carriers/telnyx.md).

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// The resource (a number, an order) does not exist for this account.
pub(crate) const NOT_FOUND: &str = "10005";
/// The path id is not an id of that resource's kind.
pub(crate) const INVALID_ID: &str = "10006";
/// An unexpected (5xx) error.
pub(crate) const UNEXPECTED: &str = "10007";
/// No or a wrong API key.
pub(crate) const AUTH_FAILED: &str = "10009";
/// Over the rate limit.
pub(crate) const TOO_MANY: &str = "10011";
/// The account already holds the number (owned or on order).
pub(crate) const DUPLICATE: &str = "10012";
/// A malformed request.
pub(crate) const BAD_REQUEST: &str = "10015";
/// A number not in +E.164.
pub(crate) const NOT_E164: &str = "10016";
/// A required field is missing.
pub(crate) const MISSING: &str = "10004";
/// Someone else holds the number, or its order is still pending.
pub(crate) const IN_USE: &str = "10021";

/// Where an error points: a body field (JSON pointer) or a query parameter.
pub(crate) enum Source<'a> {
    Pointer(&'a str),
    Parameter(&'a str),
}

/// One error in Telnyx's shape.
pub(crate) fn telnyx(
    status: StatusCode,
    code: &str,
    title: &str,
    detail: impl Into<String>,
    source: Option<Source<'_>>,
) -> Response {
    let mut error = Map::new();
    error.insert("code".into(), Value::from(code));
    error.insert("title".into(), Value::from(title));
    error.insert("detail".into(), Value::from(detail.into()));
    match source {
        Some(Source::Pointer(p)) => {
            error.insert("source".into(), json!({ "pointer": p }));
        }
        Some(Source::Parameter(p)) => {
            error.insert("source".into(), json!({ "parameter": p }));
        }
        None => {}
    }
    (status, Json(json!({ "errors": [error] }))).into_response()
}

/// 400, a query parameter (named when known) that cannot be used.
pub(crate) fn bad_request(parameter: Option<&str>, detail: impl Into<String>) -> Response {
    telnyx(
        StatusCode::BAD_REQUEST,
        BAD_REQUEST,
        "Bad Request",
        detail,
        parameter.map(Source::Parameter),
    )
}

/// 422, a body field (by JSON pointer) that cannot be used.
pub(crate) fn invalid(pointer: &str, detail: impl Into<String>) -> Response {
    telnyx(
        StatusCode::UNPROCESSABLE_ENTITY,
        BAD_REQUEST,
        "Invalid value",
        detail,
        Some(Source::Pointer(pointer)),
    )
}

/// 404 for an id of this account that does not exist (or another
/// account's, which is the same to the caller).
pub(crate) fn not_found(what: &str) -> Response {
    telnyx(
        StatusCode::NOT_FOUND,
        NOT_FOUND,
        "Resource not found",
        format!("{what} was not found"),
        None,
    )
}

/// 401 for a missing or wrong API key.
pub(crate) fn unauthorized() -> Response {
    telnyx(
        StatusCode::UNAUTHORIZED,
        AUTH_FAILED,
        "Authentication failed",
        "The API key is missing or not valid: send Authorization: Bearer <API v2 key>",
        None,
    )
}

/// 429 with Telnyx's body and rate-limit headers; `x-ratelimit-reset` is
/// the seconds until a request is let through again.
pub(crate) fn too_many_requests(limit: u32, reset_secs: u32) -> Response {
    let mut response = telnyx(
        StatusCode::TOO_MANY_REQUESTS,
        TOO_MANY,
        "Too many requests",
        "You have exceeded the maximum number of allowed requests.",
        None,
    );
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(0u32));
    headers.insert("x-ratelimit-reset", HeaderValue::from(reset_secs));
    response
}

/// A 5xx answer.
pub(crate) fn server_error(status: StatusCode) -> Response {
    telnyx(
        status,
        UNEXPECTED,
        "Unexpected error",
        status
            .canonical_reason()
            .unwrap_or("Internal Server Error")
            .to_string(),
        None,
    )
}
