//! Scenario suites that every implementation of a trait must pass: the fake
//! and the real carriers run [`run_provider_suite`]; the in-memory, SQLite
//! and PostgreSQL stores run [`run_repository_suite`] and
//! [`run_token_store_suite`]. Carriers whose purchases become orders (the
//! fake in pending mode, Telnyx) also run [`run_pending_suite`]: the
//! service over them, with requests, settling and reconcile overlapping.
//!
//! Scenarios are plain `async fn`s that panic with a message naming the
//! scenario on failure, so they work under any test harness. Each scenario
//! makes its own unique accounts and numbers, so a suite can run repeatedly
//! against one persistent database.

mod adoption;
mod pending;
mod provider;
mod repository;
mod tokens;

pub use adoption::*;
pub use pending::*;
pub use provider::*;
pub use repository::*;
pub use tokens::*;

pub(crate) use crate::join::{join_all, join2};

/// A fresh id to keep scenarios' data apart.
pub(crate) fn unique() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}
