//! What the adapter adds to a search: `SignalWireProvider::search` against a
//! local server, next to a bare reqwest GET of the same URL, query and
//! Authorization header whose body is parsed into a `serde_json::Value`.
//! Both talk to the same server over loopback with connection reuse, so the
//! ratio of the two is the adapter's overhead (query validation and
//! building, lenient decoding, mapping to core types, the retry wrapper).
//!
//! The machine is shared and its load drifts, so after criterion's separate
//! timings the binary also runs the variants interleaved: rounds of a block
//! of each (rotating which goes first), and prints the median of the
//! per-round ratios, which drift affects far less than timings taken minutes
//! apart. Interleaved, there are two more bare variants that read the body
//! without parsing it: one from the plain client, and one from a client set
//! up as the adapter's (timeouts, no redirects, user agent), which tells
//! what those reqwest settings cost apart from what the adapter adds.
//!
//! cargo bench -p switchboard-signalwire --bench search_overhead

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use serde_json::{Value, json};
use switchboard_core::{DigitPattern, RetryPolicy, SearchQuery, TelephonyProvider};
use switchboard_signalwire::{SignalWireConfig, SignalWireProvider};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PROJECT: &str = "b2c3d4e5-7f80-4a1b-9c2d-3e4f5a6b7c8d";
const TOKEN: &str = "PT0123456789abcdef-secret";
const AUTHORIZATION: &str =
    "Basic YjJjM2Q0ZTUtN2Y4MC00YTFiLTljMmQtM2U0ZjVhNmI3YzhkOlBUMDEyMzQ1Njc4OWFiY2RlZi1zZWNyZXQ=";
const RESULTS: u32 = 20;

/// A live-shaped answer (live behaviour 1 in docs/carriers/signalwire.md)
/// with `RESULTS` numbers.
fn answer() -> Value {
    let data: Vec<Value> = (0..RESULTS)
        .map(|i| {
            json!({
                "e164": format!("+1555867{:04}", 5300 + i),
                "national_number_formatted": format!("(555) 867-{:04}", 5300 + i),
                "international_number_formatted": format!("+1 555-867-{:04}", 5300 + i),
                "rate_center": "AUBURN",
                "region": "TX",
                "country_code": "US",
                "capabilities": ["voice", "sms", "mms", "fax"]
            })
        })
        .collect();
    json!({"links": {}, "data": data})
}

struct Setup {
    runtime: tokio::runtime::Runtime,
    _server: MockServer,
    adapter: SignalWireProvider,
    query: SearchQuery,
    bare: reqwest::Client,
    /// A client set up as the adapter's is (timeouts, no redirects, user
    /// agent), to tell what those settings cost from what the adapter adds.
    bare_configured: reqwest::Client,
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
            .and(path("/api/relay/rest/phone_numbers/search"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer()))
            .mount(&server)
            .await;
        server
    });
    let config = SignalWireConfig::new(&server.uri(), PROJECT, TOKEN)
        .expect("config")
        .with_retry_policy(RetryPolicy::NONE);
    let adapter = SignalWireProvider::new(config).expect("adapter");
    let query = SearchQuery::default()
        .area_code("555")
        .pattern(DigitPattern::Contains("867".into()))
        .limit(RESULTS);
    let url = reqwest::Url::parse(&format!(
        "{}/api/relay/rest/phone_numbers/search?areacode=555&number_type=local&contains=867&max_results={RESULTS}",
        server.uri()
    ))
    .expect("url");
    let setup = Setup {
        runtime,
        _server: server,
        adapter,
        query,
        bare: reqwest::Client::new(),
        bare_configured: reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("switchboard-signalwire/bench")
            .build()
            .expect("a client"),
        url,
    };
    // Both must work before they are timed.
    setup.runtime.block_on(async {
        bare_search(&setup.bare, &setup.url).await;
        adapter_search(&setup.adapter, &setup.query).await;
    });
    setup
}

/// The request every bare baseline sends: the adapter's URL and query,
/// Authorization and Accept headers.
async fn send(client: &reqwest::Client, url: &reqwest::Url) -> reqwest::Response {
    client
        .get(url.clone())
        .header("authorization", AUTHORIZATION)
        .header("accept", "application/json")
        .send()
        .await
        .expect("send")
}

/// The same request, the body read as bytes.
async fn read_body(client: &reqwest::Client, url: &reqwest::Url) -> impl AsRef<[u8]> {
    send(client, url).await.bytes().await.expect("body")
}

/// The search answer as a typed bare client reads it: text as `T` (`&str`
/// borrowed from the body, or `String`).
#[derive(serde::Deserialize)]
struct Answer<T> {
    data: Vec<Entry<T>>,
}

/// The fields the adapter keeps of one number (this answer's shape only).
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Entry<T> {
    e164: T,
    rate_center: Option<T>,
    region: Option<T>,
    country_code: Option<T>,
    capabilities: Vec<T>,
}

async fn bare_search(client: &reqwest::Client, url: &reqwest::Url) {
    let body = read_body(client, url).await;
    let value: Value = serde_json::from_slice(body.as_ref()).expect("json");
    assert_eq!(
        value["data"].as_array().map(Vec::len),
        Some(RESULTS as usize)
    );
}

/// The strictest floor: the same request, the body read but not parsed.
async fn bare_bytes(client: &reqwest::Client, url: &reqwest::Url) {
    assert!(!read_body(client, url).await.as_ref().is_empty());
}

/// The same request, the body decoded by serde into typed records of the
/// fields the adapter keeps (borrowed text): the least a client that uses
/// the answer does.
async fn bare_typed(client: &reqwest::Client, url: &reqwest::Url) {
    let body = read_body(client, url).await;
    let answer: Answer<&str> = serde_json::from_slice(body.as_ref()).expect("json");
    assert_eq!(answer.data.len(), RESULTS as usize);
}

/// The same request as an idiomatic client writes it when it needs the
/// answer's data: reqwest's `.json::<T>()` into records of the fields the
/// adapter keeps, owned (as `.json` requires), as the adapter's are.
async fn bare_json_owned(client: &reqwest::Client, url: &reqwest::Url) {
    let answer: Answer<String> = send(client, url).await.json().await.expect("json");
    assert_eq!(answer.data.len(), RESULTS as usize);
}

async fn adapter_search(adapter: &SignalWireProvider, query: &SearchQuery) {
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
        ..
    } = setup();
    let mut group = c.benchmark_group("search");
    group.sample_size(60);
    group.bench_function("bare_reqwest", |b| {
        b.to_async(&runtime).iter(|| bare_search(&bare, &url))
    });
    group.bench_function("adapter", |b| {
        b.to_async(&runtime)
            .iter(|| adapter_search(&adapter, &query))
    });
    group.finish();
}

criterion_group!(benches, search_overhead);
/// Rounds of interleaved blocks; prints medians and the median ratio.
fn interleaved() {
    const ROUNDS: usize = 31;
    const BLOCK: u32 = 200;
    let setup = setup();
    // 0: bare + JSON parse, 1: bare, body unparsed, 2: adapter,
    // 3: bare, body unparsed, from a client set up as the adapter's,
    // 4: bare, body decoded by serde into typed records,
    // 5: bare, `.json::<T>()` into owned records.
    let time_block = |which: usize| {
        setup.runtime.block_on(async {
            let start = Instant::now();
            for _ in 0..BLOCK {
                match which {
                    0 => bare_search(&setup.bare, &setup.url).await,
                    1 => bare_bytes(&setup.bare, &setup.url).await,
                    2 => adapter_search(&setup.adapter, &setup.query).await,
                    3 => bare_bytes(&setup.bare_configured, &setup.url).await,
                    4 => bare_typed(&setup.bare, &setup.url).await,
                    _ => bare_json_owned(&setup.bare, &setup.url).await,
                }
            }
            start.elapsed() / BLOCK
        })
    };
    let mut times: [Vec<Duration>; 6] = Default::default();
    let mut ratios: [Vec<f64>; 5] = Default::default();
    for round in 0..ROUNDS {
        let mut this = [Duration::ZERO; 6];
        // Rotate the order so that no variant always runs first.
        for k in 0..6 {
            let which = (round + k) % 6;
            this[which] = time_block(which);
        }
        for (which, t) in this.iter().enumerate() {
            times[which].push(*t);
        }
        ratios[0].push(this[2].as_secs_f64() / this[0].as_secs_f64());
        ratios[1].push(this[2].as_secs_f64() / this[1].as_secs_f64());
        ratios[2].push(this[2].as_secs_f64() / this[3].as_secs_f64());
        ratios[3].push(this[2].as_secs_f64() / this[4].as_secs_f64());
        ratios[4].push(this[2].as_secs_f64() / this[5].as_secs_f64());
    }
    for v in &mut times {
        v.sort();
    }
    for r in &mut ratios {
        r.sort_by(f64::total_cmp);
    }
    println!(
        "interleaved ({ROUNDS} rounds x {BLOCK} searches per variant), medians: \
         bare_reqwest+json {:?}, bare_reqwest_bytes_only {:?}, adapter {:?}, \
         bare_reqwest_bytes_only_adapter_client {:?}, bare_reqwest+typed {:?}, bare_reqwest.json_owned {:?}",
        times[0][ROUNDS / 2],
        times[1][ROUNDS / 2],
        times[2][ROUNDS / 2],
        times[3][ROUNDS / 2],
        times[4][ROUNDS / 2],
        times[5][ROUNDS / 2]
    );
    for (name, r) in [
        "bare_reqwest+json",
        "bare_reqwest_bytes_only",
        "bare_reqwest_bytes_only_adapter_client",
        "bare_reqwest+typed",
        "bare_reqwest.json_owned",
    ]
    .iter()
    .zip(&ratios)
    {
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
