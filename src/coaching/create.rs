//! Setting up a relationship: HR for any leaders, or a leader proposing one to peers
//! (which counts as the proposer's acceptance of the agreement). It becomes active once
//! every member has accepted. Nobody coaches their manager or a direct report unless HR
//! says why, and the reason is audited.

use std::collections::BTreeSet;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::view::{RelationshipResponse, view};
use super::{
    Agreement, CIRCLE_SIZE, MAX_FOCUS, MAX_SHORT, Member, MemberRole, Relationship, RelationshipKind,
    RelationshipStatus,
};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::db::schema::{coaching_members, coaching_relationships, competencies, people};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError, validate};
use crate::events::{self, Event};

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "pair",
    "coach_id": "0193a5d2-7b1f-7d2c-8a4f-3e5c6b7d8e01",
    "coachee_id": "0193a5d2-7b1f-7d2c-8a4f-3e5c6b7d8e02",
    "focus_competencies": ["decision_making"]
}))]
pub struct CreateRelationshipRequest {
    pub kind: RelationshipKind,
    /// A pair's coach.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coach_id: Option<String>,
    /// A pair's coachee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coachee_id: Option<String>,
    /// A circle's members, 3 to 6.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 6))]
    pub member_ids: Option<Vec<String>>,
    /// Absent: the starter agreement, from today.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub agreement: Option<Agreement>,
    /// Competency keys of the organisation's frameworks to work on.
    #[validate(length(max = MAX_FOCUS))]
    #[serde(default)]
    pub focus_competencies: Vec<String>,
    /// HR only: lets a leader coach their manager or a direct report, and says why.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = MAX_SHORT), custom(function = "crate::error::no_nul"))]
    pub override_reason: Option<String>,
}

fn field(name: &str, code: &str, message: &str) -> AppError {
    AppError::Validation(vec![FieldError::new(name, code, message)])
}

impl CreateRelationshipRequest {
    /// The members with their roles, as the kind asks for them.
    fn members(&self) -> Result<Vec<(String, MemberRole)>, AppError> {
        let members = match (self.kind, &self.coach_id, &self.coachee_id, &self.member_ids) {
            (RelationshipKind::Pair, Some(coach), Some(coachee), None) => {
                vec![(coach.clone(), MemberRole::Coach), (coachee.clone(), MemberRole::Coachee)]
            }
            (RelationshipKind::Pair, ..) => {
                return Err(field("coach_id", "pair", "a pair names `coach_id` and `coachee_id`, not `member_ids`"));
            }
            (RelationshipKind::Circle, None, None, Some(ids)) => {
                ids.iter().map(|id| (id.clone(), MemberRole::Peer)).collect()
            }
            (RelationshipKind::Circle, ..) => {
                return Err(field("member_ids", "circle", "a circle names `member_ids`, not a coach or coachee"));
            }
        };
        let distinct: BTreeSet<&str> = members.iter().map(|(id, _)| id.as_str()).collect();
        if distinct.len() != members.len() {
            return Err(field("member_ids", "duplicate", "each member is named once"));
        }
        if self.kind == RelationshipKind::Circle && !CIRCLE_SIZE.contains(&members.len()) {
            return Err(field("member_ids", "length", "a circle has 3 to 6 members"));
        }
        Ok(members)
    }
}

/// Whether a member would coach their own manager or a direct report.
fn within_reporting_line(
    members: &[(String, MemberRole)],
    manager_of: &std::collections::HashMap<String, Option<String>>,
) -> bool {
    let manages = |a: &String, b: &String| manager_of.get(b).is_some_and(|m| m.as_ref() == Some(a));
    members.iter().any(|(a, role_a)| {
        members
            .iter()
            .any(|(b, role_b)| a != b && role_a.coaches() && role_b.is_coached() && (manages(a, b) || manages(b, a)))
    })
}

/// Creates the relationship and its members, and records it, in one transaction.
pub fn create_relationship(
    conn: &mut DbConn,
    principal: &Principal,
    input: CreateRelationshipRequest,
) -> Result<RelationshipResponse, AppError> {
    validate(&input)?;
    let hr = principal.can(Permission::ManageCoaching);
    let members = input.members()?;
    let proposer = if hr { None } else { Some(principal.require_person()?.to_string()) };
    if let Some(me) = &proposer
        && !members.iter().any(|(id, _)| id == me)
    {
        return Err(AppError::Forbidden("A leader proposes relationships they are a member of.".into()));
    }
    if input.override_reason.is_some() && !hr {
        return Err(AppError::Forbidden("Only HR may let a leader coach within their reporting line.".into()));
    }
    let agreement = input.agreement.clone().unwrap_or_else(|| Agreement::starter(now().date()));
    if agreement.review_on <= agreement.starts_on {
        return Err(field("agreement.review_on", "order", "comes after `starts_on`"));
    }
    let org_id = principal.org_id.as_str();
    conn.transaction(|conn| {
        let ids: Vec<&String> = members.iter().map(|(id, _)| id).collect();
        let found: Vec<(String, Option<String>)> = db_run!(conn, |c| people::table
            .filter(people::org_id.eq(org_id))
            .filter(people::id.eq_any(&ids))
            .filter(people::active.eq(true))
            .select((people::id, people::manager_id))
            .load(c))?;
        if found.len() != members.len() {
            return Err(field("member_ids", "unknown", "every member is an active person of the organisation"));
        }
        let manager_of = found.into_iter().collect();
        let crosses_line = within_reporting_line(&members, &manager_of);
        if crosses_line && input.override_reason.is_none() {
            return Err(AppError::unprocessable(
                "reporting_line",
                "A leader would coach their own manager or a direct report; HR may allow it with `override_reason`.",
            ));
        }
        check_competencies(conn, org_id, &input.focus_competencies, |i| format!("focus_competencies[{i}]"))?;
        let at = now();
        let relationship = Relationship {
            id: new_id(),
            org_id: org_id.to_string(),
            kind: input.kind,
            status: RelationshipStatus::Proposed,
            created_by: principal.audit_name(),
            cadence: agreement.cadence,
            confidentiality: agreement.confidentiality,
            expectations: agreement.expectations,
            starts_on: agreement.starts_on,
            review_on: agreement.review_on,
            focus_competencies: serde_json::to_string(&input.focus_competencies).map_err(AppError::internal)?,
            override_reason: input.override_reason.clone().filter(|_| crosses_line),
            end_reason: None,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        let rows: Vec<Member> = members
            .iter()
            .map(|(person_id, role)| Member {
                relationship_id: relationship.id.clone(),
                person_id: person_id.clone(),
                org_id: org_id.to_string(),
                role: *role,
                accepted_at: (proposer.as_ref() == Some(person_id)).then_some(at),
            })
            .collect();
        db_run!(conn, |c| diesel::insert_into(coaching_relationships::table).values(&relationship).execute(c))?;
        db_run!(conn, |c| diesel::insert_into(coaching_members::table).values(&rows).execute(c))?;
        let created = Event::CoachingRelationshipCreated {
            relationship_id: relationship.id.clone(),
            kind: relationship.kind.as_str(),
            member_ids: members.iter().map(|(id, _)| id.clone()).collect(),
            override_reason: relationship.override_reason.clone(),
        };
        events::record(conn, principal, created)?;
        view(conn, principal, relationship)
    })
}

/// Every key names a competency of one of the organisation's frameworks; the error names
/// the field of the first that does not (`field(index)`).
pub(super) fn check_competencies(
    conn: &mut DbConn,
    org_id: &str,
    keys: &[String],
    field_of: impl Fn(usize) -> String,
) -> Result<(), AppError> {
    let known: Vec<String> = db_run!(conn, |c| competencies::table
        .filter(competencies::org_id.eq(org_id))
        .filter(competencies::key.eq_any(keys))
        .select(competencies::key)
        .distinct()
        .load(c))?;
    match keys.iter().position(|k| !known.contains(k)) {
        Some(i) => Err(field(&field_of(i), "unknown", "is not a competency key of the organisation")),
        None => Ok(()),
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchCreateRequest {
    /// For example the chosen suggestions' `relationship` bodies.
    #[validate(length(min = 1, max = 500))]
    pub relationships: Vec<CreateRelationshipRequest>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchCreateResponse {
    pub relationships: Vec<RelationshipResponse>,
}

/// HR sets up several relationships at once: all of them, or none when one fails (the
/// error names which).
pub fn create_batch(
    conn: &mut DbConn,
    principal: &Principal,
    input: BatchCreateRequest,
) -> Result<BatchCreateResponse, AppError> {
    principal.require(Permission::ManageCoaching)?;
    validate(&input)?;
    conn.transaction(|conn| {
        let created = input.relationships.into_iter().enumerate().map(|(i, one)| {
            create_relationship(conn, principal, one).map_err(|e| e.within(&format!("relationships[{i}]")))
        });
        Ok(BatchCreateResponse { relationships: created.collect::<Result<_, _>>()? })
    })
}
