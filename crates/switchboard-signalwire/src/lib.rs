//! SignalWire for Switchboard: a [`TelephonyProvider`] over SignalWire's
//! native REST API (`https://{space}.signalwire.com/api/relay/rest/phone_numbers`).
//!
//! It speaks the wire as SignalWire's own OpenAPI description has it, and
//! reads answers as live traffic has them where the two differ (both search
//! result shapes, `""` for none, null methods, fields added later). Purchase is
//! sent once and never repeated; every other call is retried under
//! [`switchboard_core::RetryPolicy`], honouring `Retry-After`. The release
//! cooldown SignalWire imposes after a purchase comes back as
//! [`switchboard_core::Error::RetryLater`] with the time it ends, so the
//! provisioning service keeps the release pending for `reconcile`.
//!
//! This crate holds what is SignalWire's: URLs and JSON bodies, the JSON it
//! reads, and what SignalWire's statuses mean per operation. The HTTP
//! plumbing (client, retries and `Retry-After`, redirects, redaction,
//! paging, the lenient readers' rules) is `switchboard-carrier-http`'s,
//! shared with every other carrier; a change to how carriers are talked to
//! goes there.
//!
//! ```no_run
//! # async fn demo() -> switchboard_core::Result<()> {
//! use switchboard_core::{SearchQuery, TelephonyProvider};
//! use switchboard_signalwire::{SignalWireConfig, SignalWireProvider};
//!
//! let config = SignalWireConfig::new("example.signalwire.com", "project-id", "PT-token".to_string())?;
//! let signalwire = SignalWireProvider::new(config)?;
//! let found = signalwire.search(&SearchQuery::default().area_code("512")).await?;
//! # Ok(()) }
//! ```
//!
//! [`TelephonyProvider`]: switchboard_core::TelephonyProvider
#![deny(missing_docs)]

mod config;
mod errors;
mod provider;
mod search;
mod settings;
mod webhook;
mod wire;

pub use config::{ENV_API_TOKEN, ENV_PROJECT_ID, ENV_SPACE_URL, ENV_TOKEN_ALIAS, SignalWireConfig};
pub use provider::SignalWireProvider;
pub use settings::{ENV_SIGNING_KEY, SignalWireSettings};
pub use webhook::SignalWireWebhooks;
