//! The routes about the service itself: liveness, metrics and its own
//! description.

use std::sync::LazyLock;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::state::AppState;
use switchboard_api::Health;

/// Liveness: answers as long as the process serves requests. It checks no
/// carrier or store, so that a carrier outage does not get the process killed.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    responses((status = 200, description = "The process is serving requests", body = Health)),
    security(())
)]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health::ok())
}

/// The service's metrics (carrier calls, HTTP requests, reconcile drift,
/// the read cache) in the OpenMetrics text format Prometheus scrapes.
///
/// Served without a token, as scrapers carry none: no label holds an
/// account, a number or a secret (carriers, operations, routes, methods,
/// statuses and outcome codes only). Keep it off the public internet at
/// the proxy like any operations endpoint.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    responses((status = 200, description = "Every metric family, OpenMetrics text", body = String,
               content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8")),
    security(())
)]
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let text = state
        .metrics
        .render(state.service.repository().read_cache_counts());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
}

/// The document, serialized once: it depends on the code only.
static OPENAPI_JSON: LazyLock<String> = LazyLock::new(|| {
    serde_json::to_string_pretty(&crate::openapi::openapi())
        .unwrap_or_else(|e| format!(r#"{{"error":"{e}"}}"#))
});

/// The OpenAPI document as JSON text.
pub(crate) fn openapi_json_text() -> &'static str {
    &OPENAPI_JSON
}

/// This API as an OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "service",
    responses((status = 200, description = "This document", body = serde_json::Value, content_type = "application/json")),
    security(())
)]
pub(crate) async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi_json_text(),
    )
}
