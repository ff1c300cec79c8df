//! The listing reads: a cycle's invitations (HR), the caller's own invitations, and one
//! invitation with its questionnaire (the rater). None of them shows what anyone answered
//! beyond the rater's own draft.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::answers::AnswerInput;
use super::queries::{invitation_response, require_open};
use super::rater::Rater;
use super::{Invitation, InvitationResponse, InvitationStatus, draft};
use crate::auth::principal::{Actor, Principal};
use crate::cycles::{CycleState, find_cycle};
use crate::db::DbConn;
use crate::db::schema::{cycles, invitations, people};
use crate::db_run;
use crate::error::AppError;
use crate::frameworks::{CompetencyResponse, load_version};
use crate::pagination::{Page, Window};

/// Which of a cycle's invitations to list.
#[derive(Debug, Clone, Default)]
pub struct InvitationFilter {
    pub status: Option<InvitationStatus>,
    pub subject_id: Option<String>,
}

/// One page of a cycle of the caller's organisation's invitations, by id; 404 for a
/// cycle that is not theirs.
pub fn cycle_invitations(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    filter: &InvitationFilter,
    window: &Window,
) -> Result<Page<InvitationResponse>, AppError> {
    let cycle = find_cycle(conn, &principal.org_id, cycle_id)?;
    let rows: Vec<(Invitation, String)> = db_run!(conn, |c| {
        let mut q = invitations::table
            .inner_join(people::table.on(people::id.eq(invitations::subject_id)))
            .filter(invitations::cycle_id.eq(&cycle.id))
            .select((Invitation::as_select(), people::display_name))
            .order(invitations::id.asc())
            .limit(window.fetch())
            .into_boxed();
        if let Some(after) = &window.after {
            q = q.filter(invitations::id.gt(after));
        }
        if let Some(status) = filter.status {
            q = q.filter(invitations::status.eq(status));
        }
        if let Some(subject) = &filter.subject_id {
            q = q.filter(invitations::subject_id.eq(subject));
        }
        q.load(c)
    })?;
    Ok(window.page(rows, |(i, _)| &i.id, |(i, subject)| InvitationResponse::new(i, cycle.name.clone(), subject)))
}

/// The signed-in person's invitations in cycles that are collecting answers. Only a
/// person has invitations: a service client gets 403.
pub fn my_invitations(conn: &mut DbConn, principal: &Principal) -> Result<Vec<InvitationResponse>, AppError> {
    let Actor::User { person_id, .. } = &principal.actor else {
        return Err(AppError::Forbidden("This lists a person's own invitations: call it with a user token.".into()));
    };
    let rows: Vec<(Invitation, String, String)> = db_run!(conn, |c| invitations::table
        .inner_join(cycles::table)
        .inner_join(people::table.on(people::id.eq(invitations::subject_id)))
        .filter(invitations::org_id.eq(&principal.org_id))
        .filter(invitations::rater_id.eq(person_id))
        .filter(cycles::state.eq(CycleState::Collecting.as_str()))
        .order(invitations::id.asc())
        .select((Invitation::as_select(), cycles::name, people::display_name))
        .load(c))?;
    Ok(rows.into_iter().map(|(i, cycle, subject)| InvitationResponse::new(i, cycle, subject)).collect())
}

/// What a rater sees: whom they rate, the questions, how their answers will be shown,
/// and their saved draft.
#[derive(Debug, Serialize, ToSchema)]
pub struct Questionnaire {
    pub invitation: InvitationResponse,
    pub competencies: Vec<CompetencyResponse>,
    pub answers_shown: AnswersShown,
    /// The saved draft, until submission.
    pub draft: Vec<AnswerInput>,
}

/// How the subject will see this rater's answers, so that no rater answers without
/// knowing whether they can be told apart.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"attributed": false, "threshold": 3, "comment_threshold": 3}))]
pub struct AnswersShown {
    /// `true` for the self-assessment and an attributed manager: the subject sees these
    /// answers as the rater's. Otherwise they are pooled with the rater's group.
    pub attributed: bool,
    /// Least respondents of the group before any figure about it is shown.
    pub threshold: i32,
    /// Least respondents of the group before its comments are shown.
    pub comment_threshold: i32,
}

/// The rater's invitation with its questions and draft; 404 if it is not theirs.
pub fn questionnaire(conn: &mut DbConn, rater: &Rater, invitation_id: &str) -> Result<Questionnaire, AppError> {
    let invitation = rater.invitation(conn, invitation_id)?;
    // A used link opens nothing more: it only tells a retry that the answer went through.
    if matches!(rater, Rater::Link { .. }) {
        require_open(invitation.status)?;
    }
    let cycle = find_cycle(conn, &invitation.org_id, &invitation.cycle_id)?;
    rater.may_answer(&cycle)?;
    let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
    let draft = draft::saved_draft(conn, rater, &invitation.id)?;
    let (anonymity, relationship) = (cycle.anonymity(), invitation.relationship);
    let answers_shown = AnswersShown {
        attributed: anonymity.attributed(relationship),
        threshold: anonymity.threshold(relationship),
        comment_threshold: anonymity.comment_threshold(relationship),
    };
    Ok(Questionnaire {
        invitation: invitation_response(conn, invitation)?,
        competencies: version.competencies.clone(),
        answers_shown,
        draft,
    })
}
