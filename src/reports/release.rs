//! Releasing reports to their subjects. Until then only HR reads them; moving the cycle to
//! `released` releases every one, this lets HR release some earlier.

use diesel::prelude::*;

use crate::auth::principal::Principal;
use crate::cycles::{Cycle, CycleLock, CycleState, lock_cycle};
use crate::db::schema::{participants, report_releases};
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::{AppError, FieldError};
use crate::events::{self, Event};

/// Releases the reports of `subjects` (all participants when `None`) in a cycle that is
/// closed or released, in one transaction. Returns how many were newly released.
pub fn release_in_cycle(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    subjects: Option<Vec<String>>,
) -> Result<usize, AppError> {
    conn.transaction(|conn| {
        // A shared lock: the cycle's state cannot change under us, other releases may run.
        let cycle = lock_cycle(conn, &principal.org_id, cycle_id, CycleLock::Share)?;
        cycle.require_state(&[CycleState::Closed, CycleState::Released], "release reports")?;
        release(conn, principal, &cycle, subjects)
    })
}

/// Releases reports to their subjects, now. Moving the cycle to `released` releases all.
pub fn release(
    conn: &mut DbConn,
    principal: &Principal,
    cycle: &Cycle,
    subjects: Option<Vec<String>>,
) -> Result<usize, AppError> {
    let participants: Vec<String> = db_run!(conn, |c| participants::table
        .filter(participants::cycle_id.eq(&cycle.id))
        .select(participants::subject_id)
        .load(c))?;
    let wanted = match subjects {
        None => participants,
        Some(ids) => {
            if let Some(stranger) = ids.iter().find(|id| !participants.contains(id)) {
                return Err(AppError::Validation(vec![FieldError::new(
                    "subject_ids",
                    "not_found",
                    format!("{stranger} is not a participant of this cycle"),
                )]));
            }
            ids
        }
    };
    let already: Vec<String> = db_run!(conn, |c| report_releases::table
        .filter(report_releases::cycle_id.eq(&cycle.id))
        .select(report_releases::subject_id)
        .load(c))?;
    let at = now();
    let by = principal.audit_name();
    let mut fresh: Vec<String> = wanted.into_iter().filter(|s| !already.contains(s)).collect();
    fresh.sort();
    fresh.dedup();
    let rows: Vec<_> = fresh
        .iter()
        .map(|s| {
            (
                report_releases::cycle_id.eq(cycle.id.clone()),
                report_releases::subject_id.eq(s.clone()),
                report_releases::released_at.eq(at),
                report_releases::released_by.eq(by.clone()),
            )
        })
        .collect();
    for chunk in rows.chunks(1000) {
        db_run!(conn, |c| diesel::insert_into(report_releases::table).values(chunk).execute(c))?;
    }
    if !fresh.is_empty() {
        let released = Event::ReportsReleased { cycle_id: cycle.id.clone(), subject_ids: fresh.clone() };
        events::record(conn, principal, released)?;
    }
    Ok(fresh.len())
}
