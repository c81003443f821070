//! One HTTP client per adapter: connection reuse, Basic auth on every request,
//! timeouts, and bounded retries for the calls that are safe to repeat.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Url};
use secrecy::ExposeSecret;
use switchboard_core::{Error, Result, RetryPolicy};

use crate::config::SignalWireConfig;
use crate::errors::{self, Failure, Operation};

/// The REST API's root on a space.
pub(crate) const API_ROOT: &str = "/api/relay/rest/";

/// Whether a call may be sent again after a temporary failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Idempotent (GET, PUT of a whole field set, DELETE).
    Safe,
    /// The purchase: sent once, whatever happens.
    Never,
}

/// A successful answer's body.
pub(crate) struct Answer {
    pub(crate) body: Vec<u8>,
}

pub(crate) struct Http {
    client: reqwest::Client,
    api_base: Url,
    auth: HeaderValue,
    config: SignalWireConfig,
}

impl fmt::Debug for Http {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The Authorization header is left out: it holds the token.
        f.debug_struct("Http")
            .field("api_base", &self.api_base.as_str())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Http {
    pub(crate) fn new(config: SignalWireConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            // A redirect could replay a purchase or carry credentials elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "switchboard-signalwire/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| Error::Configuration {
                message: format!("could not build the SignalWire HTTP client: {e}"),
            })?;
        let api_base = config
            .space
            .join(API_ROOT)
            .map_err(|e| Error::Configuration {
                message: format!("bad SignalWire space URL: {e}"),
            })?;
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            config.project_id,
            config.api_token.expose_secret()
        ));
        let mut auth = HeaderValue::from_str(&format!("Basic {credentials}")).map_err(|_| {
            Error::Configuration {
                message: "the SignalWire credentials cannot be sent in a header".into(),
            }
        })?;
        auth.set_sensitive(true);
        Ok(Self {
            client,
            api_base,
            auth,
            config,
        })
    }

    pub(crate) fn config(&self) -> &SignalWireConfig {
        &self.config
    }

    /// `{space}/api/relay/rest/{path}`.
    pub(crate) fn endpoint(&self, path: &str) -> Url {
        let mut url = self.api_base.clone();
        url.set_path(&format!("{API_ROOT}{path}"));
        url
    }

    /// Sends the request, again after temporary failures when `repeat` allows.
    pub(crate) async fn call(
        &self,
        op: Operation<'_>,
        method: Method,
        url: &Url,
        body: Option<&[u8]>,
        repeat: Repeat,
    ) -> Result<Answer> {
        let mut attempt = 1;
        loop {
            let failure = match self.attempt(op, &method, url, body).await {
                Ok(answer) => return Ok(answer),
                Err(failure) => failure,
            };
            let wait = match repeat {
                Repeat::Never => None,
                Repeat::Safe => delay(&self.config.retry, attempt, &failure),
            };
            match wait {
                Some(wait) => {
                    tracing::debug!(
                        provider = errors::PROVIDER,
                        %method,
                        path = url.path(),
                        attempt,
                        error = %failure.error,
                        "retrying after a temporary failure"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return Err(failure.error),
            }
        }
    }

    async fn attempt(
        &self,
        op: Operation<'_>,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
    ) -> std::result::Result<Answer, Failure> {
        let what = || format!("{method} {}", url.path());
        let mut request = self
            .client
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(ACCEPT, "application/json");
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::from(errors::transport(&what(), &e)))?;
        let status = response.status();
        if status.is_success() {
            let bytes = response
                .bytes()
                .await
                .map_err(|e| Failure::from(errors::transport(&what(), &e)))?;
            // Takes over the buffer when reqwest holds the only reference,
            // rather than copying the answer.
            return Ok(Answer { body: bytes.into() });
        }
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Failure::from(errors::transport(&what(), &e)))?;
        let body = self.redact(&bytes);
        Err(errors::from_status(op, status, &headers, &body))
    }

    /// An error body with the token taken out, in case a server echoes it:
    /// carrier messages are copied into errors, which end up in logs.
    fn redact(&self, body: &[u8]) -> Vec<u8> {
        let token = self.config.api_token.expose_secret();
        let text = String::from_utf8_lossy(body);
        let basic = self.auth.to_str().unwrap_or_default();
        let basic = basic.strip_prefix("Basic ").unwrap_or(basic);
        if text.contains(token) || (!basic.is_empty() && text.contains(basic)) {
            text.replace(token, "[redacted]")
                .replace(basic, "[redacted]")
                .into_bytes()
        } else {
            body.to_vec()
        }
    }
}

/// How long to wait before attempt `attempt + 1`, or `None` to stop.
///
/// The core policy decides, with two additions: a `Retry-After` sent with a
/// 5xx is honoured like one sent with a 429 (within the same bound), and the
/// release cooldown is never retried here: it lasts days, and the service
/// keeps the release pending for `reconcile` instead.
pub(crate) fn delay(policy: &RetryPolicy, attempt: u32, failure: &Failure) -> Option<Duration> {
    if matches!(failure.error, Error::RetryLater { .. }) {
        return None;
    }
    match failure.retry_after {
        Some(asked) if attempt < policy.max_attempts && failure.error.is_temporary() => {
            (asked <= policy.max_retry_after).then_some(asked)
        }
        _ => policy.delay(attempt, &failure.error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(error: Error, retry_after: Option<u64>) -> Failure {
        Failure {
            error,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    fn server_error() -> Error {
        Error::Carrier {
            provider: "signalwire".into(),
            status: Some(503),
            code: None,
            message: None,
        }
    }

    #[test]
    fn retry_after_is_honoured_on_5xx_within_the_policy_bound() {
        let policy = RetryPolicy::default();
        assert_eq!(
            delay(&policy, 1, &failure(server_error(), Some(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            delay(&policy, 1, &failure(server_error(), Some(3600))),
            None
        );
        assert_eq!(
            delay(
                &policy,
                policy.max_attempts,
                &failure(server_error(), Some(1))
            ),
            None
        );
        assert_eq!(
            delay(&policy, 1, &failure(server_error(), None)),
            Some(policy.initial_backoff)
        );
    }

    #[test]
    fn the_cooldown_and_permanent_errors_are_not_retried() {
        let policy = RetryPolicy::default();
        let cooldown = Error::RetryLater {
            provider: "signalwire".into(),
            not_before: None,
            message: "later".into(),
        };
        assert_eq!(delay(&policy, 1, &failure(cooldown, None)), None);
        assert_eq!(
            delay(&policy, 1, &failure(Error::not_found("x"), Some(1))),
            None
        );
    }
}
