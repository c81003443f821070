//! A core `SearchQuery` as SignalWire's search parameters, and its results
//! back as `AvailableNumber`s.
//!
//! What SignalWire can express is checked here, before any request: a filter
//! it cannot apply is [`Error::NotSupported`] naming it, never dropped. The
//! rule for the two kinds of refusal: a filter, or a combination of filters,
//! that SignalWire has no way to express is `NotSupported`; a filter it has
//! but with a value outside the range it accepts (a 2-digit pattern) is
//! [`Error::InvalidInput`] naming the field, so the caller fixes the value.
//!
//! Capabilities are not a SignalWire search parameter: the adapter applies
//! that filter to the results, asking for the maximum number of results so
//! that filtering leaves enough.

use std::borrow::Cow;

use switchboard_core::{
    AvailableNumber, Capabilities, CountryCode, DigitPattern, Error, MAX_SEARCH_LIMIT, NumberType,
    PhoneNumber, ProviderFeatures, Result, SearchQuery,
};

use crate::errors::PROVIDER;
use crate::wire::AvailableWire;

/// SignalWire's shortest and longest digit pattern ("3 to 7 digits").
pub(crate) const PATTERN_DIGITS: std::ops::RangeInclusive<usize> = 3..=7;

/// What this adapter can search by.
pub(crate) fn features() -> ProviderFeatures {
    ProviderFeatures {
        number_types: vec![NumberType::Local, NumberType::TollFree],
        area_code: true,
        contains: true,
        starts_with: true,
        ends_with: true,
        region: true,
        locality: true,
        postal_code: false,
        // Applied to the results; see the module documentation.
        capability_filter: true,
        // Its patterns are digits only, and nothing says it has a wildcard.
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

/// The query string of `GET /phone_numbers/search`, or why there is none.
pub(crate) fn parameters(query: &SearchQuery) -> Result<Vec<(&'static str, String)>> {
    query.validate()?;
    features().check(PROVIDER, query)?;
    // The search API has no country parameter and sells North American numbers.
    if query.country != CountryCode::US && query.country != CountryCode::CA {
        return Err(unsupported(format!(
            "search in country {} (the search API has no country parameter; it sells US and CA numbers)",
            query.country
        )));
    }
    let toll_free = query.number_type == NumberType::TollFree;
    // SignalWire answers 422 to these (docs/carriers/signalwire.md, "Errors").
    if toll_free && (query.region.is_some() || query.locality.is_some()) {
        return Err(unsupported(
            "search by region or locality for toll-free numbers",
        ));
    }
    // The rest follows the search description's parameter notes.
    if query.locality.is_some() && query.region.is_none() {
        return Err(unsupported(
            "search by locality without region (city needs region)",
        ));
    }
    if query.region.is_some() && query.area_code.is_some() {
        return Err(unsupported("search by region combined with area_code"));
    }
    if query.locality.is_some() && query.pattern.is_some() {
        return Err(unsupported(
            "search by locality combined with a digit pattern",
        ));
    }

    let mut params = Vec::with_capacity(6);
    if let Some(area_code) = &query.area_code {
        params.push(("areacode", area_code.clone()));
    }
    params.push((
        "number_type",
        if toll_free { "toll-free" } else { "local" }.to_string(),
    ));
    if let Some(pattern) = &query.pattern {
        // Digits only: a vanity pattern is sent as its keypad digits.
        let keyed = pattern.on_keypad();
        let digits = keyed.digits();
        if !PATTERN_DIGITS.contains(&digits.len()) {
            return Err(Error::invalid(
                "pattern",
                format!(
                    "SignalWire accepts {} to {} digits, got {} ({digits:?})",
                    PATTERN_DIGITS.start(),
                    PATTERN_DIGITS.end(),
                    digits.len()
                ),
            ));
        }
        let name = match pattern {
            DigitPattern::StartsWith(_) => "starts_with",
            DigitPattern::Contains(_) => "contains",
            DigitPattern::EndsWith(_) => "ends_with",
        };
        params.push((name, digits.to_string()));
    }
    if let Some(region) = &query.region {
        params.push(("region", region.clone()));
    }
    if let Some(city) = &query.locality {
        params.push(("city", city.clone()));
    }
    let max_results = if query.capabilities.is_empty() {
        query.limit
    } else {
        MAX_SEARCH_LIMIT
    };
    params.push(("max_results", max_results.to_string()));
    Ok(params)
}

/// The results that match `query`, at most `query.limit` of them. A result
/// without a readable number is skipped (and logged): it cannot be bought.
pub(crate) fn results(query: &SearchQuery, data: Vec<AvailableWire<'_>>) -> Vec<AvailableNumber> {
    let mut found = Vec::with_capacity(data.len().min(query.limit as usize));
    for item in data {
        if found.len() >= query.limit as usize {
            break;
        }
        let Some(number) = item.e164().and_then(|n| PhoneNumber::parse_trusted(n).ok()) else {
            tracing::warn!(
                provider = PROVIDER,
                "skipping a search result without a valid E.164 number"
            );
            continue;
        };
        let country = match item.country_code.as_deref().map(CountryCode::parse) {
            Some(Ok(country)) => country,
            _ => query.country,
        };
        let capabilities: Capabilities = item.capabilities.0;
        if country != query.country || !capabilities.satisfies(&query.capabilities) {
            continue;
        }
        found.push(AvailableNumber {
            phone_number: number,
            country,
            number_type: query.number_type,
            region: item.region.map(Cow::into_owned),
            locality: item.city.map(Cow::into_owned),
            postal_code: None,
            rate_center: item.rate_center.map(Cow::into_owned),
            capabilities,
            provider: PROVIDER.into(),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(query: &SearchQuery) -> Vec<(&'static str, String)> {
        parameters(query).unwrap()
    }

    #[test]
    fn every_filter_has_its_parameter() {
        let q = SearchQuery::default()
            .area_code("512")
            .pattern(DigitPattern::EndsWith("1234".into()))
            .limit(7);
        assert_eq!(
            names(&q),
            vec![
                ("areacode", "512".into()),
                ("number_type", "local".into()),
                ("ends_with", "1234".into()),
                ("max_results", "7".into()),
            ]
        );
        let q = SearchQuery::default()
            .region("TX")
            .locality("Austin")
            .limit(100);
        assert_eq!(
            names(&q),
            vec![
                ("number_type", "local".into()),
                ("region", "TX".into()),
                ("city", "Austin".into()),
                ("max_results", "100".into()),
            ]
        );
        let q = SearchQuery::default().number_type(NumberType::TollFree);
        assert_eq!(names(&q)[0], ("number_type", "toll-free".into()));
    }

    #[test]
    fn what_signalwire_cannot_express_is_refused_by_name() {
        let not_supported = |q: SearchQuery| match parameters(&q) {
            Err(Error::NotSupported { what, .. }) => what,
            other => panic!("{other:?}"),
        };
        assert!(
            not_supported(SearchQuery::default().number_type(NumberType::Mobile))
                .contains("mobile")
        );
        assert!(not_supported(SearchQuery::default().postal_code("78701")).contains("postal_code"));
        assert!(
            not_supported(
                SearchQuery::default()
                    .number_type(NumberType::TollFree)
                    .region("TX")
            )
            .contains("toll-free")
        );
        assert!(
            not_supported(SearchQuery::default().locality("Austin")).contains("without region")
        );
        assert!(not_supported(SearchQuery::new(CountryCode::GB)).contains("GB"));
        for digits in ["12", "12345678"] {
            let q = SearchQuery::default().pattern(DigitPattern::Contains(digits.into()));
            assert_eq!(parameters(&q).unwrap_err().field(), Some("pattern"));
        }
    }

    #[test]
    fn a_capability_filter_asks_for_the_most_and_filters_the_results() {
        let voice_fax = Capabilities {
            voice: true,
            fax: true,
            ..Default::default()
        };
        let q = SearchQuery::default().capabilities(voice_fax).limit(1);
        assert_eq!(names(&q).last().unwrap(), &("max_results", "100".into()));
        let data: Vec<AvailableWire<'_>> = serde_json::from_str(
            r#"[{"e164":"+15125550001","capabilities":["voice","sms"]},
                {"e164":"+15125550002","capabilities":["voice","fax"]},
                {"e164":"+15125550003","capabilities":["voice","fax"]}]"#,
        )
        .unwrap();
        let found = results(&q, data);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].phone_number.as_str(), "+15125550002");
    }
}
