//! Buying a number: a POST to IncomingPhoneNumbers, by number or by area
//! code, with the fields checked before anything is bought and the trial
//! account's one-number limit.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use switchboard_core::{AvailableNumber, CountryCode, PhoneNumber, SearchQuery};

use crate::app::{App, Committed};
use crate::config::Mode;
use crate::errors::{self, twilio_bad_request};
use crate::params::get;
use crate::state::{AccountKey, Bought, NumberRecord};

use super::fields::{apply_fields, create_fields, read_form};
use super::{account_sid, render};

pub(super) async fn purchase(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    RawForm(body): RawForm,
) -> Response {
    let pairs = match read_form(&app, &body, &create_fields()) {
        Ok(pairs) => pairs,
        Err(response) => return response,
    };
    let mode = app.behaviour().mode;
    let catalogue: AvailableNumber = match (get(&pairs, "PhoneNumber"), get(&pairs, "AreaCode")) {
        (Some(number), _) => {
            let Ok(number) = PhoneNumber::parse_trusted(number.trim()) else {
                return twilio_bad_request(
                    errors::TWILIO_INVALID_NUMBER,
                    format!(
                        "The phone number you are attempting to purchase, {number}, is invalid."
                    ),
                );
            };
            match app.inventory.contains(&number) {
                Some(catalogue) => catalogue,
                None => return unavailable(&number),
            }
        }
        (None, Some(area_code)) => match first_free_in_area(&app, area_code) {
            Some(catalogue) => catalogue,
            None => {
                return twilio_bad_request(
                    errors::TWILIO_NO_NUMBERS_IN_AREA,
                    format!("No phone numbers found in area code {area_code}."),
                );
            }
        },
        (None, None) => {
            return twilio_bad_request(
                errors::TWILIO_INVALID_NUMBER,
                "A PhoneNumber or AreaCode is required.",
            );
        }
    };
    // Check the fields before buying, so bad input changes nothing.
    let now = app.clock.now();
    let mut template = NumberRecord {
        seq: 0,
        id: String::new(),
        catalogue: catalogue.clone(),
        name: None,
        created_at: now,
        updated_at: now,
        updated: false,
        fields: Default::default(),
    };
    // Live: an EmergencyAddressSid sent with the purchase is ignored (live
    // behaviour 8 in docs/carriers/twilio.md).
    let skip: &[&str] = match mode {
        Mode::Live => &["EmergencyAddressSid"],
        Mode::Strict => &[],
    };
    if let Err(response) = apply_fields(&mut template, &pairs, skip) {
        return response;
    }
    let max_owned = app.twilio_trial(account_sid(&account)).then_some(1);
    let number = catalogue.phone_number.clone();
    let bought = app
        .store
        .buy(&account, catalogue, max_owned, |seq, catalogue| {
            NumberRecord {
                seq,
                id: app.ids.sid("PN"),
                catalogue,
                ..template
            }
        });
    let record = match bought {
        Bought::New(record) | Bought::AlreadyYours(record) => record,
        Bought::Unavailable => return unavailable(&number),
        Bought::LimitReached => {
            return twilio_bad_request(
                errors::TWILIO_TRIAL_LIMIT,
                "Trial accounts are allowed only one Twilio number.",
            );
        }
    };
    let body = render::incoming(&record, account_sid(&account), mode);
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    response.extensions_mut().insert(Committed);
    response
}

fn unavailable(number: &PhoneNumber) -> Response {
    twilio_bad_request(
        errors::TWILIO_UNAVAILABLE,
        format!("The phone number {number} is not available."),
    )
}

fn first_free_in_area(app: &App, area_code: &str) -> Option<AvailableNumber> {
    let owners = app.store.owners();
    [CountryCode::US, CountryCode::CA]
        .into_iter()
        .find_map(|country| {
            let query = SearchQuery::new(country).area_code(area_code).limit(1);
            app.inventory
                .search(&query, |n| owners.is_owned(n))
                .ok()?
                .into_iter()
                .next()
        })
}
