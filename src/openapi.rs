//! The OpenAPI document's fixed parts; paths and schemas are collected from the routes.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roundtable",
        description = "360-degree feedback and peer coaching for leaders. \
            Errors are RFC 9457 `application/problem+json` documents with a stable `code` and the request id.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "operations", description = "Health and readiness"),
    ),
)]
pub struct ApiDoc;

/// The base document the routes are added to.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
