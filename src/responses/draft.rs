//! A rater's draft: answers saved before submission, which they can change until then.
//! A draft is linked to its invitation (and so to the rater) and to the credential that
//! saved it (`Rater::credential`): only that credential reads it, another one starts from
//! an empty questionnaire and replaces it when it saves. It is deleted when the invitation
//! is submitted or declined, its link is re-issued, or its cycle closes.
//!
//! Saving records no event: an audit row per rater action would time-stamp, and on
//! PostgreSQL share a transaction id with, what the rater did.

use diesel::prelude::*;

use super::answers::{AnswerInput, check_answers};
use super::queries::answerable;
use super::rater::{Rater, link_credential};
use super::{InvitationState, InvitationStatus};
use crate::db::schema::{invitations, response_drafts};
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::AppError;
use crate::frameworks::load_version;

/// Saves (replaces) the draft of an answerable invitation, which becomes `started`.
/// Answers are checked against the questions, but none is required yet.
pub fn save_draft(
    conn: &mut DbConn,
    rater: &Rater,
    invitation_id: &str,
    answers: &[AnswerInput],
) -> Result<InvitationState, AppError> {
    conn.transaction(|conn| {
        let (cycle, invitation) = answerable(conn, rater, invitation_id)?;
        let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
        check_answers(&version, answers, false).map_err(AppError::Validation)?;
        let text = serde_json::to_string(answers).map_err(AppError::internal)?;
        let credential = rater.credential();
        let at = now();
        db_run!(conn, |c| diesel::insert_into(response_drafts::table)
            .values((
                response_drafts::invitation_id.eq(&invitation.id),
                response_drafts::org_id.eq(&invitation.org_id),
                response_drafts::answers.eq(&text),
                response_drafts::updated_at.eq(at),
                response_drafts::credential.eq(&credential),
            ))
            .on_conflict(response_drafts::invitation_id)
            .do_update()
            .set((
                response_drafts::answers.eq(&text),
                response_drafts::updated_at.eq(at),
                response_drafts::credential.eq(&credential),
            ))
            .execute(c))?;
        db_run!(conn, |c| diesel::update(
            invitations::table
                .filter(invitations::id.eq(&invitation.id))
                .filter(invitations::status.eq(InvitationStatus::Pending))
        )
        .set(invitations::status.eq(InvitationStatus::Started))
        .execute(c))?;
        Ok(InvitationState { invitation_id: invitation.id, status: InvitationStatus::Started })
    })
}

/// The draft this rater's credential saved; empty when there is none (or another
/// credential saved it, or it does not parse).
pub fn saved_draft(conn: &mut DbConn, rater: &Rater, invitation_id: &str) -> Result<Vec<AnswerInput>, AppError> {
    let saved: Option<String> = db_run!(conn, |c| response_drafts::table
        .find(invitation_id)
        .filter(response_drafts::credential.eq(rater.credential()))
        .select(response_drafts::answers)
        .first(c)
        .optional())?;
    Ok(saved.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
}

/// Destroys the draft an invitation link saved, when the link is re-issued or revoked: no
/// later credential reads it, and the invitation is pending again.
pub fn discard_link_draft(conn: &mut DbConn, invitation_id: &str, token_hash: &str) -> Result<(), AppError> {
    let credential = link_credential(token_hash);
    let discarded = db_run!(conn, |c| diesel::delete(
        response_drafts::table
            .filter(response_drafts::invitation_id.eq(invitation_id))
            .filter(response_drafts::credential.eq(&credential))
    )
    .execute(c))?;
    if discarded == 0 {
        return Ok(());
    }
    db_run!(conn, |c| diesel::update(
        invitations::table
            .filter(invitations::id.eq(invitation_id))
            .filter(invitations::status.eq(InvitationStatus::Started))
    )
    .set(invitations::status.eq(InvitationStatus::Pending))
    .execute(c))?;
    Ok(())
}
