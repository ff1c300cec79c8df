//! The people directory the HR system keeps in sync: one by one, by idempotent bulk
//! upsert keyed on the HR system's external id, or by CSV snapshot.
//!
//! Each operation has its file and takes `&mut DbConn`, the [`Principal`] and typed input,
//! so HTTP handlers, the CSV import and SCIM share one rule set: [`create`], [`get`],
//! [`list`], [`update`], [`deactivate`], [`upsert`] (whose decisions are the pure
//! [`upsert_plan`]). Small reads shared by them live in [`queries`].
//!
//! [`Principal`]: crate::auth::principal::Principal

mod bulk;
pub mod create;
pub mod deactivate;
pub mod get;
mod handlers;
mod import;
pub mod list;
pub mod me;
pub mod queries;
pub mod update;
pub mod upsert;
pub mod upsert_plan;

pub use bulk::BulkUpsertRequest;
pub use queries::{check_email_free, check_external_id_free, check_manager, find, manager_links};
pub use upsert::{BulkUpsertResponse, PersonRow, RowInput, RowResult, RowStatus, upsert_people};

/// The people routes.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(handlers::create_person)
        .service(handlers::list_people)
        .service(bulk::bulk_upsert_people)
        .service(import::import_people_csv)
        .service(handlers::get_person)
        .service(handlers::update_person)
        .service(handlers::deactivate_person)
        .service(handlers::me);
}

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::access::Role;
use crate::db::schema::people;

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
    pub role: Role,
    pub active: bool,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The identity provider's sign-in name (SCIM `userName`), lower-case; SCIM shows the
    /// e-mail address when there is none.
    pub user_name: Option<String>,
    /// The enterprise extension's `employeeNumber`, as SCIM sent it.
    pub employee_number: Option<String>,
    /// Deleted by the identity provider: deactivated, with their history, and unknown to SCIM.
    pub deprovisioned: bool,
}

impl Person {
    /// A new active member as first stored (version 1), with none of the optional details.
    pub fn new_member(id: String, org_id: &str, email: String, display_name: String, at: NaiveDateTime) -> Self {
        Self {
            id,
            org_id: org_id.to_string(),
            external_id: None,
            email,
            display_name,
            department: None,
            title: None,
            manager_id: None,
            role: Role::Member,
            active: true,
            version: 1,
            created_at: at,
            updated_at: at,
            user_name: None,
            employee_number: None,
            deprovisioned: false,
        }
    }

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
            role: p.role,
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
