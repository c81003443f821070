//! Twilio as a Switchboard carrier: [`TwilioProvider`] implements
//! [`switchboard_core::TelephonyProvider`] over Twilio's REST API 2010-04-01
//! (`AvailablePhoneNumbers` and `IncomingPhoneNumbers`).
//!
//! The adapter follows the live service where it differs from Twilio's
//! specification (see `docs/carriers/twilio.md`): responses are read
//! tolerantly ([`wire`](crate) module), searches make one request because
//! Twilio's search has no usable next page, purchases are never retried
//! because a repeated purchase answers 201 too, and owned numbers are found by
//! listing with a filter because a fetch right after a purchase can answer
//! "not found".
//!
//! This crate holds what is Twilio's: URLs and form fields, the JSON it
//! reads, and what Twilio's error codes mean. The HTTP plumbing (client,
//! retries and `Retry-After`, redirects, redaction, paging, the lenient
//! readers' rules) is `switchboard-carrier-http`'s, shared with every other
//! carrier; a change to how carriers are talked to goes there.
//!
//! ```no_run
//! # async fn demo() -> switchboard_core::Result<()> {
//! use switchboard_core::{SearchQuery, TelephonyProvider};
//! use switchboard_twilio::{TwilioConfig, TwilioProvider};
//!
//! let provider = TwilioProvider::new(TwilioConfig::from_env()?)?;
//! let numbers = provider.search(&SearchQuery::default().area_code("604")).await?;
//! # let _ = numbers;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod config;
mod errors;
mod provider;
mod search;
mod settings;
mod sid;
mod webhook;
mod wire;

pub use config::{
    DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_NOT_FOUND_WINDOW, DEFAULT_TIMEOUT,
    ENV_ACCOUNT_SID, ENV_API_KEY, ENV_API_SECRET, ENV_AUTH_TOKEN, TwilioConfig,
};
pub use provider::{MAX_SEARCH_RESULTS, TwilioProvider};
pub use settings::{ENV_BASE_URL, ENV_WEBHOOK_AUTH_TOKEN, TwilioSettings};
pub use webhook::TwilioWebhooks;

/// The provider name recorded on numbers bought through this adapter.
pub const PROVIDER: &str = "twilio";
