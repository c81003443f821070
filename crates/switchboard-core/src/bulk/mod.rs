//! Buying many numbers in one call: search ahead in batches, buy with a
//! concurrency that adapts to the carrier's limits, replace numbers someone
//! else took in between, and report every number's outcome.
//!
//! Each number goes through [`ProvisioningService::provision`], so every
//! invariant of a single purchase holds for each of them (reserved first,
//! lost answers settled by asking the carrier, compensated when it cannot be
//! recorded). The bulk adds the loop around it: which number to try next,
//! how many to have in flight, and when to try again.
//!
//! The parts: [`request`] is what a caller asks for, [`report`] what it gets
//! back; [`run`] hands positions to workers, [`candidates`] keeps the queue
//! of numbers to try, [`fill`] buys one position through its retries;
//! [`limiter`] bounds the carrier calls in flight and [`observed`] feeds it
//! every call's outcome; [`orders`] waits for the carrier orders still open
//! at the end, all at once.

mod candidates;
mod fill;
mod limiter;
mod orders;
mod report;
mod request;
mod run;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::layer::Hooked;
use crate::{
    AccountId, Error, MAX_SEARCH_LIMIT, ProviderRegistry, ProvisioningService, Result, RetryPolicy,
    TelephonyProvider,
};
use limiter::Limiter;
pub use report::{BulkOutcome, BulkReport, BulkStats};
pub use request::{
    BulkProvisionRequest, DEFAULT_BULK_CONCURRENCY, MAX_BULK_CONCURRENCY, MAX_BULK_COUNT,
};
use run::{Run, Shared};

/// Where the limit starts: high enough to be near most carriers' caps at
/// once, low enough that a carrier allowing fewer refuses only a few.
const SLOW_START_LIMIT: u32 = 8;

// The waits after a rate limit, shared by purchases and searches.

/// The wait after a rate limit that did not say how long.
const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(1);
/// A `Retry-After` longer than this is cut to it, so a bulk request is not
/// held for minutes by one answer.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(30);

impl ProvisioningService {
    /// Buys `request.count` numbers matching `request.search` for `account`.
    ///
    /// Fails as a whole only when the request itself is wrong (validated
    /// before anything is bought); otherwise every position's outcome is in
    /// the report, bought or failed with its error.
    ///
    /// A position whose purchase became a carrier order holds its number
    /// (`Pending`), is never bought again, and is reported with its record:
    /// active if the order completed within the service's `order_wait`
    /// (waited for once, for all orders together, after every position has
    /// an answer), pending if not, failed if the carrier gave up on it.
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
        // Every carrier call, the service's included, waits for the limiter
        // and reports to it as it ends, so a refusal lowers the limit at once
        // (not after the service has finished settling what it refused).
        let provider: Arc<dyn TelephonyProvider> = Arc::new(Hooked::new(provider, limiter.clone()));
        // One carrier, and no purchase retries inside `provision`: the bulk
        // waits out rate limits itself, without holding a slot.
        let mut service = self.clone();
        service.providers = Arc::new(ProviderRegistry::new(provider.clone()));
        service.options.purchase_retry = RetryPolicy::NONE;
        // Orders are waited for together at the end, not one per worker.
        service.options.order_wait = Duration::ZERO;

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
        crate::join::join_all(futures).await;
        run.wait_for_orders(self.options.order_wait).await;
        Ok(run.into_report())
    }
}
