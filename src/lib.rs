//! Switchboard buys and manages phone numbers across carriers (Twilio,
//! SignalWire, and a deterministic in-memory fake) behind one API.
//!
//! This facade re-exports the core ([`ProvisioningService`],
//! [`TelephonyProvider`], [`NumberRepository`], the domain types) and, by
//! Cargo feature, the carrier adapters and stores. [`config`] turns a TOML
//! file and environment variables into a running service, so a program
//! switches carriers with no code change. Each carrier's `[providers.NAME]`
//! section is its adapter crate's (`settings` module); the facade lists the
//! carriers once, in its carrier table, so adding a carrier is its crate, a
//! Cargo feature and one line there:
//!
//! ```
//! # async fn demo() -> switchboard::Result<()> {
//! use switchboard::{AccountId, ProvisionRequest, SearchQuery, config::Config};
//!
//! let config = Config::from_toml(r#"
//!     default_provider = "fake"
//!     database_url = "memory"
//! "#)?;
//! let app = switchboard::open(&config).await?;
//! let account = AccountId::parse("acme").unwrap();
//! let offer = app.service.search(&SearchQuery::default().area_code("415"), None).await?;
//! let number = app
//!     .service
//!     .provision(&account, &ProvisionRequest::new(offer[0].phone_number.clone()))
//!     .await?;
//! assert!(number.is_active());
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```
#![deny(missing_docs)]

mod carriers;
pub mod config;
mod setup;
#[cfg(feature = "server")]
pub mod webhooks;

pub use setup::{Switchboard, build_registry, open, open_configured_store, open_store};
pub use switchboard_core::*;

/// The HTTP API's JSON: the request and response types the service and the
/// CLI's `--json` output share, with conversions to and from the core types.
pub use switchboard_api as api;

/// The HTTP API as an axum `Router` to serve or mount in an application.
#[cfg(feature = "server")]
pub use switchboard_http as http;

/// The deterministic in-memory carrier.
#[cfg(feature = "fake")]
pub use switchboard_fake as fake;
