//! What the adapter adds to a search: `TelnyxProvider::search` against a
//! local server, next to a bare reqwest GET of the same URL, query and
//! Authorization header whose body is read as the adapter reads it. Both
//! talk to the same server over loopback with connection reuse, so the
//! ratio of the two is the adapter's overhead (query validation and
//! building, lenient decoding, the checks of each result against the
//! query, mapping to core types, the retry wrapper).
//!
//! The machine is shared and its load drifts, so after criterion's
//! separate timings the binary also runs the variants interleaved: rounds
//! of a block of each (rotating which goes first), and prints the median
//! of the per-round ratios, which drift affects far less than timings
//! taken minutes apart. The bare variants, as for SignalWire: the body
//! parsed into a `serde_json::Value`; read but not parsed; decoded by serde
//! into typed records of the fields the adapter keeps (borrowed); and
//! reqwest's `.json::<T>()` into owned records (the issue's "bare request
//! that reads the same data").
//!
//! cargo bench -p switchboard-telnyx --bench search_overhead

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use serde_json::{Value, json};
use switchboard_core::{DigitPattern, RetryPolicy, SearchQuery, TelephonyProvider};
use switchboard_telnyx::{TelnyxConfig, TelnyxProvider};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "KEY0190D4C3B2A1-telnyx-secret";
const AUTHORIZATION: &str = "Bearer KEY0190D4C3B2A1-telnyx-secret";
const RESULTS: u32 = 20;

/// A live-shaped answer (live behaviour 3 in docs/carriers/telnyx.md) with
/// `RESULTS` numbers in area code 970.
fn answer() -> Value {
    let data: Vec<Value> = (0..RESULTS)
        .map(|i| {
            json!({
                "record_type": "available_phone_number",
                "phone_number": format!("+1970555{:04}", 5000 + i),
                "vanity_format": null,
                "best_effort": false,
                "quickship": true,
                "reservable": true,
                "phone_number_type": "local",
                "region_information": [
                    {"region_type": "country_code", "region_name": "US"},
                    {"region_type": "rate_center", "region_name": "LOVELAND"},
                    {"region_type": "state", "region_name": "CO"},
                    {"region_type": "location", "region_name": "Loveland"}
                ],
                "cost_information": {"upfront_cost": "1.00", "monthly_cost": "1.00", "currency": "USD"},
                "features": [{"name": "sms"}, {"name": "mms"}, {"name": "voice"}, {"name": "hd_voice"}]
            })
        })
        .collect();
    json!({"data": data, "meta": {"total_results": RESULTS, "best_effort_results": 0},
           "metadata": {"total_results": RESULTS, "best_effort_results": 0}})
}

struct Setup {
    runtime: tokio::runtime::Runtime,
    _server: MockServer,
    adapter: TelnyxProvider,
    query: SearchQuery,
    bare: reqwest::Client,
    url: reqwest::Url,
}

fn setup() -> Setup {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v2/available_phone_numbers"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer()))
            .mount(&server)
            .await;
        server
    });
    let config = TelnyxConfig::new(KEY.to_string())
        .and_then(|c| c.base_url(&format!("{}/v2", server.uri())))
        .expect("config")
        .with_retry_policy(RetryPolicy::NONE);
    let adapter = TelnyxProvider::new(config).expect("adapter");
    let query = SearchQuery::default()
        .area_code("970")
        .pattern(DigitPattern::Contains("50".into()))
        .limit(RESULTS);
    let mut url =
        reqwest::Url::parse(&format!("{}/v2/available_phone_numbers", server.uri())).expect("url");
    url.query_pairs_mut()
        .append_pair("filter[country_code]", "US")
        .append_pair("filter[phone_number_type]", "local")
        .append_pair("filter[national_destination_code]", "970")
        .append_pair("filter[phone_number][contains]", "50")
        .append_pair("filter[limit]", &RESULTS.to_string());
    let setup = Setup {
        runtime,
        _server: server,
        adapter,
        query,
        bare: reqwest::Client::new(),
        url,
    };
    // Both must work before they are timed.
    setup.runtime.block_on(async {
        bare_search(&setup.bare, &setup.url).await;
        adapter_search(&setup.adapter, &setup.query).await;
    });
    setup
}

async fn send(client: &reqwest::Client, url: &reqwest::Url) -> reqwest::Response {
    client
        .get(url.clone())
        .header("authorization", AUTHORIZATION)
        .header("accept", "application/json")
        .send()
        .await
        .expect("send")
}

async fn read_body(client: &reqwest::Client, url: &reqwest::Url) -> impl AsRef<[u8]> {
    send(client, url).await.bytes().await.expect("body")
}

/// The search answer as a typed bare client reads it: text as `T`.
#[derive(serde::Deserialize)]
struct Answer<T> {
    data: Vec<Entry<T>>,
}

/// The fields the adapter keeps of one number.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Entry<T> {
    phone_number: T,
    best_effort: bool,
    region_information: Vec<Region<T>>,
    features: Vec<Feature<T>>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Region<T> {
    region_type: T,
    region_name: T,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Feature<T> {
    name: T,
}

async fn bare_search(client: &reqwest::Client, url: &reqwest::Url) {
    let body = read_body(client, url).await;
    let value: Value = serde_json::from_slice(body.as_ref()).expect("json");
    assert_eq!(
        value["data"].as_array().map(Vec::len),
        Some(RESULTS as usize)
    );
}

async fn bare_bytes(client: &reqwest::Client, url: &reqwest::Url) {
    assert!(!read_body(client, url).await.as_ref().is_empty());
}

async fn bare_typed(client: &reqwest::Client, url: &reqwest::Url) {
    let body = read_body(client, url).await;
    let answer: Answer<&str> = serde_json::from_slice(body.as_ref()).expect("json");
    assert_eq!(answer.data.len(), RESULTS as usize);
}

async fn bare_json_owned(client: &reqwest::Client, url: &reqwest::Url) {
    let answer: Answer<String> = send(client, url).await.json().await.expect("json");
    assert_eq!(answer.data.len(), RESULTS as usize);
}

async fn adapter_search(adapter: &TelnyxProvider, query: &SearchQuery) {
    let found = adapter.search(query).await.expect("search");
    assert_eq!(found.len(), RESULTS as usize);
}

fn search_overhead(c: &mut Criterion) {
    let Setup {
        runtime,
        _server,
        adapter,
        query,
        bare,
        url,
    } = setup();
    let mut group = c.benchmark_group("search");
    group.sample_size(60);
    group.bench_function("bare_reqwest.json_owned", |b| {
        b.to_async(&runtime).iter(|| bare_json_owned(&bare, &url))
    });
    group.bench_function("adapter", |b| {
        b.to_async(&runtime)
            .iter(|| adapter_search(&adapter, &query))
    });
    group.finish();
}

criterion_group!(benches, search_overhead);

/// Rounds of interleaved blocks; prints medians and the median ratios.
fn interleaved() {
    const ROUNDS: usize = 31;
    const BLOCK: u32 = 200;
    const NAMES: [&str; 5] = [
        "adapter",
        "bare_reqwest+json",
        "bare_reqwest_bytes_only",
        "bare_reqwest+typed",
        "bare_reqwest.json_owned",
    ];
    let setup = setup();
    let time_block = |which: usize| {
        setup.runtime.block_on(async {
            let start = Instant::now();
            for _ in 0..BLOCK {
                match which {
                    0 => adapter_search(&setup.adapter, &setup.query).await,
                    1 => bare_search(&setup.bare, &setup.url).await,
                    2 => bare_bytes(&setup.bare, &setup.url).await,
                    3 => bare_typed(&setup.bare, &setup.url).await,
                    _ => bare_json_owned(&setup.bare, &setup.url).await,
                }
            }
            start.elapsed() / BLOCK
        })
    };
    let mut times: [Vec<Duration>; 5] = Default::default();
    let mut ratios: [Vec<f64>; 4] = Default::default();
    for round in 0..ROUNDS {
        let mut this = [Duration::ZERO; 5];
        for k in 0..5 {
            let which = (round + k) % 5;
            this[which] = time_block(which);
        }
        for (which, t) in this.iter().enumerate() {
            times[which].push(*t);
        }
        for bare in 1..5 {
            ratios[bare - 1].push(this[0].as_secs_f64() / this[bare].as_secs_f64());
        }
    }
    for v in &mut times {
        v.sort();
    }
    for r in &mut ratios {
        r.sort_by(f64::total_cmp);
    }
    let medians: Vec<String> = NAMES
        .iter()
        .zip(&times)
        .map(|(name, t)| format!("{name} {:?}", t[ROUNDS / 2]))
        .collect();
    println!(
        "interleaved ({ROUNDS} rounds x {BLOCK} searches per variant), medians: {}",
        medians.join(", ")
    );
    for (name, r) in NAMES[1..].iter().zip(&ratios) {
        println!(
            "adapter / {name}: median {:.3} (min {:.3}, max {:.3})",
            r[ROUNDS / 2],
            r[0],
            r[ROUNDS - 1]
        );
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    interleaved();
}
