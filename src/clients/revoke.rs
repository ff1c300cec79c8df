//! Revoking a service client: it gets no new tokens. Revoking twice changes nothing and
//! records nothing the second time.

use diesel::prelude::*;

use super::ServiceClient;
use super::queries::find_client;
use crate::auth::principal::Principal;
use crate::db::schema::service_clients;
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::AppError;
use crate::events::{self, Event};

/// Revokes a client of the caller's organisation (by its `id`), or 404.
pub fn revoke(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<ServiceClient, AppError> {
    conn.transaction(|conn| {
        let mut client = find_client(conn, &principal.org_id, id)?;
        if client.revoked_at.is_some() {
            return Ok(client);
        }
        let revoked_at = now();
        db_run!(conn, |c| diesel::update(service_clients::table.find(&client.id))
            .set(service_clients::revoked_at.eq(Some(revoked_at)))
            .execute(c))?;
        client.revoked_at = Some(revoked_at);
        let revoked = Event::ClientRevoked { id: client.id.clone(), client_id: client.client_id.clone() };
        events::record(conn, principal, revoked)?;
        Ok(client)
    })
}
