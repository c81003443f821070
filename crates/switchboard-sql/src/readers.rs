//! Dedicated SQLite connections for the hot path (lookup by phone number).
//!
//! Every operation through an sqlx pool costs two trips to the connection's
//! worker thread: the query, and a liveness ping when the connection is
//! given back. A SQLite connection cannot be lost under us, so for the one
//! query that runs on every inbound call, these connections are held
//! outside the pool and used directly: one trip per lookup. WAL mode lets
//! them read while the pool's connections write.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use tokio::sync::{Mutex, MutexGuard};

pub(crate) struct Readers {
    connections: Vec<Mutex<Option<SqliteConnection>>>,
    next: AtomicUsize,
}

impl Readers {
    /// Opens `count` connections (at least one) with `options`.
    pub(crate) async fn open(
        options: &SqliteConnectOptions,
        count: usize,
    ) -> Result<Self, sqlx::Error> {
        let mut connections = Vec::with_capacity(count.max(1));
        for _ in 0..count.max(1) {
            let conn = SqliteConnection::connect_with(options).await?;
            connections.push(Mutex::new(Some(conn)));
        }
        Ok(Self {
            connections,
            next: AtomicUsize::new(0),
        })
    }

    /// A free connection if there is one, else the next in turn when it
    /// frees up. `None` inside the guard once [`Readers::close`] ran.
    pub(crate) async fn get(&self) -> MutexGuard<'_, Option<SqliteConnection>> {
        let count = self.connections.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for k in 0..count {
            if let Ok(guard) = self.connections[(start + k) % count].try_lock() {
                return guard;
            }
        }
        self.connections[start % count].lock().await
    }

    /// Closes every connection, waiting for lookups in progress.
    pub(crate) async fn close(&self) {
        for slot in &self.connections {
            if let Some(conn) = slot.lock().await.take() {
                // Closing only fails if the connection was already broken.
                let _ = conn.close().await;
            }
        }
    }
}
