//! Submission: the answers join their group's answer set (`store`) and the invitation is
//! marked submitted and its draft deleted, all in one transaction, so
//! nothing that names the rater outlives it next to the answers.
//!
//! It records no event: an audit row naming the rater, written in the transaction that
//! changes the answer set, would link the two by time and (PostgreSQL) transaction id.

use super::answers::{AnswerInput, check_answers};
use super::queries::{answerable, finish_invitation};
use super::rater::Rater;
use super::{InvitationState, InvitationStatus, draft, store};
use crate::db::DbConn;
use crate::error::AppError;
use crate::frameworks::load_version;

/// Submits `answers`, or the saved draft when `None`, once: a second submission, or one
/// after a decline, gets 409; missing required answers get 422.
pub fn submit(
    conn: &mut DbConn,
    rater: &Rater,
    invitation_id: &str,
    answers: Option<Vec<AnswerInput>>,
) -> Result<InvitationState, AppError> {
    conn.transaction(|conn| {
        let (cycle, invitation) = answerable(conn, rater, invitation_id)?;
        let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
        let answers = match answers {
            Some(answers) => answers,
            None => draft::saved_draft(conn, rater, &invitation.id)?,
        };
        let checked = check_answers(&version, &answers, true).map_err(AppError::Validation)?;
        finish_invitation(conn, &invitation.id, InvitationStatus::Submitted)?;
        store::record(
            conn,
            &invitation.org_id,
            &invitation.cycle_id,
            &invitation.subject_id,
            invitation.relationship,
            checked,
        )?;
        Ok(InvitationState { invitation_id: invitation.id, status: InvitationStatus::Submitted })
    })
}
