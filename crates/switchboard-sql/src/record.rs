//! Rows as the database holds them, and their checked conversion back into
//! domain types. Stored text is parsed again on the way out so that a row
//! written by hand or by an older version fails with a message naming the
//! column instead of producing a value the rest of the system trusts.

use chrono::{DateTime, Utc};
use switchboard_core::{
    AccountId, ApiToken, Capabilities, Error, NumberState, PhoneNumber, ProvisionedNumber, Routing,
    WebhookMethod, WebhookUrl,
};
use uuid::Uuid;

/// The columns of `numbers`, in the order [`NumberRow`] reads them.
pub(crate) const NUMBER_COLUMNS: &str = "id, account, phone_number, friendly_name, agent_id, \
     cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, \
     voice_url, voice_method, sms_url, sms_method, status_callback, \
     state, idempotency_key, created_at, updated_at, released_at, release_not_before";

/// One row of `numbers`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct NumberRow {
    id: Uuid,
    account: String,
    phone_number: String,
    friendly_name: String,
    agent_id: Option<Uuid>,
    cap_voice: bool,
    cap_sms: bool,
    cap_mms: bool,
    cap_fax: bool,
    provider: String,
    carrier_id: Option<String>,
    voice_url: Option<String>,
    voice_method: Option<String>,
    sms_url: Option<String>,
    sms_method: Option<String>,
    status_callback: Option<String>,
    state: String,
    idempotency_key: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    released_at: Option<DateTime<Utc>>,
    release_not_before: Option<DateTime<Utc>>,
}

fn corrupt(table: &str, id: Uuid, column: &str, reason: impl std::fmt::Display) -> Error {
    Error::Repository {
        message: format!("stored {table} row {id} has a malformed {column}: {reason}"),
        temporary: false,
    }
}

fn url(id: Uuid, column: &str, value: Option<String>) -> Result<Option<WebhookUrl>, Error> {
    value
        .map(|v| WebhookUrl::parse(&v).map_err(|e| corrupt("numbers", id, column, e)))
        .transpose()
}

fn method(id: Uuid, column: &str, value: Option<String>) -> Result<Option<WebhookMethod>, Error> {
    value
        .map(|v| match v.as_str() {
            "GET" => Ok(WebhookMethod::Get),
            "POST" => Ok(WebhookMethod::Post),
            other => Err(corrupt("numbers", id, column, format!("{other:?}"))),
        })
        .transpose()
}

/// The text stored for a webhook method.
pub(crate) fn method_text(method: Option<WebhookMethod>) -> Option<&'static str> {
    method.map(|m| m.as_str())
}

impl TryFrom<NumberRow> for ProvisionedNumber {
    type Error = Error;

    fn try_from(row: NumberRow) -> Result<Self, Error> {
        let id = row.id;
        Ok(ProvisionedNumber {
            id,
            account: AccountId::parse(&row.account)
                .map_err(|e| corrupt("numbers", id, "account", e))?,
            phone_number: PhoneNumber::parse_trusted(&row.phone_number)
                .map_err(|e| corrupt("numbers", id, "phone_number", e))?,
            friendly_name: row.friendly_name,
            agent_id: row.agent_id,
            capabilities: Capabilities {
                voice: row.cap_voice,
                sms: row.cap_sms,
                mms: row.cap_mms,
                fax: row.cap_fax,
            },
            provider: row.provider,
            carrier_id: row.carrier_id,
            routing: Routing {
                voice_url: url(id, "voice_url", row.voice_url)?,
                voice_method: method(id, "voice_method", row.voice_method)?,
                sms_url: url(id, "sms_url", row.sms_url)?,
                sms_method: method(id, "sms_method", row.sms_method)?,
                status_callback: url(id, "status_callback", row.status_callback)?,
            },
            state: NumberState::parse(&row.state)
                .ok_or_else(|| corrupt("numbers", id, "state", format!("{:?}", row.state)))?,
            idempotency_key: row.idempotency_key,
            created_at: row.created_at,
            updated_at: row.updated_at,
            released_at: row.released_at,
            release_not_before: row.release_not_before,
        })
    }
}

/// One row of `api_tokens`.
#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    id: Uuid,
    account: String,
    label: Option<String>,
    token_hash: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = Error;

    fn try_from(row: TokenRow) -> Result<Self, Error> {
        Ok(ApiToken {
            id: row.id,
            account: AccountId::parse(&row.account)
                .map_err(|e| corrupt("api_tokens", row.id, "account", e))?,
            label: row.label,
            token_hash: row.token_hash,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        })
    }
}
