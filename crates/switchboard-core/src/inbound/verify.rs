//! The trait each carrier's crate implements to accept its webhooks.

use std::fmt;

use crate::WebhookMethod;

use super::{InboundEvent, InboundKind};

/// A webhook as the transport received it, with the URL the carrier used.
///
/// `url` must be the public URL the carrier called (scheme, host, port as
/// configured at the carrier, path, and the query string as received), not
/// the one a proxy handed the server: carriers sign the URL they called.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// The request's method.
    pub method: WebhookMethod,
    /// The public URL the carrier called, query string included.
    pub url: &'a str,
    /// The request's headers (names in any case).
    pub headers: &'a [(&'a str, &'a str)],
    /// The raw body, exactly as received: JSON schemes sign its bytes.
    pub body: &'a [u8],
}

impl<'a> WebhookRequest<'a> {
    /// The first value of header `name`, compared without case.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// Whether the body is JSON, by its `Content-Type`.
    pub fn is_json(&self) -> bool {
        self.header("content-type").is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        })
    }

    /// The query string, without the `?`.
    pub fn query(&self) -> Option<&'a str> {
        let without_fragment = self.url.split('#').next().unwrap_or("");
        without_fragment.split_once('?').map(|(_, q)| q)
    }
}

/// Why a webhook was refused. None of these carries a key or a signature's
/// expected value: they are logged and a forger must learn nothing from them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The request has no signature header the carrier uses.
    #[error("no {header} header")]
    Unsigned {
        /// The header that was looked for.
        header: &'static str,
    },
    /// The signature does not match the request under our key.
    #[error("the {header} signature does not match the request")]
    BadSignature {
        /// The header that was checked.
        header: &'static str,
    },
    /// Signed, but a parameter we need is missing or unreadable.
    #[error("parameter {field} {reason}")]
    Malformed {
        /// The carrier's parameter name.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl WebhookError {
    /// A missing or unreadable parameter.
    pub fn malformed(field: impl Into<String>, reason: impl Into<String>) -> Self {
        WebhookError::Malformed {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Whether the request failed authentication (answered 403), as opposed
    /// to being authentic but unreadable (400).
    pub fn is_authentication(&self) -> bool {
        !matches!(self, WebhookError::Malformed { .. })
    }
}

/// Proves that a webhook came from one carrier and reads it.
///
/// One method, so that no caller can read a webhook without checking it
/// first. Implementations compare signatures in constant time and keep
/// their keys out of `Debug`.
pub trait WebhookVerifier: Send + Sync + fmt::Debug {
    /// The carrier's name, as in [`crate::TelephonyProvider::name`].
    fn carrier(&self) -> &str;

    /// Checks the signature of `request` and reads it as a `kind` event.
    fn accept(
        &self,
        kind: InboundKind,
        request: &WebhookRequest<'_>,
    ) -> Result<InboundEvent, WebhookError>;
}
