//! Phone numbers and countries, validated once at the edge so the rest of the
//! system can pass typed values around without re-checking them.

use std::fmt;

use serde::{Serialize, Serializer};

/// An E.164 phone number such as `+16045551234`.
///
/// Numbers that come from users go through [`PhoneNumber::parse`], which also
/// asks the numbering plan (via the `phonenumber` crate) whether the number can
/// exist. Numbers that come from a carrier or from generated inventory go
/// through [`PhoneNumber::parse_trusted`]: the carrier is the authority on what
/// it sells, and its numbering plan may be newer than our metadata.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(Box<str>);

/// Why a string is not an E.164 phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneNumberError {
    /// The input was empty.
    #[error("is empty; expected E.164 such as +16045551234")]
    Empty,
    /// The input did not start with `+`.
    #[error("must start with '+' followed by the country code (E.164, such as +16045551234)")]
    MissingPlus,
    /// The input held something other than digits after the `+`.
    #[error("may hold only digits after the leading '+', found {0:?}")]
    NotADigit(char),
    /// The country code started with zero.
    #[error("country codes never start with 0")]
    LeadingZero,
    /// Too few or too many digits.
    #[error("has {0} digits; E.164 numbers have 8 to 15")]
    Length(usize),
    /// Well formed, but not a number the numbering plan allows.
    #[error("is not a valid number in its country's numbering plan")]
    NotInNumberingPlan,
}

impl PhoneNumber {
    /// Parses a number given by a user: E.164 syntax and numbering-plan validity.
    pub fn parse(input: &str) -> Result<Self, PhoneNumberError> {
        let number = Self::parse_trusted(input)?;
        let parsed =
            phonenumber::parse(None, input).map_err(|_| PhoneNumberError::NotInNumberingPlan)?;
        if !phonenumber::is_valid(&parsed) {
            return Err(PhoneNumberError::NotInNumberingPlan);
        }
        Ok(number)
    }

    /// Parses a number from a trusted source (a carrier's answer, our own
    /// records, generated inventory): E.164 syntax only, which is cheap.
    pub fn parse_trusted(input: &str) -> Result<Self, PhoneNumberError> {
        let digits = match input.strip_prefix('+') {
            Some(digits) => digits,
            None if input.is_empty() => return Err(PhoneNumberError::Empty),
            None => return Err(PhoneNumberError::MissingPlus),
        };
        if let Some(bad) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(PhoneNumberError::NotADigit(bad));
        }
        if digits.starts_with('0') {
            return Err(PhoneNumberError::LeadingZero);
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(PhoneNumberError::Length(digits.len()));
        }
        Ok(Self(input.into()))
    }

    /// The number as E.164 text, with the leading `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without the leading `+`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::str::FromStr for PhoneNumber {
    type Err = PhoneNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// As its E.164 text: how the events forwarded to applications and the
/// reconcile report show a number.
impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// An ISO 3166-1 alpha-2 country code such as `US`, stored upper case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// The United States.
    pub const US: CountryCode = CountryCode(*b"US");
    /// Canada.
    pub const CA: CountryCode = CountryCode(*b"CA");
    /// The United Kingdom.
    pub const GB: CountryCode = CountryCode(*b"GB");

    /// Parses two ASCII letters, in either case.
    pub fn parse(input: &str) -> Result<Self, String> {
        let bytes = input.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(format!(
                "{input:?} is not an ISO 3166-1 alpha-2 country code such as US"
            ));
        }
        Ok(Self([
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
        ]))
    }

    /// The code as upper-case text.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl Default for CountryCode {
    fn default() -> Self {
        Self::US
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::str::FromStr for CountryCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_number_parses() {
        let n = PhoneNumber::parse("+16045551234").unwrap();
        assert_eq!(n.as_str(), "+16045551234");
        assert_eq!(n.digits(), "16045551234");
    }

    #[test]
    fn malformed_numbers_say_why() {
        assert_eq!(PhoneNumber::parse(""), Err(PhoneNumberError::Empty));
        assert_eq!(
            PhoneNumber::parse("16045551234"),
            Err(PhoneNumberError::MissingPlus)
        );
        assert_eq!(
            PhoneNumber::parse("+1 604 555 1234"),
            Err(PhoneNumberError::NotADigit(' '))
        );
        assert_eq!(
            PhoneNumber::parse("+0123456789"),
            Err(PhoneNumberError::LeadingZero)
        );
        assert_eq!(
            PhoneNumber::parse("+1234"),
            Err(PhoneNumberError::Length(4))
        );
        assert_eq!(
            PhoneNumber::parse("+1234567890123456"),
            Err(PhoneNumberError::Length(16))
        );
    }

    #[test]
    fn numbers_outside_the_numbering_plan_are_rejected_only_when_strict() {
        // Area code 099 does not exist in the North American plan.
        assert_eq!(
            PhoneNumber::parse("+10995551234"),
            Err(PhoneNumberError::NotInNumberingPlan)
        );
        assert!(PhoneNumber::parse_trusted("+10995551234").is_ok());
    }

    #[test]
    fn json_is_a_plain_string() {
        let n = PhoneNumber::parse("+16045551234").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"+16045551234\"");
    }

    #[test]
    fn country_codes_normalise_case_and_reject_junk() {
        assert_eq!(CountryCode::parse("us").unwrap(), CountryCode::US);
        assert!(CountryCode::parse("USA").is_err());
        assert!(CountryCode::parse("1A").is_err());
        assert!(CountryCode::parse("é").is_err());
    }
}
