//! Scenario suites that every implementation of a trait must pass: the fake
//! and the real carriers run [`run_provider_suite`]; the in-memory, SQLite
//! and PostgreSQL stores run [`run_repository_suite`] and
//! [`run_token_store_suite`].
//!
//! Scenarios are plain `async fn`s that panic with a message naming the
//! scenario on failure, so they work under any test harness. Each scenario
//! makes its own unique accounts and numbers, so a suite can run repeatedly
//! against one persistent database.

mod provider;
mod repository;
mod tokens;

pub use provider::*;
pub use repository::*;
pub use tokens::*;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs futures concurrently on the current task and collects their outputs
/// in order: enough for the suites' races without a `futures` dependency.
pub(crate) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx: &mut Context<'_>| {
        let mut all_done = true;
        for (slot, future) in outputs.iter_mut().zip(pending.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *slot = Some(value),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    pending.clear();
    outputs.into_iter().flatten().collect()
}

/// A fresh id to keep scenarios' data apart.
pub(crate) fn unique() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}
