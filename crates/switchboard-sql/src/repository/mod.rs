//! [`SqlRepository`]: one type for both backends, so the facade picks the
//! database from a URL at run time and everything else sees one store.
//!
//! The SQL is shared: both drivers accept `$1`-style parameters, and the
//! types bound (uuid, text, bool, timestamps) map to each backend's columns.
//! The `on_pool!` macro expands one body per compiled-in backend.
//!
//! This module holds the store itself: how it is opened and closed, and
//! what every operation shares (the backend, the error scrubber, the read
//! cache). The operations are grouped by what they touch: [`numbers`]
//! (the number records), [`lookup`] (the hot path by phone number),
//! [`batch`] (bulk loads), [`tokens`] (API tokens); the SQL text of the
//! numbers table is in [`number_sql`].

mod batch;
mod lookup;
mod number_sql;
mod numbers;
mod tokens;

use std::fmt;
use std::sync::Arc;

use switchboard_core::{Error, Result};

use crate::backend::{Backend, on_pool};
use crate::cache::{ReadCache, ReadCacheStats};
use crate::options::{Flavor, Scrubber, SqlOptions};

// The record module's tests prepare the lookup statement against the schema.
#[cfg(all(test, feature = "sqlite"))]
pub(crate) use number_sql::SELECT_BY_PHONE;

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("switchboard-sql needs at least one of the features `sqlite` and `postgres`");

/// Numbers and API tokens in SQLite or PostgreSQL.
///
/// The database enforces the invariants itself (one live record per phone
/// number, idempotency keys unique per account), so several processes can
/// share one store. Clones share the connection pool.
#[derive(Clone)]
pub struct SqlRepository {
    backend: Backend,
    shared: Arc<Shared>,
}

struct Shared {
    scrubber: Scrubber,
    url: String,
    /// SQLite files: connections reserved for the hot-path lookup.
    #[cfg(feature = "sqlite")]
    readers: Option<crate::readers::Readers>,
    /// Found numbers and tokens, kept while a watcher vouches for them.
    cache: Option<Arc<ReadCache>>,
    watcher: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The watcher holds a connection; it must not outlive the store.
        if let Some(watcher) = &self.watcher {
            watcher.abort();
        }
    }
}

impl fmt::Debug for SqlRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlRepository")
            .field("backend", &self.backend_name())
            .field("url", &self.shared.url)
            .finish_non_exhaustive()
    }
}

impl SqlRepository {
    /// Opens the database at `url` with default [`SqlOptions`] and applies
    /// any pending migrations (safe to run from several processes at once).
    ///
    /// `sqlite://path/numbers.db` (the file is created if missing),
    /// `sqlite::memory:` (private to this value, for tests), or
    /// `postgres://user:password@host:port/database`.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(SqlOptions::new(url)).await
    }

    /// Opens the database described by `options`; see [`SqlRepository::connect`].
    pub async fn connect_with(options: SqlOptions) -> Result<Self> {
        let scrubber = Scrubber::new(&options);
        #[cfg(feature = "sqlite")]
        let mut readers = None;
        let backend = match options.flavor()? {
            #[cfg(feature = "sqlite")]
            Flavor::Sqlite => {
                let (pool, sqlite_readers) = crate::connect::sqlite(&options, &scrubber).await?;
                readers = sqlite_readers;
                Backend::Sqlite(pool)
            }
            #[cfg(not(feature = "sqlite"))]
            Flavor::Sqlite => {
                return Err(Error::Configuration {
                    message: "this build has no SQLite support: enable the `sqlite` feature".into(),
                });
            }
            Flavor::Postgres => Self::open_postgres(&options, &scrubber).await?,
        };
        let cache = options
            .cache_settings()
            .map(|settings| Arc::new(ReadCache::new(settings)));
        let watcher = cache.as_ref().map(|cache| match &backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => crate::watch::sqlite(cache, pool.clone(), scrubber.clone()),
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                crate::watch::postgres(cache, pool.clone(), scrubber.clone())
            }
        });
        let repository = Self {
            backend,
            shared: Arc::new(Shared {
                scrubber,
                url: options.redacted_url(),
                #[cfg(feature = "sqlite")]
                readers,
                cache,
                watcher,
            }),
        };
        tracing::info!(url = %repository.shared.url, "number repository opened");
        Ok(repository)
    }

    #[cfg(feature = "postgres")]
    async fn open_postgres(options: &SqlOptions, scrubber: &Scrubber) -> Result<Backend> {
        Ok(Backend::Postgres(
            crate::connect::postgres(options, scrubber).await?,
        ))
    }

    #[cfg(not(feature = "postgres"))]
    async fn open_postgres(_: &SqlOptions, _: &Scrubber) -> Result<Backend> {
        Err(Error::Configuration {
            message: "this build has no PostgreSQL support: enable the `postgres` feature".into(),
        })
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.flavor() {
            Flavor::Sqlite => "sqlite",
            Flavor::Postgres => "postgres",
        }
    }

    /// Closes every pooled connection; operations after this fail. Waits
    /// for operations in progress to finish.
    pub async fn close(&self) {
        if let Some(watcher) = &self.shared.watcher {
            watcher.abort();
        }
        if let Some(cache) = &self.shared.cache {
            cache.disarm();
        }
        #[cfg(feature = "sqlite")]
        if let Some(readers) = &self.shared.readers {
            readers.close().await;
        }
        on_pool!(self, pool, Db => pool.close().await)
    }

    /// How the read cache has done so far; `None` when reads are not cached
    /// (see [`SqlOptions::read_cache`]).
    pub fn read_cache_stats(&self) -> Option<ReadCacheStats> {
        self.shared.cache.as_ref().map(|cache| cache.stats())
    }

    /// Runs after every write that may change what a cached read returns,
    /// whether or not the write succeeded (a failed commit may still have
    /// landed).
    fn forget(&self, what: impl FnOnce(&ReadCache)) {
        if let Some(cache) = &self.shared.cache {
            what(cache);
        }
    }

    fn flavor(&self) -> Flavor {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => Flavor::Sqlite,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => Flavor::Postgres,
        }
    }

    fn fail(&self, action: &str, err: sqlx::Error) -> Error {
        crate::error::repository(self.flavor(), &self.shared.scrubber, action, err)
    }
}
