//! The request log: what reached the emulator and what it answered, so a
//! test can assert on the calls an adapter made (and on retries and faults)
//! without a proxy.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::config::Operation;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An answer was sent.
    Answered,
    /// The connection was closed before the request took effect.
    Dropped,
    /// The request took effect; the connection was then closed unanswered.
    CommittedThenDropped,
    /// The request took effect; the connection was then held open unanswered.
    CommittedThenHung,
}

/// One request as the emulator saw it. Credentials are never recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// `twilio`, `signalwire`, or `unknown` for paths of neither.
    pub carrier: String,
    /// The authenticated account (SID or project id), if authentication
    /// succeeded.
    pub account: Option<String>,
    /// The operation, if the path and method name one.
    pub operation: Option<Operation>,
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// The status answered (or that would have been, for a committed
    /// request whose answer was lost); `None` for a dropped request.
    pub status: Option<u16>,
    /// How it ended.
    pub outcome: Outcome,
    /// Owned numbers a lagging listing (`Faults::listing_lag_ms`) left out
    /// of this answer.
    #[serde(default)]
    pub left_out: usize,
}

/// A bounded log: the oldest entries go first once `capacity` is reached.
#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: Mutex<VecDeque<LoggedRequest>>,
    capacity: usize,
    seq: AtomicU64,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(VecDeque::new()),
            capacity,
            seq: AtomicU64::new(0),
        }
    }

    /// The next arrival number (taken when the request arrives, so the log
    /// order is arrival order even when answers finish out of order).
    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn push(&self, entry: LoggedRequest) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub(crate) fn entries(&self) -> Vec<LoggedRequest> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<_> = entries.iter().cloned().collect();
        out.sort_by_key(|e| e.seq);
        out
    }

    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
