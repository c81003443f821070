//! Requests about the account's own numbers: list, get, update, release.

use serde::{Deserialize, Deserializer, Serialize};
use switchboard_core::{
    self as core, Error, MAX_PAGE_SIZE, NumberFilter, NumberState, PageRequest, Result,
};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::Routing;

/// The page size when a listing does not say.
const DEFAULT_PAGE_SIZE: u32 = 100;

/// Which of the account's numbers to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRequest {
    /// Only numbers assigned to this agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Uuid>,
    /// Only numbers bought from this carrier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Include released numbers (default false: active and releasing only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_released: Option<bool>,
    /// Page size, 1 to 1000; 100 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 1000)]
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl TryFrom<ListRequest> for (NumberFilter, PageRequest) {
    type Error = Error;

    /// The filter and the page. Without `include_released` the filter names
    /// no state, which the service reads as active and releasing.
    fn try_from(request: ListRequest) -> Result<Self> {
        let limit = request.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if limit == 0 || limit > MAX_PAGE_SIZE {
            return Err(Error::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE_SIZE}, got {limit}"),
            ));
        }
        let states = if request.include_released.unwrap_or(false) {
            NumberState::LISTED_WITH_RELEASED.to_vec()
        } else {
            Vec::new()
        };
        let filter = NumberFilter {
            account: None,
            agent_id: request.agent_id,
            provider: request.provider,
            states,
        };
        let page = PageRequest {
            cursor: request.cursor,
            limit,
        };
        Ok((filter, page))
    }
}

/// Which number to get: exactly one of `id` and `phone_number`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GetRequest {
    /// The number's `id`. Give exactly one of `id` and `phone_number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// The number, E.164: the lookup an inbound call makes. Give exactly one
    /// of `id` and `phone_number`. In a query string write `+` as `%2B`; an
    /// unencoded `+` (read as a space) is accepted too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(example = "+16045551234")]
    #[schema(example = "+16045551234")]
    pub phone_number: Option<String>,
}

/// Changes to one of the account's numbers; absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": "a1b2c3d4-5678-9012-3456-789012345678", "friendly_name": "Support", "agent_id": null}))]
pub struct UpdateRequest {
    /// The number's `id`.
    pub id: Uuid,
    /// New display name: 1 to 64 characters, not all blank, without control
    /// characters, bidirectional overrides or isolates, or zero-width
    /// characters (as in `provision-phone-number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]*$"
    )]
    pub friendly_name: Option<String>,
    /// New agent; `null` unassigns, absent keeps the current one.
    #[serde(
        default,
        deserialize_with = "present_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Uuid>)]
    pub agent_id: Option<Option<Uuid>>,
    /// New webhooks; set fields replace the carrier's, absent ones are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
}

/// `agent_id` has three states: absent (the field's default, `None`),
/// `null` (`Some(None)`: unassign) and a UUID (`Some(Some(id))`).
fn present_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Uuid>>, D::Error> {
    Option::<Uuid>::deserialize(d).map(Some)
}

impl UpdateRequest {
    /// An update of the number `id` that `change` describes.
    pub fn new(id: Uuid, change: &core::NumberUpdate) -> Self {
        Self {
            id,
            friendly_name: change.friendly_name.clone(),
            agent_id: change.agent_id,
            routing: change.routing.as_ref().map(Routing::from),
        }
    }
}

impl TryFrom<UpdateRequest> for core::NumberUpdate {
    type Error = Error;

    /// Parses the webhooks; the service validates the rest. Take `id` first:
    /// it says which number, not what changes.
    fn try_from(request: UpdateRequest) -> Result<Self> {
        Ok(Self {
            friendly_name: request.friendly_name,
            agent_id: request.agent_id,
            routing: request.routing.map(core::Routing::try_from).transpose()?,
        })
    }
}

/// Which number to release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    /// The number's `id`.
    pub id: Uuid,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn update(json: serde_json::Value) -> core::NumberUpdate {
        let request: UpdateRequest = serde_json::from_value(json).unwrap();
        core::NumberUpdate::try_from(request).unwrap()
    }

    #[test]
    fn agent_id_null_unassigns_and_absent_keeps() {
        let id = Uuid::nil();
        assert_eq!(
            update(json!({"id": id, "agent_id": null})).agent_id,
            Some(None)
        );
        assert_eq!(
            update(json!({"id": id, "friendly_name": "x"})).agent_id,
            None
        );
        let empty = update(json!({"id": id}));
        assert_eq!(empty.validate().unwrap_err().field(), Some("body"));
        // And the three states go out as they came in.
        for agent_id in [None, Some(None), Some(Some(Uuid::nil()))] {
            let change = core::NumberUpdate {
                friendly_name: Some("Support".into()),
                agent_id,
                routing: None,
            };
            let json = serde_json::to_value(UpdateRequest::new(id, &change)).unwrap();
            assert_eq!(json.get("agent_id").is_some(), agent_id.is_some(), "{json}");
            assert_eq!(update(json), change);
        }
    }

    #[test]
    fn an_update_names_the_webhook_at_fault() {
        let request: UpdateRequest =
            serde_json::from_value(json!({"id": Uuid::nil(), "routing": {"sms_url": "nope"}}))
                .unwrap();
        let err = core::NumberUpdate::try_from(request).unwrap_err();
        assert_eq!(err.field(), Some("routing.sms_url"));
    }

    #[test]
    fn a_listing_pages_by_a_hundred_and_refuses_sizes_out_of_range() {
        let (filter, page): (NumberFilter, PageRequest) =
            ListRequest::default().try_into().unwrap();
        assert_eq!(page.limit, 100);
        assert!(filter.states.is_empty());
        let with_released = ListRequest {
            include_released: Some(true),
            ..ListRequest::default()
        };
        let (filter, _): (NumberFilter, PageRequest) = with_released.try_into().unwrap();
        assert!(filter.states.contains(&NumberState::Released));
        for limit in [0, MAX_PAGE_SIZE + 1] {
            let request = ListRequest {
                limit: Some(limit),
                ..ListRequest::default()
            };
            let err = <(NumberFilter, PageRequest)>::try_from(request).unwrap_err();
            assert_eq!(err.field(), Some("limit"));
        }
    }
}
