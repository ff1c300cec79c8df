//! The caller's coaching at a glance, for a frontend: their relationships, the agreements
//! waiting for their acceptance, sessions to come and the action items they own.

use serde::Serialize;
use utoipa::ToSchema;

use super::list::{ListRelationshipsQuery, list_relationships};
use super::sessions::{ActionItemResponse, UpcomingSession, open_items, upcoming};
use super::view::RelationshipResponse;
use super::{RelationshipStatus, own_person_id};
use crate::auth::principal::Principal;
use crate::db::DbConn;
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
    let me = own_person_id(principal)?.to_string();
    let mut relationships = Vec::new();
    for status in [RelationshipStatus::Proposed, RelationshipStatus::Active, RelationshipStatus::Paused] {
        let query = ListRelationshipsQuery {
            limit: Some(200),
            cursor: None,
            status: Some(status),
            kind: None,
            person_id: Some(me.clone()),
        };
        relationships.extend(list_relationships(conn, principal, query)?.items);
    }
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
