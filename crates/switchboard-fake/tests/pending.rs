//! The fake's pending mode: purchases answered as orders, settled by plan
//! or by hand, and the service over it (the pending conformance suite, and
//! the outcomes only a handle on the carrier can produce: failed orders,
//! orders waiting for documents, orders the carrier lost).

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::conformance::run_pending_suite;
use switchboard_core::*;
use switchboard_fake::{FakeProvider, Operation, OrderPlan, Target};

fn pending_fake(plan: OrderPlan) -> FakeProvider {
    FakeProvider::builder()
        .inventory_size(2_000)
        .pending_orders(plan)
        .build()
}

fn service(fake: &FakeProvider, order_wait: Duration) -> ProvisioningService {
    ProvisioningService::new(
        ProviderRegistry::new(Arc::new(fake.clone())),
        Arc::new(InMemoryRepository::new()),
    )
    .with_options(ServiceOptions {
        order_wait,
        order_poll_interval: Duration::from_millis(1),
        order_poll_max_interval: Duration::from_millis(5),
        ..ServiceOptions::default()
    })
}

async fn for_sale(fake: &FakeProvider) -> PhoneNumber {
    fake.search(&SearchQuery::default().limit(1)).await.unwrap()[0]
        .phone_number
        .clone()
}

fn purchase(number: &PhoneNumber) -> PurchaseRequest {
    PurchaseRequest {
        phone_number: number.clone(),
        friendly_name: None,
        routing: Routing::default(),
    }
}

fn account() -> AccountId {
    AccountId::parse("acme").unwrap()
}

#[tokio::test]
async fn the_fake_in_pending_mode_passes_the_pending_suite() {
    let fake = pending_fake(OrderPlan::CompleteAfterPolls(3));
    run_pending_suite(Arc::new(fake.clone()), Arc::new(InMemoryRepository::new())).await;
    assert!(fake.orders().len() >= 7, "every scenario ordered");
}

#[tokio::test]
async fn orders_completing_by_the_clock_pass_the_pending_suite() {
    let fake = pending_fake(OrderPlan::CompleteAfter(chrono::Duration::milliseconds(30)));
    run_pending_suite(Arc::new(fake), Arc::new(InMemoryRepository::new())).await;
}

#[tokio::test]
async fn an_ordered_number_is_held_but_not_owned_until_the_order_completes() {
    let fake = pending_fake(OrderPlan::Manual);
    let number = for_sale(&fake).await;
    let PurchaseOutcome::Pending(order) = fake.purchase(&purchase(&number)).await.unwrap() else {
        panic!("not an order");
    };
    assert_eq!(order.phone_number, number);
    // Nobody else can buy it, and it is not the account's yet.
    assert!(!fake.is_available(&number).await.unwrap());
    assert!(fake.find_owned(&number).await.unwrap().is_none());
    assert!(fake.owned_numbers().await.unwrap().len() <= 1);
    let listed = fake.list_owned(&PageRequest::first(10)).await.unwrap();
    assert!(listed.items.is_empty());
    assert_eq!(
        fake.order_status(&order.order_id).await.unwrap(),
        OrderStatus::Pending
    );
    assert!(fake.complete_order(&order.order_id));
    assert!(!fake.complete_order(&order.order_id), "settled already");
    let OrderStatus::Complete(bought) = fake.order_status(&order.order_id).await.unwrap() else {
        panic!("not completed");
    };
    assert_eq!(
        fake.find_owned(&number)
            .await
            .unwrap()
            .map(|n| n.carrier_id),
        Some(bought.carrier_id.clone())
    );
    fake.release(&bought.carrier_id).await.unwrap();
    let asked: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.operation == Operation::OrderStatus)
        .collect();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].target, Target::Order(order.order_id.clone()));
    match fake.order_status("ORD-unknown").await {
        Err(Error::NotFound { .. }) => {}
        other => panic!("an unknown order gave {other:?}"),
    }
}

#[tokio::test]
async fn a_failed_order_puts_the_number_back_on_sale() {
    let fake = pending_fake(OrderPlan::FailAfterPolls {
        polls: 2,
        reason: "number no longer available".into(),
    });
    let number = for_sale(&fake).await;
    let PurchaseOutcome::Pending(order) = fake.purchase(&purchase(&number)).await.unwrap() else {
        panic!("not an order");
    };
    assert_eq!(
        fake.order_status(&order.order_id).await.unwrap(),
        OrderStatus::Pending
    );
    assert!(matches!(
        fake.order_status(&order.order_id).await.unwrap(),
        OrderStatus::Failed { reason } if reason == "number no longer available"
    ));
    assert!(fake.is_available(&number).await.unwrap());
    assert!(fake.find_owned(&number).await.unwrap().is_none());
}

#[tokio::test]
async fn provision_answers_a_quick_order_active_and_a_slow_one_pending() {
    let fake = pending_fake(OrderPlan::CompleteAfterPolls(2));
    let quick = service(&fake, Duration::from_secs(30));
    let number = for_sale(&fake).await;
    let record = quick
        .provision(&account(), &ProvisionRequest::new(number))
        .await
        .unwrap();
    assert_eq!(record.state, NumberState::Active);
    assert!(record.carrier_id.is_some());

    let manual = pending_fake(OrderPlan::Manual);
    let slow = service(&manual, Duration::from_millis(20));
    let number = for_sale(&manual).await;
    let record = slow
        .provision(&account(), &ProvisionRequest::new(number))
        .await
        .unwrap();
    assert_eq!(record.state, NumberState::Pending);
    assert_eq!(record.carrier_id, None);
    let asked = manual
        .calls()
        .iter()
        .filter(|c| c.operation == Operation::OrderStatus)
        .count();
    assert!(asked >= 1, "provision never asked about the order");
}

#[tokio::test]
async fn a_failed_order_frees_the_number_and_the_key() {
    let fake = pending_fake(OrderPlan::Manual);
    let service = service(&fake, Duration::ZERO);
    let number = for_sale(&fake).await;
    let request = ProvisionRequest::new(number.clone()).idempotency_key("order-1");
    let pending = service.provision(&account(), &request).await.unwrap();
    let order = pending.order.clone().unwrap();
    assert!(
        fake.fail_order(&order.id, "rejected by the carrier")
            .await
            .unwrap()
    );
    let report = service.settle_orders().await.unwrap();
    assert_eq!(report.drift.len(), 1, "{report:?}");
    assert_eq!(report.drift[0].kind, DriftKind::OrderFailed);
    let failed = service.repository().get(pending.id).await.unwrap().unwrap();
    assert_eq!(failed.state, NumberState::Failed);
    assert_eq!(failed.idempotency_key, None);
    assert!(service.lookup(&number).await.unwrap().is_none());
    // The key is free: the same request tries again, with a new order.
    let again = service.provision(&account(), &request).await.unwrap();
    assert_ne!(again.id, pending.id);
    assert_eq!(again.state, NumberState::Pending);
    assert_ne!(again.order.unwrap().id, order.id);
}

#[tokio::test]
async fn provision_of_an_order_that_fails_while_it_waits_is_an_error() {
    let fake = pending_fake(OrderPlan::FailAfterPolls {
        polls: 1,
        reason: "regulatory check failed".into(),
    });
    let service = service(&fake, Duration::from_secs(30));
    let number = for_sale(&fake).await;
    let err = service
        .provision(&account(), &ProvisionRequest::new(number.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NumberUnavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("regulatory check failed"), "{err}");
    assert!(service.lookup(&number).await.unwrap().is_none());
}

#[tokio::test]
async fn an_order_waiting_for_documents_says_what_it_waits_for_until_provided() {
    let missing = vec!["proof of local address".to_string()];
    let fake = pending_fake(OrderPlan::RequireDocuments(missing.clone()));
    let service = service(&fake, Duration::from_secs(30));
    let number = for_sale(&fake).await;
    // Provision stops waiting: the order will not complete by waiting.
    let pending = service
        .provision(&account(), &ProvisionRequest::new(number))
        .await
        .unwrap();
    assert_eq!(pending.state, NumberState::Pending);
    assert_eq!(pending.order.as_ref().unwrap().missing, missing);
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    let drift: Vec<_> = report
        .drift
        .iter()
        .filter(|d| d.phone_number == pending.phone_number)
        .collect();
    assert_eq!(drift.len(), 1, "{report:?}");
    assert_eq!(drift[0].kind, DriftKind::OrderAwaitsRequirements);
    assert!(
        matches!(&drift[0].repair, Repair::Left(why) if why.contains("proof of local address"))
    );
    assert!(fake.provide_requirements(&pending.order.as_ref().unwrap().id));
    let report = service.settle_orders().await.unwrap();
    assert_eq!(
        report.drift[0].kind,
        DriftKind::OrderCompleted,
        "{report:?}"
    );
    let active = service.repository().get(pending.id).await.unwrap().unwrap();
    assert_eq!(active.state, NumberState::Active);
    assert!(active.order.unwrap().missing.is_empty());
}

#[tokio::test]
async fn an_order_the_carrier_lost_keeps_the_number_held() {
    let fake = pending_fake(OrderPlan::Manual);
    let service = service(&fake, Duration::ZERO);
    let number = for_sale(&fake).await;
    let pending = service
        .provision(&account(), &ProvisionRequest::new(number.clone()))
        .await
        .unwrap();
    assert!(
        fake.lose_order(&pending.order.as_ref().unwrap().id)
            .await
            .unwrap()
    );
    let report = service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    let kinds: Vec<DriftKind> = report.drift.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, [DriftKind::OrderUnknown], "{report:?}");
    let still = service.repository().get(pending.id).await.unwrap().unwrap();
    assert_eq!(still.state, NumberState::Pending);
    assert_eq!(
        service.lookup(&number).await.unwrap().map(|r| r.id),
        Some(pending.id)
    );
}

#[tokio::test]
async fn a_lost_order_of_a_number_the_carrier_holds_is_recorded_bought() {
    let fake = pending_fake(OrderPlan::Manual);
    let service = service(&fake, Duration::ZERO);
    let number = for_sale(&fake).await;
    let pending = service
        .provision(&account(), &ProvisionRequest::new(number.clone()))
        .await
        .unwrap();
    let order = pending.order.clone().unwrap().id;
    assert!(fake.complete_order(&order));
    // The carrier forgets a completed order, but holds the number.
    assert!(fake.lose_order(&order).await.unwrap());
    let report = service.settle_orders().await.unwrap();
    assert_eq!(
        report.drift[0].kind,
        DriftKind::OrderCompleted,
        "{report:?}"
    );
    let active = service.repository().get(pending.id).await.unwrap().unwrap();
    assert_eq!(active.state, NumberState::Active);
}

#[tokio::test]
async fn a_release_of_a_pending_number_waits_for_the_order() {
    let fake = pending_fake(OrderPlan::Manual);
    let service = service(&fake, Duration::from_millis(20));
    let number = for_sale(&fake).await;
    let pending = service
        .provision(&account(), &ProvisionRequest::new(number.clone()))
        .await
        .unwrap();
    let err = service.release(&account(), pending.id).await.unwrap_err();
    match &err {
        Error::Conflict { reason } => {
            assert!(reason.contains("pending"), "{reason}");
            assert!(
                reason.contains(&pending.order.as_ref().unwrap().id),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    let unchanged = service.repository().get(pending.id).await.unwrap().unwrap();
    assert_eq!(
        unchanged.version, pending.version,
        "a refused release wrote"
    );

    // Completed while the release waits: it is released.
    let order = pending.order.clone().unwrap().id;
    let completer = fake.clone();
    let waiting = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(fake.clone())),
        service.repository().clone(),
    )
    .with_options(ServiceOptions {
        order_wait: Duration::from_secs(30),
        order_poll_interval: Duration::from_millis(1),
        order_poll_max_interval: Duration::from_millis(5),
        ..ServiceOptions::default()
    });
    let owner = account();
    let (released, _) = tokio::join!(waiting.release(&owner, pending.id), async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        completer.complete_order(&order)
    });
    assert_eq!(released.unwrap().state, NumberState::Released);
    assert!(fake.find_owned(&number).await.unwrap().is_none());
}

#[tokio::test]
async fn a_release_of_a_failed_order_is_not_found() {
    let fake = pending_fake(OrderPlan::Manual);
    let service = service(&fake, Duration::from_secs(30));
    let quick = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(fake.clone())),
        service.repository().clone(),
    )
    .with_options(ServiceOptions {
        order_wait: Duration::ZERO,
        ..ServiceOptions::default()
    });
    let number = for_sale(&fake).await;
    let pending = quick
        .provision(&account(), &ProvisionRequest::new(number))
        .await
        .unwrap();
    fake.fail_order(&pending.order.unwrap().id, "no")
        .await
        .unwrap();
    match service.release(&account(), pending.id).await {
        Err(Error::NotFound { .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn bulk_orders_are_bought_once_and_reported_pending() {
    let fake = pending_fake(OrderPlan::Manual);
    let service = service(&fake, Duration::from_millis(20));
    let request =
        BulkProvisionRequest::new(5, SearchQuery::default()).idempotency_key_prefix("bulk");
    let report = service.provision_bulk(&account(), &request).await.unwrap();
    assert_eq!(report.bought, 5, "{report:?}");
    assert_eq!(report.pending, 5);
    assert!(report.numbers().all(|n| n.state == NumberState::Pending));
    let purchases = |fake: &FakeProvider| {
        fake.calls()
            .iter()
            .filter(|c| c.operation == Operation::Purchase)
            .count()
    };
    assert_eq!(purchases(&fake), 5);
    // The same request again replays the pending records: no new order.
    let again = service.provision_bulk(&account(), &request).await.unwrap();
    assert_eq!(again.replayed, 5, "{again:?}");
    assert_eq!(again.pending, 5);
    assert_eq!(purchases(&fake), 5);
    // Orders that complete while the bulk waits are reported active.
    for order in fake.orders() {
        fake.complete_order(&order.id);
    }
    let third = service.provision_bulk(&account(), &request).await.unwrap();
    assert_eq!(third.pending, 0, "{third:?}");
    assert!(third.numbers().all(|n| n.state == NumberState::Active));
    assert_eq!(purchases(&fake), 5);
}
