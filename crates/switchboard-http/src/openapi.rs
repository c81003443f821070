//! The OpenAPI document: the routes' own annotations plus what no handler
//! states (title, the bearer scheme, the tags).

use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::schema::ErrorResponse;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard",
        description = "Buy and manage phone numbers across carriers. \
            `POST /functions/v1/provision-phone-number` is the seed API's endpoint, \
            field for field; the other `/functions/v1/<verb>-<noun>` routes follow its style. \
            Every `/functions/v1` route needs `Authorization: Bearer <token>`; the token \
            says which account's numbers the request acts on. Errors are \
            `{\"error\": {\"code\", \"message\", \"field\"?}}`.",
    ),
    tags(
        (name = "numbers", description = "The account's phone numbers"),
        (name = "service", description = "The service itself"),
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

/// The OpenAPI 3.1 document of everything [`crate::router`] serves, built from
/// the same route list as the router.
pub fn openapi() -> Document {
    let (protected, public) = crate::routes::parts();
    let mut doc = ApiDoc::openapi();
    doc.merge(protected.into_openapi());
    doc.merge(public.into_openapi());
    doc
}
