//! Helpers shared by the end-to-end proof tests: the carrier emulator and
//! the adapters wired to it with short timeouts, the check that the records
//! and the carrier agree, PostgreSQL discovery, and `switchboard` processes.
//!
//! Each test file uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard::{NumberFilter, NumberRepository, NumberState, ProvisionedNumber};

/// The environment variable naming the PostgreSQL database for tests.
pub const DATABASE_URL_VAR: &str = "SWITCHBOARD_TEST_DATABASE_URL";

/// The PostgreSQL test database, or `None` after a loud SKIPPED line.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var(DATABASE_URL_VAR)
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(url) => Some(url),
        None => {
            eprintln!(
                "SKIPPED: {test} needs SWITCHBOARD_TEST_DATABASE_URL (source .ci/start-postgres.sh)"
            );
            None
        }
    }
}

/// A schema name no other run uses, so runs can repeat on one database.
pub fn unique_schema(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// `url` with the PostgreSQL search path set to `schema` (sqlx reads the
/// `options` parameter), so a `switchboard` process uses that schema.
pub fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// Every record in the repository, whatever its state.
pub async fn all_records(repository: &dyn NumberRepository) -> Vec<ProvisionedNumber> {
    let filter = &NumberFilter::default();
    switchboard::collect_pages(|page| async move { repository.list(filter, &page).await })
        .await
        .expect("list records")
}

/// Counts of records by state.
pub fn states(records: &[ProvisionedNumber]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for record in records {
        *counts.entry(record.state.as_str()).or_insert(0) += 1;
    }
    counts
}

/// The three numbers a soak ends on, each of which must be 0: numbers the
/// carrier bills with no live record holding them under their carrier id,
/// live records of numbers the carrier does not hold under theirs, and
/// releases a caller was told were done or pending that did not end
/// released at both ends.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Zeros {
    pub paid_without_record: usize,
    pub live_not_held: usize,
    pub releases_lost: usize,
}

impl Zeros {
    /// Counts them from every record, the carrier's owned numbers (number
    /// to carrier id) and the ids of the records whose release was asked
    /// for and answered Ok. Returns the counts and one line per problem.
    pub fn count(
        records: &[ProvisionedNumber],
        owned: &BTreeMap<String, String>,
        released: &[uuid::Uuid],
    ) -> (Zeros, Vec<String>) {
        let mut zeros = Zeros::default();
        let mut problems = Vec::new();
        let live: BTreeMap<String, Option<&String>> = records
            .iter()
            .filter(|r| r.state.is_live())
            .map(|r| (r.phone_number.as_str().to_string(), r.carrier_id.as_ref()))
            .collect();
        for (number, id) in owned {
            if live.get(number) != Some(&Some(id)) {
                zeros.paid_without_record += 1;
                problems.push(format!(
                    "{number} ({id}) is paid for and no live record holds it"
                ));
            }
        }
        for record in records.iter().filter(|r| r.state.is_live()) {
            let number = record.phone_number.as_str();
            if owned.get(number) != record.carrier_id.as_ref() {
                zeros.live_not_held += 1;
                problems.push(format!(
                    "{number} is {} here (carrier id {:?}) but the carrier holds {:?}",
                    record.state.as_str(),
                    record.carrier_id,
                    owned.get(number)
                ));
            }
        }
        let held: BTreeSet<&String> = owned.values().collect();
        let by_id: HashMap<uuid::Uuid, &ProvisionedNumber> =
            records.iter().map(|r| (r.id, r)).collect();
        let asked: BTreeSet<&uuid::Uuid> = released.iter().collect();
        for id in asked {
            match by_id.get(id) {
                None => {
                    zeros.releases_lost += 1;
                    problems.push(format!("release of {id} asked for; no such record"));
                }
                Some(record) => {
                    let still_held = record.carrier_id.as_ref().is_some_and(|c| held.contains(c));
                    if record.state != NumberState::Released || still_held {
                        zeros.releases_lost += 1;
                        problems.push(format!(
                            "release of {} ({id}) asked for; it ended {}{}",
                            record.phone_number,
                            record.state.as_str(),
                            if still_held {
                                " and the carrier still holds it"
                            } else {
                                ""
                            }
                        ));
                    }
                }
            }
        }
        (zeros, problems)
    }
}

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("switchboard-{name}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(feature = "emulator")]
#[allow(unused_imports)] // each test file uses a different part
pub use emulated::*;

#[cfg(feature = "emulator")]
mod emulated {
    use super::*;
    use switchboard_emulator::{LoggedRequest, Operation, Outcome, RunningEmulator};

    /// The carrier as the emulator sees it: number to carrier id, for the
    /// one account the adapters use.
    pub fn owned_at_carrier(emulator: &RunningEmulator, carrier: &str) -> BTreeMap<String, String> {
        let mut owned = BTreeMap::new();
        for account in emulator.owned_numbers() {
            if account.carrier != carrier {
                continue;
            }
            for number in account.numbers {
                let previous = owned.insert(number.phone_number.clone(), number.id.clone());
                assert!(
                    previous.is_none(),
                    "the emulator lists {} twice",
                    number.phone_number
                );
            }
        }
        owned
    }

    /// The display name the carrier holds for each owned number (`None`
    /// when it holds none), for the one account the adapters use.
    pub fn names_at_carrier(
        emulator: &RunningEmulator,
        carrier: &str,
    ) -> BTreeMap<String, Option<String>> {
        emulator
            .owned_numbers()
            .into_iter()
            .filter(|account| account.carrier == carrier)
            .flat_map(|account| account.numbers)
            .map(|number| (number.phone_number, number.name))
            .collect()
    }

    /// Whether a logged request changed carrier state: it reached the
    /// handler, which said yes, whether or not the answer got back.
    pub fn committed(request: &LoggedRequest) -> bool {
        request.outcome != Outcome::Dropped
            && request.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// What the request log says about one carrier's purchases and releases.
    #[derive(Debug, Default)]
    pub struct CarrierLog {
        /// Purchases that took effect (answer delivered or lost).
        pub purchase_commits: usize,
        /// Of those, whose answer never arrived.
        pub purchase_answers_lost: usize,
        /// Carrier ids whose release took effect, with how many times.
        pub release_commits: HashMap<String, usize>,
        /// Requests by how they ended: `status` or the lost-answer outcome.
        pub outcomes: BTreeMap<String, usize>,
    }

    impl CarrierLog {
        pub fn read(emulator: &RunningEmulator, carrier: &str) -> Self {
            let mut log = CarrierLog::default();
            for request in emulator.requests() {
                if request.carrier != carrier {
                    continue;
                }
                let outcome = match (request.outcome, request.status) {
                    (Outcome::Answered, Some(status)) => status.to_string(),
                    (outcome, _) => format!("{outcome:?}"),
                };
                *log.outcomes.entry(outcome).or_insert(0) += 1;
                if !committed(&request) {
                    continue;
                }
                match request.operation {
                    Some(Operation::Purchase) => {
                        log.purchase_commits += 1;
                        if request.outcome != Outcome::Answered {
                            log.purchase_answers_lost += 1;
                        }
                    }
                    Some(Operation::Release) => {
                        let id = release_target(&request.path);
                        *log.release_commits.entry(id).or_insert(0) += 1;
                    }
                    _ => {}
                }
            }
            log
        }

        /// Requests whose fault was injected: 5xx, 429, dropped or answer lost.
        pub fn faults(&self) -> usize {
            self.outcomes
                .iter()
                .filter(|(k, _)| {
                    k.starts_with('5') || *k == "429" || !k.starts_with(char::is_numeric)
                })
                .map(|(_, v)| v)
                .sum()
        }
    }

    /// The carrier id in a release path (`.../IncomingPhoneNumbers/PN...json`
    /// or `.../phone_numbers/<uuid>`).
    fn release_target(path: &str) -> String {
        let last = path.rsplit('/').next().unwrap_or_default();
        last.strip_suffix(".json").unwrap_or(last).to_string()
    }

    /// The invariants of DESIGN.md section 4 that can be seen from outside,
    /// checked between the repository, the carrier and its request log.
    /// Panics with every disagreement listed.
    pub fn assert_agreement(
        records: &[ProvisionedNumber],
        owned: &BTreeMap<String, String>,
        log: &CarrierLog,
        provider: &str,
    ) {
        let mut problems = Vec::new();
        let mine: Vec<&ProvisionedNumber> =
            records.iter().filter(|r| r.provider == provider).collect();

        // No reservation or release left unsettled.
        for record in &mine {
            if matches!(record.state, NumberState::Reserved | NumberState::Releasing) {
                problems.push(format!(
                    "{} is still {} after reconcile",
                    record.phone_number,
                    record.state.as_str()
                ));
            }
        }

        // Every live record is owned at the carrier under its carrier id.
        let mut live = BTreeMap::new();
        for record in mine.iter().filter(|r| r.state.is_live()) {
            let number = record.phone_number.as_str().to_string();
            match owned.get(&number) {
                None => problems.push(format!(
                    "phantom: {number} is {} here but not owned at the carrier",
                    record.state.as_str()
                )),
                Some(id) if Some(id) != record.carrier_id.as_ref() => problems.push(format!(
                    "{number}: carrier id {id} at the carrier, {:?} recorded",
                    record.carrier_id
                )),
                Some(_) => {}
            }
            if live.insert(number.clone(), record.id).is_some() {
                problems.push(format!("{number} has two live records"));
            }
        }
        // Every number owned at the carrier has a live record.
        for number in owned.keys() {
            if !live.contains_key(number) {
                problems.push(format!(
                    "orphan: {number} is owned at the carrier and no live record holds it"
                ));
            }
        }

        // Each purchase that took effect is one record with a carrier id:
        // more commits than records is a number bought twice (or bought and
        // forgotten); carrier ids are never shared.
        let bought: Vec<&ProvisionedNumber> = mine
            .iter()
            .copied()
            .filter(|r| r.carrier_id.is_some())
            .collect();
        let ids: BTreeSet<&String> = bought
            .iter()
            .filter_map(|r| r.carrier_id.as_ref())
            .collect();
        if ids.len() != bought.len() {
            problems.push(format!(
                "{} records share {} carrier ids",
                bought.len(),
                ids.len()
            ));
        }
        if log.purchase_commits != bought.len() {
            problems.push(format!(
                "the carrier committed {} purchases; {} records hold a carrier id",
                log.purchase_commits,
                bought.len()
            ));
        }

        // Every released record was released at the carrier (no lost
        // release), and nothing was released that is still recorded live.
        for record in mine.iter().filter(|r| r.state == NumberState::Released) {
            if let Some(id) = &record.carrier_id
                && !log.release_commits.contains_key(id)
            {
                problems.push(format!(
                    "{} is recorded released but its carrier id {id} was never released",
                    record.phone_number
                ));
            }
        }
        for record in mine.iter().filter(|r| r.state.is_live()) {
            if let Some(id) = &record.carrier_id
                && log.release_commits.contains_key(id)
            {
                problems.push(format!(
                    "{} was released at the carrier but is recorded {}",
                    record.phone_number,
                    record.state.as_str()
                ));
            }
        }
        assert!(
            problems.is_empty(),
            "{} disagreements between the records and {provider}:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }
}

/// A `switchboard` command with none of the caller's Switchboard settings.
pub fn switchboard(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.current_dir(dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("SWITCHBOARD_")
            || name.starts_with("TWILIO_")
            || name.starts_with("SIGNALWIRE_")
        {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", "info");
    command
}

/// A running `switchboard serve`, killed when dropped. Its stderr (the
/// log) is collected for checks.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub banner: serde_json::Value,
    pub log: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Starts `switchboard --config CONFIG serve` on a free port and waits
    /// for its banner.
    pub fn start(dir: &Path, config: &Path) -> Server {
        let mut child = switchboard(dir)
            .arg("--config")
            .arg(config)
            .args(["serve", "--listen", "127.0.0.1:0", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start switchboard serve");
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut stderr = child.stderr.take().expect("stderr");
        let sink = log.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("log").extend_from_slice(&buffer[..n]);
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("first line of serve");
        let banner: serde_json::Value = match serde_json::from_str(&line) {
            Ok(banner) => banner,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "serve printed no JSON banner ({e}): {line:?}\nstderr:\n{}",
                    String::from_utf8_lossy(&log.lock().expect("log"))
                );
            }
        };
        let addr = banner["listen"].as_str().expect("listen").to_string();
        Server {
            child,
            addr,
            banner,
            log,
            stderr_reader: Some(stderr_reader),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Kills the process at once (SIGKILL) and waits for it.
    pub fn kill_now(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
    }

    /// Everything the server logged so far.
    pub fn log_text(&self) -> String {
        String::from_utf8_lossy(&self.log.lock().expect("log")).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill_now();
    }
}

/// Runs a `switchboard` command to completion; panics with its stderr when
/// it fails.
pub fn run_ok(dir: &Path, config: &Path, args: &[&str]) -> std::process::Output {
    let out = switchboard(dir)
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run switchboard");
    assert!(
        out.status.success(),
        "switchboard {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Creates a token for `account` with the CLI; returns the secret.
pub fn create_token(dir: &Path, config: &Path, account: &str) -> String {
    let out = run_ok(
        dir,
        config,
        &["token", "create", "--account", account, "--json"],
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).expect("token JSON");
    created["token"].as_str().expect("token").to_string()
}
