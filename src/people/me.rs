//! Who the caller is, for a frontend: their person, their role, and whether they manage
//! anyone (then they decide nominations).

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::{PersonResponse, find};
use crate::auth::access::Role;
use crate::auth::principal::{Actor, Principal};
use crate::db::DbConn;
use crate::db::schema::people;
use crate::db_run;
use crate::error::AppError;

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub person: PersonResponse,
    pub role: Role,
    /// How many active people report to them.
    pub direct_reports: i64,
}

/// The signed-in person; a service client is no one and gets 403.
pub fn me(conn: &mut DbConn, principal: &Principal) -> Result<MeResponse, AppError> {
    let Actor::User { person_id, role, .. } = &principal.actor else {
        return Err(AppError::Forbidden("This describes a signed-in person: call it with a user token.".into()));
    };
    let person = find(conn, &principal.org_id, person_id)?;
    let direct_reports: i64 = db_run!(conn, |c| people::table
        .filter(people::org_id.eq(&principal.org_id))
        .filter(people::manager_id.eq(person_id))
        .filter(people::active.eq(true))
        .count()
        .get_result(c))?;
    Ok(MeResponse { person: PersonResponse::from(&person), role: *role, direct_reports })
}
