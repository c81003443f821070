//! The number records: [`NumberRepository`] for [`SqlRepository`], the
//! insert and the compare-and-swap update, and the core error a unique
//! index's refusal becomes.

use async_trait::async_trait;
use switchboard_core::{
    AccountId, Error, MAX_PAGE_SIZE, NumberFilter, NumberRepository, Page, PageRequest,
    PhoneNumber, ProvisionedNumber, ReadCacheCounts, Result,
};
use uuid::Uuid;

use super::SqlRepository;
use super::number_sql::{
    INSERT_NUMBER, SELECT_BY_ID, SELECT_BY_KEY, SELECT_VERSION, UPDATE_NUMBER, bind_number,
    list_sql, version_value,
};
use crate::backend::on_pool;
use crate::error::{Clash, clash};
use crate::record::{NumberRow, method_text};

impl SqlRepository {
    pub(super) async fn fetch_number(&self, id: Uuid) -> Result<Option<ProvisionedNumber>> {
        let row = on_pool!(self, pool, Db => {
            sqlx::query_as::<Db, NumberRow>(SELECT_BY_ID)
                .bind(id)
                .fetch_optional(pool)
                .await
        })
        .map_err(|e| self.fail(&format!("read number record {id}"), e))?;
        row.map(ProvisionedNumber::try_from).transpose()
    }

    /// Stores a new record; see [`NumberRepository::insert`].
    async fn write_insert(&self, number: &ProvisionedNumber) -> Result<()> {
        let result = on_pool!(self, pool, Db => {
            bind_number!(sqlx::query::<Db>(INSERT_NUMBER), number)
                .execute(pool)
                .await
                .map(|_| ())
        });
        match result {
            Ok(_) => Ok(()),
            Err(e) => Err(match clash(&e) {
                Some(c) => self.clash_error(c, number).await,
                None => self.fail(&format!("insert number record {}", number.id), e),
            }),
        }
    }

    /// Writes a record from the version it was read at; see
    /// [`NumberRepository::update`].
    async fn write_update(&self, number: &ProvisionedNumber) -> Result<ProvisionedNumber> {
        let n = number;
        let result = on_pool!(self, pool, Db => {
            sqlx::query_as::<Db, NumberRow>(UPDATE_NUMBER)
                .bind(n.id)
                .bind(n.friendly_name.as_str())
                .bind(n.agent_id)
                .bind(n.capabilities.voice)
                .bind(n.capabilities.sms)
                .bind(n.capabilities.mms)
                .bind(n.capabilities.fax)
                .bind(n.carrier_id.as_deref())
                .bind(n.routing.voice_url.as_ref().map(|u| u.as_str()))
                .bind(method_text(n.routing.voice_method))
                .bind(n.routing.sms_url.as_ref().map(|u| u.as_str()))
                .bind(method_text(n.routing.sms_method))
                .bind(n.routing.status_callback.as_ref().map(|u| u.as_str()))
                .bind(n.state.as_str())
                .bind(n.idempotency_key.as_deref())
                .bind(n.updated_at)
                .bind(n.released_at)
                .bind(n.release_not_before)
                .bind(n.lease_until)
                .bind(n.purchased_at)
                .bind(n.request_fingerprint.as_deref())
                .bind(n.order.as_ref().map(|o| o.id.as_str()))
                .bind(crate::record::order_missing_text(n))
                .bind(version_value(n.version))
                .fetch_optional(pool)
                .await
        });
        match result {
            Ok(Some(row)) => ProvisionedNumber::try_from(row),
            // Nothing written: gone, or moved on since it was read.
            Ok(None) => match self.stored_version(number.id).await? {
                None => Err(Error::not_found(format!("number record {}", number.id))),
                Some(_) => Err(Error::Stale {
                    what: format!("number record {}", number.id),
                }),
            },
            Err(e) => Err(match clash(&e) {
                Some(c) => self.clash_error(c, number).await,
                None => self.fail(&format!("update number record {}", number.id), e),
            }),
        }
    }

    /// The stored version of a record, `None` if there is no such record.
    async fn stored_version(&self, id: Uuid) -> Result<Option<i64>> {
        on_pool!(self, pool, Db => {
            sqlx::query_scalar::<Db, i64>(SELECT_VERSION)
                .bind(id)
                .fetch_optional(pool)
                .await
        })
        .map_err(|e| self.fail(&format!("read the version of number record {id}"), e))
    }

    /// The core error for a write rejected by a unique index.
    pub(super) async fn clash_error(&self, clash: Clash, number: &ProvisionedNumber) -> Error {
        match clash {
            Clash::LivePhoneNumber => {
                // An update never changes the phone number: name the stored one.
                let phone_number = match self.fetch_number(number.id).await {
                    Ok(Some(stored)) => stored.phone_number.to_string(),
                    _ => number.phone_number.to_string(),
                };
                Error::AlreadyProvisioned { phone_number }
            }
            Clash::IdempotencyKey => Error::Duplicate {
                what: format!(
                    "idempotency key {:?} of this account",
                    number.idempotency_key.as_deref().unwrap_or_default()
                ),
            },
            Clash::Existing => Error::Duplicate {
                what: format!("a record with id {}", number.id),
            },
        }
    }
}

#[async_trait]
impl NumberRepository for SqlRepository {
    fn read_cache_counts(&self) -> Option<ReadCacheCounts> {
        self.read_cache_stats().map(|stats| ReadCacheCounts {
            hits: stats.hits,
            misses: stats.misses,
        })
    }

    async fn insert(&self, number: &ProvisionedNumber) -> Result<()> {
        let result = self.write_insert(number).await;
        self.forget(|cache| cache.invalidate_number(number.phone_number.as_str()));
        result
    }

    async fn get(&self, id: Uuid) -> Result<Option<ProvisionedNumber>> {
        self.fetch_number(id).await
    }

    async fn find_by_phone_number(
        &self,
        phone_number: &PhoneNumber,
    ) -> Result<Option<ProvisionedNumber>> {
        let Some(cache) = &self.shared.cache else {
            return self.read_by_phone_number(phone_number).await;
        };
        if let Some(found) = cache.number(phone_number) {
            return Ok(Some(found));
        }
        let ticket = cache.ticket();
        let found = self.read_by_phone_number(phone_number).await?;
        if let Some(number) = &found {
            cache.store_number(ticket, number);
        }
        Ok(found)
    }

    async fn find_by_idempotency_key(
        &self,
        account: &AccountId,
        key: &str,
    ) -> Result<Option<ProvisionedNumber>> {
        let row = on_pool!(self, pool, Db => {
            sqlx::query_as::<Db, NumberRow>(SELECT_BY_KEY)
                .bind(account.as_str())
                .bind(key)
                .fetch_optional(pool)
                .await
        })
        .map_err(|e| self.fail("look up an idempotency key", e))?;
        row.map(ProvisionedNumber::try_from).transpose()
    }

    async fn list(
        &self,
        filter: &NumberFilter,
        page: &PageRequest,
    ) -> Result<Page<ProvisionedNumber>> {
        let after =
            match &page.cursor {
                Some(cursor) => Some(Uuid::parse_str(cursor).map_err(|_| {
                    Error::invalid("cursor", "is not a cursor this listing returned")
                })?),
                None => None,
            };
        let limit = page.limit.clamp(1, MAX_PAGE_SIZE) as usize;
        let sql = list_sql(filter, after);
        let rows = on_pool!(self, pool, Db => {
            let mut query = sqlx::query_as::<Db, NumberRow>(sqlx::AssertSqlSafe(sql));
            if let Some(account) = &filter.account {
                query = query.bind(account.as_str());
            }
            if let Some(agent) = filter.agent_id {
                query = query.bind(agent);
            }
            if let Some(provider) = &filter.provider {
                query = query.bind(provider.as_str());
            }
            for state in &filter.states {
                query = query.bind(state.as_str());
            }
            if let Some(after) = after {
                query = query.bind(after);
            }
            // One more than asked tells whether another page follows.
            query.bind(limit as i64 + 1).fetch_all(pool).await
        })
        .map_err(|e| self.fail("list number records", e))?;
        let mut items = rows
            .into_iter()
            .map(ProvisionedNumber::try_from)
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|n| n.id.to_string())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn update(&self, number: &ProvisionedNumber) -> Result<ProvisionedNumber> {
        let result = self.write_update(number).await;
        // By id as well: the stored phone number is the one that counts.
        self.forget(|cache| {
            cache.invalidate_number(number.phone_number.as_str());
            cache.invalidate_number_id(number.id);
        });
        result
    }
}
