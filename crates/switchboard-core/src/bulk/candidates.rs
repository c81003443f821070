//! The queue of numbers to try, shared by every worker: one search at a time
//! refills it (ahead of need, so workers rarely wait), no number is queued
//! twice, and the run gives up when the carrier has nothing new to offer.
//! Kept apart from buying because when to search again is its own problem:
//! each finished number may change what a search returns.

use tokio::sync::futures::Notified;
use tokio::time::Instant;

use super::limiter::Permit;
use super::run::Run;
use super::{DEFAULT_RATE_LIMIT_WAIT, MAX_RATE_LIMIT_WAIT};
use crate::{Error, PhoneNumber};

/// Failed searches in a row before the remaining numbers are given up.
const MAX_SEARCH_FAILURES: u32 = 3;

/// One step towards a number to try.
pub(super) enum Take<'a> {
    Got(PhoneNumber),
    /// Nothing to try yet: wait for this, without a permit.
    Wait(Notified<'a>),
    /// The carrier rate-limited the last search: wait until then.
    Sleep(Instant),
    Failed(Error),
}

impl Run<'_> {
    /// A number taken from the queue is done with.
    pub(super) fn done_with_number(&self) {
        {
            let mut shared = self.lock();
            shared.in_progress = shared.in_progress.saturating_sub(1);
            shared.completions += 1;
        }
        self.candidates_changed.notify_waiters();
    }

    /// The next number to try: from the queue, or from a search made with
    /// `permit` when the queue is empty and nobody is searching. Searches
    /// ahead when the queue runs low, so the others rarely wait.
    pub(super) async fn take_candidate<'s>(&'s self, permit: &Permit<'_>) -> Take<'s> {
        loop {
            let changed = self.candidates_changed.notified();
            let (got, search) = {
                let mut shared = self.lock();
                if let Some(error) = &shared.exhausted {
                    return Take::Failed(error.clone());
                }
                let got = shared.candidates.pop_front();
                if got.is_some() {
                    shared.in_progress += 1;
                }
                let dry = shared.dry_at == Some(shared.completions);
                let low_water = self.limiter.stats().limit as usize;
                let wanted = match &got {
                    // Ahead: only while more positions wait than are queued.
                    Some(_) => shared.candidates.len() < low_water.min(shared.pending.len()),
                    None => true,
                };
                let held_off = shared
                    .search_not_before
                    .filter(|until| *until > Instant::now());
                let search = wanted && !shared.searching && !dry && held_off.is_none();
                if search {
                    shared.searching = true;
                }
                if let (None, false, Some(until)) = (&got, shared.searching, held_off) {
                    return Take::Sleep(until);
                }
                (got, search)
            };
            if search {
                self.search(permit).await;
            }
            match got {
                Some(phone) => return Take::Got(phone),
                None if search => continue,
                None => return Take::Wait(changed),
            }
        }
    }

    /// One search, made with the caller's permit; new numbers go to the
    /// back of the queue.
    async fn search(&self, _permit: &Permit<'_>) {
        let found = self.provider.search(&self.batch).await;
        {
            let mut shared = self.lock();
            shared.searching = false;
            shared.stats.searches += 1;
            match found {
                Ok(found) => {
                    shared.search_failures = 0;
                    let mut new = 0;
                    for available in found {
                        if shared.seen.insert(available.phone_number.clone()) {
                            shared.candidates.push_back(available.phone_number);
                            new += 1;
                        }
                    }
                    if new > 0 {
                        shared.dry_at = None;
                    } else if shared.candidates.is_empty() && shared.in_progress == 0 {
                        let tried = shared.seen.len();
                        shared.exhausted = Some(Error::not_found(format!(
                            "another number for sale matching the search ({tried} tried)"
                        )));
                    } else {
                        shared.dry_at = Some(shared.completions);
                    }
                }
                // The adapter retried it already: retrying it here too would
                // multiply its attempts. The run ends with its error.
                Err(error) if error.retries_exhausted() => shared.exhausted = Some(error),
                Err(Error::RateLimited { retry_after, .. }) => {
                    // Not a failure: the carrier never processed it.
                    let wait = retry_after
                        .unwrap_or(DEFAULT_RATE_LIMIT_WAIT)
                        .min(MAX_RATE_LIMIT_WAIT);
                    shared.search_not_before = Some(Instant::now() + wait);
                }
                Err(error) if error.is_temporary() => {
                    shared.search_failures += 1;
                    if shared.search_failures >= MAX_SEARCH_FAILURES {
                        shared.exhausted = Some(error);
                    }
                }
                Err(error) => shared.exhausted = Some(error),
            }
        }
        self.candidates_changed.notify_waiters();
    }
}
