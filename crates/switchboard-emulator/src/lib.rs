//! A local, stateful emulator of the carriers' phone-number APIs: Twilio's
//! REST API 2010-04-01 (AvailablePhoneNumbers, IncomingPhoneNumbers),
//! SignalWire's REST API (`/api/relay/rest/phone_numbers`) and Telnyx's API
//! v2 (`/v2/available_phone_numbers`, `/v2/number_orders`,
//! `/v2/phone_numbers`), served over real HTTP so that the adapters, fault
//! tests and benchmarks run without a carrier.
//!
//! One server answers all three protocols (their paths never overlap)
//! unless [`Carriers`] narrows it. All sell the same seeded catalogue
//! (`switchboard_fake::Inventory`), and a number held by any account is
//! unavailable to every other. Answers follow the live services' reported
//! quirks by default ([`Mode::Live`]) or the OpenAPI documents exactly
//! ([`Mode::Strict`]). Telnyx buys by order: `POST /v2/number_orders`
//! answers `pending`, and the order completes after a delay, fails, or
//! waits for regulatory requirements, as [`TelnyxOrderOutcome`] says
//! ([`EmulatorHandle::set_telnyx_orders`],
//! [`EmulatorHandle::settle_telnyx_order`]). Faults (latency, an in-flight cap answering 429,
//! 5xx, dropped connections, "committed then the answer was lost", an
//! owned-number listing that lags the purchases) can be set at start or
//! changed while running, through [`EmulatorHandle`] or the JSON control
//! endpoint under `/__emulator/`.
//!
//! It also plays the caller, so that webhook receivers are tested end to
//! end: [`EmulatorHandle::place_call`] and [`EmulatorHandle::send_message`]
//! (or `POST /__emulator/calls`, `/__emulator/messages`, or
//! [`RemoteEmulator`] from another process) send the owning carrier's
//! inbound webhook to the number's configured URL, with the carrier's
//! parameter names and a valid signature (the Twilio account's auth token,
//! the SignalWire project's signing key), and answer a [`Delivery`]: the
//! exact request sent, so a test can replay or tamper with it, and what the
//! receiver answered.
//!
//! ```no_run
//! # async fn demo() -> Result<(), switchboard_emulator::EmulatorError> {
//! use switchboard_emulator::{Emulator, Mode};
//! let emulator = Emulator::builder().mode(Mode::Strict).start().await?;
//! let twilio_base = emulator.base_url(); // Twilio paths: /2010-04-01/...
//! let signalwire_base = emulator.signalwire_base_url();
//! let telnyx_base = emulator.telnyx_base_url(); // Telnyx paths: /v2/...
//! # let _ = (twilio_base, signalwire_base, telnyx_base);
//! println!("{:?}", emulator.requests());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod app;
mod config;
mod control;
mod credentials;
mod errors;
mod ids;
mod inbound;
mod lag;
mod log;
mod params;
mod server;
mod signalwire;
mod state;
mod surface;
mod telnyx;
mod twilio;

pub use config::{
    AfterCommit, Behaviour, Carriers, CommitThenTimeout, DEFAULT_TELNYX_ORDER_DELAY_MS,
    DEFAULT_WEBHOOK_TIMEOUT, EmulatorConfig, Faults, Latency, Mode, Operation, TelnyxOrderOutcome,
};
pub use control::CONTROL_PREFIX;
pub use credentials::{
    ApiKey, DEFAULT_SIGNALWIRE_PROJECT_ID, DEFAULT_SIGNALWIRE_SIGNING_KEY,
    DEFAULT_SIGNALWIRE_TOKEN, DEFAULT_TELNYX_API_KEY, DEFAULT_TELNYX_USER_ID,
    DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_API_KEY_SECRET, DEFAULT_TWILIO_API_KEY_SID,
    DEFAULT_TWILIO_AUTH_TOKEN, SignalWireProject, TelnyxAccount, TwilioAccount,
};
pub use inbound::{
    CallRequest, Delivery, DeliveryKind, InboundError, MAX_ANSWER_BYTES, MAX_BODY_CHARS, MAX_MEDIA,
    Media, MessageRequest, RemoteEmulator, RemoteError, SentWebhook, SigningKeyOverride,
    WebhookAnswer,
};
pub use log::{LoggedRequest, Outcome};
pub use server::{
    Emulator, EmulatorBuilder, EmulatorError, EmulatorHandle, RunningEmulator, run, run_until,
};
pub use state::{OwnedNumber, OwnedNumbers};
pub use surface::{AcceptedOperation, accepted_surface};
pub use telnyx::{TelnyxOrder, TelnyxOrderNumber, TelnyxSettlement};
