//! The error body every failed request answers with, and the words an error
//! is shown in: whole-request failures and a bulk position's failure alike.

use serde::{Deserialize, Serialize};
use switchboard_core::Error;
use utoipa::ToSchema;

/// Every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"error": {"code": "invalid_input", "message": "invalid phone_number: phone number must start with '+' followed by the country code (E.164, such as +16045551234)", "field": "phone_number"}}))]
pub struct ErrorResponse {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    /// Stable, machine-readable kind: `invalid_input`, `invalid_json`,
    /// `unsupported_media_type`, `payload_too_large`, `unauthenticated`,
    /// `not_found`, `method_not_allowed`, `already_provisioned`, `conflict`,
    /// `number_unavailable`, `requirement_missing`, `not_supported`,
    /// `rate_limited`, `retry_later`, `carrier_error`, `carrier_unreachable`,
    /// `timeout`, `repository_error`, `configuration_error`, `internal_error`.
    #[schema(example = "invalid_input")]
    pub code: String,
    /// For people: what was wrong and, where it helps, how to fix it.
    pub message: String,
    /// The input field at fault (`phone_number`, `routing.voice_url`), when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl From<&Error> for ErrorDetail {
    /// The error as a client may see it. A server-side failure's message may
    /// describe our internals (a host name, a path, a driver's words), so it
    /// is summarised; the whole error belongs in the server's log.
    fn from(error: &Error) -> Self {
        let message = match error {
            Error::Repository { .. } => "the number store failed; try again later".into(),
            Error::Configuration { .. } => {
                "the service is misconfigured; the operator has been told".into()
            }
            Error::InvalidInput { .. }
            | Error::NotSupported { .. }
            | Error::NotFound { .. }
            | Error::AlreadyProvisioned { .. }
            | Error::Conflict { .. }
            | Error::Duplicate { .. }
            | Error::Stale { .. }
            | Error::IdempotencyKeyMismatch { .. }
            | Error::Inconsistent { .. }
            | Error::NumberUnavailable { .. }
            | Error::RequirementMissing { .. }
            | Error::RateLimited { .. }
            | Error::RetryLater { .. }
            | Error::Transport { .. }
            | Error::Unauthenticated { .. }
            | Error::GaveUp { .. }
            | Error::Carrier { .. } => error.to_string(),
            // An error core adds later is shown once someone decides how.
            _ => "internal error".into(),
        };
        Self {
            code: error.code().to_string(),
            message,
            field: error.field().map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_say_what_was_wrong_and_store_failures_hide_their_details() {
        let detail = ErrorDetail::from(&Error::invalid("phone_number", "bad"));
        assert_eq!(detail.code, "invalid_input");
        assert_eq!(detail.message, "invalid phone_number: bad");
        assert_eq!(detail.field.as_deref(), Some("phone_number"));

        for error in [
            Error::Repository {
                message: "disk /var/db full".into(),
                temporary: false,
                cause: None,
            },
            Error::Configuration {
                message: "secret file /etc/sb/key unreadable".into(),
            },
        ] {
            let detail = ErrorDetail::from(&error);
            assert_eq!(detail.code, error.code());
            assert!(!detail.message.contains("/var/db"), "{}", detail.message);
            assert!(!detail.message.contains("/etc/sb"), "{}", detail.message);
            assert_eq!(detail.field, None);
        }
    }
}
