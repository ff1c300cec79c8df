//! Who may read a growth report, and the read itself: HR once the cycle is closed, the
//! subject once their report is released, a coach the subject shared it with (what was
//! shared, while the share stands), and 404 for everyone else, so that a stranger learns
//! nothing, not even whether the report exists. Every read is audited.

use std::collections::BTreeSet;

use diesel::prelude::*;

use super::{GrowthReport, load_report};
use crate::auth::access::Permission;
use crate::auth::principal::{Actor, Principal};
use crate::cycles::{Cycle, CycleState, find_cycle};
use crate::db::schema::{coaching_members, coaching_relationships, report_shares};
use crate::db::{DbConn, DbPool};
use crate::db_run;
use crate::error::AppError;
use crate::events::{Event, ReadLog};

/// On what ground a caller reads a subject's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reader {
    /// Holds `ReadReports`: every report of a closed cycle, released or not.
    Hr,
    /// The subject: their own report, once released.
    Subject,
    /// A member of a coaching relationship the subject shared the report with: the
    /// shared competencies (`None`, the whole report), through these shares.
    Coach { share_ids: Vec<String>, competencies: Option<BTreeSet<String>> },
}

/// The caller's ground for reading `subject_id`'s report in `cycle`, judged before the
/// report is loaded, shares aside ([`shared_with`]). HR asking too early gets 409, so
/// they know to wait; anyone else 404.
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
            _ => AppError::NotFound,
        });
    }
    Ok(reader)
}

/// What the subject's standing shares give the caller, if the caller is a fellow member
/// of a relationship one was made for: the union of what they share.
pub fn shared_with(
    conn: &mut DbConn,
    principal: &Principal,
    cycle: &Cycle,
    subject_id: &str,
) -> Result<Option<Reader>, AppError> {
    let Some(person_id) = principal.person_id().filter(|me| *me != subject_id) else { return Ok(None) };
    let shares: Vec<(String, Option<String>)> = db_run!(conn, |c| report_shares::table
        .inner_join(coaching_members::table.on(coaching_members::relationship_id.eq(report_shares::relationship_id)))
        .inner_join(coaching_relationships::table.on(coaching_relationships::id.eq(report_shares::relationship_id)))
        // Shown once every member has accepted, while the relationship lasts (statuses as
        // coaching stores them; reports cannot import coaching, which imports reports).
        .filter(coaching_relationships::status.eq_any(["active", "paused"]))
        .filter(report_shares::org_id.eq(&principal.org_id))
        .filter(report_shares::cycle_id.eq(&cycle.id))
        .filter(report_shares::subject_id.eq(subject_id))
        .filter(report_shares::revoked_at.is_null())
        .filter(coaching_members::person_id.eq(person_id))
        .select((report_shares::id, report_shares::competency_keys))
        .order(report_shares::id.asc())
        .load(c))?;
    if shares.is_empty() {
        return Ok(None);
    }
    let mut competencies = Some(BTreeSet::new());
    for (_, keys) in &shares {
        match (keys, competencies.as_mut()) {
            (None, _) => competencies = None,
            (Some(json), Some(set)) => {
                set.extend(serde_json::from_str::<Vec<String>>(json).map_err(AppError::internal)?)
            }
            (Some(_), None) => {}
        }
    }
    Ok(Some(Reader::Coach { share_ids: shares.into_iter().map(|(id, _)| id).collect(), competencies }))
}

/// Whether `reader` may see `report` as loaded: only HR sees it before its release.
pub fn may_read(reader: &Reader, report: &GrowthReport) -> bool {
    match reader {
        Reader::Hr => true,
        Reader::Subject | Reader::Coach { .. } => report.released_at.is_some(),
    }
}

/// The report, if this caller may read it, returned once the read is recorded: the
/// reads that arrive together are recorded in one commit ([`ReadLog`]).
///
/// Who may read it is decided on the primary, so a share revoked there counts at once;
/// the report, which never changes once the cycle is closed but for its release, is read
/// from the replica when there is one ([`DbPool::run_then_read`]).
pub async fn read_report(
    db: &DbPool,
    log: &ReadLog,
    principal: Principal,
    cycle_id: String,
    subject_id: String,
) -> Result<GrowthReport, AppError> {
    let subject = subject_id.clone();
    let ((principal, cycle, reader), report) = db
        .run_then_read(
            move |conn| {
                let (cycle, reader) = admit(conn, &principal, &cycle_id, &subject_id)?;
                Ok((principal, cycle, reader))
            },
            move |conn, (_, cycle, reader)| {
                // Roll-ups never change after close, so the reads need no transaction.
                let report = load_report(conn, cycle, &subject)?;
                if may_read(reader, &report) { Ok(report) } else { Err(AppError::NotFound) }
            },
        )
        .await?;
    let (report, share_ids) = match reader {
        Reader::Coach { share_ids, competencies } => (report.as_shared(competencies.as_ref()), share_ids),
        Reader::Hr | Reader::Subject => (report, Vec::new()),
    };
    let read = Event::ReportRead { cycle_id: cycle.id, subject_id: report.subject_id.clone(), share_ids };
    log.record(&principal, read).await?;
    Ok(report)
}

/// The cycle and the caller's ground for reading `subject_id`'s report in it.
fn admit(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    subject_id: &str,
) -> Result<(Cycle, Reader), AppError> {
    let cycle = find_cycle(conn, &principal.org_id, cycle_id)?;
    let reader = match readable(principal, &cycle, subject_id) {
        Err(AppError::NotFound) => shared_with(conn, principal, &cycle, subject_id)?.ok_or(AppError::NotFound)?,
        other => other?,
    };
    Ok((cycle, reader))
}
