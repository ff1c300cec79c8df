//! The caller, as handlers declare it in their signature: `principal: Principal`.
//! The organisation comes from the verified token only, never from a header or a path.

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use futures_util::future::LocalBoxFuture;

use diesel::prelude::*;

use crate::auth::access::{self, Permission, Role, Scope};
use crate::auth::tokens::{PersonMatch, TokenAuthority, TokenError, TokenSubject};
use crate::db::schema::people;
use crate::db::{DbConn, DbPool};
use crate::db_run;
use crate::error::AppError;
use crate::rate_limit::RateLimits;

#[derive(Debug, Clone, PartialEq)]
pub enum Actor {
    /// A server-side client (an HR system) with its scopes.
    Client { client_id: String, scopes: Vec<Scope> },
    /// A person using the frontend, with their role and where their token came from:
    /// `client:…` or `person:…` for a minted token, `issuer:…` for an identity provider's.
    User { person_id: String, role: Role, token_from: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub org_id: String,
    pub actor: Actor,
}

impl Principal {
    /// Whose rate limit a request of this caller counts against: the client, or the
    /// person whatever token they came with.
    pub fn caller(&self) -> String {
        match &self.actor {
            Actor::Client { client_id, .. } => format!("client:{}:{client_id}", self.org_id),
            Actor::User { person_id, .. } => format!("person:{}:{person_id}", self.org_id),
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        match &self.actor {
            Actor::Client { scopes, .. } => permission.scopes().iter().any(|s| scopes.contains(s)),
            Actor::User { role, .. } => permission.roles().contains(role),
        }
    }

    /// 403 unless the caller holds the permission.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.can(permission) {
            return Ok(());
        }
        Err(AppError::Forbidden(match &self.actor {
            Actor::Client { .. } => {
                let names: Vec<&str> = permission.scopes().iter().map(|s| s.as_str()).collect();
                format!("This client lacks the scope for this action (one of: {}).", names.join(", "))
            }
            Actor::User { role, .. } => format!("The role `{}` may not do this.", role.as_str()),
        }))
    }

    /// An analyst, or a client that may read analytics but not reports: one who sees
    /// aggregates and never a person's feedback or coaching.
    pub fn aggregates_only(&self) -> bool {
        self.can(Permission::ReadAnalytics) && !self.can(Permission::ReadReports)
    }

    /// The signed-in person's id; `None` for a service client.
    pub fn person_id(&self) -> Option<&str> {
        match &self.actor {
            Actor::User { person_id, .. } => Some(person_id),
            Actor::Client { .. } => None,
        }
    }

    /// The signed-in person's id, or 403 for a service client: for what only a person has
    /// (their own reports, approvals, coaching), where an empty answer would mislead.
    pub fn require_person(&self) -> Result<&str, AppError> {
        self.person_id()
            .ok_or_else(|| AppError::Forbidden("This is about the signed-in person: call it with a user token.".into()))
    }

    /// How the audit log names the caller.
    pub fn audit_name(&self) -> String {
        match &self.actor {
            Actor::Client { client_id, .. } => format!("client:{client_id}"),
            Actor::User { person_id, .. } => format!("person:{person_id}"),
        }
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, AppError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| AppError::Unauthorized("An `Authorization: Bearer <token>` header is required.".into()))?
        .to_str()
        .map_err(|_| AppError::Unauthorized("The Authorization header is not readable.".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim().to_string())
        }
        _ => Err(AppError::Unauthorized("The Authorization header must use the Bearer scheme.".into())),
    }
}

async fn authenticate(tokens: web::Data<TokenAuthority>, db: DbPool, token: String) -> Result<Principal, AppError> {
    let verified = match tokens.verify(&token) {
        Err(TokenError::UnknownKid) => {
            let keys = tokens.clone();
            let reloaded = db.run(move |conn| keys.keys.refresh_for_unknown_kid(conn)).await?;
            if reloaded { tokens.verify(&token) } else { Err(TokenError::UnknownKid) }
        }
        other => other,
    };
    let unauthorized = |e: TokenError| AppError::Unauthorized(format!("The access token was refused: {e}."));
    match verified.map_err(unauthorized)? {
        TokenSubject::Client { org_id, client_id, scopes } => {
            Ok(Principal { org_id, actor: Actor::Client { client_id, scopes } })
        }
        TokenSubject::Person { org_id, person_id, role, minted_by } => {
            Ok(Principal { org_id, actor: Actor::User { person_id, role, token_from: minted_by } })
        }
        TokenSubject::ExternalPerson { org_id, match_by, value, issuer } => {
            let lookup_org = org_id.clone();
            let person = db.run(move |conn| person_for_login(conn, &lookup_org, match_by, &value)).await?;
            let (person_id, role) = person.ok_or_else(|| {
                AppError::Unauthorized("The token's subject is not an active person of this organisation.".into())
            })?;
            // `responses::rater` recognises identity providers' tokens by this prefix.
            Ok(Principal { org_id, actor: Actor::User { person_id, role, token_from: format!("issuer:{issuer}") } })
        }
    }
}

/// The active person an identity provider's token names, by external id or e-mail, with
/// their role in the directory.
fn person_for_login(
    conn: &mut DbConn,
    org_id: &str,
    match_by: PersonMatch,
    value: &str,
) -> Result<Option<(String, Role)>, AppError> {
    // The directory stores addresses trimmed and lower-case.
    let email = value.trim().to_lowercase();
    Ok(db_run!(conn, |c| {
        let query = people::table
            .filter(people::org_id.eq(org_id))
            .filter(people::active.eq(true))
            .select((people::id, people::role))
            .into_boxed();
        let query = match match_by {
            PersonMatch::ExternalId => query.filter(people::external_id.eq(value)),
            PersonMatch::Email => query.filter(people::email.eq(&email)),
        };
        query.first(c).optional()
    })?)
}

impl FromRequest for Principal {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    /// Verifies the token once per request (a middleware that needs the caller, such as
    /// idempotency, leaves it for the handler) and takes the request from the caller's
    /// rate limit.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(known) = req.extensions().get::<Principal>().cloned() {
            return Box::pin(async move { Ok(known) });
        }
        let tokens = req.app_data::<web::Data<TokenAuthority>>().cloned();
        let db = req.app_data::<web::Data<DbPool>>().map(|db| db.get_ref().clone());
        let limits = req.app_data::<web::Data<RateLimits>>().cloned();
        let token = bearer_token(req);
        let req = req.clone();
        Box::pin(async move {
            let (Some(tokens), Some(db), Some(limits)) = (tokens, db, limits) else {
                return Err(AppError::internal(
                    "the token authority, the database or the rate limits are not registered",
                ));
            };
            let principal = authenticate(tokens, db, token?).await?;
            limits.take(&principal.caller())?;
            if principal.aggregates_only() && req.match_pattern().is_some_and(|p| access::personal_route(&p)) {
                return Err(AppError::Forbidden(
                    "Analytics callers read aggregates only: reports, growth, goals and coaching are closed to them."
                        .into(),
                ));
            }
            req.extensions_mut().insert(principal.clone());
            Ok(principal)
        })
    }
}
