//! Twilio REST API 2010-04-01: AvailablePhoneNumbers and
//! IncomingPhoneNumbers, form-encoded in, JSON out.
//!
//! This module routes the resources to their handlers; each resource is a
//! module of its own: [`search`] (AvailablePhoneNumbers),
//! [`purchase`](mod@purchase) (a POST to IncomingPhoneNumbers) and [`owned`]
//! (listing, fetching, updating and releasing owned numbers). The fields
//! purchase and update both set, and how they are checked, are in
//! [`fields`].
#![allow(
    clippy::result_large_err,
    reason = "the error is the HTTP answer itself, built once on a rare path and returned as is"
)]

mod fields;
mod owned;
mod pattern;
mod purchase;
mod render;
mod search;

use std::sync::Arc;

use axum::Router;
use axum::routing;

use crate::app::App;
use crate::state::AccountKey;

pub(crate) use pattern::{ContainsPattern, keypad_digit};

pub use fields::{create_fields, update_fields};
pub use owned::LIST_PARAMS;
use owned::{fetch, list, release, update};
use purchase::purchase;
pub use search::SEARCH_PARAMS;
use search::{search_local, search_mobile, search_toll_free};

pub(crate) fn router() -> Router<Arc<App>> {
    let base = "/2010-04-01/Accounts/{AccountSid}";
    Router::new()
        .route(
            &format!("{base}/AvailablePhoneNumbers/{{CountryCode}}/Local.json"),
            routing::get(search_local),
        )
        .route(
            &format!("{base}/AvailablePhoneNumbers/{{CountryCode}}/TollFree.json"),
            routing::get(search_toll_free),
        )
        .route(
            &format!("{base}/AvailablePhoneNumbers/{{CountryCode}}/Mobile.json"),
            routing::get(search_mobile),
        )
        .route(
            &format!("{base}/IncomingPhoneNumbers.json"),
            routing::get(list).post(purchase),
        )
        .route(
            &format!("{base}/IncomingPhoneNumbers/{{Sid}}"),
            routing::get(fetch).post(update).delete(release),
        )
}

fn account_sid(account: &AccountKey) -> &str {
    account.id()
}
