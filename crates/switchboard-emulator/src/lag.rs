//! The listing-lag fault: an owned-number listing that does not yet show
//! the numbers bought a moment ago, while a lookup of one number does. A
//! client that judges a number gone from one listing alone is caught out;
//! one that asks about the number is not.

use axum::response::Response;
use chrono::{DateTime, TimeDelta, Utc};

use crate::app::App;
use crate::state::NumberRecord;

/// How many numbers a lagging listing left out of one answer; the gate
/// copies it into the request log.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LeftOut(pub usize);

/// The lag as it applies to one listing request.
pub(crate) struct ListingLag {
    /// Numbers bought after this are left out; `None` when nothing is.
    cutoff: Option<DateTime<Utc>>,
    /// Sequence numbers of the records left out.
    hidden: Vec<u64>,
}

impl ListingLag {
    /// The lag for a listing; none when the listing filters by number.
    pub(crate) fn new(app: &App, by_number: bool) -> Self {
        let cutoff = match app.faults().listing_lag_ms {
            Some(ms) if ms > 0 && !by_number => {
                let lag = i64::try_from(ms)
                    .ok()
                    .and_then(TimeDelta::try_milliseconds)
                    .unwrap_or(TimeDelta::MAX);
                Some(
                    app.clock
                        .now()
                        .checked_sub_signed(lag)
                        .unwrap_or(DateTime::<Utc>::MIN_UTC),
                )
            }
            _ => None,
        };
        Self {
            cutoff,
            hidden: Vec::new(),
        }
    }

    /// Whether `record` is too young to be listed (and notes it if so).
    pub(crate) fn hides(&mut self, record: &NumberRecord) -> bool {
        let hide = self.cutoff.is_some_and(|cutoff| record.created_at > cutoff);
        if hide {
            self.hidden.push(record.seq);
        }
        hide
    }

    /// Marks `response` with how many numbers this page left out. When more
    /// pages follow, records past the page's last one were only looked at
    /// to see that more follow: the next page counts them.
    pub(crate) fn mark(
        self,
        mut response: Response,
        page: &[NumberRecord],
        more: bool,
    ) -> Response {
        let last = if more {
            page.last().map_or(0, |r| r.seq)
        } else {
            u64::MAX
        };
        let left_out = self.hidden.iter().filter(|seq| **seq < last).count();
        if left_out > 0 {
            response.extensions_mut().insert(LeftOut(left_out));
        }
        response
    }
}
