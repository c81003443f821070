//! The request log: what reached the emulator and what it answered, so a
//! test can assert on the calls an adapter made (and on retries and faults)
//! without a proxy. The bounded log behind it also keeps the inbound
//! webhooks the emulator delivered (`crate::inbound`).

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
    /// `twilio`, `signalwire` or `telnyx`.
    pub carrier: String,
    /// The authenticated account (SID, project id or Telnyx user id), if authentication
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

/// What a bounded log needs of its entries: their arrival number, by which
/// it sorts them (entries may be pushed when they finish, out of order).
pub(crate) trait Sequenced {
    fn seq(&self) -> u64;
}

impl Sequenced for LoggedRequest {
    fn seq(&self) -> u64 {
        self.seq
    }
}

/// A bounded log: the oldest entries go first once `capacity` is reached.
#[derive(Debug)]
pub(crate) struct BoundedLog<T> {
    entries: Mutex<VecDeque<T>>,
    capacity: usize,
    seq: AtomicU64,
}

/// The carrier requests that reached the emulator.
pub(crate) type RequestLog = BoundedLog<LoggedRequest>;

impl<T: Sequenced + Clone> BoundedLog<T> {
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

    pub(crate) fn push(&self, entry: T) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub(crate) fn entries(&self) -> Vec<T> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<_> = entries.iter().cloned().collect();
        out.sort_by_key(Sequenced::seq);
        out
    }

    /// Keeps only the entries `keep` accepts.
    pub(crate) fn retain(&self, keep: impl FnMut(&T) -> bool) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(keep);
    }

    pub(crate) fn clear(&self) {
        self.retain(|_| false);
    }
}
