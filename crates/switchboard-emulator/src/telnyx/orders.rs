//! Telnyx number orders: what each order holds, and how it settles. An
//! order is created `pending` with its numbers held (`purchase-pending` in
//! `/phone_numbers`); it then succeeds (numbers `active`), fails (numbers
//! for sale again) or waits for regulatory requirements until told, as
//! `Behaviour::telnyx_order_outcome` said when it was created.
//!
//! Settling takes the order table's lock and then the ownership table's,
//! never the other way round, so an order and its numbers change together:
//! no reader sees an order `success` whose number is still pending.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::{CountryCode, NumberType, PhoneNumber};

use crate::app::App;
use crate::config::TelnyxOrderOutcome;
use crate::state::{AccountKey, NumberRecord};

use super::render::ACTIVE;

/// The status of an order and of each of its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderStatus {
    Pending,
    Success,
    Failure,
}

impl OrderStatus {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Success => "success",
            OrderStatus::Failure => "failure",
        }
    }
}

/// One number of an order.
#[derive(Debug, Clone)]
pub(crate) struct OrderNumber {
    /// The order phone number's own id (a UUID).
    pub id: String,
    /// The id of the number's `/phone_numbers` record.
    pub record_id: String,
    pub phone_number: PhoneNumber,
    pub country: CountryCode,
    pub number_type: NumberType,
    pub status: OrderStatus,
    /// The regulatory requirement the number waits for, when its order
    /// waits for requirements.
    pub requirement_id: Option<String>,
}

/// One number order.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    /// Creation order, for listings.
    pub seq: u64,
    pub id: String,
    pub account: AccountKey,
    /// The one sub-order every order is split into here.
    pub sub_order_id: String,
    pub status: OrderStatus,
    /// Whether every requirement is met (false while waiting for them).
    pub requirements_met: bool,
    pub numbers: Vec<OrderNumber>,
    pub connection_id: Option<String>,
    pub messaging_profile_id: Option<String>,
    pub billing_group_id: Option<String>,
    pub customer_reference: Option<String>,
    /// Where the `number_order.complete` webhook would go (live mode keeps
    /// it; the description's request schema has no such field).
    pub webhook_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How an order is settled from outside: requirements provided (success)
/// or the order refused (failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TelnyxSettlement {
    /// The order and its numbers succeed; the numbers become `active`.
    Success,
    /// The order and its numbers fail; the numbers are for sale again.
    Failure,
}

/// A number order as the control API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelnyxOrder {
    /// The order id (a UUID), as `POST /v2/number_orders` answered it.
    pub id: String,
    /// The Telnyx user id of the account that placed it.
    pub account: String,
    /// `pending`, `success` or `failure`.
    pub status: String,
    /// False while the order waits for regulatory requirements.
    pub requirements_met: bool,
    /// Its numbers.
    pub phone_numbers: Vec<TelnyxOrderNumber>,
    /// The `webhook_url` it was placed with (live mode only), where the
    /// `number_order.complete` event belongs.
    pub webhook_url: Option<String>,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
}

/// One number of a [`TelnyxOrder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelnyxOrderNumber {
    /// E.164.
    pub phone_number: String,
    /// The id of its `/v2/phone_numbers/{id}` record.
    pub phone_number_id: String,
    /// `pending`, `success` or `failure`.
    pub status: String,
}

impl Order {
    pub(crate) fn summary(&self) -> TelnyxOrder {
        TelnyxOrder {
            id: self.id.clone(),
            account: self.account.id().to_string(),
            status: self.status.as_str().to_string(),
            requirements_met: self.requirements_met,
            phone_numbers: self
                .numbers
                .iter()
                .map(|n| TelnyxOrderNumber {
                    phone_number: n.phone_number.to_string(),
                    phone_number_id: n.record_id.clone(),
                    status: n.status.as_str().to_string(),
                })
                .collect(),
            webhook_url: self.webhook_url.clone(),
            created_at: self.created_at,
        }
    }
}

/// Why an order could not be settled from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SettleError {
    Unknown,
    NotPending(OrderStatus),
}

impl std::fmt::Display for SettleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettleError::Unknown => write!(f, "no such Telnyx number order"),
            SettleError::NotPending(status) => write!(
                f,
                "the order is already settled ({}); only a pending order can be settled",
                status.as_str()
            ),
        }
    }
}

/// Every order of every account.
#[derive(Default)]
pub(crate) struct Orders {
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    orders: HashMap<String, Order>,
    seq: u64,
}

impl Orders {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a new order, numbering it.
    pub(crate) fn insert(&self, mut order: Order) -> Order {
        let mut table = self.lock();
        table.seq += 1;
        order.seq = table.seq;
        table.orders.insert(order.id.clone(), order.clone());
        order
    }

    /// The account's order with this id; another account's is unknown.
    pub(crate) fn get(&self, account: &AccountKey, id: &str) -> Option<Order> {
        self.lock()
            .orders
            .get(id)
            .filter(|o| &o.account == account)
            .cloned()
    }

    /// The account's orders passing `keep`, newest first.
    pub(crate) fn list(&self, account: &AccountKey, keep: impl Fn(&Order) -> bool) -> Vec<Order> {
        let mut out: Vec<Order> = self
            .lock()
            .orders
            .values()
            .filter(|o| &o.account == account && keep(o))
            .cloned()
            .collect();
        out.sort_by_key(|o| std::cmp::Reverse(o.seq));
        out
    }

    /// Every order, oldest first, for the control API.
    pub(crate) fn summaries(&self) -> Vec<TelnyxOrder> {
        let table = self.lock();
        let mut orders: Vec<&Order> = table.orders.values().collect();
        orders.sort_by_key(|o| o.seq);
        orders.iter().map(|o| o.summary()).collect()
    }

    pub(crate) fn clear(&self) {
        *self.lock() = Table::default();
    }
}

/// Settles a pending order: the order, its numbers and their records
/// change together. A settled or unknown order is left as it is.
pub(crate) fn settle(
    app: &App,
    id: &str,
    result: TelnyxSettlement,
) -> Result<TelnyxOrder, SettleError> {
    let mut table = app.orders.lock();
    let order = table.orders.get_mut(id).ok_or(SettleError::Unknown)?;
    if order.status != OrderStatus::Pending {
        return Err(SettleError::NotPending(order.status));
    }
    let now = app.clock.now().max(order.created_at);
    let status = match result {
        TelnyxSettlement::Success => OrderStatus::Success,
        TelnyxSettlement::Failure => OrderStatus::Failure,
    };
    order.status = status;
    order.updated_at = now;
    if status == OrderStatus::Success {
        order.requirements_met = true;
    }
    for number in &mut order.numbers {
        number.status = status;
    }
    // One store change for all the order's numbers. A record gone (the
    // emulator was reset) has nothing to change.
    let ids: Vec<&str> = order.numbers.iter().map(|n| n.record_id.as_str()).collect();
    let activate = (status == OrderStatus::Success).then_some(|r: &mut NumberRecord| {
        r.fields.insert("status".into(), ACTIVE.into());
        r.updated_at = now.max(r.created_at);
    });
    app.store.settle_all(&order.account, &ids, activate);
    Ok(order.summary())
}

/// Settles the order after `delay`, unless it was settled meanwhile or the
/// server is gone.
pub(crate) fn settle_later(
    app: &Arc<App>,
    id: String,
    outcome: TelnyxOrderOutcome,
    delay: Duration,
) {
    let result = match outcome {
        TelnyxOrderOutcome::Complete => TelnyxSettlement::Success,
        TelnyxOrderOutcome::Fail => TelnyxSettlement::Failure,
        TelnyxOrderOutcome::AwaitRequirements => return,
    };
    let app: Weak<App> = Arc::downgrade(app);
    tokio::spawn(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if let Some(app) = app.upgrade() {
            let _ = settle(&app, &id, result);
        }
    });
}
