//! A client of a running emulator's control endpoint, for placing calls and
//! sending messages from another process (the `switchboard emulator call`
//! command, a test harness in another language's place).

use std::time::Duration;

use reqwest::Client;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::request::{CallRequest, MessageRequest};
use super::{Delivery, DeliveryKind};
use crate::control::CONTROL_PREFIX;

/// Why a control call to a running emulator failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The base URL is not an http(s) URL.
    #[error("invalid emulator URL {url:?}: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Nothing answered at the URL, or the answer broke off.
    #[error("could not reach the emulator at {url}: {message}")]
    Unreachable {
        /// The emulator's base URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The emulator refused: bad input, unknown number, no webhook.
    #[error("the emulator refused ({status}): {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The emulator's `reason` code (`unknown_number`, `no_webhook`,
        /// `invalid`), when it gave one.
        reason: Option<String>,
        /// The emulator's message.
        message: String,
    },
    /// The answer was not what an emulator answers (another server?).
    #[error("unexpected answer from {url}: {message}")]
    Unexpected {
        /// The emulator's base URL.
        url: String,
        /// What was wrong with it.
        message: String,
    },
}

/// A running emulator, reached over HTTP.
#[derive(Debug, Clone)]
pub struct RemoteEmulator {
    base: String,
    client: Client,
}

impl RemoteEmulator {
    /// The emulator at `base_url` (`http://127.0.0.1:8081`). The control
    /// calls wait as long as the emulator's webhook timeout allows; the
    /// client gives up after two minutes in any case.
    pub fn new(base_url: &str) -> Result<Self, RemoteError> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        let bad = |reason: String| RemoteError::BadUrl {
            url: base_url.to_string(),
            reason,
        };
        let url = reqwest::Url::parse(&base).map_err(|e| bad(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("must start with http:// or https://".into()));
        }
        let client = Client::builder()
            .timeout(Duration::from_secs(120))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| bad(format!("cannot build an HTTP client: {e}")))?;
        Ok(Self { base, client })
    }

    /// Places an inbound call and returns what was delivered.
    pub async fn place_call(&self, call: &CallRequest) -> Result<Delivery, RemoteError> {
        self.post("calls", call).await
    }

    /// Sends an inbound message and returns what was delivered.
    pub async fn send_message(&self, message: &MessageRequest) -> Result<Delivery, RemoteError> {
        self.post("messages", message).await
    }

    /// The deliveries of one kind the emulator recorded, oldest first.
    pub async fn deliveries(&self, kind: DeliveryKind) -> Result<Vec<Delivery>, RemoteError> {
        #[derive(serde::Deserialize)]
        struct Listing {
            deliveries: Vec<Delivery>,
        }
        let path = match kind {
            DeliveryKind::Call => "calls",
            DeliveryKind::Message => "messages",
        };
        let request = self.client.get(self.url(path));
        let listing: Listing = self.read(request).await?;
        Ok(listing.deliveries)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{CONTROL_PREFIX}/{path}", self.base)
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, RemoteError> {
        let request = self.client.post(self.url(path)).json(body);
        self.read(request).await
    }

    async fn read<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, RemoteError> {
        let unreachable = |e: reqwest::Error| RemoteError::Unreachable {
            url: self.base.clone(),
            message: causes(e),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(unreachable)?;
        if !status.is_success() {
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let message = body["error"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| text.chars().take(500).collect());
            return Err(RemoteError::Refused {
                status: status.as_u16(),
                reason: body["reason"].as_str().map(str::to_string),
                message,
            });
        }
        serde_json::from_str(&text).map_err(|e| RemoteError::Unexpected {
            url: self.base.clone(),
            message: format!("not a delivery ({e})"),
        })
    }
}

/// The client's error with its causes ("error sending request: ...:
/// Connection refused"), without the URL, which the error names beside it.
fn causes(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut parts = vec![if error.is_timeout() {
        "no answer in time".to_string()
    } else {
        error.to_string()
    }];
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}
