//! Deactivating a person: the update with `active: false`.

use super::Person;
use super::update::{UpdatePersonRequest, update_person};
use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::error::AppError;

/// Deactivates a person; their history stays and `PATCH {"active": true}` undoes it.
pub fn deactivate_person(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    if_match: Option<&str>,
) -> Result<Person, AppError> {
    update_person(conn, principal, id, if_match, UpdatePersonRequest { active: Some(false), ..Default::default() })
}
