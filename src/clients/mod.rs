//! Service clients: the HR systems that call the API server to server with OAuth2
//! client credentials. The secret is shown once, at creation; only its digest is kept.

//!
//! One file per operation: `create`, `revoke`, `queries` (the reads), and `handlers`,
//! which only translate HTTP to those calls.

mod create;
mod handlers;
mod queries;
mod revoke;

pub use create::insert_client;
pub use queries::find_active_by_client_id;

/// The client routes.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(handlers::create_client).service(handlers::list_clients).service(handlers::revoke_client);
}

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::access::Scope;
use crate::db::schema::service_clients;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = service_clients)]
pub struct ServiceClient {
    pub id: String,
    pub org_id: String,
    pub client_id: String,
    pub name: String,
    pub secret_hash: String,
    pub scopes: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ServiceClient {
    pub fn scope_list(&self) -> Vec<Scope> {
        // Stored scopes were validated on the way in; an unknown one is dropped, never granted.
        self.scopes.split_whitespace().filter_map(|s| s.parse().ok()).collect()
    }
}

/// A client as the API shows it: never with its secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5d2-6a0e-7c1b-9f3e-2d4b5a6c7d8e",
    "client_id": "rt_ci_3f9c2a4b5d6e7f8091a2b3c4d5e6f708",
    "name": "Workday sync",
    "scopes": ["people:read", "people:write"],
    "created_at": "2026-11-25T09:30:00Z",
    "revoked_at": null
}))]
pub struct ClientResponse {
    pub id: String,
    /// The `client_id` for `POST /oauth/token`.
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    /// Set once the client is revoked; it can no longer get tokens.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&ServiceClient> for ClientResponse {
    fn from(c: &ServiceClient) -> Self {
        Self {
            id: c.id.clone(),
            client_id: c.client_id.clone(),
            name: c.name.clone(),
            scopes: c.scope_list(),
            created_at: c.created_at.and_utc(),
            revoked_at: c.revoked_at.map(|t| t.and_utc()),
        }
    }
}

/// A new client and its secret, which exists in clear only here.
pub struct IssuedClient {
    pub client: ServiceClient,
    pub secret: String,
}

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

impl From<IssuedClient> for CreatedClientResponse {
    fn from(issued: IssuedClient) -> Self {
        Self { client: ClientResponse::from(&issued.client), client_secret: issued.secret }
    }
}
