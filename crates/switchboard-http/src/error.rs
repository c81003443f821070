//! Every failure leaves as the same JSON shape with a stable code, so clients
//! branch on `error.code` and show `error.message`, whatever went wrong.

use std::borrow::Cow;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use switchboard_api::{ErrorDetail, ErrorResponse};
use switchboard_core::Error;

/// An error response: status, code, message, and the input field at fault.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: Cow<'static, str>,
    pub(crate) message: String,
    pub(crate) field: Option<String>,
    /// Whole seconds for the `Retry-After` header.
    pub(crate) retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: Cow::Borrowed(code),
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// A 400 `invalid_input` naming `field`.
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(StatusCode::BAD_REQUEST, "invalid_input", message)
        }
    }

    /// A 401 that says what was wrong with the credentials, never what they were.
    pub(crate) fn unauthenticated(message: &'static str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    /// A 413 for a body over the limit, declared or sent.
    pub(crate) fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than this service accepts",
        )
    }

    /// A 404 for a route that does not exist.
    pub(crate) fn no_route(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no route for {method} {path}; GET /openapi.json lists the routes"),
        )
    }
}

/// Seconds to wait, rounded up so that a client never comes back too early.
fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs();
    if wait.subsec_nanos() > 0 {
        secs + 1
    } else {
        secs
    }
    .max(1)
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let code = error.code();
        // What the client is shown (a server-side failure's message only as
        // a summary: the log below gets the detail), as a bulk report shows
        // a position's failure.
        let ErrorDetail { message, field, .. } = ErrorDetail::from(&error);
        let mut retry_after = None;
        // Retries change how long it took, not what it means.
        let status = match error.last_attempt() {
            Error::InvalidInput { .. } => StatusCode::BAD_REQUEST,
            // The carrier cannot apply a filter the client chose: changing the
            // request (dropping the filter, picking another provider) fixes it,
            // so this is the client's 400 rather than the server's 501.
            Error::NotSupported { .. } => StatusCode::BAD_REQUEST,
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            // Another request changed the number while this one decided:
            // the same request may go through when made again.
            Error::AlreadyProvisioned { .. } | Error::Conflict { .. } | Error::Stale { .. } => {
                StatusCode::CONFLICT
            }
            // The same request clashes again: still 409, the resource's
            // state is what conflicts, but not worth retrying.
            Error::Duplicate { .. } => StatusCode::CONFLICT,
            // A key reused with another body is the client's mistake, for good.
            Error::IdempotencyKeyMismatch { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            // A carrier answer that contradicts the request: nothing was
            // recorded from it, and reconcile settles the number by asking.
            Error::Inconsistent { .. } => StatusCode::BAD_GATEWAY,
            Error::NumberUnavailable { .. } | Error::RequirementMissing { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Error::RateLimited {
                retry_after: wait, ..
            } => {
                retry_after = Some(wait.map_or(1, whole_seconds));
                StatusCode::TOO_MANY_REQUESTS
            }
            Error::RetryLater { not_before, .. } => {
                retry_after = not_before
                    .and_then(|at| (at - chrono::Utc::now()).to_std().ok().map(whole_seconds));
                StatusCode::SERVICE_UNAVAILABLE
            }
            Error::Transport { .. } => StatusCode::SERVICE_UNAVAILABLE,
            // The carrier refused *our* credentials: the operator's problem,
            // not the client's token, so never a 401.
            Error::Unauthenticated { .. } => StatusCode::BAD_GATEWAY,
            Error::Carrier { .. } if error.is_temporary() => StatusCode::SERVICE_UNAVAILABLE,
            Error::Carrier { .. } => StatusCode::BAD_GATEWAY,
            Error::Repository { temporary, .. } => {
                if *temporary {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            }
            // The service is misconfigured, or an error core adds later.
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::warn!(code, error = %error, "request failed");
        }
        Self {
            status,
            code: Cow::Borrowed(code),
            message,
            field,
            retry_after,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorResponse {
            error: ErrorDetail {
                code: self.code.into_owned(),
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"switchboard\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_statuses_that_say_whose_fault_it_is() {
        let cases: Vec<(Error, StatusCode)> = vec![
            (
                Error::invalid("phone_number", "bad"),
                StatusCode::BAD_REQUEST,
            ),
            (Error::not_found("x"), StatusCode::NOT_FOUND),
            (
                Error::AlreadyProvisioned {
                    phone_number: "+16045551234".into(),
                },
                StatusCode::CONFLICT,
            ),
            (
                Error::NumberUnavailable {
                    phone_number: "+16045551234".into(),
                    provider: "fake".into(),
                    code: None,
                    message: None,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                Error::Transport {
                    provider: "fake".into(),
                    message: "connect".into(),
                    cause: None,
                },
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                Error::Carrier {
                    provider: "fake".into(),
                    status: Some(400),
                    code: None,
                    message: None,
                },
                StatusCode::BAD_GATEWAY,
            ),
            (
                Error::Unauthenticated {
                    provider: "twilio".into(),
                    message: "bad key".into(),
                    code: None,
                },
                StatusCode::BAD_GATEWAY,
            ),
            (
                Error::NotSupported {
                    provider: "fake".into(),
                    what: "x".into(),
                },
                StatusCode::BAD_REQUEST,
            ),
        ];
        for (error, status) in cases {
            let code = error.code();
            let api = ApiError::from(error);
            assert_eq!(api.status, status, "{code}");
            assert_eq!(api.code, code);
        }
    }

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        assert_eq!(whole_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds(Duration::from_secs(3)), 3);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        let api = ApiError::from(Error::rate_limited("fake", None));
        assert_eq!(api.retry_after, Some(1));
    }

    #[test]
    fn repository_details_stay_in_the_log() {
        let api = ApiError::from(Error::Repository {
            message: "disk /var/db full".into(),
            temporary: false,
            cause: None,
        });
        assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!api.message.contains("/var/db"), "{}", api.message);
    }
}
