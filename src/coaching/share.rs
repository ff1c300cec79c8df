//! Consent: a coachee shows one of their released reports, whole or chosen competencies,
//! to the other members of one relationship, and may take it back at any time. The
//! members read it at the report route, through `reports::access`.

use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::view::ShareResponse;
use super::{Access, load_as_member};
use crate::auth::principal::Principal;
use crate::cycles::find_cycle;
use crate::db::schema::{report_releases, report_shares};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError, validate};
use crate::events::{self, Event};
use crate::frameworks::load_version;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"cycle_id": "0193a5d2-7b1f-7d2c-8a4f-3e5c6b7d8e9f", "competency_keys": ["decision_making", "vision"]}))]
pub struct ShareRequest {
    /// The cycle of the caller's released report.
    pub cycle_id: String,
    /// The competencies to show; absent, the whole report.
    #[validate(length(min = 1, max = 64))]
    pub competency_keys: Option<Vec<String>>,
}

/// Shares the caller's report with relationship `id`, replacing what they shared of the
/// same report with it before.
pub fn share(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    input: ShareRequest,
) -> Result<ShareResponse, AppError> {
    validate(&input)?;
    conn.transaction(|conn| {
        let (loaded, me) = load_as_member(conn, principal, id, Access::Write)?;
        if !me.role.is_coached() {
            return Err(AppError::Forbidden("In a pair, the coachee shares their report with the coach.".into()));
        }
        if loaded.relationship.status.is_closed() {
            return Err(AppError::conflict(
                "relationship_closed",
                "Nothing is shared with a relationship that is over.",
            ));
        }
        let cycle = find_cycle(conn, &principal.org_id, &input.cycle_id)?;
        let released: i64 = db_run!(conn, |c| report_releases::table
            .filter(report_releases::cycle_id.eq(&cycle.id))
            .filter(report_releases::subject_id.eq(&me.person_id))
            .count()
            .get_result(c))?;
        if released == 0 {
            return Err(AppError::conflict("report_not_released", "Only a report released to you can be shared."));
        }
        let mut keys = input.competency_keys;
        if let Some(keys) = keys.as_mut() {
            let version = load_version(conn, &principal.org_id, &cycle.framework_version_id)?;
            if let Some(i) = keys.iter().position(|k| !version.competencies.iter().any(|c| &c.key == k)) {
                return Err(AppError::Validation(vec![FieldError::new(
                    format!("competency_keys[{i}]"),
                    "unknown",
                    "is not a competency of the cycle's framework",
                )]));
            }
            keys.sort();
            keys.dedup();
        }
        let at = now();
        let replaced: Vec<String> = db_run!(conn, |c| report_shares::table
            .filter(report_shares::relationship_id.eq(id))
            .filter(report_shares::cycle_id.eq(&cycle.id))
            .filter(report_shares::subject_id.eq(&me.person_id))
            .filter(report_shares::revoked_at.is_null())
            .select(report_shares::id)
            .load(c))?;
        db_run!(conn, |c| diesel::update(report_shares::table)
            .filter(report_shares::id.eq_any(&replaced))
            .set(report_shares::revoked_at.eq(at))
            .execute(c))?;
        for share_id in replaced {
            events::record(conn, principal, Event::ReportShareRevoked { relationship_id: id.into(), share_id })?;
        }
        let share_id = new_id();
        let stored = keys.as_ref().map(serde_json::to_string).transpose().map_err(AppError::internal)?;
        db_run!(conn, |c| diesel::insert_into(report_shares::table)
            .values((
                report_shares::id.eq(&share_id),
                report_shares::org_id.eq(&principal.org_id),
                report_shares::relationship_id.eq(id),
                report_shares::cycle_id.eq(&cycle.id),
                report_shares::subject_id.eq(&me.person_id),
                report_shares::competency_keys.eq(&stored),
                report_shares::created_at.eq(at),
            ))
            .execute(c))?;
        let shared = Event::ReportShared {
            relationship_id: id.into(),
            share_id: share_id.clone(),
            cycle_id: cycle.id.clone(),
            subject_id: me.person_id.clone(),
            competency_keys: keys.clone(),
        };
        events::record(conn, principal, shared)?;
        Ok(ShareResponse {
            href: format!("/api/v1/cycles/{}/reports/{}", cycle.id, me.person_id),
            id: share_id,
            cycle_id: cycle.id,
            subject_id: me.person_id,
            competency_keys: keys,
            created_at: at.and_utc(),
        })
    })
}

/// Takes a share back; only the subject who made it may, and anyone else gets 404.
pub fn revoke(conn: &mut DbConn, principal: &Principal, share_id: &str) -> Result<(), AppError> {
    let me = principal.require_person()?.to_string();
    conn.transaction(|conn| {
        let relationship_id: String = db_run!(conn, |c| report_shares::table
            .filter(report_shares::org_id.eq(&principal.org_id))
            .filter(report_shares::id.eq(share_id))
            .filter(report_shares::subject_id.eq(&me))
            .filter(report_shares::revoked_at.is_null())
            .select(report_shares::relationship_id)
            .first(c))?;
        db_run!(conn, |c| diesel::update(report_shares::table)
            .filter(report_shares::id.eq(share_id))
            .set(report_shares::revoked_at.eq(now()))
            .execute(c))?;
        events::record(conn, principal, Event::ReportShareRevoked { relationship_id, share_id: share_id.into() })?;
        Ok(())
    })
}
