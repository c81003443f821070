//! Switchboard's core: the domain types, the [`TelephonyProvider`] and
//! [`NumberRepository`] traits, and the [`ProvisioningService`] that puts
//! carrier calls and records in an order that keeps the invariants (a number
//! is never bought twice, never left unrecorded, never orphaned).
//!
//! This crate depends on no HTTP or SQL library: carriers and stores live in
//! their own crates and plug in through the traits.
//!
//! Nor does it define the API's JSON: the HTTP API's requests and answers are
//! `switchboard-api`'s types, which parse into these (with the parsers and
//! `validate` rules here) and are made from them. Core serialises only what
//! it hands out beyond that API: the inbound events the service forwards to
//! applications ([`inbound::InboundEvent`]) and the reconcile report the CLI
//! prints ([`ReconcileReport`]), with a [`PhoneNumber`] as its E.164 text.
#![deny(missing_docs)]

mod bulk;
mod capabilities;
mod clock;
mod error;
pub mod inbound;
mod join;
pub mod layer;
mod lifecycle;
mod memory;
mod number;
mod order;
mod page;
mod phone;
mod provider;
mod reconcile;
mod registry;
mod repository;
mod request;
mod retry;
mod routing;
mod search;
mod service;
mod tokens;

#[cfg(feature = "testing")]
pub mod conformance;

pub use bulk::{
    BulkOutcome, BulkProvisionRequest, BulkReport, BulkStats, DEFAULT_BULK_CONCURRENCY,
    MAX_BULK_CONCURRENCY, MAX_BULK_COUNT,
};
pub use capabilities::{Capabilities, NumberType};
pub use clock::{Clock, IdSource, ManualClock, RandomIds, SequentialIds, SystemClock};
pub use error::{Cause, Error, Result};
pub use lifecycle::Reservation;
pub use memory::InMemoryRepository;
pub use number::{AccountId, CarrierOrder, NumberState, ProvisionedNumber};
pub use order::{OrderStatus, PendingOrder, PurchaseOutcome};
pub use page::{MAX_PAGE_SIZE, Page, PageRequest, collect_pages};
pub use phone::{CountryCode, PhoneNumber, PhoneNumberError};
pub use provider::{
    CarrierNumber, CarrierUpdate, ProviderFeatures, PurchaseRequest, TelephonyProvider,
};
pub use reconcile::{Drift, DriftKind, ReconcileOptions, ReconcileReport, Repair};
pub use registry::ProviderRegistry;
pub use repository::{NumberFilter, NumberRepository, ReadCacheCounts};
pub use request::{
    MAX_FRIENDLY_NAME_LEN, MAX_IDEMPOTENCY_KEY_LEN, NumberUpdate, ProvisionRequest,
    validate_friendly_name,
};
pub use retry::RetryPolicy;
pub use routing::{MAX_WEBHOOK_URL_LEN, Routing, WebhookMethod, WebhookUrl};
pub use search::{
    AvailableNumber, DEFAULT_SEARCH_LIMIT, DigitPattern, MAX_SEARCH_LIMIT, SearchQuery,
};
pub use service::{
    AdoptRequest, Adoption, CarrierFailed, CarrierSkipped, FirstAvailable, ProvisioningService,
    SearchAcross, ServiceOptions,
};
pub use tokens::{ApiToken, InMemoryTokenStore, TokenStore, generate_token, hash_token};

#[cfg(feature = "mock")]
pub use provider::MockTelephonyProvider;
#[cfg(feature = "mock")]
pub use repository::MockNumberRepository;
#[cfg(feature = "mock")]
pub use tokens::MockTokenStore;
