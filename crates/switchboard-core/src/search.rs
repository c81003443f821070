//! Searching a carrier's inventory: the query, its validation, and the results.

use crate::{Capabilities, CountryCode, Error, NumberType, PhoneNumber, Result};

/// The most results one search may ask for; SignalWire's cap, and more than
/// Twilio returns.
pub const MAX_SEARCH_LIMIT: u32 = 100;
/// The number of results when a query does not say.
pub const DEFAULT_SEARCH_LIMIT: u32 = 20;

/// A run of characters the number must contain, start with, or end with.
///
/// Matched against the national number, the part after the country calling
/// code: for `+16045551234` that is `6045551234`. Besides digits a pattern
/// may hold letters, read as on a phone keypad (`CALL` is `2255`), so that
/// vanity numbers can be asked for as people say them, and `*`, one digit
/// of any value. Carriers that take letters themselves (Twilio) are given
/// them; the others get [`DigitPattern::on_keypad`]. A carrier that cannot
/// express `*` says so in [`crate::ProviderFeatures::pattern_wildcards`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigitPattern {
    /// The digits appear anywhere in the national number.
    Contains(String),
    /// The national number starts with the digits.
    StartsWith(String),
    /// The national number ends with the digits.
    EndsWith(String),
}

impl DigitPattern {
    /// The pattern as written: digits, letters and `*`.
    pub fn digits(&self) -> &str {
        match self {
            DigitPattern::Contains(d) | DigitPattern::StartsWith(d) | DigitPattern::EndsWith(d) => {
                d
            }
        }
    }

    /// The same pattern with every letter replaced by its keypad digit
    /// (`*` stays), for carriers that take digits only.
    pub fn on_keypad(&self) -> DigitPattern {
        let keyed: String = self.digits().chars().map(keypad_digit).collect();
        match self {
            DigitPattern::Contains(_) => DigitPattern::Contains(keyed),
            DigitPattern::StartsWith(_) => DigitPattern::StartsWith(keyed),
            DigitPattern::EndsWith(_) => DigitPattern::EndsWith(keyed),
        }
    }

    /// Whether the pattern has letters (a vanity pattern).
    pub fn has_letters(&self) -> bool {
        self.digits().chars().any(|c| c.is_ascii_alphabetic())
    }

    /// Whether the pattern has `*` wildcards.
    pub fn has_wildcards(&self) -> bool {
        self.digits().contains('*')
    }

    /// Whether `national` (the digits after the country code) matches, with
    /// letters read on the keypad and `*` matching any digit.
    pub fn matches(&self, national: &str) -> bool {
        let pattern: Vec<char> = self.digits().chars().map(keypad_digit).collect();
        let national: Vec<char> = national.chars().collect();
        let at = |start: usize| {
            national.len() >= start + pattern.len()
                && pattern
                    .iter()
                    .zip(&national[start..])
                    .all(|(p, n)| *p == '*' || p == n)
        };
        if pattern.len() > national.len() {
            return false;
        }
        match self {
            DigitPattern::Contains(_) => (0..=national.len() - pattern.len()).any(at),
            DigitPattern::StartsWith(_) => at(0),
            DigitPattern::EndsWith(_) => at(national.len() - pattern.len()),
        }
    }
}

/// The keypad digit of a letter (ITU E.161: `ABC` on 2 ... `WXYZ` on 9);
/// any other character as it is.
fn keypad_digit(c: char) -> char {
    match c.to_ascii_uppercase() {
        'A'..='C' => '2',
        'D'..='F' => '3',
        'G'..='I' => '4',
        'J'..='L' => '5',
        'M'..='O' => '6',
        'P'..='S' => '7',
        'T'..='V' => '8',
        'W'..='Z' => '9',
        other if other.is_ascii_alphabetic() => other,
        _ => c,
    }
}

/// What to search for. Every field but `country` narrows the search; a
/// carrier that cannot apply a filter answers [`Error::NotSupported`] rather
/// than ignoring it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// ISO country of the numbers.
    pub country: CountryCode,
    /// Local, toll-free or mobile.
    pub number_type: NumberType,
    /// Area code (NANP: three digits), for local numbers.
    pub area_code: Option<String>,
    /// A digit pattern the number must match.
    pub pattern: Option<DigitPattern>,
    /// State or province, e.g. `BC`.
    pub region: Option<String>,
    /// City or locality, e.g. `Vancouver`.
    pub locality: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Capabilities every result must have.
    pub capabilities: Capabilities,
    /// At most this many results, 1 to [`MAX_SEARCH_LIMIT`].
    pub limit: u32,
}

impl Default for SearchQuery {
    fn default() -> Self {
        Self::new(CountryCode::US)
    }
}

impl SearchQuery {
    /// Local numbers in `country`, no other filter, the default limit.
    pub fn new(country: CountryCode) -> Self {
        Self {
            country,
            number_type: NumberType::Local,
            area_code: None,
            pattern: None,
            region: None,
            locality: None,
            postal_code: None,
            capabilities: Capabilities::default(),
            limit: DEFAULT_SEARCH_LIMIT,
        }
    }

    /// Sets the number type.
    pub fn number_type(mut self, number_type: NumberType) -> Self {
        self.number_type = number_type;
        self
    }

    /// Sets the area code.
    pub fn area_code(mut self, area_code: impl Into<String>) -> Self {
        self.area_code = Some(area_code.into());
        self
    }

    /// Sets the digit pattern.
    pub fn pattern(mut self, pattern: DigitPattern) -> Self {
        self.pattern = Some(pattern);
        self
    }

    /// Sets the region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets the locality.
    pub fn locality(mut self, locality: impl Into<String>) -> Self {
        self.locality = Some(locality.into());
        self
    }

    /// Sets the postal code.
    pub fn postal_code(mut self, postal_code: impl Into<String>) -> Self {
        self.postal_code = Some(postal_code.into());
        self
    }

    /// Sets the required capabilities.
    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Sets the limit.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Checks every field; the error names the first field at fault.
    pub fn validate(&self) -> Result<()> {
        if let Some(area_code) = &self.area_code {
            check_digits("area_code", area_code, 1, 6)?;
        }
        if let Some(pattern) = &self.pattern {
            check_pattern(pattern.digits())?;
        }
        check_text("region", self.region.as_deref())?;
        check_text("locality", self.locality.as_deref())?;
        check_text("postal_code", self.postal_code.as_deref())?;
        if self.limit == 0 || self.limit > MAX_SEARCH_LIMIT {
            return Err(Error::invalid(
                "limit",
                format!(
                    "must be between 1 and {MAX_SEARCH_LIMIT}, got {}",
                    self.limit
                ),
            ));
        }
        Ok(())
    }
}

fn check_digits(field: &'static str, value: &str, min: usize, max: usize) -> Result<()> {
    if value.len() < min || value.len() > max || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            field,
            format!("must be {min} to {max} digits, got {value:?}"),
        ));
    }
    Ok(())
}

/// A pattern is 1 to 15 digits, letters or `*`, not all of them `*`.
fn check_pattern(value: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '*';
    if value.is_empty()
        || value.chars().count() > 15
        || !value.chars().all(allowed)
        || value.chars().all(|c| c == '*')
    {
        return Err(Error::invalid(
            "pattern",
            format!("must be 1 to 15 digits, letters or '*' (not only '*'), got {value:?}"),
        ));
    }
    Ok(())
}

fn check_text(field: &'static str, value: Option<&str>) -> Result<()> {
    if let Some(value) = value {
        if value.trim().is_empty() || value.chars().count() > 64 {
            return Err(Error::invalid(field, "must be 1 to 64 characters"));
        }
        if value.chars().any(char::is_control) {
            return Err(Error::invalid(field, "may not contain control characters"));
        }
    }
    Ok(())
}

/// A number a carrier offers for sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailableNumber {
    /// The number, E.164.
    pub phone_number: PhoneNumber,
    /// Its country.
    pub country: CountryCode,
    /// Its kind.
    pub number_type: NumberType,
    /// State or province, when the carrier says.
    pub region: Option<String>,
    /// City or locality, when the carrier says.
    pub locality: Option<String>,
    /// Postal code, when the carrier says.
    pub postal_code: Option<String>,
    /// Rate center, when the carrier says.
    pub rate_center: Option<String>,
    /// What it can do.
    pub capabilities: Capabilities,
    /// The carrier offering it.
    pub provider: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_field_is_named() {
        let err = SearchQuery::default()
            .area_code("60a")
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("area_code"));
        let err = SearchQuery::default().limit(0).validate().unwrap_err();
        assert_eq!(err.field(), Some("limit"));
        let err = SearchQuery::default().limit(101).validate().unwrap_err();
        assert_eq!(err.field(), Some("limit"));
        let err = SearchQuery::default()
            .pattern(DigitPattern::Contains(String::new()))
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("pattern"));
        let err = SearchQuery::default()
            .region("\u{0}")
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("region"));
        assert!(SearchQuery::default().area_code("604").validate().is_ok());
    }

    #[test]
    fn patterns_match_the_national_number() {
        assert!(DigitPattern::StartsWith("604".into()).matches("6045551234"));
        assert!(DigitPattern::EndsWith("1234".into()).matches("6045551234"));
        assert!(DigitPattern::Contains("555".into()).matches("6045551234"));
        assert!(!DigitPattern::StartsWith("555".into()).matches("6045551234"));
        assert!(!DigitPattern::EndsWith("12345678901".into()).matches("6045551234"));
    }

    #[test]
    fn letters_are_read_on_the_keypad_and_stars_match_any_digit() {
        let call = DigitPattern::EndsWith("CALL".into());
        assert!(call.has_letters() && !call.has_wildcards());
        assert_eq!(call.on_keypad(), DigitPattern::EndsWith("2255".into()));
        assert!(call.matches("6045552255"));
        assert!(DigitPattern::Contains("call".into()).matches("6042255123"));
        assert!(!call.matches("6045552256"));
        // Every letter of the keypad, Q and Z included.
        assert_eq!(
            DigitPattern::Contains("ADGJMPTWQZ".into()).on_keypad(),
            DigitPattern::Contains("2345678979".into())
        );
        let starred = DigitPattern::StartsWith("60*5".into());
        assert!(starred.has_wildcards());
        assert!(starred.matches("6045551234") && starred.matches("6095551234"));
        assert!(!starred.matches("6046551234"));
        assert_eq!(starred.on_keypad(), starred);
        for bad in ["", "****", "60-5", "6 0", "1234567890123456", "\u{e9}"] {
            let err = SearchQuery::default()
                .pattern(DigitPattern::Contains(bad.into()))
                .validate()
                .unwrap_err();
            assert_eq!(err.field(), Some("pattern"), "{bad:?}");
        }
        for good in ["CALL", "1800FLOWERS", "*55*", "7"] {
            let query = SearchQuery::default().pattern(DigitPattern::Contains(good.into()));
            assert!(query.validate().is_ok(), "{good:?}");
        }
    }
}
