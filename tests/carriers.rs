//! Both carrier adapters, talking real HTTP to the carrier emulator in live
//! mode (the services' reported behaviour) and strict mode (exactly their
//! OpenAPI documents), pass the same provider conformance suite as the fake;
//! and the provisioning service keeps its promises over them.

#![cfg(all(feature = "twilio", feature = "signalwire", feature = "emulator"))]

use std::sync::Arc;

use switchboard::conformance::{run_adoption_suite, run_provider_suite};
use switchboard_emulator::{
    DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_TOKEN, DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_API_KEY_SECRET, DEFAULT_TWILIO_API_KEY_SID, DEFAULT_TWILIO_AUTH_TOKEN, Emulator,
    Mode, RunningEmulator,
};
use switchboard_signalwire::{SignalWireConfig, SignalWireProvider};
use switchboard_twilio::{TwilioConfig, TwilioProvider};

async fn emulator(mode: Mode) -> RunningEmulator {
    Emulator::builder()
        .mode(mode)
        .start()
        .await
        .expect("start the emulator")
}

fn twilio(emulator: &RunningEmulator) -> TwilioProvider {
    let config =
        TwilioConfig::with_auth_token(DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN)
            .and_then(|c| c.base_url(&emulator.base_url()))
            .expect("Twilio configuration");
    TwilioProvider::new(config).expect("Twilio provider")
}

fn signalwire(emulator: &RunningEmulator) -> SignalWireProvider {
    let config = SignalWireConfig::new(
        &emulator.base_url(),
        DEFAULT_SIGNALWIRE_PROJECT_ID,
        DEFAULT_SIGNALWIRE_TOKEN.to_string(),
    )
    .expect("SignalWire configuration");
    SignalWireProvider::new(config).expect("SignalWire provider")
}

#[tokio::test]
async fn twilio_passes_the_provider_suite_against_live_behaviour() {
    let emulator = emulator(Mode::Live).await;
    run_provider_suite(&twilio(&emulator)).await;
    run_adoption_suite(Arc::new(twilio(&emulator))).await;
}

#[tokio::test]
async fn twilio_passes_the_provider_suite_against_the_strict_description() {
    let emulator = emulator(Mode::Strict).await;
    run_provider_suite(&twilio(&emulator)).await;
    run_adoption_suite(Arc::new(twilio(&emulator))).await;
}

#[tokio::test]
async fn twilio_with_an_api_key_passes_the_provider_suite() {
    let emulator = emulator(Mode::Live).await;
    let config = TwilioConfig::with_api_key(
        DEFAULT_TWILIO_ACCOUNT_SID,
        DEFAULT_TWILIO_API_KEY_SID,
        DEFAULT_TWILIO_API_KEY_SECRET,
    )
    .and_then(|c| c.base_url(&emulator.base_url()))
    .expect("Twilio configuration");
    run_provider_suite(&TwilioProvider::new(config).expect("provider")).await;
}

#[tokio::test]
async fn signalwire_passes_the_provider_suite_against_live_behaviour() {
    let emulator = emulator(Mode::Live).await;
    run_provider_suite(&signalwire(&emulator)).await;
    run_adoption_suite(Arc::new(signalwire(&emulator))).await;
}

#[tokio::test]
async fn signalwire_passes_the_provider_suite_against_the_strict_description() {
    let emulator = emulator(Mode::Strict).await;
    run_provider_suite(&signalwire(&emulator)).await;
    run_adoption_suite(Arc::new(signalwire(&emulator))).await;
}

/// Both carriers in one registry: a number bought from one is released at
/// that one after the default changes, and the emulator agrees with the
/// repository afterwards.
#[tokio::test]
async fn switching_the_default_carrier_never_orphans_a_number() {
    use switchboard::{
        AccountId, CountryCode, InMemoryRepository, NumberState, ProviderRegistry,
        ProvisionRequest, ProvisioningService, SearchQuery, TelephonyProvider,
    };
    let emulator = emulator(Mode::Live).await;
    let twilio: Arc<dyn TelephonyProvider> = Arc::new(twilio(&emulator));
    let signalwire: Arc<dyn TelephonyProvider> = Arc::new(signalwire(&emulator));
    let repository = Arc::new(InMemoryRepository::new());
    let account = AccountId::parse("acme").expect("account");

    let on_twilio = ProvisioningService::new(
        ProviderRegistry::new(twilio.clone())
            .with(signalwire.clone())
            .with_default("twilio")
            .expect("registry"),
        repository.clone(),
    );
    let offer = on_twilio
        .search(&SearchQuery::new(CountryCode::US).limit(1), None)
        .await
        .expect("search")
        .remove(0);
    let bought = on_twilio
        .provision(&account, &ProvisionRequest::new(offer.phone_number.clone()))
        .await
        .expect("provision");
    assert_eq!(bought.provider, "twilio");

    let on_signalwire = ProvisioningService::new(
        ProviderRegistry::new(twilio)
            .with(signalwire)
            .with_default("signalwire")
            .expect("registry"),
        repository,
    );
    emulator.handle().clear_requests();
    let released = on_signalwire
        .release(&account, bought.id)
        .await
        .expect("release");
    assert_eq!(released.state, NumberState::Released);
    let paths: Vec<String> = emulator
        .handle()
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert!(
        paths[0].starts_with("/2010-04-01/"),
        "released elsewhere: {paths:?}"
    );
    let owned: usize = emulator
        .handle()
        .owned_numbers()
        .iter()
        .map(|a| a.numbers.len())
        .sum();
    assert_eq!(owned, 0);
}
