//! One program, any carrier: what it buys from is decided by configuration
//! alone (the same variables `switchboard` reads), never by code.
//!
//! ```sh
//! cargo run --example switch_carrier                       # the fake
//! cargo run --all-features -- emulator &                    # a local Twilio, SignalWire, Telnyx
//! SWITCHBOARD_PROVIDER=twilio TWILIO_BASE_URL=http://127.0.0.1:8081 \
//!   TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef \
//!   TWILIO_AUTH_TOKEN=emulator-twilio-auth-token \
//!   cargo run --all-features --example switch_carrier
//! SWITCHBOARD_PROVIDER=signalwire SIGNALWIRE_SPACE_URL=http://127.0.0.1:8081 \
//!   SIGNALWIRE_PROJECT_ID=00000000-e000-4000-8000-000000000001 \
//!   SIGNALWIRE_API_TOKEN=PTemulator-signalwire-token \
//!   cargo run --all-features --example switch_carrier
//! SWITCHBOARD_PROVIDER=telnyx TELNYX_BASE_URL=http://127.0.0.1:8081/v2 \
//!   TELNYX_API_KEY=KEYemulator-telnyx-api-key \
//!   cargo run --all-features --example switch_carrier
//! ```
//! CI runs all four, the last three against `switchboard emulator`.

use switchboard::config::{Config, ProcessEnvironment};
use switchboard::{AccountId, ProvisionRequest, SearchQuery};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::load(None, &ProcessEnvironment)?;
    // Records stay in memory unless the environment names a database, so the
    // example leaves nothing behind.
    if config.database_url.is_none() {
        config.database_url = Some(switchboard::config::Secret::new("memory"));
    }
    let app = switchboard::open(&config).await?;
    let carrier = app.service.providers().default_name().to_string();
    println!("carrier from configuration: {carrier}");

    let account = AccountId::parse("example")?;
    let offer = app
        .service
        .search(&SearchQuery::default().limit(1), None)
        .await?
        .into_iter()
        .next()
        .ok_or("the carrier offered no number")?;
    println!("found   {} ({:?})", offer.phone_number, offer.locality);
    let number = app
        .service
        .provision(
            &account,
            &ProvisionRequest::new(offer.phone_number).friendly_name("Switch demo"),
        )
        .await?;
    println!(
        "bought  {} from {} (id {})",
        number.phone_number, number.provider, number.id
    );
    assert_eq!(number.provider, carrier);
    let released = app.service.release(&account, number.id).await?;
    println!(
        "release {}: {}",
        released.phone_number,
        released.state.as_str()
    );
    Ok(())
}
