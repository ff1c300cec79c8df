//! Who is answering: a rater holding an invitation link (`rt_inv_…`), or a person signed
//! in through the frontend with a user token.

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;

use super::Invitation;
use crate::auth::principal::{Actor, Principal};
use crate::auth::secrets::hash_secret;
use crate::cycles::{Cycle, RaterSignIn};
use crate::db::DbConn;
use crate::db::schema::invitations;
use crate::db_run;
use crate::error::AppError;
use crate::rate_limit::RateLimits;
use crate::state::AppState;

pub const LINK_PREFIX: &str = "rt_inv_";
/// How `Actor::User::token_from` names a token from a trusted identity provider.
pub const IDENTITY_PROVIDER: &str = "issuer:";

#[derive(Debug, Clone)]
pub enum Rater {
    /// Holds the link of exactly one invitation.
    Link { org_id: String, invitation_id: String, token_hash: String },
    /// A person of the organisation, who may hold several invitations, with where their
    /// token came from.
    Person { org_id: String, person_id: String, token_from: String },
}

impl Rater {
    /// 403 when the cycle wants raters signed in through the organisation's identity
    /// provider and this credential is a link or a token an API client minted.
    pub fn may_answer(&self, cycle: &Cycle) -> Result<(), AppError> {
        let from_identity_provider =
            matches!(self, Rater::Person { token_from, .. } if token_from.starts_with(IDENTITY_PROVIDER));
        if cycle.rater_sign_in == RaterSignIn::IdentityProvider && !from_identity_provider {
            return Err(AppError::Forbidden(
                "This cycle's raters sign in through the organisation's identity provider.".into(),
            ));
        }
        Ok(())
    }

    /// What identifies the credential a draft is saved through: this link, or the user
    /// tokens for this person from this client or identity provider. A draft is read and
    /// continued only through the same credential, so re-issuing a link or minting a token
    /// elsewhere does not hand someone else the rater's unfinished answers.
    pub fn credential(&self) -> String {
        match self {
            Rater::Link { token_hash, .. } => link_credential(token_hash),
            Rater::Person { person_id, token_from, .. } => hash_secret(&format!("user:{person_id}:{token_from}")),
        }
    }

    /// The invitation, if it is this rater's; 404 otherwise, as for one that does not exist.
    pub fn invitation(&self, conn: &mut DbConn, invitation_id: &str) -> Result<Invitation, AppError> {
        let found: Option<Invitation> = db_run!(conn, |c| invitations::table
            .find(invitation_id)
            .select(Invitation::as_select())
            .first(c)
            .optional())?;
        self.holding(found.as_ref()).cloned()
    }

    /// `found`, if it is an invitation this rater holds; 404 otherwise, as for none.
    pub fn holding<'a>(&self, found: Option<&'a Invitation>) -> Result<&'a Invitation, AppError> {
        let holds = |invitation: &Invitation| match self {
            Rater::Link { org_id, invitation_id, .. } => {
                &invitation.org_id == org_id && &invitation.id == invitation_id
            }
            Rater::Person { org_id, person_id, .. } => {
                &invitation.org_id == org_id && &invitation.rater_id == person_id
            }
        };
        found.filter(|invitation| holds(invitation)).ok_or(AppError::NotFound)
    }
}

/// The credential of the invitation link whose hash is `token_hash`.
pub fn link_credential(token_hash: &str) -> String {
    hash_secret(&format!("link:{token_hash}"))
}

fn link_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && token.starts_with(LINK_PREFIX)).then(|| token.to_string())
}

impl FromRequest for Rater {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let Some(token) = link_token(req) else {
            let principal = Principal::from_request(req, payload);
            return Box::pin(async move {
                match principal.await? {
                    Principal { org_id, actor: Actor::User { person_id, token_from, .. } } => {
                        Ok(Rater::Person { org_id, person_id, token_from })
                    }
                    Principal { actor: Actor::Client { .. }, .. } => Err(AppError::Forbidden(
                        "Answering is for raters: use the invitation link or a user token.".into(),
                    )),
                }
            });
        };
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let limits = req.app_data::<web::Data<RateLimits>>().cloned();
        Box::pin(async move {
            let (Some(state), Some(limits)) = (state, limits) else {
                return Err(AppError::internal("the application state or the rate limits are not registered"));
            };
            let hash = hash_secret(&token);
            let token_hash = hash.clone();
            let found: Option<(String, String)> = state
                .db
                .run(move |conn| {
                    Ok(db_run!(conn, |c| invitations::table
                        .filter(invitations::token_hash.eq(&hash))
                        .select((invitations::org_id, invitations::id))
                        .first(c)
                        .optional())?)
                })
                .await?;
            let (org_id, invitation_id) = found.ok_or_else(|| {
                AppError::Unauthorized(
                    "This invitation link is not valid: it was re-issued, revoked, or its cycle closed.".into(),
                )
            })?;
            limits.take(&format!("link:{invitation_id}"))?;
            Ok(Rater::Link { org_id, invitation_id, token_hash })
        })
    }
}
