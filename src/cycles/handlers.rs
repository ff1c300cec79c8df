//! The cycle routes: each extracts the request, calls one operation and answers.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::approvals::{self, Approval};
use super::create::{NewCycle, create};
use super::nominations::{self, NominationResponse};
use super::participants::{self, ParticipantResponse, ParticipantsChange, SubjectsRequest};
use super::queries::{cycle_page, find_cycle};
use super::update::{CycleChange, update};
use super::{CreateCycleRequest, Cycle, CycleResponse, CycleState, UpdateCycleRequest};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::error::{AppError, Errors, Problem, validate};
use crate::http::if_match;
use crate::pagination::{Page, Window};
use crate::state::AppState;

/// The cycle as JSON with its ETag.
pub fn with_etag(mut response: actix_web::HttpResponseBuilder, cycle: &Cycle) -> HttpResponse {
    response.insert_header((header::ETAG, cycle.etag())).json(CycleResponse::from(cycle))
}

/// Creates a cycle in `draft`.
#[utoipa::path(
    tag = "cycles",
    request_body = CreateCycleRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first answer")),
    responses(
        (status = 201, description = "Created", body = CycleResponse, headers(("etag" = String), ("location" = String))),
        Errors,
    ),
)]
#[post("/cycles", wrap = "crate::idempotency::Idempotent")]
pub async fn create_cycle(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<CreateCycleRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageCycles)?;
    let new = NewCycle::parse(body.into_inner())?;
    let cycle = state.db.run(move |conn| create(conn, &principal, new)).await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/api/v1/cycles/{}", cycle.id)));
    Ok(with_etag(response, &cycle))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListCyclesQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only cycles in this state.
    pub state: Option<CycleState>,
}

/// Lists the organisation's cycles, oldest first.
#[utoipa::path(
    tag = "cycles",
    params(ListCyclesQuery),
    responses((status = 200, description = "A page of cycles", body = Page<CycleResponse>), Errors),
)]
#[get("/cycles")]
pub async fn list_cycles(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListCyclesQuery>,
) -> Result<web::Json<Page<CycleResponse>>, AppError> {
    principal.require(Permission::ReadCycles)?;
    let query = query.into_inner();
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    Ok(web::Json(state.db.run(move |conn| cycle_page(conn, &principal.org_id, &window, query.state)).await?))
}

/// One cycle.
#[utoipa::path(
    tag = "cycles",
    params(("cycle_id" = String, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "The cycle", body = CycleResponse, headers(("etag" = String))),
        Errors,
    ),
)]
#[get("/cycles/{cycle_id}")]
pub async fn get_cycle(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ReadCycles)?;
    let id = path.into_inner();
    let cycle = state.db.run(move |conn| find_cycle(conn, &principal.org_id, &id)).await?;
    Ok(with_etag(HttpResponse::Ok(), &cycle))
}

/// Changes a cycle's settings. Send `If-Match` with the ETag you read (412 if it moved on).
#[utoipa::path(
    tag = "cycles",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    request_body = UpdateCycleRequest,
    responses(
        (status = 200, description = "Updated", body = CycleResponse, headers(("etag" = String))),
        (status = 409, description = "The cycle's state does not allow this change", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[patch("/cycles/{cycle_id}")]
pub async fn update_cycle(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<UpdateCycleRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageCycles)?;
    let change = CycleChange::parse(body.into_inner())?;
    let (id, tag) = (path.into_inner(), if_match(&req));
    let cycle = state.db.run(move |conn| update(conn, &principal, &id, tag.as_deref(), change)).await?;
    Ok(with_etag(HttpResponse::Ok(), &cycle))
}

/// Adds leaders to a cycle. Each one's manager in the directory is nominated and approved
/// as their `manager` rater; the self-assessment is created when collecting starts.
/// Adding someone already in the cycle changes nothing.
#[utoipa::path(
    tag = "cycles",
    params(("cycle_id" = String, Path, description = "The cycle's id")),
    request_body = SubjectsRequest,
    responses((status = 200, description = "Added", body = ParticipantsChange), Errors),
)]
#[post("/cycles/{cycle_id}/participants", wrap = "crate::idempotency::Idempotent")]
pub async fn add_participants(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<SubjectsRequest>,
) -> Result<web::Json<ParticipantsChange>, AppError> {
    principal.require(Permission::ManageCycles)?;
    let body = body.into_inner();
    validate(&body)?;
    let cycle_id = path.into_inner();
    let change = state.db.run(move |conn| participants::add(conn, &principal, &cycle_id, body.subject_ids)).await?;
    Ok(web::Json(change))
}

/// Removes leaders from a cycle, with their nominations. Only before collecting starts.
#[utoipa::path(
    tag = "cycles",
    params(("cycle_id" = String, Path, description = "The cycle's id")),
    request_body = SubjectsRequest,
    responses((status = 200, description = "Removed", body = ParticipantsChange), Errors),
)]
#[post("/cycles/{cycle_id}/participants/remove", wrap = "crate::idempotency::Idempotent")]
pub async fn remove_participants(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<SubjectsRequest>,
) -> Result<web::Json<ParticipantsChange>, AppError> {
    principal.require(Permission::ManageCycles)?;
    let body = body.into_inner();
    validate(&body)?;
    let cycle_id = path.into_inner();
    let change = state.db.run(move |conn| participants::remove(conn, &principal, &cycle_id, body.subject_ids)).await?;
    Ok(web::Json(change))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParticipantsQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The leaders a cycle reviews.
#[utoipa::path(
    tag = "cycles",
    params(("cycle_id" = String, Path, description = "The cycle's id"), ListParticipantsQuery),
    responses((status = 200, description = "A page of participants", body = Page<ParticipantResponse>), Errors),
)]
#[get("/cycles/{cycle_id}/participants")]
pub async fn list_participants(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ListParticipantsQuery>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ReadCycleDetails)?;
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let cycle_id = path.into_inner();
    let page = state.db.run(move |conn| participants::list(conn, &principal.org_id, &cycle_id, &window)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A participant's nominations, for HR, the subject and the subject's manager.
#[utoipa::path(
    tag = "cycles",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("subject_id" = String, Path, description = "The participant's person id"),
    ),
    responses((status = 200, description = "The nominations", body = Vec<NominationResponse>), Errors),
)]
#[get("/cycles/{cycle_id}/participants/{subject_id}/nominations")]
pub async fn list_nominations(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<web::Json<Vec<NominationResponse>>, AppError> {
    let (cycle_id, subject_id) = path.into_inner();
    let list = state.db.run(move |conn| nominations::list(conn, &principal, &cycle_id, &subject_id)).await?;
    Ok(web::Json(list))
}

/// Nominations waiting for the caller's decision as their direct reports' manager, in the
/// cycles still taking decisions. For user tokens.
#[utoipa::path(
    tag = "cycles",
    responses((status = 200, description = "Nominations to decide", body = Vec<Approval>), Errors),
)]
#[get("/me/approvals")]
pub async fn my_approvals(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Approval>>, AppError> {
    Ok(web::Json(state.db.run(move |conn| approvals::my_approvals(conn, &principal)).await?))
}
