//! The HTTP face of frameworks: each handler checks the permission, hands typed input to
//! an operation and turns its answer into a response.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};

use super::create::{self, NewFramework};
use super::version::{self, NewVersion};
use super::{CreateFrameworkRequest, FrameworkResponse, VersionInput, VersionResponse, queries};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::error::{AppError, Errors};
use crate::pagination::{Page, PageQuery, Window};
use crate::state::AppState;

/// Creates a competency framework with its first version.
#[utoipa::path(
    tag = "frameworks",
    request_body = CreateFrameworkRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first answer")),
    responses(
        (status = 201, description = "Created", body = FrameworkResponse),
        Errors,
    ),
)]
#[post("/frameworks", wrap = "crate::idempotency::Idempotent")]
pub async fn create_framework(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<CreateFrameworkRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageCycles)?;
    let new = NewFramework::parse(body.into_inner())?;
    let framework = state.db.run(move |conn| create::create(conn, &principal, new)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/frameworks/{}", framework.id)))
        .json(framework))
}

/// Lists the organisation's frameworks with their versions.
#[utoipa::path(
    tag = "frameworks",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of frameworks", body = Page<FrameworkResponse>),
        Errors,
    ),
)]
#[get("/frameworks")]
pub async fn list_frameworks(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<FrameworkResponse>>, AppError> {
    principal.require(Permission::ReadCycles)?;
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let page = state.db.run(move |conn| queries::framework_page(conn, &principal.org_id, &window)).await?;
    Ok(web::Json(page))
}

/// One framework with the list of its versions.
#[utoipa::path(
    tag = "frameworks",
    params(("framework_id" = String, Path, description = "The framework's id")),
    responses(
        (status = 200, description = "The framework", body = FrameworkResponse),
        Errors,
    ),
)]
#[get("/frameworks/{framework_id}")]
pub async fn get_framework(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<FrameworkResponse>, AppError> {
    principal.require(Permission::ReadCycles)?;
    let id = path.into_inner();
    let framework = state.db.run(move |conn| queries::framework_by_id(conn, &principal.org_id, &id)).await?;
    Ok(web::Json(framework))
}

/// Adds a new version to a framework. Versions never change once written: cycles keep
/// the version they were created with.
#[utoipa::path(
    tag = "frameworks",
    params(
        ("framework_id" = String, Path, description = "The framework's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first answer"),
    ),
    request_body = VersionInput,
    responses(
        (status = 201, description = "The new version", body = VersionResponse),
        Errors,
    ),
)]
#[post("/frameworks/{framework_id}/versions", wrap = "crate::idempotency::Idempotent")]
pub async fn create_framework_version(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<VersionInput>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageCycles)?;
    let content = NewVersion::parse(body.into_inner())?;
    let id = path.into_inner();
    let version = state.db.run(move |conn| version::create_version(conn, &principal, &id, content)).await?;
    let location = format!("/api/v1/frameworks/{}/versions/{}", version.framework_id, version.version);
    Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(version))
}

/// One version of a framework, with its competencies and questions.
#[utoipa::path(
    tag = "frameworks",
    params(
        ("framework_id" = String, Path, description = "The framework's id"),
        ("version" = i32, Path, description = "The version number"),
    ),
    responses(
        (status = 200, description = "The version", body = VersionResponse),
        Errors,
    ),
)]
#[get("/frameworks/{framework_id}/versions/{version}")]
pub async fn get_framework_version(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<web::Json<VersionResponse>, AppError> {
    principal.require(Permission::ReadCycles)?;
    let (framework_id, number) = path.into_inner();
    let version =
        state.db.run(move |conn| queries::version_by_number(conn, &principal.org_id, &framework_id, number)).await?;
    Ok(web::Json(VersionResponse::clone(&version)))
}
