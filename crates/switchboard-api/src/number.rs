//! The phone number object of the seed API, the pages of the account's
//! numbers that list them, and the answer to a release, which is the same
//! object plus where the release stands. Every one carries the record's
//! lifecycle `state` after the seed's fields, so that a client can tell a
//! number ordered and not yet delivered (`pending`) from one being given
//! back (`releasing`), which `is_active: false` alone does not.

use serde::{Deserialize, Serialize};
use switchboard_core::{self as core, NumberState, Page, ProvisionedNumber};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::timestamp;

// Named `PhoneNumber` in the document, as the seed's object is; in Rust it is
// the resource, so that it is not confused with core's E.164 `PhoneNumber`.
/// A phone number this account owns: exactly the seed API's object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PhoneNumber, example = json!({
    "id": "a1b2c3d4-5678-9012-3456-789012345678",
    "phone_number": "+16045551234",
    "friendly_name": "Main Line",
    "agent_id": "550e8400-e29b-41d4-a716-446655440000",
    "capabilities": {"voice": true, "sms": true, "mms": true},
    "is_active": true,
    "provider": "signalwire",
    "created_at": "2024-01-15T10:30:00Z",
    "state": "active"
}))]
pub struct NumberResource {
    /// Unique identifier for this phone number.
    pub id: Uuid,
    /// The number, E.164.
    #[schema(pattern = r"^\+[1-9][0-9]{7,14}$", example = "+16045551234")]
    pub phone_number: String,
    /// Display name; the number itself when none was given.
    pub friendly_name: String,
    /// The assigned agent, or `null`.
    #[schema(required = true)]
    pub agent_id: Option<Uuid>,
    /// What the number can carry.
    pub capabilities: Capabilities,
    /// Whether the number is bought and in service (false while a release
    /// is pending and after it).
    pub is_active: bool,
    /// The carrier it was bought from (`signalwire`, `twilio`, `fake`, ...).
    pub provider: String,
    /// When it was provisioned, ISO 8601 UTC to the second.
    #[schema(format = DateTime, example = "2024-01-15T10:30:00Z")]
    pub created_at: String,
    /// Where the number is in its life (not a seed field: the seed's
    /// `is_active` is `true` exactly when this is `active`).
    pub state: LifecycleState,
}

/// Where a number is in its life, as every number object shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleState {
    /// Being bought: the carrier has not answered yet.
    Reserved,
    /// Ordered: the carrier accepted the purchase as an order it has not
    /// completed. Held for the account (nobody else can buy it), not in
    /// service yet; it becomes `active` when the carrier completes the
    /// order, or goes away if the carrier gives up on it.
    Pending,
    /// Bought and in service.
    Active,
    /// Being given back; the carrier has not confirmed it yet.
    Releasing,
    /// Given back.
    Released,
    /// Never bought.
    Failed,
}

impl From<NumberState> for LifecycleState {
    fn from(state: NumberState) -> Self {
        match state {
            NumberState::Reserved => Self::Reserved,
            NumberState::Pending => Self::Pending,
            NumberState::Active => Self::Active,
            NumberState::Releasing => Self::Releasing,
            NumberState::Released => Self::Released,
            NumberState::Failed => Self::Failed,
        }
    }
}

impl From<ProvisionedNumber> for NumberResource {
    fn from(number: ProvisionedNumber) -> Self {
        Self {
            is_active: number.is_active(),
            state: number.state.into(),
            id: number.id,
            phone_number: number.phone_number.as_str().to_string(),
            friendly_name: number.friendly_name,
            agent_id: number.agent_id,
            capabilities: number.capabilities.into(),
            provider: number.provider,
            created_at: timestamp(number.created_at),
        }
    }
}

impl From<&ProvisionedNumber> for NumberResource {
    fn from(number: &ProvisionedNumber) -> Self {
        Self {
            is_active: number.is_active(),
            state: number.state.into(),
            id: number.id,
            phone_number: number.phone_number.as_str().to_string(),
            friendly_name: number.friendly_name.clone(),
            agent_id: number.agent_id,
            capabilities: number.capabilities.into(),
            provider: number.provider.clone(),
            created_at: timestamp(number.created_at),
        }
    }
}

/// What a number can carry. In a search, the capabilities every result must have.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Voice calls.
    #[serde(default)]
    pub voice: bool,
    /// SMS.
    #[serde(default)]
    pub sms: bool,
    /// MMS.
    #[serde(default)]
    pub mms: bool,
    /// Fax; present only when true.
    #[serde(default, skip_serializing_if = "is_false")]
    pub fax: bool,
}

// Leaving a false `fax` out keeps a voice/SMS/MMS number's object exactly the
// seed's, which has no `fax`.
fn is_false(value: &bool) -> bool {
    !*value
}

impl From<core::Capabilities> for Capabilities {
    fn from(c: core::Capabilities) -> Self {
        Self {
            voice: c.voice,
            sms: c.sms,
            mms: c.mms,
            fax: c.fax,
        }
    }
}

impl From<Capabilities> for core::Capabilities {
    fn from(c: Capabilities) -> Self {
        Self {
            voice: c.voice,
            sms: c.sms,
            mms: c.mms,
            fax: c.fax,
        }
    }
}

/// One page of the account's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberList {
    /// The numbers, oldest first.
    pub data: Vec<NumberResource>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl From<Page<ProvisionedNumber>> for NumberList {
    fn from(page: Page<ProvisionedNumber>) -> Self {
        Self {
            data: page.items.into_iter().map(NumberResource::from).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

/// A number after a release request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleasedNumber {
    /// Unique identifier for this phone number.
    pub id: Uuid,
    /// The number, E.164.
    pub phone_number: String,
    /// Display name.
    pub friendly_name: String,
    /// The assigned agent, or `null`.
    #[schema(required = true)]
    pub agent_id: Option<Uuid>,
    /// What the number could carry.
    pub capabilities: Capabilities,
    /// Always false after a release request.
    pub is_active: bool,
    /// The carrier it was bought from.
    pub provider: String,
    /// When it was provisioned.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Where the number is in its life (`released` or `releasing`).
    pub state: LifecycleState,
    /// `released` (HTTP 200): the carrier has it back. `releasing` (HTTP
    /// 202): the carrier refused for now; the release is recorded and retried
    /// later, and the number stays on the account until the carrier takes it.
    pub status: ReleaseStatus,
    /// When the carrier confirmed the release (status `released`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub released_at: Option<String>,
    /// The earliest time the carrier accepts the release, when it said
    /// (status `releasing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub release_not_before: Option<String>,
}

impl From<ProvisionedNumber> for ReleasedNumber {
    /// Any state but `released` reads as pending: the service answers a
    /// release with the record either released or still releasing.
    fn from(number: ProvisionedNumber) -> Self {
        let status = match number.state {
            NumberState::Released => ReleaseStatus::Released,
            _ => ReleaseStatus::Releasing,
        };
        let released_at = number.released_at.map(timestamp);
        let release_not_before = number.release_not_before.map(timestamp);
        let number = NumberResource::from(number);
        Self {
            id: number.id,
            phone_number: number.phone_number,
            friendly_name: number.friendly_name,
            agent_id: number.agent_id,
            capabilities: number.capabilities,
            is_active: number.is_active,
            provider: number.provider,
            created_at: number.created_at,
            state: number.state,
            status,
            released_at,
            release_not_before,
        }
    }
}

/// Where a release stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseStatus {
    /// Done.
    Released,
    /// Pending at the carrier.
    Releasing,
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;
    use switchboard_core::{AccountId, PhoneNumber, Routing};

    use super::*;

    pub(crate) fn number(agent: Option<Uuid>, fax: bool) -> ProvisionedNumber {
        ProvisionedNumber {
            id: "a1b2c3d4-5678-9012-3456-789012345678".parse().unwrap(),
            account: AccountId::parse("acme").unwrap(),
            phone_number: PhoneNumber::parse("+16045551234").unwrap(),
            friendly_name: "Main Line".into(),
            agent_id: agent,
            capabilities: core::Capabilities {
                fax,
                ..core::Capabilities::VOICE_SMS_MMS
            },
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
            order: None,
        }
    }

    #[test]
    fn a_provisioned_number_serialises_exactly_as_the_seed_response() {
        let agent = "550e8400-e29b-41d4-a716-446655440000".parse().unwrap();
        let record = number(Some(agent), false);
        let text = serde_json::to_string(&NumberResource::from(&record)).unwrap();
        // The seed page's object, field for field and in its order.
        assert_eq!(
            text,
            concat!(
                r#"{"id":"a1b2c3d4-5678-9012-3456-789012345678","phone_number":"+16045551234","#,
                r#""friendly_name":"Main Line","agent_id":"550e8400-e29b-41d4-a716-446655440000","#,
                r#""capabilities":{"voice":true,"sms":true,"mms":true},"is_active":true,"#,
                r#""provider":"signalwire","created_at":"2024-01-15T10:30:00Z","state":"active"}"#
            )
        );
        assert_eq!(
            serde_json::to_string(&NumberResource::from(record)).unwrap(),
            text
        );
        let back: NumberResource = serde_json::from_str(&text).unwrap();
        assert_eq!(back.id, number(None, false).id);
    }

    #[test]
    fn every_state_is_shown_by_its_name_and_only_active_is_active() {
        for state in NumberState::ALL {
            let mut record = number(None, false);
            record.state = state;
            let json = serde_json::to_value(NumberResource::from(&record)).unwrap();
            assert_eq!(json["state"], state.as_str(), "{json}");
            assert_eq!(json["is_active"], state == NumberState::Active, "{json}");
        }
    }

    #[test]
    fn an_unassigned_number_shows_a_null_agent_and_fax_only_when_it_has_it() {
        let json = serde_json::to_value(NumberResource::from(number(None, true))).unwrap();
        assert!(json["agent_id"].is_null(), "{json}");
        assert_eq!(
            json["capabilities"],
            json!({"voice": true, "sms": true, "mms": true, "fax": true})
        );
    }

    #[test]
    fn a_release_answer_says_where_the_release_stands() {
        let at = Utc.with_ymd_and_hms(2024, 1, 16, 0, 0, 0).unwrap();
        let mut releasing = number(None, false);
        releasing.state = NumberState::Releasing;
        releasing.release_not_before = Some(at);
        let pending = serde_json::to_value(ReleasedNumber::from(releasing)).unwrap();
        assert_eq!(pending["status"], "releasing");
        assert_eq!(pending["is_active"], false);
        assert_eq!(pending["state"], "releasing");
        assert_eq!(pending["release_not_before"], "2024-01-16T00:00:00Z");
        assert!(pending.get("released_at").is_none(), "{pending}");

        let mut released = number(None, false);
        released.state = NumberState::Released;
        released.released_at = Some(at);
        let text = serde_json::to_string(&ReleasedNumber::from(released.clone())).unwrap();
        let done: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(done["status"], "released");
        assert_eq!(done["released_at"], "2024-01-16T00:00:00Z");
        // The seed object's fields first, in its order, then the release's.
        let seed = serde_json::to_string(&NumberResource::from(released)).unwrap();
        let fields = seed.trim_end_matches('}');
        assert!(text.starts_with(fields), "{text}");
        assert_eq!(
            &text[fields.len()..],
            r#","status":"released","released_at":"2024-01-16T00:00:00Z"}"#
        );
    }
}
