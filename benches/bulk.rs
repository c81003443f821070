//! Bulk provisioning of 500 numbers through the Twilio adapter against the
//! carrier emulator, which adds 100 ms to every request and answers 429
//! (Retry-After: 1) beyond 10 requests in flight for the account.
//!
//! The ideal is 500 x 0.1 s / 10 = 5 s: the purchases alone, always exactly
//! at the cap. Two scenarios: the client's maximum equals the cap (known in
//! advance), and the client's maximum is 32 (it must find the cap from the
//! 429s). Each runs `RUNS` times on a fresh emulator; every run is printed,
//! then the median.
//!
//! `cargo bench --bench bulk --features fake,twilio,emulator`

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard::{
    AccountId, BulkProvisionRequest, InMemoryRepository, ProviderRegistry, ProvisioningService,
    SearchQuery,
};
use switchboard_emulator::{
    DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, Emulator, Faults, Latency, Operation,
};
use switchboard_twilio::{TwilioConfig, TwilioProvider};

const COUNT: u32 = 500;
const LATENCY_MS: u64 = 100;
const CAP: u32 = 10;
const RUNS: usize = 3;

struct Run {
    elapsed: Duration,
    bought: u32,
    failed: u32,
    failed_429: usize,
    refused: usize,
    searches: usize,
    fetches: usize,
    final_concurrency: u32,
    timeline: String,
}

async fn run(max_concurrency: u32) -> Run {
    let emulator = Emulator::builder()
        .faults(Faults {
            latency: Some(Latency {
                min_ms: LATENCY_MS,
                max_ms: LATENCY_MS,
            }),
            max_in_flight: Some(CAP),
            ..Faults::default()
        })
        .start()
        .await
        .expect("start the emulator");
    let config =
        TwilioConfig::with_auth_token(DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN)
            .and_then(|c| c.base_url(&emulator.base_url()))
            .expect("Twilio configuration");
    let provider = TwilioProvider::new(config).expect("Twilio provider");
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(provider)),
        Arc::new(InMemoryRepository::new()),
    );
    let account = AccountId::parse("bench").expect("account");
    let request = BulkProvisionRequest::new(COUNT, SearchQuery::default())
        .idempotency_key_prefix("bench")
        .max_concurrency(max_concurrency);

    let started = Instant::now();
    let done_at = std::sync::Mutex::new(Vec::new());
    let report = service
        .provision_bulk_with_progress(&account, &request, &|_| {
            if let Ok(mut done) = done_at.lock() {
                done.push(started.elapsed());
            }
        })
        .await
        .expect("a valid request");
    let elapsed = started.elapsed();
    let done_at = done_at.into_inner().unwrap_or_default();
    let at = |share: f64| {
        done_at
            .get(((done_at.len() as f64 * share) as usize).saturating_sub(1))
            .map_or(0.0, Duration::as_secs_f64)
    };
    let timeline = format!(
        "25% {:.2} s, 50% {:.2} s, 90% {:.2} s, 99% {:.2} s",
        at(0.25),
        at(0.5),
        at(0.9),
        at(0.99)
    );

    let log = emulator.requests();
    let count_op = |op: Operation| log.iter().filter(|r| r.operation == Some(op)).count();
    let run = Run {
        elapsed,
        bought: report.bought,
        failed: report.failed,
        failed_429: report
            .outcomes
            .iter()
            .filter(|o| o.error().is_some_and(|e| e.code() == "rate_limited"))
            .count(),
        refused: log.iter().filter(|r| r.status == Some(429)).count(),
        searches: count_op(Operation::Search),
        fetches: count_op(Operation::List) + count_op(Operation::Fetch),
        final_concurrency: report.stats.final_concurrency,
        timeline,
    };
    emulator.shutdown().await.expect("stop the emulator");
    run
}

async fn scenario(name: &str, max_concurrency: u32) {
    let ideal = Duration::from_millis(COUNT as u64 * LATENCY_MS / CAP as u64);
    println!(
        "{name}: {COUNT} numbers, {LATENCY_MS} ms latency, cap {CAP}, client max {max_concurrency}, ideal {:.2} s",
        ideal.as_secs_f64()
    );
    let mut runs = Vec::new();
    for i in 1..=RUNS {
        let r = run(max_concurrency).await;
        println!(
            "  run {i}: {:.3} s, {:.3}x ideal, bought {}, failed {} ({} for 429), 429s seen {}, searches {}, ownership checks {}, final limit {}; done by {}",
            r.elapsed.as_secs_f64(),
            r.elapsed.as_secs_f64() / ideal.as_secs_f64(),
            r.bought,
            r.failed,
            r.failed_429,
            r.refused,
            r.searches,
            r.fetches,
            r.final_concurrency,
            r.timeline,
        );
        runs.push(r);
    }
    runs.sort_by_key(|r| r.elapsed);
    let median = &runs[runs.len() / 2];
    println!(
        "  median: {:.3} s, {:.3}x ideal, 429s seen {}, failed {}",
        median.elapsed.as_secs_f64(),
        median.elapsed.as_secs_f64() / ideal.as_secs_f64(),
        median.refused,
        median.failed
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter word picks one scenario.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    runtime.block_on(async {
        if wanted("known_cap") {
            scenario("known_cap", CAP).await;
        }
        if wanted("unknown_cap") {
            scenario("unknown_cap", 32).await;
        }
    });
}
