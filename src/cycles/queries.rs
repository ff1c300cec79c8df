//! Small reads and writes of cycles that the operations share. Each takes the
//! organisation's id or a cycle already found in it, so no query crosses organisations.

use diesel::prelude::*;

use super::{Cycle, CycleLock, CycleResponse, CycleState, Standing};
use crate::auth::access::Permission;
use crate::auth::principal::{Actor, Principal};
use crate::db::DbConn;
use crate::db::schema::{cycles, participants, people};
use crate::db_run;
use crate::error::AppError;
use crate::pagination::{Page, Window};

/// The cycle with this id in this organisation, or 404.
pub fn find_cycle(conn: &mut DbConn, org_id: &str, id: &str) -> Result<Cycle, AppError> {
    Ok(db_run!(conn, |c| cycles::table
        .filter(cycles::org_id.eq(org_id))
        .filter(cycles::id.eq(id))
        .select(Cycle::as_select())
        .first(c))?)
}

/// On a read replica, 404 unless it has replayed the cycle's close. The close writes the
/// cycle's figures in one transaction with its state, so a replica that shows the cycle
/// closed has all of them; the 404 sends the read to the primary ([`DbPool::run_read`]).
///
/// [`DbPool::run_read`]: crate::db::DbPool::run_read
pub fn replayed_close(conn: &mut DbConn, cycle: &Cycle) -> Result<(), AppError> {
    if conn.is_replica() && find_cycle(conn, &cycle.org_id, &cycle.id)?.state < CycleState::Closed {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The advisory-lock class of cycles (PostgreSQL's two-key advisory locks).
const CYCLE_LOCK_CLASS: i32 = 0x5254_4331;

/// [`find_cycle`], holding the cycle until the transaction ends, so that a state checked
/// stays true until commit. SQLite needs no lock here: its write transactions take the
/// database's write lock up front (`BEGIN IMMEDIATE`).
///
/// On PostgreSQL the hold is a transaction-scoped advisory lock on the cycle's id, shared
/// or exclusive, rather than `FOR SHARE` on the one hot cycle row, whose growing multixacts
/// made submissions' latency run away (BENCHMARKS.md, before and after). Every change of
/// a cycle row goes through `Update`.
pub fn lock_cycle(conn: &mut DbConn, org_id: &str, id: &str, lock: CycleLock) -> Result<Cycle, AppError> {
    let DbConn::Postgres(c) = conn else { return find_cycle(conn, org_id, id) };
    let function = match lock {
        CycleLock::Share => "pg_advisory_xact_lock_shared",
        CycleLock::Update => "pg_advisory_xact_lock",
    };
    diesel::sql_query(format!("SELECT {function}($1, $2)"))
        .bind::<diesel::sql_types::Integer, _>(CYCLE_LOCK_CLASS)
        .bind::<diesel::sql_types::Integer, _>(lock_key(id))
        .execute(&mut **c)?;
    let query = cycles::table.filter(cycles::org_id.eq(org_id)).filter(cycles::id.eq(id)).select(Cycle::as_select());
    Ok(match lock {
        CycleLock::Share => query.first(&mut **c),
        CycleLock::Update => query.for_update().first(&mut **c),
    }?)
}

/// A 32-bit key from an id (FNV-1a). Two cycles sharing a key only wait on each other.
fn lock_key(id: &str) -> i32 {
    let hash = id.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    hash as i32
}

/// Whether the caller is HR, the subject, or the subject's manager.
pub fn standing(conn: &mut DbConn, principal: &Principal, subject_id: &str) -> Result<Standing, AppError> {
    if principal.can(Permission::ManageCycles) {
        return Ok(Standing::Hr);
    }
    let Actor::User { person_id, .. } = &principal.actor else { return Ok(Standing::None) };
    if person_id == subject_id {
        return Ok(Standing::Subject);
    }
    let manager: Option<Option<String>> = db_run!(conn, |c| people::table
        .filter(people::org_id.eq(&principal.org_id))
        .filter(people::id.eq(subject_id))
        .select(people::manager_id)
        .first(c)
        .optional())?;
    Ok(if manager.flatten().as_deref() == Some(person_id.as_str()) { Standing::Manager } else { Standing::None })
}

/// Writes `next` over `current`, failing if someone else wrote in between.
pub fn save(conn: &mut DbConn, current: &Cycle, next: &Cycle) -> Result<(), AppError> {
    let updated = db_run!(conn, |c| diesel::update(
        cycles::table.filter(cycles::id.eq(&current.id)).filter(cycles::version.eq(current.version))
    )
    .set((
        cycles::name.eq(&next.name),
        cycles::starts_at.eq(next.starts_at),
        cycles::ends_at.eq(next.ends_at),
        cycles::framework_version_id.eq(&next.framework_version_id),
        cycles::state.eq(&next.state),
        cycles::anonymity.eq(&next.anonymity),
        cycles::nomination_rules.eq(&next.nomination_rules),
        cycles::rater_sign_in.eq(next.rater_sign_in),
        cycles::reminder_hours.eq(&next.reminder_hours),
        cycles::version.eq(next.version),
        cycles::updated_at.eq(next.updated_at),
    ))
    .execute(c))?;
    if updated == 0 {
        return Err(AppError::conflict("concurrent_update", "The cycle was changed at the same moment; retry."));
    }
    Ok(())
}

/// Holds one participant's nominations still on PostgreSQL while one is added, so two at
/// once cannot both pass the limit (SQLite serialises write transactions anyway).
pub fn lock_participant(conn: &mut DbConn, cycle_id: &str, subject_id: &str) -> Result<(), AppError> {
    if let DbConn::Postgres(c) = conn {
        participants::table
            .filter(participants::cycle_id.eq(cycle_id))
            .filter(participants::subject_id.eq(subject_id))
            .select(participants::id)
            .for_update()
            .first::<String>(&mut **c)?;
    }
    Ok(())
}

pub fn is_participant(conn: &mut DbConn, cycle_id: &str, subject_id: &str) -> Result<bool, AppError> {
    let n: i64 = db_run!(conn, |c| participants::table
        .filter(participants::cycle_id.eq(cycle_id))
        .filter(participants::subject_id.eq(subject_id))
        .count()
        .get_result(c))?;
    Ok(n > 0)
}

/// The cycle and the caller's standing towards a participant; 404 for anyone with none,
/// so that who takes part in a cycle is not disclosed to them.
pub fn open_participant(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    subject_id: &str,
) -> Result<(Cycle, Standing), AppError> {
    let cycle = lock_cycle(conn, &principal.org_id, cycle_id, CycleLock::Share)?;
    let standing = standing(conn, principal, subject_id)?;
    if standing == Standing::None || !is_participant(conn, &cycle.id, subject_id)? {
        return Err(AppError::NotFound);
    }
    Ok((cycle, standing))
}

/// A page of the organisation's cycles, oldest first, optionally in one state.
pub fn cycle_page(
    conn: &mut DbConn,
    org_id: &str,
    window: &Window,
    state: Option<CycleState>,
) -> Result<Page<CycleResponse>, AppError> {
    let rows = db_run!(conn, |c| {
        let mut q = cycles::table
            .filter(cycles::org_id.eq(org_id))
            .select(Cycle::as_select())
            .order(cycles::id.asc())
            .limit(window.fetch())
            .into_boxed();
        if let Some(after) = &window.after {
            q = q.filter(cycles::id.gt(after));
        }
        if let Some(state) = state {
            q = q.filter(cycles::state.eq(state));
        }
        q.load::<Cycle>(c)
    })?;
    Ok(window.page(rows, |c| &c.id, |c| CycleResponse::from(&c)))
}
