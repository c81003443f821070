//! FakeProvider through its public API, as users' tests drive it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use switchboard_core::{
    AvailableNumber, CarrierUpdate, Error, InMemoryRepository, ManualClock, NumberRepository,
    PageRequest, PhoneNumber, ProviderFeatures, ProviderRegistry, ProvisionRequest,
    ProvisioningService, PurchaseRequest, Routing, SearchQuery, TelephonyProvider, WebhookUrl,
};
use switchboard_fake::{Call, FakeProvider, Fault, Operation, Outcome, Target, Times};

fn buy(number: &PhoneNumber) -> PurchaseRequest {
    PurchaseRequest {
        phone_number: number.clone(),
        friendly_name: None,
        routing: Routing::default(),
    }
}

async fn offers(fake: &FakeProvider, area_code: &str, limit: u32) -> Vec<AvailableNumber> {
    fake.search(&SearchQuery::default().area_code(area_code).limit(limit))
        .await
        .expect("search")
}

async fn first_offer(fake: &FakeProvider) -> PhoneNumber {
    offers(fake, "415", 1).await[0].phone_number.clone()
}

fn url(text: &str) -> WebhookUrl {
    WebhookUrl::parse(text).expect("valid URL")
}

fn start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 15, 10, 30, 0).unwrap()
}

#[tokio::test]
async fn purchase_takes_a_number_out_of_inventory_and_release_puts_it_back() {
    let fake = FakeProvider::new();
    let number = first_offer(&fake).await;
    assert!(fake.is_available(&number).await.unwrap());

    let bought = fake
        .purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_eq!(bought.phone_number, number);
    assert_eq!(bought.carrier_id, "FK0000000001");
    assert!(!fake.is_available(&number).await.unwrap());
    assert!(
        offers(&fake, "415", 100)
            .await
            .iter()
            .all(|a| a.phone_number != number)
    );
    assert_eq!(
        fake.find_owned(&number).await.unwrap(),
        Some(bought.clone())
    );
    assert_eq!(fake.owned_numbers().await.unwrap(), vec![bought.clone()]);

    fake.release(&bought.carrier_id).await.unwrap();
    assert!(fake.is_available(&number).await.unwrap());
    assert_eq!(first_offer(&fake).await, number);
    assert_eq!(fake.find_owned(&number).await.unwrap(), None);
    assert!(fake.owned_numbers().await.unwrap().is_empty());
    assert!(matches!(
        fake.release(&bought.carrier_id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        fake.release("FK9999999999").await,
        Err(Error::NotFound { .. })
    ));

    // Bought again, it gets a new carrier id, like at a real carrier.
    let again = fake
        .purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_eq!(again.carrier_id, "FK0000000002");
}

#[tokio::test]
async fn a_bought_number_keeps_its_name_routing_and_capabilities() {
    let fake = FakeProvider::new();
    let offer = offers(&fake, "404", 1).await.remove(0);
    let routing = Routing {
        voice_url: Some(url("https://agent.example.com/voice")),
        ..Routing::default()
    };
    let bought = fake
        .purchase(&PurchaseRequest {
            phone_number: offer.phone_number.clone(),
            friendly_name: Some("Front desk".into()),
            routing: routing.clone(),
        })
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_eq!(bought.friendly_name.as_deref(), Some("Front desk"));
    assert_eq!(bought.routing, routing);
    assert_eq!(bought.capabilities, offer.capabilities);
}

#[tokio::test]
async fn numbers_someone_holds_or_never_sold_are_unavailable() {
    let fake = FakeProvider::new();
    let found = offers(&fake, "646", 2).await;
    let (mine, theirs) = (&found[0].phone_number, &found[1].phone_number);

    fake.purchase(&buy(mine))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    let err = fake.purchase(&buy(mine)).await.unwrap_err();
    assert!(matches!(err, Error::NumberUnavailable { .. }), "{err:?}");

    assert!(fake.take(theirs).await.unwrap());
    assert!(!fake.take(theirs).await.unwrap(), "already taken");
    assert!(
        !fake.take(mine).await.unwrap(),
        "owned numbers cannot be taken"
    );
    assert!(!fake.is_available(theirs).await.unwrap());
    let err = fake.purchase(&buy(theirs)).await.unwrap_err();
    assert!(matches!(err, Error::NumberUnavailable { .. }), "{err:?}");
    assert!(err.to_string().contains(theirs.as_str()), "{err}");
    assert!(
        offers(&fake, "646", 100)
            .await
            .iter()
            .all(|a| &a.phone_number != theirs)
    );

    // A valid number this carrier never offered (area code 202 is not in
    // its table).
    let foreign = PhoneNumber::parse("+12025550123").unwrap();
    assert!(!fake.is_available(&foreign).await.unwrap());
    assert!(!fake.take(&foreign).await.unwrap());
    let err = fake.purchase(&buy(&foreign)).await.unwrap_err();
    assert!(matches!(err, Error::NumberUnavailable { .. }), "{err:?}");
    assert_eq!(fake.owned_numbers().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_bad_friendly_name_is_refused_and_changes_nothing() {
    let fake = FakeProvider::new();
    let number = first_offer(&fake).await;
    let err = fake
        .purchase(&PurchaseRequest {
            friendly_name: Some("x".repeat(65)),
            ..buy(&number)
        })
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("friendly_name"));
    assert!(fake.is_available(&number).await.unwrap());
}

#[tokio::test]
async fn update_sets_the_name_and_merges_routing() {
    let fake = FakeProvider::new();
    let number = first_offer(&fake).await;
    let bought = fake
        .purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    let voice = url("https://agent.example.com/voice");
    let sms = url("https://agent.example.com/sms");

    let updated = fake
        .update(
            &bought.carrier_id,
            &CarrierUpdate {
                friendly_name: Some("Sales".into()),
                routing: Some(Routing {
                    voice_url: Some(voice.clone()),
                    ..Routing::default()
                }),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.friendly_name.as_deref(), Some("Sales"));
    assert_eq!(updated.routing.voice_url.as_ref(), Some(&voice));

    // Only the SMS webhook: the voice one stays, and so does the name.
    let updated = fake
        .update(
            &bought.carrier_id,
            &CarrierUpdate {
                friendly_name: None,
                routing: Some(Routing {
                    sms_url: Some(sms.clone()),
                    ..Routing::default()
                }),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.friendly_name.as_deref(), Some("Sales"));
    assert_eq!(updated.routing.voice_url.as_ref(), Some(&voice));
    assert_eq!(updated.routing.sms_url.as_ref(), Some(&sms));
    assert_eq!(fake.find_owned(&number).await.unwrap(), Some(updated));

    let err = fake
        .update("FK0000000099", &CarrierUpdate::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let err = fake
        .update(
            &bought.carrier_id,
            &CarrierUpdate {
                friendly_name: Some(" ".into()),
                routing: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("friendly_name"));
}

#[tokio::test]
async fn list_owned_pages_in_purchase_order() {
    let fake = FakeProvider::new();
    let mut bought = Vec::new();
    for offer in offers(&fake, "212", 5).await {
        bought.push(
            fake.purchase(&buy(&offer.phone_number))
                .await
                .unwrap()
                .bought()
                .expect("sold at once"),
        );
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    let mut pages = 0;
    loop {
        let batch = fake.list_owned(&page).await.unwrap();
        pages += 1;
        assert!(batch.items.len() <= 2);
        seen.extend(batch.items);
        match batch.next_cursor {
            Some(cursor) => page = PageRequest::after(cursor, 2),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, bought);

    // A release between pages does not disturb the rest of the listing.
    let first = fake.list_owned(&PageRequest::first(2)).await.unwrap();
    let cursor = first.next_cursor.expect("more pages");
    fake.release(&bought[1].carrier_id).await.unwrap();
    let rest = fake
        .list_owned(&PageRequest::after(cursor, 10))
        .await
        .unwrap();
    assert_eq!(rest.items, bought[2..]);
    assert_eq!(rest.next_cursor, None);

    let err = fake
        .list_owned(&PageRequest::after("page-2", 10))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("cursor"));
}

#[tokio::test]
async fn a_scripted_error_fails_the_call_and_changes_nothing() {
    let fake = FakeProvider::new();
    let number = first_offer(&fake).await;
    fake.script(
        Operation::Purchase,
        Fault::Fail(Error::rate_limited("fake", Some(Duration::from_secs(1)))),
        Times::Once,
    );
    let err = fake.purchase(&buy(&number)).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert!(fake.is_available(&number).await.unwrap());
    // Used up: the next call goes through.
    fake.purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
}

#[tokio::test]
async fn each_operation_can_be_scripted() {
    let fake = FakeProvider::new();
    let number = first_offer(&fake).await;
    let bought = fake
        .purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    for operation in Operation::ALL {
        fake.script(
            operation,
            Fault::Fail(Error::not_found(format!("scripted {operation}"))),
            Times::Once,
        );
    }
    let failed = |r: Result<(), Error>, what: &str| match r {
        Err(Error::NotFound { what: w, .. }) => assert_eq!(w, format!("scripted {what}")),
        other => panic!("{what}: {other:?}"),
    };
    failed(
        fake.search(&SearchQuery::default()).await.map(drop),
        "search",
    );
    failed(fake.purchase(&buy(&number)).await.map(drop), "purchase");
    failed(fake.find_owned(&number).await.map(drop), "find_owned");
    failed(
        fake.list_owned(&PageRequest::default()).await.map(drop),
        "list_owned",
    );
    failed(
        fake.update(&bought.carrier_id, &CarrierUpdate::default())
            .await
            .map(drop),
        "update",
    );
    failed(fake.release(&bought.carrier_id).await, "release");
    assert_eq!(fake.owned_numbers().await.unwrap(), vec![bought]);
}

#[tokio::test]
async fn a_lost_purchase_answer_still_buys_the_number() {
    let fake = FakeProvider::new();
    let number = first_offer(&fake).await;
    fake.script(Operation::Purchase, Fault::AnswerLost, Times::Once);
    let err = fake.purchase(&buy(&number)).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_temporary());
    let owned = fake.find_owned(&number).await.unwrap().expect("bought");
    assert_eq!(owned.phone_number, number);
    assert!(!fake.is_available(&number).await.unwrap());
}

#[tokio::test]
async fn a_lost_release_answer_still_releases() {
    let fake = FakeProvider::new();
    let number = first_offer(&fake).await;
    let bought = fake
        .purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    fake.script(Operation::Release, Fault::AnswerLost, Times::Once);
    let err = fake.release(&bought.carrier_id).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(fake.is_available(&number).await.unwrap());
    // The caller retries, as it should for a lost answer: NotFound means done.
    assert!(matches!(
        fake.release(&bought.carrier_id).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn latency_delays_the_answer_by_the_scripted_time() {
    let fake = FakeProvider::new();
    fake.script(
        Operation::Search,
        Fault::Latency(Duration::from_secs(30)),
        Times::Once,
    );
    let slow = tokio::spawn({
        let fake = fake.clone();
        async move { fake.search(&SearchQuery::default()).await }
    });
    // Paused test time: these advances are exact, not measured.
    tokio::time::sleep(Duration::from_secs(29)).await;
    assert!(!slow.is_finished());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(slow.is_finished());
    assert_eq!(slow.await.unwrap().unwrap().len(), 20);
    // Used up: the next search answers at once.
    let before = tokio::time::Instant::now();
    fake.search(&SearchQuery::default()).await.unwrap();
    assert_eq!(tokio::time::Instant::now(), before);
}

#[tokio::test]
async fn faults_run_out_in_order_or_stay_until_cleared() {
    let fake = FakeProvider::new();
    let lost = || Fault::AnswerLost;
    let refused = || {
        Fault::Fail(Error::Carrier {
            provider: "fake".into(),
            status: Some(503),
            code: None,
            message: None,
        })
    };
    fake.script(Operation::FindOwned, refused(), Times::N(2));
    fake.script(Operation::FindOwned, lost(), Times::Once);
    let number = first_offer(&fake).await;
    let codes = async || {
        let mut codes = Vec::new();
        for _ in 0..4 {
            codes.push(match fake.find_owned(&number).await {
                Ok(_) => "ok",
                Err(e) => e.code(),
            });
        }
        codes
    };
    assert_eq!(
        codes().await,
        [
            "carrier_error",
            "carrier_error",
            "carrier_unreachable",
            "ok"
        ]
    );

    fake.script(Operation::FindOwned, refused(), Times::Always);
    assert!(codes().await.iter().all(|c| *c == "carrier_error"));
    fake.clear_faults();
    assert!(codes().await.iter().all(|c| *c == "ok"));
}

#[tokio::test]
async fn the_call_log_records_operation_target_and_outcome() {
    let fake = FakeProvider::new();
    let query = SearchQuery::default().area_code("512");
    let number = fake.search(&query).await.unwrap()[0].phone_number.clone();
    fake.script(Operation::Purchase, Fault::AnswerLost, Times::Once);
    let _ = fake.purchase(&buy(&number)).await;
    let _ = fake.purchase(&buy(&number)).await;
    fake.release("FK0000000001").await.unwrap();

    let calls = fake.calls();
    assert_eq!(calls.len(), 4);
    assert_eq!(
        calls[0],
        Call {
            operation: Operation::Search,
            target: Target::Query(Box::new(query)),
            outcome: Outcome::Ok,
        }
    );
    assert_eq!(calls[1].operation, Operation::Purchase);
    assert_eq!(calls[1].phone_number(), Some(&number));
    assert_eq!(calls[1].outcome, Outcome::AnswerLost);
    assert!(!calls[1].is_ok());
    match &calls[2].outcome {
        Outcome::Failed { code, message } => {
            assert_eq!(*code, "number_unavailable");
            assert!(message.contains(number.as_str()), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(calls[3].operation, Operation::Release);
    assert_eq!(calls[3].carrier_id(), Some("FK0000000001"));
    assert!(calls[3].is_ok());

    fake.clear_calls();
    assert!(fake.calls().is_empty());
    fake.list_owned(&PageRequest::first(5)).await.unwrap();
    assert_eq!(fake.calls()[0].target, Target::Page(PageRequest::first(5)));
}

#[tokio::test]
async fn clones_share_numbers_faults_and_calls() {
    let fake = FakeProvider::new();
    let other = fake.clone();
    let number = first_offer(&fake).await;
    other
        .purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert!(!fake.is_available(&number).await.unwrap());
    assert_eq!(fake.owned_numbers().await.unwrap().len(), 1);

    fake.script(Operation::Search, Fault::AnswerLost, Times::Once);
    assert!(other.search(&SearchQuery::default()).await.is_err());
    assert_eq!(fake.calls(), other.calls());
    assert_eq!(fake.calls().len(), 3);

    // Independent fakes share nothing.
    let separate = FakeProvider::new();
    assert!(separate.is_available(&number).await.unwrap());
    assert!(separate.calls().is_empty());
}

#[tokio::test]
async fn release_inside_the_cooldown_is_refused_until_it_ends() {
    let clock = ManualClock::new(start());
    let fake = FakeProvider::builder()
        .clock(Arc::new(clock.clone()))
        .release_cooldown(chrono::Duration::days(14))
        .build();
    let number = first_offer(&fake).await;
    let bought = fake
        .purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");

    clock.advance(chrono::Duration::days(3));
    let err = fake.release(&bought.carrier_id).await.unwrap_err();
    match &err {
        Error::RetryLater { not_before, .. } => {
            assert_eq!(*not_before, Some(start() + chrono::Duration::days(14)));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_temporary());
    assert!(err.to_string().contains("2024-01-29 10:30:00 UTC"), "{err}");
    assert!(fake.find_owned(&number).await.unwrap().is_some());

    clock.set(start() + chrono::Duration::days(14));
    fake.release(&bought.carrier_id).await.unwrap();
    assert!(fake.is_available(&number).await.unwrap());
}

#[tokio::test]
async fn without_a_cooldown_release_is_immediate() {
    let fake = FakeProvider::builder()
        .clock(Arc::new(ManualClock::new(start())))
        .release_cooldown(chrono::Duration::zero())
        .build();
    let number = first_offer(&fake).await;
    let bought = fake
        .purchase(&buy(&number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    fake.release(&bought.carrier_id).await.unwrap();
}

#[tokio::test]
async fn seeds_decide_the_offer_and_names_the_carrier() {
    let a = FakeProvider::builder().seed(1).build();
    let b = FakeProvider::builder().seed(1).build();
    let c = FakeProvider::builder().seed(2).name("fake-b").build();
    assert_eq!(offers(&a, "206", 50).await, offers(&b, "206", 50).await);
    let other = offers(&c, "206", 50).await;
    assert_ne!(
        offers(&a, "206", 50)
            .await
            .into_iter()
            .map(|o| o.phone_number)
            .collect::<Vec<_>>(),
        other
            .iter()
            .map(|o| o.phone_number.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(a.name(), "fake");
    assert_eq!(c.name(), "fake-b");
    assert!(other.iter().all(|o| o.provider == "fake-b"));
    assert_eq!(a.features(), ProviderFeatures::all(100));
}

#[tokio::test]
async fn inventory_size_is_a_builder_option() {
    let fake = FakeProvider::builder().inventory_size(1_000_000).build();
    assert_eq!(fake.inventory().len(), 1_000_000);
    assert_eq!(FakeProvider::new().inventory().len(), 100_000);
    let tiny = FakeProvider::builder().inventory_size(0).build();
    assert!(
        tiny.search(&SearchQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_invalid_search_names_the_field() {
    let fake = FakeProvider::new();
    let err = fake
        .search(&SearchQuery::default().area_code("41x"))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("area_code"));
}

#[test]
fn debug_is_a_summary() {
    let fake = FakeProvider::builder().name("fake-debug").build();
    let text = format!("{fake:?}");
    assert!(text.contains("fake-debug"), "{text}");
    assert!(text.contains("100000"), "{text}");
    assert!(text.len() < 400, "{text}");
}

/// Two fakes as two carriers behind the provisioning service: a lost
/// purchase answer is settled by asking the carrier, and numbers stay with
/// the carrier that sold them.
#[tokio::test]
async fn the_service_settles_a_lost_answer_with_the_fake() {
    let first = FakeProvider::new();
    let second = FakeProvider::builder().name("fake-b").seed(5).build();
    let registry = ProviderRegistry::new(Arc::new(first.clone())).with(Arc::new(second.clone()));
    let repository = Arc::new(InMemoryRepository::new());
    let service = ProvisioningService::new(registry, repository.clone());
    let account = switchboard_core::AccountId::parse("acct-1").expect("account id");

    let number = first_offer(&second).await;
    second.script(Operation::Purchase, Fault::AnswerLost, Times::Once);
    let provisioned = service
        .provision(
            &account,
            &ProvisionRequest::new(number.clone()).provider("fake-b"),
        )
        .await
        .unwrap();
    assert_eq!(provisioned.phone_number, number);
    assert_eq!(second.owned_numbers().await.unwrap().len(), 1);
    assert!(first.owned_numbers().await.unwrap().is_empty());
    let operations: Vec<Operation> = second.calls().iter().map(|c| c.operation).collect();
    assert_eq!(
        operations,
        [Operation::Search, Operation::Purchase, Operation::FindOwned]
    );
    assert_eq!(provisioned.provider, "fake-b");
    assert_eq!(provisioned.carrier_id.as_deref(), Some("FK0000000001"));
    let recorded = repository
        .get(provisioned.id)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(recorded.carrier_id, provisioned.carrier_id);
}

#[tokio::test]
async fn a_lost_answer_hides_a_failure_too() {
    let fake = FakeProvider::new();
    let number = first_offer(&fake).await;
    assert!(fake.take(&number).await.unwrap());
    fake.script(Operation::Purchase, Fault::AnswerLost, Times::Once);
    let err = fake.purchase(&buy(&number)).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(fake.find_owned(&number).await.unwrap(), None);
    assert_eq!(fake.calls()[1].outcome, Outcome::AnswerLost);
}

#[tokio::test]
async fn restored_numbers_are_owned_and_new_ids_do_not_collide() {
    let first = FakeProvider::new();
    let offer = first
        .search(&SearchQuery::default().area_code("415").limit(2))
        .await
        .unwrap();
    let bought = first
        .purchase(&buy(&offer[0].phone_number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");

    // A new process over the same records.
    let second = FakeProvider::new();
    assert!(
        second
            .restore_owned(bought.clone(), chrono::Utc::now())
            .await
            .unwrap()
    );
    assert!(
        !second
            .restore_owned(bought.clone(), chrono::Utc::now())
            .await
            .unwrap(),
        "twice"
    );
    let found = second.find_owned(&bought.phone_number).await.unwrap();
    assert_eq!(found, Some(bought.clone()));
    assert!(!second.is_available(&bought.phone_number).await.unwrap());
    let next = second
        .purchase(&buy(&offer[1].phone_number))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_ne!(next.carrier_id, bought.carrier_id);
    let mut foreign = bought.clone();
    foreign.carrier_id = "PN123".into();
    foreign.phone_number = offer[1].phone_number.clone();
    assert!(
        !second
            .restore_owned(foreign, chrono::Utc::now())
            .await
            .unwrap()
    );
}
