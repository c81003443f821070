//! Serving a router on a listener until told to stop.

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting connections and returns once the requests in flight have been
/// answered.
///
/// The caller decides what `shutdown` waits for (SIGTERM, Ctrl-C, a test's
/// signal) and how long to allow for draining (wrap the returned future in a
/// timeout).
pub async fn serve<F>(listener: TcpListener, router: Router, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving");
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await?;
    tracing::info!("stopped");
    Ok(())
}
