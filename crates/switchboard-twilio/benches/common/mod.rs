//! Shared by the benches: a minimal axum server answering every request
//! with Twilio's own Local search example grown to 30 numbers (the most a
//! live search returns), the adapter pointed at it, and a bare reqwest
//! request of the same shape (same path, query, Basic auth, Accept header).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use switchboard_core::{
    AvailableNumber, Capabilities, CountryCode, RetryPolicy, SearchQuery, TelephonyProvider,
};
use switchboard_twilio::{TwilioConfig, TwilioProvider};

const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const TOKEN: &str = "bench-token";

fn answer() -> Vec<u8> {
    // The repository's copy of Twilio's document (spec/carriers/twilio/).
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../spec/carriers/twilio/api_v2010_phone_numbers.openapi.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let spec: Value = serde_json::from_str(&text).expect("Twilio's document is JSON");
    let mut body = spec["paths"]
        ["/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json"]["get"]
        ["responses"]["200"]["content"]["application/json"]["examples"]["readFull"]["value"]
        .clone();
    let entry = body["available_phone_numbers"][0].clone();
    let entries: Vec<Value> = (0..30)
        .map(|i| {
            let mut e = entry.clone();
            e["phone_number"] = json!(format!("+1808925{:04}", 1000 + i));
            e
        })
        .collect();
    body["available_phone_numbers"] = json!(entries);
    serde_json::to_vec(&body).unwrap()
}

fn start_server(body: Vec<u8>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let body: &'static [u8] = Box::leak(body.into_boxed_slice());
            let app = Router::new().fallback(move || async move {
                ([(header::CONTENT_TYPE, "application/json")], body).into_response()
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// The search answer as a typed bare client reads it: text as `T`
/// (`&str` borrowed from the body, or `String`).
#[derive(serde::Deserialize)]
struct Answer<T> {
    available_phone_numbers: Vec<Entry<T>>,
}

/// The fields the adapter keeps of one number.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Entry<T> {
    phone_number: T,
    iso_country: Option<T>,
    locality: Option<T>,
    region: Option<T>,
    postal_code: Option<T>,
    rate_center: Option<T>,
    capabilities: Caps,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Caps {
    #[serde(default)]
    voice: bool,
    #[serde(default)]
    sms: bool,
    #[serde(default)]
    mms: bool,
    #[serde(default)]
    fax: bool,
}

/// The two clients, pointed at one server.
pub struct Setup {
    pub rt: tokio::runtime::Runtime,
    provider: TwilioProvider,
    query: SearchQuery,
    client: reqwest::Client,
    /// A client set up as the adapter's is (timeouts, user agent), to tell
    /// what those settings cost from what the adapter adds.
    configured: reqwest::Client,
    url: String,
}

const PARAMS: [(&str, &str); 3] = [
    ("AreaCode", "808"),
    ("VoiceEnabled", "true"),
    ("PageSize", "30"),
];

impl Setup {
    pub fn new() -> Self {
        let base = format!("http://{}", start_server(answer()));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let config = TwilioConfig::with_auth_token(AC, TOKEN)
            .unwrap()
            .base_url(&base)
            .unwrap()
            .retry_policy(RetryPolicy::NONE);
        let provider = TwilioProvider::new(config).unwrap();
        let query = SearchQuery::new(CountryCode::US)
            .area_code("808")
            .capabilities(Capabilities {
                voice: true,
                ..Capabilities::default()
            })
            .limit(30);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let configured = reqwest::Client::builder()
            .timeout(switchboard_twilio::DEFAULT_TIMEOUT)
            .connect_timeout(switchboard_twilio::DEFAULT_CONNECT_TIMEOUT)
            .user_agent("switchboard-twilio/bench")
            .build()
            .unwrap();
        let url = format!("{base}/2010-04-01/Accounts/{AC}/AvailablePhoneNumbers/US/Local.json");
        let setup = Self {
            rt,
            provider,
            query,
            client,
            configured,
            url,
        };
        let found = setup.rt.block_on(setup.search());
        assert_eq!(found.len(), 30);
        setup
    }

    /// A request of the adapter's shape, body read as bytes.
    pub async fn bare(&self) -> bytes::Bytes {
        self.bare_from(&self.client).await
    }

    /// The same, from a client set up as the adapter's.
    pub async fn bare_configured(&self) -> bytes::Bytes {
        self.bare_from(&self.configured).await
    }

    /// The request every bare baseline sends: the adapter's path, query,
    /// Basic auth and Accept header.
    fn request(&self, client: &reqwest::Client) -> reqwest::RequestBuilder {
        client
            .get(&self.url)
            .query(&PARAMS)
            .basic_auth(AC, Some(TOKEN))
            .header(header::ACCEPT, "application/json")
    }

    async fn bare_from(&self, client: &reqwest::Client) -> bytes::Bytes {
        let response = self.request(client).send().await.unwrap();
        response.bytes().await.unwrap()
    }

    /// The same, with the body decoded by serde into typed records of the
    /// fields the adapter keeps (borrowed text, the example's spelling
    /// only): the least a client that uses the answer does.
    pub async fn bare_typed(&self) -> usize {
        let body = self.bare().await;
        let answer: Answer<&str> = serde_json::from_slice(&body).unwrap();
        answer.available_phone_numbers.len()
    }

    /// The same request as an idiomatic client writes it when it needs the
    /// answer's data: reqwest's `.json::<T>()` into records of the fields
    /// the adapter keeps, owned (as `.json` requires), as the adapter's are.
    pub async fn bare_json_owned(&self) -> usize {
        let response = self.request(&self.client).send().await.unwrap();
        let answer: Answer<String> = response.json().await.unwrap();
        answer.available_phone_numbers.len()
    }

    /// The same, with the body parsed into a JSON value.
    pub async fn bare_parsed(&self) -> Value {
        serde_json::from_slice(&self.bare().await).unwrap()
    }

    /// The adapter's search.
    pub async fn search(&self) -> Vec<AvailableNumber> {
        self.provider.search(&self.query).await.unwrap()
    }
}
