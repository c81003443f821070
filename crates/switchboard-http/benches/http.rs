//! Throughput and tail latency over loopback: the inbound-call lookup
//! (`GET get-phone-number?phone_number=`) and `POST provision-phone-number`
//! with the fake carrier, on the in-memory repository, SQLite and PostgreSQL,
//! each beside a trivial axum handler measured the same way in the same run,
//! as the yardstick.
//!
//! Two clients: reqwest in the same process (its work competes with the
//! server's for the cores), and `wrk -t1` as a separate process when it is
//! installed.
//!
//! ```text
//! cargo bench -p switchboard-http --bench http -- [--seconds N] [--concurrency C]
//!     [--repo memory,sqlite,postgres,sqlite-nocache,postgres-nocache]
//!     [--client reqwest,wrk] [--tokens store|memory] [--rounds N]
//! ```
//! The trivial handler and the lookup run in alternating slices of
//! `--seconds` each, `--rounds` times (first one, then the other, swapping
//! each round); "vs trivial" for the lookup is the median of the per-round
//! ratios, the other columns cover all rounds.
//! The SQL stores run with their read cache (the default) and, as
//! `-nocache`, without it, so the cache's share is measured too.
//! PostgreSQL runs when `SWITCHBOARD_TEST_DATABASE_URL` is set, in a fresh
//! schema dropped afterwards. On the SQL backends the same `SqlRepository`
//! is also the token store, as a deployed service would have it, unless
//! `--tokens memory` keeps tokens in memory to show the repository's share.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use chrono::Utc;
use support::{Run, measure, spread};
use switchboard_core::{
    AccountId, ApiToken, InMemoryRepository, InMemoryTokenStore, NumberRepository, PhoneNumber,
    ProviderRegistry, ProvisionRequest, ProvisioningService, TokenStore, hash_token,
};
use switchboard_fake::FakeProvider;
use switchboard_http::AppState;
use switchboard_sql::{SqlOptions, SqlRepository};

const TOKEN: &str = "sb_bench_0123456789abcdef0123456789abcdef";
/// Numbers provisioned before the lookup run, looked up in turn.
const LOOKUP_NUMBERS: usize = 1_000;
/// Numbers the fake carrier offers: the lookup set, then one half for each
/// client's purchases.
const INVENTORY: usize = 400_000;
const LOOKUP_PATH: &str = "/functions/v1/get-phone-number?phone_number=%2B";
const PROVISION_PATH: &str = "/functions/v1/provision-phone-number";

#[derive(Clone)]
struct Settings {
    seconds: u64,
    concurrency: usize,
    repos: Vec<String>,
    clients: Vec<String>,
    /// `store`: the SQL repository is the token store too; `memory`: tokens
    /// in memory whatever the repository, to separate the two costs.
    tokens: String,
    /// The trivial handler and the lookup take turns this many times, so
    /// that drift in the machine's load hits both alike; the ratio reported
    /// is the median of the per-round ratios.
    rounds: usize,
    /// What serves both routers: `switchboard` (`switchboard_http::serve`,
    /// as `switchboard serve` runs) or `axum` (`axum::serve`, for comparing
    /// the connection handling's cost).
    server: String,
}

fn settings() -> Settings {
    let mut s = Settings {
        seconds: 5,
        concurrency: 64,
        repos: [
            "memory",
            "sqlite",
            "sqlite-nocache",
            "postgres",
            "postgres-nocache",
        ]
        .map(String::from)
        .to_vec(),
        clients: vec!["reqwest".into(), "wrk".into()],
        tokens: "store".into(),
        rounds: 5,
        server: "switchboard".into(),
    };
    let list = |v: &str| v.split(',').map(str::to_owned).collect::<Vec<_>>();
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2) {
        match pair[0].as_str() {
            "--seconds" => s.seconds = pair[1].parse().unwrap_or(s.seconds),
            "--concurrency" => s.concurrency = pair[1].parse().unwrap_or(s.concurrency),
            "--repo" => s.repos = list(&pair[1]),
            "--client" => s.clients = list(&pair[1]),
            "--tokens" => s.tokens = pair[1].clone(),
            "--rounds" => s.rounds = pair[1].parse().unwrap_or(s.rounds).max(1),
            "--server" => s.server = pair[1].clone(),
            _ => {}
        }
    }
    s
}

/// One measured row, whichever client produced it.
struct Row {
    repo: String,
    client: &'static str,
    what: &'static str,
    requests: u64,
    errors: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// The median per-round ratio to the trivial handler, where measured
    /// in alternating rounds.
    ratio: Option<(f64, f64, f64)>,
}

/// One row from the rows of several rounds: requests and errors summed,
/// req/s averaged, latencies the median of the rounds'.
fn combine(rounds: &[Row]) -> Option<Row> {
    let first = rounds.first()?;
    let mut p50: Vec<f64> = rounds.iter().map(|r| r.p50_ms).collect();
    let mut p99: Vec<f64> = rounds.iter().map(|r| r.p99_ms).collect();
    p50.sort_by(f64::total_cmp);
    p99.sort_by(f64::total_cmp);
    Some(Row {
        repo: first.repo.clone(),
        client: first.client,
        what: first.what,
        requests: rounds.iter().map(|r| r.requests).sum(),
        errors: rounds.iter().map(|r| r.errors).sum(),
        rps: rounds.iter().map(|r| r.rps).sum::<f64>() / rounds.len() as f64,
        p50_ms: p50[p50.len() / 2],
        p99_ms: p99[p99.len() / 2],
        ratio: None,
    })
}

/// Pushes the trivial and lookup rows of alternating rounds, the lookup's
/// with the median per-round ratio, and prints the spread.
fn push_rounds(trivial: &[Row], lookup: &[Row], rows: &mut Vec<Row>) {
    let ratios: Vec<f64> = trivial
        .iter()
        .zip(lookup)
        .filter(|(t, _)| t.rps > 0.0)
        .map(|(t, l)| l.rps / t.rps)
        .collect();
    let (Some(t), Some(mut l)) = (combine(trivial), combine(lookup)) else {
        return;
    };
    l.ratio = spread(ratios.clone());
    if let Some((median, low, high)) = l.ratio {
        println!(
            "  {}, {}: lookup / trivial per round {:?}: median {median:.2} (min {low:.2}, max {high:.2})",
            l.repo,
            l.client,
            ratios
                .iter()
                .map(|r| (r * 100.0).round() / 100.0)
                .collect::<Vec<_>>()
        );
    }
    rows.push(t);
    rows.push(l);
}

impl Run {
    fn row(&self, repo: &str, what: &'static str) -> Row {
        Row {
            repo: repo.to_owned(),
            client: "reqwest",
            what,
            requests: self.requests as u64,
            errors: self.errors as u64,
            rps: self.rps(),
            p50_ms: self.percentile_ms(0.50),
            p99_ms: self.percentile_ms(0.99),
            ratio: None,
        }
    }
}

async fn spawn(router: Router, server: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    if server == "axum" {
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
    } else {
        tokio::spawn(switchboard_http::serve(
            listener,
            router,
            std::future::pending(),
        ));
    }
    format!("http://{addr}")
}

/// A repository under test and what must be undone after it.
struct Store {
    name: String,
    numbers: Arc<dyn NumberRepository>,
    tokens: Arc<dyn TokenStore>,
    cleanup: Cleanup,
}

enum Cleanup {
    None,
    Sqlite(SqlRepository, PathBuf),
    Postgres(SqlRepository, String, String),
}

async fn open(repo: &str, tokens: &str) -> Option<Store> {
    let mut store = open_store(repo).await?;
    if tokens == "memory" && !matches!(store.cleanup, Cleanup::None) {
        store.tokens = Arc::new(InMemoryTokenStore::new());
        store.name.push_str(", tokens in memory");
    }
    Some(store)
}

async fn open_store(repo: &str) -> Option<Store> {
    let (repo, cached) = match repo.strip_suffix("-nocache") {
        Some(base) => (base, false),
        None => (repo, true),
    };
    let cache = |options: SqlOptions| {
        if cached {
            options
        } else {
            options.without_read_cache()
        }
    };
    let label = |name: &str| {
        if cached {
            format!("{name}, read cache")
        } else {
            format!("{name}, no cache")
        }
    };
    match repo {
        "memory" => Some(Store {
            name: "in-memory".into(),
            numbers: Arc::new(InMemoryRepository::new()),
            tokens: Arc::new(InMemoryTokenStore::new()),
            cleanup: Cleanup::None,
        }),
        "sqlite" => {
            let dir = std::env::temp_dir().join(format!(
                "switchboard-http-bench-{}",
                uuid::Uuid::new_v4().simple()
            ));
            std::fs::create_dir_all(&dir).expect("create the SQLite directory");
            let url = format!("sqlite://{}", dir.join("numbers.db").display());
            let sql = SqlRepository::connect_with(cache(SqlOptions::new(&url)))
                .await
                .expect("open SQLite");
            Some(Store {
                name: label("SQLite (file)"),
                numbers: Arc::new(sql.clone()),
                tokens: Arc::new(sql.clone()),
                cleanup: Cleanup::Sqlite(sql, dir),
            })
        }
        "postgres" => match std::env::var("SWITCHBOARD_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
                let sql = SqlRepository::connect_with(cache(SqlOptions::new(&url).schema(&schema)))
                    .await
                    .expect("open PostgreSQL");
                Some(Store {
                    name: label("PostgreSQL"),
                    numbers: Arc::new(sql.clone()),
                    tokens: Arc::new(sql.clone()),
                    cleanup: Cleanup::Postgres(sql, url, schema),
                })
            }
            _ => {
                println!("SKIPPED: PostgreSQL rows need SWITCHBOARD_TEST_DATABASE_URL");
                None
            }
        },
        other => {
            println!("SKIPPED: unknown repository {other:?} (memory, sqlite, postgres)");
            None
        }
    }
}

async fn close(cleanup: Cleanup) {
    match cleanup {
        Cleanup::None => {}
        Cleanup::Sqlite(sql, dir) => {
            sql.close().await;
            let _ = std::fs::remove_dir_all(dir);
        }
        Cleanup::Postgres(sql, url, schema) => {
            sql.close().await;
            use sqlx::Connection;
            let mut raw = sqlx::PgConnection::connect(&url).await.expect("raw");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA \"{schema}\" CASCADE"
            )))
            .execute(&mut raw)
            .await
            .expect("drop bench schema");
        }
    }
}

async fn bench_repo(settings: &Settings, store: Store, wrk: Option<&Path>, rows: &mut Vec<Row>) {
    let repo = store.name.as_str();
    // Enough numbers for both clients' purchase runs at in-memory speed
    // (the default 100,000 ran out under wrk); capped at the fake's maximum.
    let fake = FakeProvider::builder().inventory_size(INVENTORY).build();
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(fake.clone())),
        store.numbers.clone(),
    );
    store
        .tokens
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
    // Each client buys from its own half of the inventory.
    let (for_reqwest, for_wrk) = for_sale.split_at(for_sale.len() / 2);
    for number in looked_up {
        service
            .provision(&account, &ProvisionRequest::new(number.clone()))
            .await
            .expect("provision for the lookup run");
    }
    let state = AppState::new(service, store.tokens.clone());
    let api = spawn(switchboard_http::router(state), &settings.server).await;
    let trivial = spawn(
        Router::new().route("/", get(|| async { "ok" })),
        &settings.server,
    )
    .await;
    println!(
        "{repo}: API at {api}, trivial handler at {trivial}/, {} numbers for sale per client",
        for_reqwest.len().min(for_wrk.len())
    );

    if settings.clients.iter().any(|c| c == "reqwest") {
        bench_reqwest(settings, repo, &api, &trivial, looked_up, for_reqwest, rows).await;
    }
    if let Some(wrk) = wrk {
        bench_wrk(
            settings, wrk, repo, &api, &trivial, looked_up, for_wrk, rows,
        )
        .await;
    }
    if let Cleanup::Sqlite(sql, _) | Cleanup::Postgres(sql, _, _) = &store.cleanup
        && let Some(stats) = sql.read_cache_stats()
    {
        // Whether the cached rows were served from memory, not assumed.
        println!(
            "{repo}: read cache hits {}, misses {}, changes seen {}",
            stats.hits, stats.misses, stats.changes_seen
        );
    }
    close(store.cleanup).await;
}

async fn bench_reqwest(
    settings: &Settings,
    repo: &str,
    api: &str,
    trivial: &str,
    looked_up: &[PhoneNumber],
    for_sale: &[PhoneNumber],
    rows: &mut Vec<Row>,
) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(settings.concurrency)
        .build()
        .expect("client");
    let lookups: Arc<Vec<String>> = Arc::new(
        looked_up
            .iter()
            .map(|n| format!("{api}{LOOKUP_PATH}{}", n.digits()))
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
        let t = format!("{trivial}/");
        measure(settings.concurrency, 1, usize::MAX, move |_| c.get(&t)).await;
    }

    let (mut trivial_rounds, mut lookup_rounds) = (Vec::new(), Vec::new());
    for round in 0..settings.rounds {
        for k in 0..2 {
            if (round + k) % 2 == 0 {
                let c = client.clone();
                let t = format!("{trivial}/");
                let run = measure(
                    settings.concurrency,
                    settings.seconds,
                    usize::MAX,
                    move |_| c.get(&t),
                )
                .await;
                trivial_rounds.push(run.row(repo, "trivial axum handler (GET /)"));
            } else {
                let c = client.clone();
                let l = lookups.clone();
                let run = measure(
                    settings.concurrency,
                    settings.seconds,
                    usize::MAX,
                    move |i| c.get(&l[i % l.len()]).bearer_auth(TOKEN),
                )
                .await;
                lookup_rounds.push(run.row(repo, "GET get-phone-number (lookup)"));
            }
        }
    }
    push_rounds(&trivial_rounds, &lookup_rounds, rows);
    let c = client.clone();
    let p = purchases.clone();
    let url = format!("{api}{PROVISION_PATH}");
    let max = p.len();
    let run = measure(settings.concurrency, settings.seconds, max, move |i| {
        c.post(&url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(p[i].clone())
    })
    .await;
    rows.push(run.row(repo, "POST provision-phone-number (fake)"));
}

/// Lua for wrk: the token on every request, the paths and bodies taken in
/// turn (cycling), so lookups spread over the provisioned numbers and each
/// purchase names a different number.
fn lua_script(method: &str, paths: &[String], bodies: &[String]) -> String {
    let mut s = String::new();
    s.push_str(&format!("wrk.method = \"{method}\"\n"));
    s.push_str(&format!(
        "wrk.headers[\"Authorization\"] = \"Bearer {TOKEN}\"\n"
    ));
    if !bodies.is_empty() {
        s.push_str("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
    }
    s.push_str("local paths = {\n");
    for p in paths {
        s.push_str(&format!("  \"{p}\",\n"));
    }
    s.push_str("}\nlocal bodies = {\n");
    for b in bodies {
        s.push_str(&format!("  '{b}',\n"));
    }
    s.push_str(
        "}\nlocal i = 0\n\
         request = function()\n  \
           i = i + 1\n  \
           local path = paths[((i - 1) % #paths) + 1]\n  \
           local body = nil\n  \
           if #bodies > 0 then body = bodies[((i - 1) % #bodies) + 1] end\n  \
           return wrk.format(nil, path, nil, body)\n\
         end\n",
    );
    s
}

/// Figures wrk prints: `N requests in`, `Requests/sec:`, the latency
/// distribution (with `--latency`), non-2xx responses and socket errors.
fn parse_wrk(out: &str, repo: &str, what: &'static str) -> Option<Row> {
    let duration_ms = |v: &str| -> Option<f64> {
        let v = v.trim();
        let (num, scale) = if let Some(n) = v.strip_suffix("us") {
            (n, 0.001)
        } else if let Some(n) = v.strip_suffix("ms") {
            (n, 1.0)
        } else if let Some(n) = v.strip_suffix('s') {
            (n, 1000.0)
        } else if let Some(n) = v.strip_suffix('m') {
            (n, 60_000.0)
        } else {
            return None;
        };
        num.parse::<f64>().ok().map(|x| x * scale)
    };
    let mut row = Row {
        repo: repo.to_owned(),
        client: "wrk",
        what,
        requests: 0,
        errors: 0,
        rps: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        ratio: None,
    };
    let mut seen_rps = false;
    for line in out.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            row.rps = v.trim().parse().ok()?;
            seen_rps = true;
        } else if let Some((n, _)) = line.split_once(" requests in ") {
            row.requests = n.trim().parse().ok()?;
        } else if let Some(v) = line.strip_prefix("50%") {
            row.p50_ms = duration_ms(v)?;
        } else if let Some(v) = line.strip_prefix("99%") {
            row.p99_ms = duration_ms(v)?;
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            row.errors += v.trim().parse::<u64>().ok()?;
        } else if let Some(v) = line.strip_prefix("Socket errors:") {
            for part in v.split(',') {
                if let Some(n) = part.split_whitespace().nth(1) {
                    row.errors += n.parse::<u64>().ok()?;
                }
            }
        }
    }
    seen_rps.then_some(row)
}

async fn run_wrk(
    settings: &Settings,
    wrk: &Path,
    url: String,
    script: Option<PathBuf>,
    repo: &str,
    what: &'static str,
) -> Option<Row> {
    let mut cmd = std::process::Command::new(wrk);
    cmd.arg("-t1")
        .arg(format!("-c{}", settings.concurrency))
        .arg(format!("-d{}s", settings.seconds))
        .arg("--latency");
    if let Some(script) = &script {
        cmd.arg("-s").arg(script);
    }
    cmd.arg(&url);
    println!("  {repo}: {cmd:?}");
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .ok()?
        .ok()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row = parse_wrk(&stdout, repo, what);
    if row.is_none() {
        println!(
            "  wrk output not understood:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    row
}

#[allow(clippy::too_many_arguments)]
async fn bench_wrk(
    settings: &Settings,
    wrk: &Path,
    repo: &str,
    api: &str,
    trivial: &str,
    looked_up: &[PhoneNumber],
    for_sale: &[PhoneNumber],
    rows: &mut Vec<Row>,
) {
    let dir = std::env::temp_dir().join(format!(
        "switchboard-http-bench-wrk-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("create the wrk script directory");
    let lookup_paths: Vec<String> = looked_up
        .iter()
        .map(|n| format!("{LOOKUP_PATH}{}", n.digits()))
        .collect();
    let lookup_lua = dir.join("lookup.lua");
    std::fs::write(&lookup_lua, lua_script("GET", &lookup_paths, &[])).expect("write lookup.lua");
    let bodies: Vec<String> = for_sale
        .iter()
        .map(|n| format!(r#"{{"phone_number":"{n}","friendly_name":"Bench"}}"#))
        .collect();
    let provision_lua = dir.join("provision.lua");
    std::fs::write(
        &provision_lua,
        lua_script("POST", &[PROVISION_PATH.to_owned()], &bodies),
    )
    .expect("write provision.lua");

    // Warm-up, not recorded.
    let warm = Settings {
        seconds: 1,
        ..settings.clone()
    };
    let _ = run_wrk(&warm, wrk, format!("{trivial}/"), None, repo, "warm-up").await;

    let (mut trivial_rounds, mut lookup_rounds) = (Vec::new(), Vec::new());
    for round in 0..settings.rounds {
        for k in 0..2 {
            if (round + k) % 2 == 0 {
                let url = format!("{trivial}/");
                let what = "trivial axum handler (GET /)";
                if let Some(row) = run_wrk(settings, wrk, url, None, repo, what).await {
                    trivial_rounds.push(row);
                }
            } else {
                let url = format!("{api}/");
                let script = Some(lookup_lua.clone());
                let what = "GET get-phone-number (lookup)";
                if let Some(row) = run_wrk(settings, wrk, url, script, repo, what).await {
                    lookup_rounds.push(row);
                }
            }
        }
    }
    push_rounds(&trivial_rounds, &lookup_rounds, rows);
    let what = "POST provision-phone-number (fake)";
    if let Some(row) = run_wrk(
        settings,
        wrk,
        format!("{api}/"),
        Some(provision_lua),
        repo,
        what,
    )
    .await
    {
        rows.push(row);
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn find_wrk() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("wrk"))
            .find(|p| p.is_file())
    })
}

async fn run(settings: Settings) {
    let wrk = if settings.clients.iter().any(|c| c == "wrk") {
        let found = find_wrk();
        if found.is_none() {
            println!("SKIPPED: wrk rows need `wrk` on PATH (apt-get install wrk)");
        }
        found
    } else {
        None
    };
    let mut rows = Vec::new();
    for repo in &settings.repos {
        if let Some(store) = open(repo, &settings.tokens).await {
            bench_repo(&settings, store, wrk.as_deref(), &mut rows).await;
        }
    }

    println!(
        "\nloopback, {} connections; trivial and lookup: {} rounds of {} s each, alternating, \
         vs trivial = median per-round ratio; provision: one run of {} s; reqwest: client in \
         the server's process and runtime; wrk: -t1, a separate process\n",
        settings.concurrency, settings.rounds, settings.seconds, settings.seconds
    );
    println!(
        "| repository | client | what | requests | errors | req/s | p50 ms | p99 ms | vs trivial |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|");
    let mut base = 0.0;
    for r in &rows {
        if r.what.starts_with("trivial") {
            base = r.rps;
        }
        println!(
            "| {} | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
            r.repo,
            r.client,
            r.what,
            r.requests,
            r.errors,
            r.rps,
            r.p50_ms,
            r.p99_ms,
            r.ratio
                .map(|(median, _, _)| median)
                .unwrap_or(if base > 0.0 { r.rps / base } else { 0.0 })
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
