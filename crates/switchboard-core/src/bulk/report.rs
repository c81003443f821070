//! How a bulk purchase ended, position by position: the outcomes and the
//! totals. Separate from the run that produces them because
//! callers (the HTTP route, the CLI) read only this part.

use crate::{Error, PhoneNumber, ProvisionedNumber};

/// How one position of a bulk request ended.
#[derive(Debug, Clone)]
pub enum BulkOutcome {
    /// A number was bought and recorded for it, or ordered: a record in
    /// state `Pending` holds the number under a carrier order that has not
    /// completed yet (see [`BulkReport::pending`]).
    Bought {
        /// The position, from 1.
        index: u32,
        /// The record (boxed: it is most of the enum's size, and most
        /// outcomes of a large failed run are the other variant).
        number: Box<ProvisionedNumber>,
        /// Bought by an earlier request with the same idempotency key.
        replayed: bool,
    },
    /// No number was bought for it.
    Failed {
        /// The position, from 1.
        index: u32,
        /// The number last tried, if one was.
        phone_number: Option<PhoneNumber>,
        /// Why.
        error: Error,
    },
}

impl BulkOutcome {
    /// The position, from 1.
    pub fn index(&self) -> u32 {
        match self {
            BulkOutcome::Bought { index, .. } | BulkOutcome::Failed { index, .. } => *index,
        }
    }

    /// The record, when a number was bought.
    pub fn number(&self) -> Option<&ProvisionedNumber> {
        match self {
            BulkOutcome::Bought { number, .. } => Some(number),
            BulkOutcome::Failed { .. } => None,
        }
    }

    /// The error, when none was.
    pub fn error(&self) -> Option<&Error> {
        match self {
            BulkOutcome::Bought { .. } => None,
            BulkOutcome::Failed { error, .. } => Some(error),
        }
    }
}

/// What happened to the carrier along the way, for tuning and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkStats {
    /// Searches sent to the carrier.
    pub searches: u32,
    /// Numbers someone else took between search and purchase, replaced by
    /// others.
    pub replaced: u32,
    /// Purchases and searches the carrier refused with a rate limit (each
    /// was tried again).
    pub rate_limited: u32,
    /// Purchases tried again after a temporary failure, rate limits included.
    pub retries: u32,
    /// The most carrier calls in flight at once.
    pub peak_concurrency: u32,
    /// The concurrency limit at the end, as adapted to the carrier.
    pub final_concurrency: u32,
}

/// Every position's outcome, in order, and the totals.
#[derive(Debug, Clone)]
pub struct BulkReport {
    /// Numbers asked for.
    pub requested: u32,
    /// Positions with a number (replayed ones included).
    pub bought: u32,
    /// Of those, bought by an earlier request with the same keys.
    pub replayed: u32,
    /// Of those, numbers whose carrier order is still open: held for the
    /// account, not yet in service (settled later, as for one provision).
    pub pending: u32,
    /// Positions without one.
    pub failed: u32,
    /// One per position, by index.
    pub outcomes: Vec<BulkOutcome>,
    /// How the carrier behaved.
    pub stats: BulkStats,
}

impl BulkReport {
    /// The numbers bought, in position order.
    pub fn numbers(&self) -> impl Iterator<Item = &ProvisionedNumber> {
        self.outcomes.iter().filter_map(BulkOutcome::number)
    }
}
