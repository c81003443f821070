//! `switchboard emulator`: a local Twilio and/or SignalWire to develop and
//! test against, with the test credentials printed at start; and `call` and
//! `message`, which make a running emulator ring or text one of its numbers,
//! so a webhook receiver can be tried from the shell.

use std::time::Duration;

use clap::{Args as ClapArgs, Subcommand};
use switchboard::{Error, Result};
use switchboard_emulator::{
    CallRequest, Carriers, DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_SIGNING_KEY,
    DEFAULT_SIGNALWIRE_TOKEN, DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, Delivery,
    EmulatorConfig, Media, MessageRequest, Mode, RemoteEmulator, RemoteError, SignalWireProject,
    SigningKeyOverride, run_until,
};
use tokio::net::TcpListener;

use super::Output;

/// Where `call` and `message` find the emulator unless told otherwise: the
/// address the emulator listens on by default.
const DEFAULT_EMULATOR_URL: &str = "http://127.0.0.1:8081";

#[derive(Debug, ClapArgs)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EmulatorArgs {
    #[command(subcommand)]
    command: Option<EmulatorCommand>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum EmulatorCommand {
    /// Ring a number of a running emulator: its carrier's voice webhook,
    /// signed, and print what the webhook answered.
    Call(CallArgs),
    /// Text a number of a running emulator: its carrier's messaging
    /// webhook, signed, and print what the webhook answered.
    Message(MessageArgs),
}

#[derive(Debug, ClapArgs)]
struct ServeArgs {
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
    /// How long an inbound webhook may take to answer (Twilio waits 15).
    #[arg(long, default_value_t = 15, value_name = "SECONDS")]
    webhook_timeout: u64,
    /// The key the SignalWire project signs its webhooks with.
    #[arg(long, default_value = DEFAULT_SIGNALWIRE_SIGNING_KEY, value_name = "KEY")]
    signalwire_signing_key: String,
}

/// What `call` and `message` share.
#[derive(Debug, ClapArgs)]
struct Common {
    /// The number called or texted: one an account of the emulator owns.
    #[arg(long, value_name = "E164")]
    to: String,
    /// The caller or sender.
    #[arg(long, value_name = "E164")]
    from: String,
    /// The running emulator.
    #[arg(long, default_value = DEFAULT_EMULATOR_URL, value_name = "URL")]
    emulator: String,
    /// One more parameter to send and sign (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = name_value)]
    params: Vec<(String, String)>,
    /// Sign with this key instead of the account's, to see a receiver
    /// refuse a misconfigured deployment.
    #[arg(long, value_name = "KEY")]
    signing_key: Option<String>,
}

#[derive(Debug, ClapArgs)]
struct CallArgs {
    #[command(flatten)]
    common: Common,
    /// `CallerName`.
    #[arg(long)]
    caller_name: Option<String>,
    /// `ForwardedFrom`.
    #[arg(long, value_name = "E164")]
    forwarded_from: Option<String>,
    /// `FromCity`.
    #[arg(long)]
    from_city: Option<String>,
    /// `FromState`.
    #[arg(long)]
    from_state: Option<String>,
    /// `FromZip`.
    #[arg(long)]
    from_zip: Option<String>,
    /// `FromCountry`.
    #[arg(long)]
    from_country: Option<String>,
}

#[derive(Debug, ClapArgs)]
struct MessageArgs {
    #[command(flatten)]
    common: Common,
    /// The text.
    #[arg(long, default_value = "")]
    body: String,
    /// An attachment's URL (repeatable); its type is guessed from the
    /// extension.
    #[arg(long = "media", value_name = "URL")]
    media: Vec<String>,
    /// `MessagingServiceSid` (MG...).
    #[arg(long, value_name = "SID")]
    messaging_service_sid: Option<String>,
}

fn name_value(text: &str) -> std::result::Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("{text:?} is not NAME=VALUE")),
    }
}

pub async fn run(args: EmulatorArgs, out: Output) -> Result<()> {
    match args.command {
        None => serve(args.serve).await,
        Some(EmulatorCommand::Call(call)) => {
            let common = call.common;
            let request = CallRequest {
                to: common.to,
                from: common.from,
                caller_name: call.caller_name,
                forwarded_from: call.forwarded_from,
                from_city: call.from_city,
                from_state: call.from_state,
                from_zip: call.from_zip,
                from_country: call.from_country,
                extra_params: common.params.into_iter().collect(),
                signing_key: common.signing_key.map(SigningKeyOverride::new),
            };
            let remote = remote(&common.emulator)?;
            let delivery = remote.place_call(&request).await.map_err(remote_error)?;
            print_delivery(&delivery, out)
        }
        Some(EmulatorCommand::Message(message)) => {
            let common = message.common;
            let request = MessageRequest {
                to: common.to,
                from: common.from,
                body: message.body,
                media_urls: message.media.into_iter().map(Media::url).collect(),
                messaging_service_sid: message.messaging_service_sid,
                extra_params: common.params.into_iter().collect(),
                signing_key: common.signing_key.map(SigningKeyOverride::new),
            };
            let remote = remote(&common.emulator)?;
            let delivery = remote.send_message(&request).await.map_err(remote_error)?;
            print_delivery(&delivery, out)
        }
    }
}

fn remote(url: &str) -> Result<RemoteEmulator> {
    RemoteEmulator::new(url).map_err(|e| Error::invalid("emulator", e.to_string()))
}

fn remote_error(error: RemoteError) -> Error {
    match error {
        RemoteError::Refused {
            status, message, ..
        } => Error::Carrier {
            provider: "the emulator".into(),
            status: Some(status),
            code: None,
            message: Some(message),
        },
        other => Error::Transport {
            provider: "the emulator".into(),
            message: other.to_string(),
        },
    }
}

/// Prints what was sent and answered; a webhook that did not answer makes
/// the command fail (after printing), so scripts notice.
fn print_delivery(delivery: &Delivery, out: Output) -> Result<()> {
    if out.json {
        let text = serde_json::to_string_pretty(delivery).map_err(|e| Error::Configuration {
            message: format!("cannot print JSON: {e}"),
        })?;
        println!("{text}");
    } else {
        println!(
            "{} {} to {} from {} ({} account {})",
            match delivery.kind {
                switchboard_emulator::DeliveryKind::Call => "call",
                switchboard_emulator::DeliveryKind::Message => "message",
            },
            delivery.sid,
            delivery.to,
            delivery.from,
            delivery.carrier,
            delivery.account
        );
        println!(
            "sent    {} {}",
            delivery.request.method, delivery.request.url
        );
        if let Some(answer) = &delivery.answer {
            println!(
                "answer  {} {} in {} ms{}",
                answer.status,
                answer
                    .content_type
                    .as_deref()
                    .unwrap_or("(no content type)"),
                delivery.elapsed_ms,
                if answer.truncated { " (cut)" } else { "" }
            );
            if !answer.body.is_empty() {
                println!("{}", answer.body);
            }
        }
    }
    match &delivery.error {
        Some(message) => Err(Error::Transport {
            provider: "the webhook".into(),
            message: message.clone(),
        }),
        None => Ok(()),
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
    let mut config = EmulatorConfig {
        carriers: args.carrier,
        signalwire_projects: vec![
            SignalWireProject::default_test().signing_key(args.signalwire_signing_key.clone()),
        ],
        webhook_timeout: Duration::from_secs(args.webhook_timeout),
        ..EmulatorConfig::default()
    };
    if args.strict {
        config.behaviour.mode = Mode::Strict;
    }
    config.behaviour.signalwire_release_cooldown_secs = args.release_cooldown;
    // Checked before binding, so a bad flag leaves the port alone.
    config
        .validate()
        .map_err(|message| Error::Configuration { message })?;
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
            "  signalwire: SIGNALWIRE_SPACE_URL=http://{addr} SIGNALWIRE_PROJECT_ID={DEFAULT_SIGNALWIRE_PROJECT_ID} SIGNALWIRE_API_TOKEN={DEFAULT_SIGNALWIRE_TOKEN} SIGNALWIRE_SIGNING_KEY={}",
            args.signalwire_signing_key
        );
    }
    println!(
        "  inbound:    switchboard emulator call --emulator http://{addr} --to <a number bought here> --from +16045550199 (webhooks time out after {} s)",
        args.webhook_timeout
    );
    run_until(config, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| Error::Configuration {
        message: format!("emulator failed: {e}"),
    })
}
