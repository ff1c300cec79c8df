//! Small reads the people operations share, and that other domains use (sign-in, user
//! tokens). Each takes `&mut DbConn`, so it runs inside or outside a transaction.

use std::collections::HashMap;

use diesel::prelude::*;

use super::{Person, chain_reaches};
use crate::db::DbConn;
use crate::db::schema::people;
use crate::db_run;
use crate::error::{AppError, FieldError};

/// The person with this id in this organisation, or 404.
pub fn find(conn: &mut DbConn, org_id: &str, id: &str) -> Result<Person, AppError> {
    Ok(db_run!(conn, |c| people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::id.eq(id))
        .select(Person::as_select())
        .first(c))?)
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

/// A field error when another person already answers to this SCIM `userName` (lower-case):
/// as their stored sign-in name or, when they have none, as their e-mail address.
pub fn check_user_name_free(
    conn: &mut DbConn,
    org_id: &str,
    user_name: &str,
    except: Option<&str>,
) -> Result<(), AppError> {
    match find_by_user_name(conn, org_id, user_name)? {
        Some(holder) if Some(holder.id.as_str()) != except => Err(AppError::Validation(vec![FieldError::new(
            "user_name",
            "taken",
            "another person of the organisation has this user name",
        )])),
        _ => Ok(()),
    }
}

/// The person who answers to this SCIM `userName` (lower-case), deprovisioned or not.
pub fn find_by_user_name(conn: &mut DbConn, org_id: &str, user_name: &str) -> Result<Option<Person>, AppError> {
    Ok(db_run!(conn, |c| people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::user_name.eq(user_name).or(people::user_name.is_null().and(people::email.eq(user_name))))
        .select(Person::as_select())
        .order(people::user_name.is_null())
        .first(c)
        .optional())?)
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

/// Keys per lookup: one array on PostgreSQL, within SQLite's 32,766 bind parameters.
const LOOKUP_CHUNK: usize = 5_000;

/// Which unique key a batch lookup matches on.
#[derive(Debug, Clone, Copy)]
pub enum Key {
    ExternalId,
    Email,
}

/// The people of the organisation holding any of `keys`, in lookups of 5,000 keys.
pub fn find_many<'a>(
    conn: &mut DbConn,
    org_id: &str,
    key: Key,
    keys: impl IntoIterator<Item = &'a String>,
) -> Result<Vec<Person>, AppError> {
    let keys: Vec<&String> = keys.into_iter().collect();
    let mut found = Vec::new();
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        let rows: Vec<Person> = db_run!(conn, |c| {
            let q = people::table.filter(people::org_id.eq(org_id)).select(Person::as_select()).into_boxed();
            let q = match key {
                Key::Email => q.filter(people::email.eq_any(chunk)),
                Key::ExternalId => q.filter(people::external_id.eq_any(chunk)),
            };
            q.load(c)
        })?;
        found.extend(rows);
    }
    Ok(found)
}

/// Id and external id of every active person of the organisation that has an external id.
pub fn active_with_external_id(conn: &mut DbConn, org_id: &str) -> Result<Vec<(String, String)>, AppError> {
    let rows: Vec<(String, Option<String>)> = db_run!(conn, |c| people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::active.eq(true))
        .filter(people::external_id.is_not_null())
        .select((people::id, people::external_id))
        .load(c))?;
    Ok(rows.into_iter().filter_map(|(id, e)| e.map(|e| (id, e))).collect())
}
