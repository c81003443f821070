//! `search-phone-numbers`: the "Search Numbers endpoint" the seed refers to.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value};
use switchboard_core::{AvailableNumber, SearchQuery};
use utoipa::IntoParams;

use super::Data;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiQuery, JsonObject, from_value, take_string};
use crate::schema::{self, ErrorResponse};
use crate::state::AppState;

/// The search as query parameters: the JSON body's fields, flattened.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// ISO 3166-1 alpha-2 country; `US` when absent.
    country: Option<String>,
    /// `local` (default), `toll_free` or `mobile`.
    number_type: Option<String>,
    /// Area code, digits only.
    area_code: Option<String>,
    /// Digits the national number contains (at most one of contains, starts_with, ends_with).
    contains: Option<String>,
    /// Digits the national number starts with.
    starts_with: Option<String>,
    /// Digits the national number ends with.
    ends_with: Option<String>,
    /// State or province.
    region: Option<String>,
    /// City or locality.
    locality: Option<String>,
    /// Postal code.
    postal_code: Option<String>,
    /// Require voice.
    voice: Option<bool>,
    /// Require SMS.
    sms: Option<bool>,
    /// Require MMS.
    mms: Option<bool>,
    /// Require fax.
    fax: Option<bool>,
    /// At most this many results, 1 to 100; 20 when absent.
    limit: Option<u32>,
    /// The carrier to search; the configured default when absent.
    provider: Option<String>,
}

impl SearchParams {
    /// The JSON body these parameters stand for, so that core decodes and
    /// checks both forms the same way.
    fn into_body(self) -> Result<(Map<String, Value>, Option<String>), ApiError> {
        let mut body = Map::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                body.insert(key.into(), Value::String(value));
            }
        };
        put("country", self.country);
        put("number_type", self.number_type);
        put("area_code", self.area_code);
        put("region", self.region);
        put("locality", self.locality);
        put("postal_code", self.postal_code);
        let patterns: Vec<(&str, String)> = [
            ("contains", self.contains),
            ("starts_with", self.starts_with),
            ("ends_with", self.ends_with),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        match patterns.as_slice() {
            [] => {}
            [(kind, digits)] => {
                let mut pattern = Map::new();
                pattern.insert((*kind).into(), Value::String(digits.clone()));
                body.insert("pattern".into(), Value::Object(pattern));
            }
            _ => {
                return Err(ApiError::invalid(
                    "pattern",
                    "give at most one of contains, starts_with and ends_with",
                ));
            }
        }
        let mut capabilities = Map::new();
        for (key, value) in [
            ("voice", self.voice),
            ("sms", self.sms),
            ("mms", self.mms),
            ("fax", self.fax),
        ] {
            if let Some(value) = value {
                capabilities.insert(key.into(), Value::Bool(value));
            }
        }
        if !capabilities.is_empty() {
            body.insert("capabilities".into(), Value::Object(capabilities));
        }
        if let Some(limit) = self.limit {
            body.insert("limit".into(), Value::from(limit));
        }
        Ok((body, self.provider))
    }
}

async fn search(
    state: &AppState,
    body: Map<String, Value>,
    provider: Option<String>,
) -> Result<Json<Data<Vec<AvailableNumber>>>, ApiError> {
    let query: SearchQuery = from_value(Value::Object(body))?;
    let found = state.service.search(&query, provider.as_deref()).await?;
    Ok(Json(Data { data: found }))
}

/// Find numbers for sale, with the filters as query parameters.
#[utoipa::path(
    get,
    path = "/functions/v1/search-phone-numbers",
    tag = "numbers",
    params(SearchParams),
    responses(
        (status = 200, description = "Numbers for sale", body = schema::SearchResults),
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
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<Data<Vec<AvailableNumber>>>, ApiError> {
    let (body, provider) = params.into_body()?;
    search(&state, body, provider).await
}

/// Find numbers for sale, with the filters as a JSON body (all optional).
#[utoipa::path(
    post,
    path = "/functions/v1/search-phone-numbers",
    tag = "numbers",
    request_body(content = schema::SearchRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Numbers for sale", body = schema::SearchResults),
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
    JsonObject(mut body): JsonObject,
) -> Result<Json<Data<Vec<AvailableNumber>>>, ApiError> {
    let provider = take_string(&mut body, "provider")?;
    search(&state, body, provider).await
}
