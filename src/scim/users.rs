//! The SCIM operations on Users, each on `&mut DbConn` with the caller: they check the
//! `scim` scope, then read with the filters SCIM offers and write through the people
//! operations, so a SCIM user is a person of the REST API under the same rules.

use diesel::prelude::*;
use serde_json::Value;

use super::filter::{self, Attribute, Literal};
use super::patch;
use super::user::{UserFields, to_document};
use crate::auth::access::{Permission, Scope};
use crate::auth::principal::{Actor, Principal};
use crate::db::DbConn;
use crate::db::schema::people;
use crate::db_run;
use crate::error::AppError;
use crate::pagination::MAX_LIMIT;
use crate::people::Person;
use crate::people::create::create_person;
use crate::people::queries::{Key, find, find_by_user_name, find_many};
use crate::people::update::{UpdatePersonRequest, update_person};

/// Page size when the client names none.
const DEFAULT_COUNT: i64 = 100;

/// The caller as the people operations see it: a client with the `scim` scope writes
/// people through SCIM only (never roles, bulk or CSV imports over REST), so it acts with
/// `people:write` for the length of one SCIM operation.
fn provisioner(principal: &Principal) -> Result<Principal, AppError> {
    principal.require(Permission::Provision)?;
    let mut acting = principal.clone();
    if let Actor::Client { scopes, .. } = &mut acting.actor {
        scopes.push(Scope::PeopleWrite);
    }
    Ok(acting)
}

/// The person with this id, unless the identity provider deleted them.
pub fn get_user(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<Person, AppError> {
    principal.require(Permission::Provision)?;
    let person = find(conn, &principal.org_id, id)?;
    if person.deprovisioned {
        return Err(AppError::NotFound);
    }
    Ok(person)
}

/// One page of the users matching `filter`: the total, the 1-based index of the first,
/// and the people. `count` is capped at the largest page; 0 asks for the total only.
pub fn list_users(
    conn: &mut DbConn,
    principal: &Principal,
    filter: Option<&str>,
    start_index: Option<i64>,
    count: Option<i64>,
) -> Result<(i64, i64, Vec<Person>), AppError> {
    principal.require(Permission::Provision)?;
    let terms = match filter.map(str::trim).filter(|f| !f.is_empty()) {
        Some(text) => filter::parse(text)?,
        None => Vec::new(),
    };
    let start = start_index.unwrap_or(1).max(1);
    let count = count.unwrap_or(DEFAULT_COUNT).clamp(0, i64::from(MAX_LIMIT));
    let org_id = principal.org_id.as_str();
    macro_rules! matching {
        () => {{
            let mut q =
                people::table.filter(people::org_id.eq(org_id)).filter(people::deprovisioned.eq(false)).into_boxed();
            for (attribute, value) in &terms {
                q = match (attribute, value) {
                    (Attribute::Active, Literal::Bool(b)) => q.filter(people::active.eq(*b)),
                    (Attribute::Id, Literal::Text(t)) => q.filter(people::id.eq(t.clone())),
                    (Attribute::UserName, Literal::Text(t)) => {
                        let t = t.trim().to_lowercase();
                        q.filter(
                            people::user_name.eq(t.clone()).or(people::user_name.is_null().and(people::email.eq(t))),
                        )
                    }
                    (Attribute::ExternalId, Literal::Text(t)) => q.filter(people::external_id.eq(t.clone())),
                    (Attribute::Email, Literal::Text(t)) => q.filter(people::email.eq(t.trim().to_lowercase())),
                    (Attribute::DisplayName, Literal::Text(t)) => q.filter(people::display_name.eq(t.clone())),
                    (Attribute::EmployeeNumber, Literal::Text(t)) => q.filter(people::employee_number.eq(t.clone())),
                    (Attribute::Department, Literal::Text(t)) => q.filter(people::department.eq(t.clone())),
                    // `filter::parse` pairs `active` with booleans and the rest with text.
                    (Attribute::Active, Literal::Text(_)) | (_, Literal::Bool(_)) => q.filter(people::id.is_null()),
                };
            }
            q
        }};
    }
    let (total, rows) = db_run!(conn, |c| {
        let total: i64 = matching!().count().get_result(c)?;
        let rows: Vec<Person> = if count == 0 {
            Vec::new()
        } else {
            matching!().select(Person::as_select()).order(people::id.asc()).offset(start - 1).limit(count).load(c)?
        };
        Ok::<_, diesel::result::Error>((total, rows))
    })?;
    Ok((total, start, rows))
}

/// Creates the user. When the identity provider deleted a person with this user name or
/// e-mail address and now creates them again, that person comes back, with their history.
pub fn create_user(conn: &mut DbConn, principal: &Principal, fields: UserFields) -> Result<Person, AppError> {
    let principal = &provisioner(principal)?;
    conn.transaction(|conn| {
        let org_id = principal.org_id.as_str();
        let by_name = find_by_user_name(conn, org_id, &fields.user_name.trim().to_lowercase())?;
        let by_email = match fields.email_or_user_name() {
            Ok(email) => find_many(conn, org_id, Key::Email, [&email.trim().to_lowercase()])?.pop(),
            Err(_) => None,
        };
        let returning = match (&by_name, &by_email) {
            (Some(a), Some(b)) if a.id == b.id && a.deprovisioned => Some(a),
            (Some(a), None) | (None, Some(a)) if a.deprovisioned => Some(a),
            _ => None,
        };
        match returning {
            Some(person) => {
                let active = fields.active.unwrap_or(true);
                let change =
                    UpdatePersonRequest { deprovisioned: Some(false), active: Some(active), ..fields.into_change()? };
                update_person(conn, principal, &person.id.clone(), None, change)
            }
            None => create_person(conn, principal, fields.into_create()?),
        }
    })
}

/// Replaces the user with `fields` (PUT).
pub fn replace_user(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    if_match: Option<&str>,
    fields: UserFields,
) -> Result<Person, AppError> {
    get_user(conn, principal, id)?;
    update_person(conn, &provisioner(principal)?, id, if_match, fields.into_change()?)
}

/// Applies a PatchOp to the user: their document is patched and stored as a whole, on the
/// version it was read from.
pub fn patch_user(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    if_match: Option<&str>,
    base: &str,
    request: &Value,
) -> Result<Person, AppError> {
    let current = get_user(conn, principal, id)?;
    let mut document = to_document(&current, base);
    // The one address kept is the work address, for paths such as `emails[type eq "work"]`.
    if let Some(Value::Object(email)) = document.get_mut("emails").and_then(|e| e.get_mut(0)) {
        email.insert("type".into(), Value::String("work".into()));
    }
    patch::apply(&mut document, request)?;
    let mut change = UserFields::from_document(&document)?.into_change()?;
    // A person without a user name shows their e-mail address as one; it is not stored,
    // so that it follows the address.
    if current.user_name.is_none() && change.user_name == Some(Some(current.email.clone())) {
        change.user_name = None;
    }
    let read = current.etag();
    update_person(conn, &provisioner(principal)?, id, Some(if_match.unwrap_or(&read)), change)
}

/// Deletes the user as SCIM sees it: the person is deactivated and keeps their history;
/// SCIM answers 404 for them from then on.
pub fn delete_user(conn: &mut DbConn, principal: &Principal, id: &str, if_match: Option<&str>) -> Result<(), AppError> {
    get_user(conn, principal, id)?;
    let change = UpdatePersonRequest { active: Some(false), deprovisioned: Some(true), ..Default::default() };
    update_person(conn, &provisioner(principal)?, id, if_match, change).map(|_| ())
}
