//! When the one retry loop waits, and what its error says when it stops.
//!
//! Core's [`RetryPolicy`] decides, with two additions that every carrier
//! gets alike: a `Retry-After` on a 503 is honoured as on a 429 (RFC 9110
//! gives it to both, and core's error keeps a wait only on
//! [`Error::RateLimited`]), and [`Error::RetryLater`] is never retried here:
//! the carrier named a time, SignalWire's release cooldown lasts days, and
//! waiting for it belongs to the service's pending work, not to one call.

use std::time::Duration;

use reqwest::StatusCode;
use switchboard_core::{Error, RetryPolicy};

/// A failed attempt: the error, and the wait the answer asked for when it
/// is one to honour (429 or 503).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) retry_after: Option<Duration>,
}

impl Failure {
    /// A failure with no answer to ask for a wait.
    pub(crate) fn without_answer(error: Error) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }

    /// A refusal: its `Retry-After` counts on the statuses it is meant for.
    pub(crate) fn refused(error: Error, status: StatusCode, retry_after: Option<Duration>) -> Self {
        let honoured = matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        );
        Self {
            error,
            retry_after: retry_after.filter(|_| honoured),
        }
    }
}

/// How long to wait before attempt `attempt + 1` after `failure` ended
/// attempt `attempt` (counted from 1); `None` to stop.
pub(crate) fn wait(policy: &RetryPolicy, attempt: u32, failure: &Failure) -> Option<Duration> {
    if matches!(failure.error, Error::RetryLater { .. }) {
        return None;
    }
    match failure.retry_after {
        Some(asked) if failure.error.is_temporary() => {
            (attempt < policy.max_attempts && asked <= policy.max_retry_after).then_some(asked)
        }
        _ => policy.delay(attempt, &failure.error),
    }
}

/// `error` as returned after `attempts` attempts: core's
/// [`Error::GaveUp`] when retries were made and it is still temporary, so
/// that the service and bulk provisioning retry it no further.
pub(crate) fn gave_up(error: Error, attempts: u32) -> Error {
    error.after_attempts(attempts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error() -> Error {
        Error::Carrier {
            provider: "carrier".into(),
            status: Some(503),
            code: None,
            message: None,
        }
    }

    fn refused(error: Error, status: u16, secs: Option<u64>) -> Failure {
        Failure::refused(
            error,
            StatusCode::from_u16(status).unwrap(),
            secs.map(Duration::from_secs),
        )
    }

    #[test]
    fn retry_after_is_honoured_on_429_and_503_within_the_policy_bound() {
        let policy = RetryPolicy::default();
        let asked = |status, secs| wait(&policy, 1, &refused(server_error(), status, secs));
        assert_eq!(asked(503, Some(3)), Some(Duration::from_secs(3)));
        assert_eq!(asked(429, Some(3)), Some(Duration::from_secs(3)));
        // Too long a wait is handed back rather than waited for.
        assert_eq!(asked(503, Some(3600)), None);
        // Other statuses back off as the policy says, whatever they ask.
        assert_eq!(asked(502, Some(3)), Some(policy.initial_backoff));
        assert_eq!(asked(503, None), Some(policy.initial_backoff));
        let last = refused(server_error(), 503, Some(1));
        assert_eq!(wait(&policy, policy.max_attempts, &last), None);
    }

    #[test]
    fn a_cooldown_and_permanent_errors_are_not_retried() {
        let policy = RetryPolicy::default();
        let cooldown = Error::RetryLater {
            provider: "carrier".into(),
            not_before: None,
            message: "later".into(),
        };
        assert_eq!(wait(&policy, 1, &Failure::without_answer(cooldown)), None);
        let gone = refused(Error::not_found("x"), 503, Some(1));
        assert_eq!(wait(&policy, 1, &gone), None);
    }

    #[test]
    fn an_error_after_retries_says_how_many_attempts_it_took() {
        let e = gave_up(server_error(), 4);
        assert!(matches!(
            e.last_attempt(),
            Error::Carrier {
                status: Some(503),
                ..
            }
        ));
        assert!(e.retries_exhausted());
        assert_eq!(e.attempts(), 4);
        assert_eq!(e.code(), "carrier_error");
        assert!(e.is_temporary());
        assert!(e.to_string().ends_with("gave up after 4 attempts"), "{e}");
        let e = gave_up(
            Error::Transport {
                provider: "carrier".into(),
                message: "GET /x: could not connect".into(),
                cause: None,
            },
            3,
        );
        assert_eq!(
            e.to_string(),
            "could not reach carrier: GET /x: could not connect; gave up after 3 attempts"
        );
        let limited = Error::rate_limited("carrier", Some(Duration::from_secs(1)));
        let e = gave_up(limited, 2);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
        assert!(e.to_string().contains("gave up after 2 attempts"), "{e}");
        // One attempt was not a retry, and a permanent error is the answer.
        assert_eq!(
            gave_up(server_error(), 1).to_string(),
            server_error().to_string()
        );
        assert!(!gave_up(server_error(), 1).retries_exhausted());
        let e = gave_up(Error::not_found("phone number x"), 3);
        assert_eq!(e.to_string(), "phone number x not found");
        assert!(!e.retries_exhausted());
    }
}
