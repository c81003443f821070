//! What the handlers share: the service, the token store, and the limits.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{ProvisioningService, TokenStore};

use crate::inbound::InboundOptions;

/// Limits that protect the service from slow or oversized requests.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpOptions {
    /// The largest request body accepted; larger ones get 413.
    pub body_limit: usize,
    /// How long one request may take before it is answered 503 `timeout`.
    pub request_timeout: Duration,
}

impl Default for HttpOptions {
    /// 64 KiB bodies (the largest valid request is under 8 KiB) and 30 s,
    /// long enough for a carrier purchase with its retries.
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl HttpOptions {
    /// Sets the body limit in bytes.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Sets the request timeout.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }
}

/// The state behind [`crate::router`]. Cheap to clone: every part is shared.
#[derive(Debug, Clone)]
pub struct AppState {
    // Behind an Arc: the state is cloned for every request, and the
    // service's options (routing per carrier, retry policies) are not free
    // to copy.
    pub(crate) service: Arc<ProvisioningService>,
    pub(crate) tokens: Arc<dyn TokenStore>,
    pub(crate) options: HttpOptions,
    pub(crate) inbound: Option<Arc<InboundOptions>>,
}

impl AppState {
    /// State over `service`, authenticating against `tokens`, with default
    /// [`HttpOptions`].
    pub fn new(service: ProvisioningService, tokens: Arc<dyn TokenStore>) -> Self {
        Self {
            service: Arc::new(service),
            tokens,
            options: HttpOptions::default(),
            inbound: None,
        }
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: HttpOptions) -> Self {
        self.options = options;
        self
    }

    /// Serves the inbound webhook routes with `inbound`: until this is
    /// called they answer 404, so a service that was given no public URL
    /// accepts no carrier's calls.
    pub fn with_inbound(mut self, inbound: InboundOptions) -> Self {
        self.inbound = Some(Arc::new(inbound));
        self
    }

    /// The options in force.
    pub fn options(&self) -> &HttpOptions {
        &self.options
    }
}
