//! The state machine's rule: which move is allowed from which state, and the guards of
//! each step. What a move sets off in other domains (invitations, sealing, release) is
//! `crate::lifecycle`'s, which calls this inside its transaction.

use std::collections::HashMap;

use diesel::prelude::*;

use super::queries::{lock_cycle, save};
use super::{Cycle, CycleLock, CycleState, NominationStatus};
use crate::anonymity::Relationship;
use crate::db::schema::{nominations, participants};
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::AppError;
use crate::http::check_if_match;

/// Moves the cycle to `to` if the rule allows it, in the caller's transaction. Returns the
/// state it left and the cycle as it now is.
pub fn transition(
    conn: &mut DbConn,
    org_id: &str,
    cycle_id: &str,
    if_match: Option<&str>,
    to: CycleState,
) -> Result<(CycleState, Cycle), AppError> {
    let current = lock_cycle(conn, org_id, cycle_id, CycleLock::Update)?;
    check_if_match(if_match, &current.etag(), "cycle")?;
    let from = current.state;
    if from.next() != Some(to) {
        let detail = match from.next() {
            Some(next) => format!("A {from} cycle can only move to {next}, not {to}."),
            None => format!("An {from} cycle cannot change state."),
        };
        return Err(AppError::conflict("invalid_transition", detail));
    }
    if matches!(to, CycleState::Nominating | CycleState::Collecting) {
        match check_minimums(conn, &current) {
            // Participants are needed from nominating on; minimums bind when collecting starts.
            Err(AppError::Conflict { code: "nominations_below_minimum", .. }) if to == CycleState::Nominating => {}
            other => other?,
        }
    }
    let mut next = current.clone();
    next.state = to;
    next.version = current.version + 1;
    next.updated_at = now();
    save(conn, &current, &next)?;
    Ok((from, next))
}

/// Why a cycle may not start collecting: no participants, or subjects with too few
/// approved raters.
fn check_minimums(conn: &mut DbConn, cycle: &Cycle) -> Result<(), AppError> {
    let rules = cycle.nomination_rules();
    let subjects: Vec<String> = db_run!(conn, |c| participants::table
        .filter(participants::cycle_id.eq(&cycle.id))
        .select(participants::subject_id)
        .load(c))?;
    if subjects.is_empty() {
        return Err(AppError::conflict("no_participants", "Add participants before moving on."));
    }
    let counts: Vec<(String, Relationship, i64)> = db_run!(conn, |c| nominations::table
        .filter(nominations::cycle_id.eq(&cycle.id))
        .filter(nominations::status.eq(NominationStatus::Approved))
        .group_by((nominations::subject_id, nominations::relationship))
        .select((nominations::subject_id, nominations::relationship, diesel::dsl::count_star()))
        .load(c))?;
    let counts: HashMap<(String, Relationship), i64> = counts.into_iter().map(|(s, r, n)| ((s, r), n)).collect();
    let mut short = Vec::new();
    for subject in &subjects {
        for relationship in Relationship::ALL {
            let Some(limit) = rules.limit(relationship) else { continue };
            let have = counts.get(&(subject.clone(), relationship)).copied().unwrap_or(0);
            if have < i64::from(limit.min) {
                short.push(format!("{subject} has {have} approved {relationship} (needs {})", limit.min));
            }
        }
    }
    if short.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = short.iter().take(5).map(String::as_str).collect();
    let more = if short.len() > 5 { format!(" and {} more", short.len() - 5) } else { String::new() };
    Err(AppError::conflict(
        "nominations_below_minimum",
        format!("Some participants lack approved raters: {}{more}.", shown.join("; ")),
    ))
}
