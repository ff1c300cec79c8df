//! Nominating a rater and deciding a nomination: who may do which in which state, the
//! limits, the write and the event. An approved rater of a collecting cycle is invited
//! by `crate::lifecycle`, which calls these inside its transaction.

use diesel::prelude::*;

use super::nominations::{
    Decision, DecisionRequest, NewNomination, NominateRequest, Nomination, NominationResponse, NominationStatus,
    respond,
};
use super::queries::{lock_cycle, lock_participant, open_participant, standing};
use super::{Cycle, CycleLock, CycleState, Standing};
use crate::anonymity::Relationship;
use crate::auth::principal::Principal;
use crate::db::schema::{nominations, people};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError};
use crate::events::{self, Event};

/// Nominates a rater for a participant: the subject proposes, HR's nominations are
/// approved at once, at most the cycle's `max` per relationship (proposed and approved).
pub fn nominate(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    subject_id: &str,
    request: NominateRequest,
) -> Result<(Cycle, NominationResponse), AppError> {
    conn.transaction(|conn| {
        let (cycle, standing) = open_participant(conn, principal, cycle_id, subject_id)?;
        match standing {
            Standing::Manager => {
                return Err(AppError::Forbidden(
                    "Managers approve nominations; the subject or HR proposes them.".into(),
                ));
            }
            Standing::Subject => {
                cycle.require_state(&[CycleState::Nominating, CycleState::Collecting], "nominate raters")?
            }
            _ => cycle.require_state(
                &[CycleState::Draft, CycleState::Nominating, CycleState::Collecting],
                "nominate raters",
            )?,
        }
        lock_participant(conn, &cycle.id, subject_id)?;
        let Some(limit) = cycle.nomination_rules().limit(request.relationship) else {
            return Err(AppError::Validation(vec![FieldError::new(
                "relationship",
                "not_allowed",
                "the self-assessment is created automatically",
            )]));
        };
        if request.rater_id == subject_id {
            return Err(AppError::Validation(vec![FieldError::new(
                "rater_id",
                "self",
                "a subject cannot rate themself as a rater",
            )]));
        }
        let rater_name = active_name(conn, &principal.org_id, &request.rater_id)?.ok_or_else(|| {
            AppError::Validation(vec![FieldError::new("rater_id", "not_found", "no active person has this id")])
        })?;
        let override_reason = check_manager(conn, principal, standing, subject_id, &request)?;
        let (existing, counted) = nominations_of(conn, &cycle.id, subject_id, &request)?;
        if existing > 0 {
            return Err(AppError::conflict("already_nominated", "This rater is already nominated for this subject."));
        }
        if counted >= i64::from(limit.max) {
            return Err(AppError::conflict(
                "nomination_limit_reached",
                format!("This subject already has the maximum of {} {} raters.", limit.max, request.relationship),
            ));
        }
        let at = now();
        let by = principal.audit_name();
        let approved = standing == Standing::Hr;
        let row = NewNomination {
            id: new_id(),
            org_id: principal.org_id.clone(),
            cycle_id: cycle.id.clone(),
            subject_id: subject_id.to_string(),
            rater_id: request.rater_id,
            relationship: request.relationship,
            status: if approved { NominationStatus::Approved } else { NominationStatus::Proposed },
            nominated_by: by.clone(),
            decided_by: approved.then(|| by.clone()),
            decision_note: override_reason.clone(),
            created_at: at,
            decided_at: approved.then_some(at),
        };
        db_run!(conn, |c| diesel::insert_into(nominations::table).values(&row).execute(c))?;
        let created = Event::NominationCreated {
            cycle_id: cycle.id.clone(),
            nomination_id: row.id.clone(),
            subject_id: row.subject_id.clone(),
            rater_id: row.rater_id.clone(),
            relationship: row.relationship.as_str(),
            status: row.status.as_str(),
            override_reason,
        };
        events::record(conn, principal, created)?;
        let stored = Nomination {
            id: row.id,
            subject_id: row.subject_id,
            rater_id: row.rater_id,
            relationship: row.relationship,
            status: row.status,
            nominated_by: row.nominated_by,
            decided_by: row.decided_by,
            decision_note: row.decision_note,
            created_at: row.created_at,
            decided_at: row.decided_at,
        };
        Ok((cycle, respond(stored, rater_name)))
    })
}

/// Approves or rejects a proposed nomination: the subject's manager or HR decides.
pub fn decide(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    nomination_id: &str,
    request: DecisionRequest,
) -> Result<(Cycle, NominationResponse), AppError> {
    conn.transaction(|conn| {
        let cycle = lock_cycle(conn, &principal.org_id, cycle_id, CycleLock::Share)?;
        let nomination: Nomination = db_run!(conn, |c| nominations::table
            .filter(nominations::cycle_id.eq(&cycle.id))
            .filter(nominations::id.eq(nomination_id))
            .select(Nomination::as_select())
            .first(c))?;
        match standing(conn, principal, &nomination.subject_id)? {
            Standing::Hr | Standing::Manager => {}
            Standing::Subject => {
                return Err(AppError::Forbidden("A subject cannot approve their own nominations.".into()));
            }
            Standing::None => return Err(AppError::NotFound),
        }
        cycle.require_state(
            &[CycleState::Draft, CycleState::Nominating, CycleState::Collecting],
            "decide nominations",
        )?;
        let status = match request.decision {
            Decision::Approve => NominationStatus::Approved,
            Decision::Reject => NominationStatus::Rejected,
        };
        let updated = db_run!(conn, |c| diesel::update(
            nominations::table
                .filter(nominations::id.eq(&nomination.id))
                .filter(nominations::status.eq(NominationStatus::Proposed))
        )
        .set((
            nominations::status.eq(status),
            nominations::decided_by.eq(Some(principal.audit_name())),
            nominations::decision_note.eq(request.note.as_deref().map(str::trim)),
            nominations::decided_at.eq(Some(now())),
        ))
        .execute(c))?;
        if updated == 0 {
            return Err(AppError::conflict(
                "already_decided",
                format!("This nomination is already {}.", nomination.status),
            ));
        }
        let decided = Event::NominationDecided {
            cycle_id: cycle.id.clone(),
            nomination_id: nomination.id.clone(),
            status: status.as_str(),
        };
        events::record(conn, principal, decided)?;
        let (stored, name): (Nomination, String) = db_run!(conn, |c| nominations::table
            .inner_join(people::table.on(people::id.eq(nominations::rater_id)))
            .filter(nominations::id.eq(&nomination.id))
            .select((Nomination::as_select(), people::display_name))
            .first(c))?;
        Ok((cycle, respond(stored, name)))
    })
}

/// A `manager` rater is the subject's manager in the directory: the manager group is
/// attributed, so anyone else named there would be a group of one without knowing it.
/// HR may name another with a reason, which is returned to be recorded.
fn check_manager(
    conn: &mut DbConn,
    principal: &Principal,
    standing: Standing,
    subject_id: &str,
    request: &NominateRequest,
) -> Result<Option<String>, AppError> {
    if request.relationship != Relationship::Manager {
        return Ok(None);
    }
    let directory_manager: Option<String> = db_run!(conn, |c| people::table
        .filter(people::org_id.eq(&principal.org_id))
        .filter(people::id.eq(subject_id))
        .select(people::manager_id)
        .first(c))?;
    if directory_manager.as_deref() == Some(request.rater_id.as_str()) {
        return Ok(None);
    }
    let reason = request.override_reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    match (standing, reason) {
        (Standing::Hr, Some(reason)) => Ok(Some(reason.to_string())),
        (Standing::Hr, None) => Err(AppError::Validation(vec![FieldError::new(
            "override_reason",
            "required",
            "this rater is not the subject's manager in the directory; say why they rate as manager",
        )])),
        _ => Err(AppError::Validation(vec![FieldError::new(
            "relationship",
            "not_directory_manager",
            "only the subject's manager in the directory rates as manager",
        )])),
    }
}

/// The display name of an active person of the organisation.
fn active_name(conn: &mut DbConn, org_id: &str, person_id: &str) -> Result<Option<String>, AppError> {
    Ok(db_run!(conn, |c| people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::id.eq(person_id))
        .filter(people::active.eq(true))
        .select(people::display_name)
        .first(c)
        .optional())?)
}

/// Whether this rater is nominated for the subject already, and how many raters of the
/// relationship count against its limit (all but the rejected).
fn nominations_of(
    conn: &mut DbConn,
    cycle_id: &str,
    subject_id: &str,
    request: &NominateRequest,
) -> Result<(i64, i64), AppError> {
    let of_subject =
        nominations::table.filter(nominations::cycle_id.eq(cycle_id)).filter(nominations::subject_id.eq(subject_id));
    let existing: i64 =
        db_run!(conn, |c| of_subject.filter(nominations::rater_id.eq(&request.rater_id)).count().get_result(c))?;
    let counted: i64 = db_run!(conn, |c| of_subject
        .filter(nominations::relationship.eq(request.relationship))
        .filter(nominations::status.ne(NominationStatus::Rejected))
        .count()
        .get_result(c))?;
    Ok((existing, counted))
}
