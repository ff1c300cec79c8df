//! Declining: the rater will not answer. The invitation is closed like a submitted one
//! (draft deleted, its link answering 409 from then on) but adds nothing to the answer
//! sets. Like submission it records no event, so the audit log keeps no timeline of what
//! raters did.

use super::queries::{answerable, finish_invitation};
use super::rater::Rater;
use super::{InvitationState, InvitationStatus};
use crate::db::DbConn;
use crate::error::AppError;

/// Declines an answerable invitation; 409 if it is already submitted or declined.
pub fn decline(conn: &mut DbConn, rater: &Rater, invitation_id: &str) -> Result<InvitationState, AppError> {
    conn.transaction(|conn| {
        let (_, invitation) = answerable(conn, rater, invitation_id)?;
        finish_invitation(conn, &invitation.id, InvitationStatus::Declined)?;
        Ok(InvitationState { invitation_id: invitation.id, status: InvitationStatus::Declined })
    })
}
