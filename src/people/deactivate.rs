//! Deactivating a person: the update with `active: false`, recorded as its own event.

use super::Person;
use super::update::{UpdatePersonRequest, change_person};
use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::error::AppError;
use crate::events::Event;

/// Deactivates a person; their history stays and `PATCH {"active": true}` undoes it.
pub fn deactivate_person(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    if_match: Option<&str>,
) -> Result<Person, AppError> {
    let change = UpdatePersonRequest { active: Some(false), ..Default::default() };
    change_person(conn, principal, id, if_match, change, |person_id, changed| Event::PersonDeactivated {
        person_id,
        changed,
    })
}
