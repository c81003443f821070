//! The account's own numbers: list, get (by id, or by phone number as an
//! inbound call does), update, release. Another account's number is always
//! 404, never its data.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_api::{
    self as api, ErrorResponse, GetRequest, ListRequest, ReleaseRequest, ReleaseStatus,
};
use switchboard_core::{Error, NumberFilter, NumberUpdate, PageRequest, PhoneNumber};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

async fn list(
    state: &AppState,
    caller: &Caller,
    request: ListRequest,
) -> Result<Json<api::NumberList>, ApiError> {
    let (filter, page): (NumberFilter, PageRequest) = request.try_into()?;
    let page = state.service.list(&caller.account, filter, &page).await?;
    Ok(Json(page.into()))
}

/// List the account's numbers, filters as query parameters.
#[utoipa::path(
    get,
    path = "/functions/v1/list-phone-numbers",
    tag = "numbers",
    params(ListRequest),
    responses(
        (status = 200, description = "One page of the account's numbers, oldest first", body = api::NumberList),
        (status = 400, description = "A bad parameter or cursor", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 500, description = "An internal error: the number store failed for good, the service is misconfigured, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The number store is unreachable (try again later), or the request timed out", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_phone_numbers_get(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(request): ApiQuery<ListRequest>,
) -> Result<Json<api::NumberList>, ApiError> {
    list(&state, &caller, request).await
}

/// List the account's numbers, filters as a JSON body (all optional; no body
/// lists the first page).
#[utoipa::path(
    post,
    path = "/functions/v1/list-phone-numbers",
    tag = "numbers",
    request_body(content = ListRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "One page of the account's numbers, oldest first", body = api::NumberList),
        (status = 400, description = "Malformed JSON, a bad field or cursor", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Body is not JSON", body = ErrorResponse),
        (status = 500, description = "An internal error: the number store failed for good, the service is misconfigured, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The number store is unreachable (try again later), or the request timed out", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_phone_numbers_post(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<ListRequest>,
) -> Result<Json<api::NumberList>, ApiError> {
    list(&state, &caller, request).await
}

async fn get(
    state: &AppState,
    caller: &Caller,
    request: GetRequest,
) -> Result<Json<api::NumberResource>, ApiError> {
    match (request.id, request.phone_number) {
        (Some(id), None) => Ok(Json(state.service.get(&caller.account, id).await?.into())),
        (None, Some(text)) => {
            // Syntax only: a number outside the numbering plan is simply not
            // found, and the hot path skips the numbering-plan tables.
            let number = PhoneNumber::parse_trusted(&text).map_err(|e| {
                ApiError::invalid("phone_number", format!("invalid phone_number: {e}"))
            })?;
            match state.service.lookup(&number).await? {
                Some(found) if found.account == caller.account => Ok(Json(found.into())),
                _ => Err(Error::not_found(format!("phone number {number}")).into()),
            }
        }
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "give exactly one of id and phone_number",
        )),
    }
}

/// Get one of the account's numbers by `id` or by `phone_number`.
#[utoipa::path(
    get,
    path = "/functions/v1/get-phone-number",
    tag = "numbers",
    params(GetRequest),
    responses(
        (status = 200, description = "The number", body = api::NumberResource),
        (status = 400, description = "Neither or both of id and phone_number, or a malformed one", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 404, description = "The account has no such number", body = ErrorResponse),
        (status = 500, description = "An internal error: the number store failed for good, the service is misconfigured, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The number store is unreachable (try again later), or the request timed out", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_phone_number_get(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(mut request): ApiQuery<GetRequest>,
) -> Result<Json<api::NumberResource>, ApiError> {
    // A `+` left unencoded in a query string arrives as a space.
    if let Some(text) = &mut request.phone_number
        && let Some(rest) = text.strip_prefix(' ')
    {
        *text = format!("+{rest}");
    }
    get(&state, &caller, request).await
}

/// Get one of the account's numbers by `id` or by `phone_number`, as a JSON body.
#[utoipa::path(
    post,
    path = "/functions/v1/get-phone-number",
    tag = "numbers",
    request_body(content = GetRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The number", body = api::NumberResource),
        (status = 400, description = "Neither or both of id and phone_number, or a malformed one", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 404, description = "The account has no such number", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Body is not JSON", body = ErrorResponse),
        (status = 500, description = "An internal error: the number store failed for good, the service is misconfigured, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The number store is unreachable (try again later), or the request timed out", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_phone_number_post(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<GetRequest>,
) -> Result<Json<api::NumberResource>, ApiError> {
    get(&state, &caller, request).await
}

/// Rename, reassign (or unassign, with `agent_id: null`) or re-route one of
/// the account's numbers. Name and routing change at the carrier first; if it
/// refuses, nothing changes.
#[utoipa::path(
    post,
    path = "/functions/v1/update-phone-number",
    tag = "numbers",
    request_body(content = api::UpdateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The number as changed", body = api::NumberResource),
        (status = 400, description = "Malformed JSON, a bad field, or nothing to change", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 404, description = "The account has no such number", body = ErrorResponse),
        (status = 409, description = "The number is not active (being provisioned, ordered and pending at the carrier, or released)", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Body is not JSON", body = ErrorResponse),
        (status = 429, description = "The carrier is rate limiting", body = ErrorResponse,
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 502, description = "The carrier answered with an error", body = ErrorResponse),
        (status = 500, description = "An internal error: the number store failed for good, the service is misconfigured, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The carrier is unreachable or refused for now, the number store is unreachable, or the request timed out", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn update_phone_number(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<api::UpdateRequest>,
) -> Result<Json<api::NumberResource>, ApiError> {
    let id = body.id;
    let update = NumberUpdate::try_from(body)?;
    let service = state.service.clone();
    let number =
        super::detached(async move { service.update(&caller.account, id, &update).await }).await?;
    Ok(Json(number.into()))
}

/// Give one of the account's numbers back to its carrier.
///
/// 200 with `status: "released"` when the carrier took it back (also when it
/// was released before: the call is idempotent). 202 with
/// `status: "releasing"` when the carrier refused for now (SignalWire's
/// cooldown, a temporary error): the release is recorded and retried later,
/// `release_not_before` says when, if the carrier did.
#[utoipa::path(
    post,
    path = "/functions/v1/release-phone-number",
    tag = "numbers",
    request_body(content = ReleaseRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Released", body = api::ReleasedNumber),
        (status = 202, description = "Release pending at the carrier", body = api::ReleasedNumber),
        (status = 400, description = "Malformed JSON or id", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 404, description = "The account has no such number", body = ErrorResponse),
        (status = 409, description = "The number is still being provisioned, or its carrier order is still open (state `pending`: the release waits a few seconds for the order, then is refused, recording nothing; release it once it is active)", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Body is not JSON", body = ErrorResponse),
        (status = 502, description = "The carrier refused the release", body = ErrorResponse),
        (status = 500, description = "An internal error: the number store failed for good, the service is misconfigured, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The number store is unreachable, or the request timed out (a release under way goes on)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn release_phone_number(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<ReleaseRequest>,
) -> Result<(StatusCode, Json<api::ReleasedNumber>), ApiError> {
    let service = state.service.clone();
    let number =
        super::detached(async move { service.release(&caller.account, request.id).await }).await?;
    let body = api::ReleasedNumber::from(number);
    let status = match body.status {
        ReleaseStatus::Released => StatusCode::OK,
        ReleaseStatus::Releasing => StatusCode::ACCEPTED,
    };
    Ok((status, Json(body)))
}
