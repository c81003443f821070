//! Search throughput of the emulator over loopback, with no added latency:
//! 32 concurrent keep-alive connections in the same process as the server
//! (client and server share the machine's two cores), a bounded number of
//! requests per scenario. The main client is hyper's bare HTTP/1 connection,
//! so that the figure is mostly the server's cost; one reqwest scenario shows
//! what a full client adds.
//!
//! Run: `cargo bench -p switchboard-emulator --bench search_throughput`
//! (`EMULATOR_BENCH_REQUESTS` changes the requests per scenario).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use switchboard_emulator::{
    DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_TOKEN, DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_AUTH_TOKEN, Emulator,
};

const CONCURRENCY: usize = 32;

#[derive(Clone, Copy, PartialEq)]
enum ClientKind {
    Hyper,
    Reqwest,
}

struct Scenario {
    name: &'static str,
    path: String,
    user: &'static str,
    password: &'static str,
    requests: usize,
    client: ClientKind,
}

async fn one_task(
    addr: std::net::SocketAddr,
    scenario: Arc<(String, String, ClientKind)>,
    next: Arc<AtomicUsize>,
    total: usize,
    failures: Arc<AtomicUsize>,
) -> Vec<Duration> {
    let (path, auth, kind) = (&scenario.0, &scenario.1, scenario.2);
    let mut latencies = Vec::new();
    match kind {
        ClientKind::Hyper => {
            let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
                    .await
                    .expect("handshake");
            tokio::spawn(connection);
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let t = Instant::now();
                let request = hyper::Request::get(path.as_str())
                    .header("host", addr.to_string())
                    .header("authorization", auth.as_str())
                    .body(Empty::new())
                    .expect("request");
                let ok = match sender.send_request(request).await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        let body = response.into_body().collect().await;
                        ok && body.is_ok_and(|b| !b.to_bytes().is_empty())
                    }
                    Err(_) => false,
                };
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                latencies.push(t.elapsed());
            }
        }
        ClientKind::Reqwest => {
            let client = reqwest::Client::new();
            let url = format!("http://{addr}{path}");
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let t = Instant::now();
                let ok = match client
                    .get(&url)
                    .header("authorization", auth.as_str())
                    .send()
                    .await
                {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        ok && response.bytes().await.is_ok_and(|b| !b.is_empty())
                    }
                    Err(_) => false,
                };
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                latencies.push(t.elapsed());
            }
        }
    }
    latencies
}

async fn run(addr: std::net::SocketAddr, scenario: &Scenario) {
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", scenario.user, scenario.password))
    );
    let shared = Arc::new((scenario.path.clone(), auth, scenario.client));
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            tokio::spawn(one_task(
                addr,
                shared.clone(),
                next.clone(),
                scenario.requests,
                failures.clone(),
            ))
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::with_capacity(scenario.requests);
    for task in tasks {
        latencies.extend(task.await.expect("task"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "| {} | {} | {:.2} s | {:.0} | {:.2} ms | {:.2} ms | {} |",
        scenario.name,
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        failures.load(Ordering::Relaxed),
    );
}

fn main() {
    let requests: usize = std::env::var("EMULATOR_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let emulator = Emulator::builder().start().await.expect("emulator");
        let twilio = |query: &str| {
            format!(
                "/2010-04-01/Accounts/{DEFAULT_TWILIO_ACCOUNT_SID}/AvailablePhoneNumbers/US/Local.json?{query}"
            )
        };
        let signalwire = |query: &str| format!("/api/relay/rest/phone_numbers/search?{query}");
        let tw = (DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN);
        let sw = (DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_TOKEN);
        let scenario = |name, path, (user, password): (&'static str, &'static str), requests, client| Scenario {
            name,
            path,
            user,
            password,
            requests,
            client,
        };
        let scenarios = [
            scenario("baseline: GET /__emulator/health (hyper)", "/__emulator/health".into(), ("", ""), requests, ClientKind::Hyper),
            scenario("twilio search AreaCode=512 PageSize=5 (hyper)", twilio("AreaCode=512&PageSize=5"), tw, requests, ClientKind::Hyper),
            scenario("signalwire search areacode=512 max_results=5 (hyper)", signalwire("areacode=512&max_results=5"), sw, requests, ClientKind::Hyper),
            scenario("twilio search AreaCode=512, live cap 30 results (hyper)", twilio("AreaCode=512"), tw, requests / 2, ClientKind::Hyper),
            scenario("signalwire search areacode=512, default 50 results (hyper)", signalwire("areacode=512"), sw, requests / 2, ClientKind::Hyper),
            scenario("twilio search AreaCode=512 PageSize=5 (reqwest)", twilio("AreaCode=512&PageSize=5"), tw, requests / 2, ClientKind::Reqwest),
        ];
        println!("{CONCURRENCY} concurrent keep-alive connections, 2 runtime threads shared by client and server, loopback, no faults");
        println!("| scenario | requests | time | req/s | p50 | p99 | failures |");
        println!("|---|---|---|---|---|---|---|");
        for scenario in &scenarios {
            run(emulator.addr(), scenario).await;
        }
    });
}
