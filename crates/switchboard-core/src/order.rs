//! Purchases that a carrier settles later.
//!
//! Twilio and SignalWire answer a purchase with the number, bought. Others
//! (Telnyx) answer with an *order* that completes, fails or waits for
//! regulatory documents some time later. [`PurchaseOutcome`] lets a carrier
//! say which happened, and [`OrderStatus`] is what asking about an order
//! later can learn. Kept apart from [`crate::TelephonyProvider`] because the
//! service, reconcile and the fake all reason about these outcomes, and none
//! of them should need the trait to do it.

use crate::{CarrierNumber, PhoneNumber};

/// What a purchase came to when the carrier answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurchaseOutcome {
    /// Sold at once: the number is the account's now.
    Bought(CarrierNumber),
    /// Accepted as an order the carrier completes later. The number is not
    /// the account's yet, and not anyone else's: it must not be bought again
    /// while the order is open. Ask [`crate::TelephonyProvider::order_status`].
    Pending(PendingOrder),
}

impl PurchaseOutcome {
    /// The number, when the carrier sold it at once; `None` for an order
    /// that is still open.
    pub fn bought(self) -> Option<CarrierNumber> {
        match self {
            Self::Bought(number) => Some(number),
            Self::Pending(_) => None,
        }
    }

    /// The number this outcome is about (the one sold, or the one ordered).
    pub fn phone_number(&self) -> &PhoneNumber {
        match self {
            Self::Bought(number) => &number.phone_number,
            Self::Pending(order) => &order.phone_number,
        }
    }
}

/// A purchase the carrier accepted and has not completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOrder {
    /// The carrier's reference for the order (Telnyx's number-order id),
    /// the key to [`crate::TelephonyProvider::order_status`].
    pub order_id: String,
    /// The number ordered.
    pub phone_number: PhoneNumber,
}

/// Where an open order stands when the carrier is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderStatus {
    /// Still being processed: ask again later.
    Pending,
    /// Waiting for the account owner to provide regulatory information;
    /// it will not complete by waiting alone. `missing` names what the
    /// carrier asks for, in its words.
    RequirementsNeeded {
        /// What the carrier is waiting for.
        missing: Vec<String>,
    },
    /// Completed: the number is the account's, as the carrier reports it.
    Complete(CarrierNumber),
    /// The carrier gave up on the order: the number was not bought.
    Failed {
        /// The carrier's reason, for the record and the logs.
        reason: String,
    },
}

impl OrderStatus {
    /// Whether the order has ended (completed or failed), so that nothing
    /// needs to ask about it again.
    pub fn is_settled(&self) -> bool {
        matches!(self, Self::Complete(_) | Self::Failed { .. })
    }
}
