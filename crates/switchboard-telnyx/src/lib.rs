//! Telnyx for Switchboard: a [`TelephonyProvider`] over Telnyx's API v2
//! (`https://api.telnyx.com/v2`), as Telnyx's own OpenAPI description
//! (spec/carriers/telnyx) has it, read as the live service answers where
//! the two differ (docs/carriers/telnyx.md).
//!
//! - Search is `GET /available_phone_numbers` with the `filter[...]` names
//!   the description spells; what Telnyx cannot express is refused, never
//!   dropped (the live service ignores keys it does not know).
//! - Buying is an *order* (`POST /number_orders`), sent once and never
//!   repeated, that answers `pending` more often than not:
//!   [`PurchaseOutcome::Pending`](switchboard_core::PurchaseOutcome::Pending)
//!   with the order id, settled by
//!   [`TelephonyProvider::order_status`] (`GET /number_orders/{id}`).
//! - Owned numbers are `/phone_numbers`, addressed by Telnyx's numeric id
//!   (`IntId`), the `carrier_id` of every number this adapter returns.
//! - A number's name is its `customer_reference`: one free-text string,
//!   written by PATCH and returned in every record, unlike `tags`, a set of
//!   labels for grouping that a name could not be told apart from.
//! - Routing: a Telnyx number routes calls to a connection and messages
//!   to a messaging profile, not to URLs; the configured routes map core's
//!   webhook URLs to them both ways, and refuse what cannot be mapped (see
//!   [`TelnyxConfig::voice_route`]).
//! - Auth is `Authorization: Bearer` with the API v2 key, which no `Debug`,
//!   log or error shows. Errors are Telnyx's `errors[]` codes mapped to
//!   core's meanings; a 429 waits the `x-ratelimit-reset` seconds.
//!
//! The HTTP plumbing (client, retries, redaction, paging, lenient readers)
//! is `switchboard-carrier-http`'s, shared with every other carrier.
//! Telnyx's signed webhooks are not verified by this crate yet.
//!
//! ```no_run
//! # async fn demo() -> switchboard_core::Result<()> {
//! use switchboard_core::{SearchQuery, TelephonyProvider};
//! use switchboard_telnyx::{TelnyxConfig, TelnyxProvider};
//!
//! let config = TelnyxConfig::new("KEY0123".to_string())?.connection_id("1293384261075731499")?;
//! let telnyx = TelnyxProvider::new(config)?;
//! let found = telnyx.search(&SearchQuery::default().area_code("970")).await?;
//! # Ok(()) }
//! ```
//!
//! [`TelephonyProvider`]: switchboard_core::TelephonyProvider
//! [`TelephonyProvider::order_status`]: switchboard_core::TelephonyProvider::order_status
#![deny(missing_docs)]

mod config;
mod errors;
mod orders;
mod provider;
mod routes;
mod search;
mod settings;
mod wire;

pub use config::{DEFAULT_BASE_URL, ENV_API_KEY, ENV_BASE_URL, TelnyxConfig};
pub use errors::PROVIDER;
pub use provider::TelnyxProvider;
pub use settings::TelnyxSettings;
