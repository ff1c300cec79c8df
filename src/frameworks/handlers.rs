use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{
    CompetencyInput, Framework, FrameworkVersion, VersionInput, VersionResponse, insert_framework, insert_version,
    load_version,
};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::db::schema::{framework_versions, frameworks};
use crate::db_run;
use crate::error::{AppError, Problem, validate};
use crate::events::{self, Event};
use crate::pagination::{Page, Window};
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Engineering leadership",
    "description": "For engineering managers and directors.",
    "competencies": [{
        "key": "technical_direction",
        "name": "Technical direction",
        "description": "Sets a sound technical course.",
        "questions": [
            {"key": "tech_dir_1", "kind": "rating", "prompt": "Makes sound architectural trade-offs.", "scale": {"min": 1, "max": 5, "labels": ["Never", "Rarely", "Sometimes", "Often", "Always"]}},
            {"key": "tech_dir_comment", "kind": "text", "prompt": "What should they do differently?", "required": false}
        ]
    }]
}))]
pub struct CreateFrameworkRequest {
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 2000))]
    pub description: String,
    /// The content of version 1.
    pub competencies: Vec<CompetencyInput>,
}

/// A framework and its versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkResponse {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub versions: Vec<VersionSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionSummary {
    pub id: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

fn framework_response(conn: &mut DbConn, framework: Framework) -> Result<FrameworkResponse, AppError> {
    let versions: Vec<FrameworkVersion> = db_run!(conn, |c| framework_versions::table
        .filter(framework_versions::framework_id.eq(&framework.id))
        .order(framework_versions::version.asc())
        .select(FrameworkVersion::as_select())
        .load(c))?;
    Ok(FrameworkResponse {
        id: framework.id,
        name: framework.name,
        description: framework.description,
        created_at: framework.created_at.and_utc(),
        versions: versions
            .into_iter()
            .map(|v| VersionSummary { id: v.id, version: v.version, created_at: v.created_at.and_utc() })
            .collect(),
    })
}

fn find_framework(conn: &mut DbConn, org_id: &str, id: &str) -> Result<Framework, AppError> {
    Ok(db_run!(conn, |c| frameworks::table
        .filter(frameworks::org_id.eq(org_id))
        .filter(frameworks::id.eq(id))
        .select(Framework::as_select())
        .first(c))?)
}

/// Creates a competency framework with its first version.
#[utoipa::path(
    tag = "frameworks",
    request_body = CreateFrameworkRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first answer")),
    responses(
        (status = 201, description = "Created", body = FrameworkResponse),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/frameworks")]
pub async fn create_framework(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<CreateFrameworkRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageCycles)?;
    let mut body = body.into_inner();
    body.name = body.name.trim().to_string();
    validate(&body)?;
    let content = VersionInput { competencies: body.competencies };
    content.check()?;
    let framework = state
        .db
        .transaction(move |conn| {
            let (framework, _) = insert_framework(conn, &principal.org_id, &body.name, &body.description, &content)?;
            let created = Event::FrameworkCreated { framework_id: framework.id.clone(), name: framework.name.clone() };
            events::record(conn, &principal, created)?;
            framework_response(conn, framework)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/frameworks/{}", framework.id)))
        .json(framework))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListFrameworksQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists the organisation's frameworks with their versions.
#[utoipa::path(
    tag = "frameworks",
    params(ListFrameworksQuery),
    responses(
        (status = 200, description = "A page of frameworks", body = Page<FrameworkResponse>),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/frameworks")]
pub async fn list_frameworks(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListFrameworksQuery>,
) -> Result<web::Json<Page<FrameworkResponse>>, AppError> {
    principal.require(Permission::ReadCycles)?;
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let fetch = window.clone();
    let page = state
        .db
        .run(move |conn| {
            let rows: Vec<Framework> = db_run!(conn, |c| {
                let mut q = frameworks::table
                    .filter(frameworks::org_id.eq(&principal.org_id))
                    .select(Framework::as_select())
                    .order(frameworks::id.asc())
                    .limit(fetch.fetch())
                    .into_boxed();
                if let Some(after) = &fetch.after {
                    q = q.filter(frameworks::id.gt(after));
                }
                q.load(c)
            })?;
            let page = fetch.page(rows, |f| &f.id, |f| f);
            let items = page.items.into_iter().map(|f| framework_response(conn, f)).collect::<Result<_, _>>()?;
            Ok(Page { items, next_cursor: page.next_cursor })
        })
        .await?;
    Ok(web::Json(page))
}

/// One framework with the list of its versions.
#[utoipa::path(
    tag = "frameworks",
    params(("framework_id" = String, Path, description = "The framework's id")),
    responses(
        (status = 200, description = "The framework", body = FrameworkResponse),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
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
    let framework = state
        .db
        .run(move |conn| {
            let framework = find_framework(conn, &principal.org_id, &id)?;
            framework_response(conn, framework)
        })
        .await?;
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
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/frameworks/{framework_id}/versions")]
pub async fn create_framework_version(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<VersionInput>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageCycles)?;
    let content = body.into_inner();
    content.check()?;
    let id = path.into_inner();
    let version = state
        .db
        .transaction(move |conn| {
            find_framework(conn, &principal.org_id, &id)?;
            let version = insert_version(conn, &principal.org_id, &id, &content)?;
            let created = Event::FrameworkVersionCreated {
                framework_id: id.clone(),
                version: version.version,
                version_id: version.id.clone(),
            };
            events::record(conn, &principal, created)?;
            Ok(version)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/frameworks/{}/versions/{}", version.framework_id, version.version),
        ))
        .json(version))
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
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
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
    let version = state
        .db
        .run(move |conn| {
            let version_id: String = db_run!(conn, |c| framework_versions::table
                .filter(framework_versions::org_id.eq(&principal.org_id))
                .filter(framework_versions::framework_id.eq(&framework_id))
                .filter(framework_versions::version.eq(number))
                .select(framework_versions::id)
                .first(c))?;
            load_version(conn, &principal.org_id, &version_id)
        })
        .await?;
    Ok(web::Json(VersionResponse::clone(&version)))
}
