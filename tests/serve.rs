//! The README's run command, end to end: `switchboard serve` on the embedded
//! defaults in an empty folder, the seed's request against it, the CLI
//! sharing its SQLite file, and a graceful stop on SIGTERM.

#![cfg(all(
    feature = "cli",
    feature = "server",
    feature = "fake",
    feature = "sqlite"
))]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

struct Server {
    child: Child,
    addr: String,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A command run in `dir` with none of the caller's Switchboard settings.
fn switchboard(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("SWITCHBOARD_")
            || name.starts_with("TWILIO_")
            || name.starts_with("SIGNALWIRE_")
            || name.starts_with("TELNYX_")
        {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", "warn");
    command
}

fn start(dir: &Path) -> Server {
    start_with(switchboard(dir))
}

fn start_with(mut command: Command) -> Server {
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start switchboard serve");
    let stdout = child.stdout.take().expect("stdout");
    // Held from here on, so that a failure below still stops the server.
    let mut server = Server {
        child,
        addr: String::new(),
        token: String::new(),
    };
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let banner: serde_json::Value = serde_json::from_str(&line).expect("JSON banner");
    server.addr = banner["listen"].as_str().expect("listen").to_string();
    // Only the fake's development setup prints a token.
    server.token = banner["dev_token"].as_str().unwrap_or_default().to_string();
    server
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("switchboard-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_request_works_against_serve_on_its_defaults() {
    let dir = temp_dir("serve");
    let server = start(&dir);
    assert!(
        dir.join("switchboard.db").exists(),
        "the default SQLite file"
    );

    // The seed's curl, verbatim but for the host and token.
    let client = reqwest::Client::new();
    let response = client
        .post(format!(
            "http://{}/functions/v1/provision-phone-number",
            server.addr
        ))
        .header("Authorization", format!("Bearer {}", server.token))
        .header("Content-Type", "application/json")
        .body(
            r#"{
    "phone_number": "+16045551234",
    "friendly_name": "Main Line",
    "agent_id": "550e8400-e29b-41d4-a716-446655440000"
  }"#,
        )
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["phone_number"], "+16045551234");
    assert_eq!(body["friendly_name"], "Main Line");
    assert_eq!(body["agent_id"], "550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(
        body["capabilities"],
        serde_json::json!({"voice": true, "sms": true, "mms": true})
    );
    assert_eq!(body["is_active"], true);
    assert_eq!(body["provider"], "fake");
    let keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "agent_id",
            "capabilities",
            "created_at",
            "friendly_name",
            "id",
            "is_active",
            "phone_number",
            "provider",
            "state"
        ]
    );
    let created_at = body["created_at"].as_str().expect("created_at");
    assert!(
        chrono::NaiveDateTime::parse_from_str(created_at, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
        "{created_at}"
    );

    // Without the token: 401 as JSON.
    let denied = client
        .post(format!(
            "http://{}/functions/v1/provision-phone-number",
            server.addr
        ))
        .json(&serde_json::json!({"phone_number": "+16045551234"}))
        .send()
        .await
        .expect("request");
    assert_eq!(denied.status(), 401);

    // The CLI in the same folder sees the same numbers (one SQLite file).
    let listed = switchboard(&dir)
        .args(["numbers", "list", "--account", "dev", "--json"])
        .output()
        .expect("numbers list");
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let listing: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    assert_eq!(listing["data"][0]["phone_number"], "+16045551234");

    // SIGTERM: a graceful stop with exit status 0.
    let mut server = server;
    let pid = server.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            waited < Duration::from_secs(20),
            "serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
        waited += Duration::from_millis(50);
    };
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tokens_created_by_the_cli_are_listed_never_shown_again_and_revocable() {
    let dir = temp_dir("tokens");
    let created = switchboard(&dir)
        .args([
            "token",
            "create",
            "--account",
            "acme",
            "--label",
            "ci",
            "--json",
        ])
        .output()
        .expect("token create");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let token: serde_json::Value = serde_json::from_slice(&created.stdout).expect("JSON");
    let secret = token["token"].as_str().expect("token");
    let id = token["id"].as_str().expect("id");

    let listed = switchboard(&dir)
        .args(["token", "list", "--json"])
        .output()
        .expect("list");
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains(id), "{text}");
    assert!(
        !text.contains(secret),
        "the token itself must never be listed"
    );

    let revoked = switchboard(&dir)
        .args(["token", "revoke", id])
        .output()
        .expect("revoke");
    assert!(revoked.status.success());
    let listed = switchboard(&dir)
        .args(["token", "list", "--json"])
        .output()
        .expect("list");
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    assert!(rows[0]["revoked_at"].is_string(), "{rows}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_cli_input_names_what_was_wrong() {
    let dir = temp_dir("badinput");
    let cases: [(&[&str], &str); 4] = [
        (
            &["numbers", "provision", "604-555-1234"],
            "invalid phone_number",
        ),
        (&["numbers", "show", "not-a-uuid"], "invalid id"),
        (&["numbers", "list", "--account", "a b"], "invalid account"),
        (
            &["numbers", "search", "--type", "satellite"],
            "invalid type",
        ),
    ];
    for (args, expected) in cases {
        let out = switchboard(&dir).args(args).output().expect("run");
        assert!(!out.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let config = dir.join("bad.toml");
    std::fs::write(&config, "databse_url = \"sqlite://x.db\"\n").expect("write");
    let out = switchboard(&dir)
        .args([
            "--config",
            config.to_str().expect("utf-8"),
            "numbers",
            "list",
        ])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("databse_url"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn output_to_a_reader_that_went_away_is_not_a_panic() {
    let dir = temp_dir("closedpipe");
    for args in [
        &["token", "list"][..],
        &["token", "create", "--account", "acme"][..],
        &["numbers", "list", "--account", "acme"][..],
    ] {
        let mut child = switchboard(&dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run switchboard");
        // The reader goes away before the command has written anything, as
        // `| head -0` would: every write the command makes meets a closed
        // pipe.
        drop(child.stdout.take());
        let finished = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&finished.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(finished.status.success(), "{args:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A carrier that sells through orders (the fake configured as one), end to
/// end: the seed's request is answered 202 with the number pending, and the
/// background settler makes it active once the order completes, with no
/// request asking.
#[tokio::test(flavor = "multi_thread")]
async fn a_pending_order_becomes_active_through_the_background_settler() {
    let dir = temp_dir("serve-orders");
    let config = dir.join("switchboard.toml");
    std::fs::write(
        &config,
        "order_wait_seconds = 0\nsettle_interval_seconds = 1\n[providers.fake]\norder_seconds = 1\n",
    )
    .expect("config");
    let mut command = switchboard(&dir);
    command.env("SWITCHBOARD_CONFIG", &config);
    let server = start_with(command);
    let client = reqwest::Client::new();
    let response = client
        .post(format!(
            "http://{}/functions/v1/provision-phone-number",
            server.addr
        ))
        .bearer_auth(&server.token)
        .json(&serde_json::json!({"phone_number": "+16045551234", "friendly_name": "Main Line"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 202);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["state"], "pending");
    assert_eq!(body["is_active"], false);
    assert_eq!(body["provider"], "fake");
    let id = body["id"].as_str().expect("id").to_string();
    let mut waited = Duration::ZERO;
    loop {
        let got: serde_json::Value = client
            .get(format!(
                "http://{}/functions/v1/get-phone-number?id={id}",
                server.addr
            ))
            .bearer_auth(&server.token)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON");
        if got["state"] == "active" {
            assert_eq!(got["is_active"], true);
            break;
        }
        assert_eq!(got["state"], "pending", "{got}");
        assert!(
            waited < Duration::from_secs(60),
            "still pending after a minute"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += Duration::from_millis(100);
    }
}

/// Telnyx end to end, through `switchboard serve` with `provider =
/// "telnyx"` against the emulator's Telnyx protocol: the seed's request
/// (for a number the search offered) is answered 202 with `"provider":
/// "telnyx"` and the number pending, and it turns active once the order
/// completes, settled by the background settler with no request asking.
#[cfg(all(feature = "telnyx", feature = "emulator"))]
#[tokio::test(flavor = "multi_thread")]
async fn telnyx_through_serve_answers_pending_then_active() {
    let emulator = switchboard_emulator::Emulator::builder()
        .telnyx_order_delay(Duration::from_millis(1500))
        .start()
        .await
        .expect("start the emulator");
    let dir = temp_dir("serve-telnyx");
    let config = dir.join("switchboard.toml");
    std::fs::write(
        &config,
        format!(
            "default_provider = \"telnyx\"\norder_wait_seconds = 0\nsettle_interval_seconds = 1\n\
             [providers.telnyx]\napi_key = \"{}\"\nbase_url = \"{}\"\n",
            switchboard_emulator::DEFAULT_TELNYX_API_KEY,
            emulator.telnyx_base_url()
        ),
    )
    .expect("config");
    // A real carrier gets no development token: one is made as a user would.
    let made = switchboard(&dir)
        .env("SWITCHBOARD_CONFIG", &config)
        .args(["--json", "token", "create", "--account", "dev"])
        .output()
        .expect("token create");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let made: serde_json::Value = serde_json::from_slice(&made.stdout).expect("JSON token");
    let mut command = switchboard(&dir);
    command.env("SWITCHBOARD_CONFIG", &config);
    let mut server = start_with(command);
    assert!(server.token.is_empty(), "no development token for Telnyx");
    server.token = made["token"].as_str().expect("token").to_string();
    let client = reqwest::Client::new();
    let api = |route: &str| format!("http://{}/functions/v1/{route}", server.addr);
    let found: serde_json::Value = client
        .get(api("search-phone-numbers?limit=1"))
        .bearer_auth(&server.token)
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("JSON");
    let number = found["data"][0]["phone_number"]
        .as_str()
        .unwrap_or_else(|| panic!("no number offered: {found}"))
        .to_string();
    assert_eq!(found["data"][0]["provider"], "telnyx");
    let response = client
        .post(api("provision-phone-number"))
        .bearer_auth(&server.token)
        .json(&serde_json::json!({"phone_number": number, "friendly_name": "Main Line"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 202);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["provider"], "telnyx", "{body}");
    assert_eq!(body["state"], "pending", "{body}");
    assert_eq!(body["is_active"], false, "{body}");
    let id = body["id"].as_str().expect("id").to_string();
    let mut waited = Duration::ZERO;
    loop {
        let got: serde_json::Value = client
            .get(api(&format!("get-phone-number?id={id}")))
            .bearer_auth(&server.token)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON");
        if got["state"] == "active" {
            assert_eq!(got["is_active"], true, "{got}");
            assert_eq!(got["provider"], "telnyx", "{got}");
            break;
        }
        assert_eq!(got["state"], "pending", "{got}");
        assert!(
            waited < Duration::from_secs(60),
            "still pending after a minute"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += Duration::from_millis(100);
    }
    // The emulator holds it as an active number of the account.
    let orders = emulator.telnyx_orders();
    assert!(
        orders.iter().any(|o| format!("{o:?}").contains(&number)),
        "{orders:?}"
    );
}
