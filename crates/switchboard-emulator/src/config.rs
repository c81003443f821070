//! What an emulator serves and how it misbehaves, as plain data: the builder,
//! a CLI and the control endpoint all speak these types, so a fault set in a
//! test and a fault set over HTTP are the same value.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::credentials::{SignalWireProject, TelnyxAccount, TwilioAccount};

/// Which wire protocols a server answers. One server can serve all three:
/// their paths never overlap (`/2010-04-01/...`, `/api/relay/rest/...` and
/// `/v2/...`), and they sell from one inventory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Carriers {
    /// Twilio REST API 2010-04-01 only.
    Twilio,
    /// SignalWire REST (`/api/relay/rest`) only.
    #[serde(alias = "signal_wire")]
    SignalWire,
    /// Telnyx API v2 (`/v2`) only.
    Telnyx,
    /// Twilio and SignalWire, sharing one inventory: a number bought
    /// through one protocol is unavailable through the other.
    Both,
    /// Twilio, SignalWire and Telnyx, sharing one inventory.
    #[default]
    All,
}

impl Carriers {
    /// Whether the Twilio protocol is served.
    pub fn twilio(&self) -> bool {
        matches!(self, Carriers::Twilio | Carriers::Both | Carriers::All)
    }

    /// Whether the SignalWire protocol is served.
    pub fn signalwire(&self) -> bool {
        matches!(self, Carriers::SignalWire | Carriers::Both | Carriers::All)
    }

    /// Whether the Telnyx protocol is served.
    pub fn telnyx(&self) -> bool {
        matches!(self, Carriers::Telnyx | Carriers::All)
    }
}

impl std::str::FromStr for Carriers {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "twilio" => Ok(Carriers::Twilio),
            "signalwire" => Ok(Carriers::SignalWire),
            "telnyx" => Ok(Carriers::Telnyx),
            "both" => Ok(Carriers::Both),
            "all" => Ok(Carriers::All),
            other => Err(format!(
                "unknown carrier {other:?}: expected twilio, signalwire, telnyx, both or all"
            )),
        }
    }
}

/// How closely answers follow the carriers' published descriptions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Answer the way the live services are reported to
    /// (docs/carriers/twilio.md, docs/carriers/signalwire.md): Twilio's upper-case `SMS`/`MMS` keys, string coordinates,
    /// `""` for unset fields, short searches; SignalWire's `e164` search shape
    /// and `""` strings. Adapters meet this in production.
    #[default]
    Live,
    /// Answer exactly the shapes of the OpenAPI documents, and refuse
    /// parameters they do not declare.
    Strict,
}

/// The carrier operations, as faults and the request log name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Search available numbers.
    Search,
    /// Buy a number.
    Purchase,
    /// List owned numbers.
    List,
    /// Fetch one owned number.
    Fetch,
    /// Update an owned number.
    Update,
    /// Release an owned number.
    Release,
}

impl Operation {
    /// Whether the operation changes carrier state (and so can "commit then
    /// time out").
    pub fn mutates(&self) -> bool {
        matches!(
            self,
            Operation::Purchase | Operation::Update | Operation::Release
        )
    }
}

/// Added latency, drawn uniformly from `min_ms..=max_ms` by the fault seed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    /// Shortest delay, milliseconds.
    pub min_ms: u64,
    /// Longest delay, milliseconds (equal to `min_ms` for a fixed delay).
    pub max_ms: u64,
}

/// What happens to a mutating request's answer after the change is made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterCommit {
    /// Keep the connection open, silent, for `hold_ms`, then close it.
    #[default]
    Hang,
    /// Close the connection at once without answering.
    Drop,
}

/// "The purchase happened but the answer never arrived."
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommitThenTimeout {
    /// Hang or drop.
    pub mode: AfterCommit,
    /// How long a hung connection stays open, milliseconds (default five
    /// minutes: longer than any sensible client timeout).
    pub hold_ms: u64,
    /// Fraction of matching mutating requests affected, 0 to 1 (default 1).
    pub rate: f64,
}

impl Default for CommitThenTimeout {
    fn default() -> Self {
        Self {
            mode: AfterCommit::Hang,
            hold_ms: 300_000,
            rate: 1.0,
        }
    }
}

/// Faults and limits. Every random choice is drawn from `seed` and the
/// request's sequence number, so a run with the same requests in the same
/// order misbehaves the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Delay before each matching request is handled.
    pub latency: Option<Latency>,
    /// Most requests one account may have in flight; more answer 429
    /// (Twilio code 20429 and SignalWire with `Retry-After`; Telnyx code
    /// 10011 with `x-ratelimit-limit`/`-remaining`/`-reset`). Applies to
    /// every operation.
    pub max_in_flight: Option<u32>,
    /// The seconds to wait sent with a 429: `Retry-After` (Twilio,
    /// SignalWire) or `x-ratelimit-reset` (Telnyx).
    pub retry_after_secs: u32,
    /// Fraction of matching requests answered with `error_status` before
    /// they take effect, 0 to 1.
    pub error_rate: f64,
    /// The 5xx status used by `error_rate` (500, 502, 503 or 504).
    pub error_status: u16,
    /// Fraction of matching requests whose connection is closed without an
    /// answer before they take effect, 0 to 1.
    pub drop_rate: f64,
    /// Mutating requests take effect, then the answer is lost.
    pub commit_then_timeout: Option<CommitThenTimeout>,
    /// Owned-number listings that do not filter by number leave out the
    /// numbers bought less than this many milliseconds ago, as a carrier
    /// whose list is served from a lagging replica does. A lookup by number
    /// (Twilio `PhoneNumber=`, SignalWire `filter_number`, Telnyx
    /// `filter[phone_number]`) is never lagged:
    /// that is how a client confirms what a listing leaves out. Not limited
    /// by `operations`.
    pub listing_lag_ms: Option<u64>,
    /// The operations latency, errors, drops and commit-then-timeout apply
    /// to; empty means all.
    pub operations: Vec<Operation>,
    /// Seed of the random choices.
    pub seed: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency: None,
            max_in_flight: None,
            retry_after_secs: 1,
            error_rate: 0.0,
            error_status: 500,
            drop_rate: 0.0,
            commit_then_timeout: None,
            listing_lag_ms: None,
            operations: Vec::new(),
            seed: 0x5EED,
        }
    }
}

impl Faults {
    /// Checks ranges; the message names the field at fault.
    pub fn validate(&self) -> Result<(), String> {
        let rate = |name: &str, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(format!("{name} must be between 0 and 1, got {value}"))
            }
        };
        rate("error_rate", self.error_rate)?;
        rate("drop_rate", self.drop_rate)?;
        if let Some(commit) = &self.commit_then_timeout {
            rate("commit_then_timeout.rate", commit.rate)?;
        }
        if let Some(latency) = &self.latency
            && latency.min_ms > latency.max_ms
        {
            return Err(format!(
                "latency.min_ms ({}) is above latency.max_ms ({})",
                latency.min_ms, latency.max_ms
            ));
        }
        if !(500..=599).contains(&self.error_status) {
            return Err(format!(
                "error_status must be a 5xx status, got {}",
                self.error_status
            ));
        }
        if self.max_in_flight == Some(0) {
            return Err("max_in_flight must be at least 1".into());
        }
        Ok(())
    }

    /// Whether latency, errors, drops and commit faults apply to `operation`.
    pub fn applies_to(&self, operation: Operation) -> bool {
        self.operations.is_empty() || self.operations.contains(&operation)
    }
}

/// Behaviour switches that can change while the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviour {
    /// Live quirks or strict OpenAPI shapes.
    pub mode: Mode,
    /// SignalWire refuses to release a number this many seconds after its
    /// purchase (live: about two weeks). `None`: no cooldown.
    pub signalwire_release_cooldown_secs: Option<u64>,
    /// Most results one Twilio search returns in live mode (the live service
    /// gives about 30 and no usable next page).
    pub twilio_live_search_cap: u32,
    /// How a Telnyx number order created from now on settles. An order's
    /// outcome is fixed when it is created; changing this later does not
    /// touch orders already placed.
    pub telnyx_order_outcome: TelnyxOrderOutcome,
    /// How long a Telnyx order stays `pending` before it completes or
    /// fails, milliseconds. Telnyx states no typical time ("should
    /// activate momentarily"), so the default is short:
    /// [`DEFAULT_TELNYX_ORDER_DELAY_MS`].
    pub telnyx_order_delay_ms: u64,
}

/// The default time a Telnyx order stays pending: long enough that a
/// client sees `pending` answered to its purchase and settles it by
/// asking again, short enough for tests.
pub const DEFAULT_TELNYX_ORDER_DELAY_MS: u64 = 50;

/// How a Telnyx number order settles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TelnyxOrderOutcome {
    /// After the delay the order and its numbers reach `success` and the
    /// numbers become `active`.
    #[default]
    Complete,
    /// After the delay the order and its numbers reach `failure` and the
    /// numbers are for sale again.
    Fail,
    /// The order stays `pending` with `requirements_met: false` and a
    /// regulatory requirement per number, until it is settled through
    /// `EmulatorHandle::settle_telnyx_order` or the control endpoint.
    AwaitRequirements,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            mode: Mode::Live,
            signalwire_release_cooldown_secs: None,
            twilio_live_search_cap: 30,
            telnyx_order_outcome: TelnyxOrderOutcome::Complete,
            telnyx_order_delay_ms: DEFAULT_TELNYX_ORDER_DELAY_MS,
        }
    }
}

/// Everything a server starts with.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Which protocols are served.
    pub carriers: Carriers,
    /// Twilio accounts.
    pub twilio_accounts: Vec<TwilioAccount>,
    /// SignalWire projects.
    pub signalwire_projects: Vec<SignalWireProject>,
    /// Telnyx accounts (an API v2 key each).
    pub telnyx_accounts: Vec<TelnyxAccount>,
    /// Seed of the numbers for sale (`switchboard_fake::Inventory`).
    pub inventory_seed: u64,
    /// How many numbers are for sale.
    pub inventory_size: usize,
    /// Seed of the SIDs and ids the emulator hands out.
    pub id_seed: u64,
    /// Initial behaviour switches.
    pub behaviour: Behaviour,
    /// Initial faults.
    pub faults: Faults,
    /// Most entries the request log keeps (oldest dropped first); the log
    /// of inbound deliveries keeps as many.
    pub request_log_capacity: usize,
    /// How long an inbound webhook may take to answer before the delivery
    /// is recorded as unanswered. Twilio gives a voice webhook about 15
    /// seconds, so that is the default.
    pub webhook_timeout: Duration,
}

/// Twilio's wait for a voice webhook's answer (docs/carriers/twilio.md).
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(15);

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            carriers: Carriers::All,
            twilio_accounts: vec![TwilioAccount::default_test()],
            signalwire_projects: vec![SignalWireProject::default_test()],
            telnyx_accounts: vec![TelnyxAccount::default_test()],
            inventory_seed: switchboard_fake::DEFAULT_SEED,
            inventory_size: switchboard_fake::DEFAULT_INVENTORY_SIZE,
            id_seed: 1,
            behaviour: Behaviour::default(),
            faults: Faults::default(),
            request_log_capacity: 100_000,
            webhook_timeout: DEFAULT_WEBHOOK_TIMEOUT,
        }
    }
}

impl EmulatorConfig {
    /// Checks the accounts and faults; the message names what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        for account in &self.twilio_accounts {
            if !is_sid(&account.account_sid, "AC") {
                return Err(format!(
                    "twilio account_sid {:?} is not AC followed by 32 hex digits",
                    account.account_sid
                ));
            }
            for key in &account.api_keys {
                if !is_sid(&key.sid, "SK") {
                    return Err(format!(
                        "twilio API key {:?} is not SK followed by 32 hex digits",
                        key.sid
                    ));
                }
            }
        }
        for project in &self.signalwire_projects {
            if project.project_id.is_empty() || project.project_id.contains(':') {
                return Err(format!(
                    "signalwire project id {:?} must be non-empty and without ':'",
                    project.project_id
                ));
            }
        }
        let mut telnyx_users = std::collections::HashSet::new();
        for account in &self.telnyx_accounts {
            if account.user_id.trim().is_empty() {
                return Err("telnyx user_id must be non-empty".into());
            }
            if !telnyx_users.insert(account.user_id.as_str()) {
                return Err(format!(
                    "telnyx user_id {:?} is configured twice",
                    account.user_id
                ));
            }
            if account.key_is_empty() {
                return Err(format!(
                    "telnyx account {:?} has an empty API key",
                    account.user_id
                ));
            }
        }
        for (i, a) in self.telnyx_accounts.iter().enumerate() {
            if let Some(b) = self.telnyx_accounts[i + 1..].iter().find(|b| b.same_key(a)) {
                return Err(format!(
                    "telnyx accounts {:?} and {:?} have the same API key",
                    a.user_id, b.user_id
                ));
            }
        }
        if self.webhook_timeout.is_zero() {
            return Err("webhook_timeout must be above zero".into());
        }
        self.faults.validate()
    }

    /// The cooldown as a duration.
    pub fn release_cooldown(&self) -> Option<Duration> {
        self.behaviour
            .signalwire_release_cooldown_secs
            .map(Duration::from_secs)
    }
}

/// Whether `value` is `prefix` followed by 32 hex digits.
pub(crate) fn is_sid(value: &str, prefix: &str) -> bool {
    value.len() == 34
        && value.starts_with(prefix)
        && value[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_are_named() {
        let faults = Faults {
            error_rate: 1.5,
            ..Faults::default()
        };
        assert!(faults.validate().unwrap_err().contains("error_rate"));
        let faults = Faults {
            latency: Some(Latency {
                min_ms: 5,
                max_ms: 1,
            }),
            ..Faults::default()
        };
        assert!(faults.validate().unwrap_err().contains("latency"));
        let config = EmulatorConfig {
            twilio_accounts: vec![TwilioAccount::new("AC12", "t")],
            ..EmulatorConfig::default()
        };
        assert!(config.validate().unwrap_err().contains("account_sid"));
        assert!(EmulatorConfig::default().validate().is_ok());
        assert!(
            serde_json::from_str::<Faults>(r#"{"eror_rate":1}"#)
                .unwrap_err()
                .to_string()
                .contains("eror_rate")
        );
        assert_eq!("SignalWire".parse::<Carriers>(), Ok(Carriers::SignalWire));
        assert_eq!("telnyx".parse::<Carriers>(), Ok(Carriers::Telnyx));
        assert!(Carriers::All.telnyx() && Carriers::All.twilio() && !Carriers::Both.telnyx());
        let config = EmulatorConfig {
            telnyx_accounts: vec![TelnyxAccount::new("u", "")],
            ..EmulatorConfig::default()
        };
        assert!(config.validate().unwrap_err().contains("API key"));
        let config = EmulatorConfig {
            telnyx_accounts: vec![
                TelnyxAccount::new("u1", "KEY-SECRET"),
                TelnyxAccount::new("u2", "KEY-SECRET"),
            ],
            ..EmulatorConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert!(
            err.contains("same API key") && !err.contains("SECRET"),
            "{err}"
        );
        assert!("nope".parse::<Carriers>().is_err());
    }
}
