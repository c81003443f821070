//! Adapter overhead: one search through `TwilioProvider` against a local
//! server, next to a bare reqwest request of the same shape (same path,
//! query, Basic auth and Accept header) on the same server.
//!
//! The server is a minimal axum app answering every request with Twilio's
//! own Local search example grown to 30 numbers (the most a live search
//! returns), so both sides pay the same network and server cost and the
//! difference is what the adapter adds: validation, parameter mapping, the
//! retry wrapper, tolerant parsing and conversion to core types.
//!
//! Run: `cargo bench -p switchboard-twilio --bench adapter_overhead`

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use switchboard_core::{Capabilities, CountryCode, RetryPolicy, SearchQuery, TelephonyProvider};
use switchboard_twilio::{TwilioConfig, TwilioProvider};

const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const TOKEN: &str = "bench-token";

/// Twilio's Local search example with 30 numbers.
fn answer() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/carriers/twilio/api_v2010_phone_numbers.openapi.json");
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("spec")).unwrap();
    let mut body = spec["paths"]
        ["/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json"]["get"]
        ["responses"]["200"]["content"]["application/json"]["examples"]["readFull"]["value"]
        .clone();
    let entry = body["available_phone_numbers"][0].clone();
    let entries: Vec<Value> = (0..30)
        .map(|i| {
            let mut e = entry.clone();
            e["phone_number"] = json!(format!("+1808925{:04}", 1000 + i));
            e
        })
        .collect();
    body["available_phone_numbers"] = json!(entries);
    serde_json::to_vec(&body).unwrap()
}

/// Starts the server on its own thread and runtime; returns its address.
fn start_server(body: Vec<u8>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let body: &'static [u8] = Box::leak(body.into_boxed_slice());
            let app = Router::new().fallback(move || async move {
                ([(header::CONTENT_TYPE, "application/json")], body).into_response()
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn bench(c: &mut Criterion) {
    let addr = start_server(answer());
    let base = format!("http://{addr}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let config = TwilioConfig::with_auth_token(AC, TOKEN)
        .unwrap()
        .base_url(&base)
        .unwrap()
        .retry_policy(RetryPolicy::NONE);
    let provider = TwilioProvider::new(config).unwrap();
    let query = SearchQuery::new(CountryCode::US)
        .area_code("808")
        .capabilities(Capabilities {
            voice: true,
            ..Capabilities::default()
        })
        .limit(30);
    let found = rt.block_on(provider.search(&query)).unwrap();
    assert_eq!(found.len(), 30);

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let url = format!("{base}/2010-04-01/Accounts/{AC}/AvailablePhoneNumbers/US/Local.json");
    let params = [
        ("AreaCode", "808"),
        ("VoiceEnabled", "true"),
        ("PageSize", "30"),
    ];
    let bare = || async {
        client
            .get(&url)
            .query(&params)
            .basic_auth(AC, Some(TOKEN))
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
    };

    let mut group = c.benchmark_group("search_30_numbers");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("bare_reqwest_bytes", |b| b.to_async(&rt).iter(bare));
    group.bench_function("bare_reqwest_parse_json_value", |b| {
        b.to_async(&rt).iter(|| async {
            let body = bare().await;
            serde_json::from_slice::<Value>(&body).unwrap()
        })
    });
    group.bench_function("twilio_provider_search", |b| {
        b.to_async(&rt)
            .iter(|| async { provider.search(&query).await.unwrap() })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
