//! Creating a service client: the scope rule, the row, the audit entry, in one transaction.

use diesel::prelude::*;

use super::{CreateClientRequest, IssuedClient, ServiceClient};
use crate::auth::access::Scope;
use crate::auth::principal::{Actor, Principal};
use crate::auth::secrets::{hash_secret, random_identifier, random_secret};
use crate::db::schema::service_clients;
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, validate};
use crate::events::{self, Event};

/// A client request that passed its field checks; only [`NewClient::parse`] makes one.
pub struct NewClient {
    name: String,
    scopes: Vec<Scope>,
}

impl NewClient {
    pub fn parse(request: CreateClientRequest) -> Result<Self, AppError> {
        validate(&request)?;
        let mut scopes = request.scopes;
        scopes.sort();
        scopes.dedup();
        Ok(Self { name: request.name.trim().to_string(), scopes })
    }
}

/// Creates a client of the caller's organisation. A client cannot grant scopes it does
/// not hold itself, so no client can widen its own access through another.
pub fn create(conn: &mut DbConn, principal: &Principal, new: NewClient) -> Result<IssuedClient, AppError> {
    if let Actor::Client { scopes, .. } = &principal.actor
        && let Some(missing) = new.scopes.iter().find(|s| !scopes.contains(s))
    {
        return Err(AppError::Forbidden(format!(
            "A client cannot grant the scope `{missing}`, which it does not hold."
        )));
    }
    conn.transaction(|conn| {
        let issued = insert_client(conn, &principal.org_id, &new.name, &new.scopes)?;
        let created = Event::ClientCreated {
            id: issued.client.id.clone(),
            name: issued.client.name.clone(),
            scopes: issued.client.scopes.clone(),
        };
        events::record(conn, principal, created)?;
        Ok(issued)
    })
}

/// Writes a client with a fresh secret; no audit entry (a new organisation's admin client
/// is recorded with the organisation).
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
