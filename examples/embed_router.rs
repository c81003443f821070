//! Mounting Switchboard's HTTP API inside your own axum application, next to
//! your own routes: here, the webhook a carrier calls when a number rings,
//! which asks Switchboard which agent answers it.
//!
//! Run with `cargo run --example embed_router`; it starts the app on a free
//! port, makes a few requests against itself, prints them, and stops.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::post;
use axum::{Json, Router};
use switchboard::fake::FakeProvider;
use switchboard::http::{AppState, router, serve};
use switchboard::{
    AccountId, ApiToken, CountryCode, InMemoryRepository, InMemoryTokenStore, PhoneNumber,
    ProviderRegistry, ProvisioningService, TokenStore, generate_token, hash_token,
};

#[derive(serde::Deserialize)]
struct Inbound {
    to: String,
}

/// Your own route: which agent should take a call to `to`?
async fn inbound_call(
    State(service): State<ProvisioningService>,
    Query(inbound): Query<Inbound>,
) -> Json<serde_json::Value> {
    let agent = match PhoneNumber::parse_trusted(&inbound.to) {
        Ok(number) => service
            .lookup(&number)
            .await
            .ok()
            .flatten()
            .filter(|n| n.is_active())
            .and_then(|n| n.agent_id),
        Err(_) => None,
    };
    Json(serde_json::json!({ "to": inbound.to, "agent_id": agent }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(FakeProvider::new())),
        Arc::new(InMemoryRepository::new()),
    );
    let tokens = Arc::new(InMemoryTokenStore::new());
    let secret = generate_token();
    tokens
        .insert_token(&ApiToken {
            id: uuid::Uuid::now_v7(),
            account: AccountId::parse("acme")?,
            label: Some("example".into()),
            token_hash: hash_token(&secret),
            created_at: chrono::Utc::now(),
            revoked_at: None,
        })
        .await?;

    // Switchboard's routes all live under /functions/v1/ (plus /openapi.json
    // and /healthz), so they merge with an application's own without clashes.
    let app = Router::new()
        .route("/voice/inbound", post(inbound_call))
        .with_state(service.clone())
        .merge(router(AppState::new(service, tokens)));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app, async {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::new();
    let offer: serde_json::Value = client
        .post(format!("{base}/functions/v1/search-phone-numbers"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({"country": CountryCode::CA.as_str(), "area_code": "604", "limit": 1}))
        .send()
        .await?
        .json()
        .await?;
    let phone = offer["data"][0]["phone_number"]
        .as_str()
        .ok_or("no number offered")?
        .to_string();
    let agent = uuid::Uuid::new_v4();
    let bought: serde_json::Value = client
        .post(format!("{base}/functions/v1/provision-phone-number"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({"phone_number": phone, "friendly_name": "Support", "agent_id": agent}))
        .send()
        .await?
        .json()
        .await?;
    println!("Switchboard's route: provisioned {bought}");

    let routed: serde_json::Value = client
        .post(format!("{base}/voice/inbound"))
        .query(&[("to", phone.as_str())])
        .send()
        .await?
        .json()
        .await?;
    println!("your route: a call to {phone} goes to {routed}");
    assert_eq!(routed["agent_id"], agent.to_string());

    let _ = stop.send(());
    server.await??;
    Ok(())
}
