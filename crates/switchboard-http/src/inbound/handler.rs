//! The embedding application's hook: what to tell the carrier once a
//! webhook is proven authentic and its number looked up.

use std::fmt::Debug;

use async_trait::async_trait;
use switchboard_core::ProvisionedNumber;
use switchboard_core::inbound::InboundEvent;

use super::Answer;

/// Decides the answer to a verified call or message.
///
/// The route has already checked the carrier's signature and resolved the
/// called number, so an implementation only chooses what happens next
/// (connect the agent, reply, reject). It runs while the carrier waits
/// (Twilio gives up on a call after about 15 s), so it should answer
/// promptly and do slow work elsewhere.
#[async_trait]
pub trait InboundHandler: Send + Sync + Debug {
    /// The answer to `event`. `number` is the active record the call or
    /// message is for (its account and agent), or `None` when the number is
    /// not ours to answer: unknown, reserved, released, or bought at
    /// another carrier than the one that delivered the event.
    async fn answer(&self, event: &InboundEvent, number: Option<&ProvisionedNumber>) -> Answer;

    /// The answer when the number store could not be asked who the number
    /// belongs to, or `None` (the default) to answer the carrier with the
    /// store's error (503 or 500), which the carrier logs as a failed
    /// webhook. An answer here lets a caller hear something better than the
    /// carrier's "application error" while the store is down; the event is
    /// not retried by the carrier either way.
    async fn store_unavailable(&self, event: &InboundEvent) -> Option<Answer> {
        let _ = event;
        None
    }
}
