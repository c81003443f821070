//! The OpenAPI document: the routes' own annotations plus what no handler
//! states (title, the bearer scheme, the tags).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr, Required, Schema};
use utoipa::{Modify, OpenApi};

use switchboard_api::ErrorResponse;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard",
        description = "Buy and manage phone numbers across carriers. \
            `POST /functions/v1/provision-phone-number` is the seed API's endpoint, \
            field for field; the other `/functions/v1/<verb>-<noun>` routes follow its style. \
            Every `/functions/v1` route needs `Authorization: Bearer <token>`; the token \
            says which account's numbers the request acts on. The exception is \
            `/functions/v1/inbound/...`, which carriers call with calls and messages to our \
            numbers: there the carrier's signature is the credential (403 without a valid one), \
            and the answer is TwiML/cXML. Errors are \
            `{\"error\": {\"code\", \"message\", \"field\"?}}`.",
    ),
    tags(
        (name = "numbers", description = "The account's phone numbers"),
        (name = "service", description = "The service itself"),
        (name = "inbound", description = "Carriers' webhooks for calls and messages to our numbers"),
    ),
    components(schemas(ErrorResponse)),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token issued for the account"))
                    .build(),
            ),
        );
    }
}

/// The POST routes whose every body field is optional, so that no body at
/// all is a valid request (it reads as `{}`, see `extract::ApiJson`).
/// Everywhere else an empty body is refused for its missing fields, so the
/// body is required there.
const OPTIONAL_BODIES: [&str; 2] = [
    "/functions/v1/list-phone-numbers",
    "/functions/v1/search-phone-numbers",
];

/// Marks the request bodies of [`OPTIONAL_BODIES`] as optional.
struct EmptyBodies;

impl Modify for EmptyBodies {
    fn modify(&self, openapi: &mut Document) {
        for path in OPTIONAL_BODIES {
            let body = openapi
                .paths
                .paths
                .get_mut(path)
                .and_then(|item| item.post.as_mut())
                .and_then(|op| op.request_body.as_mut());
            if let Some(RefOr::T(body)) = body {
                body.required = Some(Required::False);
                body.description = Some(
                    "Optional: every field is. An empty body (no Content-Type needed) reads as {}."
                        .into(),
                );
            }
        }
    }
}

/// States `get-phone-number`'s rule, exactly one of `id` and `phone_number`,
/// in the body schema, where JSON Schema can say it (`oneOf` of the two
/// `required` sets; a field given as `null` counts as absent, as the handler
/// reads it). The properties stay at the top level, so tools that list a
/// body's fields still find them.
struct ExactlyOneKey;

impl Modify for ExactlyOneKey {
    fn modify(&self, openapi: &mut Document) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut("GetRequest") {
            let one_of = ["id", "phone_number"]
                .into_iter()
                .map(|key| {
                    serde_json::json!({
                        "required": [key],
                        "properties": {key: {"type": "string"}},
                    })
                })
                .collect();
            object
                .extensions
                .get_or_insert_with(Default::default)
                .insert("oneOf".into(), serde_json::Value::Array(one_of));
        }
    }
}

/// The OpenAPI 3.1 document of everything [`crate::router`] serves, built from
/// the same route list as the router.
pub fn openapi() -> Document {
    let (protected, public) = crate::routes::parts();
    let mut doc = ApiDoc::openapi();
    doc.merge(protected.into_openapi());
    doc.merge(public.into_openapi());
    // After the merge: these edit what the routes contributed.
    EmptyBodies.modify(&mut doc);
    ExactlyOneKey.modify(&mut doc);
    doc
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use axum::http::StatusCode;
    use switchboard_core::Error;

    use crate::error::ApiError;
    use crate::inbound::INBOUND_PREFIX;

    /// Where a route's failures come from, besides its own service calls.
    #[derive(Clone, Copy, PartialEq)]
    enum Body {
        Json,
        None,
    }

    fn store() -> Vec<Error> {
        vec![
            Error::Repository {
                message: "connection lost".into(),
                temporary: true,
                cause: None,
            },
            Error::Repository {
                message: "disk full".into(),
                temporary: false,
                cause: None,
            },
        ]
    }

    /// What any carrier call can answer.
    fn carrier() -> Vec<Error> {
        vec![
            Error::rate_limited("c", Some(Duration::from_secs(2))),
            Error::RetryLater {
                provider: "c".into(),
                not_before: None,
                message: "cooldown".into(),
            },
            Error::Transport {
                provider: "c".into(),
                message: "connect".into(),
                cause: None,
            },
            Error::Unauthenticated {
                provider: "c".into(),
                message: "bad key".into(),
                code: None,
            },
            Error::Carrier {
                provider: "c".into(),
                status: Some(400),
                code: None,
                message: None,
            },
            Error::Carrier {
                provider: "c".into(),
                status: Some(500),
                code: None,
                message: None,
            },
            Error::NotSupported {
                provider: "c".into(),
                what: "x".into(),
            },
        ]
    }

    /// What a carrier refuses for good when asked to release (temporary
    /// refusals leave the release pending: 202, not an error).
    fn carrier_refusals() -> Vec<Error> {
        carrier()
            .into_iter()
            .filter(|e| !e.is_temporary())
            .collect()
    }

    fn invalid() -> Error {
        Error::invalid("x", "bad")
    }

    fn not_found() -> Error {
        Error::not_found("phone number")
    }

    fn conflict() -> Error {
        Error::Conflict {
            reason: "not active".into(),
        }
    }

    /// A write that lost its compare-and-swap more often than the service
    /// decides again.
    fn stale() -> Error {
        Error::Stale {
            what: "phone number x".into(),
        }
    }

    /// A carrier answer that contradicts the request.
    fn inconsistent() -> Error {
        Error::Inconsistent {
            source_name: "c".into(),
            message: "answered with another number".into(),
        }
    }

    /// A number's carrier no longer configured (`ProviderRegistry::require`).
    fn misconfigured() -> Error {
        Error::Configuration {
            message: "provider x is not configured".into(),
        }
    }

    /// Each operation, its body, and the core errors its service calls can
    /// return, read from `ProvisioningService`. When core gains an error a
    /// route can meet, it goes here, and this test then asks for its status
    /// in that route's document.
    fn operations() -> Vec<(&'static str, &'static str, Body, Vec<Error>)> {
        let provision = [
            vec![
                invalid(),
                conflict(),
                Error::AlreadyProvisioned {
                    phone_number: "+16045551234".into(),
                },
                Error::NumberUnavailable {
                    phone_number: "+16045551234".into(),
                    provider: "c".into(),
                    code: None,
                    message: None,
                },
                Error::RequirementMissing {
                    provider: "c".into(),
                    requirement: "AddressSid".into(),
                    code: None,
                    message: None,
                },
                Error::IdempotencyKeyMismatch {
                    field: "agent_id".into(),
                },
                stale(),
                inconsistent(),
            ],
            store(),
            carrier(),
        ]
        .concat();
        // Whole-request failures only: each position's own is in the 200.
        let bulk = vec![
            invalid(),
            Error::NotSupported {
                provider: "c".into(),
                what: "x".into(),
            },
        ];
        let search = [vec![invalid()], carrier()].concat();
        let list = [vec![invalid()], store()].concat();
        let get = [vec![invalid(), not_found()], store()].concat();
        let update = [
            vec![invalid(), not_found(), conflict(), stale(), misconfigured()],
            store(),
            carrier(),
        ]
        .concat();
        let release = [
            vec![invalid(), not_found(), conflict(), stale(), misconfigured()],
            store(),
            carrier_refusals(),
        ]
        .concat();
        // Adoption asks the carrier, inserts, then (when asked) updates.
        let import = [
            vec![
                invalid(),
                not_found(),
                Error::AlreadyProvisioned {
                    phone_number: "+16045551234".into(),
                },
                conflict(),
                stale(),
                misconfigured(),
            ],
            store(),
            carrier(),
        ]
        .concat();
        let v1 = |verb| format!("/functions/v1/{verb}").leak() as &'static str;
        vec![
            ("post", v1("provision-phone-number"), Body::Json, provision),
            ("post", v1("import-phone-number"), Body::Json, import),
            ("post", v1("bulk-provision-phone-numbers"), Body::Json, bulk),
            (
                "get",
                v1("search-phone-numbers"),
                Body::None,
                search.clone(),
            ),
            ("post", v1("search-phone-numbers"), Body::Json, search),
            ("get", v1("list-phone-numbers"), Body::None, list.clone()),
            ("post", v1("list-phone-numbers"), Body::Json, list),
            ("get", v1("get-phone-number"), Body::None, get.clone()),
            ("post", v1("get-phone-number"), Body::Json, get),
            ("post", v1("update-phone-number"), Body::Json, update),
            ("post", v1("release-phone-number"), Body::Json, release),
        ]
    }

    fn status(error: Error) -> u16 {
        ApiError::from(error).status.as_u16()
    }

    #[test]
    fn every_route_documents_exactly_the_errors_it_can_answer() {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let mut seen = 0;
        for (method, path, body, errors) in operations() {
            let mut expected = BTreeSet::new();
            // Bearer auth: a bad token, and the token store failing.
            expected.insert(StatusCode::UNAUTHORIZED.as_u16());
            expected.extend(store().into_iter().map(status));
            // The request timeout and the panic handler.
            expected.insert(StatusCode::SERVICE_UNAVAILABLE.as_u16());
            expected.insert(StatusCode::INTERNAL_SERVER_ERROR.as_u16());
            // A bad query string is a 400 on every GET, a bad body on every POST.
            expected.insert(StatusCode::BAD_REQUEST.as_u16());
            if body == Body::Json {
                expected.insert(StatusCode::PAYLOAD_TOO_LARGE.as_u16());
                expected.insert(StatusCode::UNSUPPORTED_MEDIA_TYPE.as_u16());
            }
            expected.extend(errors.into_iter().map(status));

            let responses = doc["paths"][path][method]["responses"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path} is not documented"));
            let documented: BTreeSet<u16> = responses
                .keys()
                .map(|k| k.parse::<u16>().unwrap())
                .filter(|s| *s >= 400)
                .collect();
            assert_eq!(documented, expected, "{method} {path}");
            for (code, response) in responses {
                if code.starts_with('4') || code.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorResponse",
                        "{method} {path} {code}"
                    );
                }
            }
            seen += 1;
        }
        // Every protected operation is in the table.
        let protected = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(path, _)| {
                path.starts_with("/functions/v1/") && !path.starts_with(INBOUND_PREFIX)
            })
            .map(|(_, item)| item.as_object().unwrap().len())
            .sum::<usize>();
        assert_eq!(seen, protected);
    }

    #[test]
    fn the_inbound_routes_document_exactly_the_errors_they_can_answer() {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let mut seen = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            if !path.starts_with(INBOUND_PREFIX) {
                continue;
            }
            for (method, op) in item.as_object().unwrap() {
                // No bearer token: a bad signature instead, an unknown
                // provider, a signed request missing a parameter; the store
                // (resolve_inbound), the request timeout and the panic
                // handler; and on POST the body's size and type.
                let mut expected: BTreeSet<u16> = [400, 403, 404, 500, 503].into();
                expected.extend(store().into_iter().map(status));
                if method == "post" {
                    expected.extend([413, 415]);
                }
                let documented: BTreeSet<u16> = op["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(|k| k.parse::<u16>().unwrap())
                    .filter(|s| *s >= 400)
                    .collect();
                assert_eq!(documented, expected, "{method} {path}");
                assert!(
                    op["responses"]["200"]["content"]["text/xml"].is_object(),
                    "{method} {path}: {}",
                    op["responses"]["200"]
                );
                assert_eq!(op["security"], serde_json::json!([{}]), "{method} {path}");
                seen += 1;
            }
        }
        assert_eq!(seen, 4, "voice and messages, each GET and POST");
    }

    #[test]
    fn a_rate_limit_is_documented_with_its_retry_after_header() {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        for (method, path, _, errors) in operations() {
            let limited = errors
                .iter()
                .any(|e| matches!(e, Error::RateLimited { .. }));
            let response = &doc["paths"][path][method]["responses"]["429"];
            assert_eq!(response.is_object(), limited, "{method} {path}");
            if limited {
                assert!(
                    response["headers"]["Retry-After"].is_object(),
                    "{method} {path}: {response}"
                );
            }
        }
    }
}
