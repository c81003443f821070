//! Time and ids behind traits, so tests and the fake can make them fixed.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to; clones share the time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }

    /// Sets the clock.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A source of new record ids.
pub trait IdSource: Send + Sync + Debug {
    /// A new, unique id.
    fn next_id(&self) -> Uuid;
}

/// Time-ordered random UUIDs (v7): unique across processes, and they keep
/// database indexes append-only.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn next_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// Ids counting up from 1 (`00000000-0000-0000-0000-000000000001`, ...), for
/// tests that compare output byte for byte. Clones share the counter.
#[derive(Debug, Clone, Default)]
pub struct SequentialIds(Arc<AtomicU64>);

impl SequentialIds {
    /// Starts at 1.
    pub fn new() -> Self {
        Self::default()
    }
}

impl IdSource for SequentialIds {
    fn next_id(&self) -> Uuid {
        Uuid::from_u128(u128::from(self.0.fetch_add(1, Ordering::Relaxed) + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn manual_clock_clones_share_time() {
        let start = Utc.with_ymd_and_hms(2024, 1, 15, 10, 30, 0).unwrap();
        let clock = ManualClock::new(start);
        let other = clock.clone();
        other.advance(chrono::Duration::seconds(5));
        assert_eq!(clock.now(), start + chrono::Duration::seconds(5));
    }

    #[test]
    fn sequential_ids_count_up_and_sort() {
        let ids = SequentialIds::new();
        let a = ids.next_id();
        let b = ids.clone().next_id();
        assert_eq!(a.to_string(), "00000000-0000-0000-0000-000000000001");
        assert!(a < b);
    }
}
