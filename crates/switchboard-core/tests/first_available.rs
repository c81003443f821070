//! Buying from the first carrier that has a number: "no number" and "no
//! longer available" move to the next carrier; a timeout does not (it may
//! have bought), and its reservation stays; a repeat with the key buys
//! nothing more.

use std::sync::Arc;

use switchboard_core::*;

fn offer(carrier: &str, number: &str) -> AvailableNumber {
    AvailableNumber {
        phone_number: PhoneNumber::parse_trusted(number).unwrap(),
        country: CountryCode::US,
        number_type: NumberType::Local,
        region: None,
        locality: None,
        postal_code: None,
        rate_center: None,
        capabilities: Capabilities::VOICE_SMS_MMS,
        provider: carrier.into(),
    }
}

fn sold(number: &PhoneNumber) -> PurchaseOutcome {
    PurchaseOutcome::Bought(CarrierNumber {
        carrier_id: format!("C{number}"),
        phone_number: number.clone(),
        friendly_name: None,
        capabilities: Capabilities::VOICE_SMS_MMS,
        routing: Routing::default(),
    })
}

fn carrier(name: &'static str) -> MockTelephonyProvider {
    let mut mock = MockTelephonyProvider::new();
    mock.expect_name().return_const(name.to_string());
    mock.expect_features()
        .returning(|| ProviderFeatures::all(30));
    mock
}

/// A carrier whose offer is taken by someone else before we buy it.
fn sold_out(name: &'static str, number: &'static str) -> MockTelephonyProvider {
    let mut mock = carrier(name);
    mock.expect_search()
        .returning(move |_| Ok(vec![offer(name, number)]));
    mock.expect_purchase().times(1).returning(move |r| {
        Err(Error::NumberUnavailable {
            phone_number: r.phone_number.to_string(),
            provider: name.into(),
            code: None,
            message: None,
        })
    });
    mock
}

fn selling(name: &'static str, number: &'static str) -> MockTelephonyProvider {
    let mut mock = carrier(name);
    mock.expect_search()
        .returning(move |_| Ok(vec![offer(name, number)]));
    mock.expect_purchase()
        .times(1)
        .returning(|r| Ok(sold(&r.phone_number)));
    mock
}

fn service(first: MockTelephonyProvider, second: MockTelephonyProvider) -> ProvisioningService {
    ProvisioningService::new(
        ProviderRegistry::new(Arc::new(first)).with(Arc::new(second)),
        Arc::new(InMemoryRepository::new()),
    )
}

fn account() -> AccountId {
    AccountId::parse("acme").unwrap()
}

fn in_604() -> FirstAvailable {
    FirstAvailable::new(SearchQuery::default().area_code("604")).providers(["first", "second"])
}

#[tokio::test]
async fn no_match_at_the_first_carrier_buys_from_the_second() {
    let mut first = carrier("first");
    first.expect_search().returning(|_| Ok(vec![]));
    first.expect_purchase().never();
    let service = service(first, selling("second", "+16045550200"));
    let bought = service
        .provision_first_available(&account(), &in_604())
        .await
        .unwrap();
    assert_eq!(bought.provider, "second");
    assert_eq!(bought.state, NumberState::Active);
    assert_eq!(bought.phone_number.as_str(), "+16045550200");
}

#[tokio::test]
async fn no_longer_available_at_the_first_moves_on_and_frees_its_reservation() {
    let service = service(
        sold_out("first", "+16045550100"),
        selling("second", "+16045550200"),
    );
    let bought = service
        .provision_first_available(&account(), &in_604().idempotency_key("k1"))
        .await
        .unwrap();
    assert_eq!(bought.provider, "second");
    let lost = PhoneNumber::parse_trusted("+16045550100").unwrap();
    assert!(service.lookup(&lost).await.unwrap().is_none());
    // The same key again answers the same number and buys nothing (each
    // mock allows one purchase).
    let again = service
        .provision_first_available(&account(), &in_604().idempotency_key("k1"))
        .await
        .unwrap();
    assert_eq!(again.id, bought.id);
}

#[tokio::test]
async fn a_timeout_at_the_first_carrier_never_buys_from_the_second() {
    let mut first = carrier("first");
    first
        .expect_search()
        .returning(|_| Ok(vec![offer("first", "+16045550100")]));
    first.expect_purchase().times(1).returning(|_| {
        Err(Error::Transport {
            provider: "first".into(),
            message: "timed out".into(),
            cause: None,
        })
    });
    // The carrier cannot say whether it sold it.
    first.expect_find_owned().returning(|_| {
        Err(Error::Transport {
            provider: "first".into(),
            message: "timed out".into(),
            cause: None,
        })
    });
    let mut second = carrier("second");
    second.expect_search().never();
    second.expect_purchase().never();
    let service = service(first, second);
    let err = service
        .provision_first_available(&account(), &in_604())
        .await
        .unwrap_err();
    assert!(err.is_temporary(), "{err}");
    let held = PhoneNumber::parse_trusted("+16045550100").unwrap();
    let record = service
        .lookup(&held)
        .await
        .unwrap()
        .expect("reservation kept");
    assert_eq!(record.state, NumberState::Reserved);
    assert_eq!(record.provider, "first");
}

#[tokio::test]
async fn nothing_anywhere_is_not_found_naming_each_carrier() {
    let mut first = carrier("first");
    first.expect_search().returning(|_| Ok(vec![]));
    let mut second = MockTelephonyProvider::new();
    second.expect_name().return_const("second".to_string());
    second.expect_features().returning(|| ProviderFeatures {
        area_code: false,
        ..ProviderFeatures::all(30)
    });
    second.expect_search().never();
    let service = service(first, second);
    let err = service
        .provision_first_available(&account(), &in_604())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    let text = err.to_string();
    assert!(text.contains("first: no number matches"), "{text}");
    assert!(text.contains("second"), "{text}");
}
