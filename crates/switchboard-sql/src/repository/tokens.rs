//! API tokens: [`TokenStore`] for [`SqlRepository`], with its statements.
//! The tokens table shares the store and its read cache with the numbers,
//! nothing else.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_core::{AccountId, ApiToken, Error, Result, TokenStore};
use uuid::Uuid;

use super::SqlRepository;
use crate::backend::on_pool;
use crate::error::clash;
use crate::record::TokenRow;

const INSERT_TOKEN: &str = "INSERT INTO api_tokens (id, account, label, token_hash, created_at, \
     revoked_at) VALUES ($1, $2, $3, $4, $5, $6)";

const SELECT_TOKEN_BY_HASH: &str = "SELECT id, account, label, token_hash, created_at, \
     revoked_at FROM api_tokens WHERE token_hash = $1";

const SELECT_ALL_TOKENS: &str = "SELECT id, account, label, token_hash, created_at, \
     revoked_at FROM api_tokens ORDER BY created_at, id";

const SELECT_ACCOUNT_TOKENS: &str = "SELECT id, account, label, token_hash, created_at, \
     revoked_at FROM api_tokens WHERE account = $1 ORDER BY created_at, id";

// A second revocation keeps the first time, as the in-memory store does.
const REVOKE_TOKEN: &str =
    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";

impl SqlRepository {
    /// The token with this hash, from the database.
    async fn read_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let row = on_pool!(self, pool, Db => {
            sqlx::query_as::<Db, TokenRow>(SELECT_TOKEN_BY_HASH)
                .bind(token_hash)
                .fetch_optional(pool)
                .await
        })
        // The hash is not the token, but it has no place in a message either.
        .map_err(|e| self.fail("look up a token", e))?;
        row.map(ApiToken::try_from).transpose()
    }

    /// Revokes a token; see [`TokenStore::revoke_token`].
    async fn write_revocation(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let affected = on_pool!(self, pool, Db => {
            sqlx::query::<Db>(REVOKE_TOKEN)
                .bind(id)
                .bind(at)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(|e| self.fail(&format!("revoke token {id}"), e))?;
        if affected == 0 {
            return Err(Error::not_found(format!("token {id}")));
        }
        Ok(())
    }
}

#[async_trait]
impl TokenStore for SqlRepository {
    async fn insert_token(&self, token: &ApiToken) -> Result<()> {
        let result = on_pool!(self, pool, Db => {
            sqlx::query::<Db>(INSERT_TOKEN)
                .bind(token.id)
                .bind(token.account.as_str())
                .bind(token.label.as_deref())
                .bind(token.token_hash.as_str())
                .bind(token.created_at)
                .bind(token.revoked_at)
                .execute(pool)
                .await
                .map(|_| ())
        });
        match result {
            Ok(_) => Ok(()),
            Err(e) if clash(&e).is_some() => Err(Error::Duplicate {
                what: "the token".into(),
            }),
            Err(e) => Err(self.fail(&format!("insert token {}", token.id), e)),
        }
    }

    async fn find_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let Some(cache) = &self.shared.cache else {
            return self.read_token_by_hash(token_hash).await;
        };
        if let Some(found) = cache.token(token_hash) {
            return Ok(Some(found));
        }
        let ticket = cache.ticket();
        let found = self.read_token_by_hash(token_hash).await?;
        if let Some(token) = &found {
            cache.store_token(ticket, token);
        }
        Ok(found)
    }

    async fn list_tokens(&self, account: Option<AccountId>) -> Result<Vec<ApiToken>> {
        let rows = on_pool!(self, pool, Db => {
            match &account {
                Some(account) => {
                    sqlx::query_as::<Db, TokenRow>(SELECT_ACCOUNT_TOKENS)
                        .bind(account.as_str())
                        .fetch_all(pool)
                        .await
                }
                None => {
                    sqlx::query_as::<Db, TokenRow>(SELECT_ALL_TOKENS)
                        .fetch_all(pool)
                        .await
                }
            }
        })
        .map_err(|e| self.fail("list tokens", e))?;
        rows.into_iter().map(ApiToken::try_from).collect()
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let result = self.write_revocation(id, at).await;
        self.forget(|cache| cache.invalidate_token_id(id));
        result
    }
}
