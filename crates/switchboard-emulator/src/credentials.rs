//! The accounts an emulator knows and the secrets that open them: the REST
//! credentials it checks, and the keys it signs inbound webhooks with. Kept
//! apart from the fault and behaviour data so that every secret lives in one
//! place, behind `SecretString` and a redacting `Debug`.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A Twilio account: its SID, auth token and API keys.
#[derive(Clone)]
pub struct TwilioAccount {
    /// `AC` + 32 hex digits.
    pub account_sid: String,
    /// The auth token (Basic auth password with the account SID).
    pub auth_token: SecretString,
    /// API keys (`SK...` + secret) that act for this account.
    pub api_keys: Vec<ApiKey>,
    /// A trial account may own one number (Twilio error 21404 after that).
    pub trial: bool,
}

/// A Twilio API key.
#[derive(Clone)]
pub struct ApiKey {
    /// `SK` + 32 hex digits.
    pub sid: String,
    /// The key's secret.
    pub secret: SecretString,
}

/// A SignalWire project: its id, API token and signing key.
#[derive(Clone)]
pub struct SignalWireProject {
    /// The project id (a UUID on the live service; any text here).
    pub project_id: String,
    /// The API token.
    pub token: SecretString,
    /// The key inbound webhooks are signed with. SignalWire keeps it apart
    /// from the API token, so a receiver configured with the token instead
    /// fails to verify, as it would against the live service.
    pub signing_key: SecretString,
}

/// A Telnyx account: who it is and the API v2 key that opens it (sent as
/// `Authorization: Bearer <key>`).
#[derive(Clone)]
pub struct TelnyxAccount {
    /// The account's user id (a UUID on the live service; any text here).
    /// The request log and the owned-number snapshot name the account by it.
    pub user_id: String,
    /// The API v2 key.
    pub api_key: SecretString,
}

/// The default Twilio account SID.
pub const DEFAULT_TWILIO_ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
/// The default Twilio auth token. Not a secret: it only opens the emulator.
pub const DEFAULT_TWILIO_AUTH_TOKEN: &str = "emulator-twilio-auth-token";
/// The default Twilio API key SID.
pub const DEFAULT_TWILIO_API_KEY_SID: &str = "SK0123456789abcdef0123456789abcdef";
/// The default Twilio API key secret.
pub const DEFAULT_TWILIO_API_KEY_SECRET: &str = "emulator-twilio-api-key-secret";
/// The default SignalWire project id.
pub const DEFAULT_SIGNALWIRE_PROJECT_ID: &str = "00000000-e000-4000-8000-000000000001";
/// The default SignalWire API token.
pub const DEFAULT_SIGNALWIRE_TOKEN: &str = "PTemulator-signalwire-token";
/// The default SignalWire signing key, which every project gets unless
/// [`SignalWireProject::signing_key`] sets another. Not a secret either:
/// receivers under test are configured with it to verify the emulator's
/// webhooks.
pub const DEFAULT_SIGNALWIRE_SIGNING_KEY: &str = "PSKemulator-signalwire-signing-key";

/// The default Telnyx user id.
pub const DEFAULT_TELNYX_USER_ID: &str = "00000000-e000-4000-8000-00000000a001";
/// The default Telnyx API v2 key. Not a secret: it only opens the emulator.
pub const DEFAULT_TELNYX_API_KEY: &str = "KEYemulator-telnyx-api-key";

impl TelnyxAccount {
    /// An account and its API key.
    pub fn new(user_id: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            api_key: SecretString::from(api_key.into()),
        }
    }

    /// The default test account: [`DEFAULT_TELNYX_USER_ID`] with
    /// [`DEFAULT_TELNYX_API_KEY`].
    pub fn default_test() -> Self {
        Self::new(DEFAULT_TELNYX_USER_ID, DEFAULT_TELNYX_API_KEY)
    }

    pub(crate) fn key_is_empty(&self) -> bool {
        self.api_key.expose_secret().is_empty()
    }

    /// Whether two accounts share a key (which would open both).
    pub(crate) fn same_key(&self, other: &TelnyxAccount) -> bool {
        secret_matches(&self.api_key, other.api_key.expose_secret())
    }
}

impl fmt::Debug for TelnyxAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelnyxAccount")
            .field("user_id", &self.user_id)
            .field("api_key", &"[redacted]")
            .finish()
    }
}

impl TwilioAccount {
    /// An account with an auth token and no API key.
    pub fn new(account_sid: impl Into<String>, auth_token: impl Into<String>) -> Self {
        Self {
            account_sid: account_sid.into(),
            auth_token: SecretString::from(auth_token.into()),
            api_keys: Vec::new(),
            trial: false,
        }
    }

    /// Adds an API key.
    pub fn api_key(mut self, sid: impl Into<String>, secret: impl Into<String>) -> Self {
        self.api_keys.push(ApiKey {
            sid: sid.into(),
            secret: SecretString::from(secret.into()),
        });
        self
    }

    /// Marks the account as a trial account.
    pub fn trial(mut self, trial: bool) -> Self {
        self.trial = trial;
        self
    }

    /// The default test account: [`DEFAULT_TWILIO_ACCOUNT_SID`] with
    /// [`DEFAULT_TWILIO_AUTH_TOKEN`] and one API key.
    pub fn default_test() -> Self {
        Self::new(DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN)
            .api_key(DEFAULT_TWILIO_API_KEY_SID, DEFAULT_TWILIO_API_KEY_SECRET)
    }
}

impl SignalWireProject {
    /// A project and its token, signing webhooks with
    /// [`DEFAULT_SIGNALWIRE_SIGNING_KEY`].
    pub fn new(project_id: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            project_id: project_id.into(),
            token: SecretString::from(token.into()),
            signing_key: SecretString::from(DEFAULT_SIGNALWIRE_SIGNING_KEY.to_string()),
        }
    }

    /// Replaces the signing key, as resetting it in the dashboard does.
    pub fn signing_key(mut self, key: impl Into<String>) -> Self {
        self.signing_key = SecretString::from(key.into());
        self
    }

    /// The default test project.
    pub fn default_test() -> Self {
        Self::new(DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_TOKEN)
    }
}

impl fmt::Debug for TwilioAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioAccount")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"[redacted]")
            .field("api_keys", &self.api_keys)
            .field("trial", &self.trial)
            .finish()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("sid", &self.sid)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl fmt::Debug for SignalWireProject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalWireProject")
            .field("project_id", &self.project_id)
            .field("token", &"[redacted]")
            .field("signing_key", &"[redacted]")
            .finish()
    }
}

/// Compares a presented secret with the configured one in time that does
/// not depend on where they differ.
pub(crate) fn secret_matches(expected: &SecretString, presented: &str) -> bool {
    let expected = expected.expose_secret().as_bytes();
    let presented = presented.as_bytes();
    let mut diff = expected.len() ^ presented.len();
    for (i, b) in expected.iter().enumerate() {
        diff |= usize::from(b ^ presented.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EmulatorConfig;

    #[test]
    fn debug_never_shows_secrets() {
        let config = EmulatorConfig {
            twilio_accounts: vec![
                TwilioAccount::new(DEFAULT_TWILIO_ACCOUNT_SID, "tok-SECRET-1")
                    .api_key(DEFAULT_TWILIO_API_KEY_SID, "key-SECRET-2"),
            ],
            signalwire_projects: vec![
                SignalWireProject::new("p", "sw-SECRET-3").signing_key("swk-SECRET-4"),
            ],
            telnyx_accounts: vec![TelnyxAccount::new("u", "KEY-SECRET-5")],
            ..EmulatorConfig::default()
        };
        let text = format!("{config:?}");
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains(DEFAULT_TWILIO_ACCOUNT_SID));
    }

    #[test]
    fn secrets_compare_exactly() {
        let s = SecretString::from("abc".to_string());
        assert!(secret_matches(&s, "abc"));
        assert!(!secret_matches(&s, "abd"));
        assert!(!secret_matches(&s, "ab"));
        assert!(!secret_matches(&s, "abcd"));
        assert!(!secret_matches(&s, ""));
    }
}
