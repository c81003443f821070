//! The JSON of Switchboard's HTTP API, each field defined once.
//!
//! Every request body, query string and response of the service is a type
//! here, and that one type is at once what `switchboard-http` decodes a
//! request into, what it encodes an answer from, and (through utoipa's
//! `ToSchema` and `IntoParams`) what `GET /openapi.json` documents. The CLI's
//! `--json` output uses the same types, so a script reads the same JSON from
//! either. Core keeps the domain types and their rules and knows no JSON.
//!
//! The types hold the wire's own values (text, numbers, booleans, UUIDs) and
//! convert to and from core's:
//!
//! - requests go into core with `TryFrom`, which parses each value with
//!   core's parser (`PhoneNumber::parse`, `WebhookUrl::parse`,
//!   `CountryCode::parse`) and names the field at fault as the client spelled
//!   it (`routing.voice_url`, `search.country`); the rules a whole request
//!   must follow (name lengths, limits, key formats) stay in core's
//!   `validate`, which the service runs;
//! - answers come out of core with `From`, and requests do too, for clients
//!   that build a request with core's builders and send it as JSON.
//!
//! # Where a change goes
//!
//! A new field, or a field's documentation, changes here only: the decoder,
//! the encoder and the document follow. A new rule on a value goes in core's
//! builder or parser; a new status or error mapping goes in
//! `switchboard-http`. The public message of an error ([`ErrorDetail`]) is
//! here, because bulk reports carry errors in their body.
//!
//! | types | for |
//! |---|---|
//! | [`NumberResource`] (the document's `PhoneNumber`), [`Capabilities`], [`NumberList`], [`ReleasedNumber`] | the seed's phone number object, pages of them, release answers |
//! | [`ProvisionRequest`], [`Routing`], [`WebhookMethod`] | `provision-phone-number`, and the webhooks of every request |
//! | [`ImportRequest`], [`ImportOutcome`] | `import-phone-number` (numbers the carrier account owns already), and the CLI's `numbers import --orphans` |
//! | [`SearchRequest`], [`SearchParams`], [`AvailableNumber`], [`SearchResults`] | `search-phone-numbers`, as a body and as a query string |
//! | [`BulkProvisionRequest`], [`BulkSearch`], [`BulkReport`] | `bulk-provision-phone-numbers` |
//! | [`ListRequest`], [`GetRequest`], [`UpdateRequest`], [`ReleaseRequest`] | the account's own numbers |
//! | [`ErrorResponse`], [`ErrorDetail`], [`Health`] | every error, and liveness |
#![deny(missing_docs)]

mod bulk;
mod error;
mod health;
mod import;
mod number;
mod numbers;
mod provision;
mod search;
mod search_params;

pub use bulk::{BulkOutcome, BulkProvisionRequest, BulkReport, BulkSearch, BulkStats, BulkStatus};
pub use error::{ErrorDetail, ErrorResponse};
pub use health::Health;
pub use import::{ImportOutcome, ImportRequest};
pub use number::{
    Capabilities, LifecycleState, NumberList, NumberResource, ReleaseStatus, ReleasedNumber,
};
pub use numbers::{GetRequest, ListRequest, ReleaseRequest, UpdateRequest};
pub use provision::{ProvisionRequest, Routing, WebhookMethod};
pub use search::{
    All, AvailableNumber, CarrierNote, DigitPattern, Digits, NumberType, Providers, SearchRequest,
    SearchResults,
};
pub use search_params::SearchParams;

/// Timestamps as the seed shows them: UTC, whole seconds, a `Z` suffix
/// (`2024-01-15T10:30:00Z`).
fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
