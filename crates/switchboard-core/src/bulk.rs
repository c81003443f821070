//! Buying many numbers in one call: search ahead in batches, buy with a
//! concurrency that adapts to the carrier's limits, replace numbers someone
//! else took in between, and report every number's outcome.
//!
//! Each number goes through [`ProvisioningService::provision`], so every
//! invariant of a single purchase holds for each of them (reserved first,
//! lost answers settled by asking the carrier, compensated when it cannot be
//! recorded). The bulk adds the loop around it: which number to try next,
//! how many to have in flight, and when to try again.

mod limiter;
mod observed;

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::Duration;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use tokio::sync::Notify;
use tokio::sync::futures::Notified;
use tokio::time::Instant;
use uuid::Uuid;

use crate::{
    AccountId, CarrierNumber, Error, MAX_FRIENDLY_NAME_LEN, MAX_IDEMPOTENCY_KEY_LEN,
    MAX_SEARCH_LIMIT, NumberState, PhoneNumber, ProviderRegistry, ProvisionRequest,
    ProvisionedNumber, ProvisioningService, Result, RetryPolicy, Routing, SearchQuery,
    TelephonyProvider, validate_friendly_name,
};
use limiter::{Limiter, Permit};
use observed::Observed;

/// The most numbers one bulk request may buy.
pub const MAX_BULK_COUNT: u32 = 1000;
/// The highest `max_concurrency` accepted.
pub const MAX_BULK_CONCURRENCY: u32 = 64;
/// Carrier calls in flight at most when a request does not say.
pub const DEFAULT_BULK_CONCURRENCY: u32 = 8;

/// Where the limit starts: high enough to be near most carriers' caps at
/// once, low enough that a carrier allowing fewer refuses only a few.
const SLOW_START_LIMIT: u32 = 8;
/// Rate-limited attempts per number before it is reported failed.
const MAX_RATE_LIMITED_ATTEMPTS: u32 = 30;
/// Other temporary failures per number before it is reported failed.
const MAX_TEMPORARY_ATTEMPTS: u32 = 4;
/// The wait after a rate limit that did not say how long.
const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(1);
/// A `Retry-After` longer than this is cut to it, so a bulk request is not
/// held for minutes by one answer.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(30);
/// Failed searches in a row before the remaining numbers are given up.
const MAX_SEARCH_FAILURES: u32 = 3;
/// Room left in a key or name for the `-1000` / ` 1000` suffix.
const SUFFIX_LEN: usize = 5;

/// Buy `count` numbers matching `search` for one account.
///
/// The JSON form is the body of `bulk-provision-phone-numbers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkProvisionRequest {
    /// How many numbers to buy, 1 to [`MAX_BULK_COUNT`].
    pub count: u32,
    /// Which numbers qualify. Its `limit` is not used: every search asks for
    /// as many numbers as the carrier returns at once.
    #[serde(default)]
    pub search: SearchQuery,
    /// The carrier to buy from; the configured default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Display names are this prefix and the number's position, `Sales 1`,
    /// `Sales 2`, ...; the numbers themselves when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name_prefix: Option<String>,
    /// The agent that answers every number bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Uuid>,
    /// Webhooks to set on every number bought.
    #[serde(default, skip_serializing_if = "Routing::is_empty")]
    pub routing: Routing,
    /// Position `n` is bought under the idempotency key `{prefix}-{n}`, so
    /// repeating the request (say, after a timeout) returns the numbers
    /// already bought and buys only the missing ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key_prefix: Option<String>,
    /// Carrier calls in flight at most, 1 to [`MAX_BULK_CONCURRENCY`]
    /// (default [`DEFAULT_BULK_CONCURRENCY`]); fewer while the carrier
    /// answers with rate limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

/// How one position of a bulk request ended.
#[derive(Debug, Clone)]
pub enum BulkOutcome {
    /// A number was bought and recorded for it.
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

/// `{"index": 1, "status": "bought", "replayed": false, "number": {...}}` or
/// `{"index": 2, "status": "failed", "phone_number": "+1...", "error":
/// {"code": "...", "message": "..."}}`: the error in the same shape the HTTP
/// API uses for whole-request errors.
impl Serialize for BulkOutcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("index", &self.index())?;
        match self {
            BulkOutcome::Bought {
                number, replayed, ..
            } => {
                map.serialize_entry("status", "bought")?;
                map.serialize_entry("replayed", replayed)?;
                map.serialize_entry("number", number)?;
            }
            BulkOutcome::Failed {
                phone_number,
                error,
                ..
            } => {
                map.serialize_entry("status", "failed")?;
                if let Some(phone) = phone_number {
                    map.serialize_entry("phone_number", phone.as_str())?;
                }
                map.serialize_entry("error", &ErrorBody(error))?;
            }
        }
        map.end()
    }
}

struct ErrorBody<'a>(&'a Error);

impl Serialize for ErrorBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("code", self.0.code())?;
        map.serialize_entry("message", &self.0.to_string())?;
        if let Some(field) = self.0.field() {
            map.serialize_entry("field", field)?;
        }
        map.end()
    }
}

/// What happened to the carrier along the way, for tuning and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct BulkReport {
    /// Numbers asked for.
    pub requested: u32,
    /// Positions with a number (replayed ones included).
    pub bought: u32,
    /// Of those, bought by an earlier request with the same keys.
    pub replayed: u32,
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

impl ProvisioningService {
    /// Buys `request.count` numbers matching `request.search` for `account`.
    ///
    /// Fails as a whole only when the request itself is wrong (validated
    /// before anything is bought); otherwise every position's outcome is in
    /// the report, bought or failed with its error.
    pub async fn provision_bulk(
        &self,
        account: &AccountId,
        request: &BulkProvisionRequest,
    ) -> Result<BulkReport> {
        self.provision_bulk_with_progress(account, request, &|_| {})
            .await
    }

    /// [`ProvisioningService::provision_bulk`], calling `progress` with each
    /// position's outcome as soon as it is known (a progress bar).
    pub async fn provision_bulk_with_progress(
        &self,
        account: &AccountId,
        request: &BulkProvisionRequest,
        progress: &(dyn Fn(&BulkOutcome) + Send + Sync),
    ) -> Result<BulkReport> {
        request.validate()?;
        let provider = match &request.provider {
            None => self.providers.default_provider().clone(),
            Some(name) => self.providers.get(name).cloned().ok_or_else(|| {
                Error::invalid(
                    "provider",
                    format!(
                        "{name:?} is not configured; configured: {}",
                        self.providers.names().join(", ")
                    ),
                )
            })?,
        };
        let features = provider.features();
        let mut batch = request.search.clone();
        batch.limit = features.max_search_results.clamp(1, MAX_SEARCH_LIMIT);
        features.check(provider.name(), &batch)?;

        let max = request
            .max_concurrency
            .unwrap_or(DEFAULT_BULK_CONCURRENCY)
            .clamp(1, MAX_BULK_CONCURRENCY);
        let limiter = Arc::new(Limiter::new(SLOW_START_LIMIT.min(max), max));
        // Every carrier call, the service's included, reports to the limiter
        // as it ends, so a refusal lowers the limit at once.
        let provider: Arc<dyn TelephonyProvider> =
            Arc::new(Observed::new(provider, limiter.clone()));
        // One carrier, and no purchase retries inside `provision`: the bulk
        // waits out rate limits itself, without holding a slot.
        let mut service = self.clone();
        service.providers = Arc::new(ProviderRegistry::new(provider.clone()));
        service.options.purchase_retry = RetryPolicy::NONE;

        let run = Run {
            service,
            provider,
            account,
            request,
            batch,
            limiter,
            shared: Mutex::new(Shared::default()),
            candidates_changed: Notify::new(),
            progress,
        };
        run.replay_earlier().await;
        let workers = {
            let shared = run.lock();
            (shared.pending.len() as u32).min(max)
        };
        let futures: Vec<Pin<Box<dyn Future<Output = ()> + Send + '_>>> = (0..workers)
            .map(|_| Box::pin(run.worker()) as Pin<Box<dyn Future<Output = ()> + Send + '_>>)
            .collect();
        join_all(futures).await;
        Ok(run.into_report())
    }
}

/// Polls every future until all are done: the bulk's workers share one task,
/// so core needs no runtime feature to spawn them.
async fn join_all<'a>(mut futures: Vec<Pin<Box<dyn Future<Output = ()> + Send + 'a>>>) {
    std::future::poll_fn(|cx| {
        futures.retain_mut(|future| future.as_mut().poll(cx).is_pending());
        if futures.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// The state the workers share.
#[derive(Default)]
struct Shared {
    /// Positions no worker has started.
    pending: VecDeque<u32>,
    /// Numbers found and not yet tried.
    candidates: VecDeque<PhoneNumber>,
    /// Every number ever queued: none is tried twice.
    seen: HashSet<PhoneNumber>,
    /// A worker is searching.
    searching: bool,
    /// No more numbers will come, and why.
    exhausted: Option<Error>,
    /// Numbers taken from the queue and not yet done with.
    in_progress: u32,
    /// Numbers done with (bought, taken by someone else, failed): each one
    /// may change what a search returns.
    completions: u64,
    /// `completions` when a search last found nothing new: searching again
    /// before another number is done with would find nothing new either.
    dry_at: Option<u64>,
    search_failures: u32,
    /// No search before this: the carrier rate-limited the last one.
    search_not_before: Option<Instant>,
    outcomes: Vec<BulkOutcome>,
    stats: BulkStats,
}

/// One step towards a number to try.
enum Take<'a> {
    Got(PhoneNumber),
    /// Nothing to try yet: wait for this, without a permit.
    Wait(Notified<'a>),
    /// The carrier rate-limited the last search: wait until then.
    Sleep(Instant),
    Failed(Error),
}

/// One bulk call in progress.
struct Run<'a> {
    service: ProvisioningService,
    provider: Arc<dyn TelephonyProvider>,
    account: &'a AccountId,
    request: &'a BulkProvisionRequest,
    /// The search, asking for as many as the carrier gives at once.
    batch: SearchQuery,
    limiter: Arc<Limiter>,
    shared: Mutex<Shared>,
    candidates_changed: Notify,
    progress: &'a (dyn Fn(&BulkOutcome) + Send + Sync),
}

impl Run<'_> {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        // Updates complete before the guard drops; a poisoned lock is consistent.
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Positions an earlier request with the same keys already filled are
    /// reported as they are; the rest are left to the workers.
    async fn replay_earlier(&self) {
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

    async fn worker(&self) {
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

    /// Buys a number for position `index`, replacing numbers that are gone
    /// and waiting out rate limits, until one is bought or it cannot be.
    async fn fill(&self, index: u32) -> BulkOutcome {
        let mut held: Option<PhoneNumber> = None;
        let mut rate_limited = 0;
        let mut temporary = 0;
        loop {
            let permit = self.limiter.acquire().await;
            let phone = match held.take() {
                Some(phone) => phone,
                None => match self.take_candidate(&permit).await {
                    Take::Got(phone) => phone,
                    Take::Wait(changed) => {
                        drop(permit);
                        changed.await;
                        continue;
                    }
                    Take::Sleep(until) => {
                        drop(permit);
                        tokio::time::sleep_until(until).await;
                        continue;
                    }
                    Take::Failed(error) => {
                        return BulkOutcome::Failed {
                            index,
                            phone_number: None,
                            error,
                        };
                    }
                },
            };
            let request = ProvisionRequest {
                phone_number: phone.clone(),
                friendly_name: self.request.friendly_name(index),
                agent_id: self.request.agent_id,
                routing: self.request.routing.clone(),
                provider: None,
                idempotency_key: self.request.idempotency_key(index),
            };
            let error = match self.service.provision(self.account, &request).await {
                Ok(number) => {
                    self.done_with_number();
                    return BulkOutcome::Bought {
                        index,
                        number: Box::new(number),
                        replayed: false,
                    };
                }
                Err(error) => error,
            };
            match &error {
                Error::NumberUnavailable { .. } | Error::AlreadyProvisioned { .. } => {
                    self.lock().stats.replaced += 1;
                    self.done_with_number();
                    continue;
                }
                Error::RateLimited { retry_after, .. } => {
                    drop(permit);
                    rate_limited += 1;
                    let wait = retry_after
                        .unwrap_or(DEFAULT_RATE_LIMIT_WAIT)
                        .min(MAX_RATE_LIMIT_WAIT);
                    let retry = Retry {
                        attempts: rate_limited,
                        max: MAX_RATE_LIMITED_ATTEMPTS,
                        wait,
                    };
                    if let Some(outcome) = self.before_retry(index, &phone, retry, error).await {
                        return outcome;
                    }
                    held = Some(phone);
                }
                error if error.is_temporary() => {
                    drop(permit);
                    temporary += 1;
                    let wait = RetryPolicy::default()
                        .delay(temporary, error)
                        .unwrap_or(DEFAULT_RATE_LIMIT_WAIT);
                    let retry = Retry {
                        attempts: temporary,
                        max: MAX_TEMPORARY_ATTEMPTS,
                        wait,
                    };
                    if let Some(outcome) =
                        self.before_retry(index, &phone, retry, error.clone()).await
                    {
                        return outcome;
                    }
                    held = Some(phone);
                }
                _ => {
                    if matches!(
                        error,
                        Error::Unauthenticated { .. } | Error::Configuration { .. }
                    ) {
                        // Every other purchase would fail the same way.
                        let mut shared = self.lock();
                        shared.exhausted.get_or_insert_with(|| error.clone());
                    }
                    self.done_with_number();
                    return BulkOutcome::Failed {
                        index,
                        phone_number: Some(phone),
                        error,
                    };
                }
            }
        }
    }

    /// After a temporary failure of `phone`: settles a reservation the
    /// attempt left behind, gives up (reporting `error`) after the last
    /// attempt, or waits (without a permit). `Some` ends the position.
    async fn before_retry(
        &self,
        index: u32,
        phone: &PhoneNumber,
        retry: Retry,
        error: Error,
    ) -> Option<BulkOutcome> {
        if !matches!(error, Error::RateLimited { .. }) {
            // Only a rate-limited purchase is known never to have been
            // processed. After any other temporary failure that left its
            // reservation, the carrier may still be completing it: buying
            // again could buy twice, so the position fails and `reconcile`
            // settles the reservation. Without one, nothing is in flight and
            // trying again is safe.
            match self.our_reservation(index, phone).await {
                Ok(None) => {}
                Ok(Some(_)) => {
                    self.done_with_number();
                    return Some(BulkOutcome::Failed {
                        index,
                        phone_number: Some(phone.clone()),
                        error,
                    });
                }
                Err(lookup) => {
                    self.done_with_number();
                    return Some(BulkOutcome::Failed {
                        index,
                        phone_number: Some(phone.clone()),
                        error: lookup,
                    });
                }
            }
        } else {
            match self.settle(index, phone).await {
                Ok(Some(number)) => {
                    self.done_with_number();
                    return Some(BulkOutcome::Bought {
                        index,
                        number: Box::new(number),
                        replayed: false,
                    });
                }
                Ok(None) => {}
                Err(error) => {
                    self.done_with_number();
                    return Some(BulkOutcome::Failed {
                        index,
                        phone_number: Some(phone.clone()),
                        error,
                    });
                }
            }
        }
        if retry.attempts >= retry.max {
            self.done_with_number();
            return Some(BulkOutcome::Failed {
                index,
                phone_number: Some(phone.clone()),
                error,
            });
        }
        self.lock().stats.retries += 1;
        tokio::time::sleep(retry.wait).await;
        None
    }

    /// A failed attempt whose outcome the service could not settle (the
    /// carrier could not be asked) leaves its reservation: ask now, and
    /// either complete the record or free the number for another attempt.
    async fn settle(&self, index: u32, phone: &PhoneNumber) -> Result<Option<ProvisionedNumber>> {
        let Some(record) = self.our_reservation(index, phone).await? else {
            return Ok(None);
        };
        let owned = self
            .ask_owned(phone)
            .await?
            .filter(|owned| owned.phone_number == *phone);
        let now = self.service.clock.now();
        // From the version read: if anything else settled it meanwhile
        // (reconcile, after the lease lapsed), this is stale and the
        // position fails rather than overwrite that.
        let next = match &owned {
            Some(bought) => record.settle_active(bought, now)?,
            None => record.abandon(now)?,
        };
        let stored = self.service.repository.update(&next).await?;
        Ok(owned.map(|_| stored))
    }

    /// The reservation position `index`'s attempt on `phone` left, if any.
    async fn our_reservation(
        &self,
        index: u32,
        phone: &PhoneNumber,
    ) -> Result<Option<ProvisionedNumber>> {
        let record = self.service.repository.find_by_phone_number(phone).await?;
        Ok(record.filter(|record| {
            record.account == *self.account
                && record.state == NumberState::Reserved
                && record.idempotency_key == self.request.idempotency_key(index)
        }))
    }

    /// Whether the account owns `phone` at the carrier, asking through
    /// rate limits and other temporary failures as a purchase would.
    async fn ask_owned(&self, phone: &PhoneNumber) -> Result<Option<CarrierNumber>> {
        let mut rate_limited = 0;
        let mut temporary = 0;
        loop {
            let permit = self.limiter.acquire().await;
            let error = match self.provider.find_owned(phone).await {
                Ok(owned) => {
                    return Ok(owned);
                }
                Err(error) => error,
            };
            let wait = match &error {
                Error::RateLimited { retry_after, .. }
                    if rate_limited + 1 < MAX_RATE_LIMITED_ATTEMPTS =>
                {
                    rate_limited += 1;
                    retry_after
                        .unwrap_or(DEFAULT_RATE_LIMIT_WAIT)
                        .min(MAX_RATE_LIMIT_WAIT)
                }
                error if error.is_temporary() && temporary + 1 < MAX_TEMPORARY_ATTEMPTS => {
                    temporary += 1;
                    RetryPolicy::default()
                        .delay(temporary, error)
                        .unwrap_or(DEFAULT_RATE_LIMIT_WAIT)
                }
                _ => return Err(error),
            };
            drop(permit);
            tokio::time::sleep(wait).await;
        }
    }

    /// A number taken from the queue is done with.
    fn done_with_number(&self) {
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
    async fn take_candidate<'s>(&'s self, permit: &Permit<'_>) -> Take<'s> {
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

    fn into_report(self) -> BulkReport {
        let limiter = self.limiter.stats();
        let shared = self.shared.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut outcomes = shared.outcomes;
        outcomes.sort_by_key(BulkOutcome::index);
        let bought = outcomes.iter().filter(|o| o.number().is_some()).count() as u32;
        let replayed = outcomes
            .iter()
            .filter(|o| matches!(o, BulkOutcome::Bought { replayed: true, .. }))
            .count() as u32;
        BulkReport {
            requested: self.request.count,
            bought,
            replayed,
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

/// Where a position stands in its retries.
struct Retry {
    attempts: u32,
    max: u32,
    wait: Duration,
}
