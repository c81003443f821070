//! Bearer tokens: which account a request acts for. The token is hashed at
//! once and never kept, logged, or echoed; only its hash is looked up.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use switchboard_core::{AccountId, hash_token};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller, put in the request by [`require_bearer`].
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The account every number the request touches must belong to.
    pub(crate) account: AccountId,
    /// The token used, for the log (its id, not the token).
    pub(crate) token_id: Uuid,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // Absent only if a route was mounted without the middleware: refuse
        // rather than act for nobody.
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::unauthenticated("this route requires a bearer token"))
    }
}

/// Middleware: resolves `Authorization: Bearer <token>` to a [`Caller`], or
/// answers 401 before any handler (or body parsing) runs.
pub(crate) async fn require_bearer(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    match authenticate(&state, request.headers().get(header::AUTHORIZATION)).await {
        Ok(caller) => {
            tracing::Span::current().record("account", tracing::field::display(&caller.account));
            tracing::debug!(token_id = %caller.token_id, "authenticated");
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

async fn authenticate(
    state: &AppState,
    header: Option<&axum::http::HeaderValue>,
) -> Result<Caller, ApiError> {
    let Some(value) = header else {
        return Err(ApiError::unauthenticated(
            "missing Authorization header; send Authorization: Bearer <token>",
        ));
    };
    let token = value.to_str().ok().and_then(bearer_token).ok_or_else(|| {
        ApiError::unauthenticated("the Authorization header must be Bearer <token>")
    })?;
    let hash = hash_token(token);
    let found = state.tokens.find_token_by_hash(&hash).await?;
    match found {
        // The store found it by hash; comparing again in constant time keeps
        // the decision independent of how a store implements its lookup.
        Some(stored)
            if stored.revoked_at.is_none()
                && constant_time_eq(stored.token_hash.as_bytes(), hash.as_bytes()) =>
        {
            Ok(Caller {
                account: stored.account,
                token_id: stored.id,
            })
        }
        // Unknown and revoked read the same, so a probe learns nothing.
        _ => Err(ApiError::unauthenticated("the bearer token is not valid")),
    }
}

/// The token of `Bearer <token>` (scheme case-insensitive, RFC 6750).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

/// Equality whose running time depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_parsed_strictly() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }

    #[test]
    fn constant_time_eq_compares_whole_inputs() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"xbc"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
