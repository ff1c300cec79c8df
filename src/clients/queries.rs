//! Reads of service clients.

use diesel::prelude::*;

use super::{ClientResponse, ServiceClient};
use crate::db::DbConn;
use crate::db::schema::service_clients;
use crate::db_run;
use crate::error::AppError;
use crate::pagination::{Page, Window};

/// A client of this organisation by its `id` (not its `client_id`), or 404.
pub fn find_client(conn: &mut DbConn, org_id: &str, id: &str) -> Result<ServiceClient, AppError> {
    Ok(db_run!(conn, |c| service_clients::table
        .filter(service_clients::org_id.eq(org_id))
        .filter(service_clients::id.eq(id))
        .select(ServiceClient::as_select())
        .first(c))?)
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

/// One page of the organisation's clients, revoked ones included.
pub fn client_page(conn: &mut DbConn, org_id: &str, window: &Window) -> Result<Page<ClientResponse>, AppError> {
    let rows: Vec<ServiceClient> = db_run!(conn, |c| {
        let mut q = service_clients::table
            .filter(service_clients::org_id.eq(org_id))
            .select(ServiceClient::as_select())
            .order(service_clients::id.asc())
            .limit(window.fetch())
            .into_boxed();
        if let Some(after) = &window.after {
            q = q.filter(service_clients::id.gt(after));
        }
        q.load(c)
    })?;
    Ok(window.page(rows, |c| &c.id, |c| ClientResponse::from(&c)))
}
