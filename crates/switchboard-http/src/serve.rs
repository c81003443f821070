//! Serving a router on a listener until told to stop, with the limits that
//! keep slow or idle clients from holding the server's connections.

mod deadline;

use std::future::{Future, poll_fn};
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use deadline::{Phase, Tracker, Watched};

/// Limits on the connections [`serve_with`] accepts.
///
/// Without them one client can hold the server: a connection costs the
/// server a task and a socket whether or not requests come, so a client that
/// opens many and sends their headers a byte at a time (slowloris) would
/// exhaust either.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeOptions {
    /// How long a client has to send a request's headers: from the
    /// connection's start for its first request, from the first byte of each
    /// later one. A connection that misses it is closed without an answer.
    pub header_read_timeout: Duration,
    /// How long a keep-alive connection may sit between requests before it is
    /// closed.
    pub idle_timeout: Duration,
    /// Connections served at once. Beyond it new connections wait: they are
    /// not accepted until one closes (see [`serve_with`]).
    pub max_connections: usize,
}

impl Default for ServeOptions {
    /// 10 s for headers (a real client sends them in one packet), 60 s idle
    /// (longer than the keep-alive of common clients and proxies, so they
    /// close first and never reuse a connection we are closing), 1,024
    /// connections (each costs a socket and a small task; behind a proxy
    /// that reuses its connections a service needs far fewer).
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}

impl ServeOptions {
    /// Sets the header-read timeout.
    pub fn with_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets the idle keep-alive timeout.
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets the connection cap.
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// The cap as a permit count, or an error naming the field at fault.
    fn check(&self) -> io::Result<u32> {
        let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidInput, message);
        if self.header_read_timeout.is_zero() {
            return Err(invalid(
                "invalid header_read_timeout: must be more than zero".into(),
            ));
        }
        if self.idle_timeout.is_zero() {
            return Err(invalid(
                "invalid idle_timeout: must be more than zero".into(),
            ));
        }
        let max = u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX);
        match u32::try_from(self.max_connections) {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(invalid(format!(
                "invalid max_connections: must be between 1 and {max}, got {}",
                self.max_connections
            ))),
        }
    }
}

/// Serves `router` on `listener` with the default [`ServeOptions`] until
/// `shutdown` completes; see [`serve_with`].
pub async fn serve<F>(listener: TcpListener, router: Router, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    serve_with(listener, router, ServeOptions::default(), shutdown).await
}

/// Serves `router` over HTTP/1.1 on `listener` until `shutdown` completes,
/// then stops accepting connections, closes idle ones, and returns once the
/// requests in flight have been answered.
///
/// The caller decides what `shutdown` waits for (SIGTERM, Ctrl-C, a test's
/// signal) and how long to allow for draining (wrap the returned future in a
/// timeout).
///
/// At `options.max_connections` open connections, new ones wait in the
/// listener's backlog rather than being accepted and refused: a refused
/// client sees a reset it cannot tell from a crash and typically retries at
/// once, adding load when there is too much, while a waiting one is served
/// as soon as a connection closes, and the header and idle timeouts make
/// sure one does. When the backlog is full too, the kernel stops completing
/// handshakes and clients time out by their own rules.
///
/// Fails at once, before serving, if an option is out of range (the error
/// names it).
pub async fn serve_with<F>(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let permits = options.check()?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            %addr,
            max_connections = options.max_connections,
            header_read_timeout_ms = options.header_read_timeout.as_millis() as u64,
            idle_timeout_ms = options.idle_timeout.as_millis() as u64,
            "serving"
        );
    }
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    if !is_connection_error(&error) {
                        // Out of file descriptors and the like: accepting
                        // again at once would spin.
                        tracing::error!(%error, "accept failed; retrying in 1 s");
                        tokio::select! {
                            () = &mut shutdown => break,
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                    }
                    continue;
                }
            },
        };
        tokio::spawn(connection(
            stream,
            router.clone(),
            options.clone(),
            stopping.clone(),
            slot,
        ));
    }
    drop(listener);
    stop.send_replace(true);
    // Every connection holds a slot until it ends: having them all back
    // means every request in flight has been answered.
    let _all = slots.acquire_many(permits).await;
    tracing::info!("stopped");
    Ok(())
}

/// Errors about one connection, not about the listener.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves one connection until it closes, a deadline passes, or shutdown
/// lets its last request finish.
async fn connection(
    stream: TcpStream,
    router: Router,
    options: ServeOptions,
    mut stopping: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let tracker = Tracker::new(options.header_read_timeout, options.idle_timeout);
    let io = TokioIo::new(Watched::new(stream, tracker.clone()));
    let service = deadline::service(router, tracker.clone());
    let mut conn = pin!(http1::Builder::new().serve_connection(io, service));
    let mut stop = pin!(async move {
        // An error means the server is gone: stop as well.
        let _ = stopping.wait_for(|stop| *stop).await;
    });
    let mut draining = false;
    let mut timer = pin!(tokio::time::sleep(options.header_read_timeout));

    let timed_out = poll_fn(|cx| {
        if !draining && stop.as_mut().poll(cx).is_ready() {
            draining = true;
            conn.as_mut().graceful_shutdown();
        }
        if let Poll::Ready(result) = conn.as_mut().poll(cx) {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
            return Poll::Ready(None);
        }
        // Polling the connection is what moves its phase, so the deadline
        // read now is current.
        let Some(deadline) = tracker.deadline() else {
            return Poll::Pending;
        };
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(tracker.phase())),
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    match timed_out {
        Some(Phase::Headers) => tracing::debug!(
            timeout_ms = options.header_read_timeout.as_millis() as u64,
            "closing a connection whose request headers did not arrive in time"
        ),
        Some(_) => tracing::debug!(
            timeout_ms = options.idle_timeout.as_millis() as u64,
            "closing an idle connection"
        ),
        None => {}
    }
}
