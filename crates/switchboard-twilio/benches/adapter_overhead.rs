//! Adapter overhead with criterion: one search through `TwilioProvider`
//! against a local server, next to a bare reqwest request of the same shape
//! on the same server (see `common`). The difference is what the adapter
//! adds: validation, parameter mapping, the retry wrapper, tolerant parsing
//! and conversion to core types.
//!
//! Run: `cargo bench -p switchboard-twilio --bench adapter_overhead`

mod common;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let setup = common::Setup::new();
    let mut group = c.benchmark_group("search_30_numbers");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("bare_reqwest_bytes", |b| {
        b.to_async(&setup.rt).iter(|| setup.bare())
    });
    group.bench_function("bare_reqwest_parse_json_value", |b| {
        b.to_async(&setup.rt).iter(|| setup.bare_parsed())
    });
    group.bench_function("twilio_provider_search", |b| {
        b.to_async(&setup.rt).iter(|| setup.search())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
