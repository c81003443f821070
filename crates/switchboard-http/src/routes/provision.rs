//! `provision-phone-number`: the seed's one documented endpoint.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use switchboard_api::{self as api, ErrorResponse};
use switchboard_core::{NumberState, ProvisionRequest};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// Purchase an available phone number and add it to your account.
///
/// Use the search endpoint first to find available numbers. The answer is 200
/// with the number, as the seed API shows. Repeating a request with the same
/// idempotency key (header or body) returns the same number and buys nothing.
///
/// Some carriers (Telnyx) take a purchase as an order they complete later.
/// The service waits a few seconds for it; an order still open then is
/// answered 202 Accepted with the number object in state `pending`
/// (`is_active: false`): the number is held for the account, nobody else can
/// buy it, and it becomes `active` when the carrier completes the order (the
/// service keeps asking). Read it again by id, or repeat the request with
/// the same idempotency key, to see where it stands; an order the carrier
/// gives up on leaves the number failed (404 by id) and frees the key.
#[utoipa::path(
    post,
    path = "/functions/v1/provision-phone-number",
    tag = "numbers",
    request_body(content = api::ProvisionRequest, content_type = "application/json"),
    params(
        ("Idempotency-Key" = Option<String>, Header,
         description = "Same as the body's idempotency_key; when both are given they must agree."),
    ),
    responses(
        (status = 200, description = "The provisioned number", body = api::NumberResource),
        (status = 202, description = "The carrier accepted the purchase as an order it has not completed: the number, in state `pending`, held for the account and not yet active", body = api::NumberResource),
        (status = 400, description = "Malformed JSON, a wrong type, an unknown field, a number that is not E.164, an agent_id that is not a UUID, an unknown provider", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 409, description = "The number is already provisioned, or a request with this idempotency key is in progress", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Body is not JSON", body = ErrorResponse),
        (status = 422, description = "The carrier no longer offers the number (or gave up on its order), or requires a document (address, bundle) first", body = ErrorResponse),
        (status = 429, description = "The carrier is rate limiting; retry after Retry-After seconds", body = ErrorResponse,
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 502, description = "The carrier answered with an error", body = ErrorResponse),
        (status = 500, description = "An internal error: the number store failed for good, the service is misconfigured, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The carrier is unreachable or refused for now, the number store is unreachable, or the request timed out; retry with the same idempotency key", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn provision_phone_number(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<api::ProvisionRequest>,
) -> Result<(StatusCode, Json<api::NumberResource>), ApiError> {
    let mut request = ProvisionRequest::try_from(body)?;
    if let Some(value) = headers.get("idempotency-key") {
        let key = value.to_str().map_err(|_| {
            ApiError::invalid(
                "idempotency_key",
                "invalid Idempotency-Key header: must be printable ASCII",
            )
        })?;
        match &request.idempotency_key {
            Some(body_key) if body_key != key => {
                return Err(ApiError::invalid(
                    "idempotency_key",
                    "the Idempotency-Key header and the body's idempotency_key differ",
                ));
            }
            _ => request.idempotency_key = Some(key.to_string()),
        }
    }
    let service = state.service.clone();
    let number =
        super::detached(async move { service.provision(&caller.account, &request).await }).await?;
    // 202: accepted, not done; the object says what it is waiting for.
    let status = match number.state {
        NumberState::Pending => StatusCode::ACCEPTED,
        _ => StatusCode::OK,
    };
    Ok((status, Json(number.into())))
}
