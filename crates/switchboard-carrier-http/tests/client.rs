//! The shared client against a local server: credentials on every request,
//! retries of idempotent requests only, `Retry-After` on 429 and 503,
//! redirects refused, echoed credentials redacted before an adapter sees
//! them, and errors that say when the attempts ran out.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use switchboard_carrier_http::{
    Body, CarrierClient, ClientSettings, Credentials, Idempotent, Method, Refusal, Request, Url,
};
use switchboard_core::{Error, RetryPolicy};
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-9f8e7d6c5b4a";
/// `echo -n "user:tok-9f8e7d6c5b4a" | base64`
const ENCODED: &str = "dXNlcjp0b2stOWY4ZTdkNmM1YjRh";

fn client(retry: RetryPolicy, credentials: Credentials) -> CarrierClient {
    CarrierClient::new(ClientSettings {
        carrier: "carrier",
        user_agent: "switchboard-test/0",
        credentials,
        timeout: Duration::from_millis(500),
        connect_timeout: Duration::from_millis(500),
        retry,
    })
    .unwrap()
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        max_retry_after: Duration::from_secs(2),
    }
}

fn basic() -> Credentials {
    Credentials::basic("user", TOKEN.to_string())
}

/// The adapter's side: every refusal a carrier error with the body as its
/// message, and the refusals seen kept for the test to look at.
fn mapper(seen: Arc<Mutex<Vec<String>>>) -> impl Fn(Refusal<'_>) -> Error {
    move |refusal| {
        let body = String::from_utf8_lossy(refusal.body).into_owned();
        seen.lock().unwrap().push(body.clone());
        match refusal.status.as_u16() {
            429 => Error::rate_limited("carrier", refusal.retry_after),
            404 => Error::not_found("the thing"),
            status => Error::Carrier {
                provider: "carrier".into(),
                status: Some(status),
                code: None,
                message: Some(body),
            },
        }
    }
}

fn url(server: &MockServer, p: &str) -> Url {
    Url::parse(&format!("{}{p}", server.uri())).unwrap()
}

#[tokio::test]
async fn every_request_carries_the_credentials_and_its_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/form"))
        .and(header("authorization", format!("Basic {ENCODED}").as_str()))
        .and(header("accept", "application/json"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("PhoneNumber=%2B15005550006"))
        .respond_with(ResponseTemplate::new(201).set_body_string("{\"ok\":true}"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/json"))
        .and(header("authorization", "Bearer KEY-1"))
        .and(header("content-type", "application/json"))
        .and(body_string("{\"number\":\"+15005550006\"}"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let form = [("PhoneNumber", "+15005550006".to_string())];
    let target = url(&server, "/form");
    let answer = client(fast(), basic())
        .send(
            Request::new(Method::POST, &target, Idempotent::No).body(Body::Form(&form)),
            mapper(seen.clone()),
        )
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 201);
    #[derive(serde::Deserialize)]
    struct Ok {
        ok: bool,
    }
    assert!(answer.json::<Ok>("test").unwrap().ok);
    let bearer = client(fast(), Credentials::bearer("KEY-1".to_string()));
    let json = bearer
        .json(&serde_json::json!({"number": "+15005550006"}))
        .unwrap();
    let target = url(&server, "/json");
    bearer
        .send(
            Request::new(Method::PUT, &target, Idempotent::Yes).body(json),
            mapper(seen),
        )
        .await
        .unwrap();
    server.verify().await;
}

#[tokio::test]
async fn only_idempotent_requests_are_retried_and_the_error_says_how_often() {
    let server = MockServer::start().await;
    Mock::given(path("/down"))
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad Gateway"))
        .mount(&server)
        .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let target = url(&server, "/down");
    let c = client(fast(), basic());
    let err = c
        .send(Request::get(&target), mapper(seen.clone()))
        .await
        .unwrap_err();
    assert!(err.is_temporary());
    assert!(
        err.to_string()
            .ends_with("Bad Gateway; gave up after 3 attempts"),
        "{err}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    // A purchase is sent once, and its error is the carrier's answer.
    let err = c
        .send(
            Request::new(Method::POST, &target, Idempotent::No),
            mapper(seen),
        )
        .await
        .unwrap_err();
    assert!(err.is_temporary());
    assert!(!err.to_string().contains("attempts"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn retry_after_is_waited_on_503_and_a_long_one_handed_back() {
    let server = MockServer::start().await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let c = client(fast(), basic());
    let started = Instant::now();
    let target = url(&server, "/busy");
    c.send(Request::get(&target), mapper(seen.clone()))
        .await
        .unwrap();
    // The asked second, not the policy's millisecond of backoff.
    assert!(started.elapsed() >= Duration::from_millis(900));
    let target = url(&server, "/limited");
    let err = c
        .send(Request::get(&target), mapper(seen))
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    server.verify().await;
}

#[tokio::test]
async fn a_rate_limit_reset_header_is_the_wait_of_a_429_without_retry_after() {
    let server = MockServer::start().await;
    let reset =
        |status: u16| ResponseTemplate::new(status).insert_header("x-ratelimit-reset", "3600");
    Mock::given(path("/reset"))
        .respond_with(reset(429))
        .mount(&server)
        .await;
    Mock::given(path("/both"))
        .respond_with(reset(429).insert_header("Retry-After", "3601"))
        .mount(&server)
        .await;
    Mock::given(path("/unavailable"))
        .respond_with(reset(503))
        .mount(&server)
        .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let plain = client(fast(), basic());
    let reading = client(fast(), basic())
        .with_rate_limit_reset("x-ratelimit-reset")
        .unwrap();
    let wait = |c: CarrierClient, p: &'static str| {
        let target = url(&server, p);
        let seen = seen.clone();
        async move {
            let err = c
                .send(Request::get(&target), mapper(seen))
                .await
                .unwrap_err();
            err.retry_after()
        }
    };
    let count = |p: &'static str| {
        let server = &server;
        async move {
            let requests = server.received_requests().await.unwrap();
            requests.iter().filter(|r| r.url.path() == p).count()
        }
    };
    // Read as the wait: longer than the policy allows, so handed back at once.
    assert_eq!(
        wait(reading.clone(), "/reset").await,
        Some(Duration::from_secs(3600))
    );
    assert_eq!(count("/reset").await, 1);
    // Retry-After wins when both are sent.
    assert_eq!(
        wait(reading.clone(), "/both").await,
        Some(Duration::from_secs(3601))
    );
    // Only a 429 is a rate limit: a 503 backs off as the policy says.
    let target = url(&server, "/unavailable");
    let err = reading
        .send(Request::get(&target), mapper(seen.clone()))
        .await
        .unwrap_err();
    assert!(err.is_temporary());
    assert_eq!(count("/unavailable").await, 3);
    // A client not told of the header does not read it: the policy's backoff.
    assert_eq!(wait(plain, "/reset").await, None);
    assert_eq!(count("/reset").await, 4);
    assert!(
        client(fast(), basic())
            .with_rate_limit_reset("bad header")
            .is_err()
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_says_so() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(path("/moved"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("Location", format!("{}/stolen", elsewhere.uri()).as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let target = url(&server, "/moved");
    let err = client(fast(), basic())
        .send(Request::get(&target), mapper(seen.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Carrier {
                status: Some(307),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("not followed"), "{err}");
    assert!(!err.is_temporary());
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    assert!(seen.lock().unwrap().is_empty(), "not the adapter's to map");
    server.verify().await;
}

#[tokio::test]
async fn echoed_credentials_are_redacted_before_the_adapter_reads_them() {
    let server = MockServer::start().await;
    Mock::given(path("/echo"))
        .respond_with(
            ResponseTemplate::new(400).set_body_string(format!("bad {TOKEN} in Basic {ENCODED}")),
        )
        .mount(&server)
        .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let target = url(&server, "/echo");
    let err = client(fast(), basic())
        .send(Request::get(&target), mapper(seen.clone()))
        .await
        .unwrap_err();
    for text in [
        err.to_string(),
        format!("{err:?}"),
        seen.lock().unwrap()[0].clone(),
    ] {
        assert!(!text.contains(TOKEN) && !text.contains(ENCODED), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }
}

#[tokio::test]
async fn a_closed_port_is_a_transport_error_naming_the_request_not_the_query() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let target = Url::parse(&format!("http://127.0.0.1:{port}/numbers")).unwrap();
    let query = [("PhoneNumber", "+15005550006".to_string())];
    let seen = Arc::new(Mutex::new(Vec::new()));
    let err = client(fast(), basic())
        .send(Request::get(&target).query(&query), mapper(seen))
        .await
        .unwrap_err();
    assert!(
        matches!(err.last_attempt(), Error::Transport { .. }),
        "{err:?}"
    );
    assert!(err.retries_exhausted() && err.attempts() == 3, "{err:?}");
    let text = err.to_string();
    assert!(text.contains("GET /numbers: could not connect"), "{text}");
    assert!(text.contains("gave up after 3 attempts"), "{text}");
    assert!(!text.contains("5005550006"), "{text}");
    // The client's error is kept through the retries, for a caller that
    // wants to look at it, and it names neither the query nor a secret.
    let last = err.last_attempt();
    let cause = std::error::Error::source(last).expect("the client's error is kept");
    let Error::Transport {
        cause: Some(kept), ..
    } = last
    else {
        panic!("{err:?}");
    };
    let client_error = kept
        .downcast_ref::<reqwest::Error>()
        .expect("a reqwest error");
    assert!(client_error.is_connect(), "{client_error:?}");
    assert_eq!(client_error.url(), None, "the URL is left out");
    let told = format!("{cause} {cause:?} {err:?}");
    assert!(
        !told.contains("5005550006") && !told.contains(TOKEN),
        "{told}"
    );
}

#[tokio::test]
async fn a_permanent_answer_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/gone"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let target = url(&server, "/gone");
    let err = client(fast(), basic())
        .send(Request::get(&target), mapper(seen))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "the thing not found");
    server.verify().await;
}
