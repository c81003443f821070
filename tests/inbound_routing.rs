//! The provisioning side of inbound calls: numbers bought without routing
//! get the service's inbound webhooks, an inbound event resolves only to an
//! active number of the carrier that delivered it, reassigning the agent
//! makes no carrier call, and reconcile finds (and on request repairs)
//! numbers whose webhooks at the carrier are not the record's.

use std::collections::BTreeMap;
use std::sync::Arc;

use switchboard::fake::{Call, FakeProvider};
use switchboard::*;

fn acme() -> AccountId {
    AccountId::parse("acme").unwrap()
}

fn routed(voice: &str, sms: &str) -> Routing {
    Routing {
        voice_url: Some(WebhookUrl::parse(voice).unwrap()),
        voice_method: Some(WebhookMethod::Post),
        sms_url: Some(WebhookUrl::parse(sms).unwrap()),
        sms_method: Some(WebhookMethod::Post),
        ..Routing::default()
    }
}

fn inbound() -> Routing {
    routed(
        "https://sb.example/functions/v1/inbound/fake/voice",
        "https://sb.example/functions/v1/inbound/fake/messages",
    )
}

struct World {
    carrier: Arc<FakeProvider>,
    service: ProvisioningService,
}

fn world() -> World {
    let carrier = Arc::new(FakeProvider::builder().inventory_size(100).build());
    let options = ServiceOptions {
        inbound_routing: BTreeMap::from([("fake".to_string(), inbound())]),
        ..ServiceOptions::default()
    };
    let service = ProvisioningService::new(
        ProviderRegistry::new(carrier.clone()),
        Arc::new(InMemoryRepository::new()),
    )
    .with_options(options);
    World { carrier, service }
}

async fn for_sale(world: &World, n: usize) -> PhoneNumber {
    let offers = world
        .carrier
        .search(&SearchQuery::new(CountryCode::US).limit(n as u32 + 1))
        .await
        .unwrap();
    offers[n].phone_number.clone()
}

async fn held(world: &World, phone: &PhoneNumber) -> CarrierNumber {
    world.carrier.find_owned(phone).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_number_bought_without_routing_gets_the_inbound_webhooks() {
    let world = world();
    let phone = for_sale(&world, 0).await;
    let bought = world
        .service
        .provision(&acme(), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
    assert_eq!(bought.routing, inbound());
    assert_eq!(
        held(&world, &phone).await.routing.voice_url,
        inbound().voice_url
    );

    // Routing given by the request is kept: the default fills only a gap.
    let own = routed("https://app.example/voice", "https://app.example/sms");
    let other = for_sale(&world, 1).await;
    let bought = world
        .service
        .provision(
            &acme(),
            &ProvisionRequest::new(other.clone()).routing(own.clone()),
        )
        .await
        .unwrap();
    assert_eq!(bought.routing, own);
    assert_eq!(held(&world, &other).await.routing.voice_url, own.voice_url);
}

#[tokio::test]
async fn only_an_active_number_of_the_delivering_carrier_resolves() {
    let world = world();
    let phone = for_sale(&world, 0).await;
    let bought = world
        .service
        .provision(&acme(), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
    let found = world.service.resolve_inbound("fake", &phone).await.unwrap();
    assert_eq!(found.map(|r| r.id), Some(bought.id));
    assert_eq!(
        world
            .service
            .resolve_inbound("twilio", &phone)
            .await
            .unwrap(),
        None,
        "a webhook through another carrier's route is not for this number"
    );
    let unknown = for_sale(&world, 1).await;
    assert_eq!(
        world
            .service
            .resolve_inbound("fake", &unknown)
            .await
            .unwrap(),
        None
    );

    world.service.release(&acme(), bought.id).await.unwrap();
    assert_eq!(
        world.service.resolve_inbound("fake", &phone).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn a_reserved_number_does_not_resolve() {
    let world = world();
    let phone = for_sale(&world, 0).await;
    let request = ProvisionRequest::new(phone.clone());
    let reserved = ProvisionedNumber::reserve(
        &request,
        Reservation {
            id: uuid::Uuid::now_v7(),
            account: &acme(),
            provider: "fake",
            now: chrono::Utc::now(),
            lease_until: chrono::Utc::now(),
        },
    );
    world.service.repository().insert(&reserved).await.unwrap();
    assert_eq!(
        world.service.resolve_inbound("fake", &phone).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn reassigning_the_agent_makes_no_carrier_call() {
    let world = world();
    let phone = for_sale(&world, 0).await;
    let bought = world
        .service
        .provision(
            &acme(),
            &ProvisionRequest::new(phone.clone()).agent(uuid::Uuid::now_v7()),
        )
        .await
        .unwrap();
    world.carrier.clear_calls();
    let agent = uuid::Uuid::now_v7();
    let updated = world
        .service
        .update(
            &acme(),
            bought.id,
            &NumberUpdate {
                agent_id: Some(Some(agent)),
                ..NumberUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.agent_id, Some(agent));
    let calls: Vec<Call> = world.carrier.calls();
    assert!(calls.is_empty(), "the carrier was called: {calls:?}");
    let resolved = world
        .service
        .resolve_inbound("fake", &phone)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        resolved.agent_id,
        Some(agent),
        "the next call reaches the new agent"
    );
}

#[tokio::test]
async fn routing_drift_is_reported_and_repaired_only_on_request() {
    let world = world();
    let phone = for_sale(&world, 0).await;
    let bought = world
        .service
        .provision(&acme(), &ProvisionRequest::new(phone.clone()))
        .await
        .unwrap();
    let elsewhere = routed("https://elsewhere.example/v", "https://elsewhere.example/s");
    world
        .carrier
        .update(
            bought.carrier_id.as_deref().unwrap(),
            &CarrierUpdate {
                routing: Some(elsewhere.clone()),
                ..CarrierUpdate::default()
            },
        )
        .await
        .unwrap();

    let report = world
        .service
        .reconcile(&ReconcileOptions::default())
        .await
        .unwrap();
    let drift: Vec<_> = report
        .drift
        .iter()
        .filter(|d| d.phone_number == phone)
        .collect();
    assert_eq!(drift.len(), 1, "{report:?}");
    assert_eq!(drift[0].kind, DriftKind::RoutingDiffers);
    assert!(matches!(drift[0].repair, Repair::Left(_)), "{:?}", drift[0]);
    assert_eq!(
        held(&world, &phone).await.routing.voice_url,
        elsewhere.voice_url
    );

    let repair = ReconcileOptions {
        repair_routing: true,
        ..ReconcileOptions::default()
    };
    let report = world.service.reconcile(&repair).await.unwrap();
    let drift: Vec<_> = report
        .drift
        .iter()
        .filter(|d| d.phone_number == phone)
        .collect();
    assert_eq!(drift.len(), 1, "{report:?}");
    assert_eq!(drift[0].repair, Repair::Rerouted);
    assert_eq!(
        held(&world, &phone).await.routing.voice_url,
        inbound().voice_url
    );
    assert_eq!(
        held(&world, &phone).await.routing.sms_url,
        inbound().sms_url
    );

    let report = world.service.reconcile(&repair).await.unwrap();
    assert!(
        report.drift.iter().all(|d| d.phone_number != phone),
        "repaired drift is gone: {report:?}"
    );
}
