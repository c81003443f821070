//! `import-phone-number`: adopting a number the carrier account already
//! owns. The service asks the carrier and buys nothing.

use axum::Json;
use axum::extract::State;
use switchboard_api::{self as api, ErrorResponse};
use switchboard_core::AdoptRequest;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// Add a number the carrier account already owns to your account.
///
/// For numbers bought outside Switchboard. The carrier is asked whether the
/// account holds the number; its capabilities and routing are recorded as
/// the carrier reports them, and nothing is bought. The answer is the phone
/// number object, with the carrier as `provider`.
#[utoipa::path(
    post,
    path = "/functions/v1/import-phone-number",
    tag = "numbers",
    request_body(content = api::ImportRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The adopted number", body = api::NumberResource),
        (status = 400, description = "Malformed JSON, a wrong type, an unknown field, a number that is not E.164, an unknown provider, use_inbound_routing without configured webhooks", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 404, description = "The carrier does not hold the number for this account", body = ErrorResponse),
        (status = 409, description = "The number is already live in an account", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Body is not JSON", body = ErrorResponse),
        (status = 429, description = "The carrier is rate limiting; retry after Retry-After seconds", body = ErrorResponse,
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 502, description = "The carrier answered with an error", body = ErrorResponse),
        (status = 500, description = "An internal error; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The carrier or the number store is unreachable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn import_phone_number(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<api::ImportRequest>,
) -> Result<Json<api::NumberResource>, ApiError> {
    let request = AdoptRequest::try_from(body)?;
    let service = state.service.clone();
    let number =
        super::detached(async move { service.adopt(&caller.account, &request).await }).await?;
    Ok(Json(number.into()))
}
