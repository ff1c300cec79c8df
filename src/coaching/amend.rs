//! Changing a proposed relationship's agreement or focus, by a member or HR: everyone
//! accepts again what changed (the member who changed it, by changing it).

use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::create::check_competencies;
use super::view::{RelationshipResponse, view};
use super::{Access, Agreement, MAX_FOCUS, RelationshipStatus, load_visible};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::db::schema::{coaching_members, coaching_relationships};
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::{AppError, FieldError, validate};
use crate::events::{self, Event};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"focus_competencies": ["decision_making", "communication"]}))]
pub struct AmendRequest {
    #[validate(nested)]
    pub agreement: Option<Agreement>,
    #[validate(length(max = MAX_FOCUS))]
    pub focus_competencies: Option<Vec<String>>,
}

/// Writes the change, clears every acceptance but the editor's, and records it.
pub fn amend(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    input: AmendRequest,
) -> Result<RelationshipResponse, AppError> {
    validate(&input)?;
    if let Some(a) = &input.agreement
        && a.review_on <= a.starts_on
    {
        return Err(AppError::Validation(vec![FieldError::new(
            "agreement.review_on",
            "order",
            "comes after `starts_on`",
        )]));
    }
    conn.transaction(|conn| {
        let loaded = load_visible(conn, principal, id, Access::Write)?;
        let editor = loaded.member(principal).map(|m| m.person_id.clone());
        if editor.is_none() {
            principal.require(Permission::ManageCoaching)?;
        }
        if loaded.relationship.status != RelationshipStatus::Proposed {
            return Err(AppError::conflict(
                "relationship_not_proposed",
                "Only a proposed relationship's agreement changes; end this one and propose another.",
            ));
        }
        let mut relationship = loaded.relationship;
        let mut changed = Vec::new();
        if let Some(a) = input.agreement {
            (relationship.cadence, relationship.confidentiality, relationship.expectations) =
                (a.cadence, a.confidentiality, a.expectations);
            (relationship.starts_on, relationship.review_on) = (a.starts_on, a.review_on);
            changed.push("agreement");
        }
        if let Some(keys) = input.focus_competencies {
            check_competencies(conn, &principal.org_id, &keys, |i| format!("focus_competencies[{i}]"))?;
            relationship.focus_competencies = serde_json::to_string(&keys).map_err(AppError::internal)?;
            changed.push("focus_competencies");
        }
        if changed.is_empty() {
            return view(conn, principal, relationship);
        }
        let at = now();
        relationship.version += 1;
        relationship.updated_at = at;
        db_run!(conn, |c| diesel::update(coaching_relationships::table.filter(coaching_relationships::id.eq(id)))
            .set((
                coaching_relationships::cadence.eq(&relationship.cadence),
                coaching_relationships::confidentiality.eq(&relationship.confidentiality),
                coaching_relationships::expectations.eq(&relationship.expectations),
                coaching_relationships::starts_on.eq(relationship.starts_on),
                coaching_relationships::review_on.eq(relationship.review_on),
                coaching_relationships::focus_competencies.eq(&relationship.focus_competencies),
                coaching_relationships::version.eq(relationship.version),
                coaching_relationships::updated_at.eq(at),
            ))
            .execute(c))?;
        db_run!(conn, |c| diesel::update(coaching_members::table.filter(coaching_members::relationship_id.eq(id)))
            .set(coaching_members::accepted_at.eq(None::<chrono::NaiveDateTime>))
            .execute(c))?;
        if let Some(person) = &editor {
            db_run!(conn, |c| diesel::update(coaching_members::table)
                .filter(coaching_members::relationship_id.eq(id))
                .filter(coaching_members::person_id.eq(person))
                .set(coaching_members::accepted_at.eq(Some(at)))
                .execute(c))?;
        }
        events::record(conn, principal, Event::CoachingRelationshipAmended { relationship_id: id.into(), changed })?;
        view(conn, principal, relationship)
    })
}
