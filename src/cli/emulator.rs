//! `switchboard emulator`: a local Twilio and/or SignalWire to develop and
//! test against, with the test credentials printed at start; and `call` and
//! `message`, which make a running emulator ring or text one of its numbers,
//! so a webhook receiver can be tried from the shell.

use std::time::Duration;

use clap::{Args as ClapArgs, Subcommand};
use switchboard::{Error, Result};
use switchboard_emulator::{
    CallRequest, Carriers, DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_SIGNING_KEY,
    DEFAULT_SIGNALWIRE_TOKEN, DEFAULT_TELNYX_API_KEY, DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_AUTH_TOKEN, Delivery, DeliveryKind, EmulatorConfig, Media, MessageRequest, Mode,
    RemoteEmulator, RemoteError, SignalWireProject, SigningKeyOverride, run_until,
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
    /// twilio, signalwire, telnyx, both (Twilio and SignalWire) or all.
    #[arg(long, default_value = "all")]
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
        RemoteError::Unreachable { url, message } => Error::Transport {
            provider: format!("the emulator at {url}"),
            message,
            cause: None,
        },
        RemoteError::BadUrl { url, reason } => {
            Error::invalid("--emulator", format!("{url:?} {reason}"))
        }
        other => Error::Transport {
            provider: "the emulator".into(),
            message: other.to_string(),
            cause: None,
        },
    }
}

/// Prints what was sent and answered; a webhook that did not answer makes
/// the command fail (after printing), so scripts notice.
fn print_delivery(delivery: &Delivery, out: Output) -> Result<()> {
    let text = if out.json {
        serde_json::to_string_pretty(delivery).map_err(|e| Error::Configuration {
            message: format!("cannot print JSON: {e}"),
        })?
    } else {
        describe(delivery)
    };
    say!("{}", text.trim_end_matches('\n'));
    match &delivery.error {
        Some(message) => Err(Error::Transport {
            provider: format!("the webhook {}", delivery.request.url),
            message: message.clone(),
            cause: None,
        }),
        None => Ok(()),
    }
}

/// The delivery in a few lines: who called whom, the request line, the
/// answer's status and type, and its body.
fn describe(delivery: &Delivery) -> String {
    let kind = match delivery.kind {
        DeliveryKind::Call => "call",
        DeliveryKind::Message => "message",
    };
    let mut text = format!(
        "{kind} {} to {} from {} ({} account {})\nsent    {} {}\n",
        delivery.sid,
        delivery.to,
        delivery.from,
        delivery.carrier,
        delivery.account,
        delivery.request.method,
        delivery.request.url
    );
    if let Some(answer) = &delivery.answer {
        text.push_str(&format!(
            "answer  {} {} in {} ms{}\n",
            answer.status,
            answer
                .content_type
                .as_deref()
                .unwrap_or("(no content type)"),
            delivery.elapsed_ms,
            if answer.truncated { " (cut)" } else { "" }
        ));
        if !answer.body.is_empty() {
            text.push_str(&answer.body);
            if !answer.body.ends_with('\n') {
                text.push('\n');
            }
        }
    }
    text
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
    say!("carrier emulator on http://{addr} ({:?})", args.carrier);
    if args.carrier.twilio() {
        say!(
            "  twilio:     TWILIO_BASE_URL=http://{addr} TWILIO_ACCOUNT_SID={DEFAULT_TWILIO_ACCOUNT_SID} TWILIO_AUTH_TOKEN={DEFAULT_TWILIO_AUTH_TOKEN}"
        );
    }
    if args.carrier.signalwire() {
        say!(
            "  signalwire: SIGNALWIRE_SPACE_URL=http://{addr} SIGNALWIRE_PROJECT_ID={DEFAULT_SIGNALWIRE_PROJECT_ID} SIGNALWIRE_API_TOKEN={DEFAULT_SIGNALWIRE_TOKEN} SIGNALWIRE_SIGNING_KEY={}",
            args.signalwire_signing_key
        );
    }
    if args.carrier.telnyx() {
        say!(
            "  telnyx:     TELNYX_BASE_URL=http://{addr}/v2 TELNYX_API_KEY={DEFAULT_TELNYX_API_KEY}"
        );
    }
    say!(
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: EmulatorArgs,
    }

    fn delivery(answer: Option<&str>) -> Delivery {
        serde_json::from_value(serde_json::json!({
            "seq": 1, "kind": "call", "carrier": "twilio", "account": "AC1",
            "number_id": "PN1", "to": "+15125550100", "from": "+16045550199",
            "sid": "CA1",
            "request": {"method": "POST", "url": "http://127.0.0.1:9/voice",
                        "headers": {}, "body": "", "params": []},
            "answer": answer.map(|body| serde_json::json!({
                "status": 200, "content_type": "text/xml", "body": body})),
            "error": if answer.is_none() { Some("could not connect") } else { None },
            "elapsed_ms": 4,
        }))
        .unwrap()
    }

    #[test]
    fn params_must_be_name_value() {
        assert_eq!(name_value("A=b=c").unwrap(), ("A".into(), "b=c".into()));
        assert!(name_value("=x").unwrap_err().contains("NAME=VALUE"));
        assert!(name_value("novalue").is_err());
    }

    #[test]
    fn no_subcommand_serves_and_serve_flags_do_not_mix_with_call() {
        let cli = Cli::try_parse_from(["emulator", "--strict", "--webhook-timeout", "3"]).unwrap();
        assert!(cli.args.command.is_none());
        assert!(cli.args.serve.strict);
        assert_eq!(cli.args.serve.webhook_timeout, 3);
        let cli = Cli::try_parse_from([
            "emulator",
            "call",
            "--to",
            "+15125550100",
            "--from",
            "+1604",
            "--param",
            "X=1",
        ])
        .unwrap();
        match cli.args.command {
            Some(EmulatorCommand::Call(call)) => {
                assert_eq!(call.common.emulator, DEFAULT_EMULATOR_URL);
                assert_eq!(call.common.params, vec![("X".into(), "1".into())]);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            Cli::try_parse_from(["emulator", "--strict", "call", "--to", "+1", "--from", "+1"])
                .is_err()
        );
        assert!(Cli::try_parse_from(["emulator", "message", "--to", "+1"]).is_err());
    }

    #[test]
    fn the_text_shows_the_request_and_the_answer() {
        let text = describe(&delivery(Some("<Response/>")));
        assert!(
            text.starts_with("call CA1 to +15125550100 from +16045550199 (twilio account AC1)\n"),
            "{text}"
        );
        assert!(
            text.contains("sent    POST http://127.0.0.1:9/voice\n"),
            "{text}"
        );
        assert!(
            text.contains("answer  200 text/xml in 4 ms\n<Response/>\n"),
            "{text}"
        );
        assert!(!describe(&delivery(None)).contains("answer"));
    }

    #[test]
    fn a_webhook_without_an_answer_fails_the_command_and_names_it() {
        let error = print_delivery(&delivery(None), Output { json: true }).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("http://127.0.0.1:9/voice") && text.contains("could not connect"),
            "{text}"
        );
        assert!(print_delivery(&delivery(Some("")), Output { json: false }).is_ok());
    }

    #[test]
    fn the_emulators_refusal_keeps_its_status_and_message() {
        let error = remote_error(RemoteError::Refused {
            status: 404,
            reason: Some("unknown_number".into()),
            message: "no account of this emulator owns +15125550100".into(),
        });
        let text = error.to_string();
        assert!(
            text.contains("404") && text.contains("owns +15125550100"),
            "{text}"
        );
        let error = remote_error(RemoteEmulator::new("ftp://x").unwrap_err());
        assert!(error.to_string().contains("--emulator"), "{error}");
    }
}
