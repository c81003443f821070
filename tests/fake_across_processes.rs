//! Two `switchboard serve` processes on one SQLite file with the fake
//! carrier behave as two clients of one carrier: a number bought through one
//! is sold out through the other, a rename and a release through the other
//! land on that number (not on another account's number that a second,
//! private fake would have given the same carrier id), neither process's
//! background reconcile releases the other's purchases, and a third process
//! (`switchboard reconcile`) finds no drift.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{Server, TempDir, all_records, create_token, run_ok};
use serde_json::{Value, json};
use switchboard::NumberState;

struct Client<'a> {
    http: reqwest::Client,
    server: &'a Server,
    token: String,
}

impl Client<'_> {
    async fn call(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.server.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON answer"))
    }

    async fn search(&self) -> Vec<String> {
        let (status, found) = self
            .call(
                "/functions/v1/search-phone-numbers",
                json!({"area_code": "415", "limit": 20}),
            )
            .await;
        assert_eq!(status, 200, "{found}");
        found["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|o| o["phone_number"].as_str().expect("number").to_string())
            .collect()
    }

    async fn provision(&self, number: &str) -> String {
        let (status, bought) = self
            .call(
                "/functions/v1/provision-phone-number",
                json!({"phone_number": number}),
            )
            .await;
        assert_eq!(status, 200, "{bought}");
        bought["id"].as_str().expect("id").to_string()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_serve_processes_on_one_sqlite_file_sell_from_one_fake_carrier() {
    let dir = TempDir::new("fake-across-processes");
    let database = dir.path().join("numbers.db");
    let config = dir.path().join("switchboard.toml");
    std::fs::write(
        &config,
        format!(
            "default_provider = \"fake\"\n\
             database_url = \"sqlite://{}\"\n\
             reconcile_interval_seconds = 1\n\
             [providers.fake]\n\
             inventory_size = 5000\n",
            database.display()
        ),
    )
    .expect("write config");
    let acme = create_token(dir.path(), &config, "acme");
    let globex = create_token(dir.path(), &config, "globex");
    let a = Server::start(dir.path(), &config);
    let b = Server::start(dir.path(), &config);
    let client = |server, token: &str| Client {
        http: reqwest::Client::new(),
        server,
        token: token.to_string(),
    };
    let (acme_a, acme_b, globex_b) = (client(&a, &acme), client(&b, &acme), client(&b, &globex));

    // acme buys through A, globex through B: two processes' first sales.
    let offers = acme_a.search().await;
    let acme_number = offers[0].clone();
    let acme_id = acme_a.provision(&acme_number).await;
    let seen_by_b = globex_b.search().await;
    assert!(
        !seen_by_b.contains(&acme_number),
        "B offers a number A sold"
    );
    let (status, refused) = globex_b
        .call(
            "/functions/v1/provision-phone-number",
            json!({"phone_number": acme_number}),
        )
        .await;
    assert!(status >= 400, "B sold {acme_number} again: {refused}");
    let globex_number = seen_by_b[0].clone();
    let globex_id = globex_b.provision(&globex_number).await;

    // Carrier ids are unique across the processes.
    let (repository, _) = switchboard::open_store(&format!("sqlite://{}", database.display()))
        .await
        .expect("open the store");
    let records = all_records(repository.as_ref()).await;
    let ids: HashSet<_> = records
        .iter()
        .filter_map(|r| r.carrier_id.clone())
        .collect();
    assert_eq!(ids.len(), 2, "{records:?}");

    // acme renames and releases its number through B.
    let (status, renamed) = acme_b
        .call(
            "/functions/v1/update-phone-number",
            json!({"id": acme_id, "friendly_name": "front desk"}),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["friendly_name"], "front desk");
    assert_eq!(renamed["phone_number"], acme_number.as_str());
    let (status, released) = acme_b
        .call("/functions/v1/release-phone-number", json!({"id": acme_id}))
        .await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(released["status"], "released");

    // The release gave back acme's number, not globex's: acme's is for sale
    // again through A, globex's is still sold.
    let after = acme_a.search().await;
    assert!(after.contains(&acme_number), "{after:?}");
    assert!(!after.contains(&globex_number), "{after:?}");

    // Both servers reconcile every second; give each a few passes. Neither
    // may find globex's purchase missing at the carrier.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let (status, got) = globex_b
        .call("/functions/v1/get-phone-number", json!({"id": globex_id}))
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["is_active"], true, "{got}");
    let records = all_records(repository.as_ref()).await;
    let state = |number: &str| {
        records
            .iter()
            .find(|r| r.phone_number.as_str() == number && r.state.is_live())
            .map(|r| r.state)
    };
    assert_eq!(state(&globex_number), Some(NumberState::Active));
    assert_eq!(state(&acme_number), None);

    // A third process sees the same carrier: no drift.
    let out = run_ok(dir.path(), &config, &["--json", "reconcile"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    assert_eq!(report["drift"], json!([]), "{report}");
    assert_eq!(report["records_checked"], 1, "{report}");
    assert_eq!(report["carrier_numbers"], 1, "{report}");
    for server in [&a, &b] {
        let log = server.log_text();
        assert!(
            !log.contains("drift") && !log.contains("reconcile failed"),
            "a server's background reconcile found drift:\n{log}"
        );
    }
}
