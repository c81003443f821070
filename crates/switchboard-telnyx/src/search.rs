//! A core `SearchQuery` as `GET /available_phone_numbers` parameters, and
//! the results back as `AvailableNumber`s.
//!
//! Telnyx ignores query keys it does not know instead of refusing them
//! (docs/carriers/telnyx.md, live behaviour: an SDK that sent
//! `national_destination_code` unwrapped got random area codes), so a
//! filter sent under a wrong name is a filter silently dropped. Hence
//! three rules: only the `filter[...]` names the description spells are
//! sent; what Telnyx cannot express is refused here, before any request
//! ([`Error::NotSupported`] for a filter or combination it lacks,
//! [`Error::InvalidInput`] naming the field for a value outside what it
//! accepts, as in the other adapters); and every result is checked
//! against the query on our side, so that a filter the server did not
//! apply shows as fewer results, never as wrong ones.

use switchboard_core::{
    AvailableNumber, CountryCode, DigitPattern, Error, MAX_SEARCH_LIMIT, NumberType, PhoneNumber,
    ProviderFeatures, Result, SearchQuery,
};

use crate::errors::PROVIDER;
use crate::wire::AvailableWire;

/// With an area code, `filter[phone_number][ends_with]` takes at most this
/// many digits, and `contains` only looks at the last this many.
pub(crate) const NDC_TAIL_DIGITS: usize = 4;

/// What this adapter can search by.
pub(crate) fn features() -> ProviderFeatures {
    ProviderFeatures {
        number_types: vec![NumberType::Local, NumberType::TollFree, NumberType::Mobile],
        area_code: true,
        contains: true,
        starts_with: true,
        ends_with: true,
        region: true,
        locality: true,
        // No postal-code filter in the description.
        postal_code: false,
        capability_filter: true,
        // Its patterns take letters (the description's examples are `FREE`
        // and `CALL`), but it names no wildcard.
        pattern_wildcards: false,
        max_search_results: MAX_SEARCH_LIMIT,
    }
}

fn unsupported(what: impl Into<String>) -> Error {
    Error::NotSupported {
        provider: PROVIDER.into(),
        what: what.into(),
    }
}

/// The countries whose areas `filter[national_destination_code]` and
/// `filter[administrative_area]` are described for ("North American
/// numbers"; "US state or CA province").
fn north_american(country: &CountryCode) -> bool {
    *country == CountryCode::US || *country == CountryCode::CA
}

/// The query string of `GET /available_phone_numbers`, or why there is none.
///
/// `filter[features]` is sent as one comma-separated value
/// (`filter[features]=voice,sms`). The description types it as an array
/// without `style`, whose OpenAPI default would repeat the key, while
/// Telnyx's SDKs send `filter[features][]=sms` (brackets). The comma form
/// is chosen because it is the description's own example for the
/// parameter and keeps the exact declared name: a bracketed key is a name
/// the description does not declare, which a server that ignores unknown
/// keys may drop without a word, and a repeated key is read by many
/// servers as its last value only. Should the server not read it, nothing
/// wrong is returned either: results are checked for the capabilities.
pub(crate) fn parameters(query: &SearchQuery) -> Result<Vec<(&'static str, String)>> {
    query.validate()?;
    features().check(PROVIDER, query)?;
    let mut params = Vec::with_capacity(8);
    params.push(("filter[country_code]", query.country.as_str().to_string()));
    let kind = match query.number_type {
        NumberType::Local => "local",
        NumberType::TollFree => "toll_free",
        NumberType::Mobile => "mobile",
    };
    params.push(("filter[phone_number_type]", kind.to_string()));
    let area_code = query.area_code.as_deref();
    if area_code.is_some() && !north_american(&query.country) {
        return Err(unsupported(format!(
            "search by area_code in {} (Telnyx's national destination code filter is for \
             North American numbers)",
            query.country
        )));
    }
    if let Some(area_code) = area_code {
        params.push(("filter[national_destination_code]", area_code.to_string()));
    }
    if let Some(pattern) = &query.pattern
        && let Some(param) = pattern_parameter(pattern, area_code)?
    {
        params.push(param);
    }
    if let Some(region) = &query.region {
        if !north_american(&query.country) {
            return Err(unsupported(format!(
                "search by region in {} (Telnyx's administrative area filter is a US state \
                 or CA province)",
                query.country
            )));
        }
        params.push(("filter[administrative_area]", region.clone()));
    }
    if let Some(locality) = &query.locality {
        params.push(("filter[locality]", locality.clone()));
    }
    let caps = &query.capabilities;
    let wanted: Vec<&str> = [
        (caps.voice, "voice"),
        (caps.sms, "sms"),
        (caps.mms, "mms"),
        (caps.fax, "fax"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if !wanted.is_empty() {
        params.push(("filter[features]", wanted.join(",")));
    }
    params.push(("filter[limit]", query.limit.to_string()));
    Ok(params)
}

/// The `filter[phone_number][...]` of a digit pattern, under the
/// description's rules for it next to an area code: `starts_with` leaves
/// the area code out, `ends_with` takes at most four digits, and
/// `contains` needs the area code and looks only at the last four digits.
fn pattern_parameter(
    pattern: &DigitPattern,
    area_code: Option<&str>,
) -> Result<Option<(&'static str, String)>> {
    let digits = pattern.digits();
    let too_long = |what: &str| {
        Error::invalid(
            "pattern",
            format!(
                "Telnyx {what} at most {NDC_TAIL_DIGITS} digits with an area code, got {}",
                digits.len()
            ),
        )
    };
    Ok(match (pattern, area_code) {
        (DigitPattern::StartsWith(_), None) => {
            Some(("filter[phone_number][starts_with]", digits.to_string()))
        }
        (DigitPattern::StartsWith(_), Some(area)) => {
            // Compared with the area code on the keypad: `4FREE` after 415.
            let keyed = pattern.on_keypad();
            let digits = keyed.digits();
            if let Some(rest) = digits.strip_prefix(area) {
                (!rest.is_empty()).then(|| ("filter[phone_number][starts_with]", rest.to_string()))
            } else if area.starts_with(digits) {
                // Said by the area code already.
                None
            } else {
                return Err(Error::invalid(
                    "pattern",
                    format!("starts with {digits} but area_code is {area}: no number matches both"),
                ));
            }
        }
        (DigitPattern::EndsWith(_), Some(_)) if digits.len() > NDC_TAIL_DIGITS => {
            return Err(too_long("matches the ending of a number by"));
        }
        (DigitPattern::EndsWith(_), _) => {
            Some(("filter[phone_number][ends_with]", digits.to_string()))
        }
        (DigitPattern::Contains(_), None) => {
            return Err(unsupported(
                "search by a 'contains' pattern without area_code (Telnyx applies it only \
                 with a national destination code)",
            ));
        }
        (DigitPattern::Contains(_), Some(_)) if digits.len() > NDC_TAIL_DIGITS => {
            return Err(too_long("searches the last four digits only, so"));
        }
        (DigitPattern::Contains(_), Some(_)) => {
            Some(("filter[phone_number][contains]", digits.to_string()))
        }
    })
}

/// The national number of `number` when it is North American (`+1`), for
/// the checks that need it.
fn nanp_national(number: &PhoneNumber) -> Option<&str> {
    number.digits().strip_prefix('1')
}

/// Whether `number` satisfies the query's area code and pattern, as far
/// as they can be checked here.
fn matches_digits(query: &SearchQuery, number: &PhoneNumber) -> bool {
    let Some(national) = nanp_national(number).filter(|_| north_american(&query.country)) else {
        // Elsewhere only the ending can be checked without a numbering plan.
        return match &query.pattern {
            Some(ending @ DigitPattern::EndsWith(_)) => ending.matches(number.digits()),
            _ => true,
        };
    };
    let area_ok = query
        .area_code
        .as_deref()
        .is_none_or(|area| national.starts_with(area));
    area_ok && query.pattern.as_ref().is_none_or(|p| p.matches(national))
}

/// The results that match `query`, at most `query.limit` of them. Skipped,
/// and logged: a result without a readable number (it cannot be bought),
/// one marked `best_effort` (not an exact match, by Telnyx's own word),
/// and one the filters do not hold for (a filter the server did not apply).
pub(crate) fn results(query: &SearchQuery, data: Vec<AvailableWire<'_>>) -> Vec<AvailableNumber> {
    let mut found = Vec::with_capacity(data.len().min(query.limit as usize));
    let mut unmatched = 0usize;
    for item in data {
        if found.len() >= query.limit as usize {
            break;
        }
        let Some(number) = item
            .phone_number
            .0
            .as_deref()
            .and_then(|n| PhoneNumber::parse_trusted(n).ok())
        else {
            tracing::warn!(
                provider = PROVIDER,
                "skipping a search result without a valid E.164 number"
            );
            continue;
        };
        let country = match item.region("country_code").map(CountryCode::parse) {
            Some(Ok(country)) => country,
            _ => query.country,
        };
        let capabilities = item.features.0;
        if item.best_effort.0
            || country != query.country
            || !capabilities.satisfies(&query.capabilities)
            || !matches_digits(query, &number)
        {
            unmatched += 1;
            continue;
        }
        found.push(AvailableNumber {
            phone_number: number,
            country,
            number_type: query.number_type,
            region: item.region("state").map(str::to_string),
            locality: item.region("location").map(str::to_string),
            postal_code: None,
            rate_center: item.region("rate_center").map(str::to_string),
            capabilities,
            provider: PROVIDER.into(),
        });
    }
    if unmatched > 0 {
        tracing::warn!(
            provider = PROVIDER,
            unmatched,
            "skipped search results that do not match the query (best effort, or a filter \
             Telnyx did not apply)"
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::Capabilities;

    fn names(query: &SearchQuery) -> Vec<(&'static str, String)> {
        parameters(query).unwrap()
    }

    #[test]
    fn every_filter_has_its_declared_name() {
        let q = SearchQuery::default()
            .area_code("970")
            .pattern(DigitPattern::StartsWith("970555".into()))
            .capabilities(Capabilities {
                voice: true,
                sms: true,
                ..Capabilities::default()
            })
            .limit(7);
        assert_eq!(
            names(&q),
            vec![
                ("filter[country_code]", "US".into()),
                ("filter[phone_number_type]", "local".into()),
                ("filter[national_destination_code]", "970".into()),
                ("filter[phone_number][starts_with]", "555".into()),
                ("filter[features]", "voice,sms".into()),
                ("filter[limit]", "7".into()),
            ]
        );
        let q = SearchQuery::default()
            .number_type(NumberType::TollFree)
            .region("IL")
            .locality("Chicago")
            .pattern(DigitPattern::EndsWith("123456".into()));
        assert_eq!(
            names(&q)[1..],
            [
                ("filter[phone_number_type]", "toll_free".into()),
                ("filter[phone_number][ends_with]", "123456".into()),
                ("filter[administrative_area]", "IL".into()),
                ("filter[locality]", "Chicago".into()),
                ("filter[limit]", "20".into()),
            ]
        );
        let q = SearchQuery::default()
            .area_code("970")
            .pattern(DigitPattern::StartsWith("97".into()));
        assert!(!names(&q).iter().any(|(k, _)| k.contains("starts_with")));
    }

    #[test]
    fn what_telnyx_cannot_express_is_refused_before_any_request() {
        let refused = |q: SearchQuery| parameters(&q).unwrap_err();
        let e = refused(SearchQuery::default().postal_code("80537"));
        assert!(matches!(e, Error::NotSupported { .. }), "{e:?}");
        let e = refused(SearchQuery::default().pattern(DigitPattern::Contains("555".into())));
        assert!(e.to_string().contains("without area_code"), "{e}");
        let e = refused(SearchQuery::new(CountryCode::parse("GB").unwrap()).area_code("20"));
        assert!(matches!(e, Error::NotSupported { .. }), "{e:?}");
        let e = refused(SearchQuery::new(CountryCode::parse("GB").unwrap()).region("ENG"));
        assert!(matches!(e, Error::NotSupported { .. }), "{e:?}");
        for pattern in [
            DigitPattern::EndsWith("12345".into()),
            DigitPattern::Contains("12345".into()),
            DigitPattern::StartsWith("512".into()),
        ] {
            let e = refused(SearchQuery::default().area_code("970").pattern(pattern));
            assert_eq!(e.field(), Some("pattern"), "{e:?}");
        }
    }

    #[test]
    fn results_the_filters_do_not_hold_for_are_skipped() {
        let q = SearchQuery::default()
            .area_code("970")
            .pattern(DigitPattern::EndsWith("98".into()))
            .capabilities(Capabilities {
                sms: true,
                ..Capabilities::default()
            });
        let data: Vec<AvailableWire<'_>> = serde_json::from_str(
            r#"[{"phone_number":"+19705555098","features":[{"name":"sms"}]},
                {"phone_number":"+13125555098","features":[{"name":"sms"}]},
                {"phone_number":"+19705555097","features":[{"name":"sms"}]},
                {"phone_number":"+19705555198","features":[{"name":"voice"}]},
                {"phone_number":"+19705555298","best_effort":true,"features":[{"name":"sms"}]},
                {"phone_number":"+19705555398","features":[{"name":"sms"}],
                 "region_information":[{"region_type":"country_code","region_name":"CA"}]},
                {"phone_number":"not a number"}]"#,
        )
        .unwrap();
        let found = results(&q, data);
        let numbers: Vec<&str> = found.iter().map(|n| n.phone_number.as_str()).collect();
        assert_eq!(numbers, ["+19705555098"]);
    }
}
