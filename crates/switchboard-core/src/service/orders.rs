//! Settling a carrier's open order: ask the carrier where the order of a
//! `Pending` record stands and write what it says (active, failed, or still
//! pending with what it waits for), with compare-and-swap. The request that
//! made the order waits here a bounded while; the settler and `reconcile`
//! ask once per pass. Everyone goes through [`ProvisioningService::ask_about_order`],
//! so whoever asks first settles it and the others find it settled.

use std::time::Duration;

use crate::{
    Error, NumberState, OrderStatus, ProvisionedNumber, ProvisioningService, Result,
    TelephonyProvider,
};

/// What one question about an order learnt, besides the record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Asked {
    /// Still open: processing, or (with `missing` not empty) waiting for
    /// the account owner to provide what the carrier asks for.
    Open {
        /// What the carrier waits for; empty while it just processes.
        missing: Vec<String>,
    },
    /// The order completed: the record is active (by this question or an
    /// earlier writer's).
    Completed,
    /// The carrier gave up on the order: the record is failed, the number
    /// and the key free.
    Failed {
        /// The carrier's reason.
        reason: String,
    },
    /// The carrier knows no such order, and does not hold the number.
    /// That proves nothing: an order may not be visible yet, or the carrier
    /// may have lost track of one it still completes. So the record stays
    /// pending (the number held) for someone to look into.
    Unknown,
    /// Another writer moved the record out of `Pending` in another way
    /// than this answer says (nothing was written).
    Moved,
}

impl ProvisioningService {
    /// Asks `provider` once about the order of `record` (a `Pending`
    /// record) and writes what the answer says. Returns the record as it
    /// now stands and what was learnt; an error when the carrier could not
    /// be asked or answered something that cannot be right (the record is
    /// left as it was).
    pub(crate) async fn ask_about_order(
        &self,
        provider: &dyn TelephonyProvider,
        record: &ProvisionedNumber,
    ) -> Result<(ProvisionedNumber, Asked)> {
        let Some(order) = record.order.as_ref().filter(|o| !o.id.is_empty()) else {
            return Err(Error::Inconsistent {
                source_name: "repository".into(),
                message: format!(
                    "phone number {} ({}) is pending with no carrier order recorded",
                    record.id, record.phone_number
                ),
            });
        };
        let status = match provider.order_status(&order.id).await {
            Ok(status) => status,
            // A lost order: only the carrier holding the number proves the
            // purchase went through; nothing proves that it did not.
            Err(Error::NotFound { .. }) => match provider.find_owned(&record.phone_number).await? {
                Some(owned) if owned.phone_number == record.phone_number => {
                    OrderStatus::Complete(owned)
                }
                _ => return Ok((record.clone(), Asked::Unknown)),
            },
            Err(error) => return Err(error),
        };
        let now = self.clock.now();
        match status {
            OrderStatus::Pending => {
                let stored = self
                    .write_while_pending(record, |current| current.await_requirements(&[], now))
                    .await?;
                Ok(outcome(stored, Asked::Open { missing: vec![] }))
            }
            OrderStatus::RequirementsNeeded { missing } => {
                let stored = self
                    .write_while_pending(record, |current| {
                        current.await_requirements(&missing, now)
                    })
                    .await?;
                Ok(outcome(stored, Asked::Open { missing }))
            }
            OrderStatus::Complete(bought) => {
                let stored = self
                    .write_while_pending(record, |current| {
                        current.settle_active(&bought, now).map(Some)
                    })
                    .await?;
                Ok(outcome(stored, Asked::Completed))
            }
            OrderStatus::Failed { reason } => {
                let stored = self
                    .write_while_pending(record, |current| current.fail_order(now).map(Some))
                    .await?;
                Ok(outcome(stored, Asked::Failed { reason }))
            }
        }
    }

    /// Asks about `record`'s order until it settles, the carrier says it
    /// waits for requirements (it will not complete by waiting), or `wait`
    /// has passed, backing off between questions as the options say. The
    /// record as it then stands, and what the last question learnt (`None`
    /// when none was asked). Temporary failures to ask are waited out
    /// within `wait`; any other ends the wait with the record as it was.
    pub(crate) async fn wait_for_order(
        &self,
        provider: &dyn TelephonyProvider,
        record: ProvisionedNumber,
        wait: Duration,
    ) -> (ProvisionedNumber, Option<Asked>) {
        let deadline = tokio::time::Instant::now() + wait;
        let mut current = record;
        let mut last = None;
        let mut asked = 0;
        while current.state == NumberState::Pending {
            let delay = self.options.order_poll_delay(asked + 1);
            if tokio::time::Instant::now() + delay > deadline {
                break;
            }
            tokio::time::sleep(delay).await;
            asked += 1;
            match self.ask_about_order(provider, &current).await {
                Ok((stored, learnt)) => {
                    current = stored;
                    let waits_for_someone =
                        matches!(&learnt, Asked::Open { missing } if !missing.is_empty());
                    last = Some(learnt);
                    if waits_for_someone {
                        break;
                    }
                }
                Err(error) if error.is_temporary() => {}
                Err(_) => break,
            }
        }
        (current, last)
    }

    /// Writes what `decide` makes of the record while it is still pending;
    /// a record another writer moved on is left as that writer wrote it.
    async fn write_while_pending(
        &self,
        record: &ProvisionedNumber,
        mut decide: impl FnMut(&ProvisionedNumber) -> Result<Option<ProvisionedNumber>>,
    ) -> Result<ProvisionedNumber> {
        self.write_with(record, |current| match current.state {
            NumberState::Pending => decide(current),
            _ => Ok(None),
        })
        .await
    }
}

/// The answer to a purchase whose order the carrier gave up on (`record`
/// is failed; `learnt` what the last question about it learnt).
pub(crate) fn order_failed(record: &ProvisionedNumber, learnt: Option<Asked>) -> Error {
    let reason = match learnt {
        Some(Asked::Failed { reason }) => reason,
        _ => "the carrier gave no reason".into(),
    };
    let order = record.order.as_ref().map(|o| o.id.as_str()).unwrap_or("?");
    Error::NumberUnavailable {
        phone_number: record.phone_number.to_string(),
        provider: record.provider.clone(),
        code: None,
        message: Some(format!("the carrier's order {order} failed: {reason}")),
    }
}

/// `learnt`, unless the stored record says another writer settled it
/// otherwise.
fn outcome(stored: ProvisionedNumber, learnt: Asked) -> (ProvisionedNumber, Asked) {
    let agrees = matches!(
        (&learnt, stored.state),
        (Asked::Open { .. } | Asked::Unknown, NumberState::Pending)
            | (
                Asked::Completed,
                NumberState::Active | NumberState::Releasing | NumberState::Released
            )
            | (Asked::Failed { .. }, NumberState::Failed)
    );
    if agrees {
        (stored, learnt)
    } else {
        (stored, Asked::Moved)
    }
}
