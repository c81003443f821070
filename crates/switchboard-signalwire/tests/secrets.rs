//! The API token never shows: not in any configuration's or adapter's
//! `Debug`, nor in any error produced when things go wrong, even when the
//! server echoes the credentials back.

mod common;

use common::*;
use serde_json::json;
use switchboard_core::{
    CarrierUpdate, Error, PageRequest, PhoneNumber, PurchaseRequest, Routing, SearchQuery,
    TelephonyProvider,
};
use switchboard_signalwire::{SignalWireConfig, SignalWireProvider};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn assert_clean(what: &str, text: &str) {
    for secret in [TOKEN, CREDENTIAL, AUTHORIZATION] {
        assert!(!text.contains(secret), "{what} shows a secret: {text}");
    }
}

fn check_error(what: &str, error: &Error) {
    assert_clean(what, &error.to_string());
    assert_clean(what, &format!("{error:?}"));
}

async fn every_operation(signalwire: &SignalWireProvider) -> Vec<Error> {
    let number = PhoneNumber::parse_trusted(NUMBER).unwrap();
    let mut errors = Vec::new();
    errors.extend(signalwire.search(&SearchQuery::default()).await.err());
    errors.extend(
        signalwire
            .purchase(&PurchaseRequest {
                phone_number: number.clone(),
                friendly_name: Some("x".into()),
                routing: Routing::default(),
            })
            .await
            .err(),
    );
    errors.extend(signalwire.find_owned(&number).await.err());
    errors.extend(signalwire.list_owned(&PageRequest::first(5)).await.err());
    errors.extend(signalwire.get(NUMBER_ID).await.err());
    errors.extend(
        signalwire
            .update(
                NUMBER_ID,
                &CarrierUpdate {
                    friendly_name: Some("y".into()),
                    routing: None,
                },
            )
            .await
            .err(),
    );
    errors.extend(signalwire.release(NUMBER_ID).await.err());
    errors
}

#[tokio::test]
async fn no_configuration_adapter_or_error_shows_the_token() {
    // Configurations, good and bad.
    let good = SignalWireConfig::new("example.signalwire.com", PROJECT, TOKEN.to_string()).unwrap();
    assert_clean("config Debug", &format!("{good:?}"));
    let adapter = SignalWireProvider::new(good).unwrap();
    assert_clean("adapter Debug", &format!("{adapter:?}"));
    for space in [
        "http://example.signalwire.com",
        "ftp://x",
        "",
        "https://a/b?c",
    ] {
        let err = SignalWireConfig::new(space, PROJECT, TOKEN.to_string()).unwrap_err();
        check_error(space, &err);
    }
    let env = |name: &str| match name {
        "SIGNALWIRE_SPACE_URL" => Some("http://10.0.0.1".to_string()),
        "SIGNALWIRE_PROJECT_ID" => Some(PROJECT.to_string()),
        "SIGNALWIRE_API_TOKEN" => Some(TOKEN.to_string()),
        _ => None,
    };
    check_error("env", &SignalWireConfig::from_lookup(env).unwrap_err());

    // Failure answers of every kind, one of them echoing the credentials.
    let echo = format!("bad credentials {TOKEN} / {AUTHORIZATION}");
    let answers = vec![
        ResponseTemplate::new(401).set_body_string(echo.clone()),
        ResponseTemplate::new(403).set_body_json(json!({"error": echo})),
        ResponseTemplate::new(404).set_body_json(json!({"error": "Not Found"})),
        ResponseTemplate::new(422).set_body_json(validation_error(Some(&echo))),
        ResponseTemplate::new(429).insert_header("retry-after", "3600"),
        ResponseTemplate::new(500).set_body_string(echo.clone()),
        ResponseTemplate::new(200).set_body_string(echo.clone()),
    ];
    let mut seen = 0;
    for answer in answers {
        let server = MockServer::start().await;
        Mock::given(any()).respond_with(answer).mount(&server).await;
        let signalwire = provider(&server);
        assert_clean("adapter Debug", &format!("{signalwire:?}"));
        for error in every_operation(&signalwire).await {
            check_error("carrier error", &error);
            seen += 1;
        }
    }

    // An unreachable space.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = SignalWireConfig::new(
        &format!("http://127.0.0.1:{port}"),
        PROJECT,
        TOKEN.to_string(),
    )
    .unwrap()
    .with_retry_policy(fast_retry());
    for error in every_operation(&SignalWireProvider::new(config).unwrap()).await {
        check_error("transport error", &error);
        seen += 1;
    }
    // Every operation failed in every scenario (find_owned and the PUT after
    // a purchase aside, which may legitimately succeed or be absorbed).
    assert!(seen >= 7 * 5, "only {seen} errors were produced");
}
