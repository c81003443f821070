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
#![deny(missing_docs)]

mod blocks;
mod builder;
mod calls;
mod faults;
mod inventory;
pub mod ledger;
mod memory;
mod permutation;
mod provider;
mod settings;

pub use builder::FakeProviderBuilder;
pub use calls::{Call, Outcome, Target};
pub use faults::{Fault, Operation, Times};
pub use inventory::{DEFAULT_INVENTORY_SIZE, DEFAULT_SEED, Inventory};
pub use ledger::{Sale, SalesLedger, Sold};
pub use memory::MemoryLedger;
pub use provider::FakeProvider;
pub use settings::FakeSettings;
