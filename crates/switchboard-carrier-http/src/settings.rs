//! The bounds every carrier's configuration section applies alike
//! (timeouts, the retry table, the not-found window) and the wording of its
//! errors, which name the section and key, never a value. Each adapter
//! owns its `[providers.NAME]` section; what they would otherwise each
//! write again is here.

use std::time::Duration;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use switchboard_core::{Error, Result, RetryPolicy};

/// The longest timeout, in milliseconds: past ten minutes a call is lost,
/// whatever the carrier is doing.
pub const MAX_TIMEOUT_MS: u64 = 600_000;
/// More attempts than this only hammer a failing carrier.
pub const MAX_ATTEMPTS: u32 = 10;
/// The longest backoff, in milliseconds: a caller waits out every one.
pub const MAX_BACKOFF_MS: u64 = 60_000;
/// The longest `Retry-After` that may be waited for, in milliseconds.
pub const MAX_RETRY_AFTER_MS: u64 = 600_000;
/// The longest not-found window, in seconds: a longer one would hold
/// releases pending for no known reason.
pub const MAX_NOT_FOUND_WINDOW: u64 = 7 * 24 * 3600;

/// Whether `host` (a URL's host, IPv6 in brackets or not) is this machine:
/// the only place a base URL may use plain http, since the credentials
/// travel in a header.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A value of `[providers.SECTION] key` that is out of bounds.
pub fn invalid(section: &str, key: &str, reason: &str) -> Error {
    Error::Configuration {
        message: format!("[providers.{section}] {key} {reason}"),
    }
}

/// A setting the carrier cannot work without, with both places to set it.
pub fn missing(section: &str, key: &str, variable: &str) -> Error {
    Error::Configuration {
        message: format!("{section} needs {key} (set [providers.{section}] {key} or {variable})"),
    }
}

/// A timeout in milliseconds, from 1 (zero would fail every call) to
/// [`MAX_TIMEOUT_MS`]; `None` keeps the adapter's default.
pub fn timeout(section: &str, key: &str, value: Option<u64>) -> Result<Option<Duration>> {
    match value {
        Some(ms) if !(1..=MAX_TIMEOUT_MS).contains(&ms) => Err(invalid(
            section,
            key,
            &format!("must be from 1 to {MAX_TIMEOUT_MS} milliseconds"),
        )),
        other => Ok(other.map(Duration::from_millis)),
    }
}

/// `not_found_window_seconds`, up to a week; `None` keeps the adapter's
/// default.
pub fn not_found_window(section: &str, seconds: Option<u64>) -> Result<Option<Duration>> {
    match seconds {
        Some(s) if s > MAX_NOT_FOUND_WINDOW => Err(invalid(
            section,
            "not_found_window_seconds",
            "must be a whole number of seconds up to a week; 0 believes every not-found",
        )),
        other => Ok(other.map(Duration::from_secs)),
    }
}

/// The `retry` table into core's [`RetryPolicy`], each value checked as it
/// is read; unset keys keep [`RetryPolicy::default`].
pub fn retry_policy<'de, D: Deserializer<'de>>(
    section: &str,
    input: D,
) -> Result<Option<RetryPolicy>, D::Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Table {
        max_attempts: Option<u32>,
        initial_backoff_ms: Option<u64>,
        max_backoff_ms: Option<u64>,
        max_retry_after_ms: Option<u64>,
    }
    let table = Table::deserialize(input)?;
    let refuse = |key: &str, range: &str| {
        D::Error::custom(format!("[providers.{section}] retry.{key} must be {range}"))
    };
    let millis = |key: &str, value: Option<u64>, max: u64| match value {
        Some(ms) if ms > max => Err(refuse(key, &format!("at most {max} milliseconds"))),
        other => Ok(other.map(Duration::from_millis)),
    };
    let mut policy = RetryPolicy::default();
    if let Some(attempts) = table.max_attempts {
        if !(1..=MAX_ATTEMPTS).contains(&attempts) {
            return Err(refuse("max_attempts", &format!("from 1 to {MAX_ATTEMPTS}")));
        }
        policy.max_attempts = attempts;
    }
    let initial = millis(
        "initial_backoff_ms",
        table.initial_backoff_ms,
        MAX_BACKOFF_MS,
    )?;
    policy.initial_backoff = initial.unwrap_or(policy.initial_backoff);
    let longest = millis("max_backoff_ms", table.max_backoff_ms, MAX_BACKOFF_MS)?;
    policy.max_backoff = longest.unwrap_or(policy.max_backoff);
    let asked = millis(
        "max_retry_after_ms",
        table.max_retry_after_ms,
        MAX_RETRY_AFTER_MS,
    )?;
    policy.max_retry_after = asked.unwrap_or(policy.max_retry_after);
    Ok(Some(policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Section {
        #[serde(deserialize_with = "retry")]
        retry: Option<RetryPolicy>,
    }

    fn retry<'de, D: Deserializer<'de>>(input: D) -> Result<Option<RetryPolicy>, D::Error> {
        retry_policy("x", input)
    }

    fn read(table: &str) -> std::result::Result<RetryPolicy, String> {
        toml::from_str::<Section>(&format!("[retry]\n{table}"))
            .map(|s| s.retry.unwrap())
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn a_retry_table_sets_what_it_names_and_keeps_the_rest() {
        let policy = read("max_attempts = 2\nmax_retry_after_ms = 900").unwrap();
        assert_eq!(
            policy,
            RetryPolicy {
                max_attempts: 2,
                max_retry_after: Duration::from_millis(900),
                ..RetryPolicy::default()
            }
        );
        assert_eq!(read("").unwrap(), RetryPolicy::default());
    }

    #[test]
    fn out_of_bounds_retry_values_and_unknown_keys_are_named() {
        for (table, key) in [
            ("max_attempts = 0", "[providers.x] retry.max_attempts"),
            ("max_attempts = 11", "[providers.x] retry.max_attempts"),
            ("initial_backoff_ms = 60001", "retry.initial_backoff_ms"),
            ("max_backoff_ms = 60001", "retry.max_backoff_ms"),
            ("max_retry_after_ms = 600001", "retry.max_retry_after_ms"),
            ("attempts = 2", "attempts"),
        ] {
            let err = read(table).unwrap_err();
            assert!(err.contains(key), "{table}: {err}");
        }
    }

    #[test]
    fn loopback_hosts_are_this_machine_only() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1",
            "[::2]",
            "localhost.example.com",
            "",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn timeouts_and_windows_are_bounded() {
        assert_eq!(
            timeout("x", "t", Some(1)).unwrap(),
            Some(Duration::from_millis(1))
        );
        assert_eq!(timeout("x", "t", None).unwrap(), None);
        for bad in [0, MAX_TIMEOUT_MS + 1] {
            let err = timeout("x", "t_ms", Some(bad)).unwrap_err().to_string();
            assert!(err.contains("[providers.x] t_ms"), "{err}");
        }
        assert_eq!(
            not_found_window("x", Some(0)).unwrap(),
            Some(Duration::ZERO)
        );
        let err = not_found_window("x", Some(MAX_NOT_FOUND_WINDOW + 1)).unwrap_err();
        assert!(
            err.to_string().contains("not_found_window_seconds"),
            "{err}"
        );
    }
}
