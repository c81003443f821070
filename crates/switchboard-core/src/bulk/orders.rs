//! Open carrier orders at the end of a bulk purchase. Each position's
//! provision answers at once when its purchase became an order (waiting
//! there would hold a worker, and so a slot of the carrier's concurrency,
//! for as long as the carrier takes); once every position has its answer,
//! the orders still open are asked about together for up to the service's
//! `order_wait`, so a bulk of orders takes about one order's time, not the
//! sum of them. An order that fails then is reported failed, not replaced:
//! the workers are done by then, and what failed is the carrier's to say.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use super::BulkOutcome;
use super::run::Run;
use crate::join::join_all;
use crate::service::{Asked, order_failed};
use crate::{NumberState, ProvisionedNumber};

impl Run<'_> {
    /// Waits (bounded by `wait`) for the open orders among the outcomes and
    /// puts what became of each in its position: the active record, the
    /// record still pending, or a failure for an order the carrier gave up
    /// on. Nothing is bought here: a pending position is never bought
    /// again, only asked about.
    pub(super) async fn wait_for_orders(&self, wait: Duration) {
        let open: Vec<(usize, ProvisionedNumber)> = {
            let shared = self.lock();
            shared
                .outcomes
                .iter()
                .enumerate()
                .filter_map(|(slot, outcome)| match outcome {
                    BulkOutcome::Bought { number, .. } if number.state == NumberState::Pending => {
                        Some((slot, (**number).clone()))
                    }
                    _ => None,
                })
                .collect()
        };
        if open.is_empty() || wait.is_zero() {
            return;
        }
        let settled: Mutex<Vec<(usize, ProvisionedNumber, Option<Asked>)>> =
            Mutex::new(Vec::with_capacity(open.len()));
        let settled_ref = &settled;
        let futures: Vec<Pin<Box<dyn Future<Output = ()> + Send + '_>>> = open
            .into_iter()
            .map(|(slot, record)| {
                Box::pin(async move {
                    let (record, learnt) = self
                        .service
                        .wait_for_order(self.provider.as_ref(), record, wait)
                        .await;
                    settled_ref
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((slot, record, learnt));
                }) as Pin<Box<dyn Future<Output = ()> + Send + '_>>
            })
            .collect();
        join_all(futures).await;
        let settled = settled.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut shared = self.lock();
        for (slot, record, learnt) in settled {
            let Some(outcome) = shared.outcomes.get_mut(slot) else {
                continue;
            };
            let index = outcome.index();
            *outcome = if record.state == NumberState::Failed {
                BulkOutcome::Failed {
                    index,
                    phone_number: Some(record.phone_number.clone()),
                    error: order_failed(&record, learnt),
                }
            } else {
                let replayed = matches!(outcome, BulkOutcome::Bought { replayed: true, .. });
                BulkOutcome::Bought {
                    index,
                    number: Box::new(record),
                    replayed,
                }
            };
        }
    }
}
