//! The one HTTP client of an adapter: its connection pool, credentials,
//! timeouts and redirect policy, and the one retry loop.
//!
//! Redirects are refused, for every carrier. Credentials must never follow
//! a redirect: a `Location` elsewhere would take them there (reqwest drops
//! the header across hosts, but not across a scheme downgrade on the same
//! host, nor to another path on it), and a redirected write could be
//! replayed where it was never meant to go. No carrier's documented API
//! answers with a redirect: Twilio's and SignalWire's descriptions declare
//! none, and the base URL is configuration, so a redirect means the URL is
//! wrong, and saying so is more use than following it. A 3xx therefore
//! comes back as [`Error::Carrier`] with its status, and is not retried.

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use serde::Serialize;
use switchboard_core::{Error, Result, RetryPolicy};

use crate::answer::{Answer, Refusal};
use crate::auth::Credentials;
use crate::redact::Redactor;
use crate::request::{Body, Idempotent, Request};
use crate::retry::{self, Failure};
use crate::{retry_after, transport};

/// What a [`CarrierClient`] is built from; each adapter fills it from its
/// own configuration.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The carrier's name, as on every error (`twilio`).
    pub carrier: &'static str,
    /// The `User-Agent`, e.g. `switchboard-twilio/0.1.0`.
    pub user_agent: &'static str,
    /// Who the adapter is at the carrier.
    pub credentials: Credentials,
    /// The most one exchange may take, answer included; past it the
    /// answer counts as lost.
    pub timeout: Duration,
    /// The most opening a connection may take.
    pub connect_timeout: Duration,
    /// How idempotent requests are retried.
    pub retry: RetryPolicy,
}

/// Sends an adapter's requests: cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct CarrierClient {
    carrier: &'static str,
    http: reqwest::Client,
    authorization: HeaderValue,
    redactor: Redactor,
    retry: RetryPolicy,
    timeout: Duration,
    /// A header that says, in seconds, when a rate limit resets: the wait
    /// of a 429 that has no `Retry-After`.
    reset_header: Option<HeaderName>,
}

impl fmt::Debug for CarrierClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The Authorization header is left out: it holds the secret.
        f.debug_struct("CarrierClient")
            .field("carrier", &self.carrier)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl CarrierClient {
    /// Builds the client: TLS is rustls, so no system OpenSSL is needed.
    pub fn new(settings: ClientSettings) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(settings.user_agent)
            .build()
            .map_err(|e| Error::Configuration {
                message: format!(
                    "could not build the HTTP client for {}: {e}",
                    settings.carrier
                ),
            })?;
        Ok(Self {
            carrier: settings.carrier,
            http,
            authorization: settings.credentials.header()?,
            redactor: Redactor::new(&settings.credentials),
            retry: settings.retry,
            timeout: settings.timeout,
            reset_header: None,
        })
    }

    /// Reads `header` (seconds until the carrier's rate limit resets, such
    /// as `x-ratelimit-reset`) as the wait of a 429 without `Retry-After`.
    /// Carriers that document only such a header (Telnyx) would otherwise
    /// be retried on the policy's backoff, which may come back before the
    /// limit lifts; `Retry-After` still wins when both are sent. A name
    /// that is not a valid header name is a configuration error.
    pub fn with_rate_limit_reset(mut self, header: &str) -> Result<Self> {
        let name = HeaderName::try_from(header).map_err(|_| Error::Configuration {
            message: format!("{header:?} is not an HTTP header name"),
        })?;
        self.reset_header = Some(name);
        Ok(self)
    }

    /// The carrier's name.
    pub fn carrier(&self) -> &'static str {
        self.carrier
    }

    /// The retry policy of idempotent requests.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// `body` encoded as a JSON request body.
    pub fn json<T: Serialize + ?Sized>(&self, body: &T) -> Result<Body<'static>> {
        serde_json::to_vec(body)
            .map(|json| Body::Json(json.into()))
            .map_err(|e| Error::Carrier {
                provider: self.carrier.to_string(),
                status: None,
                code: None,
                message: Some(format!("could not encode the request: {e}")),
            })
    }

    /// Sends `request`, again after temporary failures if it is
    /// [`Idempotent::Yes`], and returns the first success. A refusal is
    /// mapped to core's error by `refused`, the adapter's knowledge of its
    /// carrier's codes; its body has the credentials taken out first.
    pub async fn send<M>(&self, request: Request<'_>, refused: M) -> Result<Answer>
    where
        M: Fn(Refusal<'_>) -> Error,
    {
        let mut attempt = 1;
        loop {
            let failure = match self.attempt(&request, &refused).await {
                Ok(answer) => return Ok(answer),
                Err(failure) => failure,
            };
            let wait = match request.idempotent {
                Idempotent::No => None,
                Idempotent::Yes => retry::wait(&self.retry, attempt, &failure),
            };
            let Some(wait) = wait else {
                return Err(retry::gave_up(failure.error, attempt));
            };
            tracing::debug!(
                carrier = self.carrier,
                request = %request.describe(),
                attempt,
                wait_ms = wait.as_millis() as u64,
                error = %failure.error,
                "retrying after a temporary failure"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One exchange.
    async fn attempt<M>(&self, request: &Request<'_>, refused: &M) -> Result<Answer, Failure>
    where
        M: Fn(Refusal<'_>) -> Error,
    {
        let lost = |e: reqwest::Error| {
            Failure::without_answer(transport::failed(
                self.carrier,
                &request.describe(),
                e,
                self.timeout,
            ))
        };
        let mut builder = self
            .http
            .request(request.method.clone(), request.url.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(ACCEPT, "application/json");
        if !request.query.is_empty() {
            builder = builder.query(request.query);
        }
        builder = match &request.body {
            Body::Empty => builder,
            Body::Form(form) => builder.form(form),
            Body::Json(json) => builder
                .header(CONTENT_TYPE, "application/json")
                .body(json.clone()),
        };
        let response = builder.send().await.map_err(lost)?;
        let status = response.status();
        if status.is_success() {
            let body = response.bytes().await.map_err(lost)?;
            return Ok(Answer {
                carrier: self.carrier,
                status,
                body,
            });
        }
        if status.is_redirection() {
            return Err(Failure::without_answer(Error::Carrier {
                provider: self.carrier.to_string(),
                status: Some(status.as_u16()),
                code: None,
                message: Some(format!(
                    "{} was redirected, and redirects are not followed: credentials \
                     go only to the configured URL (is it the right one?)",
                    request.describe()
                )),
            }));
        }
        let headers = response.headers();
        let wait = retry_after::from_headers(headers, chrono::Utc::now()).or_else(|| {
            let reset = self.reset_header.as_ref()?;
            (status == reqwest::StatusCode::TOO_MANY_REQUESTS)
                .then(|| retry_after::seconds(headers, reset))
                .flatten()
        });
        let body = response.bytes().await.map_err(lost)?;
        let body = self.redactor.redact(&body);
        let error = refused(Refusal {
            status,
            retry_after: wait,
            body: &body,
        });
        Err(Failure::refused(error, status, wait))
    }
}
