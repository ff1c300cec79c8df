//! A member's answer to a proposed relationship: accepting its agreement (the last
//! acceptance makes it active) or declining it (which ends it before it starts).

use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::transition::{revoke_all, set_status};
use super::view::{RelationshipResponse, view};
use super::{Access, MAX_SHORT, RelationshipStatus, load_as_member};
use crate::auth::principal::Principal;
use crate::db::schema::coaching_members;
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::{AppError, validate};
use crate::events::{self, Event};

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "I cannot give this the time it needs this quarter."}))]
pub struct DeclineRequest {
    /// Shown to the other members and HR.
    #[validate(length(min = 1, max = MAX_SHORT), custom(function = "crate::error::no_nul"))]
    pub reason: Option<String>,
}

fn not_proposed(status: RelationshipStatus) -> AppError {
    AppError::conflict(
        "relationship_not_proposed",
        format!("The relationship is {}; only a proposed one is accepted or declined.", status.as_str()),
    )
}

/// The caller accepts the agreement as it stands.
pub fn accept(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<RelationshipResponse, AppError> {
    conn.transaction(|conn| {
        let (mut loaded, me) = load_as_member(conn, principal, id, Access::Write)?;
        if loaded.relationship.status != RelationshipStatus::Proposed {
            return Err(not_proposed(loaded.relationship.status));
        }
        if me.accepted_at.is_none() {
            db_run!(conn, |c| diesel::update(coaching_members::table)
                .filter(coaching_members::relationship_id.eq(id))
                .filter(coaching_members::person_id.eq(&me.person_id))
                .set(coaching_members::accepted_at.eq(now()))
                .execute(c))?;
            let waiting = loaded.members.iter().filter(|m| m.accepted_at.is_none()).count();
            let activated = waiting == 1;
            if activated {
                loaded.relationship = set_status(conn, loaded.relationship, RelationshipStatus::Active, None)?;
            }
            let accepted =
                Event::CoachingAgreementAccepted { relationship_id: id.into(), person_id: me.person_id, activated };
            events::record(conn, principal, accepted)?;
        }
        view(conn, principal, loaded.relationship)
    })
}

/// The caller declines: the relationship will not start.
pub fn decline(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    input: DeclineRequest,
) -> Result<RelationshipResponse, AppError> {
    validate(&input)?;
    conn.transaction(|conn| {
        let (loaded, _) = load_as_member(conn, principal, id, Access::Write)?;
        let from = loaded.relationship.status;
        if from != RelationshipStatus::Proposed {
            return Err(not_proposed(from));
        }
        let relationship = set_status(conn, loaded.relationship, RelationshipStatus::Declined, input.reason.clone())?;
        revoke_all(conn, principal, id)?;
        let changed = Event::CoachingRelationshipStatusChanged {
            relationship_id: id.into(),
            from: from.as_str(),
            to: RelationshipStatus::Declined.as_str(),
            reason: input.reason,
        };
        events::record(conn, principal, changed)?;
        view(conn, principal, relationship)
    })
}
