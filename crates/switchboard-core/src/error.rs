//! The one error type every carrier adapter and repository converts into, so
//! callers branch on meaning rather than on which backend answered.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms a caller can act on.
///
/// Messages never include credentials: adapters build them from status codes,
/// carrier error codes and carrier messages only.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value from outside was malformed; `field` names it.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The field at fault, as the caller spelled it (`phone_number`).
        field: Cow<'static, str>,
        /// What was wrong with it.
        reason: String,
    },
    /// The thing asked for does not exist (or belongs to another account).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `phone number 5c0e...`.
        what: String,
        /// The carrier's own error code (Twilio's 20404) when a carrier
        /// said so; its message is part of `what`.
        code: Option<String>,
    },
    /// The carrier no longer offers this number (someone else bought it).
    #[error("{phone_number} is not available at {provider}{}", carrier_suffix(.code, .message))]
    NumberUnavailable {
        /// The number asked for.
        phone_number: String,
        /// The carrier that refused it.
        provider: String,
        /// The carrier's own error code.
        code: Option<String>,
        /// The carrier's own message.
        message: Option<String>,
    },
    /// This system already holds a live record for the number.
    #[error("{phone_number} is already provisioned")]
    AlreadyProvisioned {
        /// The number asked for.
        phone_number: String,
    },
    /// The request clashes with another one still in progress, or with the
    /// current state of the number; retrying later may succeed.
    #[error("conflict: {reason}")]
    Conflict {
        /// What clashed.
        reason: String,
    },
    /// What was to be stored exists already under the same key (a record
    /// id, a token, an idempotency key this account used): permanent, as
    /// the same request clashes again. [`Error::Conflict`] is the one that
    /// may clear.
    #[error("{what} exists already")]
    Duplicate {
        /// What exists, e.g. `idempotency key "k1" of this account`.
        what: String,
    },
    /// The carrier (or this service) did not accept the credentials.
    #[error("{provider} rejected the credentials: {message}")]
    Unauthenticated {
        /// Who refused.
        provider: String,
        /// Why, without the credentials themselves.
        message: String,
        /// The carrier's own error code (Twilio's 20003), when it gave one.
        code: Option<String>,
    },
    /// Too many requests; wait `retry_after` when given.
    #[error("{provider} is rate limiting requests{}{}", carrier_suffix(.code, .message), retry_suffix(.retry_after))]
    RateLimited {
        /// Who is limiting.
        provider: String,
        /// How long the carrier asked us to wait.
        retry_after: Option<Duration>,
        /// The carrier's own error code (Twilio's 20429), when it gave one.
        code: Option<String>,
        /// The carrier's own message.
        message: Option<String>,
    },
    /// The carrier refused for now and said when to come back (SignalWire's
    /// release cooldown is the example).
    #[error("{provider} refused for now: {message}")]
    RetryLater {
        /// Who refused.
        provider: String,
        /// The earliest time worth trying again, when the carrier said it.
        not_before: Option<DateTime<Utc>>,
        /// The carrier's explanation.
        message: String,
    },
    /// The carrier needs a document before it sells this number (an address
    /// or a regulatory bundle); `requirement` names it.
    #[error("{provider} requires {requirement} for this number{}", carrier_suffix(.code, .message))]
    RequirementMissing {
        /// The carrier.
        provider: String,
        /// What is missing, e.g. `AddressSid` or `BundleSid`.
        requirement: String,
        /// The carrier's own error code.
        code: Option<String>,
        /// The carrier's own message.
        message: Option<String>,
    },
    /// The carrier answered with an error that has no more specific meaning.
    #[error("{provider} answered{}{}", status_suffix(.status), carrier_suffix(.code, .message))]
    Carrier {
        /// The carrier.
        provider: String,
        /// The HTTP status, if the carrier speaks HTTP.
        status: Option<u16>,
        /// The carrier's own error code.
        code: Option<String>,
        /// The carrier's own message.
        message: Option<String>,
    },
    /// The carrier could not be reached, or its answer was lost. Whether a
    /// purchase happened is then unknown, and must be settled by asking.
    #[error("could not reach {provider}: {message}")]
    Transport {
        /// The carrier.
        provider: String,
        /// What failed (connect, timeout, ...).
        message: String,
        /// The HTTP client's error, when there was one.
        #[source]
        cause: Option<Cause>,
    },
    /// The repository failed.
    #[error("repository error: {message}")]
    Repository {
        /// What failed, without connection secrets.
        message: String,
        /// Whether the same call may succeed later (lost connection, lock).
        temporary: bool,
        /// The driver's error, when there was one.
        #[source]
        cause: Option<Cause>,
    },
    /// The configuration is wrong or incomplete.
    #[error("configuration error: {message}")]
    Configuration {
        /// What is wrong.
        message: String,
    },
    /// The record changed between the read a decision was based on and the
    /// write of that decision (compare-and-swap on its version): another
    /// request, process or reconcile got there first. Read it again and
    /// decide again; never write the old decision over the new state.
    #[error("{what} changed while this request was deciding; read it again")]
    Stale {
        /// The record, e.g. `phone number 5c0e...`.
        what: String,
    },
    /// An idempotency key was used again with a request that differs from
    /// the first one in `field`. Permanent: the same key with the same body
    /// replays, any other body is a different request under a reused key.
    #[error("idempotency key was first used with a different {field}")]
    IdempotencyKeyMismatch {
        /// The first field (in the request's field order) that differs.
        field: Cow<'static, str>,
    },
    /// A carrier or store answered something that cannot be right (a
    /// purchase answer naming another number, a listing that repeats a
    /// cursor). Nothing is inferred from such an answer.
    #[error("{source_name} gave an inconsistent answer: {message}")]
    Inconsistent {
        /// Who answered (a carrier name, `repository`).
        source_name: String,
        /// What did not add up.
        message: String,
    },
    /// A temporary failure that the carrier layer already retried until
    /// its policy ran out: `last` is what the final attempt got. Callers
    /// above the carrier layer (the service, bulk provisioning) must not
    /// retry it again on their own, or one failing call costs the product
    /// of every layer's attempts; [`Error::retries_exhausted`] tells them.
    /// It answers [`Error::code`], [`Error::is_temporary`] and
    /// [`Error::retry_after`] as `last` does, so that a client told "try
    /// later" still is.
    #[error("{last}; gave up after {attempts} attempts")]
    GaveUp {
        /// How many attempts were made.
        attempts: u32,
        /// The error of the last attempt.
        #[source]
        last: Box<Error>,
    },
    /// The carrier cannot do what was asked (e.g. a search filter it lacks).
    #[error("{provider} does not support {what}")]
    NotSupported {
        /// The carrier.
        provider: String,
        /// What it cannot do.
        what: String,
    },
}

/// The error underneath an [`Error`] (the database driver's, the HTTP
/// client's), kept so that a caller can still tell what it was
/// ([`Cause::downcast_ref`]) after the error was cloned and passed along.
///
/// It is told, in `Display`, `Debug` and logs, only by the words it was
/// given, never by its own: a driver's message or `Debug` can name a
/// connection string with its password, a client's the whole URL. For the
/// same reason the chain stops here (`source()` is `None`): what is below
/// is reached by downcasting, on purpose, not by a logger walking it.
#[derive(Clone)]
pub struct Cause {
    error: std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>,
    told: std::sync::Arc<str>,
}

impl Cause {
    /// `error`, told as `told` (words already free of secrets).
    pub fn new(
        error: impl std::error::Error + Send + Sync + 'static,
        told: impl Into<String>,
    ) -> Self {
        Self {
            error: std::sync::Arc::new(error),
            told: told.into().into(),
        }
    }

    /// The error itself.
    pub fn get_ref(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.error
    }

    /// The error, if it is a `T`.
    pub fn downcast_ref<T: std::error::Error + 'static>(&self) -> Option<&T> {
        self.error.downcast_ref::<T>()
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.told)
    }
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Cause").field(&&*self.told).finish()
    }
}

impl std::error::Error for Cause {}

fn carrier_suffix(code: &Option<String>, message: &Option<String>) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!(" (code {code}: {message})"),
        (Some(code), None) => format!(" (code {code})"),
        (None, Some(message)) => format!(": {message}"),
        (None, None) => String::new(),
    }
}

fn status_suffix(status: &Option<u16>) -> String {
    status.map(|s| format!(" HTTP {s}")).unwrap_or_default()
}

fn retry_suffix(retry_after: &Option<Duration>) -> String {
    retry_after
        .map(|d| format!("; retry after {} ms", d.as_millis()))
        .unwrap_or_default()
}

impl Error {
    /// An [`Error::InvalidInput`] for `field`.
    pub fn invalid(field: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::NotFound`].
    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound {
            what: what.into(),
            code: None,
        }
    }

    /// An [`Error::RateLimited`] without a carrier code or message.
    pub fn rate_limited(provider: impl Into<String>, retry_after: Option<Duration>) -> Self {
        Error::RateLimited {
            provider: provider.into(),
            retry_after,
            code: None,
            message: None,
        }
    }

    /// The carrier's own error code, on the errors that keep one.
    pub fn carrier_code(&self) -> Option<&str> {
        match self.last_attempt() {
            Error::NotFound { code, .. }
            | Error::Unauthenticated { code, .. }
            | Error::NumberUnavailable { code, .. }
            | Error::RateLimited { code, .. }
            | Error::RequirementMissing { code, .. }
            | Error::Carrier { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// `self` as the answer to `attempts` attempts: when retries were made
    /// and the error is still temporary, [`Error::GaveUp`] around it, so
    /// that callers can tell "failed" from "failed again and again" and
    /// retry no further. A permanent error is the carrier's answer however
    /// it was reached, and is returned as it is.
    pub fn after_attempts(self, attempts: u32) -> Self {
        if attempts < 2 || !self.is_temporary() {
            return self;
        }
        match self {
            Error::GaveUp { last, .. } => Error::GaveUp { attempts, last },
            last => Error::GaveUp {
                attempts,
                last: Box::new(last),
            },
        }
    }

    /// Whether a layer below already retried this until its policy ran out,
    /// so that retrying it again here would multiply the attempts.
    pub fn retries_exhausted(&self) -> bool {
        matches!(self, Error::GaveUp { .. })
    }

    /// How many attempts the error took: more than one only when it is
    /// [`Error::GaveUp`].
    pub fn attempts(&self) -> u32 {
        match self {
            Error::GaveUp { attempts, .. } => *attempts,
            _ => 1,
        }
    }

    /// The error the last attempt got: `self`, or what [`Error::GaveUp`]
    /// holds. Code that branches on the kind of failure matches on this.
    pub fn last_attempt(&self) -> &Error {
        match self {
            Error::GaveUp { last, .. } => last.last_attempt(),
            other => other,
        }
    }

    /// Whether the same call may succeed if made again later, unchanged.
    pub fn is_temporary(&self) -> bool {
        match self {
            Error::GaveUp { last, .. } => last.is_temporary(),
            Error::RateLimited { .. }
            | Error::RetryLater { .. }
            | Error::Transport { .. }
            | Error::Conflict { .. }
            | Error::Stale { .. } => true,
            Error::Repository { temporary, .. } => *temporary,
            Error::Carrier { status, .. } => matches!(status, Some(s) if *s >= 500 || *s == 429),
            _ => false,
        }
    }

    /// How long the other side asked us to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.last_attempt() {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A stable, machine-readable name for the kind of error, for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Error::GaveUp { last, .. } => last.code(),
            Error::InvalidInput { .. } => "invalid_input",
            Error::NotFound { .. } => "not_found",
            Error::NumberUnavailable { .. } => "number_unavailable",
            Error::AlreadyProvisioned { .. } => "already_provisioned",
            Error::Conflict { .. } => "conflict",
            Error::Duplicate { .. } => "duplicate",
            Error::Unauthenticated { .. } => "unauthenticated",
            Error::RateLimited { .. } => "rate_limited",
            Error::RetryLater { .. } => "retry_later",
            Error::RequirementMissing { .. } => "requirement_missing",
            Error::Carrier { .. } => "carrier_error",
            Error::Transport { .. } => "carrier_unreachable",
            Error::Repository { .. } => "repository_error",
            Error::Configuration { .. } => "configuration_error",
            Error::NotSupported { .. } => "not_supported",
            Error::Stale { .. } => "stale_record",
            Error::IdempotencyKeyMismatch { .. } => "idempotency_key_mismatch",
            Error::Inconsistent { .. } => "inconsistent_answer",
        }
    }

    /// The input field at fault, for [`Error::InvalidInput`].
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidInput { field, .. } | Error::IdempotencyKeyMismatch { field } => {
                Some(field)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_survives_clones_and_is_told_only_by_its_given_words() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "postgres://app:s3cret@db");
        let error = Error::Repository {
            message: "could not read: timed out".into(),
            temporary: true,
            cause: Some(Cause::new(io, "timed out")),
        };
        let copy = error.clone();
        let cause = std::error::Error::source(&copy).expect("kept through the clone");
        assert_eq!(cause.to_string(), "timed out");
        assert!(
            cause.source().is_none(),
            "the chain stops at the told words"
        );
        let Error::Repository {
            cause: Some(kept), ..
        } = &copy
        else {
            unreachable!()
        };
        let io = kept.downcast_ref::<std::io::Error>().expect("the io error");
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
        assert!(!format!("{copy} {copy:?} {cause:?}").contains("s3cret"));
    }

    #[test]
    fn messages_name_the_field_and_the_carrier_code() {
        let e = Error::invalid("phone_number", "must start with '+'");
        assert_eq!(e.to_string(), "invalid phone_number: must start with '+'");
        assert_eq!(e.field(), Some("phone_number"));
        let e = Error::NumberUnavailable {
            phone_number: "+16045551234".into(),
            provider: "twilio".into(),
            code: Some("21422".into()),
            message: Some("not available".into()),
        };
        assert_eq!(
            e.to_string(),
            "+16045551234 is not available at twilio (code 21422: not available)"
        );
        assert!(!e.is_temporary());
    }

    #[test]
    fn temporariness_follows_meaning() {
        let limited = Error::RateLimited {
            provider: "twilio".into(),
            retry_after: Some(Duration::from_secs(2)),
            code: Some("20429".into()),
            message: Some("Too Many Requests".into()),
        };
        assert_eq!(
            limited.to_string(),
            "twilio is rate limiting requests (code 20429: Too Many Requests); retry after 2000 ms"
        );
        assert_eq!(limited.carrier_code(), Some("20429"));
        assert!(limited.is_temporary());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(2)));
        let server = Error::Carrier {
            provider: "x".into(),
            status: Some(503),
            code: None,
            message: None,
        };
        assert!(server.is_temporary());
        let client = Error::Carrier {
            provider: "x".into(),
            status: Some(400),
            code: None,
            message: None,
        };
        assert!(!client.is_temporary());
        assert!(!Error::not_found("x").is_temporary());
    }
}
