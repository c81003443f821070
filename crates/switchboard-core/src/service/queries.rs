//! Reads that change nothing: carrier searches, an account's numbers, and
//! the lookup an inbound call or message makes to find the number it is for.
//! Kept apart from the writes so that what may touch a record (and in what
//! order) is read in the modules that do.

use uuid::Uuid;

use crate::{
    AccountId, AvailableNumber, Error, NumberFilter, NumberState, Page, PageRequest, PhoneNumber,
    ProvisionedNumber, ProvisioningService, Result, SearchQuery,
};

impl ProvisioningService {
    /// Numbers for sale at `provider` (the default when `None`).
    pub async fn search(
        &self,
        query: &SearchQuery,
        provider: Option<&str>,
    ) -> Result<Vec<AvailableNumber>> {
        query.validate()?;
        let provider = self.provider_for(provider)?;
        provider.features().check(provider.name(), query)?;
        let mut found = provider.search(query).await?;
        found.truncate(query.limit as usize);
        Ok(found)
    }

    /// The account's number with this id.
    pub async fn get(&self, account: &AccountId, id: Uuid) -> Result<ProvisionedNumber> {
        match self.repository.get(id).await? {
            Some(number) if number.account == *account && number.state != NumberState::Failed => {
                Ok(number)
            }
            _ => Err(Error::not_found(format!("phone number {id}"))),
        }
    }

    /// The live record of a phone number, whatever the account: the lookup an
    /// inbound call makes to find its agent.
    pub async fn lookup(&self, phone_number: &PhoneNumber) -> Result<Option<ProvisionedNumber>> {
        self.repository.find_by_phone_number(phone_number).await
    }

    /// The record that answers a call or message to `to` delivered by
    /// `carrier`: the active number bought from that carrier, through the
    /// same lookup (and read cache) as [`Self::lookup`]. A number that is
    /// reserved, being released, released, unknown, or held at another
    /// carrier is not ours to answer: `None`.
    pub async fn resolve_inbound(
        &self,
        carrier: &str,
        to: &PhoneNumber,
    ) -> Result<Option<ProvisionedNumber>> {
        Ok(self
            .repository
            .find_by_phone_number(to)
            .await?
            .filter(|record| record.state == NumberState::Active && record.provider == carrier))
    }

    /// A page of the account's numbers. Released and failed numbers are
    /// left out unless `filter.states` asks for them.
    pub async fn list(
        &self,
        account: &AccountId,
        mut filter: NumberFilter,
        page: &PageRequest,
    ) -> Result<Page<ProvisionedNumber>> {
        // No carrier is named with control characters, and PostgreSQL text
        // cannot even hold NUL: refuse them as bad input, not a store failure.
        if let Some(provider) = &filter.provider
            && provider.chars().any(char::is_control)
        {
            return Err(Error::invalid(
                "provider",
                "must not contain control characters",
            ));
        }
        filter.account = Some(account.clone());
        if filter.states.is_empty() {
            filter.states = NumberState::LISTED.to_vec();
        }
        self.repository.list(&filter, page).await
    }
}
