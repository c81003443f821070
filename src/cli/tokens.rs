//! `switchboard token create|list|revoke`.

use chrono::Utc;
use clap::Subcommand;
use switchboard::config::Config;
use switchboard::{ApiToken, Error, Result, generate_token, hash_token};
use uuid::Uuid;

use super::{Output, account};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for an account and print it (once).
    Create {
        /// The account the token acts for.
        #[arg(long)]
        account: String,
        /// A note saying what the token is for.
        #[arg(long)]
        label: Option<String>,
    },
    /// List tokens (never the tokens themselves).
    List {
        /// Only this account's tokens.
        #[arg(long)]
        account: Option<String>,
    },
    /// Revoke a token by id.
    Revoke {
        /// The token's id, from `token list`.
        id: String,
    },
}

pub async fn run(config: &Config, command: TokenCommand, out: Output) -> Result<()> {
    let (_, tokens) = switchboard::open_configured_store(config).await?;
    match command {
        TokenCommand::Create {
            account: name,
            label,
        } => {
            let (token, secret) = issue(account(&name)?, label);
            tokens.insert_token(&token).await?;
            out.new_token(&token, &secret)
        }
        TokenCommand::List { account: name } => {
            let account = name.as_deref().map(account).transpose()?;
            out.tokens(&tokens.list_tokens(account).await?)
        }
        TokenCommand::Revoke { id } => {
            let id = Uuid::parse_str(&id).map_err(|_| Error::invalid("id", "is not a token id"))?;
            tokens.revoke_token(id, Utc::now()).await?;
            if !out.json {
                say!("revoked {id}");
            }
            Ok(())
        }
    }
}

/// A new token for `account`: the record to store and the secret to show.
pub fn issue(account: switchboard::AccountId, label: Option<String>) -> (ApiToken, String) {
    let secret = generate_token();
    let token = ApiToken {
        id: Uuid::now_v7(),
        account,
        label,
        token_hash: hash_token(&secret),
        created_at: Utc::now(),
        revoked_at: None,
    };
    (token, secret)
}
