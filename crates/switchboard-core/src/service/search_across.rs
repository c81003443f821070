//! One search asked of several carriers at once: "a 604 number from
//! whichever carrier has one". The carriers are asked concurrently, so the
//! search takes as long as the slowest, not the sum; a carrier that cannot
//! apply a filter is left out and named, one that fails is reported beside
//! the others' results, and only a search that no carrier could answer is
//! an error.

use crate::{AvailableNumber, Error, ProvisioningService, Result, SearchQuery, TelephonyProvider};

/// What a search across carriers found, and which carriers did not answer.
#[derive(Debug, Clone)]
pub struct SearchAcross {
    /// Numbers for sale, each naming its carrier in `provider`: the
    /// carriers' results taken in turn (first of each, in the order asked,
    /// then second of each...), at most the query's limit.
    pub found: Vec<AvailableNumber>,
    /// Carriers left out because they cannot apply a filter of the query.
    pub skipped: Vec<CarrierSkipped>,
    /// Carriers that were asked and failed.
    pub failed: Vec<CarrierFailed>,
}

/// A carrier a search left out, and why.
#[derive(Debug, Clone)]
pub struct CarrierSkipped {
    /// The carrier.
    pub provider: String,
    /// What it cannot do ([`Error::NotSupported`]).
    pub reason: Error,
}

/// A carrier that failed to answer a search.
#[derive(Debug, Clone)]
pub struct CarrierFailed {
    /// The carrier.
    pub provider: String,
    /// What went wrong.
    pub error: Error,
}

impl ProvisioningService {
    /// Searches the carriers named in `providers`, in that order of
    /// preference, or every configured carrier when it is empty.
    ///
    /// [`Error::InvalidInput`] for a name that is not configured;
    /// [`Error::NotSupported`] when no carrier can apply the query; the first
    /// carrier's error when every carrier asked failed.
    pub async fn search_across(
        &self,
        query: &SearchQuery,
        providers: &[String],
    ) -> Result<SearchAcross> {
        query.validate()?;
        let carriers = self.carriers_named(providers)?;
        let mut skipped = Vec::new();
        let mut asked = Vec::new();
        for carrier in carriers {
            match carrier.features().check(carrier.name(), query) {
                Ok(()) => asked.push(carrier),
                Err(reason) => skipped.push(CarrierSkipped {
                    provider: carrier.name().to_string(),
                    reason,
                }),
            }
        }
        if asked.is_empty() {
            return Err(skipped
                .into_iter()
                .next()
                .map(|s| s.reason)
                .unwrap_or_else(|| Error::invalid("providers", "names no carrier")));
        }
        let answers =
            crate::join::join_all(asked.iter().map(|carrier| carrier.search(query)).collect())
                .await;
        let mut failed = Vec::new();
        let mut lists = Vec::new();
        for (carrier, answer) in asked.iter().zip(answers) {
            match answer {
                Ok(found) => lists.push(found.into_iter()),
                Err(error) => failed.push(CarrierFailed {
                    provider: carrier.name().to_string(),
                    error,
                }),
            }
        }
        if lists.is_empty() {
            let first = failed.into_iter().next().expect("a carrier was asked");
            return Err(first.error);
        }
        let limit = query.limit as usize;
        let mut found = Vec::with_capacity(limit);
        while found.len() < limit {
            let before = found.len();
            for list in &mut lists {
                if found.len() == limit {
                    break;
                }
                if let Some(number) = list.next() {
                    found.push(number);
                }
            }
            if found.len() == before {
                break;
            }
        }
        Ok(SearchAcross {
            found,
            skipped,
            failed,
        })
    }

    /// The carriers of these names, each once, in order; every configured
    /// one for an empty list.
    pub(super) fn carriers_named(
        &self,
        names: &[String],
    ) -> Result<Vec<std::sync::Arc<dyn TelephonyProvider>>> {
        if names.is_empty() {
            // The default first: the order is the order of preference.
            let default = self.providers.default_provider();
            let others = self
                .providers
                .iter()
                .filter(|(name, _)| *name != default.name())
                .map(|(_, carrier)| carrier.clone());
            return Ok(std::iter::once(default.clone()).chain(others).collect());
        }
        let mut carriers: Vec<std::sync::Arc<dyn TelephonyProvider>> = Vec::new();
        for name in names {
            let carrier = self.provider_for(Some(name)).map_err(|e| match e {
                Error::InvalidInput { reason, .. } => Error::invalid("providers", reason),
                other => other,
            })?;
            if !carriers.iter().any(|c| c.name() == carrier.name()) {
                carriers.push(carrier.clone());
            }
        }
        Ok(carriers)
    }
}
