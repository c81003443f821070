//! Waiting for several futures at once, on the caller's task.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs futures concurrently on the current task and collects their outputs
/// in order. The bulk's workers, a search across carriers and the suites'
/// races share one task this way, so core needs neither a runtime feature
/// to spawn nor the `futures` crate.
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
