//! Bounded retries of idempotent calls, honouring the other side's
//! `Retry-After`. Adapters use it for search, find, list, update and release;
//! the service uses it between settled purchase attempts.

use std::future::Future;
use std::time::Duration;

use crate::{Error, Result};

/// How often and how patiently to retry a temporary failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Calls in all, the first included; 1 means no retry.
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each later one.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the error is
    /// returned, so a caller is not held for minutes.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        initial_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
        max_retry_after: Duration::ZERO,
    };

    /// How long to wait before attempt number `attempt + 1` after `error`
    /// ended attempt number `attempt` (counted from 1); `None` to give up.
    pub fn delay(&self, attempt: u32, error: &Error) -> Option<Duration> {
        if attempt >= self.max_attempts || !error.is_temporary() {
            return None;
        }
        if let Some(asked) = error.retry_after() {
            return (asked <= self.max_retry_after).then_some(asked);
        }
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        Some(
            self.initial_backoff
                .saturating_mul(factor)
                .min(self.max_backoff),
        )
    }

    /// Runs `call` until it succeeds, fails for good, or attempts run out.
    /// Only for calls that are safe to repeat.
    pub async fn retry<T, F, Fut>(&self, mut call: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempt = 1;
        loop {
            match call().await {
                Ok(value) => return Ok(value),
                Err(error) => match self.delay(attempt, &error) {
                    Some(wait) => {
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                    None => return Err(error),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport() -> Error {
        Error::Transport {
            provider: "x".into(),
            message: "reset".into(),
            cause: None,
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            max_retry_after: Duration::from_secs(1),
        };
        let delays: Vec<_> = (1..5)
            .map(|a| policy.delay(a, &transport()).unwrap())
            .collect();
        assert_eq!(
            delays,
            [100, 200, 350, 350].map(Duration::from_millis).to_vec()
        );
        assert_eq!(policy.delay(10, &transport()), None);
        assert_eq!(policy.delay(1, &Error::not_found("x")), None);
    }

    #[test]
    fn retry_after_is_honoured_within_bounds() {
        let policy = RetryPolicy::default();
        let limited = |secs| Error::rate_limited("x", Some(Duration::from_secs(secs)));
        assert_eq!(policy.delay(1, &limited(3)), Some(Duration::from_secs(3)));
        assert_eq!(policy.delay(1, &limited(3600)), None);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_stops_at_the_first_success() {
        let mut calls = 0;
        let result = RetryPolicy::default()
            .retry(|| {
                calls += 1;
                let n = calls;
                async move { if n < 3 { Err(transport()) } else { Ok(n) } }
            })
            .await;
        assert_eq!(result.unwrap(), 3);
    }
}
