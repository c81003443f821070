//! The service's metrics, kept with `prometheus-client` and served as
//! OpenMetrics text at `GET /metrics`.
//!
//! Four sources feed them: every carrier call (through a
//! [`switchboard_core::layer::Hooked`] layer that [`crate::AppState::new`]
//! puts around each of the service's carriers, so no adapter counts
//! anything itself), every HTTP request (by the route it matched, never the
//! raw path, so a scan of random URLs cannot grow the label set), each
//! reconcile pass reported with [`Metrics::observe_reconcile`], and the
//! repository's read cache, read when scraped. Label values are carrier,
//! operation, route, method, status and outcome names: no account, number
//! or token ever becomes a label.

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use switchboard_core::layer::{CallEnd, CallHook, Operation};
use switchboard_core::{Error, ReadCacheCounts, ReconcileReport};

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CallLabels {
    carrier: String,
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OperationLabels {
    carrier: String,
    operation: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CarrierLabels {
    carrier: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

/// The path templates the router serves, read from the OpenAPI document
/// that the router and the document are both built from.
static ROUTES: LazyLock<Vec<String>> =
    LazyLock::new(|| crate::openapi::openapi().paths.paths.into_keys().collect());

/// The template `path` is served by (`/functions/v1/inbound/{provider}/voice`
/// for `/functions/v1/inbound/twilio/voice`), or `None` for a path no route
/// serves. Found by comparing segments, before the request reaches the
/// router, so that counting costs no middleware and no allocation.
pub(crate) fn route_of(path: &str) -> Option<&'static str> {
    ROUTES
        .iter()
        .find(|template| template_matches(template, path))
        .map(String::as_str)
}

fn template_matches(template: &str, path: &str) -> bool {
    let mut segments = path.split('/');
    for expected in template.split('/') {
        let Some(segment) = segments.next() else {
            return false;
        };
        let is_parameter = expected.starts_with('{') && expected.ends_with('}');
        if (is_parameter && segment.is_empty()) || (!is_parameter && segment != expected) {
            return false;
        }
    }
    segments.next().is_none()
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DriftLabels {
    kind: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Carrier calls take from milliseconds to tens of seconds (retries and
/// their waits included): 5 ms to ~41 s.
fn carrier_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// Our own answers take from tens of microseconds to the request timeout:
/// 0.1 ms to ~52 s.
fn request_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 20))
}

/// The metric families, registered once. Shared by every request through
/// an [`std::sync::Arc`]; each update is a lock-free counter or histogram step after a
/// read-locked lookup of its labels.
pub struct Metrics {
    registry: Registry,
    carrier_calls: Family<CallLabels, Counter>,
    carrier_call_seconds: Histograms<OperationLabels>,
    rate_limited: Family<CarrierLabels, Counter>,
    retry_after_seconds: Family<CarrierLabels, Counter<f64>>,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Histograms<RouteLabels>,
    reconcile_passes: Counter,
    drift_found: Family<DriftLabels, Counter>,
    drift_repaired: Family<DriftLabels, Counter>,
    cache_hits: Gauge,
    cache_misses: Gauge,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every family registered, all at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("switchboard");
        let carrier_calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "carrier_calls",
            "Carrier calls by carrier, operation and outcome (ok, or the error's code), after the adapter's retries",
            carrier_calls.clone(),
        );
        let carrier_call_seconds: Histograms<OperationLabels> =
            Family::new_with_constructor(carrier_buckets);
        registry.register(
            "carrier_call_seconds",
            "Time from the start of a carrier call to its answer, the adapter's retries and waits included",
            carrier_call_seconds.clone(),
        );
        let rate_limited = Family::<CarrierLabels, Counter>::default();
        registry.register(
            "carrier_rate_limited",
            "Carrier calls that ended rate limited (429) once the adapter's retries ran out",
            rate_limited.clone(),
        );
        let retry_after_seconds = Family::<CarrierLabels, Counter<f64>>::default();
        registry.register(
            "carrier_retry_after_seconds",
            "Seconds of Retry-After the carriers asked for in the rate limits counted above",
            retry_after_seconds.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by matched route (\"unmatched\" for none), method and status",
            requests.clone(),
        );
        let request_seconds: Histograms<RouteLabels> =
            Family::new_with_constructor(request_buckets);
        registry.register(
            "http_request_seconds",
            "Time to answer an HTTP request, by matched route",
            request_seconds.clone(),
        );
        let reconcile_passes = Counter::default();
        registry.register(
            "reconcile_passes",
            "Reconcile passes reported",
            reconcile_passes.clone(),
        );
        let drift_found = Family::<DriftLabels, Counter>::default();
        registry.register(
            "reconcile_drift_found",
            "Disagreements between records and carriers found by reconcile, by kind",
            drift_found.clone(),
        );
        let drift_repaired = Family::<DriftLabels, Counter>::default();
        registry.register(
            "reconcile_drift_repaired",
            "Disagreements reconcile set right, by kind",
            drift_repaired.clone(),
        );
        let cache_hits = Gauge::default();
        registry.register(
            "read_cache_hits",
            "Reads the repository's read cache answered from memory since it opened (absent without a cache)",
            cache_hits.clone(),
        );
        let cache_misses = Gauge::default();
        registry.register(
            "read_cache_misses",
            "Reads that went to the repository's store since it opened (absent without a cache)",
            cache_misses.clone(),
        );
        Self {
            registry,
            carrier_calls,
            carrier_call_seconds,
            rate_limited,
            retry_after_seconds,
            requests,
            request_seconds,
            reconcile_passes,
            drift_found,
            drift_repaired,
            cache_hits,
            cache_misses,
        }
    }

    /// Counts what one reconcile pass found and repaired.
    pub fn observe_reconcile(&self, report: &ReconcileReport) {
        self.reconcile_passes.inc();
        for drift in &report.drift {
            let labels = DriftLabels {
                kind: drift.kind.as_str(),
            };
            self.drift_found.get_or_create(&labels).inc();
            if drift.repair.is_repaired() {
                self.drift_repaired.get_or_create(&labels).inc();
            }
        }
    }

    /// Counts one answered HTTP request.
    pub(crate) fn observe_request(
        &self,
        route: Option<&'static str>,
        method: &'static str,
        status: u16,
        elapsed: Duration,
    ) {
        let route = route.unwrap_or("unmatched");
        self.request_seconds
            .get_or_create(&RouteLabels { route })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status,
            })
            .inc();
    }

    fn observe_call(&self, end: &CallEnd<'_>) {
        let carrier = end.carrier.to_string();
        let operation = end.operation.as_str();
        self.carrier_calls
            .get_or_create(&CallLabels {
                carrier: carrier.clone(),
                operation,
                outcome: end.outcome(),
            })
            .inc();
        self.carrier_call_seconds
            .get_or_create(&OperationLabels {
                carrier: carrier.clone(),
                operation,
            })
            .observe(end.elapsed.as_secs_f64());
        if let Some(Error::RateLimited { retry_after, .. }) = end.error.map(Error::last_attempt) {
            let labels = CarrierLabels { carrier };
            self.rate_limited.get_or_create(&labels).inc();
            if let Some(wait) = retry_after {
                self.retry_after_seconds
                    .get_or_create(&labels)
                    .inc_by(wait.as_secs_f64());
            }
        }
    }

    /// The OpenMetrics text of every family, with the read cache's counts
    /// as they are now (`None`: the repository has no cache, and those two
    /// stay at zero).
    pub fn render(&self, cache: Option<ReadCacheCounts>) -> String {
        if let Some(counts) = cache {
            self.cache_hits.set(saturating_i64(counts.hits));
            self.cache_misses.set(saturating_i64(counts.misses));
        }
        let mut text = String::new();
        // Writing into a String cannot fail; an encoder error would be a bug
        // in a label, and the scrape then gets what was written so far.
        if let Err(error) = encode(&mut text, &self.registry) {
            tracing::error!(%error, "metrics could not be encoded");
        }
        text
    }
}

fn saturating_i64(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// The metrics as the hook of a [`switchboard_core::layer::Hooked`] carrier.
#[async_trait]
impl CallHook for Metrics {
    type Mark = ();

    async fn started(&self, _carrier: &str, _operation: Operation) {}

    fn ended(&self, (): (), end: &CallEnd<'_>) {
        self.observe_call(end);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use switchboard_core::{Drift, DriftKind, PhoneNumber, Repair};

    #[test]
    fn paths_are_counted_under_the_template_that_serves_them() {
        assert_eq!(
            route_of("/functions/v1/inbound/twilio/voice"),
            Some("/functions/v1/inbound/{provider}/voice")
        );
        assert_eq!(route_of("/healthz"), Some("/healthz"));
        for unserved in [
            "/functions/v1/inbound//voice",
            "/functions/v1/inbound/twilio/voice/extra",
            "/healthz/",
            "/",
            "",
            "/functions/v1/provision-phone-number/+16045550100",
        ] {
            assert_eq!(route_of(unserved), None, "{unserved}");
        }
    }

    #[test]
    fn calls_requests_and_reconcile_show_in_the_text() {
        let metrics = Arc::new(Metrics::new());
        let limited = Error::rate_limited("twilio", Some(Duration::from_secs(3)));
        metrics.ended(
            (),
            &CallEnd {
                carrier: "twilio",
                operation: Operation::Purchase,
                error: Some(&limited),
                elapsed: Duration::from_millis(20),
            },
        );
        metrics.ended(
            (),
            &CallEnd {
                carrier: "twilio",
                operation: Operation::Search,
                error: None,
                elapsed: Duration::from_millis(20),
            },
        );
        metrics.observe_request(
            Some("/functions/v1/phone-numbers"),
            "GET",
            200,
            Duration::from_micros(300),
        );
        metrics.observe_request(None, "GET", 404, Duration::from_micros(50));
        let drift = |kind, repair| Drift {
            kind,
            phone_number: PhoneNumber::parse_trusted("+16045550100").unwrap(),
            provider: "twilio".into(),
            repair,
        };
        metrics.observe_reconcile(&ReconcileReport {
            drift: vec![
                drift(DriftKind::RoutingDiffers, Repair::Rerouted),
                drift(DriftKind::OrphanAtCarrier, Repair::Left("asked".into())),
            ],
            ..ReconcileReport::default()
        });
        let text = metrics.render(Some(ReadCacheCounts { hits: 7, misses: 2 }));
        for line in [
            r#"switchboard_carrier_calls_total{carrier="twilio",operation="purchase",outcome="rate_limited"} 1"#,
            r#"switchboard_carrier_calls_total{carrier="twilio",operation="search",outcome="ok"} 1"#,
            r#"switchboard_carrier_rate_limited_total{carrier="twilio"} 1"#,
            r#"switchboard_carrier_retry_after_seconds_total{carrier="twilio"} 3.0"#,
            r#"switchboard_carrier_call_seconds_count{carrier="twilio",operation="search"} 1"#,
            r#"switchboard_http_requests_total{route="/functions/v1/phone-numbers",method="GET",status="200"} 1"#,
            r#"switchboard_http_requests_total{route="unmatched",method="GET",status="404"} 1"#,
            r#"switchboard_reconcile_passes_total 1"#,
            r#"switchboard_reconcile_drift_found_total{kind="routing_differs"} 1"#,
            r#"switchboard_reconcile_drift_found_total{kind="orphan_at_carrier"} 1"#,
            r#"switchboard_reconcile_drift_repaired_total{kind="routing_differs"} 1"#,
            r#"switchboard_read_cache_hits 7"#,
            r#"switchboard_read_cache_misses 2"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(
            !text.contains(r#"drift_repaired_total{kind="orphan_at_carrier"}"#),
            "a drift left as it was is not repaired:\n{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
