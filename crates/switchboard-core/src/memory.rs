//! A `NumberRepository` in process memory: always compiled, for embedding,
//! tests, and as the reference the SQL stores are checked against.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use uuid::Uuid;

use crate::{
    AccountId, Error, NumberFilter, NumberRepository, Page, PageRequest, PhoneNumber,
    ProvisionedNumber, Result,
};

/// Records in memory, lost when the process ends. Clones share the records.
#[derive(Debug, Clone, Default)]
pub struct InMemoryRepository {
    inner: Arc<RwLock<Tables>>,
}

/// Records by id in a hash map, with a sorted set of ids for listing: the
/// hot lookups (by id, by phone number) are then one or two hash probes
/// instead of a walk down a tree of a million entries.
#[derive(Debug, Default)]
struct Tables {
    /// Boxed: the map keeps every record ever made (released ones stay as
    /// history), so it grows by rehashing, and moving a pointer per entry
    /// is cheaper than moving a whole record.
    by_id: HashMap<Uuid, Box<ProvisionedNumber>>,
    order: BTreeSet<Uuid>,
    /// Live records only: the uniqueness the invariants need.
    live_by_number: HashMap<PhoneNumber, Uuid>,
    by_key: HashMap<(AccountId, String), Uuid>,
}

impl InMemoryRepository {
    /// An empty repository.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many records it holds, in any state.
    pub fn len(&self) -> usize {
        self.read().by_id.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Tables> {
        // A panic elsewhere while holding the lock leaves the maps consistent
        // (every mutation below is completed before the guard drops).
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Tables> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl Tables {
    fn reindex(&mut self, old: Option<&ProvisionedNumber>, new: &ProvisionedNumber) {
        if let Some(old) = old {
            if old.state.is_live() && self.live_by_number.get(&old.phone_number) == Some(&old.id) {
                self.live_by_number.remove(&old.phone_number);
            }
            if let Some(key) = &old.idempotency_key {
                self.by_key.remove(&(old.account.clone(), key.clone()));
            }
        }
        if new.state.is_live() {
            self.live_by_number.insert(new.phone_number.clone(), new.id);
        }
        if let Some(key) = &new.idempotency_key {
            self.by_key
                .insert((new.account.clone(), key.clone()), new.id);
        }
    }
}

#[async_trait]
impl NumberRepository for InMemoryRepository {
    async fn insert(&self, number: &ProvisionedNumber) -> Result<()> {
        let mut tables = self.write();
        if tables.by_id.contains_key(&number.id) {
            return Err(Error::Duplicate {
                what: format!("a record with id {}", number.id),
            });
        }
        if number.state.is_live() && tables.live_by_number.contains_key(&number.phone_number) {
            return Err(Error::AlreadyProvisioned {
                phone_number: number.phone_number.to_string(),
            });
        }
        if let Some(key) = &number.idempotency_key
            && tables
                .by_key
                .contains_key(&(number.account.clone(), key.clone()))
        {
            return Err(Error::Duplicate {
                what: format!("idempotency key {key:?} of this account"),
            });
        }
        tables.reindex(None, number);
        tables.order.insert(number.id);
        tables.by_id.insert(number.id, Box::new(number.clone()));
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Option<ProvisionedNumber>> {
        Ok(self.read().by_id.get(&id).map(|n| (**n).clone()))
    }

    async fn find_by_phone_number(
        &self,
        phone_number: &PhoneNumber,
    ) -> Result<Option<ProvisionedNumber>> {
        let tables = self.read();
        Ok(tables
            .live_by_number
            .get(phone_number)
            .and_then(|id| tables.by_id.get(id))
            .map(|n| (**n).clone()))
    }

    async fn find_by_idempotency_key(
        &self,
        account: &AccountId,
        key: &str,
    ) -> Result<Option<ProvisionedNumber>> {
        let tables = self.read();
        Ok(tables
            .by_key
            .get(&(account.clone(), key.to_string()))
            .and_then(|id| tables.by_id.get(id))
            .map(|n| (**n).clone()))
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
        let limit = page.limit.max(1) as usize;
        let tables = self.read();
        let range = match after {
            Some(after) => tables
                .order
                .range((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded)),
            None => tables.order.range(..),
        };
        let mut items: Vec<ProvisionedNumber> = range
            .filter_map(|id| tables.by_id.get(id).map(|n| &**n))
            .filter(|n| filter.matches(n))
            .take(limit + 1)
            .cloned()
            .collect();
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|n| n.id.to_string())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn update(&self, number: &ProvisionedNumber) -> Result<ProvisionedNumber> {
        let mut tables = self.write();
        let not_found = || Error::not_found(format!("number record {}", number.id));
        // Checked against the stored record in place, without copying it.
        let updated = {
            let old = tables.by_id.get(&number.id).ok_or_else(not_found)?;
            if old.version != number.version {
                return Err(Error::Stale {
                    what: format!("number record {}", number.id),
                });
            }
            if number.state.is_live()
                && !old.state.is_live()
                && let Some(holder) = tables.live_by_number.get(&old.phone_number)
                && *holder != old.id
            {
                return Err(Error::AlreadyProvisioned {
                    phone_number: old.phone_number.to_string(),
                });
            }
            if let Some(key) = &number.idempotency_key
                && let Some(holder) = tables.by_key.get(&(old.account.clone(), key.clone()))
                && *holder != old.id
            {
                return Err(Error::Duplicate {
                    what: format!("idempotency key {key:?} of this account"),
                });
            }
            // Identity fields never change: keep the stored ones.
            let mut updated = number.clone();
            updated.account = old.account.clone();
            updated.phone_number = old.phone_number.clone();
            updated.provider = old.provider.clone();
            updated.created_at = old.created_at;
            updated.version = old.version + 1;
            updated
        };
        let slot = tables.by_id.get_mut(&number.id).ok_or_else(not_found)?;
        let old = std::mem::replace(slot, Box::new(updated.clone()));
        tables.reindex(Some(&old), &updated);
        Ok(updated)
    }
}
