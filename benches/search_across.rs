//! A search across two carriers against the carrier emulator: Twilio with
//! 150 ms added to every request, SignalWire with 300 ms (two emulators, so
//! each carrier has its own latency). The carriers are asked concurrently,
//! so the search across both should take about as long as the slower
//! carrier alone; the target is at most 1.1x, measured in the same run.
//!
//! `cargo bench --bench search_across --features twilio,signalwire,emulator`

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard::{InMemoryRepository, ProviderRegistry, ProvisioningService, SearchQuery};
use switchboard_emulator::{
    DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_TOKEN, DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_AUTH_TOKEN, Emulator, Faults, Latency, RunningEmulator,
};
use switchboard_signalwire::{SignalWireConfig, SignalWireProvider};
use switchboard_twilio::{TwilioConfig, TwilioProvider};

const TWILIO_MS: u64 = 150;
const SIGNALWIRE_MS: u64 = 300;
const ROUNDS: usize = 20;

async fn emulator_with_latency(ms: u64) -> RunningEmulator {
    Emulator::builder()
        .faults(Faults {
            latency: Some(Latency {
                min_ms: ms,
                max_ms: ms,
            }),
            ..Faults::default()
        })
        .start()
        .await
        .expect("start the emulator")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let twilio_emulator = emulator_with_latency(TWILIO_MS).await;
    let signalwire_emulator = emulator_with_latency(SIGNALWIRE_MS).await;
    let twilio = TwilioProvider::new(
        TwilioConfig::with_auth_token(DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN)
            .and_then(|c| c.base_url(&twilio_emulator.base_url()))
            .expect("Twilio configuration"),
    )
    .expect("Twilio provider");
    let signalwire = SignalWireProvider::new(
        SignalWireConfig::new(
            &signalwire_emulator.base_url(),
            DEFAULT_SIGNALWIRE_PROJECT_ID,
            DEFAULT_SIGNALWIRE_TOKEN.to_string(),
        )
        .expect("SignalWire configuration"),
    )
    .expect("SignalWire provider");
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(twilio)).with(Arc::new(signalwire)),
        Arc::new(InMemoryRepository::new()),
    );
    let query = SearchQuery::default().limit(10);
    let both = ["twilio".to_string(), "signalwire".to_string()];
    // Warm the connections, then alternate the two measurements so that
    // drift on the machine falls on both alike.
    service.search(&query, Some("signalwire")).await.unwrap();
    service.search_across(&query, &both).await.unwrap();
    let (mut alone, mut across) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let found = service.search(&query, Some("signalwire")).await.unwrap();
        alone.push(started.elapsed());
        assert!(!found.is_empty());
        let started = Instant::now();
        let merged = service.search_across(&query, &both).await.unwrap();
        across.push(started.elapsed());
        assert!(merged.failed.is_empty() && merged.skipped.is_empty());
        assert!(merged.found.iter().any(|n| n.provider == "twilio"));
        assert!(merged.found.iter().any(|n| n.provider == "signalwire"));
    }
    let (alone, across) = (median(alone), median(across));
    println!(
        "search, median of {ROUNDS}: SignalWire alone ({SIGNALWIRE_MS} ms) {:.1} ms; \
         Twilio ({TWILIO_MS} ms) + SignalWire across both {:.1} ms; ratio {:.3} (target <= 1.10)",
        alone.as_secs_f64() * 1e3,
        across.as_secs_f64() * 1e3,
        across.as_secs_f64() / alone.as_secs_f64()
    );
}
