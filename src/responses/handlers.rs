//! The HTTP face of invitations and answering: each handler checks the permission, hands
//! typed input to an operation and turns its answer into a response.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::answers::AnswerInput;
use super::invitations::{self, InvitationFilter, Questionnaire};
use super::links::{self, InvitationLink};
use super::progress::{self, SubjectProgress};
use super::rater::Rater;
use super::submit::{Submission, Submissions};
use super::{InvitationResponse, InvitationState, InvitationStatus, decline, draft};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::error::{AppError, Errors, Problem};
use crate::pagination::{Page, Window};
use crate::state::AppState;

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
        Errors,
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
    let ListInvitationsQuery { limit, cursor, status, subject_id } = query.into_inner();
    let window = Window::parse(limit, cursor.as_deref())?;
    let filter = InvitationFilter { status, subject_id };
    let cycle_id = path.into_inner();
    let page =
        state.db.run(move |conn| invitations::cycle_invitations(conn, &principal, &cycle_id, &filter, &window)).await?;
    Ok(web::Json(page))
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
        Errors,
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
    let link = state.db.run(move |conn| links::issue_link(conn, &principal, &cycle_id, &invitation_id)).await?;
    // The token is a credential: no cache may keep the answer that carries it.
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
        Errors,
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
    state.db.run(move |conn| links::revoke_link(conn, &principal, &cycle_id, &invitation_id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in person's invitations in cycles that are collecting answers.
#[utoipa::path(
    tag = "invitations",
    responses(
        (status = 200, description = "Invitations to answer", body = Vec<InvitationResponse>),
        Errors,
    ),
)]
#[get("/me/invitations")]
pub async fn my_invitations(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<InvitationResponse>>, AppError> {
    let list = state.db.run(move |conn| invitations::my_invitations(conn, &principal)).await?;
    Ok(web::Json(list))
}

/// An invitation with its questionnaire, for the rater.
#[utoipa::path(
    tag = "invitations",
    params(("invitation_id" = String, Path, description = "The invitation's id")),
    responses(
        (status = 200, description = "The questionnaire", body = Questionnaire),
        Errors,
    ),
)]
#[get("/invitations/{invitation_id}")]
pub async fn get_invitation(
    rater: Rater,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<Questionnaire>, AppError> {
    let invitation_id = path.into_inner();
    let questionnaire = state.db.run(move |conn| invitations::questionnaire(conn, &rater, &invitation_id)).await?;
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

/// Saves answers without submitting them; they can be changed until submission.
#[utoipa::path(
    tag = "invitations",
    params(("invitation_id" = String, Path, description = "The invitation's id")),
    request_body = AnswersRequest,
    responses(
        (status = 200, description = "Saved", body = InvitationState),
        (status = 409, description = "Already submitted or declined, or the cycle is not collecting", body = Problem, content_type = "application/problem+json"),
        Errors,
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
    let saved = state.db.run(move |conn| draft::save_draft(conn, &rater, &invitation_id, &answers)).await?;
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
        Errors,
    ),
)]
#[post("/invitations/{invitation_id}/submit")]
pub async fn submit_invitation(
    rater: Rater,
    submissions: web::Data<Submissions>,
    path: web::Path<String>,
    body: web::Json<SubmitRequest>,
) -> Result<web::Json<InvitationState>, AppError> {
    let submission = Submission { rater, invitation_id: path.into_inner(), answers: body.into_inner().answers };
    Ok(web::Json(submissions.submit(submission).await?))
}

/// Declines the invitation; a saved draft is deleted.
#[utoipa::path(
    tag = "invitations",
    params(("invitation_id" = String, Path, description = "The invitation's id")),
    responses(
        (status = 200, description = "Declined", body = InvitationState),
        (status = 409, description = "Already submitted or declined, or the cycle is not collecting", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/invitations/{invitation_id}/decline")]
pub async fn decline_invitation(
    rater: Rater,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<InvitationState>, AppError> {
    let invitation_id = path.into_inner();
    let declined = state.db.run(move |conn| decline::decline(conn, &rater, &invitation_id)).await?;
    Ok(web::Json(declined))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// Page size in participants, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Who has answered and whom to chase, per participant and relationship.
///
/// HR sees every participant; a manager sees their direct reports. Subjects see nothing
/// about their own cycle's answers before it closes, so they get 403 here.
#[utoipa::path(
    tag = "cycles",
    params(("cycle_id" = String, Path, description = "The cycle's id"), ProgressQuery),
    responses(
        (status = 200, description = "A page of participants' progress", body = Page<SubjectProgress>),
        Errors,
    ),
)]
#[get("/cycles/{cycle_id}/progress")]
pub async fn cycle_progress(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ProgressQuery>,
) -> Result<web::Json<Page<SubjectProgress>>, AppError> {
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let cycle_id = path.into_inner();
    Ok(web::Json(state.db.run(move |conn| progress::progress(conn, &principal, &cycle_id, &window)).await?))
}
