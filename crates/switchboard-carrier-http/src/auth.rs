//! Who an adapter is at its carrier, as the `Authorization` header every
//! request carries, and which strings of it must never reach an error.

use std::fmt;

use base64::Engine as _;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use switchboard_core::{Error, Result};

/// The credentials an adapter signs in with.
///
/// `Debug` names the scheme and, for Basic, the user (an account or project
/// id, which carriers put in URL paths too); never a secret.
#[derive(Clone)]
pub enum Credentials {
    /// HTTP Basic: Twilio (`AccountSid` or `SK...` key and its secret) and
    /// SignalWire (`ProjectID:APIToken`).
    Basic {
        /// The user: an account, key or project id.
        user: String,
        /// The password: a token or secret.
        password: SecretString,
    },
    /// A bearer token, as Telnyx's API v2 keys are sent.
    Bearer(SecretString),
}

impl Credentials {
    /// Basic credentials.
    pub fn basic(user: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Credentials::Basic {
            user: user.into(),
            password: password.into(),
        }
    }

    /// A bearer token.
    pub fn bearer(token: impl Into<SecretString>) -> Self {
        Credentials::Bearer(token.into())
    }

    /// The `Authorization` header, built once: marked sensitive, so that
    /// reqwest and hyper leave it out of their own debug output.
    pub(crate) fn header(&self) -> Result<HeaderValue> {
        let value = match self {
            Credentials::Basic { .. } => format!("Basic {}", self.encoded_basic()),
            Credentials::Bearer(token) => format!("Bearer {}", token.expose_secret()),
        };
        let mut header = HeaderValue::from_str(&value).map_err(|_| Error::Configuration {
            message: "the carrier credentials cannot be sent in an HTTP header".into(),
        })?;
        header.set_sensitive(true);
        Ok(header)
    }

    /// Every form in which the secret could come back in an answer: the
    /// secret itself and, for Basic, the encoded pair (which decodes to it).
    pub(crate) fn secrets(&self) -> Vec<String> {
        match self {
            Credentials::Basic { password, .. } => {
                vec![password.expose_secret().to_string(), self.encoded_basic()]
            }
            Credentials::Bearer(token) => vec![token.expose_secret().to_string()],
        }
    }

    fn encoded_basic(&self) -> String {
        match self {
            Credentials::Basic { user, password } => base64::engine::general_purpose::STANDARD
                .encode(format!("{user}:{}", password.expose_secret())),
            Credentials::Bearer(_) => String::new(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { user, .. } => f
                .debug_struct("Basic")
                .field("user", user)
                .field("password", &"[redacted]")
                .finish(),
            Credentials::Bearer(_) => f.write_str("Bearer([redacted])"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_the_encoded_pair_or_the_token_and_is_sensitive() {
        let basic = Credentials::basic("user", "pass".to_string());
        let header = basic.header().unwrap();
        // `echo -n user:pass | base64`
        assert_eq!(header.to_str().unwrap(), "Basic dXNlcjpwYXNz");
        assert!(header.is_sensitive());
        assert_eq!(basic.secrets(), ["pass", "dXNlcjpwYXNz"]);
        let bearer = Credentials::bearer("KEY0123".to_string());
        assert_eq!(bearer.header().unwrap().to_str().unwrap(), "Bearer KEY0123");
        assert_eq!(bearer.secrets(), ["KEY0123"]);
    }

    #[test]
    fn debug_never_shows_a_secret() {
        for credentials in [
            Credentials::basic("AC1", "hunter2-secret".to_string()),
            Credentials::bearer("hunter2-secret".to_string()),
        ] {
            let shown = format!("{credentials:?}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("redacted"), "{shown}");
        }
    }

    #[test]
    fn a_secret_that_cannot_be_a_header_is_a_configuration_error() {
        let err = Credentials::bearer("line\nbreak".to_string())
            .header()
            .unwrap_err();
        assert!(matches!(err, Error::Configuration { .. }), "{err:?}");
        assert!(!err.to_string().contains("line"), "{err}");
    }
}
