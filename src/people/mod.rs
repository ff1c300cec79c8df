//! The people directory the HR system keeps in sync: one by one, by idempotent bulk
//! upsert keyed on the HR system's external id, or by CSV snapshot.

mod bulk;
mod handlers;
mod import;

pub use bulk::{
    BulkUpsertRequest, BulkUpsertResponse, PersonRow, RowResult, RowStatus, bulk_upsert_people, upsert_people,
};
pub use handlers::{create_person, deactivate_person, get_person, list_people, update_person};
pub use import::import_people_csv;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::access::Role;
use crate::auth::tokens::PersonMatch;
use crate::db::DbConn;
use crate::db::schema::people;
use crate::db_run;
use crate::error::{AppError, FieldError};

/// Longest external id, name, department or title accepted.
pub const MAX_TEXT: u64 = 200;
/// Longest e-mail address (RFC 5321 path limit).
pub const MAX_EMAIL: u64 = 254;
/// Longest management chain walked when checking for cycles.
const MAX_CHAIN: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = people)]
// Absent values are written as NULL (every optional column's default), which also lets
// PostgreSQL's COPY take whole rows.
#[diesel(treat_none_as_default_value = false)]
pub struct Person {
    pub id: String,
    pub org_id: String,
    pub external_id: Option<String>,
    pub email: String,
    pub display_name: String,
    pub department: Option<String>,
    pub title: Option<String>,
    pub manager_id: Option<String>,
    pub role: String,
    pub active: bool,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Person {
    /// The strong entity tag of this version.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}

/// A person as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5d2-7b1f-7d2c-8a4f-3e5c6b7d8e9f",
    "external_id": "E-1042",
    "email": "ada.lovelace@example.com",
    "display_name": "Ada Lovelace",
    "department": "Engineering",
    "title": "VP Engineering",
    "manager_id": "0193a5d2-6a0e-7c1b-9f3e-2d4b5a6c7d8e",
    "role": "member",
    "active": true,
    "created_at": "2026-11-25T09:30:00Z",
    "updated_at": "2026-11-25T09:30:00Z"
}))]
pub struct PersonResponse {
    pub id: String,
    /// The HR system's id for this person.
    pub external_id: Option<String>,
    pub email: String,
    pub display_name: String,
    pub department: Option<String>,
    pub title: Option<String>,
    pub manager_id: Option<String>,
    pub role: Role,
    /// Deactivated people keep their history but can no longer sign in or be nominated.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Person> for PersonResponse {
    fn from(p: &Person) -> Self {
        Self {
            id: p.id.clone(),
            external_id: p.external_id.clone(),
            email: p.email.clone(),
            display_name: p.display_name.clone(),
            department: p.department.clone(),
            title: p.title.clone(),
            manager_id: p.manager_id.clone(),
            role: p.role.parse().unwrap_or_default(),
            active: p.active,
            created_at: p.created_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
        }
    }
}

/// Trims a required text field.
pub fn clean(value: &str) -> String {
    value.trim().to_string()
}

/// Trims an optional text field; blank becomes absent.
pub fn clean_optional(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// E-mail addresses compare case-insensitively, so they are stored lower-case.
pub fn clean_email(value: &str) -> String {
    value.trim().to_lowercase()
}

/// The person with this id in this organisation, or 404.
pub fn find(conn: &mut DbConn, org_id: &str, id: &str) -> Result<Person, AppError> {
    Ok(db_run!(conn, |c| people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::id.eq(id))
        .select(Person::as_select())
        .first(c))?)
}

/// The active person an external identity provider's subject names.
pub fn find_for_login(
    conn: &mut DbConn,
    org_id: &str,
    match_by: PersonMatch,
    value: &str,
) -> Result<Option<Person>, AppError> {
    let email = clean_email(value);
    Ok(db_run!(conn, |c| {
        let query = people::table
            .filter(people::org_id.eq(org_id))
            .filter(people::active.eq(true))
            .select(Person::as_select())
            .into_boxed();
        let query = match match_by {
            PersonMatch::ExternalId => query.filter(people::external_id.eq(value)),
            PersonMatch::Email => query.filter(people::email.eq(&email)),
        };
        query.first(c).optional()
    })?)
}

/// A field error when another person of the organisation already has this e-mail address.
pub fn check_email_free(conn: &mut DbConn, org_id: &str, email: &str, except: Option<&str>) -> Result<(), AppError> {
    let holder: Option<String> = db_run!(conn, |c| people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::email.eq(email))
        .select(people::id)
        .first(c)
        .optional())?;
    match holder {
        Some(id) if Some(id.as_str()) != except => Err(AppError::Validation(vec![FieldError::new(
            "email",
            "taken",
            "another person of the organisation has this e-mail address",
        )])),
        _ => Ok(()),
    }
}

/// A field error when another person already has this external id.
pub fn check_external_id_free(
    conn: &mut DbConn,
    org_id: &str,
    external_id: &str,
    except: Option<&str>,
) -> Result<(), AppError> {
    let holder: Option<String> = db_run!(conn, |c| people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::external_id.eq(external_id))
        .select(people::id)
        .first(c)
        .optional())?;
    match holder {
        Some(id) if Some(id.as_str()) != except => Err(AppError::Validation(vec![FieldError::new(
            "external_id",
            "taken",
            "another person of the organisation has this external id",
        )])),
        _ => Ok(()),
    }
}

/// Checks that `manager_id` names a person of the organisation and that making them the
/// manager of `person_id` (None for a new person) closes no loop in the management chain.
pub fn check_manager(
    conn: &mut DbConn,
    org_id: &str,
    person_id: Option<&str>,
    manager_id: &str,
) -> Result<(), AppError> {
    let invalid = |code: &str, message: &str| AppError::Validation(vec![FieldError::new("manager_id", code, message)]);
    if Some(manager_id) == person_id {
        return Err(invalid("self", "a person cannot be their own manager"));
    }
    let exists: i64 = db_run!(conn, |c| people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::id.eq(manager_id))
        .count()
        .get_result(c))?;
    if exists == 0 {
        return Err(invalid("not_found", "no person of the organisation has this id"));
    }
    if let Some(person_id) = person_id {
        let links = manager_links(conn, org_id)?;
        if chain_reaches(&links, manager_id, person_id) {
            return Err(invalid("cycle", "this manager reports, directly or not, to this person"));
        }
    }
    Ok(())
}

/// Every person's manager in the organisation: the whole management graph, small even
/// for large organisations (two ids per person).
pub fn manager_links(conn: &mut DbConn, org_id: &str) -> Result<HashMap<String, String>, AppError> {
    let rows: Vec<(String, Option<String>)> = db_run!(conn, |c| people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::manager_id.is_not_null())
        .select((people::id, people::manager_id))
        .load(c))?;
    Ok(rows.into_iter().filter_map(|(id, m)| m.map(|m| (id, m))).collect())
}

/// Whether walking up from `start` through `links` reaches `target`.
pub fn chain_reaches(links: &HashMap<String, String>, start: &str, target: &str) -> bool {
    let mut current = start;
    for _ in 0..MAX_CHAIN {
        if current == target {
            return true;
        }
        match links.get(current) {
            Some(next) => current = next,
            None => return false,
        }
    }
    // A chain this long only exists if it loops.
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_are_walked_to_the_top_and_loops_detected() {
        let links: HashMap<String, String> =
            [("a", "b"), ("b", "c")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert!(chain_reaches(&links, "a", "c"));
        assert!(!chain_reaches(&links, "c", "a"));
        assert!(chain_reaches(&links, "b", "b"));
        let looped: HashMap<String, String> =
            [("x", "y"), ("y", "x")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert!(chain_reaches(&looped, "x", "z"));
    }
}
