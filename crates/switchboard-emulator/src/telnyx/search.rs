//! `GET /available_phone_numbers`: the `filter[...]` parameters exactly as
//! the description spells them, letters in patterns read as keypad digits,
//! and the catalogue searched without the numbers anyone holds.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use switchboard_core::{
    AvailableNumber, Capabilities, CountryCode, DigitPattern, MAX_SEARCH_LIMIT, NumberType,
    SearchQuery,
};

use crate::app::App;
use crate::config::Mode;
use crate::params::boolean;
use crate::twilio::keypad_digit;

use super::errors::{self, bad_request};
use super::{read_query, render};

/// Search parameters the description declares.
pub const SEARCH_PARAMS: &[&str] = &[
    "filter[phone_number][starts_with]",
    "filter[phone_number][ends_with]",
    "filter[phone_number][contains]",
    "filter[locality]",
    "filter[administrative_area]",
    "filter[country_code]",
    "filter[national_destination_code]",
    "filter[rate_center]",
    "filter[phone_number_type]",
    "filter[features]",
    "filter[limit]",
    "filter[best_effort]",
    "filter[quickship]",
    "filter[reservable]",
    "filter[exclude_held_numbers]",
];

/// Results when `filter[limit]` is not given; Telnyx states no default.
pub(crate) const DEFAULT_LIMIT: u32 = 50;

/// What a search asks for beyond what the catalogue query expresses.
struct Search {
    query: SearchQuery,
    /// `None` when the type is one the catalogue never sells (`national`,
    /// `shared_cost`, `landline`): the answer is empty, not an error.
    sellable: bool,
    ends_with: Option<String>,
    contains: Option<String>,
    rate_center: Option<String>,
    quickship: bool,
    reservable: bool,
}

/// The first value of a filter; live mode also takes the bracket-array
/// form (`filter[country_code][]=US`) that SDKs send.
fn first<'a>(pairs: &'a [(String, String)], key: &str, mode: Mode) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key || (mode == Mode::Live && k.strip_suffix("[]") == Some(key)))
        .map(|(_, v)| v.as_str())
}

/// Every feature asked for: comma lists, repeated keys, and (live) the
/// bracket-array form, all merged.
fn features(pairs: &[(String, String)], mode: Mode) -> Result<Capabilities, Response> {
    let key = "filter[features]";
    let mut wanted = Capabilities::default();
    for (k, v) in pairs {
        let bracket = mode == Mode::Live && k == "filter[features][]";
        if k != key && !bracket {
            continue;
        }
        for name in v.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "voice" => wanted.voice = true,
                "sms" => wanted.sms = true,
                "mms" => wanted.mms = true,
                "fax" => wanted.fax = true,
                // Every catalogue number with voice reaches emergency
                // services, so asking for it asks for voice.
                "emergency" => wanted.voice = true,
                other => {
                    return Err(bad_request(
                        Some(key),
                        format!("{key} must list sms, mms, voice, fax or emergency, got {other:?}"),
                    ));
                }
            }
        }
    }
    Ok(wanted)
}

/// A pattern's digits, letters read on a phone keypad (`CALL` is `2255`).
fn pattern_digits(key: &str, value: &str) -> Result<String, Response> {
    let value = value.trim();
    let digits: Option<String> = value.chars().map(keypad_digit).collect();
    match digits {
        Some(d) if (1..=15).contains(&d.len()) => Ok(d),
        _ => Err(bad_request(
            Some(key),
            format!("{key} must be 1 to 15 digits or letters, got {value:?}"),
        )),
    }
}

fn parse(pairs: &[(String, String)], mode: Mode) -> Result<Search, Response> {
    let text = |key: &str| {
        first(pairs, key, mode)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let flag = |key: &str| match text(key) {
        Some(v) => boolean(key, v).map_err(|m| bad_request(Some(key), m)),
        None => Ok(false),
    };
    let country = match text("filter[country_code]") {
        Some(code) => CountryCode::parse(code).map_err(|_| {
            bad_request(
                Some("filter[country_code]"),
                format!("filter[country_code] must be an ISO 3166-1 alpha-2 code, got {code:?}"),
            )
        })?,
        None => CountryCode::US,
    };
    let (number_type, sellable) = match text("filter[phone_number_type]") {
        None | Some("local") => (NumberType::Local, true),
        Some("toll_free") => (NumberType::TollFree, true),
        Some("mobile") => (NumberType::Mobile, true),
        Some("national" | "shared_cost" | "landline") => (NumberType::Local, false),
        Some(other) => {
            return Err(bad_request(
                Some("filter[phone_number_type]"),
                format!(
                    "filter[phone_number_type] must be local, toll_free, mobile, national, \
                     shared_cost or landline, got {other:?}"
                ),
            ));
        }
    };
    let mut query = SearchQuery::new(country).number_type(number_type);
    let ndc = match text("filter[national_destination_code]") {
        Some(ndc) if (1..=6).contains(&ndc.len()) && ndc.bytes().all(|b| b.is_ascii_digit()) => {
            Some(ndc.to_string())
        }
        Some(ndc) => {
            return Err(bad_request(
                Some("filter[national_destination_code]"),
                format!("filter[national_destination_code] must be 1 to 6 digits, got {ndc:?}"),
            ));
        }
        None => None,
    };
    query.area_code = ndc.clone();
    let digits = |key: &str| text(key).map(|v| pattern_digits(key, v)).transpose();
    // With an NDC, the pattern leaves the NDC out (it follows it).
    if let Some(start) = digits("filter[phone_number][starts_with]")? {
        query.pattern = Some(DigitPattern::StartsWith(format!(
            "{}{start}",
            ndc.as_deref().unwrap_or("")
        )));
    }
    let ends_with = digits("filter[phone_number][ends_with]")?;
    if ndc.is_some() && ends_with.as_ref().is_some_and(|d| d.len() > 4) {
        return Err(bad_request(
            Some("filter[phone_number][ends_with]"),
            "filter[phone_number][ends_with] may have at most 4 digits with \
             filter[national_destination_code]",
        ));
    }
    let contains = digits("filter[phone_number][contains]")?;
    if contains.is_some() && ndc.is_none() {
        return Err(errors::telnyx(
            axum::http::StatusCode::BAD_REQUEST,
            errors::MISSING,
            "Missing required parameter",
            "filter[phone_number][contains] must be used with filter[national_destination_code]",
            Some(errors::Source::Parameter(
                "filter[national_destination_code]",
            )),
        ));
    }
    if contains.as_ref().is_some_and(|d| d.len() > 4) {
        return Err(bad_request(
            Some("filter[phone_number][contains]"),
            "filter[phone_number][contains] searches the last 4 digits: give at most 4",
        ));
    }
    query.region = text("filter[administrative_area]").map(str::to_string);
    query.locality = text("filter[locality]").map(str::to_string);
    query.capabilities = features(pairs, mode)?;
    query.limit = match text("filter[limit]") {
        // No maximum is declared; more than the catalogue query allows is
        // clamped, not refused.
        Some(n) => match n.parse::<u64>() {
            Ok(n) if n >= 1 => n.min(u64::from(MAX_SEARCH_LIMIT)) as u32,
            _ => {
                return Err(bad_request(
                    Some("filter[limit]"),
                    format!("filter[limit] must be a positive integer, got {n:?}"),
                ));
            }
        },
        None => DEFAULT_LIMIT,
    };
    // Checked, though they change nothing: every result is an exact match,
    // and nothing is held for an account but by its pending orders, which
    // no search returns.
    flag("filter[best_effort]")?;
    flag("filter[exclude_held_numbers]")?;
    let search = Search {
        sellable,
        ends_with,
        contains,
        rate_center: text("filter[rate_center]").map(str::to_string),
        quickship: flag("filter[quickship]")?,
        reservable: flag("filter[reservable]")?,
        query,
    };
    search
        .query
        .validate()
        .map_err(|e| bad_request(None, e.to_string()))?;
    Ok(search)
}

/// The digits after the country calling code.
pub(crate) fn national(number: &AvailableNumber) -> &str {
    let digits = number.phone_number.digits();
    let calling_code = if number.country == CountryCode::GB {
        2
    } else {
        1
    };
    digits.get(calling_code..).unwrap_or(digits)
}

impl Search {
    /// Whether a catalogue number passes the filters the catalogue query
    /// cannot express.
    fn keeps(&self, number: &AvailableNumber) -> bool {
        let national = national(number);
        self.ends_with
            .as_deref()
            .is_none_or(|d| national.ends_with(d))
            && self.contains.as_deref().is_none_or(|d| {
                national
                    .get(national.len().saturating_sub(4)..)
                    .is_some_and(|last| last.contains(d))
            })
            && self.rate_center.as_deref().is_none_or(|rc| {
                number
                    .rate_center
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(rc))
            })
            && (!self.quickship || render::quickship(number))
            && (!self.reservable || render::reservable(number))
    }
}

pub(super) async fn search(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let mode = app.behaviour().mode;
    let pairs = match read_query(&app, raw.as_deref(), SEARCH_PARAMS) {
        Ok(pairs) => pairs,
        Err(response) => return response,
    };
    let search = match parse(&pairs, mode) {
        Ok(search) => search,
        Err(response) => return response,
    };
    let mut found = Vec::new();
    if search.sellable {
        // The catalogue asks `is_taken` only about numbers that passed its
        // own filters, so the extra filters count towards the limit.
        let owners = app.store.owners();
        let result = app.inventory.search(&search.query, |n| {
            owners.is_owned(n)
                || app
                    .inventory
                    .contains(n)
                    .is_none_or(|entry| !search.keeps(&entry))
        });
        match result {
            Ok(numbers) => found = numbers,
            Err(e) => return bad_request(None, e.to_string()),
        }
    }
    render::search_page(&found, mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::params::owned_pairs as pairs;

    #[test]
    fn features_take_every_form_live_and_the_declared_ones_strict() {
        let live = features(
            &pairs(&[
                ("filter[features]", "voice,sms"),
                ("filter[features][]", "mms"),
            ]),
            Mode::Live,
        )
        .unwrap();
        assert!(live.voice && live.sms && live.mms && !live.fax);
        let strict = features(
            &pairs(&[("filter[features]", "fax"), ("filter[features][]", "mms")]),
            Mode::Strict,
        )
        .unwrap();
        assert!(strict.fax && !strict.mms);
        assert!(features(&pairs(&[("filter[features]", "hd_voice")]), Mode::Live).is_err());
    }

    #[test]
    fn letters_are_keypad_digits_and_the_ndc_leads_starts_with() {
        let search = parse(
            &pairs(&[
                ("filter[national_destination_code]", "512"),
                ("filter[phone_number][starts_with]", "CALL"),
            ]),
            Mode::Live,
        )
        .unwrap();
        assert_eq!(
            search.query.pattern,
            Some(DigitPattern::StartsWith("5122255".into()))
        );
        assert!(
            parse(
                &pairs(&[("filter[phone_number][contains]", "12")]),
                Mode::Live
            )
            .is_err()
        );
        assert!(
            parse(
                &pairs(&[
                    ("filter[national_destination_code]", "512"),
                    ("filter[phone_number][ends_with]", "12345"),
                ]),
                Mode::Live
            )
            .is_err()
        );
        assert!(
            parse(
                &pairs(&[("filter[phone_number][ends_with]", "12-3")]),
                Mode::Live
            )
            .is_err()
        );
        assert_eq!(
            parse(&pairs(&[("filter[limit]", "1000")]), Mode::Live)
                .unwrap()
                .query
                .limit,
            MAX_SEARCH_LIMIT
        );
    }
}
