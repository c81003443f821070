//! Calls that overlap, as they do in a service: the same completed order
//! asked about at once from several places settles to the same number with
//! the same writes, and two orders of one number at once against the
//! emulator are one order and one refusal, never two purchases.

mod common;

use std::sync::Arc;

use common::*;
use serde_json::json;
use switchboard_core::{
    Error, OrderStatus, PhoneNumber, PurchaseOutcome, PurchaseRequest, Routing, SearchQuery,
    TelephonyProvider,
};
use switchboard_emulator::{DEFAULT_TELNYX_API_KEY, Emulator};
use switchboard_telnyx::{TelnyxConfig, TelnyxProvider};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn overlapping_asks_about_one_completed_order_agree() {
    let server = MockServer::start().await;
    let mut completed = order("success", NUMBER);
    completed["data"]["customer_reference"] = json!("Main line");
    Mock::given(path(format!("{ORDERS}/{ORDER_ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(completed))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .and(query_param("filter[phone_number]", "19705555098"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(
            vec![owned(NUMBER_ID, NUMBER)],
            1,
            1,
        )))
        .mount(&server)
        .await;
    let mut named = owned(NUMBER_ID, NUMBER);
    named["customer_reference"] = json!("Main line");
    Mock::given(method("PATCH"))
        .and(path(number_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(owned_answer(named)))
        .mount(&server)
        .await;
    let telnyx = Arc::new(provider(&server));
    let asks: Vec<_> = (0..8)
        .map(|_| {
            let telnyx = telnyx.clone();
            tokio::spawn(async move { telnyx.order_status(ORDER_ID).await })
        })
        .collect();
    for ask in asks {
        let OrderStatus::Complete(number) = ask.await.unwrap().unwrap() else {
            panic!("not complete");
        };
        assert_eq!(number.carrier_id, NUMBER_ID);
        assert_eq!(number.friendly_name.as_deref(), Some("Main line"));
    }
    // Every write was the same write: safe however many ran.
    let patches: Vec<serde_json::Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert!(!patches.is_empty() && patches.len() <= 8);
    assert!(
        patches
            .iter()
            .all(|p| *p == json!({"customer_reference": "Main line"}))
    );
}

#[tokio::test]
async fn two_overlapping_orders_of_one_number_buy_it_once() {
    let emulator = Emulator::builder().start().await.expect("emulator");
    let config = TelnyxConfig::new(DEFAULT_TELNYX_API_KEY.to_string())
        .and_then(|c| c.base_url(&emulator.telnyx_base_url()))
        .expect("config");
    let telnyx = Arc::new(TelnyxProvider::new(config).expect("provider"));
    let found = telnyx
        .search(&SearchQuery::default().limit(1))
        .await
        .unwrap();
    let number: PhoneNumber = found[0].phone_number.clone();
    let orders: Vec<_> = (0..4)
        .map(|_| {
            let telnyx = telnyx.clone();
            let number = number.clone();
            tokio::spawn(async move {
                telnyx
                    .purchase(&PurchaseRequest {
                        phone_number: number,
                        friendly_name: None,
                        routing: Routing::default(),
                    })
                    .await
            })
        })
        .collect();
    let mut accepted = 0;
    for order in orders {
        match order.await.unwrap() {
            Ok(PurchaseOutcome::Pending(_) | PurchaseOutcome::Bought(_)) => accepted += 1,
            Err(Error::Duplicate { .. } | Error::NumberUnavailable { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(accepted, 1, "one number, one order");
}
