//! The HTTP plumbing every Switchboard carrier adapter shares, written once
//! so that the rules it keeps are the same for every carrier.
//!
//! What belongs here is what does not depend on a carrier's wire format:
//!
//! - [`CarrierClient`]: one connection pool per adapter, with the
//!   [`Credentials`] (Basic, as Twilio and SignalWire take them, or Bearer, as
//!   Telnyx does) on every request, timeouts, and redirects refused (see
//!   [`client`](CarrierClient) for why).
//! - [`Request`]: method, URL, query, a form or JSON body, and whether it is
//!   [`Idempotent`]. Only idempotent requests are retried; a purchase is sent
//!   exactly once.
//! - One retry loop, driven by core's [`RetryPolicy`](switchboard_core::RetryPolicy),
//!   honouring `Retry-After` (seconds or an HTTP date) on 429 and 503; an
//!   error after the attempts ran out says how many were made.
//! - Redaction of the credentials out of every error body before an adapter
//!   reads it, since carriers' messages end up in errors and logs.
//! - The mapping of transport failures (timeouts, refused connections, cut
//!   answers) to core's [`Error::Transport`](switchboard_core::Error::Transport).
//! - [`Listing`] and [`find_in_pages`]: page links and cursors checked
//!   against the one listing they may name, and the search through a
//!   filtered listing built on core's [`collect_pages`](switchboard_core::collect_pages).
//! - [`lenient`]: readers for JSON as carriers really send it, with the rules
//!   stated as [`Leniency`](lenient::Leniency).
//! - [`ErrorItem`]: the `errors[]` body of JSON:API-style carriers, its
//!   codes as text and the field at fault.
//! - [`invalid_carrier_id`]: what a malformed carrier id is, for every adapter.
//! - [`settings`]: the bounds and error wording every adapter's
//!   configuration section applies alike.
//!
//! What stays in an adapter is its carrier: URLs and parameter names, the
//! JSON or form shapes it reads and writes, and what the carrier's statuses
//! and error codes mean (the adapter turns a [`Refusal`] into core's error).
#![deny(missing_docs)]

mod answer;
mod auth;
mod client;
mod error_list;
mod ids;
pub mod lenient;
mod paging;
mod redact;
mod request;
mod retry;
mod retry_after;
pub mod settings;
mod text;
mod transport;

pub use answer::{Answer, Refusal};
pub use auth::Credentials;
pub use client::{CarrierClient, ClientSettings};
pub use error_list::ErrorItem;
pub use ids::invalid_carrier_id;
pub use paging::{Listing, find_in_pages};
pub use request::{Body, Idempotent, Request};
pub use text::{MAX_QUOTED_CHARS, quote};

pub use reqwest::{Method, StatusCode, Url};
