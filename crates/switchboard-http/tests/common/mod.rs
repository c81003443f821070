//! A real server on a loopback port, with tokens for two accounts, for the
//! tests to talk to over HTTP.
#![allow(dead_code)]

pub mod verifier;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use switchboard_core::{
    AccountId, ApiToken, AvailableNumber, Capabilities, CarrierNumber, CarrierUpdate, IdSource,
    InMemoryRepository, InMemoryTokenStore, ManualClock, NumberRepository, Page, PageRequest,
    PhoneNumber, ProviderFeatures, ProviderRegistry, ProvisioningService, PurchaseOutcome,
    PurchaseRequest, RetryPolicy, SearchQuery, ServiceOptions, TelephonyProvider, TokenStore,
    hash_token,
};
use switchboard_fake::FakeProvider;
use switchboard_http::{AppState, HttpOptions, InboundOptions, ServeOptions};
use tokio::sync::oneshot;
use uuid::Uuid;

/// The token of account `acme`.
pub const ACME: &str = "sb_acme_0123456789abcdef0123456789abcdef";
/// The token of account `globex`.
pub const GLOBEX: &str = "sb_globex_0123456789abcdef0123456789abcd";
/// A revoked token of account `acme`.
pub const REVOKED: &str = "sb_revoked_0123456789abcdef0123456789abc";

/// How a test server is put together.
pub struct Setup {
    pub options: HttpOptions,
    /// The connection limits.
    pub serve: ServeOptions,
    pub fake: FakeProvider,
    /// Serve the seed example: a carrier called `signalwire` that sells any
    /// number, the seed's id, and the seed's clock.
    pub seed_world: bool,
    /// Serve the inbound webhook routes.
    pub inbound: Option<InboundOptions>,
    /// Carriers registered beside the fake (not the default).
    pub extra_carriers: Vec<Arc<dyn TelephonyProvider>>,
    /// A number store to use instead of the in-memory one (`repo` is then
    /// unused).
    pub repository: Option<Arc<dyn NumberRepository>>,
    /// How long a provision waits for a carrier order (the service's
    /// default when `None`).
    pub order_wait: Option<Duration>,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            options: HttpOptions::default(),
            serve: ServeOptions::default(),
            fake: FakeProvider::new(),
            seed_world: false,
            inbound: None,
            extra_carriers: Vec::new(),
            repository: None,
            order_wait: None,
        }
    }
}

pub struct TestServer {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub client: reqwest::Client,
    pub repo: InMemoryRepository,
    pub tokens: InMemoryTokenStore,
    pub fake: FakeProvider,
    /// The service behind the routes, for changes made beside the API.
    pub service: ProvisioningService,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub async fn add_token(tokens: &InMemoryTokenStore, token: &str, account: &str) -> Uuid {
    let id = Uuid::new_v4();
    tokens
        .insert_token(&ApiToken {
            id,
            account: AccountId::parse(account).unwrap(),
            label: None,
            token_hash: hash_token(token),
            created_at: Utc::now(),
            revoked_at: None,
        })
        .await
        .unwrap();
    id
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with(Setup::default()).await
    }

    pub async fn with(setup: Setup) -> Self {
        let repo = InMemoryRepository::new();
        let tokens = InMemoryTokenStore::new();
        add_token(&tokens, ACME, "acme").await;
        add_token(&tokens, GLOBEX, "globex").await;
        let revoked = add_token(&tokens, REVOKED, "acme").await;
        tokens.revoke_token(revoked, Utc::now()).await.unwrap();

        let fake = setup.fake.clone();
        let mut registry = ProviderRegistry::new(Arc::new(fake.clone()));
        for carrier in setup.extra_carriers {
            registry = registry.with(carrier);
        }
        let numbers: Arc<dyn NumberRepository> = match setup.repository {
            Some(numbers) => numbers,
            None => Arc::new(repo.clone()),
        };
        let mut service;
        if setup.seed_world {
            registry = registry
                .with(Arc::new(SeedCarrier))
                .with_default("signalwire")
                .unwrap();
            service = ProvisioningService::new(registry, numbers);
            service = service
                .with_clock(Arc::new(ManualClock::new(
                    Utc.with_ymd_and_hms(2024, 1, 15, 10, 30, 0).unwrap(),
                )))
                .with_ids(Arc::new(SeedId));
        } else {
            service = ProvisioningService::new(registry, numbers);
        }
        let defaults = ServiceOptions::default();
        let service = service.with_options(ServiceOptions {
            purchase_retry: RetryPolicy::NONE,
            order_wait: setup.order_wait.unwrap_or(defaults.order_wait),
            order_poll_interval: Duration::from_millis(1),
            ..defaults
        });
        let mut state =
            AppState::new(service.clone(), Arc::new(tokens.clone())).with_options(setup.options);
        if let Some(inbound) = setup.inbound {
            state = state.with_inbound(inbound);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(switchboard_http::serve_with(
            listener,
            switchboard_http::router(state),
            setup.serve,
            async move {
                let _ = stopped.await;
            },
        ));
        Self {
            base,
            addr,
            client: reqwest::Client::new(),
            repo,
            tokens,
            fake,
            service,
            stop: Some(stop),
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// POSTs `body` as JSON with `token`.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Answer::from(request.send().await.unwrap()).await
    }

    /// POSTs raw bytes with a content type.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Answer {
        let mut request = self.client.post(self.url(path)).body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        Answer::from(request.send().await.unwrap()).await
    }

    /// GETs `path_and_query` with `token`.
    pub async fn get(&self, path_and_query: &str, token: Option<&str>) -> Answer {
        let mut request = self.client.get(self.url(path_and_query));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Answer::from(request.send().await.unwrap()).await
    }

    /// Numbers the fake sells, in inventory order.
    pub fn for_sale(&self, n: usize) -> Vec<PhoneNumber> {
        self.fake
            .inventory()
            .iter()
            .take(n)
            .map(|a| a.phone_number)
            .collect()
    }

    /// Provisions `number` for the account of `token`; the answer must be 200.
    pub async fn provision(&self, token: &str, number: &PhoneNumber) -> Value {
        let answer = self
            .post(
                "/functions/v1/provision-phone-number",
                Some(token),
                &serde_json::json!({"phone_number": number.as_str(), "friendly_name": "Line"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.unwrap().unwrap();
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Answer {
    pub async fn from(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            text,
            body,
        }
    }

    /// The error code, asserting the error shape.
    pub fn code(&self) -> &str {
        let error = &self.body["error"];
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "not an error body: {} {}",
            self.status,
            self.text
        );
        error["code"].as_str().unwrap_or("")
    }

    pub fn field(&self) -> Option<&str> {
        self.body["error"]["field"].as_str()
    }
}

/// The seed's id for the first number.
#[derive(Debug)]
struct SeedId;

impl IdSource for SeedId {
    fn next_id(&self) -> Uuid {
        "a1b2c3d4-5678-9012-3456-789012345678".parse().unwrap()
    }
}

/// A carrier named `signalwire` that sells any number with voice, SMS and MMS.
#[derive(Debug)]
struct SeedCarrier;

#[async_trait]
impl TelephonyProvider for SeedCarrier {
    fn name(&self) -> &str {
        "signalwire"
    }

    fn features(&self) -> ProviderFeatures {
        ProviderFeatures::all(100)
    }

    async fn search(&self, _query: &SearchQuery) -> switchboard_core::Result<Vec<AvailableNumber>> {
        Ok(Vec::new())
    }

    async fn purchase(
        &self,
        request: &PurchaseRequest,
    ) -> switchboard_core::Result<PurchaseOutcome> {
        Ok(PurchaseOutcome::Bought(CarrierNumber {
            carrier_id: "sw-1".into(),
            phone_number: request.phone_number.clone(),
            friendly_name: request.friendly_name.clone(),
            capabilities: Capabilities::VOICE_SMS_MMS,
            routing: request.routing.clone(),
        }))
    }

    async fn find_owned(&self, _: &PhoneNumber) -> switchboard_core::Result<Option<CarrierNumber>> {
        Ok(None)
    }

    async fn list_owned(&self, _: &PageRequest) -> switchboard_core::Result<Page<CarrierNumber>> {
        Ok(Page::last(Vec::new()))
    }

    async fn update(&self, _: &str, _: &CarrierUpdate) -> switchboard_core::Result<CarrierNumber> {
        Err(switchboard_core::Error::not_found("number"))
    }

    async fn release(&self, _: &str) -> switchboard_core::Result<()> {
        Ok(())
    }
}

/// HTTP/1.1 spoken by hand over TCP, for what an HTTP client library will
/// not do: send half a request, declare a body and never send it, hold a
/// connection open.
pub mod raw {
    use std::time::{Duration, Instant};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// A response as read off the wire.
    #[derive(Debug)]
    pub struct RawResponse {
        pub status: u16,
        pub head: String,
        pub body: String,
    }

    /// `GET path` on a kept-alive connection.
    pub fn get(path: &str) -> String {
        format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n")
    }

    /// Writes `bytes`.
    pub async fn send(stream: &mut TcpStream, bytes: &[u8]) {
        stream.write_all(bytes).await.expect("write to the server");
    }

    /// Reads one response with a `Content-Length` body; `None` if the server
    /// closed the connection first.
    pub async fn read_response(stream: &mut TcpStream) -> Option<RawResponse> {
        let mut buf = Vec::new();
        let head_end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => {
                    assert!(buf.is_empty(), "connection closed mid-response: {buf:?}");
                    return None;
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {head}"));
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        let mut body = buf[head_end..].to_vec();
        while body.len() < length {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.expect("read the body");
            assert!(n > 0, "connection closed mid-body");
            body.extend_from_slice(&chunk[..n]);
        }
        Some(RawResponse {
            status,
            head,
            body: String::from_utf8_lossy(&body).to_string(),
        })
    }

    /// Waits up to `bound` for the server to close the connection without
    /// sending anything more; returns when it did. Fails if it sends data or
    /// keeps the connection open past `bound`.
    pub async fn closed_within(stream: &mut TcpStream, bound: Duration) -> Instant {
        let mut chunk = [0u8; 1024];
        match tokio::time::timeout(bound, stream.read(&mut chunk)).await {
            Err(_) => panic!("the connection is still open after {bound:?}"),
            Ok(Ok(0)) => Instant::now(),
            // A reset is a close too (unread input makes the kernel send one).
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => Instant::now(),
            Ok(Ok(n)) => panic!(
                "expected the connection to close, got {:?}",
                String::from_utf8_lossy(&chunk[..n])
            ),
            Ok(Err(e)) => panic!("unexpected read error: {e}"),
        }
    }
}
