//! A deterministic in-memory carrier for Switchboard.
//!
//! [`FakeProvider`] implements [`switchboard_core::TelephonyProvider`] with no
//! network: it sells numbers from a seeded [`Inventory`] (US, Canadian and
//! British local, toll-free and mobile numbers, real area codes, 100,000 of
//! them by default), keeps what was bought, and behaves like a carrier where
//! it matters to callers (a number someone holds is unavailable, releases can
//! be refused for a cooldown). Users drive their own tests with it: faults can
//! be scripted per [`Operation`] (an error, latency, or an answer lost after
//! the operation took effect), every [`Call`] is recorded, and helpers such
//! as [`FakeProvider::take`] set up the situations carriers produce.
//!
//! What was sold is kept in a [`SalesLedger`]: by default a
//! [`MemoryLedger`] of the fake's own, with deterministic carrier ids
//! (`FK0000000001`, ...). Fakes in several processes that share a ledger
//! (the `switchboard-sql` crate keeps one in the store) sell as one carrier:
//! unique carrier ids, and every sale visible to all of them.
//!
//! The [`Inventory`] stands alone too, for anything else that needs the same
//! numbers (a carrier emulator serving them over HTTP).
//!
//! # Pending mode: an asynchronous carrier
//!
//! Some carriers (Telnyx) take a purchase as an *order* that completes,
//! fails or waits for regulatory documents later. Built with
//! [`FakeProviderBuilder::pending_orders`], the fake answers every purchase
//! [`PurchaseOutcome::Pending`](switchboard_core::PurchaseOutcome) with an
//! order id, holds the number (nobody else can buy it, and it is not the
//! account's yet: `find_owned`, `list_owned`, `update` and `release` do not
//! see it), and answers
//! [`order_status`](switchboard_core::TelephonyProvider::order_status) by
//! the [`OrderPlan`]: complete after a number of questions or a clock
//! duration, fail, wait for documents until told, or wait to be settled by
//! hand. [`FakeProvider::orders`] shows every order;
//! [`FakeProvider::complete_order`], [`FakeProvider::fail_order`],
//! [`FakeProvider::provide_requirements`] and [`FakeProvider::lose_order`]
//! settle or lose one by hand, so code under test meets each outcome when
//! its test chooses.
//!
//! ```
//! use switchboard_core::{OrderStatus, PurchaseOutcome, PurchaseRequest, Routing};
//! use switchboard_core::{SearchQuery, TelephonyProvider};
//! use switchboard_fake::{FakeProvider, OrderPlan};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let fake = FakeProvider::builder()
//!     .pending_orders(OrderPlan::CompleteAfterPolls(2))
//!     .build();
//! let number = fake.search(&SearchQuery::default()).await?[0].phone_number.clone();
//! let request = PurchaseRequest {
//!     phone_number: number.clone(),
//!     friendly_name: None,
//!     routing: Routing::default(),
//! };
//! let PurchaseOutcome::Pending(order) = fake.purchase(&request).await? else {
//!     panic!("the fake in pending mode answers with an order");
//! };
//! assert!(fake.find_owned(&number).await?.is_none()); // not the account's yet
//! assert_eq!(fake.order_status(&order.order_id).await?, OrderStatus::Pending);
//! assert!(matches!(
//!     fake.order_status(&order.order_id).await?,
//!     OrderStatus::Complete(bought) if bought.phone_number == number
//! ));
//! assert!(fake.find_owned(&number).await?.is_some());
//! # Ok::<(), switchboard_core::Error>(())
//! # }).unwrap();
//! ```
#![deny(missing_docs)]

mod blocks;
mod builder;
mod calls;
mod faults;
mod inventory;
pub mod ledger;
mod memory;
mod orders;
mod permutation;
mod provider;
mod settings;

pub use builder::FakeProviderBuilder;
pub use calls::{Call, Outcome, Target};
pub use faults::{Fault, Operation, Times};
pub use inventory::{DEFAULT_INVENTORY_SIZE, DEFAULT_SEED, Inventory};
pub use ledger::{Sale, SalesLedger, Sold};
pub use memory::MemoryLedger;
pub use orders::{FakeOrder, OrderPlan};
pub use provider::FakeProvider;
pub use settings::FakeSettings;
