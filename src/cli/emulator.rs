//! `switchboard emulator`: a local Twilio and/or SignalWire to develop and
//! test against, with the test credentials printed at start.

use clap::Args as ClapArgs;
use switchboard::{Error, Result};
use switchboard_emulator::{
    Carriers, DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_TOKEN, DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_AUTH_TOKEN, EmulatorConfig, Mode, run_until,
};
use tokio::net::TcpListener;

#[derive(Debug, ClapArgs)]
pub struct EmulatorArgs {
    /// twilio, signalwire or both.
    #[arg(long, default_value = "both")]
    carrier: Carriers,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081", value_name = "ADDR")]
    listen: String,
    /// Answer exactly the carriers' OpenAPI documents instead of their
    /// reported live behaviour.
    #[arg(long)]
    strict: bool,
    /// SignalWire's release cooldown, in seconds (off when absent).
    #[arg(long, value_name = "SECONDS")]
    release_cooldown: Option<u64>,
}

pub async fn run(args: EmulatorArgs) -> Result<()> {
    let mut config = EmulatorConfig {
        carriers: args.carrier,
        ..EmulatorConfig::default()
    };
    if args.strict {
        config.behaviour.mode = Mode::Strict;
    }
    config.behaviour.signalwire_release_cooldown_secs = args.release_cooldown;
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|e| Error::Configuration {
            message: format!("cannot listen on {}: {e}", args.listen),
        })?;
    let addr = listener.local_addr().map_err(|e| Error::Configuration {
        message: format!("cannot read the listening address: {e}"),
    })?;
    println!("carrier emulator on http://{addr} ({:?})", args.carrier);
    if args.carrier.twilio() {
        println!(
            "  twilio:     TWILIO_BASE_URL=http://{addr} TWILIO_ACCOUNT_SID={DEFAULT_TWILIO_ACCOUNT_SID} TWILIO_AUTH_TOKEN={DEFAULT_TWILIO_AUTH_TOKEN}"
        );
    }
    if args.carrier.signalwire() {
        println!(
            "  signalwire: SIGNALWIRE_SPACE_URL=http://{addr} SIGNALWIRE_PROJECT_ID={DEFAULT_SIGNALWIRE_PROJECT_ID} SIGNALWIRE_API_TOKEN={DEFAULT_SIGNALWIRE_TOKEN}"
        );
    }
    run_until(config, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| Error::Configuration {
        message: format!("emulator failed: {e}"),
    })
}
