//! The SCIM routes: each extracts the request, calls its operation and answers with a
//! SCIM document (`application/scim+json`). Errors are rewritten by [`super::errors`].

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::errors::{self, ScimErrors};
use super::user::{UserFields, project, to_document, weak_etag};
use super::{MEDIA_TYPE, discovery, users};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::error::AppError;
use crate::people::Person;
use crate::state::AppState;

/// The SCIM root as the caller reached it, for `location` and `$ref`.
fn base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/scim/v2", info.scheme(), info.host())
}

/// `If-Match` as the people operations compare it: SCIM clients send the weak tag back.
fn if_match(req: &HttpRequest) -> Option<String> {
    crate::http::if_match(req)
        .map(|tag| tag.split(',').map(|t| t.trim().trim_start_matches("W/")).collect::<Vec<_>>().join(","))
}

fn scim(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status).content_type(MEDIA_TYPE).body(body.to_string())
}

fn user_answer(status: StatusCode, person: &Person, base: &str, query: &AttributesQuery) -> HttpResponse {
    let document =
        project(to_document(person, base), query.attributes.as_deref(), query.excluded_attributes.as_deref());
    let mut response = scim(status, &document);
    if let Ok(tag) = header::HeaderValue::from_str(&weak_etag(person)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AttributesQuery {
    /// Only these attributes (comma separated), besides `id` and `schemas`.
    pub attributes: Option<String>,
    /// All attributes but these (comma separated).
    pub excluded_attributes: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// `eq` comparisons joined by `and`, on `id`, `userName`, `externalId`, `emails.value`,
    /// `displayName`, `active` and the enterprise `employeeNumber` and `department`.
    pub filter: Option<String>,
    /// 1-based index of the first result (default 1).
    pub start_index: Option<i64>,
    /// Results per page, 0 to 200 (default 100).
    pub count: Option<i64>,
    /// Only these attributes (comma separated), besides `id` and `schemas`.
    pub attributes: Option<String>,
    /// All attributes but these (comma separated).
    pub excluded_attributes: Option<String>,
}

/// Lists users in creation order, with a filter (RFC 7644 §3.4.2); sorting is not
/// supported and `sortBy` is ignored.
#[utoipa::path(tag = "scim", params(ListUsersQuery),
    responses((status = 200, description = "A SCIM ListResponse", content_type = "application/scim+json", body = Object), ScimErrors))]
#[get("/Users")]
pub async fn list_users(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListUsersQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (filter, start, count) = (query.filter.clone(), query.start_index, query.count);
    let (total, start, people) =
        state.db.run(move |conn| users::list_users(conn, &principal, filter.as_deref(), start, count)).await?;
    let base = base(&req);
    let documents = people
        .iter()
        .map(|p| project(to_document(p, &base), query.attributes.as_deref(), query.excluded_attributes.as_deref()))
        .collect();
    Ok(scim(StatusCode::OK, &discovery::list(documents, start as usize, total as usize)))
}

/// Creates a user (RFC 7644 §3.3); 409 `uniqueness` when the user name or e-mail address
/// is taken.
#[utoipa::path(tag = "scim", params(AttributesQuery),
    request_body(content = Object, content_type = "application/scim+json", description = "A SCIM User"),
    responses((status = 201, description = "The user", content_type = "application/scim+json", body = Object), ScimErrors))]
#[post("/Users")]
pub async fn create_user(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<AttributesQuery>,
    body: web::Json<Value>,
) -> Result<HttpResponse, AppError> {
    let fields = UserFields::from_document(&body)?;
    let person = state.db.run(move |conn| users::create_user(conn, &principal, fields)).await?;
    let base = base(&req);
    let mut response = user_answer(StatusCode::CREATED, &person, &base, &query);
    if let Ok(location) = header::HeaderValue::from_str(&format!("{base}/Users/{}", person.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// One user.
#[utoipa::path(tag = "scim", params(("id" = String, Path, description = "The person's id"), AttributesQuery),
    responses((status = 200, description = "The user", content_type = "application/scim+json", body = Object), ScimErrors))]
#[get("/Users/{id}")]
pub async fn get_user(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<AttributesQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let person = state.db.run(move |conn| users::get_user(conn, &principal, &id)).await?;
    Ok(user_answer(StatusCode::OK, &person, &base(&req), &query))
}

/// Replaces a user (RFC 7644 §3.5.1): what the document leaves out is removed, except
/// `active`, which keeps its value.
#[utoipa::path(tag = "scim",
    params(("id" = String, Path, description = "The person's id"), ("If-Match" = Option<String>, Header, description = "ETag from a previous read"), AttributesQuery),
    request_body(content = Object, content_type = "application/scim+json", description = "A SCIM User"),
    responses((status = 200, description = "The user", content_type = "application/scim+json", body = Object), ScimErrors))]
#[put("/Users/{id}")]
pub async fn replace_user(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<AttributesQuery>,
    body: web::Json<Value>,
) -> Result<HttpResponse, AppError> {
    let (id, tag, fields) = (path.into_inner(), if_match(&req), UserFields::from_document(&body)?);
    let person = state.db.run(move |conn| users::replace_user(conn, &principal, &id, tag.as_deref(), fields)).await?;
    Ok(user_answer(StatusCode::OK, &person, &base(&req), &query))
}

/// Changes a user with a PatchOp (RFC 7644 §3.5.2): add, replace or remove, with or
/// without a path; `op` is case-insensitive.
#[utoipa::path(tag = "scim",
    params(("id" = String, Path, description = "The person's id"), ("If-Match" = Option<String>, Header, description = "ETag from a previous read"), AttributesQuery),
    request_body(content = Object, content_type = "application/scim+json", description = "A SCIM PatchOp"),
    responses((status = 200, description = "The user", content_type = "application/scim+json", body = Object), ScimErrors))]
#[patch("/Users/{id}")]
pub async fn patch_user(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<AttributesQuery>,
    body: web::Json<Value>,
) -> Result<HttpResponse, AppError> {
    let (id, tag, base, request) = (path.into_inner(), if_match(&req), base(&req), body.into_inner());
    let at = base.clone();
    let person =
        state.db.run(move |conn| users::patch_user(conn, &principal, &id, tag.as_deref(), &at, &request)).await?;
    Ok(user_answer(StatusCode::OK, &person, &base, &query))
}

/// Deletes a user as SCIM sees it: the person is deactivated and keeps their history,
/// and SCIM answers 404 for them. Creating them again brings them back.
#[utoipa::path(tag = "scim",
    params(("id" = String, Path, description = "The person's id"), ("If-Match" = Option<String>, Header, description = "ETag from a previous read")),
    responses((status = 204, description = "Deleted"), ScimErrors))]
#[delete("/Users/{id}")]
pub async fn delete_user(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (id, tag) = (path.into_inner(), if_match(&req));
    state.db.run(move |conn| users::delete_user(conn, &principal, &id, tag.as_deref())).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What this service provider supports.
#[utoipa::path(tag = "scim", responses((status = 200, description = "The configuration", content_type = "application/scim+json", body = Object), ScimErrors))]
#[get("/ServiceProviderConfig")]
pub async fn service_provider_config(req: HttpRequest, principal: Principal) -> Result<HttpResponse, AppError> {
    principal.require(Permission::Provision)?;
    Ok(scim(StatusCode::OK, &discovery::service_provider_config(&base(&req))))
}

/// The resource types: User.
#[utoipa::path(tag = "scim", responses((status = 200, description = "A ListResponse of resource types", content_type = "application/scim+json", body = Object), ScimErrors))]
#[get("/ResourceTypes")]
pub async fn list_resource_types(req: HttpRequest, principal: Principal) -> Result<HttpResponse, AppError> {
    principal.require(Permission::Provision)?;
    Ok(scim(StatusCode::OK, &discovery::list(vec![discovery::user_resource_type(&base(&req))], 1, 1)))
}

/// One resource type.
#[utoipa::path(tag = "scim", params(("id" = String, Path, description = "`User`")),
    responses((status = 200, description = "The resource type", content_type = "application/scim+json", body = Object), ScimErrors))]
#[get("/ResourceTypes/{id}")]
pub async fn get_resource_type(
    req: HttpRequest,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::Provision)?;
    if path.as_str() != "User" {
        return Err(AppError::NotFound);
    }
    Ok(scim(StatusCode::OK, &discovery::user_resource_type(&base(&req))))
}

/// The schemas of what the service keeps.
#[utoipa::path(tag = "scim", responses((status = 200, description = "A ListResponse of schemas", content_type = "application/scim+json", body = Object), ScimErrors))]
#[get("/Schemas")]
pub async fn list_schemas(req: HttpRequest, principal: Principal) -> Result<HttpResponse, AppError> {
    principal.require(Permission::Provision)?;
    let all = discovery::schemas(&base(&req));
    let total = all.len();
    Ok(scim(StatusCode::OK, &discovery::list(all, 1, total)))
}

/// One schema, by its URN.
#[utoipa::path(tag = "scim", params(("id" = String, Path, description = "The schema's URN")),
    responses((status = 200, description = "The schema", content_type = "application/scim+json", body = Object), ScimErrors))]
#[get("/Schemas/{id}")]
pub async fn get_schema(
    req: HttpRequest,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::Provision)?;
    let found = discovery::schemas(&base(&req)).into_iter().find(|s| s["id"] == path.as_str());
    found.map(|s| scim(StatusCode::OK, &s)).ok_or(AppError::NotFound)
}

/// Searching several resource types at once is not supported: 501.
#[utoipa::path(tag = "scim", responses((status = 501, description = "Not supported", content_type = "application/scim+json", body = Object), ScimErrors))]
#[post("/.search")]
pub async fn search(principal: Principal) -> Result<HttpResponse, AppError> {
    principal.require(Permission::Provision)?;
    Ok(errors::response(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "Search across resource types is not supported; use GET /Users?filter=….",
    ))
}
