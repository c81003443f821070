//! `import-phone-number`: adopting a number the carrier account already
//! owns, and the answer of adopting every orphan at once (CLI).

use serde::{Deserialize, Serialize};
use switchboard_core::{self as core, Error, Result};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::provision::{Routing, phone_number};
use crate::{ErrorDetail, NumberResource};

/// A number the carrier account owns already (bought by hand or by older
/// code), to be managed from now on. Nothing is bought.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "phone_number": "+16045551234",
    "provider": "twilio",
    "agent_id": "550e8400-e29b-41d4-a716-446655440000"
}))]
pub struct ImportRequest {
    /// The number, E.164, as the carrier account holds it.
    #[schema(pattern = r"^\+[1-9][0-9]{7,14}$", example = "+16045551234")]
    pub phone_number: String,
    /// The carrier that holds it.
    pub provider: String,
    /// Display name, set at the carrier too; the carrier's name is kept when
    /// absent. The same rules as in `provision-phone-number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 64)]
    pub friendly_name: Option<String>,
    /// Agent to assign to the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Uuid>,
    /// Webhooks to set at the carrier. Without it the carrier's routing is
    /// kept: importing never re-points a number unless asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
    /// Point the number at this service's own inbound webhooks (configured
    /// with `public_url`); not together with `routing`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub use_inbound_routing: bool,
}

impl TryFrom<ImportRequest> for core::AdoptRequest {
    type Error = Error;

    fn try_from(request: ImportRequest) -> Result<Self> {
        Ok(Self {
            phone_number: phone_number("phone_number", &request.phone_number)?,
            provider: Some(request.provider),
            friendly_name: request.friendly_name,
            agent_id: request.agent_id,
            routing: request.routing.map(core::Routing::try_from).transpose()?,
            use_inbound_routing: request.use_inbound_routing,
        })
    }
}

/// What adopting one orphan came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportOutcome {
    /// The number.
    pub phone_number: String,
    /// The record made, when it was adopted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<NumberResource>,
    /// Why it was not, otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

impl From<&core::Adoption> for ImportOutcome {
    fn from(adoption: &core::Adoption) -> Self {
        let (number, error) = match &adoption.outcome {
            Ok(record) => (Some(NumberResource::from(record)), None),
            Err(error) => (None, Some(ErrorDetail::from(error))),
        };
        Self {
            phone_number: adoption.phone_number.to_string(),
            number,
            error,
        }
    }
}
