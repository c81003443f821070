//! End to end on one machine: numbers bought through each carrier's adapter
//! against the emulator, with `[inbound] public_url` pointing at a running
//! service; the emulator calls the number with the carrier's parameters and
//! signature; the service verifies, resolves and answers with the agent's
//! template. Forgeries get 403, an agent change needs no carrier call, and a
//! released number gets the fallback.

use std::time::Duration;

use switchboard::config::Config;
use switchboard::{AccountId, NumberUpdate, ProvisionRequest, SearchQuery, WebhookMethod};
use switchboard_emulator::{
    CallRequest, DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_SIGNING_KEY,
    DEFAULT_SIGNALWIRE_TOKEN, DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, Delivery,
    Emulator, MessageRequest, Mode, RunningEmulator, SentWebhook, SigningKeyOverride,
};

const NOT_OURS: &str = "This number is not in service.";

struct World {
    emulator: RunningEmulator,
    app: switchboard::Switchboard,
    _dir: tempdir::Dir,
}

mod tempdir {
    /// A directory removed when dropped.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The emulator, and the service on a SQLite file with both carriers
/// pointed at it and its inbound routes at `public_url`.
async fn world() -> World {
    let emulator = Emulator::builder()
        .mode(Mode::Live)
        .start()
        .await
        .expect("emulator");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public_url = format!("http://{}", listener.local_addr().unwrap());
    let dir = std::env::temp_dir().join(format!("switchboard-inbound-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = Config::from_toml(&format!(
        r#"
        default_provider = "twilio"
        database_url = "sqlite://{db}"
        [inbound]
        public_url = "{public_url}"
        voice_answer = '<Response><Connect><Stream url="wss://agents.example.com/{{agent_id}}?from={{from}}"/></Connect></Response>'
        message_answer = '<Response><Message>Agent {{agent_id}} got it</Message></Response>'
        not_ours_message = "{NOT_OURS}"
        [providers.twilio]
        base_url = "{base}"
        account_sid = "{DEFAULT_TWILIO_ACCOUNT_SID}"
        auth_token = "{DEFAULT_TWILIO_AUTH_TOKEN}"
        not_found_window_seconds = 0
        [providers.signalwire]
        space_url = "{base}"
        project_id = "{DEFAULT_SIGNALWIRE_PROJECT_ID}"
        api_token = "{DEFAULT_SIGNALWIRE_TOKEN}"
        signing_key = "{DEFAULT_SIGNALWIRE_SIGNING_KEY}"
        "#,
        db = dir.join("numbers.db").display(),
        base = emulator.base_url(),
    ))
    .expect("config");
    let app = switchboard::open(&config).await.expect("open");
    let router = switchboard::http::router(app.app_state());
    tokio::spawn(async move {
        switchboard::http::serve(listener, router, std::future::pending::<()>()).await
    });
    World {
        emulator,
        app,
        _dir: tempdir::Dir(dir),
    }
}

fn acme() -> AccountId {
    AccountId::parse("acme").unwrap()
}

async fn buy(world: &World, carrier: &str, agent: uuid::Uuid) -> switchboard::ProvisionedNumber {
    let offer = world
        .app
        .service
        .search(
            &SearchQuery::default().area_code("415").limit(1),
            Some(carrier),
        )
        .await
        .expect("search")
        .remove(0);
    world
        .app
        .service
        .provision(
            &acme(),
            &ProvisionRequest::new(offer.phone_number)
                .provider(carrier)
                .agent(agent),
        )
        .await
        .expect("provision")
}

async fn call(world: &World, to: &str) -> Delivery {
    world
        .emulator
        .handle()
        .place_call(&CallRequest::new(to, "+14155550123"))
        .await
        .expect("the emulator placed the call")
}

fn answer(delivery: &Delivery) -> (u16, String) {
    let answer = delivery.answer.as_ref().expect("the service answered");
    (answer.status, answer.body.clone())
}

/// Sends a recorded webhook again, exactly or with its body changed.
async fn resend(request: &SentWebhook, body: &str) -> (u16, String) {
    let method = match request.method.as_str() {
        "GET" => reqwest::Method::GET,
        _ => reqwest::Method::POST,
    };
    let mut builder = reqwest::Client::new().request(method, &request.url);
    for (name, value) in &request.headers {
        if !name.eq_ignore_ascii_case("host") && !name.eq_ignore_ascii_case("content-length") {
            builder = builder.header(name, value);
        }
    }
    let response = builder.body(body.to_string()).send().await.expect("resend");
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn the_whole_path(carrier: &str) {
    let world = world().await;
    let agent = uuid::Uuid::new_v4();
    let number = buy(&world, carrier, agent).await;
    let to = number.phone_number.as_str().to_string();
    let voice = number.routing.voice_url.as_ref().expect("inbound routing");
    assert!(
        voice
            .as_str()
            .ends_with(&format!("/functions/v1/inbound/{carrier}/voice")),
        "{voice}"
    );
    assert_eq!(number.routing.voice_method, Some(WebhookMethod::Post));

    // The carrier calls; the agent's template answers.
    let delivery = call(&world, &to).await;
    assert_eq!(delivery.carrier, carrier);
    let (status, body) = answer(&delivery);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!(
            "wss://agents.example.com/{agent}?from=+14155550123"
        )),
        "{body}"
    );
    let content_type = delivery.answer.as_ref().unwrap().content_type.clone();
    assert!(content_type.unwrap_or_default().contains("xml"));

    // A message gets the message template.
    let text = world
        .emulator
        .handle()
        .send_message(&MessageRequest::new(&to, "+14155550123", "hello"))
        .await
        .expect("message sent");
    let (status, body) = answer(&text);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("Agent {agent} got it")), "{body}");

    // Forgeries: a tampered parameter, the body replayed to another of our
    // numbers, and a webhook signed with another key.
    let sent = &delivery.request;
    let tampered = sent.body.replace("ringing", "completed");
    assert_ne!(tampered, sent.body);
    assert_eq!(resend(sent, &tampered).await.0, 403);
    let other = buy(&world, carrier, uuid::Uuid::new_v4()).await;
    let encoded = |n: &str| n.replace('+', "%2B");
    let replayed = sent
        .body
        .replace(&encoded(&to), &encoded(other.phone_number.as_str()));
    assert_ne!(replayed, sent.body, "the recorded body names the number");
    assert_eq!(resend(sent, &replayed).await.0, 403);
    let mut wrong_key = CallRequest::new(&to, "+14155550123");
    wrong_key.signing_key = Some(SigningKeyOverride::new("not-the-key"));
    let forged = world
        .emulator
        .handle()
        .place_call(&wrong_key)
        .await
        .unwrap();
    assert_eq!(answer(&forged).0, 403);
    // The genuine request still verifies.
    assert_eq!(resend(sent, &sent.body).await.0, 200);

    // A new agent answers the next call, with no carrier call.
    let before = world.emulator.requests().len();
    let new_agent = uuid::Uuid::new_v4();
    world
        .app
        .service
        .update(
            &acme(),
            number.id,
            &NumberUpdate {
                agent_id: Some(Some(new_agent)),
                ..NumberUpdate::default()
            },
        )
        .await
        .expect("reassign");
    assert_eq!(world.emulator.requests().len(), before, "no carrier call");
    let (status, body) = answer(&call(&world, &to).await);
    assert_eq!(status, 200);
    assert!(body.contains(&new_agent.to_string()), "{body}");
    assert!(!body.contains(&agent.to_string()), "{body}");

    // Released: the carrier's retry of a genuine webhook gets the fallback.
    let released = world.app.service.release(&acme(), number.id).await.unwrap();
    assert!(!released.is_active());
    let (status, body) = resend(sent, &sent.body).await;
    assert_eq!(status, 200);
    assert!(body.contains(NOT_OURS), "{body}");
    assert!(!body.contains(&new_agent.to_string()), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn twilio_calls_reach_the_agent() {
    tokio::time::timeout(Duration::from_secs(60), the_whole_path("twilio"))
        .await
        .expect("in time");
}

#[tokio::test(flavor = "multi_thread")]
async fn signalwire_calls_reach_the_agent() {
    tokio::time::timeout(Duration::from_secs(60), the_whole_path("signalwire"))
        .await
        .expect("in time");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_through_another_carriers_route_is_not_ours() {
    let world = world().await;
    let number = buy(&world, "twilio", uuid::Uuid::new_v4()).await;
    let delivery = call(&world, number.phone_number.as_str()).await;
    // The same genuine Twilio request, sent to the SignalWire route: its
    // signature covers the Twilio route's URL, so it is refused there.
    let mut sent = delivery.request.clone();
    sent.url = sent.url.replace("/inbound/twilio/", "/inbound/signalwire/");
    assert_eq!(resend(&sent, &sent.body).await.0, 403);
    // A route for a carrier with no verifier (the fake) is not served.
    sent.url = delivery
        .request
        .url
        .replace("/inbound/twilio/", "/inbound/fake/");
    assert_eq!(resend(&sent, &sent.body).await.0, 404);
}
