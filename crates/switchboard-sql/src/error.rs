//! Turning driver errors into core errors: which failures are worth retrying,
//! and which unique index a rejected write ran into.

use switchboard_core::{Cause, Error};

use crate::options::{Flavor, Scrubber};

/// The unique index a write violated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clash {
    /// `numbers_live_phone_number`: a live record holds the number.
    LivePhoneNumber,
    /// `numbers_account_idempotency_key`: the account used the key.
    IdempotencyKey,
    /// A primary key or the token hash: the row exists already.
    Existing,
}

/// The unique index `err` violated, if it is a unique violation.
///
/// PostgreSQL names the index; SQLite names its columns in the message
/// (`UNIQUE constraint failed: numbers.phone_number`). The index names were
/// chosen to contain the column names, so one test serves both.
pub(crate) fn clash(err: &sqlx::Error) -> Option<Clash> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    if !db.is_unique_violation() {
        return None;
    }
    let text = db.constraint().unwrap_or_else(|| db.message());
    Some(if text.contains("phone_number") {
        Clash::LivePhoneNumber
    } else if text.contains("idempotency_key") {
        Clash::IdempotencyKey
    } else {
        Clash::Existing
    })
}

/// Whether the same operation may succeed if tried again: the connection was
/// lost or refused, the pool was busy, or the database asked us to retry.
pub(crate) fn is_temporary(flavor: Flavor, err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            match flavor {
                Flavor::Postgres => is_temporary_sqlstate(&code),
                Flavor::Sqlite => is_temporary_sqlite_code(&code),
            }
        }
        _ => false,
    }
}

/// SQLSTATEs that mean "not now" rather than "not ever".
fn is_temporary_sqlstate(code: &str) -> bool {
    code.starts_with("08") // connection exception
        || code.starts_with("53") // insufficient resources (too many connections, ...)
        || matches!(
            code,
            "40001" // serialization failure
            | "40P01" // deadlock detected
            | "55P03" // lock not available
            | "57P01" // admin shutdown (pg_terminate_backend, restart)
            | "57P02" // crash shutdown
            | "57P03" // cannot connect now (starting up)
            | "57014" // query canceled (statement timeout)
        )
}

/// SQLite extended result codes whose primary code is BUSY (5) or LOCKED (6).
fn is_temporary_sqlite_code(code: &str) -> bool {
    code.parse::<i64>()
        .map(|c| matches!(c & 0xff, 5 | 6))
        .unwrap_or(false)
}

/// A core error for a failed `action` (e.g. "look up +16045551234").
pub(crate) fn repository(
    flavor: Flavor,
    scrubber: &Scrubber,
    action: &str,
    err: sqlx::Error,
) -> Error {
    let message = scrubber.scrub(&format!("could not {action}: {}", describe(&err)));
    Error::Repository {
        temporary: is_temporary(flavor, &err),
        // The driver's error is kept for callers that downcast to it, told
        // only by the scrubbed words (its own may name the connection).
        cause: Some(Cause::new(err, message.clone())),
        message,
    }
}

/// The driver's message, with the SQLSTATE or SQLite code when there is one.
pub(crate) fn describe(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => format!("{} (code {code})", db.message()),
            None => db.message().to_string(),
        },
        sqlx::Error::PoolTimedOut => {
            "no database connection became free in time (pool exhausted or database unreachable)"
                .to_string()
        }
        other => other.to_string(),
    }
}

/// [`is_temporary`] for the lookup connections' `rusqlite` errors: the same
/// SQLite codes are temporary (BUSY and LOCKED, with their extended codes).
#[cfg(feature = "sqlite")]
pub(crate) fn is_temporary_sqlite(err: &rusqlite::Error) -> bool {
    match err {
        rusqlite::Error::SqliteFailure(failure, _) => {
            is_temporary_sqlite_code(&failure.extended_code.to_string())
        }
        _ => false,
    }
}

/// [`describe`] for `rusqlite` errors: SQLite's message and extended code,
/// as sqlx shows them.
#[cfg(feature = "sqlite")]
pub(crate) fn describe_sqlite(err: &rusqlite::Error) -> String {
    match err {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let code = failure.extended_code;
            match message {
                Some(message) => format!("{message} (code {code})"),
                None => format!("{failure} (code {code})"),
            }
        }
        other => other.to_string(),
    }
}

/// [`repository`] for `rusqlite` errors.
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_repository(scrubber: &Scrubber, action: &str, err: rusqlite::Error) -> Error {
    let message = scrubber.scrub(&format!("could not {action}: {}", describe_sqlite(&err)));
    Error::Repository {
        temporary: is_temporary_sqlite(&err),
        cause: Some(Cause::new(err, message.clone())),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_that_mean_later_are_temporary() {
        assert!(is_temporary_sqlstate("57P01"));
        assert!(is_temporary_sqlstate("08006"));
        assert!(is_temporary_sqlstate("40001"));
        assert!(!is_temporary_sqlstate("23505"));
        assert!(!is_temporary_sqlstate("42P01"));
        assert!(is_temporary_sqlite_code("5"));
        assert!(is_temporary_sqlite_code("517")); // SQLITE_BUSY_SNAPSHOT
        assert!(is_temporary_sqlite_code("6"));
        assert!(!is_temporary_sqlite_code("2067")); // SQLITE_CONSTRAINT_UNIQUE
        assert!(!is_temporary_sqlite_code("not a number"));
    }

    #[test]
    fn transport_failures_are_temporary() {
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(is_temporary(Flavor::Postgres, &io));
        assert!(is_temporary(Flavor::Sqlite, &sqlx::Error::PoolTimedOut));
        assert!(!is_temporary(Flavor::Sqlite, &sqlx::Error::RowNotFound));
        assert!(!is_temporary(Flavor::Postgres, &sqlx::Error::PoolClosed));
    }

    #[cfg(feature = "sqlite")]
    fn sqlite_failure(code: std::ffi::c_int, message: &str) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(message.to_string()))
    }

    /// The lookup connections' errors follow the pool's rules.
    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_lookup_errors_are_temporary_by_the_same_codes() {
        use rusqlite::ffi;
        for code in [
            ffi::SQLITE_BUSY,
            ffi::SQLITE_BUSY_SNAPSHOT,
            ffi::SQLITE_BUSY_RECOVERY,
            ffi::SQLITE_LOCKED,
            ffi::SQLITE_LOCKED_SHAREDCACHE,
        ] {
            assert!(is_temporary_sqlite(&sqlite_failure(code, "busy")), "{code}");
        }
        for code in [
            ffi::SQLITE_CORRUPT,
            ffi::SQLITE_IOERR_READ,
            ffi::SQLITE_CANTOPEN,
            ffi::SQLITE_READONLY,
            ffi::SQLITE_CONSTRAINT_UNIQUE,
        ] {
            assert!(!is_temporary_sqlite(&sqlite_failure(code, "no")), "{code}");
        }
        assert!(!is_temporary_sqlite(&rusqlite::Error::InvalidQuery));
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_lookup_errors_say_what_failed_with_the_code_and_no_secret() {
        let options = crate::options::SqlOptions::new("postgres://app:s3cret@db/numbers");
        let scrubber = Scrubber::new(&options);
        let err = sqlite_failure(rusqlite::ffi::SQLITE_BUSY, "database is locked by s3cret");
        let error = sqlite_repository(&scrubber, "look up +16045551234", err);
        // The driver's error is kept, and told only by the scrubbed words.
        let cause = std::error::Error::source(&error).expect("the driver's error is kept");
        assert!(!format!("{cause} {cause:?} {error:?}").contains("s3cret"));
        match &error {
            Error::Repository {
                message,
                temporary,
                cause: Some(cause),
            } => {
                assert_eq!(
                    message,
                    "could not look up +16045551234: database is locked by *** (code 5)"
                );
                assert!(temporary);
                let driver = cause.downcast_ref::<rusqlite::Error>();
                assert!(
                    matches!(driver, Some(rusqlite::Error::SqliteFailure(f, _)) if f.extended_code == rusqlite::ffi::SQLITE_BUSY),
                    "{driver:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
