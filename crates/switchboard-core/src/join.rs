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

/// Runs two futures concurrently on the current task, for races between
/// operations of different types.
#[cfg_attr(not(any(test, feature = "testing")), allow(dead_code))]
pub(crate) async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let (mut first, mut second) = (None, None);
    std::future::poll_fn(|cx: &mut Context<'_>| {
        if first.is_none()
            && let Poll::Ready(value) = a.as_mut().poll(cx)
        {
            first = Some(value);
        }
        if second.is_none()
            && let Poll::Ready(value) = b.as_mut().poll(cx)
        {
            second = Some(value);
        }
        if first.is_some() && second.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    match (first, second) {
        (Some(first), Some(second)) => (first, second),
        _ => unreachable!("both futures are ready"),
    }
}
