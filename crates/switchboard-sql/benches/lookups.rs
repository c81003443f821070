//! Throughput of the SQL repository with a million numbers stored: bulk and
//! single inserts per second, lookups by phone number per second with 1 and
//! 4 concurrent tasks, and the size on disk.
//!
//! A plain binary (`harness = false`) rather than criterion: the figures
//! wanted are rates under concurrency over a fixed time, not per-call
//! latency distributions.
//!
//! ```text
//! cargo bench -p switchboard-sql --bench lookups            # both backends
//! SWITCHBOARD_BENCH_ROWS=100000 cargo bench -p switchboard-sql --bench lookups -- sqlite
//! ```
//! PostgreSQL runs when `SWITCHBOARD_TEST_DATABASE_URL` is set (see README);
//! each run uses a fresh schema and drops it afterwards.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{SubsecRound, Utc};
use switchboard_core::{
    AccountId, Capabilities, NumberRepository, NumberState, PhoneNumber, ProvisionedNumber,
    Routing, WebhookUrl,
};
use switchboard_sql::{SqlOptions, SqlRepository};
use uuid::Uuid;

const BATCH: usize = 10_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `i`-th benchmark number: distinct, well-formed E.164.
fn number(i: usize) -> PhoneNumber {
    PhoneNumber::parse_trusted(&format!("+1{}", 2_000_000_000 + i)).expect("well-formed")
}

fn record(i: usize, accounts: &[AccountId], agents: &[Uuid]) -> ProvisionedNumber {
    let at = Utc::now().trunc_subsecs(6);
    ProvisionedNumber {
        id: Uuid::now_v7(),
        account: accounts[i % accounts.len()].clone(),
        phone_number: number(i),
        friendly_name: format!("Line {i}"),
        agent_id: Some(agents[i % agents.len()]),
        capabilities: Capabilities::VOICE_SMS_MMS,
        provider: if i.is_multiple_of(2) {
            "twilio"
        } else {
            "signalwire"
        }
        .into(),
        carrier_id: Some(format!("PN{:032x}", i)),
        routing: Routing {
            voice_url: WebhookUrl::parse("https://agents.example.com/voice").ok(),
            ..Routing::default()
        },
        state: NumberState::Active,
        idempotency_key: Some(format!("import-{i}")),
        created_at: at,
        updated_at: at,
        released_at: None,
        release_not_before: None,
    }
}

/// xorshift64*: a cheap, dependency-free spread of lookups over the table.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }
}

async fn lookups_per_second(store: &SqlRepository, rows: usize, tasks: usize, seconds: u64) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let store = store.clone();
            let stop = stop.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t as u64 + 1));
                while !stop.load(Ordering::Relaxed) {
                    let n = number(rng.below(rows));
                    let found = store.find_by_phone_number(&n).await.expect("lookup");
                    assert!(found.is_some(), "{n} missing");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // Warm up (statement caches, connections), then measure.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start_count = done.load(Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let counted = done.load(Ordering::Relaxed) - start_count;
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for handle in handles {
        handle.await.expect("lookup task");
    }
    counted as f64 / elapsed
}

struct Report {
    backend: String,
    lines: Vec<String>,
}

impl Report {
    fn line(&mut self, what: &str, value: String) {
        let line = format!("| {} | {what} | {value} |", self.backend);
        println!("{line}");
        self.lines.push(line);
    }
}

async fn run(report: &mut Report, store: &SqlRepository, rows: usize, seconds: u64) {
    let accounts: Vec<AccountId> = (0..100)
        .map(|a| AccountId::parse(&format!("bench-{a}")).expect("account"))
        .collect();
    let agents: Vec<Uuid> = (0..1000).map(|_| Uuid::new_v4()).collect();

    let start = Instant::now();
    let mut i = 0;
    while i < rows {
        let end = (i + BATCH).min(rows);
        let batch: Vec<ProvisionedNumber> =
            (i..end).map(|j| record(j, &accounts, &agents)).collect();
        store.insert_batch(&batch).await.expect("batch insert");
        i = end;
    }
    let secs = start.elapsed().as_secs_f64();
    report.line(
        &format!("bulk insert of {rows} rows ({BATCH} per transaction)"),
        format!("{:.0} rows/s ({secs:.1} s)", rows as f64 / secs),
    );

    // One durable commit per record: what a reservation costs.
    let singles = 2_000;
    let start = Instant::now();
    for j in rows..rows + singles {
        store
            .insert(&record(j, &accounts, &agents))
            .await
            .expect("insert");
    }
    let secs = start.elapsed().as_secs_f64();
    report.line(
        "single inserts, one commit each, 1 task",
        format!("{:.0} rows/s", singles as f64 / secs),
    );

    for tasks in [1, 4] {
        let rate = lookups_per_second(store, rows, tasks, seconds).await;
        report.line(
            &format!("find_by_phone_number, {tasks} task(s)"),
            format!("{rate:.0} lookups/s"),
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| matches!(*a, "sqlite" | "postgres"))
        .collect();
    let wants = |name: &str| only.is_empty() || only.contains(&name);
    let rows = env_usize("SWITCHBOARD_BENCH_ROWS", 1_000_000);
    let seconds = env_usize("SWITCHBOARD_BENCH_SECS", 5) as u64;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut all = Vec::new();

    if wants("sqlite") {
        let dir = std::env::temp_dir().join(format!("switchboard-bench-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("bench dir");
        let path = dir.join("numbers.db");
        let url = format!("sqlite://{}", path.display());
        runtime.block_on(async {
            let store = SqlRepository::connect(&url).await.expect("open SQLite");
            let mut report = Report {
                backend: "SQLite (pool 4)".into(),
                lines: Vec::new(),
            };
            run(&mut report, &store, rows, seconds).await;
            store.close().await;
            // Fold the WAL into the main file so its size is the data's.
            use sqlx::Connection;
            let mut raw = sqlx::SqliteConnection::connect(&url).await.expect("raw");
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut raw)
                .await
                .expect("checkpoint");
            raw.close().await.ok();
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            report.line(
                "size on disk per million numbers",
                format!(
                    "{:.0} MiB",
                    bytes as f64 / 1048576.0 * 1e6 / (rows + 2000) as f64
                ),
            );
            all.extend(report.lines);
        });
        let _ = std::fs::remove_dir_all(&dir);
    }

    if wants("postgres") {
        match std::env::var("SWITCHBOARD_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => runtime.block_on(async {
                let schema = format!("bench_{}", Uuid::new_v4().simple());
                let store = SqlRepository::connect_with(SqlOptions::new(&url).schema(&schema))
                    .await
                    .expect("open PostgreSQL");
                let mut report = Report {
                    backend: "PostgreSQL (pool 10)".into(),
                    lines: Vec::new(),
                };
                run(&mut report, &store, rows, seconds).await;
                store.close().await;

                // The same lookups with the pool's liveness round trip before
                // each use (off by default).
                let unchecked = SqlRepository::connect_with(
                    SqlOptions::new(&url)
                        .schema(&schema)
                        .test_before_acquire(true),
                )
                .await
                .expect("open PostgreSQL");
                for tasks in [1, 4] {
                    let rate = lookups_per_second(&unchecked, rows, tasks, seconds).await;
                    report.line(
                        &format!(
                            "find_by_phone_number, {tasks} task(s), test_before_acquire(true)"
                        ),
                        format!("{rate:.0} lookups/s"),
                    );
                }
                unchecked.close().await;

                use sqlx::Connection;
                let mut raw = sqlx::PgConnection::connect(&url).await.expect("raw");
                let bytes: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT pg_total_relation_size('\"{schema}\".numbers')"
                )))
                .fetch_one(&mut raw)
                .await
                .expect("size");
                report.line(
                    "size on disk per million numbers (table + indexes)",
                    format!(
                        "{:.0} MiB",
                        bytes as f64 / 1048576.0 * 1e6 / (rows + 2000) as f64
                    ),
                );
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA \"{schema}\" CASCADE"
                )))
                .execute(&mut raw)
                .await
                .expect("drop bench schema");
                all.extend(report.lines);
            }),
            _ => eprintln!(
                "SKIPPED: PostgreSQL benchmark needs SWITCHBOARD_TEST_DATABASE_URL (see README)"
            ),
        }
    }

    println!("\n| backend | what | result |\n|---|---|---|");
    for line in all {
        println!("{line}");
    }
}
