//! The search as query parameters (`GET search-phone-numbers`): the JSON
//! body's fields, flattened, since a query string has no nesting.

use serde::{Deserialize, Serialize};
use switchboard_core::{Error, Result};
use utoipa::IntoParams;

use crate::search::{default_limit, us};
use crate::{Capabilities, DigitPattern, Digits, NumberType, SearchRequest};

/// The search as query parameters: the JSON body's fields, flattened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// ISO 3166-1 alpha-2 country; `US` when absent.
    pub country: Option<String>,
    /// `local` (default), `toll_free` or `mobile`.
    #[param(value_type = Option<String>)]
    pub number_type: Option<NumberType>,
    /// Area code, digits only.
    pub area_code: Option<String>,
    /// Digits the national number contains (at most one of contains, starts_with, ends_with).
    pub contains: Option<String>,
    /// Digits the national number starts with.
    pub starts_with: Option<String>,
    /// Digits the national number ends with.
    pub ends_with: Option<String>,
    /// State or province.
    pub region: Option<String>,
    /// City or locality.
    pub locality: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Require voice.
    pub voice: Option<bool>,
    /// Require SMS.
    pub sms: Option<bool>,
    /// Require MMS.
    pub mms: Option<bool>,
    /// Require fax.
    pub fax: Option<bool>,
    /// At most this many results, 1 to 100; 20 when absent.
    pub limit: Option<u32>,
    /// The carrier to search; the configured default when absent.
    pub provider: Option<String>,
    /// Search several carriers at once: `all`, or names separated by commas
    /// in order of preference (`twilio,signalwire`). Not with `provider`.
    pub providers: Option<String>,
}

impl TryFrom<SearchParams> for SearchRequest {
    type Error = Error;

    /// The body these parameters stand for, so that both forms of a search
    /// are one request from here on. The one rule of the flat form is that
    /// it names at most one digit pattern.
    fn try_from(params: SearchParams) -> Result<Self> {
        let patterns = [
            params.contains.map(|d| DigitPattern::Contains(Digits(d))),
            params
                .starts_with
                .map(|d| DigitPattern::StartsWith(Digits(d))),
            params.ends_with.map(|d| DigitPattern::EndsWith(Digits(d))),
        ];
        let mut given = patterns.into_iter().flatten();
        let pattern = given.next();
        if given.next().is_some() {
            return Err(Error::invalid(
                "pattern",
                "give at most one of contains, starts_with and ends_with",
            ));
        }
        Ok(Self {
            country: params.country.unwrap_or_else(us),
            number_type: params.number_type.unwrap_or_default(),
            area_code: params.area_code,
            pattern,
            region: params.region,
            locality: params.locality,
            postal_code: params.postal_code,
            capabilities: Capabilities {
                voice: params.voice.unwrap_or(false),
                sms: params.sms.unwrap_or(false),
                mms: params.mms.unwrap_or(false),
                fax: params.fax.unwrap_or(false),
            },
            limit: params.limit.unwrap_or_else(default_limit),
            provider: params.provider,
            providers: params.providers.as_deref().map(crate::Providers::parse),
        })
    }
}

#[cfg(test)]
mod tests {
    use switchboard_core::{self as core, CountryCode};

    use super::*;

    #[test]
    fn no_parameters_are_the_empty_body() {
        let request = SearchRequest::try_from(SearchParams::default()).unwrap();
        assert_eq!(request, SearchRequest::default());
    }

    #[test]
    fn parameters_stand_for_the_body_fields_they_flatten() {
        let params = SearchParams {
            country: Some("ca".into()),
            number_type: Some(NumberType::Mobile),
            ends_with: Some("1234".into()),
            voice: Some(true),
            fax: Some(false),
            limit: Some(5),
            provider: Some("fake".into()),
            ..SearchParams::default()
        };
        let request = SearchRequest::try_from(params).unwrap();
        assert_eq!(request.provider.as_deref(), Some("fake"));
        let query = core::SearchQuery::try_from(request).unwrap();
        assert_eq!(
            query,
            core::SearchQuery::new(CountryCode::CA)
                .number_type(core::NumberType::Mobile)
                .pattern(core::DigitPattern::EndsWith("1234".into()))
                .capabilities(core::Capabilities {
                    voice: true,
                    ..core::Capabilities::default()
                })
                .limit(5)
        );
    }

    #[test]
    fn two_patterns_are_refused_as_the_pattern() {
        let params = SearchParams {
            contains: Some("1".into()),
            ends_with: Some("2".into()),
            ..SearchParams::default()
        };
        let err = SearchRequest::try_from(params).unwrap_err();
        assert_eq!(err.field(), Some("pattern"));
    }
}
