//! Bearer tokens: which account a request acts for. Stores keep only a hash
//! of each token; the token itself is shown once, when it is created.

use std::collections::HashMap;
use std::fmt::{self, Debug};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{AccountId, Error, Result};

/// A new random bearer token (`sb_` and 64 hex digits, 256 bits from the
/// operating system's generator). Show it once; store [`hash_token`] of it.
pub fn generate_token() -> String {
    format!("sb_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// The hex SHA-256 of a token: what stores keep and look tokens up by. A
/// fast hash suffices because tokens are random and long, not passwords.
pub fn hash_token(token: &str) -> String {
    use sha2::Digest;
    crate::inbound::signing::hex_lower(&sha2::Sha256::digest(token.as_bytes()))
}

/// A stored token: its hash, never the token.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// The token's id, for listing and revoking.
    pub id: Uuid,
    /// The account it acts for.
    pub account: AccountId,
    /// A note saying what it is for.
    pub label: Option<String>,
    /// Hex SHA-256 of the token (computed by whoever issues tokens).
    pub token_hash: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Debug for ApiToken {
    // The hash is not a secret, but it is of no use in a log either.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiToken")
            .field("id", &self.id)
            .field("account", &self.account)
            .field("label", &self.label)
            .field("created_at", &self.created_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// Storage of [`ApiToken`]s.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TokenStore: Send + Sync + Debug {
    /// Stores a new token. [`Error::Conflict`] if the hash or id exists.
    async fn insert_token(&self, token: &ApiToken) -> Result<()>;

    /// The token with this hash, revoked or not.
    async fn find_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>>;

    /// Every token, or only the account's, oldest first.
    async fn list_tokens(&self, account: Option<AccountId>) -> Result<Vec<ApiToken>>;

    /// Revokes a token. [`Error::NotFound`] if there is no such token.
    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<()>;
}

/// Tokens in process memory; clones share them.
#[derive(Debug, Clone, Default)]
pub struct InMemoryTokenStore {
    tokens: Arc<RwLock<HashMap<Uuid, ApiToken>>>,
}

impl InMemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl TokenStore for InMemoryTokenStore {
    async fn insert_token(&self, token: &ApiToken) -> Result<()> {
        let mut tokens = self.tokens.write().unwrap_or_else(|p| p.into_inner());
        if tokens.contains_key(&token.id)
            || tokens.values().any(|t| t.token_hash == token.token_hash)
        {
            return Err(Error::Duplicate {
                what: "the token".into(),
            });
        }
        tokens.insert(token.id, token.clone());
        Ok(())
    }

    async fn find_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let tokens = self.tokens.read().unwrap_or_else(|p| p.into_inner());
        Ok(tokens
            .values()
            .find(|t| t.token_hash == token_hash)
            .cloned())
    }

    async fn list_tokens(&self, account: Option<AccountId>) -> Result<Vec<ApiToken>> {
        let tokens = self.tokens.read().unwrap_or_else(|p| p.into_inner());
        let mut list: Vec<ApiToken> = tokens
            .values()
            .filter(|t| account.as_ref().is_none_or(|a| *a == t.account))
            .cloned()
            .collect();
        list.sort_by_key(|t| (t.created_at, t.id));
        Ok(list)
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let mut tokens = self.tokens.write().unwrap_or_else(|p| p.into_inner());
        match tokens.get_mut(&id) {
            Some(token) => {
                token.revoked_at.get_or_insert(at);
                Ok(())
            }
            None => Err(Error::not_found(format!("token {id}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = generate_token();
        assert!(a.starts_with("sb_") && a.len() == 67, "{a}");
        assert_ne!(a, generate_token());
        assert_eq!(hash_token("abc").len(), 64);
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn debug_shows_no_hash() {
        let token = ApiToken {
            id: Uuid::nil(),
            account: AccountId::parse("acme").unwrap(),
            label: None,
            token_hash: hash_token("secret-token"),
            created_at: Utc::now(),
            revoked_at: None,
        };
        let shown = format!("{token:?}");
        assert!(!shown.contains(&token.token_hash), "{shown}");
    }
}
