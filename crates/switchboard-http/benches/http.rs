//! Throughput and tail latency over loopback, client and server in one
//! process: the inbound-call lookup (`GET get-phone-number?phone_number=`),
//! `POST provision-phone-number` with the fake carrier and the in-memory
//! repository, and a trivial axum handler measured the same way in the same
//! run, as the yardstick.
//!
//! `cargo bench -p switchboard-http --bench http -- [--seconds N] [--concurrency C]`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use chrono::Utc;
use switchboard_core::{
    AccountId, ApiToken, InMemoryRepository, InMemoryTokenStore, PhoneNumber, ProviderRegistry,
    ProvisionRequest, ProvisioningService, TokenStore, hash_token,
};
use switchboard_fake::FakeProvider;
use switchboard_http::AppState;

const TOKEN: &str = "sb_bench_0123456789abcdef0123456789abcdef";
/// Numbers provisioned before the lookup run, looked up in turn.
const LOOKUP_NUMBERS: usize = 1_000;

#[derive(Clone, Copy)]
struct Settings {
    seconds: u64,
    concurrency: usize,
}

fn settings() -> Settings {
    let mut s = Settings {
        seconds: 5,
        concurrency: 64,
    };
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2) {
        match pair[0].as_str() {
            "--seconds" => s.seconds = pair[1].parse().unwrap_or(s.seconds),
            "--concurrency" => s.concurrency = pair[1].parse().unwrap_or(s.concurrency),
            _ => {}
        }
    }
    s
}

struct Run {
    name: &'static str,
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

impl Run {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        f64::from(self.latencies_us[i]) / 1000.0
    }
}

/// Runs `concurrency` tasks, each sending `make(i)` until the time is up or
/// `max_requests` have been started, and gathers the latencies.
async fn measure<F>(name: &'static str, settings: &Settings, max_requests: usize, make: F) -> Run
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let counter = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(settings.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..settings.concurrency {
        let make = make.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                if i >= max_requests {
                    break;
                }
                let sent = Instant::now();
                match make(i).send().await {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                    }
                    _ => errors += 1,
                }
                latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
            }
            (latencies, errors)
        }));
    }
    let mut latencies_us = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((l, e)) = task.await {
            latencies_us.extend(l);
            errors += e;
        }
    }
    let elapsed = started.elapsed();
    latencies_us.sort_unstable();
    Run {
        name,
        requests: latencies_us.len(),
        errors,
        elapsed,
        latencies_us,
    }
}

async fn spawn(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

async fn run(settings: Settings) {
    let fake = FakeProvider::new();
    let repo = InMemoryRepository::new();
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(fake.clone())),
        Arc::new(repo.clone()),
    );
    let tokens = InMemoryTokenStore::new();
    tokens
        .insert_token(&ApiToken {
            id: uuid::Uuid::new_v4(),
            account: AccountId::parse("bench").expect("account"),
            label: None,
            token_hash: hash_token(TOKEN),
            created_at: Utc::now(),
            revoked_at: None,
        })
        .await
        .expect("token");
    let account = AccountId::parse("bench").expect("account");
    let inventory: Vec<PhoneNumber> = fake.inventory().iter().map(|a| a.phone_number).collect();
    let (looked_up, for_sale) = inventory.split_at(LOOKUP_NUMBERS);
    for number in looked_up {
        service
            .provision(&account, &ProvisionRequest::new(number.clone()))
            .await
            .expect("provision for the lookup run");
    }
    let state = AppState::new(service, Arc::new(tokens));
    let api = spawn(switchboard_http::router(state)).await;
    let trivial = spawn(Router::new().route("/", get(|| async { "ok" }))).await;

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(settings.concurrency)
        .build()
        .expect("client");
    let lookups: Arc<Vec<String>> = Arc::new(
        looked_up
            .iter()
            .map(|n| {
                format!(
                    "{api}/functions/v1/get-phone-number?phone_number=%2B{}",
                    n.digits()
                )
            })
            .collect(),
    );
    let purchases: Arc<Vec<String>> = Arc::new(
        for_sale
            .iter()
            .map(|n| format!(r#"{{"phone_number":"{n}","friendly_name":"Bench"}}"#))
            .collect(),
    );

    // Warm up connections and lazily built tables.
    for _ in 0..2 {
        let c = client.clone();
        let t = trivial.clone();
        measure(
            "warm-up",
            &Settings {
                seconds: 1,
                ..settings
            },
            usize::MAX,
            move |_| c.get(format!("{t}/")),
        )
        .await;
    }

    let mut runs = Vec::new();
    let c = client.clone();
    let t = format!("{trivial}/");
    runs.push(
        measure(
            "trivial axum handler (GET /)",
            &settings,
            usize::MAX,
            move |_| c.get(&t),
        )
        .await,
    );
    let c = client.clone();
    let l = lookups.clone();
    runs.push(
        measure(
            "GET get-phone-number?phone_number= (lookup)",
            &settings,
            usize::MAX,
            move |i| c.get(&l[i % l.len()]).bearer_auth(TOKEN),
        )
        .await,
    );
    let c = client.clone();
    let p = purchases.clone();
    let url = format!("{api}/functions/v1/provision-phone-number");
    let max = p.len();
    runs.push(
        measure(
            "POST provision-phone-number (fake carrier)",
            &settings,
            max,
            move |i| {
                c.post(&url)
                    .bearer_auth(TOKEN)
                    .header("content-type", "application/json")
                    .body(p[i].clone())
            },
        )
        .await,
    );

    println!(
        "\nloopback, {} concurrent client tasks, {} s per row, client and server in one process\n",
        settings.concurrency, settings.seconds
    );
    println!("| what | requests | errors | req/s | p50 ms | p99 ms | vs trivial |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let base = runs[0].rps();
    for r in &runs {
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
            r.name,
            r.requests,
            r.errors,
            r.rps(),
            r.percentile_ms(0.50),
            r.percentile_ms(0.99),
            r.rps() / base
        );
    }
}

fn main() {
    let settings = settings();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(settings));
}
