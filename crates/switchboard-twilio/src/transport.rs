//! One HTTP exchange with Twilio: Basic auth, JSON accepted, form bodies for
//! writes, and the answer turned into bytes or a core error.
//!
//! The client is built once per provider so connections are reused; TLS is
//! rustls, so no system OpenSSL is needed.

use bytes::Bytes;
use reqwest::{Client, Method, StatusCode};
use switchboard_core::{Error, Result};

use crate::config::TwilioConfig;
use crate::errors::{self, Subject};

/// A request about to be sent.
pub(crate) struct Call<'a> {
    pub method: Method,
    /// Absolute URL.
    pub url: &'a str,
    /// Query parameters, Twilio's names.
    pub query: &'a [(&'static str, String)],
    /// Form parameters for POST, Twilio's names.
    pub form: Option<&'a [(&'static str, String)]>,
    /// What the call is about, for error messages.
    pub subject: Subject<'a>,
}

/// A successful answer.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

/// The shared HTTP client and the configuration it authenticates with.
#[derive(Clone)]
pub(crate) struct Transport {
    client: Client,
    config: TwilioConfig,
}

impl Transport {
    /// Builds the client for `config`.
    pub fn new(config: TwilioConfig) -> Result<Self> {
        let client = Client::builder()
            .timeout(config.timeout_value())
            .connect_timeout(config.connect_timeout_value())
            .user_agent(concat!("switchboard-twilio/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Configuration {
                message: format!("could not build the HTTP client for twilio: {e}"),
            })?;
        Ok(Self { client, config })
    }

    /// The configuration in use.
    pub fn config(&self) -> &TwilioConfig {
        &self.config
    }

    /// Sends `call` once. Non-success answers become core errors; a lost
    /// answer becomes [`Error::Transport`].
    pub async fn send(&self, call: Call<'_>) -> Result<Answer> {
        let (user, password) = self.config.basic_auth();
        let mut request = self
            .client
            .request(call.method, call.url)
            .basic_auth(user, Some(password))
            .header(reqwest::header::ACCEPT, "application/json");
        if !call.query.is_empty() {
            request = request.query(call.query);
        }
        if let Some(form) = call.form {
            request = request.form(form);
        }
        let timeout = self.config.timeout_value();
        let response = request
            .send()
            .await
            .map_err(|e| errors::from_transport(&e, timeout))?;
        let status = response.status();
        // Headers matter only for errors (Retry-After); successes skip the copy.
        let headers = (!status.is_success()).then(|| response.headers().clone());
        let body = response
            .bytes()
            .await
            .map_err(|e| errors::from_transport(&e, timeout))?;
        match headers {
            None => Ok(Answer { status, body }),
            Some(headers) => Err(errors::from_answer(status, &headers, &body, call.subject)),
        }
    }
}
