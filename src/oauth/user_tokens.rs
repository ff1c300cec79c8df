use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::access::{Permission, Role};
use crate::auth::principal::Principal;
use crate::auth::tokens::{Grant, TokenAuthority};
use crate::db::DbConn;
use crate::error::{AppError, Errors, FieldError, validate};
use crate::events::{self, Event};
use crate::people;
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"person_id": "0193a5d2-7b1f-7d2c-8a4f-3e5c6b7d8e9f", "ttl_seconds": 900}))]
pub struct MintUserTokenRequest {
    /// The person the frontend acts for; they must be active.
    #[validate(length(min = 1, max = 64))]
    pub person_id: String,
    /// Lifetime in seconds, 60 up to the configured maximum (default 900).
    #[validate(range(min = 60))]
    pub ttl_seconds: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserTokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    #[schema(example = 900)]
    pub expires_in: u64,
    pub person_id: String,
    /// The person's role, which the token carries.
    pub role: Role,
}

/// Mints a short-lived token for a person, for a frontend to act as them.
///
/// Only service clients with the `tokens:mint` scope may call it. The token carries the
/// person's role as the directory holds it.
#[utoipa::path(
    tag = "auth",
    request_body = MintUserTokenRequest,
    responses(
        (status = 201, description = "A user token", body = UserTokenResponse),
        Errors,
    ),
)]
#[post("/auth/user-tokens")]
pub async fn mint_user_token(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<MintUserTokenRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::MintUserTokens)?;
    let body = body.into_inner();
    validate(&body)?;
    let (max_ttl, signer) = (state.user_token_max_ttl_secs, state.clone());
    let token = state.db.run(move |conn| mint(conn, &signer.tokens, &principal, body, max_ttl)).await?;
    Ok(HttpResponse::Created().insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store"))).json(token))
}

/// Signs a token for an active person of the caller's organisation, with their role from
/// the directory, for at most `max_ttl` seconds; the minting is in the audit log.
fn mint(
    conn: &mut DbConn,
    tokens: &TokenAuthority,
    principal: &Principal,
    request: MintUserTokenRequest,
    max_ttl: u64,
) -> Result<UserTokenResponse, AppError> {
    let ttl = request.ttl_seconds.unwrap_or(900.min(max_ttl));
    if ttl > max_ttl {
        return Err(AppError::Validation(vec![FieldError::new(
            "ttl_seconds",
            "range",
            format!("must be at most {max_ttl}"),
        )]));
    }
    let person = conn.transaction(|conn| {
        tokens.keys.refresh_before_signing(conn)?;
        let person = people::find(conn, &principal.org_id, &request.person_id)?;
        if !person.active {
            return Err(AppError::unprocessable("person_inactive", "This person is deactivated."));
        }
        events::record(conn, principal, Event::UserTokenMinted { person_id: person.id.clone(), ttl_seconds: ttl })?;
        Ok(person)
    })?;
    let access_token = tokens
        .sign(
            format!("person:{}", person.id),
            &person.org_id,
            Grant::Person { role: person.role, minted_by: principal.audit_name() },
            ttl,
        )
        .map_err(AppError::internal)?;
    Ok(UserTokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ttl,
        person_id: person.id,
        role: person.role,
    })
}
