//! The caller's coaching at a glance, for a frontend: their relationships, the agreements
//! waiting for their acceptance, sessions to come and the action items they own.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::sessions::{ActionItemResponse, UpcomingSession, open_items, upcoming};
use super::view::{RelationshipResponse, views};
use super::{Relationship, RelationshipStatus};
use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::db::schema::{coaching_members, coaching_relationships};
use crate::db_run;
use crate::error::AppError;

#[derive(Debug, Serialize, ToSchema)]
pub struct MyCoaching {
    /// Relationships that are proposed, active or paused.
    pub relationships: Vec<RelationshipResponse>,
    /// Proposed relationships whose agreement the caller has not accepted yet.
    pub to_accept: Vec<String>,
    pub upcoming_sessions: Vec<UpcomingSession>,
    pub open_action_items: Vec<ActionItemResponse>,
}

/// The caller's coaching overview (the first 200 relationships of theirs that are not over).
pub fn my_coaching(conn: &mut DbConn, principal: &Principal) -> Result<MyCoaching, AppError> {
    let me = principal.require_person()?.to_string();
    let under_way = [RelationshipStatus::Proposed, RelationshipStatus::Active, RelationshipStatus::Paused];
    let mine =
        coaching_members::table.filter(coaching_members::person_id.eq(&me)).select(coaching_members::relationship_id);
    let rows: Vec<Relationship> = db_run!(conn, |c| coaching_relationships::table
        .filter(coaching_relationships::org_id.eq(&principal.org_id))
        .filter(coaching_relationships::id.eq_any(mine))
        .filter(coaching_relationships::status.eq_any(under_way))
        .order(coaching_relationships::id.asc())
        .limit(200)
        .select(Relationship::as_select())
        .load(c))?;
    let relationships = views(conn, principal, rows)?;
    let to_accept = relationships
        .iter()
        .filter(|r| r.status == RelationshipStatus::Proposed)
        .filter(|r| r.members.iter().any(|m| m.person_id == me && m.accepted_at.is_none()))
        .map(|r| r.id.clone())
        .collect();
    let ids: Vec<String> = relationships.iter().map(|r| r.id.clone()).collect();
    Ok(MyCoaching {
        upcoming_sessions: upcoming(conn, &ids)?,
        open_action_items: open_items(conn, &ids, &me)?,
        relationships,
        to_accept,
    })
}
