//! What came back: a success to read, or a refusal for the adapter to give
//! its carrier's meaning.

use std::fmt::Display;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use serde::Deserialize;
use switchboard_core::{Error, Result};

/// A successful (2xx) answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub(crate) carrier: &'static str,
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

impl Answer {
    /// The status, 2xx.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body as sent.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body read as JSON; text may be borrowed from it. A body that
    /// does not read is [`Error::Carrier`] with the status, `what` naming
    /// the answer (`search`, `list`...).
    pub fn json<'a, T: Deserialize<'a>>(&'a self, what: &str) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Carrier {
            provider: self.carrier.to_string(),
            status: Some(self.status.as_u16()),
            code: None,
            message: Some(format!("unreadable {what} answer: {e}")),
        })
    }

    /// The error for a success that cannot be read after a request that
    /// was sent once ([`Idempotent::No`](crate::Idempotent::No)): the
    /// carrier said yes to something, but to what is unknown, which is
    /// what [`Error::Transport`] means. `what` names the request ("the
    /// purchase of +1..."), `why` what was wrong with the answer.
    pub fn unknown_outcome(&self, what: &str, why: impl Display) -> Error {
        Error::Transport {
            provider: self.carrier.to_string(),
            message: format!(
                "{what} was answered {} but the answer could not be read ({why}); \
                 whether it took effect is unknown",
                self.status.as_u16()
            ),
            cause: None,
        }
    }
}

/// A non-success answer, for an adapter to map to core's error by its
/// carrier's codes and statuses. Redirects never get here: the client
/// refuses them itself.
#[derive(Debug, Clone, Copy)]
pub struct Refusal<'a> {
    /// The status, 4xx or 5xx.
    pub status: StatusCode,
    /// The wait the answer's `Retry-After` asked for, whatever the status,
    /// or on a 429 without one the client's rate-limit reset header (see
    /// [`CarrierClient::with_rate_limit_reset`](crate::CarrierClient::with_rate_limit_reset)).
    /// The client waits it on 429 and 503 by itself; an adapter puts it on
    /// [`Error::RateLimited`] so that callers see it too.
    pub retry_after: Option<Duration>,
    /// The body, with the credentials already taken out.
    pub body: &'a [u8],
}
