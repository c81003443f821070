//! Request bodies and query strings, decoded so that every mistake becomes a
//! JSON error naming the field serde stopped at, instead of axum's plain-text
//! rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

mod duplicates;

/// A JSON body. An empty body reads as `{}`, so that endpoints whose fields
/// are all optional can be called with no body at all.
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_json_body(req, state).await?;
        decode_json(&bytes).map(ApiJson)
    }
}

/// Reads the body, enforcing the JSON content type and the size limit, and
/// refusing a key given twice (see [`duplicates`]): every JSON body passes
/// here, so no route can take one of two values.
pub(crate) async fn read_json_body<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<Bytes, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = read_body(req, state).await?;
    if bytes.is_empty() {
        return Ok(Bytes::from_static(b"{}"));
    }
    if !content_type.as_deref().is_some_and(is_json) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ));
    }
    match duplicates::first_duplicate(&bytes) {
        Ok(None) => Ok(bytes),
        Ok(Some(path)) => Err(ApiError::invalid(
            path.clone(),
            format!("duplicate key {path}: give each field once"),
        )),
        Err(error) => Err(malformed(&error)),
    }
}

/// Reads the whole body within the body limit (413 beyond it), whatever its
/// type: the JSON routes and the inbound webhooks both start here.
pub(crate) async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large()
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "the request body could not be read",
            )
        }
    })
}

/// Whether a `Content-Type` is JSON (`application/json` or a `+json` type).
pub(crate) fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Decodes JSON text into `T`; trailing text after the value is an error.
pub(crate) fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde's derives also read a struct from an array of its fields; a body
    // must be an object, so that every field is named.
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        require_object(bytes)?;
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(json_error)?;
    de.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

/// Refuses JSON text that is not an object, saying what it is instead.
fn require_object(bytes: &[u8]) -> Result<(), ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| malformed(&e))?;
    match value {
        Value::Object(_) => Ok(()),
        other => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("the body must be a JSON object, not {}", json_kind(&other)),
        )),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn malformed(error: &serde_json::Error) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_json",
        format!("the body is not valid JSON: {error}"),
    )
}

fn json_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    use serde_json::error::Category;
    match error.inner().classify() {
        Category::Syntax | Category::Eof | Category::Io => malformed(error.inner()),
        Category::Data => {
            let path = error.path().to_string();
            let reason = strip_position(&error.inner().to_string());
            field_error(&path, &reason)
        }
    }
}

/// serde_json appends ` at line L column C`; the field name says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// Builds an `invalid_input` error for the field at `path` (serde_path_to_error's
/// `.` is the top level). Missing and unknown fields are named by serde in the
/// message rather than in the path, so they are taken from there.
fn field_error(path: &str, reason: &str) -> ApiError {
    let parent = if path == "." { None } else { Some(path) };
    let join = |name: &str| match parent {
        Some(parent) if parent == name || parent.ends_with(&format!(".{name}")) => {
            parent.to_string()
        }
        Some(parent) => format!("{parent}.{name}"),
        None => name.to_string(),
    };
    if let Some(name) = quoted_after(reason, "missing field `") {
        let field = join(name);
        return ApiError::invalid(field.clone(), format!("{field} is required"));
    }
    if let Some(name) = quoted_after(reason, "unknown field `") {
        let field = join(name);
        let expected = reason
            .split_once(", expected ")
            .map(|(_, rest)| format!("; expected {rest}"))
            .unwrap_or_default();
        return ApiError::invalid(field.clone(), format!("unknown field {field}{expected}"));
    }
    match parent {
        Some(field) => ApiError::invalid(field, format!("invalid {field}: {reason}")),
        None => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("invalid body: {reason}"),
        ),
    }
}

fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

/// A query string decoded into `T` with the same error shape as bodies.
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        decode_query(query).map(ApiQuery)
    }
}

/// Decodes `a=1&b=2` into `T`.
pub(crate) fn decode_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|error| {
        let path = error.path().to_string();
        let reason = error.inner().to_string();
        field_error(&path, &reason)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_api::{ProvisionRequest, SearchRequest, UpdateRequest};

    fn field_of<T: DeserializeOwned>(json: &str) -> (String, Option<String>, String) {
        let err = decode_json::<T>(json.as_bytes())
            .err()
            .expect("should fail");
        (err.code.to_string(), err.field, err.message)
    }

    #[test]
    fn bad_fields_are_named() {
        let (code, field, message) =
            field_of::<ProvisionRequest>(r#"{"phone_number": 6045551234}"#);
        assert_eq!(code, "invalid_input");
        assert_eq!(field.as_deref(), Some("phone_number"));
        assert!(message.starts_with("invalid phone_number: "), "{message}");
        assert!(!message.contains("line 1"), "{message}");

        let (_, field, _) = field_of::<ProvisionRequest>(
            r#"{"phone_number": "+16045551234", "agent_id": "not-a-uuid"}"#,
        );
        assert_eq!(field.as_deref(), Some("agent_id"));

        let (_, field, message) = field_of::<ProvisionRequest>(r#"{"friendly_name": "x"}"#);
        assert_eq!(field.as_deref(), Some("phone_number"));
        assert_eq!(message, "phone_number is required");

        let (_, field, message) =
            field_of::<ProvisionRequest>(r#"{"phone_number": "+16045551234", "colour": 1}"#);
        assert_eq!(field.as_deref(), Some("colour"));
        assert!(message.contains("expected"), "{message}");

        let (_, field, _) = field_of::<ProvisionRequest>(
            r#"{"phone_number": "+16045551234", "routing": {"voice_url": 7}}"#,
        );
        assert_eq!(field.as_deref(), Some("routing.voice_url"));

        let (_, field, _) = field_of::<ProvisionRequest>(
            r#"{"phone_number": "+16045551234", "routing": {"voice_uri": "https://x"}}"#,
        );
        assert_eq!(field.as_deref(), Some("routing.voice_uri"));

        let (_, field, _) = field_of::<UpdateRequest>(r#"{"friendly_name": 5}"#);
        assert_eq!(field.as_deref(), Some("friendly_name"));

        let (_, field, _) = field_of::<SearchRequest>(r#"{"limit": "ten"}"#);
        assert_eq!(field.as_deref(), Some("limit"));
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        let (code, field, _) = field_of::<ProvisionRequest>(r#"{"phone_number": "#);
        assert_eq!(code, "invalid_json");
        assert_eq!(field, None);
        let (code, _, _) = field_of::<ProvisionRequest>(r#"{"phone_number": "+16045551234"} x"#);
        assert_eq!(code, "invalid_json");
        let (code, field, _) = field_of::<ProvisionRequest>("[1]");
        assert_eq!(code, "invalid_input");
        assert_eq!(field, None);
    }

    #[test]
    fn query_errors_name_the_parameter() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Q {
            limit: Option<u32>,
            id: Option<uuid::Uuid>,
        }
        let err = decode_query::<Q>("limit=ten").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("limit"));
        let err = decode_query::<Q>("id=zzz").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("id"));
        let err = decode_query::<Q>("lmit=1").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("lmit"));
        assert!(decode_query::<Q>("limit=5").is_ok());
    }

    #[test]
    fn content_types_with_parameters_and_suffixes_are_json() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("application/x-www-form-urlencoded"));
        assert!(!is_json("text/plain"));
    }
}
