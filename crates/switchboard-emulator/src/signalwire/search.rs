//! `GET phone_numbers/search`: the parameters checked as SignalWire checks
//! them (one digit pattern at most, city only with a region), and the
//! catalogue searched across the US and Canada.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use switchboard_core::{
    AvailableNumber, CountryCode, DigitPattern, MAX_SEARCH_LIMIT, NumberType, SearchQuery,
};

use crate::app::App;
use crate::errors::signalwire_errors;
use crate::params::{get, integer};

use super::{BASE, read_query, render, unprocessable};

/// Search parameters the OpenAPI documents declare.
pub const SEARCH_PARAMS: &[&str] = &[
    "areacode",
    "number_type",
    "starts_with",
    "contains",
    "ends_with",
    "max_results",
    "region",
    "city",
];

/// Parses a search; the error is SignalWire's answer.
fn parse_search(pairs: &[(String, String)]) -> Result<SearchQuery, Response> {
    let number_type = match get(pairs, "number_type") {
        None | Some("local") => NumberType::Local,
        Some("toll-free") => NumberType::TollFree,
        Some("longcode") => {
            return Err(signalwire_errors(
                StatusCode::BAD_REQUEST,
                Some("number_type must be local or toll-free".into()),
            ));
        }
        Some(other) => {
            return Err(unprocessable(format!(
                "number_type must be local or toll-free, got {other:?}"
            )));
        }
    };
    let mut query = SearchQuery::new(CountryCode::US).number_type(number_type);
    if let Some(area_code) = get(pairs, "areacode") {
        if area_code.len() != 3 || !area_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unprocessable(format!(
                "areacode must be three digits, got {area_code:?}"
            )));
        }
        query.area_code = Some(area_code.to_string());
    }
    let patterns: Vec<_> = ["starts_with", "contains", "ends_with"]
        .into_iter()
        .filter_map(|key| get(pairs, key).map(|v| (key, v)))
        .collect();
    if patterns.len() > 1 {
        return Err(unprocessable(
            "only one of starts_with, contains and ends_with may be given",
        ));
    }
    if let Some((key, digits)) = patterns.first() {
        if !(3..=7).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unprocessable(format!(
                "{key} must be 3 to 7 digits, got {digits:?}"
            )));
        }
        let digits = digits.to_string();
        query.pattern = Some(match *key {
            "starts_with" => DigitPattern::StartsWith(digits),
            "contains" => DigitPattern::Contains(digits),
            _ => DigitPattern::EndsWith(digits),
        });
    }
    let region = get(pairs, "region").filter(|v| !v.trim().is_empty());
    let city = get(pairs, "city").filter(|v| !v.trim().is_empty());
    if number_type == NumberType::TollFree && (region.is_some() || city.is_some()) {
        return Err(unprocessable(
            "region and city cannot be used with toll-free numbers",
        ));
    }
    if city.is_some() && region.is_none() {
        return Err(unprocessable("city requires region"));
    }
    query.region = region.map(str::to_string);
    query.locality = city.map(str::to_string);
    query.limit = match get(pairs, "max_results") {
        // Live clamps rather than refuses above 100.
        Some(n) => integer("max_results", n, 1, u64::MAX)
            .map_err(unprocessable)?
            .min(u64::from(MAX_SEARCH_LIMIT)) as u32,
        None => 50,
    };
    query.validate().map_err(|e| unprocessable(e.to_string()))?;
    Ok(query)
}

pub(super) async fn search(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let mode = app.behaviour().mode;
    let pairs = match read_query(&app, raw.as_deref(), SEARCH_PARAMS) {
        Ok(pairs) => pairs,
        Err(response) => return response,
    };
    let query = match parse_search(&pairs) {
        Ok(query) => query,
        Err(response) => return response,
    };
    let mut found: Vec<AvailableNumber> = Vec::new();
    {
        let owners = app.store.owners();
        for country in [CountryCode::US, CountryCode::CA] {
            let remaining = query.limit as usize - found.len();
            if remaining == 0 {
                break;
            }
            let mut q = query.clone();
            q.country = country;
            q.limit = remaining as u32;
            match app.inventory.search(&q, |n| owners.is_owned(n)) {
                Ok(more) => found.extend(more),
                Err(e) => return unprocessable(e.to_string()),
            }
        }
    }
    let self_link = match raw.as_deref() {
        Some(q) if !q.is_empty() => format!("{BASE}/phone_numbers/search?{q}"),
        _ => format!("{BASE}/phone_numbers/search"),
    };
    render::search_page(&found, mode, &self_link)
}
