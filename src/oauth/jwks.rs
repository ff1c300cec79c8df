use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::keys::PublicJwk;
use crate::state::AppState;

/// A JWK Set (RFC 7517 §5).
#[derive(Debug, Serialize, ToSchema)]
pub struct JwkSetResponse {
    pub keys: Vec<PublicJwk>,
}

/// The public keys that verify this service's access tokens. During a rotation the
/// previous key is listed too.
#[utoipa::path(
    tag = "auth",
    security(()),
    responses((status = 200, description = "The verification keys", body = JwkSetResponse)),
)]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")))
        .json(JwkSetResponse { keys: state.tokens.keys.jwks() })
}
