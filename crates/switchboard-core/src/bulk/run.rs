//! One bulk purchase in progress: the state its workers share, the loop each
//! worker runs over the positions still pending, the positions an earlier
//! request already filled, and the report at the end. Finding candidates and
//! filling one position are their own modules; this one only hands out the
//! positions and collects what became of them.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::time::Instant;

use super::limiter::Limiter;
use super::{BulkOutcome, BulkProvisionRequest, BulkReport, BulkStats};
use crate::{
    AccountId, Error, NumberState, PhoneNumber, ProvisioningService, SearchQuery, TelephonyProvider,
};

/// The state the workers share.
#[derive(Default)]
pub(super) struct Shared {
    /// Positions no worker has started.
    pub(super) pending: VecDeque<u32>,
    /// Numbers found and not yet tried.
    pub(super) candidates: VecDeque<PhoneNumber>,
    /// Every number ever queued: none is tried twice.
    pub(super) seen: HashSet<PhoneNumber>,
    /// A worker is searching.
    pub(super) searching: bool,
    /// No more numbers will come, and why.
    pub(super) exhausted: Option<Error>,
    /// Numbers taken from the queue and not yet done with.
    pub(super) in_progress: u32,
    /// Numbers done with (bought, taken by someone else, failed): each one
    /// may change what a search returns.
    pub(super) completions: u64,
    /// `completions` when a search last found nothing new: searching again
    /// before another number is done with would find nothing new either.
    pub(super) dry_at: Option<u64>,
    pub(super) search_failures: u32,
    /// No search before this: the carrier rate-limited the last one.
    pub(super) search_not_before: Option<Instant>,
    pub(super) outcomes: Vec<BulkOutcome>,
    pub(super) stats: BulkStats,
}

/// One bulk call in progress.
pub(super) struct Run<'a> {
    pub(super) service: ProvisioningService,
    pub(super) provider: Arc<dyn TelephonyProvider>,
    pub(super) account: &'a AccountId,
    pub(super) request: &'a BulkProvisionRequest,
    /// The search, asking for as many as the carrier gives at once.
    pub(super) batch: SearchQuery,
    pub(super) limiter: Arc<Limiter>,
    pub(super) shared: Mutex<Shared>,
    pub(super) candidates_changed: Notify,
    pub(super) progress: &'a (dyn Fn(&BulkOutcome) + Send + Sync),
}

impl Run<'_> {
    pub(super) fn lock(&self) -> MutexGuard<'_, Shared> {
        // Updates complete before the guard drops; a poisoned lock is consistent.
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Positions an earlier request with the same keys already filled are
    /// reported as they are; the rest are left to the workers.
    pub(super) async fn replay_earlier(&self) {
        for index in 1..=self.request.count {
            let Some(key) = self.request.idempotency_key(index) else {
                self.lock().pending.push_back(index);
                continue;
            };
            let outcome = match self
                .service
                .repository
                .find_by_idempotency_key(self.account, &key)
                .await
            {
                Ok(None) => {
                    self.lock().pending.push_back(index);
                    continue;
                }
                Ok(Some(record)) if record.state == NumberState::Reserved => BulkOutcome::Failed {
                    index,
                    phone_number: Some(record.phone_number),
                    error: Error::Conflict {
                        reason: format!("a request with idempotency key {key:?} is in progress"),
                    },
                },
                Ok(Some(number)) => BulkOutcome::Bought {
                    index,
                    number: Box::new(number),
                    replayed: true,
                },
                Err(error) => BulkOutcome::Failed {
                    index,
                    phone_number: None,
                    error,
                },
            };
            self.finish(outcome);
        }
    }

    fn finish(&self, outcome: BulkOutcome) {
        (self.progress)(&outcome);
        self.lock().outcomes.push(outcome);
    }

    pub(super) async fn worker(&self) {
        loop {
            let (next, left) = {
                let mut shared = self.lock();
                (shared.pending.pop_front(), shared.pending.len())
            };
            let Some(index) = next else { return };
            self.limiter.remaining(left);
            let outcome = self.fill(index).await;
            self.finish(outcome);
        }
    }

    pub(super) fn into_report(self) -> BulkReport {
        let limiter = self.limiter.stats();
        let shared = self.shared.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut outcomes = shared.outcomes;
        outcomes.sort_by_key(BulkOutcome::index);
        let bought = outcomes.iter().filter(|o| o.number().is_some()).count() as u32;
        let replayed = outcomes
            .iter()
            .filter(|o| matches!(o, BulkOutcome::Bought { replayed: true, .. }))
            .count() as u32;
        let pending = outcomes
            .iter()
            .filter(|o| o.number().is_some_and(|n| n.state == NumberState::Pending))
            .count() as u32;
        BulkReport {
            requested: self.request.count,
            bought,
            replayed,
            pending,
            failed: outcomes.len() as u32 - bought,
            outcomes,
            stats: BulkStats {
                rate_limited: limiter.rate_limited,
                peak_concurrency: limiter.peak,
                final_concurrency: limiter.limit,
                ..shared.stats
            },
        }
    }
}
