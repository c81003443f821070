//! The carriers' webhooks over real HTTP: signed requests verified against
//! the public URL, resolved to the number's record, and answered with the
//! configured TwiML, a forward's answer, or the fallback.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use chrono::Utc;
use common::verifier::{SIGNATURE_HEADER, TestVerifier, sign_form, sign_json};
use common::{ACME, Answer, GLOBEX, Setup, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_core::inbound::{InboundEvent, signing};
use switchboard_core::{
    AccountId, Capabilities, Error, MockNumberRepository, NumberRepository, NumberState,
    NumberUpdate, PhoneNumber, ProvisionedNumber, Routing, TelephonyProvider, WebhookUrl,
};
use switchboard_fake::FakeProvider;
use switchboard_http::inbound::{
    AccountAnswers, Answer as Xml, AnswerSettings, ConfiguredAnswers, InboundHandler, xml_escape,
};
use switchboard_http::{HttpOptions, InboundOptions, inbound_routing};
use uuid::Uuid;

/// The key the test carriers sign with; it must never reach a log.
const KEY: &str = "auth-token-do-not-log-7f3a9c";
const PUBLIC: &str = "https://sb.example.com";
const VOICE: &str = "<Response><Connect><Stream url=\"wss://agents.example.com/{agent_id}\">\
    <Parameter name=\"caller\" value=\"{from}\"/><Parameter name=\"call\" value=\"{call_id}\"/>\
    <Parameter name=\"account\" value=\"{account}\"/><Parameter name=\"number\" value=\"{number_id}\"/>\
    <Parameter name=\"to\" value=\"{to}\"/></Stream></Connect></Response>";
const REJECT: &str = "<Response><Reject/></Response>";

/// Counts the answers asked of the handler it wraps.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn InboundHandler>,
    answers: AtomicUsize,
}

#[async_trait]
impl InboundHandler for Counting {
    async fn answer(&self, event: &InboundEvent, number: Option<&ProvisionedNumber>) -> Xml {
        self.answers.fetch_add(1, Ordering::SeqCst);
        self.inner.answer(event, number).await
    }

    async fn store_unavailable(&self, event: &InboundEvent) -> Option<Xml> {
        self.inner.store_unavailable(event).await
    }
}

struct World {
    server: TestServer,
    public: String,
    /// The verifier of the `fake` carrier.
    verifier: Arc<TestVerifier>,
    handler: Arc<Counting>,
}

fn voice_settings() -> AnswerSettings {
    AnswerSettings {
        voice_answer: Some(VOICE.into()),
        ..AnswerSettings::default()
    }
}

async fn world(settings: AnswerSettings) -> World {
    world_with(
        PUBLIC,
        Arc::new(ConfiguredAnswers::new(settings).unwrap()),
        Setup::default(),
    )
    .await
}

/// A server whose `fake` and `other` carriers both have a verifier.
async fn world_with(public: &str, handler: Arc<dyn InboundHandler>, mut setup: Setup) -> World {
    let handler = Arc::new(Counting {
        inner: handler,
        answers: AtomicUsize::new(0),
    });
    let verifier = Arc::new(TestVerifier::new("fake", KEY));
    let other: Arc<dyn TelephonyProvider> =
        Arc::new(FakeProvider::builder().name("other").seed(99).build());
    setup.extra_carriers.push(other);
    setup.inbound = Some(
        InboundOptions::new(WebhookUrl::parse(public).unwrap(), handler.clone())
            .with_verifier(verifier.clone())
            .with_verifier(Arc::new(TestVerifier::new("other", KEY))),
    );
    World {
        server: TestServer::with(setup).await,
        public: public.trim_end_matches('/').to_string(),
        verifier,
        handler,
    }
}

fn owned(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn call(to: &PhoneNumber, from: &str, sid: &str) -> Vec<(String, String)> {
    owned(&[
        ("CallSid", sid),
        ("AccountSid", "AC0123"),
        ("To", to.as_str()),
        ("From", from),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
    ])
}

fn message(to: &PhoneNumber, from: &str, text: &str) -> Vec<(String, String)> {
    owned(&[
        ("MessageSid", "SM0123"),
        ("To", to.as_str()),
        ("From", from),
        ("Body", text),
        ("NumMedia", "0"),
    ])
}

fn path(provider: &str, kind: &str) -> String {
    format!("/functions/v1/inbound/{provider}/{kind}")
}

impl World {
    /// POSTs `params` as a form to `provider`'s `kind` route, signed for the
    /// public URL.
    async fn post(&self, provider: &str, kind: &str, params: &[(String, String)]) -> Answer {
        let path = path(provider, kind);
        let signature = sign_form(KEY, &format!("{}{path}", self.public), params);
        self.post_signed(&path, params, &signature).await
    }

    async fn post_signed(
        &self,
        path: &str,
        params: &[(String, String)],
        signature: &str,
    ) -> Answer {
        let request = self
            .server
            .client
            .post(self.server.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header(SIGNATURE_HEADER, signature)
            .body(serde_urlencoded::to_string(params).unwrap());
        Answer::from(request.send().await.unwrap()).await
    }

    async fn voice(&self, params: &[(String, String)]) -> Answer {
        self.post("fake", "voice", params).await
    }

    /// Buys `number` for the account of `token`, from `provider` (the
    /// default when `None`), assigned to `agent`.
    async fn buy(&self, token: &str, number: &PhoneNumber, agent: Option<Uuid>) -> Value {
        self.buy_from(token, number, agent, None).await
    }

    async fn buy_from(
        &self,
        token: &str,
        number: &PhoneNumber,
        agent: Option<Uuid>,
        provider: Option<&str>,
    ) -> Value {
        let mut body = json!({"phone_number": number.as_str(), "agent_id": agent});
        if let Some(provider) = provider {
            body["provider"] = json!(provider);
        }
        let answer = self
            .server
            .post("/functions/v1/provision-phone-number", Some(token), &body)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.body
    }

    fn answers(&self) -> usize {
        self.handler.answers.load(Ordering::SeqCst)
    }
}

fn assert_xml(answer: &Answer, expected: &str) {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer.headers["content-type"], "text/xml; charset=utf-8",
        "{answer:?}"
    );
    assert_eq!(answer.text, expected);
}

/// The voice template as it should render for one call.
fn voice_answer(
    agent: Uuid,
    from_escaped: &str,
    sid: &str,
    account: &str,
    number: &Value,
) -> String {
    format!(
        "<Response><Connect><Stream url=\"wss://agents.example.com/{agent}\">\
         <Parameter name=\"caller\" value=\"{from_escaped}\"/><Parameter name=\"call\" value=\"{sid}\"/>\
         <Parameter name=\"account\" value=\"{account}\"/><Parameter name=\"number\" value=\"{}\"/>\
         <Parameter name=\"to\" value=\"{}\"/></Stream></Connect></Response>",
        number["id"].as_str().unwrap(),
        number["phone_number"].as_str().unwrap(),
    )
}

#[tokio::test]
async fn a_verified_call_to_an_active_number_gets_its_agents_template() {
    let w = world(voice_settings()).await;
    let number = w.server.for_sale(1).remove(0);
    let agent = Uuid::new_v4();
    let bought = w.buy(ACME, &number, Some(agent)).await;

    let answer = w
        .voice(&call(&number, "\"Eve\" <sip:eve@x.example>&co", "CA01"))
        .await;
    let escaped = "&quot;Eve&quot; &lt;sip:eve@x.example&gt;&amp;co";
    assert_xml(
        &answer,
        &voice_answer(agent, escaped, "CA01", "acme", &bought),
    );
    assert_eq!(w.answers(), 1);
    assert_eq!(
        w.verifier.last_url().unwrap(),
        "https://sb.example.com/functions/v1/inbound/fake/voice"
    );

    // A message to the same number: the default message answer, no reply.
    let answer = w
        .post("fake", "messages", &message(&number, "+16045550199", "hi"))
        .await;
    assert_xml(&answer, "<Response/>");
    w.server.stop().await;
}

#[tokio::test]
async fn message_templates_and_per_account_answers() {
    let mut settings = voice_settings();
    settings.message_answer = Some("<Response><Message>Got it, {from}</Message></Response>".into());
    settings.accounts.insert(
        "globex".into(),
        AccountAnswers {
            voice_answer: Some("<Response><Say>Globex agent {agent_id}</Say></Response>".into()),
            ..AccountAnswers::default()
        },
    );
    let w = world(settings).await;
    let numbers = w.server.for_sale(2);
    let agent = Uuid::new_v4();
    w.buy(ACME, &numbers[0], Some(agent)).await;
    w.buy(GLOBEX, &numbers[1], Some(agent)).await;

    let answer = w
        .post("fake", "messages", &message(&numbers[0], "+1604<5>", "hi"))
        .await;
    assert_xml(
        &answer,
        "<Response><Message>Got it, +1604&lt;5&gt;</Message></Response>",
    );
    // Globex's own voice answer; its messages inherit the global template.
    let answer = w.voice(&call(&numbers[1], "+16045550199", "CA02")).await;
    assert_xml(
        &answer,
        &format!("<Response><Say>Globex agent {agent}</Say></Response>"),
    );
    let answer = w
        .post("fake", "messages", &message(&numbers[1], "x", "hi"))
        .await;
    assert_xml(&answer, "<Response><Message>Got it, x</Message></Response>");
    w.server.stop().await;
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A store that fails the test if it is asked anything.
fn untouchable_store() -> Arc<dyn NumberRepository> {
    let mut store = MockNumberRepository::new();
    store.expect_find_by_phone_number().never();
    Arc::new(store)
}

// Single-threaded, so the server's tasks log to this thread's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn a_bad_or_missing_signature_is_403_before_any_lookup_and_logs_no_secret() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests of this binary, on other threads without a subscriber,
    // may have had the callsites disabled; ask again with this one in place.
    tracing::callsite::rebuild_interest_cache();

    let setup = Setup {
        repository: Some(untouchable_store()),
        ..Setup::default()
    };
    let handler = Arc::new(ConfiguredAnswers::new(voice_settings()).unwrap());
    let w = world_with(PUBLIC, handler, setup).await;
    let number = PhoneNumber::parse("+16045550100").unwrap();
    let params = call(&number, "+16045550199", "CA03");
    let path = path("fake", "voice");
    let good = sign_form(KEY, &format!("{PUBLIC}{path}"), &params);
    let wrong_key = sign_form("not-the-key", &format!("{PUBLIC}{path}"), &params);
    let mut tampered = params.clone();
    tampered[3].1 = "+16045550000".into();

    for (params, signature) in [
        (&params, wrong_key.as_str()),
        (&tampered, good.as_str()),
        (&params, "not base64!"),
    ] {
        let answer = w.post_signed(&path, params, signature).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text);
        assert_eq!(answer.code(), "invalid_signature");
    }
    let unsigned = Answer::from(
        w.server
            .client
            .post(w.server.url(&path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&params).unwrap())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(unsigned.status, StatusCode::FORBIDDEN);
    assert_eq!(w.answers(), 0, "the handler ran for a forged request");
    w.server.stop().await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    for expected in [
        "inbound webhook refused",
        "does not match the request",
        "no X-Twilio-Signature header",
        "carrier=\"fake\"",
    ] {
        assert!(logs.contains(expected), "missing {expected:?} in:\n{logs}");
    }
    for secret in [KEY, &good, &wrong_key] {
        assert!(!logs.contains(secret), "{secret:?} appears in:\n{logs}");
    }
}

#[tokio::test]
async fn numbers_that_are_not_ours_to_answer_get_the_fallback() {
    let w = world(voice_settings()).await;
    let numbers = w.server.for_sale(3);
    let agent = Some(Uuid::new_v4());

    // Released.
    let released = w.buy(ACME, &numbers[0], agent).await;
    let answer = w
        .server
        .post(
            "/functions/v1/release-phone-number",
            Some(ACME),
            &json!({"id": released["id"]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    // Reserved: the purchase is still under way.
    let now = Utc::now();
    w.server
        .repo
        .insert(&ProvisionedNumber {
            id: Uuid::now_v7(),
            account: AccountId::parse("acme").unwrap(),
            phone_number: numbers[1].clone(),
            friendly_name: "Line".into(),
            agent_id: agent,
            capabilities: Capabilities::VOICE_SMS_MMS,
            provider: "fake".into(),
            carrier_id: None,
            routing: Routing::default(),
            state: NumberState::Reserved,
            idempotency_key: None,
            created_at: now,
            updated_at: now,
            released_at: None,
            release_not_before: None,
            version: 1,
            lease_until: Some(now + chrono::Duration::seconds(60)),
            purchased_at: None,
            request_fingerprint: None,
            order: None,
        })
        .await
        .unwrap();
    // Active but without an agent.
    w.buy(ACME, &numbers[2], None).await;
    // Unknown.
    let unknown = PhoneNumber::parse("+16045550123").unwrap();
    for number in [&numbers[0], &numbers[1], &numbers[2], &unknown] {
        let answer = w.voice(&call(number, "+16045550199", "CA04")).await;
        assert_xml(&answer, REJECT);
        let answer = w
            .post("fake", "messages", &message(number, "+1", "hi"))
            .await;
        assert_xml(&answer, "<Response/>");
    }

    // Bought at another carrier: not answered when `fake` delivers it, and
    // answered when its own carrier does.
    let other = FakeProvider::builder().name("other").seed(99).build();
    let elsewhere = other.inventory().iter().next().unwrap().phone_number;
    w.buy_from(ACME, &elsewhere, agent, Some("other")).await;
    let answer = w.voice(&call(&elsewhere, "+1", "CA05")).await;
    assert_xml(&answer, REJECT);
    let answer = w
        .post("other", "voice", &call(&elsewhere, "+1", "CA05"))
        .await;
    assert!(
        answer.text.contains("wss://agents.example.com/"),
        "{}",
        answer.text
    );
    w.server.stop().await;
}

#[tokio::test]
async fn the_not_ours_message_is_spoken_escaped() {
    let mut settings = voice_settings();
    settings.not_ours_message = Some("This number is not in service <yet> & never was".into());
    let w = world(settings).await;
    let unknown = PhoneNumber::parse("+16045550123").unwrap();
    let answer = w.voice(&call(&unknown, "+1", "CA06")).await;
    assert_xml(
        &answer,
        "<Response><Say>This number is not in service &lt;yet&gt; &amp; never was</Say></Response>",
    );
    let answer = w
        .post("fake", "messages", &message(&unknown, "+1", "hi"))
        .await;
    assert_xml(&answer, "<Response/>");
    w.server.stop().await;
}

#[tokio::test]
async fn reassigning_the_agent_changes_the_next_answer_without_a_carrier_call() {
    let w = world(voice_settings()).await;
    let number = w.server.for_sale(1).remove(0);
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    let bought = w.buy(ACME, &number, Some(first)).await;
    let id: Uuid = bought["id"].as_str().unwrap().parse().unwrap();
    let answer = w.voice(&call(&number, "+1", "CA07")).await;
    assert!(answer.text.contains(&first.to_string()), "{}", answer.text);

    w.server.fake.clear_calls();
    let acme = AccountId::parse("acme").unwrap();
    let update = NumberUpdate {
        agent_id: Some(Some(second)),
        ..NumberUpdate::default()
    };
    w.server.service.update(&acme, id, &update).await.unwrap();
    assert_eq!(w.server.fake.calls(), Vec::new(), "the carrier was called");
    let answer = w.voice(&call(&number, "+1", "CA08")).await;
    assert!(answer.text.contains(&second.to_string()), "{}", answer.text);
    assert!(!answer.text.contains(&first.to_string()), "{}", answer.text);

    // Unassigned: nobody answers it any more.
    let update = NumberUpdate {
        agent_id: Some(None),
        ..NumberUpdate::default()
    };
    w.server.service.update(&acme, id, &update).await.unwrap();
    assert_xml(&w.voice(&call(&number, "+1", "CA09")).await, REJECT);
    w.server.stop().await;
}

/// An application's own handler: says whose number was called.
#[derive(Debug, Default)]
struct Echo;

#[async_trait]
impl InboundHandler for Echo {
    async fn answer(&self, event: &InboundEvent, number: Option<&ProvisionedNumber>) -> Xml {
        let whose = number.map_or("nobody".to_string(), |n| {
            format!("{} agent {:?}", n.account, n.agent_id)
        });
        let text = format!(
            "{} {} for {whose}",
            event.kind().route_segment(),
            event.carrier_event_id()
        );
        Xml::xml(format!(
            "<Response><Say>{}</Say></Response>",
            xml_escape(&text)
        ))
    }
}

#[tokio::test]
async fn an_applications_own_handler_answers() {
    let w = world_with(PUBLIC, Arc::new(Echo), Setup::default()).await;
    let number = w.server.for_sale(1).remove(0);
    let agent = Uuid::new_v4();
    w.buy(GLOBEX, &number, Some(agent)).await;
    let answer = w.voice(&call(&number, "+1", "CA<10>")).await;
    assert_xml(
        &answer,
        &format!(
            "<Response><Say>voice CA&lt;10&gt; for globex agent Some({agent})</Say></Response>"
        ),
    );
    let unknown = PhoneNumber::parse("+16045550123").unwrap();
    let answer = w
        .post("fake", "messages", &message(&unknown, "+1", "hi"))
        .await;
    assert_xml(
        &answer,
        "<Response><Say>messages SM0123 for nobody</Say></Response>",
    );
    assert_eq!(w.answers(), 2);
    w.server.stop().await;
}

/// What a test receiver answers, and what it saw.
#[derive(Clone)]
struct Receiver {
    key: Vec<u8>,
    delay: Duration,
    status: u16,
    content_type: &'static str,
    answer: &'static str,
    /// Each delivery: its body, and whether its signature verified.
    seen: Arc<Mutex<Vec<(Value, bool)>>>,
}

const FORWARD_KEY: &[u8] = b"switchboard-forwarding-key-1";
const FORWARD_SECRET: &str = "whsec_c3dpdGNoYm9hcmQtZm9yd2FyZGluZy1rZXktMQ==";

/// The Standard Webhooks signature as a receiver computes it, from the spec
/// rather than from the service's code.
fn standard_signature(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> String {
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!(
        "v1,{}",
        signing::base64_encode(&signing::hmac_sha256(key, &signed))
    )
}

/// The receiver's arithmetic against a vector computed with Python's hmac:
/// python3 -c 'import hmac,hashlib,base64; k=b"switchboard-forwarding-key-1"; print(base64.b64encode(k).decode()); print(base64.b64encode(hmac.new(k, b"msg_0123.1767225600.{\"to\":\"+16045550100\"}", hashlib.sha256).digest()).decode())'
#[test]
fn the_receivers_check_agrees_with_python() {
    assert_eq!(
        FORWARD_SECRET
            .strip_prefix("whsec_")
            .and_then(signing::base64_decode),
        Some(FORWARD_KEY.to_vec())
    );
    assert_eq!(
        standard_signature(
            FORWARD_KEY,
            "msg_0123",
            "1767225600",
            br#"{"to":"+16045550100"}"#
        ),
        "v1,iGTSxoc4p5BKRTEHsHJ7PPhE8pr0sXVd0uGxDwMwBq8="
    );
}

async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (Utc::now().timestamp() - t).abs() < 60);
    let verified = fresh
        && !id.is_empty()
        && header("webhook-signature") == standard_signature(&r.key, &id, &timestamp, &body);
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    r.seen.lock().unwrap().push((value, verified));
    tokio::time::sleep(r.delay).await;
    let status = axum::http::StatusCode::from_u16(r.status).unwrap();
    (status, [("content-type", r.content_type)], r.answer).into_response()
}

async fn spawn_receiver(receiver: Receiver) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/hook")
}

fn receiver(
    delay: Duration,
    status: u16,
    content_type: &'static str,
    answer: &'static str,
) -> Receiver {
    Receiver {
        key: FORWARD_KEY.to_vec(),
        delay,
        status,
        content_type,
        answer,
        seen: Arc::default(),
    }
}

async fn forwarding_world(url: &str, timeout: Duration) -> World {
    let mut settings = voice_settings();
    settings.forward_url = Some(url.to_string());
    settings.forward_secret = Some(FORWARD_SECRET.into());
    settings.forward_timeout = Some(timeout);
    world(settings).await
}

const RELAYED: &str = "<Response><Dial>+16045550142</Dial></Response>";

#[tokio::test]
async fn a_forwarded_event_is_signed_and_its_answer_relayed() {
    let r = receiver(Duration::ZERO, 200, "text/xml", RELAYED);
    let w = forwarding_world(&spawn_receiver(r.clone()).await, Duration::from_secs(5)).await;
    let number = w.server.for_sale(1).remove(0);
    let agent = Uuid::new_v4();
    let bought = w.buy(ACME, &number, Some(agent)).await;

    let answer = w.voice(&call(&number, "+16045550199", "CA11")).await;
    assert_xml(&answer, RELAYED);
    let seen = r.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (body, verified) = &seen[0];
    assert!(verified, "the receiver could not verify {body}");
    assert_eq!(body["type"], "call");
    assert_eq!(body["carrier"], "fake");
    assert_eq!(body["call_id"], "CA11");
    assert_eq!(body["to"], number.as_str());
    assert_eq!(body["from"], "+16045550199");
    assert_eq!(body["account"], "acme");
    assert_eq!(body["number_id"], bought["id"]);
    assert_eq!(body["agent_id"], agent.to_string());

    // Not ours: nothing is forwarded.
    let unknown = PhoneNumber::parse("+16045550123").unwrap();
    assert_xml(&w.voice(&call(&unknown, "+1", "CA12")).await, REJECT);
    assert_eq!(r.seen.lock().unwrap().len(), 1);
    w.server.stop().await;
}

#[tokio::test]
async fn a_slow_failing_or_unreadable_receiver_falls_back_to_the_template() {
    let timeout = Duration::from_millis(300);
    let receivers = [
        receiver(Duration::from_secs(5), 200, "text/xml", RELAYED),
        receiver(Duration::ZERO, 500, "text/xml", RELAYED),
        receiver(Duration::ZERO, 200, "application/json", "{\"say\": \"hi\"}"),
        receiver(Duration::ZERO, 200, "text/xml", "<Dial>+16045550142</Dial>"),
        receiver(Duration::ZERO, 200, "text/xml", "<Response><Dial>"),
    ];
    for r in receivers {
        let w = forwarding_world(&spawn_receiver(r.clone()).await, timeout).await;
        let number = w.server.for_sale(1).remove(0);
        let agent = Uuid::new_v4();
        let bought = w.buy(ACME, &number, Some(agent)).await;
        let started = Instant::now();
        let answer = w.voice(&call(&number, "+1", "CA13")).await;
        let took = started.elapsed();
        assert_xml(&answer, &voice_answer(agent, "+1", "CA13", "acme", &bought));
        assert!(
            took < Duration::from_secs(2),
            "took {took:?} for {}",
            r.answer
        );
        assert_eq!(r.seen.lock().unwrap().len(), 1, "forwarded once");
        w.server.stop().await;
    }
}

#[tokio::test]
async fn the_url_verified_is_the_public_one_whatever_the_host_header_says() {
    let w = world(voice_settings()).await;
    let number = w.server.for_sale(1).remove(0);
    let agent = Uuid::new_v4();
    w.buy(ACME, &number, Some(agent)).await;
    let params = call(&number, "+1", "CA14");
    // The query string is part of what is signed, exactly as sent.
    let path = format!("{}?tenant=a%2Fb&tenant=c", path("fake", "voice"));
    let send = |host: &'static str, signature: String| {
        let request = w
            .server
            .client
            .post(w.server.url(&path))
            .header("host", host)
            .header("content-type", "application/x-www-form-urlencoded")
            .header(SIGNATURE_HEADER, signature)
            .body(serde_urlencoded::to_string(&params).unwrap());
        async move { Answer::from(request.send().await.unwrap()).await }
    };
    let public_signature = sign_form(KEY, &format!("{PUBLIC}{path}"), &params);
    let answer = send("attacker.example", public_signature).await;
    assert!(answer.text.contains(&agent.to_string()), "{answer:?}");
    assert_eq!(w.verifier.last_url().unwrap(), format!("{PUBLIC}{path}"));
    // Signed for the URL the Host header claims: refused.
    let host_signature = sign_form(KEY, &format!("http://attacker.example{path}"), &params);
    let answer = send("attacker.example", host_signature).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text);
    w.server.stop().await;

    // A public URL with a path prefix (a proxy strips it before us): the
    // signed URL, and the routing numbers get, both carry it.
    let public = "https://edge.example.com/telephony/";
    let handler = Arc::new(ConfiguredAnswers::new(voice_settings()).unwrap());
    let w = world_with(public, handler, Setup::default()).await;
    w.buy(ACME, &number, Some(agent)).await;
    let answer = w.voice(&call(&number, "+1", "CA15")).await;
    assert!(answer.text.contains(&agent.to_string()), "{answer:?}");
    let expected = "https://edge.example.com/telephony/functions/v1/inbound/fake/voice";
    assert_eq!(w.verifier.last_url().unwrap(), expected);
    let routing = inbound_routing(&WebhookUrl::parse(public).unwrap(), "fake");
    assert_eq!(routing.voice_url.unwrap().as_str(), expected);
    w.server.stop().await;
}

#[tokio::test]
async fn json_bodies_and_get_requests_are_verified_too() {
    let w = world(voice_settings()).await;
    let number = w.server.for_sale(1).remove(0);
    let agent = Uuid::new_v4();
    w.buy(ACME, &number, Some(agent)).await;

    // JSON: the raw body is signed, so its bytes must reach the verifier.
    let path = path("fake", "voice");
    let body = format!(r#"{{"CallSid": "CA16", "To": "{number}", "From": "+1",   "X": 1}}"#);
    let signature = sign_json(KEY, &format!("{PUBLIC}{path}"), body.as_bytes());
    let answer = Answer::from(
        w.server
            .client
            .post(w.server.url(&path))
            .header("content-type", "application/json; charset=utf-8")
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(answer.text.contains(&agent.to_string()), "{answer:?}");

    // GET: the parameters are in the signed query string.
    let query = serde_urlencoded::to_string(call(&number, "+1", "CA17")).unwrap();
    let path_and_query = format!("{path}?{query}");
    let signature = sign_form(KEY, &format!("{PUBLIC}{path_and_query}"), &[]);
    let get = |signature: String| {
        let request = w
            .server
            .client
            .get(w.server.url(&path_and_query))
            .header(SIGNATURE_HEADER, signature);
        async move { Answer::from(request.send().await.unwrap()).await }
    };
    let answer = get(signature).await;
    assert!(answer.text.contains("CA17"), "{answer:?}");
    assert!(answer.text.contains(&agent.to_string()), "{answer:?}");
    let answer = get(sign_form(KEY, &format!("{PUBLIC}{path}"), &[])).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "the query is signed");
    w.server.stop().await;
}

#[tokio::test]
async fn unreadable_unknown_oversized_and_unconfigured_requests_are_json_errors() {
    let setup = Setup {
        options: HttpOptions::default().with_body_limit(1024),
        ..Setup::default()
    };
    let handler = Arc::new(ConfiguredAnswers::new(voice_settings()).unwrap());
    let w = world_with(PUBLIC, handler, setup).await;
    let number = w.server.for_sale(1).remove(0);

    // Signed, but no To.
    let mut params = call(&number, "+1", "CA18");
    params.retain(|(name, _)| name != "To");
    let answer = w.voice(&params).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
    assert_eq!(answer.field(), Some("To"));

    // A provider without a verifier.
    let answer = w.post("nope", "voice", &call(&number, "+1", "CA19")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "not_found");

    // Over the body limit, and neither a form nor JSON.
    let mut big = call(&number, "+1", "CA20");
    big.push(("Padding".into(), "x".repeat(2048)));
    let answer = w.voice(&big).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text
    );
    let answer = Answer::from(
        w.server
            .client
            .post(w.server.url(&path("fake", "voice")))
            .header("content-type", "text/plain")
            .header(SIGNATURE_HEADER, "x")
            .body("To=+1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(answer.code(), "unsupported_media_type");
    assert_eq!(w.answers(), 0);
    w.server.stop().await;

    // No inbound configured at all.
    let server = TestServer::start().await;
    let answer = server
        .post_raw(&path("fake", "voice"), None, None, "")
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "not_found");
    server.stop().await;
}

#[tokio::test]
async fn when_the_store_fails_a_call_gets_the_fallback_and_a_message_the_error() {
    let mut store = MockNumberRepository::new();
    store.expect_find_by_phone_number().returning(|_| {
        Err(Error::Repository {
            message: "connection refused".into(),
            temporary: true,
            cause: None,
        })
    });
    let setup = Setup {
        repository: Some(Arc::new(store)),
        ..Setup::default()
    };
    let mut settings = voice_settings();
    settings.not_ours_message = Some("Please call back later".into());
    let w = world_with(
        PUBLIC,
        Arc::new(ConfiguredAnswers::new(settings).unwrap()),
        setup,
    )
    .await;
    let number = PhoneNumber::parse("+16045550100").unwrap();
    let answer = w.voice(&call(&number, "+1", "CA21")).await;
    assert_xml(
        &answer,
        "<Response><Say>Please call back later</Say></Response>",
    );
    let answer = w
        .post("fake", "messages", &message(&number, "+1", "hi"))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.text
    );
    assert_eq!(answer.code(), "repository_error");
    assert!(!answer.text.contains("connection refused"));
    assert_eq!(
        w.answers(),
        0,
        "no answer without knowing whose number it is"
    );

    // An application's handler without a store fallback: the error for both.
    let mut store = MockNumberRepository::new();
    store.expect_find_by_phone_number().returning(|_| {
        Err(Error::Repository {
            message: "disk".into(),
            temporary: false,
            cause: None,
        })
    });
    let setup = Setup {
        repository: Some(Arc::new(store)),
        ..Setup::default()
    };
    let w2 = world_with(PUBLIC, Arc::new(Echo), setup).await;
    let answer = w2.voice(&call(&number, "+1", "CA22")).await;
    assert_eq!(
        answer.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        answer.text
    );
    w.server.stop().await;
    w2.server.stop().await;
}
