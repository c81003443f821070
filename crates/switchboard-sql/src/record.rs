//! Rows as the database holds them, and their checked conversion back into
//! domain types. Stored text is parsed again on the way out so that a row
//! written by hand or by an older version fails with a message naming the
//! column instead of producing a value the rest of the system trusts.

use chrono::{DateTime, Utc};
use switchboard_core::{
    AccountId, ApiToken, Capabilities, CarrierOrder, Error, NumberState, PhoneNumber,
    ProvisionedNumber, Routing, WebhookMethod, WebhookUrl,
};
use uuid::Uuid;

/// The columns of `numbers`, in the order [`NumberRow`] reads them.
pub(crate) const NUMBER_COLUMNS: &str = "id, account, phone_number, friendly_name, agent_id, \
     cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, \
     voice_url, voice_method, sms_url, sms_method, status_callback, \
     state, idempotency_key, created_at, updated_at, released_at, release_not_before, \
     version, lease_until, purchased_at, request_fingerprint, order_id, order_missing";

/// The position of `name` in [`NUMBER_COLUMNS`], worked out at compile
/// time (a name not in the list fails the build), so that the positional
/// reader of the SQLite lookup path and the list the queries select share
/// one definition.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
const fn column_index(name: &str) -> usize {
    let list = NUMBER_COLUMNS.as_bytes();
    let name = name.as_bytes();
    let mut index = 0;
    let mut start = 0;
    let mut end = 0;
    while end <= list.len() {
        if end == list.len() || list[end] == b',' {
            let mut first = start;
            while first < end && list[first] == b' ' {
                first += 1;
            }
            let mut last = end;
            while last > first && list[last - 1] == b' ' {
                last -= 1;
            }
            if last - first == name.len() {
                let mut k = 0;
                while k < name.len() && list[first + k] == name[k] {
                    k += 1;
                }
                if k == name.len() {
                    return index;
                }
            }
            index += 1;
            start = end + 1;
        }
        end += 1;
    }
    panic!("not a column of NUMBER_COLUMNS");
}

/// One row of `numbers`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct NumberRow {
    id: Uuid,
    account: String,
    phone_number: String,
    friendly_name: String,
    agent_id: Option<Uuid>,
    cap_voice: bool,
    cap_sms: bool,
    cap_mms: bool,
    cap_fax: bool,
    provider: String,
    carrier_id: Option<String>,
    voice_url: Option<String>,
    voice_method: Option<String>,
    sms_url: Option<String>,
    sms_method: Option<String>,
    status_callback: Option<String>,
    state: String,
    idempotency_key: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    released_at: Option<DateTime<Utc>>,
    release_not_before: Option<DateTime<Utc>>,
    version: i64,
    lease_until: Option<DateTime<Utc>>,
    purchased_at: Option<DateTime<Utc>>,
    request_fingerprint: Option<String>,
    order_id: Option<String>,
    order_missing: Option<String>,
}

#[cfg(feature = "sqlite")]
mod sqlite {
    //! Decoding a row of the SQLite lookup connections (`rusqlite`) into the
    //! same [`NumberRow`] sqlx produces, by sqlx 0.9's own rules for each
    //! type, so that both paths accept exactly the same stored values:
    //!
    //! - uuids: a 16-byte BLOB, or a TEXT of 16 bytes taken as raw bytes
    //!   (sqlx reads a uuid through `sqlite3_value_blob`, which gives a
    //!   TEXT's bytes),
    //! - booleans: an INTEGER, true unless 0,
    //! - integers: an INTEGER only,
    //! - text: TEXT only, valid UTF-8,
    //! - timestamps: TEXT in RFC 3339 (what sqlx writes:
    //!   `2026-11-27T16:03:00.123456+00:00`) or one of SQLite's date-time
    //!   layouts (`2026-11-27 16:03:00`, with or without seconds,
    //!   fraction, `T`, `Z` or an offset; no offset means UTC), an INTEGER
    //!   of Unix seconds, or a REAL Julian day number.
    //!
    //! One difference: sqlx turns a NULL in a non-null field into an
    //! empty text, `false` or an error, whichever its decoder happens to
    //! give; here it is always a `corrupt` error. The schema's NOT NULL
    //! constraints keep such rows from existing.

    use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};
    use rusqlite::types::ValueRef;
    use switchboard_core::Error;
    use uuid::Uuid;

    use super::{NumberRow, column_index, corrupt};

    /// Why a value was refused, for [`corrupt`].
    type Refusal = String;

    fn kind(value: ValueRef<'_>) -> &'static str {
        match value {
            ValueRef::Null => "NULL",
            ValueRef::Integer(_) => "INTEGER",
            ValueRef::Real(_) => "REAL",
            ValueRef::Text(_) => "TEXT",
            ValueRef::Blob(_) => "BLOB",
        }
    }

    pub(super) fn uuid(value: ValueRef<'_>) -> Result<Option<Uuid>, Refusal> {
        match value {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(bytes) | ValueRef::Text(bytes) => {
                Uuid::from_slice(bytes).map(Some).map_err(|e| e.to_string())
            }
            other => Err(format!("{} where a uuid was expected", kind(other))),
        }
    }

    pub(super) fn text(value: ValueRef<'_>) -> Result<Option<String>, Refusal> {
        match value {
            ValueRef::Null => Ok(None),
            ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .map(|s| Some(s.to_owned()))
                .map_err(|e| e.to_string()),
            other => Err(format!("{} where TEXT was expected", kind(other))),
        }
    }

    pub(super) fn boolean(value: ValueRef<'_>) -> Result<Option<bool>, Refusal> {
        match value {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(i) => Ok(Some(i != 0)),
            other => Err(format!("{} where a boolean was expected", kind(other))),
        }
    }

    pub(super) fn integer(value: ValueRef<'_>) -> Result<Option<i64>, Refusal> {
        match value {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(i) => Ok(Some(i)),
            other => Err(format!("{} where an INTEGER was expected", kind(other))),
        }
    }

    pub(super) fn timestamp(value: ValueRef<'_>) -> Result<Option<DateTime<Utc>>, Refusal> {
        let parsed = match value {
            ValueRef::Null => return Ok(None),
            ValueRef::Text(bytes) => {
                let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
                timestamp_from_text(text).ok_or_else(|| format!("invalid datetime: {text:?}"))
            }
            ValueRef::Integer(seconds) => Utc
                .fix()
                .timestamp_opt(seconds, 0)
                .single()
                .ok_or_else(|| format!("invalid datetime: {seconds} seconds")),
            ValueRef::Real(day) => timestamp_from_julian_day(day)
                .ok_or_else(|| format!("invalid datetime: Julian day {day}")),
            other => Err(format!("{} where a datetime was expected", kind(other))),
        }?;
        Ok(Some(parsed.with_timezone(&Utc)))
    }

    /// The layouts sqlx 0.9 tries after RFC 3339, in its order; each is
    /// tried with an offset, then as UTC without one.
    const LAYOUTS: [&str; 12] = [
        "%F %T%.f",
        "%F %R",
        "%F %RZ",
        "%F %R%:z",
        "%F %T%.fZ",
        "%F %T%.f%:z",
        "%FT%R",
        "%FT%RZ",
        "%FT%R%:z",
        "%FT%T%.f",
        "%FT%T%.fZ",
        "%FT%T%.f%:z",
    ];

    fn timestamp_from_text(text: &str) -> Option<DateTime<FixedOffset>> {
        if let Ok(parsed) = DateTime::parse_from_rfc3339(text) {
            return Some(parsed);
        }
        LAYOUTS.iter().find_map(|layout| {
            DateTime::parse_from_str(text, layout).ok().or_else(|| {
                NaiveDateTime::parse_from_str(text, layout)
                    .ok()
                    .map(|naive| Utc.fix().from_utc_datetime(&naive))
            })
        })
    }

    /// sqlx's conversion, kept exactly (including its rounding toward zero
    /// of the fraction) so both paths give the same instant.
    fn timestamp_from_julian_day(day: f64) -> Option<DateTime<FixedOffset>> {
        const UNIX_EPOCH_JULIAN_DAY: f64 = 2_440_587.5;
        let seconds = (day - UNIX_EPOCH_JULIAN_DAY) * 86_400.0;
        if !seconds.is_finite() {
            return None;
        }
        // Out-of-range floats saturate; `timestamp_opt` then refuses them.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (whole, nanos) = (seconds.trunc() as i64, (seconds.fract() * 1e9).abs() as u32);
        Utc.fix().timestamp_opt(whole, nanos).single()
    }

    /// A row of `SELECT {NUMBER_COLUMNS} ...`, read by position.
    struct Columns<'a, 'r> {
        row: &'a rusqlite::Row<'r>,
        id: Uuid,
    }

    impl Columns<'_, '_> {
        fn read<T>(
            &self,
            index: usize,
            name: &str,
            decode: fn(ValueRef<'_>) -> Result<Option<T>, Refusal>,
        ) -> Result<Option<T>, Error> {
            let value = self
                .row
                .get_ref(index)
                .map_err(|e| corrupt("numbers", self.id, name, e))?;
            decode(value).map_err(|reason| corrupt("numbers", self.id, name, reason))
        }

        fn required<T>(
            &self,
            index: usize,
            name: &str,
            decode: fn(ValueRef<'_>) -> Result<Option<T>, Refusal>,
        ) -> Result<T, Error> {
            self.read(index, name, decode)?
                .ok_or_else(|| corrupt("numbers", self.id, name, "NULL in a NOT NULL column"))
        }
    }

    /// Reads `name` at its position in `NUMBER_COLUMNS`, known at compile time.
    macro_rules! get {
        ($columns:expr, $how:ident, $decode:ident, $name:literal) => {
            $columns.$how(const { column_index($name) }, $name, $decode)
        };
    }

    impl NumberRow {
        /// A row selected with [`super::NUMBER_COLUMNS`] on a lookup
        /// connection. Errors are `corrupt` errors naming the column.
        pub(crate) fn from_sqlite(row: &rusqlite::Row<'_>) -> Result<Self, Error> {
            let id = row
                .get_ref(const { column_index("id") })
                .map_err(|e| e.to_string())
                .and_then(uuid)
                .and_then(|id| id.ok_or_else(|| "NULL in a NOT NULL column".to_string()))
                .map_err(|reason| Error::Repository {
                    message: format!("stored numbers row has a malformed id: {reason}"),
                    temporary: false,
                    cause: None,
                })?;
            let c = Columns { row, id };
            Ok(NumberRow {
                id,
                account: get!(c, required, text, "account")?,
                phone_number: get!(c, required, text, "phone_number")?,
                friendly_name: get!(c, required, text, "friendly_name")?,
                agent_id: get!(c, read, uuid, "agent_id")?,
                cap_voice: get!(c, required, boolean, "cap_voice")?,
                cap_sms: get!(c, required, boolean, "cap_sms")?,
                cap_mms: get!(c, required, boolean, "cap_mms")?,
                cap_fax: get!(c, required, boolean, "cap_fax")?,
                provider: get!(c, required, text, "provider")?,
                carrier_id: get!(c, read, text, "carrier_id")?,
                voice_url: get!(c, read, text, "voice_url")?,
                voice_method: get!(c, read, text, "voice_method")?,
                sms_url: get!(c, read, text, "sms_url")?,
                sms_method: get!(c, read, text, "sms_method")?,
                status_callback: get!(c, read, text, "status_callback")?,
                state: get!(c, required, text, "state")?,
                idempotency_key: get!(c, read, text, "idempotency_key")?,
                created_at: get!(c, required, timestamp, "created_at")?,
                updated_at: get!(c, required, timestamp, "updated_at")?,
                released_at: get!(c, read, timestamp, "released_at")?,
                release_not_before: get!(c, read, timestamp, "release_not_before")?,
                version: get!(c, required, integer, "version")?,
                lease_until: get!(c, read, timestamp, "lease_until")?,
                purchased_at: get!(c, read, timestamp, "purchased_at")?,
                request_fingerprint: get!(c, read, text, "request_fingerprint")?,
                order_id: get!(c, read, text, "order_id")?,
                order_missing: get!(c, read, text, "order_missing")?,
            })
        }
    }
}

fn corrupt(table: &str, id: Uuid, column: &str, reason: impl std::fmt::Display) -> Error {
    Error::Repository {
        message: format!("stored {table} row {id} has a malformed {column}: {reason}"),
        temporary: false,
        cause: None,
    }
}

fn url(id: Uuid, column: &str, value: Option<String>) -> Result<Option<WebhookUrl>, Error> {
    value
        .map(|v| WebhookUrl::parse(&v).map_err(|e| corrupt("numbers", id, column, e)))
        .transpose()
}

fn method(id: Uuid, column: &str, value: Option<String>) -> Result<Option<WebhookMethod>, Error> {
    value
        .map(|v| match v.as_str() {
            "GET" => Ok(WebhookMethod::Get),
            "POST" => Ok(WebhookMethod::Post),
            other => Err(corrupt("numbers", id, column, format!("{other:?}"))),
        })
        .transpose()
}

/// The text stored for a webhook method.
pub(crate) fn method_text(method: Option<WebhookMethod>) -> Option<&'static str> {
    method.map(|m| m.as_str())
}

impl TryFrom<NumberRow> for ProvisionedNumber {
    type Error = Error;

    fn try_from(row: NumberRow) -> Result<Self, Error> {
        let id = row.id;
        Ok(ProvisionedNumber {
            id,
            account: AccountId::parse(&row.account)
                .map_err(|e| corrupt("numbers", id, "account", e))?,
            phone_number: PhoneNumber::parse_trusted(&row.phone_number)
                .map_err(|e| corrupt("numbers", id, "phone_number", e))?,
            friendly_name: row.friendly_name,
            agent_id: row.agent_id,
            capabilities: Capabilities {
                voice: row.cap_voice,
                sms: row.cap_sms,
                mms: row.cap_mms,
                fax: row.cap_fax,
            },
            provider: row.provider,
            carrier_id: row.carrier_id,
            routing: Routing {
                voice_url: url(id, "voice_url", row.voice_url)?,
                voice_method: method(id, "voice_method", row.voice_method)?,
                sms_url: url(id, "sms_url", row.sms_url)?,
                sms_method: method(id, "sms_method", row.sms_method)?,
                status_callback: url(id, "status_callback", row.status_callback)?,
            },
            state: NumberState::parse(&row.state)
                .ok_or_else(|| corrupt("numbers", id, "state", format!("{:?}", row.state)))?,
            idempotency_key: row.idempotency_key,
            created_at: row.created_at,
            updated_at: row.updated_at,
            released_at: row.released_at,
            release_not_before: row.release_not_before,
            version: u64::try_from(row.version)
                .map_err(|_| corrupt("numbers", id, "version", row.version))?,
            lease_until: row.lease_until,
            purchased_at: row.purchased_at,
            request_fingerprint: row.request_fingerprint,
            order: order(id, row.order_id, row.order_missing)?,
        })
    }
}

/// The carrier order of a row: its id, and what it waits for stored as a
/// JSON array of strings (NULL when nothing is missing), which holds any
/// text a carrier may send without an escaping rule of our own.
fn order(
    id: Uuid,
    order_id: Option<String>,
    missing: Option<String>,
) -> Result<Option<CarrierOrder>, Error> {
    let missing: Vec<String> = match missing {
        None => Vec::new(),
        Some(text) => {
            serde_json::from_str(&text).map_err(|e| corrupt("numbers", id, "order_missing", e))?
        }
    };
    match order_id {
        Some(order_id) => Ok(Some(CarrierOrder {
            id: order_id,
            missing,
        })),
        None if missing.is_empty() => Ok(None),
        None => Err(corrupt(
            "numbers",
            id,
            "order_missing",
            "set on a row with no order_id",
        )),
    }
}

/// The stored form of what an order waits for: `None` when nothing is.
pub(crate) fn order_missing_text(number: &ProvisionedNumber) -> Option<String> {
    let missing = &number.order.as_ref()?.missing;
    if missing.is_empty() {
        return None;
    }
    // Serialising strings cannot fail.
    serde_json::to_string(missing).ok()
}

/// One row of `api_tokens`.
#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    id: Uuid,
    account: String,
    label: Option<String>,
    token_hash: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = Error;

    fn try_from(row: TokenRow) -> Result<Self, Error> {
        Ok(ApiToken {
            id: row.id,
            account: AccountId::parse(&row.account)
                .map_err(|e| corrupt("api_tokens", row.id, "account", e))?,
            label: row.label,
            token_hash: row.token_hash,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_positions_follow_the_column_list() {
        for (position, name) in NUMBER_COLUMNS.split(',').map(str::trim).enumerate() {
            assert_eq!(column_index(name), position, "{name}");
        }
        assert_eq!(column_index("id"), 0);
        assert_eq!(column_index("release_not_before"), 21);
    }

    #[test]
    #[should_panic(expected = "not a column")]
    fn a_name_not_in_the_list_has_no_position() {
        // In a `const` this fails the build; at run time it panics.
        column_index("created");
    }
}

/// The lookup path's decoder against sqlx's, on rows made up in SQL: every
/// value is written as an expression, so a row can hold what the schema
/// would refuse (NULLs, wrong types) and what it cannot store at all
/// (timestamps as numbers in a TEXT column).
#[cfg(all(test, feature = "sqlite"))]
mod sqlite_tests {
    use sqlx::Connection;

    use super::*;

    /// A well-formed row, as SQL expressions in [`NUMBER_COLUMNS`] order.
    const GOOD: [&str; 28] = [
        "x'0190f3a0b1c27d3e8f90a1b2c3d4e5f6'",
        "'acme'",
        "'+16045551234'",
        "'Front desk'",
        "x'00112233445566778899aabbccddeeff'",
        "1",
        "0",
        "1",
        "0",
        "'twilio'",
        "'PN01'",
        "'https://hooks.example.com/voice'",
        "'GET'",
        "'https://hooks.example.com/sms'",
        "'POST'",
        "'https://hooks.example.com/status'",
        "'releasing'",
        "'key-1'",
        "'2026-11-27T16:03:09.123456789+00:00'",
        "'2026-11-27T16:03:10+00:00'",
        "'2026-11-27T16:03:11.5+00:00'",
        "'2026-12-27T16:03:09+00:00'",
        "7",
        "'2026-11-27T16:04:09+00:00'",
        "'2026-11-27T16:03:12+00:00'",
        "'phone_number=\"+16045551234\"'",
        "'3fa85f64-5717-4562-b3fc-2c963f66afa6'",
        "'[\"proof of address\",\"a, \\\"quoted\\\" name\"]'",
    ];

    /// `SELECT <GOOD with overrides> AS <column>, ...`
    fn select(overrides: &[(&str, &str)]) -> String {
        let columns: Vec<String> = NUMBER_COLUMNS
            .split(',')
            .map(str::trim)
            .zip(GOOD)
            .map(|(name, good)| {
                let value = overrides
                    .iter()
                    .find(|(column, _)| *column == name)
                    .map_or(good, |(_, value)| *value);
                format!("{value} AS {name}")
            })
            .collect();
        format!("SELECT {}", columns.join(", "))
    }

    /// Decoded through the pool's path: sqlx's `FromRow`, then the checks.
    async fn through_sqlx(sql: &str) -> std::result::Result<ProvisionedNumber, String> {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("sqlx in-memory connection");
        let row = sqlx::query_as::<sqlx::Sqlite, NumberRow>(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        ProvisionedNumber::try_from(row).map_err(|e| e.to_string())
    }

    /// Decoded through the lookup path's decoder.
    fn through_rusqlite(sql: &str) -> std::result::Result<ProvisionedNumber, Error> {
        let conn = rusqlite::Connection::open_in_memory().expect("rusqlite in-memory connection");
        let mut statement = conn.prepare(sql).expect("prepare");
        let mut rows = statement.query([]).expect("query");
        let row = rows.next().expect("step").expect("one row");
        ProvisionedNumber::try_from(NumberRow::from_sqlite(row)?)
    }

    fn malformed(err: &Error) -> String {
        match err {
            Error::Repository {
                message,
                temporary: false,
                ..
            } => message.clone(),
            other => panic!("not a permanent repository error: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_well_formed_row_decodes_the_same_both_ways() {
        let sql = select(&[]);
        let expected = through_sqlx(&sql).await.expect("sqlx");
        assert_eq!(through_rusqlite(&sql).expect("rusqlite"), expected);
        // Not trivially so: the row has every field set.
        assert!(expected.agent_id.is_some() && expected.release_not_before.is_some());
        assert!(expected.lease_until.is_some() && expected.request_fingerprint.is_some());
        assert_eq!(
            expected.order,
            Some(CarrierOrder {
                id: "3fa85f64-5717-4562-b3fc-2c963f66afa6".into(),
                missing: vec!["proof of address".into(), "a, \"quoted\" name".into()],
            })
        );
        assert_eq!(expected.version, 7);
        assert_eq!(
            expected.created_at.to_rfc3339(),
            "2026-11-27T16:03:09.123456789+00:00"
        );
    }

    #[tokio::test]
    async fn a_row_of_nulls_decodes_the_same_both_ways() {
        let nulls: Vec<(&str, &str)> = [
            "agent_id",
            "carrier_id",
            "voice_url",
            "voice_method",
            "sms_url",
            "sms_method",
            "status_callback",
            "idempotency_key",
            "released_at",
            "release_not_before",
            "lease_until",
            "purchased_at",
            "request_fingerprint",
            "order_id",
            "order_missing",
        ]
        .into_iter()
        .map(|column| (column, "NULL"))
        .collect();
        let sql = select(&nulls);
        let expected = through_sqlx(&sql).await.expect("sqlx");
        assert_eq!(through_rusqlite(&sql).expect("rusqlite"), expected);
        assert_eq!(expected.agent_id, None);
        assert_eq!(expected.routing, Routing::default());
        assert_eq!(expected.released_at, None);
    }

    /// Every representation sqlx 0.9 turns into a timestamp, in each of
    /// the four timestamp columns: TEXT in RFC 3339 or one of SQLite's
    /// layouts, INTEGER Unix seconds, REAL Julian days.
    #[tokio::test]
    async fn every_timestamp_sqlx_reads_is_read_the_same() {
        let values = [
            "'2026-11-27T16:03:09.123456789+00:00'",
            "'2026-11-27T16:03:09Z'",
            "'2026-11-27T16:03:09.5-08:00'",
            "'2026-11-27 16:03:09'",
            "'2026-11-27 16:03:09.250'",
            "'2026-11-27 16:03'",
            "'2026-11-27 16:03Z'",
            "'2026-11-27 16:03+02:00'",
            "'2026-11-27 16:03:09.5Z'",
            "'2026-11-27 16:03:09.5+02:00'",
            "'2026-11-27T16:03'",
            "'2026-11-27T16:03Z'",
            "'2026-11-27T16:03+02:00'",
            "'2026-11-27T16:03:09.5'",
            "'2026-11-27T16:03:09.5Z'",
            "'2026-11-27T16:03:09.5+02:00'",
            // An offset beyond ±24 h: chrono's layouts take it.
            "'2026-11-27T16:03:09+25:00'",
            "1764259389",
            "0",
            "-86400",
            "2461007.1689",
            "2440587.5",
            "2440587.25",
            "2461007.123456789",
        ];
        for column in [
            "created_at",
            "updated_at",
            "released_at",
            "release_not_before",
            "lease_until",
            "purchased_at",
        ] {
            for value in values {
                let sql = select(&[(column, value)]);
                let expected = through_sqlx(&sql)
                    .await
                    .unwrap_or_else(|e| panic!("sqlx {column} = {value}: {e}"));
                let decoded = through_rusqlite(&sql)
                    .unwrap_or_else(|e| panic!("rusqlite {column} = {value}: {e}"));
                assert_eq!(decoded, expected, "{column} = {value}");
            }
        }
        // And the instants are the ones meant, not merely equal.
        let read = |value: &str| through_rusqlite(&select(&[("created_at", value)]));
        let instant = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .expect("test instant")
                .with_timezone(&Utc)
        };
        for (value, meant) in [
            ("1764259389", "2025-11-27T16:03:09Z"),
            ("2440587.5", "1970-01-01T00:00:00Z"),
            ("2440588.25", "1970-01-01T18:00:00Z"),
            ("'2026-11-27 16:03+02:00'", "2026-11-27T14:03:00Z"),
            ("'2026-11-27 16:03:09.250'", "2026-11-27T16:03:09.25Z"),
        ] {
            assert_eq!(
                read(value).expect(value).created_at,
                instant(meant),
                "{value}"
            );
        }
    }

    /// For each decoded column, values sqlx refuses (or that its checks
    /// refuse): the lookup decoder refuses them too, naming the column.
    #[tokio::test]
    async fn corrupt_values_are_refused_the_same_and_name_the_column() {
        let cases = [
            ("account", "'not an account!'"),
            ("account", "7"),
            ("phone_number", "'6045551234'"),
            ("phone_number", "x'2b31'"),
            ("friendly_name", "x'00'"),
            ("friendly_name", "CAST(x'ff' AS TEXT)"),
            ("agent_id", "x'0102'"),
            ("agent_id", "1.5"),
            ("cap_voice", "'yes'"),
            ("cap_sms", "0.5"),
            ("cap_mms", "x'01'"),
            ("cap_fax", "'1'"),
            ("provider", "3"),
            ("carrier_id", "x'00'"),
            ("voice_url", "'not a url'"),
            ("voice_method", "'PUT'"),
            ("sms_url", "'https://'"),
            ("sms_method", "'get'"),
            ("status_callback", "'ftp ://x'"),
            ("state", "'bogus'"),
            ("state", "x'616374697665'"),
            ("idempotency_key", "2.5"),
            ("created_at", "'yesterday'"),
            ("created_at", "x'00'"),
            ("updated_at", "'2026-11-27'"),
            ("updated_at", "9223372036854775807"),
            ("released_at", "1e999"),
            ("release_not_before", "'2026-11-27T25:03:09Z'"),
            ("version", "'7'"),
            ("version", "7.5"),
            ("version", "-1"),
            ("lease_until", "'soon'"),
            ("purchased_at", "x'00'"),
            ("request_fingerprint", "x'ff'"),
            ("order_id", "x'ff'"),
            ("order_missing", "x'ff'"),
        ];
        for (column, value) in cases {
            let sql = select(&[(column, value)]);
            assert!(
                through_sqlx(&sql).await.is_err(),
                "sqlx accepts {column} = {value}"
            );
            let err = through_rusqlite(&sql).expect_err(&format!("{column} = {value}"));
            let message = malformed(&err);
            assert!(
                message.starts_with(
                    "stored numbers row 0190f3a0-b1c2-7d3e-8f90-a1b2c3d4e5f6 has a malformed "
                ) && message.contains(&format!("malformed {column}: ")),
                "{column} = {value}: {message}"
            );
        }
    }

    #[tokio::test]
    async fn a_null_in_a_not_null_column_is_refused_naming_the_column() {
        for column in [
            "account",
            "phone_number",
            "friendly_name",
            "cap_voice",
            "cap_sms",
            "cap_mms",
            "cap_fax",
            "provider",
            "state",
            "created_at",
            "updated_at",
            "version",
        ] {
            let err = through_rusqlite(&select(&[(column, "NULL")]))
                .expect_err(&format!("{column} = NULL"));
            assert!(
                malformed(&err).contains(&format!("malformed {column}: NULL")),
                "{column}: {err}"
            );
        }
    }

    #[tokio::test]
    async fn ids_are_read_as_sqlx_reads_them() {
        // 16 bytes, as a BLOB or (sqlx reads the bytes of a TEXT) as text.
        for value in ["x'000102030405060708090a0b0c0d0e0f'", "'abcdefghijklmnop'"] {
            let sql = select(&[("id", value)]);
            let expected = through_sqlx(&sql).await.expect(value);
            assert_eq!(through_rusqlite(&sql).expect(value), expected, "{value}");
        }
        for value in ["x'0102'", "'abc'", "42", "NULL", "x''"] {
            let sql = select(&[("id", value)]);
            let err = through_rusqlite(&sql).expect_err(value);
            assert!(
                malformed(&err).starts_with("stored numbers row has a malformed id: "),
                "{value}: {err}"
            );
            if value != "NULL" {
                assert!(through_sqlx(&sql).await.is_err(), "sqlx accepts id {value}");
            }
        }
    }

    #[test]
    fn the_lookup_statement_selects_the_column_list() {
        let conn = rusqlite::Connection::open_in_memory().expect("connection");
        for migration in [
            include_str!("../migrations/sqlite/20261127000001_numbers_and_tokens.sql"),
            include_str!("../migrations/sqlite/20261201000001_versioned_records.sql"),
            include_str!("../migrations/sqlite/20261202000001_pending_orders.sql"),
        ] {
            conn.execute_batch(migration).expect("schema");
        }
        let statement = conn
            .prepare(crate::repository::SELECT_BY_PHONE)
            .expect("prepare");
        let names: Vec<&str> = NUMBER_COLUMNS.split(',').map(str::trim).collect();
        assert_eq!(statement.column_names(), names);
        assert_eq!(statement.parameter_count(), 1);
    }
}
