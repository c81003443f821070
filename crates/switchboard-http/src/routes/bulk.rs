//! `bulk-provision-phone-numbers`: buy many numbers matching a search in one
//! request, each position's outcome in the answer.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use switchboard_api::{self as api, ErrorResponse};
use switchboard_core::BulkProvisionRequest;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// Buy several numbers matching a search.
///
/// Numbers are searched for in batches and bought with a concurrency that
/// adapts to the carrier's rate limits; a number someone else takes in
/// between is replaced by another. The answer is 200 with every position's
/// outcome (`bought` with the number, `pending` with a number whose carrier
/// order has not completed, or `failed` with an error in the usual shape)
/// whenever the request itself is valid; only a bad request fails as a
/// whole. With an idempotency key prefix (body or `Idempotency-Key` header),
/// repeating the request (say, after a 503 timeout: the purchases go on)
/// returns the numbers already bought and buys only the missing ones.
#[utoipa::path(
    post,
    path = "/functions/v1/bulk-provision-phone-numbers",
    tag = "numbers",
    request_body(content = api::BulkProvisionRequest, content_type = "application/json"),
    params(
        ("Idempotency-Key" = Option<String>, Header,
         description = "Same as the body's idempotency_key_prefix; when both are given they must agree."),
    ),
    responses(
        (status = 200, description = "Every position's outcome: `bought`, `failed`, or `pending` for a number whose carrier order has not completed (held, never bought again; `pending` counts them)", body = api::BulkReport),
        (status = 400, description = "Malformed JSON, a wrong type, an unknown field, a count out of range, a bad search filter or one the carrier cannot apply, an unknown provider", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Body is not JSON", body = ErrorResponse),
        (status = 500, description = "An internal error: the number store failed for good, the service is misconfigured, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The number store is unreachable, or the request timed out; the purchases go on, and repeating the request with the same idempotency key prefix returns them", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn bulk_provision_phone_numbers(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<api::BulkProvisionRequest>,
) -> Result<Json<api::BulkReport>, ApiError> {
    let mut request = BulkProvisionRequest::try_from(body)?;
    if let Some(value) = headers.get("idempotency-key") {
        let key = value.to_str().map_err(|_| {
            ApiError::invalid(
                "idempotency_key_prefix",
                "invalid Idempotency-Key header: must be printable ASCII",
            )
        })?;
        match &request.idempotency_key_prefix {
            Some(body_key) if body_key != key => {
                return Err(ApiError::invalid(
                    "idempotency_key_prefix",
                    "the Idempotency-Key header and the body's idempotency_key_prefix differ",
                ));
            }
            _ => request.idempotency_key_prefix = Some(key.to_string()),
        }
    }
    let service = state.service.clone();
    let report =
        super::detached(async move { service.provision_bulk(&caller.account, &request).await })
            .await?;
    Ok(Json(report.into()))
}
