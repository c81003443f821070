//! The numbers this system owns: the record it keeps and the states of its
//! life. (The JSON the seed API shows for a record is `switchboard-api`'s.)

use std::fmt;

use chrono::{DateTime, Utc};
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

/// Where a number is in its life. `Reserved`, `Pending`, `Active` and
/// `Releasing` are *live*: at most one live record may exist per phone
/// number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberState {
    /// Recorded before the carrier is asked to sell it, so that two requests
    /// can never both buy it. If the process dies here, `reconcile` settles it.
    Reserved,
    /// The carrier accepted the purchase as an order it completes later
    /// ([`ProvisionedNumber::order`] names it). Live, so the number is
    /// never bought again while the order is open, and listed, so the
    /// account sees what it asked for; not active until the order
    /// completes. Settled by asking the carrier about the order, by the
    /// request that made it, the service's settler, or `reconcile`.
    Pending,
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
    pub const LIVE: [NumberState; 4] = [
        NumberState::Reserved,
        NumberState::Pending,
        NumberState::Active,
        NumberState::Releasing,
    ];

    /// The states an account's listing shows unless asked otherwise: the
    /// numbers ordered and not yet delivered, those in service and those
    /// being given back.
    pub const LISTED: [NumberState; 3] = [
        NumberState::Pending,
        NumberState::Active,
        NumberState::Releasing,
    ];

    /// The states a listing shows when asked for released numbers too.
    pub const LISTED_WITH_RELEASED: [NumberState; 4] = [
        NumberState::Pending,
        NumberState::Active,
        NumberState::Releasing,
        NumberState::Released,
    ];

    /// Every state, for code that must handle each (storage, tests).
    pub const ALL: [NumberState; 6] = [
        NumberState::Reserved,
        NumberState::Pending,
        NumberState::Active,
        NumberState::Releasing,
        NumberState::Released,
        NumberState::Failed,
    ];

    /// Whether this state holds the phone number.
    pub fn is_live(&self) -> bool {
        Self::LIVE.contains(self)
    }

    /// The name used in the database and in logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            NumberState::Reserved => "reserved",
            NumberState::Pending => "pending",
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
            "pending" => NumberState::Pending,
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
/// The seed API shows a few of these fields (`switchboard-api`'s
/// `NumberResource`); the others are for the system itself.
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
    /// The carrier's order, when the purchase was accepted as one: open
    /// while the record is `Pending`, kept afterwards as the history of how
    /// the number was bought (or why it was not).
    pub order: Option<CarrierOrder>,
}

/// A carrier's order for a number, as the record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CarrierOrder {
    /// The carrier's reference ([`crate::PendingOrder::order_id`]).
    pub id: String,
    /// What the carrier said it waits for (regulatory documents, in its
    /// words), when it last said; empty while it just processes the order.
    pub missing: Vec<String>,
}

impl ProvisionedNumber {
    /// Whether the number is bought and in service (the seed's `is_active`).
    pub fn is_active(&self) -> bool {
        self.state == NumberState::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_are_checked() {
        assert!(AccountId::parse("acme-prod_1.eu").is_ok());
        assert!(AccountId::parse("").is_err());
        assert!(AccountId::parse("a b").is_err());
        assert!(AccountId::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn states_round_trip_their_names() {
        for state in NumberState::ALL {
            assert_eq!(NumberState::parse(state.as_str()), Some(state));
        }
        assert!(NumberState::Releasing.is_live());
        assert!(NumberState::Pending.is_live());
        assert!(NumberState::LISTED.contains(&NumberState::Pending));
        assert!(!NumberState::Released.is_live());
    }
}
