//! `DELETE phone_numbers/{id}`: releasing a number, refused (as live
//! refuses it) while the cooldown after its purchase runs, when one is set.

use std::sync::Arc;

use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::{App, Committed};
use crate::errors::signalwire_plain;
use crate::state::{AccountKey, MAX_ADVANCE_SECS};

use super::unprocessable;

pub(super) async fn release(
    State(app): State<Arc<App>>,
    Extension(account): Extension<AccountKey>,
    Path(id): Path<String>,
) -> Response {
    let cooldown = app.behaviour().signalwire_release_cooldown_secs;
    let now = app.clock.now();
    let result = app.store.release(&account, &id, |record| {
        let Some(secs) = cooldown else {
            return Ok(());
        };
        let secs = i64::try_from(secs)
            .unwrap_or(i64::MAX)
            .min(MAX_ADVANCE_SECS);
        let until = chrono::TimeDelta::try_seconds(secs)
            .and_then(|d| record.created_at.checked_add_signed(d))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        if now < until {
            return Err(format!(
                "Number was purchased too recently to release. Please wait until {} UTC to \
                 release this number, or contact Support for assistance.",
                until.format("%Y-%m-%d %H:%M:%S")
            ));
        }
        Ok(())
    });
    match result {
        Some(Ok(_)) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            response.extensions_mut().insert(Committed);
            response
        }
        Some(Err(detail)) => unprocessable(detail),
        None => signalwire_plain(StatusCode::NOT_FOUND),
    }
}
