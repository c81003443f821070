//! An adaptive bound on carrier calls in flight (AIMD), so a bulk purchase
//! finds a carrier's concurrency limit from its 429s instead of hammering it.
//!
//! Workers take a [`Permit`] before each step that calls the carrier; every
//! call itself is marked with [`Limiter::call_started`] and
//! [`Limiter::call_ended`], so a refusal is seen the moment it arrives, with
//! the number of our calls the carrier was holding when it was sent.
//!
//! Carriers cap requests in flight per account and answer the excess with a
//! rate limit that was never processed. The limiter starts below its maximum
//! and grows by one per success (slow start) until the first rate limit;
//! then it drops to what the carrier evidently accepted (fewer than our calls
//! under way when the refused one was sent, and at least one less than
//! before), and grows again by one per window of successes, much more slowly
//! at and above the level that was refused, so probing the ceiling costs few
//! refusals. It grows only while the limit is in use: successes at a limit
//! nobody reaches prove nothing about a higher one, and a limit grown that way
//! would later send a burst the carrier refuses in bulk.

use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use tokio::sync::Notify;

use crate::Error;
use crate::layer::{CallEnd, CallHook, Operation};

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
    /// Permits out.
    in_flight: u32,
    /// Carrier calls under way (a permit's step may make none, or two).
    calls: u32,
    /// Bumped at each decrease, so that the refusals of calls sent under the
    /// old limit lower it only once.
    epoch: u64,
    /// Still growing by one per success (no refusal seen yet).
    slow_start: bool,
    /// The limit set after the last refusal: growth above it is a probe.
    ceiling: Option<u32>,
    /// Probes allowed: off when too little work is left for a higher limit
    /// to pay for the refusal (and its `Retry-After`) a probe costs.
    probing: bool,
    successes: u32,
    stats: LimiterStats,
}

/// The adaptive bound. Shared by reference between the bulk's workers.
#[derive(Debug)]
pub(crate) struct Limiter {
    state: Mutex<State>,
    changed: Notify,
}

/// A worker's right to call the carrier; given back on drop.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
}

/// A carrier call under way, from [`Limiter::call_started`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallMark {
    epoch: u64,
    /// Our calls under way when it was sent, itself included.
    calls_at_start: u32,
}

/// How the carrier took a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallOutcome {
    /// It answered (whatever it said, short of a rate limit).
    Accepted,
    /// It refused with a rate limit: never processed.
    RateLimited,
    /// No answer (transport failure): says nothing about the limit.
    Unknown,
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
                calls: 0,
                epoch: 0,
                slow_start: true,
                ceiling: None,
                probing: true,
                successes: 0,
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
        Some(Permit { limiter: self })
    }

    /// Waits until a carrier call may be sent, and marks it sent. Calls are
    /// bounded by the limit too: after a decrease, a worker that took its
    /// permit under the old limit still sends no call into a full carrier
    /// (the service's check after a refused purchase, say).
    pub(crate) async fn call_started(&self) -> CallMark {
        loop {
            let changed = self.changed.notified();
            if let Some(mark) = self.try_call_started() {
                return mark;
            }
            changed.await;
        }
    }

    /// A mark if a call may be sent now.
    pub(crate) fn try_call_started(&self) -> Option<CallMark> {
        let mut state = self.lock();
        if state.calls >= state.limit {
            return None;
        }
        state.calls += 1;
        Some(CallMark {
            epoch: state.epoch,
            calls_at_start: state.calls,
        })
    }

    /// The call marked `mark` ended with `outcome`: grow, shrink or neither.
    pub(crate) fn call_ended(&self, mark: CallMark, outcome: CallOutcome) {
        let busy = {
            let mut state = self.lock();
            let busy = state.calls >= state.limit;
            state.calls = state.calls.saturating_sub(1);
            busy
        };
        match outcome {
            CallOutcome::Accepted => self.succeeded(busy),
            CallOutcome::RateLimited => self.rate_limited(mark),
            CallOutcome::Unknown => {}
        }
        self.changed.notify_waiters();
    }

    /// The carrier accepted a call, made while `busy` (every call the limit
    /// allows was under way): grow.
    fn succeeded(&self, busy: bool) {
        let grew = {
            let mut state = self.lock();
            state.successes = state.successes.saturating_add(1);
            let at_ceiling = state.ceiling.is_some_and(|c| state.limit >= c);
            let needed = if state.slow_start {
                1
            } else if at_ceiling {
                state.limit.saturating_mul(PROBE_WINDOWS)
            } else {
                state.limit
            };
            if busy
                && state.successes >= needed
                && state.limit < state.max
                && (state.probing || !at_ceiling)
            {
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

    /// The carrier refused the call `mark` with a rate limit: shrink, once
    /// per limit (refusals of calls sent before the last decrease are counted
    /// but do not lower it again).
    fn rate_limited(&self, mark: CallMark) {
        let mut state = self.lock();
        state.stats.rate_limited += 1;
        if mark.epoch != state.epoch {
            return;
        }
        // The carrier held at least as many of ours as it allows when this
        // one arrived, so it allows fewer than were under way then.
        let accepted = mark
            .calls_at_start
            .saturating_sub(1)
            .min(state.limit.saturating_sub(1))
            .max(1);
        state.limit = accepted;
        state.ceiling = Some(accepted);
        state.slow_start = false;
        state.successes = 0;
        state.epoch += 1;
        state.stats.decreases += 1;
        state.stats.limit = state.limit;
    }

    /// `remaining` calls are left to make: when that is less than a probe
    /// window, stop probing above the level the carrier last refused.
    pub(crate) fn remaining(&self, remaining: usize) {
        let mut state = self.lock();
        let window = state.limit.saturating_mul(PROBE_WINDOWS) as usize;
        if remaining < window {
            state.probing = false;
        }
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

/// The limiter as a layer over the bulk's carrier: each call waits for room
/// and reports how the carrier took it.
#[async_trait]
impl CallHook for Limiter {
    type Mark = CallMark;

    async fn started(&self, _carrier: &str, _operation: Operation) -> CallMark {
        self.call_started().await
    }

    fn ended(&self, mark: CallMark, end: &CallEnd<'_>) {
        let outcome = match end.error.map(Error::last_attempt) {
            Some(Error::RateLimited { .. }) => CallOutcome::RateLimited,
            Some(Error::Transport { .. }) => CallOutcome::Unknown,
            _ => CallOutcome::Accepted,
        };
        self.call_ended(mark, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(limiter: &Limiter) -> u32 {
        limiter.stats().limit
    }

    /// `n` calls under way at once, each with its mark.
    fn calls(limiter: &Limiter, n: u32) -> Vec<CallMark> {
        (0..n)
            .map(|_| limiter.try_call_started().unwrap())
            .collect()
    }

    /// `n` successes, one at a time.
    fn accept(limiter: &Limiter, n: u32) {
        for _ in 0..n {
            let mark = limiter.try_call_started().unwrap();
            limiter.call_ended(mark, CallOutcome::Accepted);
        }
    }

    /// `n` successes, each while the limit is in use.
    fn accept_busy(limiter: &Limiter, n: u32) {
        for _ in 0..n {
            let filler = calls(limiter, limit(limiter) - 1);
            let mark = limiter.try_call_started().unwrap();
            limiter.call_ended(mark, CallOutcome::Accepted);
            end_all(limiter, filler);
        }
    }

    fn end_all(limiter: &Limiter, marks: Vec<CallMark>) {
        for mark in marks {
            limiter.call_ended(mark, CallOutcome::Unknown);
        }
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
    fn calls_are_bounded_by_the_limit_too() {
        let limiter = Limiter::new(2, 4);
        let a = limiter.try_call_started().unwrap();
        let _b = limiter.try_call_started().unwrap();
        assert!(limiter.try_call_started().is_none());
        limiter.call_ended(a, CallOutcome::Unknown);
        assert!(limiter.try_call_started().is_some());
    }

    #[test]
    fn slow_start_grows_by_one_per_success_up_to_the_max() {
        let limiter = Limiter::new(1, 3);
        accept_busy(&limiter, 10);
        assert_eq!(limit(&limiter), 3);
    }

    #[test]
    fn a_refusal_drops_to_what_the_carrier_accepted_once_per_epoch() {
        let limiter = Limiter::new(12, 32);
        let marks = calls(&limiter, 12);
        // The 11th call was refused: the carrier holds ten.
        limiter.call_ended(marks[10], CallOutcome::RateLimited);
        assert_eq!(limit(&limiter), 10);
        // The 12th, sent under the old limit, is counted but lowers nothing.
        limiter.call_ended(marks[11], CallOutcome::RateLimited);
        assert_eq!(limit(&limiter), 10);
        assert_eq!(limiter.stats().rate_limited, 2);
        assert_eq!(limiter.stats().decreases, 1);
    }

    #[test]
    fn each_fresh_refusal_lowers_by_at_least_one() {
        let limiter = Limiter::new(16, 16);
        let first = limiter.try_call_started().unwrap();
        limiter.call_ended(first, CallOutcome::RateLimited);
        // Only one was under way: the carrier accepts none of ours right now.
        assert_eq!(limit(&limiter), 1);

        let limiter = Limiter::new(16, 16);
        let marks = calls(&limiter, 16);
        limiter.call_ended(marks[15], CallOutcome::RateLimited);
        assert_eq!(limit(&limiter), 15);
        end_all(&limiter, marks[..15].to_vec());
        // Someone else shares the account: refused again at 15, then 14.
        let again = calls(&limiter, 15);
        limiter.call_ended(again[14], CallOutcome::RateLimited);
        assert_eq!(limit(&limiter), 14);
        end_all(&limiter, again[..14].to_vec());
        let third = calls(&limiter, 14);
        limiter.call_ended(third[3], CallOutcome::RateLimited);
        assert_eq!(limit(&limiter), 3);
    }

    #[test]
    fn a_limit_nobody_reaches_does_not_grow() {
        let limiter = Limiter::new(4, 32);
        // One call at a time: thousands of successes, no growth.
        accept(&limiter, 1000);
        assert_eq!(limit(&limiter), 4);
        // Four at a time: the limit is in use, and slow start grows it.
        let marks = calls(&limiter, 4);
        for mark in marks {
            limiter.call_ended(mark, CallOutcome::Accepted);
        }
        assert_eq!(limit(&limiter), 5);
    }

    #[test]
    fn unanswered_calls_neither_grow_nor_shrink() {
        let limiter = Limiter::new(4, 8);
        let mark = limiter.try_call_started().unwrap();
        limiter.call_ended(mark, CallOutcome::Unknown);
        assert_eq!(limit(&limiter), 4);
        assert_eq!(limiter.stats().rate_limited, 0);
    }

    #[test]
    fn growth_above_the_refused_level_is_slow() {
        let limiter = Limiter::new(11, 32);
        let marks = calls(&limiter, 11);
        limiter.call_ended(marks[10], CallOutcome::RateLimited);
        end_all(&limiter, marks[..10].to_vec());
        assert_eq!(limit(&limiter), 10);
        let mut successes = 0;
        while limit(&limiter) == 10 {
            accept_busy(&limiter, 1);
            successes += 1;
        }
        assert_eq!(successes, 10 * PROBE_WINDOWS);
        assert_eq!(limit(&limiter), 11);
    }

    #[test]
    fn no_probe_when_too_little_work_is_left() {
        let limiter = Limiter::new(11, 32);
        let marks = calls(&limiter, 11);
        limiter.call_ended(marks[10], CallOutcome::RateLimited);
        end_all(&limiter, marks[..10].to_vec());
        limiter.remaining(10 * PROBE_WINDOWS as usize - 1);
        accept_busy(&limiter, 10 * PROBE_WINDOWS * 3);
        assert_eq!(limit(&limiter), 10);
    }
}
