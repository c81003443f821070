//! An adaptive bound on carrier calls in flight (AIMD), so a bulk purchase
//! finds a carrier's concurrency limit from its 429s instead of hammering it.
//!
//! Carriers cap requests in flight per account and answer the excess with a
//! rate limit that was never processed. The limiter starts below its maximum
//! and grows by one per success (slow start) until the first rate limit;
//! then it drops to what the carrier evidently accepted (at most half when
//! limits keep coming without a success between) and grows again by one per
//! window of successes, much more slowly at and above the level that was
//! refused, so probing the ceiling costs few refusals.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;

/// Successes needed per step of growth, in windows of the current limit,
/// once the limit has reached the level at which the carrier last refused.
const PROBE_WINDOWS: u32 = 8;

/// What the limiter has seen, for the bulk report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LimiterStats {
    /// The highest number of permits out at once.
    pub(crate) peak: u32,
    /// The limit at the end.
    pub(crate) limit: u32,
    /// Rate limits reported.
    pub(crate) rate_limited: u32,
    /// How many times the limit was lowered.
    pub(crate) decreases: u32,
}

#[derive(Debug)]
struct State {
    limit: u32,
    max: u32,
    in_flight: u32,
    /// Bumped at each decrease, so that the refusals of calls sent under the
    /// old limit lower it only once.
    epoch: u64,
    /// Still growing by one per success (no refusal seen yet).
    slow_start: bool,
    /// The limit set after the last refusal: growth above it is a probe.
    ceiling: Option<u32>,
    successes: u32,
    /// Successes since the last decrease; none means the carrier is still
    /// refusing at the lowered limit, and the next decrease halves.
    successes_since_decrease: u32,
    stats: LimiterStats,
}

/// The adaptive bound. Shared by reference between the bulk's workers.
#[derive(Debug)]
pub(crate) struct Limiter {
    state: Mutex<State>,
    changed: Notify,
}

/// One call's right to be in flight; given back on drop.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
    epoch: u64,
    /// Permits out when this one was taken, itself included.
    in_flight_at_start: u32,
}

impl Limiter {
    /// A limiter that starts at `initial` and never goes above `max` or
    /// below one.
    pub(crate) fn new(initial: u32, max: u32) -> Self {
        let max = max.max(1);
        let limit = initial.clamp(1, max);
        Self {
            state: Mutex::new(State {
                limit,
                max,
                in_flight: 0,
                epoch: 0,
                slow_start: true,
                ceiling: None,
                successes: 0,
                successes_since_decrease: 0,
                stats: LimiterStats {
                    limit,
                    ..LimiterStats::default()
                },
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update below completes before the guard drops, so a poisoned
        // lock still holds a consistent state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until a call may be sent.
    pub(crate) async fn acquire(&self) -> Permit<'_> {
        loop {
            // Registered before the check, so a release between the check and
            // the wait still wakes this waiter.
            let changed = self.changed.notified();
            if let Some(permit) = self.try_acquire() {
                return permit;
            }
            changed.await;
        }
    }

    /// A permit if one is free now.
    pub(crate) fn try_acquire(&self) -> Option<Permit<'_>> {
        let mut state = self.lock();
        if state.in_flight >= state.limit {
            return None;
        }
        state.in_flight += 1;
        state.stats.peak = state.stats.peak.max(state.in_flight);
        Some(Permit {
            limiter: self,
            epoch: state.epoch,
            in_flight_at_start: state.in_flight,
        })
    }

    /// The carrier accepted the call `permit` made (whatever its answer,
    /// short of a rate limit): grow.
    pub(crate) fn succeeded(&self, _permit: &Permit<'_>) {
        let grew = {
            let mut state = self.lock();
            state.successes_since_decrease = state.successes_since_decrease.saturating_add(1);
            state.successes = state.successes.saturating_add(1);
            let needed = if state.slow_start {
                1
            } else if state.ceiling.is_some_and(|c| state.limit >= c) {
                state.limit.saturating_mul(PROBE_WINDOWS)
            } else {
                state.limit
            };
            if state.successes >= needed && state.limit < state.max {
                state.limit += 1;
                state.successes = 0;
                state.stats.limit = state.limit;
                true
            } else {
                false
            }
        };
        if grew {
            self.changed.notify_waiters();
        }
    }

    /// The carrier refused the call `permit` made with a rate limit: shrink,
    /// once per limit (refusals of calls sent before the last decrease are
    /// counted but do not lower it again).
    pub(crate) fn rate_limited(&self, permit: &Permit<'_>) {
        let mut state = self.lock();
        state.stats.rate_limited += 1;
        if permit.epoch != state.epoch {
            return;
        }
        // The carrier held at least as many of ours as it allows when this
        // one arrived, so it allows fewer than were out then.
        let accepted = permit
            .in_flight_at_start
            .saturating_sub(1)
            .min(state.limit.saturating_sub(1))
            .max(1);
        let lowered = if state.successes_since_decrease == 0 && state.stats.decreases > 0 {
            // Still refused at the lowered limit: someone else shares the
            // account, or the estimate was wrong. Back off harder.
            state.limit / 2
        } else {
            accepted
        };
        state.limit = lowered.max(1);
        state.ceiling = Some(accepted);
        state.slow_start = false;
        state.successes = 0;
        state.successes_since_decrease = 0;
        state.epoch += 1;
        state.stats.decreases += 1;
        state.stats.limit = state.limit;
    }

    /// What the limiter has seen so far.
    pub(crate) fn stats(&self) -> LimiterStats {
        self.lock().stats
    }

    fn release(&self) {
        {
            let mut state = self.lock();
            state.in_flight = state.in_flight.saturating_sub(1);
        }
        self.changed.notify_waiters();
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.limiter.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(limiter: &Limiter) -> u32 {
        limiter.stats().limit
    }

    #[test]
    fn permits_are_bounded_by_the_limit_and_come_back_on_drop() {
        let limiter = Limiter::new(2, 4);
        let a = limiter.try_acquire().unwrap();
        let _b = limiter.try_acquire().unwrap();
        assert!(limiter.try_acquire().is_none());
        drop(a);
        assert!(limiter.try_acquire().is_some());
        assert_eq!(limiter.stats().peak, 2);
    }

    #[test]
    fn slow_start_grows_by_one_per_success_up_to_the_max() {
        let limiter = Limiter::new(1, 3);
        for _ in 0..10 {
            let p = limiter.try_acquire().unwrap();
            limiter.succeeded(&p);
        }
        assert_eq!(limit(&limiter), 3);
    }

    #[test]
    fn a_refusal_drops_to_what_the_carrier_accepted_once_per_epoch() {
        let limiter = Limiter::new(12, 32);
        let permits: Vec<_> = (0..12).map(|_| limiter.try_acquire().unwrap()).collect();
        // The 11th call was refused: the carrier holds ten.
        limiter.rate_limited(&permits[10]);
        assert_eq!(limit(&limiter), 10);
        // The 12th, sent under the old limit, is counted but lowers nothing.
        limiter.rate_limited(&permits[11]);
        assert_eq!(limit(&limiter), 10);
        assert_eq!(limiter.stats().rate_limited, 2);
        assert_eq!(limiter.stats().decreases, 1);
    }

    #[test]
    fn refusals_without_a_success_between_halve() {
        let limiter = Limiter::new(16, 16);
        let first = limiter.try_acquire().unwrap();
        limiter.rate_limited(&first);
        // Only one was out: the carrier accepts none of ours right now.
        assert_eq!(limit(&limiter), 1);
        drop(first);

        let limiter = Limiter::new(16, 16);
        let permits: Vec<_> = (0..16).map(|_| limiter.try_acquire().unwrap()).collect();
        limiter.rate_limited(&permits[15]);
        assert_eq!(limit(&limiter), 15);
        drop(permits);
        let again: Vec<_> = (0..15).map(|_| limiter.try_acquire().unwrap()).collect();
        limiter.rate_limited(&again[14]);
        assert_eq!(limit(&limiter), 7);
    }

    #[test]
    fn growth_above_the_refused_level_is_slow() {
        let limiter = Limiter::new(11, 32);
        let permits: Vec<_> = (0..11).map(|_| limiter.try_acquire().unwrap()).collect();
        limiter.rate_limited(&permits[10]);
        drop(permits);
        assert_eq!(limit(&limiter), 10);
        let mut successes = 0;
        while limit(&limiter) == 10 {
            let p = limiter.try_acquire().unwrap();
            limiter.succeeded(&p);
            successes += 1;
        }
        assert_eq!(successes, 10 * PROBE_WINDOWS);
        assert_eq!(limit(&limiter), 11);
    }

    #[test]
    fn after_halving_growth_is_one_per_window_up_to_the_accepted_level() {
        let limiter = Limiter::new(16, 16);
        let permits: Vec<_> = (0..16).map(|_| limiter.try_acquire().unwrap()).collect();
        limiter.rate_limited(&permits[15]);
        drop(permits);
        let again: Vec<_> = (0..15).map(|_| limiter.try_acquire().unwrap()).collect();
        limiter.rate_limited(&again[14]);
        drop(again);
        assert_eq!(limit(&limiter), 7);
        // Below the level the carrier accepted (14): one step per window.
        for _ in 0..7 {
            let p = limiter.try_acquire().unwrap();
            limiter.succeeded(&p);
        }
        assert_eq!(limit(&limiter), 8);
    }
}
