//! Watchers that keep a [`ReadCache`] honest about changes made by other
//! connections and processes.
//!
//! Each one runs as a background task holding only a weak reference to the
//! cache, so it ends when the repository is dropped; the repository also
//! aborts it on `close`. Whatever goes wrong (a lost connection, a starved
//! task, a runtime shut down), the cache's own rule covers it: without a
//! fresh confirmation from its watcher it stops answering, and when
//! confirmations resume it starts empty (see `crate::cache`). So a watcher
//! only has to say what it saw (`confirm`, `invalidate_*`) and when it knows
//! it lost sight (`disarm`); it never empties the cache for an outage itself.

use std::sync::Arc;
use std::time::Instant;

use tokio::task::JoinHandle;

use crate::cache::ReadCache;
use crate::options::Scrubber;

/// SQLite: polls `PRAGMA data_version` on a connection of its own. The value
/// changes whenever any other connection, in this process or another,
/// commits to the file; SQLite gives no finer signal, so a change drops the
/// whole cache. Writes through this repository have already dropped what
/// they touched, so this mostly matters for other processes.
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite(
    cache: &Arc<ReadCache>,
    pool: sqlx::SqlitePool,
    scrubber: Scrubber,
) -> JoinHandle<()> {
    let cache = Arc::downgrade(cache);
    tokio::spawn(async move {
        let Some(interval) = cache.upgrade().map(|c| c.settings().check_interval()) else {
            return;
        };
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut connection: Option<sqlx::SqliteConnection> = None;
        let mut last_version: Option<i64> = None;
        let mut failing = false;
        loop {
            ticker.tick().await;
            let Some(cache) = cache.upgrade() else {
                return;
            };
            let started = Instant::now();
            match data_version(&pool, &mut connection).await {
                Ok(version) => {
                    if last_version.is_some_and(|last| last != version) {
                        cache.invalidate_all();
                        cache.note_watched_change();
                    }
                    last_version = Some(version);
                    cache.confirm(started);
                    if failing {
                        tracing::info!("read cache: watching the SQLite file again");
                        failing = false;
                    }
                }
                Err(sqlx::Error::PoolClosed) => {
                    cache.disarm();
                    return;
                }
                Err(error) => {
                    cache.disarm();
                    connection = None;
                    last_version = None;
                    if !failing {
                        tracing::warn!(
                            error = %scrubber.scrub(&crate::error::describe(&error)),
                            "read cache: cannot watch the SQLite file; reads go to the database"
                        );
                        failing = true;
                    }
                }
            }
        }
    })
}

/// One `PRAGMA data_version` on the watcher's connection, opening it (a
/// connection taken out of the pool for good) when there is none.
#[cfg(feature = "sqlite")]
async fn data_version(
    pool: &sqlx::SqlitePool,
    connection: &mut Option<sqlx::SqliteConnection>,
) -> Result<i64, sqlx::Error> {
    let connection = match connection {
        Some(connection) => connection,
        None => connection.insert(pool.acquire().await?.detach()),
    };
    sqlx::query_scalar::<_, i64>("PRAGMA data_version")
        .fetch_one(connection)
        .await
}

/// The channel the PostgreSQL triggers (see the migrations) notify on.
#[cfg(feature = "postgres")]
const CHANNEL: &str = "switchboard_cache";

/// PostgreSQL: `LISTEN`s for the notifications the `numbers` and
/// `api_tokens` triggers send on every update or delete (payload `n:` or
/// `t:`, the table's schema, `:`, and the phone number or token hash), and
/// drops those entries when the schema is this repository's.
///
/// Notifications arrive in commit order, so a heartbeat this watcher sends
/// through the pool proves, when it comes back, that every change
/// committed before it was sent has been seen: that is what arms the cache.
#[cfg(feature = "postgres")]
pub(crate) fn postgres(
    cache: &Arc<ReadCache>,
    pool: sqlx::PgPool,
    scrubber: Scrubber,
) -> JoinHandle<()> {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    let weak = Arc::downgrade(cache);
    let interval = cache.settings().check_interval();
    let instance = uuid::Uuid::new_v4().simple().to_string();
    let sent: Arc<Mutex<VecDeque<(u64, Instant)>>> = Arc::default();
    let beats = heartbeats(weak.clone(), pool.clone(), instance.clone(), sent.clone());
    // The listener holds its connection for good: a pool of its own, so it
    // never takes one the repository's operations are counting on.
    let listen_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with((*pool.connect_options()).clone());
    let listen = async move {
        let mut listener: Option<sqlx::postgres::PgListener> = None;
        let mut failing = false;
        // The schema this repository's tables live in: notifications about
        // other schemas' tables (another deployment sharing the database)
        // are not ours. Unknown (the query failed): act on every one.
        let mut schema: Option<String> = None;
        loop {
            if weak.strong_count() == 0 {
                return;
            }
            let result = match listener.as_mut() {
                Some(listener) => listener.try_recv().await,
                None => match subscribe(&listen_pool).await {
                    Ok(subscribed) => {
                        listener = Some(subscribed);
                        if schema.is_none() {
                            schema = sqlx::query_scalar::<_, String>("SELECT current_schema()")
                                .fetch_one(&pool)
                                .await
                                .ok();
                        }
                        continue;
                    }
                    Err(error) => Err(error),
                },
            };
            let Some(cache) = weak.upgrade() else {
                return;
            };
            match result {
                Ok(Some(notification)) => {
                    if failing {
                        tracing::info!("read cache: listening to PostgreSQL again");
                        failing = false;
                    }
                    let ours = Ours {
                        instance: &instance,
                        schema: schema.as_deref(),
                    };
                    handle(&cache, notification.payload(), &ours, &sent);
                }
                // The connection was lost and made again: whatever was
                // committed in between went unheard.
                Ok(None) => cache.disarm(),
                Err(sqlx::Error::PoolClosed) => {
                    cache.disarm();
                    return;
                }
                Err(error) => {
                    cache.disarm();
                    listener = None;
                    if !failing {
                        tracing::warn!(
                            error = %scrubber.scrub(&crate::error::describe(&error)),
                            "read cache: cannot listen to PostgreSQL; reads go to the database"
                        );
                        failing = true;
                    }
                    drop(cache);
                    tokio::time::sleep(interval).await;
                }
            }
        }
    };
    tokio::spawn(async move {
        tokio::join!(beats, listen);
    })
}

#[cfg(feature = "postgres")]
async fn subscribe(pool: &sqlx::PgPool) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Sends a numbered heartbeat every check interval, remembering when each
/// was sent (before sending: the proof covers what committed before then).
#[cfg(feature = "postgres")]
async fn heartbeats(
    cache: std::sync::Weak<ReadCache>,
    pool: sqlx::PgPool,
    instance: String,
    sent: Arc<std::sync::Mutex<std::collections::VecDeque<(u64, Instant)>>>,
) {
    let Some(interval) = cache.upgrade().map(|c| c.settings().check_interval()) else {
        return;
    };
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for sequence in 0u64.. {
        ticker.tick().await;
        if cache.strong_count() == 0 || pool.is_closed() {
            return;
        }
        {
            let mut sent = sent
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // Heartbeats lost with a connection are never answered.
            while sent.len() >= 64 {
                sent.pop_front();
            }
            sent.push_back((sequence, Instant::now()));
        }
        // A failure here only means no confirmation: the cache disarms by
        // itself when confirmations stop.
        let _ = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("h:{instance}:{sequence}"))
            .execute(&pool)
            .await;
    }
}

/// What tells this watcher's notifications from others'.
#[cfg(feature = "postgres")]
struct Ours<'a> {
    /// This watcher's heartbeat name.
    instance: &'a str,
    /// The schema of this repository's tables, when known.
    schema: Option<&'a str>,
}

/// The key a change notification names (`<schema>:<key>`), or `None` when
/// it is about another schema's tables. A payload without a schema (from
/// the first version of the triggers) counts as ours.
#[cfg(feature = "postgres")]
fn changed_key<'a>(rest: &'a str, ours: &Ours<'_>) -> Option<&'a str> {
    match (rest.rsplit_once(':'), ours.schema) {
        (Some((schema, _)), Some(own)) if schema != own => None,
        (Some((_, key)), _) => Some(key),
        (None, _) => Some(rest),
    }
}

/// Acts on one notification.
#[cfg(feature = "postgres")]
fn handle(
    cache: &ReadCache,
    payload: &str,
    ours: &Ours<'_>,
    sent: &std::sync::Mutex<std::collections::VecDeque<(u64, Instant)>>,
) {
    if let Some(rest) = payload.strip_prefix("n:") {
        if let Some(phone_number) = changed_key(rest, ours) {
            cache.invalidate_number(phone_number);
            cache.note_watched_change();
        }
    } else if let Some(rest) = payload.strip_prefix("t:") {
        if let Some(token_hash) = changed_key(rest, ours) {
            cache.invalidate_token(token_hash);
            cache.note_watched_change();
        }
    } else if let Some(beat) = payload.strip_prefix("h:") {
        // Other processes' heartbeats prove nothing about this listener's.
        let Some(sequence) = beat
            .strip_prefix(ours.instance)
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            return;
        };
        let mut sent = sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(&(number, at)) = sent.front() {
            if number > sequence {
                break;
            }
            sent.pop_front();
            if number == sequence {
                cache.confirm(at);
            }
        }
    } else {
        // Not ours to understand (a newer version's trigger?): be safe.
        cache.invalidate_all();
        cache.note_watched_change();
    }
}

#[cfg(all(test, feature = "postgres"))]
mod tests {
    use super::*;

    #[test]
    fn changes_to_other_schemas_are_not_ours() {
        let ours = Ours {
            instance: "i",
            schema: Some("tenant_a"),
        };
        assert_eq!(
            changed_key("tenant_a:+16045551234", &ours),
            Some("+16045551234")
        );
        assert_eq!(changed_key("tenant_b:+16045551234", &ours), None);
        // The first triggers named no schema: taken as ours.
        assert_eq!(changed_key("+16045551234", &ours), Some("+16045551234"));
        let unknown = Ours {
            instance: "i",
            schema: None,
        };
        assert_eq!(changed_key("tenant_b:abc", &unknown), Some("abc"));
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod sqlite_tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use chrono::Utc;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    use sqlx::{Connection, Executor};
    use switchboard_core::{AccountId, ApiToken};

    use crate::cache::{CacheSettings, ReadCache};
    use crate::options::{Scrubber, SqlOptions};

    async fn until(what: &str, done: impl Fn() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{what}: not within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// The SQLite watcher's outage: its check fails (here another connection
    /// holds the file locked), it drops its connection, and the new one's
    /// `data_version` starts from a value that already includes whatever
    /// was committed meanwhile. That commit is never seen as a change, so
    /// only the arm transition keeps the entry cached before it from being
    /// served after it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_commit_made_while_the_watcher_is_locked_out_is_not_served_stale() {
        let dir = std::env::temp_dir().join(format!("switchboard-watch-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        // A rollback journal, not WAL: there a writer's exclusive lock keeps
        // readers out, which is the outage. A short busy timeout makes the
        // watcher's check fail at once instead of waiting the lock out.
        let options = SqliteConnectOptions::new()
            .filename(dir.join("watch.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Delete)
            .busy_timeout(Duration::from_millis(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options.clone())
            .await
            .unwrap();
        pool.execute("CREATE TABLE t (x INTEGER)").await.unwrap();
        // A bound far longer than the test: the cache cannot lapse, so "not
        // armed" below means the watcher failed a check and disarmed.
        let cache = Arc::new(ReadCache::new(CacheSettings {
            max_staleness: Duration::from_secs(10),
            capacity: 10,
        }));
        let scrubber = Scrubber::new(&SqlOptions::new("sqlite://watch.db"));
        let watcher = super::sqlite(&cache, pool.clone(), scrubber);
        until("the watcher never armed the cache", || cache.stats().armed).await;

        let token = ApiToken {
            id: uuid::Uuid::now_v7(),
            account: AccountId::parse("acme").unwrap(),
            label: None,
            token_hash: "ab".repeat(32),
            created_at: Utc::now(),
            revoked_at: None,
        };
        cache.store_token(cache.ticket(), &token);
        assert_eq!(cache.token(&token.token_hash), Some(token.clone()));

        let mut writer = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap();
        writer.execute("BEGIN EXCLUSIVE").await.unwrap();
        writer.execute("INSERT INTO t VALUES (1)").await.unwrap();
        until("the locked-out watcher never disarmed", || {
            !cache.stats().armed
        })
        .await;
        // Committed while the watcher cannot look: the revocation it stands
        // for is never seen as a change.
        writer.execute("COMMIT").await.unwrap();
        until("the watcher never re-armed", || cache.stats().rearms == 1).await;
        assert_eq!(
            cache.token(&token.token_hash),
            None,
            "cached before the outage, served after it"
        );

        watcher.abort();
        writer.close().await.unwrap();
        pool.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
