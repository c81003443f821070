//! [`SqlRepository`]: one type for both backends, so the facade picks the
//! database from a URL at run time and everything else sees one store.
//!
//! The SQL is shared: both drivers accept `$1`-style parameters, and the
//! types bound (uuid, text, bool, timestamps) map to each backend's columns.
//! The `on_pool!` macro expands one body per compiled-in backend.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_core::{
    AccountId, ApiToken, Error, MAX_PAGE_SIZE, NumberFilter, NumberRepository, Page, PageRequest,
    PhoneNumber, ProvisionedNumber, Result, TokenStore,
};
use uuid::Uuid;

use crate::backend::{Backend, on_pool};
use crate::cache::{ReadCache, ReadCacheStats};
use crate::error::{Clash, clash};
use crate::options::{Flavor, Scrubber, SqlOptions};
use crate::record::{NUMBER_COLUMNS, NumberRow, TokenRow, method_text};

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("switchboard-sql needs at least one of the features `sqlite` and `postgres`");

/// Binds the 26 columns of [`NUMBER_COLUMNS`] in order.
macro_rules! bind_number {
    ($query:expr, $n:expr) => {{
        let n: &ProvisionedNumber = $n;
        $query
            .bind(n.id)
            .bind(n.account.as_str())
            .bind(n.phone_number.as_str())
            .bind(n.friendly_name.as_str())
            .bind(n.agent_id)
            .bind(n.capabilities.voice)
            .bind(n.capabilities.sms)
            .bind(n.capabilities.mms)
            .bind(n.capabilities.fax)
            .bind(n.provider.as_str())
            .bind(n.carrier_id.as_deref())
            .bind(n.routing.voice_url.as_ref().map(|u| u.as_str()))
            .bind(method_text(n.routing.voice_method))
            .bind(n.routing.sms_url.as_ref().map(|u| u.as_str()))
            .bind(method_text(n.routing.sms_method))
            .bind(n.routing.status_callback.as_ref().map(|u| u.as_str()))
            .bind(n.state.as_str())
            .bind(n.idempotency_key.as_deref())
            .bind(n.created_at)
            .bind(n.updated_at)
            .bind(n.released_at)
            .bind(n.release_not_before)
            .bind(version_value(n.version))
            .bind(n.lease_until)
            .bind(n.purchased_at)
            .bind(n.request_fingerprint.as_deref())
    }};
}

/// Versions are stored as the databases' signed 64-bit integers; one that
/// does not fit (never reached by counting writes) saturates.
fn version_value(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

/// Columns per number record.
const COLUMNS: usize = 26;

/// Rows per multi-row INSERT in [`SqlRepository::insert_batch`]: 26
/// parameters each stays under SQLite's 32,766 and PostgreSQL's 65,535.
const BATCH_ROWS: usize = 500;
const _: () = assert!(BATCH_ROWS * COLUMNS < 32_766);

/// `INSERT INTO numbers (...) VALUES (...), (...)` for `rows` records.
///
/// SQLite gets anonymous `?` parameters: looking up a numbered `$N` one is a
/// linear scan inside SQLite, which makes binding 11,000 of them quadratic
/// (measured: 2,000 rows/s instead of tens of thousands).
fn multi_insert_sql(rows: usize, flavor: Flavor) -> String {
    let (head, _) = INSERT_NUMBER
        .split_once(" VALUES ")
        .unwrap_or((INSERT_NUMBER, ""));
    let mut sql = String::with_capacity(head.len() + rows * 140);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..COLUMNS {
            if column > 0 {
                sql.push_str(", ");
            }
            match flavor {
                Flavor::Sqlite => sql.push('?'),
                Flavor::Postgres => sql.push_str(&format!("${}", row * COLUMNS + column + 1)),
            }
        }
        sql.push(')');
    }
    sql
}

const INSERT_NUMBER: &str = "INSERT INTO numbers (id, account, phone_number, friendly_name, \
     agent_id, cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, voice_url, \
     voice_method, sms_url, sms_method, status_callback, state, idempotency_key, created_at, \
     updated_at, released_at, release_not_before, version, lease_until, purchased_at, \
     request_fingerprint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
     $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)";

/// A compare-and-swap: the row is written only if it is still at the
/// version the caller read (`$22`), and comes back at the next one.
/// Identity columns (account, phone number, provider, creation time) are
/// left out: they never change once recorded.
const UPDATE_NUMBER: &str = "UPDATE numbers SET friendly_name = $2, agent_id = $3, \
     cap_voice = $4, cap_sms = $5, cap_mms = $6, cap_fax = $7, carrier_id = $8, \
     voice_url = $9, voice_method = $10, sms_url = $11, sms_method = $12, \
     status_callback = $13, state = $14, idempotency_key = $15, updated_at = $16, \
     released_at = $17, release_not_before = $18, lease_until = $19, purchased_at = $20, \
     request_fingerprint = $21, version = version + 1 \
     WHERE id = $1 AND version = $22 \
     RETURNING id, account, phone_number, friendly_name, agent_id, \
     cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, \
     voice_url, voice_method, sms_url, sms_method, status_callback, \
     state, idempotency_key, created_at, updated_at, released_at, release_not_before, \
     version, lease_until, purchased_at, request_fingerprint";

/// Whether a record exists, after a compare-and-swap wrote nothing.
const SELECT_VERSION: &str = "SELECT version FROM numbers WHERE id = $1";

// The WHERE clause repeats the partial index's predicate word for word:
// SQLite uses a partial index only when the query visibly implies it.
pub(crate) const SELECT_BY_PHONE: &str = "SELECT id, account, phone_number, friendly_name, agent_id, \
     cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, \
     voice_url, voice_method, sms_url, sms_method, status_callback, \
     state, idempotency_key, created_at, updated_at, released_at, release_not_before, \
     version, lease_until, purchased_at, request_fingerprint \
     FROM numbers WHERE phone_number = $1 AND state IN ('reserved', 'active', 'releasing')";

const SELECT_BY_ID: &str = "SELECT id, account, phone_number, friendly_name, agent_id, \
     cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, \
     voice_url, voice_method, sms_url, sms_method, status_callback, \
     state, idempotency_key, created_at, updated_at, released_at, release_not_before, \
     version, lease_until, purchased_at, request_fingerprint \
     FROM numbers WHERE id = $1";

const SELECT_BY_KEY: &str = "SELECT id, account, phone_number, friendly_name, agent_id, \
     cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, \
     voice_url, voice_method, sms_url, sms_method, status_callback, \
     state, idempotency_key, created_at, updated_at, released_at, release_not_before, \
     version, lease_until, purchased_at, request_fingerprint \
     FROM numbers WHERE account = $1 AND idempotency_key = $2";

const INSERT_TOKEN: &str = "INSERT INTO api_tokens (id, account, label, token_hash, created_at, \
     revoked_at) VALUES ($1, $2, $3, $4, $5, $6)";

const SELECT_TOKEN_BY_HASH: &str = "SELECT id, account, label, token_hash, created_at, \
     revoked_at FROM api_tokens WHERE token_hash = $1";

const SELECT_ALL_TOKENS: &str = "SELECT id, account, label, token_hash, created_at, \
     revoked_at FROM api_tokens ORDER BY created_at, id";

const SELECT_ACCOUNT_TOKENS: &str = "SELECT id, account, label, token_hash, created_at, \
     revoked_at FROM api_tokens WHERE account = $1 ORDER BY created_at, id";

// A second revocation keeps the first time, as the in-memory store does.
const REVOKE_TOKEN: &str =
    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";

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

    /// Stores many new records in one transaction: all of them, or none
    /// and the error of the first that was refused (as [`NumberRepository::insert`]
    /// reports it). For imports and bulk loads, where a commit per record
    /// would be the bottleneck.
    pub async fn insert_batch(&self, numbers: &[ProvisionedNumber]) -> Result<()> {
        let result = self.write_batch(numbers).await;
        self.forget(|cache| {
            for number in numbers {
                cache.invalidate_number(number.phone_number.as_str());
            }
        });
        result
    }

    async fn write_batch(&self, numbers: &[ProvisionedNumber]) -> Result<()> {
        if numbers.is_empty() {
            return Ok(());
        }
        // Multi-row INSERTs: one statement per chunk instead of per record.
        let flavor = self.flavor();
        let fast = on_pool!(self, pool, Db => {
            async {
                let mut tx = pool.begin().await?;
                for chunk in numbers.chunks(BATCH_ROWS) {
                    let mut query = sqlx::query::<Db>(sqlx::AssertSqlSafe(multi_insert_sql(chunk.len(), flavor)));
                    for n in chunk {
                        query = bind_number!(query, n);
                    }
                    query.execute(&mut *tx).await?;
                }
                tx.commit().await
            }
            .await
        });
        match fast {
            Ok(()) => Ok(()),
            // A chunk does not say which of its rows clashed: redo the batch
            // a row at a time to report the first refused record exactly.
            Err(e) if clash(&e).is_some() => self.insert_rows_one_by_one(numbers).await,
            Err(e) => Err(self.fail(
                &format!("insert a batch of {} number records", numbers.len()),
                &e,
            )),
        }
    }

    async fn insert_rows_one_by_one(&self, numbers: &[ProvisionedNumber]) -> Result<()> {
        let outcome: std::result::Result<(), (Option<usize>, sqlx::Error)> = on_pool!(self, pool, Db => {
            async {
                let mut tx = pool.begin().await.map_err(|e| (None, e))?;
                for (i, n) in numbers.iter().enumerate() {
                    bind_number!(sqlx::query::<Db>(INSERT_NUMBER), n)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| (Some(i), e))?;
                }
                tx.commit().await.map_err(|e| (None, e))
            }
            .await
        });
        match outcome {
            Ok(()) => Ok(()),
            Err((Some(i), e)) => Err(match clash(&e) {
                Some(c) => self.clash_error(c, &numbers[i]).await,
                None => self.fail(&format!("insert number record {}", numbers[i].id), &e),
            }),
            Err((None, e)) => Err(self.fail(
                &format!("insert a batch of {} number records", numbers.len()),
                &e,
            )),
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

    fn fail(&self, action: &str, err: &sqlx::Error) -> Error {
        crate::error::repository(self.flavor(), &self.shared.scrubber, action, err)
    }

    async fn fetch_number(&self, id: Uuid) -> Result<Option<ProvisionedNumber>> {
        let row = on_pool!(self, pool, Db => {
            sqlx::query_as::<Db, NumberRow>(SELECT_BY_ID)
                .bind(id)
                .fetch_optional(pool)
                .await
        })
        .map_err(|e| self.fail(&format!("read number record {id}"), &e))?;
        row.map(ProvisionedNumber::try_from).transpose()
    }

    /// The live record of `phone_number`, from the database.
    ///
    /// On a SQLite file the query runs synchronously on the calling
    /// (runtime) thread, through one of the lookup connections
    /// (`readers.rs`), instead of being handed to sqlx's worker thread and
    /// awaited. That hand-off cost more than the query: two thread wake-ups
    /// per lookup, half of all CPU. Blocking a runtime thread is acceptable
    /// here because the query is two B-tree probes (the live-number index,
    /// then the row by its key) and one row to decode: 7 to 10 µs of CPU
    /// with the file's pages mapped, less than the hand-off it replaces
    /// cost, and about what any await on another thread would.
    ///
    /// The risk is a page that is neither in SQLite's page cache nor in the
    /// OS page cache: the read then waits for the disk with the thread
    /// held, stalling the other tasks scheduled on it for that long (a
    /// fraction of a millisecond on an SSD). The mapped file (`mmap_size`)
    /// and a page cache sized for the table make that rare once the
    /// process has run for a while. A lock held by another connection is
    /// not a risk: in WAL mode readers do not wait for writers, and only
    /// WAL recovery after a crash can make a read wait (up to the busy
    /// timeout).
    async fn read_by_phone_number(
        &self,
        phone_number: &PhoneNumber,
    ) -> Result<Option<ProvisionedNumber>> {
        #[cfg(feature = "sqlite")]
        if let Some(readers) = &self.shared.readers {
            // The lookup itself never returns `Pending`, so a task doing
            // lookups in a loop would never give its thread back to the
            // scheduler (timers and other tasks starve: a benchmark hung
            // without this). Spend cooperative budget as an await would.
            tokio::task::coop::consume_budget().await;
            let mut slot = readers.get().await;
            let Some(reader) = slot.as_mut() else {
                return Err(Error::Repository {
                    message: format!("could not look up {phone_number}: the repository is closed"),
                    temporary: false,
                });
            };
            let found = reader
                .query_one(
                    SELECT_BY_PHONE,
                    phone_number.as_str(),
                    NumberRow::from_sqlite,
                )
                .map_err(|e| {
                    crate::error::sqlite_repository(
                        &self.shared.scrubber,
                        &format!("look up {phone_number}"),
                        &e,
                    )
                })?;
            drop(slot);
            return found
                .transpose()?
                .map(ProvisionedNumber::try_from)
                .transpose();
        }
        let row = on_pool!(self, pool, Db => {
            sqlx::query_as::<Db, NumberRow>(SELECT_BY_PHONE)
                .bind(phone_number.as_str())
                .fetch_optional(pool)
                .await
        })
        .map_err(|e| self.fail(&format!("look up {phone_number}"), &e))?;
        row.map(ProvisionedNumber::try_from).transpose()
    }

    /// The token with this hash, from the database.
    async fn read_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let row = on_pool!(self, pool, Db => {
            sqlx::query_as::<Db, TokenRow>(SELECT_TOKEN_BY_HASH)
                .bind(token_hash)
                .fetch_optional(pool)
                .await
        })
        // The hash is not the token, but it has no place in a message either.
        .map_err(|e| self.fail("look up a token", &e))?;
        row.map(ApiToken::try_from).transpose()
    }

    /// Stores a new record; see [`NumberRepository::insert`].
    async fn write_insert(&self, number: &ProvisionedNumber) -> Result<()> {
        let result = on_pool!(self, pool, Db => {
            bind_number!(sqlx::query::<Db>(INSERT_NUMBER), number)
                .execute(pool)
                .await
                .map(|_| ())
        });
        match result {
            Ok(_) => Ok(()),
            Err(e) => Err(match clash(&e) {
                Some(c) => self.clash_error(c, number).await,
                None => self.fail(&format!("insert number record {}", number.id), &e),
            }),
        }
    }

    /// Writes a record from the version it was read at; see
    /// [`NumberRepository::update`].
    async fn write_update(&self, number: &ProvisionedNumber) -> Result<ProvisionedNumber> {
        let n = number;
        let result = on_pool!(self, pool, Db => {
            sqlx::query_as::<Db, NumberRow>(UPDATE_NUMBER)
                .bind(n.id)
                .bind(n.friendly_name.as_str())
                .bind(n.agent_id)
                .bind(n.capabilities.voice)
                .bind(n.capabilities.sms)
                .bind(n.capabilities.mms)
                .bind(n.capabilities.fax)
                .bind(n.carrier_id.as_deref())
                .bind(n.routing.voice_url.as_ref().map(|u| u.as_str()))
                .bind(method_text(n.routing.voice_method))
                .bind(n.routing.sms_url.as_ref().map(|u| u.as_str()))
                .bind(method_text(n.routing.sms_method))
                .bind(n.routing.status_callback.as_ref().map(|u| u.as_str()))
                .bind(n.state.as_str())
                .bind(n.idempotency_key.as_deref())
                .bind(n.updated_at)
                .bind(n.released_at)
                .bind(n.release_not_before)
                .bind(n.lease_until)
                .bind(n.purchased_at)
                .bind(n.request_fingerprint.as_deref())
                .bind(version_value(n.version))
                .fetch_optional(pool)
                .await
        });
        match result {
            Ok(Some(row)) => ProvisionedNumber::try_from(row),
            // Nothing written: gone, or moved on since it was read.
            Ok(None) => match self.stored_version(number.id).await? {
                None => Err(Error::not_found(format!("number record {}", number.id))),
                Some(_) => Err(Error::Stale {
                    what: format!("number record {}", number.id),
                }),
            },
            Err(e) => Err(match clash(&e) {
                Some(c) => self.clash_error(c, number).await,
                None => self.fail(&format!("update number record {}", number.id), &e),
            }),
        }
    }

    /// The stored version of a record, `None` if there is no such record.
    async fn stored_version(&self, id: Uuid) -> Result<Option<i64>> {
        on_pool!(self, pool, Db => {
            sqlx::query_scalar::<Db, i64>(SELECT_VERSION)
                .bind(id)
                .fetch_optional(pool)
                .await
        })
        .map_err(|e| self.fail(&format!("read the version of number record {id}"), &e))
    }

    /// Revokes a token; see [`TokenStore::revoke_token`].
    async fn write_revocation(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let affected = on_pool!(self, pool, Db => {
            sqlx::query::<Db>(REVOKE_TOKEN)
                .bind(id)
                .bind(at)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(|e| self.fail(&format!("revoke token {id}"), &e))?;
        if affected == 0 {
            return Err(Error::not_found(format!("token {id}")));
        }
        Ok(())
    }
    /// The core error for a write rejected by a unique index.
    async fn clash_error(&self, clash: Clash, number: &ProvisionedNumber) -> Error {
        match clash {
            Clash::LivePhoneNumber => {
                // An update never changes the phone number: name the stored one.
                let phone_number = match self.fetch_number(number.id).await {
                    Ok(Some(stored)) => stored.phone_number.to_string(),
                    _ => number.phone_number.to_string(),
                };
                Error::AlreadyProvisioned { phone_number }
            }
            Clash::IdempotencyKey => Error::Conflict {
                reason: format!(
                    "idempotency key {:?} was already used by this account",
                    number.idempotency_key.as_deref().unwrap_or_default()
                ),
            },
            Clash::Existing => Error::Conflict {
                reason: format!("a record with id {} exists", number.id),
            },
        }
    }
}

/// `SELECT ... FROM numbers WHERE <filter> AND id > <cursor> ORDER BY id
/// LIMIT n`, with only the conditions the filter sets (a catch-all
/// `$1 IS NULL OR ...` would keep the planners from using the indexes).
fn list_sql(filter: &NumberFilter, after: Option<Uuid>) -> String {
    let mut conditions = Vec::new();
    let mut next = 0;
    let mut param = || {
        next += 1;
        format!("${next}")
    };
    if filter.account.is_some() {
        conditions.push(format!("account = {}", param()));
    }
    if filter.agent_id.is_some() {
        conditions.push(format!("agent_id = {}", param()));
    }
    if filter.provider.is_some() {
        conditions.push(format!("provider = {}", param()));
    }
    if !filter.states.is_empty() {
        let list: Vec<String> = filter.states.iter().map(|_| param()).collect();
        conditions.push(format!("state IN ({})", list.join(", ")));
    }
    if after.is_some() {
        conditions.push(format!("id > {}", param()));
    }
    let mut sql = format!("SELECT {NUMBER_COLUMNS} FROM numbers");
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(&format!(" ORDER BY id LIMIT {}", param()));
    sql
}

#[async_trait]
impl NumberRepository for SqlRepository {
    async fn insert(&self, number: &ProvisionedNumber) -> Result<()> {
        let result = self.write_insert(number).await;
        self.forget(|cache| cache.invalidate_number(number.phone_number.as_str()));
        result
    }

    async fn get(&self, id: Uuid) -> Result<Option<ProvisionedNumber>> {
        self.fetch_number(id).await
    }

    async fn find_by_phone_number(
        &self,
        phone_number: &PhoneNumber,
    ) -> Result<Option<ProvisionedNumber>> {
        let Some(cache) = &self.shared.cache else {
            return self.read_by_phone_number(phone_number).await;
        };
        if let Some(found) = cache.number(phone_number) {
            return Ok(Some(found));
        }
        let ticket = cache.ticket();
        let found = self.read_by_phone_number(phone_number).await?;
        if let Some(number) = &found {
            cache.store_number(ticket, number);
        }
        Ok(found)
    }

    async fn find_by_idempotency_key(
        &self,
        account: &AccountId,
        key: &str,
    ) -> Result<Option<ProvisionedNumber>> {
        let row = on_pool!(self, pool, Db => {
            sqlx::query_as::<Db, NumberRow>(SELECT_BY_KEY)
                .bind(account.as_str())
                .bind(key)
                .fetch_optional(pool)
                .await
        })
        .map_err(|e| self.fail("look up an idempotency key", &e))?;
        row.map(ProvisionedNumber::try_from).transpose()
    }

    async fn list(
        &self,
        filter: &NumberFilter,
        page: &PageRequest,
    ) -> Result<Page<ProvisionedNumber>> {
        let after =
            match &page.cursor {
                Some(cursor) => Some(Uuid::parse_str(cursor).map_err(|_| {
                    Error::invalid("cursor", "is not a cursor this listing returned")
                })?),
                None => None,
            };
        let limit = page.limit.clamp(1, MAX_PAGE_SIZE) as usize;
        let sql = list_sql(filter, after);
        let rows = on_pool!(self, pool, Db => {
            let mut query = sqlx::query_as::<Db, NumberRow>(sqlx::AssertSqlSafe(sql));
            if let Some(account) = &filter.account {
                query = query.bind(account.as_str());
            }
            if let Some(agent) = filter.agent_id {
                query = query.bind(agent);
            }
            if let Some(provider) = &filter.provider {
                query = query.bind(provider.as_str());
            }
            for state in &filter.states {
                query = query.bind(state.as_str());
            }
            if let Some(after) = after {
                query = query.bind(after);
            }
            // One more than asked tells whether another page follows.
            query.bind(limit as i64 + 1).fetch_all(pool).await
        })
        .map_err(|e| self.fail("list number records", &e))?;
        let mut items = rows
            .into_iter()
            .map(ProvisionedNumber::try_from)
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|n| n.id.to_string())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn update(&self, number: &ProvisionedNumber) -> Result<ProvisionedNumber> {
        let result = self.write_update(number).await;
        // By id as well: the stored phone number is the one that counts.
        self.forget(|cache| {
            cache.invalidate_number(number.phone_number.as_str());
            cache.invalidate_number_id(number.id);
        });
        result
    }
}

#[async_trait]
impl TokenStore for SqlRepository {
    async fn insert_token(&self, token: &ApiToken) -> Result<()> {
        let result = on_pool!(self, pool, Db => {
            sqlx::query::<Db>(INSERT_TOKEN)
                .bind(token.id)
                .bind(token.account.as_str())
                .bind(token.label.as_deref())
                .bind(token.token_hash.as_str())
                .bind(token.created_at)
                .bind(token.revoked_at)
                .execute(pool)
                .await
                .map(|_| ())
        });
        match result {
            Ok(_) => Ok(()),
            Err(e) if clash(&e).is_some() => Err(Error::Conflict {
                reason: "the token exists already".into(),
            }),
            Err(e) => Err(self.fail(&format!("insert token {}", token.id), &e)),
        }
    }

    async fn find_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let Some(cache) = &self.shared.cache else {
            return self.read_token_by_hash(token_hash).await;
        };
        if let Some(found) = cache.token(token_hash) {
            return Ok(Some(found));
        }
        let ticket = cache.ticket();
        let found = self.read_token_by_hash(token_hash).await?;
        if let Some(token) = &found {
            cache.store_token(ticket, token);
        }
        Ok(found)
    }

    async fn list_tokens(&self, account: Option<AccountId>) -> Result<Vec<ApiToken>> {
        let rows = on_pool!(self, pool, Db => {
            match &account {
                Some(account) => {
                    sqlx::query_as::<Db, TokenRow>(SELECT_ACCOUNT_TOKENS)
                        .bind(account.as_str())
                        .fetch_all(pool)
                        .await
                }
                None => {
                    sqlx::query_as::<Db, TokenRow>(SELECT_ALL_TOKENS)
                        .fetch_all(pool)
                        .await
                }
            }
        })
        .map_err(|e| self.fail("list tokens", &e))?;
        rows.into_iter().map(ApiToken::try_from).collect()
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let result = self.write_revocation(id, at).await;
        self.forget(|cache| cache.invalidate_token_id(id));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_queries_read_every_column_in_row_order() {
        for sql in [SELECT_BY_PHONE, SELECT_BY_ID, SELECT_BY_KEY] {
            assert!(
                sql.starts_with(&format!("SELECT {NUMBER_COLUMNS} FROM numbers WHERE")),
                "{sql}"
            );
        }
        assert_eq!(NUMBER_COLUMNS.split(',').count(), COLUMNS);
        assert!(INSERT_NUMBER.contains("$26)") && !INSERT_NUMBER.contains("$27"));
        assert!(UPDATE_NUMBER.ends_with(&format!("RETURNING {NUMBER_COLUMNS}")));
    }

    /// The hot path must be one index lookup, not a scan: checked on the
    /// planner's own account of the exact query the repository sends.
    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn sqlite_looks_numbers_up_through_the_live_index() {
        let store = SqlRepository::connect("sqlite::memory:").await.unwrap();
        // Irrefutable when SQLite is the only backend compiled in.
        #[allow(irrefutable_let_patterns)]
        let Backend::Sqlite(pool) = &store.backend else {
            panic!("not SQLite");
        };
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {SELECT_BY_PHONE}"
        )))
        .bind("+16045551234")
        .fetch_all(pool)
        .await
        .unwrap();
        let detail: Vec<&str> = plan.iter().map(|row| row.3.as_str()).collect();
        assert_eq!(
            detail,
            ["SEARCH numbers USING INDEX numbers_live_phone_number (phone_number=?)"],
            "{plan:?}"
        );
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn postgres_can_look_numbers_up_through_the_live_index() {
        let Some(url) = std::env::var("SWITCHBOARD_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            // Straight to stderr: the harness captures `eprintln!`.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: PostgreSQL tests need SWITCHBOARD_TEST_DATABASE_URL (see README)"
            );
            return;
        };
        let schema = format!("test_{}", Uuid::new_v4().simple());
        let store = SqlRepository::connect_with(SqlOptions::new(&url).schema(&schema))
            .await
            .unwrap();
        #[allow(irrefutable_let_patterns)]
        let Backend::Postgres(pool) = &store.backend else {
            panic!("not PostgreSQL");
        };
        let mut conn = pool.acquire().await.unwrap();
        // An empty table is cheapest to scan; forbid that to learn whether
        // the index can serve the query at all (its predicate must match).
        sqlx::query("SET enable_seqscan = off")
            .execute(&mut *conn)
            .await
            .unwrap();
        let plan: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {SELECT_BY_PHONE}")))
                .bind("+16045551234")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains("numbers_live_phone_number"), "{plan}");
        assert!(!plan.contains("Seq Scan"), "{plan}");
        drop(conn);
        store.close().await;
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA \"{schema}\" CASCADE"
        )))
        .execute(&mut admin)
        .await
        .unwrap();
    }

    #[test]
    fn multi_row_inserts_number_every_parameter_once() {
        assert_eq!(
            multi_insert_sql(1, Flavor::Postgres)
                .split_once(" VALUES ")
                .map(|(_, v)| v.to_string()),
            INSERT_NUMBER
                .split_once(" VALUES ")
                .map(|(_, v)| v.to_string())
        );
        let sql = multi_insert_sql(2, Flavor::Postgres);
        assert!(sql.contains("$26), ($27, "), "{sql}");
        assert!(sql.ends_with("$52)"), "{sql}");
        assert_eq!(sql.matches('$').count(), 52);
        let sql = multi_insert_sql(3, Flavor::Sqlite);
        assert_eq!(sql.matches('?').count(), 78);
        assert!(!sql.contains('$'), "{sql}");
    }

    #[test]
    fn listing_sql_has_only_the_filters_set() {
        let all = list_sql(&NumberFilter::default(), None);
        assert!(all.ends_with("FROM numbers ORDER BY id LIMIT $1"), "{all}");
        let filter = NumberFilter {
            account: Some(AccountId::parse("acme").unwrap()),
            agent_id: Some(Uuid::nil()),
            provider: None,
            states: vec![
                switchboard_core::NumberState::Active,
                switchboard_core::NumberState::Reserved,
            ],
        };
        let sql = list_sql(&filter, Some(Uuid::nil()));
        assert!(
            sql.ends_with(
                "WHERE account = $1 AND agent_id = $2 AND state IN ($3, $4) AND id > $5 \
                 ORDER BY id LIMIT $6"
            ),
            "{sql}"
        );
    }
}
