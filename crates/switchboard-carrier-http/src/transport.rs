//! A request that got no usable answer, as core's [`Error::Transport`]:
//! the one error that says "whether it happened is unknown", which is what
//! makes the service settle a purchase by asking instead of guessing.

use std::time::Duration;

use switchboard_core::{Cause, Error};

/// Maps a reqwest failure of the request `what` (method and path).
///
/// reqwest's own message names the whole URL, query included, so it is
/// left out: only the kind of failure and the causes under it are kept.
/// No header is ever part of them, so no credential is either.
pub(crate) fn failed(carrier: &str, what: &str, error: reqwest::Error, timeout: Duration) -> Error {
    let kind = if error.is_timeout() {
        format!("no answer within {} ms", timeout.as_millis())
    } else if error.is_connect() {
        "could not connect".to_string()
    } else if error.is_body() || error.is_decode() {
        "the answer was cut off".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut message = format!("{what}: {kind}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    // The client's error is kept, without its URL, told by the same words.
    let cause = Cause::new(error.without_url(), message.clone());
    Error::Transport {
        provider: carrier.to_string(),
        message,
        cause: Some(cause),
    }
}
