//! When a connection has to be cut off: a client that takes too long to send
//! a request's headers, and a keep-alive connection idle for too long.
//!
//! hyper has a header-read timeout of its own, but it starts the clock as
//! soon as a connection is ready for its next request, so on a keep-alive
//! connection it doubles as the idle timeout and the two cannot differ: a
//! 10 s header timeout would close every keep-alive connection after 10 s of
//! quiet. Here the connection's phase is followed instead, from the three
//! places that see it change: the socket (a request's first byte arrives
//! after a quiet spell), the service (hyper has parsed the headers) and the
//! response body (hyper is done with the answer). All three run inside the
//! connection's own future, so its driver reads the deadline right after
//! polling it and never misses a change.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for a request's headers to be complete: from the connection's
    /// start, or from the first byte after an idle spell.
    Headers,
    /// A request is being answered; the request timeout governs it.
    Busy,
    /// Between requests, nothing received yet.
    Idle,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    /// Requests whose answer hyper still holds (one on HTTP/1, but counted
    /// so that an overlap could never end the busy phase early).
    busy: u32,
    deadline: Option<Instant>,
}

/// One connection's phase and the deadline that comes with it.
#[derive(Debug)]
pub(super) struct Tracker {
    state: Mutex<State>,
    header_read_timeout: Duration,
    idle_timeout: Duration,
}

impl Tracker {
    /// A tracker for a connection accepted now: its first request's headers
    /// are due within the header-read timeout, as a silent client is the
    /// cheapest way to hold a connection.
    pub(super) fn new(header_read_timeout: Duration, idle_timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                phase: Phase::Headers,
                busy: 0,
                deadline: after(header_read_timeout),
            }),
            header_read_timeout,
            idle_timeout,
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The deadline in force, if any (none while a request is answered).
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.with(|s| s.deadline)
    }

    /// The phase the connection is in.
    pub(super) fn phase(&self) -> Phase {
        self.with(|s| s.phase)
    }

    /// Bytes came in: after an idle spell they start a request, whose headers
    /// are then due. Bytes in any other phase change nothing, so a client
    /// trickling its headers one byte at a time cannot push the deadline.
    fn bytes_arrived(&self) {
        let header_read_timeout = self.header_read_timeout;
        self.with(|s| {
            if s.phase == Phase::Idle {
                s.phase = Phase::Headers;
                s.deadline = after(header_read_timeout);
            }
        });
    }

    /// hyper parsed a request's headers: the request timeout takes over.
    fn request_started(self: &Arc<Self>) -> Busy {
        self.with(|s| {
            s.phase = Phase::Busy;
            s.busy += 1;
            s.deadline = None;
        });
        Busy(self.clone())
    }

    fn response_finished(&self) {
        let idle_timeout = self.idle_timeout;
        self.with(|s| {
            s.busy = s.busy.saturating_sub(1);
            if s.busy == 0 {
                s.phase = Phase::Idle;
                s.deadline = after(idle_timeout);
            }
        });
    }
}

/// The instant `timeout` from now; none for a timeout too long to add (it
/// would never pass anyway), rather than a panic on a caller's `Duration::MAX`.
fn after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// Held by an answer until hyper drops its body (sent, or the connection
/// gone): the connection is busy until then.
#[derive(Debug)]
pub(super) struct Busy(Arc<Tracker>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.response_finished();
    }
}

/// A socket that tells the tracker when bytes arrive.
#[derive(Debug)]
pub(super) struct Watched<T> {
    inner: T,
    tracker: Arc<Tracker>,
}

impl<T> Watched<T> {
    pub(super) fn new(inner: T, tracker: Arc<Tracker>) -> Self {
        Self { inner, tracker }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.tracker.bytes_arrived();
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A response body that keeps the connection busy until hyper drops it.
#[derive(Debug)]
pub(super) struct Answer<B> {
    body: B,
    _busy: Busy,
}

impl<B> Answer<B> {
    fn new(body: B, busy: Busy) -> Self {
        Self { body, _busy: busy }
    }
}

impl<B> Body for Answer<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    // Passed on so that hyper still writes Content-Length, not chunks.
    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// `router` as a hyper service whose requests and answers move the tracker.
pub(super) fn service(
    router: axum::Router,
    tracker: Arc<Tracker>,
) -> impl hyper::service::Service<
    hyper::Request<hyper::body::Incoming>,
    Response = hyper::Response<Answer<axum::body::Body>>,
    Error = std::convert::Infallible,
    Future = impl Future<
        Output = Result<hyper::Response<Answer<axum::body::Body>>, std::convert::Infallible>,
    > + Send,
> + Send
+ 'static {
    use hyper::service::Service as _;
    let router = hyper_util::service::TowerToHyperService::new(router);
    hyper::service::service_fn(move |request| {
        let busy = tracker.request_started();
        let answer = router.call(request);
        async move {
            let response = answer.await?;
            Ok(response.map(|body| Answer::new(body, busy)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn phases_move_the_deadline() {
        let header = Duration::from_secs(10);
        let idle = Duration::from_secs(60);
        let start = Instant::now();
        let tracker = Tracker::new(header, idle);
        assert_eq!(tracker.phase(), Phase::Headers);
        assert_eq!(tracker.deadline(), Some(start + header));

        // Trickled header bytes do not extend the deadline.
        tokio::time::advance(Duration::from_secs(3)).await;
        tracker.bytes_arrived();
        assert_eq!(tracker.deadline(), Some(start + header));

        let busy = tracker.request_started();
        assert_eq!(tracker.phase(), Phase::Busy);
        assert_eq!(tracker.deadline(), None);
        // Body bytes while busy change nothing.
        tracker.bytes_arrived();
        assert_eq!(tracker.deadline(), None);

        tokio::time::advance(Duration::from_secs(2)).await;
        drop(busy);
        let idle_since = Instant::now();
        assert_eq!(tracker.phase(), Phase::Idle);
        assert_eq!(tracker.deadline(), Some(idle_since + idle));

        // The next request's first byte starts its header clock.
        tokio::time::advance(Duration::from_secs(30)).await;
        tracker.bytes_arrived();
        assert_eq!(tracker.phase(), Phase::Headers);
        assert_eq!(tracker.deadline(), Some(Instant::now() + header));
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_too_long_to_add_means_no_deadline() {
        let tracker = Tracker::new(Duration::MAX, Duration::MAX);
        assert_eq!(tracker.deadline(), None);
        drop(tracker.request_started());
        assert_eq!(tracker.phase(), Phase::Idle);
        assert_eq!(tracker.deadline(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn overlapping_answers_end_the_busy_phase_only_when_both_are_done() {
        let tracker = Tracker::new(Duration::from_secs(1), Duration::from_secs(2));
        let first = tracker.request_started();
        let second = tracker.request_started();
        drop(first);
        assert_eq!(tracker.phase(), Phase::Busy);
        assert_eq!(tracker.deadline(), None);
        drop(second);
        assert_eq!(tracker.phase(), Phase::Idle);
    }
}
