//! Paging through the directory with filters.

use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Person, PersonResponse};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::db::schema::people;
use crate::db_run;
use crate::error::AppError;
use crate::pagination::{Page, Window};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListPeopleQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only people of this department (exact match).
    pub department: Option<String>,
    /// Only active (`true`) or deactivated (`false`) people.
    pub active: Option<bool>,
    /// Only people whose name or e-mail contains this text, case-insensitively.
    pub q: Option<String>,
    /// Only the direct reports of this person.
    pub manager_id: Option<String>,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as the escape character.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for ch in text.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// One page of the caller's organisation in creation order (ids are time-ordered).
pub fn list_people(
    conn: &mut DbConn,
    principal: &Principal,
    query: ListPeopleQuery,
) -> Result<Page<PersonResponse>, AppError> {
    principal.require(Permission::ReadPeople)?;
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let pattern = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(like_pattern);
    let rows = db_run!(conn, |c| {
        let mut q = people::table
            .filter(people::org_id.eq(&principal.org_id))
            .select(Person::as_select())
            .order(people::id.asc())
            .limit(window.fetch())
            .into_boxed();
        if let Some(after) = &window.after {
            q = q.filter(people::id.gt(after));
        }
        if let Some(department) = &query.department {
            q = q.filter(people::department.eq(department));
        }
        if let Some(active) = query.active {
            q = q.filter(people::active.eq(active));
        }
        if let Some(manager_id) = &query.manager_id {
            q = q.filter(people::manager_id.eq(manager_id));
        }
        if let Some(pattern) = &pattern {
            q = q.filter(
                lower(people::display_name).like(pattern).escape('\\').or(people::email.like(pattern).escape('\\')),
            );
        }
        q.load::<Person>(c)
    })?;
    Ok(window.page(rows, |p| &p.id, |p| PersonResponse::from(&p)))
}
