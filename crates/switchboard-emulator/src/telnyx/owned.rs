//! `GET /phone_numbers` (filtered, sorted, paged by page number), `GET
//! /phone_numbers/{id}` and its `/voice` and `/messaging` views. Numbers on
//! a pending order are listed too, with `status: purchase-pending`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::app::App;
use crate::config::Mode;
use crate::lag::ListingLag;
use crate::params::get;
use crate::state::{AccountKey, NumberRecord};

use super::errors;
use super::paging::Page;
use super::{read_query, render};

/// Owned-number list parameters the description declares.
pub const LIST_PARAMS: &[&str] = &[
    "page[number]",
    "page[size]",
    "filter[tag]",
    "filter[phone_number]",
    "filter[status]",
    "filter[connection_id]",
    "filter[voice.connection_name][contains]",
    "filter[voice.connection_name][starts_with]",
    "filter[voice.connection_name][ends_with]",
    "filter[voice.connection_name][eq]",
    "filter[usage_payment_method]",
    "filter[billing_group_id]",
    "filter[emergency_address_id]",
    "filter[customer_reference]",
    "sort",
];

const STATUSES: &[&str] = &[
    "purchase_pending",
    "purchase_failed",
    "port_pending",
    "active",
    "deleted",
    "port_failed",
    "emergency_only",
    "ported_out",
    "port_out_pending",
];

/// The digits `filter[phone_number]` matches, or `None` when it can match
/// nothing. The description says non-digits give no results: strict mode
/// reads that literally, so `+1512...` finds nothing; live mode drops one
/// leading `+` (and the spaces a raw `+` decodes to), as the documentation's
/// examples send it.
pub(crate) fn number_filter(value: &str, mode: Mode) -> Result<Option<String>, Response> {
    let value = match mode {
        Mode::Live => {
            let trimmed = value.trim();
            trimmed.strip_prefix('+').unwrap_or(trimmed)
        }
        Mode::Strict => value,
    };
    let digits = value.bytes().filter(u8::is_ascii_digit).count();
    if digits < 3 {
        return Err(errors::bad_request(
            Some("filter[phone_number]"),
            format!("filter[phone_number] needs at least three digits, got {value:?}"),
        ));
    }
    Ok(value
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| value.to_string()))
}

/// The status filter's spelling of a record's status (underscores).
fn status_of(record: &NumberRecord) -> String {
    record
        .field("status")
        .unwrap_or(render::ACTIVE)
        .replace('-', "_")
}

pub(super) async fn list(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    RawQuery(raw): RawQuery,
) -> Response {
    let mode = app.behaviour().mode;
    let pairs = match read_query(&app, raw.as_deref(), LIST_PARAMS) {
        Ok(pairs) => pairs,
        Err(response) => return response,
    };
    let page = match Page::read(&pairs) {
        Ok(page) => page,
        Err(response) => return response,
    };
    let by_number = get(&pairs, "filter[phone_number]");
    let digits = match by_number.map(|v| number_filter(v, mode)) {
        Some(Ok(digits)) => Some(digits),
        Some(Err(response)) => return response,
        None => None,
    };
    let status = match get(&pairs, "filter[status]") {
        None => None,
        Some(s) => {
            // Live also takes the hyphens the records use.
            let s = match mode {
                Mode::Live => s.replace('-', "_"),
                Mode::Strict => s.to_string(),
            };
            if !STATUSES.contains(&s.as_str()) {
                return errors::bad_request(
                    Some("filter[status]"),
                    format!(
                        "filter[status] must be one of {}, got {s:?}",
                        STATUSES.join(", ")
                    ),
                );
            }
            Some(s)
        }
    };
    let payment = match get(&pairs, "filter[usage_payment_method]") {
        None => true,
        Some("pay-per-minute") => true,
        Some("channel") => false,
        Some(other) => {
            return errors::bad_request(
                Some("filter[usage_payment_method]"),
                format!(
                    "filter[usage_payment_method] must be pay-per-minute or channel, got {other:?}"
                ),
            );
        }
    };
    let sort = match get(&pairs, "sort") {
        None => None,
        Some(
            s @ ("purchased_at" | "phone_number" | "connection_name" | "usage_payment_method"),
        ) => Some(s),
        Some(other) => {
            return errors::bad_request(
                Some("sort"),
                format!(
                    "sort must be purchased_at, phone_number, connection_name or \
                     usage_payment_method, got {other:?}"
                ),
            );
        }
    };
    // No number has a connection name or an emergency address here.
    let by_connection_name = pairs
        .iter()
        .any(|(k, _)| k.starts_with("filter[voice.connection_name]"));
    let emergency = get(&pairs, "filter[emergency_address_id]").is_none_or(|v| v == "null");
    let field_is = |record: &NumberRecord, key: &str, filter: &str| {
        get(&pairs, filter).is_none_or(|want| match (want, record.field(key)) {
            ("null", None) if key == "billing_group_id" => true,
            (want, Some(have)) => want == have,
            _ => false,
        })
    };
    let mut lag = ListingLag::new(&app, by_number.is_some());
    let (mut records, _) = app.store.list(&account, 0, usize::MAX, |r| {
        let keep = payment
            && emergency
            && !by_connection_name
            && digits.as_ref().is_none_or(|d| {
                d.as_ref()
                    .is_some_and(|d| r.catalogue.phone_number.digits().contains(d.as_str()))
            })
            && status.as_deref().is_none_or(|s| status_of(r) == s)
            && field_is(r, "connection_id", "filter[connection_id]")
            && field_is(r, "customer_reference", "filter[customer_reference]")
            && field_is(r, "billing_group_id", "filter[billing_group_id]")
            && get(&pairs, "filter[tag]").is_none_or(|t| render::tags(r).iter().any(|x| x == t));
        keep && !lag.hides(r)
    });
    match sort {
        // Every number is bought by order here, so purchase order is
        // creation order; the other keys are the same for every number.
        Some("purchased_at" | "connection_name" | "usage_payment_method") => {}
        Some(_) => records.sort_by(|a, b| a.catalogue.phone_number.cmp(&b.catalogue.phone_number)),
        // The default: newest first.
        None => records.reverse(),
    }
    let data: Vec<Value> = page
        .slice(&records)
        .iter()
        .map(|r| render::phone_number(r, mode, false))
        .collect();
    let response = Json(json!({ "data": data, "meta": page.meta(records.len()) })).into_response();
    lag.mark(response, &[], false)
}

/// The account's number with this numeric id; a malformed id is 400 code
/// 10006, an unknown one 404 code 10005.
pub(crate) fn lookup(app: &App, account: &AccountKey, id: &str) -> Result<NumberRecord, Response> {
    check_id(id)?;
    app.store
        .get(account, id)
        .ok_or_else(|| errors::not_found(&format!("phone number {id}")))
}

pub(crate) fn check_id(id: &str) -> Result<(), Response> {
    if (1..=19).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(errors::telnyx(
            axum::http::StatusCode::BAD_REQUEST,
            errors::INVALID_ID,
            "Invalid ID",
            format!(
                "{id:?} is not a phone number id: use the numeric id from GET /phone_numbers, \
                 not the E.164 number"
            ),
            Some(errors::Source::Parameter("id")),
        ))
    }
}

/// Answers `{data: render(record)}` for the account's number `id`.
fn answer(
    app: &App,
    account: &AccountKey,
    id: &str,
    render: impl FnOnce(&NumberRecord, Mode) -> Value,
) -> Response {
    match lookup(app, account, id) {
        Ok(record) => {
            Json(json!({ "data": render(&record, app.behaviour().mode) })).into_response()
        }
        Err(response) => response,
    }
}

pub(super) async fn retrieve(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path(id): Path<String>,
) -> Response {
    answer(&app, &account, &id, |r, mode| {
        render::phone_number(r, mode, false)
    })
}

pub(super) async fn messaging(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path(id): Path<String>,
) -> Response {
    answer(&app, &account, &id, |r, _| render::messaging(r))
}

pub(super) async fn voice(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path(id): Path<String>,
) -> Response {
    answer(&app, &account, &id, render::voice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plus_is_dropped_live_and_matches_nothing_strict() {
        assert_eq!(
            number_filter("+15125550100", Mode::Live)
                .unwrap()
                .as_deref(),
            Some("15125550100")
        );
        // A raw `+` in a query decodes to a space.
        assert_eq!(
            number_filter(" 15125550100", Mode::Live)
                .unwrap()
                .as_deref(),
            Some("15125550100")
        );
        assert_eq!(number_filter("+15125550100", Mode::Strict).unwrap(), None);
        assert_eq!(
            number_filter("512555", Mode::Strict).unwrap().as_deref(),
            Some("512555")
        );
        assert!(number_filter("+12", Mode::Live).is_err());
        assert!(check_id("+15125550100").is_err());
        assert!(check_id("1293384261075731499").is_ok());
    }
}
