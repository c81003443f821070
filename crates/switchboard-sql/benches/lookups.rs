//! Throughput of the SQL repository with a million numbers stored: bulk and
//! single inserts per second, lookups by phone number per second with 1 and
//! 4 concurrent tasks, and the size on disk.
//!
//! Every store here is opened `without_read_cache()`: these figures are
//! the database path itself, which the cache falls back to on every miss
//! and whenever its watcher cannot vouch for it.
//!
//! A plain binary (`harness = false`) rather than criterion: the figures
//! wanted are rates under concurrency over a fixed time, not per-call
//! latency distributions.
//!
//! ```text
//! cargo bench -p switchboard-sql --bench lookups            # both backends
//! SWITCHBOARD_BENCH_ROWS=100000 cargo bench -p switchboard-sql --bench lookups -- sqlite
//! ```
//! `SWITCHBOARD_BENCH_SQLITE_FILE=path` keeps the SQLite file: a later run
//! with the same row count finds it and measures only the lookups.
//!
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
        version: 1,
        lease_until: None,
        purchased_at: None,
        request_fingerprint: None,
        order: None,
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

/// This process's user + system CPU time so far, from `/proc/self/stat`
/// (Linux; `None` elsewhere). CPU time per lookup moves much less than the
/// rate when other work shares the cores, so A/B comparisons use both.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Lookups per second, and CPU microseconds (all threads) per lookup.
async fn lookups_per_second(
    store: &SqlRepository,
    rows: usize,
    tasks: usize,
    seconds: u64,
) -> (f64, Option<f64>) {
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
    let start_cpu = cpu_seconds();
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let counted = done.load(Ordering::Relaxed) - start_count;
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = start_cpu
        .zip(cpu_seconds())
        .map(|(a, b)| (b - a) * 1e6 / counted.max(1) as f64);
    stop.store(true, Ordering::Relaxed);
    for handle in handles {
        handle.await.expect("lookup task");
    }
    (counted as f64 / elapsed, cpu)
}

fn rate_line(rate: f64, cpu: Option<f64>) -> String {
    match cpu {
        Some(cpu) => format!("{rate:.0} lookups/s ({cpu:.1} µs CPU each)"),
        None => format!("{rate:.0} lookups/s"),
    }
}

/// `SWITCHBOARD_BENCH_READERS=1,2,4`: compare these numbers of lookup
/// connections instead of the usual lookups.
fn reader_counts() -> Option<Vec<u32>> {
    let list = std::env::var("SWITCHBOARD_BENCH_READERS").ok()?;
    Some(
        list.split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect(),
    )
}

/// 4-task lookups on one repository per reader count, measured in turns of
/// one second each so that other load on the machine falls on every
/// variant alike; reports each variant's median turn.
async fn compare_readers(report: &mut Report, url: &str, counts: &[u32], rows: usize, turns: u64) {
    let mut stores = Vec::new();
    for &n in counts {
        let store = SqlRepository::connect_with(
            SqlOptions::new(url).max_connections(n).without_read_cache(),
        )
        .await
        .expect("open SQLite");
        // Map and cache the pages this store's connections will read.
        lookups_per_second(&store, rows, 4, 1).await;
        stores.push(store);
    }
    let mut rates = vec![Vec::new(); counts.len()];
    let mut cpus = vec![Vec::new(); counts.len()];
    for _ in 0..turns.max(1) {
        for (k, store) in stores.iter().enumerate() {
            let (rate, cpu) = lookups_per_second(store, rows, 4, 1).await;
            rates[k].push(rate);
            cpus[k].extend(cpu);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    for (k, &n) in counts.iter().enumerate() {
        let rate = median(&mut rates[k]).unwrap_or(0.0);
        let cpu = median(&mut cpus[k]);
        report.line(
            &format!(
                "find_by_phone_number, 4 tasks, {n} lookup connection(s), median of {turns} turns"
            ),
            rate_line(rate, cpu),
        );
    }
    for store in stores {
        store.close().await;
    }
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
    fill(report, store, rows).await;
    measure_lookups(report, store, rows, seconds).await;
}

/// Stores `rows` numbers in bulk, then 2,000 more one commit each.
async fn fill(report: &mut Report, store: &SqlRepository, rows: usize) {
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
}

async fn measure_lookups(report: &mut Report, store: &SqlRepository, rows: usize, seconds: u64) {
    for tasks in [1, 4] {
        let (rate, cpu) = lookups_per_second(store, rows, tasks, seconds).await;
        report.line(
            &format!("find_by_phone_number, {tasks} task(s)"),
            rate_line(rate, cpu),
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
        // A kept file (filled by an earlier run with the same row count)
        // skips the 30 s fill when only the lookups are being compared.
        let kept = std::env::var_os("SWITCHBOARD_BENCH_SQLITE_FILE").map(std::path::PathBuf::from);
        let reuse = kept.as_ref().is_some_and(|p| p.exists());
        let dir = std::env::temp_dir().join(format!("switchboard-bench-{}", Uuid::new_v4()));
        let path = match &kept {
            Some(path) => path.clone(),
            None => {
                std::fs::create_dir_all(&dir).expect("bench dir");
                dir.join("numbers.db")
            }
        };
        let url = format!("sqlite://{}", path.display());
        runtime.block_on(async {
            let store = SqlRepository::connect_with(SqlOptions::new(&url).without_read_cache())
                .await
                .expect("open SQLite");
            let mut report = Report {
                backend: "SQLite (pool 4)".into(),
                lines: Vec::new(),
            };
            if let Some(counts) = reader_counts() {
                if !reuse {
                    fill(&mut report, &store, rows).await;
                }
                compare_readers(&mut report, &url, &counts, rows, seconds).await;
            } else if reuse {
                measure_lookups(&mut report, &store, rows, seconds).await;
            } else {
                run(&mut report, &store, rows, seconds).await;
            }
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
                let store = SqlRepository::connect_with(
                    SqlOptions::new(&url).schema(&schema).without_read_cache(),
                )
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
                        .test_before_acquire(true)
                        .without_read_cache(),
                )
                .await
                .expect("open PostgreSQL");
                for tasks in [1, 4] {
                    let (rate, cpu) = lookups_per_second(&unchecked, rows, tasks, seconds).await;
                    report.line(
                        &format!(
                            "find_by_phone_number, {tasks} task(s), test_before_acquire(true)"
                        ),
                        rate_line(rate, cpu),
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
