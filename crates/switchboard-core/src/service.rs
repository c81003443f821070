//! The provisioning service: the one place where carrier calls and records
//! are put in order, so that the invariants hold whatever fails in between.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use crate::{
    AccountId, AvailableNumber, CarrierNumber, CarrierUpdate, Clock, Error, IdSource, NumberFilter,
    NumberRepository, NumberState, NumberUpdate, Page, PageRequest, PhoneNumber, ProviderRegistry,
    ProvisionRequest, ProvisionedNumber, PurchaseRequest, RandomIds, Result, RetryPolicy,
    SearchQuery, SystemClock, TelephonyProvider,
};

/// Tunables of the service.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Purchase attempts per request, each after the carrier confirmed that
    /// the previous one did not go through.
    pub purchase_retry: RetryPolicy,
    /// A reservation younger than this is taken to be in flight by another
    /// request, and `reconcile` leaves it alone.
    pub reservation_grace: Duration,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            purchase_retry: RetryPolicy {
                max_attempts: 3,
                ..RetryPolicy::default()
            },
            reservation_grace: Duration::from_secs(120),
        }
    }
}

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
    /// The outcome is unknown (the carrier could not be asked); the
    /// reservation stays for `reconcile`.
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

    /// Replaces the options.
    pub fn with_options(mut self, options: ServiceOptions) -> Self {
        self.options = options;
        self
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
    /// never both buy it; a lost purchase answer is settled by asking the
    /// carrier; a purchase that cannot be recorded is released again.
    pub async fn provision(
        &self,
        account: &AccountId,
        request: &ProvisionRequest,
    ) -> Result<ProvisionedNumber> {
        request.validate()?;
        let provider = self.provider_for(request.provider.as_deref())?.clone();

        if let Some(existing) = self.replay(account, request).await? {
            return Ok(existing);
        }

        let now = self.clock.now();
        let mut record = ProvisionedNumber {
            id: self.ids.next_id(),
            account: account.clone(),
            phone_number: request.phone_number.clone(),
            friendly_name: request
                .friendly_name
                .clone()
                .unwrap_or_else(|| request.phone_number.to_string()),
            agent_id: request.agent_id,
            capabilities: Default::default(),
            provider: provider.name().to_string(),
            carrier_id: None,
            routing: request.routing.clone(),
            state: NumberState::Reserved,
            idempotency_key: request.idempotency_key.clone(),
            created_at: now,
            updated_at: now,
            released_at: None,
            release_not_before: None,
        };
        match self.repository.insert(&record).await {
            Ok(()) => {}
            // Another request with the same key got there first.
            Err(Error::Conflict { .. }) if request.idempotency_key.is_some() => {
                return match self.replay(account, request).await? {
                    Some(existing) => Ok(existing),
                    None => Err(Error::Conflict {
                        reason: "a request with this idempotency key is in progress".into(),
                    }),
                };
            }
            Err(e) => return Err(e),
        }

        let purchase = PurchaseRequest {
            phone_number: request.phone_number.clone(),
            friendly_name: request.friendly_name.clone(),
            routing: request.routing.clone(),
        };
        let bought = match self.purchase_settled(provider.as_ref(), &purchase).await {
            Purchase::Bought(bought) => bought,
            Purchase::Unsettled(error) => return Err(error),
            Purchase::Failed(error) => {
                self.abandon(&mut record).await;
                return Err(error);
            }
        };

        record.state = NumberState::Active;
        record.carrier_id = Some(bought.carrier_id.clone());
        record.capabilities = bought.capabilities;
        // What the carrier holds, not what was asked: a carrier that bought
        // the number but failed to set its webhooks must not be recorded as
        // routing calls it does not route.
        record.routing = bought.routing.clone();
        record.updated_at = self.clock.now();
        if let Err(error) = self.repository.update(&record).await {
            // Bought but not recorded: give it back rather than pay for a
            // number nobody knows about. If that fails too, the reservation
            // stays and `reconcile` finds the number at the carrier.
            match provider.release(&bought.carrier_id).await {
                Ok(()) | Err(Error::NotFound { .. }) => {
                    record.carrier_id = None;
                    self.abandon(&mut record).await;
                }
                Err(_) => {}
            }
            return Err(error);
        }
        Ok(record)
    }

    /// The record an earlier request with the same idempotency key made, if
    /// any; an error if that request is still running or named another number.
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
        if existing.phone_number != request.phone_number {
            return Err(Error::invalid(
                "idempotency_key",
                format!(
                    "was already used for {}, not {}",
                    existing.phone_number, request.phone_number
                ),
            ));
        }
        match existing.state {
            NumberState::Reserved => Err(Error::Conflict {
                reason: "a request with this idempotency key is in progress".into(),
            }),
            _ => Ok(Some(existing)),
        }
    }

    /// Marks a reservation failed and frees its idempotency key, best effort:
    /// a reservation left behind is settled by `reconcile`.
    async fn abandon(&self, record: &mut ProvisionedNumber) {
        record.state = NumberState::Failed;
        record.idempotency_key = None;
        record.updated_at = self.clock.now();
        let _ = self.repository.update(record).await;
    }

    /// Buys, and when the answer is lost or temporary, asks the carrier
    /// whether the number is now owned. Only a rate-limited purchase (which
    /// carriers never process) is tried again; any other unsettled outcome
    /// keeps its reservation for `reconcile`.
    async fn purchase_settled(
        &self,
        provider: &dyn TelephonyProvider,
        purchase: &PurchaseRequest,
    ) -> Purchase {
        let mut attempt = 1;
        loop {
            let error = match provider.purchase(purchase).await {
                Ok(bought) => return Purchase::Bought(bought),
                Err(error) if !error.is_temporary() => return Purchase::Failed(error),
                Err(error) => error,
            };
            // The carrier may have bought it and the answer got lost.
            match provider.find_owned(&purchase.phone_number).await {
                Ok(Some(owned)) => return Purchase::Bought(owned),
                // A rate-limited request was never processed: safe to repeat.
                Ok(None) if matches!(error, Error::RateLimited { .. }) => {}
                // Not owned yet, but a lost or failed request may still be
                // running at the carrier: buying again could buy twice, or fail
                // against our own first purchase and leave it unrecorded. The
                // reservation stays for `reconcile` to settle after its grace.
                Ok(None) | Err(_) => return Purchase::Unsettled(error),
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
    pub async fn update(
        &self,
        account: &AccountId,
        id: Uuid,
        update: &NumberUpdate,
    ) -> Result<ProvisionedNumber> {
        update.validate()?;
        let mut record = self.get(account, id).await?;
        if record.state != NumberState::Active {
            return Err(Error::Conflict {
                reason: format!("phone number {id} is {}, not active", record.state.as_str()),
            });
        }
        if update.touches_carrier() {
            let provider = self.providers.require(&record.provider)?;
            let carrier_id = record.carrier_id.clone().ok_or_else(|| Error::Conflict {
                reason: format!("phone number {id} has no carrier id yet"),
            })?;
            provider
                .update(
                    &carrier_id,
                    &CarrierUpdate {
                        friendly_name: update.friendly_name.clone(),
                        routing: update.routing.clone(),
                    },
                )
                .await?;
        }
        if let Some(name) = &update.friendly_name {
            record.friendly_name = name.clone();
        }
        if let Some(agent) = update.agent_id {
            record.agent_id = agent;
        }
        if let Some(routing) = &update.routing {
            merge_routing(&mut record.routing, routing);
        }
        record.updated_at = self.clock.now();
        self.repository.update(&record).await?;
        Ok(record)
    }

    /// Gives one of the account's numbers back to its carrier.
    ///
    /// Returns the record as `Released`, or as `Releasing` when the carrier
    /// refused for now: the release is then pending, and `reconcile` retries
    /// it. Releasing a released number returns it unchanged.
    pub async fn release(&self, account: &AccountId, id: Uuid) -> Result<ProvisionedNumber> {
        let mut record = self.get(account, id).await?;
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
        record.state = NumberState::Releasing;
        record.updated_at = self.clock.now();
        self.repository.update(&record).await?;
        self.release_at_carrier(provider.as_ref(), &mut record, previous)
            .await?;
        Ok(record)
    }

    /// Asks the carrier to release `record`, which is `Releasing`, and records
    /// the outcome: released, still pending, or (refused for good) back to
    /// `previous`.
    pub(crate) async fn release_at_carrier(
        &self,
        provider: &dyn TelephonyProvider,
        record: &mut ProvisionedNumber,
        previous: NumberState,
    ) -> Result<()> {
        let outcome = match &record.carrier_id {
            Some(carrier_id) => provider.release(carrier_id).await,
            None => Ok(()),
        };
        match outcome {
            Ok(()) | Err(Error::NotFound { .. }) => {
                let now = self.clock.now();
                self.repository.mark_released(record.id, now).await?;
                record.state = NumberState::Released;
                record.released_at = Some(now);
                record.updated_at = now;
                record.release_not_before = None;
                Ok(())
            }
            Err(error) if error.is_temporary() => {
                record.release_not_before = match &error {
                    Error::RetryLater { not_before, .. } => *not_before,
                    _ => None,
                };
                record.updated_at = self.clock.now();
                self.repository.update(record).await?;
                Ok(())
            }
            Err(error) => {
                record.state = previous;
                record.updated_at = self.clock.now();
                self.repository.update(record).await?;
                Err(error)
            }
        }
    }
}

fn merge_routing(current: &mut crate::Routing, change: &crate::Routing) {
    if change.voice_url.is_some() {
        current.voice_url = change.voice_url.clone();
    }
    if change.voice_method.is_some() {
        current.voice_method = change.voice_method;
    }
    if change.sms_url.is_some() {
        current.sms_url = change.sms_url.clone();
    }
    if change.sms_method.is_some() {
        current.sms_method = change.sms_method;
    }
    if change.status_callback.is_some() {
        current.status_callback = change.status_callback.clone();
    }
}
