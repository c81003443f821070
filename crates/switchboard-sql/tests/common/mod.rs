//! Helpers shared by the integration tests: temporary SQLite files, and
//! PostgreSQL stores each in a schema of their own so tests can run in
//! parallel and repeatedly against one database.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::{SubsecRound, Utc};
use switchboard_core::{
    AccountId, Capabilities, NumberState, PhoneNumber, ProvisionedNumber, Routing,
};
use switchboard_sql::{SqlOptions, SqlRepository};
use uuid::Uuid;

/// The environment variable naming the PostgreSQL database for tests.
pub const DATABASE_URL_VAR: &str = "SWITCHBOARD_TEST_DATABASE_URL";

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("switchboard-sql-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A `sqlite://` URL for `name` inside the directory.
    pub fn sqlite_url(&self, name: &str) -> String {
        format!("sqlite://{}", self.0.join(name).display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The test database URL, or `None` after saying loudly that the test is
/// skipped.
pub fn postgres_url() -> Option<String> {
    match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            skipped(&format!(
                "PostgreSQL tests need {DATABASE_URL_VAR} \
                 (see crates/switchboard-sql/README.md; `source .ci/start-postgres.sh` starts one)"
            ));
            None
        }
    }
}

/// Says on the real stderr that a test is skipped. `eprintln!` would be
/// captured by the test harness and shown only on failure; a skip must be
/// seen in every run's log.
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// A fresh schema name for one test.
pub fn fresh_schema() -> String {
    format!("test_{}", Uuid::new_v4().simple())
}

/// A PostgreSQL store in a schema of its own, or `None` when skipped.
pub async fn postgres_store() -> Option<(SqlRepository, PgSchema)> {
    let url = postgres_url()?;
    let schema = fresh_schema();
    let store = SqlRepository::connect_with(SqlOptions::new(&url).schema(&schema))
        .await
        .unwrap_or_else(|e| panic!("connect to {}: {e}", switchboard_sql::redact_url(&url)));
    Some((store, PgSchema { url, name: schema }))
}

/// A test's schema; [`PgSchema::drop_now`] removes it when the test passed
/// (a failed test leaves it for inspection).
pub struct PgSchema {
    pub url: String,
    pub name: String,
}

impl PgSchema {
    /// Options for another pool on the same schema.
    pub fn options(&self) -> SqlOptions {
        SqlOptions::new(&self.url).schema(&self.name)
    }

    /// A plain driver connection, for what the repository does not offer
    /// (EXPLAIN, pg_terminate_backend).
    pub async fn raw(&self) -> sqlx::PgConnection {
        use sqlx::Connection;
        sqlx::PgConnection::connect(&self.url)
            .await
            .expect("raw PostgreSQL connection")
    }

    pub async fn drop_now(self) {
        use sqlx::Executor;
        let mut conn = self.raw().await;
        conn.execute(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
            self.name
        )))
        .await
        .expect("drop test schema");
    }
}

/// A random number in the unassigned area code 998 (the core suite uses 999).
pub fn random_number() -> PhoneNumber {
    let n = Uuid::new_v4().as_u128() % 10_000_000;
    PhoneNumber::parse_trusted(&format!("+1998{n:07}")).expect("well-formed")
}

/// `count` consecutive numbers from a random start: distinct for sure,
/// where `count` independent random ones could collide.
pub fn number_block(count: usize) -> Vec<PhoneNumber> {
    let start = (Uuid::new_v4().as_u128() % (10_000_000 - count as u128)) as usize;
    (start..start + count)
        .map(|n| PhoneNumber::parse_trusted(&format!("+1997{n:07}")).expect("well-formed"))
        .collect()
}

pub fn random_account() -> AccountId {
    AccountId::parse(&format!("sql-{}", Uuid::new_v4().simple())).expect("valid account")
}

/// A reserved record, timestamps to the microsecond (what PostgreSQL keeps).
pub fn reserved(account: &AccountId, phone_number: &PhoneNumber) -> ProvisionedNumber {
    let at = Utc::now().trunc_subsecs(6);
    ProvisionedNumber {
        id: Uuid::now_v7(),
        account: account.clone(),
        phone_number: phone_number.clone(),
        friendly_name: phone_number.to_string(),
        agent_id: None,
        capabilities: Capabilities::VOICE_SMS_MMS,
        provider: "fake".into(),
        carrier_id: None,
        routing: Routing::default(),
        state: NumberState::Reserved,
        idempotency_key: None,
        created_at: at,
        updated_at: at,
        released_at: None,
        release_not_before: None,
        version: 1,
        lease_until: None,
        purchased_at: None,
        request_fingerprint: None,
        order: None,
    }
}

/// `record` (as read) released now, to write back.
#[allow(dead_code)]
pub fn released(record: &ProvisionedNumber) -> ProvisionedNumber {
    let mut next = record.clone();
    next.state = NumberState::Released;
    next.released_at = Some(Utc::now().trunc_subsecs(6));
    next
}

/// A multi-threaded runtime for tests that need one outside `#[tokio::test]`.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
