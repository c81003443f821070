//! Proof under faults: a thousand provisions and three hundred releases, run
//! concurrently through each carrier adapter against the emulator while it
//! answers 5xx, drops connections, commits and then loses the answer, stalls
//! and rate-limits on about a fifth of its calls. Callers may see temporary
//! errors; afterwards, once `reconcile` has run, the records and the carrier
//! must agree exactly: nothing bought twice, nothing owned without a record,
//! no phantom, no reservation or release left pending.

#![cfg(all(feature = "twilio", feature = "signalwire", feature = "emulator"))]

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{CarrierLog, all_records, assert_agreement, owned_at_carrier, states};
use switchboard::{
    AccountId, InMemoryRepository, NumberRepository, NumberState, ProviderRegistry,
    ProvisionRequest, ProvisioningService, ReconcileOptions, RetryPolicy, SearchQuery,
    ServiceOptions, TelephonyProvider,
};
use switchboard_emulator::{
    AfterCommit, CommitThenTimeout, DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_TOKEN,
    DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, Emulator, Faults, Latency,
    RunningEmulator,
};
use switchboard_signalwire::{SignalWireConfig, SignalWireProvider};
use switchboard_twilio::{TwilioConfig, TwilioProvider};
use tokio::sync::Semaphore;

const PROVISIONS: usize = 1_000;
const RELEASES: usize = 300;
const CONCURRENCY: usize = 24;
/// Short, so that a lost answer costs two seconds, not thirty.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);
const INVENTORY_SEED: u64 = 0x00FA_017E;
const INVENTORY_SIZE: usize = 5_000;

/// Quick retries: the faults are many, the test has minutes.
fn retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(2),
    }
}

fn twilio(emulator: &RunningEmulator) -> Arc<dyn TelephonyProvider> {
    let config =
        TwilioConfig::with_auth_token(DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN)
            .and_then(|c| c.base_url(&emulator.base_url()))
            .expect("Twilio configuration")
            .timeout(CLIENT_TIMEOUT)
            .connect_timeout(CLIENT_TIMEOUT)
            .retry_policy(retry())
            // The emulator never denies a number it just sold (Twilio's live
            // behaviour 7), so its 20404 after a lost DELETE answer is proof.
            .not_found_window(Duration::ZERO);
    Arc::new(TwilioProvider::new(config).expect("Twilio provider"))
}

fn signalwire(emulator: &RunningEmulator) -> Arc<dyn TelephonyProvider> {
    let config = SignalWireConfig::new(
        &emulator.base_url(),
        DEFAULT_SIGNALWIRE_PROJECT_ID,
        DEFAULT_SIGNALWIRE_TOKEN.to_string(),
    )
    .expect("SignalWire configuration")
    .with_timeouts(CLIENT_TIMEOUT, CLIENT_TIMEOUT)
    .with_retry_policy(retry());
    Arc::new(SignalWireProvider::new(config).expect("SignalWire provider"))
}

/// The fault sets the run goes through, a quarter of the provisions each.
/// Every set misbehaves on about a fifth of the calls, mixing kinds; they
/// differ in the 5xx status, in how an answer is lost (hung past the client
/// timeout, or cut), and in how long the latency spikes are.
fn fault_phases() -> Vec<Faults> {
    let base = Faults {
        error_rate: 0.06,
        drop_rate: 0.05,
        max_in_flight: Some(20),
        retry_after_secs: 1,
        ..Faults::default()
    };
    vec![
        Faults {
            error_status: 503,
            latency: Some(Latency {
                min_ms: 0,
                max_ms: 40,
            }),
            commit_then_timeout: Some(CommitThenTimeout {
                mode: AfterCommit::Drop,
                hold_ms: 0,
                rate: 0.10,
            }),
            seed: 1,
            ..base.clone()
        },
        Faults {
            error_status: 500,
            latency: Some(Latency {
                min_ms: 0,
                max_ms: 400,
            }),
            commit_then_timeout: Some(CommitThenTimeout {
                mode: AfterCommit::Hang,
                hold_ms: 2_500,
                rate: 0.08,
            }),
            seed: 2,
            ..base.clone()
        },
        Faults {
            error_status: 502,
            max_in_flight: Some(6),
            latency: Some(Latency {
                min_ms: 5,
                max_ms: 60,
            }),
            commit_then_timeout: Some(CommitThenTimeout {
                mode: AfterCommit::Drop,
                hold_ms: 0,
                rate: 0.08,
            }),
            seed: 3,
            ..base.clone()
        },
        Faults {
            error_status: 504,
            error_rate: 0.08,
            drop_rate: 0.08,
            latency: Some(Latency {
                min_ms: 0,
                max_ms: 1_200,
            }),
            commit_then_timeout: Some(CommitThenTimeout {
                mode: AfterCommit::Hang,
                hold_ms: 2_500,
                rate: 0.06,
            }),
            seed: 4,
            ..base
        },
    ]
}

/// What callers were told.
#[derive(Default)]
struct Tally {
    provisioned: AtomicUsize,
    provision_errors: Mutex<BTreeMap<&'static str, usize>>,
    released: AtomicUsize,
    release_pending: AtomicUsize,
    release_errors: Mutex<BTreeMap<&'static str, usize>>,
    /// Release calls that came back Ok: their records must end released.
    released_ids: Mutex<Vec<uuid::Uuid>>,
    /// Errors that are not temporary and not "the carrier no longer has it".
    unexpected: Mutex<Vec<String>>,
}

/// Short, so that the reservations unsettled purchases leave behind are
/// reconcile's to settle soon after the load.
const LEASE: Duration = Duration::from_millis(300);

async fn run_suite(carrier: &str, repo: &str, repository: Arc<dyn NumberRepository>) {
    let started = Instant::now();
    let emulator = Emulator::builder()
        .inventory(INVENTORY_SEED, INVENTORY_SIZE)
        .start()
        .await
        .expect("start the emulator");
    let provider = match carrier {
        "twilio" => twilio(&emulator),
        _ => signalwire(&emulator),
    };
    let service = ProvisioningService::new(ProviderRegistry::new(provider), repository.clone())
        .with_options(ServiceOptions {
            purchase_retry: RetryPolicy {
                max_attempts: 3,
                ..retry()
            },
            // Reconcile runs after the load, once the leases of the
            // reservations the faults left have lapsed.
            reservation_lease: LEASE,
            fresh_record_grace: Duration::from_millis(1),
            ..ServiceOptions::default()
        });
    let account = AccountId::parse("fault-suite").expect("account");

    // The pool: numbers this emulator sells (one search shows they are).
    let offered = service
        .search(&SearchQuery::default().limit(5), None)
        .await
        .expect("search before the faults");
    let catalogue = switchboard::fake::Inventory::new(INVENTORY_SEED, INVENTORY_SIZE);
    let pool: Vec<_> = catalogue
        .iter()
        .step_by(INVENTORY_SIZE / PROVISIONS)
        .take(PROVISIONS)
        .map(|n| n.phone_number)
        .collect();
    assert_eq!(pool.len(), PROVISIONS);
    assert!(
        offered
            .iter()
            .all(|o| catalogue.contains(&o.phone_number).is_some()),
        "the emulator sells the catalogue the test draws from"
    );

    let tally = Arc::new(Tally::default());
    let release_budget = Arc::new(AtomicUsize::new(RELEASES));
    let gate = Arc::new(Semaphore::new(CONCURRENCY));
    let phases = fault_phases();
    let per_phase = PROVISIONS.div_ceil(phases.len());
    for (phase, faults) in phases.into_iter().enumerate() {
        emulator.set_faults(faults).expect("faults");
        let mut tasks = tokio::task::JoinSet::new();
        for (i, number) in pool
            .iter()
            .enumerate()
            .skip(phase * per_phase)
            .take(per_phase)
        {
            let permit = gate.clone().acquire_owned().await.expect("semaphore");
            let service = service.clone();
            let account = account.clone();
            let tally = tally.clone();
            let budget = release_budget.clone();
            let request = ProvisionRequest::new(number.clone()).friendly_name(format!("line {i}"));
            tasks.spawn(async move {
                let _permit = permit;
                let record = match service.provision(&account, &request).await {
                    Ok(record) => {
                        tally.provisioned.fetch_add(1, Ordering::Relaxed);
                        record
                    }
                    Err(error) => {
                        *tally
                            .provision_errors
                            .lock()
                            .expect("tally")
                            .entry(error.code())
                            .or_insert(0) += 1;
                        if !error.is_temporary() {
                            tally
                                .unexpected
                                .lock()
                                .expect("tally")
                                .push(format!("provision {}: {error}", request.phone_number));
                        }
                        return;
                    }
                };
                // Two in five successes are released again at once, while
                // other provisions are still running, up to the budget.
                let take = i % 5 < 2
                    && budget
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                        .is_ok();
                if !take {
                    return;
                }
                match service.release(&account, record.id).await {
                    Ok(released) => {
                        if released.state == NumberState::Released {
                            tally.released.fetch_add(1, Ordering::Relaxed);
                        } else {
                            tally.release_pending.fetch_add(1, Ordering::Relaxed);
                        }
                        tally.released_ids.lock().expect("tally").push(record.id);
                    }
                    Err(error) => {
                        *tally
                            .release_errors
                            .lock()
                            .expect("tally")
                            .entry(error.code())
                            .or_insert(0) += 1;
                        if !error.is_temporary() {
                            tally
                                .unexpected
                                .lock()
                                .expect("tally")
                                .push(format!("release {}: {error}", record.phone_number));
                        }
                    }
                }
            });
        }
        while let Some(joined) = tasks.join_next().await {
            joined.expect("a provision task panicked");
        }
    }
    let load_time = started.elapsed();

    // The carrier calms down; once the last leases lapse, one reconcile
    // settles what the faults left.
    tokio::time::sleep(LEASE + Duration::from_millis(50)).await;
    emulator.clear_faults();
    let before = all_records(repository.as_ref()).await;
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .expect("reconcile");
    let records = all_records(repository.as_ref()).await;
    let owned = owned_at_carrier(&emulator, carrier);
    let log = CarrierLog::read(&emulator, carrier);

    let mut drift: BTreeMap<String, usize> = BTreeMap::new();
    for d in &report.drift {
        *drift
            .entry(format!("{:?}/{:?}", d.kind, d.repair))
            .or_insert(0) += 1;
    }
    println!(
        "fault suite [{carrier}, {repo}]: {PROVISIONS} provisions: {} ok, failed by code {:?}; \
         releases asked {}: {} released, {} pending, failed by code {:?}; \
         carrier requests by outcome {:?} ({} faults injected, {} purchase answers lost); \
         records before reconcile {:?}; reconcile: {} checked, {} drift, {} repaired {:?}; \
         after: records {:?}, {} owned at the carrier, {} purchase commits; \
         load {:.1}s, total {:.1}s",
        tally.provisioned.load(Ordering::Relaxed),
        tally.provision_errors.lock().expect("tally"),
        RELEASES - release_budget.load(Ordering::Relaxed),
        tally.released.load(Ordering::Relaxed),
        tally.release_pending.load(Ordering::Relaxed),
        tally.release_errors.lock().expect("tally"),
        log.outcomes,
        log.faults(),
        log.purchase_answers_lost,
        states(&before),
        report.records_checked,
        report.drift.len(),
        report.repaired(),
        drift,
        states(&records),
        owned.len(),
        log.purchase_commits,
        load_time.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );

    let unexpected = tally.unexpected.lock().expect("tally").clone();
    assert!(
        unexpected.is_empty(),
        "callers got errors that are neither temporary nor expected:\n{}",
        unexpected.join("\n")
    );
    assert!(
        report
            .drift
            .iter()
            .all(|d| !matches!(d.repair, switchboard::Repair::Failed(_))),
        "a repair failed: {:?}",
        report.drift
    );
    assert_agreement(&records, &owned, &log, carrier);
    let released_ids = tally.released_ids.lock().expect("tally").clone();
    for id in &released_ids {
        let record = records
            .iter()
            .find(|r| r.id == *id)
            .expect("released record");
        assert_eq!(
            record.state,
            NumberState::Released,
            "{} was released by a caller and ended {}",
            record.phone_number,
            record.state.as_str()
        );
    }
    // The faults did happen, and did not stop the work: a suite that
    // injected nothing, or bought nothing, proves nothing.
    assert!(log.faults() >= 200, "only {} faults", log.faults());
    assert!(log.purchase_answers_lost >= 20, "{log:?}");
    assert!(tally.provisioned.load(Ordering::Relaxed) >= PROVISIONS / 2);
    assert!(tally.released.load(Ordering::Relaxed) >= RELEASES / 2);
    // A second pass finds nothing more to do.
    let again = service
        .reconcile(&ReconcileOptions::default())
        .await
        .expect("second reconcile");
    assert!(again.drift.is_empty(), "{:?}", again.drift);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_keeps_records_and_carrier_in_agreement_under_faults() {
    run_suite("twilio", "in-memory", Arc::new(InMemoryRepository::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signalwire_keeps_records_and_carrier_in_agreement_under_faults() {
    run_suite(
        "signalwire",
        "in-memory",
        Arc::new(InMemoryRepository::new()),
    )
    .await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_on_postgresql_keeps_records_and_carrier_in_agreement_under_faults() {
    let Some(url) = common::postgres_url("the PostgreSQL fault suite") else {
        return;
    };
    let schema = common::unique_schema("fault_suite");
    let repository = switchboard_sql::SqlRepository::connect_with(
        switchboard_sql::SqlOptions::new(&url).schema(&schema),
    )
    .await
    .expect("connect to PostgreSQL");
    run_suite("twilio", "PostgreSQL", Arc::new(repository)).await;
}
