//! Idempotent bulk upsert keyed on the HR system's external id: each row is created,
//! updated, left unchanged or refused with its own errors, and sending the same rows
//! twice changes nothing the second time.

use std::collections::{HashMap, HashSet};

use actix_web::{post, web};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{MAX_EMAIL, MAX_TEXT, Person, chain_reaches, clean, clean_email, clean_optional, manager_links};
use crate::auth::access::{Permission, Role};
use crate::auth::principal::Principal;
use crate::db::schema::people;
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError, Problem};
use crate::events::{self, Event};
use crate::http::{parse_json, read_body};
use crate::state::AppState;

/// Most rows one bulk request or CSV import may carry.
pub const MAX_ROWS: usize = 50_000;
/// Rows per multi-row statement: well under both engines' bind-parameter limits.
const CHUNK: usize = 500;
/// Keys per lookup: one array on PostgreSQL, within SQLite's 32,766 bind parameters.
const LOOKUP_CHUNK: usize = 5_000;
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
    fn normalize(&mut self) {
        self.external_id = clean(&self.external_id);
        self.email = clean_email(&self.email);
        self.display_name = clean(&self.display_name);
        self.department = clean_optional(self.department.as_deref());
        self.title = clean_optional(self.title.as_deref());
        self.manager_external_id = clean_optional(self.manager_external_id.as_deref());
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"people": [
    {"external_id": "E-1", "email": "grace@example.com", "display_name": "Grace Hopper", "department": "Engineering", "title": "CTO"},
    {"external_id": "E-2", "email": "alan@example.com", "display_name": "Alan Turing", "department": "Research", "manager_external_id": "E-1"}
]}))]
pub struct BulkUpsertRequest {
    /// Up to 50,000 rows.
    pub people: Vec<PersonRow>,
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

/// A row that passed its own checks, on its way in.
struct Pending {
    index: usize,
    row: PersonRow,
    existing: Option<Person>,
    id: String,
    manager_id: Option<String>,
}

fn field_errors(e: validator::ValidationErrors) -> Vec<FieldError> {
    match AppError::from(e) {
        AppError::Validation(errors) => errors,
        _ => Vec::new(),
    }
}

fn load_by<'a>(
    conn: &mut DbConn,
    org_id: &str,
    keys: impl Iterator<Item = &'a String>,
    by_email: bool,
) -> Result<Vec<Person>, AppError> {
    let keys: Vec<&String> = keys.collect();
    let mut found = Vec::new();
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        let rows: Vec<Person> = db_run!(conn, |c| {
            let q = people::table.filter(people::org_id.eq(org_id)).select(Person::as_select()).into_boxed();
            let q = if by_email {
                q.filter(people::email.eq_any(chunk))
            } else {
                q.filter(people::external_id.eq_any(chunk))
            };
            q.load(c)
        })?;
        found.extend(rows);
    }
    Ok(found)
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
pub fn upsert_people(
    conn: &mut DbConn,
    principal: &Principal,
    rows: Vec<RowInput>,
    deactivate_missing: bool,
    source: &'static str,
) -> Result<BulkUpsertResponse, AppError> {
    let org_id = principal.org_id.as_str();
    let mut results: Vec<RowResult> = rows
        .iter()
        .map(|r| RowResult {
            row: r.label,
            external_id: r.external_id.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_string),
            status: RowStatus::Error,
            id: None,
            errors: Vec::new(),
        })
        .collect();

    // 1. Each row on its own, and duplicates within the request.
    let mut candidates: Vec<(usize, PersonRow)> = Vec::new();
    let mut seen_external = HashSet::new();
    let mut seen_email = HashSet::new();
    for (i, input) in rows.into_iter().enumerate() {
        let mut row = match input.row {
            Ok(row) => row,
            Err(errors) => {
                results[i].errors = errors;
                continue;
            }
        };
        row.normalize();
        if let Err(e) = row.validate() {
            results[i].errors = field_errors(e);
            continue;
        }
        if !seen_external.insert(row.external_id.clone()) {
            results[i].errors.push(FieldError::new("external_id", "duplicate", "appears in an earlier row"));
            continue;
        }
        if !seen_email.insert(row.email.clone()) {
            results[i].errors.push(FieldError::new("email", "duplicate", "appears in an earlier row"));
            continue;
        }
        candidates.push((i, row));
    }

    // 2. What is stored already, by external id and by e-mail.
    let existing: HashMap<String, Person> =
        load_by(conn, org_id, candidates.iter().map(|(_, r)| &r.external_id), false)?
            .into_iter()
            .filter_map(|p| p.external_id.clone().map(|e| (e, p)))
            .collect();
    let email_holders: HashMap<String, Person> = load_by(conn, org_id, candidates.iter().map(|(_, r)| &r.email), true)?
        .into_iter()
        .map(|p| (p.email.clone(), p))
        .collect();

    let mut pending: Vec<Pending> = Vec::new();
    for (index, row) in candidates {
        let current = existing.get(&row.external_id).cloned();
        if let Some(holder) = email_holders.get(&row.email)
            && Some(&holder.id) != current.as_ref().map(|p| &p.id)
        {
            results[index].errors.push(FieldError::new(
                "email",
                "taken",
                "another person of the organisation has this e-mail address",
            ));
            continue;
        }
        let id = current.as_ref().map(|p| p.id.clone()).unwrap_or_else(new_id);
        pending.push(Pending { index, row, existing: current, id, manager_id: None });
    }

    // 3. Managers: rows of this request, or people already stored (also when the
    // manager's own row in this request was refused).
    let wanted: Vec<String> = {
        let mut wanted: Vec<String> = pending.iter().filter_map(|p| p.row.manager_external_id.clone()).collect();
        wanted.sort();
        wanted.dedup();
        wanted
    };
    let stored_managers: HashMap<String, String> = load_by(conn, org_id, wanted.iter(), false)?
        .into_iter()
        .filter_map(|p| p.external_id.map(|e| (e, p.id)))
        .collect();
    // A refused row cannot be anyone's manager, so refusals can cascade; repeat until stable.
    loop {
        let ids: HashMap<&String, &String> = pending.iter().map(|p| (&p.row.external_id, &p.id)).collect();
        let mut refused = Vec::new();
        let mut resolved = Vec::new();
        for (pos, p) in pending.iter().enumerate() {
            let Some(manager) = &p.row.manager_external_id else {
                resolved.push(None);
                continue;
            };
            if manager == &p.row.external_id {
                refused.push((
                    pos,
                    FieldError::new("manager_external_id", "self", "a person cannot be their own manager"),
                ));
                resolved.push(None);
            } else if let Some(id) = ids.get(manager).copied().or_else(|| stored_managers.get(manager)) {
                resolved.push(Some(id.clone()));
            } else {
                refused.push((
                    pos,
                    FieldError::new(
                        "manager_external_id",
                        "not_found",
                        "no person of the organisation has this external id",
                    ),
                ));
                resolved.push(None);
            }
        }
        for (p, manager_id) in pending.iter_mut().zip(resolved) {
            p.manager_id = manager_id;
        }
        if refused.is_empty() {
            break;
        }
        for (pos, error) in refused.into_iter().rev() {
            let p = pending.remove(pos);
            results[p.index].errors.push(error);
        }
    }

    // 4. No loops in the management chain once the rows are applied.
    // Nobody stored has a person this request creates as manager, so when every row is
    // new a loop can only run through the request's own rows: the stored links (the whole
    // organisation's) are not needed.
    let all_new = pending.iter().all(|p| p.existing.is_none());
    if pending.iter().any(|p| p.manager_id.is_some()) {
        loop {
            let mut links = if all_new { HashMap::new() } else { manager_links(conn, org_id)? };
            for p in &pending {
                match &p.manager_id {
                    Some(m) => links.insert(p.id.clone(), m.clone()),
                    None => links.remove(&p.id),
                };
            }
            let looped: Vec<usize> = pending
                .iter()
                .enumerate()
                .filter(|(_, p)| p.manager_id.as_ref().is_some_and(|m| chain_reaches(&links, m, &p.id)))
                .map(|(pos, _)| pos)
                .collect();
            if looped.is_empty() {
                break;
            }
            for pos in looped.into_iter().rev() {
                let p = pending.remove(pos);
                results[p.index].errors.push(FieldError::new(
                    "manager_external_id",
                    "cycle",
                    "this manager reports, directly or not, to this person",
                ));
            }
        }
    }

    // 5. Write: new people managers-first (so every reference points backwards), then changes.
    let at = now();
    let mut inserts: Vec<(usize, Person)> = Vec::new();
    let mut updates: Vec<(usize, Person)> = Vec::new();
    for p in pending {
        let role = p.row.role.map(|r| r.as_str().to_string());
        match p.existing {
            None => inserts.push((
                p.index,
                Person {
                    id: p.id,
                    org_id: org_id.to_string(),
                    external_id: Some(p.row.external_id),
                    email: p.row.email,
                    display_name: p.row.display_name,
                    department: p.row.department,
                    title: p.row.title,
                    manager_id: p.manager_id,
                    role: role.unwrap_or_else(|| Role::Member.as_str().to_string()),
                    active: p.row.active.unwrap_or(true),
                    version: 1,
                    created_at: at,
                    updated_at: at,
                },
            )),
            Some(current) => {
                let next = Person {
                    email: p.row.email,
                    display_name: p.row.display_name,
                    department: p.row.department,
                    title: p.row.title,
                    manager_id: p.manager_id,
                    role: role.unwrap_or_else(|| current.role.clone()),
                    active: p.row.active.unwrap_or(current.active),
                    ..current.clone()
                };
                if next == current {
                    results[p.index].status = RowStatus::Unchanged;
                    results[p.index].id = Some(current.id);
                } else {
                    updates.push((p.index, Person { version: current.version + 1, updated_at: at, ..next }));
                }
            }
        }
    }
    let new_ids: HashSet<String> = inserts.iter().map(|(_, p)| p.id.clone()).collect();
    let depth = |person: &Person, by_id: &HashMap<&str, &Person>| {
        let mut depth = 0usize;
        let mut current = person;
        while let Some(manager) = current.manager_id.as_deref().and_then(|m| by_id.get(m)) {
            depth += 1;
            current = manager;
        }
        depth
    };
    let order: Vec<usize> = {
        let by_id: HashMap<&str, &Person> =
            inserts.iter().filter(|(_, p)| new_ids.contains(&p.id)).map(|(_, p)| (p.id.as_str(), p)).collect();
        let mut order: Vec<(usize, usize)> =
            inserts.iter().enumerate().map(|(pos, (_, p))| (depth(p, &by_id), pos)).collect();
        order.sort();
        order.into_iter().map(|(_, pos)| pos).collect()
    };
    let ordered: Vec<&Person> = order.iter().map(|&pos| &inserts[pos].1).collect();
    match conn {
        // One COPY: PostgreSQL takes the rows without parsing a statement per 500 of them
        // (5,000 people: 194 ms inside the engine against 273 ms as INSERTs).
        DbConn::Postgres(c) => {
            if !ordered.is_empty() {
                diesel::copy_from(people::table).from_insertable(ordered).execute(&mut **c)?;
            }
        }
        DbConn::Sqlite(c) => {
            for chunk in ordered.chunks(CHUNK) {
                diesel::insert_into(people::table).values(chunk.to_vec()).execute(&mut **c)?;
            }
        }
    }
    for (index, person) in &inserts {
        results[*index].status = RowStatus::Created;
        results[*index].id = Some(person.id.clone());
    }
    for (index, person) in &updates {
        db_run!(conn, |c| diesel::update(people::table.filter(people::id.eq(&person.id)))
            .set((
                people::email.eq(&person.email),
                people::display_name.eq(&person.display_name),
                people::department.eq(&person.department),
                people::title.eq(&person.title),
                people::manager_id.eq(&person.manager_id),
                people::role.eq(&person.role),
                people::active.eq(person.active),
                people::version.eq(person.version),
                people::updated_at.eq(person.updated_at),
            ))
            .execute(c))?;
        results[*index].status = RowStatus::Updated;
        results[*index].id = Some(person.id.clone());
    }

    // 6. A snapshot deactivates whom it leaves out.
    let mut deactivated = 0;
    if deactivate_missing {
        let listed: HashSet<&String> = results.iter().filter_map(|r| r.external_id.as_ref()).collect();
        let active: Vec<(String, Option<String>)> = db_run!(conn, |c| people::table
            .filter(people::org_id.eq(org_id))
            .filter(people::active.eq(true))
            .filter(people::external_id.is_not_null())
            .select((people::id, people::external_id))
            .load(c))?;
        let missing: Vec<String> = active
            .into_iter()
            .filter(|(_, e)| e.as_ref().is_some_and(|e| !listed.contains(e)))
            .map(|(id, _)| id)
            .collect();
        for chunk in missing.chunks(CHUNK) {
            deactivated += db_run!(conn, |c| diesel::update(people::table.filter(people::id.eq_any(chunk)))
                .set((people::active.eq(false), people::version.eq(people::version + 1), people::updated_at.eq(at)))
                .execute(c))?;
        }
    }

    let mut summary = BulkSummary { deactivated, ..Default::default() };
    for r in &results {
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
        // The planner's figure for the organisation's size is now stale. Taking a just
        // loaded organisation for an empty one, it filtered the next request's lookups
        // through all of the organisation's people: each request of 5,000 was slower than
        // the last (0.2 s to 0.8 s over ten). A small sample of the one column that
        // decides those plans is enough, and cheap.
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
    Ok(BulkUpsertResponse { summary, results })
}

/// Creates or updates many people at once, keyed on `external_id`.
///
/// Each row is independent: valid rows are applied and refused rows are reported with
/// their field errors, in one transaction. Sending the same rows again reports them all
/// `unchanged`. Managers may be rows of the same request.
#[utoipa::path(
    tag = "people",
    request_body = BulkUpsertRequest,
    responses(
        (status = 200, description = "Per-row results", body = BulkUpsertResponse),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/people/bulk")]
pub async fn bulk_upsert_people(
    principal: Principal,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<web::Json<BulkUpsertResponse>, AppError> {
    principal.require(Permission::WritePeople)?;
    let body = read_body(payload, state.max_import_bytes).await?;
    let request: BulkUpsertRequest = parse_json(&body)?;
    if request.people.len() > MAX_ROWS {
        return Err(AppError::Validation(vec![FieldError::new(
            "people",
            "length",
            format!("at most {MAX_ROWS} rows per request"),
        )]));
    }
    let rows = request.people.into_iter().enumerate().map(RowInput::from).collect();
    let response = state.db.transaction(move |conn| upsert_people(conn, &principal, rows, false, "bulk")).await?;
    Ok(web::Json(response))
}
