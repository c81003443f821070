//! The fake carrier: ownership records over the generated inventory, with
//! scripted faults and a call log.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_core::{
    AvailableNumber, CarrierNumber, CarrierUpdate, Clock, Error, MAX_PAGE_SIZE, Page, PageRequest,
    PhoneNumber, ProviderFeatures, PurchaseRequest, Result, Routing, SearchQuery,
    TelephonyProvider, validate_friendly_name,
};

use crate::calls::{Call, Outcome, Target};
use crate::faults::{Fault, Operation, Script, Times};
use crate::{FakeProviderBuilder, Inventory};

/// The most results one search returns, as at SignalWire.
const MAX_SEARCH_RESULTS: u32 = 100;
/// Carrier ids are `FK` and this many digits, so that their text order is
/// purchase order and `list_owned` pages stay stable.
const ID_DIGITS: usize = 10;

/// A deterministic in-memory carrier.
///
/// It sells numbers from a seeded [`Inventory`], keeps what was bought, and
/// answers every [`TelephonyProvider`] method the way a carrier would
/// (`NumberUnavailable` for a number someone holds, `NotFound` for an unknown
/// carrier id, `RetryLater` inside a release cooldown). For tests of the
/// unhappy paths it can [`script`](FakeProvider::script) faults per
/// operation, and it records every [`Call`].
///
/// Clones share everything: keep one clone in the code under test and one in
/// the test to script and inspect it.
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
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Owned here or held by "another customer": not for sale.
    taken: HashSet<PhoneNumber>,
    owned: BTreeMap<String, Owned>,
    owned_by_number: HashMap<PhoneNumber, String>,
    purchases: u64,
    script: Script,
    calls: Vec<Call>,
}

struct Owned {
    number: CarrierNumber,
    purchased_at: DateTime<Utc>,
}

impl Default for FakeProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeProvider {
    /// A fake named `fake` with the default seed and 100,000 numbers.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Settings for a fake.
    pub fn builder() -> FakeProviderBuilder {
        FakeProviderBuilder::default()
    }

    pub(crate) fn from_parts(builder: FakeProviderBuilder, inventory: Inventory) -> Self {
        Self {
            inner: Arc::new(Inner {
                name: builder.name,
                inventory,
                clock: builder.clock,
                release_cooldown: builder.release_cooldown,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The numbers this fake sells, independent of who holds them.
    pub fn inventory(&self) -> &Inventory {
        &self.inner.inventory
    }

    /// Makes the next calls of `operation` go wrong. Faults scripted for one
    /// operation apply in the order given: each call takes the first that
    /// has uses left.
    pub fn script(&self, operation: Operation, fault: Fault, times: Times) {
        self.state().script.add(operation, fault, times);
    }

    /// Removes every scripted fault.
    pub fn clear_faults(&self) {
        self.state().script.clear();
    }

    /// Every call so far, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// Forgets the calls so far.
    pub fn clear_calls(&self) {
        self.state().calls.clear();
    }

    /// The numbers the account owns, in purchase order.
    pub fn owned_numbers(&self) -> Vec<CarrierNumber> {
        self.state()
            .owned
            .values()
            .map(|o| o.number.clone())
            .collect()
    }

    /// Whether `number` is in the inventory and nobody holds it.
    pub fn is_available(&self, number: &PhoneNumber) -> bool {
        self.inner.inventory.contains(number).is_some() && !self.state().taken.contains(number)
    }

    /// Simulates another customer buying `number`: it leaves the inventory,
    /// and buying it gives `NumberUnavailable`. False, changing nothing, if
    /// it was not available.
    pub fn take(&self, number: &PhoneNumber) -> bool {
        if self.inner.inventory.contains(number).is_none() {
            return false;
        }
        self.state().taken.insert(number.clone())
    }

    /// Records `number` as owned under its carrier id, as if bought at
    /// `purchased_at`: for a process that starts over a persistent store,
    /// so that the fake agrees with the records an earlier run left (else
    /// `reconcile` would find every recorded number missing at the carrier).
    ///
    /// False, changing nothing, if the carrier id is not one this fake
    /// issues, or the number or id is already held.
    pub fn restore_owned(&self, number: CarrierNumber, purchased_at: DateTime<Utc>) -> bool {
        let Some(serial) = number
            .carrier_id
            .strip_prefix("FK")
            .filter(|_| is_carrier_id(&number.carrier_id))
            .and_then(|digits| digits.parse::<u64>().ok())
        else {
            return false;
        };
        let mut state = self.state();
        if state.taken.contains(&number.phone_number)
            || state.owned.contains_key(&number.carrier_id)
        {
            return false;
        }
        state.purchases = state.purchases.max(serial);
        state.taken.insert(number.phone_number.clone());
        state
            .owned_by_number
            .insert(number.phone_number.clone(), number.carrier_id.clone());
        state.owned.insert(
            number.carrier_id.clone(),
            Owned {
                number,
                purchased_at,
            },
        );
        true
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change to the state completes before its guard drops, so a
        // panic elsewhere cannot leave it half done.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `operation` through its scripted fault (if any), applies `act`
    /// to the state, and logs the call.
    async fn run<T>(
        &self,
        operation: Operation,
        target: Target,
        act: impl FnOnce(&Inner, &mut State) -> Result<T>,
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
                self.log(&mut self.state(), operation, target, outcome);
                return Err(error);
            }
        }
        let mut state = self.state();
        let result = act(&self.inner, &mut state);
        if answer_lost {
            self.log(&mut state, operation, target, Outcome::AnswerLost);
            return Err(Error::Transport {
                provider: self.inner.name.clone(),
                message: format!("the answer to {operation} was lost (scripted fault)"),
            });
        }
        self.log(&mut state, operation, target, Outcome::of(&result));
        result
    }

    fn log(&self, state: &mut State, operation: Operation, target: Target, outcome: Outcome) {
        state.calls.push(Call {
            operation,
            target,
            outcome,
        });
    }
}

impl fmt::Debug for FakeProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("FakeProvider")
            .field("name", &self.inner.name)
            .field("inventory", &self.inner.inventory)
            .field("owned", &state.owned.len())
            .field("taken", &state.taken.len())
            .field("calls", &state.calls.len())
            .field("release_cooldown", &self.inner.release_cooldown)
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

    fn purchase(&self, state: &mut State, request: &PurchaseRequest) -> Result<CarrierNumber> {
        if let Some(name) = &request.friendly_name {
            validate_friendly_name(name)?;
        }
        let number = &request.phone_number;
        let Some(offer) = self.inventory.contains(number) else {
            return Err(self.unavailable(number, "not in this carrier's inventory"));
        };
        if state.taken.contains(number) {
            return Err(self.unavailable(number, "already taken"));
        }
        state.purchases += 1;
        let carrier_id = format!("FK{:0width$}", state.purchases, width = ID_DIGITS);
        let bought = CarrierNumber {
            carrier_id: carrier_id.clone(),
            phone_number: number.clone(),
            friendly_name: request.friendly_name.clone(),
            capabilities: offer.capabilities,
            routing: request.routing.clone(),
        };
        state.taken.insert(number.clone());
        state
            .owned_by_number
            .insert(number.clone(), carrier_id.clone());
        state.owned.insert(
            carrier_id,
            Owned {
                number: bought.clone(),
                purchased_at: self.clock.now(),
            },
        );
        Ok(bought)
    }

    fn list_owned(&self, state: &State, page: &PageRequest) -> Result<Page<CarrierNumber>> {
        let limit = page.limit.clamp(1, MAX_PAGE_SIZE) as usize;
        let start = match &page.cursor {
            None => Bound::Unbounded,
            Some(cursor) if is_carrier_id(cursor) => Bound::Excluded(cursor.clone()),
            Some(cursor) => {
                return Err(Error::invalid(
                    "cursor",
                    format!("{cursor:?} is not a cursor this carrier returned"),
                ));
            }
        };
        let mut rest = state.owned.range((start, Bound::Unbounded));
        let items: Vec<CarrierNumber> = rest
            .by_ref()
            .take(limit)
            .map(|(_, o)| o.number.clone())
            .collect();
        let next_cursor = match rest.next() {
            Some(_) => items.last().map(|n| n.carrier_id.clone()),
            None => None,
        };
        Ok(Page { items, next_cursor })
    }

    fn update(
        &self,
        state: &mut State,
        carrier_id: &str,
        update: &CarrierUpdate,
    ) -> Result<CarrierNumber> {
        if let Some(name) = &update.friendly_name {
            validate_friendly_name(name)?;
        }
        let owned = state
            .owned
            .get_mut(carrier_id)
            .ok_or_else(|| not_owned(carrier_id))?;
        if let Some(name) = &update.friendly_name {
            owned.number.friendly_name = Some(name.clone());
        }
        if let Some(routing) = &update.routing {
            merge_routing(&mut owned.number.routing, routing);
        }
        Ok(owned.number.clone())
    }

    fn release(&self, state: &mut State, carrier_id: &str) -> Result<()> {
        let owned = state
            .owned
            .get(carrier_id)
            .ok_or_else(|| not_owned(carrier_id))?;
        if let Some(cooldown) = self.release_cooldown {
            let not_before = owned.purchased_at + cooldown;
            if self.clock.now() < not_before {
                return Err(Error::RetryLater {
                    provider: self.name.clone(),
                    not_before: Some(not_before),
                    message: format!(
                        "{} was purchased too recently to release; wait until {}",
                        owned.number.phone_number,
                        not_before.format("%Y-%m-%d %H:%M:%S UTC")
                    ),
                });
            }
        }
        if let Some(owned) = state.owned.remove(carrier_id) {
            let number = owned.number.phone_number;
            state.owned_by_number.remove(&number);
            state.taken.remove(&number);
        }
        Ok(())
    }
}

fn not_owned(carrier_id: &str) -> Error {
    Error::not_found(format!("owned number with carrier id {carrier_id:?}"))
}

fn is_carrier_id(text: &str) -> bool {
    text.strip_prefix("FK").is_some_and(|digits| {
        digits.len() == ID_DIGITS && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Set fields replace, unset ones are left alone (the carrier's partial update).
fn merge_routing(current: &mut Routing, change: &Routing) {
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
        self.run(Operation::Search, target, |inner, state| {
            inner
                .inventory
                .search(query, |number| state.taken.contains(number))
        })
        .await
    }

    async fn purchase(&self, request: &PurchaseRequest) -> Result<CarrierNumber> {
        let target = Target::Number(request.phone_number.clone());
        self.run(Operation::Purchase, target, |inner, state| {
            inner.purchase(state, request)
        })
        .await
    }

    async fn find_owned(&self, phone_number: &PhoneNumber) -> Result<Option<CarrierNumber>> {
        let target = Target::Number(phone_number.clone());
        self.run(Operation::FindOwned, target, |_, state| {
            Ok(state
                .owned_by_number
                .get(phone_number)
                .and_then(|id| state.owned.get(id))
                .map(|o| o.number.clone()))
        })
        .await
    }

    async fn list_owned(&self, page: &PageRequest) -> Result<Page<CarrierNumber>> {
        self.run(
            Operation::ListOwned,
            Target::Page(page.clone()),
            |inner, state| inner.list_owned(state, page),
        )
        .await
    }

    async fn update(&self, carrier_id: &str, update: &CarrierUpdate) -> Result<CarrierNumber> {
        let target = Target::CarrierId(carrier_id.to_string());
        self.run(Operation::Update, target, |inner, state| {
            inner.update(state, carrier_id, update)
        })
        .await
    }

    async fn release(&self, carrier_id: &str) -> Result<()> {
        let target = Target::CarrierId(carrier_id.to_string());
        self.run(Operation::Release, target, |inner, state| {
            inner.release(state, carrier_id)
        })
        .await
    }
}
