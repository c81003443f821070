//! The service's own overhead, with no network or disk: provision + release
//! cycles through `ProvisioningService` on the fake carrier and the in-memory
//! repository, and the inbound-call lookup in a repository of a million
//! numbers.
//!
//! `cargo bench --bench service -- --warm-up-time 1 --measurement-time 5`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use switchboard::fake::FakeProvider;
use switchboard::{
    AccountId, Capabilities, InMemoryRepository, NumberRepository, NumberState, PhoneNumber,
    ProviderRegistry, ProvisionRequest, ProvisionedNumber, ProvisioningService, Routing,
    SearchQuery,
};
use uuid::Uuid;

fn provision_release(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(FakeProvider::new())),
        Arc::new(InMemoryRepository::new()),
    );
    let account = AccountId::parse("bench").expect("account");
    let offers = runtime
        .block_on(service.search(&SearchQuery::default().area_code("415").limit(100), None))
        .expect("search");
    let requests: Vec<ProvisionRequest> = offers
        .iter()
        .map(|o| ProvisionRequest::new(o.phone_number.clone()).friendly_name("bench"))
        .collect();
    let mut group = c.benchmark_group("service");
    group.throughput(Throughput::Elements(1));
    let mut next = 0;
    group.bench_function("provision_then_release", |b| {
        b.iter(|| {
            next = (next + 1) % requests.len();
            ready(async {
                let number = service
                    .provision(&account, &requests[next])
                    .await
                    .expect("provision");
                let released = service.release(&account, number.id).await.expect("release");
                assert_eq!(released.state, NumberState::Released);
            })
        })
    });
    group.finish();
}

fn lookup(c: &mut Criterion) {
    const SIZE: u64 = 1_000_000;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let repository = InMemoryRepository::new();
    let account = AccountId::parse("bench").expect("account");
    let now = chrono::Utc::now();
    let number_of = |i: u64| PhoneNumber::parse_trusted(&format!("+1415{:07}", i)).expect("E.164");
    runtime.block_on(async {
        for i in 0..SIZE {
            let record = ProvisionedNumber {
                id: Uuid::now_v7(),
                account: account.clone(),
                phone_number: number_of(i),
                friendly_name: "bench".into(),
                agent_id: Some(Uuid::from_u128(u128::from(i))),
                capabilities: Capabilities::VOICE_SMS_MMS,
                provider: "fake".into(),
                carrier_id: Some(format!("FK{i}")),
                routing: Routing::default(),
                state: NumberState::Active,
                idempotency_key: None,
                created_at: now,
                updated_at: now,
                released_at: None,
                release_not_before: None,
                version: 1,
                lease_until: None,
                purchased_at: None,
                request_fingerprint: None,
                order: None,
            };
            repository.insert(&record).await.expect("insert");
        }
    });
    let probes: Vec<PhoneNumber> = (0..4096u64)
        .map(|i| number_of(i.wrapping_mul(2_654_435_761) % SIZE))
        .collect();
    let mut group = c.benchmark_group("in_memory_repository_1m");
    group.throughput(Throughput::Elements(1));
    let mut next = 0;
    group.bench_function("find_by_phone_number", |b| {
        b.iter(|| {
            next = (next + 1) % probes.len();
            let found =
                ready(repository.find_by_phone_number(black_box(&probes[next]))).expect("lookup");
            black_box(found.expect("present"))
        })
    });
    group.finish();
}

/// Polls a future that completes without waiting (the in-memory stores and
/// the fake never wait unless a fault says so), so that the figures measure
/// the code rather than an executor's round trip.
fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("the future waited; this benchmark expects none to"),
    }
}

criterion_group!(benches, provision_release, lookup);
criterion_main!(benches);
