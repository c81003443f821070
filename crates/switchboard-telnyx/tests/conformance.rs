//! The provider conformance suite against the emulator's Telnyx protocol,
//! in live mode (the service's reported behaviour) and strict mode
//! (exactly its OpenAPI description): orders answer `pending` and settle
//! after the emulator's delay, which the suite waits out through
//! `order_status`.

use std::sync::Arc;

use switchboard_core::conformance::{run_adoption_suite, run_provider_suite};
use switchboard_emulator::{DEFAULT_TELNYX_API_KEY, Emulator, Mode, RunningEmulator};
use switchboard_telnyx::{TelnyxConfig, TelnyxProvider};

/// The webhook URL the suite routes calls to, and the connection that
/// delivers to it in this configuration.
const SUITE_VOICE_URL: &str = "https://agent.example.com/voice";
const SUITE_CONNECTION: &str = "1494404757140276705";

async fn emulator(mode: Mode) -> RunningEmulator {
    Emulator::builder()
        .mode(mode)
        .start()
        .await
        .expect("start the emulator")
}

fn telnyx(emulator: &RunningEmulator) -> TelnyxProvider {
    let config = TelnyxConfig::new(DEFAULT_TELNYX_API_KEY.to_string())
        .and_then(|c| c.base_url(&emulator.telnyx_base_url()))
        .and_then(|c| c.voice_route(SUITE_VOICE_URL, SUITE_CONNECTION))
        .expect("Telnyx configuration");
    TelnyxProvider::new(config).expect("Telnyx provider")
}

#[tokio::test]
async fn telnyx_passes_the_provider_suite_against_live_behaviour() {
    let emulator = emulator(Mode::Live).await;
    run_provider_suite(&telnyx(&emulator)).await;
    run_adoption_suite(Arc::new(telnyx(&emulator))).await;
}

#[tokio::test]
async fn telnyx_passes_the_provider_suite_against_the_strict_description() {
    let emulator = emulator(Mode::Strict).await;
    run_provider_suite(&telnyx(&emulator)).await;
    run_adoption_suite(Arc::new(telnyx(&emulator))).await;
}
