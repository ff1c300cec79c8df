//! Service clients: the HR systems that call the API server to server with OAuth2
//! client credentials. The secret is shown once, at creation; only its digest is kept.

mod handlers;

pub use handlers::{create_client, list_clients, revoke_client};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::access::Scope;
use crate::auth::secrets::{hash_secret, random_identifier, random_secret};
use crate::db::schema::service_clients;
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::AppError;

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

pub fn insert_client(conn: &mut DbConn, org_id: &str, name: &str, scopes: &[Scope]) -> Result<IssuedClient, AppError> {
    let secret = random_secret("rt_cs_");
    let client = ServiceClient {
        id: new_id(),
        org_id: org_id.to_string(),
        client_id: random_identifier("rt_ci_"),
        name: name.to_string(),
        secret_hash: hash_secret(&secret),
        scopes: Scope::join(scopes),
        created_at: now(),
        revoked_at: None,
    };
    db_run!(conn, |c| diesel::insert_into(service_clients::table).values(&client).execute(c))?;
    Ok(IssuedClient { client, secret })
}

/// The active client with this public `client_id`, in any organisation.
pub fn find_active_by_client_id(conn: &mut DbConn, client_id: &str) -> Result<Option<ServiceClient>, AppError> {
    Ok(db_run!(conn, |c| service_clients::table
        .filter(service_clients::client_id.eq(client_id))
        .filter(service_clients::revoked_at.is_null())
        .select(ServiceClient::as_select())
        .first(c)
        .optional())?)
}
