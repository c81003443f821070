//! The account's own numbers: list, get (by id, or by phone number as an
//! inbound call does), update, release. Another account's number is always
//! 404, never its data.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::{
    Error, MAX_PAGE_SIZE, NumberFilter, NumberState, NumberUpdate, PageRequest, PhoneNumber,
    ProvisionedNumber,
};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, JsonObject, from_value};
use crate::schema::{self, ErrorResponse};
use crate::state::AppState;

/// Which of the account's numbers to list.
#[derive(Debug, Default, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListRequest {
    /// Only numbers assigned to this agent.
    #[serde(default)]
    agent_id: Option<Uuid>,
    /// Only numbers bought from this carrier.
    #[serde(default)]
    provider: Option<String>,
    /// Include released numbers (default false: active and releasing only).
    #[serde(default)]
    include_released: Option<bool>,
    /// Page size, 1 to 1000; 100 when absent.
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    #[schema(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    cursor: Option<String>,
}

/// One page of numbers.
#[derive(Serialize)]
pub(crate) struct Listing {
    data: Vec<ProvisionedNumber>,
    next_cursor: Option<String>,
}

async fn list(
    state: &AppState,
    caller: &Caller,
    request: ListRequest,
) -> Result<Json<Listing>, ApiError> {
    let limit = request.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE_SIZE {
        return Err(ApiError::invalid(
            "limit",
            format!("invalid limit: must be between 1 and {MAX_PAGE_SIZE}, got {limit}"),
        ));
    }
    let states = if request.include_released.unwrap_or(false) {
        vec![
            NumberState::Active,
            NumberState::Releasing,
            NumberState::Released,
        ]
    } else {
        Vec::new()
    };
    let filter = NumberFilter {
        account: None,
        agent_id: request.agent_id,
        provider: request.provider,
        states,
    };
    let page = PageRequest {
        cursor: request.cursor,
        limit,
    };
    let page = state.service.list(&caller.account, filter, &page).await?;
    Ok(Json(Listing {
        data: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// List the account's numbers, filters as query parameters.
#[utoipa::path(
    get,
    path = "/functions/v1/list-phone-numbers",
    tag = "numbers",
    params(ListRequest),
    responses(
        (status = 200, description = "One page of the account's numbers, oldest first", body = schema::NumberList),
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
) -> Result<Json<Listing>, ApiError> {
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
        (status = 200, description = "One page of the account's numbers, oldest first", body = schema::NumberList),
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
) -> Result<Json<Listing>, ApiError> {
    list(&state, &caller, request).await
}

/// Which number to get: exactly one of `id` and `phone_number`.
#[derive(Debug, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct GetRequest {
    /// The number's `id`. Give exactly one of `id` and `phone_number`.
    #[serde(default)]
    id: Option<Uuid>,
    /// The number, E.164: the lookup an inbound call makes. Give exactly one
    /// of `id` and `phone_number`. In a query string write `+` as `%2B`; an
    /// unencoded `+` (read as a space) is accepted too.
    #[serde(default)]
    #[param(example = "+16045551234")]
    #[schema(example = "+16045551234")]
    phone_number: Option<String>,
}

async fn get(
    state: &AppState,
    caller: &Caller,
    request: GetRequest,
) -> Result<Json<ProvisionedNumber>, ApiError> {
    match (request.id, request.phone_number) {
        (Some(id), None) => Ok(Json(state.service.get(&caller.account, id).await?)),
        (None, Some(text)) => {
            // Syntax only: a number outside the numbering plan is simply not
            // found, and the hot path skips the numbering-plan tables.
            let number = PhoneNumber::parse_trusted(&text).map_err(|e| {
                ApiError::invalid("phone_number", format!("invalid phone_number: {e}"))
            })?;
            match state.service.lookup(&number).await? {
                Some(found) if found.account == caller.account => Ok(Json(found)),
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
        (status = 200, description = "The number", body = schema::PhoneNumber),
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
) -> Result<Json<ProvisionedNumber>, ApiError> {
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
        (status = 200, description = "The number", body = schema::PhoneNumber),
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
) -> Result<Json<ProvisionedNumber>, ApiError> {
    get(&state, &caller, request).await
}

/// Rename, reassign (or unassign, with `agent_id: null`) or re-route one of
/// the account's numbers. Name and routing change at the carrier first; if it
/// refuses, nothing changes.
#[utoipa::path(
    post,
    path = "/functions/v1/update-phone-number",
    tag = "numbers",
    request_body(content = schema::UpdateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The number as changed", body = schema::PhoneNumber),
        (status = 400, description = "Malformed JSON, a bad field, or nothing to change", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 404, description = "The account has no such number", body = ErrorResponse),
        (status = 409, description = "The number is not active (being provisioned or released)", body = ErrorResponse),
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
    JsonObject(mut body): JsonObject,
) -> Result<Json<ProvisionedNumber>, ApiError> {
    let id = take_id(body.remove("id"))?;
    let update: NumberUpdate = from_value(Value::Object(body))?;
    let service = state.service.clone();
    let number =
        super::detached(async move { service.update(&caller.account, id, &update).await }).await?;
    Ok(Json(number))
}

fn take_id(value: Option<Value>) -> Result<Uuid, ApiError> {
    match value {
        None | Some(Value::Null) => Err(ApiError::invalid("id", "id is required")),
        Some(Value::String(text)) => {
            Uuid::parse_str(&text).map_err(|e| ApiError::invalid("id", format!("invalid id: {e}")))
        }
        Some(_) => Err(ApiError::invalid(
            "id",
            "invalid id: expected a UUID string",
        )),
    }
}

/// Which number to release.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReleaseRequest {
    /// The number's `id`.
    id: Uuid,
}

/// The release answer: the seed object, and where the release stands.
#[derive(Serialize)]
pub(crate) struct ReleaseBody {
    #[serde(flatten)]
    number: ProvisionedNumber,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    released_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    release_not_before: Option<String>,
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
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
        (status = 200, description = "Released", body = schema::ReleasedNumber),
        (status = 202, description = "Release pending at the carrier", body = schema::ReleasedNumber),
        (status = 400, description = "Malformed JSON or id", body = ErrorResponse),
        (status = 401, description = "Missing, unknown or revoked bearer token", body = ErrorResponse),
        (status = 404, description = "The account has no such number", body = ErrorResponse),
        (status = 409, description = "The number is still being provisioned", body = ErrorResponse),
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
) -> Result<(StatusCode, Json<ReleaseBody>), ApiError> {
    let service = state.service.clone();
    let number =
        super::detached(async move { service.release(&caller.account, request.id).await }).await?;
    let (status, body) = release_body(number);
    Ok((status, Json(body)))
}

fn release_body(number: ProvisionedNumber) -> (StatusCode, ReleaseBody) {
    let (status, label) = match number.state {
        NumberState::Released => (StatusCode::OK, "released"),
        _ => (StatusCode::ACCEPTED, "releasing"),
    };
    let body = ReleaseBody {
        released_at: number.released_at.map(timestamp),
        release_not_before: number.release_not_before.map(timestamp),
        number,
        status: label,
    };
    (status, body)
}

/// The JSON the list handler sends for `items`, for the schema tests.
#[cfg(test)]
pub(crate) fn test_listing(items: Vec<ProvisionedNumber>, next_cursor: Option<String>) -> Value {
    serde_json::to_value(Listing {
        data: items,
        next_cursor,
    })
    .unwrap_or_default()
}

/// The JSON the release handler sends for `number`, for the schema tests.
#[cfg(test)]
pub(crate) fn test_release_body(number: ProvisionedNumber) -> Value {
    serde_json::to_value(release_body(number).1).unwrap_or_default()
}
