//! Command-line parsing and dispatch. Every command reads the same
//! configuration, so `token create` and `serve` run in one folder share the
//! default SQLite file.

/// `println!` for command output: a reader that went away (`switchboard
/// numbers search | head -1`) ends the output quietly instead of panicking
/// the command, as `println!` does on a closed pipe.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::say_line(format_args!($($arg)*))
    };
}

#[cfg(feature = "emulator")]
mod emulator;
mod import;
mod numbers;
mod output;
#[cfg(feature = "server")]
mod serve;
mod tokens;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use switchboard::config::{Config, ProcessEnvironment};
use switchboard::{AccountId, Error, ReconcileOptions, Result};

pub use output::Output;

/// Writes one line of output; see [`say!`]. A closed pipe is not an error
/// (whoever read what they wanted is gone); any other write error is told
/// on stderr once per line, never as a panic.
pub(crate) fn say_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_fmt(args)
        .and_then(|()| stdout.write_all(b"\n"));
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(std::io::stderr(), "error: cannot write to stdout: {e}");
    }
}

/// Buy and manage phone numbers across carriers.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about)]
pub struct Args {
    /// TOML configuration file (default: $SWITCHBOARD_CONFIG, else built-in
    /// defaults: fake carrier, SQLite file ./switchboard.db).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print JSON instead of text, for scripts.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: boxing the large variant would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service.
    #[cfg(feature = "server")]
    Serve(serve::ServeArgs),
    /// Search, buy, change and release numbers.
    #[command(subcommand)]
    Numbers(numbers::NumbersCommand),
    /// Create, list and revoke API tokens.
    #[command(subcommand)]
    Token(tokens::TokenCommand),
    /// Run a local Twilio / SignalWire emulator to develop against.
    #[cfg(feature = "emulator")]
    Emulator(emulator::EmulatorArgs),
    /// Compare records with the carriers; repair the drift and print it.
    Reconcile {
        /// Also release numbers the carrier has that no record holds.
        #[arg(long)]
        release_orphans: bool,
        /// Also point numbers whose webhooks at the carrier differ from
        /// their record back at the record's webhooks.
        #[arg(long)]
        repair_routing: bool,
    },
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub async fn run(args: Args) -> Result<()> {
    let config = Config::load(args.config.as_deref(), &ProcessEnvironment)?;
    let out = Output { json: args.json };
    match args.command {
        #[cfg(feature = "server")]
        Command::Serve(serve_args) => serve::run(&config, serve_args, out).await,
        #[cfg(feature = "emulator")]
        Command::Emulator(emulator_args) => emulator::run(emulator_args, out).await,
        Command::Numbers(command) => numbers::run(&config, command, out).await,
        Command::Token(command) => tokens::run(&config, command, out).await,
        Command::Reconcile {
            release_orphans,
            repair_routing,
        } => {
            let app = switchboard::open(&config).await?;
            let report = app
                .service
                .reconcile(&ReconcileOptions {
                    release_orphans,
                    repair_routing,
                })
                .await?;
            out.reconcile(&report)
        }
    }
}

/// The account a command acts for.
fn account(name: &str) -> Result<AccountId> {
    AccountId::parse(name).map_err(|reason| Error::invalid("account", reason))
}
