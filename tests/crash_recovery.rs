//! Crash recovery: `switchboard serve` is killed with SIGKILL while
//! purchases are in flight at the (slow) carrier emulator, started again,
//! and `switchboard reconcile` is run. Afterwards no number is owned at the
//! carrier without a live record (orphan), no active record names a number
//! the carrier does not have (phantom), and no reservation is left.

#![cfg(all(
    feature = "cli",
    feature = "server",
    feature = "twilio",
    feature = "emulator",
    feature = "fake"
))]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    CarrierLog, Server, TempDir, all_records, assert_agreement, create_token, owned_at_carrier,
    run_ok, states,
};
use switchboard::{NumberRepository, NumberState};
use switchboard_emulator::{
    DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, Emulator, Faults, Latency, Operation,
};

const PROVISIONS: usize = 40;
/// Longer than the binary's reservation grace (two minutes).
const PAST_THE_GRACE: chrono::Duration = chrono::Duration::minutes(10);

async fn crash_and_recover(label: &str, database_url: &str, repository: &dyn NumberRepository) {
    let started = Instant::now();
    let seed = 0xC4A5;
    let emulator = Emulator::builder()
        .inventory(seed, 500)
        .faults(Faults {
            // Purchases take a while, so several are in flight at the kill.
            latency: Some(Latency {
                min_ms: 300,
                max_ms: 1_500,
            }),
            operations: vec![Operation::Purchase],
            ..Faults::default()
        })
        .start()
        .await
        .expect("start the emulator");
    let dir = TempDir::new("crash");
    let config = dir.path().join("switchboard.toml");
    std::fs::write(
        &config,
        format!(
            "default_provider = \"twilio\"\n\
             database_url = \"{database_url}\"\n\
             [providers.twilio]\n\
             account_sid = \"{DEFAULT_TWILIO_ACCOUNT_SID}\"\n\
             auth_token = \"{DEFAULT_TWILIO_AUTH_TOKEN}\"\n\
             base_url = \"{}\"\n",
            emulator.base_url()
        ),
    )
    .expect("write config");
    let token = create_token(dir.path(), &config, "crash");
    let pool: Vec<String> = switchboard::fake::Inventory::new(seed, 500)
        .iter()
        .step_by(7)
        .take(PROVISIONS)
        .map(|n| n.phone_number.as_str().to_string())
        .collect();

    let mut server = Server::start(dir.path(), &config);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut tasks = tokio::task::JoinSet::new();
    for number in &pool {
        let request = client
            .post(server.url("/functions/v1/provision-phone-number"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"phone_number": number}));
        tasks.spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
    }
    // Kill once some purchases are done and others still running.
    let purchases = || {
        emulator
            .requests()
            .iter()
            .filter(|r| r.operation == Some(Operation::Purchase))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while purchases() < PROVISIONS / 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let done_at_kill = purchases();
    server.kill_now();
    let mut answered = 0;
    let mut cut = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("client task") {
            Ok(_) => answered += 1,
            Err(_) => cut += 1,
        }
    }
    // Purchases the dead server started may still land at the carrier:
    // wait until the emulator has been quiet for longer than its latency.
    let mut seen = emulator.requests().len();
    let mut quiet_since = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(20);
    while quiet_since.elapsed() < Duration::from_secs(2) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = emulator.requests().len();
        if now != seen {
            seen = now;
            quiet_since = Instant::now();
        }
    }
    let after_crash = all_records(repository).await;
    let owned_after_crash = owned_at_carrier(&emulator, "twilio").len();

    // Started again, the server serves; a reconcile right away leaves the
    // young reservations alone (they could belong to a live request).
    let server = Server::start(dir.path(), &config);
    let health = client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let early = reconcile(dir.path(), &config);

    // Time passes beyond the leases the dead server's requests held (and the
    // grace): the reservations are aged in the store, since the binary's
    // clock cannot be moved.
    let mut aged = 0;
    for mut record in all_records(repository).await {
        if record.state == NumberState::Reserved {
            record.updated_at -= PAST_THE_GRACE;
            record.lease_until = record.lease_until.map(|until| until - PAST_THE_GRACE);
            repository.update(&record).await.expect("age reservation");
            aged += 1;
        }
    }
    let report = reconcile(dir.path(), &config);

    let records = all_records(repository).await;
    let owned = owned_at_carrier(&emulator, "twilio");
    let log = CarrierLog::read(&emulator, "twilio");
    println!(
        "crash recovery [{label}]: {PROVISIONS} provisions fired, killed after {done_at_kill} \
         purchases reached the carrier; {answered} answered, {cut} cut off; records after the \
         crash {:?}, {owned_after_crash} owned at the carrier; early reconcile drift {}; \
         {aged} reservations aged; reconcile drift {} ({}); records now {:?}, {} owned, {} \
         purchase commits; {:.1}s",
        states(&after_crash),
        early["drift"].as_array().map_or(0, Vec::len),
        report["drift"].as_array().map_or(0, Vec::len),
        drift_summary(&report),
        states(&records),
        owned.len(),
        log.purchase_commits,
        started.elapsed().as_secs_f64(),
    );

    assert!(
        cut > 0,
        "the kill cut no request off: nothing was in flight"
    );
    assert!(
        early["drift"]
            .as_array()
            .expect("drift")
            .iter()
            .all(|d| d["kind"] != "purchase_never_happened" && d["kind"] != "purchase_unrecorded"),
        "a fresh reservation was settled: {early}"
    );
    assert_agreement(&records, &owned, &log, "twilio");

    // The recovered server still sells: a number whose purchase never
    // happened is free again and can be bought.
    let free = pool
        .iter()
        .find(|n| !owned.contains_key(*n))
        .expect("a number the crash left unbought");
    let again = client
        .post(server.url("/functions/v1/provision-phone-number"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"phone_number": free}))
        .send()
        .await
        .expect("provision after recovery");
    assert_eq!(
        again.status(),
        200,
        "{}",
        again.text().await.unwrap_or_default()
    );
}

fn reconcile(dir: &Path, config: &Path) -> serde_json::Value {
    let out = run_ok(dir, config, &["--json", "reconcile"]);
    serde_json::from_slice(&out.stdout).expect("reconcile JSON")
}

fn drift_summary(report: &serde_json::Value) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for d in report["drift"].as_array().into_iter().flatten() {
        let key = format!(
            "{}/{}",
            d["kind"].as_str().unwrap_or("?"),
            d["repair"]["action"].as_str().unwrap_or("?")
        );
        *counts.entry(key).or_insert(0) += 1;
    }
    format!("{counts:?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_leaves_nothing_orphaned_on_sqlite() {
    let dir = TempDir::new("crash-db");
    let url = format!("sqlite://{}", dir.path().join("numbers.db").display());
    let repository = switchboard_sql::SqlRepository::connect(&url)
        .await
        .expect("open SQLite");
    crash_and_recover("SQLite file", &url, &repository).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_leaves_nothing_orphaned_on_postgresql() {
    let Some(url) = common::postgres_url("the PostgreSQL crash-recovery test") else {
        return;
    };
    let schema = common::unique_schema("crash");
    let repository = switchboard_sql::SqlRepository::connect_with(
        switchboard_sql::SqlOptions::new(&url).schema(&schema),
    )
    .await
    .expect("connect to PostgreSQL");
    crash_and_recover(
        "PostgreSQL",
        &common::with_search_path(&url, &schema),
        &repository,
    )
    .await;
}
