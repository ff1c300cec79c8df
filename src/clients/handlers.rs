use actix_web::{HttpResponse, delete, get, post, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{ClientResponse, ServiceClient, insert_client};
use crate::auth::access::{Permission, Scope};
use crate::auth::principal::{Actor, Principal};
use crate::db::now;
use crate::db::schema::service_clients;
use crate::db_run;
use crate::error::{AppError, Problem, validate};
use crate::events::{self, Event};
use crate::pagination::{Page, Window};
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Workday sync", "scopes": ["people:read", "people:write"]}))]
pub struct CreateClientRequest {
    /// What the client is, for the people who manage it.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// The scopes the client may request.
    #[validate(length(min = 1, max = 20))]
    pub scopes: Vec<Scope>,
}

/// A new client with its secret: the only answer that ever contains it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedClientResponse {
    #[serde(flatten)]
    pub client: ClientResponse,
    /// Store it now: it is not shown again.
    #[schema(example = "rt_cs_Q2hhbmdlIG1lIGJlZm9yZSB1c2luZyBpbiBwcm9kdWN0aW9u")]
    pub client_secret: String,
}

/// Creates a service client. A client cannot grant scopes it does not hold itself.
#[utoipa::path(
    tag = "clients",
    request_body = CreateClientRequest,
    responses(
        (status = 201, description = "Created; the secret is in this answer only", body = CreatedClientResponse),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/clients")]
pub async fn create_client(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<CreateClientRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageClients)?;
    let body = body.into_inner();
    validate(&body)?;
    if let Actor::Client { scopes, .. } = &principal.actor
        && let Some(missing) = body.scopes.iter().find(|s| !scopes.contains(s))
    {
        return Err(AppError::Forbidden(format!(
            "A client cannot grant the scope `{missing}`, which it does not hold."
        )));
    }
    let mut scopes = body.scopes;
    scopes.sort();
    scopes.dedup();
    let issued = state
        .db
        .transaction(move |conn| {
            let issued = insert_client(conn, &principal.org_id, body.name.trim(), &scopes)?;
            let created = Event::ClientCreated {
                id: issued.client.id.clone(),
                name: issued.client.name.clone(),
                scopes: issued.client.scopes.clone(),
            };
            events::record(conn, &principal, created)?;
            Ok(issued)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/clients/{}", issued.client.id)))
        .json(CreatedClientResponse { client: ClientResponse::from(&issued.client), client_secret: issued.secret }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListClientsQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists the organisation's service clients, revoked ones included.
#[utoipa::path(
    tag = "clients",
    params(ListClientsQuery),
    responses(
        (status = 200, description = "A page of clients", body = Page<ClientResponse>),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/clients")]
pub async fn list_clients(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListClientsQuery>,
) -> Result<web::Json<Page<ClientResponse>>, AppError> {
    principal.require(Permission::ManageClients)?;
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let fetch = window.clone();
    let rows = state
        .db
        .run(move |conn| {
            Ok(db_run!(conn, |c| {
                let mut q = service_clients::table
                    .filter(service_clients::org_id.eq(&principal.org_id))
                    .select(ServiceClient::as_select())
                    .order(service_clients::id.asc())
                    .limit(fetch.fetch())
                    .into_boxed();
                if let Some(after) = &fetch.after {
                    q = q.filter(service_clients::id.gt(after));
                }
                q.load::<ServiceClient>(c)
            })?)
        })
        .await?;
    Ok(web::Json(window.page(rows, |c| &c.id, |c| ClientResponse::from(&c))))
}

/// Revokes a client: it can get no new tokens. Tokens it already holds expire on their own
/// (15 minutes by default).
#[utoipa::path(
    tag = "clients",
    params(("client_id" = String, Path, description = "The client's `id` (not its `client_id`)")),
    responses(
        (status = 200, description = "Revoked", body = ClientResponse),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
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
    let client = state
        .db
        .transaction(move |conn| {
            let mut client: ServiceClient = db_run!(conn, |c| service_clients::table
                .filter(service_clients::org_id.eq(&principal.org_id))
                .filter(service_clients::id.eq(&id))
                .select(ServiceClient::as_select())
                .first(c))?;
            if client.revoked_at.is_none() {
                let revoked_at = now();
                db_run!(conn, |c| diesel::update(service_clients::table.find(&client.id))
                    .set(service_clients::revoked_at.eq(Some(revoked_at)))
                    .execute(c))?;
                client.revoked_at = Some(revoked_at);
                let revoked = Event::ClientRevoked { id: client.id.clone(), client_id: client.client_id.clone() };
                events::record(conn, &principal, revoked)?;
            }
            Ok(client)
        })
        .await?;
    Ok(web::Json(ClientResponse::from(&client)))
}
