//! Switchboard's HTTP API as an axum [`Router`] you mount in your own app.
//!
//! It serves the seed API's `POST /functions/v1/provision-phone-number` field
//! for field, so a client written against that page works by changing only
//! the host, and beside it, in the same style, search, list, get, update and
//! release. `GET /openapi.json` describes all of it and is generated from the
//! same route list the router is built from; `GET /healthz` answers liveness.
//!
//! Every `/functions/v1` route but the carriers' webhooks requires
//! `Authorization: Bearer <token>`. The token is looked up by its hash in a
//! [`TokenStore`] and names the account the request acts for; another
//! account's numbers are 404. Errors are JSON:
//! `{"error": {"code": "invalid_input", "message": "...", "field": "phone_number"}}`.
//!
//! # Routes
//!
//! | route | credential | does |
//! |---|---|---|
//! | `POST /functions/v1/provision-phone-number` | bearer | buys a number (the seed's endpoint) |
//! | `GET`/`POST /functions/v1/search-phone-numbers` | bearer | numbers a carrier has for sale |
//! | `POST /functions/v1/bulk-provision-phone-numbers` | bearer | buys many numbers matching a search |
//! | `GET`/`POST /functions/v1/list-phone-numbers` | bearer | the account's numbers, a page at a time |
//! | `GET`/`POST /functions/v1/get-phone-number` | bearer | one number, by id or E.164 |
//! | `POST /functions/v1/update-phone-number` | bearer | rename, reassign the agent, re-route |
//! | `POST /functions/v1/release-phone-number` | bearer | gives a number back to its carrier |
//! | `POST`/`GET /functions/v1/inbound/{provider}/voice` | carrier's signature | a call to one of our numbers, answered with TwiML/cXML |
//! | `POST`/`GET /functions/v1/inbound/{provider}/messages` | carrier's signature | a message to one of our numbers, answered with TwiML/cXML |
//! | `GET /healthz` | none | liveness |
//! | `GET /openapi.json` | none | this API as OpenAPI 3.1 |
//!
//! The inbound routes are served once [`AppState::with_inbound`] is given
//! [`InboundOptions`] (the public URL carriers call, a
//! [`WebhookVerifier`](switchboard_core::inbound::WebhookVerifier) per
//! carrier, and an [`inbound::InboundHandler`]); until then, and for a
//! carrier without a verifier, they answer 404. The signature is checked
//! against the public URL, never the `Host` header; see [`inbound`].
//!
//! # Status codes
//!
//! | status | when |
//! |---|---|
//! | 200 | done; provisioning answers 200 with the seed's object, as the seed shows; an inbound webhook's answer is TwiML/cXML (`text/xml; charset=utf-8`) |
//! | 202 | release accepted but pending at the carrier (`"status": "releasing"`) |
//! | 400 | malformed JSON, wrong type, unknown field, not E.164, not a UUID, or a search filter the carrier cannot apply (`not_supported`: changing the request fixes it); for a signed inbound webhook, a missing or unreadable parameter (`field` names it) |
//! | 401 | missing, malformed, unknown or revoked token |
//! | 403 | an inbound webhook whose carrier signature is missing or does not verify (nothing is looked up, nothing answered) |
//! | 404 | no such number in the caller's account (another account's number included); an inbound webhook from a carrier this service has no verifier for |
//! | 409 | already provisioned, or a conflicting request in progress |
//! | 413 / 415 | body too large (a declared `Content-Length` over the limit is refused before the body is read) / not JSON (for inbound webhooks: neither a form nor JSON) |
//! | 422 | the carrier no longer offers the number, or needs a document first |
//! | 429 | the carrier is rate limiting; `Retry-After` says how long to wait |
//! | 500 | the number store failed for good, the service is misconfigured, or a bug (details only in the log) |
//! | 502 | the carrier answered with an error (or refused our credentials) |
//! | 503 | the carrier or the number store is unreachable, the carrier refused for now, or the request timed out |
//!
//! `GET /openapi.json` lists, for every route, exactly the statuses it can
//! answer; a test derives them from the error mapping.
//!
//! # Where a change goes
//!
//! Every body, query string and answer is a type of `switchboard-api`: the
//! route decodes into it, converts it to core's type with `TryFrom` (core's
//! parsers name the field at fault), and answers with the `From` of core's
//! result, and the document's schema is that same type. A field is changed
//! there; a route, a status or the error mapping here (`error.rs`; the
//! wording a client sees is `switchboard_api::ErrorDetail`).
//!
//! A call webhook whose number store fails need not be 503/500: the handler
//! may give an answer instead ([`inbound::InboundHandler::store_unavailable`]),
//! and [`inbound::ConfiguredAnswers`] answers a call as it answers a number
//! that is not ours (rejected, or the configured message), so the caller
//! hears something better than the carrier's "application error". Messages
//! get the error, which the carrier's log shows.
//!
//! # Limits
//!
//! Per request ([`HttpOptions`]): a body limit (64 KiB) and a timeout (30 s).
//! Per connection ([`ServeOptions`], for [`serve_with`]): a client has 10 s
//! to send a request's headers, a keep-alive connection is closed after 60 s
//! idle, and at most 1,024 connections are served at once (more wait to be
//! accepted). Every JSON body is refused with 400 if it gives a key twice.
//!
//! # Mounting it next to your own routes
//!
//! ```
//! use std::sync::Arc;
//!
//! use axum::{Router, routing::get};
//! use switchboard_core::{
//!     InMemoryRepository, InMemoryTokenStore, ProviderRegistry, ProvisioningService,
//! };
//! use switchboard_fake::FakeProvider;
//! use switchboard_http::{AppState, HttpOptions};
//!
//! # async fn run() -> std::io::Result<()> {
//! let service = ProvisioningService::new(
//!     ProviderRegistry::new(Arc::new(FakeProvider::new())),
//!     Arc::new(InMemoryRepository::new()),
//! );
//! let tokens = Arc::new(InMemoryTokenStore::new());
//! let state = AppState::new(service, tokens)
//!     .with_options(HttpOptions::default().with_body_limit(32 * 1024));
//!
//! // Your routes and Switchboard's side by side: Switchboard's paths all
//! // start with /functions/v1/, plus /openapi.json and /healthz.
//! let app = Router::new()
//!     .route("/", get(|| async { "my app" }))
//!     .merge(switchboard_http::router(state));
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let stop = async { /* e.g. wait for SIGTERM */ };
//! switchboard_http::serve(listener, app, stop).await
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run()).unwrap();
//! ```
//!
//! To serve it under a prefix instead, use `Router::new().nest("/telephony",
//! switchboard_http::router(state))`.
#![deny(missing_docs)]

mod auth;
mod error;
mod extract;
pub mod inbound;
mod metrics;
mod openapi;
mod ops;
mod routes;
mod serve;
mod state;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use tower_http::catch_panic::CatchPanicLayer;

pub use inbound::{InboundOptions, inbound_routing};
pub use metrics::Metrics;
pub use openapi::openapi;
pub use ops::REQUEST_ID_HEADER;
pub use serve::{ServeOptions, serve, serve_with};
pub use state::{AppState, HttpOptions};
#[doc(no_inline)]
pub use switchboard_core::TokenStore;

/// The router serving the whole API over `state`.
///
/// Layers, outermost first: request id and access log, panic to 500 JSON,
/// declared body size and request timeout, body limit; then bearer auth on
/// the `/functions/v1` routes. Paths and methods it does not serve answer
/// 404 and 405 as JSON.
pub fn router(state: AppState) -> Router {
    let (protected, public) = routes::parts();
    let protected: Router<AppState> = Router::from(protected)
        .route_layer(from_fn_with_state(state.clone(), auth::require_bearer));
    let public: Router<AppState> = public.into();
    let limits = ops::Limits {
        body_limit: state.options.body_limit,
        request_timeout: state.options.request_timeout,
    };
    public
        .merge(protected)
        .fallback(ops::no_route)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.body_limit))
        .layer(from_fn_with_state(limits, ops::limits))
        .layer(CatchPanicLayer::custom(ops::panic_response))
        .layer(from_fn_with_state(
            state.metrics.clone(),
            ops::request_context,
        ))
        .with_state(state)
}

/// The OpenAPI document as the JSON text `GET /openapi.json` serves, for
/// writing it to a file or checking it in CI.
pub fn openapi_json() -> &'static str {
    routes::openapi_json_text()
}
