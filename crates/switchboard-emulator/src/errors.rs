//! Error bodies in each carrier's own shape. Callers branch on Twilio's
//! `code` and SignalWire's status, so those are what must be right; messages
//! only need to say what was wrong.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Twilio: 401, bad credentials.
pub(crate) const TWILIO_AUTH: u32 = 20003;
/// Twilio: 404, no such resource.
pub(crate) const TWILIO_NOT_FOUND: u32 = 20404;
/// Twilio: 429, too many concurrent requests.
pub(crate) const TWILIO_TOO_MANY: u32 = 20429;
/// Twilio: 400, the phone number is invalid.
pub(crate) const TWILIO_INVALID_NUMBER: u32 = 21421;
/// Twilio: 400, the number is not available.
pub(crate) const TWILIO_UNAVAILABLE: u32 = 21422;
/// Twilio: 400, no numbers in that area code.
pub(crate) const TWILIO_NO_NUMBERS_IN_AREA: u32 = 21452;
/// Twilio: 400, a trial account may own one number.
pub(crate) const TWILIO_TRIAL_LIMIT: u32 = 21404;
/// The emulator's code for a malformed or undeclared parameter. Twilio's own
/// code for each such case is not documented in the carrier notes; 20001 is
/// used for all of them.
pub(crate) const TWILIO_INVALID_PARAMETER: u32 = 20001;

/// A Twilio error body: `{code, message, more_info, status}` (401 adds
/// `detail`).
pub(crate) fn twilio(status: StatusCode, code: u32, message: impl Into<String>) -> Response {
    let mut body = json!({
        "code": code,
        "message": message.into(),
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    if status == StatusCode::UNAUTHORIZED
        && let Some(map) = body.as_object_mut()
    {
        map.insert(
            "detail".into(),
            Value::from("Your AccountSid or AuthToken was incorrect."),
        );
    }
    (status, Json(body)).into_response()
}

pub(crate) fn twilio_bad_request(code: u32, message: impl Into<String>) -> Response {
    twilio(StatusCode::BAD_REQUEST, code, message)
}

pub(crate) fn twilio_not_found(path: &str) -> Response {
    twilio(
        StatusCode::NOT_FOUND,
        TWILIO_NOT_FOUND,
        format!("The requested resource {path} was not found"),
    )
}

/// A SignalWire validation body: `{"errors": [{detail, status, title, code}]}`
/// with `status` and `code` as strings.
pub(crate) fn signalwire_errors(status: StatusCode, detail: Option<String>) -> Response {
    let title = match status.as_u16() {
        400 => "Bad Request",
        422 => "Invalid Attribute",
        429 => "Too Many Requests",
        _ => status.canonical_reason().unwrap_or("Error"),
    };
    let code = status.as_u16().to_string();
    (
        status,
        Json(json!({"errors": [{
            "detail": detail,
            "status": code,
            "title": title,
            "code": code,
        }]})),
    )
        .into_response()
}

/// SignalWire's `{"error": "Not Found"}` style, declared for 400, 401, 404
/// and 500.
pub(crate) fn signalwire_plain(status: StatusCode) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    (status, Json(json!({ "error": reason }))).into_response()
}

pub(crate) fn with_retry_after(mut response: Response, secs: u32) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

/// A 5xx answer in the carrier's style.
pub(crate) fn server_error(twilio_protocol: bool, status: StatusCode) -> Response {
    if twilio_protocol {
        let code = 20000 + u32::from(status.as_u16());
        twilio(
            status,
            code,
            status
                .canonical_reason()
                .unwrap_or("Internal Server Error")
                .to_string(),
        )
    } else {
        signalwire_plain(status)
    }
}
