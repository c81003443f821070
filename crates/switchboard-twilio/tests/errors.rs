//! Twilio's error answers as core errors, retries of idempotent calls only,
//! and no secret in any error, config, provider or log line produced along
//! the way.

mod common;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::json;
use switchboard_core::{
    CarrierUpdate, CountryCode, Error, PageRequest, PhoneNumber, PurchaseRequest, Routing,
    SearchQuery, TelephonyProvider,
};
use switchboard_twilio::{TwilioConfig, TwilioProvider};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn twilio_error(status: u16, code: u32, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status
    }))
}

fn buy(number: &str) -> PurchaseRequest {
    PurchaseRequest {
        phone_number: PhoneNumber::parse(number).unwrap(),
        friendly_name: None,
        routing: Routing::default(),
    }
}

async fn purchase_answered(answer: ResponseTemplate) -> (Error, usize) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(answer)
        .mount(&server)
        .await;
    let err = provider(&server)
        .purchase(&buy("+15005550000"))
        .await
        .unwrap_err();
    (err, received(&server).await.len())
}

#[tokio::test]
async fn purchase_errors_keep_twilio_code_and_message_and_are_never_retried() {
    let (err, sent) = purchase_answered(twilio_error(
        400,
        21422,
        "Phone number +15005550000 is not available",
    ))
    .await;
    match &err {
        Error::NumberUnavailable {
            phone_number,
            provider,
            code,
            message,
        } => {
            assert_eq!(phone_number, "+15005550000");
            assert_eq!(provider, "twilio");
            assert_eq!(code.as_deref(), Some("21422"));
            assert_eq!(
                message.as_deref(),
                Some("Phone number +15005550000 is not available")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sent, 1);

    let (err, _) = purchase_answered(twilio_error(400, 21631, "Address required")).await;
    assert!(
        matches!(&err, Error::RequirementMissing { requirement, code, .. }
            if requirement == "AddressSid" && code.as_deref() == Some("21631")),
        "{err:?}"
    );
    let (err, _) = purchase_answered(twilio_error(400, 21649, "Bundle required")).await;
    assert!(
        matches!(&err, Error::RequirementMissing { requirement, .. } if requirement == "BundleSid"),
        "{err:?}"
    );
    let (err, _) = purchase_answered(twilio_error(400, 21421, "PhoneNumber is invalid")).await;
    assert_eq!(err.field(), Some("phone_number"));
    assert!(err.to_string().contains("PhoneNumber is invalid"), "{err}");

    // A server error is temporary, yet a purchase is still sent only once.
    let (err, sent) = purchase_answered(twilio_error(503, 20500, "Service unavailable")).await;
    assert!(err.is_temporary());
    assert!(
        matches!(
            err,
            Error::Carrier {
                status: Some(503),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(sent, 1);
    let (err, sent) = purchase_answered(twilio_error(429, 20429, "Too Many Requests")).await;
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(sent, 1);
}

#[tokio::test]
async fn an_unreadable_purchase_answer_is_an_unknown_outcome() {
    let (err, sent) =
        purchase_answered(ResponseTemplate::new(201).set_body_string("<html>ok</html>")).await;
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("unknown"), "{err}");
    assert_eq!(sent, 1);
}

#[tokio::test]
async fn bad_credentials_are_unauthenticated_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(available("US", "Local")))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "code": 20003,
            "detail": "Your AccountSid or AuthToken was incorrect.",
            "message": "Authentication Error - invalid username",
            "more_info": "https://www.twilio.com/docs/errors/20003",
            "status": 401
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .search(&SearchQuery::new(CountryCode::US))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    assert!(err.to_string().contains("20003"), "{err}");
    server.verify().await;
}

#[tokio::test]
async fn not_found_on_update_keeps_the_code() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INCOMING_PN))
        .respond_with(twilio_error(
            404,
            20404,
            "The requested resource was not found",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .update(
            PN,
            &CarrierUpdate {
                friendly_name: Some("x".into()),
                routing: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains(PN), "{err}");
    assert!(err.to_string().contains("20404"), "{err}");
}

#[tokio::test]
async fn twenty_429_is_retried_and_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(available("US", "Local")))
        .respond_with(twilio_error(429, 20429, "Too Many Requests"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(available("US", "Local")))
        .respond_with(ResponseTemplate::new(200).set_body_json(local_search_example()))
        .mount(&server)
        .await;
    let found = provider(&server)
        .search(&SearchQuery::new(CountryCode::US))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn retry_after_is_honoured_within_the_policy_bound() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_example()))
        .mount(&server)
        .await;
    let p = provider(&server);
    let page = p.list_owned(&PageRequest::first(10)).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(received(&server).await.len(), 2);

    // A wait longer than the policy allows is handed back to the caller.
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(
            twilio_error(429, 20429, "Too Many Requests").insert_header("Retry-After", "3600"),
        )
        .expect(1)
        .mount(&slow)
        .await;
    let err = provider(&slow)
        .list_owned(&PageRequest::first(10))
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    slow.verify().await;
}

#[tokio::test]
async fn server_errors_are_retried_up_to_the_policy_and_then_returned() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .mount(&server)
        .await;
    let err = provider(&server)
        .list_owned(&PageRequest::first(10))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.last_attempt(),
            Error::Carrier {
                status: Some(502),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.attempts(), fast_retries().max_attempts, "{err:?}");
    assert!(err.is_temporary());
    assert!(err.to_string().contains("Bad Gateway"), "{err}");
    assert_eq!(
        received(&server).await.len(),
        fast_retries().max_attempts as usize
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = TwilioConfig::with_auth_token(AC, AUTH_TOKEN)
        .unwrap()
        .base_url(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .retry_policy(fast_retries());
    let err = TwilioProvider::new(config)
        .unwrap()
        .release(PN)
        .await
        .unwrap_err();
    assert!(
        matches!(err.last_attempt(), Error::Transport { .. }),
        "{err:?}"
    );
    assert!(err.retries_exhausted(), "{err:?}");
    assert!(err.is_temporary());
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
async fn no_secret_appears_in_configs_errors_or_logs() {
    let logs = Arc::new(Mutex::new(String::new()));
    let _guard = tracing::subscriber::set_default(Capture(logs.clone()));
    let mut seen: Vec<String> = Vec::new();
    let mut show = |label: &str, debug: String, display: Option<String>| {
        seen.push(format!("{label}: {debug}"));
        if let Some(display) = display {
            seen.push(format!("{label}: {display}"));
        }
    };

    // Configurations, including a secret pasted into the wrong variable.
    let token_config = TwilioConfig::with_auth_token(AC, AUTH_TOKEN).unwrap();
    let key_config = TwilioConfig::with_api_key(AC, SK, API_SECRET).unwrap();
    show("token config", format!("{token_config:?}"), None);
    show("key config", format!("{key_config:?}"), None);
    let env_cases: Vec<Vec<(&str, String)>> = vec![
        vec![
            ("TWILIO_ACCOUNT_SID", AUTH_TOKEN.into()),
            ("TWILIO_AUTH_TOKEN", AUTH_TOKEN.into()),
        ],
        vec![
            ("TWILIO_ACCOUNT_SID", AC.into()),
            ("TWILIO_API_KEY", API_SECRET.into()),
            ("TWILIO_API_SECRET", API_SECRET.into()),
        ],
        vec![
            ("TWILIO_ACCOUNT_SID", AC.into()),
            ("TWILIO_API_KEY", SK.into()),
        ],
        vec![
            ("TWILIO_ACCOUNT_SID", AC.into()),
            ("TWILIO_API_SECRET", API_SECRET.into()),
        ],
        vec![
            ("TWILIO_ACCOUNT_SID", AC.into()),
            ("TWILIO_AUTH_TOKEN", format!("{AUTH_TOKEN} x")),
        ],
    ];
    for vars in env_cases {
        let err = TwilioConfig::from_env_with(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap_err();
        show("env", format!("{err:?}"), Some(err.to_string()));
    }
    let err = TwilioConfig::with_auth_token(AUTH_TOKEN, AUTH_TOKEN).unwrap_err();
    show("explicit", format!("{err:?}"), Some(err.to_string()));
    let err = TwilioConfig::with_api_key(AC, API_SECRET, API_SECRET).unwrap_err();
    show("explicit key", format!("{err:?}"), Some(err.to_string()));
    let err = token_config
        .clone()
        .base_url(&format!("https://{AC}:{AUTH_TOKEN}@api.twilio.com"))
        .unwrap_err();
    show("base url", format!("{err:?}"), Some(err.to_string()));

    // Providers and the errors of failing calls, with both kinds of auth.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(available("US", "Local")))
        .respond_with(twilio_error(401, 20003, "Authenticate"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(twilio_error(400, 21422, "not available"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(500).set_body_string("Internal <b>error</b>"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    for config in [token_config, key_config] {
        let config = config
            .base_url(&server.uri())
            .unwrap()
            .retry_policy(fast_retries())
            .timeout(Duration::from_millis(300));
        let p = TwilioProvider::new(config).unwrap();
        show("provider", format!("{p:?}"), None);
        let mut errors = vec![
            p.search(&SearchQuery::new(CountryCode::US))
                .await
                .unwrap_err(),
            p.purchase(&buy("+15005550000")).await.unwrap_err(),
            p.list_owned(&PageRequest::first(5)).await.unwrap_err(),
            p.list_owned(&PageRequest::after("@evil.example/", 5))
                .await
                .unwrap_err(),
            p.release(PN).await.unwrap_err(),
            p.release("not-a-sid").await.unwrap_err(),
        ];
        let closed =
            TwilioProvider::new(p.config().clone().base_url("http://127.0.0.1:9").unwrap())
                .unwrap();
        errors.push(closed.release(PN).await.unwrap_err());
        for err in errors {
            show("call", format!("{err:?}"), Some(err.to_string()));
        }
    }

    let header_token = basic(AC, AUTH_TOKEN);
    let header_key = basic(SK, API_SECRET);
    let encoded = [
        header_token.trim_start_matches("Basic "),
        header_key.trim_start_matches("Basic "),
    ];
    let logs = logs.lock().unwrap().clone();
    assert!(
        seen.len() > 20,
        "the scenarios produced {} texts",
        seen.len()
    );
    for text in seen.iter().chain(std::iter::once(&logs)) {
        for secret in [AUTH_TOKEN, API_SECRET, encoded[0], encoded[1]] {
            assert!(!text.contains(secret), "secret found in: {text}");
        }
    }
    // The texts did name what was wrong.
    assert!(seen.iter().any(|t| t.contains("TWILIO_ACCOUNT_SID")));
    assert!(seen.iter().any(|t| t.contains("redacted")));
    assert!(
        logs.contains("more_info"),
        "the log capture saw nothing: {logs}"
    );
}
