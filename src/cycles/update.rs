//! Changing a cycle's settings: which may change in which state, the checks of the
//! result, the optimistic write and the event, in one transaction.

use super::create::{check_dates, check_reminders, check_settings, reminder_hours, resolve_version};
use super::queries::{lock_cycle, save};
use super::{Cycle, CycleLock, CycleState, UpdateCycleRequest};
use crate::auth::principal::Principal;
use crate::db::{DbConn, now};
use crate::error::{AppError, validate};
use crate::events::{self, Event};
use crate::http::check_if_match;

/// A change request that passed its checks; only [`CycleChange::parse`] makes one.
pub struct CycleChange(UpdateCycleRequest);

impl CycleChange {
    pub fn parse(mut request: UpdateCycleRequest) -> Result<Self, AppError> {
        request.name = request.name.map(|n| n.trim().to_string());
        validate(&request)?;
        Ok(Self(request))
    }
}

/// Applies the change; `if_match` is the ETag the caller read, if they sent one.
pub fn update(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    if_match: Option<&str>,
    CycleChange(change): CycleChange,
) -> Result<Cycle, AppError> {
    conn.transaction(|conn| {
        let current = lock_cycle(conn, &principal.org_id, cycle_id, CycleLock::Update)?;
        check_if_match(if_match, &current.etag(), "cycle")?;
        let mut next = current.clone();
        let mut changed = Vec::new();
        if let Some(name) = change.name {
            next.name = name;
            changed.push("name");
        }
        if let Some(starts_at) = change.starts_at {
            next.starts_at = starts_at.map(|t| t.naive_utc());
            changed.push("starts_at");
        }
        if let Some(ends_at) = change.ends_at {
            next.ends_at = ends_at.map(|t| t.naive_utc());
            changed.push("ends_at");
        }
        if let Some(version_id) = change.framework_version_id {
            current.require_state(&[CycleState::Draft], "change the framework")?;
            next.framework_version_id = resolve_version(conn, &principal.org_id, Some(&version_id), None)?;
            changed.push("framework_version_id");
        }
        let mut anonymity = current.anonymity();
        if let Some(settings) = change.anonymity {
            current.require_state(&[CycleState::Draft, CycleState::Nominating], "change anonymity settings")?;
            anonymity = settings;
            next.anonymity = serde_json::to_string(&anonymity).map_err(AppError::internal)?;
            changed.push("anonymity");
        }
        let mut rules = current.nomination_rules();
        if let Some(new_rules) = change.nomination_rules {
            current.require_state(&[CycleState::Draft, CycleState::Nominating], "change nomination rules")?;
            rules = new_rules;
            next.nomination_rules = serde_json::to_string(&rules).map_err(AppError::internal)?;
            changed.push("nomination_rules");
        }
        if let Some(sign_in) = change.rater_sign_in {
            current.require_state(&[CycleState::Draft, CycleState::Nominating], "change how raters sign in")?;
            next.rater_sign_in = sign_in;
            changed.push("rater_sign_in");
        }
        if let Some(hours) = change.reminder_hours.map(reminder_hours) {
            current.require_state(
                &[CycleState::Draft, CycleState::Nominating, CycleState::Collecting],
                "change reminders",
            )?;
            next.reminder_hours = serde_json::to_string(&hours).map_err(AppError::internal)?;
            changed.push("reminder_hours");
        }
        let mut errors = check_dates(next.starts_at.map(|t| t.and_utc()), next.ends_at.map(|t| t.and_utc()));
        errors.extend(check_reminders(&next.reminder_hours()));
        check_settings(&anonymity, &rules, errors)?;
        if changed.is_empty() {
            return Ok(current);
        }
        next.version = current.version + 1;
        next.updated_at = now();
        save(conn, &current, &next)?;
        events::record(conn, principal, Event::CycleUpdated { cycle_id: current.id.clone(), changed })?;
        Ok(next)
    })
}
