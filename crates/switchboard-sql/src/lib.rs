//! Durable storage for Switchboard: [`SqlRepository`] implements
//! [`switchboard_core::NumberRepository`] and [`switchboard_core::TokenStore`]
//! on SQLite (feature `sqlite`, the embedded default: one file, nothing to
//! run) or PostgreSQL (feature `postgres`: several service processes sharing
//! one store).
//!
//! The database itself enforces the invariants the service relies on: a
//! partial unique index allows at most one live (`reserved`, `pending`, `active`,
//! `releasing`) record per phone number, and idempotency keys are unique per
//! account. Two processes racing to reserve the same number therefore cannot
//! both succeed, whichever backend they share.
//!
//! With the feature `fake-ledger`, [`SqlFakeLedger`] keeps the books of
//! `switchboard-fake`'s carrier in the same store, so that fakes in several
//! processes sharing it sell as one carrier.
//!
//! ```no_run
//! # async fn demo() -> switchboard_core::Result<()> {
//! use switchboard_sql::SqlRepository;
//! let repository = SqlRepository::connect("sqlite://numbers.db").await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod backend;
mod cache;
mod connect;
mod error;
#[cfg(feature = "fake-ledger")]
mod fake_ledger;
mod options;
#[cfg(feature = "sqlite")]
mod readers;
mod record;
mod repository;
mod watch;

pub use cache::ReadCacheStats;
#[cfg(feature = "fake-ledger")]
pub use fake_ledger::SqlFakeLedger;
pub use options::{
    DEFAULT_READ_CACHE_CAPACITY, DEFAULT_READ_CACHE_STALENESS, SqlOptions, redact_url,
};
pub use repository::SqlRepository;
