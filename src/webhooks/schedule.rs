//! What webhooks announce on a clock rather than on a change: reminders to raters who
//! have not answered as a cycle's end nears, and once an hour the count of answers of
//! each cycle still collecting.
//!
//! `response.submitted` is counted by the hour on purpose: a message per answer, sent
//! the moment it arrived, would tell the HR system when each rater answered. Counts are
//! taken in the first minutes of each hour (after an outage, at the next hour), and each
//! message carries the counts per subject since the previous count, nothing of any rater.
//!
//! Each round is claimed by a row of `webhook_schedule` inserted in the round's own
//! transaction: however many instances tick, a round is announced once.

use std::collections::{HashMap, HashSet};

use chrono::{DurationRound, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::cycles::{Cycle, CycleState};
use crate::db::schema::{cycles, invitations, webhook_schedule, webhook_tallies};
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::AppError;
use crate::events::{self, Event};
use crate::responses::{Invitation, InvitationStatus};

const REMINDER: &str = "invitation.reminder";
const COUNT: &str = "response.submitted";

/// How late in an hour its count may still be taken; later, it waits for the next hour,
/// so that no count holds answers from well after the hour it names.
const COUNT_WITHIN_MINUTES: i64 = 10;

/// Tallies written by one statement: within both engines' bind-parameter limits.
const TALLIES_A_STATEMENT: usize = 500;

/// Runs every round due at `at`. The worker calls it with the time now; tests with the
/// time they need.
pub fn tick(conn: &mut DbConn, at: NaiveDateTime) -> Result<(), AppError> {
    remind(conn, at)?;
    count(conn, at)
}

/// Inserts the round's row; false when another instance (or an earlier tick) has it.
fn claim(conn: &mut DbConn, kind: &str, cycle_id: &str, slot: NaiveDateTime) -> Result<bool, AppError> {
    let row = (
        webhook_schedule::kind.eq(kind),
        webhook_schedule::cycle_id.eq(cycle_id),
        webhook_schedule::slot.eq(slot),
        webhook_schedule::created_at.eq(now()),
    );
    let inserted = db_run!(conn, |c| diesel::insert_into(webhook_schedule::table)
        .values(&row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

fn claimed(conn: &mut DbConn, kind: &str, cycle_id: &str) -> Result<HashSet<NaiveDateTime>, AppError> {
    let slots: Vec<NaiveDateTime> = db_run!(conn, |c| webhook_schedule::table
        .filter(webhook_schedule::kind.eq(kind))
        .filter(webhook_schedule::cycle_id.eq(cycle_id))
        .select(webhook_schedule::slot)
        .load(c))?;
    Ok(slots.into_iter().collect())
}

/// For each collecting cycle with an end still ahead, the latest reminder time passed:
/// the raters invited before that time who have neither answered nor declined. Earlier
/// times still unclaimed (the service was down, or the cycle's times changed) are
/// claimed without a message, so nobody gets two reminders at once.
fn remind(conn: &mut DbConn, at: NaiveDateTime) -> Result<(), AppError> {
    let open: Vec<Cycle> = db_run!(conn, |c| cycles::table
        .filter(cycles::state.eq(CycleState::Collecting.as_str()))
        .filter(cycles::ends_at.gt(at))
        .select(Cycle::as_select())
        .load(c))?;
    for cycle in open {
        let Some(ends_at) = cycle.ends_at else { continue };
        let done = claimed(conn, REMINDER, &cycle.id)?;
        // Latest first: hours before the end, fewest first.
        let mut passed: Vec<(u32, NaiveDateTime)> = cycle
            .reminder_hours()
            .into_iter()
            .map(|h| (h, ends_at - TimeDelta::hours(i64::from(h))))
            .filter(|(_, slot)| *slot <= at)
            .collect();
        passed.sort_by_key(|(h, _)| *h);
        for (i, (hours, slot)) in passed.into_iter().enumerate() {
            if done.contains(&slot) {
                continue;
            }
            conn.transaction(|conn| {
                if !claim(conn, REMINDER, &cycle.id, slot)? || i > 0 {
                    return Ok(());
                }
                let waiting: Vec<Invitation> = db_run!(conn, |c| invitations::table
                    .filter(invitations::cycle_id.eq(&cycle.id))
                    .filter(invitations::status.eq_any([InvitationStatus::Pending, InvitationStatus::Started]))
                    .filter(invitations::created_at.lt(slot))
                    .order(invitations::id.asc())
                    .select(Invitation::as_select())
                    .load(c))?;
                let reminders: Vec<Event> = waiting
                    .into_iter()
                    .map(|i| Event::InvitationReminder {
                        cycle_id: i.cycle_id,
                        invitation_id: i.id,
                        subject_id: i.subject_id,
                        rater_id: i.rater_id,
                        relationship: i.relationship.as_str(),
                        ends_at: ends_at.and_utc(),
                        hours_before_end: hours,
                    })
                    .collect();
                Ok::<_, AppError>(events::record_by_system(conn, &cycle.org_id, &reminders)?)
            })?;
        }
    }
    Ok(())
}

/// At the start of each hour, for each cycle collecting (or closed within the hour
/// before): the subjects whose count of answers changed since the previous count.
fn count(conn: &mut DbConn, at: NaiveDateTime) -> Result<(), AppError> {
    let hour = TimeDelta::hours(1);
    let period_end = at.duration_trunc(hour).map_err(AppError::internal)?;
    if at - period_end > TimeDelta::minutes(COUNT_WITHIN_MINUTES) {
        return Ok(());
    }
    // A cycle closed within the last day still gets the count of its last answers, after
    // an outage too; later ones have nothing left to count.
    let a_day_before = period_end - TimeDelta::hours(25);
    let recent: Vec<Cycle> = db_run!(conn, |c| cycles::table
        .filter(
            cycles::state.eq(CycleState::Collecting.as_str()).or(cycles::state
                .eq_any([CycleState::Closed.as_str(), CycleState::Released.as_str()])
                .and(cycles::updated_at.ge(a_day_before))),
        )
        .select(Cycle::as_select())
        .load(c))?;
    for cycle in recent {
        let counts_before = claimed(conn, COUNT, &cycle.id)?;
        if counts_before.contains(&period_end) {
            continue;
        }
        let since = counts_before.into_iter().max();
        // Counted before the round's transaction, which then holds SQLite's one writer
        // only to write what changed: counted inside it, a large cycle's count held every
        // submission back while it ran.
        let counts: Vec<(String, i64)> = db_run!(conn, |c| invitations::table
            .filter(invitations::cycle_id.eq(&cycle.id))
            .filter(invitations::status.eq(InvitationStatus::Submitted))
            .group_by(invitations::subject_id)
            .select((invitations::subject_id, diesel::dsl::count_star()))
            .load(c))?;
        conn.transaction(|conn| {
            if !claim(conn, COUNT, &cycle.id, period_end)? {
                return Ok(());
            }
            let before: HashMap<String, i32> = db_run!(conn, |c| webhook_tallies::table
                .filter(webhook_tallies::cycle_id.eq(&cycle.id))
                .select((webhook_tallies::subject_id, webhook_tallies::submitted))
                .load::<(String, i32)>(c))?
            .into_iter()
            .collect();
            let mut subjects: Vec<(String, i64)> = counts
                .iter()
                .filter(|(subject, n)| before.get(subject).map(|b| i64::from(*b)) != Some(*n))
                .cloned()
                .collect();
            if subjects.is_empty() {
                return Ok(());
            }
            subjects.sort();
            let submitted_in_period =
                subjects.iter().map(|(s, n)| n - before.get(s).map_or(0, |b| i64::from(*b))).sum();
            let rows: Vec<_> = subjects
                .iter()
                .map(|(subject, n)| {
                    (
                        webhook_tallies::cycle_id.eq(&cycle.id),
                        webhook_tallies::subject_id.eq(subject),
                        webhook_tallies::submitted.eq(*n as i32),
                    )
                })
                .collect();
            for chunk in rows.chunks(TALLIES_A_STATEMENT) {
                db_run!(conn, |c| diesel::insert_into(webhook_tallies::table)
                    .values(chunk)
                    .on_conflict((webhook_tallies::cycle_id, webhook_tallies::subject_id))
                    .do_update()
                    .set(webhook_tallies::submitted.eq(excluded(webhook_tallies::submitted)))
                    .execute(c))?;
            }
            let counted = Event::ResponsesCounted {
                cycle_id: cycle.id.clone(),
                period_start: since.map(|t| t.and_utc()),
                period_end: period_end.and_utc(),
                submitted: counts.iter().map(|(_, n)| n).sum(),
                submitted_in_period,
                subjects,
            };
            Ok::<_, AppError>(events::record_by_system(conn, &cycle.org_id, &[counted])?)
        })?;
    }
    Ok(())
}
