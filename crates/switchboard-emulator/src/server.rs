//! Starting and stopping a server, and the Rust API over a running one.
//!
//! The accept loop is hand-written (hyper's HTTP/1 connection under a
//! `select!`) rather than `axum::serve`, because faults need to close one
//! connection without answering, which `axum::serve` cannot do.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use switchboard_core::Clock;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::app::{App, ConnectionControl, Protocol, gate};
use crate::config::{Behaviour, Carriers, EmulatorConfig, Faults, Mode, TelnyxOrderOutcome};
use crate::credentials::{SignalWireProject, TelnyxAccount, TwilioAccount};
use crate::errors;
use crate::inbound::{self, CallRequest, Delivery, InboundError, MessageRequest};
use crate::log::LoggedRequest;
use crate::state::OwnedNumbers;
use crate::telnyx::{TelnyxOrder, TelnyxSettlement};
use crate::{control, signalwire, telnyx, twilio};

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The configuration is inconsistent; the message names the field.
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// Binding or reading the listener failed.
    #[error("emulator listener: {0}")]
    Io(#[from] io::Error),
    /// The HTTP client that delivers inbound webhooks could not be built.
    #[error("emulator webhook client: {0}")]
    Client(String),
}

/// Entry point of the builder.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// A builder with the default configuration: all three protocols, live mode,
    /// the default test accounts, no faults.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            config: EmulatorConfig::default(),
            clock: None,
            replaced_twilio: false,
            replaced_signalwire: false,
            replaced_telnyx: false,
        }
    }
}

/// Configures a server before it starts.
#[derive(Debug)]
pub struct EmulatorBuilder {
    config: EmulatorConfig,
    clock: Option<Arc<dyn Clock>>,
    replaced_twilio: bool,
    replaced_signalwire: bool,
    replaced_telnyx: bool,
}

impl EmulatorBuilder {
    /// Starts from a whole configuration.
    pub fn config(mut self, config: EmulatorConfig) -> Self {
        self.config = config;
        self.replaced_twilio = true;
        self.replaced_signalwire = true;
        self.replaced_telnyx = true;
        self
    }

    /// Which protocols to serve.
    pub fn carriers(mut self, carriers: Carriers) -> Self {
        self.config.carriers = carriers;
        self
    }

    /// Live quirks or strict OpenAPI shapes.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.config.behaviour.mode = mode;
        self
    }

    /// Adds a Twilio account; the first call replaces the default account.
    pub fn twilio_account(mut self, account: TwilioAccount) -> Self {
        if !self.replaced_twilio {
            self.config.twilio_accounts.clear();
            self.replaced_twilio = true;
        }
        self.config.twilio_accounts.push(account);
        self
    }

    /// Adds a SignalWire project; the first call replaces the default one.
    pub fn signalwire_project(mut self, project: SignalWireProject) -> Self {
        if !self.replaced_signalwire {
            self.config.signalwire_projects.clear();
            self.replaced_signalwire = true;
        }
        self.config.signalwire_projects.push(project);
        self
    }

    /// Adds a Telnyx account; the first call replaces the default one.
    pub fn telnyx_account(mut self, account: TelnyxAccount) -> Self {
        if !self.replaced_telnyx {
            self.config.telnyx_accounts.clear();
            self.replaced_telnyx = true;
        }
        self.config.telnyx_accounts.push(account);
        self
    }

    /// How Telnyx number orders settle (default: complete).
    pub fn telnyx_order_outcome(mut self, outcome: TelnyxOrderOutcome) -> Self {
        self.config.behaviour.telnyx_order_outcome = outcome;
        self
    }

    /// How long a Telnyx order stays pending before it completes or fails
    /// (default [`crate::DEFAULT_TELNYX_ORDER_DELAY_MS`]).
    pub fn telnyx_order_delay(mut self, delay: Duration) -> Self {
        self.config.behaviour.telnyx_order_delay_ms =
            u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// The numbers for sale: seed and size of the fake carrier's inventory.
    pub fn inventory(mut self, seed: u64, size: usize) -> Self {
        self.config.inventory_seed = seed;
        self.config.inventory_size = size;
        self
    }

    /// Faults from the start.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.config.faults = faults;
        self
    }

    /// SignalWire's release cooldown (`None`: off, the default).
    pub fn release_cooldown(mut self, cooldown: Option<Duration>) -> Self {
        self.config.behaviour.signalwire_release_cooldown_secs = cooldown.map(|d| d.as_secs());
        self
    }

    /// How long an inbound webhook may take to answer (default 15 s, as
    /// Twilio waits for a voice webhook).
    pub fn webhook_timeout(mut self, timeout: Duration) -> Self {
        self.config.webhook_timeout = timeout;
        self
    }

    /// The clock behind timestamps and the cooldown (default: the system
    /// clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Binds `127.0.0.1` on a free port and starts serving.
    pub async fn start(self) -> Result<RunningEmulator, EmulatorError> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        self.start_on(listener).await
    }

    /// Starts serving on `listener`.
    pub async fn start_on(self, listener: TcpListener) -> Result<RunningEmulator, EmulatorError> {
        self.config.validate().map_err(EmulatorError::Config)?;
        let addr = listener.local_addr()?;
        let app = Arc::new(
            App::new(self.config, self.clock).map_err(|e| EmulatorError::Client(e.to_string()))?,
        );
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(app.clone(), listener, async move {
            let mut stopped = stopped;
            let _ = stopped.wait_for(|stop| *stop).await;
        }));
        Ok(RunningEmulator {
            addr,
            handle: EmulatorHandle { app },
            stop,
            task: Some(task),
        })
    }
}

/// A server running in this process; dropping it stops the server.
#[derive(Debug)]
pub struct RunningEmulator {
    addr: SocketAddr,
    handle: EmulatorHandle,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl RunningEmulator {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the Twilio base URL (paths start with
    /// `/2010-04-01`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/api/relay/rest`: the SignalWire REST base URL.
    pub fn signalwire_base_url(&self) -> String {
        format!("http://{}/api/relay/rest", self.addr)
    }

    /// `http://127.0.0.1:PORT/v2`: the Telnyx API v2 base URL (Telnyx's own
    /// is `https://api.telnyx.com/v2`).
    pub fn telnyx_base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// The control API, usable after the server is dropped too (it then
    /// reads the final state).
    pub fn handle(&self) -> EmulatorHandle {
        self.handle.clone()
    }

    /// Stops accepting, cuts open connections, and waits for the loop.
    pub async fn shutdown(mut self) -> io::Result<()> {
        let _ = self.stop.send(true);
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| Err(io::Error::other(e))),
            None => Ok(()),
        }
    }
}

impl std::ops::Deref for RunningEmulator {
    type Target = EmulatorHandle;
    fn deref(&self) -> &EmulatorHandle {
        &self.handle
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The Rust side of the control endpoint: the same operations, in process.
#[derive(Clone)]
pub struct EmulatorHandle {
    app: Arc<App>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("config", &self.app.config)
            .finish()
    }
}

impl EmulatorHandle {
    /// Every logged request, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.app.log.entries()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.app.log.clear();
    }

    /// Every owned number, per account.
    pub fn owned_numbers(&self) -> Vec<OwnedNumbers> {
        self.app.store.snapshot()
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        self.app.faults().as_ref().clone()
    }

    /// Replaces the faults; refused (with the reason) if out of range.
    pub fn set_faults(&self, faults: Faults) -> Result<(), String> {
        faults.validate()?;
        self.app.set_faults(faults);
        Ok(())
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.app.set_faults(Faults::default());
    }

    /// The behaviour switches in force.
    pub fn behaviour(&self) -> Behaviour {
        self.app.behaviour()
    }

    /// Replaces the behaviour switches.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.app.set_behaviour(behaviour);
    }

    /// Switches between live and strict answers.
    pub fn set_mode(&self, mode: Mode) {
        let mut behaviour = self.app.behaviour();
        behaviour.mode = mode;
        self.app.set_behaviour(behaviour);
    }

    /// Moves the emulator's clock forward (past a release cooldown).
    pub fn advance_clock(&self, by: Duration) {
        self.app
            .clock
            .advance(i64::try_from(by.as_secs()).unwrap_or(i64::MAX));
    }

    /// Places an inbound call to a number an account owns: its carrier's
    /// voice webhook, signed with the account's key, and records it. A
    /// delivery that got no answer is still `Ok` (its `error` says why);
    /// `Err` means nothing was sent.
    pub async fn place_call(&self, call: &CallRequest) -> Result<Delivery, InboundError> {
        inbound::place_call(&self.app, call).await
    }

    /// Sends an inbound message to a number an account owns, as
    /// [`EmulatorHandle::place_call`] does a call.
    pub async fn send_message(&self, message: &MessageRequest) -> Result<Delivery, InboundError> {
        inbound::send_message(&self.app, message).await
    }

    /// Every call and message delivered, in the order they were placed.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.app.deliveries.log.entries()
    }

    /// Empties the delivery log.
    pub fn clear_deliveries(&self) {
        self.app.deliveries.log.clear();
    }

    /// Sets how Telnyx orders created from now on settle, and after how
    /// long (orders already placed keep theirs).
    pub fn set_telnyx_orders(&self, outcome: TelnyxOrderOutcome, delay: Duration) {
        let mut behaviour = self.app.behaviour();
        behaviour.telnyx_order_outcome = outcome;
        behaviour.telnyx_order_delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.app.set_behaviour(behaviour);
    }

    /// Every Telnyx number order, oldest first.
    pub fn telnyx_orders(&self) -> Vec<TelnyxOrder> {
        self.app.orders.summaries()
    }

    /// Settles a pending Telnyx order now: `Success` as if its regulatory
    /// requirements were met (its numbers become `active`), `Failure` as if
    /// they were refused (its numbers are for sale again). Refused, with
    /// the reason, for an unknown or already settled order.
    pub fn settle_telnyx_order(
        &self,
        order_id: &str,
        result: TelnyxSettlement,
    ) -> Result<TelnyxOrder, String> {
        telnyx::orders::settle(&self.app, order_id, result).map_err(|e| e.to_string())
    }

    /// Forgets every purchase, order, request and delivery, and removes the
    /// faults.
    pub fn reset(&self) {
        self.app.store.clear();
        self.app.orders.clear();
        self.app.log.clear();
        self.app.deliveries.log.clear();
        self.app.set_faults(Faults::default());
    }
}

/// Serves `config` on `listener` until `shutdown` completes. This is what a
/// CLI wires to `switchboard emulator --carrier ... --listen ...`.
pub async fn run_until(
    config: EmulatorConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), EmulatorError> {
    config.validate().map_err(EmulatorError::Config)?;
    let app = Arc::new(App::new(config, None).map_err(|e| EmulatorError::Client(e.to_string()))?);
    serve(app, listener, shutdown).await?;
    Ok(())
}

/// Serves `config` on `listener` until the process ends.
pub async fn run(config: EmulatorConfig, listener: TcpListener) -> Result<(), EmulatorError> {
    run_until(config, listener, std::future::pending()).await
}

fn router(app: Arc<App>) -> Router {
    let carriers = app.config.carriers;
    let mut routes = Router::new();
    if carriers.twilio() {
        routes = routes.merge(twilio::router());
    }
    if carriers.signalwire() {
        routes = routes.merge(signalwire::router());
    }
    if carriers.telnyx() {
        routes = routes.merge(telnyx::router());
    }
    routes
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), gate))
        .merge(control::router())
        .with_state(app)
}

/// A path no route serves: the carrier's 404 under a served carrier's
/// prefix, plain text elsewhere.
async fn not_found(State(app): State<Arc<App>>, request: Request) -> Response {
    let path = request.uri().path();
    match Protocol::of(path, app.config.carriers) {
        Some(Protocol::Twilio) => errors::twilio_not_found(path),
        Some(Protocol::SignalWire) => errors::signalwire_plain(StatusCode::NOT_FOUND),
        Some(Protocol::Telnyx) => telnyx::errors::not_found(&format!("the path {path}")),
        None => (StatusCode::NOT_FOUND, "not a path of this emulator\n").into_response(),
    }
}

async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let router = router(app);
    let (closing, closed) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: wait, then go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut closed = closed.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let control = ConnectionControl(kill.clone());
            let service =
                hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(control.clone());
                    router.clone().oneshot(request.map(axum::body::Body::new))
                });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                () = kill.notified() => {}
                _ = closed.wait_for(|c| *c) => {}
            }
        });
    }
    let _ = closing.send(true);
    Ok(())
}
