//! The fake carrier: the seeded inventory and a ledger of what was sold,
//! with scripted faults and a call log.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_core::{
    AvailableNumber, CarrierNumber, CarrierUpdate, Clock, Error, MAX_PAGE_SIZE, OrderStatus, Page,
    PageRequest, PendingOrder, PhoneNumber, ProviderFeatures, PurchaseOutcome, PurchaseRequest,
    Result, SearchQuery, TelephonyProvider, validate_friendly_name,
};

use crate::calls::{Call, Outcome, Target};
use crate::faults::{Fault, Operation, Script, Times};
use crate::ledger::{Sale, SalesLedger, carrier_id_serial};
use crate::orders::{Effect, Orders};
use crate::{FakeOrder, FakeProviderBuilder, Inventory, OrderPlan};

/// The most results one search returns, as at SignalWire.
const MAX_SEARCH_RESULTS: u32 = 100;

/// A deterministic fake carrier.
///
/// It sells numbers from a seeded [`Inventory`], records what was bought in
/// a [`SalesLedger`] (its own [`MemoryLedger`](crate::MemoryLedger) unless
/// the builder is given one to share), and
/// answers every [`TelephonyProvider`] method the way a carrier would
/// (`NumberUnavailable` for a number someone holds, `NotFound` for an unknown
/// carrier id, `RetryLater` inside a release cooldown). For tests of the
/// unhappy paths it can [`script`](FakeProvider::script) faults per
/// operation, and it records every [`Call`].
///
/// Clones share everything: keep one clone in the code under test and one in
/// the test to script and inspect it. Separate fakes over one ledger share
/// only the books, as separate clients of one carrier do.
///
/// ```
/// use switchboard_core::{PurchaseRequest, Routing, SearchQuery, TelephonyProvider};
/// use switchboard_fake::{Fault, FakeProvider, Operation, Times};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let fake = FakeProvider::new();
/// let found = fake.search(&SearchQuery::default().area_code("415")).await?;
/// let number = found[0].phone_number.clone();
///
/// fake.script(Operation::Purchase, Fault::AnswerLost, Times::Once);
/// let request = PurchaseRequest {
///     phone_number: number.clone(),
///     friendly_name: None,
///     routing: Routing::default(),
/// };
/// assert!(fake.purchase(&request).await.is_err()); // the answer was lost...
/// assert!(fake.find_owned(&number).await?.is_some()); // ...but it was bought
/// # Ok::<(), switchboard_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct FakeProvider {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    inventory: Inventory,
    clock: Arc<dyn Clock>,
    release_cooldown: Option<chrono::Duration>,
    /// Set: purchases are answered as orders that settle by this plan.
    order_plan: Option<OrderPlan>,
    ledger: Arc<dyn SalesLedger>,
    /// What stays with this process whatever the ledger: scripted faults,
    /// the call log and the open orders.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    script: Script,
    calls: Vec<Call>,
    orders: Orders,
}

impl Default for FakeProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeProvider {
    /// A fake named `fake` with the default seed, 100,000 numbers and its
    /// own books in memory.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Settings for a fake.
    pub fn builder() -> FakeProviderBuilder {
        FakeProviderBuilder::default()
    }

    pub(crate) fn from_parts(
        builder: FakeProviderBuilder,
        inventory: Inventory,
        ledger: Arc<dyn SalesLedger>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                name: builder.name,
                inventory,
                clock: builder.clock,
                release_cooldown: builder.release_cooldown,
                order_plan: builder.order_plan,
                ledger,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The numbers this fake sells, independent of who holds them.
    pub fn inventory(&self) -> &Inventory {
        &self.inner.inventory
    }

    /// The books this fake sells into (its own in memory unless the
    /// builder was given a shared ledger).
    pub fn ledger(&self) -> &Arc<dyn SalesLedger> {
        &self.inner.ledger
    }

    /// Makes the next calls of `operation` go wrong. Faults scripted for one
    /// operation apply in the order given: each call takes the first that
    /// has uses left. Faults are this process's own, whatever the ledger.
    pub fn script(&self, operation: Operation, fault: Fault, times: Times) {
        self.state().script.add(operation, fault, times);
    }

    /// Removes every scripted fault.
    pub fn clear_faults(&self) {
        self.state().script.clear();
    }

    /// Every call through this value (and its clones) so far, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// Forgets the calls so far.
    pub fn clear_calls(&self) {
        self.state().calls.clear();
    }

    /// The numbers the account owns, in purchase order. Not a call: no
    /// fault applies and nothing is logged.
    pub async fn owned_numbers(&self) -> Result<Vec<CarrierNumber>> {
        let mut all = Vec::new();
        loop {
            let after = all.last().map(|n: &CarrierNumber| n.carrier_id.clone());
            let page = self
                .inner
                .ledger
                .list(&self.inner.name, after.as_deref(), MAX_PAGE_SIZE as usize)
                .await?;
            let done = page.len() < MAX_PAGE_SIZE as usize;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    /// Whether `number` is in the inventory and nobody holds it.
    pub async fn is_available(&self, number: &PhoneNumber) -> Result<bool> {
        if self.inner.inventory.contains(number).is_none() {
            return Ok(false);
        }
        let held = self
            .inner
            .ledger
            .held(&self.inner.name, std::slice::from_ref(number))
            .await?;
        Ok(!held.first().copied().unwrap_or(true))
    }

    /// Simulates another customer buying `number`: it leaves the inventory,
    /// and buying it gives `NumberUnavailable` (through every fake sharing
    /// the ledger). False, changing nothing, if it was not available.
    pub async fn take(&self, number: &PhoneNumber) -> Result<bool> {
        if self.inner.inventory.contains(number).is_none() {
            return Ok(false);
        }
        self.inner.ledger.take(&self.inner.name, number).await
    }

    /// Records `number` as owned under its carrier id, as if bought at
    /// `purchased_at`: for books kept somewhere that does not outlive the
    /// process, so that a new process agrees with records an earlier run
    /// left. A ledger in the store already remembers; this is not needed
    /// there.
    ///
    /// False, changing nothing, if the carrier id is not one this fake
    /// issues, or the number or id is already held.
    pub async fn restore_owned(
        &self,
        number: CarrierNumber,
        purchased_at: DateTime<Utc>,
    ) -> Result<bool> {
        if carrier_id_serial(&number.carrier_id).is_none() {
            return Ok(false);
        }
        self.inner
            .ledger
            .restore(&self.inner.name, &number, purchased_at)
            .await
    }

    /// Every order this fake took, oldest first (none unless it was built
    /// with an [`OrderPlan`]).
    pub fn orders(&self) -> Vec<FakeOrder> {
        self.state().orders.list()
    }

    /// Completes open order `order_id` now, whatever its plan: the number
    /// is the account's, and the next question about the order says so.
    /// False, changing nothing, for an unknown or settled order.
    pub fn complete_order(&self, order_id: &str) -> bool {
        let mut state = self.state();
        let Some(number) = state.orders.number(order_id) else {
            return false;
        };
        if !state.orders.is_open(order_id) {
            return false;
        }
        state.orders.settle(order_id, OrderStatus::Complete(number));
        true
    }

    /// Fails open order `order_id` now with `reason`: the number goes back
    /// on sale, and the next question about the order says it failed.
    /// False, changing nothing, for an unknown or settled order.
    pub async fn fail_order(&self, order_id: &str, reason: impl Into<String>) -> Result<bool> {
        let failed = OrderStatus::Failed {
            reason: reason.into(),
        };
        let effect = {
            let mut state = self.state();
            if !state.orders.is_open(order_id) {
                return Ok(false);
            }
            state.orders.settle(order_id, failed).1
        };
        self.apply(effect).await?;
        Ok(true)
    }

    /// Tells open order `order_id` that what it waits for was provided: it
    /// completes at the next question. False for an unknown or settled
    /// order.
    pub fn provide_requirements(&self, order_id: &str) -> bool {
        self.state().orders.provide(order_id)
    }

    /// Makes the carrier lose order `order_id`: questions about it are
    /// answered `NotFound`, and the number an open order held goes back on
    /// sale, as if the order had never been. For testing that a lost order
    /// is never taken as proof of anything. False for an unknown order.
    pub async fn lose_order(&self, order_id: &str) -> Result<bool> {
        let forgotten = self.state().orders.forget(order_id);
        match forgotten {
            None => Ok(false),
            Some(None) => Ok(true),
            Some(Some(carrier_id)) => {
                self.apply(Effect::Unclaim(carrier_id)).await?;
                Ok(true)
            }
        }
    }

    async fn apply(&self, effect: Effect) -> Result<()> {
        match effect {
            Effect::None => Ok(()),
            Effect::Unclaim(carrier_id) => self
                .inner
                .ledger
                .remove(&self.inner.name, &carrier_id)
                .await
                .map(|_| ()),
        }
    }

    /// Whether an open order holds `carrier_id`, which is then not the
    /// account's yet.
    fn on_order(&self, carrier_id: &str) -> bool {
        self.state().orders.hides(carrier_id)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change to the state completes before its guard drops, so a
        // panic elsewhere cannot leave it half done.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `operation` through its scripted fault (if any), then `act`,
    /// and logs the call.
    async fn run<T>(
        &self,
        operation: Operation,
        target: Target,
        act: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let fault = self.state().script.next(operation);
        let mut answer_lost = false;
        match fault {
            None => {}
            Some(Fault::Latency(delay)) => tokio::time::sleep(delay).await,
            Some(Fault::AnswerLost) => answer_lost = true,
            Some(Fault::Fail(error)) => {
                let outcome = Outcome::Failed {
                    code: error.code(),
                    message: error.to_string(),
                };
                self.log(operation, target, outcome);
                return Err(error);
            }
        }
        let result = act.await.map_err(|e| self.ledger_failure(e));
        if answer_lost {
            self.log(operation, target, Outcome::AnswerLost);
            return Err(Error::Transport {
                provider: self.inner.name.clone(),
                message: format!("the answer to {operation} was lost (scripted fault)"),
                cause: None,
            });
        }
        self.log(operation, target, Outcome::of(&result));
        result
    }

    /// A ledger in a database fails as a store does; to the caller that is
    /// the carrier not answering (the change may or may not have landed),
    /// which is what `Transport` tells the service, not a fault of the
    /// service's own repository.
    fn ledger_failure(&self, error: Error) -> Error {
        match error {
            Error::Repository { message, .. } => Error::Transport {
                provider: self.inner.name.clone(),
                message: format!("the fake carrier's ledger failed: {message}"),
                cause: None,
            },
            other => other,
        }
    }

    fn log(&self, operation: Operation, target: Target, outcome: Outcome) {
        self.state().calls.push(Call {
            operation,
            target,
            outcome,
        });
    }
}

impl fmt::Debug for FakeProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let calls = self.state().calls.len();
        f.debug_struct("FakeProvider")
            .field("name", &self.inner.name)
            .field("inventory", &self.inner.inventory)
            .field("ledger", &self.inner.ledger)
            .field("calls", &calls)
            .field("release_cooldown", &self.inner.release_cooldown)
            .field("order_plan", &self.inner.order_plan)
            .finish()
    }
}

impl Inner {
    fn unavailable(&self, number: &PhoneNumber, why: &str) -> Error {
        Error::NumberUnavailable {
            phone_number: number.to_string(),
            provider: self.name.clone(),
            code: None,
            message: Some(why.to_string()),
        }
    }

    async fn purchase(&self, request: &PurchaseRequest) -> Result<CarrierNumber> {
        if let Some(name) = &request.friendly_name {
            validate_friendly_name(name)?;
        }
        let number = &request.phone_number;
        let Some(offer) = self.inventory.contains(number) else {
            return Err(self.unavailable(number, "not in this carrier's inventory"));
        };
        let sale = Sale {
            phone_number: number.clone(),
            friendly_name: request.friendly_name.clone(),
            capabilities: offer.capabilities,
            routing: request.routing.clone(),
            purchased_at: self.clock.now(),
        };
        self.ledger
            .claim(&self.name, &sale)
            .await?
            .ok_or_else(|| self.unavailable(number, "already taken"))
    }

    async fn list_owned(&self, page: &PageRequest) -> Result<Page<CarrierNumber>> {
        let limit = page.limit.clamp(1, MAX_PAGE_SIZE) as usize;
        let after = match &page.cursor {
            None => None,
            Some(cursor) if carrier_id_serial(cursor).is_some() => Some(cursor.as_str()),
            Some(cursor) => {
                return Err(Error::invalid(
                    "cursor",
                    format!("{cursor:?} is not a cursor this carrier returned"),
                ));
            }
        };
        // One more than the page, to know whether another page follows.
        let mut items = self.ledger.list(&self.name, after, limit + 1).await?;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|n| n.carrier_id.clone())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn update(&self, carrier_id: &str, update: &CarrierUpdate) -> Result<CarrierNumber> {
        if let Some(name) = &update.friendly_name {
            validate_friendly_name(name)?;
        }
        self.ledger
            .update(&self.name, carrier_id, update)
            .await?
            .ok_or_else(|| not_owned(carrier_id))
    }

    async fn release(&self, carrier_id: &str) -> Result<()> {
        let sold = self
            .ledger
            .find(&self.name, carrier_id)
            .await?
            .ok_or_else(|| not_owned(carrier_id))?;
        if let Some(cooldown) = self.release_cooldown {
            let not_before = sold.purchased_at + cooldown;
            if self.clock.now() < not_before {
                return Err(Error::RetryLater {
                    provider: self.name.clone(),
                    not_before: Some(not_before),
                    message: format!(
                        "{} was purchased too recently to release; wait until {}",
                        sold.number.phone_number,
                        not_before.format("%Y-%m-%d %H:%M:%S UTC")
                    ),
                });
            }
        }
        // Another client may have released it since the look-up above.
        if self.ledger.remove(&self.name, carrier_id).await? {
            Ok(())
        } else {
            Err(not_owned(carrier_id))
        }
    }
}

fn not_owned(carrier_id: &str) -> Error {
    Error::not_found(format!("owned number with carrier id {carrier_id:?}"))
}

#[async_trait]
impl TelephonyProvider for FakeProvider {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn features(&self) -> ProviderFeatures {
        ProviderFeatures::all(MAX_SEARCH_RESULTS)
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>> {
        let target = Target::Query(Box::new(query.clone()));
        let inner = &self.inner;
        let act = inner.ledger.search(&inner.name, &inner.inventory, query);
        self.run(Operation::Search, target, act).await
    }

    async fn purchase(&self, request: &PurchaseRequest) -> Result<PurchaseOutcome> {
        let target = Target::Number(request.phone_number.clone());
        let buy = async {
            let bought = self.inner.purchase(request).await?;
            let Some(plan) = self.inner.order_plan.clone() else {
                return Ok(PurchaseOutcome::Bought(bought));
            };
            let now = self.inner.clock.now();
            let order = self.state().orders.place(bought, plan, now);
            Ok(PurchaseOutcome::Pending(PendingOrder {
                order_id: order.id,
                phone_number: order.phone_number,
            }))
        };
        self.run(Operation::Purchase, target, buy).await
    }

    async fn order_status(&self, order_id: &str) -> Result<OrderStatus> {
        let target = Target::Order(order_id.to_string());
        let act = async {
            let now = self.inner.clock.now();
            let answer = self.state().orders.ask(order_id, now);
            let Some((status, effect)) = answer else {
                return Err(Error::not_found(format!("order {order_id:?}")));
            };
            self.apply(effect).await?;
            Ok(status)
        };
        self.run(Operation::OrderStatus, target, act).await
    }

    async fn find_owned(&self, phone_number: &PhoneNumber) -> Result<Option<CarrierNumber>> {
        let target = Target::Number(phone_number.clone());
        let inner = &self.inner;
        let act = async {
            let sold = inner
                .ledger
                .find_by_number(&inner.name, phone_number)
                .await?;
            Ok(sold
                .map(|s| s.number)
                .filter(|n| !self.on_order(&n.carrier_id)))
        };
        self.run(Operation::FindOwned, target, act).await
    }

    async fn list_owned(&self, page: &PageRequest) -> Result<Page<CarrierNumber>> {
        let target = Target::Page(page.clone());
        let act = async {
            let mut page = self.inner.list_owned(page).await?;
            page.items.retain(|n| !self.on_order(&n.carrier_id));
            Ok(page)
        };
        self.run(Operation::ListOwned, target, act).await
    }

    async fn update(&self, carrier_id: &str, update: &CarrierUpdate) -> Result<CarrierNumber> {
        let target = Target::CarrierId(carrier_id.to_string());
        let act = async {
            if self.on_order(carrier_id) {
                return Err(not_owned(carrier_id));
            }
            self.inner.update(carrier_id, update).await
        };
        self.run(Operation::Update, target, act).await
    }

    async fn release(&self, carrier_id: &str) -> Result<()> {
        let target = Target::CarrierId(carrier_id.to_string());
        let act = async {
            if self.on_order(carrier_id) {
                return Err(not_owned(carrier_id));
            }
            self.inner.release(carrier_id).await
        };
        self.run(Operation::Release, target, act).await
    }
}
