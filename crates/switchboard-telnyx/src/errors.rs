//! Telnyx's error answers turned into core errors.
//!
//! Telnyx answers every failure with `{"errors": [{code, title, detail,
//! source}]}` (the description's `Errors`), its codes strings of digits.
//! The codes decide where they are known, the status where they are not;
//! the codes below are Telnyx's published list (docs/carriers/telnyx.md,
//! "Errors"), which the description itself leaves out (it declares only
//! `200` and `default`). A 5xx is temporary whatever code it carries.
//!
//! Per operation: not found (10005) and in use (10021) to an order mean
//! the number is not for sale to us ([`Error::NumberUnavailable`]); in use
//! to a release means its order is still open, so the release waits
//! ([`Error::RetryLater`]); 10012 to an order is the account holding the
//! number already ([`Error::Duplicate`], permanent: ordering again clashes
//! again).

use std::borrow::Cow;

use switchboard_carrier_http::{ErrorItem, Refusal};
use switchboard_core::Error;

/// The carrier's name: on every error, on every number it sells, and
/// its section, `[providers.telnyx]`.
pub const PROVIDER: &str = "telnyx";

/// Which call failed, for the meaning of its answer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Operation<'a> {
    Search,
    Purchase { phone_number: &'a str },
    Order { id: &'a str },
    List,
    Get { id: &'a str },
    Update { id: &'a str },
    Release { id: &'a str },
}

impl Operation<'_> {
    fn subject(&self) -> String {
        match self {
            Operation::Get { id } | Operation::Update { id } | Operation::Release { id } => {
                format!("telnyx phone number {id}")
            }
            Operation::Order { id } => format!("telnyx number order {id}"),
            Operation::Purchase { phone_number } => format!("telnyx number {phone_number}"),
            Operation::Search => "telnyx number search".into(),
            Operation::List => "telnyx phone number list".into(),
        }
    }
}

/// What a code means, apart from the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    /// 10009 authentication failed, 10010 authorization failed.
    Credentials,
    /// 10005 resource not found.
    NotFound,
    /// 10002 invalid phone number, 10016 not in +E.164.
    BadNumber,
    /// 10004 missing parameter, 10015 bad request.
    BadRequest,
    /// 10006 invalid id: the path's id is not one of Telnyx's.
    BadId,
    /// 10021 resource in use: someone else holds the ordered number, or
    /// the number to release is still on an open order.
    InUse,
    /// 10011 too many requests.
    RateLimited,
    /// 10012 duplicate resource.
    Duplicate,
}

/// Telnyx's codes that have a core meaning; any other is decided by status.
fn meaning(code: &str) -> Option<Meaning> {
    Some(match code {
        "10009" | "10010" => Meaning::Credentials,
        "10005" => Meaning::NotFound,
        "10002" | "10016" => Meaning::BadNumber,
        "10004" | "10015" => Meaning::BadRequest,
        "10006" => Meaning::BadId,
        "10021" => Meaning::InUse,
        "10011" => Meaning::RateLimited,
        "10012" => Meaning::Duplicate,
        _ => return None,
    })
}

/// The core error for a refused call.
pub(crate) fn from_refusal(op: Operation<'_>, refusal: &Refusal<'_>) -> Error {
    let items = ErrorItem::list(refusal.body);
    let status = refusal.status.as_u16();
    // The first item with a known code speaks for the answer; else the first.
    let known = items
        .iter()
        .find_map(|item| Some((item, meaning(item.code.as_deref()?)?)));
    let first = known.map(|(item, _)| item).or(items.first());
    let code = first.and_then(|item| item.code.clone());
    let message = first.and_then(ErrorItem::message).or_else(|| {
        // Not an errors[] body (a proxy's page): its text, bounded.
        switchboard_carrier_http::quote(&String::from_utf8_lossy(refusal.body))
    });
    if status >= 500 {
        return carrier(status, code, message);
    }
    let meaning = known.map(|(_, m)| m).or(match status {
        401 | 403 => Some(Meaning::Credentials),
        404 => Some(Meaning::NotFound),
        429 => Some(Meaning::RateLimited),
        _ => None,
    });
    match meaning {
        Some(Meaning::Credentials) => Error::Unauthenticated {
            provider: PROVIDER.into(),
            message: match &message {
                Some(theirs) => format!("HTTP {status}: the API v2 key was refused ({theirs})"),
                None => format!("HTTP {status}: the API v2 key was refused"),
            },
            code,
        },
        Some(Meaning::RateLimited) => Error::RateLimited {
            provider: PROVIDER.into(),
            retry_after: refusal.retry_after,
            code,
            message,
        },
        // Not for sale (any more): the number of a purchase is unavailable.
        Some(Meaning::NotFound) => match op {
            Operation::Purchase { phone_number } => unavailable(phone_number, code, message),
            _ => Error::NotFound {
                what: op.subject(),
                code,
            },
        },
        Some(Meaning::BadNumber) => Error::InvalidInput {
            field: Cow::Borrowed("phone_number"),
            reason: reason(status, code.as_deref(), message),
        },
        Some(Meaning::BadRequest) => match first.and_then(ErrorItem::field) {
            Some(field) => Error::InvalidInput {
                field: Cow::Owned(field.to_string()),
                reason: reason(status, code.as_deref(), message),
            },
            None => carrier(status, code, message),
        },
        Some(Meaning::BadId) => Error::InvalidInput {
            field: Cow::Borrowed(match op {
                Operation::Order { .. } => "order_id",
                _ => "carrier_id",
            }),
            reason: reason(status, code.as_deref(), message),
        },
        Some(Meaning::InUse) => match op {
            Operation::Purchase { phone_number } => unavailable(phone_number, code, message),
            // Its order has not settled: the release must wait, not fail.
            Operation::Release { .. } => Error::RetryLater {
                provider: PROVIDER.into(),
                not_before: None,
                message: message.unwrap_or_else(|| "the number is in use (an open order)".into()),
            },
            _ => Error::Conflict {
                reason: match message {
                    Some(theirs) => format!("{} is in use ({theirs})", op.subject()),
                    None => format!("{} is in use", op.subject()),
                },
            },
        },
        Some(Meaning::Duplicate) => Error::Duplicate {
            what: match message {
                Some(theirs) => format!("{} ({theirs})", op.subject()),
                None => op.subject(),
            },
        },
        None => match op {
            // Telnyx's word for a number it will not sell is not published;
            // a 422 to an order is taken as that, as for SignalWire.
            Operation::Purchase { phone_number } if status == 422 => {
                unavailable(phone_number, code, message)
            }
            _ => carrier(status, code, message),
        },
    }
}

fn unavailable(phone_number: &str, code: Option<String>, message: Option<String>) -> Error {
    Error::NumberUnavailable {
        phone_number: phone_number.to_string(),
        provider: PROVIDER.into(),
        code,
        message,
    }
}

fn reason(status: u16, code: Option<&str>, message: Option<String>) -> String {
    let said = message.unwrap_or_else(|| "no detail".into());
    match code {
        Some(code) => format!("telnyx answered {status} (code {code}): {said}"),
        None => format!("telnyx answered {status}: {said}"),
    }
}

fn carrier(status: u16, code: Option<String>, message: Option<String>) -> Error {
    Error::Carrier {
        provider: PROVIDER.into(),
        status: Some(status),
        code,
        message,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use switchboard_carrier_http::StatusCode;

    fn refused(op: Operation<'_>, status: u16, body: &str) -> Error {
        from_refusal(
            op,
            &Refusal {
                status: StatusCode::from_u16(status).unwrap(),
                retry_after: Some(Duration::from_secs(4)),
                body: body.as_bytes(),
            },
        )
    }

    #[test]
    fn a_body_that_is_not_an_error_list_is_decided_by_status() {
        let e = refused(Operation::List, 401, "");
        assert!(matches!(e, Error::Unauthenticated { .. }), "{e:?}");
        let e = refused(Operation::Release { id: "1" }, 404, "<html>gone</html>");
        assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
        let e = refused(Operation::Search, 429, "");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(4)));
        let e = refused(Operation::Search, 502, "<html>Bad gateway</html>");
        assert!(e.is_temporary(), "{e:?}");
        assert!(e.to_string().contains("Bad gateway"), "{e}");
        let e = refused(Operation::Search, 400, "");
        assert!(
            matches!(
                e,
                Error::Carrier {
                    status: Some(400),
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn a_known_code_wins_over_the_status_but_not_over_a_5xx() {
        let body = r#"{"errors":[{"code":"10007","title":"Unexpected error"},
            {"code":"10005","title":"Resource not found"}]}"#;
        let e = refused(Operation::Get { id: "1" }, 400, body);
        assert!(
            matches!(&e, Error::NotFound { code: Some(c), .. } if c == "10005"),
            "{e:?}"
        );
        let e = refused(Operation::Get { id: "1" }, 503, body);
        assert!(e.is_temporary(), "{e:?}");
    }
}
