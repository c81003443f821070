//! Opening a pool for each backend and bringing its schema up to date.
//!
//! Each backend has its own migration directory: the SQL differs (blob ids
//! and text timestamps in SQLite, native types in PostgreSQL), the
//! invariants they enforce do not.

use std::future::Future;
use std::time::Duration;

use switchboard_core::Error;

use crate::error::describe;
use crate::options::{Flavor, Scrubber, SqlOptions};

/// A driver error met while opening the store, as a core error.
fn open_failed(
    flavor: Flavor,
    scrubber: &Scrubber,
    options: &SqlOptions,
    what: &str,
    err: &sqlx::Error,
) -> Error {
    let message = format!("{what} {}: {}", options.redacted_url(), describe(err));
    let message = scrubber.scrub(&message);
    match err {
        sqlx::Error::Configuration(_) => Error::Configuration { message },
        _ => Error::Repository {
            message,
            temporary: crate::error::is_temporary(flavor, err),
            cause: None,
        },
    }
}

async fn within<T>(
    timeout: Duration,
    options: &SqlOptions,
    future: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::time::timeout(timeout, future)
        .await
        .map_err(|_| Error::Repository {
            message: format!(
                "could not connect to {} within {} ms",
                options.redacted_url(),
                timeout.as_millis()
            ),
            temporary: true,
            cause: None,
        })?
}

fn migrate_failed(scrubber: &Scrubber, err: sqlx::migrate::MigrateError) -> Error {
    Error::Repository {
        message: scrubber.scrub(&format!("could not apply the database migrations: {err}")),
        temporary: false,
        cause: None,
    }
}

#[cfg(feature = "sqlite")]
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

#[cfg(feature = "postgres")]
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Settings of every connection to a SQLite file, the pool's and the
/// lookup connections' alike.
///
/// SQLite's default page cache is 2 MiB per connection; a million numbers
/// with their indexes take ~430 MiB, and index pages evicted on every
/// lookup or insert cost a read each. Mapping the file lets lookups read
/// pages without a system call.
#[cfg(feature = "sqlite")]
const SQLITE_READ_PRAGMAS: [(&str, &str); 2] =
    [("cache_size", "-65536"), ("mmap_size", "1073741824")];

/// Opens a SQLite file (created if missing) in WAL mode, or a private
/// in-memory database, and applies the migrations.
#[cfg(feature = "sqlite")]
pub(crate) async fn sqlite(
    options: &SqlOptions,
    scrubber: &Scrubber,
) -> Result<(sqlx::SqlitePool, Option<crate::readers::Readers>), Error> {
    use std::str::FromStr;

    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };

    let fail =
        |what: &str, err: &sqlx::Error| open_failed(Flavor::Sqlite, scrubber, options, what, err);
    let memory = options.is_sqlite_memory();
    let mut connect = SqliteConnectOptions::from_str(&options.url)
        .map_err(|e| fail("invalid SQLite URL", &e))?
        .busy_timeout(options.busy_timeout)
        .foreign_keys(true);
    if !memory {
        // WAL lets lookups run while a write commits; FULL makes each commit
        // survive power loss, not only a crash of this process, because a
        // number bought and then forgotten is a number paid for and lost.
        connect = connect
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        for (name, value) in SQLITE_READ_PRAGMAS {
            connect = connect.pragma(name, value);
        }
    }
    let mut pool = SqlitePoolOptions::new()
        .acquire_timeout(options.acquire_timeout)
        // A SQLite connection cannot be lost under us; skip the round trip.
        .test_before_acquire(false);
    pool = if memory {
        // Every connection to `:memory:` would otherwise see its own empty
        // database, and the database ends when its last connection closes.
        pool.max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        pool.max_connections(options.max_connections.unwrap_or(4))
    };
    let pool = within(options.connect_timeout, options, async {
        pool.connect_with(connect.clone())
            .await
            .map_err(|e| fail("could not open SQLite database", &e))
    })
    .await?;
    // SQLite has no advisory lock for the migrator to take, so two processes
    // opening a new file at once can both try to create the tables. Each
    // migration commits atomically with its bookkeeping row, so the loser
    // only has to look again to find the work done.
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut conn = pool
            .acquire()
            .await
            .map_err(|e| fail("could not open SQLite database", &e))?;
        // `run_direct` rather than `run`: `run`'s `Acquire` bound makes this
        // future not provably `Send` (sqlx's own note on `run_direct`), and a
        // repository that cannot be opened inside `tokio::spawn` is no use.
        match SQLITE_MIGRATIONS.run_direct(None, &mut *conn, false).await {
            Ok(()) => break,
            Err(
                sqlx::migrate::MigrateError::Execute(_)
                | sqlx::migrate::MigrateError::ExecuteMigration(..),
            ) if attempt < 5 => {
                drop(conn);
                tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
            }
            Err(e) => return Err(migrate_failed(scrubber, e)),
        }
    }
    // After the migrations, so the readers see the tables. An in-memory
    // database has its one connection, which the pool must keep.
    let readers = if memory {
        None
    } else {
        let count = options.max_connections.unwrap_or(4) as usize;
        // What the pool's connections get, minus what only matters to a
        // writer (journal mode is the file's, synchronous is for commits).
        // Foreign keys only check writes; set anyway so that every
        // connection to the file has the same settings.
        let mut pragmas = vec![("foreign_keys", "ON")];
        pragmas.extend(SQLITE_READ_PRAGMAS);
        let settings = crate::readers::ReaderSettings {
            busy_timeout: options.busy_timeout,
            pragmas,
        };
        Some(
            crate::readers::Readers::open(connect.get_filename(), &settings, count)
                .await
                .map_err(|e| {
                    let message = format!(
                        "could not open SQLite database {}: {}",
                        options.redacted_url(),
                        crate::error::describe_sqlite(&e)
                    );
                    Error::Repository {
                        message: scrubber.scrub(&message),
                        temporary: crate::error::is_temporary_sqlite(&e),
                        cause: None,
                    }
                })?,
        )
    };
    Ok((pool, readers))
}

/// Connects to PostgreSQL once directly (so an unreachable server fails
/// with its real cause, not a pool timeout), creates the schema if one was
/// asked for, applies the migrations, then hands out a pool.
#[cfg(feature = "postgres")]
pub(crate) async fn postgres(
    options: &SqlOptions,
    scrubber: &Scrubber,
) -> Result<sqlx::PgPool, Error> {
    use std::str::FromStr;

    use sqlx::Connection;
    use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};

    let fail =
        |what: &str, err: &sqlx::Error| open_failed(Flavor::Postgres, scrubber, options, what, err);
    let schema = options.checked_schema()?;
    let mut connect =
        PgConnectOptions::from_str(&options.url).map_err(|e| fail("invalid PostgreSQL URL", &e))?;
    if let Some(schema) = schema {
        connect = connect.options([("search_path", schema)]);
    }
    within(options.connect_timeout, options, async {
        let mut conn = PgConnection::connect_with(&connect)
            .await
            .map_err(|e| fail("could not connect to PostgreSQL at", &e))?;
        if let Some(schema) = schema {
            // The name was checked to be [a-z0-9_]: safe to quote as is.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
            )))
            .execute(&mut conn)
            .await
            .or_else(|e| match crate::error::clash(&e) {
                // Another process created it between our check and insert.
                Some(_) => Ok(Default::default()),
                None => Err(fail("could not create the schema in", &e)),
            })?;
        }
        // See the note on `run_direct` in `sqlite` above.
        POSTGRES_MIGRATIONS
            .run_direct(None, &mut conn, false)
            .await
            .map_err(|e| migrate_failed(scrubber, e))?;
        // A failed close only loses a connection we were done with.
        let _ = conn.close().await;
        Ok(())
    })
    .await?;
    Ok(PgPoolOptions::new()
        .max_connections(options.max_connections.unwrap_or(10))
        .acquire_timeout(options.acquire_timeout)
        .test_before_acquire(options.test_before_acquire)
        .connect_lazy_with(connect))
}
