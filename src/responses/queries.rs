//! Small reads and writes the operations share: finding an invitation as HR or as its
//! rater, the names it is shown with, and closing it.

use diesel::prelude::*;

use super::rater::Rater;
use super::{Invitation, InvitationResponse, InvitationStatus};
use crate::auth::principal::Principal;
use crate::cycles::{Cycle, CycleLock, CycleState, lock_cycle};
use crate::db::DbConn;
use crate::db::schema::{cycles, invitations, people, response_drafts};
use crate::db_run;
use crate::error::AppError;

/// The invitation as the API shows it, with its cycle's and subject's names.
pub fn invitation_response(conn: &mut DbConn, invitation: Invitation) -> Result<InvitationResponse, AppError> {
    let cycle_name: String = db_run!(conn, |c| cycles::table.find(&invitation.cycle_id).select(cycles::name).first(c))?;
    let subject_name: String =
        db_run!(conn, |c| people::table.find(&invitation.subject_id).select(people::display_name).first(c))?;
    Ok(InvitationResponse::new(invitation, cycle_name, subject_name))
}

/// One invitation of one of the caller's cycles, with the cycle held (shared) until the
/// transaction ends; 404 for either one missing.
pub fn hr_invitation(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    invitation_id: &str,
) -> Result<(Cycle, Invitation), AppError> {
    let cycle = lock_cycle(conn, &principal.org_id, cycle_id, CycleLock::Share)?;
    let invitation: Invitation = db_run!(conn, |c| invitations::table
        .filter(invitations::cycle_id.eq(&cycle.id))
        .filter(invitations::id.eq(invitation_id))
        .select(Invitation::as_select())
        .first(c))?;
    Ok((cycle, invitation))
}

/// The rater's invitation, checked to be answerable now: the cycle collects (and is held
/// so until commit) and the invitation is still open.
pub fn answerable(conn: &mut DbConn, rater: &Rater, invitation_id: &str) -> Result<(Cycle, Invitation), AppError> {
    let invitation = rater.invitation(conn, invitation_id)?;
    let cycle = lock_cycle(conn, &invitation.org_id, &invitation.cycle_id, CycleLock::Share)?;
    open_to(rater, &cycle, &invitation)?;
    Ok((cycle, invitation))
}

/// Whether `rater` may answer `invitation` now: the way they signed in suits the cycle,
/// the cycle collects, and the invitation is still open.
pub fn open_to(rater: &Rater, cycle: &Cycle, invitation: &Invitation) -> Result<(), AppError> {
    rater.may_answer(cycle)?;
    cycle.require_state(&[CycleState::Collecting], "answer")?;
    require_open(invitation.status)
}

/// 409 for an invitation already answered or declined, saying which.
pub fn require_open(status: InvitationStatus) -> Result<(), AppError> {
    match status {
        InvitationStatus::Submitted => {
            Err(AppError::conflict("already_submitted", "This invitation is already answered."))
        }
        InvitationStatus::Declined => Err(AppError::conflict("declined", "This invitation was declined.")),
        InvitationStatus::Pending | InvitationStatus::Started => Ok(()),
    }
}

/// Moves an open invitation to `submitted` or `declined` and deletes its draft. Only one
/// request can: a concurrent one finds it closed and gets 409. Its link stays known until
/// the cycle closes (or HR revokes it), so a retry after a lost answer gets that 409
/// rather than the 401 of a revoked link; the link opens nothing but this closed
/// invitation, and the invitation row said it was answered already.
pub fn finish_invitation(conn: &mut DbConn, invitation_id: &str, status: InvitationStatus) -> Result<(), AppError> {
    let claimed = db_run!(conn, |c| diesel::update(
        invitations::table
            .filter(invitations::id.eq(invitation_id))
            .filter(invitations::status.eq_any([InvitationStatus::Pending, InvitationStatus::Started]))
    )
    .set(invitations::status.eq(status))
    .execute(c))?;
    if claimed == 0 {
        return Err(AppError::conflict("already_submitted", "This invitation is already answered or declined."));
    }
    db_run!(conn, |c| diesel::delete(response_drafts::table.find(invitation_id)).execute(c))?;
    Ok(())
}
