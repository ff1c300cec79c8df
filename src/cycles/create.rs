//! Creating a cycle in `draft`: its settings' rules, the framework version it uses, the
//! row and the event, in one transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::settings::NominationRules;
use super::{CreateCycleRequest, Cycle, CycleState, DEFAULT_REMINDER_HOURS, RaterSignIn};
use crate::anonymity::AnonymitySettings;
use crate::auth::principal::Principal;
use crate::db::schema::cycles;
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError, validate};
use crate::events::{self, Event};
use crate::frameworks;

/// A cycle request that passed its checks; only [`NewCycle::parse`] makes one.
pub struct NewCycle {
    name: String,
    framework_version_id: Option<String>,
    framework_id: Option<String>,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    anonymity: AnonymitySettings,
    nomination_rules: NominationRules,
    rater_sign_in: RaterSignIn,
    reminder_hours: Vec<u32>,
}

impl NewCycle {
    /// The name is trimmed before its length is checked, so a blank name is refused.
    pub fn parse(mut request: CreateCycleRequest) -> Result<Self, AppError> {
        request.name = request.name.trim().to_string();
        validate(&request)?;
        let anonymity = request.anonymity.unwrap_or_default();
        let nomination_rules = request.nomination_rules.unwrap_or_default();
        let reminder_hours = reminder_hours(request.reminder_hours.unwrap_or_else(|| DEFAULT_REMINDER_HOURS.to_vec()));
        let mut errors = check_dates(request.starts_at, request.ends_at);
        errors.extend(check_reminders(&reminder_hours));
        check_settings(&anonymity, &nomination_rules, errors)?;
        Ok(Self {
            name: request.name,
            framework_version_id: request.framework_version_id,
            framework_id: request.framework_id,
            starts_at: request.starts_at,
            ends_at: request.ends_at,
            anonymity,
            nomination_rules,
            rater_sign_in: request.rater_sign_in.unwrap_or_default(),
            reminder_hours,
        })
    }
}

/// Creates the cycle in the caller's organisation.
pub fn create(conn: &mut DbConn, principal: &Principal, new: NewCycle) -> Result<Cycle, AppError> {
    conn.transaction(|conn| {
        let version_id =
            resolve_version(conn, &principal.org_id, new.framework_version_id.as_deref(), new.framework_id.as_deref())?;
        let at = now();
        let cycle = Cycle {
            id: new_id(),
            org_id: principal.org_id.clone(),
            name: new.name,
            framework_version_id: version_id,
            state: CycleState::Draft,
            starts_at: new.starts_at.map(|t| t.naive_utc()),
            ends_at: new.ends_at.map(|t| t.naive_utc()),
            anonymity: serde_json::to_string(&new.anonymity).map_err(AppError::internal)?,
            nomination_rules: serde_json::to_string(&new.nomination_rules).map_err(AppError::internal)?,
            version: 1,
            created_at: at,
            updated_at: at,
            rater_sign_in: new.rater_sign_in,
            reminder_hours: serde_json::to_string(&new.reminder_hours).map_err(AppError::internal)?,
        };
        db_run!(conn, |c| diesel::insert_into(cycles::table).values(&cycle).execute(c))?;
        events::record(conn, principal, Event::CycleCreated { cycle_id: cycle.id.clone(), name: cycle.name.clone() })?;
        Ok(cycle)
    })
}

/// The framework version a cycle uses: the one named, or the newest of the framework
/// named, or the newest of the organisation's first framework.
pub fn resolve_version(
    conn: &mut DbConn,
    org_id: &str,
    framework_version_id: Option<&str>,
    framework_id: Option<&str>,
) -> Result<String, AppError> {
    let not_found =
        |field: &str| AppError::Validation(vec![FieldError::new(field, "not_found", "no such framework here")]);
    if let Some(version_id) = framework_version_id {
        return if frameworks::version_exists(conn, org_id, version_id)? {
            Ok(version_id.to_string())
        } else {
            Err(not_found("framework_version_id"))
        };
    }
    let framework_id = match framework_id {
        Some(id) => id.to_string(),
        None => frameworks::first_framework_id(conn, org_id)?.ok_or_else(|| not_found("framework_id"))?,
    };
    frameworks::latest_version_id(conn, org_id, &framework_id).map_err(|e| match e {
        AppError::NotFound => not_found("framework_id"),
        other => other,
    })
}

/// The end must come after the start.
pub fn check_dates(starts_at: Option<DateTime<Utc>>, ends_at: Option<DateTime<Utc>>) -> Vec<FieldError> {
    match (starts_at, ends_at) {
        (Some(start), Some(end)) if end <= start => {
            vec![FieldError::new("ends_at", "range", "must be after starts_at")]
        }
        _ => Vec::new(),
    }
}

/// Reminder hours as stored: latest first, each once.
pub fn reminder_hours(mut hours: Vec<u32>) -> Vec<u32> {
    hours.sort_unstable_by(|a, b| b.cmp(a));
    hours.dedup();
    hours
}

/// Each reminder between an hour and 90 days before the end.
pub fn check_reminders(hours: &[u32]) -> Vec<FieldError> {
    match hours.iter().find(|h| !(1..=2160).contains(*h)) {
        Some(h) => vec![FieldError::new("reminder_hours", "range", format!("{h} is not between 1 and 2160 hours"))],
        None => Vec::new(),
    }
}

/// 422 with every field error: the dates', the thresholds' and the nomination limits'.
pub fn check_settings(
    anonymity: &AnonymitySettings,
    rules: &NominationRules,
    mut errors: Vec<FieldError>,
) -> Result<(), AppError> {
    errors.extend(anonymity.check());
    errors.extend(rules.check());
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
}
