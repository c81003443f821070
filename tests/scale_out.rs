//! Scale-out: two `switchboard serve` processes on one PostgreSQL database,
//! buying from the carrier emulator, while 64 clients race for the same 200
//! numbers through both. Each number is bought exactly once, every client
//! gets a clear answer (200, or 409/422 with a JSON error), never a 5xx.

#![cfg(all(
    feature = "cli",
    feature = "server",
    feature = "twilio",
    feature = "emulator",
    feature = "postgres",
    feature = "fake"
))]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{CarrierLog, Server, TempDir, all_records, create_token, owned_at_carrier, states};
use switchboard::NumberState;
use switchboard_emulator::{
    DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, Emulator, Faults, Latency,
};

const CLIENTS: usize = 64;
const POOL: usize = 200;
/// Numbers each client tries, in its own order: 64 x 60 attempts, so every
/// number is contested by about nineteen clients.
const TRIES_PER_CLIENT: usize = 60;
const ACCOUNTS: [&str; 4] = ["north", "south", "east", "west"];
/// Put in the database URL to prove it never reaches a log line. The test
/// cluster trusts local connections, so any password is accepted.
const DATABASE_PASSWORD: &str = "scale-out-db-password-7f3a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_buy_each_number_once() {
    let Some(url) = common::postgres_url("the scale-out test") else {
        return;
    };
    let started = Instant::now();
    let schema = common::unique_schema("scale_out");
    // Creates the schema and its tables; the servers find them migrated.
    let repository = switchboard_sql::SqlRepository::connect_with(
        switchboard_sql::SqlOptions::new(&url).schema(&schema),
    )
    .await
    .expect("connect to PostgreSQL");

    let seed = 0x5CA1E;
    let emulator = Emulator::builder()
        .inventory(seed, POOL)
        .faults(Faults {
            // Slow enough that purchases of one number overlap.
            latency: Some(Latency {
                min_ms: 5,
                max_ms: 60,
            }),
            ..Faults::default()
        })
        .start()
        .await
        .expect("start the emulator");

    let dir = TempDir::new("scale-out");
    let database_url = common::with_search_path(
        &url.replacen(
            "postgres://postgres@",
            &format!("postgres://postgres:{DATABASE_PASSWORD}@"),
            1,
        ),
        &schema,
    );
    assert!(
        database_url.contains(DATABASE_PASSWORD),
        "{url} has no user postgres"
    );
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

    let tokens: Vec<String> = ACCOUNTS
        .iter()
        .map(|account| create_token(dir.path(), &config, account))
        .collect();
    let servers = [
        Server::start(dir.path(), &config),
        Server::start(dir.path(), &config),
    ];
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");

    // Search once; every client then draws from this pool.
    let search = client
        .get(servers[0].url("/functions/v1/search-phone-numbers?limit=30"))
        .bearer_auth(&tokens[0])
        .send()
        .await
        .expect("search");
    assert_eq!(search.status(), 200);
    let found: serde_json::Value = search.json().await.expect("search JSON");
    let found = found["data"].as_array().expect("search data").clone();
    assert!(!found.is_empty());
    let catalogue = switchboard::fake::Inventory::new(seed, POOL);
    let pool: Vec<String> = catalogue
        .iter()
        .map(|n| n.phone_number.as_str().to_string())
        .collect();
    assert_eq!(pool.len(), POOL);
    for offer in &found {
        let number = offer["phone_number"].as_str().expect("phone_number");
        assert!(
            pool.iter().any(|p| p == number),
            "{number} is not in the pool"
        );
    }
    let pool = Arc::new(pool);

    let addresses: Arc<Vec<String>> = Arc::new(
        servers
            .iter()
            .map(|s| s.url("/functions/v1/provision-phone-number"))
            .collect(),
    );
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let client = client.clone();
        let pool = pool.clone();
        let addresses = addresses.clone();
        let token = tokens[c % tokens.len()].clone();
        tasks.spawn(async move {
            let mut answers = Vec::with_capacity(TRIES_PER_CLIENT);
            // A stride coprime with the pool size gives each client its own
            // order through it.
            let stride = [7, 11, 13, 17, 19, 23, 29, 31][c % 8];
            for t in 0..TRIES_PER_CLIENT {
                let number = &pool[(c * 3 + t * stride) % POOL];
                // Alternate servers per request, so races cross processes.
                let address = &addresses[(c + t) % addresses.len()];
                let response = client
                    .post(address)
                    .bearer_auth(&token)
                    .json(&serde_json::json!({
                        "phone_number": number,
                        "friendly_name": format!("client {c}"),
                    }))
                    .send()
                    .await
                    .expect("provision request");
                let status = response.status().as_u16();
                let body = response.bytes().await.expect("body");
                answers.push((number.clone(), status, body.to_vec()));
            }
            answers
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        answers.extend(joined.expect("client task"));
    }
    let load_time = started.elapsed();

    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut bought: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for (number, status, body) in &answers {
        *by_status.entry(*status).or_insert(0) += 1;
        let json: Result<serde_json::Value, _> = serde_json::from_slice(body);
        match (status, json) {
            (200, Ok(json)) if json["phone_number"] == number.as_str() => {
                *bought.entry(number.clone()).or_insert(0) += 1;
            }
            (409 | 422, Ok(json)) if json["error"]["code"].is_string() => {
                let code = json["error"]["code"].as_str().unwrap_or_default();
                *codes.entry(format!("{status} {code}")).or_insert(0) += 1;
            }
            (status, _) => problems.push(format!(
                "{number}: {status} {}",
                String::from_utf8_lossy(body)
            )),
        }
    }

    let owned = owned_at_carrier(&emulator, "twilio");
    let log = CarrierLog::read(&emulator, "twilio");
    let records = all_records(&repository).await;
    let active: BTreeSet<String> = records
        .iter()
        .filter(|r| r.state == NumberState::Active)
        .map(|r| r.phone_number.as_str().to_string())
        .collect();
    println!(
        "scale-out: {CLIENTS} clients, 2 servers, {} requests in {:.1}s: by status {by_status:?}, \
         refusals {codes:?}; {} numbers bought, {} purchase commits at the carrier, \
         {} owned there; records {:?}; total {:.1}s",
        answers.len(),
        load_time.as_secs_f64(),
        bought.len(),
        log.purchase_commits,
        owned.len(),
        states(&records),
        started.elapsed().as_secs_f64(),
    );

    assert!(
        problems.is_empty(),
        "unclear or failed answers:\n{}",
        problems.join("\n")
    );
    let twice: Vec<_> = bought.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "numbers sold to two clients: {twice:?}");
    assert_eq!(
        log.purchase_commits,
        bought.len(),
        "purchases the carrier committed vs 200 answers"
    );
    let owned_numbers: BTreeSet<String> = owned.keys().cloned().collect();
    let bought_numbers: BTreeSet<String> = bought.keys().cloned().collect();
    assert_eq!(
        owned_numbers, bought_numbers,
        "owned at the carrier vs sold"
    );
    assert_eq!(active, bought_numbers, "active records vs sold");
    for record in records.iter().filter(|r| r.state == NumberState::Active) {
        assert_eq!(
            owned.get(record.phone_number.as_str()),
            record.carrier_id.as_ref(),
            "carrier id of {}",
            record.phone_number
        );
    }
    assert!(
        records.iter().all(|r| r.state != NumberState::Reserved),
        "reservations left: {:?}",
        states(&records)
    );
    // Contested for real: most of the pool was sold, most tries refused.
    assert!(bought.len() >= POOL * 9 / 10, "only {} sold", bought.len());
    assert!(by_status.get(&409).copied().unwrap_or(0) >= answers.len() / 2);

    // Neither server logged a secret.
    for server in &servers {
        let log = server.log_text();
        for secret in tokens
            .iter()
            .map(String::as_str)
            .chain([DATABASE_PASSWORD, DEFAULT_TWILIO_AUTH_TOKEN])
        {
            assert!(
                !log.contains(secret),
                "a secret reached the server log:\n{log}"
            );
        }
    }
}
