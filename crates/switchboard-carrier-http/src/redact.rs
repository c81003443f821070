//! Credentials taken out of what a carrier says back.
//!
//! Carriers' error messages are copied into core's errors, which reach logs
//! and API answers; a server (or a proxy in front of it) that echoes the
//! request's credentials would put them there. So every error body is
//! redacted before an adapter reads it, for every carrier: one rule, not
//! one adapter's habit.

use std::borrow::Cow;
use std::fmt;

use crate::Credentials;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// The secrets of one set of credentials, ready to be looked for.
#[derive(Clone)]
pub(crate) struct Redactor {
    secrets: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    pub(crate) fn new(credentials: &Credentials) -> Self {
        let mut secrets = credentials.secrets();
        secrets.retain(|s| !s.is_empty());
        // Longest first, so that a secret inside another is not replaced
        // first and the longer one left half visible.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self { secrets }
    }

    /// `body` with every secret replaced; borrowed when none occurs, which
    /// is every time but the one that matters. The body is compared as
    /// text (invalid UTF-8 replaced), since a secret is text.
    pub(crate) fn redact<'a>(&self, body: &'a [u8]) -> Cow<'a, [u8]> {
        let text = String::from_utf8_lossy(body);
        if !self.secrets.iter().any(|s| text.contains(s.as_str())) {
            return Cow::Borrowed(body);
        }
        let mut text = text.into_owned();
        for secret in &self.secrets {
            text = text.replace(secret.as_str(), REDACTED);
        }
        Cow::Owned(text.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_and_the_encoded_pair_are_replaced_and_clean_bodies_borrowed() {
        let redactor = Redactor::new(&Credentials::basic("user", "pass-word".to_string()));
        let body = b"bad: pass-word / Basic dXNlcjpwYXNzLXdvcmQ= end";
        let redacted = redactor.redact(body);
        assert_eq!(
            std::str::from_utf8(&redacted).unwrap(),
            "bad: [redacted] / Basic [redacted] end"
        );
        assert!(matches!(redactor.redact(b"nothing here"), Cow::Borrowed(_)));
        // Bytes that are not text do not hide a secret either.
        let mixed = [b"\xff pass-word \xfe".as_slice()].concat();
        let redacted = redactor.redact(&mixed);
        assert!(!String::from_utf8_lossy(&redacted).contains("pass-word"));
    }

    #[test]
    fn a_bearer_token_is_replaced() {
        let redactor = Redactor::new(&Credentials::bearer("KEY-123".to_string()));
        assert_eq!(
            &*redactor.redact(b"{\"detail\":\"KEY-123 is wrong\"}"),
            b"{\"detail\":\"[redacted] is wrong\"}"
        );
    }
}
