//! Reading one person.

use super::Person;
use super::queries::find;
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::error::AppError;

/// The person with this id in the caller's organisation, or 404.
pub fn get_person(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<Person, AppError> {
    principal.require(Permission::ReadPeople)?;
    find(conn, &principal.org_id, id)
}
