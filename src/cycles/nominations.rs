//! Nominations: who rates whom, in which relationship, proposed by the subject or HR and
//! decided by the subject's manager or HR. The writes are in `nominate.rs`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::queries::open_participant;
use crate::anonymity::Relationship;
use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::db::schema::{nominations, people};
use crate::db_run;
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = nominations)]
pub struct Nomination {
    pub id: String,
    pub subject_id: String,
    pub rater_id: String,
    pub relationship: Relationship,
    pub status: NominationStatus,
    pub nominated_by: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum NominationStatus {
    /// Proposed by the subject, waiting for their manager or HR.
    Proposed,
    Approved,
    Rejected,
}

impl NominationStatus {
    pub const ALL: [NominationStatus; 3] = [Self::Proposed, Self::Approved, Self::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

crate::stored_as_text!(NominationStatus, "nomination status");

#[derive(Debug, Serialize, ToSchema)]
pub struct NominationResponse {
    pub id: String,
    pub subject_id: String,
    pub rater_id: String,
    pub rater_name: String,
    pub relationship: Relationship,
    pub status: NominationStatus,
    /// `client:…`, `person:…` or `system` (the directory's manager).
    pub nominated_by: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

pub fn respond(n: Nomination, rater_name: String) -> NominationResponse {
    NominationResponse {
        relationship: n.relationship,
        status: n.status,
        id: n.id,
        subject_id: n.subject_id,
        rater_id: n.rater_id,
        rater_name,
        nominated_by: n.nominated_by,
        decided_by: n.decided_by,
        decision_note: n.decision_note,
        created_at: n.created_at.and_utc(),
        decided_at: n.decided_at.map(|t| t.and_utc()),
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rater_id": "0193a5d2-8c2a-7e3d-9b5f-4f6d7c8e9fa0", "relationship": "peer"}))]
pub struct NominateRequest {
    #[validate(length(min = 1, max = 64))]
    pub rater_id: String,
    /// `manager`, `peer`, `direct_report` or `other`; the self-assessment is automatic.
    pub relationship: Relationship,
    /// Why HR names as `manager` someone who is not the subject's manager in the
    /// directory: required then, and only HR may. Recorded with the nomination.
    #[validate(length(min = 1, max = 1000))]
    pub override_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "approve"}))]
pub struct DecisionRequest {
    pub decision: Decision,
    /// Why, for the subject.
    #[validate(length(max = 1000))]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = nominations)]
pub struct NewNomination {
    pub id: String,
    pub org_id: String,
    pub cycle_id: String,
    pub subject_id: String,
    pub rater_id: String,
    pub relationship: Relationship,
    pub status: NominationStatus,
    pub nominated_by: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub decided_at: Option<chrono::NaiveDateTime>,
}

/// A participant's nominations, for HR, the subject and the subject's manager.
pub fn list(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    subject_id: &str,
) -> Result<Vec<NominationResponse>, AppError> {
    let (cycle, _) = open_participant(conn, principal, cycle_id, subject_id)?;
    let rows: Vec<(Nomination, String)> = db_run!(conn, |c| nominations::table
        .inner_join(people::table.on(people::id.eq(nominations::rater_id)))
        .filter(nominations::cycle_id.eq(&cycle.id))
        .filter(nominations::subject_id.eq(subject_id))
        .order(nominations::id.asc())
        .select((Nomination::as_select(), people::display_name))
        .load(c))?;
    Ok(rows.into_iter().map(|(n, name)| respond(n, name)).collect())
}
