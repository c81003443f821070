//! A real server on a loopback port, with tokens for two accounts, for the
//! tests to talk to over HTTP.
#![allow(dead_code)]

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use switchboard_core::{
    AccountId, ApiToken, AvailableNumber, Capabilities, CarrierNumber, CarrierUpdate, IdSource,
    InMemoryRepository, InMemoryTokenStore, ManualClock, Page, PageRequest, PhoneNumber,
    ProviderFeatures, ProviderRegistry, ProvisioningService, PurchaseRequest, RetryPolicy,
    SearchQuery, ServiceOptions, TelephonyProvider, TokenStore, hash_token,
};
use switchboard_fake::FakeProvider;
use switchboard_http::{AppState, HttpOptions};
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
    pub fake: FakeProvider,
    /// Serve the seed example: a carrier called `signalwire` that sells any
    /// number, the seed's id, and the seed's clock.
    pub seed_world: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            options: HttpOptions::default(),
            fake: FakeProvider::new(),
            seed_world: false,
        }
    }
}

pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub repo: InMemoryRepository,
    pub tokens: InMemoryTokenStore,
    pub fake: FakeProvider,
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
        let mut service;
        if setup.seed_world {
            registry = registry
                .with(Arc::new(SeedCarrier))
                .with_default("signalwire")
                .unwrap();
            service = ProvisioningService::new(registry, Arc::new(repo.clone()));
            service = service
                .with_clock(Arc::new(ManualClock::new(
                    Utc.with_ymd_and_hms(2024, 1, 15, 10, 30, 0).unwrap(),
                )))
                .with_ids(Arc::new(SeedId));
        } else {
            service = ProvisioningService::new(registry, Arc::new(repo.clone()));
        }
        let service = service.with_options(ServiceOptions {
            purchase_retry: RetryPolicy::NONE,
            ..ServiceOptions::default()
        });
        let state = AppState::new(service, Arc::new(tokens.clone())).with_options(setup.options);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(switchboard_http::serve(
            listener,
            switchboard_http::router(state),
            async move {
                let _ = stopped.await;
            },
        ));
        Self {
            base,
            client: reqwest::Client::new(),
            repo,
            tokens,
            fake,
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

    async fn purchase(&self, request: &PurchaseRequest) -> switchboard_core::Result<CarrierNumber> {
        Ok(CarrierNumber {
            carrier_id: "sw-1".into(),
            phone_number: request.phone_number.clone(),
            friendly_name: request.friendly_name.clone(),
            capabilities: Capabilities::VOICE_SMS_MMS,
            routing: request.routing.clone(),
        })
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
