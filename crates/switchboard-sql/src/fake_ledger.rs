//! [`SqlFakeLedger`]: the fake carrier's books in the store, so that every
//! process sharing the store sells from one fake carrier.
//!
//! Each process's `FakeProvider` keeps its seeded inventory, scripted faults
//! and call log; only who holds which number lives here, in the table
//! `fake_carrier_numbers` (see the migrations). A purchase is one
//! `INSERT ... ON CONFLICT DO NOTHING` against a unique index, so of two
//! processes buying one number exactly one wins; carrier ids are `FK` and
//! the row's serial, which the database issues and never reuses.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_core::{
    Capabilities, CarrierNumber, CarrierUpdate, Error, PhoneNumber, Result, Routing, WebhookMethod,
    WebhookUrl,
};
use switchboard_fake::ledger::{Sale, SalesLedger, Sold, carrier_id, carrier_id_serial};

use crate::backend::{Backend, on_pool};
use crate::options::{Flavor, Scrubber, SqlOptions};

#[cfg(test)]
const COLUMNS: &str = "serial, phone_number, friendly_name, cap_voice, cap_sms, cap_mms, \
     cap_fax, voice_url, voice_method, sms_url, sms_method, status_callback, purchased_at";

// No conflict target: the unique phone number is the claim, and a serial
// taken by `restore` (PostgreSQL's sequence does not see explicit values)
// must not fail the purchase either; `claim` tells the two apart.
const CLAIM: &str = "INSERT INTO fake_carrier_numbers (carrier, phone_number, held_by, \
     friendly_name, cap_voice, cap_sms, cap_mms, cap_fax, voice_url, voice_method, sms_url, \
     sms_method, status_callback, purchased_at) VALUES ($1, $2, 'account', $3, $4, $5, $6, $7, \
     $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING RETURNING serial";

const TAKE: &str = "INSERT INTO fake_carrier_numbers (carrier, phone_number, held_by, \
     cap_voice, cap_sms, cap_mms, cap_fax, purchased_at) VALUES ($1, $2, 'another', \
     false, false, false, false, $3) ON CONFLICT DO NOTHING";

const RESTORE: &str = "INSERT INTO fake_carrier_numbers (serial, carrier, phone_number, held_by, \
     friendly_name, cap_voice, cap_sms, cap_mms, cap_fax, voice_url, voice_method, sms_url, \
     sms_method, status_callback, purchased_at) VALUES ($14, $1, $2, 'account', $3, $4, $5, $6, \
     $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING";

/// After an explicit serial, new ones must start above it. `nextval` first,
/// so that the sequence never moves backwards under a concurrent claim.
#[cfg(feature = "postgres")]
const ADVANCE_SEQUENCE: &str = "SELECT setval(pg_get_serial_sequence('fake_carrier_numbers', \
     'serial'), GREATEST(nextval(pg_get_serial_sequence('fake_carrier_numbers', 'serial')), \
     $1))";

const IS_HELD: &str = "SELECT 1 FROM fake_carrier_numbers WHERE carrier = $1 AND phone_number = $2";

// The owned-row queries repeat the partial index's predicate for SQLite.
const FIND_BY_NUMBER: &str = "SELECT serial, phone_number, friendly_name, cap_voice, cap_sms, \
     cap_mms, cap_fax, voice_url, voice_method, sms_url, sms_method, status_callback, \
     purchased_at FROM fake_carrier_numbers WHERE carrier = $1 AND phone_number = $2 \
     AND held_by = 'account'";

const FIND: &str = "SELECT serial, phone_number, friendly_name, cap_voice, cap_sms, cap_mms, \
     cap_fax, voice_url, voice_method, sms_url, sms_method, status_callback, purchased_at \
     FROM fake_carrier_numbers WHERE carrier = $1 AND serial = $2 AND held_by = 'account'";

const LIST: &str = "SELECT serial, phone_number, friendly_name, cap_voice, cap_sms, cap_mms, \
     cap_fax, voice_url, voice_method, sms_url, sms_method, status_callback, purchased_at \
     FROM fake_carrier_numbers WHERE carrier = $1 AND held_by = 'account' AND serial > $2 \
     ORDER BY serial LIMIT $3";

// COALESCE is the carrier's partial update: a set field replaces, an unset
// one stays, in one statement, so that two processes changing different
// fields of one number lose neither change.
const UPDATE: &str = "UPDATE fake_carrier_numbers SET \
     friendly_name = COALESCE($3, friendly_name), voice_url = COALESCE($4, voice_url), \
     voice_method = COALESCE($5, voice_method), sms_url = COALESCE($6, sms_url), \
     sms_method = COALESCE($7, sms_method), status_callback = COALESCE($8, status_callback) \
     WHERE carrier = $1 AND serial = $2 AND held_by = 'account' RETURNING serial, phone_number, \
     friendly_name, cap_voice, cap_sms, cap_mms, cap_fax, voice_url, voice_method, sms_url, \
     sms_method, status_callback, purchased_at";

const REMOVE: &str = "DELETE FROM fake_carrier_numbers WHERE carrier = $1 AND serial = $2 \
     AND held_by = 'account'";

/// Numbers per `held` query on SQLite, one `?` each (SQLite looks numbered
/// parameters up by a linear scan; anonymous ones cost nothing).
#[cfg(feature = "sqlite")]
const SQLITE_HELD_CHUNK: usize = 500;

/// Binds the sale's columns as `$1`..`$13` of [`CLAIM`] and [`RESTORE`].
macro_rules! bind_sale {
    ($query:expr, $carrier:expr, $number:expr, $name:expr, $caps:expr, $routing:expr, $at:expr) => {{
        let caps: &Capabilities = $caps;
        let routing: &Routing = $routing;
        $query
            .bind($carrier)
            .bind($number.as_str())
            .bind($name)
            .bind(caps.voice)
            .bind(caps.sms)
            .bind(caps.mms)
            .bind(caps.fax)
            .bind(routing.voice_url.as_ref().map(|u| u.as_str()))
            .bind(routing.voice_method.map(|m| m.as_str()))
            .bind(routing.sms_url.as_ref().map(|u| u.as_str()))
            .bind(routing.sms_method.map(|m| m.as_str()))
            .bind(routing.status_callback.as_ref().map(|u| u.as_str()))
            .bind($at)
    }};
}

/// The fake carrier's books in SQLite or PostgreSQL, for
/// `FakeProviderBuilder::ledger`.
///
/// Open it on the same URL as the [`SqlRepository`](crate::SqlRepository)
/// the service uses: it applies the same migrations (whichever opens first
/// creates the table) and keeps a small pool of its own. On a private
/// `sqlite::memory:` database it sees its own empty books, which is the
/// in-memory ledger with extra steps.
#[derive(Clone)]
pub struct SqlFakeLedger {
    backend: Backend,
    shared: Arc<Shared>,
}

struct Shared {
    flavor: Flavor,
    scrubber: Scrubber,
    url: String,
}

impl fmt::Debug for SqlFakeLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlFakeLedger")
            .field("url", &self.shared.url)
            .finish_non_exhaustive()
    }
}

/// A row as stored, before its text is checked.
struct Row {
    serial: i64,
    phone_number: String,
    friendly_name: Option<String>,
    capabilities: Capabilities,
    voice_url: Option<String>,
    voice_method: Option<String>,
    sms_url: Option<String>,
    sms_method: Option<String>,
    status_callback: Option<String>,
    purchased_at: DateTime<Utc>,
}

impl Row {
    fn read<'r, R>(row: &'r R) -> std::result::Result<Self, sqlx::Error>
    where
        R: sqlx::Row,
        &'static str: sqlx::ColumnIndex<R>,
        i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        Ok(Self {
            serial: row.try_get("serial")?,
            phone_number: row.try_get("phone_number")?,
            friendly_name: row.try_get("friendly_name")?,
            capabilities: Capabilities {
                voice: row.try_get("cap_voice")?,
                sms: row.try_get("cap_sms")?,
                mms: row.try_get("cap_mms")?,
                fax: row.try_get("cap_fax")?,
            },
            voice_url: row.try_get("voice_url")?,
            voice_method: row.try_get("voice_method")?,
            sms_url: row.try_get("sms_url")?,
            sms_method: row.try_get("sms_method")?,
            status_callback: row.try_get("status_callback")?,
            purchased_at: row.try_get("purchased_at")?,
        })
    }

    /// Checks the stored text the way the fake checked it when it sold.
    fn into_sold(self) -> Result<Sold> {
        let serial = self.serial;
        let corrupt = move |column: &str, why: String| Error::Repository {
            message: format!("fake_carrier_numbers row {serial} has an invalid {column}: {why}"),
            temporary: false,
            cause: None,
        };
        let serial_u64 = u64::try_from(serial)
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| corrupt("serial", "not a positive number".into()))?;
        let url = |column: &str, value: Option<String>| {
            value
                .map(|v| WebhookUrl::parse(&v).map_err(|e| corrupt(column, e)))
                .transpose()
        };
        let method = |column: &str, value: Option<String>| match value.as_deref() {
            None => Ok(None),
            Some("GET") => Ok(Some(WebhookMethod::Get)),
            Some("POST") => Ok(Some(WebhookMethod::Post)),
            Some(other) => Err(corrupt(column, format!("{other:?} is not GET or POST"))),
        };
        let phone_number = PhoneNumber::parse_trusted(&self.phone_number)
            .map_err(|e| corrupt("phone_number", e.to_string()))?;
        Ok(Sold {
            number: CarrierNumber {
                carrier_id: carrier_id(serial_u64),
                phone_number,
                friendly_name: self.friendly_name,
                capabilities: self.capabilities,
                routing: Routing {
                    voice_url: url("voice_url", self.voice_url)?,
                    voice_method: method("voice_method", self.voice_method)?,
                    sms_url: url("sms_url", self.sms_url)?,
                    sms_method: method("sms_method", self.sms_method)?,
                    status_callback: url("status_callback", self.status_callback)?,
                },
            },
            purchased_at: self.purchased_at,
        })
    }
}

/// The serial of `carrier_id` as the database stores it; `None` for text
/// that is no id of this ledger (so it names nothing owned).
fn serial_of(carrier_id: &str) -> Option<i64> {
    carrier_id_serial(carrier_id).and_then(|s| i64::try_from(s).ok())
}

impl SqlFakeLedger {
    /// Opens the ledger in the database at `url` (as
    /// [`SqlRepository::connect`](crate::SqlRepository::connect) takes it).
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(SqlOptions::new(url)).await
    }

    /// Opens the ledger with `options`. Unless they set a pool size, the
    /// ledger keeps two connections: it is asked once per carrier call.
    pub async fn connect_with(options: SqlOptions) -> Result<Self> {
        let options = match options.max_connections {
            Some(_) => options,
            None => options.max_connections(2),
        };
        let scrubber = Scrubber::new(&options);
        let flavor = options.flavor()?;
        let backend = match flavor {
            Flavor::Sqlite => Self::open_sqlite(&options, &scrubber).await?,
            Flavor::Postgres => Self::open_postgres(&options, &scrubber).await?,
        };
        Ok(Self {
            backend,
            shared: Arc::new(Shared {
                flavor,
                scrubber,
                url: options.redacted_url(),
            }),
        })
    }

    #[cfg(feature = "sqlite")]
    async fn open_sqlite(options: &SqlOptions, scrubber: &Scrubber) -> Result<Backend> {
        let (pool, readers) = crate::connect::sqlite(options, scrubber).await?;
        // The lookup connections serve the repository's hot path; the
        // ledger has none.
        if let Some(readers) = readers {
            readers.close().await;
        }
        Ok(Backend::Sqlite(pool))
    }

    #[cfg(not(feature = "sqlite"))]
    async fn open_sqlite(_: &SqlOptions, _: &Scrubber) -> Result<Backend> {
        Err(Error::Configuration {
            message: "this build has no SQLite support: enable the `sqlite` feature".into(),
        })
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

    /// Closes the pool; calls after this fail.
    pub async fn close(&self) {
        on_pool!(self, pool, Db => pool.close().await)
    }

    fn failed(&self, action: &str, err: sqlx::Error) -> Error {
        crate::error::repository(self.shared.flavor, &self.shared.scrubber, action, err)
    }

    async fn is_held(&self, carrier: &str, phone_number: &PhoneNumber) -> Result<bool> {
        let found = on_pool!(self, pool, Db => sqlx::query::<Db>(IS_HELD)
            .bind(carrier)
            .bind(phone_number.as_str())
            .fetch_optional(pool)
            .await
            .map(|row| row.is_some()));
        found.map_err(|e| self.failed(&format!("look up {phone_number} in the fake's books"), e))
    }

    async fn fetch_rows(
        &self,
        action: &str,
        sql: &'static str,
        carrier: &str,
        key: Key<'_>,
    ) -> Result<Vec<Sold>> {
        let rows: std::result::Result<Vec<Row>, sqlx::Error> = on_pool!(self, pool, Db => {
            let query = sqlx::query::<Db>(sql).bind(carrier);
            let query = match key {
                Key::Number(number) => query.bind(number.as_str()),
                Key::Serial(serial) => query.bind(serial),
                Key::Page { after, limit } => query.bind(after).bind(limit),
            };
            match query.fetch_all(pool).await {
                Ok(rows) => rows.iter().map(Row::read).collect(),
                Err(e) => Err(e),
            }
        });
        rows.map_err(|e| self.failed(action, e))?
            .into_iter()
            .map(Row::into_sold)
            .collect()
    }
}

/// What a look-up of owned rows binds after the carrier.
#[derive(Clone, Copy)]
enum Key<'a> {
    Number(&'a PhoneNumber),
    Serial(i64),
    Page { after: i64, limit: i64 },
}

#[async_trait]
impl SalesLedger for SqlFakeLedger {
    async fn claim(&self, carrier: &str, sale: &Sale) -> Result<Option<CarrierNumber>> {
        let action = format!(
            "record the sale of {} in the fake's books",
            sale.phone_number
        );
        // A conflict is either the number held (the answer) or, on
        // PostgreSQL, a serial that `restore` took explicitly, which the
        // next value of the sequence is past: a second try then succeeds.
        for _ in 0..3 {
            let serial: std::result::Result<Option<i64>, sqlx::Error> = on_pool!(self, pool, Db => {
                let query = sqlx::query_scalar::<Db, i64>(CLAIM);
                let query = bind_sale!(
                    query,
                    carrier,
                    sale.phone_number,
                    sale.friendly_name.as_deref(),
                    &sale.capabilities,
                    &sale.routing,
                    sale.purchased_at
                );
                query.fetch_optional(pool).await
            });
            match serial.map_err(|e| self.failed(&action, e))? {
                Some(serial) => {
                    let serial = u64::try_from(serial).map_err(|_| Error::Repository {
                        message: format!("the fake's books issued serial {serial}"),
                        temporary: false,
                        cause: None,
                    })?;
                    return Ok(Some(CarrierNumber {
                        carrier_id: carrier_id(serial),
                        phone_number: sale.phone_number.clone(),
                        friendly_name: sale.friendly_name.clone(),
                        capabilities: sale.capabilities,
                        routing: sale.routing.clone(),
                    }));
                }
                None if self.is_held(carrier, &sale.phone_number).await? => return Ok(None),
                None => {}
            }
        }
        Err(Error::Repository {
            message: format!("could not {action}: every serial tried was taken"),
            temporary: true,
            cause: None,
        })
    }

    async fn take(&self, carrier: &str, phone_number: &PhoneNumber) -> Result<bool> {
        let done = on_pool!(self, pool, Db => sqlx::query::<Db>(TAKE)
            .bind(carrier)
            .bind(phone_number.as_str())
            .bind(Utc::now())
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1));
        done.map_err(|e| self.failed(&format!("mark {phone_number} taken in the fake's books"), e))
    }

    async fn held(&self, carrier: &str, numbers: &[PhoneNumber]) -> Result<Vec<bool>> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let action = "look up numbers in the fake's books";
        let held: std::collections::HashSet<String> = match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                let mut held = std::collections::HashSet::new();
                for chunk in numbers.chunks(SQLITE_HELD_CHUNK) {
                    let mut sql = String::from(
                        "SELECT phone_number FROM fake_carrier_numbers WHERE carrier = ? \
                         AND phone_number IN (",
                    );
                    for i in 0..chunk.len() {
                        sql.push_str(if i == 0 { "?" } else { ", ?" });
                    }
                    sql.push(')');
                    let mut query =
                        sqlx::query_scalar::<sqlx::Sqlite, String>(sqlx::AssertSqlSafe(sql))
                            .bind(carrier);
                    for number in chunk {
                        query = query.bind(number.as_str());
                    }
                    held.extend(
                        query
                            .fetch_all(pool)
                            .await
                            .map_err(|e| self.failed(action, e))?,
                    );
                }
                held
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                let texts: Vec<&str> = numbers.iter().map(|n| n.as_str()).collect();
                sqlx::query_scalar::<sqlx::Postgres, String>(
                    "SELECT phone_number FROM fake_carrier_numbers WHERE carrier = $1 \
                     AND phone_number = ANY($2)",
                )
                .bind(carrier)
                .bind(texts)
                .fetch_all(pool)
                .await
                .map_err(|e| self.failed(action, e))?
                .into_iter()
                .collect()
            }
        };
        Ok(numbers.iter().map(|n| held.contains(n.as_str())).collect())
    }

    async fn find_by_number(
        &self,
        carrier: &str,
        phone_number: &PhoneNumber,
    ) -> Result<Option<Sold>> {
        let action = format!("look up {phone_number} in the fake's books");
        let rows = self
            .fetch_rows(&action, FIND_BY_NUMBER, carrier, Key::Number(phone_number))
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn find(&self, carrier: &str, carrier_id: &str) -> Result<Option<Sold>> {
        let Some(serial) = serial_of(carrier_id) else {
            return Ok(None);
        };
        let action = format!("look up carrier id {carrier_id} in the fake's books");
        let rows = self
            .fetch_rows(&action, FIND, carrier, Key::Serial(serial))
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn list(
        &self,
        carrier: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CarrierNumber>> {
        let after = match after {
            None => 0,
            Some(text) => serial_of(text).ok_or_else(|| {
                Error::invalid(
                    "cursor",
                    format!("{text:?} is not a cursor this carrier returned"),
                )
            })?,
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .fetch_rows(
                "list the fake's books",
                LIST,
                carrier,
                Key::Page { after, limit },
            )
            .await?;
        Ok(rows.into_iter().map(|sold| sold.number).collect())
    }

    async fn update(
        &self,
        carrier: &str,
        carrier_id: &str,
        update: &CarrierUpdate,
    ) -> Result<Option<CarrierNumber>> {
        let Some(serial) = serial_of(carrier_id) else {
            return Ok(None);
        };
        let empty = Routing::default();
        let routing = update.routing.as_ref().unwrap_or(&empty);
        let row: std::result::Result<Option<Row>, sqlx::Error> = on_pool!(self, pool, Db => {
            let found = sqlx::query::<Db>(UPDATE)
                .bind(carrier)
                .bind(serial)
                .bind(update.friendly_name.as_deref())
                .bind(routing.voice_url.as_ref().map(|u| u.as_str()))
                .bind(routing.voice_method.map(|m| m.as_str()))
                .bind(routing.sms_url.as_ref().map(|u| u.as_str()))
                .bind(routing.sms_method.map(|m| m.as_str()))
                .bind(routing.status_callback.as_ref().map(|u| u.as_str()))
                .fetch_optional(pool)
                .await;
            match found {
                Ok(Some(row)) => Row::read(&row).map(Some),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            }
        });
        let action = format!("change carrier id {carrier_id} in the fake's books");
        row.map_err(|e| self.failed(&action, e))?
            .map(|row| row.into_sold().map(|sold| sold.number))
            .transpose()
    }

    async fn remove(&self, carrier: &str, carrier_id: &str) -> Result<bool> {
        let Some(serial) = serial_of(carrier_id) else {
            return Ok(false);
        };
        let done = on_pool!(self, pool, Db => sqlx::query::<Db>(REMOVE)
            .bind(carrier)
            .bind(serial)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1));
        done.map_err(|e| {
            self.failed(
                &format!("remove carrier id {carrier_id} from the fake's books"),
                e,
            )
        })
    }

    async fn restore(
        &self,
        carrier: &str,
        number: &CarrierNumber,
        purchased_at: DateTime<Utc>,
    ) -> Result<bool> {
        let Some(serial) = serial_of(&number.carrier_id) else {
            return Ok(false);
        };
        let action = format!("restore {} in the fake's books", number.phone_number);
        let inserted = on_pool!(self, pool, Db => {
            let query = sqlx::query::<Db>(RESTORE);
            let query = bind_sale!(
                query,
                carrier,
                number.phone_number,
                number.friendly_name.as_deref(),
                &number.capabilities,
                &number.routing,
                purchased_at
            );
            query.bind(serial).execute(pool).await.map(|r| r.rows_affected() == 1)
        })
        .map_err(|e| self.failed(&action, e))?;
        #[cfg(feature = "postgres")]
        if let (true, Backend::Postgres(pool)) = (inserted, &self.backend) {
            sqlx::query(ADVANCE_SEQUENCE)
                .bind(serial)
                .execute(pool)
                .await
                .map_err(|e| self.failed(&action, e))?;
        }
        Ok(inserted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_of_the_fakes_form_name_a_row() {
        assert_eq!(serial_of("FK0000000042"), Some(42));
        assert_eq!(serial_of("FK42"), None);
        assert_eq!(serial_of("PN0000000042"), None);
        assert_eq!(serial_of("'; DROP TABLE numbers; --"), None);
    }

    #[test]
    fn the_column_list_matches_every_select() {
        for sql in [FIND_BY_NUMBER, FIND, LIST, UPDATE] {
            assert!(sql.contains(COLUMNS), "{sql}");
        }
    }
}
