//! The routes whose operations span domains: each extracts, calls one operation, answers.

use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::cycles::{
    CycleResponse, DecisionRequest, NominateRequest, NominationResponse, TransitionRequest, with_etag,
};
use crate::error::{AppError, Errors, Problem, validate};
use crate::http::if_match;
use crate::state::AppState;

/// Moves a cycle to its next state, with the guards of each step.
///
/// - to `nominating` or `collecting`: the cycle needs participants; to `collecting`, every
///   participant needs the minimum of approved raters. Collecting creates the invitations
///   (one per approved rater, and the self-assessment) and freezes the anonymity settings.
/// - to `closed`: no more answers; unsubmitted drafts are discarded, invitation links stop
///   working, and the answers are rewritten in content order so that nothing links them to
///   the order in which raters submitted.
/// - to `released`, then `archived`.
#[utoipa::path(
    tag = "cycles",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "The cycle in its new state", body = CycleResponse, headers(("etag" = String))),
        (status = 409, description = "Not allowed from this state, or a guard failed", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/cycles/{cycle_id}/transitions", wrap = "crate::idempotency::Idempotent")]
pub async fn transition_cycle(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<TransitionRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageCycles)?;
    let (id, tag, to) = (path.into_inner(), if_match(&req), body.into_inner().to);
    let cycle = state.db.run(move |conn| super::transition(conn, &principal, &id, tag.as_deref(), to)).await?;
    Ok(with_etag(HttpResponse::Ok(), &cycle))
}

/// Nominates a rater for a participant.
///
/// The subject proposes (their manager or HR then decides); HR's nominations are approved
/// at once. At most the cycle's `max` per relationship, counting proposed and approved.
/// During collecting, an approved rater is invited at once.
#[utoipa::path(
    tag = "cycles",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("subject_id" = String, Path, description = "The participant's person id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first answer"),
    ),
    request_body = NominateRequest,
    responses(
        (status = 201, description = "Nominated", body = NominationResponse),
        (status = 409, description = "Already nominated, over the limit, or the cycle's state forbids it", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/cycles/{cycle_id}/participants/{subject_id}/nominations", wrap = "crate::idempotency::Idempotent")]
pub async fn create_nomination(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<NominateRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    validate(&body)?;
    let (cycle_id, subject_id) = path.into_inner();
    let nomination = state.db.run(move |conn| super::nominate(conn, &principal, &cycle_id, &subject_id, body)).await?;
    Ok(HttpResponse::Created().json(nomination))
}

/// Approves or rejects a proposed nomination: the subject's manager or HR decides.
#[utoipa::path(
    tag = "cycles",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("nomination_id" = String, Path, description = "The nomination's id"),
    ),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "Decided", body = NominationResponse),
        (status = 409, description = "Already decided, or the cycle's state forbids it", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/cycles/{cycle_id}/nominations/{nomination_id}/decision", wrap = "crate::idempotency::Idempotent")]
pub async fn decide_nomination(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<DecisionRequest>,
) -> Result<web::Json<NominationResponse>, AppError> {
    let body = body.into_inner();
    validate(&body)?;
    let (cycle_id, nomination_id) = path.into_inner();
    let decided = state.db.run(move |conn| super::decide(conn, &principal, &cycle_id, &nomination_id, body)).await?;
    Ok(web::Json(decided))
}
