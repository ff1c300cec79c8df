//! The endpoints that issue tokens: `POST /oauth/token` for service clients, user tokens
//! minted for people, and the published verification keys. They stand above `clients`
//! and `people`, which they look up; `auth` below them only verifies.

mod jwks;
pub mod token;
mod user_tokens;

/// The routes outside `/api/v1`: the token endpoint and the published keys.
pub fn public_routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(jwks::jwks).service(token::issue_token);
}

/// The routes under `/api/v1`.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(user_tokens::mint_user_token);
}
