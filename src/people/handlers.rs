//! The people routes: each extracts the request, calls its operation, and shapes the answer.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::create::CreatePersonRequest;
use super::list::ListPeopleQuery;
use super::me::MeResponse;
use super::update::UpdatePersonRequest;
use super::{Person, PersonResponse, create, deactivate, get, list, me as whoami, update};
use crate::auth::principal::Principal;
use crate::error::{AppError, Errors};
use crate::http::if_match;
use crate::pagination::Page;
use crate::state::AppState;

fn with_etag(mut response: actix_web::HttpResponseBuilder, person: &Person) -> HttpResponse {
    response.insert_header((header::ETAG, person.etag())).json(PersonResponse::from(person))
}

/// Adds a person to the directory.
#[utoipa::path(
    tag = "people",
    request_body = CreatePersonRequest,
    responses(
        (status = 201, description = "Created", body = PersonResponse,
         headers(("etag" = String, description = "Version tag for `If-Match`"), ("location" = String))),
        Errors,
    ),
)]
#[post("/people", wrap = "crate::idempotency::Idempotent")]
pub async fn create_person(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<CreatePersonRequest>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let person = state.db.run(move |conn| create::create_person(conn, &principal, input)).await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/api/v1/people/{}", person.id)));
    Ok(with_etag(response, &person))
}

/// One person of the directory.
#[utoipa::path(
    tag = "people",
    params(("person_id" = String, Path, description = "The person's id")),
    responses(
        (status = 200, description = "The person", body = PersonResponse,
         headers(("etag" = String, description = "Version tag for `If-Match`"))),
        Errors,
    ),
)]
#[get("/people/{person_id}")]
pub async fn get_person(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let person = state.db.run(move |conn| get::get_person(conn, &principal, &id)).await?;
    Ok(with_etag(HttpResponse::Ok(), &person))
}

/// Pages through the directory in creation order, with filters.
#[utoipa::path(
    tag = "people",
    params(ListPeopleQuery),
    responses(
        (status = 200, description = "A page of people", body = Page<PersonResponse>),
        Errors,
    ),
)]
#[get("/people")]
pub async fn list_people(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListPeopleQuery>,
) -> Result<web::Json<Page<PersonResponse>>, AppError> {
    let query = query.into_inner();
    let page = state.db.run(move |conn| list::list_people(conn, &principal, query)).await?;
    Ok(web::Json(page))
}

/// Changes some of a person's fields. Send `If-Match` with the ETag you read to avoid
/// overwriting someone else's change (412 if it moved on).
#[utoipa::path(
    tag = "people",
    params(
        ("person_id" = String, Path, description = "The person's id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    request_body = UpdatePersonRequest,
    responses(
        (status = 200, description = "Updated", body = PersonResponse,
         headers(("etag" = String, description = "Version tag for `If-Match`"))),
        Errors,
    ),
)]
#[patch("/people/{person_id}")]
pub async fn update_person(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<UpdatePersonRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, tag, change) = (path.into_inner(), if_match(&req), body.into_inner());
    let person = state.db.run(move |conn| update::update_person(conn, &principal, &id, tag.as_deref(), change)).await?;
    Ok(with_etag(HttpResponse::Ok(), &person))
}

/// Deactivates a person. They keep their history (cycles, reports, coaching), can no
/// longer receive user tokens, and can be reactivated with `PATCH {"active": true}`.
#[utoipa::path(
    tag = "people",
    params(
        ("person_id" = String, Path, description = "The person's id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    responses(
        (status = 200, description = "Deactivated", body = PersonResponse,
         headers(("etag" = String, description = "Version tag for `If-Match`"))),
        Errors,
    ),
)]
#[post("/people/{person_id}/deactivate", wrap = "crate::idempotency::Idempotent")]
pub async fn deactivate_person(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (id, tag) = (path.into_inner(), if_match(&req));
    let person = state.db.run(move |conn| deactivate::deactivate_person(conn, &principal, &id, tag.as_deref())).await?;
    Ok(with_etag(HttpResponse::Ok(), &person))
}

/// Who the caller is: their person, role and how many report to them. For user tokens.
#[utoipa::path(tag = "people", responses((status = 200, description = "The signed-in person", body = MeResponse), Errors))]
#[get("/me")]
pub async fn me(principal: Principal, state: web::Data<AppState>) -> Result<web::Json<MeResponse>, AppError> {
    Ok(web::Json(state.db.run(move |conn| whoami::me(conn, &principal)).await?))
}
