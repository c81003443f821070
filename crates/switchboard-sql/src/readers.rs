//! Dedicated SQLite connections for the hot path (lookup by phone number).
//!
//! sqlx drives each SQLite connection from a worker thread of its own: a
//! query goes to that thread over a channel and the row comes back over
//! another, two thread wake-ups per lookup. Profiling the lookup put half
//! of all CPU in the kernel switching threads (BENCHMARKS.md, "SQLite
//! lookup path, profiled"), against ~15% in SQLite itself. So the one query
//! that runs on every inbound call goes through `rusqlite` instead, on the
//! calling thread, with no hand-off at all; everything else (writes,
//! listings, migrations) stays on the sqlx pool.
//!
//! `rusqlite` links the same bundled SQLite (`libsqlite3-sys`) as sqlx, so
//! both see one library and one file. These connections are opened
//! read-only: they never write, and WAL mode (set on the file by the pool)
//! lets them read while the pool's connections commit.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rusqlite::{OpenFlags, Row};
use tokio::sync::{Mutex, MutexGuard};

/// The per-connection settings the lookup connections share with the
/// pool's (see `connect::sqlite`).
#[derive(Debug, Clone)]
pub(crate) struct ReaderSettings {
    /// How long a read waits on a lock (WAL recovery, a checkpoint
    /// restarting the log) before failing with `SQLITE_BUSY`.
    pub(crate) busy_timeout: Duration,
    /// `PRAGMA` name and value pairs, applied in order after opening.
    pub(crate) pragmas: Vec<(&'static str, &'static str)>,
}

/// One lookup connection.
pub(crate) struct Reader {
    conn: rusqlite::Connection,
}

impl Reader {
    fn open(path: &Path, settings: &ReaderSettings) -> rusqlite::Result<Self> {
        // Read-only: a bug here cannot change the data. No mutex inside
        // SQLite: the `tokio::sync::Mutex` around each reader already keeps
        // it to one thread at a time. No URI parsing: `path` is a file name.
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = rusqlite::Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(settings.busy_timeout)?;
        for (name, value) in &settings.pragmas {
            // `pragma_update` quotes text values; these are all numbers, and
            // SQLite's pragmas take them either way.
            conn.pragma_update(None, name, value)?;
        }
        Ok(Self { conn })
    }

    /// Runs `sql` (one row at most, one text parameter) and hands the row,
    /// if any, to `decode`. The statement is prepared once per connection
    /// and kept in its cache.
    ///
    /// Synchronous: this blocks the calling thread for as long as SQLite
    /// takes. See `SqlRepository::read_by_phone_number` for why that is
    /// acceptable for the one query this serves.
    pub(crate) fn query_one<T>(
        &mut self,
        sql: &str,
        param: &str,
        decode: impl FnOnce(&Row<'_>) -> T,
    ) -> rusqlite::Result<Option<T>> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let mut rows = statement.query([param])?;
        Ok(rows.next()?.map(decode))
    }
}

/// The lookup connections of one repository.
pub(crate) struct Readers {
    connections: Vec<Mutex<Option<Reader>>>,
    next: AtomicUsize,
}

impl Readers {
    /// Opens `count` connections (at least one) to the file at `path`.
    ///
    /// On a blocking-pool thread: opening reads the file header and the
    /// pragmas may wait out a lock for up to the busy timeout.
    pub(crate) async fn open(
        path: &Path,
        settings: &ReaderSettings,
        count: usize,
    ) -> rusqlite::Result<Self> {
        let path = path.to_path_buf();
        let settings = settings.clone();
        let opened = tokio::task::spawn_blocking(move || {
            (0..count.max(1))
                .map(|_| Reader::open(&path, &settings))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await;
        let readers = match opened {
            Ok(readers) => readers?,
            // A panic inside the bindings would be a bug worth seeing.
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            // The runtime is shutting down.
            Err(_) => {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                    Some("opening the lookup connections was cancelled".into()),
                ));
            }
        };
        Ok(Self {
            connections: readers.into_iter().map(|r| Mutex::new(Some(r))).collect(),
            next: AtomicUsize::new(0),
        })
    }

    /// A free connection if there is one, else the next in turn when it
    /// frees up. `None` inside the guard once [`Readers::close`] ran.
    pub(crate) async fn get(&self) -> MutexGuard<'_, Option<Reader>> {
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
            if let Some(reader) = slot.lock().await.take() {
                // A read-only connection has nothing to flush; closing fails
                // only with statements still open, and the cache's are
                // finalized by `close` itself.
                let _ = reader.conn.close();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings reach each connection, and the connections cannot write.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lookup_connections_get_the_settings_and_cannot_write() {
        let path =
            std::env::temp_dir().join(format!("switchboard-readers-{}.db", uuid::Uuid::new_v4()));
        let setup = rusqlite::Connection::open(&path).expect("create");
        setup
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a');",
            )
            .expect("setup");
        let settings = ReaderSettings {
            busy_timeout: Duration::from_millis(1234),
            pragmas: vec![
                ("foreign_keys", "ON"),
                ("cache_size", "-4096"),
                ("mmap_size", "1048576"),
            ],
        };
        let readers = Readers::open(&path, &settings, 2).await.expect("open");
        assert_eq!(readers.connections.len(), 2);
        for _ in 0..2 {
            let mut slot = readers.get().await;
            let reader = slot.as_mut().expect("open");
            let pragma = |name: &str| -> i64 {
                reader
                    .conn
                    .pragma_query_value(None, name, |row| row.get(0))
                    .expect(name)
            };
            assert_eq!(pragma("busy_timeout"), 1234);
            assert_eq!(pragma("foreign_keys"), 1);
            assert_eq!(pragma("cache_size"), -4096);
            assert_eq!(pragma("mmap_size"), 1_048_576);
            let found = reader
                .query_one("SELECT x FROM t WHERE x = $1", "a", |row| {
                    row.get::<_, String>(0)
                })
                .expect("query");
            assert_eq!(found.transpose().expect("decode").as_deref(), Some("a"));
            let err = reader
                .conn
                .execute("INSERT INTO t VALUES ('b')", [])
                .expect_err("a lookup connection wrote");
            assert_eq!(
                err.sqlite_error_code(),
                Some(rusqlite::ErrorCode::ReadOnly),
                "{err}"
            );
        }
        readers.close().await;
        assert!(readers.get().await.is_none());
        drop(setup);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
