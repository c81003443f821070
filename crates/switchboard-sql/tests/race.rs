//! Two separate pools (as two service processes would have) race many tasks
//! to reserve the same 100 numbers: the database lets each number be
//! reserved exactly once.

mod common;

use std::collections::HashMap;

use switchboard_core::{Error, NumberRepository, PhoneNumber};
use switchboard_sql::{SqlOptions, SqlRepository};
use uuid::Uuid;

const NUMBERS: usize = 100;
const TASKS_PER_POOL: usize = 8;

/// Every task tries every number, each starting at a different place; the
/// winners per number are returned.
async fn race(a: SqlRepository, b: SqlRepository) -> HashMap<PhoneNumber, Vec<Uuid>> {
    let numbers: Vec<PhoneNumber> = common::number_block(NUMBERS);
    let mut tasks = Vec::new();
    for (pool, store) in [a, b].into_iter().enumerate() {
        for task in 0..TASKS_PER_POOL {
            let store = store.clone();
            let numbers = numbers.clone();
            let start = (pool * TASKS_PER_POOL + task) * 7 % NUMBERS;
            tasks.push(tokio::spawn(async move {
                let account = common::random_account();
                let mut won = Vec::new();
                let mut busy = 0;
                for i in 0..NUMBERS {
                    let number = &numbers[(start + i) % NUMBERS];
                    let record = common::reserved(&account, number);
                    loop {
                        match store.insert(&record).await {
                            Ok(()) => {
                                won.push((number.clone(), record.id));
                                break;
                            }
                            Err(Error::AlreadyProvisioned { phone_number }) => {
                                assert_eq!(phone_number, number.as_str());
                                break;
                            }
                            // A lock wait that ran out: the service would
                            // retry, and so do we (boundedly).
                            Err(e) if e.is_temporary() && busy < 100 => busy += 1,
                            Err(e) => panic!("insert of {number} failed: {e:?}"),
                        }
                    }
                }
                (won, busy)
            }));
        }
    }
    let mut winners: HashMap<PhoneNumber, Vec<Uuid>> = HashMap::new();
    let mut busy_total = 0;
    for task in tasks {
        let (won, busy) = task.await.expect("racing task");
        busy_total += busy;
        for (number, id) in won {
            winners.entry(number).or_default().push(id);
        }
    }
    eprintln!("race done; {busy_total} temporary lock errors were retried");
    assert_eq!(winners.len(), NUMBERS, "some numbers were never reserved");
    winners
}

async fn check(store: &SqlRepository, winners: HashMap<PhoneNumber, Vec<Uuid>>) {
    for (number, ids) in winners {
        assert_eq!(ids.len(), 1, "{number} was reserved {} times", ids.len());
        let live = store
            .find_by_phone_number(&number)
            .await
            .expect("look up")
            .expect("the winner's record");
        assert_eq!(
            live.id, ids[0],
            "{number}: the stored record is not the winner's"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_pools_reserve_each_number_once() {
    let dir = common::TempDir::new();
    let url = dir.sqlite_url("race.db");
    let a = SqlRepository::connect(&url).await.expect("first pool");
    let b = SqlRepository::connect(&url).await.expect("second pool");
    let winners = race(a.clone(), b.clone()).await;
    check(&b, winners).await;
    a.close().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_pools_reserve_each_number_once() {
    let Some((a, schema)) = common::postgres_store().await else {
        return;
    };
    let b = SqlRepository::connect_with(schema.options().max_connections(5))
        .await
        .expect("second pool");
    let winners = race(a.clone(), b.clone()).await;
    check(&a, winners).await;
    a.close().await;
    b.close().await;
    schema.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_one_file_from_many_pools_at_once_migrates_it_once() {
    let dir = common::TempDir::new();
    let url = dir.sqlite_url("concurrent-open.db");
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                SqlRepository::connect_with(SqlOptions::new(url).max_connections(1)).await
            })
        })
        .collect();
    for open in opens {
        let store = open.await.expect("task").expect("open");
        let record = common::reserved(&common::random_account(), &common::random_number());
        store
            .insert(&record)
            .await
            .expect("insert after concurrent open");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_one_new_schema_from_many_pools_at_once_migrates_it_once() {
    let Some(url) = common::postgres_url() else {
        return;
    };
    let schema = common::PgSchema {
        url,
        name: common::fresh_schema(),
    };
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let options = schema.options().max_connections(1);
            tokio::spawn(async move { SqlRepository::connect_with(options).await })
        })
        .collect();
    for open in opens {
        let store = open.await.expect("task").expect("open");
        let record = common::reserved(&common::random_account(), &common::random_number());
        store
            .insert(&record)
            .await
            .expect("insert after concurrent open");
        store.close().await;
    }
    schema.drop_now().await;
}
