//! `search-phone-numbers`: the "Search Numbers endpoint" the seed refers to.

use axum::Json;
use axum::extract::State;
use switchboard_api::{self as api, ErrorResponse};
use switchboard_core::SearchQuery;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

async fn search(
    state: &AppState,
    mut request: api::SearchRequest,
) -> Result<Json<api::SearchResults>, ApiError> {
    let provider = request.provider.take();
    let providers = request.providers.take();
    let query = SearchQuery::try_from(request)?;
    match (provider, providers) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "providers",
            "give provider (one carrier) or providers (several), not both",
        )),
        (provider, None) => {
            let found = state.service.search(&query, provider.as_deref()).await?;
            Ok(Json(found.into()))
        }
        (None, Some(providers)) => {
            let across = state
                .service
                .search_across(&query, &providers.names()?)
                .await?;
            Ok(Json(across.into()))
        }
    }
}

/// Find numbers for sale, with the filters as query parameters.
#[utoipa::path(
    get,
    path = "/functions/v1/search-phone-numbers",
    tag = "numbers",
    params(api::SearchParams),
    responses(
        (status = 200, description = "Numbers for sale", body = api::SearchResults),
        (status = 400, description = "A bad parameter, or a filter the carrier cannot apply (code not_supported)", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 429, description = "The carrier is rate limiting", body = ErrorResponse,
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 502, description = "The carrier answered with an error", body = ErrorResponse),
        (status = 500, description = "An internal error: the number store failed for good, the service is misconfigured, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The carrier is unreachable or refused for now, the token store is unreachable, or the request timed out", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn search_phone_numbers_get(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(params): ApiQuery<api::SearchParams>,
) -> Result<Json<api::SearchResults>, ApiError> {
    search(&state, params.try_into()?).await
}

/// Find numbers for sale, with the filters as a JSON body (all optional).
#[utoipa::path(
    post,
    path = "/functions/v1/search-phone-numbers",
    tag = "numbers",
    request_body(content = api::SearchRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Numbers for sale", body = api::SearchResults),
        (status = 400, description = "Malformed JSON, a bad field, or a filter the carrier cannot apply (code not_supported)", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Body is not JSON", body = ErrorResponse),
        (status = 429, description = "The carrier is rate limiting", body = ErrorResponse,
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 502, description = "The carrier answered with an error", body = ErrorResponse),
        (status = 500, description = "An internal error: the number store failed for good, the service is misconfigured, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The carrier is unreachable or refused for now, the token store is unreachable, or the request timed out", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn search_phone_numbers_post(
    State(state): State<AppState>,
    _caller: Caller,
    ApiJson(request): ApiJson<api::SearchRequest>,
) -> Result<Json<api::SearchResults>, ApiError> {
    search(&state, request).await
}
