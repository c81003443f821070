//! An in-process cache of the two reads every API request makes: the token
//! by its hash, and the live record of a phone number.
//!
//! Both are a database round trip that costs far more than the rest of the
//! request (see BENCHMARKS.md), and both change rarely. The difficulty is
//! other processes: a CLI next to `serve`, or several `serve` processes on
//! one PostgreSQL. So the cache answers only while a watcher (see
//! `crate::watch`) keeps confirming that it has seen every change committed
//! up to a recent moment, and the promise it makes is a bound:
//!
//! - a change made through this repository is visible to the next read,
//!   because every write invalidates what it touched before returning;
//! - a change committed by anyone else is visible within `max_staleness`,
//!   because the watcher invalidates on every change it sees, and the cache
//!   stops answering when the watcher has not checked in within
//!   `max_staleness` (stopped, starved, or cut off from the database).
//!
//! Whenever the cache starts answering again after not answering (the first
//! confirmation, or one after the watcher lost its connection or confirmed
//! late), it starts empty: changes committed in the gap may have gone
//! unseen, so nothing read before it may be served after it. That rule sits
//! in one place, the arm transition in [`ReadCache::confirm`], so it holds
//! for every way a watcher can lose sight of the database, including the
//! ones no watcher notices (a starved task, a heartbeat that never returns).
//!
//! Only found records are kept: a miss always goes to the database, so a
//! number or token created elsewhere is seen at once, and probing with
//! random tokens cannot fill the cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use switchboard_core::{ApiToken, PhoneNumber, ProvisionedNumber};
use uuid::Uuid;

/// How the read cache behaves; see [`crate::SqlOptions::read_cache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheSettings {
    /// The longest a change committed by another process may go unseen.
    pub(crate) max_staleness: Duration,
    /// The most records (and, separately, tokens) kept.
    pub(crate) capacity: usize,
}

impl CacheSettings {
    /// How often the watcher checks: often enough that a healthy watcher
    /// keeps the cache armed, with room for a slow check or two; and at
    /// least every second, so a long bound does not leave a watcher that
    /// missed its first check idle for minutes.
    pub(crate) fn check_interval(&self) -> Duration {
        (self.max_staleness / 5).clamp(Duration::from_millis(1), Duration::from_secs(1))
    }
}

/// What a lookup through the cache found, for operators and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadCacheStats {
    /// Reads answered from memory.
    pub hits: u64,
    /// Reads that went to the database (including every read made while
    /// the cache was not armed).
    pub misses: u64,
    /// Changes the watcher saw committed (by this repository or anyone
    /// else: it cannot tell them apart), each dropping cached entries.
    pub changes_seen: u64,
    /// Whether the cache answers reads right now.
    pub armed: bool,
    /// Times the cache started answering again after a spell of not
    /// answering (its watcher lost the database or confirmed too late),
    /// each time empty. The first arming is not counted.
    pub rearms: u64,
}

#[derive(Default)]
struct Entries {
    numbers: HashMap<String, ProvisionedNumber>,
    /// Record id to the phone number it is cached under, for writes that
    /// know only the id (a release).
    number_ids: HashMap<Uuid, String>,
    tokens: HashMap<String, ApiToken>,
    /// Bumped by every invalidation, under the same lock as the maps: a read
    /// that started before an invalidation must not store what it read.
    epoch: u64,
}

/// Proof that a database read started at a given epoch; see
/// [`ReadCache::ticket`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket(u64);

/// Where the cache reads the time: the system's clock, or in unit tests one
/// moved by hand, so lapses can be driven without sleeping.
enum Clock {
    System,
    #[cfg(test)]
    Manual(std::sync::Mutex<Instant>),
}

impl Clock {
    fn now(&self) -> Instant {
        match self {
            Clock::System => Instant::now(),
            #[cfg(test)]
            Clock::Manual(now) => *now.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }
}

pub(crate) struct ReadCache {
    settings: CacheSettings,
    entries: RwLock<Entries>,
    clock: Clock,
    /// The cache answers while `now < origin + armed_until` (in
    /// nanoseconds); 0 means never.
    origin: Instant,
    armed_until: AtomicU64,
    /// Checks that started before this (nanoseconds since `origin`) prove
    /// nothing: the watcher lost sight of the database after they started,
    /// so a late answer to one (a heartbeat sent before a lost connection
    /// and delivered after it, a check racing `close`) must not re-arm.
    checks_valid_from: AtomicU64,
    arms: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    changes_seen: AtomicU64,
}

impl ReadCache {
    pub(crate) fn new(settings: CacheSettings) -> Self {
        Self::with_clock(settings, Clock::System, Instant::now())
    }

    fn with_clock(settings: CacheSettings, clock: Clock, origin: Instant) -> Self {
        Self {
            settings,
            entries: RwLock::default(),
            clock,
            origin,
            armed_until: AtomicU64::new(0),
            checks_valid_from: AtomicU64::new(0),
            arms: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            changes_seen: AtomicU64::new(0),
        }
    }

    pub(crate) fn settings(&self) -> CacheSettings {
        self.settings
    }

    fn nanos_since_origin(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX)
    }

    fn now(&self) -> u64 {
        self.nanos_since_origin(self.clock.now())
    }

    fn is_armed(&self) -> bool {
        self.now() < self.armed_until.load(Ordering::Acquire)
    }

    /// The watcher confirmed, with a check that started at `checked_at`,
    /// that every change committed before then has been invalidated: the
    /// cache may answer until `checked_at + max_staleness`.
    ///
    /// While the cache answers, this only extends the window. When it does
    /// not (never armed, disarmed, or lapsed because confirmations stopped
    /// coming in time), this is the arm transition: everything cached is
    /// dropped first, since whatever was committed while nobody vouched
    /// may have gone unseen.
    pub(crate) fn confirm(&self, checked_at: Instant) {
        let checked = self.nanos_since_origin(checked_at);
        let until = self.nanos_since_origin(checked_at + self.settings.max_staleness);
        loop {
            if until <= self.now() {
                // Too old to vouch for the present.
                return;
            }
            let current = self.armed_until.load(Ordering::Acquire);
            if current <= self.now() {
                break;
            }
            if until <= current {
                return;
            }
            // Fails when a disarm (or another confirmation) got in first:
            // look again rather than extend a window that was closed.
            if self
                .armed_until
                .compare_exchange(current, until, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return;
            }
        }
        self.arm(checked, until);
    }

    /// Starts answering again, empty. Under the write lock, which `disarm`
    /// and every store take too: no disarm lands between the checks and the
    /// arming, and no store whose ticket predates it succeeds (the epoch
    /// moves), so a read that was in flight across the outage stores nothing.
    fn arm(&self, checked: u64, until: u64) {
        let mut entries = self.write();
        if checked < self.checks_valid_from.load(Ordering::Acquire) {
            return;
        }
        let now = self.now();
        if until <= now {
            return;
        }
        if now < self.armed_until.load(Ordering::Acquire) {
            // Armed by someone else meanwhile, from empty: just extend.
            self.armed_until.fetch_max(until, Ordering::AcqRel);
            return;
        }
        entries.epoch += 1;
        entries.numbers.clear();
        entries.number_ids.clear();
        entries.tokens.clear();
        // Released after the entries are cleared: a reader that sees the
        // cache armed sees it empty.
        self.armed_until.store(until, Ordering::Release);
        self.arms.fetch_add(1, Ordering::Relaxed);
    }

    /// The watcher lost sight of the database: answer nothing until a check
    /// that starts after now confirms again. What is cached stays until
    /// then (the arm transition drops it), so this is the one rule for
    /// every outage, noticed or not.
    pub(crate) fn disarm(&self) {
        let _entries = self.write();
        let now = self.now();
        self.checks_valid_from
            .fetch_max(now.saturating_add(1), Ordering::AcqRel);
        self.armed_until.store(0, Ordering::Release);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn count(&self, found: bool) {
        let counter = if found { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The cached live record of `phone_number`, if the cache is armed and
    /// holds one.
    pub(crate) fn number(&self, phone_number: &PhoneNumber) -> Option<ProvisionedNumber> {
        let found = if self.is_armed() {
            self.read().numbers.get(phone_number.as_str()).cloned()
        } else {
            None
        };
        self.count(found.is_some());
        found
    }

    /// The cached token with this hash.
    pub(crate) fn token(&self, token_hash: &str) -> Option<ApiToken> {
        let found = if self.is_armed() {
            self.read().tokens.get(token_hash).cloned()
        } else {
            None
        };
        self.count(found.is_some());
        found
    }

    /// Taken before a database read whose answer may be stored.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.read().epoch)
    }

    /// Stores a record read from the database, unless anything was
    /// invalidated since `ticket` was taken (the read may predate it).
    pub(crate) fn store_number(&self, ticket: Ticket, number: &ProvisionedNumber) {
        if !self.is_armed() {
            return;
        }
        let mut entries = self.write();
        if entries.epoch != ticket.0 {
            return;
        }
        if entries.numbers.len() >= self.settings.capacity {
            // Dropping everything is crude but bounded and rare: the working
            // set of an inbound-call service is its own numbers.
            entries.numbers.clear();
            entries.number_ids.clear();
        }
        let key = number.phone_number.as_str().to_owned();
        if let Some(previous) = entries.numbers.insert(key.clone(), number.clone()) {
            entries.number_ids.remove(&previous.id);
        }
        entries.number_ids.insert(number.id, key);
    }

    /// Stores a token read from the database; see [`Self::store_number`].
    pub(crate) fn store_token(&self, ticket: Ticket, token: &ApiToken) {
        if !self.is_armed() {
            return;
        }
        let mut entries = self.write();
        if entries.epoch != ticket.0 {
            return;
        }
        if entries.tokens.len() >= self.settings.capacity {
            entries.tokens.clear();
        }
        entries
            .tokens
            .insert(token.token_hash.clone(), token.clone());
    }

    /// Drops entries under the write lock, bumping the epoch in the same
    /// critical section so no read that started before can store after.
    fn invalidate(&self, drop_entries: impl FnOnce(&mut Entries)) {
        let mut entries = self.write();
        entries.epoch += 1;
        drop_entries(&mut entries);
    }

    pub(crate) fn invalidate_number(&self, phone_number: &str) {
        self.invalidate(|entries| {
            if let Some(removed) = entries.numbers.remove(phone_number) {
                entries.number_ids.remove(&removed.id);
            }
        });
    }

    pub(crate) fn invalidate_number_id(&self, id: Uuid) {
        self.invalidate(|entries| {
            if let Some(phone_number) = entries.number_ids.remove(&id) {
                entries.numbers.remove(&phone_number);
            }
        });
    }

    // Only the PostgreSQL watcher learns which token changed.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn invalidate_token(&self, token_hash: &str) {
        self.invalidate(|entries| {
            entries.tokens.remove(token_hash);
        });
    }

    pub(crate) fn invalidate_token_id(&self, id: Uuid) {
        self.invalidate(|entries| entries.tokens.retain(|_, token| token.id != id));
    }

    pub(crate) fn invalidate_all(&self) {
        self.invalidate(|entries| {
            entries.numbers.clear();
            entries.number_ids.clear();
            entries.tokens.clear();
        });
    }

    /// Counts a change seen by the watcher (made outside this repository,
    /// or by it: the watcher cannot tell them apart).
    pub(crate) fn note_watched_change(&self) {
        self.changes_seen.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> ReadCacheStats {
        ReadCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            changes_seen: self.changes_seen.load(Ordering::Relaxed),
            armed: self.is_armed(),
            rearms: self.arms.load(Ordering::Relaxed).saturating_sub(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use switchboard_core::{AccountId, Capabilities, NumberState, Routing};

    use super::*;

    fn settings(capacity: usize) -> CacheSettings {
        CacheSettings {
            max_staleness: Duration::from_secs(60),
            capacity,
        }
    }

    fn record(phone: &str) -> ProvisionedNumber {
        ProvisionedNumber {
            id: Uuid::now_v7(),
            account: AccountId::parse("acme").unwrap(),
            phone_number: PhoneNumber::parse_trusted(phone).unwrap(),
            friendly_name: "front desk".into(),
            agent_id: None,
            capabilities: Capabilities::default(),
            provider: "fake".into(),
            carrier_id: None,
            routing: Routing::default(),
            state: NumberState::Active,
            idempotency_key: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            released_at: None,
            release_not_before: None,
            version: 1,
            lease_until: None,
            purchased_at: None,
            request_fingerprint: None,
            order: None,
        }
    }

    fn armed(capacity: usize) -> ReadCache {
        let cache = ReadCache::new(settings(capacity));
        cache.confirm(Instant::now());
        cache
    }

    /// A cache on a clock that moves only when told, with a 100 ms bound.
    fn on_manual_clock() -> ReadCache {
        let start = Instant::now();
        let settings = CacheSettings {
            max_staleness: Duration::from_millis(100),
            capacity: 10,
        };
        ReadCache::with_clock(settings, Clock::Manual(std::sync::Mutex::new(start)), start)
    }

    impl ReadCache {
        fn at(&self) -> Instant {
            self.clock.now()
        }

        fn advance(&self, by: Duration) {
            match &self.clock {
                Clock::Manual(now) => *now.lock().unwrap() += by,
                Clock::System => panic!("the system clock cannot be moved"),
            }
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn answers_nothing_until_the_watcher_confirms() {
        let cache = on_manual_clock();
        let number = record("+16045551234");
        cache.store_number(cache.ticket(), &number);
        assert_eq!(cache.number(&number.phone_number), None);
        cache.confirm(cache.at());
        assert_eq!(
            cache.number(&number.phone_number),
            None,
            "stored while unarmed"
        );
        cache.store_number(cache.ticket(), &number);
        assert_eq!(cache.number(&number.phone_number), Some(number));
        assert_eq!(cache.stats().hits, 1);
        assert_eq!(cache.stats().misses, 2);
        assert_eq!(cache.stats().rearms, 0, "the first arming is no outage");
    }

    #[test]
    fn a_confirmation_older_than_the_bound_arms_nothing() {
        let cache = on_manual_clock();
        let long_ago = cache.at();
        cache.advance(ms(1000));
        cache.confirm(long_ago);
        assert!(!cache.stats().armed);
        cache.confirm(cache.at());
        assert!(cache.stats().armed);
    }

    #[test]
    fn answers_until_the_bound_after_the_last_check_and_no_longer() {
        let cache = on_manual_clock();
        cache.confirm(cache.at());
        cache.advance(ms(99));
        assert!(cache.stats().armed);
        cache.advance(ms(1));
        assert!(!cache.stats().armed);
    }

    #[test]
    fn confirmations_in_time_keep_what_is_cached() {
        let cache = on_manual_clock();
        let number = record("+16045551234");
        cache.confirm(cache.at());
        cache.store_number(cache.ticket(), &number);
        cache.advance(ms(60));
        cache.confirm(cache.at());
        // Past the first window, inside the second: never a gap.
        cache.advance(ms(60));
        assert_eq!(cache.number(&number.phone_number), Some(number));
        assert_eq!(cache.stats().rearms, 0);
    }

    #[test]
    fn a_lapse_drops_everything_before_answering_again() {
        // No disarm: the watcher was starved or its heartbeat never came
        // back, and nobody noticed but the clock.
        let cache = on_manual_clock();
        let number = record("+16045551234");
        cache.confirm(cache.at());
        cache.store_number(cache.ticket(), &number);
        cache.advance(ms(150));
        assert_eq!(cache.number(&number.phone_number), None, "lapsed");
        cache.confirm(cache.at());
        assert!(cache.stats().armed);
        assert_eq!(
            cache.number(&number.phone_number),
            None,
            "cached before the lapse, served after it"
        );
        assert_eq!(cache.stats().rearms, 1);
    }

    #[test]
    fn a_disarm_drops_everything_before_answering_again() {
        let cache = on_manual_clock();
        let number = record("+16045551234");
        cache.confirm(cache.at());
        cache.store_number(cache.ticket(), &number);
        cache.disarm();
        assert_eq!(cache.number(&number.phone_number), None, "disarmed");
        cache.advance(ms(1));
        cache.confirm(cache.at());
        assert!(cache.stats().armed);
        assert_eq!(cache.number(&number.phone_number), None);
        assert_eq!(cache.stats().rearms, 1);
    }

    #[test]
    fn a_check_that_started_before_a_disarm_arms_nothing() {
        // A heartbeat sent before the connection was lost and answered
        // after it came back proves nothing about the gap.
        let cache = on_manual_clock();
        cache.confirm(cache.at());
        let sent = cache.at();
        cache.advance(ms(5));
        cache.disarm();
        cache.confirm(sent);
        assert!(!cache.stats().armed);
        // One that started at the very moment of the disarm is no better.
        cache.confirm(cache.at());
        assert!(!cache.stats().armed);
        cache.advance(Duration::from_nanos(1));
        cache.confirm(cache.at());
        assert!(cache.stats().armed);
    }

    #[test]
    fn a_read_in_flight_across_an_outage_stores_nothing() {
        // Two reads: one began before the watcher lost sight, one while it
        // was out; both read what the database held then, and both finish
        // after the cache answers again. Neither may be kept: a change in
        // the gap may have gone unseen.
        let cache = on_manual_clock();
        let number = record("+16045551234");
        cache.confirm(cache.at());
        let before = cache.ticket();
        cache.disarm();
        let during = cache.ticket();
        cache.advance(ms(10));
        cache.confirm(cache.at());
        cache.store_number(before, &number);
        cache.store_number(during, &number);
        assert_eq!(cache.number(&number.phone_number), None);
        // Same through a lapse instead of a disarm.
        cache.advance(ms(150));
        let lapsed = cache.ticket();
        cache.confirm(cache.at());
        cache.store_number(lapsed, &number);
        assert_eq!(cache.number(&number.phone_number), None);
        // A read that began once it answered again is kept.
        cache.store_number(cache.ticket(), &number);
        assert_eq!(cache.number(&number.phone_number), Some(number));
    }

    #[test]
    fn a_read_older_than_an_invalidation_is_not_stored() {
        let cache = armed(10);
        let number = record("+16045551234");
        let ticket = cache.ticket();
        // Another write lands between the database read and the store.
        cache.invalidate_number("+15550000000");
        cache.store_number(ticket, &number);
        assert_eq!(cache.number(&number.phone_number), None);
        cache.store_number(cache.ticket(), &number);
        assert_eq!(cache.number(&number.phone_number), Some(number));
    }

    #[test]
    fn invalidation_by_key_and_by_id_drops_only_that_entry() {
        let cache = armed(10);
        let a = record("+16045551234");
        let b = record("+16045551235");
        let c = record("+16045551236");
        for n in [&a, &b, &c] {
            cache.store_number(cache.ticket(), n);
        }
        cache.invalidate_number(a.phone_number.as_str());
        cache.invalidate_number_id(b.id);
        assert_eq!(cache.number(&a.phone_number), None);
        assert_eq!(cache.number(&b.phone_number), None);
        assert_eq!(cache.number(&c.phone_number), Some(c));
    }

    #[test]
    fn tokens_are_dropped_by_hash_and_by_id() {
        let cache = armed(10);
        let token = |hash: &str| ApiToken {
            id: Uuid::now_v7(),
            account: AccountId::parse("acme").unwrap(),
            label: None,
            token_hash: hash.into(),
            created_at: Utc::now(),
            revoked_at: None,
        };
        let (a, b) = (token("aa"), token("bb"));
        cache.store_token(cache.ticket(), &a);
        cache.store_token(cache.ticket(), &b);
        assert_eq!(cache.token("aa"), Some(a.clone()));
        cache.invalidate_token("aa");
        cache.invalidate_token_id(b.id);
        assert_eq!(cache.token("aa"), None);
        assert_eq!(cache.token("bb"), None);
    }

    #[test]
    fn a_full_cache_starts_over_instead_of_growing() {
        let cache = armed(2);
        let numbers: Vec<_> = (0..3).map(|i| record(&format!("+1604555123{i}"))).collect();
        for n in &numbers {
            cache.store_number(cache.ticket(), n);
        }
        assert_eq!(cache.read().numbers.len(), 1);
        assert_eq!(cache.read().number_ids.len(), 1);
        assert_eq!(
            cache.number(&numbers[2].phone_number),
            Some(numbers[2].clone())
        );
    }
}
