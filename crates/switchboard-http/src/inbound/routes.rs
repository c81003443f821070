//! The webhook routes: prove the request came from the carrier, find the
//! number's record, and answer with the handler's XML.
//!
//! Order matters for safety: nothing is looked up and no handler runs
//! before the signature is proven, so a forged request costs one MAC.

use axum::RequestPartsExt;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use switchboard_core::WebhookMethod;
use switchboard_core::inbound::{InboundEvent, InboundKind, WebhookError, WebhookRequest};

use crate::error::ApiError;
use crate::extract::{is_json, read_body};
use crate::state::AppState;
use switchboard_api::ErrorResponse;

use super::{Answer, InboundOptions};

/// The content type of every answer: both carriers read TwiML/cXML as XML.
const XML: &str = "text/xml; charset=utf-8";

/// Answers a webhook of `kind` from the provider named in the path.
async fn handle(
    state: AppState,
    kind: InboundKind,
    request: Request,
) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    let provider = parts
        .extract::<Path<String>>()
        .await
        .map(|Path(provider)| provider)
        .map_err(|_| not_configured("this provider"))?;
    let Some(inbound) = state.inbound.clone() else {
        return Err(not_configured(&provider));
    };
    let Some(verifier) = inbound.verifier(&provider).cloned() else {
        return Err(not_configured(&provider));
    };
    let method = if parts.method == Method::POST {
        WebhookMethod::Post
    } else {
        WebhookMethod::Get
    };
    // The body is read through the request's own parts (the body limit is
    // in their extensions); the headers and the URI are taken out first, as
    // the verifier needs them after the read and cloning them would cost an
    // allocation per header and per extension on every webhook.
    let headers = std::mem::take(&mut parts.headers);
    let uri = std::mem::take(&mut parts.uri);
    let body = match method {
        // A GET's parameters are in the query; a body sent with it is not
        // read (the limits middleware does not wait for it either).
        WebhookMethod::Get => Default::default(),
        WebhookMethod::Post => {
            let bytes = read_body(Request::from_parts(parts, body), &state).await?;
            check_content_type(&headers, &bytes)?;
            bytes
        }
    };
    let url = inbound.called_url(verifier.carrier(), kind, uri.query());
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let webhook = WebhookRequest {
        method,
        url: &url,
        headers: &headers,
        body: &body,
    };
    let event = match verifier.accept(kind, &webhook) {
        Ok(event) => event,
        Err(error) => return Err(refused(verifier.carrier(), kind, &error)),
    };
    answer(&state, &inbound, verifier.carrier(), event).await
}

/// A form or JSON body, as the carriers send; anything else is 415 before
/// any key is used.
fn check_content_type(headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    if body.is_empty() {
        return Ok(());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") || is_json(content_type) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the webhook as application/x-www-form-urlencoded or application/json",
        ))
    }
}

fn not_configured(provider: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("this service takes no inbound webhooks from {provider}"),
    )
}

/// 403 for a request that is not proven to come from the carrier, 400 for a
/// proven one we cannot read. The log gets the reason (which header, which
/// parameter), never a key or a signature.
fn refused(carrier: &str, kind: InboundKind, error: &WebhookError) -> ApiError {
    let kind = kind.route_segment();
    if error.is_authentication() {
        tracing::warn!(carrier, kind, reason = %error, "inbound webhook refused");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "invalid_signature",
            "the webhook's signature does not verify against this service's public URL and \
             the carrier's key",
        );
    }
    tracing::warn!(carrier, kind, reason = %error, "inbound webhook unreadable");
    match error {
        WebhookError::Malformed { field, reason } => {
            ApiError::invalid(field.clone(), format!("parameter {field} {reason}"))
        }
        other => ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", other.to_string()),
    }
}

async fn answer(
    state: &AppState,
    inbound: &InboundOptions,
    carrier: &str,
    event: InboundEvent,
) -> Result<Response, ApiError> {
    let handler = inbound.handler();
    // The verifier's carrier, not the event's: the route proved only that.
    let number = match state.service.resolve_inbound(carrier, event.to()).await {
        Ok(number) => number,
        Err(error) => {
            if let Some(answer) = handler.store_unavailable(&event).await {
                tracing::warn!(%error, "the number store failed: answered with the fallback");
                return Ok(xml(answer));
            }
            return Err(error.into());
        }
    };
    if let Some(number) = &number {
        tracing::Span::current().record("account", tracing::field::display(&number.account));
    }
    Ok(xml(handler.answer(&event, number.as_ref()).await))
}

fn xml(answer: Answer) -> Response {
    ([(header::CONTENT_TYPE, XML)], answer.into_string()).into_response()
}

/// A call ringing one of our numbers, from the number's `voice_url` (POST,
/// a form or JSON body, as the carrier signs it).
#[utoipa::path(
    post,
    path = "/functions/v1/inbound/{provider}/voice",
    tag = "inbound",
    params(("provider" = String, Path, description = "The carrier that calls: `twilio`, `signalwire`")),
    request_body(
        description = "The carrier's webhook parameters (Twilio's names: `CallSid`, `From`, `To`, ...), as the carrier signed them",
        content(("application/x-www-form-urlencoded"), ("application/json"))
    ),
    responses(
        (status = 200, description = "TwiML/cXML for the carrier", body = String, content_type = "text/xml"),
        (status = 400, description = "Signed, but a parameter the call needs is missing or unreadable (`field` names it), or the body could not be read", body = ErrorResponse),
        (status = 403, description = "The signature is missing or does not verify", body = ErrorResponse),
        (status = 404, description = "This service takes no webhooks from this provider", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Body is neither a form nor JSON", body = ErrorResponse),
        (status = 500, description = "The number store failed for good, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The number store is unreachable, or the request timed out", body = ErrorResponse),
    ),
    security(())
)]
pub(crate) async fn inbound_voice_post(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    handle(state, InboundKind::Voice, request).await
}

/// A call ringing one of our numbers, from a `voice_url` whose method is
/// GET: the parameters are in the query string.
#[utoipa::path(
    get,
    path = "/functions/v1/inbound/{provider}/voice",
    tag = "inbound",
    params(("provider" = String, Path, description = "The carrier that calls: `twilio`, `signalwire`")),
    responses(
        (status = 200, description = "TwiML/cXML for the carrier", body = String, content_type = "text/xml"),
        (status = 400, description = "Signed, but a parameter the call needs is missing or unreadable (`field` names it)", body = ErrorResponse),
        (status = 403, description = "The signature is missing or does not verify", body = ErrorResponse),
        (status = 404, description = "This service takes no webhooks from this provider", body = ErrorResponse),
        (status = 500, description = "The number store failed for good, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The number store is unreachable, or the request timed out", body = ErrorResponse),
    ),
    security(())
)]
pub(crate) async fn inbound_voice_get(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    handle(state, InboundKind::Voice, request).await
}

/// A text or media message to one of our numbers, from its `sms_url`.
#[utoipa::path(
    post,
    path = "/functions/v1/inbound/{provider}/messages",
    tag = "inbound",
    params(("provider" = String, Path, description = "The carrier that calls: `twilio`, `signalwire`")),
    request_body(
        description = "The carrier's webhook parameters (Twilio's names: `MessageSid`, `From`, `To`, `Body`, `NumMedia`, ...), as the carrier signed them",
        content(("application/x-www-form-urlencoded"), ("application/json"))
    ),
    responses(
        (status = 200, description = "TwiML/cXML for the carrier (`<Response/>`: no reply)", body = String, content_type = "text/xml"),
        (status = 400, description = "Signed, but a parameter the message needs is missing or unreadable (`field` names it), or the body could not be read", body = ErrorResponse),
        (status = 403, description = "The signature is missing or does not verify", body = ErrorResponse),
        (status = 404, description = "This service takes no webhooks from this provider", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Body is neither a form nor JSON", body = ErrorResponse),
        (status = 500, description = "The number store failed for good, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The number store is unreachable, or the request timed out", body = ErrorResponse),
    ),
    security(())
)]
pub(crate) async fn inbound_messages_post(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    handle(state, InboundKind::Message, request).await
}

/// A message to one of our numbers, from an `sms_url` whose method is GET.
#[utoipa::path(
    get,
    path = "/functions/v1/inbound/{provider}/messages",
    tag = "inbound",
    params(("provider" = String, Path, description = "The carrier that calls: `twilio`, `signalwire`")),
    responses(
        (status = 200, description = "TwiML/cXML for the carrier (`<Response/>`: no reply)", body = String, content_type = "text/xml"),
        (status = 400, description = "Signed, but a parameter the message needs is missing or unreadable (`field` names it)", body = ErrorResponse),
        (status = 403, description = "The signature is missing or does not verify", body = ErrorResponse),
        (status = 404, description = "This service takes no webhooks from this provider", body = ErrorResponse),
        (status = 500, description = "The number store failed for good, or a bug; the details are only in the server's log", body = ErrorResponse),
        (status = 503, description = "The number store is unreachable, or the request timed out", body = ErrorResponse),
    ),
    security(())
)]
pub(crate) async fn inbound_messages_get(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    handle(state, InboundKind::Message, request).await
}
