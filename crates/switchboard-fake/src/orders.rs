//! Purchases answered as orders, as an asynchronous carrier (Telnyx) answers
//! them: the fake's pending mode.
//!
//! When the builder is given an [`OrderPlan`], every purchase is accepted as
//! an order: the number is claimed in the ledger at once (nobody else can
//! buy it, through this fake or any sharing its ledger) but is not the
//! account's yet: `find_owned` and `list_owned` of this fake leave it out,
//! and its carrier id cannot be released, until the order completes. The
//! plan says how each order settles when asked about
//! ([`switchboard_core::TelephonyProvider::order_status`]), and the fake's
//! handles settle, fail or hold an order by hand.
//!
//! Orders are this fake's own (like its faults and call log), kept in
//! memory: a fake in another process over the same ledger sees an ordered
//! number as held, and as owned once claimed, but knows nothing of the
//! order.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use switchboard_core::{CarrierNumber, OrderStatus, PhoneNumber};

/// How the fake's orders settle. Every purchase of a fake built with a plan
/// is answered `Pending`; the plan applies to each order from when it is
/// placed, and a hand-settled order ignores it from then on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderPlan {
    /// Completes when asked about for the `n`-th time (1: the first
    /// question completes it; 0 counts as 1).
    CompleteAfterPolls(u32),
    /// Completes on the first question once the fake's clock has passed
    /// the order's time by this much.
    CompleteAfter(chrono::Duration),
    /// Fails with `reason` when asked about for the `polls`-th time; the
    /// number goes back on sale.
    FailAfterPolls {
        /// The question that fails it (0 counts as 1).
        polls: u32,
        /// The carrier's reason.
        reason: String,
    },
    /// Waits for the account owner to provide `missing` (regulatory
    /// documents, in the carrier's words) until
    /// [`crate::FakeProvider::provide_requirements`] is called, then
    /// completes on the next question.
    RequireDocuments(Vec<String>),
    /// Stays pending until settled by hand
    /// ([`crate::FakeProvider::complete_order`],
    /// [`crate::FakeProvider::fail_order`]).
    Manual,
}

/// An order as the fake holds it, for tests to inspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeOrder {
    /// The order's id (`ORD` and a serial of this fake's).
    pub id: String,
    /// The number ordered.
    pub phone_number: PhoneNumber,
    /// When it was placed, by the fake's clock.
    pub placed_at: DateTime<Utc>,
    /// How many times it was asked about.
    pub polls: u32,
    /// Where it stands.
    pub status: OrderStatus,
}

/// One order: what it claimed, its plan, where it stands.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub(crate) view: FakeOrder,
    /// The claimed number (its carrier id is hidden while the order is open).
    pub(crate) number: CarrierNumber,
    pub(crate) plan: OrderPlan,
    /// Requirements were provided by hand: complete at the next question.
    pub(crate) provided: bool,
}

/// What an answer to a question about an order needs done to the ledger.
pub(crate) enum Effect {
    None,
    /// Give the claimed number back: the order failed.
    Unclaim(String),
}

/// The orders of one fake, by id.
#[derive(Debug, Default)]
pub(crate) struct Orders {
    by_id: BTreeMap<String, Order>,
    serial: u64,
}

impl Orders {
    /// Records a new open order for `number` (already claimed).
    pub(crate) fn place(
        &mut self,
        number: CarrierNumber,
        plan: OrderPlan,
        now: DateTime<Utc>,
    ) -> FakeOrder {
        self.serial += 1;
        let id = format!("ORD{:010}", self.serial);
        let view = FakeOrder {
            id: id.clone(),
            phone_number: number.phone_number.clone(),
            placed_at: now,
            polls: 0,
            status: OrderStatus::Pending,
        };
        self.by_id.insert(
            id,
            Order {
                view: view.clone(),
                number,
                plan,
                provided: false,
            },
        );
        view
    }

    /// Whether an order that has not completed holds `carrier_id`: the
    /// number is not the account's (yet, or ever: a failed order's claim is
    /// being given back, and its carrier id is never issued again).
    pub(crate) fn hides(&self, carrier_id: &str) -> bool {
        self.by_id.values().any(|o| {
            o.number.carrier_id == carrier_id && !matches!(o.view.status, OrderStatus::Complete(_))
        })
    }

    /// Every order, oldest first.
    pub(crate) fn list(&self) -> Vec<FakeOrder> {
        self.by_id.values().map(|o| o.view.clone()).collect()
    }

    /// Answers a question about order `id` by its plan, counting it; `None`
    /// for an order this fake does not know.
    pub(crate) fn ask(&mut self, id: &str, now: DateTime<Utc>) -> Option<(OrderStatus, Effect)> {
        let order = self.by_id.get_mut(id)?;
        order.view.polls = order.view.polls.saturating_add(1);
        if !order.view.status.is_settled() {
            let polls = order.view.polls;
            let next = match &order.plan {
                _ if order.provided => Some(OrderStatus::Complete(order.number.clone())),
                OrderPlan::CompleteAfterPolls(n) if polls >= (*n).max(1) => {
                    Some(OrderStatus::Complete(order.number.clone()))
                }
                OrderPlan::CompleteAfter(after) if now >= order.view.placed_at + *after => {
                    Some(OrderStatus::Complete(order.number.clone()))
                }
                OrderPlan::FailAfterPolls { polls: n, reason } if polls >= (*n).max(1) => {
                    Some(OrderStatus::Failed {
                        reason: reason.clone(),
                    })
                }
                OrderPlan::RequireDocuments(missing) => Some(OrderStatus::RequirementsNeeded {
                    missing: missing.clone(),
                }),
                _ => None,
            };
            if let Some(next) = next {
                return Some(self.settle(id, next));
            }
        }
        let order = self.by_id.get(id)?;
        Some((order.view.status.clone(), Effect::None))
    }

    /// Moves open order `id` to `status` by hand or by plan; the effect on
    /// the ledger. An order already settled is left as it is.
    pub(crate) fn settle(&mut self, id: &str, status: OrderStatus) -> (OrderStatus, Effect) {
        let Some(order) = self.by_id.get_mut(id) else {
            return (status, Effect::None);
        };
        if order.view.status.is_settled() {
            return (order.view.status.clone(), Effect::None);
        }
        let effect = match &status {
            OrderStatus::Failed { .. } => Effect::Unclaim(order.number.carrier_id.clone()),
            _ => Effect::None,
        };
        order.view.status = status.clone();
        (status, effect)
    }

    /// Whether `id` is an open order.
    pub(crate) fn is_open(&self, id: &str) -> bool {
        self.by_id
            .get(id)
            .is_some_and(|o| !o.view.status.is_settled())
    }

    /// The number an order claimed.
    pub(crate) fn number(&self, id: &str) -> Option<CarrierNumber> {
        self.by_id.get(id).map(|o| o.number.clone())
    }

    /// Marks that the owner provided what open order `id` waits for.
    pub(crate) fn provide(&mut self, id: &str) -> bool {
        match self.by_id.get_mut(id) {
            Some(order) if !order.view.status.is_settled() => {
                order.provided = true;
                true
            }
            _ => false,
        }
    }

    /// Forgets order `id` altogether (the carrier lost it); the number it
    /// claimed, if it was still open.
    pub(crate) fn forget(&mut self, id: &str) -> Option<Option<String>> {
        let order = self.by_id.remove(id)?;
        Some((!order.view.status.is_settled()).then_some(order.number.carrier_id))
    }
}
