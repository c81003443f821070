//! The routes, registered through utoipa-axum so that the router and the
//! OpenAPI document come from the same list and cannot disagree.

pub(crate) mod bulk;
pub(crate) mod import;
pub(crate) mod meta;
pub(crate) mod numbers;
pub(crate) mod provision;
pub(crate) mod search;

use std::future::Future;

use axum::http::StatusCode;
use tracing::Instrument;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::inbound::routes as inbound;
use crate::state::AppState;

pub(crate) use meta::openapi_json_text;

/// Routes that need a bearer token, and routes that do not (the service's
/// own, and the carriers' webhooks, whose signature is their credential).
pub(crate) fn parts() -> (OpenApiRouter<AppState>, OpenApiRouter<AppState>) {
    let protected = OpenApiRouter::new()
        .routes(routes!(provision::provision_phone_number))
        .routes(routes!(import::import_phone_number))
        .routes(routes!(bulk::bulk_provision_phone_numbers))
        .routes(routes!(
            search::search_phone_numbers_get,
            search::search_phone_numbers_post
        ))
        .routes(routes!(
            numbers::list_phone_numbers_get,
            numbers::list_phone_numbers_post
        ))
        .routes(routes!(
            numbers::get_phone_number_get,
            numbers::get_phone_number_post
        ))
        .routes(routes!(numbers::update_phone_number))
        .routes(routes!(numbers::release_phone_number));
    let public = OpenApiRouter::new()
        .routes(routes!(meta::healthz))
        .routes(routes!(meta::metrics))
        .routes(routes!(meta::openapi_json))
        .routes(routes!(
            inbound::inbound_voice_post,
            inbound::inbound_voice_get
        ))
        .routes(routes!(
            inbound::inbound_messages_post,
            inbound::inbound_messages_get
        ));
    (protected, public)
}

/// Runs a state-changing service call to completion on its own task, so that a
/// client that hangs up or a request timeout cannot stop it between the
/// carrier call and the record of it (the service keeps its invariants across
/// a crash too, but a finished call leaves nothing for `reconcile`).
pub(crate) async fn detached<T, F>(call: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: Future<Output = switchboard_core::Result<T>> + Send + 'static,
{
    match tokio::spawn(call.in_current_span()).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(join) => {
            tracing::error!(error = %join, "service call panicked");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "internal error",
            ))
        }
    }
}
