//! The SQLite lookup path (`find_by_phone_number` on a file, through the
//! synchronous lookup connections) against the sqlx path (`get`, through
//! the pool) on the same rows: what one reads, the other reads; what one
//! refuses, the other refuses, and the lookup's refusal names the column.
#![cfg(feature = "sqlite")]

mod common;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::Connection;
use switchboard_core::{
    Capabilities, Error, NumberRepository, NumberState, ProvisionedNumber, Routing, WebhookMethod,
    WebhookUrl,
};
use switchboard_sql::{SqlOptions, SqlRepository};
use uuid::Uuid;

/// A store on a fresh file, reads not cached (so every lookup reaches the
/// database), and a raw sqlx connection to the same file for writing what
/// the repository would never write.
async fn open(dir: &common::TempDir) -> (SqlRepository, sqlx::SqliteConnection) {
    let url = dir.sqlite_url("lookup.db");
    let store = SqlRepository::connect_with(SqlOptions::new(&url).without_read_cache())
        .await
        .expect("open SQLite file");
    let mut raw = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("raw SQLite connection");
    // The schema's CHECK constraints would refuse most corrupt values.
    sqlx::query("PRAGMA ignore_check_constraints = ON")
        .execute(&mut raw)
        .await
        .expect("pragma");
    (store, raw)
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test timestamp")
        .with_timezone(&Utc)
}

fn url(text: &str) -> Option<WebhookUrl> {
    Some(WebhookUrl::parse(text).expect("test URL"))
}

/// Every optional field set, timestamps to the nanosecond (SQLite keeps
/// them as text, so nothing is rounded).
fn everything_set() -> ProvisionedNumber {
    let mut number = common::reserved(&common::random_account(), &common::random_number());
    number.friendly_name = "Front desk — ☎ 24/7".into();
    number.agent_id = Some(Uuid::new_v4());
    number.capabilities = Capabilities {
        voice: true,
        sms: false,
        mms: true,
        fax: true,
    };
    number.provider = "twilio".into();
    number.carrier_id = Some("PN0123456789abcdef".into());
    number.routing = Routing {
        voice_url: url("https://hooks.example.com/voice?agent=7&lang=fr"),
        voice_method: Some(WebhookMethod::Get),
        sms_url: url("https://hooks.example.com/sms"),
        sms_method: Some(WebhookMethod::Post),
        status_callback: url("https://hooks.example.com/status"),
    };
    number.state = NumberState::Releasing;
    number.idempotency_key = Some(format!("key-{}", Uuid::new_v4()));
    number.created_at = at("2026-11-27T09:15:42.123456789Z");
    number.updated_at = at("2026-11-27T10:00:00Z");
    number.released_at = Some(at("2026-11-27T10:00:00.5Z"));
    number.release_not_before = Some(at("2026-12-27T10:00:00.000001Z"));
    number
}

/// Every optional field empty, every capability off.
fn nothing_set() -> ProvisionedNumber {
    let mut number = common::reserved(&common::random_account(), &common::random_number());
    number.capabilities = Capabilities {
        voice: false,
        sms: false,
        mms: false,
        fax: false,
    };
    number.state = NumberState::Active;
    number
}

/// The record as the lookup path reads it, and as the sqlx path reads it.
async fn both_paths(
    store: &SqlRepository,
    number: &ProvisionedNumber,
) -> (
    switchboard_core::Result<Option<ProvisionedNumber>>,
    switchboard_core::Result<Option<ProvisionedNumber>>,
) {
    (
        store.find_by_phone_number(&number.phone_number).await,
        store.get(number.id).await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_through_sqlx_read_back_identically_through_the_lookup() {
    let dir = common::TempDir::new();
    let (store, _raw) = open(&dir).await;
    for number in [everything_set(), nothing_set()] {
        store.insert(&number).await.expect("insert");
        let (lookup, pooled) = both_paths(&store, &number).await;
        let lookup = lookup.expect("lookup").expect("found");
        assert_eq!(lookup, number);
        assert_eq!(Some(lookup), pooled.expect("get"));
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updated_and_released_records_read_back_identically_through_the_lookup() {
    let dir = common::TempDir::new();
    let (store, _raw) = open(&dir).await;
    let mut number = nothing_set();
    store.insert(&number).await.expect("insert");
    let changed = everything_set();
    number.friendly_name = changed.friendly_name;
    number.agent_id = changed.agent_id;
    number.routing = changed.routing;
    number.state = NumberState::Releasing;
    number.release_not_before = changed.release_not_before;
    number.updated_at = changed.updated_at;
    let number = store.update(&number).await.expect("update");
    let (lookup, pooled) = both_paths(&store, &number).await;
    assert_eq!(lookup.expect("lookup"), Some(number.clone()));
    assert_eq!(pooled.expect("get"), Some(number.clone()));
    // A released record is no longer live: the lookup no longer finds it.
    let mut released = number.clone();
    released.state = NumberState::Released;
    released.released_at = Some(at("2026-11-28T00:00:00Z"));
    store.update(&released).await.expect("release");
    let (lookup, pooled) = both_paths(&store, &number).await;
    assert_eq!(lookup.expect("lookup"), None);
    assert_eq!(
        pooled.expect("get").map(|n| n.released_at),
        Some(Some(at("2026-11-28T00:00:00Z")))
    );
    store.close().await;
}

/// Each text form sqlx 0.9 reads a SQLite timestamp from, with the instant
/// it stands for (no offset means UTC).
const TIMESTAMPS: [(&str, &str); 17] = [
    // What sqlx writes, and other RFC 3339 forms.
    (
        "2026-11-27T16:03:09.123456789+00:00",
        "2026-11-27T16:03:09.123456789Z",
    ),
    ("2026-11-27T16:03:09+00:00", "2026-11-27T16:03:09Z"),
    ("2026-11-27T16:03:09Z", "2026-11-27T16:03:09Z"),
    ("2026-11-27T16:03:09.5-08:00", "2026-11-28T00:03:09.5Z"),
    // SQLite's own layouts (`datetime('now')` gives the first).
    ("2026-11-27 16:03:09", "2026-11-27T16:03:09Z"),
    ("2026-11-27 16:03:09.250", "2026-11-27T16:03:09.25Z"),
    ("2026-11-27 16:03", "2026-11-27T16:03:00Z"),
    ("2026-11-27 16:03Z", "2026-11-27T16:03:00Z"),
    ("2026-11-27 16:03+02:00", "2026-11-27T14:03:00Z"),
    ("2026-11-27 16:03:09.5Z", "2026-11-27T16:03:09.5Z"),
    ("2026-11-27 16:03:09.5+02:00", "2026-11-27T14:03:09.5Z"),
    ("2026-11-27T16:03", "2026-11-27T16:03:00Z"),
    ("2026-11-27T16:03Z", "2026-11-27T16:03:00Z"),
    ("2026-11-27T16:03+02:00", "2026-11-27T14:03:00Z"),
    ("2026-11-27T16:03:09.5", "2026-11-27T16:03:09.5Z"),
    ("2026-11-27T16:03:09Z", "2026-11-27T16:03:09Z"),
    ("2026-11-27T16:03:09.5+02:00", "2026-11-27T14:03:09.5Z"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_timestamp_form_sqlx_reads_is_read_by_the_lookup() {
    let dir = common::TempDir::new();
    let (store, mut raw) = open(&dir).await;
    let number = everything_set();
    store.insert(&number).await.expect("insert");
    for column in [
        "created_at",
        "updated_at",
        "released_at",
        "release_not_before",
    ] {
        for (stored, meant) in TIMESTAMPS {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE numbers SET {column} = $1 WHERE id = $2"
            )))
            .bind(stored)
            .bind(number.id)
            .execute(&mut raw)
            .await
            .expect("store the timestamp text");
            let (lookup, pooled) = both_paths(&store, &number).await;
            let lookup = lookup
                .unwrap_or_else(|e| panic!("{column} = {stored:?}: {e}"))
                .expect("found");
            let pooled = pooled.expect("get").expect("found");
            assert_eq!(lookup, pooled, "{column} = {stored:?}");
            let read = match column {
                "created_at" => lookup.created_at,
                "updated_at" => lookup.updated_at,
                "released_at" => lookup.released_at.expect("set"),
                _ => lookup.release_not_before.expect("set"),
            };
            assert_eq!(read, at(meant), "{column} = {stored:?}");
        }
    }
    store.close().await;
}

/// A value, as an SQL expression, that the repository must refuse in
/// `column` (it passes only for the CHECK constraints being off).
const CORRUPT: [(&str, &str); 24] = [
    ("account", "'not an account!'"),
    ("account", "x'616263'"),
    ("friendly_name", "x'00ff'"),
    ("friendly_name", "CAST(x'ff' AS TEXT)"),
    ("agent_id", "x'0102'"),
    ("agent_id", "42"),
    ("cap_voice", "'yes'"),
    ("cap_sms", "1.5"),
    ("cap_mms", "x'01'"),
    ("provider", "x'74776c'"),
    ("carrier_id", "x'00'"),
    ("voice_url", "'not a url'"),
    ("voice_method", "'PUT'"),
    ("sms_url", "'https://'"),
    ("sms_method", "'get'"),
    ("status_callback", "x'68747470'"),
    ("idempotency_key", "x'6b6579'"),
    ("created_at", "'yesterday'"),
    ("created_at", "x'323032362d31312d3237'"),
    ("updated_at", "'2026-13-01T00:00:00Z'"),
    ("updated_at", "'2026-11-27'"),
    ("released_at", "'soon'"),
    ("release_not_before", "'27/11/2026 16:03'"),
    ("release_not_before", "'2026-11-27T25:03:09Z'"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_values_are_refused_by_both_paths_and_the_lookup_names_the_column() {
    let dir = common::TempDir::new();
    let (store, mut raw) = open(&dir).await;
    for (column, value) in CORRUPT {
        let number = everything_set();
        store.insert(&number).await.expect("insert");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE numbers SET {column} = {value} WHERE id = $1"
        )))
        .bind(number.id)
        .execute(&mut raw)
        .await
        .unwrap_or_else(|e| panic!("store {column} = {value}: {e}"));
        let (lookup, pooled) = both_paths(&store, &number).await;
        assert!(pooled.is_err(), "sqlx read {column} = {value}: {pooled:?}");
        match lookup {
            Err(Error::Repository {
                message, temporary, ..
            }) => {
                assert!(!temporary, "{column} = {value}: {message}");
                assert!(
                    message.contains(&format!("stored numbers row {} has a", number.id))
                        && message.contains(&format!("malformed {column}:")),
                    "{column} = {value}: {message}"
                );
            }
            other => panic!("{column} = {value}: lookup gave {other:?}"),
        }
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_id_is_refused_naming_the_id() {
    let dir = common::TempDir::new();
    let (store, mut raw) = open(&dir).await;
    for value in ["x'0102'", "7", "'not sixteen bytes'"] {
        let number = everything_set();
        store.insert(&number).await.expect("insert");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE numbers SET id = {value} WHERE id = $1"
        )))
        .bind(number.id)
        .execute(&mut raw)
        .await
        .expect("store the id");
        match store.find_by_phone_number(&number.phone_number).await {
            Err(Error::Repository {
                message, temporary, ..
            }) => {
                assert!(!temporary, "{value}: {message}");
                assert!(message.contains("malformed id:"), "{value}: {message}");
            }
            other => panic!("id = {value}: lookup gave {other:?}"),
        }
    }
    store.close().await;
}

/// What a value that sqlx reads but this crate never writes must read as.
type Expect = fn(&ProvisionedNumber) -> bool;

/// Values sqlx reads that this crate never writes: both paths must agree
/// on them too, so that rows from another writer read the same either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusual_values_sqlx_accepts_read_the_same_through_the_lookup() {
    let dir = common::TempDir::new();
    let (store, mut raw) = open(&dir).await;
    let cases: [(&str, &str, Expect); 6] = [
        // Booleans: any integer, true unless 0 (text '1' becomes an
        // integer in an INTEGER column).
        ("cap_sms", "2", |n| n.capabilities.sms),
        ("cap_sms", "-1", |n| n.capabilities.sms),
        ("cap_sms", "'1'", |n| n.capabilities.sms),
        ("cap_voice", "0", |n| !n.capabilities.voice),
        // A uuid stored as 16 bytes of text.
        ("agent_id", "'abcdefghijklmnop'", |n| {
            n.agent_id == Some(Uuid::from_bytes(*b"abcdefghijklmnop"))
        }),
        // A number stored in a TEXT column becomes text.
        ("friendly_name", "12345", |n| n.friendly_name == "12345"),
    ];
    for (column, value, expect) in cases {
        let number = everything_set();
        assert!(!expect(&number), "{column} = {value} is already so");
        store.insert(&number).await.expect("insert");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE numbers SET {column} = {value} WHERE id = $1"
        )))
        .bind(number.id)
        .execute(&mut raw)
        .await
        .unwrap_or_else(|e| panic!("store {column} = {value}: {e}"));
        let (lookup, pooled) = both_paths(&store, &number).await;
        let lookup = lookup
            .unwrap_or_else(|e| panic!("{column} = {value}: {e}"))
            .expect("found");
        assert_eq!(
            Some(&lookup),
            pooled.expect("get").as_ref(),
            "{column} = {value}"
        );
        assert!(expect(&lookup), "{column} = {value}: {lookup:?}");
    }
    store.close().await;
}

#[test]
fn lookups_in_a_loop_let_other_tasks_run_on_a_single_thread() {
    // The lookup never waits; without spending cooperative budget, a task
    // looking numbers up in a loop would keep a current-thread runtime to
    // itself and the timer below would never fire. The runtime runs on a
    // thread of its own so that a hang fails this test instead of hanging
    // it.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let count = runtime.block_on(async {
            let dir = common::TempDir::new();
            let (store, _raw) = open(&dir).await;
            let number = everything_set();
            store.insert(&number).await.expect("insert");
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let looping = {
                let store = store.clone();
                let stop = stop.clone();
                let phone = number.phone_number.clone();
                tokio::spawn(async move {
                    let mut count = 0u64;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        store.find_by_phone_number(&phone).await.expect("lookup");
                        count += 1;
                    }
                    count
                })
            };
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let count = looping.await.expect("lookup task");
            store.close().await;
            count
        });
        let _ = done.send(count);
    });
    let count = finished
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the lookup loop never let the timer run");
    assert!(count > 0, "the lookup task never ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_sees_a_commit_made_through_the_pool_at_once() {
    let dir = common::TempDir::new();
    let (store, _raw) = open(&dir).await;
    let number = nothing_set();
    assert_eq!(
        store
            .find_by_phone_number(&number.phone_number)
            .await
            .expect("lookup"),
        None
    );
    store.insert(&number).await.expect("insert");
    assert_eq!(
        store
            .find_by_phone_number(&number.phone_number)
            .await
            .expect("lookup"),
        Some(number)
    );
    store.close().await;
}

#[test]
fn the_expected_instants_are_distinct_where_the_forms_differ() {
    // Guards the table above against a typo that would make every
    // comparison trivially equal.
    let instants: std::collections::BTreeSet<_> =
        TIMESTAMPS.iter().map(|(_, meant)| at(meant)).collect();
    assert!(instants.len() >= 8, "{instants:?}");
    assert_eq!(
        at("2026-11-27T14:03:00Z"),
        Utc.with_ymd_and_hms(2026, 11, 27, 14, 3, 0).unwrap()
    );
}
