//! Twilio's failures in core's terms: branch on the carrier's `code` first
//! (never on its message), then on the HTTP status, and keep the carrier's
//! code and message wherever core's error has room for them.

use switchboard_carrier_http::{Refusal, StatusCode, quote};
use switchboard_core::Error;

use crate::PROVIDER;
use crate::wire::ErrorBody;

/// What the failed call was about, for messages a caller can act on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subject<'a> {
    /// What was asked for, e.g. `twilio phone number PN...`.
    pub what: &'a str,
    /// The number being bought, for [`Error::NumberUnavailable`].
    pub phone_number: Option<&'a str>,
}

/// Maps a refused request. Never panics, whatever the body holds.
pub(crate) fn from_refusal(refusal: &Refusal<'_>, subject: Subject<'_>) -> Error {
    let status = refusal.status;
    let parsed = serde_json::from_slice::<ErrorBody>(refusal.body).ok();
    let (code, message) = match &parsed {
        Some(b) => (b.code.clone(), b.message.clone()),
        None => (None, unreadable(refusal.body)),
    };
    if let Some(more_info) = parsed.as_ref().and_then(|b| b.more_info.as_deref()) {
        tracing::debug!(status = status.as_u16(), code = ?code, more_info, "twilio error");
    }
    let carrier_text = || describe(code.as_deref(), message.as_deref());
    match code.as_deref() {
        Some("21422") => {
            return Error::NumberUnavailable {
                phone_number: subject
                    .phone_number
                    .unwrap_or("the requested number")
                    .to_string(),
                provider: PROVIDER.to_string(),
                code,
                message,
            };
        }
        Some("20003") => {
            return Error::Unauthenticated {
                provider: PROVIDER.to_string(),
                message: carrier_text(),
                code,
            };
        }
        Some("20404") => {
            return Error::NotFound {
                what: format!("{} ({})", subject.what, carrier_text()),
                code,
            };
        }
        Some("20429") => {
            return Error::RateLimited {
                provider: PROVIDER.to_string(),
                retry_after: refusal.retry_after,
                code,
                message,
            };
        }
        Some("21631") => return requirement("AddressSid", code, message),
        Some("21649") => return requirement("BundleSid", code, message),
        Some("21421") => {
            return Error::invalid(
                "phone_number",
                format!("twilio refused it: {}", carrier_text()),
            );
        }
        _ => {}
    }
    match status {
        StatusCode::UNAUTHORIZED => Error::Unauthenticated {
            provider: PROVIDER.to_string(),
            message: carrier_text(),
            code,
        },
        StatusCode::NOT_FOUND => Error::NotFound {
            what: format!("{} ({})", subject.what, carrier_text()),
            code,
        },
        StatusCode::TOO_MANY_REQUESTS => Error::RateLimited {
            provider: PROVIDER.to_string(),
            retry_after: refusal.retry_after,
            code,
            message,
        },
        _ => Error::Carrier {
            provider: PROVIDER.to_string(),
            status: Some(status.as_u16()),
            code,
            message,
        },
    }
}

fn requirement(what: &str, code: Option<String>, message: Option<String>) -> Error {
    Error::RequirementMissing {
        provider: PROVIDER.to_string(),
        requirement: what.to_string(),
        code,
        message,
    }
}

fn describe(code: Option<&str>, message: Option<&str>) -> String {
    match (code, message) {
        (Some(c), Some(m)) => format!("twilio code {c}: {m}"),
        (Some(c), None) => format!("twilio code {c}"),
        (None, Some(m)) => m.to_string(),
        (None, None) => "no details given".to_string(),
    }
}

/// A short, printable quote of a body that is not Twilio's error JSON (an
/// HTML page from a proxy, say), so the error still says something.
fn unreadable(body: &[u8]) -> Option<String> {
    quote(&String::from_utf8_lossy(body)).map(|quoted| format!("non-JSON answer: {quoted}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const SUBJECT: Subject<'static> = Subject {
        what: "twilio phone number PNx",
        phone_number: Some("+15005550000"),
    };

    fn refusal(status: u16, body: &[u8]) -> Refusal<'_> {
        Refusal {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: None,
            body,
        }
    }

    fn map(status: u16, body: &str) -> Error {
        from_refusal(&refusal(status, body.as_bytes()), SUBJECT)
    }

    #[test]
    fn codes_decide_before_statuses() {
        let e = map(
            400,
            r#"{"code":21422,"message":"not available","status":400}"#,
        );
        match &e {
            Error::NumberUnavailable {
                phone_number,
                code,
                message,
                ..
            } => {
                assert_eq!(phone_number, "+15005550000");
                assert_eq!(code.as_deref(), Some("21422"));
                assert_eq!(message.as_deref(), Some("not available"));
            }
            other => panic!("{other:?}"),
        }
        // A 400 that is really "not found" by its code.
        assert!(matches!(
            map(400, r#"{"code":20404}"#),
            Error::NotFound { .. }
        ));
        assert!(
            matches!(map(401, r#"{"code":20003,"message":"Authenticate","detail":"x"}"#),
            Error::Unauthenticated { message, .. } if message.contains("20003"))
        );
        assert_eq!(
            map(401, r#"{"code":20003,"message":"Authenticate"}"#).carrier_code(),
            Some("20003")
        );
        assert_eq!(map(404, r#"{"code":20404}"#).carrier_code(), Some("20404"));
        assert!(
            matches!(map(400, r#"{"code":21631,"message":"needs address"}"#),
            Error::RequirementMissing { requirement, code, .. }
                if requirement == "AddressSid" && code.as_deref() == Some("21631"))
        );
        assert!(matches!(map(400, r#"{"code":21649}"#),
            Error::RequirementMissing { requirement, .. } if requirement == "BundleSid"));
        let e = map(400, r#"{"code":21421,"message":"PhoneNumber is invalid"}"#);
        assert_eq!(e.field(), Some("phone_number"));
        assert!(e.to_string().contains("21421"), "{e}");
    }

    #[test]
    fn twenty_429_is_a_temporary_rate_limit_with_its_wait() {
        let e = from_refusal(
            &Refusal {
                retry_after: Some(Duration::from_secs(7)),
                ..refusal(429, br#"{"code":20429,"message":"Too Many Requests"}"#)
            },
            SUBJECT,
        );
        assert!(e.is_temporary());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        // The carrier's code and message stay on the error.
        assert_eq!(e.carrier_code(), Some("20429"));
        assert!(e.to_string().contains("Too Many Requests"), "{e}");
        // 20429 means "never processed" even when the status says otherwise.
        let e = map(503, r#"{"code":20429}"#);
        assert!(matches!(
            e,
            Error::RateLimited {
                retry_after: None,
                ..
            }
        ));
    }

    #[test]
    fn server_errors_are_temporary_and_keep_code_and_status() {
        let e = map(503, r#"{"code":20500,"message":"Internal"}"#);
        assert!(e.is_temporary());
        assert!(
            matches!(&e, Error::Carrier { status: Some(503), code: Some(c), .. } if c == "20500")
        );
        let e = map(400, r#"{"code":21452,"message":"No numbers in area code"}"#);
        assert!(!e.is_temporary());
        assert!(e.to_string().contains("21452"), "{e}");
    }

    #[test]
    fn bodies_that_are_not_json_do_not_panic() {
        let e = map(502, "<html><body>Bad gateway\u{0}</body></html>");
        assert!(e.is_temporary());
        let text = e.to_string();
        assert!(text.contains("non-JSON answer"), "{text}");
        assert!(!text.contains('\u{0}'));
        let e = map(500, "");
        assert!(matches!(e, Error::Carrier { message: None, .. }));
        let e = map(404, "\u{fffd}\u{fffd}");
        assert!(matches!(e, Error::NotFound { .. }));
        let long = "x".repeat(10_000);
        assert!(map(500, &long).to_string().len() < 400);
        assert!(matches!(
            map(401, "Unauthorized"),
            Error::Unauthenticated { .. }
        ));
        let bytes = from_refusal(&refusal(502, &[0xff, 0xfe, 0x00]), SUBJECT);
        assert!(bytes.is_temporary());
    }
}
