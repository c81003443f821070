//! Bulk loads: many new records in one transaction, as multi-row INSERTs,
//! falling back to a row at a time only to name the record a unique index
//! refused. For imports, where a commit per record would be the bottleneck.

use switchboard_core::{ProvisionedNumber, Result};

use super::SqlRepository;
use super::number_sql::{COLUMNS, INSERT_NUMBER, bind_number};
use crate::backend::on_pool;
use crate::error::clash;
use crate::options::Flavor;

/// Rows per multi-row INSERT in [`SqlRepository::insert_batch`]: 28
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

impl SqlRepository {
    /// Stores many new records in one transaction: all of them, or none
    /// and the error of the first that was refused (as
    /// [`NumberRepository::insert`](switchboard_core::NumberRepository::insert)
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
                e,
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
                None => self.fail(&format!("insert number record {}", numbers[i].id), e),
            }),
            Err((None, e)) => Err(self.fail(
                &format!("insert a batch of {} number records", numbers.len()),
                e,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(sql.contains("$28), ($29, "), "{sql}");
        assert!(sql.ends_with("$56)"), "{sql}");
        assert_eq!(sql.matches('$').count(), 56);
        let sql = multi_insert_sql(3, Flavor::Sqlite);
        assert_eq!(sql.matches('?').count(), 84);
        assert!(!sql.contains('$'), "{sql}");
    }
}
