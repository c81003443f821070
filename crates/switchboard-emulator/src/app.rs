//! The shared state of one server and the gate every carrier request passes:
//! authentication, the in-flight cap, injected faults, and the request log.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use secrecy::SecretString;
use switchboard_core::Clock;
use switchboard_fake::Inventory;
use tokio::sync::Notify;

use crate::config::{AfterCommit, Behaviour, Carriers, EmulatorConfig, Faults, Operation};
use crate::credentials::secret_matches;
use crate::errors;
use crate::inbound::Deliveries;
use crate::lag::LeftOut;
use crate::log::{LoggedRequest, Outcome, RequestLog};
use crate::state::{AccountKey, EmulatorClock, Ids, Store, splitmix64};
use crate::telnyx::{self, Orders};

/// Path prefix of the Twilio protocol.
pub(crate) const TWILIO_PREFIX: &str = "/2010-04-01/";
/// Path prefix of the SignalWire protocol.
pub(crate) const SIGNALWIRE_PREFIX: &str = "/api/relay/rest/";
/// Path prefix of the Telnyx protocol (`https://api.telnyx.com/v2`).
pub(crate) const TELNYX_PREFIX: &str = "/v2/";

/// The wire protocol a request speaks, told by its path prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Twilio,
    SignalWire,
    Telnyx,
}

impl Protocol {
    /// The protocol of `path`, if this server serves it.
    pub(crate) fn of(path: &str, carriers: Carriers) -> Option<Self> {
        if path.starts_with(TWILIO_PREFIX) && carriers.twilio() {
            Some(Protocol::Twilio)
        } else if path.starts_with(SIGNALWIRE_PREFIX) && carriers.signalwire() {
            Some(Protocol::SignalWire)
        } else if path.starts_with(TELNYX_PREFIX) && carriers.telnyx() {
            Some(Protocol::Telnyx)
        } else {
            None
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Protocol::Twilio => "twilio",
            Protocol::SignalWire => "signalwire",
            Protocol::Telnyx => "telnyx",
        }
    }
}

/// Lets a handler close its connection without answering. The accept loop
/// puts one in every request's extensions.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionControl(pub Arc<Notify>);

/// Marks a response whose request changed carrier state, so the gate knows
/// the change is committed before it decides to lose the answer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Committed;

struct TwilioCredentials {
    account_sid: String,
    secret: SecretString,
    trial: bool,
}

/// Everything one running server shares between connections.
pub(crate) struct App {
    pub config: EmulatorConfig,
    pub inventory: Inventory,
    pub store: Store,
    pub ids: Ids,
    pub clock: EmulatorClock,
    pub log: RequestLog,
    /// The inbound calls and messages sent to the numbers' webhooks.
    pub deliveries: Deliveries,
    /// Telnyx number orders.
    pub orders: Orders,
    behaviour: RwLock<Behaviour>,
    faults: RwLock<Arc<Faults>>,
    in_flight: Mutex<HashMap<AccountKey, u32>>,
    fault_draws: AtomicU64,
    /// Username (`AC...` or `SK...`) to credentials.
    twilio: HashMap<String, TwilioCredentials>,
    signalwire: HashMap<String, SecretString>,
    /// Telnyx user id and API key, in configuration order.
    telnyx: Vec<(String, SecretString)>,
}

impl App {
    /// Fails only if the webhook client cannot be built (no TLS backend).
    pub(crate) fn new(
        config: EmulatorConfig,
        clock: Option<Arc<dyn Clock>>,
    ) -> Result<Self, reqwest::Error> {
        let mut twilio = HashMap::new();
        for account in &config.twilio_accounts {
            twilio.insert(
                account.account_sid.clone(),
                TwilioCredentials {
                    account_sid: account.account_sid.clone(),
                    secret: account.auth_token.clone(),
                    trial: account.trial,
                },
            );
            for key in &account.api_keys {
                twilio.insert(
                    key.sid.clone(),
                    TwilioCredentials {
                        account_sid: account.account_sid.clone(),
                        secret: key.secret.clone(),
                        trial: account.trial,
                    },
                );
            }
        }
        let signalwire = config
            .signalwire_projects
            .iter()
            .map(|p| (p.project_id.clone(), p.token.clone()))
            .collect();
        let telnyx = config
            .telnyx_accounts
            .iter()
            .map(|a| (a.user_id.clone(), a.api_key.clone()))
            .collect();
        let deliveries = Deliveries::new(
            config.id_seed,
            config.webhook_timeout,
            config.request_log_capacity,
        )?;
        Ok(Self {
            inventory: Inventory::new(config.inventory_seed, config.inventory_size),
            store: Store::default(),
            ids: Ids::new(config.id_seed),
            clock: EmulatorClock::new(clock),
            log: RequestLog::new(config.request_log_capacity),
            deliveries,
            orders: Orders::default(),
            behaviour: RwLock::new(config.behaviour),
            faults: RwLock::new(Arc::new(config.faults.clone())),
            in_flight: Mutex::new(HashMap::new()),
            fault_draws: AtomicU64::new(0),
            twilio,
            signalwire,
            telnyx,
            config,
        })
    }

    pub(crate) fn behaviour(&self) -> Behaviour {
        *self.behaviour.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set_behaviour(&self, behaviour: Behaviour) {
        *self.behaviour.write().unwrap_or_else(|p| p.into_inner()) = behaviour;
    }

    pub(crate) fn faults(&self) -> Arc<Faults> {
        self.faults
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        *self.faults.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(faults);
        self.fault_draws.store(0, Ordering::Relaxed);
    }

    /// Whether a Twilio account is a trial account.
    pub(crate) fn twilio_trial(&self, account_sid: &str) -> bool {
        self.twilio.get(account_sid).is_some_and(|c| c.trial)
    }

    /// A uniform draw in `[0, 1)`, the `n`-th since the faults were set.
    fn draw(&self, seed: u64) -> f64 {
        let n = self.fault_draws.fetch_add(1, Ordering::Relaxed);
        let bits = splitmix64(seed ^ splitmix64(n));
        (bits >> 11) as f64 / (1u64 << 53) as f64
    }

    fn authenticate_twilio(&self, path: &str, request: &Request) -> Option<AccountKey> {
        let path_sid = path
            .strip_prefix(TWILIO_PREFIX)?
            .strip_prefix("Accounts/")?
            .split('/')
            .next()?;
        let (user, password) = basic_credentials(request)?;
        let credentials = self.twilio.get(&user)?;
        (credentials.account_sid == path_sid && secret_matches(&credentials.secret, &password))
            .then(|| AccountKey::Twilio(credentials.account_sid.clone()))
    }

    fn authenticate_signalwire(&self, request: &Request) -> Option<AccountKey> {
        let (user, password) = basic_credentials(request)?;
        let token = self.signalwire.get(&user)?;
        secret_matches(token, &password).then_some(AccountKey::SignalWire(user))
    }

    /// A Telnyx API v2 key, sent as `Authorization: Bearer <key>`. Every
    /// configured key is compared, so the time taken does not tell which
    /// account a wrong key came close to.
    fn authenticate_telnyx(&self, request: &Request) -> Option<AccountKey> {
        let value = request
            .headers()
            .get(header::AUTHORIZATION)?
            .to_str()
            .ok()?;
        let (scheme, key) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let key = key.trim();
        let mut found = None;
        for (user_id, secret) in &self.telnyx {
            if secret_matches(secret, key) && found.is_none() {
                found = Some(AccountKey::Telnyx(user_id.clone()));
            }
        }
        found
    }

    /// Takes an in-flight slot, or `None` when the account is at its cap.
    fn enter(self: &Arc<Self>, account: &AccountKey, cap: Option<u32>) -> Option<InFlight> {
        let mut counts = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(account.clone()).or_insert(0);
        if cap.is_some_and(|cap| *count >= cap) {
            return None;
        }
        *count += 1;
        Some(InFlight {
            app: Arc::clone(self),
            account: account.clone(),
        })
    }
}

/// An in-flight slot, given back when the request ends (answered, failed or
/// dropped with its connection).
struct InFlight {
    app: Arc<App>,
    account: AccountKey,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut counts = self.app.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.account) {
            *count = count.saturating_sub(1);
        }
    }
}

/// Basic credentials, decoded; `None` when absent or malformed.
fn basic_credentials(request: &Request) -> Option<(String, String)> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// The operation a matched route performs.
fn operation(method: &Method, route: &str) -> Option<Operation> {
    let op = if route.contains("/AvailablePhoneNumbers/") || route.ends_with("/search") {
        Operation::Search
    } else if route.ends_with("/IncomingPhoneNumbers.json") || route.ends_with("/phone_numbers") {
        match *method {
            Method::GET => Operation::List,
            Method::POST => Operation::Purchase,
            _ => return None,
        }
    } else {
        match *method {
            Method::GET => Operation::Fetch,
            Method::POST | Method::PUT => Operation::Update,
            Method::DELETE => Operation::Release,
            _ => return None,
        }
    };
    Some(op)
}

/// Runs before every carrier handler: authenticates, applies the cap and
/// the faults, logs, and loses committed answers when told to.
pub(crate) async fn gate(
    State(app): State<Arc<App>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let Some(protocol) = Protocol::of(&path, app.config.carriers) else {
        return next.run(request).await;
    };
    let seq = app.log.next_seq();
    let mut entry = LoggedRequest {
        seq,
        carrier: protocol.name().into(),
        account: None,
        operation: request
            .extensions()
            .get::<MatchedPath>()
            .and_then(|route| match protocol {
                Protocol::Telnyx => telnyx::operation(request.method(), route.as_str()),
                _ => operation(request.method(), route.as_str()),
            }),
        method: request.method().to_string(),
        path,
        query: request.uri().query().map(str::to_string),
        status: None,
        outcome: Outcome::Answered,
        left_out: 0,
    };
    let control = request.extensions().get::<ConnectionControl>().cloned();

    let account = match protocol {
        Protocol::Twilio => app.authenticate_twilio(&entry.path, &request),
        Protocol::SignalWire => app.authenticate_signalwire(&request),
        Protocol::Telnyx => app.authenticate_telnyx(&request),
    };
    let Some(account) = account else {
        let response = match protocol {
            Protocol::Twilio => errors::twilio(
                StatusCode::UNAUTHORIZED,
                errors::TWILIO_AUTH,
                "Authentication Error - invalid username",
            ),
            Protocol::SignalWire => errors::signalwire_plain(StatusCode::UNAUTHORIZED),
            Protocol::Telnyx => telnyx::errors::unauthorized(),
        };
        return finish(&app, entry, response);
    };
    entry.account = Some(account.id().to_string());
    request.extensions_mut().insert(account.clone());

    let faults = app.faults();
    // Slots are only counted while a cap is set: the count costs a lock.
    let slot = match faults.max_in_flight {
        None => Some(None),
        Some(cap) => app.enter(&account, Some(cap)).map(Some),
    };
    let Some(_slot) = slot else {
        let response = match protocol {
            Protocol::Twilio => errors::with_retry_after(
                errors::twilio(
                    StatusCode::TOO_MANY_REQUESTS,
                    errors::TWILIO_TOO_MANY,
                    "Too Many Requests",
                ),
                faults.retry_after_secs,
            ),
            Protocol::SignalWire => errors::with_retry_after(
                errors::signalwire_errors(
                    StatusCode::TOO_MANY_REQUESTS,
                    Some("Too many concurrent requests for this project".into()),
                ),
                faults.retry_after_secs,
            ),
            // Telnyx tells the wait in its rate-limit headers, not
            // `Retry-After`.
            Protocol::Telnyx => telnyx::errors::too_many_requests(
                faults.max_in_flight.unwrap_or(1),
                faults.retry_after_secs,
            ),
        };
        return finish(&app, entry, response);
    };

    let applies = entry.operation.is_some_and(|op| faults.applies_to(op));
    if applies {
        if let Some(latency) = faults.latency {
            let span = latency.max_ms - latency.min_ms;
            let extra = (app.draw(faults.seed) * span.saturating_add(1) as f64) as u64;
            let delay = latency.min_ms + extra.min(span);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
        }
        if faults.error_rate > 0.0 && app.draw(faults.seed) < faults.error_rate {
            let status = StatusCode::from_u16(faults.error_status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let response = match protocol {
                Protocol::Telnyx => telnyx::errors::server_error(status),
                _ => errors::server_error(protocol == Protocol::Twilio, status),
            };
            return finish(&app, entry, response);
        }
        if faults.drop_rate > 0.0 && app.draw(faults.seed) < faults.drop_rate {
            entry.outcome = Outcome::Dropped;
            app.log.push(entry);
            return lose_connection(control, Duration::ZERO).await;
        }
    }

    let response = next.run(request).await;

    if applies
        && response.extensions().get::<Committed>().is_some()
        && let Some(commit) = faults.commit_then_timeout
        && app.draw(faults.seed) < commit.rate
    {
        entry.status = Some(response.status().as_u16());
        let hold = match commit.mode {
            AfterCommit::Hang => {
                entry.outcome = Outcome::CommittedThenHung;
                Duration::from_millis(commit.hold_ms)
            }
            AfterCommit::Drop => {
                entry.outcome = Outcome::CommittedThenDropped;
                Duration::ZERO
            }
        };
        app.log.push(entry);
        drop(response);
        return lose_connection(control, hold).await;
    }
    finish(&app, entry, response)
}

fn finish(app: &App, mut entry: LoggedRequest, response: Response) -> Response {
    entry.status = Some(response.status().as_u16());
    if let Some(LeftOut(n)) = response.extensions().get::<LeftOut>() {
        entry.left_out = *n;
    }
    app.log.push(entry);
    response
}

/// Waits `hold`, then closes the connection without an answer. The future
/// never completes: the accept loop drops it with the connection.
async fn lose_connection(control: Option<ConnectionControl>, hold: Duration) -> Response {
    if !hold.is_zero() {
        tokio::time::sleep(hold).await;
    }
    if let Some(ConnectionControl(kill)) = control {
        kill.notify_one();
    }
    std::future::pending::<Response>().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_their_operations() {
        let local =
            "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json";
        assert_eq!(operation(&Method::GET, local), Some(Operation::Search));
        let list = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json";
        assert_eq!(operation(&Method::POST, list), Some(Operation::Purchase));
        assert_eq!(operation(&Method::GET, list), Some(Operation::List));
        let one = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}";
        assert_eq!(operation(&Method::POST, one), Some(Operation::Update));
        assert_eq!(operation(&Method::DELETE, one), Some(Operation::Release));
        assert_eq!(
            operation(&Method::GET, "/api/relay/rest/phone_numbers/search"),
            Some(Operation::Search)
        );
        assert_eq!(
            operation(&Method::PUT, "/api/relay/rest/phone_numbers/{id}"),
            Some(Operation::Update)
        );
        assert_eq!(
            operation(&Method::POST, "/api/relay/rest/phone_numbers"),
            Some(Operation::Purchase)
        );
    }
}
