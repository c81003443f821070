//! The record of what this system owns: the trait every store implements.

use std::fmt::Debug;

use async_trait::async_trait;
use uuid::Uuid;

use crate::{AccountId, NumberState, Page, PageRequest, PhoneNumber, ProvisionedNumber, Result};

/// Which records a listing returns. Every set field must match; `states`
/// empty means any state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberFilter {
    /// Only this account's numbers.
    pub account: Option<AccountId>,
    /// Only numbers answered by this agent.
    pub agent_id: Option<Uuid>,
    /// Only numbers bought from this carrier.
    pub provider: Option<String>,
    /// Only numbers in one of these states.
    pub states: Vec<NumberState>,
}

impl NumberFilter {
    /// Every record of `account`.
    pub fn account(account: AccountId) -> Self {
        Self {
            account: Some(account),
            ..Self::default()
        }
    }

    /// Restricts to `states`.
    pub fn in_states(mut self, states: &[NumberState]) -> Self {
        self.states = states.to_vec();
        self
    }

    /// Whether `number` passes the filter.
    pub fn matches(&self, number: &ProvisionedNumber) -> bool {
        self.account.as_ref().is_none_or(|a| *a == number.account)
            && self.agent_id.is_none_or(|a| number.agent_id == Some(a))
            && self.provider.as_ref().is_none_or(|p| *p == number.provider)
            && (self.states.is_empty() || self.states.contains(&number.state))
    }
}

/// How many reads a read cache answered from memory and how many went to
/// the store, since the repository was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCacheCounts {
    /// Answered from memory.
    pub hits: u64,
    /// Went to the store.
    pub misses: u64,
}

/// Durable storage of [`ProvisionedNumber`] records.
///
/// The store itself enforces the invariants that must hold across processes:
/// at most one live record (see [`NumberState::is_live`]) per phone number,
/// and idempotency keys unique per account. Listings are ordered by `id`
/// (time-ordered UUIDs), and the cursor is the last id of the page.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait NumberRepository: Send + Sync + Debug {
    /// Stores a new record. [`crate::Error::AlreadyProvisioned`] if a live
    /// record holds the same phone number; [`crate::Error::Conflict`] if the
    /// account already used the idempotency key. Nothing is stored then.
    async fn insert(&self, number: &ProvisionedNumber) -> Result<()>;

    /// The record with this id, whatever its account or state.
    async fn get(&self, id: Uuid) -> Result<Option<ProvisionedNumber>>;

    /// The live record holding this phone number. The hot path: an inbound
    /// call asks which agent answers the number.
    async fn find_by_phone_number(
        &self,
        phone_number: &PhoneNumber,
    ) -> Result<Option<ProvisionedNumber>>;

    /// The record an account created with this idempotency key.
    async fn find_by_idempotency_key(
        &self,
        account: &AccountId,
        key: &str,
    ) -> Result<Option<ProvisionedNumber>>;

    /// One page of records matching `filter`, ordered by id.
    async fn list(
        &self,
        filter: &NumberFilter,
        page: &PageRequest,
    ) -> Result<Page<ProvisionedNumber>>;

    /// Writes `number` over the stored record with the same id, if and only
    /// if the stored record is still at `number.version` (compare-and-swap),
    /// and returns it as stored, at the next version. Identity fields
    /// (account, phone number, provider, creation time) never change: the
    /// stored ones are kept.
    ///
    /// [`crate::Error::Stale`] when another write came first (nothing is
    /// written; read again and decide again), [`crate::Error::NotFound`] if
    /// there is no such record, [`crate::Error::AlreadyProvisioned`] if the
    /// change would make a second live record of the phone number.
    async fn update(&self, number: &ProvisionedNumber) -> Result<ProvisionedNumber>;

    /// How the repository's read cache has answered so far, if it has one:
    /// for metrics, read when they are scraped. `None` (the default) for a
    /// repository that answers every read from its store.
    fn read_cache_counts(&self) -> Option<ReadCacheCounts> {
        None
    }
}
