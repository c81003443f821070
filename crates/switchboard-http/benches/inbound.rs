//! Inbound webhooks per second over loopback: a carrier's signed call
//! webhook (`POST /functions/v1/inbound/fake/voice`, a form body) verified,
//! resolved to its number's record and answered with the configured voice
//! template, beside two trivial axum handlers measured the same way in the
//! same run as the yardsticks: one given the very same request (it reads
//! the body and answers a fixed TwiML: what a webhook endpoint that checks
//! nothing costs, the ratio the issue's target is read against) and the bare
//! `GET /` (which also leaves out the client's and server's cost of sending
//! and reading a body); and a forged webhook (bad signature, 403), which
//! must cost less than a verified one since nothing is looked up.
//!
//! ```text
//! cargo bench -p switchboard-http --bench inbound -- [--seconds N] [--rounds N]
//!     [--concurrency C] [--repo sqlite,sqlite-nocache,memory]
//! ```
//! Defaults: SQLite with its read cache, 64 connections, 3 rounds of 5 s;
//! `--seconds 1 --rounds 1` is a quick check. The two trivial handlers and
//! the webhook run in slices of `--seconds` each, `--rounds` times (which
//! goes first rotates each round); "vs trivial" is the median of the
//! per-round ratios. The client is reqwest in the server's own process and
//! runtime (as in `benches/http.rs`), so its work shares the cores with the
//! server's. The verifier is the tests' (Twilio's form scheme: HMAC-SHA1
//! over the URL and the sorted parameters), the carrier is the fake.

mod support;
#[path = "../tests/common/verifier.rs"]
mod verifier;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use reqwest::StatusCode;
use support::{Run, measure, measure_expecting, spread};
use switchboard_core::{
    AccountId, InMemoryRepository, InMemoryTokenStore, NumberRepository, PhoneNumber,
    ProviderRegistry, ProvisionRequest, ProvisioningService, ServiceOptions, WebhookUrl,
};
use switchboard_fake::FakeProvider;
use switchboard_http::inbound::{AnswerSettings, ConfiguredAnswers};
use switchboard_http::{AppState, InboundOptions, inbound_routing};
use switchboard_sql::{SqlOptions, SqlRepository};
use uuid::Uuid;
use verifier::{SIGNATURE_HEADER, TestVerifier, sign_form};

const KEY: &str = "bench-auth-token";
const PUBLIC: &str = "https://sb.example.com";
const VOICE_PATH: &str = "/functions/v1/inbound/fake/voice";
const TEMPLATE: &str = "<Response><Connect><Stream url=\"wss://agents.example.com/{agent_id}\">\
    <Parameter name=\"caller\" value=\"{from}\"/><Parameter name=\"call\" value=\"{call_id}\"/>\
    </Stream></Connect></Response>";
/// Numbers bought before the run, called in turn.
const NUMBERS: usize = 1_000;

struct Settings {
    seconds: u64,
    rounds: usize,
    concurrency: usize,
    repos: Vec<String>,
}

fn settings() -> Settings {
    let mut s = Settings {
        seconds: 5,
        rounds: 3,
        concurrency: 64,
        repos: vec!["sqlite".into()],
    };
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2) {
        match pair[0].as_str() {
            "--seconds" => s.seconds = pair[1].parse().unwrap_or(s.seconds).max(1),
            "--rounds" => s.rounds = pair[1].parse().unwrap_or(s.rounds).max(1),
            "--concurrency" => s.concurrency = pair[1].parse().unwrap_or(s.concurrency).max(1),
            "--repo" => s.repos = pair[1].split(',').map(str::to_owned).collect(),
            _ => {}
        }
    }
    s
}

struct Row {
    repo: String,
    what: &'static str,
    requests: usize,
    errors: usize,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Against the trivial POST (or, for the forged row, none).
    ratio: Option<f64>,
    /// Against the trivial GET.
    vs_get: Option<f64>,
}

/// One row from several slices: requests and errors summed, req/s
/// averaged, latencies the median of the slices'.
fn combine(repo: &str, what: &'static str, runs: &[Run]) -> Row {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    Row {
        repo: repo.to_owned(),
        what,
        requests: runs.iter().map(|r| r.requests).sum(),
        errors: runs.iter().map(|r| r.errors).sum(),
        rps: runs.iter().map(Run::rps).sum::<f64>() / runs.len().max(1) as f64,
        p50_ms: median(runs.iter().map(|r| r.percentile_ms(0.50)).collect()),
        p99_ms: median(runs.iter().map(|r| r.percentile_ms(0.99)).collect()),
        ratio: None,
        vs_get: None,
    }
}

/// A webhook endpoint that checks nothing: it reads the body and answers a
/// fixed TwiML, the floor under any handler that must read the request.
async fn trivial_webhook(body: Bytes) -> impl IntoResponse {
    let answer = if body.is_empty() {
        "<Response/>"
    } else {
        "<Response><Say>ok</Say></Response>"
    };
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], answer)
}

async fn spawn(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(switchboard_http::serve(
        listener,
        router,
        std::future::pending(),
    ));
    format!("http://{addr}")
}

/// The number store under test, and the SQLite file to remove afterwards.
async fn open(
    repo: &str,
) -> Option<(
    String,
    Arc<dyn NumberRepository>,
    Option<(SqlRepository, PathBuf)>,
)> {
    let cached = match repo {
        "memory" => {
            return Some((
                "in-memory".into(),
                Arc::new(InMemoryRepository::new()),
                None,
            ));
        }
        "sqlite" => true,
        "sqlite-nocache" => false,
        other => {
            println!("SKIPPED: unknown repository {other:?} (sqlite, sqlite-nocache, memory)");
            return None;
        }
    };
    let dir = std::env::temp_dir().join(format!(
        "switchboard-inbound-bench-{}",
        Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("create the SQLite directory");
    let url = format!("sqlite://{}", dir.join("numbers.db").display());
    let mut options = SqlOptions::new(&url);
    if !cached {
        options = options.without_read_cache();
    }
    let sql = SqlRepository::connect_with(options)
        .await
        .expect("open SQLite");
    let name = if cached {
        "SQLite (file), read cache"
    } else {
        "SQLite (file), no cache"
    };
    Some((name.into(), Arc::new(sql.clone()), Some((sql, dir))))
}

/// A call to `number`'s webhook: its form body and signature.
fn signed_call(number: &PhoneNumber, i: usize) -> (String, String) {
    let params: Vec<(String, String)> = [
        ("CallSid", format!("CA{i:032x}")),
        ("AccountSid", "AC0123".to_string()),
        ("To", number.as_str().to_string()),
        ("From", "+16045550199".to_string()),
        ("CallStatus", "ringing".to_string()),
        ("Direction", "inbound".to_string()),
        ("ApiVersion", "2010-04-01".to_string()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect();
    let signature = sign_form(KEY, &format!("{PUBLIC}{VOICE_PATH}"), &params);
    (
        serde_urlencoded::to_string(&params).expect("form"),
        signature,
    )
}

async fn bench_repo(settings: &Settings, repo: &str, rows: &mut Vec<Row>) {
    let Some((name, numbers, sql)) = open(repo).await else {
        return;
    };
    let public = WebhookUrl::parse(PUBLIC).expect("public URL");
    let fake = FakeProvider::new();
    let mut options = ServiceOptions::default();
    options
        .inbound_routing
        .insert("fake".into(), inbound_routing(&public, "fake"));
    let service = ProvisioningService::new(ProviderRegistry::new(Arc::new(fake.clone())), numbers)
        .with_options(options);
    let account = AccountId::parse("bench").expect("account");
    let agent = Uuid::new_v4();
    let bought: Vec<PhoneNumber> = fake
        .inventory()
        .iter()
        .take(NUMBERS)
        .map(|a| a.phone_number.clone())
        .collect();
    for number in &bought {
        let mut request = ProvisionRequest::new(number.clone());
        request.agent_id = Some(agent);
        service
            .provision(&account, &request)
            .await
            .expect("provision for the run");
    }
    let answers = ConfiguredAnswers::new(AnswerSettings {
        voice_answer: Some(TEMPLATE.into()),
        ..AnswerSettings::default()
    })
    .expect("answers");
    let inbound = InboundOptions::new(public, Arc::new(answers))
        .with_verifier(Arc::new(TestVerifier::new("fake", KEY).without_recording()));
    let state = AppState::new(service, Arc::new(InMemoryTokenStore::new())).with_inbound(inbound);
    let api = spawn(switchboard_http::router(state)).await;
    let trivial = spawn(
        Router::new()
            .route("/", get(|| async { "ok" }))
            .route("/hook", post(trivial_webhook)),
    )
    .await;
    println!(
        "{name}: API at {api}, trivial handler at {trivial}/, {NUMBERS} numbers with an agent"
    );

    let calls: Arc<Vec<(String, String)>> = Arc::new(
        bought
            .iter()
            .enumerate()
            .map(|(i, n)| signed_call(n, i))
            .collect(),
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(settings.concurrency)
        .build()
        .expect("client");
    let url = format!("{api}{VOICE_PATH}");
    let call = {
        let (client, url, calls) = (client.clone(), url.clone(), calls.clone());
        move |i: usize| {
            let (body, signature) = &calls[i % calls.len()];
            client
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header(SIGNATURE_HEADER, signature)
                .body(body.clone())
        }
    };

    // What is measured is the verified path: check one answer first.
    let sample = call(0).send().await.expect("sample call");
    let status = sample.status();
    let text = sample.text().await.unwrap_or_default();
    if status != StatusCode::OK || !text.contains(&format!("wss://agents.example.com/{agent}")) {
        println!("FAILED: the sample call answered {status}: {text}");
        return;
    }

    // The contenders, each a request maker: the trivial handler asked the
    // bare `GET /`, the trivial handler given the very request the webhook
    // gets (same body and headers, answered with a fixed TwiML after reading
    // the body: what a webhook endpoint that checks nothing costs), and the
    // webhook itself.
    type Make = Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync>;
    let get_trivial: Make = {
        let (c, t) = (client.clone(), format!("{trivial}/"));
        Arc::new(move |_| c.get(&t))
    };
    let post_trivial: Make = {
        let (client, url, calls) = (client.clone(), format!("{trivial}/hook"), calls.clone());
        Arc::new(move |i: usize| {
            let (body, signature) = &calls[i % calls.len()];
            client
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header(SIGNATURE_HEADER, signature)
                .body(body.clone())
        })
    };
    let webhook: Make = Arc::new(call.clone());
    let contenders = [get_trivial, post_trivial, webhook];
    for make in &contenders {
        let make = make.clone();
        measure(settings.concurrency, 1, usize::MAX, move |i| make(i)).await;
    }
    let mut runs: [Vec<Run>; 3] = Default::default();
    for round in 0..settings.rounds {
        // Each round starts with the next contender, so that none is always
        // measured right after the same other.
        for k in 0..contenders.len() {
            let which = (round + k) % contenders.len();
            let make = contenders[which].clone();
            let run = measure(
                settings.concurrency,
                settings.seconds,
                usize::MAX,
                move |i| make(i),
            )
            .await;
            runs[which].push(run);
        }
    }
    let per_round = |base: &[Run]| -> Vec<f64> {
        base.iter()
            .zip(&runs[2])
            .filter(|(t, _)| t.rps() > 0.0)
            .map(|(t, c)| c.rps() / t.rps())
            .collect()
    };
    let (vs_get, vs_post) = (per_round(&runs[0]), per_round(&runs[1]));
    let rounded = |v: &[f64]| {
        v.iter()
            .map(|r| (r * 100.0).round() / 100.0)
            .collect::<Vec<_>>()
    };
    println!(
        "  {name}: webhook / trivial POST per round {:?}; webhook / trivial GET per round {:?}",
        rounded(&vs_post),
        rounded(&vs_get)
    );
    rows.push(combine(&name, "trivial axum handler (GET /)", &runs[0]));
    let mut post = combine(
        &name,
        "trivial axum handler (POST /hook, the same signed body, fixed TwiML)",
        &runs[1],
    );
    post.ratio = Some(1.0);
    rows.push(post);
    let mut verified = combine(
        &name,
        "POST inbound voice (verify, resolve, answer)",
        &runs[2],
    );
    verified.ratio = spread(vs_post).map(|(median, _, _)| median);
    verified.vs_get = spread(vs_get).map(|(median, _, _)| median);
    rows.push(verified);

    // Forged: a signature under another key, answered 403 before any lookup.
    let forged = {
        let (client, url, calls) = (client.clone(), url.clone(), calls.clone());
        let signature = sign_form("not-the-key", &format!("{PUBLIC}{VOICE_PATH}"), &[]);
        move |i: usize| {
            client
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header(SIGNATURE_HEADER, signature.clone())
                .body(calls[i % calls.len()].0.clone())
        }
    };
    let run = measure_expecting(
        settings.concurrency,
        settings.seconds,
        usize::MAX,
        |s| s == StatusCode::FORBIDDEN,
        forged,
    )
    .await;
    rows.push(combine(&name, "POST inbound voice, forged (403)", &[run]));

    if let Some((sql, dir)) = sql {
        if let Some(stats) = sql.read_cache_stats() {
            println!(
                "  {name}: read cache hits {}, misses {}, changes seen {}",
                stats.hits, stats.misses, stats.changes_seen
            );
        }
        sql.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}

async fn run(settings: Settings) {
    let mut rows = Vec::new();
    for repo in &settings.repos {
        bench_repo(&settings, repo, &mut rows).await;
    }
    println!(
        "\nloopback, {} connections, reqwest in the server's process; trivial GET, trivial POST \
         and webhook: {} rounds of {} s each, rotating, vs = median per-round ratio; forged: one \
         run of {} s\n",
        settings.concurrency, settings.rounds, settings.seconds, settings.seconds
    );
    println!(
        "| repository | what | requests | errors | req/s | p50 ms | p99 ms | vs trivial POST | vs trivial GET |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    let (mut get_rps, mut post_rps) = (0.0, 0.0);
    for r in &rows {
        // Each repository's rows start with its two yardsticks.
        if r.what.starts_with("trivial axum handler (GET") {
            get_rps = r.rps;
            post_rps = rows
                .iter()
                .find(|p| p.repo == r.repo && p.what.starts_with("trivial axum handler (POST"))
                .map_or(0.0, |p| p.rps);
        }
        let of = |base: f64| if base > 0.0 { r.rps / base } else { 0.0 };
        let vs_post = r.ratio.unwrap_or(of(post_rps));
        let vs_get = r.vs_get.unwrap_or(of(get_rps));
        println!(
            "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {vs_post:.2} | {vs_get:.2} |",
            r.repo, r.what, r.requests, r.errors, r.rps, r.p50_ms, r.p99_ms
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
