//! The HTTP face of service clients: each handler checks the permission, hands typed
//! input to an operation and turns its answer into a response.

use actix_web::{HttpResponse, delete, get, post, web};

use super::create::{self, NewClient};
use super::{ClientResponse, CreateClientRequest, CreatedClientResponse, queries, revoke};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::error::{AppError, Errors};
use crate::pagination::{Page, PageQuery, Window};
use crate::state::AppState;

/// Creates a service client. A client cannot grant scopes it does not hold itself.
#[utoipa::path(
    tag = "clients",
    request_body = CreateClientRequest,
    responses(
        (status = 201, description = "Created; the secret is in this answer only", body = CreatedClientResponse),
        Errors,
    ),
)]
#[post("/clients")]
pub async fn create_client(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<CreateClientRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageClients)?;
    let new = NewClient::parse(body.into_inner())?;
    let issued = state.db.run(move |conn| create::create(conn, &principal, new)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/clients/{}", issued.client.id)))
        .json(CreatedClientResponse::from(issued)))
}

/// Lists the organisation's service clients, revoked ones included.
#[utoipa::path(
    tag = "clients",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of clients", body = Page<ClientResponse>),
        Errors,
    ),
)]
#[get("/clients")]
pub async fn list_clients(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<ClientResponse>>, AppError> {
    principal.require(Permission::ManageClients)?;
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let page = state.db.run(move |conn| queries::client_page(conn, &principal.org_id, &window)).await?;
    Ok(web::Json(page))
}

/// Revokes a client: it can get no new tokens. Tokens it already holds expire on their own
/// (15 minutes by default).
#[utoipa::path(
    tag = "clients",
    params(("client_id" = String, Path, description = "The client's `id` (not its `client_id`)")),
    responses(
        (status = 200, description = "Revoked", body = ClientResponse),
        Errors,
    ),
)]
#[delete("/clients/{client_id}")]
pub async fn revoke_client(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<ClientResponse>, AppError> {
    principal.require(Permission::ManageClients)?;
    let id = path.into_inner();
    let client = state.db.run(move |conn| revoke::revoke(conn, &principal, &id)).await?;
    Ok(web::Json(ClientResponse::from(&client)))
}
