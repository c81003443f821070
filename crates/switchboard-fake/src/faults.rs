//! Scripted failures, so that users can test how their code copes with a
//! carrier that errs, is slow, or loses an answer after acting on it.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use switchboard_core::Error;

/// One method of `TelephonyProvider`, for scripting faults and reading the
/// call log: core's, the one every layer over a carrier names.
pub use switchboard_core::layer::Operation;

/// What goes wrong with a call.
#[derive(Debug, Clone)]
pub enum Fault {
    /// The call fails with this error and changes nothing.
    Fail(Error),
    /// The call waits this long (`tokio::time::sleep`, so paused test time
    /// skips it), then runs normally.
    Latency(Duration),
    /// The call runs as usual (a purchase buys, a release releases), then its
    /// answer is lost: the caller gets [`Error::Transport`] whatever the
    /// result was, as after a timeout, and must find out what happened by
    /// asking (e.g. `find_owned` after a purchase).
    AnswerLost,
}

/// How many calls a scripted fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    /// The next call only.
    Once,
    /// The next `n` calls (`N(0)` scripts nothing).
    N(u32),
    /// Every call, until the faults are cleared.
    Always,
}

/// Faults per operation, consumed in the order they were scripted: each call
/// takes the fault at the front of its operation's queue.
#[derive(Debug, Default)]
pub(crate) struct Script {
    queues: HashMap<Operation, VecDeque<(Fault, Option<u32>)>>,
}

impl Script {
    pub fn add(&mut self, operation: Operation, fault: Fault, times: Times) {
        let remaining = match times {
            Times::Once => Some(1),
            Times::N(0) => return,
            Times::N(n) => Some(n),
            Times::Always => None,
        };
        self.queues
            .entry(operation)
            .or_default()
            .push_back((fault, remaining));
    }

    /// The fault for the next call of `operation`, using it up.
    pub fn next(&mut self, operation: Operation) -> Option<Fault> {
        let queue = self.queues.get_mut(&operation)?;
        let (fault, remaining) = queue.front_mut()?;
        let fault = fault.clone();
        if let Some(left) = remaining {
            *left -= 1;
            if *left == 0 {
                queue.pop_front();
            }
        }
        Some(fault)
    }

    pub fn clear(&mut self) {
        self.queues.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latency(ms: u64) -> Fault {
        Fault::Latency(Duration::from_millis(ms))
    }

    fn is_latency(fault: Option<Fault>, ms: u64) -> bool {
        matches!(fault, Some(Fault::Latency(d)) if d == Duration::from_millis(ms))
    }

    #[test]
    fn faults_apply_in_order_and_run_out() {
        let mut script = Script::default();
        script.add(Operation::Purchase, latency(1), Times::Once);
        script.add(Operation::Purchase, latency(2), Times::N(2));
        script.add(Operation::Purchase, latency(3), Times::N(0));
        assert!(script.next(Operation::Search).is_none());
        assert!(is_latency(script.next(Operation::Purchase), 1));
        assert!(is_latency(script.next(Operation::Purchase), 2));
        assert!(is_latency(script.next(Operation::Purchase), 2));
        assert!(script.next(Operation::Purchase).is_none());
    }

    #[test]
    fn always_stays_until_cleared() {
        let mut script = Script::default();
        script.add(Operation::Release, Fault::AnswerLost, Times::Always);
        for _ in 0..5 {
            assert!(matches!(
                script.next(Operation::Release),
                Some(Fault::AnswerLost)
            ));
        }
        script.clear();
        assert!(script.next(Operation::Release).is_none());
    }
}
