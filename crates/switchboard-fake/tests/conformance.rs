//! The fake passes the scenarios every carrier must pass.

use chrono::TimeZone;
use switchboard_core::conformance::{run_adoption_suite, run_provider_suite};
use switchboard_core::{ManualClock, TelephonyProvider};
use switchboard_fake::FakeProvider;

#[tokio::test]
async fn the_default_fake_passes_the_provider_suite() {
    let fake = FakeProvider::new();
    run_provider_suite(&fake).await;
    run_adoption_suite(std::sync::Arc::new(fake.clone())).await;
    // Everything the suites bought they gave back.
    assert!(fake.owned_numbers().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_small_renamed_fake_with_a_manual_clock_passes_too() {
    let clock = ManualClock::new(
        chrono::Utc
            .with_ymd_and_hms(2024, 1, 15, 10, 30, 0)
            .unwrap(),
    );
    let fake = FakeProvider::builder()
        .name("fake-b")
        .seed(99)
        .inventory_size(500)
        .clock(std::sync::Arc::new(clock))
        .build();
    assert_eq!(fake.name(), "fake-b");
    run_provider_suite(&fake).await;
    assert!(fake.owned_numbers().await.unwrap().is_empty());
}
