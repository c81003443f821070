//! Twilio resource ids (SIDs): two letters naming the kind, then 32 hex digits.
//!
//! Checked before they go into a URL path or a form, so that a malformed id is
//! refused with a clear message instead of reaching the carrier (or, worse,
//! addressing a different path), and so that release, which is irreversible,
//! only ever names a phone-number resource.

use std::fmt;

/// The kinds of SID this adapter handles, by their two-letter prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SidKind {
    /// `AC`: an account, the one every path is under.
    Account,
    /// `SK`: an API key, used as the Basic-auth user instead of the account.
    ApiKey,
    /// `PN`: an owned phone number (IncomingPhoneNumber).
    PhoneNumber,
    /// `AD`: an address, required by some numbers.
    Address,
    /// `BU`: a regulatory bundle, required by some numbers.
    Bundle,
}

impl SidKind {
    /// The two-letter prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            SidKind::Account => "AC",
            SidKind::ApiKey => "SK",
            SidKind::PhoneNumber => "PN",
            SidKind::Address => "AD",
            SidKind::Bundle => "BU",
        }
    }
}

/// A checked SID.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Sid(Box<str>);

impl Sid {
    /// Checks `input` as a SID of `kind`.
    ///
    /// The error never repeats the input: a secret pasted into the wrong
    /// setting must not end up in a log. It says the length and which rule
    /// failed instead.
    pub fn parse(kind: SidKind, input: &str) -> Result<Self, String> {
        let prefix = kind.prefix();
        let well_formed = input.len() == 34
            && input.starts_with(prefix)
            && input[2..].bytes().all(|b| b.is_ascii_hexdigit());
        if well_formed {
            return Ok(Self(input.into()));
        }
        let why = if !input.is_ascii() {
            "it holds non-ASCII characters".to_string()
        } else if !input.starts_with(prefix) {
            format!("it does not start with {prefix}")
        } else if input.len() != 34 {
            format!("it has {} characters", input.len())
        } else {
            "the part after the prefix is not hexadecimal".to_string()
        };
        Err(format!(
            "must be {prefix} followed by 32 hexadecimal digits (34 characters), but {why}"
        ))
    }

    /// The SID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_sids_parse_in_either_hex_case() {
        let sid = Sid::parse(SidKind::Account, "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
        assert_eq!(sid.as_str(), "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert!(Sid::parse(SidKind::PhoneNumber, "PN0123456789ABCDEF0123456789abcdef").is_ok());
    }

    #[test]
    fn each_rule_is_named_without_echoing_the_input() {
        let err = Sid::parse(SidKind::Account, "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap_err();
        assert!(err.contains("does not start with AC"), "{err}");
        let err = Sid::parse(SidKind::Account, "ACaaaa").unwrap_err();
        assert!(err.contains("6 characters"), "{err}");
        let err = Sid::parse(SidKind::Bundle, "BUzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz").unwrap_err();
        assert!(err.contains("not hexadecimal"), "{err}");
        assert!(!err.contains("zzzz"), "{err}");
        let err = Sid::parse(SidKind::Address, "ADé").unwrap_err();
        assert!(err.contains("non-ASCII"), "{err}");
        // Lower-case prefixes are not SIDs.
        assert!(Sid::parse(SidKind::PhoneNumber, "pnaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").is_err());
    }
}
