//! A core [`SearchQuery`] as Twilio's AvailablePhoneNumbers parameters, and
//! Twilio's answer back as core [`AvailableNumber`]s.
//!
//! Twilio's `Contains` takes digits and letters with four meta-characters:
//! `*` (one character), `%` (a run), a leading `+` that anchors the pattern at
//! the start of the E.164 number and a trailing `$` that anchors it at the
//! end; a pattern is 2 to 16 characters. Core patterns are on the national
//! number, so:
//! - `starts_with(d)` is `+{country calling code}{d}`: the `+` anchor stands
//!   before the country code (Twilio's own examples search Japan with
//!   `+8150...`), so the calling code must be spelled out;
//! - `ends_with(d)` is `{d}$`;
//! - `contains(d)` is `{d}`, which Twilio matches anywhere in the E.164
//!   digits, country code included. That is a superset of core's meaning, so
//!   results are filtered again on the national number before they are
//!   returned.
//!
//! A one-digit `contains` cannot be written (one character is too short, and
//! padding it with a wildcard would need two literal characters), so it is
//! refused as [`Error::NotSupported`] rather than widened or dropped.
//!
//! `AreaCode`, `InRegion` and `InPostalCode` apply "to only phone numbers in
//! the US and Canada" per Twilio's description; elsewhere they would be
//! ignored, so they are refused outside those two countries.

use std::borrow::Cow;

use switchboard_core::{
    AvailableNumber, CountryCode, DigitPattern, Error, NumberType, PhoneNumber, Result, SearchQuery,
};

use crate::PROVIDER;
use crate::wire::AvailableWire;

/// The most characters Twilio accepts in `Contains`.
const MAX_CONTAINS_LEN: usize = 16;

/// Twilio's path segment for a number type.
pub(crate) fn type_segment(number_type: NumberType) -> &'static str {
    match number_type {
        NumberType::Local => "Local",
        NumberType::TollFree => "TollFree",
        NumberType::Mobile => "Mobile",
    }
}

fn not_supported(what: impl Into<String>) -> Error {
    Error::NotSupported {
        provider: PROVIDER.to_string(),
        what: what.into(),
    }
}

/// Whether Twilio applies its North-American-only filters in `country`.
fn is_us_or_canada(country: CountryCode) -> bool {
    country == CountryCode::US || country == CountryCode::CA
}

/// The ITU calling code of `country` (1 for the US), from the numbering-plan
/// metadata that core already depends on.
pub(crate) fn calling_code(country: &str) -> Option<u16> {
    phonenumber::metadata::DATABASE
        .by_id(country)
        .map(|m| m.country_code())
}

/// The `Contains` expression for `pattern` in `country`.
pub(crate) fn contains_expression(pattern: &DigitPattern, country: CountryCode) -> Result<String> {
    let expression = match pattern {
        DigitPattern::Contains(digits) => {
            if digits.len() < 2 {
                return Err(not_supported(
                    "a 'contains' pattern of one digit (Twilio's Contains needs at least 2 characters)",
                ));
            }
            digits.clone()
        }
        DigitPattern::StartsWith(digits) => {
            let code = calling_code(country.as_str()).ok_or_else(|| {
                not_supported(format!(
                    "a 'starts_with' pattern in {country}: its calling code is unknown"
                ))
            })?;
            format!("+{code}{digits}")
        }
        DigitPattern::EndsWith(digits) => format!("{digits}$"),
    };
    if expression.len() > MAX_CONTAINS_LEN {
        return Err(not_supported(format!(
            "this pattern: as Twilio's Contains it is {expression:?}, longer than {MAX_CONTAINS_LEN} characters"
        )));
    }
    Ok(expression)
}

/// The query string for `query`, after checking that Twilio can apply every
/// filter in it. Keys are Twilio's parameter names.
pub(crate) fn parameters(query: &SearchQuery) -> Result<Vec<(&'static str, String)>> {
    let mut params = Vec::with_capacity(8);
    let north_american = is_us_or_canada(query.country);
    if let Some(area_code) = &query.area_code {
        if !north_american {
            return Err(not_supported(format!(
                "search by area_code in {} (Twilio applies AreaCode only in US and CA)",
                query.country
            )));
        }
        if area_code.len() != 3 {
            return Err(Error::invalid(
                "area_code",
                format!("US and CA area codes have 3 digits, got {area_code:?}"),
            ));
        }
        params.push(("AreaCode", area_code.clone()));
    }
    if let Some(pattern) = &query.pattern {
        params.push(("Contains", contains_expression(pattern, query.country)?));
    }
    if let Some(region) = &query.region {
        if !north_american {
            return Err(not_supported(format!(
                "search by region in {} (Twilio applies InRegion only in US and CA)",
                query.country
            )));
        }
        params.push(("InRegion", region.clone()));
    }
    if let Some(locality) = &query.locality {
        params.push(("InLocality", locality.clone()));
    }
    if let Some(postal_code) = &query.postal_code {
        if !north_american {
            return Err(not_supported(format!(
                "search by postal_code in {} (Twilio applies InPostalCode only in US and CA)",
                query.country
            )));
        }
        params.push(("InPostalCode", postal_code.clone()));
    }
    // A capability left false means "no requirement", so only true ones are sent.
    let caps = query.capabilities;
    for (on, name) in [
        (caps.voice, "VoiceEnabled"),
        (caps.sms, "SmsEnabled"),
        (caps.mms, "MmsEnabled"),
        (caps.fax, "FaxEnabled"),
    ] {
        if on {
            params.push((name, "true".to_string()));
        }
    }
    params.push(("PageSize", query.limit.to_string()));
    Ok(params)
}

/// Twilio's answer as core numbers: unreadable entries skipped, results
/// filtered again on what Twilio matched more loosely, at most `query.limit`.
pub(crate) fn results(query: &SearchQuery, wire: Vec<AvailableWire<'_>>) -> Vec<AvailableNumber> {
    let mut found = Vec::with_capacity(wire.len().min(query.limit as usize));
    for entry in wire {
        if found.len() >= query.limit as usize {
            break;
        }
        let Some(number) = entry
            .phone_number
            .as_deref()
            .and_then(|n| PhoneNumber::parse_trusted(n.trim()).ok())
        else {
            tracing::warn!(phone_number = ?entry.phone_number, "twilio offered an unreadable number; skipped");
            continue;
        };
        let country = entry
            .iso_country
            .as_deref()
            .and_then(|c| CountryCode::parse(c).ok())
            .unwrap_or(query.country);
        if let Some(pattern) = &query.pattern {
            match national(&number, country) {
                Some(national) if pattern.matches(national) => {}
                _ => continue,
            }
        }
        if !entry.capabilities.satisfies(&query.capabilities) {
            continue;
        }
        found.push(AvailableNumber {
            phone_number: number,
            country,
            number_type: query.number_type,
            region: entry.region.map(Cow::into_owned),
            locality: entry.locality.map(Cow::into_owned),
            postal_code: entry.postal_code.map(Cow::into_owned),
            rate_center: entry.rate_center.map(Cow::into_owned),
            capabilities: entry.capabilities,
            provider: PROVIDER.to_string(),
        });
    }
    found
}

/// The digits after the calling code of `country`; `None` when the number
/// does not carry that code.
fn national(number: &PhoneNumber, country: CountryCode) -> Option<&str> {
    let code = calling_code(country.as_str())?.to_string();
    number.digits().strip_prefix(code.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::Capabilities;

    fn expr(pattern: DigitPattern, country: CountryCode) -> Result<String> {
        contains_expression(&pattern, country)
    }

    #[test]
    fn patterns_become_anchored_contains_expressions() {
        let us = CountryCode::US;
        assert_eq!(
            expr(DigitPattern::StartsWith("604".into()), us).unwrap(),
            "+1604"
        );
        assert_eq!(
            expr(DigitPattern::EndsWith("1234".into()), us).unwrap(),
            "1234$"
        );
        assert_eq!(
            expr(DigitPattern::Contains("555".into()), us).unwrap(),
            "555"
        );
        assert_eq!(
            expr(
                DigitPattern::StartsWith("50".into()),
                CountryCode::parse("JP").unwrap()
            )
            .unwrap(),
            "+8150"
        );
        assert_eq!(
            expr(DigitPattern::StartsWith("7".into()), CountryCode::GB).unwrap(),
            "+447"
        );
    }

    #[test]
    fn letters_and_wildcards_are_passed_to_twilio_as_written() {
        let us = CountryCode::US;
        assert_eq!(
            expr(DigitPattern::EndsWith("CALL".into()), us).unwrap(),
            "CALL$"
        );
        assert_eq!(
            expr(DigitPattern::Contains("5*5".into()), us).unwrap(),
            "5*5"
        );
        assert_eq!(
            expr(DigitPattern::StartsWith("60*".into()), us).unwrap(),
            "+160*"
        );
    }

    #[test]
    fn patterns_twilio_cannot_express_are_not_supported() {
        let err = expr(DigitPattern::Contains("5".into()), CountryCode::US).unwrap_err();
        assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
        assert!(err.to_string().contains("one digit"), "{err}");
        let err = expr(
            DigitPattern::StartsWith("123456789012345".into()),
            CountryCode::US,
        )
        .unwrap_err();
        assert!(err.to_string().contains("16 characters"), "{err}");
        let err = expr(
            DigitPattern::StartsWith("12".into()),
            CountryCode::parse("XX").unwrap(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
    }

    #[test]
    fn every_filter_maps_to_its_twilio_parameter() {
        let query = SearchQuery::new(CountryCode::US)
            .area_code("808")
            .pattern(DigitPattern::EndsWith("1571".into()))
            .region("HI")
            .locality("Hilo")
            .postal_code("96720")
            .capabilities(Capabilities {
                voice: true,
                sms: false,
                mms: true,
                fax: true,
            })
            .limit(7);
        let params = parameters(&query).unwrap();
        let expected: Vec<(&str, String)> = vec![
            ("AreaCode", "808".into()),
            ("Contains", "1571$".into()),
            ("InRegion", "HI".into()),
            ("InLocality", "Hilo".into()),
            ("InPostalCode", "96720".into()),
            ("VoiceEnabled", "true".into()),
            ("MmsEnabled", "true".into()),
            ("FaxEnabled", "true".into()),
            ("PageSize", "7".into()),
        ];
        assert_eq!(params, expected);
    }

    #[test]
    fn north_american_filters_are_refused_elsewhere() {
        for query in [
            SearchQuery::new(CountryCode::GB).area_code("020"),
            SearchQuery::new(CountryCode::GB).region("London"),
            SearchQuery::new(CountryCode::GB).postal_code("SW1A"),
        ] {
            let err = parameters(&query).unwrap_err();
            assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
        }
        assert!(parameters(&SearchQuery::new(CountryCode::GB).locality("London")).is_ok());
        let err = parameters(&SearchQuery::new(CountryCode::US).area_code("60")).unwrap_err();
        assert_eq!(err.field(), Some("area_code"));
    }

    fn offered(number: &str) -> AvailableWire<'_> {
        AvailableWire {
            phone_number: Some(number.into()),
            capabilities: Capabilities::VOICE_SMS_MMS,
            ..AvailableWire::default()
        }
    }

    #[test]
    fn contains_is_narrowed_to_the_national_number() {
        // Twilio matches "16" in "+16045551234" through the country code;
        // core's contains("16") is on "6045551234" and must not match.
        let query = SearchQuery::new(CountryCode::US).pattern(DigitPattern::Contains("16".into()));
        let kept = results(
            &query,
            vec![offered("+16045551234"), offered("+16045551612")],
        );
        let kept: Vec<_> = kept.iter().map(|n| n.phone_number.as_str()).collect();
        assert_eq!(kept, ["+16045551612"]);
    }

    #[test]
    fn results_are_capped_and_unreadable_numbers_skipped() {
        let query = SearchQuery::new(CountryCode::US).limit(2);
        let kept = results(
            &query,
            vec![
                offered("not a number"),
                offered("+18089251571"),
                offered("+18089251572"),
                offered("+18089251573"),
            ],
        );
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].phone_number.as_str(), "+18089251571");
        assert_eq!(kept[0].provider, "twilio");
    }
}
