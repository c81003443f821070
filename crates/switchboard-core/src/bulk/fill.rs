//! Filling one position: buy a candidate, replace it when someone else took
//! it, wait out rate limits and other temporary failures without holding a
//! permit, and settle a reservation a lost answer left behind before trying
//! again, so a retry never buys a number twice. The per-position retry
//! bookkeeping lives here because it is what keeps that promise.

use std::time::Duration;

use super::candidates::Take;
use super::run::Run;
use super::{BulkOutcome, DEFAULT_RATE_LIMIT_WAIT, MAX_RATE_LIMIT_WAIT};
use crate::{
    CarrierNumber, Error, NumberState, PhoneNumber, ProvisionRequest, ProvisionedNumber, Result,
    RetryPolicy,
};

/// Rate-limited attempts per number before it is reported failed.
const MAX_RATE_LIMITED_ATTEMPTS: u32 = 30;
/// Other temporary failures per number before it is reported failed.
const MAX_TEMPORARY_ATTEMPTS: u32 = 4;

impl Run<'_> {
    /// Buys a number for position `index`, replacing numbers that are gone
    /// and waiting out rate limits, until one is bought or it cannot be.
    pub(super) async fn fill(&self, index: u32) -> BulkOutcome {
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
                // The adapter retried it already: once is enough.
                error if error.retries_exhausted() => return Err(error.clone()),
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
}

/// Where a position stands in its retries.
struct Retry {
    attempts: u32,
    max: u32,
    wait: Duration,
}
