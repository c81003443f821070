//! The numbers this system owns: the record it keeps, and the JSON the seed
//! API shows for it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::{Capabilities, PhoneNumber, Routing};

/// The account that owns numbers. Every bearer token belongs to one, and one
/// account never sees another's numbers.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(Box<str>);

impl AccountId {
    /// The longest account name accepted.
    pub const MAX_LEN: usize = 64;

    /// Parses 1 to 64 characters of `A-Z a-z 0-9 . _ -`.
    pub fn parse(input: &str) -> Result<Self, String> {
        if input.is_empty() || input.len() > Self::MAX_LEN {
            return Err(format!("must be 1 to {} characters", Self::MAX_LEN));
        }
        if let Some(bad) = input
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            return Err(format!(
                "may hold only letters, digits, '.', '_' and '-', found {bad:?}"
            ));
        }
        Ok(Self(input.into()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for AccountId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        AccountId::parse(&text).map_err(|e| serde::de::Error::custom(format!("account {e}")))
    }
}

/// Where a number is in its life. `Reserved`, `Active` and `Releasing` are
/// *live*: at most one live record may exist per phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberState {
    /// Recorded before the carrier is asked to sell it, so that two requests
    /// can never both buy it. If the process dies here, `reconcile` settles it.
    Reserved,
    /// Bought and recorded.
    Active,
    /// Release asked for; the carrier has not confirmed it yet.
    Releasing,
    /// Given back to the carrier.
    Released,
    /// The purchase did not happen.
    Failed,
}

impl NumberState {
    /// The states that hold the phone number.
    pub const LIVE: [NumberState; 3] = [
        NumberState::Reserved,
        NumberState::Active,
        NumberState::Releasing,
    ];

    /// Whether this state holds the phone number.
    pub fn is_live(&self) -> bool {
        Self::LIVE.contains(self)
    }

    /// The name used in JSON and in the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            NumberState::Reserved => "reserved",
            NumberState::Active => "active",
            NumberState::Releasing => "releasing",
            NumberState::Released => "released",
            NumberState::Failed => "failed",
        }
    }

    /// Parses the name from [`NumberState::as_str`].
    pub fn parse(input: &str) -> Option<Self> {
        Some(match input {
            "reserved" => NumberState::Reserved,
            "active" => NumberState::Active,
            "releasing" => NumberState::Releasing,
            "released" => NumberState::Released,
            "failed" => NumberState::Failed,
            _ => return None,
        })
    }
}

/// Everything this system records about a number it bought (or is buying).
///
/// Its JSON form is exactly the seed API's response object; see
/// [`NumberResource`]. The other fields are for the system itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedNumber {
    /// Our id for the number (the seed's `id`).
    pub id: Uuid,
    /// The owning account.
    pub account: AccountId,
    /// The number.
    pub phone_number: PhoneNumber,
    /// Display name; the E.164 number when none was given.
    pub friendly_name: String,
    /// The agent that answers the number.
    pub agent_id: Option<Uuid>,
    /// What the number can do.
    pub capabilities: Capabilities,
    /// The carrier it was bought from; it is managed there for its whole life.
    pub provider: String,
    /// The carrier's own id for the number (Twilio `PN...`, SignalWire UUID);
    /// `None` until the purchase is confirmed.
    pub carrier_id: Option<String>,
    /// Webhooks set at the carrier.
    pub routing: Routing,
    /// Where it is in its life.
    pub state: NumberState,
    /// The key of the request that bought it, unique per account.
    pub idempotency_key: Option<String>,
    /// When it was reserved.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was released.
    pub released_at: Option<DateTime<Utc>>,
    /// For a pending release: the earliest time the carrier will accept it.
    pub release_not_before: Option<DateTime<Utc>>,
    /// The version this copy was read at. Every write names it and the
    /// store refuses the write ([`crate::Error::Stale`]) if the stored
    /// record has moved on, then stores the record with the next version.
    /// New records start at 1.
    pub version: u64,
    /// For a reservation: until when the request holding it is known to be
    /// alive. The request renews it while the carrier works; `reconcile`
    /// takes a reservation only after it has lapsed. A stored deadline
    /// rather than an age, so processes with different clocks compare one
    /// value (they still need clocks within a fraction of the lease).
    pub lease_until: Option<DateTime<Utc>>,
    /// When the carrier confirmed the purchase. Carriers may deny a number
    /// they sold moments ago (Twilio's live behaviour 7), so a "not found"
    /// this soon after is not taken as proof that it is gone.
    pub purchased_at: Option<DateTime<Utc>>,
    /// With an idempotency key: the request that first used it, in the form
    /// of [`crate::ProvisionRequest::fingerprint`], so a later request under
    /// the same key can be told apart field by field.
    pub request_fingerprint: Option<String>,
}

impl ProvisionedNumber {
    /// Whether the number is bought and in service (the seed's `is_active`).
    pub fn is_active(&self) -> bool {
        self.state == NumberState::Active
    }

    /// The seed API's view of this record.
    pub fn to_resource(&self) -> NumberResource {
        NumberResource {
            id: self.id,
            phone_number: self.phone_number.clone(),
            friendly_name: self.friendly_name.clone(),
            agent_id: self.agent_id,
            capabilities: self.capabilities,
            is_active: self.is_active(),
            provider: self.provider.clone(),
            created_at: self.created_at,
        }
    }
}

impl Serialize for ProvisionedNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_resource().serialize(serializer)
    }
}

/// The phone number object of the seed API, field for field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberResource {
    /// Unique identifier (UUID).
    pub id: Uuid,
    /// E.164 number.
    pub phone_number: PhoneNumber,
    /// Display name.
    pub friendly_name: String,
    /// Assigned agent, if any (`null` otherwise).
    pub agent_id: Option<Uuid>,
    /// `voice`, `sms`, `mms` booleans.
    pub capabilities: Capabilities,
    /// Whether the number is active.
    pub is_active: bool,
    /// The carrier it was bought from.
    pub provider: String,
    /// When it was provisioned, ISO 8601 to the second (`2024-01-15T10:30:00Z`).
    #[serde(with = "seed_timestamp")]
    pub created_at: DateTime<Utc>,
}

/// Timestamps as the seed shows them: UTC, whole seconds, a `Z` suffix.
pub mod seed_timestamp {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `2024-01-15T10:30:00Z`.
    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    /// Reads any RFC 3339 timestamp.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_provisioned_number_serialises_exactly_as_the_seed_response() {
        let number = ProvisionedNumber {
            id: "a1b2c3d4-5678-9012-3456-789012345678".parse().unwrap(),
            account: AccountId::parse("acme").unwrap(),
            phone_number: PhoneNumber::parse("+16045551234").unwrap(),
            friendly_name: "Main Line".into(),
            agent_id: Some("550e8400-e29b-41d4-a716-446655440000".parse().unwrap()),
            capabilities: Capabilities::VOICE_SMS_MMS,
            provider: "signalwire".into(),
            carrier_id: Some("c0ffee".into()),
            routing: Routing::default(),
            state: NumberState::Active,
            idempotency_key: Some("k1".into()),
            created_at: Utc.with_ymd_and_hms(2024, 1, 15, 10, 30, 0).unwrap()
                + chrono::Duration::milliseconds(123),
            updated_at: Utc::now(),
            released_at: None,
            release_not_before: None,
            version: 3,
            lease_until: None,
            purchased_at: None,
            request_fingerprint: None,
        };
        let json = serde_json::to_value(&number).unwrap();
        let seed: serde_json::Value = serde_json::from_str(
            r#"{
              "id": "a1b2c3d4-5678-9012-3456-789012345678",
              "phone_number": "+16045551234",
              "friendly_name": "Main Line",
              "agent_id": "550e8400-e29b-41d4-a716-446655440000",
              "capabilities": {"voice": true, "sms": true, "mms": true},
              "is_active": true,
              "provider": "signalwire",
              "created_at": "2024-01-15T10:30:00Z"
            }"#,
        )
        .unwrap();
        assert_eq!(json, seed);
        let back: NumberResource = serde_json::from_value(seed).unwrap();
        assert_eq!(back.id, number.id);
    }

    #[test]
    fn account_names_are_checked() {
        assert!(AccountId::parse("acme-prod_1.eu").is_ok());
        assert!(AccountId::parse("").is_err());
        assert!(AccountId::parse("a b").is_err());
        assert!(AccountId::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn states_round_trip_their_names() {
        for state in [
            NumberState::Reserved,
            NumberState::Active,
            NumberState::Releasing,
            NumberState::Released,
            NumberState::Failed,
        ] {
            assert_eq!(NumberState::parse(state.as_str()), Some(state));
        }
        assert!(NumberState::Releasing.is_live());
        assert!(!NumberState::Released.is_live());
    }
}
