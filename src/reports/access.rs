//! Who may read a growth report, and the read itself: HR once the cycle is closed, the
//! subject once their report is released, 404 for everyone else, so that a stranger
//! learns nothing, not even whether the report exists. Every read is audited.

use super::{GrowthReport, load_report};
use crate::auth::access::Permission;
use crate::auth::principal::{Actor, Principal};
use crate::cycles::{Cycle, CycleState, find_cycle};
use crate::db::DbConn;
use crate::error::AppError;
use crate::events::{self, Event};

/// On what ground a caller reads a subject's report. A new reader (a coach a report was
/// shared with) is a new variant, with its rule in [`readable`] and [`may_read`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// Holds `ReadReports`: every report of a closed cycle, released or not.
    Hr,
    /// The subject: their own report, once released.
    Subject,
}

/// The caller's ground for reading `subject_id`'s report in `cycle`, judged before the
/// report is loaded. HR asking too early gets 409, so they know to wait; anyone else 404.
pub fn readable(principal: &Principal, cycle: &Cycle, subject_id: &str) -> Result<Reader, AppError> {
    let reader = if principal.can(Permission::ReadReports) {
        Reader::Hr
    } else if matches!(&principal.actor, Actor::User { person_id, .. } if person_id == subject_id) {
        Reader::Subject
    } else {
        return Err(AppError::NotFound);
    };
    if cycle.state < CycleState::Closed {
        return Err(match reader {
            Reader::Hr => AppError::conflict("cycle_not_closed", "Reports exist once the cycle is closed."),
            Reader::Subject => AppError::NotFound,
        });
    }
    Ok(reader)
}

/// Whether `reader` may see `report` as loaded: only HR sees it before its release.
pub fn may_read(reader: Reader, report: &GrowthReport) -> bool {
    match reader {
        Reader::Hr => true,
        Reader::Subject => report.released_at.is_some(),
    }
}

/// The report, if this caller may read it, with the read recorded before it is returned.
pub fn read_report(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    subject_id: &str,
) -> Result<GrowthReport, AppError> {
    // Roll-ups never change after close, so the reads need no transaction; the audit
    // entry is a short write of its own, which keeps readers off the writer's lock.
    let cycle = find_cycle(conn, &principal.org_id, cycle_id)?;
    let reader = readable(principal, &cycle, subject_id)?;
    let report = load_report(conn, &cycle, subject_id)?;
    if !may_read(reader, &report) {
        return Err(AppError::NotFound);
    }
    let read = Event::ReportRead { cycle_id: cycle.id, subject_id: report.subject_id.clone() };
    conn.transaction(|conn| events::record(conn, principal, read))?;
    Ok(report)
}
