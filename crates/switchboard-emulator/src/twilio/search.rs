//! AvailablePhoneNumbers: the Local, TollFree and Mobile searches, their
//! parameters checked as Twilio checks them, and the catalogue filtered by
//! what is owned, by `Contains` and by rate center.

use std::sync::Arc;

use axum::extract::{Extension, Path, RawQuery, State};
use axum::response::Response;
use switchboard_core::{Capabilities, CountryCode, MAX_SEARCH_LIMIT, NumberType, SearchQuery};

use crate::app::App;
use crate::config::Mode;
use crate::errors::{self, twilio_bad_request};
use crate::params::{self, boolean, get, integer, undeclared};
use crate::state::AccountKey;

use super::{ContainsPattern, account_sid, render};

/// Search parameters the OpenAPI document declares.
pub const SEARCH_PARAMS: &[&str] = &[
    "AreaCode",
    "Contains",
    "SmsEnabled",
    "MmsEnabled",
    "VoiceEnabled",
    "FaxEnabled",
    "ExcludeAllAddressRequired",
    "ExcludeLocalAddressRequired",
    "ExcludeForeignAddressRequired",
    "Beta",
    "NearNumber",
    "NearLatLong",
    "Distance",
    "InPostalCode",
    "InRegion",
    "InRateCenter",
    "InLata",
    "InLocality",
    "PageSize",
    "Page",
    "PageToken",
];

pub(super) async fn search_local(
    state: State<Arc<App>>,
    account: Extension<AccountKey>,
    path: Path<(String, String)>,
    query: RawQuery,
) -> Response {
    search(state, account, path, query, NumberType::Local)
}

pub(super) async fn search_toll_free(
    state: State<Arc<App>>,
    account: Extension<AccountKey>,
    path: Path<(String, String)>,
    query: RawQuery,
) -> Response {
    search(state, account, path, query, NumberType::TollFree)
}

pub(super) async fn search_mobile(
    state: State<Arc<App>>,
    account: Extension<AccountKey>,
    path: Path<(String, String)>,
    query: RawQuery,
) -> Response {
    search(state, account, path, query, NumberType::Mobile)
}

fn kind_segment(number_type: NumberType) -> &'static str {
    match number_type {
        NumberType::Local => "Local",
        NumberType::TollFree => "TollFree",
        NumberType::Mobile => "Mobile",
    }
}

/// What a search asks for, parsed; the error is Twilio's answer.
struct Search {
    query: SearchQuery,
    contains: Option<ContainsPattern>,
    in_rate_center: Option<String>,
}

fn parse_search(
    pairs: &[(String, String)],
    country: CountryCode,
    number_type: NumberType,
    cap: u32,
) -> Result<Search, Response> {
    let bad = |message: String| twilio_bad_request(errors::TWILIO_INVALID_PARAMETER, message);
    let mut query = SearchQuery::new(country).number_type(number_type);
    if let Some(area_code) = get(pairs, "AreaCode") {
        if area_code.is_empty() || !area_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("AreaCode must be digits, got {area_code:?}")));
        }
        query.area_code = Some(area_code.to_string());
    }
    let mut capabilities = Capabilities::default();
    for (key, flag) in [
        ("VoiceEnabled", &mut capabilities.voice),
        ("SmsEnabled", &mut capabilities.sms),
        ("MmsEnabled", &mut capabilities.mms),
        ("FaxEnabled", &mut capabilities.fax),
    ] {
        if let Some(value) = get(pairs, key) {
            *flag = boolean(key, value).map_err(bad)?;
        }
    }
    query.capabilities = capabilities;
    for key in [
        "ExcludeAllAddressRequired",
        "ExcludeLocalAddressRequired",
        "ExcludeForeignAddressRequired",
        "Beta",
    ] {
        // Every catalogue number needs no address and is not beta, so these
        // filters never remove one; they are still checked.
        if let Some(value) = get(pairs, key) {
            boolean(key, value).map_err(bad)?;
        }
    }
    if let Some(distance) = get(pairs, "Distance") {
        integer("Distance", distance, 0, 500).map_err(bad)?;
    }
    let text = |key: &str| get(pairs, key).map(str::trim).filter(|v| !v.is_empty());
    query.region = text("InRegion").map(str::to_string);
    query.locality = text("InLocality").map(str::to_string);
    query.postal_code = text("InPostalCode").map(str::to_string);
    let page_size = match get(pairs, "PageSize") {
        Some(size) => integer("PageSize", size, 1, 1000).map_err(bad)? as u32,
        None => 50,
    };
    query.limit = page_size.min(cap).min(MAX_SEARCH_LIMIT);
    let contains = match get(pairs, "Contains") {
        Some(pattern) => Some(ContainsPattern::parse(pattern).map_err(bad)?),
        None => None,
    };
    query.validate().map_err(|e| bad(e.to_string()))?;
    Ok(Search {
        query,
        contains,
        in_rate_center: text("InRateCenter").map(str::to_string),
    })
}

fn search(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path((_, country)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    number_type: NumberType,
) -> Response {
    let behaviour = app.behaviour();
    let Some(pairs) = params::pairs(raw.as_deref()) else {
        return twilio_bad_request(
            errors::TWILIO_INVALID_PARAMETER,
            "the query string is not URL-encoded",
        );
    };
    if behaviour.mode == Mode::Strict
        && let Some(key) = undeclared(&pairs, SEARCH_PARAMS)
    {
        return twilio_bad_request(
            errors::TWILIO_INVALID_PARAMETER,
            format!("{key} is not a parameter of this resource"),
        );
    }
    let Ok(country) = CountryCode::parse(&country) else {
        return errors::twilio_not_found(&format!("AvailablePhoneNumbers/{country}"));
    };
    let cap = match behaviour.mode {
        Mode::Live => behaviour.twilio_live_search_cap.max(1),
        Mode::Strict => MAX_SEARCH_LIMIT,
    };
    let search = match parse_search(&pairs, country, number_type, cap) {
        Ok(search) => search,
        Err(response) => return response,
    };
    let found = {
        let owners = app.store.owners();
        app.inventory.search(&search.query, |number| {
            owners.is_owned(number)
                || search
                    .contains
                    .as_ref()
                    .is_some_and(|p| !p.matches(number.digits()))
        })
    };
    let mut found = match found {
        Ok(found) => found,
        Err(e) => return twilio_bad_request(errors::TWILIO_INVALID_PARAMETER, e.to_string()),
    };
    if let Some(rate_center) = &search.in_rate_center {
        found.retain(|a| {
            a.rate_center
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(rate_center))
        });
    }
    let uri = format!(
        "/2010-04-01/Accounts/{}/AvailablePhoneNumbers/{}/{}.json",
        account_sid(&account),
        country,
        kind_segment(number_type)
    );
    render::search_page(
        &found,
        behaviour.mode,
        &uri,
        raw.as_deref(),
        search.query.limit,
    )
}
