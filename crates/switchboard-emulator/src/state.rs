//! Who owns which number: one table for every account of every protocol, so
//! a number held by anyone is unavailable to everyone else, and one account
//! never reaches another's records.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;
use switchboard_core::{AvailableNumber, PhoneNumber};

pub(crate) use crate::ids::{EmulatorClock, Ids, MAX_ADVANCE_SECS, splitmix64};

/// An emulated account: a Twilio account SID, a SignalWire project id or a
/// Telnyx user id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum AccountKey {
    Twilio(String),
    SignalWire(String),
    Telnyx(String),
}

impl AccountKey {
    pub(crate) fn id(&self) -> &str {
        match self {
            AccountKey::Twilio(id) | AccountKey::SignalWire(id) | AccountKey::Telnyx(id) => id,
        }
    }

    pub(crate) fn carrier(&self) -> &'static str {
        match self {
            AccountKey::Twilio(_) => "twilio",
            AccountKey::SignalWire(_) => "signalwire",
            AccountKey::Telnyx(_) => "telnyx",
        }
    }
}

impl fmt::Display for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.carrier(), self.id())
    }
}

/// One owned number, in the terms both protocols need.
#[derive(Debug, Clone)]
pub(crate) struct NumberRecord {
    /// Creation order within the whole emulator; list cursors use it.
    pub seq: u64,
    /// Twilio `PN...` SID, SignalWire UUID or Telnyx numeric id.
    pub id: String,
    /// What the catalogue says about the number.
    pub catalogue: AvailableNumber,
    /// Twilio `friendly_name` / SignalWire `name`.
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether the number was updated since its purchase.
    pub updated: bool,
    /// Settable fields, by response key (`voice_url`, `call_request_url`,
    /// Telnyx `connection_id`), and Telnyx's `status`.
    pub fields: BTreeMap<String, String>,
}

impl NumberRecord {
    pub(crate) fn field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }
}

/// What a purchase did.
pub(crate) enum Bought {
    New(NumberRecord),
    AlreadyYours(NumberRecord),
    Unavailable,
    /// The account's owned-number limit (Twilio trial accounts) is reached.
    LimitReached,
}

/// Why [`Store::buy_all`] bought nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Another account holds the number.
    Unavailable,
    /// This account holds it already (owned or on order).
    AlreadyYours,
}

#[derive(Default)]
struct Tables {
    owners: HashMap<PhoneNumber, AccountKey>,
    accounts: HashMap<AccountKey, BTreeMap<u64, NumberRecord>>,
    ids: HashMap<String, (AccountKey, u64)>,
}

/// The ownership tables behind one lock: searches read them, purchases and
/// releases write them atomically, so two concurrent purchases of one number
/// can never both succeed.
#[derive(Default)]
pub(crate) struct Store {
    tables: RwLock<Tables>,
    seq: AtomicU64,
}

/// A read view for searches: asks about many numbers under one lock.
pub(crate) struct Owners<'a>(RwLockReadGuard<'a, Tables>);

impl Owners<'_> {
    pub(crate) fn is_owned(&self, number: &PhoneNumber) -> bool {
        self.0.owners.contains_key(number)
    }
}

impl Store {
    fn read(&self) -> RwLockReadGuard<'_, Tables> {
        self.tables.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Tables> {
        self.tables.write().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn owners(&self) -> Owners<'_> {
        Owners(self.read())
    }

    /// Buys `catalogue`'s number for `account`, building the record only if
    /// the number is free.
    pub(crate) fn buy(
        &self,
        account: &AccountKey,
        catalogue: AvailableNumber,
        max_owned: Option<usize>,
        make: impl FnOnce(u64, AvailableNumber) -> NumberRecord,
    ) -> Bought {
        let mut tables = self.write();
        if let Some(owner) = tables.owners.get(&catalogue.phone_number) {
            if owner != account {
                return Bought::Unavailable;
            }
            let found = tables.accounts.get(account).and_then(|numbers| {
                numbers
                    .values()
                    .find(|r| r.catalogue.phone_number == catalogue.phone_number)
            });
            return match found {
                Some(record) => Bought::AlreadyYours(record.clone()),
                None => Bought::Unavailable,
            };
        }
        let owned = tables.accounts.get(account).map_or(0, BTreeMap::len);
        if max_owned.is_some_and(|max| owned >= max) {
            return Bought::LimitReached;
        }
        Bought::New(self.hold(&mut tables, account, catalogue, make))
    }

    /// Records `catalogue`'s number as held by `account`, in all three
    /// tables; the caller checked that nobody holds it.
    fn hold(
        &self,
        tables: &mut Tables,
        account: &AccountKey,
        catalogue: AvailableNumber,
        make: impl FnOnce(u64, AvailableNumber) -> NumberRecord,
    ) -> NumberRecord {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let record = make(seq, catalogue);
        tables
            .owners
            .insert(record.catalogue.phone_number.clone(), account.clone());
        tables
            .ids
            .insert(record.id.clone(), (account.clone(), record.seq));
        tables
            .accounts
            .entry(account.clone())
            .or_default()
            .insert(record.seq, record.clone());
        record
    }

    /// Buys every number of `catalogues` for `account`, or none of them:
    /// under one lock, so an order of several numbers never holds some of
    /// them when it is refused. The error is the index of the first number
    /// that cannot be bought and whether this account already holds it.
    pub(crate) fn buy_all(
        &self,
        account: &AccountKey,
        catalogues: Vec<AvailableNumber>,
        mut make: impl FnMut(u64, AvailableNumber) -> NumberRecord,
    ) -> Result<Vec<NumberRecord>, (usize, Refused)> {
        let mut tables = self.write();
        for (i, catalogue) in catalogues.iter().enumerate() {
            if let Some(owner) = tables.owners.get(&catalogue.phone_number) {
                let why = if owner == account {
                    Refused::AlreadyYours
                } else {
                    Refused::Unavailable
                };
                return Err((i, why));
            }
        }
        Ok(catalogues
            .into_iter()
            .map(|catalogue| self.hold(&mut tables, account, catalogue, &mut make))
            .collect())
    }

    /// The account's record with this id; another account's id is as
    /// unknown as one never issued.
    pub(crate) fn get(&self, account: &AccountKey, id: &str) -> Option<NumberRecord> {
        let tables = self.read();
        let (owner, seq) = tables.ids.get(id)?;
        if owner != account {
            return None;
        }
        tables.accounts.get(account)?.get(seq).cloned()
    }

    /// Who owns `number`, and its record: where an inbound call or message
    /// to it goes.
    pub(crate) fn owner_of(&self, number: &PhoneNumber) -> Option<(AccountKey, NumberRecord)> {
        let tables = self.read();
        let owner = tables.owners.get(number)?;
        let record = tables
            .accounts
            .get(owner)?
            .values()
            .find(|r| &r.catalogue.phone_number == number)?;
        Some((owner.clone(), record.clone()))
    }

    /// Changes the account's record with this id; `change` may refuse.
    pub(crate) fn update<E>(
        &self,
        account: &AccountKey,
        id: &str,
        change: impl FnOnce(&mut NumberRecord) -> Result<(), E>,
    ) -> Option<Result<NumberRecord, E>> {
        let mut tables = self.write();
        let (owner, seq) = tables.ids.get(id)?.clone();
        if &owner != account {
            return None;
        }
        let record = tables.accounts.get_mut(account)?.get_mut(&seq)?;
        let mut changed = record.clone();
        Some(change(&mut changed).map(|()| {
            *record = changed.clone();
            changed
        }))
    }

    /// Releases the account's number with this id, if `allow` agrees.
    pub(crate) fn release<E>(
        &self,
        account: &AccountKey,
        id: &str,
        allow: impl FnOnce(&NumberRecord) -> Result<(), E>,
    ) -> Option<Result<NumberRecord, E>> {
        let mut tables = self.write();
        let (owner, seq) = tables.ids.get(id)?.clone();
        if &owner != account {
            return None;
        }
        let record = tables.accounts.get(account)?.get(&seq)?;
        if let Err(e) = allow(record) {
            return Some(Err(e));
        }
        let record = tables.accounts.get_mut(account)?.remove(&seq)?;
        tables.ids.remove(id);
        tables.owners.remove(&record.catalogue.phone_number);
        Some(Ok(record))
    }

    /// Settles the account's records with these ids under one lock, so
    /// that no listing sees an order's numbers half settled: `activate`
    /// changes each record, or, when `None`, every record is released (its
    /// number for sale again). Ids no longer held are skipped.
    pub(crate) fn settle_all(
        &self,
        account: &AccountKey,
        ids: &[&str],
        mut activate: Option<impl FnMut(&mut NumberRecord)>,
    ) {
        let mut tables = self.write();
        for id in ids {
            let seq = match tables.ids.get(*id) {
                Some((owner, seq)) if owner == account => *seq,
                _ => continue,
            };
            let Some(numbers) = tables.accounts.get_mut(account) else {
                continue;
            };
            match activate.as_mut() {
                Some(activate) => numbers.get_mut(&seq).into_iter().for_each(activate),
                None => {
                    if let Some(record) = numbers.remove(&seq) {
                        tables.ids.remove(*id);
                        tables.owners.remove(&record.catalogue.phone_number);
                    }
                }
            }
        }
    }

    /// The account's records after cursor `after` (a sequence number) that
    /// pass `keep`, at most `limit` of them, and whether more follow.
    pub(crate) fn list(
        &self,
        account: &AccountKey,
        after: u64,
        limit: usize,
        mut keep: impl FnMut(&NumberRecord) -> bool,
    ) -> (Vec<NumberRecord>, bool) {
        let tables = self.read();
        let Some(numbers) = tables.accounts.get(account) else {
            return (Vec::new(), false);
        };
        let mut out = Vec::new();
        for record in numbers
            .range(after.saturating_add(1)..)
            .map(|(_, r)| r)
            .filter(|r| keep(r))
        {
            if out.len() == limit {
                return (out, true);
            }
            out.push(record.clone());
        }
        (out, false)
    }

    /// Every owned number of every account, for fault tests that compare the
    /// carrier's state with a repository.
    pub(crate) fn snapshot(&self) -> Vec<OwnedNumbers> {
        let tables = self.read();
        let mut accounts: Vec<_> = tables
            .accounts
            .iter()
            .filter(|(_, numbers)| !numbers.is_empty())
            .map(|(account, numbers)| OwnedNumbers {
                carrier: account.carrier().to_string(),
                account: account.id().to_string(),
                numbers: numbers
                    .values()
                    .map(|r| OwnedNumber {
                        id: r.id.clone(),
                        phone_number: r.catalogue.phone_number.to_string(),
                        name: r.name.clone(),
                        created_at: r.created_at,
                    })
                    .collect(),
            })
            .collect();
        accounts.sort_by(|a, b| (&a.carrier, &a.account).cmp(&(&b.carrier, &b.account)));
        accounts
    }

    /// Forgets every purchase.
    pub(crate) fn clear(&self) {
        *self.write() = Tables::default();
    }
}

/// The numbers one account owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct OwnedNumbers {
    /// `twilio`, `signalwire` or `telnyx`.
    pub carrier: String,
    /// Account SID, project id or Telnyx user id.
    pub account: String,
    /// In purchase order.
    pub numbers: Vec<OwnedNumber>,
}

/// One owned number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct OwnedNumber {
    /// Twilio SID, SignalWire id or Telnyx numeric id.
    pub id: String,
    /// E.164.
    pub phone_number: String,
    /// Friendly name / name.
    pub name: Option<String>,
    /// Purchase time.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests;
