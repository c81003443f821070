//! The API key never shows: not in any configuration's, setting's or
//! adapter's `Debug`, nor in any error or log line, even when the server
//! echoes the key back in its `errors[]` detail or an HTML page.

mod common;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use common::*;
use serde_json::json;
use switchboard_core::{
    CarrierUpdate, Error, PageRequest, PhoneNumber, PurchaseRequest, Routing, SearchQuery,
    TelephonyProvider,
};
use switchboard_telnyx::{TelnyxProvider, TelnyxSettings};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(KEY), "{what} shows the key: {text}");
    assert!(
        !text.contains("KEY0190D4C3B2A1"),
        "{what} shows part of the key: {text}"
    );
}

async fn every_operation(telnyx: &TelnyxProvider) -> Vec<Error> {
    let number = PhoneNumber::parse_trusted(NUMBER).unwrap();
    let mut errors = Vec::new();
    errors.extend(telnyx.search(&SearchQuery::default()).await.err());
    errors.extend(
        telnyx
            .purchase(&PurchaseRequest {
                phone_number: number.clone(),
                friendly_name: Some("x".into()),
                routing: Routing::default(),
            })
            .await
            .err(),
    );
    errors.extend(telnyx.order_status(ORDER_ID).await.err());
    errors.extend(telnyx.find_owned(&number).await.err());
    errors.extend(telnyx.list_owned(&PageRequest::first(5)).await.err());
    errors.extend(telnyx.get(NUMBER_ID).await.err());
    errors.extend(
        telnyx
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
    errors.extend(telnyx.release(NUMBER_ID).await.err());
    errors
}

/// Collects every tracing event and span field as text.
struct Capture(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        span.record(&mut Fields(&mut self.0.lock().unwrap()));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        event.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn an_echoed_key_is_redacted_from_every_error_and_log() {
    let logs = Arc::new(Mutex::new(String::new()));
    let _guard = tracing::subscriber::set_default(Capture(logs.clone()));
    let echoes = [
        (
            401,
            json!({"errors": [{"code": "10009", "title": "Authentication failed",
            "detail": format!("The key {KEY} is not valid"), "source": {"pointer": "/"}}]}),
        ),
        (
            400,
            json!({"errors": [{"code": "10015", "title": format!("Bearer {KEY}"),
            "source": {"parameter": KEY}}]}),
        ),
        (
            500,
            json!(format!("<html>Authorization: Bearer {KEY}</html>")),
        ),
        (
            429,
            json!({"errors": [{"code": "10011", "title": "Too many requests", "detail": KEY}]}),
        ),
    ];
    for (status, body) in echoes {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&server)
            .await;
        let errors = every_operation(&provider(&server)).await;
        assert_eq!(errors.len(), 8, "{status}: every operation fails");
        for error in &errors {
            assert_clean(&format!("{status} error"), &error.to_string());
            assert_clean(&format!("{status} error"), &format!("{error:?}"));
        }
    }
    // A bought number whose naming fails logs a warning with the error.
    let server = MockServer::start().await;
    let mut named = order("success", NUMBER);
    named["data"]["customer_reference"] = json!("named");
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(named))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(
            vec![owned(NUMBER_ID, NUMBER)],
            1,
            1,
        )))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::method("PATCH"))
        .respond_with(ResponseTemplate::new(500).set_body_string(format!("echo {KEY}")))
        .mount(&server)
        .await;
    provider(&server)
        .purchase(&PurchaseRequest {
            phone_number: PhoneNumber::parse_trusted(NUMBER).unwrap(),
            friendly_name: Some("named".into()),
            routing: Routing::default(),
        })
        .await
        .unwrap();
    let logs = logs.lock().unwrap();
    // The retries and the warning were logged, with the carrier's words.
    assert!(
        logs.contains("retrying after a temporary failure"),
        "{logs}"
    );
    assert!(logs.contains("giving it the order's name"), "{logs}");
    assert!(logs.contains("echo [redacted]"), "{logs}");
    assert_clean("logs", &logs);
}

#[tokio::test]
async fn transport_failures_do_not_show_the_key() {
    // Nothing listens here: every call fails to connect.
    let config = switchboard_telnyx::TelnyxConfig::new(KEY.to_string())
        .unwrap()
        .base_url("http://127.0.0.1:9/v2")
        .unwrap()
        .with_retry_policy(switchboard_core::RetryPolicy::NONE);
    let errors = every_operation(&TelnyxProvider::new(config).unwrap()).await;
    assert_eq!(errors.len(), 8);
    for error in &errors {
        assert!(matches!(error, Error::Transport { .. }), "{error:?}");
        assert_clean("transport error", &format!("{error} {error:?}"));
    }
}

#[test]
fn no_debug_shows_the_key() {
    let settings: TelnyxSettings = toml::from_str(&format!("api_key = \"{KEY}\"")).unwrap();
    let config = settings.config().unwrap();
    let provider = settings.provider().unwrap();
    for shown in [
        format!("{settings:?}"),
        format!("{config:?}"),
        format!("{provider:?}"),
        format!("{:?}", provider.config()),
    ] {
        assert_clean("Debug", &shown);
    }
}
