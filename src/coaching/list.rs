//! Paging through relationships: HR sees the organisation's, with filters; a leader
//! sees their own.

use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;

use super::view::{RelationshipResponse, views};
use super::{Relationship, RelationshipKind, RelationshipStatus};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::db::schema::{coaching_members, coaching_relationships};
use crate::db_run;
use crate::error::AppError;
use crate::pagination::{Page, Window};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRelationshipsQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub status: Option<RelationshipStatus>,
    pub kind: Option<RelationshipKind>,
    /// Only relationships this person is a member of.
    pub person_id: Option<String>,
}

/// One page in creation order (ids are time-ordered).
pub fn list_relationships(
    conn: &mut DbConn,
    principal: &Principal,
    query: ListRelationshipsQuery,
) -> Result<Page<RelationshipResponse>, AppError> {
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let own = if principal.can(Permission::ReadCoaching) { None } else { Some(principal.require_person()?) };
    let member_of = |person: &str| {
        coaching_members::table
            .filter(coaching_members::person_id.eq(person.to_string()))
            .select(coaching_members::relationship_id)
    };
    let rows: Vec<Relationship> = db_run!(conn, |c| {
        let mut q = coaching_relationships::table
            .filter(coaching_relationships::org_id.eq(&principal.org_id))
            .select(Relationship::as_select())
            .order(coaching_relationships::id.asc())
            .limit(window.fetch())
            .into_boxed();
        if let Some(after) = &window.after {
            q = q.filter(coaching_relationships::id.gt(after));
        }
        if let Some(status) = query.status {
            q = q.filter(coaching_relationships::status.eq(status));
        }
        if let Some(kind) = query.kind {
            q = q.filter(coaching_relationships::kind.eq(kind));
        }
        for person in own.iter().copied().chain(query.person_id.as_deref()) {
            q = q.filter(coaching_relationships::id.eq_any(member_of(person)));
        }
        q.load(c)
    })?;
    let page = window.page(rows, |r| &r.id, |r| r);
    Ok(Page { items: views(conn, principal, page.items)?, next_cursor: page.next_cursor })
}
