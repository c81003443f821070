//! Buying on Telnyx: a number order (`POST /number_orders`) that answers
//! `pending`, `success` or `failure`, and asking about it later
//! (`GET /number_orders/{id}`).
//!
//! The order is sent once and never repeated ([`Idempotent::No`]): a
//! second POST is a second order. A `pending` answer is core's
//! [`PurchaseOutcome::Pending`] with the order's id; `success` is
//! [`PurchaseOutcome::Bought`] with the owned number, whose numeric id only
//! `/phone_numbers` gives (an order names the number, not its id). When
//! the listing does not show the number yet, the outcome is `Pending` too:
//! the order is what proves the purchase, and asking about it again finds
//! the number.
//!
//! What the order carries: `connection_id` and `messaging_profile_id`
//! from the purchase's routing (through the configured routes), else from
//! configuration; `customer_reference` is the purchase's name, else the
//! configured reference. The name belongs on the number (its
//! `customer_reference`, which is what the adapter reads as the name) and
//! the number does not exist while the order is open, so the order keeps
//! it: when the order completes, whether at once or when asked later, the
//! number is given the order's reference (when it is a name, not the
//! configured default), connection and messaging profile wherever it
//! lacks them. That step is a PATCH of the same values however often it
//! runs, and needs nothing kept between calls or processes.

use switchboard_carrier_http::{Idempotent, Method, Request};
use switchboard_core::{
    CarrierNumber, Error, OrderStatus, PendingOrder, PhoneNumber, PurchaseOutcome, PurchaseRequest,
    Result, validate_friendly_name,
};
use uuid::Uuid;

use crate::errors::{Operation, PROVIDER};
use crate::provider::TelnyxProvider;
use crate::wire::{
    Data, OrderBody, OrderNumberWire, OrderWire, OrderedNumber, PhoneNumberWire, UpdateBody,
};

/// `requirements_status` values that wait for the account owner (as
/// opposed to Telnyx's review, which ends by waiting).
const OWNER_MUST_ACT: &[&str] = &[
    "requirement-info-pending",
    "requirement-info-exception",
    "cancelled",
    "deleted",
];

/// `POST /number_orders` for one number.
pub(crate) async fn purchase(
    telnyx: &TelnyxProvider,
    request: &PurchaseRequest,
) -> Result<PurchaseOutcome> {
    let number = request.phone_number.as_str();
    if let Some(name) = &request.friendly_name {
        validate_friendly_name(name)?;
    }
    // Refused before anything is bought: routing Telnyx cannot hold.
    let routing = telnyx.config.routes.to_telnyx(&request.routing)?;
    let config = &telnyx.config;
    let body = OrderBody {
        phone_numbers: [OrderedNumber {
            phone_number: number,
        }],
        connection_id: routing
            .connection_id
            .as_deref()
            .or(config.connection_id.as_deref()),
        messaging_profile_id: routing
            .messaging_profile_id
            .as_deref()
            .or(config.messaging_profile_id.as_deref()),
        customer_reference: request
            .friendly_name
            .as_deref()
            .or(config.customer_reference.as_deref()),
    };
    let json = telnyx.json(&body)?;
    let url = &telnyx.orders_url;
    let op = Operation::Purchase {
        phone_number: number,
    };
    let answer = telnyx
        .send(
            op,
            Request::new(Method::POST, url, Idempotent::No).body(json),
        )
        .await?;
    // A 200 whose order cannot be read still placed an order: the outcome
    // is unknown, for the service to settle by asking.
    let what = format!("the order of {number}");
    let order = serde_json::from_slice::<Data<OrderWire>>(answer.body())
        .map_err(|e| answer.unknown_outcome(&what, e))?
        .data;
    let order_id = order
        .id
        .as_deref()
        .and_then(|id| Uuid::try_parse(id).ok())
        .ok_or_else(|| answer.unknown_outcome(&what, "the order has no id"))?
        .hyphenated()
        .to_string();
    let pending = || {
        PurchaseOutcome::Pending(PendingOrder {
            order_id: order_id.clone(),
            phone_number: request.phone_number.clone(),
        })
    };
    match state(&order, &request.phone_number) {
        // The order proves the purchase: a number not listed yet, or a
        // lookup that failed, leaves it for `order_status` to hand out.
        State::Success => match complete(telnyx, &order, &request.phone_number).await {
            Ok(Some(bought)) => Ok(PurchaseOutcome::Bought(bought)),
            Ok(None) => Ok(pending()),
            Err(error) => {
                tracing::warn!(
                    provider = PROVIDER,
                    phone_number = number,
                    order_id = %order_id,
                    %error,
                    "order succeeded but the number could not be looked up; answering pending"
                );
                Ok(pending())
            }
        },
        State::Failure => Err(Error::NumberUnavailable {
            phone_number: number.to_string(),
            provider: PROVIDER.into(),
            code: None,
            message: Some(format!("number order {order_id} failed")),
        }),
        State::Pending => Ok(pending()),
    }
}

/// `GET /number_orders/{id}`, read for the one number it ordered.
pub(crate) async fn order_status(telnyx: &TelnyxProvider, order_id: &str) -> Result<OrderStatus> {
    let id = Uuid::try_parse(order_id)
        .map_err(|_| {
            Error::invalid(
                "order_id",
                format!(
                    "is not a Telnyx number order id (a UUID); it has {} characters",
                    order_id.chars().count()
                ),
            )
        })?
        .hyphenated()
        .to_string();
    let mut url = telnyx.orders_url.clone();
    url.set_path(&format!("{}/{id}", url.path()));
    let answer = telnyx
        .send(Operation::Order { id: &id }, Request::get(&url))
        .await?;
    let order = answer.json::<Data<OrderWire>>("number order")?.data;
    // The order names the number; one order of ours holds one.
    let numbers: Vec<PhoneNumber> = order
        .phone_numbers
        .iter()
        .filter_map(|n| PhoneNumber::parse_trusted(n.phone_number.as_deref()?).ok())
        .collect();
    let [number] = &numbers[..] else {
        return Err(Error::Inconsistent {
            source_name: PROVIDER.into(),
            message: format!(
                "number order {id} names {} phone numbers; an order of this adapter names one",
                numbers.len()
            ),
        });
    };
    Ok(match state(&order, number) {
        State::Success => match complete(telnyx, &order, number).await? {
            Some(bought) => OrderStatus::Complete(bought),
            None => OrderStatus::Pending,
        },
        State::Failure => OrderStatus::Failed {
            reason: failure_reason(&id, item(&order, number)),
        },
        State::Pending => match missing(&order, number) {
            Some(missing) => OrderStatus::RequirementsNeeded { missing },
            None => OrderStatus::Pending,
        },
    })
}

/// Where an order stands for one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Success,
    Failure,
}

/// The order's item for `number`, if it lists it.
fn item<'o>(order: &'o OrderWire, number: &PhoneNumber) -> Option<&'o OrderNumberWire> {
    order
        .phone_numbers
        .iter()
        .find(|n| n.phone_number.as_deref() == Some(number.as_str()))
}

/// The number's own status in the order, else the order's. A status other
/// than the three described is taken as pending: the order exists, and
/// asking again is safe where guessing is not.
fn state(order: &OrderWire, number: &PhoneNumber) -> State {
    let status = item(order, number)
        .and_then(|n| n.status.as_deref())
        .or(order.status.as_deref());
    match status.map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("success") => State::Success,
        Some(s) if s.eq_ignore_ascii_case("failure") || s.eq_ignore_ascii_case("failed") => {
            State::Failure
        }
        _ => State::Pending,
    }
}

/// What a pending order waits for from the account owner, as far as the
/// answer says; `None` when it waits for Telnyx alone (no requirement
/// unmet, or the documents under review).
fn missing(order: &OrderWire, number: &PhoneNumber) -> Option<Vec<String>> {
    let item = item(order, number);
    let unmet = item
        .and_then(|n| n.requirements_met)
        .or(order.requirements_met)
        .is_some_and(|met| !met.0);
    let status = item.and_then(|n| n.requirements_status.as_deref());
    let without_value: Vec<String> = item
        .map(|n| &n.regulatory_requirements[..])
        .unwrap_or_default()
        .iter()
        .filter(|r| r.field_value.is_none())
        .map(|r| {
            let id = r.requirement_id.as_deref().unwrap_or("(no id)");
            match r.field_type.as_deref() {
                Some(kind) => format!("requirement {id} ({kind})"),
                None => format!("requirement {id}"),
            }
        })
        .collect();
    if !without_value.is_empty() {
        return Some(without_value);
    }
    match status {
        Some(s) if OWNER_MUST_ACT.contains(&s) => Some(vec![format!(
            "regulatory requirements (requirements_status {s})"
        )]),
        Some(_) => None,
        None if unmet => Some(vec![
            "regulatory requirements (requirements_met is false; the order names none)".into(),
        ]),
        None => None,
    }
}

fn failure_reason(id: &str, item: Option<&OrderNumberWire>) -> String {
    match item.and_then(|n| n.requirements_status.as_deref()) {
        Some(status) => format!("telnyx number order {id} failed (requirements_status {status})"),
        None => format!("telnyx number order {id} failed"),
    }
}

/// The owned number of a completed order, given what the order carried
/// where it lacks it; `None` while `/phone_numbers` does not list it yet.
async fn complete(
    telnyx: &TelnyxProvider,
    order: &OrderWire,
    number: &PhoneNumber,
) -> Result<Option<CarrierNumber>> {
    let Some(owned) = telnyx.find_owned_wire(number).await? else {
        return Ok(None);
    };
    let owned = match finish(telnyx, order, &owned).await {
        Ok(finished) => finished,
        Err(error) => {
            // Bought all the same: an error would make the service think
            // otherwise. `update` sets name and routing again.
            tracing::warn!(
                provider = PROVIDER,
                phone_number = number.as_str(),
                %error,
                "number bought, but giving it the order's name and routing failed; \
                 returning it as Telnyx holds it"
            );
            owned
        }
    };
    telnyx.carrier_number(&owned).map(Some)
}

/// Gives `owned` the order's name, connection and messaging profile where
/// they differ, and returns the record as it then is.
async fn finish(
    telnyx: &TelnyxProvider,
    order: &OrderWire,
    owned: &PhoneNumberWire,
) -> Result<PhoneNumberWire> {
    let id = crate::provider::number_id(owned.id.as_deref().unwrap_or_default())?;
    fn differs<'a>(wanted: &'a Option<String>, has: &Option<String>) -> Option<&'a str> {
        wanted.as_deref().filter(|w| Some(*w) != has.as_deref())
    }
    let name = differs(&order.customer_reference, &owned.customer_reference)
        .filter(|r| Some(*r) != telnyx.config.customer_reference.as_deref());
    let mut record = owned.clone();
    if let Some(profile) = differs(&order.messaging_profile_id, &owned.messaging_profile_id) {
        telnyx.patch_messaging(&id, profile).await?;
        record.messaging_profile_id = Some(profile.to_string());
    }
    let body = UpdateBody {
        customer_reference: name,
        connection_id: differs(&order.connection_id, &owned.connection_id),
    };
    if !body.is_empty() {
        let patched = telnyx.patch(&id, &body).await?;
        record = PhoneNumberWire {
            messaging_profile_id: record
                .messaging_profile_id
                .or(patched.messaging_profile_id.clone()),
            ..patched
        };
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(json: serde_json::Value) -> OrderWire {
        serde_json::from_value(json).unwrap()
    }

    fn number() -> PhoneNumber {
        PhoneNumber::parse_trusted("+19705555098").unwrap()
    }

    #[test]
    fn the_numbers_own_status_decides_then_the_orders() {
        let o = order(serde_json::json!({"status": "pending",
            "phone_numbers": [{"phone_number": "+19705555098", "status": "success"}]}));
        assert_eq!(state(&o, &number()), State::Success);
        let o = order(serde_json::json!({"status": "failure", "phone_numbers": []}));
        assert_eq!(state(&o, &number()), State::Failure);
        let o = order(serde_json::json!({"status": "processing"}));
        assert_eq!(state(&o, &number()), State::Pending);
    }

    #[test]
    fn what_is_missing_is_named_as_far_as_the_order_says() {
        let o = order(
            serde_json::json!({"status": "pending", "requirements_met": false,
            "phone_numbers": [{"phone_number": "+19705555098", "requirements_met": false,
                "regulatory_requirements": [
                    {"requirement_id": "8ffb3622-7c6b-4ccc-b65f-7a3dc0099576", "field_type": "address"},
                    {"requirement_id": "9ffb3622-7c6b-4ccc-b65f-7a3dc0099576", "field_value": "x"}]}]}),
        );
        assert_eq!(
            missing(&o, &number()).unwrap(),
            ["requirement 8ffb3622-7c6b-4ccc-b65f-7a3dc0099576 (address)"]
        );
        let o = order(serde_json::json!({"requirements_met": false}));
        assert!(missing(&o, &number()).unwrap()[0].contains("requirements_met is false"));
        let o = order(
            serde_json::json!({"requirements_met": false, "phone_numbers": [
            {"phone_number": "+19705555098", "requirements_status": "requirement-info-under-review"}]}),
        );
        assert_eq!(missing(&o, &number()), None);
        let o = order(serde_json::json!({"phone_numbers": [
            {"phone_number": "+19705555098", "requirements_status": "requirement-info-pending"}]}));
        assert!(missing(&o, &number()).unwrap()[0].contains("requirement-info-pending"));
        assert_eq!(
            missing(
                &order(serde_json::json!({"requirements_met": true})),
                &number()
            ),
            None
        );
    }
}
