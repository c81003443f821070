//! Scenarios for purchases a carrier settles later: the service over a
//! carrier whose purchases become orders (the fake in pending mode, Telnyx
//! or its emulator), with requests, the settler, `reconcile` and releases
//! overlapping as they do in a running service.
//!
//! The carrier must answer every purchase with an order that completes by
//! itself within a minute of being asked about (the fake with
//! `OrderPlan::CompleteAfterPolls` or `CompleteAfter`, an emulator with a
//! completion delay). Scenarios that need an order to fail or wait for
//! documents need a handle on the carrier, and live with the fake's tests.

use std::sync::Arc;
use std::time::Duration;

use super::repository::random_account;
use super::{join_all, join2};
use crate::{
    Error, NumberRepository, NumberState, PhoneNumber, ProviderRegistry, ProvisionRequest,
    ProvisionedNumber, ProvisioningService, ReconcileOptions, SearchQuery, ServiceOptions,
    TelephonyProvider,
};

/// Runs every pending-purchase scenario in order over one repository (the
/// scenarios keep to accounts of their own).
pub async fn run_pending_suite(
    provider: Arc<dyn TelephonyProvider>,
    repository: Arc<dyn NumberRepository>,
) {
    an_order_is_recorded_pending_and_settled_later(provider.clone(), repository.clone()).await;
    provision_waits_for_an_order_within_its_bound(provider.clone(), repository.clone()).await;
    a_repeated_request_answers_the_pending_record(provider.clone(), repository.clone()).await;
    two_provisions_of_one_number_buy_it_once(provider.clone(), repository.clone()).await;
    settling_races_reconcile(provider.clone(), repository.clone()).await;
    release_races_settling(provider.clone(), repository.clone()).await;
    a_second_service_settles_the_order(provider, repository.clone(), repository).await;
}

/// A service that answers a pending purchase at once (no wait), as a slow
/// carrier would make it answer.
fn service(
    provider: Arc<dyn TelephonyProvider>,
    repository: Arc<dyn NumberRepository>,
    order_wait: Duration,
) -> ProvisioningService {
    ProvisioningService::new(ProviderRegistry::new(provider), repository).with_options(
        ServiceOptions {
            order_wait,
            order_poll_interval: Duration::from_millis(5),
            order_poll_max_interval: Duration::from_millis(50),
            ..ServiceOptions::default()
        },
    )
}

/// A number the carrier has for sale, `skip` results down the list.
async fn for_sale(provider: &dyn TelephonyProvider, skip: usize, scenario: &str) -> PhoneNumber {
    let found = provider
        .search(&SearchQuery::new(crate::CountryCode::US).limit(skip as u32 + 1))
        .await
        .unwrap_or_else(|e| panic!("{scenario}: search: {e}"));
    found
        .get(skip)
        .unwrap_or_else(|| {
            panic!(
                "{scenario}: the carrier offers fewer than {} numbers",
                skip + 1
            )
        })
        .phone_number
        .clone()
}

/// Provisions a number for sale for `account` through `service`, which
/// answers at once: the record, pending under the carrier's order.
async fn order_one(
    service: &ProvisioningService,
    account: &crate::AccountId,
    scenario: &str,
) -> ProvisionedNumber {
    let provider = service.providers().default_provider();
    let number = for_sale(provider.as_ref(), 0, scenario).await;
    let pending = service
        .provision(account, &ProvisionRequest::new(number))
        .await
        .unwrap_or_else(|e| panic!("{scenario}: provision: {e}"));
    assert_eq!(pending.state, NumberState::Pending, "{scenario}");
    pending
}

/// Runs the settler until `id` is no longer pending (bounded: a minute).
async fn settle_until_done(
    service: &ProvisioningService,
    id: uuid::Uuid,
    scenario: &str,
) -> ProvisionedNumber {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut wait = Duration::from_millis(5);
    loop {
        service
            .settle_orders()
            .await
            .unwrap_or_else(|e| panic!("{scenario}: settle_orders: {e}"));
        let record = stored(service, id, scenario).await;
        if record.state != NumberState::Pending {
            return record;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{scenario}: {} still pending after a minute",
            record.phone_number
        );
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_millis(500));
    }
}

async fn stored(
    service: &ProvisioningService,
    id: uuid::Uuid,
    scenario: &str,
) -> ProvisionedNumber {
    service
        .repository()
        .get(id)
        .await
        .unwrap_or_else(|e| panic!("{scenario}: get: {e}"))
        .unwrap_or_else(|| panic!("{scenario}: record {id} vanished"))
}

/// The record is active with the carrier's own number, and the carrier
/// holds that number; then it is released again.
async fn expect_bought_then_release(
    service: &ProvisioningService,
    record: &ProvisionedNumber,
    scenario: &str,
) {
    assert_eq!(record.state, NumberState::Active, "{scenario}: {record:?}");
    let provider = service.providers().default_provider();
    let held = provider
        .find_owned(&record.phone_number)
        .await
        .unwrap_or_else(|e| panic!("{scenario}: find_owned: {e}"))
        .unwrap_or_else(|| {
            panic!(
                "{scenario}: the carrier does not hold {}",
                record.phone_number
            )
        });
    assert_eq!(
        record.carrier_id.as_deref(),
        Some(held.carrier_id.as_str()),
        "{scenario}: the record names another carrier id"
    );
    let released = service
        .release(&record.account, record.id)
        .await
        .unwrap_or_else(|e| panic!("{scenario}: release: {e}"));
    assert_eq!(released.state, NumberState::Released, "{scenario}");
}

/// A purchase the carrier takes as an order is answered as a pending record
/// that holds the number and names the order; the settler makes it active.
pub async fn an_order_is_recorded_pending_and_settled_later(
    provider: Arc<dyn TelephonyProvider>,
    repository: Arc<dyn NumberRepository>,
) {
    const SCENARIO: &str = "an_order_is_recorded_pending_and_settled_later";
    let service = service(provider.clone(), repository, Duration::ZERO);
    let account = random_account();
    let pending = order_one(&service, &account, SCENARIO).await;
    let number = pending.phone_number.clone();
    assert!(!pending.is_active(), "{SCENARIO}");
    assert!(
        pending.order.as_ref().is_some_and(|o| !o.id.is_empty()),
        "{SCENARIO}: no order recorded"
    );
    let held = service
        .lookup(&number)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: lookup: {e}"));
    assert_eq!(held.map(|r| r.id), Some(pending.id), "{SCENARIO}: not held");
    let listed = service
        .list(&account, Default::default(), &crate::PageRequest::first(10))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: list: {e}"));
    assert_eq!(
        listed.items.len(),
        1,
        "{SCENARIO}: a pending number is listed"
    );
    let settled = settle_until_done(&service, pending.id, SCENARIO).await;
    expect_bought_then_release(&service, &settled, SCENARIO).await;
}

/// Provision asks about the order for up to `order_wait` and answers the
/// settled record when the order completes within it.
pub async fn provision_waits_for_an_order_within_its_bound(
    provider: Arc<dyn TelephonyProvider>,
    repository: Arc<dyn NumberRepository>,
) {
    const SCENARIO: &str = "provision_waits_for_an_order_within_its_bound";
    let service = service(provider.clone(), repository, Duration::from_secs(60));
    let number = for_sale(provider.as_ref(), 0, SCENARIO).await;
    let record = service
        .provision(&random_account(), &ProvisionRequest::new(number))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: provision: {e}"));
    expect_bought_then_release(&service, &record, SCENARIO).await;
}

/// The same idempotency key again, while the order is open and after it
/// completed, answers the one record: never a second order.
pub async fn a_repeated_request_answers_the_pending_record(
    provider: Arc<dyn TelephonyProvider>,
    repository: Arc<dyn NumberRepository>,
) {
    const SCENARIO: &str = "a_repeated_request_answers_the_pending_record";
    let service = service(provider.clone(), repository, Duration::ZERO);
    let account = random_account();
    let number = for_sale(provider.as_ref(), 0, SCENARIO).await;
    let request =
        ProvisionRequest::new(number).idempotency_key(format!("pending-{}", super::unique()));
    let first = service
        .provision(&account, &request)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: provision: {e}"));
    assert_eq!(first.state, NumberState::Pending, "{SCENARIO}");
    let again = service
        .provision(&account, &request)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: repeat: {e}"));
    assert_eq!(again.id, first.id, "{SCENARIO}: a second record");
    assert_eq!(again.order, first.order, "{SCENARIO}: a second order");
    let settled = settle_until_done(&service, first.id, SCENARIO).await;
    let after = service
        .provision(&account, &request)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: repeat after settling: {e}"));
    assert_eq!(after.id, first.id, "{SCENARIO}");
    assert_eq!(after.state, NumberState::Active, "{SCENARIO}");
    expect_bought_then_release(&service, &settled, SCENARIO).await;
}

/// Two requests for one number at once, and a third while its order is
/// open: one order, the others refused as already provisioned.
pub async fn two_provisions_of_one_number_buy_it_once(
    provider: Arc<dyn TelephonyProvider>,
    repository: Arc<dyn NumberRepository>,
) {
    const SCENARIO: &str = "two_provisions_of_one_number_buy_it_once";
    let service = service(provider.clone(), repository, Duration::ZERO);
    let number = for_sale(provider.as_ref(), 0, SCENARIO).await;
    let (a, b) = (random_account(), random_account());
    let request = ProvisionRequest::new(number.clone());
    let outcomes = join_all(vec![
        service.provision(&a, &request),
        service.provision(&b, &request),
    ])
    .await;
    let won: Vec<&ProvisionedNumber> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{SCENARIO}: {outcomes:?}");
    for outcome in &outcomes {
        if let Err(error) = outcome {
            assert!(
                matches!(
                    error,
                    Error::AlreadyProvisioned { .. } | Error::NumberUnavailable { .. }
                ),
                "{SCENARIO}: the loser got {error:?}"
            );
        }
    }
    let winner = won[0].clone();
    if winner.state == NumberState::Pending {
        match service.provision(&random_account(), &request).await {
            Err(Error::AlreadyProvisioned { .. }) => {}
            other => panic!("{SCENARIO}: a provision while pending gave {other:?}"),
        }
    }
    let settled = settle_until_done(&service, winner.id, SCENARIO).await;
    expect_bought_then_release(&service, &settled, SCENARIO).await;
}

/// The settler and `reconcile` asking about one order at once settle it
/// once: the record ends active with the carrier's number, whichever wrote.
pub async fn settling_races_reconcile(
    provider: Arc<dyn TelephonyProvider>,
    repository: Arc<dyn NumberRepository>,
) {
    const SCENARIO: &str = "settling_races_reconcile";
    let service = service(provider.clone(), repository, Duration::ZERO);
    let pending = order_one(&service, &random_account(), SCENARIO).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (settled, reconciled) = join2(
            service.settle_orders(),
            service.reconcile(&ReconcileOptions::default()),
        )
        .await;
        settled.unwrap_or_else(|e| panic!("{SCENARIO}: settle_orders: {e}"));
        let report = reconciled.unwrap_or_else(|e| panic!("{SCENARIO}: reconcile: {e}"));
        for drift in &report.drift {
            if drift.phone_number == pending.phone_number {
                assert!(
                    matches!(
                        drift.kind,
                        crate::DriftKind::OrderCompleted | crate::DriftKind::OrderUnsettled
                    ),
                    "{SCENARIO}: reconcile judged the pending number as {drift:?}"
                );
            }
        }
        let record = stored(&service, pending.id, SCENARIO).await;
        if record.state != NumberState::Pending {
            expect_bought_then_release(&service, &record, SCENARIO).await;
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{SCENARIO}: still pending after a minute"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A release of a pending number racing the settler: the release waits for
/// the order (refused while it is open, never recorded half done), and the
/// number ends released at the carrier and in the record.
pub async fn release_races_settling(
    provider: Arc<dyn TelephonyProvider>,
    repository: Arc<dyn NumberRepository>,
) {
    const SCENARIO: &str = "release_races_settling";
    let service = service(provider.clone(), repository, Duration::ZERO);
    let account = random_account();
    let pending = order_one(&service, &account, SCENARIO).await;
    let number = pending.phone_number.clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (settled, released) = join2(
            service.settle_orders(),
            service.release(&account, pending.id),
        )
        .await;
        settled.unwrap_or_else(|e| panic!("{SCENARIO}: settle_orders: {e}"));
        match released {
            Ok(record) => {
                assert_eq!(record.state, NumberState::Released, "{SCENARIO}");
                let held = provider
                    .find_owned(&number)
                    .await
                    .unwrap_or_else(|e| panic!("{SCENARIO}: find_owned: {e}"));
                assert!(held.is_none(), "{SCENARIO}: released but still held");
                return;
            }
            Err(Error::Conflict { reason }) => {
                assert!(reason.contains("pending"), "{SCENARIO}: {reason}");
                let record = stored(&service, pending.id, SCENARIO).await;
                assert!(
                    matches!(record.state, NumberState::Pending | NumberState::Active),
                    "{SCENARIO}: a refused release left {:?}",
                    record.state
                );
            }
            Err(other) => panic!("{SCENARIO}: release: {other:?}"),
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{SCENARIO}: not released after a minute"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The process that made an order goes away; a second service over the
/// same store (`second`, opened on what `first` wrote to) settles it.
pub async fn a_second_service_settles_the_order(
    provider: Arc<dyn TelephonyProvider>,
    first: Arc<dyn NumberRepository>,
    second: Arc<dyn NumberRepository>,
) {
    const SCENARIO: &str = "a_second_service_settles_the_order";
    let pending = {
        let before = service(provider.clone(), first, Duration::ZERO);
        order_one(&before, &random_account(), SCENARIO).await
    };
    let after = service(provider, second, Duration::ZERO);
    let settled = settle_until_done(&after, pending.id, SCENARIO).await;
    expect_bought_then_release(&after, &settled, SCENARIO).await;
}
