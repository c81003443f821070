//! `switchboard serve`: the HTTP service, with graceful shutdown on SIGTERM
//! or Ctrl-C.

use std::time::Duration;

use clap::Args as ClapArgs;
use switchboard::config::Config;
use switchboard::{AccountId, Error, Result};
use switchboard_http::{ServeOptions, router, serve_with};
use tokio::net::TcpListener;

use super::Output;
use super::numbers::DEFAULT_ACCOUNT;
use super::tokens::issue;

/// The label of the token `serve` prints on the embedded defaults.
const DEV_TOKEN_LABEL: &str = "development";

#[derive(Debug, ClapArgs)]
pub struct ServeArgs {
    /// Address to listen on (default: $SWITCHBOARD_LISTEN, else 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Never print a development token, even on the fake carrier.
    #[arg(long)]
    no_dev_token: bool,
    /// Seconds a client has to send a request's headers (default 10).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: Option<u64>,
    /// Seconds an idle keep-alive connection is kept open (default 60).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: Option<u64>,
    /// Connections served at once; more wait to be accepted (default 1024).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: Option<u32>,
}

impl ServeArgs {
    /// The connection limits, the defaults where no flag was given.
    fn serve_options(&self) -> ServeOptions {
        let mut options = ServeOptions::default();
        if let Some(seconds) = self.header_timeout {
            options = options.with_header_read_timeout(Duration::from_secs(seconds));
        }
        if let Some(seconds) = self.idle_timeout {
            options = options.with_idle_timeout(Duration::from_secs(seconds));
        }
        if let Some(max) = self.max_connections {
            options = options.with_max_connections(max as usize);
        }
        options
    }
}

pub async fn run(config: &Config, args: ServeArgs, out: Output) -> Result<()> {
    let reconcile_every = config.reconcile_interval()?;
    let settle_every = config.settle_interval()?;
    let app = switchboard::open(config).await?;
    let listen = args.listen.as_deref().unwrap_or(config.listen());
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| Error::Configuration {
            message: format!("cannot listen on {listen}: {e}"),
        })?;
    let addr = listener.local_addr().map_err(|e| Error::Configuration {
        message: format!("cannot read the listening address: {e}"),
    })?;

    // On the fake carrier nothing real can be bought, so a fresh token for
    // the development account is printed to get started; earlier ones are
    // revoked so they do not pile up.
    if app.service.providers().default_name() == "fake" && !args.no_dev_token {
        let dev = AccountId::parse(DEFAULT_ACCOUNT).map_err(|r| Error::invalid("account", r))?;
        for old in app.tokens.list_tokens(Some(dev.clone())).await? {
            if old.label.as_deref() == Some(DEV_TOKEN_LABEL) && old.revoked_at.is_none() {
                app.tokens.revoke_token(old.id, chrono::Utc::now()).await?;
            }
        }
        let (token, secret) = issue(dev, Some(DEV_TOKEN_LABEL.into()));
        app.tokens.insert_token(&token).await?;
        if out.json {
            say!(
                "{}",
                serde_json::json!({"listen": addr.to_string(), "dev_token": secret})
            );
        } else {
            say!("switchboard listening on http://{addr} (carrier: fake)");
            say!("development token for account {DEFAULT_ACCOUNT}: {secret}");
            say!(
                "try: curl -H \"Authorization: Bearer {secret}\" http://{addr}/functions/v1/list-phone-numbers"
            );
        }
    } else if out.json {
        say!("{}", serde_json::json!({"listen": addr.to_string()}));
    } else {
        say!(
            "switchboard listening on http://{addr} (carrier: {})",
            app.service.providers().default_name()
        );
    }

    if let Some(inbound) = &app.inbound {
        tracing::info!(
            carriers = ?inbound.routing.keys().collect::<Vec<_>>(),
            "answering carriers' webhooks under /functions/v1/inbound/"
        );
    }
    let state = app.app_state();
    if let Some(every) = reconcile_every {
        // Through the routes' service, so that its carrier calls and what it
        // finds show in `GET /metrics` beside theirs.
        tokio::spawn(reconcile_periodically(
            state.service().clone(),
            state.metrics().clone(),
            every,
        ));
    }
    if let Some(every) = settle_every {
        tokio::spawn(settle_periodically(state.service().clone(), every));
    }
    serve_with(
        listener,
        router(state),
        args.serve_options(),
        shutdown_signal(),
    )
    .await
    .map_err(|e| Error::Configuration {
        message: format!("server failed: {e}"),
    })
}

/// Settles what requests left open (pending releases, purchases whose
/// answer was lost, reservations of a crashed process) without an operator.
/// Orphans at the carrier are only reported: releasing them is an operator's
/// decision (`switchboard reconcile --release-orphans`).
async fn reconcile_periodically(
    service: switchboard::ProvisioningService,
    metrics: std::sync::Arc<switchboard_http::Metrics>,
    every: Duration,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let result = service
            .reconcile(&switchboard::ReconcileOptions::default())
            .await;
        if let Ok(report) = &result {
            metrics.observe_reconcile(report);
        }
        match result {
            Ok(report) if !report.errors.is_empty() => tracing::warn!(
                records = report.records_checked,
                drift = report.drift.len(),
                repaired = report.repaired(),
                errors = ?report.errors,
                "reconcile could not check everything; will try again"
            ),
            Ok(report) if report.drift.is_empty() => {
                tracing::debug!(records = report.records_checked, "reconcile: no drift");
            }
            Ok(report) => tracing::info!(
                records = report.records_checked,
                drift = report.drift.len(),
                repaired = report.repaired(),
                "reconcile"
            ),
            Err(error) => tracing::warn!(%error, "reconcile failed; will try again"),
        }
    }
}

/// Settles carrier orders that provisions left open, often (a pending
/// number should become active soon after its order completes) and
/// cheaply (only pending records are read, and each order asked about
/// once), beside the slower full reconcile, which settles them too. Every
/// write is a compare-and-swap from `pending`, so this, requests, reconcile
/// and other processes' settlers never undo each other.
async fn settle_periodically(service: switchboard::ProvisioningService, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        match service.settle_orders().await {
            Ok(report) if report.drift.is_empty() && report.errors.is_empty() => {
                tracing::debug!(pending = report.records_checked, "settle: nothing changed");
            }
            Ok(report) => tracing::info!(
                pending = report.records_checked,
                settled = report.repaired(),
                drift = ?report.drift,
                errors = ?report.errors,
                "settle"
            ),
            Err(error) => tracing::warn!(%error, "settling orders failed; will try again"),
        }
    }
}

/// Completes on SIGTERM or Ctrl-C; in-flight requests are then drained.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down; letting requests in flight finish");
    // Give up waiting eventually so a stuck client cannot hold the process.
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        tracing::warn!("requests still in flight after 30 s; exiting");
        std::process::exit(1);
    });
}
