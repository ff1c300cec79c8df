//! Submission: the answers join their group's answer set (`store`) and the invitation is
//! marked submitted and its draft deleted, all in one transaction, so
//! nothing that names the rater outlives it next to the answers.
//!
//! Submissions that arrive together commit together ([`Submissions`]): one thread takes
//! those that queued while the previous batch committed and runs them with statements
//! that each cover the whole batch, so a batch costs about the round trips and the log
//! sync of one submission. A batch mixes raters of any groups, which makes the
//! transaction say even less about who answered what.
//!
//! It records no event: an audit row naming the rater, written in the transaction that
//! changes the answer set, would link the two by time and (PostgreSQL) transaction id.

use std::collections::{BTreeSet, HashMap, HashSet};

use diesel::prelude::*;

use super::answers::{AnswerInput, CheckedAnswer, check_answers};
use super::queries::open_to;
use super::rater::Rater;
use super::{Invitation, InvitationState, InvitationStatus, draft, store};
use crate::cycles::{Cycle, CycleLock, lock_cycle};
use crate::db::batch::Batcher;
use crate::db::schema::{invitations, response_drafts};
use crate::db::{DbConn, DbPool};
use crate::db_run;
use crate::error::AppError;
use crate::frameworks::load_version;

/// One rater's submission: `answers`, or the saved draft when `None`.
pub struct Submission {
    pub rater: Rater,
    pub invitation_id: String,
    pub answers: Option<Vec<AnswerInput>>,
}

/// The queue of the instance's submission thread.
#[derive(Clone)]
pub struct Submissions(Batcher<Submission, InvitationState>);

/// The most submissions one batch commits: more than arrive while one batch commits at
/// the rates measured, few enough that a batch's transaction stays short.
const MOST_IN_A_BATCH: usize = 64;

impl Submissions {
    pub fn start(db: DbPool) -> std::io::Result<Self> {
        Batcher::start("submissions", db, MOST_IN_A_BATCH, submit_batch).map(Self)
    }

    /// Submits once: a second submission, or one after a decline, gets 409; missing
    /// required answers get 422. Answers once the submission is durable.
    pub async fn submit(&self, submission: Submission) -> Result<InvitationState, AppError> {
        self.0.commit(submission).await
    }
}

/// Each submission's outcome, inside the batch's transaction. A refused submission writes
/// nothing; a database error fails the batch, whose submissions are then tried alone.
pub fn submit_batch(
    conn: &mut DbConn,
    batch: &[Submission],
) -> Result<Vec<Result<InvitationState, AppError>>, AppError> {
    let ids: BTreeSet<&str> = batch.iter().map(|s| s.invitation_id.as_str()).collect();
    let found: HashMap<String, Invitation> = db_run!(conn, |c| invitations::table
        .filter(invitations::id.eq_any(&ids))
        .select(Invitation::as_select())
        .load(c))?
    .into_iter()
    .map(|invitation| (invitation.id.clone(), invitation))
    .collect();
    // The cycles, held (shared) until commit so that none closes meanwhile, in id order.
    let held: BTreeSet<(&str, &str)> = found.values().map(|i| (i.org_id.as_str(), i.cycle_id.as_str())).collect();
    let mut cycles = HashMap::new();
    for (org_id, cycle_id) in held {
        cycles.insert(cycle_id.to_string(), lock_cycle(conn, org_id, cycle_id, CycleLock::Share)?);
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut taken = HashSet::new();
    for submission in batch {
        let checked = match submission.rater.holding(found.get(&submission.invitation_id)) {
            Ok(invitation) => checked(conn, submission, invitation, &cycles[&invitation.cycle_id])?,
            Err(refused) => Err(refused),
        };
        // The same invitation twice in one batch: the second is already answered.
        outcomes.push(checked.and_then(|answers| match taken.insert(submission.invitation_id.as_str()) {
            true => Ok(answers),
            false => Err(already_submitted()),
        }));
    }
    let accepted: Vec<&str> = batch
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| outcome.is_ok())
        .map(|(s, _)| s.invitation_id.as_str())
        .collect();
    let claimed: HashSet<String> = claim(conn, &accepted)?.into_iter().collect();
    let mut additions = Vec::with_capacity(claimed.len());
    let outcomes = batch
        .iter()
        .zip(outcomes)
        .map(|(submission, outcome)| {
            let answers = outcome?;
            if !claimed.contains(&submission.invitation_id) {
                return Err(already_submitted());
            }
            let invitation = &found[&submission.invitation_id];
            additions.push(store::Addition {
                org_id: invitation.org_id.clone(),
                cycle_id: invitation.cycle_id.clone(),
                subject_id: invitation.subject_id.clone(),
                relationship: invitation.relationship,
                answers,
            });
            Ok(InvitationState { invitation_id: invitation.id.clone(), status: InvitationStatus::Submitted })
        })
        .collect();
    store::record_all(conn, additions)?;
    Ok(outcomes)
}

/// The submission's answers, checked: `Err` inside for a submission refused (the cycle does
/// not collect, the invitation is closed, answers are missing or out of range), outside
/// for a failed query.
fn checked(
    conn: &mut DbConn,
    submission: &Submission,
    invitation: &Invitation,
    cycle: &Cycle,
) -> Result<Result<Vec<CheckedAnswer>, AppError>, AppError> {
    if let Err(refused) = open_to(&submission.rater, cycle, invitation) {
        return Ok(Err(refused));
    }
    let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
    let saved;
    let answers = match &submission.answers {
        Some(answers) => answers,
        None => {
            saved = draft::saved_draft(conn, &submission.rater, &invitation.id)?;
            &saved
        }
    };
    Ok(check_answers(&version, answers, true).map_err(AppError::Validation))
}

/// Moves the open invitations among `ids` to `submitted` and deletes their drafts; gives
/// the ids it moved. One that another request closed meanwhile (a decline) is not among them.
fn claim(conn: &mut DbConn, ids: &[&str]) -> Result<Vec<String>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let claimed: Vec<String> = db_run!(conn, |c| diesel::update(
        invitations::table
            .filter(invitations::id.eq_any(ids))
            .filter(invitations::status.eq_any([InvitationStatus::Pending, InvitationStatus::Started]))
    )
    .set(invitations::status.eq(InvitationStatus::Submitted))
    .returning(invitations::id)
    .get_results(c))?;
    db_run!(conn, |c| diesel::delete(response_drafts::table.filter(response_drafts::invitation_id.eq_any(&claimed)))
        .execute(c))?;
    Ok(claimed)
}

fn already_submitted() -> AppError {
    AppError::conflict("already_submitted", "This invitation is already answered or declined.")
}
