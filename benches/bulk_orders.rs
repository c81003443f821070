//! Bulk provisioning of 200 numbers on Telnyx, whose purchases are orders,
//! against the carrier emulator: 100 ms added to every request, 429 beyond
//! 10 requests in flight, and every order completing 2 s after it is placed.
//!
//! The ideal is the purchases alone at the cap, 200 x 0.1 s / 10 = 2 s, plus
//! the wait for the last order placed, 2 s: 4 s. Bulk waits for the open
//! orders together at the end (up to the service's `order_wait`), so the
//! orders' delay is paid once, not per number. Target: at most 1.15x.
//!
//! `cargo bench --bench bulk_orders --features telnyx,emulator`

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard::{
    AccountId, BulkProvisionRequest, InMemoryRepository, ProviderRegistry, ProvisioningService,
    SearchQuery,
};
use switchboard_emulator::{DEFAULT_TELNYX_API_KEY, Emulator, Faults, Latency};
use switchboard_telnyx::{TelnyxConfig, TelnyxProvider};

const COUNT: u32 = 200;
const LATENCY_MS: u64 = 100;
const CAP: u32 = 10;
const ORDER_MS: u64 = 2000;
const RUNS: usize = 3;

async fn run() -> (Duration, u32, u32, u32) {
    let emulator = Emulator::builder()
        .faults(Faults {
            latency: Some(Latency {
                min_ms: LATENCY_MS,
                max_ms: LATENCY_MS,
            }),
            max_in_flight: Some(CAP),
            ..Faults::default()
        })
        .telnyx_order_delay(Duration::from_millis(ORDER_MS))
        .start()
        .await
        .expect("start the emulator");
    let telnyx = TelnyxProvider::new(
        TelnyxConfig::new(DEFAULT_TELNYX_API_KEY.to_string())
            .and_then(|c| c.base_url(&emulator.telnyx_base_url()))
            .expect("Telnyx configuration"),
    )
    .expect("Telnyx provider");
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(telnyx)),
        Arc::new(InMemoryRepository::new()),
    );
    let account = AccountId::parse("bench").expect("account");
    let request = BulkProvisionRequest::new(COUNT, SearchQuery::default())
        .idempotency_key_prefix("bench")
        .max_concurrency(CAP);
    let started = Instant::now();
    let report = service
        .provision_bulk(&account, &request)
        .await
        .expect("a valid request");
    let elapsed = started.elapsed();
    emulator.shutdown().await.expect("stop the emulator");
    (elapsed, report.bought, report.pending, report.failed)
}

#[tokio::main]
async fn main() {
    let ideal = Duration::from_millis(COUNT as u64 * LATENCY_MS / CAP as u64 + ORDER_MS);
    println!(
        "{COUNT} numbers on Telnyx, {LATENCY_MS} ms latency, cap {CAP}, orders complete after \
         {ORDER_MS} ms; ideal {:.2} s",
        ideal.as_secs_f64()
    );
    let mut times = Vec::new();
    for i in 1..=RUNS {
        let (elapsed, bought, pending, failed) = run().await;
        println!(
            "  run {i}: {:.3} s, {:.3}x ideal, bought {bought}, still pending {pending}, failed {failed}",
            elapsed.as_secs_f64(),
            elapsed.as_secs_f64() / ideal.as_secs_f64()
        );
        times.push(elapsed);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "median {:.3} s, {:.3}x ideal (target <= 1.15)",
        median.as_secs_f64(),
        median.as_secs_f64() / ideal.as_secs_f64()
    );
}
