//! A rater's draft: answers saved before submission, which they can change until then,
//! sealed under the answer key (`crate::sealing`) with a fresh nonce at every save.
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
use crate::sealing::Sealed;

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
        insert_draft(conn, &invitation.org_id, &invitation.id, &rater.credential(), now(), answers)?;
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

/// Writes (replaces) an invitation's draft, sealed.
pub(super) fn insert_draft(
    conn: &mut DbConn,
    org_id: &str,
    invitation_id: &str,
    credential: &str,
    at: chrono::NaiveDateTime,
    answers: &[AnswerInput],
) -> Result<(), AppError> {
    let sealed = conn.keys().seal_json(&row_name(org_id, invitation_id, credential), answers)?;
    db_run!(conn, |c| diesel::insert_into(response_drafts::table)
        .values((
            response_drafts::invitation_id.eq(invitation_id),
            response_drafts::org_id.eq(org_id),
            response_drafts::credential.eq(credential),
            response_drafts::updated_at.eq(at),
            response_drafts::key_id.eq(&sealed.key_id),
            response_drafts::sealed.eq(&sealed.bytes),
        ))
        .on_conflict(response_drafts::invitation_id)
        .do_update()
        .set((
            response_drafts::credential.eq(credential),
            response_drafts::updated_at.eq(at),
            response_drafts::key_id.eq(&sealed.key_id),
            response_drafts::sealed.eq(&sealed.bytes),
        ))
        .execute(c))?;
    Ok(())
}

/// The associated data of a draft's sealed answers: its invitation and the credential
/// that saved it, so a draft opens only for that credential.
fn row_name(org_id: &str, invitation_id: &str, credential: &str) -> String {
    format!("response_drafts/{org_id}/{invitation_id}/{credential}")
}

/// The draft this rater's credential saved; empty when there is none (or another
/// credential saved it).
pub fn saved_draft(conn: &mut DbConn, rater: &Rater, invitation_id: &str) -> Result<Vec<AnswerInput>, AppError> {
    let credential = rater.credential();
    let saved: Option<(String, String, Vec<u8>)> = db_run!(conn, |c| response_drafts::table
        .find(invitation_id)
        .filter(response_drafts::credential.eq(&credential))
        .select((response_drafts::org_id, response_drafts::key_id, response_drafts::sealed))
        .first(c)
        .optional())?;
    match saved {
        Some((org_id, key_id, bytes)) => {
            conn.keys().open_json(&row_name(&org_id, invitation_id, &credential), &Sealed { key_id, bytes })
        }
        None => Ok(Vec::new()),
    }
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
