//! Searching a carrier's inventory: the search as a JSON body, the values it
//! is made of, and the numbers it finds. The same search as query parameters
//! is in `search_params`.

use serde::{Deserialize, Deserializer, Serialize};
use switchboard_core::{self as core, CountryCode, DEFAULT_SEARCH_LIMIT, Error, Result};
use utoipa::ToSchema;

use crate::Capabilities;

/// The kind of number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NumberType {
    /// Geographic.
    #[default]
    Local,
    /// Toll-free (`toll-free` and `tollfree` are accepted too).
    #[serde(alias = "toll-free", alias = "tollfree")]
    TollFree,
    /// Mobile.
    Mobile,
}

impl From<NumberType> for core::NumberType {
    fn from(number_type: NumberType) -> Self {
        match number_type {
            NumberType::Local => Self::Local,
            NumberType::TollFree => Self::TollFree,
            NumberType::Mobile => Self::Mobile,
        }
    }
}

impl From<core::NumberType> for NumberType {
    fn from(number_type: core::NumberType) -> Self {
        match number_type {
            core::NumberType::Local => Self::Local,
            core::NumberType::TollFree => Self::TollFree,
            core::NumberType::Mobile => Self::Mobile,
        }
    }
}

/// Digits the national number (after the country code) must contain,
/// start with, or end with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DigitPattern {
    /// Anywhere in the number.
    Contains(Digits),
    /// At its start.
    StartsWith(Digits),
    /// At its end.
    EndsWith(Digits),
}

// The characters are checked by core's `SearchQuery::validate`, which names
// the field `pattern`; the pattern documented here is that rule.
/// 1 to 15 digits, letters (read on the phone keypad: `CALL` is 2255) or
/// `*` (any one digit), not only `*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(
    value_type = String,
    pattern = "^[0-9A-Za-z*]*[0-9A-Za-z][0-9A-Za-z*]*$",
    max_length = 15,
    example = "1234"
)]
pub struct Digits(pub String);

/// Reads a `pattern` field through a JSON value. Read from the text as it
/// streams by, an object with a second key fails as if the body were not
/// JSON (`invalid_json`); read from the value it is the field's error, "map
/// with a single key", as the body is well-formed.
pub(crate) fn digit_pattern<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DigitPattern>, D::Error> {
    let Some(value) = Option::<serde_json::Value>::deserialize(d)? else {
        return Ok(None);
    };
    DigitPattern::deserialize(value)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

impl From<DigitPattern> for core::DigitPattern {
    fn from(pattern: DigitPattern) -> Self {
        match pattern {
            DigitPattern::Contains(Digits(d)) => Self::Contains(d),
            DigitPattern::StartsWith(Digits(d)) => Self::StartsWith(d),
            DigitPattern::EndsWith(Digits(d)) => Self::EndsWith(d),
        }
    }
}

impl From<&core::DigitPattern> for DigitPattern {
    fn from(pattern: &core::DigitPattern) -> Self {
        let digits = Digits(pattern.digits().to_string());
        match pattern {
            core::DigitPattern::Contains(_) => Self::Contains(digits),
            core::DigitPattern::StartsWith(_) => Self::StartsWith(digits),
            core::DigitPattern::EndsWith(_) => Self::EndsWith(digits),
        }
    }
}

/// What to search for; every field is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"country": "CA", "area_code": "604", "limit": 5}))]
pub struct SearchRequest {
    /// ISO 3166-1 alpha-2 country.
    #[serde(default = "us")]
    #[schema(pattern = "^[A-Za-z]{2}$", default = "US", example = "CA")]
    pub country: String,
    /// Kind of number.
    #[serde(default)]
    #[schema(default = "local")]
    pub number_type: NumberType,
    /// Area code, digits only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9]{1,6}$", example = "604")]
    pub area_code: Option<String>,
    /// A digit pattern the number must match.
    #[serde(
        default,
        deserialize_with = "digit_pattern",
        skip_serializing_if = "Option::is_none"
    )]
    pub pattern: Option<DigitPattern>,
    /// State or province, 1 to 64 characters, not all blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub region: Option<String>,
    /// City or locality, 1 to 64 characters, not all blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub locality: Option<String>,
    /// Postal code, 1 to 64 characters, not all blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub postal_code: Option<String>,
    /// Capabilities every result must have.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// At most this many results.
    #[serde(default = "default_limit")]
    #[schema(minimum = 1, maximum = 100, default = 20)]
    pub limit: u32,
    /// Extension: the carrier to search; the configured default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Extension: search several carriers at once, concurrently, instead of
    /// one: a list of names in order of preference, or `"all"` for every
    /// configured carrier. Not together with `provider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub providers: Option<Providers>,
}

/// The carriers a search across carriers asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Providers {
    /// Every configured carrier: the string `"all"`.
    Every(All),
    /// These carriers, in order of preference.
    Named(Vec<String>),
}

/// The word for every configured carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum All {
    /// Every configured carrier.
    All,
}

impl Providers {
    /// Reads the query-string form: `all`, or names separated by commas.
    pub fn parse(text: &str) -> Self {
        if text == "all" {
            return Self::Every(All::All);
        }
        Self::Named(
            text.split(',')
                .map(|name| name.trim().to_string())
                .collect(),
        )
    }

    /// The names for core's `search_across` (empty for every carrier).
    pub fn names(self) -> Result<Vec<String>> {
        match self {
            Self::Every(All::All) => Ok(Vec::new()),
            Self::Named(names) if names.is_empty() || names.iter().any(String::is_empty) => {
                Err(Error::invalid(
                    "providers",
                    "name at least one carrier, and no empty name; or \"all\"",
                ))
            }
            Self::Named(names) => Ok(names),
        }
    }
}

/// The country of a search that names none.
pub(crate) fn us() -> String {
    CountryCode::US.as_str().to_string()
}

pub(crate) fn default_limit() -> u32 {
    DEFAULT_SEARCH_LIMIT
}

impl Default for SearchRequest {
    /// What `{}` reads as: local US numbers, the default limit, any carrier.
    fn default() -> Self {
        Self::from(&core::SearchQuery::default())
    }
}

impl SearchRequest {
    /// Core's query, naming the country `country_field` when it is not one
    /// (a bulk request's search is under `search`). `provider` is not part
    /// of the query: the service takes it beside it.
    pub(crate) fn query(self, country_field: &'static str) -> Result<core::SearchQuery> {
        let country = CountryCode::parse(&self.country)
            .map_err(|reason| Error::invalid(country_field, reason))?;
        Ok(core::SearchQuery {
            country,
            number_type: self.number_type.into(),
            area_code: self.area_code,
            pattern: self.pattern.map(Into::into),
            region: self.region,
            locality: self.locality,
            postal_code: self.postal_code,
            capabilities: self.capabilities.into(),
            limit: self.limit,
        })
    }
}

impl TryFrom<SearchRequest> for core::SearchQuery {
    type Error = Error;

    /// Parses the country; the service validates the rest. Take `provider`
    /// out first: it is not part of the query.
    fn try_from(request: SearchRequest) -> Result<Self> {
        request.query("country")
    }
}

impl From<&core::SearchQuery> for SearchRequest {
    fn from(query: &core::SearchQuery) -> Self {
        Self {
            country: query.country.as_str().to_string(),
            number_type: query.number_type.into(),
            area_code: query.area_code.clone(),
            pattern: query.pattern.as_ref().map(Into::into),
            region: query.region.clone(),
            locality: query.locality.clone(),
            postal_code: query.postal_code.clone(),
            capabilities: query.capabilities.into(),
            limit: query.limit,
            provider: None,
            providers: None,
        }
    }
}

/// A number a carrier offers for sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailableNumber {
    /// The number, E.164: what `provision-phone-number` takes.
    #[schema(example = "+16045551234")]
    pub phone_number: String,
    /// ISO country.
    #[schema(example = "CA")]
    pub country: String,
    /// Kind of number.
    pub number_type: NumberType,
    /// State or province, when the carrier says.
    #[schema(required = true)]
    pub region: Option<String>,
    /// City, when the carrier says.
    #[schema(required = true)]
    pub locality: Option<String>,
    /// Postal code, when the carrier says.
    #[schema(required = true)]
    pub postal_code: Option<String>,
    /// Rate center, when the carrier says.
    #[schema(required = true)]
    pub rate_center: Option<String>,
    /// What it can carry.
    pub capabilities: Capabilities,
    /// The carrier offering it.
    pub provider: String,
}

impl From<core::AvailableNumber> for AvailableNumber {
    fn from(number: core::AvailableNumber) -> Self {
        Self {
            phone_number: number.phone_number.as_str().to_string(),
            country: number.country.as_str().to_string(),
            number_type: number.number_type.into(),
            region: number.region,
            locality: number.locality,
            postal_code: number.postal_code,
            rate_center: number.rate_center,
            capabilities: number.capabilities.into(),
            provider: number.provider,
        }
    }
}

/// Search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchResults {
    /// Numbers for sale, at most `limit`; across carriers, the carriers'
    /// results taken in turn, each naming its carrier.
    pub data: Vec<AvailableNumber>,
    /// Across carriers: those left out because they cannot apply a filter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<CarrierNote>,
    /// Across carriers: those that failed, beside the others' results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<CarrierNote>,
}

/// A carrier a search across carriers did not hear from, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CarrierNote {
    /// The carrier.
    pub provider: String,
    /// Why it is not in the results.
    pub error: crate::ErrorDetail,
}

impl From<Vec<core::AvailableNumber>> for SearchResults {
    fn from(found: Vec<core::AvailableNumber>) -> Self {
        Self {
            data: found.into_iter().map(AvailableNumber::from).collect(),
            skipped: Vec::new(),
            failed: Vec::new(),
        }
    }
}

impl From<core::SearchAcross> for SearchResults {
    fn from(across: core::SearchAcross) -> Self {
        Self {
            data: across
                .found
                .into_iter()
                .map(AvailableNumber::from)
                .collect(),
            skipped: across
                .skipped
                .iter()
                .map(|s| CarrierNote {
                    provider: s.provider.clone(),
                    error: (&s.reason).into(),
                })
                .collect(),
            failed: across
                .failed
                .iter()
                .map(|f| CarrierNote {
                    provider: f.provider.clone(),
                    error: (&f.error).into(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_core::PhoneNumber;

    use super::*;

    fn decode(json: serde_json::Value) -> Result<core::SearchQuery> {
        let request: SearchRequest = serde_json::from_value(json).unwrap();
        core::SearchQuery::try_from(request)
    }

    #[test]
    fn an_empty_search_is_cores_default_query() {
        assert_eq!(decode(json!({})).unwrap(), core::SearchQuery::default());
        assert_eq!(
            serde_json::from_value::<SearchRequest>(json!({})).unwrap(),
            SearchRequest::default()
        );
    }

    #[test]
    fn query_json_is_strict_and_defaulted() {
        let query = decode(json!({"area_code": "604"})).unwrap();
        assert_eq!(query.country, CountryCode::US);
        assert_eq!(query.limit, DEFAULT_SEARCH_LIMIT);
        let query = decode(json!({"country": "ca", "pattern": {"ends_with": "1234"}})).unwrap();
        assert_eq!(query.country, CountryCode::CA);
        assert_eq!(
            query.pattern,
            Some(core::DigitPattern::EndsWith("1234".into()))
        );
        assert!(serde_json::from_value::<SearchRequest>(json!({"areacode": "604"})).is_err());
        // A pattern names one kind, read from the text as from a value.
        let text = r#"{"pattern": {"contains": "1", "ends_with": "2"}}"#;
        let err = serde_json::from_str::<SearchRequest>(text).unwrap_err();
        assert!(err.is_data(), "{err}");
        assert!(err.to_string().contains("single key"), "{err}");
        let err = decode(json!({"country": "USA"})).unwrap_err();
        assert_eq!(err.field(), Some("country"));
    }

    #[test]
    fn number_type_accepts_carrier_spellings() {
        for spelling in ["toll_free", "toll-free", "tollfree"] {
            let t: NumberType = serde_json::from_value(json!(spelling)).unwrap();
            assert_eq!(t, NumberType::TollFree);
        }
        assert_eq!(
            serde_json::to_value(NumberType::TollFree).unwrap(),
            "toll_free"
        );
        for t in [
            core::NumberType::Local,
            core::NumberType::TollFree,
            core::NumberType::Mobile,
        ] {
            // The same name in JSON as core gives it in configuration.
            assert_eq!(
                serde_json::to_value(NumberType::from(t)).unwrap(),
                t.as_str()
            );
        }
    }

    #[test]
    fn a_core_query_goes_out_as_the_json_it_comes_back_from() {
        let query = core::SearchQuery::new(CountryCode::CA)
            .number_type(core::NumberType::TollFree)
            .area_code("604")
            .pattern(core::DigitPattern::StartsWith("55".into()))
            .region("BC")
            .locality("Vancouver")
            .postal_code("V6B")
            .capabilities(core::Capabilities::VOICE_SMS_MMS)
            .limit(5);
        let json = serde_json::to_value(SearchRequest::from(&query)).unwrap();
        assert_eq!(json["pattern"], json!({"starts_with": "55"}));
        assert!(json.get("provider").is_none(), "{json}");
        assert_eq!(decode(json).unwrap(), query);
    }

    #[test]
    fn an_offer_reads_as_core_shows_it_with_absent_details_as_null() {
        let offer = core::AvailableNumber {
            phone_number: PhoneNumber::parse("+16045551234").unwrap(),
            country: CountryCode::CA,
            number_type: core::NumberType::Local,
            region: Some("BC".into()),
            locality: None,
            postal_code: None,
            rate_center: None,
            capabilities: core::Capabilities::VOICE_SMS_MMS,
            provider: "fake".into(),
        };
        let text = serde_json::to_string(&SearchResults::from(vec![offer])).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"data":[{"phone_number":"+16045551234","country":"CA","number_type":"local","#,
                r#""region":"BC","locality":null,"postal_code":null,"rate_center":null,"#,
                r#""capabilities":{"voice":true,"sms":true,"mms":true},"provider":"fake"}]}"#
            )
        );
    }
}
