//! What the handlers share: the service, the token store, and the limits.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::layer::Hooked;
use switchboard_core::{ProvisioningService, TelephonyProvider, TokenStore};

use crate::inbound::InboundOptions;
use crate::metrics::Metrics;

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
    pub(crate) metrics: Arc<Metrics>,
}

impl AppState {
    /// State over `service`, authenticating against `tokens`, with default
    /// [`HttpOptions`].
    ///
    /// Every carrier of `service` is wrapped in a layer that feeds the
    /// state's [`Metrics`], so the carrier calls the routes make are counted
    /// (see [`AppState::service`] for the service to run anything else
    /// through, such as a periodic reconcile, to have it counted too).
    pub fn new(service: ProvisioningService, tokens: Arc<dyn TokenStore>) -> Self {
        let metrics = Arc::new(Metrics::new());
        let hook = metrics.clone();
        let service = service.with_provider_layer(move |carrier| {
            Arc::new(Hooked::new(carrier, hook.clone())) as Arc<dyn TelephonyProvider>
        });
        Self {
            service: Arc::new(service),
            tokens,
            options: HttpOptions::default(),
            inbound: None,
            metrics,
        }
    }

    /// The service the routes use, its carriers counted in [`AppState::metrics`].
    pub fn service(&self) -> &ProvisioningService {
        &self.service
    }

    /// What `GET /metrics` serves; [`Metrics::observe_reconcile`] takes the
    /// reports of reconcile passes run beside the routes.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
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
