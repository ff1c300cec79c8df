//! The one way a stored person changes: a single `PATCH`, a deactivation, a bulk or CSV
//! row that updates someone, and SCIM all merge with [`UpdatePersonRequest::apply_to`]
//! and write with [`store_update`].

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::queries::{check_email_free, check_external_id_free, check_manager, check_user_name_free, find};
use super::{MAX_EMAIL, MAX_TEXT, Person, clean, clean_email, clean_optional};
use crate::auth::access::{Permission, Role};
use crate::auth::principal::Principal;
use crate::db::schema::people;
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::{AppError, validate};
use crate::events::{self, Event};
use crate::http::check_if_match;
use crate::nullable::nullable;

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "CTO", "department": "Engineering", "manager_id": null}))]
pub struct UpdatePersonRequest {
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = MAX_TEXT))]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    #[validate(email, length(max = MAX_EMAIL))]
    pub email: Option<String>,
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub display_name: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = MAX_TEXT))]
    #[schema(value_type = Option<String>)]
    pub department: Option<Option<String>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = MAX_TEXT))]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub manager_id: Option<Option<String>>,
    pub role: Option<Role>,
    /// `false` deactivates the person; their history stays.
    pub active: Option<bool>,
    /// SCIM's `userName` (`null` removes it); the REST API does not take it.
    #[serde(skip)]
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub user_name: Option<Option<String>>,
    /// SCIM's enterprise `employeeNumber`; the REST API does not take it.
    #[serde(skip)]
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub employee_number: Option<Option<String>>,
    /// Set by a SCIM `DELETE`, cleared when the identity provider creates the person again.
    #[serde(skip)]
    pub deprovisioned: Option<bool>,
}

impl UpdatePersonRequest {
    fn normalize(&mut self) {
        let clean_nullable = |v: &Option<Option<String>>| v.as_ref().map(|inner| clean_optional(inner.as_deref()));
        self.external_id = clean_nullable(&self.external_id);
        self.department = clean_nullable(&self.department);
        self.title = clean_nullable(&self.title);
        self.manager_id = clean_nullable(&self.manager_id);
        self.user_name = clean_nullable(&self.user_name).map(|name| name.map(|n| n.to_lowercase()));
        self.employee_number = clean_nullable(&self.employee_number);
        self.email = self.email.as_deref().map(clean_email);
        self.display_name = self.display_name.as_deref().map(clean);
    }

    /// `current` with this change merged in: absent fields keep their value. Version and
    /// times are left to [`store_update`].
    pub fn apply_to(self, current: &Person) -> Person {
        let mut next = current.clone();
        if let Some(external_id) = self.external_id {
            next.external_id = external_id;
        }
        if let Some(email) = self.email {
            next.email = email;
        }
        if let Some(name) = self.display_name {
            next.display_name = name;
        }
        if let Some(department) = self.department {
            next.department = department;
        }
        if let Some(title) = self.title {
            next.title = title;
        }
        if let Some(manager_id) = self.manager_id {
            next.manager_id = manager_id;
        }
        if let Some(role) = self.role {
            next.role = role;
        }
        if let Some(active) = self.active {
            // Reactivated, a person the identity provider deleted is known to SCIM again.
            if active && !current.active {
                next.deprovisioned = false;
            }
            next.active = active;
        }
        if let Some(user_name) = self.user_name {
            next.user_name = user_name;
        }
        if let Some(employee_number) = self.employee_number {
            next.employee_number = employee_number;
        }
        if let Some(deprovisioned) = self.deprovisioned {
            next.deprovisioned = deprovisioned;
        }
        next
    }
}

/// Changes some of a person's fields, recorded as `person.deactivated` when it
/// deactivates them and `person.updated` otherwise. `if_match` is the caller's `If-Match`
/// (412 when the person moved on).
pub fn update_person(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    if_match: Option<&str>,
    mut change: UpdatePersonRequest,
) -> Result<Person, AppError> {
    principal.require(Permission::WritePeople)?;
    change.normalize();
    validate(&change)?;
    conn.transaction(|conn| {
        let org_id = principal.org_id.as_str();
        let current = find(conn, org_id, id)?;
        check_if_match(if_match, &current.etag(), "person")?;
        // Only a value that changes can collide with someone else's.
        if let Some(email) = &change.email
            && email != &current.email
        {
            check_email_free(conn, org_id, email, Some(id))?;
        }
        if let Some(Some(external_id)) = &change.external_id
            && current.external_id.as_ref() != Some(external_id)
        {
            check_external_id_free(conn, org_id, external_id, Some(id))?;
        }
        if let Some(Some(user_name)) = &change.user_name
            && current.user_name.as_ref() != Some(user_name)
        {
            check_user_name_free(conn, org_id, user_name, Some(id))?;
        }
        if let Some(Some(manager_id)) = &change.manager_id
            && current.manager_id.as_ref() != Some(manager_id)
        {
            check_manager(conn, org_id, Some(id), manager_id)?;
        }
        let next = change.apply_to(&current);
        if next == current {
            return Ok(current);
        }
        let next = store_update(conn, &current, next, now())?;
        let (person_id, changed) = (next.id.clone(), changed_fields(&current, &next));
        let event = if current.active && !next.active {
            Event::PersonDeactivated { person_id, changed }
        } else {
            Event::PersonUpdated { person_id, changed }
        };
        events::record(conn, principal, event)?;
        Ok(next)
    })
}

/// Writes `next` over `current` as its next version. The write only lands on the version
/// that was read, so a concurrent change is a 409 rather than silently overwritten.
pub fn store_update(
    conn: &mut DbConn,
    current: &Person,
    mut next: Person,
    at: NaiveDateTime,
) -> Result<Person, AppError> {
    next.version = current.version + 1;
    next.updated_at = at;
    let updated = db_run!(conn, |c| diesel::update(
        people::table.filter(people::id.eq(&current.id)).filter(people::version.eq(current.version))
    )
    .set((
        people::external_id.eq(&next.external_id),
        people::email.eq(&next.email),
        people::display_name.eq(&next.display_name),
        people::department.eq(&next.department),
        people::title.eq(&next.title),
        people::manager_id.eq(&next.manager_id),
        people::role.eq(&next.role),
        people::active.eq(next.active),
        people::user_name.eq(&next.user_name),
        people::employee_number.eq(&next.employee_number),
        people::deprovisioned.eq(next.deprovisioned),
        people::version.eq(next.version),
        people::updated_at.eq(next.updated_at),
    ))
    .execute(c))?;
    if updated == 0 {
        return Err(AppError::conflict("concurrent_update", "The person was changed at the same moment; retry."));
    }
    Ok(next)
}

/// The names of the fields that differ, for the audit entry.
pub fn changed_fields(before: &Person, after: &Person) -> Vec<&'static str> {
    [
        ("external_id", before.external_id != after.external_id),
        ("email", before.email != after.email),
        ("display_name", before.display_name != after.display_name),
        ("department", before.department != after.department),
        ("title", before.title != after.title),
        ("manager_id", before.manager_id != after.manager_id),
        ("role", before.role != after.role),
        ("active", before.active != after.active),
        ("user_name", before.user_name != after.user_name),
        ("employee_number", before.employee_number != after.employee_number),
        ("deprovisioned", before.deprovisioned != after.deprovisioned),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect()
}
