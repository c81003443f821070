//! Inbound calls and messages over real HTTP: a number bought through the
//! emulator's REST wire, a receiver in the test, and a signature the test
//! checks with its own few lines of HMAC (not the emulator's helpers).

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use common::{SID, client, send, signalwire, twilio};
use hmac::{KeyInit, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use switchboard_emulator::{
    CallRequest, DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_SIGNING_KEY,
    DEFAULT_SIGNALWIRE_TOKEN, DEFAULT_TWILIO_AUTH_TOKEN, Delivery, DeliveryKind, Emulator,
    InboundError, MessageRequest, RemoteEmulator, RemoteError, RunningEmulator, SigningKeyOverride,
};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    /// Path and query, as they arrived.
    target: String,
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The parameters: the form body of a POST, the query of a GET.
    fn params(&self) -> Vec<(String, String)> {
        let encoded = if self.method == "POST" {
            self.body.clone()
        } else {
            self.target
                .split_once('?')
                .map(|(_, q)| q.to_string())
                .unwrap_or_default()
        };
        serde_urlencoded::from_str(&encoded).expect("form-encoded parameters")
    }

    fn param(&self, name: &str) -> Option<String> {
        self.params()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

/// A webhook receiver: records what arrives and answers TwiML; `/slow`
/// answers after three seconds, `/broken` answers 500.
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Received>>>,
}

const TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>hi</Say></Response>";

impl Receiver {
    async fn start() -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(record).with_state(Arc::clone(&got));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, got }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn only(&self) -> Received {
        let got = self.received();
        assert_eq!(got.len(), 1, "{got:?}");
        got[0].clone()
    }

    /// The URL Twilio signs: the receiver's own address and the target as
    /// it arrived.
    fn full_url(&self, received: &Received) -> String {
        format!("http://{}{}", self.addr, received.target)
    }
}

async fn record(State(got): State<Arc<Mutex<Vec<Received>>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    got.lock().unwrap().push(Received {
        method: parts.method.to_string(),
        target: target.clone(),
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if target.starts_with("/slow") {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    if target.starts_with("/broken") {
        return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response();
    }
    ([("content-type", "text/xml")], TWIML).into_response()
}

/// The documented check, written out here: Base64(HMAC-SHA1(key, URL and
/// then each POST parameter's name and value, sorted by name)).
fn expected_signature(key: &str, url: &str, post_params: &[(String, String)]) -> String {
    let mut sorted = post_params.to_vec();
    sorted.sort();
    let mut data = url.to_string();
    for (name, value) in sorted {
        data.push_str(&name);
        data.push_str(&value);
    }
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn verifies(receiver: &Receiver, received: &Received, key: &str) -> bool {
    let post = if received.method == "POST" {
        received.params()
    } else {
        Vec::new()
    };
    let expected = expected_signature(key, &receiver.full_url(received), &post);
    received.header("x-twilio-signature") == Some(expected.as_str())
}

fn is_sid(value: &str, prefix: &str) -> bool {
    value.len() == 34
        && value.starts_with(prefix)
        && value[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Buys a Twilio number with these form fields; returns it.
async fn buy_twilio(e: &RunningEmulator, fields: &[(&str, &str)]) -> String {
    let c = client();
    let (_, found) = send(twilio(
        &c,
        e,
        Method::GET,
        "AvailablePhoneNumbers/US/Local.json",
    ))
    .await;
    let number = found["available_phone_numbers"][0]["phone_number"]
        .as_str()
        .unwrap()
        .to_string();
    let mut form = vec![("PhoneNumber", number.as_str())];
    form.extend_from_slice(fields);
    let (status, body) =
        send(twilio(&c, e, Method::POST, "IncomingPhoneNumbers.json").form(&form)).await;
    assert_eq!(status, 201, "{body}");
    number
}

/// Buys a SignalWire number and updates it with `update`; returns it.
async fn buy_signalwire(e: &RunningEmulator, update: Value) -> String {
    let c = client();
    let (_, found) =
        send(signalwire(&c, e, Method::GET, "/phone_numbers/search").query(&[("areacode", "415")]))
            .await;
    let number = found["data"][0]["e164"].as_str().unwrap().to_string();
    let (status, bought) =
        send(signalwire(&c, e, Method::POST, "/phone_numbers").json(&json!({ "number": number })))
            .await;
    assert_eq!(status, 200, "{bought}");
    let id = bought["id"].as_str().unwrap();
    let (status, body) =
        send(signalwire(&c, e, Method::PUT, &format!("/phone_numbers/{id}")).json(&update)).await;
    assert_eq!(status, 200, "{body}");
    number
}

/// A control call over HTTP: status and JSON answer.
async fn control(
    e: &RunningEmulator,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = client().request(method, format!("{}/__emulator/{path}", e.base_url()));
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    send(request).await
}

#[tokio::test]
async fn a_twilio_call_posts_the_carriers_parameters_signed_with_the_auth_token() {
    let e = Emulator::builder().start().await.unwrap();
    let r = Receiver::start().await;
    let voice = r.url("/voice?tenant=a%20b");
    let number = buy_twilio(&e, &[("VoiceUrl", voice.as_str())]).await;

    let (status, delivery) = control(
        &e,
        Method::POST,
        "calls",
        Some(json!({
            "to": number, "from": "+16045550199",
            "caller_name": "Zoë Q", "from_city": "Vancouver",
            "extra_params": {"StirVerstat": "TN-Validation-Passed-A"},
        })),
    )
    .await;
    assert_eq!(status, 200, "{delivery}");

    let got = r.only();
    assert_eq!(got.method, "POST");
    assert!(
        got.target.starts_with("/voice?tenant=a%20b"),
        "{}",
        got.target
    );
    assert_eq!(
        got.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let call_sid = got.param("CallSid").unwrap();
    assert!(is_sid(&call_sid, "CA"), "{call_sid}");
    assert_eq!(got.param("AccountSid").as_deref(), Some(SID));
    assert_eq!(got.param("From").as_deref(), Some("+16045550199"));
    assert_eq!(got.param("To").as_deref(), Some(number.as_str()));
    assert_eq!(got.param("CallStatus").as_deref(), Some("ringing"));
    assert_eq!(got.param("Direction").as_deref(), Some("inbound"));
    assert_eq!(got.param("ApiVersion").as_deref(), Some("2010-04-01"));
    assert_eq!(got.param("CallerName").as_deref(), Some("Zoë Q"));
    assert_eq!(got.param("FromCity").as_deref(), Some("Vancouver"));
    assert_eq!(got.param("ToCountry").as_deref(), Some("US"));
    assert_eq!(
        got.param("StirVerstat").as_deref(),
        Some("TN-Validation-Passed-A")
    );
    assert!(got.header("x-signalwire-signature").is_none());
    assert!(verifies(&r, &got, DEFAULT_TWILIO_AUTH_TOKEN), "{got:?}");
    assert!(!verifies(&r, &got, "another-token"));

    // The answer and the exact request are in the control call's answer.
    assert_eq!(delivery["kind"], "call");
    assert_eq!(delivery["carrier"], "twilio");
    assert_eq!(delivery["sid"], call_sid.as_str());
    assert_eq!(delivery["answer"]["status"], 200);
    assert_eq!(delivery["answer"]["content_type"], "text/xml");
    assert_eq!(delivery["answer"]["body"], TWIML);
    assert_eq!(delivery["error"], Value::Null);
    assert_eq!(delivery["request"]["body"], got.body.as_str());
    assert_eq!(
        delivery["request"]["headers"]["x-twilio-signature"],
        got.header("x-twilio-signature").unwrap()
    );
    assert_eq!(delivery["request"]["url"], r.full_url(&got).as_str());

    // ... and in the log, which the Rust handle reads too.
    let (_, listed) = control(&e, Method::GET, "calls", None).await;
    assert_eq!(listed["deliveries"].as_array().unwrap().len(), 1);
    assert_eq!(listed["deliveries"][0], delivery);
    let (_, messages) = control(&e, Method::GET, "messages", None).await;
    assert_eq!(messages["deliveries"], json!([]));
    let logged: Vec<Delivery> = e.deliveries();
    assert_eq!(serde_json::to_value(&logged[0]).unwrap(), delivery);
}

#[tokio::test]
async fn a_recorded_request_replays_and_a_changed_one_no_longer_verifies() {
    let e = Emulator::builder().start().await.unwrap();
    let r = Receiver::start().await;
    let voice = r.url("/voice");
    let number = buy_twilio(&e, &[("VoiceUrl", voice.as_str())]).await;
    let delivery = e
        .place_call(&CallRequest::new(number.as_str(), "+16045550199"))
        .await
        .unwrap();
    let sent = &delivery.request;
    let replay = |body: String| {
        let mut request = client().post(&sent.url).body(body);
        for (name, value) in &sent.headers {
            request = request.header(name, value);
        }
        request.send()
    };
    assert_eq!(replay(sent.body.clone()).await.unwrap().status(), 200);
    let forged = sent
        .body
        .replace("From=%2B16045550199", "From=%2B16045550100");
    assert_ne!(forged, sent.body, "the forgery changed nothing");
    replay(forged).await.unwrap();
    let got = r.received();
    assert_eq!(got.len(), 3);
    assert!(
        verifies(&r, &got[1], DEFAULT_TWILIO_AUTH_TOKEN),
        "the replay"
    );
    assert!(
        !verifies(&r, &got[2], DEFAULT_TWILIO_AUTH_TOKEN),
        "the forgery"
    );
}

#[tokio::test]
async fn a_signalwire_call_by_get_carries_the_parameters_in_the_query_and_both_headers() {
    let e = Emulator::builder().start().await.unwrap();
    let r = Receiver::start().await;
    let number = buy_signalwire(
        &e,
        json!({
            "call_handler": "laml_webhooks",
            "call_request_url": r.url("/sw/voice?tenant=7"),
            "call_request_method": "GET",
        }),
    )
    .await;
    let delivery = e
        .place_call(&CallRequest::new(number.as_str(), "+14155550142"))
        .await
        .unwrap();

    let got = r.only();
    assert_eq!(got.method, "GET");
    assert!(got.body.is_empty());
    assert!(
        got.target.starts_with("/sw/voice?tenant=7&"),
        "{}",
        got.target
    );
    assert_eq!(
        got.param("AccountSid").as_deref(),
        Some(DEFAULT_SIGNALWIRE_PROJECT_ID)
    );
    assert_eq!(got.param("To").as_deref(), Some(number.as_str()));
    assert_eq!(got.param("CallStatus").as_deref(), Some("ringing"));
    assert!(is_sid(&got.param("CallSid").unwrap(), "CA"));
    let signalwire_header = got.header("x-signalwire-signature").unwrap();
    assert_eq!(Some(signalwire_header), got.header("x-twilio-signature"));
    // Signed over the whole URL, query included, with the signing key.
    assert!(verifies(&r, &got, DEFAULT_SIGNALWIRE_SIGNING_KEY));
    assert!(
        !verifies(&r, &got, DEFAULT_SIGNALWIRE_TOKEN),
        "the API token is not the signing key"
    );
    assert_eq!(delivery.carrier, "signalwire");
    assert_eq!(delivery.request.method, "GET");
    assert_eq!(delivery.request.url, r.full_url(&got));
    assert_eq!(delivery.answer.unwrap().status, 200);
}

#[tokio::test]
async fn messages_carry_their_media_and_segments_on_both_carriers() {
    let e = Emulator::builder().start().await.unwrap();
    let r = Receiver::start().await;
    let sms = r.url("/sms");
    let twilio_number = buy_twilio(&e, &[("SmsUrl", sms.as_str()), ("SmsMethod", "POST")]).await;
    let (status, delivery) = control(
        &e,
        Method::POST,
        "messages",
        Some(json!({
            "to": twilio_number, "from": "+16045550199", "body": "look ✓",
            "media_urls": ["https://media.example/cat.png",
                           {"url": "https://media.example/v", "content_type": "video/mp4"}],
        })),
    )
    .await;
    assert_eq!(status, 200, "{delivery}");
    let got = r.only();
    let sid = got.param("MessageSid").unwrap();
    assert!(is_sid(&sid, "MM"), "media makes an MMS: {sid}");
    assert_eq!(got.param("AccountSid").as_deref(), Some(SID));
    assert_eq!(got.param("Body").as_deref(), Some("look ✓"));
    assert_eq!(got.param("NumMedia").as_deref(), Some("2"));
    assert_eq!(got.param("NumSegments").as_deref(), Some("1"));
    assert_eq!(
        got.param("MediaUrl0").as_deref(),
        Some("https://media.example/cat.png")
    );
    assert_eq!(got.param("MediaContentType0").as_deref(), Some("image/png"));
    assert_eq!(got.param("MediaContentType1").as_deref(), Some("video/mp4"));
    assert!(verifies(&r, &got, DEFAULT_TWILIO_AUTH_TOKEN));
    assert_eq!(delivery["kind"], "message");

    let number = buy_signalwire(
        &e,
        json!({"message_handler": "laml_webhooks", "message_request_url": r.url("/sw/sms")}),
    )
    .await;
    let text = "a".repeat(161);
    let delivery = e
        .send_message(&MessageRequest::new(
            number.as_str(),
            "+14155550142",
            text.as_str(),
        ))
        .await
        .unwrap();
    let got = r.received().pop().unwrap();
    assert_eq!(got.method, "POST", "POST unless the number says otherwise");
    assert!(is_sid(&got.param("MessageSid").unwrap(), "SM"));
    assert_eq!(got.param("NumMedia").as_deref(), Some("0"));
    assert_eq!(got.param("NumSegments").as_deref(), Some("2"));
    assert!(verifies(&r, &got, DEFAULT_SIGNALWIRE_SIGNING_KEY));
    assert_eq!(delivery.kind, DeliveryKind::Message);
    let (_, listed) = control(&e, Method::GET, "messages", None).await;
    assert_eq!(listed["deliveries"].as_array().unwrap().len(), 2);
    let (status, _) = control(&e, Method::DELETE, "messages", None).await;
    assert_eq!(status, 204);
    assert!(e.deliveries().is_empty());
}

#[tokio::test]
async fn numbers_without_a_webhook_are_refused_with_the_reason() {
    let e = Emulator::builder().start().await.unwrap();
    let r = Receiver::start().await;
    let sms = r.url("/sms");
    let sms_only = buy_twilio(&e, &[("SmsUrl", sms.as_str())]).await;
    let relay = buy_signalwire(
        &e,
        json!({"call_handler": "relay_script", "call_request_url": r.url("/never")}),
    )
    .await;
    let cases = [
        (
            "calls",
            json!({"to": "+15005550006", "from": "+1"}),
            404,
            "unknown_number",
            "+15005550006",
        ),
        (
            "calls",
            json!({"to": sms_only, "from": "+1"}),
            422,
            "no_webhook",
            "VoiceUrl",
        ),
        (
            "messages",
            json!({"to": relay, "from": "+1", "body": "x"}),
            422,
            "no_webhook",
            "message_handler is not set",
        ),
        (
            "calls",
            json!({"to": relay, "from": "+1"}),
            422,
            "no_webhook",
            "call_handler is relay_script",
        ),
        (
            "calls",
            json!({"to": "15125550100", "from": "+1"}),
            400,
            "invalid",
            "invalid to",
        ),
        ("calls", json!({"to": sms_only}), 400, "invalid", "from"),
        (
            "messages",
            json!({"to": sms_only, "from": "+1", "boddy": "x"}),
            400,
            "invalid",
            "boddy",
        ),
    ];
    for (path, body, status, reason, names) in cases {
        let (got, answer) = control(&e, Method::POST, path, Some(body.clone())).await;
        assert_eq!(got, status, "{body} -> {answer}");
        assert_eq!(answer["reason"], reason, "{body} -> {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains(names), "{body}: {message}");
    }
    assert!(r.received().is_empty(), "nothing was sent");
    assert!(e.deliveries().is_empty(), "refusals are not deliveries");
    let refused = e
        .place_call(&CallRequest::new(sms_only.as_str(), "+1"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, InboundError::NoWebhook { .. }),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_overriding_key_signs_but_is_never_shown() {
    let e = Emulator::builder().start().await.unwrap();
    let r = Receiver::start().await;
    let voice = r.url("/voice");
    let number = buy_twilio(&e, &[("VoiceUrl", voice.as_str())]).await;
    let secret = "override-KEY-7f3a";
    let (status, delivery) = control(
        &e,
        Method::POST,
        "calls",
        Some(json!({"to": number, "from": "+16045550199", "signing_key": secret})),
    )
    .await;
    assert_eq!(status, 200, "{delivery}");
    let got = r.only();
    assert!(!verifies(&r, &got, DEFAULT_TWILIO_AUTH_TOKEN));
    assert!(verifies(&r, &got, secret));
    assert_eq!(delivery["signing_key_overridden"], true);
    let (_, listed) = control(&e, Method::GET, "calls", None).await;
    for text in [
        delivery.to_string(),
        listed.to_string(),
        format!("{:?}", e.deliveries()),
        format!("{e:?}"),
    ] {
        assert!(!text.contains(secret), "{text}");
        assert!(!text.contains(DEFAULT_TWILIO_AUTH_TOKEN), "{text}");
    }
}

#[tokio::test]
async fn no_answer_in_time_and_no_listener_are_recorded_as_errors() {
    let e = Emulator::builder()
        .webhook_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let r = Receiver::start().await;
    let slow = r.url("/slow");
    let number = buy_twilio(&e, &[("VoiceUrl", slow.as_str())]).await;
    let delivery = e
        .place_call(&CallRequest::new(number.as_str(), "+16045550199"))
        .await
        .unwrap();
    assert!(delivery.answer.is_none());
    let error = delivery.error.unwrap();
    assert!(error.contains("timeout"), "{error}");
    assert!(delivery.elapsed_ms < 2_500, "{}", delivery.elapsed_ms);

    // A port nobody listens on (bound, then closed).
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let nowhere = format!("http://127.0.0.1:{port}/voice");
    let number = buy_twilio(&e, &[("VoiceUrl", nowhere.as_str())]).await;
    let delivery = e
        .place_call(&CallRequest::new(number.as_str(), "+16045550199"))
        .await
        .unwrap();
    assert!(
        delivery
            .error
            .as_deref()
            .unwrap()
            .contains("could not connect"),
        "{delivery:?}"
    );

    let broken = r.url("/broken");
    let number = buy_twilio(&e, &[("VoiceUrl", broken.as_str())]).await;
    let delivery = e
        .place_call(&CallRequest::new(number.as_str(), "+16045550199"))
        .await
        .unwrap();
    let answer = delivery.answer.unwrap();
    assert_eq!((answer.status, answer.body.as_str()), (500, "boom"));
    assert_eq!(e.deliveries().len(), 3);
}

#[tokio::test]
async fn another_process_places_calls_through_the_remote_client() {
    let e = Emulator::builder().start().await.unwrap();
    let r = Receiver::start().await;
    let voice = r.url("/voice");
    let number = buy_twilio(&e, &[("VoiceUrl", voice.as_str())]).await;
    let remote = RemoteEmulator::new(&format!("{}/", e.base_url())).unwrap();
    let mut call = CallRequest::new(number.as_str(), "+16045550199");
    call.signing_key = Some(SigningKeyOverride::new("other"));
    let delivery = remote.place_call(&call).await.unwrap();
    assert!(delivery.signing_key_overridden);
    assert_eq!(delivery.answer.as_ref().unwrap().body, TWIML);
    assert!(verifies(&r, &r.only(), "other"));
    assert_eq!(
        remote.deliveries(DeliveryKind::Call).await.unwrap(),
        vec![delivery]
    );
    match remote
        .send_message(&MessageRequest::new(number.as_str(), "+1", "hi"))
        .await
    {
        Err(RemoteError::Refused {
            status: 422,
            reason: Some(reason),
            message,
        }) => {
            assert_eq!(reason, "no_webhook");
            assert!(message.contains("SmsUrl"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(RemoteEmulator::new("ftp://x").is_err());
}
