//! The soak: no write undoes another under load. Sixteen tasks provision,
//! rename, reassign and release numbers, and run bulk purchases, while a
//! reconcile runs in a loop beside them, against a carrier emulator that is
//! slow and faulty (latency, an in-flight cap answering 429, 5xx, dropped
//! connections, purchases and releases that commit and lose their answer,
//! and an owned-number listing that lags the purchases by longer than the
//! reconcile grace). The work is bounded by a count of operations, not by
//! time, so a slow machine runs the same soak for longer.
//!
//! At the end the faults stop, the leases lapse, reconcile runs until it
//! finds nothing it can repair, and one more quiet pass finds nothing at
//! all. Then the carrier and the records must agree exactly: no number paid
//! for without a live record, no live record of a number the carrier does
//! not hold, no release that a caller was told about left undone. Each test
//! prints one line with its counts (for BENCHMARKS.md).
//!
//! Three fronts carry the same load: one service on the in-memory store;
//! two services on two handles of one SQLite file; two `switchboard serve`
//! processes on one PostgreSQL schema, reconciling in the background, driven
//! over HTTP and settled with `switchboard reconcile`.

#![cfg(all(
    feature = "twilio",
    feature = "emulator",
    feature = "fake",
    feature = "sqlite"
))]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use common::{
    CarrierLog, Zeros, all_records, assert_agreement, names_at_carrier, owned_at_carrier, states,
};
use switchboard::{
    AccountId, BulkProvisionRequest, Error, InMemoryRepository, NumberRepository, NumberState,
    NumberUpdate, PhoneNumber, ProviderRegistry, ProvisionRequest, ProvisionedNumber,
    ProvisioningService, ReconcileOptions, ReconcileReport, Repair, RetryPolicy, SearchQuery,
    ServiceOptions, TelephonyProvider,
};
use switchboard_emulator::{
    AfterCommit, CommitThenTimeout, DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN,
    Emulator, Faults, Latency, RunningEmulator,
};
use switchboard_twilio::{TwilioConfig, TwilioProvider};
use uuid::Uuid;

/// Tasks carrying the load at once.
const WORKERS: usize = 16;
const ACCOUNTS: [&str; 4] = ["soak-north", "soak-south", "soak-east", "soak-west"];
const INVENTORY_SEED: u64 = 0x50A4;
const INVENTORY_SIZE: usize = 3_000;
/// How many of the records bought last the changes pick from: few enough
/// that two tasks often work on one record at once.
const HOT: usize = 12;
/// Numbers in a bulk run.
const BULK_COUNT: u32 = 12;
/// Reconcile passes after the load before the quiet one; more means a
/// pass keeps finding new work, which is a finding in itself.
const MAX_FINAL_PASSES: usize = 5;

/// How much work one soak does.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Operations drawn by the tasks (a bulk run counts as one).
    operations: usize,
    /// Distinct numbers single provisions draw from.
    pool: usize,
    /// A number bought less than this ago is left out of listings.
    listing_lag: Duration,
    /// How long a hung answer keeps its connection (past the client's
    /// timeout, so the caller gives up while the change is made).
    hang: Duration,
}

/// The carrier's misbehaviour in each half of the run: about one call in
/// six fails one way or another, and every listing lags. The halves differ
/// in the 5xx status and in how answers are lost (cut, or hung until the
/// client gives up).
fn faults(half: usize, plan: &Plan) -> Faults {
    Faults {
        latency: Some(Latency {
            min_ms: 0,
            max_ms: 30,
        }),
        max_in_flight: Some(12),
        retry_after_secs: 1,
        error_rate: 0.05,
        error_status: [503, 500][half],
        drop_rate: 0.04,
        commit_then_timeout: Some(CommitThenTimeout {
            mode: [AfterCommit::Drop, AfterCommit::Hang][half],
            hold_ms: plan.hang.as_millis() as u64,
            rate: 0.08,
        }),
        listing_lag_ms: Some(plan.listing_lag.as_millis() as u64),
        operations: Vec::new(),
        seed: 0x50A4 + half as u64,
    }
}

/// A record the load knows about: its account (by index) and id.
#[derive(Debug, Clone, Copy)]
struct Target {
    account: usize,
    id: Uuid,
}

/// What a bulk run gave.
struct BulkDone {
    bought: Vec<Target>,
    /// Error codes of the positions that got no number.
    failed: Vec<String>,
}

/// Where the load goes: services in this process, or servers over HTTP.
/// Errors are the stable error codes both speak. `lane` picks the service
/// or server, so that the work is spread over all of them.
#[async_trait]
trait Front: Send + Sync + 'static {
    fn lanes(&self) -> usize;
    async fn provision(
        &self,
        lane: usize,
        account: usize,
        request: ProvisionRequest,
    ) -> Result<Target, String>;
    async fn update(&self, lane: usize, target: Target, update: NumberUpdate)
    -> Result<(), String>;
    /// `true` when released, `false` when the release is pending.
    async fn release(&self, lane: usize, target: Target) -> Result<bool, String>;
    async fn bulk(
        &self,
        lane: usize,
        account: usize,
        request: BulkProvisionRequest,
    ) -> Result<BulkDone, String>;
}

/// Codes a caller may get while others work on the same numbers and the
/// carrier misbehaves: temporary failures, refusals because another
/// request got there first, and (for a rename) the carrier no longer
/// holding a number released meanwhile. Anything else is a finding.
fn expected(kind: &str, code: &str) -> bool {
    const UNDER_LOAD: [&str; 7] = [
        "rate_limited",
        "retry_later",
        "carrier_unreachable",
        "carrier_error",
        "conflict",
        "stale_record",
        "timeout",
    ];
    UNDER_LOAD.contains(&code)
        || match kind {
            "provision" => matches!(code, "already_provisioned" | "number_unavailable"),
            "rename" => code == "not_found",
            _ => false,
        }
}

/// What the callers were told, by kind of operation.
#[derive(Default)]
struct Tally {
    outcomes: Mutex<BTreeMap<&'static str, BTreeMap<String, usize>>>,
    /// Records whose release came back Ok (released or pending).
    released: Mutex<Vec<Uuid>>,
    /// Records bought, for the renames, reassignments and releases.
    known: Mutex<Vec<Target>>,
    /// Every rename asked for, by record: the name and whether the caller
    /// was told it was done.
    renames: Mutex<HashMap<Uuid, Vec<(String, bool)>>>,
    unexpected: Mutex<Vec<String>>,
}

impl Tally {
    fn note(&self, kind: &'static str, outcome: &str) {
        *self
            .outcomes
            .lock()
            .expect("tally")
            .entry(kind)
            .or_default()
            .entry(outcome.to_string())
            .or_insert(0) += 1;
    }

    fn failed(&self, kind: &'static str, what: &str, code: &str) {
        self.note(kind, code);
        if !expected(kind, code) {
            self.unexpected
                .lock()
                .expect("tally")
                .push(format!("{kind} {what}: {code}"));
        }
    }

    /// One of the [`HOT`] records bought last, so that renames,
    /// reassignments, releases and reconcile meet on the same records.
    fn pick(&self, draw: u64) -> Option<Target> {
        let known = self.known.lock().expect("tally");
        let hot = known.len().min(HOT) as u64;
        (hot > 0).then(|| known[known.len() - 1 - (draw % hot) as usize])
    }

    fn summary(&self) -> String {
        let outcomes = self.outcomes.lock().expect("tally");
        let total: usize = outcomes.values().flat_map(|o| o.values()).sum();
        let kinds: Vec<String> = outcomes
            .iter()
            .map(|(kind, by)| {
                let n: usize = by.values().sum();
                format!("{kind} {n} {by:?}")
            })
            .collect();
        format!("{total} operations: {}", kinds.join(", "))
    }
}

/// A well-mixed 64-bit hash: the load's choices are a function of the
/// operation's number, so a run's mix of work is the same every time.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The numbers single provisions buy: spread over the catalogue, so bulk
/// runs (which take what a search offers) compete for some of them.
fn pool(size: usize) -> Vec<PhoneNumber> {
    switchboard::fake::Inventory::new(INVENTORY_SEED, INVENTORY_SIZE)
        .iter()
        .step_by(INVENTORY_SIZE / size)
        .take(size)
        .map(|n| n.phone_number)
        .collect()
}

/// Runs the load through `front`: `plan.operations` operations drawn by
/// [`WORKERS`] tasks. Half are provisions (a third of them with an
/// idempotency key), a fifth renames, a tenth agent reassignments, a fifth
/// releases, each of one of the records bought last (see [`Tally::pick`]:
/// often one being renamed or released by another task, or released
/// already); two draws are bulk runs. The faults change halfway.
async fn load(front: Arc<dyn Front>, plan: Plan, emulator: &RunningEmulator, tally: Arc<Tally>) {
    let pool = Arc::new(pool(plan.pool));
    let next_op = Arc::new(AtomicUsize::new(0));
    let next_number = Arc::new(AtomicUsize::new(0));
    let bulk_at = [plan.operations / 3, plan.operations * 2 / 3];
    let halfway = Arc::new(AtomicBool::new(false));
    emulator.set_faults(faults(0, &plan)).expect("faults");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let front = front.clone();
        let tally = tally.clone();
        let pool = pool.clone();
        let next_op = next_op.clone();
        let next_number = next_number.clone();
        let halfway = halfway.clone();
        let emulator = emulator.handle();
        tasks.spawn(async move {
            loop {
                let k = next_op.fetch_add(1, Ordering::Relaxed);
                if k >= plan.operations {
                    break;
                }
                if k >= plan.operations / 2 && !halfway.swap(true, Ordering::Relaxed) {
                    emulator.set_faults(faults(1, &plan)).expect("faults");
                }
                let draw = mix(k as u64);
                let lane = k % front.lanes();
                let roll = draw % 100;
                let target = tally.pick(draw >> 8);
                if let Some(run) = bulk_at.iter().position(|at| *at == k) {
                    let account = run % ACCOUNTS.len();
                    let request = BulkProvisionRequest::new(BULK_COUNT, SearchQuery::default())
                        .friendly_name_prefix(format!("bulk {run}"))
                        .idempotency_key_prefix(format!("soak-bulk-{run}"))
                        .max_concurrency(4);
                    match front.bulk(lane, account, request).await {
                        Ok(done) => {
                            tally.note("bulk", "ran");
                            for _ in &done.bought {
                                tally.note("bulk position", "bought");
                            }
                            for code in &done.failed {
                                tally.note("bulk position", code);
                            }
                            tally.known.lock().expect("tally").extend(done.bought);
                        }
                        Err(code) => tally.failed("bulk", "run", &code),
                    }
                    continue;
                }
                match (roll, target) {
                    (0..50, _) | (_, None) => {
                        let i = next_number.fetch_add(1, Ordering::Relaxed);
                        // Past the end the pool starts over: numbers bought
                        // are refused, numbers released are bought again.
                        let number = &pool[i % pool.len()];
                        let account = i % ACCOUNTS.len();
                        let mut request = ProvisionRequest::new(number.clone())
                            .friendly_name(format!("line {i}"));
                        if i.is_multiple_of(3) {
                            request = request.idempotency_key(format!("soak-{i}"));
                        }
                        match front.provision(lane, account, request).await {
                            Ok(target) => {
                                tally.note("provision", "ok");
                                tally.known.lock().expect("tally").push(target);
                            }
                            Err(code) => tally.failed("provision", number.as_str(), &code),
                        }
                    }
                    (50..70, Some(target)) => {
                        let name = format!("renamed {k}");
                        let update = NumberUpdate {
                            friendly_name: Some(name.clone()),
                            ..NumberUpdate::default()
                        };
                        let outcome = front.update(lane, target, update).await;
                        tally
                            .renames
                            .lock()
                            .expect("tally")
                            .entry(target.id)
                            .or_default()
                            .push((name, outcome.is_ok()));
                        match outcome {
                            Ok(()) => tally.note("rename", "ok"),
                            Err(code) => tally.failed("rename", &target.id.to_string(), &code),
                        }
                    }
                    (70..80, Some(target)) => {
                        let update = NumberUpdate {
                            agent_id: Some(Some(Uuid::from_u64_pair(draw, k as u64))),
                            ..NumberUpdate::default()
                        };
                        match front.update(lane, target, update).await {
                            Ok(()) => tally.note("reassign", "ok"),
                            Err(code) => tally.failed("reassign", &target.id.to_string(), &code),
                        }
                    }
                    (_, Some(target)) => match front.release(lane, target).await {
                        Ok(done) => {
                            tally.note("release", if done { "released" } else { "pending" });
                            tally.released.lock().expect("tally").push(target.id);
                        }
                        Err(code) => tally.failed("release", &target.id.to_string(), &code),
                    },
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("a load task panicked");
    }
}

/// Reconcile's findings over many passes.
#[derive(Debug, Default)]
struct Passes {
    /// Where the passes ran and which were counted.
    source: &'static str,
    passes: usize,
    found: usize,
    repaired: usize,
    /// Drift by `kind/repair`.
    by_kind: BTreeMap<String, usize>,
    /// Parts of passes that could not be read (a listing, a page).
    unread: usize,
    /// Passes that failed as a whole.
    failed: usize,
    /// Pending releases left because the carrier named a time to come back.
    refused_until: usize,
}

/// One pass, in the terms both the service's report and the CLI's JSON
/// give.
#[derive(Debug, Default)]
struct Pass {
    found: usize,
    repaired: usize,
    repairs_failed: usize,
    by_kind: Vec<String>,
    unread: usize,
    refused_until: usize,
}

impl Pass {
    fn of(report: &ReconcileReport) -> Self {
        let label = |r: &Repair| match r {
            Repair::Left(_) => "left".to_string(),
            Repair::Failed(_) => "failed".to_string(),
            other => format!("{other:?}"),
        };
        Pass {
            found: report.drift.len(),
            repaired: report.repaired(),
            repairs_failed: report
                .drift
                .iter()
                .filter(|d| matches!(d.repair, Repair::Failed(_)))
                .count(),
            by_kind: report
                .drift
                .iter()
                .map(|d| format!("{:?}/{}", d.kind, label(&d.repair)))
                .collect(),
            unread: report.errors.len(),
            refused_until: report
                .drift
                .iter()
                .filter(|d| matches!(&d.repair, Repair::Left(why) if why.contains("waits until")))
                .count(),
        }
    }

    #[cfg(feature = "postgres")]
    fn of_json(report: &serde_json::Value) -> Self {
        let drift = report["drift"].as_array().cloned().unwrap_or_default();
        let action =
            |d: &serde_json::Value| d["repair"]["action"].as_str().unwrap_or("?").to_string();
        Pass {
            found: drift.len(),
            repaired: drift
                .iter()
                .filter(|d| !matches!(action(d).as_str(), "left" | "failed"))
                .count(),
            repairs_failed: drift.iter().filter(|d| action(d) == "failed").count(),
            by_kind: drift
                .iter()
                .map(|d| format!("{}/{}", d["kind"].as_str().unwrap_or("?"), action(d)))
                .collect(),
            unread: report["errors"].as_array().map_or(0, Vec::len),
            refused_until: drift
                .iter()
                .filter(|d| {
                    d["repair"]["detail"]
                        .as_str()
                        .is_some_and(|why| why.contains("waits until"))
                })
                .count(),
        }
    }

    fn is_quiet(&self) -> bool {
        self.found == 0 && self.unread == 0
    }
}

impl Passes {
    fn add(&mut self, pass: &Pass) {
        self.passes += 1;
        self.found += pass.found;
        self.repaired += pass.repaired;
        self.unread += pass.unread;
        self.refused_until += pass.refused_until;
        for kind in &pass.by_kind {
            *self.by_kind.entry(kind.clone()).or_insert(0) += 1;
        }
    }
}

/// Reconciles in a loop until `stop`, as a periodic job beside requests.
async fn reconcile_loop(service: ProvisioningService, stop: Arc<AtomicBool>) -> Passes {
    let mut passes = Passes {
        source: "a loop beside the load",
        ..Passes::default()
    };
    while !stop.load(Ordering::Relaxed) {
        match service.reconcile(&ReconcileOptions::default()).await {
            Ok(report) => passes.add(&Pass::of(&report)),
            Err(_) => passes.failed += 1,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    passes
}

/// What the carrier's request log says about the faults it injected.
fn injected(emulator: &RunningEmulator) -> String {
    let log = CarrierLog::read(emulator, "twilio");
    let requests = emulator.requests();
    let lagged: Vec<usize> = requests
        .iter()
        .map(|r| r.left_out)
        .filter(|n| *n > 0)
        .collect();
    format!(
        "{} carrier requests, {} faults injected (by outcome {:?}), {} purchase answers lost, \
         {} listings lagged leaving out {} numbers",
        requests.len(),
        log.faults() + lagged.len(),
        log.outcomes,
        log.purchase_answers_lost,
        lagged.len(),
        lagged.iter().sum::<usize>(),
    )
}

/// The end of every soak: the records and the carrier agree exactly.
/// Prints the counts and asserts the three zeros, then the finer
/// invariants of `assert_agreement`.
#[allow(clippy::too_many_arguments)]
fn judge(
    label: &str,
    emulator: &RunningEmulator,
    records: &[ProvisionedNumber],
    tally: &Tally,
    during: &Passes,
    after: &Passes,
    quiet: &(Pass, String),
    min_passes: usize,
    pending_until_later: usize,
    times: (Duration, Duration),
) {
    let owned = owned_at_carrier(emulator, "twilio");
    let released = tally.released.lock().expect("tally").clone();
    let (zeros, problems) = Zeros::count(records, &owned, &released);
    let names = name_drift(emulator, records, tally);
    println!(
        "soak [{label}]: {}; {}; reconcile during the load ({}): {} passes ({} failed), drift {} found, \
         {} repaired {:?}, {} parts unread; final: {} passes, drift {} found, {} repaired {:?}, then a quiet pass with {} drift; \
         records {:?}, {} owned at the carrier, {} releases asked for ({} records); paid numbers without a \
         live record {}, live records the carrier does not hold {}, releases asked for and lost \
         {}; names the carrier and an active record disagree on {:?}; load {:.1}s, total {:.1}s",
        tally.summary(),
        injected(emulator),
        during.source,
        during.passes,
        during.failed,
        during.found,
        during.repaired,
        during.by_kind,
        during.unread,
        after.passes,
        after.found,
        after.repaired,
        after.by_kind,
        quiet.0.found,
        states(records),
        owned.len(),
        released.len(),
        released
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        zeros.paid_without_record,
        zeros.live_not_held,
        zeros.releases_lost,
        names
            .iter()
            .map(|(class, v)| (class, v.len()))
            .collect::<BTreeMap<_, _>>(),
        times.0.as_secs_f64(),
        times.1.as_secs_f64(),
    );
    assert!(
        quiet.0.is_quiet(),
        "{label}: the quiet pass after {} passes found {}",
        after.passes,
        quiet.1
    );
    assert!(
        problems.is_empty(),
        "{label}: the records and the carrier disagree:\n{}",
        problems.join("\n")
    );
    assert_eq!(zeros, Zeros::default());
    // A rename the caller was told failed may have reached the carrier (its
    // answer was lost): the caller repeats it. Any other name disagreement
    // is one write undoing another.
    let undone: Vec<&String> = names
        .iter()
        .filter(|(class, _)| !class.contains("told failed"))
        .flat_map(|(_, lines)| lines)
        .collect();
    assert!(
        undone.is_empty(),
        "{label}: names the records and the carrier disagree on:\n{undone:#?}"
    );
    let unexpected = tally.unexpected.lock().expect("tally").clone();
    assert!(
        unexpected.is_empty(),
        "{label}: callers got answers no overlap explains:\n{}",
        unexpected.join("\n")
    );
    // The Twilio emulator never names a time to come back: a release left
    // pending until later would be one the soak cannot finish.
    assert_eq!(
        pending_until_later, 0,
        "{label}: releases pending with a carrier's not_before"
    );
    // Releases deferred during the load are expected: a release whose
    // answer was lost meets its own 20404 on the retry, inside Twilio's
    // not-found window, and waits. What must not happen is one still
    // waiting at the end (`pending_until_later` above).
    assert_agreement(
        records,
        &owned,
        &CarrierLog::read(emulator, "twilio"),
        "twilio",
    );
    // The load and the faults did happen: a soak that bought or released
    // nothing, or injected nothing, proves nothing.
    assert!(records.iter().any(|r| r.state == NumberState::Active));
    assert!(!released.is_empty());
    let log = CarrierLog::read(emulator, "twilio");
    assert!(log.faults() >= 50, "only {} faults: {log:?}", log.faults());
    assert!(
        emulator.requests().iter().any(|r| r.left_out > 0),
        "no listing lagged"
    );
    assert!(
        during.passes >= min_passes,
        "reconcile ran {} times beside the load",
        during.passes
    );
}

/// Active records whose name is not the one the carrier holds, by why:
/// a rename whose answer was lost reached the carrier (the caller was told
/// it failed), or two renames that were both told done reached the carrier
/// in one order and the records in the other.
fn name_drift(
    emulator: &RunningEmulator,
    records: &[ProvisionedNumber],
    tally: &Tally,
) -> BTreeMap<&'static str, Vec<String>> {
    let at_carrier = names_at_carrier(emulator, "twilio");
    let renames = tally.renames.lock().expect("tally");
    let mut drift: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for record in records.iter().filter(|r| r.state == NumberState::Active) {
        let held = at_carrier
            .get(record.phone_number.as_str())
            .cloned()
            .flatten();
        if held.as_deref() == Some(record.friendly_name.as_str()) {
            continue;
        }
        let tried = renames.get(&record.id).cloned().unwrap_or_default();
        let told_done = |name: &str| tried.iter().any(|(n, ok)| n == name && *ok);
        let class = match held.as_deref() {
            Some(name) if tried.iter().any(|(n, ok)| n == name && !*ok) => {
                "a rename told failed reached the carrier"
            }
            Some(name) if told_done(name) && told_done(&record.friendly_name) => {
                "two renames told done, recorded in the other order"
            }
            _ => "other",
        };
        drift.entry(class).or_default().push(format!(
            "{}: recorded {:?}, carrier {:?}, renames {:?}",
            record.phone_number, record.friendly_name, held, tried
        ));
    }
    drift
}

/// Releases pending with a `not_before` still ahead.
fn pending_until_later(records: &[ProvisionedNumber]) -> usize {
    let now = chrono::Utc::now();
    records
        .iter()
        .filter(|r| {
            r.state == NumberState::Releasing && r.release_not_before.is_some_and(|t| t > now)
        })
        .count()
}

// ---------------------------------------------------------------- in process

/// Short, so that a lost answer costs a second, not thirty.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(1);
/// A reservation whose request died is reconcile's after this.
const LEASE: Duration = Duration::from_millis(300);
/// Shorter than the listing lag: a reconcile that trusted one listing
/// would release numbers that are merely not listed yet.
const GRACE: Duration = Duration::from_millis(200);

const IN_PROCESS: Plan = Plan {
    operations: 1_000,
    pool: 300,
    listing_lag: Duration::from_millis(500),
    hang: Duration::from_millis(1_500),
};

fn twilio(emulator: &RunningEmulator) -> Arc<dyn TelephonyProvider> {
    let config =
        TwilioConfig::with_auth_token(DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN)
            .and_then(|c| c.base_url(&emulator.base_url()))
            .expect("Twilio configuration")
            .timeout(CLIENT_TIMEOUT)
            .connect_timeout(CLIENT_TIMEOUT)
            .retry_policy(RetryPolicy {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(20),
                max_backoff: Duration::from_millis(200),
                max_retry_after: Duration::from_secs(1),
            })
            // The emulator never denies a number it sold, but a release
            // whose answer was lost meets its own 20404 on the retry: within
            // the window that keeps the release pending, as it must, and
            // reconcile completes it after. Short, so the final passes see
            // it through.
            .not_found_window(GRACE);
    Arc::new(TwilioProvider::new(config).expect("Twilio provider"))
}

fn service(
    emulator: &RunningEmulator,
    repository: Arc<dyn NumberRepository>,
) -> ProvisioningService {
    ProvisioningService::new(ProviderRegistry::new(twilio(emulator)), repository).with_options(
        ServiceOptions {
            purchase_retry: RetryPolicy {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(20),
                max_backoff: Duration::from_millis(200),
                max_retry_after: Duration::from_secs(1),
            },
            reservation_lease: LEASE,
            fresh_record_grace: GRACE,
            ..ServiceOptions::default()
        },
    )
}

/// Services in this process, one per lane.
struct InProcess {
    services: Vec<ProvisioningService>,
    accounts: Vec<AccountId>,
}

fn code(error: &Error) -> String {
    match error {
        // A carrier error that is not temporary (a 4xx) is not explained
        // by the faults, which are all 5xx, 429 or lost answers.
        Error::Carrier { .. } if !error.is_temporary() => "carrier_error (permanent)".into(),
        _ => error.code().to_string(),
    }
}

#[async_trait]
impl Front for InProcess {
    fn lanes(&self) -> usize {
        self.services.len()
    }

    async fn provision(
        &self,
        lane: usize,
        account: usize,
        request: ProvisionRequest,
    ) -> Result<Target, String> {
        self.services[lane]
            .provision(&self.accounts[account], &request)
            .await
            .map(|r| Target { account, id: r.id })
            .map_err(|e| code(&e))
    }

    async fn update(
        &self,
        lane: usize,
        target: Target,
        update: NumberUpdate,
    ) -> Result<(), String> {
        self.services[lane]
            .update(&self.accounts[target.account], target.id, &update)
            .await
            .map(|_| ())
            .map_err(|e| code(&e))
    }

    async fn release(&self, lane: usize, target: Target) -> Result<bool, String> {
        self.services[lane]
            .release(&self.accounts[target.account], target.id)
            .await
            .map(|r| r.state == NumberState::Released)
            .map_err(|e| code(&e))
    }

    async fn bulk(
        &self,
        lane: usize,
        account: usize,
        request: BulkProvisionRequest,
    ) -> Result<BulkDone, String> {
        let report = self.services[lane]
            .provision_bulk(&self.accounts[account], &request)
            .await
            .map_err(|e| code(&e))?;
        Ok(BulkDone {
            bought: report
                .numbers()
                .map(|n| Target { account, id: n.id })
                .collect(),
            failed: report
                .outcomes
                .iter()
                .filter_map(|o| o.error().map(code))
                .collect(),
        })
    }
}

/// The in-process soak over `repositories` (one service each, sharing the
/// load); the first service also reconciles in a loop.
async fn soak_in_process(label: &str, repositories: Vec<Arc<dyn NumberRepository>>) {
    let started = Instant::now();
    let emulator = Emulator::builder()
        .inventory(INVENTORY_SEED, INVENTORY_SIZE)
        .start()
        .await
        .expect("start the emulator");
    let services: Vec<ProvisioningService> = repositories
        .iter()
        .map(|r| service(&emulator, r.clone()))
        .collect();
    let accounts = ACCOUNTS
        .iter()
        .map(|a| AccountId::parse(a).expect("account"))
        .collect();
    let front: Arc<dyn Front> = Arc::new(InProcess {
        services: services.clone(),
        accounts,
    });
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let reconciling = tokio::spawn(reconcile_loop(services[0].clone(), stop.clone()));
    load(front, IN_PROCESS, &emulator, tally.clone()).await;
    let load_time = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let during = reconciling.await.expect("reconcile loop");

    // The carrier calms down; past the leases and the grace, reconcile
    // settles what is left until it finds nothing to repair.
    emulator.clear_faults();
    tokio::time::sleep(LEASE.max(GRACE) + Duration::from_millis(100)).await;
    let repository = services[0].repository().clone();
    let pending = pending_until_later(&all_records(repository.as_ref()).await);
    let mut after = Passes::default();
    for _ in 0..MAX_FINAL_PASSES {
        let pass = Pass::of(
            &services[0]
                .reconcile(&ReconcileOptions::default())
                .await
                .expect("reconcile"),
        );
        after.add(&pass);
        if pass.repaired == 0 && pass.repairs_failed == 0 {
            break;
        }
    }
    let quiet = services[0]
        .reconcile(&ReconcileOptions::default())
        .await
        .expect("quiet reconcile");
    let quiet = (
        Pass::of(&quiet),
        format!("{:?} (errors {:?})", quiet.drift, quiet.errors),
    );
    let records = all_records(repository.as_ref()).await;
    judge(
        label,
        &emulator,
        &records,
        &tally,
        &during,
        &after,
        &quiet,
        3,
        pending,
        (load_time, started.elapsed()),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_no_write_undoes_another_under_load() {
    soak_in_process("in-memory", vec![Arc::new(InMemoryRepository::new())]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_handles_no_write_undoes_another_under_load() {
    let dir = common::TempDir::new("soak-sqlite");
    let url = format!("sqlite://{}", dir.path().join("numbers.db").display());
    let mut repositories: Vec<Arc<dyn NumberRepository>> = Vec::new();
    for _ in 0..2 {
        repositories.push(Arc::new(
            switchboard_sql::SqlRepository::connect(&url)
                .await
                .expect("open SQLite"),
        ));
    }
    soak_in_process("SQLite, two handles", repositories).await;
}

// ------------------------------------------------- two processes, PostgreSQL

#[cfg(all(feature = "postgres", feature = "cli", feature = "server"))]
mod two_processes {
    use std::path::Path;

    use common::{Server, TempDir, create_token, run_ok};
    use serde_json::{Value, json};
    use switchboard::api;

    use super::*;

    /// Whole seconds, as the binary's settings take them: the lease, the
    /// grace and the background reconcile interval.
    const SECOND: Duration = Duration::from_secs(1);

    const TWO_PROCESSES: Plan = Plan {
        operations: 1_000,
        pool: 300,
        // Longer than the one-second grace.
        listing_lag: Duration::from_millis(1_500),
        // The binary's carrier timeout is thirty seconds: a hung answer
        // ends when the emulator closes the connection.
        hang: Duration::from_millis(600),
    };

    /// Servers over HTTP, one per lane, with a token per account.
    struct Http {
        client: reqwest::Client,
        servers: Vec<String>,
        tokens: Vec<String>,
    }

    impl Http {
        async fn post(
            &self,
            lane: usize,
            account: usize,
            route: &str,
            body: Value,
        ) -> Result<(u16, Value), String> {
            let response = self
                .client
                .post(format!("{}/functions/v1/{route}", self.servers[lane]))
                .bearer_auth(&self.tokens[account])
                .json(&body)
                .send()
                .await
                .map_err(|e| format!("no answer from the server ({e})"))?;
            let status = response.status().as_u16();
            let body: Value = response
                .json()
                .await
                .map_err(|e| format!("{status} without a JSON body ({e})"))?;
            if (200..300).contains(&status) {
                Ok((status, body))
            } else {
                Err(body["error"]["code"]
                    .as_str()
                    .map_or_else(|| format!("{status} {body}"), str::to_string))
            }
        }
    }

    fn id_of(body: &Value) -> Result<Uuid, String> {
        body["id"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| format!("an answer without an id: {body}"))
    }

    #[async_trait]
    impl Front for Http {
        fn lanes(&self) -> usize {
            self.servers.len()
        }

        async fn provision(
            &self,
            lane: usize,
            account: usize,
            request: ProvisionRequest,
        ) -> Result<Target, String> {
            let body =
                serde_json::to_value(api::ProvisionRequest::from(&request)).expect("request JSON");
            let (_, answer) = self
                .post(lane, account, "provision-phone-number", body)
                .await?;
            Ok(Target {
                account,
                id: id_of(&answer)?,
            })
        }

        async fn update(
            &self,
            lane: usize,
            target: Target,
            update: NumberUpdate,
        ) -> Result<(), String> {
            let body = serde_json::to_value(api::UpdateRequest::new(target.id, &update))
                .expect("update JSON");
            self.post(lane, target.account, "update-phone-number", body)
                .await
                .map(|_| ())
        }

        async fn release(&self, lane: usize, target: Target) -> Result<bool, String> {
            let (status, _) = self
                .post(
                    lane,
                    target.account,
                    "release-phone-number",
                    json!({"id": target.id}),
                )
                .await?;
            Ok(status == 200)
        }

        async fn bulk(
            &self,
            lane: usize,
            account: usize,
            request: BulkProvisionRequest,
        ) -> Result<BulkDone, String> {
            let body =
                serde_json::to_value(api::BulkProvisionRequest::from(&request)).expect("bulk JSON");
            let (_, report) = self
                .post(lane, account, "bulk-provision-phone-numbers", body)
                .await?;
            let mut done = BulkDone {
                bought: Vec::new(),
                failed: Vec::new(),
            };
            for outcome in report["outcomes"].as_array().into_iter().flatten() {
                match outcome["status"].as_str() {
                    Some("bought") => done.bought.push(Target {
                        account,
                        id: id_of(&outcome["number"])?,
                    }),
                    _ => done
                        .failed
                        .push(outcome["error"]["code"].as_str().unwrap_or("?").to_string()),
                }
            }
            Ok(done)
        }
    }

    /// `switchboard reconcile --json`, off the runtime's threads (the
    /// emulator it calls runs on them).
    async fn reconcile_cli(dir: &Path, config: &Path) -> Value {
        let (dir, config) = (dir.to_path_buf(), config.to_path_buf());
        tokio::task::spawn_blocking(move || {
            let out = run_ok(&dir, &config, &["--json", "reconcile"]);
            serde_json::from_slice(&out.stdout).expect("reconcile JSON")
        })
        .await
        .expect("reconcile command")
    }

    /// The servers' background passes, from their logs: only passes that
    /// found drift or could not read everything log at info or above.
    fn background_passes(servers: &[Server]) -> Passes {
        let mut passes = Passes {
            source: "in the background of both servers; the passes that found drift, from their logs",
            ..Passes::default()
        };
        for server in servers {
            let log = strip_ansi(&server.log_text());
            for line in log.lines().filter(|l| l.contains(" drift=")) {
                let field = |name: &str| -> usize {
                    line.split_whitespace()
                        .find_map(|w| w.strip_prefix(name))
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0)
                };
                passes.passes += 1;
                passes.found += field("drift=");
                passes.repaired += field("repaired=");
                if line.contains("could not check everything") {
                    passes.unread += 1;
                }
            }
            passes.failed += log.matches("reconcile failed").count();
        }
        passes
    }

    fn strip_ansi(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgresql_two_processes_no_write_undoes_another_under_load() {
        let Some(url) = common::postgres_url("the PostgreSQL soak") else {
            return;
        };
        let started = Instant::now();
        let schema = common::unique_schema("soak");
        // Creates the schema and its tables; the servers find them migrated.
        let repository = switchboard_sql::SqlRepository::connect_with(
            switchboard_sql::SqlOptions::new(&url).schema(&schema),
        )
        .await
        .expect("connect to PostgreSQL");
        let emulator = Emulator::builder()
            .inventory(INVENTORY_SEED, INVENTORY_SIZE)
            .start()
            .await
            .expect("start the emulator");
        let dir = TempDir::new("soak-postgres");
        let config = dir.path().join("switchboard.toml");
        std::fs::write(
            &config,
            format!(
                "default_provider = \"twilio\"\n\
                 database_url = \"{}\"\n\
                 reconcile_interval_seconds = {s}\n\
                 reservation_lease_seconds = {s}\n\
                 reservation_grace_seconds = {s}\n\
                 [providers.twilio]\n\
                 account_sid = \"{DEFAULT_TWILIO_ACCOUNT_SID}\"\n\
                 auth_token = \"{DEFAULT_TWILIO_AUTH_TOKEN}\"\n\
                 base_url = \"{}\"\n\
                 not_found_window_seconds = {s}\n",
                common::with_search_path(&url, &schema),
                emulator.base_url(),
                s = SECOND.as_secs(),
            ),
        )
        .expect("write config");
        let tokens: Vec<String> = ACCOUNTS
            .iter()
            .map(|account| create_token(dir.path(), &config, account))
            .collect();
        let mut servers = vec![
            Server::start(dir.path(), &config),
            Server::start(dir.path(), &config),
        ];
        let front: Arc<dyn Front> = Arc::new(Http {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .pool_max_idle_per_host(WORKERS)
                .build()
                .expect("client"),
            servers: servers.iter().map(|s| s.url("")).collect(),
            tokens,
        });
        let tally = Arc::new(Tally::default());
        load(front, TWO_PROCESSES, &emulator, tally.clone()).await;
        let load_time = started.elapsed();

        // The servers stop (their background passes with them), the
        // carrier calms down, the leases and the grace pass; then the CLI
        // settles what is left.
        let during = background_passes(&servers);
        for server in &mut servers {
            server.kill_now();
        }
        emulator.clear_faults();
        tokio::time::sleep(SECOND * 2 + Duration::from_millis(200)).await;
        let pending = pending_until_later(&all_records(&repository).await);
        let mut after = Passes::default();
        for _ in 0..MAX_FINAL_PASSES {
            let pass = Pass::of_json(&reconcile_cli(dir.path(), &config).await);
            after.add(&pass);
            if pass.repaired == 0 && pass.repairs_failed == 0 {
                break;
            }
        }
        let quiet = reconcile_cli(dir.path(), &config).await;
        let quiet = (Pass::of_json(&quiet), quiet.to_string());
        let records = all_records(&repository).await;
        judge(
            "PostgreSQL, two processes",
            &emulator,
            &records,
            &tally,
            &during,
            &after,
            &quiet,
            // Only the background passes that found drift are logged, and
            // a pass through a rate-limited carrier takes seconds.
            1,
            pending,
            (load_time, started.elapsed()),
        );
    }
}
