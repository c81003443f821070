//! An application that embeds Switchboard and answers calls itself: when a
//! number rings, its own `InboundHandler` decides which agent takes the call.
//!
//! Switchboard verifies the carrier's signature and looks the number up
//! first, so the handler only sees authentic calls, with the number's record
//! (account, agent) or `None` when the number is not ours. Everything runs on
//! this machine: the carrier is the bundled Twilio emulator, which places the
//! call with Twilio's parameters and signature.
//!
//! Run with `cargo run --all-features --example inbound_agent`.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use switchboard::http::inbound::{Answer, InboundHandler, xml_escape};
use switchboard::http::{AppState, InboundOptions, inbound_routing, router, serve};
use switchboard::inbound::InboundEvent;
use switchboard::{
    AccountId, InMemoryRepository, InMemoryTokenStore, ProviderRegistry, ProvisionRequest,
    ProvisionedNumber, ProvisioningService, SearchQuery, ServiceOptions, WebhookUrl,
};
use switchboard_emulator::{
    CallRequest, DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, Emulator,
};
use switchboard_twilio::{TwilioConfig, TwilioProvider, TwilioWebhooks};

/// The application's rule: connect the number's agent over a media stream,
/// and tell callers of numbers without one that nobody is there.
#[derive(Debug)]
struct AgentDesk;

#[async_trait]
impl InboundHandler for AgentDesk {
    async fn answer(&self, event: &InboundEvent, number: Option<&ProvisionedNumber>) -> Answer {
        match (event, number.and_then(|n| n.agent_id)) {
            (InboundEvent::Call(call), Some(agent)) => Answer::xml(format!(
                r#"<Response><Connect><Stream url="wss://agents.example.com/{agent}?caller={}"/></Connect></Response>"#,
                xml_escape(&call.from)
            )),
            (InboundEvent::Call(_), None) => Answer::say("Nobody answers this number."),
            (InboundEvent::Message(_), _) => Answer::empty(),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let carrier = Emulator::builder().start().await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    // Where the carrier reaches this application; in production, its
    // public HTTPS address.
    let public_url = WebhookUrl::parse(&format!("http://{}", listener.local_addr()?))?;

    let twilio =
        TwilioConfig::with_auth_token(DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN)?
            .base_url(&carrier.base_url())?;
    let options = ServiceOptions {
        // Numbers bought without routing of their own ring these routes.
        inbound_routing: BTreeMap::from([(
            "twilio".to_string(),
            inbound_routing(&public_url, "twilio"),
        )]),
        ..ServiceOptions::default()
    };
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(TwilioProvider::new(twilio)?)),
        Arc::new(InMemoryRepository::new()),
    )
    .with_options(options);
    let inbound = InboundOptions::new(public_url, Arc::new(AgentDesk))
        // Twilio signs webhooks with the account's auth token.
        .with_verifier(Arc::new(TwilioWebhooks::new(DEFAULT_TWILIO_AUTH_TOKEN)));
    let state =
        AppState::new(service.clone(), Arc::new(InMemoryTokenStore::new())).with_inbound(inbound);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, router(state), async {
        let _ = stopped.await;
    }));

    let account = AccountId::parse("acme")?;
    let agent = uuid::Uuid::new_v4();
    let offer = service
        .search(&SearchQuery::default().area_code("415").limit(1), None)
        .await?
        .remove(0);
    let number = service
        .provision(
            &account,
            &ProvisionRequest::new(offer.phone_number).agent(agent),
        )
        .await?;
    println!("bought {} for agent {agent}", number.phone_number);

    let delivery = carrier
        .handle()
        .place_call(&CallRequest::new(
            number.phone_number.as_str(),
            "+14155550123",
        ))
        .await?;
    let answer = delivery.answer.ok_or("the application did not answer")?;
    println!("the carrier called {}", delivery.request.url);
    println!("and was answered {}: {}", answer.status, answer.body);
    if answer.status != 200 || !answer.body.contains(&agent.to_string()) {
        return Err("the call did not reach the agent".into());
    }

    let _ = stop.send(());
    server.await??;
    Ok(())
}
