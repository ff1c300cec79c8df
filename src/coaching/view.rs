//! A relationship as its reader sees it: members, agreement, focus, which shares stand
//! (never their content) and how many sessions were held (never their notes).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Agreement, Member, MemberRole, Relationship, RelationshipKind, RelationshipStatus};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::db::schema::{coaching_members, coaching_sessions, people, report_shares};
use crate::db_run;
use crate::error::AppError;

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    pub person_id: String,
    pub display_name: String,
    pub department: Option<String>,
    pub role: MemberRole,
    /// When they accepted the agreement; absent until they do.
    pub accepted_at: Option<DateTime<Utc>>,
}

/// A standing share: that the subject shows this report to the relationship, and which
/// part. The report itself is read at the report route.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareResponse {
    pub id: String,
    pub cycle_id: String,
    pub subject_id: String,
    /// The shared competencies; absent when the whole report is shared.
    pub competency_keys: Option<Vec<String>>,
    pub created_at: DateTime<Utc>,
    /// Where the members read it.
    pub href: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RelationshipResponse {
    pub id: String,
    pub kind: RelationshipKind,
    pub status: RelationshipStatus,
    pub members: Vec<MemberResponse>,
    pub agreement: Agreement,
    /// Competency keys the relationship works on.
    pub focus_competencies: Vec<String>,
    /// Why HR let a leader coach their manager or a direct report; shown to HR only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
    pub end_reason: Option<String>,
    pub shares: Vec<ShareResponse>,
    pub sessions_held: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

type ShareRow = (String, String, String, String, Option<String>, chrono::NaiveDateTime);

/// The relationships as `principal` sees them, with a handful of queries for all of them.
pub fn views(
    conn: &mut DbConn,
    principal: &Principal,
    relationships: Vec<Relationship>,
) -> Result<Vec<RelationshipResponse>, AppError> {
    let ids: Vec<&String> = relationships.iter().map(|r| &r.id).collect();
    let members: Vec<(Member, String, Option<String>)> = db_run!(conn, |c| coaching_members::table
        .inner_join(people::table)
        .filter(coaching_members::relationship_id.eq_any(&ids))
        .order((coaching_members::relationship_id.asc(), people::display_name.asc(), people::id.asc()))
        .select((Member::as_select(), people::display_name, people::department))
        .load(c))?;
    let shares: Vec<ShareRow> = db_run!(conn, |c| report_shares::table
        .filter(report_shares::relationship_id.eq_any(&ids))
        .filter(report_shares::revoked_at.is_null())
        .order(report_shares::id.asc())
        .select((
            report_shares::relationship_id,
            report_shares::id,
            report_shares::cycle_id,
            report_shares::subject_id,
            report_shares::competency_keys,
            report_shares::created_at,
        ))
        .load(c))?;
    let held: Vec<(String, i64)> = db_run!(conn, |c| coaching_sessions::table
        .filter(coaching_sessions::relationship_id.eq_any(&ids))
        .group_by(coaching_sessions::relationship_id)
        .select((coaching_sessions::relationship_id, diesel::dsl::count_star()))
        .load(c))?;
    let held: HashMap<String, i64> = held.into_iter().collect();
    let mut members_of: HashMap<String, Vec<MemberResponse>> = HashMap::new();
    for (m, display_name, department) in members {
        members_of.entry(m.relationship_id).or_default().push(MemberResponse {
            person_id: m.person_id,
            display_name,
            department,
            role: m.role,
            accepted_at: m.accepted_at.map(|t| t.and_utc()),
        });
    }
    let mut shares_of: HashMap<String, Vec<ShareResponse>> = HashMap::new();
    for (relationship_id, id, cycle_id, subject_id, keys, created_at) in shares {
        shares_of.entry(relationship_id).or_default().push(ShareResponse {
            href: format!("/api/v1/cycles/{cycle_id}/reports/{subject_id}"),
            id,
            cycle_id,
            subject_id,
            competency_keys: keys.and_then(|k| serde_json::from_str(&k).ok()),
            created_at: created_at.and_utc(),
        });
    }
    let hr = principal.can(Permission::ReadCoaching);
    Ok(relationships
        .into_iter()
        .map(|r| RelationshipResponse {
            members: members_of.remove(&r.id).unwrap_or_default(),
            shares: shares_of.remove(&r.id).unwrap_or_default(),
            sessions_held: held.get(&r.id).copied().unwrap_or(0),
            agreement: r.agreement(),
            focus_competencies: r.focus(),
            override_reason: if hr { r.override_reason } else { None },
            end_reason: r.end_reason,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
            id: r.id,
            kind: r.kind,
            status: r.status,
        })
        .collect())
}

/// One relationship as `principal` sees it.
pub fn view(
    conn: &mut DbConn,
    principal: &Principal,
    relationship: Relationship,
) -> Result<RelationshipResponse, AppError> {
    views(conn, principal, vec![relationship])?.pop().ok_or_else(|| AppError::internal("a relationship went missing"))
}

/// A relationship, for its members and HR; 404 for anyone else.
pub fn get_relationship(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<RelationshipResponse, AppError> {
    let loaded = super::load_visible(conn, principal, id, super::Access::Read)?;
    view(conn, principal, loaded.relationship)
}
