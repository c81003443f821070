//! Configuring a [`FakeProvider`].

use std::sync::Arc;

use switchboard_core::{Clock, SystemClock};

use crate::inventory::{DEFAULT_INVENTORY_SIZE, DEFAULT_SEED};
use crate::{FakeProvider, Inventory, MemoryLedger, OrderPlan, SalesLedger};

/// Settings for a [`FakeProvider`]; every one has a default.
#[derive(Debug)]
pub struct FakeProviderBuilder {
    pub(crate) name: String,
    pub(crate) seed: u64,
    pub(crate) inventory_size: usize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) release_cooldown: Option<chrono::Duration>,
    pub(crate) ledger: Option<Arc<dyn SalesLedger>>,
    pub(crate) order_plan: Option<OrderPlan>,
}

impl Default for FakeProviderBuilder {
    fn default() -> Self {
        Self {
            name: "fake".to_string(),
            seed: DEFAULT_SEED,
            inventory_size: DEFAULT_INVENTORY_SIZE,
            clock: Arc::new(SystemClock),
            release_cooldown: None,
            ledger: None,
            order_plan: None,
        }
    }
}

impl FakeProviderBuilder {
    /// The carrier name (`fake` by default); give two fakes different names
    /// to put both in one registry as different carriers.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The seed the inventory is shuffled with ([`crate::DEFAULT_SEED`] by
    /// default).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How many numbers are for sale (100,000 by default), capped at
    /// [`Inventory::max_size`].
    pub fn inventory_size(mut self, size: usize) -> Self {
        self.inventory_size = size;
        self
    }

    /// The clock purchase times and the release cooldown are measured with
    /// (the system clock by default; a `ManualClock` makes them exact).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Refuses a release this soon after the purchase with
    /// `Error::RetryLater`, as SignalWire does; none by default. A zero or
    /// negative duration means none.
    pub fn release_cooldown(mut self, cooldown: chrono::Duration) -> Self {
        self.release_cooldown = (cooldown > chrono::Duration::zero()).then_some(cooldown);
        self
    }

    /// The books the fake sells into: a fresh [`MemoryLedger`] of its own
    /// by default. Fakes with the same name, seed and size over one shared
    /// ledger behave as clients of one carrier, in one process or (with a
    /// ledger in a shared store) in several.
    pub fn ledger(mut self, ledger: Arc<dyn SalesLedger>) -> Self {
        self.ledger = Some(ledger);
        self
    }

    /// Answers every purchase as an order that settles by `plan` (see
    /// [`OrderPlan`]), as an asynchronous carrier does, instead of selling
    /// at once (the default). The fake's [`FakeProvider::complete_order`],
    /// [`FakeProvider::fail_order`], [`FakeProvider::provide_requirements`]
    /// and [`FakeProvider::lose_order`] settle orders by hand.
    pub fn pending_orders(mut self, plan: OrderPlan) -> Self {
        self.order_plan = Some(plan);
        self
    }

    /// The provider.
    pub fn build(mut self) -> FakeProvider {
        let inventory =
            Inventory::new(self.seed, self.inventory_size).with_provider_name(self.name.clone());
        let ledger = self
            .ledger
            .take()
            .unwrap_or_else(|| Arc::new(MemoryLedger::new()));
        FakeProvider::from_parts(self, inventory, ledger)
    }
}
