//! Every way an order ends, against the emulator's Telnyx protocol in both
//! modes: completed after the delay (the number, with the purchase's name
//! and routing, is the account's), failed (not bought, for sale again),
//! and waiting for documents (named, until settled from outside); and a
//! second order of a number whose order is open, refused.

use std::time::Duration;

use switchboard_core::{
    Error, OrderStatus, PhoneNumber, PurchaseOutcome, PurchaseRequest, Routing, SearchQuery,
    TelephonyProvider, WebhookUrl,
};
use switchboard_emulator::{
    DEFAULT_TELNYX_API_KEY, Emulator, Mode, RunningEmulator, TelnyxOrderOutcome, TelnyxSettlement,
};
use switchboard_telnyx::{TelnyxConfig, TelnyxProvider};

const VOICE_URL: &str = "https://agent.example.com/voice";
const CONNECTION: &str = "1494404757140276705";

async fn emulator(mode: Mode, outcome: TelnyxOrderOutcome) -> RunningEmulator {
    Emulator::builder()
        .mode(mode)
        .telnyx_order_outcome(outcome)
        .telnyx_order_delay(Duration::from_millis(20))
        .start()
        .await
        .expect("start the emulator")
}

fn telnyx(emulator: &RunningEmulator) -> TelnyxProvider {
    let config = TelnyxConfig::new(DEFAULT_TELNYX_API_KEY.to_string())
        .and_then(|c| c.base_url(&emulator.telnyx_base_url()))
        .and_then(|c| c.voice_route(VOICE_URL, CONNECTION))
        .expect("configuration");
    TelnyxProvider::new(config).expect("provider")
}

/// Orders a number for sale; the order id.
async fn order(telnyx: &TelnyxProvider) -> (PhoneNumber, String) {
    let found = telnyx
        .search(&SearchQuery::default().limit(1))
        .await
        .unwrap();
    let number = found[0].phone_number.clone();
    let outcome = telnyx
        .purchase(&PurchaseRequest {
            phone_number: number.clone(),
            friendly_name: Some("Front desk".into()),
            routing: Routing {
                voice_url: Some(WebhookUrl::parse(VOICE_URL).unwrap()),
                ..Routing::default()
            },
        })
        .await
        .unwrap();
    let PurchaseOutcome::Pending(pending) = outcome else {
        panic!("the emulator answers orders pending: {outcome:?}");
    };
    assert_eq!(pending.phone_number, number);
    (number, pending.order_id)
}

/// Asks until the order leaves `Pending` (bounded).
async fn settled(telnyx: &TelnyxProvider, order_id: &str) -> OrderStatus {
    for _ in 0..200 {
        match telnyx.order_status(order_id).await.unwrap() {
            OrderStatus::Pending => tokio::time::sleep(Duration::from_millis(10)).await,
            other => return other,
        }
    }
    panic!("order {order_id} still pending");
}

#[tokio::test]
async fn a_completed_order_hands_out_the_number_named_and_routed() {
    for mode in [Mode::Live, Mode::Strict] {
        let emulator = emulator(mode, TelnyxOrderOutcome::Complete).await;
        let telnyx = telnyx(&emulator);
        let (number, order_id) = order(&telnyx).await;
        let OrderStatus::Complete(bought) = settled(&telnyx, &order_id).await else {
            panic!("{mode:?}: not complete");
        };
        assert_eq!(bought.phone_number, number);
        assert_eq!(
            bought.friendly_name.as_deref(),
            Some("Front desk"),
            "{mode:?}"
        );
        assert_eq!(
            bought.routing.voice_url.unwrap().as_str(),
            VOICE_URL,
            "{mode:?}"
        );
        let found = telnyx.find_owned(&number).await.unwrap().unwrap();
        assert_eq!(found.carrier_id, bought.carrier_id);
        assert_eq!(found.friendly_name.as_deref(), Some("Front desk"));
    }
}

#[tokio::test]
async fn a_failed_order_is_failed_and_the_number_not_owned() {
    for mode in [Mode::Live, Mode::Strict] {
        let emulator = emulator(mode, TelnyxOrderOutcome::Fail).await;
        let telnyx = telnyx(&emulator);
        let (number, order_id) = order(&telnyx).await;
        let status = settled(&telnyx, &order_id).await;
        assert!(
            matches!(status, OrderStatus::Failed { .. }),
            "{mode:?}: {status:?}"
        );
        assert!(
            telnyx.find_owned(&number).await.unwrap().is_none(),
            "{mode:?}"
        );
    }
}

#[tokio::test]
async fn an_order_awaiting_documents_names_them_until_settled() {
    for mode in [Mode::Live, Mode::Strict] {
        let emulator = emulator(mode, TelnyxOrderOutcome::AwaitRequirements).await;
        let telnyx = telnyx(&emulator);
        let (number, order_id) = order(&telnyx).await;
        let status = telnyx.order_status(&order_id).await.unwrap();
        let OrderStatus::RequirementsNeeded { missing } = status else {
            panic!("{mode:?}: {status:?}");
        };
        assert_eq!(missing.len(), 1, "{mode:?}: {missing:?}");
        assert!(missing[0].contains("address"), "{mode:?}: {missing:?}");
        // Not owned while its order is open.
        assert!(
            telnyx.find_owned(&number).await.unwrap().is_none(),
            "{mode:?}"
        );
        emulator
            .handle()
            .settle_telnyx_order(&order_id, TelnyxSettlement::Success)
            .unwrap();
        let OrderStatus::Complete(bought) = telnyx.order_status(&order_id).await.unwrap() else {
            panic!("{mode:?}: not complete after settling");
        };
        assert_eq!(bought.phone_number, number);
        telnyx.release(&bought.carrier_id).await.unwrap();
    }
}

#[tokio::test]
async fn a_second_order_of_a_pending_number_is_refused() {
    let emulator = emulator(Mode::Live, TelnyxOrderOutcome::AwaitRequirements).await;
    let telnyx = telnyx(&emulator);
    let (number, _) = order(&telnyx).await;
    let again = telnyx
        .purchase(&PurchaseRequest {
            phone_number: number,
            friendly_name: None,
            routing: Routing::default(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            again,
            Error::Duplicate { .. } | Error::NumberUnavailable { .. }
        ),
        "{again:?}"
    );
}
