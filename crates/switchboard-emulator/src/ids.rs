//! Ids and time the emulator hands out: deterministic ids (the same seed
//! gives the same SIDs in the same order, so test output compares across
//! runs) and a clock the control endpoint can move forward.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use switchboard_core::{Clock, SystemClock};

/// Deterministic ids: the same seed hands out the same SIDs in the same
/// order, so test output can be compared across runs.
#[derive(Debug)]
pub(crate) struct Ids {
    seed: u64,
    next: AtomicU64,
}

impl Ids {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            seed,
            next: AtomicU64::new(0),
        }
    }

    fn bits(&self) -> u128 {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let a = splitmix64(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let b = splitmix64(a ^ 0xD1B5_4A32_D192_ED03);
        (u128::from(a) << 64) | u128::from(b)
    }

    /// A Twilio SID: `prefix` and 32 lower-case hex digits.
    pub(crate) fn sid(&self, prefix: &str) -> String {
        format!("{prefix}{:032x}", self.bits())
    }

    /// A Telnyx numeric id (`IntId`): a positive int64 of 19 digits, as
    /// text.
    pub(crate) fn int_id(&self) -> String {
        let low = (self.bits() as u64) % 8_000_000_000_000_000_000;
        (1_000_000_000_000_000_000 + low).to_string()
    }

    /// A version-4-shaped UUID.
    pub(crate) fn uuid(&self) -> String {
        uuid::Builder::from_random_bytes(self.bits().to_be_bytes())
            .into_uuid()
            .to_string()
    }
}

/// A well-mixed 64-bit hash, used for ids and fault draws.
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The furthest the clock can be moved: a hundred years, far past any
/// cooldown and far from chrono's limits.
pub(crate) const MAX_ADVANCE_SECS: i64 = 100 * 366 * 24 * 3600;

/// A clock that the control endpoint can move forward (to get past a
/// release cooldown) without touching the underlying clock.
#[derive(Debug)]
pub(crate) struct EmulatorClock {
    base: Arc<dyn Clock>,
    offset_secs: AtomicI64,
}

impl EmulatorClock {
    pub(crate) fn new(base: Option<Arc<dyn Clock>>) -> Self {
        Self {
            base: base.unwrap_or_else(|| Arc::new(SystemClock)),
            offset_secs: AtomicI64::new(0),
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        let base = self.base.now();
        chrono::TimeDelta::try_seconds(self.offset_secs.load(Ordering::Relaxed))
            .and_then(|offset| base.checked_add_signed(offset))
            .unwrap_or(base)
    }

    /// Moves forward by `secs`, at most [`MAX_ADVANCE_SECS`] in all.
    pub(crate) fn advance(&self, secs: i64) {
        let _ = self
            .offset_secs
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                Some(offset.saturating_add(secs.max(0)).min(MAX_ADVANCE_SECS))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_moves_forward_only_and_within_bounds() {
        let clock = EmulatorClock::new(None);
        let before = clock.now();
        clock.advance(60);
        assert!(clock.now() >= before + chrono::Duration::seconds(60));
        clock.advance(-1_000);
        assert!(clock.now() >= before + chrono::Duration::seconds(60));
        clock.advance(i64::MAX);
        clock.advance(i64::MAX);
        assert!(clock.now() > before + chrono::Duration::days(365 * 99));
    }

    #[test]
    fn ids_are_deterministic_and_well_formed() {
        let a = Ids::new(7);
        let b = Ids::new(7);
        let sid = a.sid("PN");
        assert_eq!(sid, b.sid("PN"));
        assert!(crate::config::is_sid(&sid, "PN"));
        assert_ne!(a.sid("PN"), sid);
        let int_id = a.int_id();
        assert_eq!(int_id.len(), 19);
        assert!(int_id.parse::<i64>().is_ok());
        let id = a.uuid();
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    }
}
