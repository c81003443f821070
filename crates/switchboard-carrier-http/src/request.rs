//! One request as an adapter describes it, before the shared client adds
//! the credentials and sends it (again, if it may be repeated).

use bytes::Bytes;
use reqwest::{Method, Url};

/// Whether a request may be sent again after a temporary failure. Every
/// request says, so that no call is retried by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotent {
    /// Sending it twice has the effect of sending it once (a read, a PUT
    /// or POST of the whole set of fields it changes, a DELETE): retried
    /// under the client's retry policy.
    Yes,
    /// Sent exactly once, whatever happens: a purchase, which a carrier
    /// may answer with success twice (Twilio does), so a repeat proves
    /// nothing and may buy again.
    No,
}

/// A request body.
#[derive(Debug, Clone, Default)]
pub enum Body<'a> {
    /// None (GET, DELETE).
    #[default]
    Empty,
    /// `application/x-www-form-urlencoded` pairs, in the carrier's names
    /// (Twilio's writes).
    Form(&'a [(&'a str, String)]),
    /// `application/json`, already encoded (SignalWire's and Telnyx's
    /// writes); see [`CarrierClient::json`](crate::CarrierClient::json).
    Json(Bytes),
}

/// What to send: method, URL, query and body, and whether it may be
/// repeated.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub(crate) method: Method,
    pub(crate) url: &'a Url,
    pub(crate) query: &'a [(&'a str, String)],
    pub(crate) body: Body<'a>,
    pub(crate) idempotent: Idempotent,
}

impl<'a> Request<'a> {
    /// A request without query or body.
    pub fn new(method: Method, url: &'a Url, idempotent: Idempotent) -> Self {
        Self {
            method,
            url,
            query: &[],
            body: Body::Empty,
            idempotent,
        }
    }

    /// A GET, which is idempotent by definition.
    pub fn get(url: &'a Url) -> Self {
        Self::new(Method::GET, url, Idempotent::Yes)
    }

    /// Query parameters, added to any the URL already has.
    pub fn query(mut self, query: &'a [(&'a str, String)]) -> Self {
        self.query = query;
        self
    }

    /// The body.
    pub fn body(mut self, body: Body<'a>) -> Self {
        self.body = body;
        self
    }

    /// Method and path, for messages and logs: never the query, which may
    /// carry a number being searched, nor a credential.
    pub(crate) fn describe(&self) -> String {
        format!("{} {}", self.method, self.url.path())
    }
}
