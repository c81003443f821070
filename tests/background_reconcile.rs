//! `serve` reconciles in the background: a release the carrier refused for
//! now (SignalWire's cooldown) completes on its own once the carrier allows
//! it, with nobody running `switchboard reconcile`.

mod common;

use std::time::{Duration, Instant};

use common::{Server, TempDir, create_token};
use switchboard_emulator::{
    DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_TOKEN, Emulator, Mode,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_release_refused_for_a_cooldown_completes_in_the_background() {
    let emulator = Emulator::builder()
        .mode(Mode::Live)
        .release_cooldown(Some(Duration::from_secs(2)))
        .start()
        .await
        .expect("emulator");
    let dir = TempDir::new("background-reconcile");
    let config = dir.path().join("switchboard.toml");
    std::fs::write(
        &config,
        format!(
            "default_provider = \"signalwire\"\n\
             database_url = \"sqlite://{}\"\n\
             reconcile_interval_seconds = 1\n\
             [providers.signalwire]\n\
             space_url = \"{}\"\n\
             project_id = \"{DEFAULT_SIGNALWIRE_PROJECT_ID}\"\n\
             api_token = \"{DEFAULT_SIGNALWIRE_TOKEN}\"\n",
            dir.path().join("numbers.db").display(),
            emulator.base_url(),
        ),
    )
    .expect("write config");
    let token = create_token(dir.path(), &config, "acme");
    let server = Server::start(dir.path(), &config);
    let client = reqwest::Client::new();
    let call = |path: &str, body: serde_json::Value| {
        client
            .post(server.url(path))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };

    let offer: serde_json::Value = call(
        "/functions/v1/search-phone-numbers",
        serde_json::json!({"area_code": "415", "limit": 1}),
    )
    .await
    .expect("search")
    .json()
    .await
    .expect("JSON");
    let phone = offer["data"][0]["phone_number"]
        .as_str()
        .expect("number")
        .to_string();
    let bought: serde_json::Value = call(
        "/functions/v1/provision-phone-number",
        serde_json::json!({"phone_number": phone}),
    )
    .await
    .expect("provision")
    .json()
    .await
    .expect("JSON");
    let id = bought["id"].as_str().expect("id").to_string();

    let release = call(
        "/functions/v1/release-phone-number",
        serde_json::json!({"id": id}),
    )
    .await
    .expect("release");
    assert_eq!(
        release.status(),
        202,
        "the cooldown keeps the release pending"
    );

    // Nobody calls reconcile: the server's own pass must finish it.
    let started = Instant::now();
    loop {
        let owned: usize = emulator
            .handle()
            .owned_numbers()
            .iter()
            .map(|a| a.numbers.len())
            .sum();
        let listed: serde_json::Value = call(
            "/functions/v1/list-phone-numbers",
            serde_json::json!({"include_released": true}),
        )
        .await
        .expect("list")
        .json()
        .await
        .expect("JSON");
        let released = listed["data"]
            .as_array()
            .expect("data")
            .iter()
            .any(|n| n["id"] == id.as_str() && n["is_active"] == false)
            && owned == 0;
        if released {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the pending release was not completed in the background; log:\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
