//! The hot path: the live record of a phone number, read for every inbound
//! call. On a SQLite file it runs on a reserved connection, synchronously,
//! which is a decision with costs of its own (explained below), so it is
//! kept apart from the other reads. The tests check the planner serves it
//! from the live-number index.

#[cfg(feature = "sqlite")]
use switchboard_core::Error;
use switchboard_core::{PhoneNumber, ProvisionedNumber, Result};

use super::SqlRepository;
use super::number_sql::SELECT_BY_PHONE;
use crate::backend::on_pool;
use crate::record::NumberRow;

impl SqlRepository {
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
    pub(super) async fn read_by_phone_number(
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
                    cause: None,
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
                        e,
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
        .map_err(|e| self.fail(&format!("look up {phone_number}"), e))?;
        row.map(ProvisionedNumber::try_from).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Backend;

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
        use crate::options::SqlOptions;
        use uuid::Uuid;

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
}
