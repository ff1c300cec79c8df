use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, delete, get, post, put, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::answers::{AnswerInput, check_answers};
use super::rater::{LINK_PREFIX, Rater};
use super::store;
use super::{Invitation, InvitationResponse, InvitationStatus};
use crate::auth::access::Permission;
use crate::auth::principal::{Actor, Principal};
use crate::auth::secrets::{hash_secret, random_secret};
use crate::cycles::{Cycle, CycleLock, CycleState, find_cycle, lock_cycle};
use crate::db::schema::{cycles, invitations, people, response_drafts};
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::{AppError, Problem};
use crate::events::{self, Event};
use crate::frameworks::{CompetencyResponse, load_version};
use crate::pagination::{Page, Window};
use crate::state::AppState;

fn names(conn: &mut DbConn, invitation: &Invitation) -> Result<(String, String), AppError> {
    let cycle_name: String = db_run!(conn, |c| cycles::table.find(&invitation.cycle_id).select(cycles::name).first(c))?;
    let subject_name: String =
        db_run!(conn, |c| people::table.find(&invitation.subject_id).select(people::display_name).first(c))?;
    Ok((cycle_name, subject_name))
}

fn respond(conn: &mut DbConn, invitation: Invitation) -> Result<InvitationResponse, AppError> {
    let (cycle_name, subject_name) = names(conn, &invitation)?;
    Ok(InvitationResponse::new(invitation, cycle_name, subject_name))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListInvitationsQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only invitations in this status.
    pub status: Option<InvitationStatus>,
    /// Only invitations about this participant.
    pub subject_id: Option<String>,
}

/// A cycle's invitations, for HR to send links and chase raters. Never what anyone answered.
#[utoipa::path(
    tag = "invitations",
    params(("cycle_id" = String, Path, description = "The cycle's id"), ListInvitationsQuery),
    responses(
        (status = 200, description = "A page of invitations", body = Page<InvitationResponse>),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cycles/{cycle_id}/invitations")]
pub async fn list_cycle_invitations(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ListInvitationsQuery>,
) -> Result<web::Json<Page<InvitationResponse>>, AppError> {
    principal.require(Permission::ReadCycleDetails)?;
    let query = query.into_inner();
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let fetch = window.clone();
    let cycle_id = path.into_inner();
    let page = state
        .db
        .run(move |conn| {
            let cycle = find_cycle(conn, &principal.org_id, &cycle_id)?;
            let rows: Vec<(Invitation, String)> = db_run!(conn, |c| {
                let mut q = invitations::table
                    .inner_join(people::table.on(people::id.eq(invitations::subject_id)))
                    .filter(invitations::cycle_id.eq(&cycle.id))
                    .select((Invitation::as_select(), people::display_name))
                    .order(invitations::id.asc())
                    .limit(fetch.fetch())
                    .into_boxed();
                if let Some(after) = &fetch.after {
                    q = q.filter(invitations::id.gt(after));
                }
                if let Some(status) = query.status {
                    q = q.filter(invitations::status.eq(status.as_str()));
                }
                if let Some(subject) = &query.subject_id {
                    q = q.filter(invitations::subject_id.eq(subject));
                }
                q.load(c)
            })?;
            Ok(fetch.page(rows, |(i, _)| &i.id, |(i, subject)| InvitationResponse::new(i, cycle.name.clone(), subject)))
        })
        .await?;
    Ok(web::Json(page))
}

/// An invitation link, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationLink {
    pub invitation_id: String,
    /// Send it to the rater (Roundtable sends no e-mail); they use it as
    /// `Authorization: Bearer rt_inv_…` to answer this one invitation.
    #[schema(example = "rt_inv_Vq3qG8pYtq1w2fQk3b7m9c2x4z6v8n0p1r3t5y7u9i")]
    pub token: String,
}

fn hr_invitation(
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

/// Issues the link for a rater without an account. Issuing again revokes the previous link.
#[utoipa::path(
    tag = "invitations",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("invitation_id" = String, Path, description = "The invitation's id"),
    ),
    responses(
        (status = 201, description = "The link's token, shown only now", body = InvitationLink),
        (status = 409, description = "The cycle is not collecting", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/cycles/{cycle_id}/invitations/{invitation_id}/link")]
pub async fn issue_invitation_link(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageCycles)?;
    let (cycle_id, invitation_id) = path.into_inner();
    let link = state
        .db
        .transaction(move |conn| {
            let (cycle, invitation) = hr_invitation(conn, &principal, &cycle_id, &invitation_id)?;
            cycle.require_state(&[CycleState::Collecting], "issue invitation links")?;
            if matches!(invitation.status, InvitationStatus::Submitted | InvitationStatus::Declined) {
                return Err(AppError::conflict(
                    "invitation_closed",
                    format!("This invitation is already {}.", invitation.status),
                ));
            }
            let token = random_secret(LINK_PREFIX);
            db_run!(conn, |c| diesel::update(invitations::table.find(&invitation.id))
                .set(invitations::token_hash.eq(Some(hash_secret(&token))))
                .execute(c))?;
            let issued =
                Event::InvitationLinkIssued { cycle_id: cycle.id.clone(), invitation_id: invitation.id.clone() };
            events::record(conn, &principal, issued)?;
            Ok(InvitationLink { invitation_id: invitation.id, token })
        })
        .await?;
    Ok(HttpResponse::Created().insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store"))).json(link))
}

/// Revokes an invitation's link; the rater can still answer with a user token.
#[utoipa::path(
    tag = "invitations",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("invitation_id" = String, Path, description = "The invitation's id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/cycles/{cycle_id}/invitations/{invitation_id}/link")]
pub async fn revoke_invitation_link(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageCycles)?;
    let (cycle_id, invitation_id) = path.into_inner();
    state
        .db
        .transaction(move |conn| {
            let (cycle, invitation) = hr_invitation(conn, &principal, &cycle_id, &invitation_id)?;
            db_run!(conn, |c| diesel::update(invitations::table.find(&invitation.id))
                .set(invitations::token_hash.eq(None::<String>))
                .execute(c))?;
            let revoked =
                Event::InvitationLinkRevoked { cycle_id: cycle.id.clone(), invitation_id: invitation.id.clone() };
            Ok(events::record(conn, &principal, revoked)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in person's invitations in cycles that are collecting answers.
#[utoipa::path(
    tag = "invitations",
    responses(
        (status = 200, description = "Invitations to answer", body = Vec<InvitationResponse>),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/me/invitations")]
pub async fn my_invitations(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<InvitationResponse>>, AppError> {
    let Actor::User { person_id, .. } = principal.actor else {
        return Err(AppError::Forbidden("This lists a person's own invitations: call it with a user token.".into()));
    };
    let list = state
        .db
        .run(move |conn| {
            let rows: Vec<(Invitation, String, String)> = db_run!(conn, |c| invitations::table
                .inner_join(cycles::table)
                .inner_join(people::table.on(people::id.eq(invitations::subject_id)))
                .filter(invitations::org_id.eq(&principal.org_id))
                .filter(invitations::rater_id.eq(&person_id))
                .filter(cycles::state.eq(CycleState::Collecting.as_str()))
                .order(invitations::id.asc())
                .select((Invitation::as_select(), cycles::name, people::display_name))
                .load(c))?;
            Ok(rows.into_iter().map(|(i, cycle, subject)| InvitationResponse::new(i, cycle, subject)).collect())
        })
        .await?;
    Ok(web::Json(list))
}

/// What a rater sees: whom they rate, the questions, and their saved draft.
#[derive(Debug, Serialize, ToSchema)]
pub struct Questionnaire {
    pub invitation: InvitationResponse,
    pub competencies: Vec<CompetencyResponse>,
    /// The saved draft, until submission.
    pub draft: Vec<AnswerInput>,
}

fn draft_of(conn: &mut DbConn, invitation_id: &str) -> Result<Vec<AnswerInput>, AppError> {
    let saved: Option<String> = db_run!(conn, |c| response_drafts::table
        .find(invitation_id)
        .select(response_drafts::answers)
        .first(c)
        .optional())?;
    Ok(saved.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
}

/// An invitation with its questionnaire, for the rater.
#[utoipa::path(
    tag = "invitations",
    params(("invitation_id" = String, Path, description = "The invitation's id")),
    responses(
        (status = 200, description = "The questionnaire", body = Questionnaire),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/invitations/{invitation_id}")]
pub async fn get_invitation(
    rater: Rater,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<Questionnaire>, AppError> {
    let invitation_id = path.into_inner();
    let questionnaire = state
        .db
        .run(move |conn| {
            let invitation = rater.invitation(conn, &invitation_id)?;
            let cycle = find_cycle(conn, &invitation.org_id, &invitation.cycle_id)?;
            let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
            let draft = draft_of(conn, &invitation.id)?;
            Ok(Questionnaire {
                invitation: respond(conn, invitation)?,
                competencies: version.competencies.clone(),
                draft,
            })
        })
        .await?;
    Ok(web::Json(questionnaire))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"answers": [
    {"question_id": "0193a5d2-9d3b-7f4e-8c6a-5a7e8f9a0b1c", "score": 4},
    {"question_id": "0193a5d2-9d3b-7f4e-8c6a-5a7e8f9a0b1d", "comment": "Shares context early; could delegate more."}
]}))]
pub struct AnswersRequest {
    pub answers: Vec<AnswerInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The final answers; absent, the saved draft is submitted.
    pub answers: Option<Vec<AnswerInput>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationState {
    pub invitation_id: String,
    pub status: InvitationStatus,
}

/// The invitation, checked to be answerable now: the cycle collects and it is still open.
fn answerable(conn: &mut DbConn, rater: &Rater, invitation_id: &str) -> Result<(Cycle, Invitation), AppError> {
    let invitation = rater.invitation(conn, invitation_id)?;
    let cycle = lock_cycle(conn, &invitation.org_id, &invitation.cycle_id, CycleLock::Share)?;
    cycle.require_state(&[CycleState::Collecting], "answer")?;
    match invitation.status {
        InvitationStatus::Submitted => {
            Err(AppError::conflict("already_submitted", "This invitation is already answered."))
        }
        InvitationStatus::Declined => Err(AppError::conflict("declined", "This invitation was declined.")),
        _ => Ok((cycle, invitation)),
    }
}

/// Moves an open invitation to `submitted` or `declined`, ending its link and deleting its
/// draft. Only one request can: a concurrent one finds it closed and gets 409.
fn finish_invitation(conn: &mut DbConn, invitation_id: &str, status: &str) -> Result<(), AppError> {
    let claimed = db_run!(conn, |c| diesel::update(
        invitations::table
            .filter(invitations::id.eq(invitation_id))
            .filter(invitations::status.eq_any(["pending", "started"]))
    )
    .set((invitations::status.eq(status), invitations::token_hash.eq(None::<String>)))
    .execute(c))?;
    if claimed == 0 {
        return Err(AppError::conflict("already_submitted", "This invitation is already answered or declined."));
    }
    db_run!(conn, |c| diesel::delete(response_drafts::table.find(invitation_id)).execute(c))?;
    Ok(())
}

/// Saves answers without submitting them; they can be changed until submission.
#[utoipa::path(
    tag = "invitations",
    params(("invitation_id" = String, Path, description = "The invitation's id")),
    request_body = AnswersRequest,
    responses(
        (status = 200, description = "Saved", body = InvitationState),
        (status = 409, description = "Already submitted or declined, or the cycle is not collecting", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[put("/invitations/{invitation_id}/draft")]
pub async fn save_draft(
    rater: Rater,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<AnswersRequest>,
) -> Result<web::Json<InvitationState>, AppError> {
    let answers = body.into_inner().answers;
    let invitation_id = path.into_inner();
    let saved = state
        .db
        .transaction(move |conn| {
            let (cycle, invitation) = answerable(conn, &rater, &invitation_id)?;
            let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
            check_answers(&version, &answers, false).map_err(AppError::Validation)?;
            let text = serde_json::to_string(&answers).map_err(AppError::internal)?;
            let at = now();
            db_run!(conn, |c| diesel::insert_into(response_drafts::table)
                .values((
                    response_drafts::invitation_id.eq(&invitation.id),
                    response_drafts::org_id.eq(&invitation.org_id),
                    response_drafts::answers.eq(&text),
                    response_drafts::updated_at.eq(at),
                ))
                .on_conflict(response_drafts::invitation_id)
                .do_update()
                .set((response_drafts::answers.eq(&text), response_drafts::updated_at.eq(at)))
                .execute(c))?;
            db_run!(conn, |c| diesel::update(
                invitations::table.filter(invitations::id.eq(&invitation.id)).filter(invitations::status.eq("pending"))
            )
            .set(invitations::status.eq("started"))
            .execute(c))?;
            Ok(InvitationState { invitation_id: invitation.id, status: InvitationStatus::Started })
        })
        .await?;
    Ok(web::Json(saved))
}

/// Submits the answers, once. They are stored without any link to the rater and the
/// draft is deleted, in one transaction; a second submission answers 409.
#[utoipa::path(
    tag = "invitations",
    params(("invitation_id" = String, Path, description = "The invitation's id")),
    request_body = SubmitRequest,
    responses(
        (status = 200, description = "Submitted", body = InvitationState),
        (status = 409, description = "Already submitted or declined, or the cycle is not collecting", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing required answers, scores out of range, unknown questions", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/invitations/{invitation_id}/submit")]
pub async fn submit_invitation(
    rater: Rater,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<SubmitRequest>,
) -> Result<web::Json<InvitationState>, AppError> {
    let given = body.into_inner().answers;
    let invitation_id = path.into_inner();
    let submitted = state
        .db
        .transaction(move |conn| {
            let (cycle, invitation) = answerable(conn, &rater, &invitation_id)?;
            let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
            let answers = match given {
                Some(answers) => answers,
                None => draft_of(conn, &invitation.id)?,
            };
            let checked = check_answers(&version, &answers, true).map_err(AppError::Validation)?;
            finish_invitation(conn, &invitation.id, "submitted")?;
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
        .await?;
    Ok(web::Json(submitted))
}

/// Declines the invitation; a saved draft is deleted.
#[utoipa::path(
    tag = "invitations",
    params(("invitation_id" = String, Path, description = "The invitation's id")),
    responses(
        (status = 200, description = "Declined", body = InvitationState),
        (status = 409, description = "Already submitted or declined, or the cycle is not collecting", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/invitations/{invitation_id}/decline")]
pub async fn decline_invitation(
    rater: Rater,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<InvitationState>, AppError> {
    let invitation_id = path.into_inner();
    let declined = state
        .db
        .transaction(move |conn| {
            let (_, invitation) = answerable(conn, &rater, &invitation_id)?;
            finish_invitation(conn, &invitation.id, "declined")?;
            Ok(InvitationState { invitation_id: invitation.id, status: InvitationStatus::Declined })
        })
        .await?;
    Ok(web::Json(declined))
}
