//! Invitation links, HR's side: a link (`rt_inv_…`) lets a rater without an account answer
//! one invitation. Only its digest is stored; the token is shown once.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::InvitationStatus;
use super::draft::discard_link_draft;
use super::queries::hr_invitation;
use super::rater::LINK_PREFIX;
use crate::auth::principal::Principal;
use crate::auth::secrets::{hash_secret, random_secret};
use crate::cycles::{CycleState, RaterSignIn};
use crate::db::DbConn;
use crate::db::schema::invitations;
use crate::db_run;
use crate::error::AppError;
use crate::events::{self, Event};

/// An invitation link, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationLink {
    pub invitation_id: String,
    /// Send it to the rater (Roundtable sends no e-mail); they use it as
    /// `Authorization: Bearer rt_inv_…` to answer this one invitation.
    #[schema(example = "rt_inv_Vq3qG8pYtq1w2fQk3b7m9c2x4z6v8n0p1r3t5y7u9i")]
    pub token: String,
}

/// Issues a fresh link for an open invitation of a collecting cycle; the previous link, if
/// any, stops working, and the draft saved through it is destroyed: the new link starts
/// from an empty questionnaire.
pub fn issue_link(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    invitation_id: &str,
) -> Result<InvitationLink, AppError> {
    conn.transaction(|conn| {
        let (cycle, invitation) = hr_invitation(conn, principal, cycle_id, invitation_id)?;
        cycle.require_state(&[CycleState::Collecting], "issue invitation links")?;
        if cycle.rater_sign_in == RaterSignIn::IdentityProvider {
            return Err(AppError::conflict(
                "links_not_used",
                "This cycle's raters sign in through the organisation's identity provider; it issues no links.",
            ));
        }
        if matches!(invitation.status, InvitationStatus::Submitted | InvitationStatus::Declined) {
            return Err(AppError::conflict(
                "invitation_closed",
                format!("This invitation is already {}.", invitation.status),
            ));
        }
        if let Some(previous) = &invitation.token_hash {
            discard_link_draft(conn, &invitation.id, previous)?;
        }
        let token = random_secret(LINK_PREFIX);
        db_run!(conn, |c| diesel::update(invitations::table.find(&invitation.id))
            .set(invitations::token_hash.eq(Some(hash_secret(&token))))
            .execute(c))?;
        let issued = Event::InvitationLinkIssued { cycle_id: cycle.id, invitation_id: invitation.id.clone() };
        events::record(conn, principal, issued)?;
        Ok(InvitationLink { invitation_id: invitation.id, token })
    })
}

/// Revokes an invitation's link, in any state of the cycle, with the draft saved through
/// it; the rater can still answer with a user token.
pub fn revoke_link(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    invitation_id: &str,
) -> Result<(), AppError> {
    conn.transaction(|conn| {
        let (cycle, invitation) = hr_invitation(conn, principal, cycle_id, invitation_id)?;
        if let Some(previous) = &invitation.token_hash {
            discard_link_draft(conn, &invitation.id, previous)?;
        }
        db_run!(conn, |c| diesel::update(invitations::table.find(&invitation.id))
            .set(invitations::token_hash.eq(None::<String>))
            .execute(c))?;
        let revoked = Event::InvitationLinkRevoked { cycle_id: cycle.id, invitation_id: invitation.id };
        Ok(events::record(conn, principal, revoked)?)
    })
}
