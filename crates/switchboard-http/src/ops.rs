//! Per-request plumbing: request ids, the access log, the limits, and JSON
//! answers where axum would answer in plain text (no route, wrong method,
//! a panic).

use std::any::Any;
use std::time::{Duration, Instant};

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;
use uuid::Uuid;

use crate::error::ApiError;
use crate::metrics::{Metrics, route_of};

/// The header that carries a request's id, in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest client-given request id kept; longer ones are replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// The client's id when it is short and plain (so it is safe in a log line),
/// otherwise a new one.
fn request_id(given: Option<&HeaderValue>) -> HeaderValue {
    if let Some(value) = given {
        let bytes = value.as_bytes();
        if !bytes.is_empty()
            && bytes.len() <= MAX_REQUEST_ID_LEN
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        {
            return value.clone();
        }
    }
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = new_request_id().hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// A fresh request id in UUID form, unique within this process and, with a
/// random 64-bit prefix per process, across processes.
///
/// Request ids need to be unique, not unpredictable, and `Uuid::new_v4`
/// asks the kernel for randomness on every call: a system call on every
/// request, a tenth of the lookup route's CPU when measured. So the kernel
/// is asked once, and each id mixes a counter through a bijection
/// (SplitMix64's finalizer), so ids stay distinct but do not look
/// sequential in logs.
fn new_request_id() -> Uuid {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| Uuid::new_v4().as_u64_pair().0);
    let mut x = COUNTER.fetch_add(1, Ordering::Relaxed);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&prefix.to_be_bytes());
    bytes[8..].copy_from_slice(&x.to_be_bytes());
    // Version 4 and the RFC 4122 variant, so the id reads as any other.
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// Middleware: gives the request an id, runs it in a span carrying method,
/// path and id, echoes the id, and logs status and latency. Headers are never
/// logged, so neither is the Authorization header.
pub(crate) async fn request_context(
    State(metrics): State<Arc<Metrics>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = route_of(request.uri().path());
    let id = request_id(request.headers().get(REQUEST_ID_HEADER));
    request.headers_mut().insert(REQUEST_ID_HEADER, id.clone());
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id.to_str().unwrap_or(""),
        account = tracing::field::Empty,
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    metrics.observe_request(route, method, status, elapsed);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, latency_ms, "request finished");
        } else {
            tracing::info!(status, latency_ms, "request finished");
        }
    });
    response.headers_mut().insert(REQUEST_ID_HEADER, id);
    response
}

/// A method as a metric label: the standard ones by name, anything else
/// as `other`, so a client cannot grow the label set.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The per-request limits of [`crate::HttpOptions`], as the state of
/// [`limits`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) body_limit: usize,
    pub(crate) request_timeout: Duration,
}

/// Middleware: refuses a body declared larger than the limit, then answers
/// 503 `timeout` when the handler takes too long.
///
/// The declared length is checked here, before authentication and before
/// anything reads the body: otherwise a client could declare a gigabyte,
/// send nothing, and hold the request until its timeout (the body extractors
/// still stop a chunked body at the limit). hyper then closes the connection
/// rather than read the body it was promised.
///
/// State changes run on their own tasks (see `routes::detached`), so they
/// finish even when the answer is given up on.
pub(crate) async fn limits(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    // GET and HEAD routes read no body: one declared there is never waited
    // for (hyper closes the connection after the answer instead).
    let reads_body = !matches!(*request.method(), Method::GET | Method::HEAD);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if reads_body && declared.is_some_and(|len| len > limits.body_limit as u64) {
        return ApiError::payload_too_large().into_response();
    }
    let limit = limits.request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the request took longer than {} ms; a provisioning request may still complete: \
                 repeat it with the same idempotency key to get its result",
                limit.as_millis()
            ),
        )
        .into_response(),
    }
}

/// Fallback: 404 JSON for a path no route serves.
pub(crate) async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::no_route(method.as_str(), uri.path())
}

/// Fallback: 405 JSON for a route served with other methods.
pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} does not accept {method}; GET /openapi.json lists the methods",
            uri.path()
        ),
    )
}

/// A 500 JSON answer for a handler that panicked, whose message stays in the log.
pub(crate) fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown");
    tracing::error!(panic = detail, "handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "internal error",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_ids_are_distinct_version_4_uuids() {
        let ids: std::collections::HashSet<Uuid> = (0..10_000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.get_version_num() == 4));
        let made = request_id(None);
        assert!(Uuid::parse_str(made.to_str().unwrap()).is_ok(), "{made:?}");
    }

    #[test]
    fn plain_client_ids_are_kept_and_others_replaced() {
        let given = HeaderValue::from_static("abc-123_X.y:z");
        assert_eq!(request_id(Some(&given)), given);
        let odd = HeaderValue::from_static("has space");
        assert_ne!(request_id(Some(&odd)), odd);
        let long = HeaderValue::try_from("a".repeat(129)).unwrap();
        assert_eq!(request_id(Some(&long)).len(), 36);
        assert_eq!(request_id(None).len(), 36);
    }

    #[tokio::test]
    async fn a_panic_becomes_a_500_json_error_without_its_message() {
        let response = panic_response(Box::new(String::from("secret detail")));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal_error");
        assert!(!body.to_string().contains("secret detail"));
    }
}
