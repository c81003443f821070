//! `DELETE /phone_numbers/{id}`: releasing a number at once. It answers 200
//! with the record as it was, `status: deleted`, and the number is for sale
//! again. A number whose order is still pending cannot be released yet.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::{App, Committed};
use crate::state::AccountKey;

use super::errors;
use super::owned::check_id;
use super::render::{self, PURCHASE_PENDING};

pub(super) async fn release(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path(id): Path<String>,
) -> Response {
    if let Err(response) = check_id(&id) {
        return response;
    }
    let result = app.store.release(&account, &id, |record| {
        if record.field("status") == Some(PURCHASE_PENDING) {
            Err(errors::telnyx(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors::IN_USE,
                "Resource in use",
                format!(
                    "{} is on a pending number order; it can be released once the order settles",
                    record.catalogue.phone_number
                ),
                None,
            ))
        } else {
            Ok(())
        }
    });
    match result {
        Some(Ok(mut record)) => {
            record.updated_at = app.clock.now().max(record.created_at);
            let body = render::phone_number(&record, app.behaviour().mode, true);
            let mut response = Json(json!({ "data": body })).into_response();
            response.extensions_mut().insert(Committed);
            response
        }
        Some(Err(response)) => response,
        None => errors::not_found(&format!("phone number {id}")),
    }
}
