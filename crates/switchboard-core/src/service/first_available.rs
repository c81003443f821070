//! Buying "a number like this from whichever carrier has one": the carriers
//! are tried in order of preference, and the next one is asked only when
//! the last answer proves nothing was bought (no number matched, or the
//! number was sold to someone else between the search and the purchase).
//! A temporary or unsettled purchase never moves on: the carrier may still
//! complete it, and buying elsewhere could buy twice; its reservation stays
//! and `reconcile` settles it, as for any provision.

use uuid::Uuid;

use crate::{
    AccountId, Error, NumberState, ProvisionRequest, ProvisionedNumber, ProvisioningService,
    Result, Routing, SearchQuery,
};

/// The most offers of one carrier tried before moving to the next: each
/// "no longer available" means someone is buying from the same search.
const OFFERS_PER_CARRIER: usize = 3;

/// A number matching `query` from the first carrier in `providers` that
/// sells one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstAvailable {
    /// What the number must match.
    pub query: SearchQuery,
    /// The carriers in order of preference; every configured carrier (the
    /// default first) when empty.
    pub providers: Vec<String>,
    /// Display name.
    pub friendly_name: Option<String>,
    /// The agent that answers the number.
    pub agent_id: Option<Uuid>,
    /// Webhooks to set at the carrier.
    pub routing: Routing,
    /// Repeating the request with this key answers the number it bought
    /// (whichever carrier sold it) and buys nothing more.
    pub idempotency_key: Option<String>,
}

impl FirstAvailable {
    /// A number matching `query` from any configured carrier.
    pub fn new(query: SearchQuery) -> Self {
        Self {
            query,
            providers: Vec::new(),
            friendly_name: None,
            agent_id: None,
            routing: Routing::default(),
            idempotency_key: None,
        }
    }

    /// The carriers to try, in order.
    pub fn providers(mut self, providers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.providers = providers.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the idempotency key.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Sets the display name.
    pub fn friendly_name(mut self, name: impl Into<String>) -> Self {
        self.friendly_name = Some(name.into());
        self
    }
}

impl ProvisioningService {
    /// Buys a number matching `request.query` from the first carrier, in
    /// order, that has one. "No number" and "no longer available" at one
    /// carrier move to the next (and a carrier that cannot apply the query,
    /// or whose search fails, is passed over: nothing was bought); any other
    /// purchase error is the answer, with its reservation kept where it
    /// was left. The record's `provider` says where it was bought.
    /// [`Error::NotFound`] when no carrier sold one.
    pub async fn provision_first_available(
        &self,
        account: &AccountId,
        request: &FirstAvailable,
    ) -> Result<ProvisionedNumber> {
        request.query.validate()?;
        let carriers = self.carriers_named(&request.providers)?;
        if let Some(key) = &request.idempotency_key {
            match self
                .repository
                .find_by_idempotency_key(account, key)
                .await?
            {
                Some(existing) if existing.state == NumberState::Reserved => {
                    return Err(Error::Conflict {
                        reason: "a request with this idempotency key is in progress; try again"
                            .into(),
                    });
                }
                Some(existing) => return Ok(existing),
                None => {}
            }
        }
        let mut passed_over = Vec::new();
        for carrier in carriers {
            let name = carrier.name().to_string();
            if let Err(reason) = carrier.features().check(&name, &request.query) {
                passed_over.push(format!("{name}: {reason}"));
                continue;
            }
            let offers = match carrier.search(&request.query).await {
                Ok(offers) => offers,
                Err(error) => {
                    passed_over.push(format!("{name}: {error}"));
                    continue;
                }
            };
            if offers.is_empty() {
                passed_over.push(format!("{name}: no number matches"));
                continue;
            }
            for offer in offers.into_iter().take(OFFERS_PER_CARRIER) {
                let buy = ProvisionRequest {
                    phone_number: offer.phone_number,
                    friendly_name: request.friendly_name.clone(),
                    agent_id: request.agent_id,
                    routing: request.routing.clone(),
                    provider: Some(name.clone()),
                    idempotency_key: request.idempotency_key.clone(),
                };
                match self.provision(account, &buy).await {
                    Ok(bought) => return Ok(bought),
                    // Proven not bought: someone else has it now.
                    Err(
                        error
                        @ (Error::NumberUnavailable { .. } | Error::AlreadyProvisioned { .. }),
                    ) => passed_over.push(format!("{name}: {error}")),
                    Err(error) => return Err(error),
                }
            }
        }
        Err(Error::not_found(format!(
            "a number for sale matching the search at any carrier tried ({})",
            passed_over.join("; ")
        )))
    }
}
