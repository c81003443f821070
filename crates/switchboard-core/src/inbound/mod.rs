//! Calls and messages to our numbers, as carrier-neutral events, and the
//! trait through which each carrier's crate proves a webhook came from it.
//!
//! The path is: the carrier calls the number's webhook URL; a
//! [`WebhookVerifier`] checks the signature and reads the carrier's
//! parameters into an [`InboundEvent`]; the service resolves the called
//! number to its record ([`crate::ProvisioningService::resolve_inbound`]);
//! whoever answers (an application's handler, or configured templates)
//! returns the carrier's XML. Nothing here does HTTP: the transport builds a
//! [`WebhookRequest`] from what it received.

mod event;
mod laml;
pub mod signing;
mod verify;

pub use event::{InboundCall, InboundEvent, InboundKind, InboundMessage, Location, Media};
pub use laml::{MAX_MEDIA, form_params, json_params, parse_laml_event};
pub use verify::{WebhookError, WebhookRequest, WebhookVerifier};
