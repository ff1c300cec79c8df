//! Pausing, resuming and ending a relationship: by a member or by HR. Ending it takes
//! back every share made to it, so a former coach reads nothing more.

use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::view::{RelationshipResponse, view};
use super::{Access, MAX_SHORT, Relationship, RelationshipStatus, load_visible};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::db::schema::{coaching_relationships, report_shares};
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::{AppError, validate};
use crate::events::{self, Event};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "ended", "reason": "We reached the goals we set."}))]
pub struct TransitionRequest {
    /// `paused`, `active` (to resume a paused one) or `ended`.
    pub to: RelationshipStatus,
    /// Kept with an ending; shown to the members and HR.
    #[validate(length(min = 1, max = MAX_SHORT), custom(function = "crate::error::no_nul"))]
    pub reason: Option<String>,
}

/// Whether a relationship may move from `from` to `to` by this route.
fn allowed(from: RelationshipStatus, to: RelationshipStatus) -> bool {
    use RelationshipStatus::*;
    matches!((from, to), (Active, Paused) | (Paused, Active) | (Proposed | Active | Paused, Ended))
}

/// Writes the new status (and the reason, if given), one version on.
pub fn set_status(
    conn: &mut DbConn,
    mut relationship: Relationship,
    to: RelationshipStatus,
    reason: Option<String>,
) -> Result<Relationship, AppError> {
    relationship.status = to;
    relationship.end_reason = reason.or(relationship.end_reason);
    relationship.version += 1;
    relationship.updated_at = now();
    db_run!(conn, |c| diesel::update(coaching_relationships::table)
        .filter(coaching_relationships::id.eq(&relationship.id))
        .set((
            coaching_relationships::status.eq(relationship.status),
            coaching_relationships::end_reason.eq(&relationship.end_reason),
            coaching_relationships::version.eq(relationship.version),
            coaching_relationships::updated_at.eq(relationship.updated_at),
        ))
        .execute(c))?;
    Ok(relationship)
}

/// Moves the relationship to `input.to`, as a member or HR, and records it.
pub fn transition(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    input: TransitionRequest,
) -> Result<RelationshipResponse, AppError> {
    validate(&input)?;
    conn.transaction(|conn| {
        let loaded = load_visible(conn, principal, id, Access::Write)?;
        if loaded.member(principal).is_none() {
            principal.require(Permission::ManageCoaching)?;
        }
        let from = loaded.relationship.status;
        if !allowed(from, input.to) {
            return Err(AppError::conflict(
                "invalid_transition",
                format!("A {} relationship cannot become {}.", from.as_str(), input.to.as_str()),
            ));
        }
        let reason = input.reason.filter(|_| input.to == RelationshipStatus::Ended);
        let relationship = set_status(conn, loaded.relationship, input.to, reason.clone())?;
        if input.to == RelationshipStatus::Ended {
            revoke_all(conn, principal, id)?;
        }
        let changed = Event::CoachingRelationshipStatusChanged {
            relationship_id: id.into(),
            from: from.as_str(),
            to: input.to.as_str(),
            reason,
        };
        events::record(conn, principal, changed)?;
        view(conn, principal, relationship)
    })
}

/// Takes back every standing share of the relationship, each recorded.
pub fn revoke_all(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<(), AppError> {
    let standing: Vec<String> = db_run!(conn, |c| report_shares::table
        .filter(report_shares::relationship_id.eq(id))
        .filter(report_shares::revoked_at.is_null())
        .select(report_shares::id)
        .load(c))?;
    db_run!(conn, |c| diesel::update(report_shares::table)
        .filter(report_shares::id.eq_any(&standing))
        .set(report_shares::revoked_at.eq(now()))
        .execute(c))?;
    for share_id in standing {
        events::record(conn, principal, Event::ReportShareRevoked { relationship_id: id.into(), share_id })?;
    }
    Ok(())
}
