//! Search throughput of the fake with a million numbers in inventory: by
//! area code (the common query, which the area-code index keeps off a full
//! scan), and two pattern searches that must visit many numbers.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use switchboard_core::{CountryCode, DigitPattern, SearchQuery, TelephonyProvider};
use switchboard_fake::FakeProvider;

fn search(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    let fake = FakeProvider::builder().inventory_size(1_000_000).build();
    // Some numbers owned or taken, as in a running system.
    runtime.block_on(async {
        let found = fake
            .search(&SearchQuery::default().area_code("415").limit(100))
            .await
            .expect("search");
        for offer in found.iter().step_by(3) {
            fake.take(&offer.phone_number).await.expect("take");
        }
    });

    let mut group = c.benchmark_group("search_1m");
    let area_codes = ["415", "212", "512", "646", "303"];
    let mut next = 0;
    group.bench_function("area_code_limit_20", |b| {
        b.iter(|| {
            next = (next + 1) % area_codes.len();
            let query = SearchQuery::default().area_code(area_codes[next]);
            black_box(runtime.block_on(fake.search(&query)).expect("search"))
        })
    });
    let query = SearchQuery::default().area_code("415").limit(100);
    group.bench_function("area_code_limit_100", |b| {
        b.iter(|| black_box(runtime.block_on(fake.search(&query)).expect("search")))
    });
    let query = SearchQuery::default()
        .area_code("212")
        .pattern(DigitPattern::EndsWith("42".into()));
    group.bench_function("area_code_ends_with_42", |b| {
        b.iter(|| black_box(runtime.block_on(fake.search(&query)).expect("search")))
    });
    // No match anywhere: visits every US local number.
    let query = SearchQuery::new(CountryCode::US).pattern(DigitPattern::Contains("99999".into()));
    group.bench_function("country_contains_no_match", |b| {
        b.iter(|| black_box(runtime.block_on(fake.search(&query)).expect("search")))
    });
    let number = runtime
        .block_on(fake.search(&SearchQuery::default().area_code("512")))
        .expect("search")[0]
        .phone_number
        .clone();
    group.bench_function("inventory_contains", |b| {
        b.iter(|| black_box(fake.inventory().contains(black_box(&number))))
    });
    group.finish();
}

criterion_group!(benches, search);
criterion_main!(benches);
