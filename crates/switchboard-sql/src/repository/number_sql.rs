//! The SQL of the numbers table: its statements, the column order they
//! share, the binding of a record to that order, and the listing query
//! built from a filter. In one place so the tests below can check that every
//! statement reads and writes the 28 columns in the same order.

use switchboard_core::NumberFilter;
use uuid::Uuid;

use crate::record::NUMBER_COLUMNS;

/// Binds the 28 columns of [`NUMBER_COLUMNS`] in order. Its helpers are
/// named by full path, so it expands in any of the repository's modules.
macro_rules! bind_number {
    ($query:expr, $n:expr) => {{
        let n: &switchboard_core::ProvisionedNumber = $n;
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
            .bind($crate::record::method_text(n.routing.voice_method))
            .bind(n.routing.sms_url.as_ref().map(|u| u.as_str()))
            .bind($crate::record::method_text(n.routing.sms_method))
            .bind(n.routing.status_callback.as_ref().map(|u| u.as_str()))
            .bind(n.state.as_str())
            .bind(n.idempotency_key.as_deref())
            .bind(n.created_at)
            .bind(n.updated_at)
            .bind(n.released_at)
            .bind(n.release_not_before)
            .bind($crate::repository::number_sql::version_value(n.version))
            .bind(n.lease_until)
            .bind(n.purchased_at)
            .bind(n.request_fingerprint.as_deref())
            .bind(n.order.as_ref().map(|o| o.id.as_str()))
            .bind($crate::record::order_missing_text(n))
    }};
}

pub(super) use bind_number;

/// Versions are stored as the databases' signed 64-bit integers; one that
/// does not fit (never reached by counting writes) saturates.
pub(super) fn version_value(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

/// Columns per number record.
pub(super) const COLUMNS: usize = 28;

pub(super) const INSERT_NUMBER: &str = "INSERT INTO numbers (id, account, phone_number, friendly_name, \
     agent_id, cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, voice_url, \
     voice_method, sms_url, sms_method, status_callback, state, idempotency_key, created_at, \
     updated_at, released_at, release_not_before, version, lease_until, purchased_at, \
     request_fingerprint, order_id, order_missing) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
     $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, \
     $28)";

/// A compare-and-swap: the row is written only if it is still at the
/// version the caller read (`$24`), and comes back at the next one.
/// Identity columns (account, phone number, provider, creation time) are
/// left out: they never change once recorded.
pub(super) const UPDATE_NUMBER: &str = "UPDATE numbers SET friendly_name = $2, agent_id = $3, \
     cap_voice = $4, cap_sms = $5, cap_mms = $6, cap_fax = $7, carrier_id = $8, \
     voice_url = $9, voice_method = $10, sms_url = $11, sms_method = $12, \
     status_callback = $13, state = $14, idempotency_key = $15, updated_at = $16, \
     released_at = $17, release_not_before = $18, lease_until = $19, purchased_at = $20, \
     request_fingerprint = $21, order_id = $22, order_missing = $23, version = version + 1 \
     WHERE id = $1 AND version = $24 \
     RETURNING id, account, phone_number, friendly_name, agent_id, \
     cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, \
     voice_url, voice_method, sms_url, sms_method, status_callback, \
     state, idempotency_key, created_at, updated_at, released_at, release_not_before, \
     version, lease_until, purchased_at, request_fingerprint, order_id, order_missing";

/// Whether a record exists, after a compare-and-swap wrote nothing.
pub(super) const SELECT_VERSION: &str = "SELECT version FROM numbers WHERE id = $1";

// The WHERE clause repeats the partial index's predicate word for word:
// SQLite uses a partial index only when the query visibly implies it.
pub(crate) const SELECT_BY_PHONE: &str = "SELECT id, account, phone_number, friendly_name, agent_id, \
     cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, \
     voice_url, voice_method, sms_url, sms_method, status_callback, \
     state, idempotency_key, created_at, updated_at, released_at, release_not_before, \
     version, lease_until, purchased_at, request_fingerprint, order_id, order_missing \
     FROM numbers WHERE phone_number = $1 \
     AND state IN ('reserved', 'pending', 'active', 'releasing')";

pub(super) const SELECT_BY_ID: &str = "SELECT id, account, phone_number, friendly_name, agent_id, \
     cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, \
     voice_url, voice_method, sms_url, sms_method, status_callback, \
     state, idempotency_key, created_at, updated_at, released_at, release_not_before, \
     version, lease_until, purchased_at, request_fingerprint, order_id, order_missing \
     FROM numbers WHERE id = $1";

pub(super) const SELECT_BY_KEY: &str = "SELECT id, account, phone_number, friendly_name, agent_id, \
     cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, \
     voice_url, voice_method, sms_url, sms_method, status_callback, \
     state, idempotency_key, created_at, updated_at, released_at, release_not_before, \
     version, lease_until, purchased_at, request_fingerprint, order_id, order_missing \
     FROM numbers WHERE account = $1 AND idempotency_key = $2";

/// `SELECT ... FROM numbers WHERE <filter> AND id > <cursor> ORDER BY id
/// LIMIT n`, with only the conditions the filter sets (a catch-all
/// `$1 IS NULL OR ...` would keep the planners from using the indexes).
pub(super) fn list_sql(filter: &NumberFilter, after: Option<Uuid>) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::AccountId;

    #[test]
    fn number_queries_read_every_column_in_row_order() {
        for sql in [SELECT_BY_PHONE, SELECT_BY_ID, SELECT_BY_KEY] {
            assert!(
                sql.starts_with(&format!("SELECT {NUMBER_COLUMNS} FROM numbers WHERE")),
                "{sql}"
            );
        }
        assert_eq!(NUMBER_COLUMNS.split(',').count(), COLUMNS);
        assert!(INSERT_NUMBER.contains("$28)") && !INSERT_NUMBER.contains("$29"));
        assert!(UPDATE_NUMBER.ends_with(&format!("RETURNING {NUMBER_COLUMNS}")));
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
