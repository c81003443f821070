//! Buying many numbers in one request: the request, its search, and the
//! report of every position's outcome.

use serde::{Deserialize, Serialize};
use switchboard_core::{self as core, Error, Result};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::search::{default_limit, us};
use crate::{
    Capabilities, DigitPattern, ErrorDetail, NumberResource, NumberType, Routing, SearchRequest,
};

/// Which numbers a bulk purchase may buy: the search fields, every one
/// optional. `limit` is accepted and not used (each search asks the carrier
/// for as many as it returns at once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"country": "US", "area_code": "415"}))]
pub struct BulkSearch {
    /// ISO 3166-1 alpha-2 country.
    #[serde(default = "us")]
    #[schema(pattern = "^[A-Za-z]{2}$", default = "US", example = "US")]
    pub country: String,
    /// Kind of number.
    #[serde(default)]
    #[schema(default = "local")]
    pub number_type: NumberType,
    /// Area code, digits only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9]{1,6}$", example = "415")]
    pub area_code: Option<String>,
    /// A digit pattern the numbers must match.
    #[serde(
        default,
        deserialize_with = "crate::search::digit_pattern",
        skip_serializing_if = "Option::is_none"
    )]
    pub pattern: Option<DigitPattern>,
    /// State or province, 1 to 64 characters, not all blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub region: Option<String>,
    /// City or locality, 1 to 64 characters, not all blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub locality: Option<String>,
    /// Postal code, 1 to 64 characters, not all blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub postal_code: Option<String>,
    /// Capabilities every number must have.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// Not used by bulk purchases.
    #[serde(default = "default_limit")]
    #[schema(minimum = 1, maximum = 100, default = 20)]
    pub limit: u32,
}

impl Default for BulkSearch {
    /// What an absent `search` reads as: any local US number.
    fn default() -> Self {
        Self::from(&core::SearchQuery::default())
    }
}

// A bulk search is a search without a carrier of its own (the request names
// it once for every purchase): one conversion each way, through
// `SearchRequest`, for both.
impl From<BulkSearch> for SearchRequest {
    fn from(search: BulkSearch) -> Self {
        Self {
            country: search.country,
            number_type: search.number_type,
            area_code: search.area_code,
            pattern: search.pattern,
            region: search.region,
            locality: search.locality,
            postal_code: search.postal_code,
            capabilities: search.capabilities,
            limit: search.limit,
            provider: None,
            providers: None,
        }
    }
}

impl From<&core::SearchQuery> for BulkSearch {
    fn from(query: &core::SearchQuery) -> Self {
        let search = SearchRequest::from(query);
        Self {
            country: search.country,
            number_type: search.number_type,
            area_code: search.area_code,
            pattern: search.pattern,
            region: search.region,
            locality: search.locality,
            postal_code: search.postal_code,
            capabilities: search.capabilities,
            limit: search.limit,
        }
    }
}

/// Buy `count` numbers matching `search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "count": 25,
    "search": {"area_code": "415"},
    "friendly_name_prefix": "Sales",
    "agent_id": "550e8400-e29b-41d4-a716-446655440000",
    "idempotency_key_prefix": "sales-2024-01"
}))]
pub struct BulkProvisionRequest {
    /// How many numbers to buy, 1 to 1000.
    #[schema(minimum = 1, maximum = 1000)]
    pub count: u32,
    /// Which numbers qualify; any local US number when absent.
    #[serde(default)]
    pub search: BulkSearch,
    /// The carrier to buy from; the configured default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Display names are this prefix, a space and the position (`Sales 1`,
    /// `Sales 2`, ...); the numbers themselves when absent. The characters
    /// allowed are those of a `friendly_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 59,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]*$",
        example = "Sales"
    )]
    pub friendly_name_prefix: Option<String>,
    /// Agent to assign to every number bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Uuid>,
    /// Webhooks to set on every number bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
    /// Position `n` is bought under idempotency key `{prefix}-{n}`: repeating
    /// the request returns the numbers already bought and buys only the
    /// missing ones. Printable ASCII, no spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 250, pattern = "^[!-~]+$")]
    pub idempotency_key_prefix: Option<String>,
    /// Carrier calls in flight at most, 1 to 64 (default 8); fewer while the
    /// carrier answers with rate limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 64)]
    pub max_concurrency: Option<u32>,
}

impl TryFrom<BulkProvisionRequest> for core::BulkProvisionRequest {
    type Error = Error;

    /// Parses the search's country (named `search.country`) and the
    /// webhooks; the service validates the rest.
    fn try_from(request: BulkProvisionRequest) -> Result<Self> {
        Ok(Self {
            count: request.count,
            search: SearchRequest::from(request.search).query("search.country")?,
            provider: request.provider,
            friendly_name_prefix: request.friendly_name_prefix,
            agent_id: request.agent_id,
            routing: Routing::parse(request.routing)?,
            idempotency_key_prefix: request.idempotency_key_prefix,
            max_concurrency: request.max_concurrency,
        })
    }
}

impl From<&core::BulkProvisionRequest> for BulkProvisionRequest {
    fn from(request: &core::BulkProvisionRequest) -> Self {
        Self {
            count: request.count,
            search: BulkSearch::from(&request.search),
            provider: request.provider.clone(),
            friendly_name_prefix: request.friendly_name_prefix.clone(),
            agent_id: request.agent_id,
            routing: Routing::unless_empty(&request.routing),
            idempotency_key_prefix: request.idempotency_key_prefix.clone(),
            max_concurrency: request.max_concurrency,
        }
    }
}

/// How one position of a bulk purchase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkStatus {
    /// A number was bought for it (`number`).
    Bought,
    /// A number was ordered for it (`number`, in state `pending`): the
    /// carrier has not completed the order. The number is held for the
    /// account and is never bought again; repeating the request with the
    /// same `idempotency_key_prefix` answers it as it then stands.
    Pending,
    /// None was (`error`).
    Failed,
}

// One flat object with a `status` rather than a tagged enum, so that the
// document shows one schema whose fields say which status they belong to.
/// One position's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkOutcome {
    /// Bought, pending or failed.
    pub status: BulkStatus,
    /// The position, from 1.
    pub index: u32,
    /// Bought by an earlier request with the same idempotency key prefix
    /// (status `bought` or `pending`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed: Option<bool>,
    /// The number bought or ordered (status `bought` or `pending`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<NumberResource>,
    /// The number last tried, if one was (status `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "+14155550100")]
    pub phone_number: Option<String>,
    /// Why no number was bought (status `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

impl From<core::BulkOutcome> for BulkOutcome {
    /// A failure's error in the API's error shape, so a store failure reads
    /// as a summary here too, never as internals.
    fn from(outcome: core::BulkOutcome) -> Self {
        match outcome {
            core::BulkOutcome::Bought {
                index,
                number,
                replayed,
            } => Self {
                status: match number.state {
                    core::NumberState::Pending => BulkStatus::Pending,
                    _ => BulkStatus::Bought,
                },
                index,
                replayed: Some(replayed),
                number: Some(NumberResource::from(*number)),
                phone_number: None,
                error: None,
            },
            core::BulkOutcome::Failed {
                index,
                phone_number,
                error,
            } => Self {
                status: BulkStatus::Failed,
                index,
                replayed: None,
                number: None,
                phone_number: phone_number.map(|p| p.as_str().to_string()),
                error: Some(ErrorDetail::from(&error)),
            },
        }
    }
}

/// How the carrier behaved during a bulk purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkStats {
    /// Searches sent to the carrier.
    pub searches: u32,
    /// Numbers someone else took between search and purchase, replaced.
    pub replaced: u32,
    /// Calls the carrier refused with a rate limit (each tried again).
    pub rate_limited: u32,
    /// Purchases tried again after a temporary failure.
    pub retries: u32,
    /// The most carrier calls in flight at once.
    pub peak_concurrency: u32,
    /// The concurrency limit at the end, as adapted to the carrier.
    pub final_concurrency: u32,
}

impl From<core::BulkStats> for BulkStats {
    fn from(stats: core::BulkStats) -> Self {
        Self {
            searches: stats.searches,
            replaced: stats.replaced,
            rate_limited: stats.rate_limited,
            retries: stats.retries,
            peak_concurrency: stats.peak_concurrency,
            final_concurrency: stats.final_concurrency,
        }
    }
}

/// Every position's outcome, in order, and the totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkReport {
    /// Numbers asked for.
    pub requested: u32,
    /// Positions with a number, replayed ones included.
    pub bought: u32,
    /// Of those, bought by an earlier request with the same keys.
    pub replayed: u32,
    /// Of those, numbers whose carrier order has not completed (status
    /// `pending`).
    pub pending: u32,
    /// Positions without one.
    pub failed: u32,
    /// One per position, by index.
    pub outcomes: Vec<BulkOutcome>,
    /// How the carrier behaved.
    pub stats: BulkStats,
}

impl From<core::BulkReport> for BulkReport {
    fn from(report: core::BulkReport) -> Self {
        Self {
            requested: report.requested,
            bought: report.bought,
            replayed: report.replayed,
            pending: report.pending,
            failed: report.failed,
            outcomes: report.outcomes.into_iter().map(BulkOutcome::from).collect(),
            stats: report.stats.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;
    use switchboard_core::{
        AccountId, CountryCode, NumberState, PhoneNumber, ProvisionedNumber, WebhookUrl,
    };

    use super::*;

    fn decode(json: serde_json::Value) -> Result<core::BulkProvisionRequest> {
        let request: BulkProvisionRequest = serde_json::from_value(json).unwrap();
        core::BulkProvisionRequest::try_from(request)
    }

    fn record() -> ProvisionedNumber {
        let at = Utc.with_ymd_and_hms(2024, 1, 15, 10, 30, 0).unwrap();
        ProvisionedNumber {
            id: Uuid::nil(),
            account: AccountId::parse("acme").unwrap(),
            phone_number: PhoneNumber::parse("+14155550100").unwrap(),
            friendly_name: "Sales 1".into(),
            agent_id: None,
            capabilities: core::Capabilities::VOICE_SMS_MMS,
            provider: "fake".into(),
            carrier_id: Some("c1".into()),
            routing: core::Routing::default(),
            state: NumberState::Active,
            idempotency_key: None,
            created_at: at,
            updated_at: at,
            released_at: None,
            release_not_before: None,
            version: 1,
            lease_until: None,
            purchased_at: None,
            request_fingerprint: None,
            order: None,
        }
    }

    #[test]
    fn a_count_alone_buys_any_local_us_number() {
        let request = decode(json!({"count": 3})).unwrap();
        assert_eq!(
            request,
            core::BulkProvisionRequest::new(3, core::SearchQuery::default())
        );
    }

    #[test]
    fn the_searchs_fields_are_named_under_search() {
        let err = decode(json!({"count": 1, "search": {"country": "USA"}})).unwrap_err();
        assert_eq!(err.field(), Some("search.country"));
        let err = decode(json!({"count": 1, "routing": {"sms_url": "x"}})).unwrap_err();
        assert_eq!(err.field(), Some("routing.sms_url"));
        // The service's own rules name their fields the same way.
        let err = decode(json!({"count": 1, "search": {"area_code": "x"}}))
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("search.area_code"));
        assert!(
            serde_json::from_value::<BulkProvisionRequest>(
                json!({"count": 1, "search": {"provider": "fake"}})
            )
            .is_err(),
            "a bulk search names no carrier of its own"
        );
    }

    #[test]
    fn a_core_request_goes_out_as_the_json_it_comes_back_from() {
        let search = core::SearchQuery::new(CountryCode::CA)
            .number_type(core::NumberType::TollFree)
            .area_code("604")
            .pattern(core::DigitPattern::EndsWith("1234".into()))
            .limit(5);
        let request = core::BulkProvisionRequest::new(25, search)
            .provider("fake")
            .friendly_name_prefix("Sales")
            .agent(Uuid::nil())
            .routing(core::Routing {
                voice_url: Some(WebhookUrl::parse("https://a.example/voice").unwrap()),
                ..core::Routing::default()
            })
            .idempotency_key_prefix("batch")
            .max_concurrency(10);
        let json = serde_json::to_value(BulkProvisionRequest::from(&request)).unwrap();
        assert_eq!(json["search"]["number_type"], "toll_free");
        assert_eq!(decode(json).unwrap(), request);
    }

    #[test]
    fn a_position_whose_order_is_open_is_pending_with_its_number() {
        let mut ordered = record();
        ordered.state = NumberState::Pending;
        ordered.carrier_id = None;
        let outcome = BulkOutcome::from(core::BulkOutcome::Bought {
            index: 4,
            number: Box::new(ordered),
            replayed: false,
        });
        let json = serde_json::to_value(&outcome).unwrap();
        assert_eq!(json["status"], "pending");
        assert_eq!(json["number"]["state"], "pending");
        assert_eq!(json["number"]["is_active"], false);
        let bought = BulkOutcome::from(core::BulkOutcome::Bought {
            index: 5,
            number: Box::new(record()),
            replayed: false,
        });
        assert_eq!(bought.status, BulkStatus::Bought);
    }

    #[test]
    fn the_report_shows_each_outcome_with_its_status_and_errors_in_the_api_shape() {
        let report = core::BulkReport {
            requested: 3,
            bought: 1,
            replayed: 1,
            pending: 0,
            failed: 2,
            outcomes: vec![
                core::BulkOutcome::Bought {
                    index: 1,
                    number: Box::new(record()),
                    replayed: true,
                },
                core::BulkOutcome::Failed {
                    index: 2,
                    phone_number: Some(PhoneNumber::parse("+14155550101").unwrap()),
                    error: Error::invalid("phone_number", "bad"),
                },
                core::BulkOutcome::Failed {
                    index: 3,
                    phone_number: None,
                    error: Error::Repository {
                        message: "connection to db-7.internal refused".into(),
                        temporary: true,
                        cause: None,
                    },
                },
            ],
            stats: core::BulkStats {
                searches: 1,
                replaced: 2,
                rate_limited: 3,
                retries: 4,
                peak_concurrency: 5,
                final_concurrency: 6,
            },
        };
        let text = serde_json::to_string(&BulkReport::from(report)).unwrap();
        let number = serde_json::to_string(&NumberResource::from(record())).unwrap();
        assert_eq!(
            text,
            format!(
                concat!(
                    r#"{{"requested":3,"bought":1,"replayed":1,"pending":0,"failed":2,"outcomes":["#,
                    r#"{{"status":"bought","index":1,"replayed":true,"number":{number}}},"#,
                    r#"{{"status":"failed","index":2,"phone_number":"+14155550101","#,
                    r#""error":{{"code":"invalid_input","message":"invalid phone_number: bad","field":"phone_number"}}}},"#,
                    r#"{{"status":"failed","index":3,"#,
                    r#""error":{{"code":"repository_error","message":"the number store failed; try again later"}}}}],"#,
                    r#""stats":{{"searches":1,"replaced":2,"rate_limited":3,"retries":4,"#,
                    r#""peak_concurrency":5,"final_concurrency":6}}}}"#
                ),
                number = number
            )
        );
    }
}
