//! Adopting numbers the carrier account already owns: bought by hand, or
//! by code older than Switchboard. Nothing is ever bought here. The carrier
//! is asked whether it holds the number, and the record is made from its
//! answer (capabilities, routing, its id), in one insert that is refused
//! while any live record holds the number, so that adoption cannot race a
//! provision, a release or another adoption into two records of one number.

use uuid::Uuid;

use crate::{
    AccountId, CarrierNumber, Error, NumberUpdate, PhoneNumber, ProvisionRequest,
    ProvisionedNumber, ProvisioningService, Reservation, Result, Routing, TelephonyProvider,
    validate_friendly_name,
};

/// A number to adopt, and what to record with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptRequest {
    /// The number, as the carrier account holds it.
    pub phone_number: PhoneNumber,
    /// The carrier that holds it; the configured default when absent.
    pub provider: Option<String>,
    /// Display name; when given it is set at the carrier too. Otherwise
    /// the carrier's name is kept (or the number, when it has none).
    pub friendly_name: Option<String>,
    /// The agent that answers the number.
    pub agent_id: Option<Uuid>,
    /// Webhooks to set at the carrier. Without it (and without
    /// `use_inbound_routing`) the carrier's routing is left as it is:
    /// adoption never re-points a number on its own.
    pub routing: Option<Routing>,
    /// Point the number at this service's inbound webhooks (the routing
    /// configured for the carrier, `public_url` in the service's
    /// configuration). Refused when none is configured.
    pub use_inbound_routing: bool,
}

impl AdoptRequest {
    /// A request to adopt `phone_number` from the default carrier, keeping
    /// its name and routing.
    pub fn new(phone_number: PhoneNumber) -> Self {
        Self {
            phone_number,
            provider: None,
            friendly_name: None,
            agent_id: None,
            routing: None,
            use_inbound_routing: false,
        }
    }

    /// Adopts from the carrier of this name.
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Sets the display name (here and at the carrier).
    pub fn friendly_name(mut self, name: impl Into<String>) -> Self {
        self.friendly_name = Some(name.into());
        self
    }

    /// Assigns the agent.
    pub fn agent(mut self, agent_id: Uuid) -> Self {
        self.agent_id = Some(agent_id);
        self
    }

    /// Sets webhooks at the carrier.
    pub fn routing(mut self, routing: Routing) -> Self {
        self.routing = Some(routing);
        self
    }

    /// Checks the fields that types alone do not.
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = &self.friendly_name {
            validate_friendly_name(name)?;
        }
        if self.routing.is_some() && self.use_inbound_routing {
            return Err(Error::invalid(
                "routing",
                "give routing or use_inbound_routing, not both",
            ));
        }
        Ok(())
    }
}

/// What adopting the orphans of one carrier came to, number by number.
#[derive(Debug, Clone)]
pub struct Adoption {
    /// The number.
    pub phone_number: PhoneNumber,
    /// The record made, or why none was.
    pub outcome: Result<ProvisionedNumber>,
}

impl ProvisioningService {
    /// Records a number the carrier account already owns as `account`'s.
    ///
    /// [`Error::NotFound`] naming the carrier when it does not hold the
    /// number for this account; [`Error::AlreadyProvisioned`] when a live
    /// record (of any account) holds it. When a name or routing is asked
    /// for, the carrier is told after the record is made; if the carrier
    /// then refuses, the number stays adopted with the carrier's name and
    /// routing and the error is returned.
    pub async fn adopt(
        &self,
        account: &AccountId,
        request: &AdoptRequest,
    ) -> Result<ProvisionedNumber> {
        request.validate()?;
        let provider = self.provider_for(request.provider.as_deref())?.clone();
        let routing = match (&request.routing, request.use_inbound_routing) {
            (Some(routing), _) => Some(routing.clone()),
            (None, true) => Some(
                self.options
                    .inbound_routing
                    .get(provider.name())
                    .cloned()
                    .ok_or_else(|| {
                        Error::invalid(
                            "use_inbound_routing",
                            format!(
                                "no inbound webhooks are configured for {} (set public_url)",
                                provider.name()
                            ),
                        )
                    })?,
            ),
            (None, false) => None,
        };
        let phone = &request.phone_number;
        // Asking the carrier costs a call: a number we already hold is
        // refused without one. The insert below is what settles a race.
        if self.repository.find_by_phone_number(phone).await?.is_some() {
            return Err(Error::AlreadyProvisioned {
                phone_number: phone.to_string(),
            });
        }
        let owned = provider
            .find_owned(phone)
            .await?
            .filter(|owned| owned.phone_number == *phone)
            .ok_or_else(|| Error::NotFound {
                what: format!("{phone} among the numbers {} holds", provider.name()),
                code: None,
            })?;
        let record = self.adopted_record(account, provider.as_ref(), request, &owned)?;
        self.repository.insert(&record).await?;
        if request.friendly_name.is_none() && routing.is_none() {
            return Ok(record);
        }
        let change = NumberUpdate {
            friendly_name: request.friendly_name.clone(),
            agent_id: None,
            routing,
        };
        self.update(account, record.id, &change).await
    }

    /// Adopts, for `account`, every number the carrier `provider` (the
    /// default when `None`) holds and no record does: what `reconcile`
    /// reports as an orphan at the carrier. Each number is judged alone, so
    /// one that a provision took meanwhile is refused and the rest adopted.
    pub async fn adopt_orphans(
        &self,
        account: &AccountId,
        provider: Option<&str>,
    ) -> Result<Vec<Adoption>> {
        let carrier = self.provider_for(provider)?.clone();
        let owned = crate::collect_pages(|page| {
            let carrier = carrier.clone();
            async move { carrier.list_owned(&page).await }
        })
        .await?;
        let mut adoptions = Vec::new();
        for number in owned {
            if self
                .repository
                .find_by_phone_number(&number.phone_number)
                .await?
                .is_some()
            {
                continue;
            }
            let request = AdoptRequest::new(number.phone_number.clone()).provider(carrier.name());
            adoptions.push(Adoption {
                phone_number: number.phone_number,
                outcome: self.adopt(account, &request).await,
            });
        }
        Ok(adoptions)
    }

    /// The active record of an adopted number, from the carrier's answer.
    fn adopted_record(
        &self,
        account: &AccountId,
        provider: &dyn TelephonyProvider,
        request: &AdoptRequest,
        owned: &CarrierNumber,
    ) -> Result<ProvisionedNumber> {
        let mut as_request = ProvisionRequest::new(owned.phone_number.clone());
        as_request.friendly_name = owned.friendly_name.clone().filter(|n| !n.trim().is_empty());
        as_request.agent_id = request.agent_id;
        let now = self.clock.now();
        let reserved = ProvisionedNumber::reserve(
            &as_request,
            Reservation {
                id: self.ids.next_id(),
                account,
                provider: provider.name(),
                now,
                lease_until: now,
            },
        );
        reserved.settle_active(owned, now)
    }
}
