//! The OpenAPI document's fixed parts; paths and schemas are collected from the routes.

use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityRequirement, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use crate::auth::access::Scope;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roundtable",
        description = "360-degree feedback and peer coaching for leaders.\n\n\
            Server-side clients (HR systems) get an access token from `POST /oauth/token` with \
            their client id and secret; frontends act for a person with a user token that such a \
            client mints. Every call under `/api/v1` needs `Authorization: Bearer <token>`.\n\n\
            Errors are RFC 9457 `application/problem+json` documents with a stable `code` and the \
            request id, which is also the `x-request-id` response header; under `/scim/v2` they are \
            SCIM error documents (`application/scim+json`).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "operations", description = "Health and readiness"),
        (name = "auth", description = "Tokens and keys"),
        (name = "clients", description = "Service clients (HR systems)"),
        (name = "people", description = "The people directory"),
        (name = "audit", description = "The audit log"),
        (name = "frameworks", description = "Competency frameworks and their versions"),
        (name = "cycles", description = "Feedback cycles: state, participants, nominations, progress"),
        (name = "invitations", description = "Invitations and answering: for raters, and links for HR to send"),
        (name = "reports", description = "Growth reports, under the anonymity rule"),
        (name = "coaching", description = "Leaders coaching leaders: relationships, agreements, shared reports, sessions and their ratings"),
        (name = "analytics", description = "Organisation-wide aggregates for analysts: never fewer than the minimum of leaders behind a figure"),
        (name = "scim", description = "SCIM 2.0 provisioning for identity providers, with the `scim` scope"),
        (name = "webhooks", description = "Signed webhooks (Standard Webhooks): endpoints, secrets, the delivery log"),
    ),
    components(schemas(crate::scim::errors::ScimError)),
    modifiers(&Security),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from `/oauth/token`, or a minted user token."))
                    .build(),
            ),
        );
        let scopes = Scopes::from_iter(Scope::ALL.iter().map(|s| (s.as_str(), s.as_str())));
        components.add_security_scheme(
            "client_credentials",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new("/oauth/token", scopes))],
                "OAuth 2.0 client credentials, for HR systems.",
            )),
        );
        // Every operation needs a token unless it says otherwise.
        openapi.security = Some(vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("client_credentials", Vec::<String>::new()),
        ]);
    }
}

/// The base document the routes are added to.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
