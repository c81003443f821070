//! Scenarios for any [`TokenStore`].

use chrono::{SubsecRound, Utc};
use uuid::Uuid;

use super::repository::random_account;
use crate::{ApiToken, Error, TokenStore, generate_token, hash_token};

/// Runs every token-store scenario in order.
pub async fn run_token_store_suite(store: &dyn TokenStore) {
    tokens_are_found_by_hash_and_listed_per_account(store).await;
    revoked_tokens_stay_revoked(store).await;
    duplicate_hashes_are_refused(store).await;
}

fn sample_token(account: &crate::AccountId) -> ApiToken {
    ApiToken {
        id: Uuid::now_v7(),
        account: account.clone(),
        label: Some("ci".into()),
        token_hash: hash_token(&generate_token()),
        created_at: Utc::now().trunc_subsecs(6),
        revoked_at: None,
    }
}

/// A stored token is found by its hash and listed under its account only.
pub async fn tokens_are_found_by_hash_and_listed_per_account(store: &dyn TokenStore) {
    const SCENARIO: &str = "tokens_are_found_by_hash_and_listed_per_account";
    let account = random_account();
    let token = sample_token(&account);
    store
        .insert_token(&token)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let other = sample_token(&random_account());
    store
        .insert_token(&other)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let found = store
        .find_token_by_hash(&token.token_hash)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    assert_eq!(found.as_ref(), Some(&token), "{SCENARIO}");
    let unknown = store
        .find_token_by_hash(&hash_token("never issued"))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    assert!(unknown.is_none(), "{SCENARIO}: an unknown hash was found");
    let listed = store
        .list_tokens(Some(account))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    assert_eq!(listed, vec![token], "{SCENARIO}: list by account");
}

/// Revoking records the time; revoking an unknown id is NotFound.
pub async fn revoked_tokens_stay_revoked(store: &dyn TokenStore) {
    const SCENARIO: &str = "revoked_tokens_stay_revoked";
    let token = sample_token(&random_account());
    store
        .insert_token(&token)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let at = Utc::now().trunc_subsecs(6);
    store
        .revoke_token(token.id, at)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let found = store
        .find_token_by_hash(&token.token_hash)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"))
        .unwrap_or_else(|| panic!("{SCENARIO}: revoked token vanished"));
    assert_eq!(found.revoked_at, Some(at), "{SCENARIO}");
    match store.revoke_token(Uuid::now_v7(), at).await {
        Err(Error::NotFound { .. }) => {}
        other => panic!("{SCENARIO}: unknown id gave {other:?}"),
    }
}

/// Two tokens with one hash cannot both be stored.
pub async fn duplicate_hashes_are_refused(store: &dyn TokenStore) {
    const SCENARIO: &str = "duplicate_hashes_are_refused";
    let token = sample_token(&random_account());
    store
        .insert_token(&token)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let mut twin = sample_token(&random_account());
    twin.token_hash = token.token_hash.clone();
    match store.insert_token(&twin).await {
        Err(Error::Duplicate { .. }) => {}
        other => panic!("{SCENARIO}: duplicate hash gave {other:?}"),
    }
}
