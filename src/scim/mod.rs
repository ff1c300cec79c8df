//! SCIM 2.0 (RFC 7643, RFC 7644) for identity providers such as Okta and Entra ID: Users
//! with the enterprise extension, and the discovery documents, at `/scim/v2`, for clients
//! holding the `scim` scope.
//!
//! A SCIM user is a person of the directory: [`users`] reads with SCIM's filters and
//! writes through the people operations (create and the one update), so the REST API,
//! CSV imports and SCIM share one rule set and one audit trail. A User document is read
//! and written by [`user`], changed by [`patch`], searched with [`filter`]; every error
//! under `/scim/v2` is a SCIM error document ([`errors`]).

mod discovery;
pub mod errors;
pub mod filter;
mod handlers;
pub mod patch;
pub mod user;
pub mod users;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// SCIM's media type, which every SCIM answer carries.
pub const MEDIA_TYPE: &str = "application/scim+json";

/// The SCIM routes, under `/scim/v2`.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(handlers::list_users)
        .service(handlers::create_user)
        .service(handlers::get_user)
        .service(handlers::replace_user)
        .service(handlers::patch_user)
        .service(handlers::delete_user)
        .service(handlers::service_provider_config)
        .service(handlers::list_resource_types)
        .service(handlers::get_resource_type)
        .service(handlers::list_schemas)
        .service(handlers::get_schema)
        .service(handlers::search);
}
