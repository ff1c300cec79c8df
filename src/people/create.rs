//! Adding one person to the directory.

use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::queries::{check_email_free, check_external_id_free, check_manager, check_user_name_free};
use super::{MAX_EMAIL, MAX_TEXT, Person, clean, clean_email, clean_optional};
use crate::auth::access::{Permission, Role};
use crate::auth::principal::Principal;
use crate::db::schema::people;
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, validate};
use crate::events::{self, Event};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "external_id": "E-1042",
    "email": "ada.lovelace@example.com",
    "display_name": "Ada Lovelace",
    "department": "Engineering",
    "title": "VP Engineering",
    "role": "member"
}))]
pub struct CreatePersonRequest {
    /// The HR system's id; unique in the organisation.
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub external_id: Option<String>,
    /// Unique in the organisation, compared case-insensitively.
    #[validate(email, length(max = MAX_EMAIL))]
    pub email: String,
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub display_name: String,
    #[validate(length(max = MAX_TEXT))]
    pub department: Option<String>,
    #[validate(length(max = MAX_TEXT))]
    pub title: Option<String>,
    /// Id of the person's manager, in the same organisation.
    pub manager_id: Option<String>,
    /// Default `member`.
    #[serde(default)]
    pub role: Role,
    /// Default `true`.
    #[serde(default = "active_by_default")]
    pub active: bool,
    /// SCIM's `userName`; the REST API does not take it.
    #[serde(skip)]
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub user_name: Option<String>,
    /// SCIM's enterprise `employeeNumber`; the REST API does not take it.
    #[serde(skip)]
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub employee_number: Option<String>,
}

fn active_by_default() -> bool {
    true
}

impl CreatePersonRequest {
    fn normalize(&mut self) {
        self.external_id = clean_optional(self.external_id.as_deref());
        self.email = clean_email(&self.email);
        self.display_name = clean(&self.display_name);
        self.department = clean_optional(self.department.as_deref());
        self.title = clean_optional(self.title.as_deref());
        self.manager_id = clean_optional(self.manager_id.as_deref());
        self.user_name = clean_optional(self.user_name.as_deref()).map(|name| name.to_lowercase());
        self.employee_number = clean_optional(self.employee_number.as_deref());
    }
}

/// Adds a person after checking that their e-mail and external id are free and their
/// manager exists, and records it, in one transaction.
pub fn create_person(
    conn: &mut DbConn,
    principal: &Principal,
    mut input: CreatePersonRequest,
) -> Result<Person, AppError> {
    principal.require(Permission::WritePeople)?;
    input.normalize();
    validate(&input)?;
    conn.transaction(|conn| {
        let org_id = principal.org_id.as_str();
        check_email_free(conn, org_id, &input.email, None)?;
        if let Some(external_id) = &input.external_id {
            check_external_id_free(conn, org_id, external_id, None)?;
        }
        if let Some(user_name) = &input.user_name {
            check_user_name_free(conn, org_id, user_name, None)?;
        }
        if let Some(manager_id) = &input.manager_id {
            check_manager(conn, org_id, None, manager_id)?;
        }
        let at = now();
        let person = Person {
            id: new_id(),
            org_id: org_id.to_string(),
            external_id: input.external_id,
            email: input.email,
            display_name: input.display_name,
            department: input.department,
            title: input.title,
            manager_id: input.manager_id,
            role: input.role,
            active: input.active,
            version: 1,
            created_at: at,
            updated_at: at,
            user_name: input.user_name,
            employee_number: input.employee_number,
            deprovisioned: false,
        };
        db_run!(conn, |c| diesel::insert_into(people::table).values(&person).execute(c))?;
        let created = Event::PersonCreated { person_id: person.id.clone(), email: person.email.clone() };
        events::record(conn, principal, created)?;
        Ok(person)
    })
}
