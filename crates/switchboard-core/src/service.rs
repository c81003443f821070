//! The provisioning service: the one place where carrier calls and records
//! are put in order, so that the invariants hold whatever fails in between.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use crate::{
    AccountId, AvailableNumber, CarrierNumber, CarrierUpdate, Clock, Error, IdSource, NumberFilter,
    NumberRepository, NumberState, NumberUpdate, Page, PageRequest, PhoneNumber, ProviderRegistry,
    ProvisionRequest, ProvisionedNumber, PurchaseRequest, RandomIds, Reservation, Result,
    RetryPolicy, Routing, SearchQuery, SystemClock, TelephonyProvider,
};

/// Tunables of the service.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Purchase attempts per request, each after the carrier confirmed that
    /// the previous one did not go through.
    pub purchase_retry: RetryPolicy,
    /// How long a reservation is vouched for by the request holding it.
    /// The request renews it every third of this while the carrier works,
    /// so a slow carrier never makes a live request look abandoned;
    /// `reconcile` takes a reservation only once it has lapsed, that is
    /// when its request has died or stalled for this long.
    pub reservation_lease: Duration,
    /// Records younger than this are left alone by `reconcile`: numbers
    /// bought so recently that a carrier's listing may not show them yet,
    /// and reservations written before leases existed.
    pub fresh_record_grace: Duration,
    /// Webhooks given, per carrier, to a number bought without routing of
    /// its own: where the service receives that carrier's calls and
    /// messages (set from the configured public URL). A carrier not named
    /// here leaves such a number unrouted.
    pub inbound_routing: BTreeMap<String, Routing>,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            purchase_retry: RetryPolicy {
                max_attempts: 3,
                ..RetryPolicy::default()
            },
            reservation_lease: Duration::from_secs(60),
            fresh_record_grace: Duration::from_secs(120),
            inbound_routing: BTreeMap::new(),
        }
    }
}

impl ServiceOptions {
    /// Refuses settings that would let `reconcile` take work in flight.
    pub fn validate(&self) -> Result<()> {
        if self.reservation_lease.is_zero() {
            return Err(Error::Configuration {
                message: "reservation_lease must be longer than 0: with no lease, reconcile \
                          could fail a purchase while the carrier completes it"
                    .into(),
            });
        }
        if self.fresh_record_grace.is_zero() {
            return Err(Error::Configuration {
                message: "reservation_grace must be longer than 0: with no grace, reconcile \
                          could release a number bought a moment ago that a carrier's \
                          listing does not show yet"
                    .into(),
            });
        }
        Ok(())
    }
}

/// How many times a write that lost a compare-and-swap is decided again on
/// a fresh read before giving up with [`Error::Stale`].
const MAX_STALE_RETRIES: u32 = 8;

/// Searches, buys, changes and releases numbers for accounts, keeping the
/// repository and the carriers in agreement.
///
/// Cheap to clone: the parts are shared.
#[derive(Debug, Clone)]
pub struct ProvisioningService {
    // Behind an Arc so that a clone (one per HTTP request, through the
    // router's state) copies no map of carriers.
    pub(crate) providers: Arc<ProviderRegistry>,
    pub(crate) repository: Arc<dyn NumberRepository>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdSource>,
    pub(crate) options: ServiceOptions,
}

/// How a purchase attempt ended.
enum Purchase {
    Bought(CarrierNumber),
    /// The outcome is unknown (the carrier could not be asked, or answered
    /// something that proves nothing); the reservation stays for `reconcile`.
    Unsettled(Error),
    /// It did not happen.
    Failed(Error),
}

impl ProvisioningService {
    /// A service over `providers` and `repository`, with the system clock and
    /// time-ordered random ids.
    pub fn new(providers: ProviderRegistry, repository: Arc<dyn NumberRepository>) -> Self {
        Self {
            providers: Arc::new(providers),
            repository,
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
            options: ServiceOptions::default(),
        }
    }

    /// Uses `clock` for every timestamp.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses `ids` for new records.
    pub fn with_ids(mut self, ids: Arc<dyn IdSource>) -> Self {
        self.ids = ids;
        self
    }

    /// Replaces the options. They are checked when used; call
    /// [`ServiceOptions::validate`] to refuse bad ones up front.
    pub fn with_options(mut self, options: ServiceOptions) -> Self {
        self.options = options;
        self
    }

    /// The options in use.
    pub fn options(&self) -> &ServiceOptions {
        &self.options
    }

    /// The carriers.
    pub fn providers(&self) -> &ProviderRegistry {
        &self.providers
    }

    /// The repository.
    pub fn repository(&self) -> &Arc<dyn NumberRepository> {
        &self.repository
    }

    fn provider_for(&self, name: Option<&str>) -> Result<&Arc<dyn TelephonyProvider>> {
        match name {
            None => Ok(self.providers.default_provider()),
            Some(name) => self.providers.get(name).ok_or_else(|| {
                Error::invalid(
                    "provider",
                    format!(
                        "{name:?} is not configured; configured: {}",
                        self.providers.names().join(", ")
                    ),
                )
            }),
        }
    }

    /// Numbers for sale at `provider` (the default when `None`).
    pub async fn search(
        &self,
        query: &SearchQuery,
        provider: Option<&str>,
    ) -> Result<Vec<AvailableNumber>> {
        query.validate()?;
        let provider = self.provider_for(provider)?;
        provider.features().check(provider.name(), query)?;
        let mut found = provider.search(query).await?;
        found.truncate(query.limit as usize);
        Ok(found)
    }

    /// Buys a number for `account` and records it.
    ///
    /// The number is reserved in the repository first, so two requests can
    /// never both buy it; the reservation's lease is renewed while the
    /// carrier works; a lost purchase answer is settled by asking the
    /// carrier; a purchase that cannot be recorded is released again.
    pub async fn provision(
        &self,
        account: &AccountId,
        request: &ProvisionRequest,
    ) -> Result<ProvisionedNumber> {
        request.validate()?;
        self.options.validate()?;
        let provider = self.provider_for(request.provider.as_deref())?.clone();

        if let Some(existing) = self.replay(account, request).await? {
            return Ok(existing);
        }

        let now = self.clock.now();
        let mut record = ProvisionedNumber::reserve(
            request,
            Reservation {
                id: self.ids.next_id(),
                account,
                provider: provider.name(),
                now,
                lease_until: now + chrono_duration(self.options.reservation_lease),
            },
        );
        if record.routing.is_empty()
            && let Some(routing) = self.options.inbound_routing.get(provider.name())
        {
            record.routing = routing.clone();
        }
        match self.repository.insert(&record).await {
            Ok(()) => {}
            Err(error @ (Error::Conflict { .. } | Error::AlreadyProvisioned { .. }))
                if request.idempotency_key.is_some() =>
            {
                return self.after_key_clash(account, request, error).await;
            }
            Err(e) => return Err(e),
        }

        let purchase = PurchaseRequest {
            phone_number: request.phone_number.clone(),
            friendly_name: request.friendly_name.clone(),
            routing: record.routing.clone(),
        };
        let (outcome, record) = self
            .purchase_holding_lease(provider.as_ref(), &purchase, record)
            .await;
        match outcome {
            Purchase::Bought(bought) => {
                self.record_purchase(provider.as_ref(), record, bought)
                    .await
            }
            Purchase::Unsettled(error) => Err(error),
            Purchase::Failed(error) => {
                self.abandon(&record).await;
                Err(error)
            }
        }
    }

    /// The insert of a keyed request clashed with an existing record: the
    /// same key's earlier request (replay it, or say it is in progress), or
    /// another holder of the number. Never `AlreadyProvisioned` for a loser
    /// of a race between requests with one key and one body.
    async fn after_key_clash(
        &self,
        account: &AccountId,
        request: &ProvisionRequest,
        clash: Error,
    ) -> Result<ProvisionedNumber> {
        if let Some(existing) = self.replay(account, request).await? {
            return Ok(existing);
        }
        if matches!(clash, Error::AlreadyProvisioned { .. })
            && let Some(holder) = self
                .repository
                .find_by_phone_number(&request.phone_number)
                .await?
            && (holder.account != *account || holder.idempotency_key != request.idempotency_key)
        {
            return Err(clash);
        }
        // The record that clashed went away between the insert and the
        // replay (its purchase failed and freed the key): trying again may
        // succeed.
        Err(in_progress())
    }

    /// The record an earlier request with the same idempotency key made, if
    /// any; an error if that request is still running or was a different
    /// request (any field differs).
    async fn replay(
        &self,
        account: &AccountId,
        request: &ProvisionRequest,
    ) -> Result<Option<ProvisionedNumber>> {
        let Some(key) = &request.idempotency_key else {
            return Ok(None);
        };
        let Some(existing) = self
            .repository
            .find_by_idempotency_key(account, key)
            .await?
        else {
            return Ok(None);
        };
        let difference = match &existing.request_fingerprint {
            Some(fingerprint) => request.first_difference(fingerprint),
            // Recorded before requests were fingerprinted: the number is
            // all that can be compared.
            None => (existing.phone_number != request.phone_number).then(|| "phone_number".into()),
        };
        if let Some(field) = difference {
            return Err(Error::IdempotencyKeyMismatch {
                field: field.into(),
            });
        }
        match existing.state {
            NumberState::Reserved => Err(in_progress()),
            _ => Ok(Some(existing)),
        }
    }

    /// Runs the purchase while renewing the reservation's lease, so that
    /// `reconcile` never takes a reservation whose request is alive however
    /// slow the carrier is. Returns the record as last written.
    async fn purchase_holding_lease(
        &self,
        provider: &dyn TelephonyProvider,
        purchase: &PurchaseRequest,
        mut record: ProvisionedNumber,
    ) -> (Purchase, ProvisionedNumber) {
        let lease = self.options.reservation_lease;
        let renew_every = (lease / 3).max(Duration::from_millis(1));
        let attempt = self.purchase_settled(provider, purchase);
        let mut attempt = std::pin::pin!(attempt);
        // A carrier that answers without waiting (the fake, an in-memory
        // double) needs no timer: poll once before arming one.
        let first =
            std::future::poll_fn(|cx| std::task::Poll::Ready(attempt.as_mut().poll(cx))).await;
        if let std::task::Poll::Ready(outcome) = first {
            return (outcome, record);
        }
        loop {
            match tokio::time::timeout(renew_every, &mut attempt).await {
                Ok(outcome) => return (outcome, record),
                Err(_) => {
                    let now = self.clock.now();
                    if let Ok(renewed) = record.renew_lease(now + chrono_duration(lease), now) {
                        // A failed renewal is tried again at the next tick;
                        // a stale one means the reservation was taken over,
                        // which recording the outcome will find out.
                        if let Ok(stored) = self.repository.update(&renewed).await {
                            record = stored;
                        }
                    }
                }
            }
        }
    }

    /// Records a purchase that went through. When the record cannot be
    /// written (store down, or the reservation was taken over after its
    /// lease lapsed), the number is given back rather than paid for with
    /// nobody knowing; if that fails too, the reservation stays and
    /// `reconcile` settles it by asking the carrier.
    async fn record_purchase(
        &self,
        provider: &dyn TelephonyProvider,
        record: ProvisionedNumber,
        bought: CarrierNumber,
    ) -> Result<ProvisionedNumber> {
        let now = self.clock.now();
        let written = self
            .write_with(&record, |current| match current.state {
                NumberState::Reserved => current.settle_active(&bought, now).map(Some),
                // `reconcile` found the purchase at the carrier first.
                NumberState::Active
                    if current.carrier_id.as_deref() == Some(&bought.carrier_id) =>
                {
                    Ok(None)
                }
                _ => Err(Error::Conflict {
                    reason: format!(
                        "the reservation of {} was taken over while the carrier sold it \
                         (it is now {})",
                        current.phone_number,
                        current.state.as_str()
                    ),
                }),
            })
            .await;
        let error = match written {
            Ok(stored) => return Ok(stored),
            Err(error) => error,
        };
        // Only a confirmed release frees the reservation: a "not found" for
        // a number sold a moment ago proves nothing.
        if provider.release(&bought.carrier_id).await.is_ok() {
            self.abandon(&record).await;
        }
        Err(error)
    }

    /// Marks a reservation failed and frees its idempotency key, best effort:
    /// a reservation left behind is settled by `reconcile`.
    async fn abandon(&self, record: &ProvisionedNumber) {
        let now = self.clock.now();
        let _ = self
            .write_with(record, |current| match current.state {
                NumberState::Reserved => current.abandon(now).map(Some),
                _ => Ok(None),
            })
            .await;
    }

    /// Writes what `decide` makes of `record`, with compare-and-swap: when
    /// another write came first, the record is read again and `decide` is
    /// asked again about the fresh copy. `decide` returns `None` when the
    /// record is already as it should be (nothing is written then), and an
    /// error when the change no longer applies.
    pub(crate) async fn write_with(
        &self,
        record: &ProvisionedNumber,
        mut decide: impl FnMut(&ProvisionedNumber) -> Result<Option<ProvisionedNumber>>,
    ) -> Result<ProvisionedNumber> {
        let mut current = record.clone();
        for _ in 0..MAX_STALE_RETRIES {
            let Some(next) = decide(&current)? else {
                return Ok(current);
            };
            match self.repository.update(&next).await {
                Ok(stored) => return Ok(stored),
                Err(Error::Stale { .. }) => {
                    current =
                        self.repository.get(record.id).await?.ok_or_else(|| {
                            Error::not_found(format!("phone number {}", record.id))
                        })?;
                }
                Err(error) => return Err(error),
            }
        }
        Err(Error::Stale {
            what: format!("phone number {}", record.id),
        })
    }

    /// Buys, and when the answer is lost, temporary or cannot be right (it
    /// names another number, or the carrier's adapter found it inconsistent),
    /// asks the carrier whether the number is now owned. Only a
    /// rate-limited purchase (which carriers never process) is tried again;
    /// any other unsettled outcome keeps its reservation for `reconcile`.
    async fn purchase_settled(
        &self,
        provider: &dyn TelephonyProvider,
        purchase: &PurchaseRequest,
    ) -> Purchase {
        let asked = &purchase.phone_number;
        let mut attempt = 1;
        loop {
            let error = match provider.purchase(purchase).await {
                Ok(bought) if bought.phone_number == *asked => return Purchase::Bought(bought),
                Ok(other) => Error::Inconsistent {
                    source_name: provider.name().to_string(),
                    message: format!(
                        "the purchase of {asked} was answered with {}; the reservation stays \
                         until reconcile asks the carrier",
                        other.phone_number
                    ),
                },
                // An answer that cannot be right says nothing either way:
                // ask, as for a lost one.
                Err(error @ Error::Inconsistent { .. }) => error,
                Err(error) if !error.is_temporary() => return Purchase::Failed(error),
                Err(error) => error,
            };
            // The carrier may have bought it and the answer got lost.
            match provider.find_owned(asked).await {
                Ok(Some(owned)) if owned.phone_number == *asked => {
                    return Purchase::Bought(owned);
                }
                // A rate-limited request was never processed: safe to repeat.
                Ok(None) if matches!(error, Error::RateLimited { .. }) => {}
                // Not owned yet, but a lost or failed request may still be
                // running at the carrier: buying again could buy twice, or fail
                // against our own first purchase and leave it unrecorded. The
                // reservation stays for `reconcile` to settle after its lease.
                Ok(_) | Err(_) => return Purchase::Unsettled(error),
            }
            match self.options.purchase_retry.delay(attempt, &error) {
                Some(wait) => {
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return Purchase::Failed(error),
            }
        }
    }

    /// The account's number with this id.
    pub async fn get(&self, account: &AccountId, id: Uuid) -> Result<ProvisionedNumber> {
        match self.repository.get(id).await? {
            Some(number) if number.account == *account && number.state != NumberState::Failed => {
                Ok(number)
            }
            _ => Err(Error::not_found(format!("phone number {id}"))),
        }
    }

    /// The live record of a phone number, whatever the account: the lookup an
    /// inbound call makes to find its agent.
    pub async fn lookup(&self, phone_number: &PhoneNumber) -> Result<Option<ProvisionedNumber>> {
        self.repository.find_by_phone_number(phone_number).await
    }

    /// The record that answers a call or message to `to` delivered by
    /// `carrier`: the active number bought from that carrier, through the
    /// same lookup (and read cache) as [`Self::lookup`]. A number that is
    /// reserved, being released, released, unknown, or held at another
    /// carrier is not ours to answer: `None`.
    pub async fn resolve_inbound(
        &self,
        carrier: &str,
        to: &PhoneNumber,
    ) -> Result<Option<ProvisionedNumber>> {
        Ok(self
            .repository
            .find_by_phone_number(to)
            .await?
            .filter(|record| record.state == NumberState::Active && record.provider == carrier))
    }

    /// A page of the account's numbers. Released and failed numbers are
    /// left out unless `filter.states` asks for them.
    pub async fn list(
        &self,
        account: &AccountId,
        mut filter: NumberFilter,
        page: &PageRequest,
    ) -> Result<Page<ProvisionedNumber>> {
        // No carrier is named with control characters, and PostgreSQL text
        // cannot even hold NUL: refuse them as bad input, not a store failure.
        if let Some(provider) = &filter.provider
            && provider.chars().any(char::is_control)
        {
            return Err(Error::invalid(
                "provider",
                "must not contain control characters",
            ));
        }
        filter.account = Some(account.clone());
        if filter.states.is_empty() {
            filter.states = vec![NumberState::Active, NumberState::Releasing];
        }
        self.repository.list(&filter, page).await
    }

    /// Renames, reassigns or re-routes one of the account's numbers. Name and
    /// routing change at the carrier first; nothing is recorded if it refuses.
    /// The change is recorded only while the number is still active: a
    /// release asked for meanwhile is never undone. When another change of
    /// the number was recorded while this one was at the carrier, what the
    /// carrier holds then is recorded (and returned), so that of two
    /// overlapping renames the record keeps the one the carrier applied last.
    pub async fn update(
        &self,
        account: &AccountId,
        id: Uuid,
        update: &NumberUpdate,
    ) -> Result<ProvisionedNumber> {
        update.validate()?;
        let record = self.get(account, id).await?;
        if record.state != NumberState::Active {
            return Err(Error::Conflict {
                reason: format!("phone number {id} is {}, not active", record.state.as_str()),
            });
        }
        if !update.touches_carrier() {
            // The change lives only in the record: the last write wins.
            let now = self.clock.now();
            return self
                .write_with(&record, |current| {
                    current.apply_update(update, None, now).map(Some)
                })
                .await;
        }
        let provider = self.providers.require(&record.provider)?;
        let carrier_id = record.carrier_id.clone().ok_or_else(|| Error::Conflict {
            reason: format!("phone number {id} has no carrier id yet"),
        })?;
        let answer = provider
            .update(
                &carrier_id,
                &CarrierUpdate {
                    friendly_name: update.friendly_name.clone(),
                    routing: update.routing.clone(),
                },
            )
            .await?;
        let now = self.clock.now();
        // Written from the copy read before the carrier call: it succeeds
        // only if nothing was recorded meanwhile, and then any change that
        // reaches the carrier after ours is recorded after ours too.
        match self
            .repository
            .update(&record.apply_update(update, Some(&answer), now)?)
            .await
        {
            Err(Error::Stale { .. }) => {}
            done => return done,
        }
        self.record_as_held(provider.as_ref(), id, update, now)
            .await
    }

    /// Records what the carrier holds for a number whose record moved on
    /// while a change of ours was at the carrier: another change may have
    /// reached the carrier after ours and been recorded first, and writing
    /// our answer would undo it. Each attempt reads the record, then asks
    /// the carrier, and writes only if the record did not move again in
    /// between, so the change the carrier applied last is the one recorded.
    /// If the carrier cannot be asked, nothing is written and the error is
    /// returned: the change reached the carrier, and repeating it records it.
    async fn record_as_held(
        &self,
        provider: &dyn TelephonyProvider,
        id: Uuid,
        update: &NumberUpdate,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<ProvisionedNumber> {
        for _ in 0..MAX_STALE_RETRIES {
            let current = self
                .repository
                .get(id)
                .await?
                .ok_or_else(|| Error::not_found(format!("phone number {id}")))?;
            if current.state != NumberState::Active {
                return Err(Error::Conflict {
                    reason: format!(
                        "phone number {id} is {}, not active",
                        current.state.as_str()
                    ),
                });
            }
            let held = provider
                .find_owned(&current.phone_number)
                .await?
                .filter(|held| Some(&held.carrier_id) == current.carrier_id.as_ref())
                .ok_or_else(|| {
                    Error::not_found(format!(
                        "phone number {} at {}",
                        current.phone_number,
                        provider.name()
                    ))
                })?;
            let as_held = NumberUpdate {
                friendly_name: held
                    .friendly_name
                    .clone()
                    .or_else(|| update.friendly_name.clone()),
                agent_id: update.agent_id,
                routing: None,
            };
            match self
                .repository
                .update(&current.apply_update(&as_held, Some(&held), now)?)
                .await
            {
                Err(Error::Stale { .. }) => continue,
                done => return done,
            }
        }
        Err(Error::Stale {
            what: format!("phone number {id}"),
        })
    }

    /// Gives one of the account's numbers back to its carrier.
    ///
    /// Returns the record as `Released`, or as `Releasing` when the carrier
    /// refused for now: the release is then pending, and `reconcile` retries
    /// it. Releasing a released number returns it unchanged.
    pub async fn release(&self, account: &AccountId, id: Uuid) -> Result<ProvisionedNumber> {
        let record = self.get(account, id).await?;
        match record.state {
            NumberState::Released => return Ok(record),
            NumberState::Reserved => {
                return Err(Error::Conflict {
                    reason: format!("phone number {id} is still being provisioned"),
                });
            }
            _ => {}
        }
        // The carrier it was bought from, never the current default.
        let provider = self.providers.require(&record.provider)?.clone();
        let previous = record.state;
        let now = self.clock.now();
        let releasing = self
            .write_with(&record, |current| match current.state {
                NumberState::Released => Ok(None),
                _ => current.begin_release(now).map(Some),
            })
            .await?;
        if releasing.state == NumberState::Released {
            return Ok(releasing);
        }
        self.release_at_carrier(provider.as_ref(), releasing, previous)
            .await
    }

    /// Asks the carrier to release `record`, which is `Releasing`, and records
    /// the outcome: released, still pending, or (refused for good) back in
    /// service when it was active before (`previous`).
    pub(crate) async fn release_at_carrier(
        &self,
        provider: &dyn TelephonyProvider,
        record: ProvisionedNumber,
        previous: NumberState,
    ) -> Result<ProvisionedNumber> {
        let outcome = match &record.carrier_id {
            Some(carrier_id) => provider.release(carrier_id).await,
            None => Ok(()),
        };
        let now = self.clock.now();
        let defer = |not_before: Option<chrono::DateTime<chrono::Utc>>| {
            move |current: &ProvisionedNumber| match current.state {
                NumberState::Releasing => current.defer_release(not_before, now).map(Some),
                _ => Ok(None),
            }
        };
        match outcome {
            Err(Error::NotFound { .. }) if now < not_found_trusted_from(provider, &record) => {
                let not_before = not_found_trusted_from(provider, &record);
                self.write_with(&record, defer(Some(not_before))).await
            }
            Ok(()) | Err(Error::NotFound { .. }) => {
                self.write_with(&record, |current| match current.state {
                    NumberState::Released => Ok(None),
                    _ => current.complete_release(now).map(Some),
                })
                .await
            }
            Err(error) if error.is_temporary() => {
                let not_before = match &error {
                    Error::RetryLater { not_before, .. } => *not_before,
                    _ => None,
                };
                self.write_with(&record, defer(not_before)).await
            }
            Err(error) => {
                if previous == NumberState::Active {
                    let _ = self
                        .write_with(&record, |current| match current.state {
                            NumberState::Releasing => current.cancel_release(now).map(Some),
                            _ => Ok(None),
                        })
                        .await;
                }
                Err(error)
            }
        }
    }
}

/// From when a "not found" for `record` is taken as proof that its carrier
/// no longer holds it: its carrier's not-found window after the purchase.
fn not_found_trusted_from(
    provider: &dyn TelephonyProvider,
    record: &ProvisionedNumber,
) -> chrono::DateTime<chrono::Utc> {
    let bought = record.purchased_at.unwrap_or(record.created_at);
    bought + chrono_duration(provider.not_found_window())
}

/// The 409 answer to a request whose idempotency key another request is
/// still using.
fn in_progress() -> Error {
    Error::Conflict {
        reason: "a request with this idempotency key is in progress; try again".into(),
    }
}

/// A std duration as chrono's, saturating at chrono's range.
pub(crate) fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}
