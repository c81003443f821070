//! What a bulk purchase asks for, and the limits on asking: the one part of
//! the bulk a caller builds, kept apart from how the purchase is carried out
//! so the request, its validation and the per-position keys and names can
//! be read (and changed) without the worker loop around them.

use uuid::Uuid;

use crate::{
    Error, MAX_FRIENDLY_NAME_LEN, MAX_IDEMPOTENCY_KEY_LEN, MAX_SEARCH_LIMIT, Result, Routing,
    SearchQuery, validate_friendly_name,
};

/// The most numbers one bulk request may buy.
pub const MAX_BULK_COUNT: u32 = 1000;
/// The highest `max_concurrency` accepted.
pub const MAX_BULK_CONCURRENCY: u32 = 64;
/// Carrier calls in flight at most when a request does not say.
pub const DEFAULT_BULK_CONCURRENCY: u32 = 8;

/// Room left in a key or name for the `-1000` / ` 1000` suffix.
const SUFFIX_LEN: usize = 5;

/// Buy `count` numbers matching `search` for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkProvisionRequest {
    /// How many numbers to buy, 1 to [`MAX_BULK_COUNT`].
    pub count: u32,
    /// Which numbers qualify. Its `limit` is not used: every search asks for
    /// as many numbers as the carrier returns at once.
    pub search: SearchQuery,
    /// The carrier to buy from; the configured default when absent.
    pub provider: Option<String>,
    /// Display names are this prefix and the number's position, `Sales 1`,
    /// `Sales 2`, ...; the numbers themselves when absent.
    pub friendly_name_prefix: Option<String>,
    /// The agent that answers every number bought.
    pub agent_id: Option<Uuid>,
    /// Webhooks to set on every number bought.
    pub routing: Routing,
    /// Position `n` is bought under the idempotency key `{prefix}-{n}`, so
    /// repeating the request (say, after a timeout) returns the numbers
    /// already bought and buys only the missing ones.
    pub idempotency_key_prefix: Option<String>,
    /// Carrier calls in flight at most, 1 to [`MAX_BULK_CONCURRENCY`]
    /// (default [`DEFAULT_BULK_CONCURRENCY`]); fewer while the carrier
    /// answers with rate limits.
    pub max_concurrency: Option<u32>,
}

impl BulkProvisionRequest {
    /// `count` numbers matching `search`, nothing else set.
    pub fn new(count: u32, search: SearchQuery) -> Self {
        Self {
            count,
            search,
            provider: None,
            friendly_name_prefix: None,
            agent_id: None,
            routing: Routing::default(),
            idempotency_key_prefix: None,
            max_concurrency: None,
        }
    }

    /// Buys from this carrier rather than the default.
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Names the numbers `{prefix} 1`, `{prefix} 2`, ...
    pub fn friendly_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.friendly_name_prefix = Some(prefix.into());
        self
    }

    /// Assigns every number to an agent.
    pub fn agent(mut self, agent_id: Uuid) -> Self {
        self.agent_id = Some(agent_id);
        self
    }

    /// Sets the webhooks of every number.
    pub fn routing(mut self, routing: Routing) -> Self {
        self.routing = routing;
        self
    }

    /// Makes the request repeat-safe under keys `{prefix}-1`, `{prefix}-2`, ...
    pub fn idempotency_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.idempotency_key_prefix = Some(prefix.into());
        self
    }

    /// Caps the carrier calls in flight.
    pub fn max_concurrency(mut self, max: u32) -> Self {
        self.max_concurrency = Some(max);
        self
    }

    /// Checks every field; the error names the first one at fault
    /// (`search.area_code` for a search filter).
    pub fn validate(&self) -> Result<()> {
        if self.count == 0 || self.count > MAX_BULK_COUNT {
            return Err(Error::invalid(
                "count",
                format!("must be between 1 and {MAX_BULK_COUNT}, got {}", self.count),
            ));
        }
        let mut search = self.search.clone();
        search.limit = MAX_SEARCH_LIMIT;
        search.validate().map_err(|e| match e {
            Error::InvalidInput { field, reason } => Error::InvalidInput {
                field: format!("search.{field}").into(),
                reason,
            },
            other => other,
        })?;
        if let Some(prefix) = &self.friendly_name_prefix {
            let longest = format!("{prefix} {}", self.count);
            let max = MAX_FRIENDLY_NAME_LEN - SUFFIX_LEN;
            if prefix.trim().is_empty()
                || prefix.chars().count() > max
                || validate_friendly_name(&longest).is_err()
            {
                return Err(Error::invalid(
                    "friendly_name_prefix",
                    format!("must be 1 to {max} characters, without control characters"),
                ));
            }
        }
        if let Some(prefix) = &self.idempotency_key_prefix {
            let max = MAX_IDEMPOTENCY_KEY_LEN - SUFFIX_LEN;
            if prefix.is_empty()
                || prefix.len() > max
                || !prefix.chars().all(|c| c.is_ascii_graphic())
            {
                return Err(Error::invalid(
                    "idempotency_key_prefix",
                    format!("must be 1 to {max} printable ASCII characters"),
                ));
            }
        }
        if let Some(max) = self.max_concurrency
            && (max == 0 || max > MAX_BULK_CONCURRENCY)
        {
            return Err(Error::invalid(
                "max_concurrency",
                format!("must be between 1 and {MAX_BULK_CONCURRENCY}, got {max}"),
            ));
        }
        Ok(())
    }

    /// The idempotency key of position `index` (from 1), if keyed.
    pub fn idempotency_key(&self, index: u32) -> Option<String> {
        self.idempotency_key_prefix
            .as_ref()
            .map(|prefix| format!("{prefix}-{index}"))
    }

    /// The display name of position `index` (from 1), if named.
    pub fn friendly_name(&self, index: u32) -> Option<String> {
        self.friendly_name_prefix
            .as_ref()
            .map(|prefix| format!("{prefix} {index}"))
    }
}
