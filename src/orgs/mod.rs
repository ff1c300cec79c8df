//! Organisations: the tenants. Each starts with one admin client holding every scope.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::access::Scope;
use crate::clients::{self, IssuedClient};
use crate::db::schema::organizations;
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::AppError;
use crate::events::{self, Event};
use crate::frameworks;

#[derive(Debug, Queryable, Insertable)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

/// What creating an organisation prints once: the only time the secret is shown.
#[derive(Debug, Clone, Serialize)]
pub struct NewOrganization {
    pub org_id: String,
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<Scope>,
}

/// Creates an organisation and its admin client, in one transaction.
pub fn create_organization(conn: &mut DbConn, name: &str) -> Result<NewOrganization, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::unprocessable("invalid_name", "An organisation needs a name of 1 to 200 characters."));
    }
    conn.transaction(|conn| {
        let org = Organization { id: new_id(), name: name.to_string(), created_at: now() };
        db_run!(conn, |c| diesel::insert_into(organizations::table).values(&org).execute(c))?;
        let IssuedClient { client, secret } = clients::insert_client(conn, &org.id, "Administrator", &Scope::ALL)?;
        frameworks::create_default_framework(conn, &org.id)?;
        crate::coaching::resources::create_starter_set(conn, &org.id)?;
        let created = Event::OrganizationCreated {
            org_id: org.id.clone(),
            name: org.name.clone(),
            admin_client_id: client.client_id.clone(),
        };
        events::record_by_system(conn, &org.id, &[created])?;
        Ok(NewOrganization {
            org_id: org.id,
            name: org.name,
            client_id: client.client_id,
            client_secret: secret,
            scopes: Scope::ALL.to_vec(),
        })
    })
}

/// On an empty database, creates the first organisation; otherwise does nothing.
/// Several instances starting at once create exactly one.
pub fn bootstrap(conn: &mut DbConn) -> Result<Option<NewOrganization>, AppError> {
    conn.transaction(|conn| {
        if let DbConn::Postgres(c) = conn {
            diesel::sql_query("LOCK TABLE organizations IN EXCLUSIVE MODE").execute(&mut **c)?;
        }
        let existing: i64 = db_run!(conn, |c| organizations::table.count().get_result(c))?;
        if existing > 0 {
            return Ok(None);
        }
        create_organization(conn, "My organisation").map(Some)
    })
}
