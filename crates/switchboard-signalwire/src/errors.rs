//! SignalWire's error answers turned into core errors, with the meaning the
//! live observations give them (docs/carriers/signalwire.md, "Errors": a 422
//! on purchase is a number someone else bought; a 422 on release is the
//! purchase cooldown).

use chrono::{DateTime, NaiveDateTime, Utc};
use switchboard_carrier_http::Refusal;
use switchboard_core::Error;

use crate::wire::ErrorBody;

/// The provider name on every error.
pub(crate) const PROVIDER: &str = "signalwire";

/// Which call failed, for the meaning of its status.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Operation<'a> {
    Search,
    Purchase { phone_number: &'a str },
    List,
    Get { id: &'a str },
    Update { id: &'a str },
    Release { id: &'a str },
}

impl Operation<'_> {
    fn subject(&self) -> String {
        match self {
            Operation::Get { id } | Operation::Update { id } | Operation::Release { id } => {
                format!("signalwire phone number {id}")
            }
            Operation::Purchase { phone_number } => format!("signalwire number {phone_number}"),
            Operation::Search => "signalwire number search".into(),
            Operation::List => "signalwire phone number list".into(),
        }
    }
}

/// The core error for a refused call.
pub(crate) fn from_refusal(op: Operation<'_>, refusal: &Refusal<'_>) -> Error {
    let body = ErrorBody::parse(refusal.body);
    let code = refusal.status.as_u16();
    match code {
        401 | 403 => Error::Unauthenticated {
            provider: PROVIDER.into(),
            message: with_carrier(
                &format!(
                    "HTTP {code}: the project ID or API token was refused, \
                     or the token lacks the Numbers scope"
                ),
                &body,
            ),
            code: body.code.clone(),
        },
        404 => Error::NotFound {
            what: op.subject(),
            code: body.code.clone(),
        },
        429 => Error::RateLimited {
            provider: PROVIDER.into(),
            retry_after: refusal.retry_after,
            code: body.code.clone(),
            message: body.message(),
        },
        422 => match op {
            Operation::Purchase { phone_number } => Error::NumberUnavailable {
                phone_number: phone_number.to_string(),
                provider: PROVIDER.into(),
                code: body.code.clone(),
                message: body.message(),
            },
            Operation::Release { .. } => release_refused(&body),
            _ => carrier(code, &body),
        },
        _ => carrier(code, &body),
    }
}

fn carrier(status: u16, body: &ErrorBody) -> Error {
    Error::Carrier {
        provider: PROVIDER.into(),
        status: Some(status),
        code: body.code.clone(),
        message: body.message(),
    }
}

fn with_carrier(ours: &str, body: &ErrorBody) -> String {
    match body.message() {
        Some(theirs) => format!("{ours} ({theirs})"),
        None => ours.to_string(),
    }
}

/// A 422 on release. SignalWire refuses to release a number for about two
/// weeks after its purchase and says until when; that release must happen
/// later, not be dropped. Every 422 on release is taken this way, also when
/// the wording changes or the detail is null: a pending release that
/// `reconcile` retries is recoverable, while reporting a permanent failure
/// would put the number back in service and lose the owner's intent.
fn release_refused(body: &ErrorBody) -> Error {
    Error::RetryLater {
        provider: PROVIDER.into(),
        not_before: body.detail.as_deref().and_then(cooldown_end),
        message: body.message().unwrap_or_else(|| {
            "HTTP 422: SignalWire refused to release the number for now".to_string()
        }),
    }
}

/// The time in "... Please wait until 2025-06-18 05:49:47 UTC to release ...".
pub(crate) fn cooldown_end(detail: &str) -> Option<DateTime<Utc>> {
    detail.match_indices("until ").find_map(|(at, word)| {
        let rest = detail.get(at + word.len()..)?.trim_start();
        let stamp = rest.get(..19)?;
        let after = rest.get(19..).unwrap_or("").trim_start();
        NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(stamp, "%Y-%m-%dT%H:%M:%S"))
            .ok()
            // Only a time stated in UTC (or with Z) is taken at its word.
            .filter(|_| {
                after.starts_with("UTC") || after.starts_with('Z') || after.starts_with("+00:00")
            })
            .map(|t| t.and_utc())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    const COOLDOWN: &str = "Number was purchased too recently to release. Please wait until \
                            2025-06-18 05:49:47 UTC to release this number, or contact Support \
                            for assistance.";

    #[test]
    fn the_cooldown_time_is_read_from_the_live_detail() {
        assert_eq!(
            cooldown_end(COOLDOWN),
            Some(Utc.with_ymd_and_hms(2025, 6, 18, 5, 49, 47).unwrap())
        );
        assert_eq!(cooldown_end("Please wait until later."), None);
        assert_eq!(cooldown_end("until 2025-06-18 05:49:47 PST"), None);
        assert_eq!(cooldown_end("until 2025-13-18 05:49:47 UTC"), None);
        assert_eq!(cooldown_end("until"), None);
    }

    fn refused(op: Operation<'_>, status: u16, body: &[u8]) -> Error {
        let refusal = Refusal {
            status: switchboard_carrier_http::StatusCode::from_u16(status).unwrap(),
            retry_after: Some(Duration::from_secs(7)),
            body,
        };
        from_refusal(op, &refusal)
    }

    #[test]
    fn statuses_get_their_meaning_per_operation() {
        let body = br#"{"errors":[{"detail":null,"status":"422","title":"Invalid Attribute","code":"422"}]}"#;
        let purchase = Operation::Purchase {
            phone_number: "+15558675309",
        };
        let release = Operation::Release { id: "x" };
        assert!(matches!(
            refused(purchase, 422, body),
            Error::NumberUnavailable { .. }
        ));
        match refused(release, 422, body) {
            Error::RetryLater { not_before, .. } => assert_eq!(not_before, None),
            other => panic!("{other:?}"),
        }
        let cooldown = serde_json::json!({"errors": [{"detail": COOLDOWN, "status": "422",
            "title": "Invalid Attribute", "code": "422"}]})
        .to_string();
        match refused(release, 422, cooldown.as_bytes()) {
            Error::RetryLater { not_before, .. } => assert!(not_before.is_some()),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            refused(Operation::Search, 422, body),
            Error::Carrier {
                status: Some(422),
                ..
            }
        ));
        let e = refused(Operation::List, 401, b"");
        assert!(e.to_string().contains("Numbers scope"), "{e}");
        let e = refused(release, 404, b"{\"error\":\"Not Found\"}");
        assert!(matches!(e, Error::NotFound { .. }));
        let e = refused(Operation::Search, 429, b"");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        let e = refused(Operation::Search, 502, b"<html>");
        assert!(e.is_temporary());
    }
}
