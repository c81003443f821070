//! A process killed with SIGKILL in the middle of writing loses no record it
//! had been told was committed, and leaves a file that opens cleanly.
//!
//! The test binary runs itself as the writer: `child_writer` writes forever
//! when `SWITCHBOARD_SQL_CRASH_DB` names a database, printing each id after
//! its insert returned; the parent kills it mid-stream and reopens the file.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use switchboard_core::{NumberFilter, NumberRepository, PageRequest};
use switchboard_sql::SqlRepository;
use uuid::Uuid;

const CHILD_ENV: &str = "SWITCHBOARD_SQL_CRASH_DB";
const COMMITTED: &str = "committed ";

/// Inserts records from two concurrent tasks, printing each committed id.
async fn write(url: &str, limit: Option<usize>) {
    let store = SqlRepository::connect(url).await.expect("open for writing");
    let account = common::random_account();
    let writers = (0..2).map(|_| {
        let store = store.clone();
        let account = account.clone();
        tokio::spawn(async move {
            let mut written = 0;
            while limit.is_none_or(|l| written < l) {
                let record = common::reserved(&account, &common::random_number());
                store.insert(&record).await.expect("insert");
                // Printed only after the commit returned: every line is a
                // promise the database must keep.
                println!("{COMMITTED}{}", record.id);
                written += 1;
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.expect("writer task");
    }
    store.close().await;
}

/// In the child: write until killed. In a normal run: write a few records
/// from two tasks and check they are all there after a clean reopen.
#[test]
fn child_writer() {
    let runtime = common::runtime();
    if let Ok(url) = std::env::var(CHILD_ENV) {
        runtime.block_on(write(&url, None));
        return;
    }
    let dir = common::TempDir::new();
    let url = dir.sqlite_url("clean.db");
    runtime.block_on(async {
        write(&url, Some(10)).await;
        let store = SqlRepository::connect(&url).await.expect("reopen");
        let page = store
            .list(&NumberFilter::default(), &PageRequest::first(100))
            .await
            .expect("list");
        assert_eq!(page.items.len(), 20);
    });
}

#[test]
fn a_killed_writer_loses_no_committed_record() {
    let dir = common::TempDir::new();
    let url = dir.sqlite_url("crash.db");
    let mut child = Command::new(std::env::current_exe().expect("test binary path"))
        .args(["child_writer", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the writer");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut committed = Vec::new();
    // Let it get well into its stride, then pull the plug.
    while committed.len() < 300 {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(id) = line.strip_prefix(COMMITTED) {
                    committed.push(Uuid::parse_str(id).expect("an id"));
                }
            }
            _ => {
                let output = child.wait_with_output().expect("writer output");
                panic!(
                    "the writer stopped on its own after {} records: {}",
                    committed.len(),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }
    }
    child.kill().expect("SIGKILL the writer");
    // Lines already in the pipe were committed too.
    for line in lines.map_while(Result::ok) {
        if let Some(id) = line.strip_prefix(COMMITTED) {
            committed.push(Uuid::parse_str(id).expect("an id"));
        }
    }
    let status = child.wait().expect("reap the writer");
    assert_eq!(
        status.signal(),
        Some(9),
        "the writer was not killed: {status:?}"
    );

    common::runtime().block_on(async {
        let store = SqlRepository::connect(&url)
            .await
            .expect("reopen after the kill");
        for id in &committed {
            let found = store.get(*id).await.expect("read back");
            assert!(found.is_some(), "committed record {id} was lost");
        }
        store.close().await;

        use sqlx::Connection;
        let mut raw = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("raw open");
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut raw)
            .await
            .expect("integrity check");
        assert_eq!(check, "ok");
    });
    eprintln!("{} committed records survived SIGKILL", committed.len());
}
