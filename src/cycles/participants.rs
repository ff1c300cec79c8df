//! The leaders a cycle reviews: adding them (with their directory manager nominated),
//! removing them before collecting starts, and listing them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::nominations::{NewNomination, NominationStatus};
use super::queries::{find_cycle, lock_cycle};
use super::{CycleLock, CycleState};
use crate::anonymity::Relationship;
use crate::auth::principal::Principal;
use crate::db::schema::{nominations, participants, people};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError};
use crate::events::{self, Event};
use crate::pagination::{Page, Window};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = participants)]
pub struct Participant {
    pub id: String,
    pub org_id: String,
    pub cycle_id: String,
    pub subject_id: String,
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject_ids": ["0193a5d2-7b1f-7d2c-8a4f-3e5c6b7d8e9f"]}))]
pub struct SubjectsRequest {
    /// Ids of active people of the organisation (up to 1,000).
    #[validate(length(min = 1, max = 1000))]
    pub subject_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantResponse {
    pub subject_id: String,
    pub display_name: String,
    pub department: Option<String>,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantsChange {
    /// How many were added or removed.
    pub changed: usize,
    /// How many were already as asked.
    pub unchanged: usize,
}

fn distinct(ids: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|id| seen.insert(id.clone())).collect()
}

/// Adds leaders to a cycle, in the order asked. Each one's active manager in the directory
/// is nominated and approved as their `manager` rater, unless the cycle wants none.
pub fn add(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    subject_ids: Vec<String>,
) -> Result<ParticipantsChange, AppError> {
    conn.transaction(|conn| {
        let org_id = principal.org_id.as_str();
        let cycle = lock_cycle(conn, org_id, cycle_id, CycleLock::Share)?;
        cycle.require_state(&[CycleState::Draft, CycleState::Nominating], "add participants")?;
        let wanted = distinct(subject_ids);
        let managers = active_people_with_managers(conn, org_id, &wanted)?;
        let unknown: Vec<FieldError> = wanted
            .iter()
            .enumerate()
            .filter(|(_, id)| !managers.contains_key(*id))
            .map(|(i, _)| FieldError::new(format!("subject_ids[{i}]"), "not_found", "no active person has this id"))
            .collect();
        if !unknown.is_empty() {
            return Err(AppError::Validation(unknown));
        }
        let present: HashSet<String> = db_run!(conn, |c| participants::table
            .filter(participants::cycle_id.eq(&cycle.id))
            .filter(participants::subject_id.eq_any(&wanted))
            .select(participants::subject_id)
            .load::<String>(c))?
        .into_iter()
        .collect();
        let at = now();
        let fresh: Vec<&String> = wanted.iter().filter(|id| !present.contains(*id)).collect();
        let rows: Vec<Participant> = fresh
            .iter()
            .map(|subject_id| Participant {
                id: new_id(),
                org_id: org_id.to_string(),
                cycle_id: cycle.id.clone(),
                subject_id: subject_id.to_string(),
                created_at: at,
            })
            .collect();
        let listed: Vec<&String> = fresh.iter().filter_map(|s| managers[*s].as_ref()).collect();
        let active_managers =
            if cycle.nomination_rules().manager.max > 0 { active_ids(conn, org_id, &listed)? } else { HashSet::new() };
        let manager_nominations: Vec<NewNomination> = fresh
            .iter()
            .filter_map(|subject_id| {
                let manager = managers[*subject_id].as_ref().filter(|m| active_managers.contains(*m))?;
                Some(NewNomination {
                    id: new_id(),
                    org_id: org_id.to_string(),
                    cycle_id: cycle.id.clone(),
                    subject_id: subject_id.to_string(),
                    rater_id: manager.clone(),
                    relationship: Relationship::Manager,
                    status: NominationStatus::Approved,
                    nominated_by: "system".into(),
                    decided_by: Some("system".into()),
                    decision_note: Some("the subject's manager in the directory".into()),
                    created_at: at,
                    decided_at: Some(at),
                })
            })
            .collect();
        for chunk in rows.chunks(500) {
            db_run!(conn, |c| diesel::insert_into(participants::table).values(chunk).execute(c))?;
        }
        for chunk in manager_nominations.chunks(500) {
            db_run!(conn, |c| diesel::insert_into(nominations::table).values(chunk).execute(c))?;
        }
        if !rows.is_empty() {
            let subject_ids = rows.iter().map(|p| p.subject_id.clone()).collect();
            events::record(conn, principal, Event::ParticipantsAdded { cycle_id: cycle.id.clone(), subject_ids })?;
        }
        Ok(ParticipantsChange { changed: rows.len(), unchanged: present.len() })
    })
}

/// Active people among `ids`, each with their manager in the directory.
fn active_people_with_managers(
    conn: &mut DbConn,
    org_id: &str,
    ids: &[String],
) -> Result<HashMap<String, Option<String>>, AppError> {
    let found: Vec<(String, Option<String>)> = db_run!(conn, |c| people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::active.eq(true))
        .filter(people::id.eq_any(ids))
        .select((people::id, people::manager_id))
        .load(c))?;
    Ok(found.into_iter().collect())
}

/// Which of `ids` are active people of the organisation.
fn active_ids(conn: &mut DbConn, org_id: &str, ids: &[&String]) -> Result<HashSet<String>, AppError> {
    let mut active = HashSet::new();
    for chunk in ids.chunks(500) {
        let found: Vec<String> = db_run!(conn, |c| people::table
            .filter(people::org_id.eq(org_id))
            .filter(people::active.eq(true))
            .filter(people::id.eq_any(chunk))
            .select(people::id)
            .load(c))?;
        active.extend(found);
    }
    Ok(active)
}

/// Removes leaders from a cycle, with their nominations. Only before collecting starts.
pub fn remove(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    subject_ids: Vec<String>,
) -> Result<ParticipantsChange, AppError> {
    conn.transaction(|conn| {
        let cycle = lock_cycle(conn, &principal.org_id, cycle_id, CycleLock::Share)?;
        cycle.require_state(&[CycleState::Draft, CycleState::Nominating], "remove participants")?;
        let wanted = distinct(subject_ids);
        db_run!(conn, |c| diesel::delete(
            nominations::table
                .filter(nominations::cycle_id.eq(&cycle.id))
                .filter(nominations::subject_id.eq_any(&wanted))
        )
        .execute(c))?;
        let removed = db_run!(conn, |c| diesel::delete(
            participants::table
                .filter(participants::cycle_id.eq(&cycle.id))
                .filter(participants::subject_id.eq_any(&wanted))
        )
        .execute(c))?;
        if removed > 0 {
            let removed_event = Event::ParticipantsRemoved { cycle_id: cycle.id.clone(), subject_ids: wanted.clone() };
            events::record(conn, principal, removed_event)?;
        }
        Ok(ParticipantsChange { changed: removed, unchanged: wanted.len() - removed })
    })
}

/// A page of the leaders a cycle reviews, in the order they were added.
pub fn list(
    conn: &mut DbConn,
    org_id: &str,
    cycle_id: &str,
    window: &Window,
) -> Result<Page<ParticipantResponse>, AppError> {
    find_cycle(conn, org_id, cycle_id)?;
    let rows = db_run!(conn, |c| {
        let mut q = participants::table
            .inner_join(people::table)
            .filter(participants::cycle_id.eq(cycle_id))
            .select((
                participants::id,
                participants::subject_id,
                people::display_name,
                people::department,
                participants::created_at,
            ))
            .order(participants::id.asc())
            .limit(window.fetch())
            .into_boxed();
        if let Some(after) = &window.after {
            q = q.filter(participants::id.gt(after));
        }
        q.load::<(String, String, String, Option<String>, chrono::NaiveDateTime)>(c)
    })?;
    Ok(window.page(
        rows,
        |r| &r.0,
        |(_, subject_id, display_name, department, at)| ParticipantResponse {
            subject_id,
            display_name,
            department,
            added_at: at.and_utc(),
        },
    ))
}
