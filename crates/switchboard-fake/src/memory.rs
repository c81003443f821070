//! The books in this process's memory: the default, for tests and for one
//! process on its own.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_core::{
    AvailableNumber, CarrierNumber, CarrierUpdate, PhoneNumber, Result, SearchQuery,
};

use crate::Inventory;
use crate::ledger::{Sale, SalesLedger, Sold, carrier_id, carrier_id_serial};

/// A [`SalesLedger`] in memory: carrier ids `FK0000000001`, `FK0000000002`,
/// ... in purchase order, so that a test over a fresh fake can name them.
///
/// Its books end with the process. Share one (through an `Arc`) between
/// fakes in one process to have them behave as one carrier; across
/// processes, use a ledger in the store they share.
#[derive(Default)]
pub struct MemoryLedger {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The last serial issued; never reused.
    serial: u64,
    carriers: HashMap<String, Books>,
}

#[derive(Default)]
struct Books {
    /// Held by the account or by another customer: not for sale.
    held: HashSet<PhoneNumber>,
    /// The account's numbers by carrier id (text order is serial order).
    owned: BTreeMap<String, Sold>,
    owned_by_number: HashMap<PhoneNumber, String>,
}

impl MemoryLedger {
    /// Empty books.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change completes before its guard drops, so a panic
        // elsewhere cannot leave the books half changed.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn books(&mut self, carrier: &str) -> &mut Books {
        if !self.carriers.contains_key(carrier) {
            self.carriers.insert(carrier.to_string(), Books::default());
        }
        self.carriers.get_mut(carrier).expect("inserted just above")
    }
}

impl Books {
    fn own(&mut self, number: CarrierNumber, purchased_at: DateTime<Utc>) {
        self.held.insert(number.phone_number.clone());
        self.owned_by_number
            .insert(number.phone_number.clone(), number.carrier_id.clone());
        self.owned.insert(
            number.carrier_id.clone(),
            Sold {
                number,
                purchased_at,
            },
        );
    }
}

impl fmt::Debug for MemoryLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        let owned: usize = state.carriers.values().map(|b| b.owned.len()).sum();
        let held: usize = state.carriers.values().map(|b| b.held.len()).sum();
        f.debug_struct("MemoryLedger")
            .field("owned", &owned)
            .field("held", &held)
            .finish()
    }
}

#[async_trait]
impl SalesLedger for MemoryLedger {
    async fn claim(&self, carrier: &str, sale: &Sale) -> Result<Option<CarrierNumber>> {
        let mut state = self.state();
        if state.books(carrier).held.contains(&sale.phone_number) {
            return Ok(None);
        }
        state.serial += 1;
        let number = CarrierNumber {
            carrier_id: carrier_id(state.serial),
            phone_number: sale.phone_number.clone(),
            friendly_name: sale.friendly_name.clone(),
            capabilities: sale.capabilities,
            routing: sale.routing.clone(),
        };
        state.books(carrier).own(number.clone(), sale.purchased_at);
        Ok(Some(number))
    }

    async fn take(&self, carrier: &str, phone_number: &PhoneNumber) -> Result<bool> {
        Ok(self
            .state()
            .books(carrier)
            .held
            .insert(phone_number.clone()))
    }

    async fn held(&self, carrier: &str, numbers: &[PhoneNumber]) -> Result<Vec<bool>> {
        let state = self.state();
        let held = state.carriers.get(carrier).map(|b| &b.held);
        Ok(numbers
            .iter()
            .map(|n| held.is_some_and(|h| h.contains(n)))
            .collect())
    }

    async fn find_by_number(
        &self,
        carrier: &str,
        phone_number: &PhoneNumber,
    ) -> Result<Option<Sold>> {
        let state = self.state();
        Ok(state.carriers.get(carrier).and_then(|books| {
            let id = books.owned_by_number.get(phone_number)?;
            books.owned.get(id).cloned()
        }))
    }

    async fn find(&self, carrier: &str, carrier_id: &str) -> Result<Option<Sold>> {
        let state = self.state();
        Ok(state
            .carriers
            .get(carrier)
            .and_then(|books| books.owned.get(carrier_id).cloned()))
    }

    async fn list(
        &self,
        carrier: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CarrierNumber>> {
        let state = self.state();
        let Some(books) = state.carriers.get(carrier) else {
            return Ok(Vec::new());
        };
        let start = match after {
            Some(after) => Bound::Excluded(after.to_string()),
            None => Bound::Unbounded,
        };
        Ok(books
            .owned
            .range((start, Bound::Unbounded))
            .take(limit)
            .map(|(_, sold)| sold.number.clone())
            .collect())
    }

    async fn update(
        &self,
        carrier: &str,
        carrier_id: &str,
        update: &CarrierUpdate,
    ) -> Result<Option<CarrierNumber>> {
        let mut state = self.state();
        let Some(sold) = state.books(carrier).owned.get_mut(carrier_id) else {
            return Ok(None);
        };
        if let Some(name) = &update.friendly_name {
            sold.number.friendly_name = Some(name.clone());
        }
        if let Some(routing) = &update.routing {
            sold.number.routing.merge(routing);
        }
        Ok(Some(sold.number.clone()))
    }

    async fn remove(&self, carrier: &str, carrier_id: &str) -> Result<bool> {
        let mut state = self.state();
        let books = state.books(carrier);
        let Some(sold) = books.owned.remove(carrier_id) else {
            return Ok(false);
        };
        let number = sold.number.phone_number;
        books.owned_by_number.remove(&number);
        books.held.remove(&number);
        Ok(true)
    }

    async fn restore(
        &self,
        carrier: &str,
        number: &CarrierNumber,
        purchased_at: DateTime<Utc>,
    ) -> Result<bool> {
        let Some(serial) = carrier_id_serial(&number.carrier_id) else {
            return Ok(false);
        };
        let mut state = self.state();
        // Serials are unique across carriers, as from a database sequence.
        let id_taken = state
            .carriers
            .values()
            .any(|books| books.owned.contains_key(&number.carrier_id));
        let books = state.books(carrier);
        if id_taken || books.held.contains(&number.phone_number) {
            return Ok(false);
        }
        books.own(number.clone(), purchased_at);
        state.serial = state.serial.max(serial);
        Ok(true)
    }

    /// One pass under the lock, each candidate tested in the books: no
    /// batching needed when the books are a hash set away.
    async fn search(
        &self,
        carrier: &str,
        inventory: &Inventory,
        query: &SearchQuery,
    ) -> Result<Vec<AvailableNumber>> {
        let state = self.state();
        let held = state.carriers.get(carrier).map(|b| &b.held);
        inventory.search(query, |n| held.is_some_and(|h| h.contains(n)))
    }
}
