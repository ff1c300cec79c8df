//! Idempotent bulk upsert keyed on the HR system's external id: each row is created,
//! updated, left unchanged or refused with its own errors, and sending the same rows
//! twice changes nothing the second time.
//!
//! Three steps in one transaction: [`load_stored`] reads what the rows' keys name,
//! [`plan_upsert`] decides every row without I/O, and [`apply`] writes the decisions.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::queries::{self, Key};
use super::update::store_update;
use super::upsert_plan::{CheckedRows, Stored, UpsertPlan, check_rows, plan_upsert};
use super::{MAX_EMAIL, MAX_TEXT, Person, clean, clean_email, clean_optional};
use crate::auth::access::{Permission, Role};
use crate::auth::principal::Principal;
use crate::db::schema::people;
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError};
use crate::events::{self, Event};

/// Most rows one bulk request or CSV import may carry.
pub const MAX_ROWS: usize = 50_000;
/// Rows per multi-row statement: well under both engines' bind-parameter limits.
const CHUNK: usize = 500;
/// New people in one request after which PostgreSQL's figures are refreshed.
const REFRESH_STATISTICS_AFTER: usize = 1_000;

/// One person as the HR system knows them. The row is the whole truth for its fields:
/// an absent `department`, `title` or `manager_external_id` clears it. `role` and
/// `active`, when absent, keep their current value (new people: `member`, active).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonRow {
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub external_id: String,
    #[validate(email, length(max = MAX_EMAIL))]
    pub email: String,
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub display_name: String,
    #[validate(length(max = MAX_TEXT))]
    pub department: Option<String>,
    #[validate(length(max = MAX_TEXT))]
    pub title: Option<String>,
    /// The manager's external id: another row of the same request or a person already stored.
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub manager_external_id: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

impl PersonRow {
    pub(super) fn normalize(&mut self) {
        self.external_id = clean(&self.external_id);
        self.email = clean_email(&self.email);
        self.display_name = clean(&self.display_name);
        self.department = clean_optional(self.department.as_deref());
        self.title = clean_optional(self.title.as_deref());
        self.manager_external_id = clean_optional(self.manager_external_id.as_deref());
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    Created,
    Updated,
    Unchanged,
    Error,
}

/// What happened to one row.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowResult {
    /// Position in the request (0-based), or the CSV line number for imports.
    pub row: usize,
    pub external_id: Option<String>,
    pub status: RowStatus,
    /// The person's id, unless the row was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct BulkSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: usize,
    /// People missing from a snapshot import that were deactivated.
    pub deactivated: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkUpsertResponse {
    pub summary: BulkSummary,
    pub results: Vec<RowResult>,
}

/// One row of a bulk request or import: parsed, or refused already with its errors.
pub struct RowInput {
    /// The row's number in the caller's terms: request position or CSV line.
    pub label: usize,
    pub external_id: Option<String>,
    pub row: Result<PersonRow, Vec<FieldError>>,
}

impl From<(usize, PersonRow)> for RowInput {
    fn from((label, row): (usize, PersonRow)) -> Self {
        Self { label, external_id: Some(row.external_id.clone()), row: Ok(row) }
    }
}

/// Applies the rows in one transaction and reports per row. `deactivate_missing` makes
/// the rows a full snapshot, deactivating active people whose external id is absent.
/// `source` names the channel in the audit log.
pub fn upsert_people(
    conn: &mut DbConn,
    principal: &Principal,
    rows: Vec<RowInput>,
    deactivate_missing: bool,
    source: &'static str,
) -> Result<BulkUpsertResponse, AppError> {
    principal.require(Permission::WritePeople)?;
    let checked = check_rows(rows);
    conn.transaction(|conn| {
        let stored = load_stored(conn, &principal.org_id, &checked, deactivate_missing)?;
        let at = now();
        let plan = plan_upsert(checked, &stored, &principal.org_id, at, new_id);
        apply(conn, principal, plan, at, source)
    })
}

/// What is stored of the people the rows name: by their own and their managers' external
/// ids, by their e-mails, and (only when needed) the management graph and the snapshot's
/// candidates for deactivation.
pub fn load_stored(
    conn: &mut DbConn,
    org_id: &str,
    checked: &CheckedRows,
    deactivate_missing: bool,
) -> Result<Stored, AppError> {
    let rows = &checked.candidates;
    let mut by_external_id: HashMap<String, Person> =
        queries::find_many(conn, org_id, Key::ExternalId, rows.iter().map(|(_, r)| &r.external_id))?
            .into_iter()
            .filter_map(|p| p.external_id.clone().map(|e| (e, p)))
            .collect();
    let by_email: HashMap<String, Person> =
        queries::find_many(conn, org_id, Key::Email, rows.iter().map(|(_, r)| &r.email))?
            .into_iter()
            .map(|p| (p.email.clone(), p))
            .collect();
    // Managers that are rows themselves were looked up with the rows.
    let keys: HashSet<&String> = rows.iter().map(|(_, r)| &r.external_id).collect();
    let managers: BTreeSet<&String> =
        rows.iter().filter_map(|(_, r)| r.manager_external_id.as_ref()).filter(|m| !keys.contains(m)).collect();
    let stored_managers = queries::find_many(conn, org_id, Key::ExternalId, managers)?;
    by_external_id.extend(stored_managers.into_iter().filter_map(|p| p.external_id.clone().map(|e| (e, p))));
    // Nobody stored has a person this request creates as manager, so a loop can only run
    // through stored links when a row updates someone: otherwise the whole graph is not read.
    let updates_someone = rows.iter().any(|(_, r)| by_external_id.contains_key(&r.external_id));
    let names_manager = rows.iter().any(|(_, r)| r.manager_external_id.is_some());
    let links = if updates_someone && names_manager { queries::manager_links(conn, org_id)? } else { HashMap::new() };
    let active = if deactivate_missing { queries::active_with_external_id(conn, org_id)? } else { Vec::new() };
    Ok(Stored { by_external_id, by_email, links, active })
}

/// Writes the plan and records one audit entry for the whole request.
pub fn apply(
    conn: &mut DbConn,
    principal: &Principal,
    plan: UpsertPlan,
    at: NaiveDateTime,
    source: &'static str,
) -> Result<BulkUpsertResponse, AppError> {
    insert_new(conn, &plan.create)?;
    for (current, next) in plan.update {
        store_update(conn, &current, next, at)?;
    }
    let mut deactivated = 0;
    for chunk in plan.deactivate.chunks(CHUNK) {
        deactivated += db_run!(conn, |c| diesel::update(people::table.filter(people::id.eq_any(chunk)))
            .set((people::active.eq(false), people::version.eq(people::version + 1), people::updated_at.eq(at)))
            .execute(c))?;
    }

    let mut summary = BulkSummary { deactivated, ..Default::default() };
    for r in &plan.results {
        match r.status {
            RowStatus::Created => summary.created += 1,
            RowStatus::Updated => summary.updated += 1,
            RowStatus::Unchanged => summary.unchanged += 1,
            RowStatus::Error => summary.errors += 1,
        }
    }
    if summary.created >= REFRESH_STATISTICS_AFTER
        && let DbConn::Postgres(c) = conn
    {
        // The planner's figure for the organisation's size is now stale, and it took a just
        // loaded organisation for an empty one (BENCHMARKS.md, before and after). A small
        // sample of the one column that decides those plans is enough, and cheap.
        c.batch_execute("SET LOCAL default_statistics_target = 10; ANALYZE people (org_id)")?;
    }
    if summary.created + summary.updated + summary.deactivated > 0 {
        let upserted = Event::PeopleBulkUpserted {
            source,
            created: summary.created,
            updated: summary.updated,
            deactivated: summary.deactivated,
            refused: summary.errors,
        };
        events::record(conn, principal, upserted)?;
    }
    Ok(BulkUpsertResponse { summary, results: plan.results })
}

/// Inserts new people in the order given (managers first, so every reference points back).
fn insert_new(conn: &mut DbConn, new: &[Person]) -> Result<(), AppError> {
    match conn {
        // One COPY: PostgreSQL takes the rows without parsing a statement per 500 of them
        // (BENCHMARKS.md, before and after).
        DbConn::Postgres(c) => {
            if !new.is_empty() {
                diesel::copy_from(people::table).from_insertable(new).execute(&mut **c)?;
            }
        }
        DbConn::Sqlite(c) => {
            for chunk in new.chunks(CHUNK) {
                diesel::insert_into(people::table).values(chunk).execute(&mut **c)?;
            }
        }
    }
    Ok(())
}
