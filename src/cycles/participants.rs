use std::collections::HashSet;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::nominations::NominationStatus;
use super::{CycleLock, CycleState, find_cycle, lock_cycle};
use crate::anonymity::Relationship;
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::db::schema::{nominations, participants, people};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError, Problem, validate};
use crate::events::{self, Event};
use crate::pagination::{Page, Window};
use crate::state::AppState;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = participants)]
pub struct Participant {
    pub id: String,
    pub org_id: String,
    pub cycle_id: String,
    pub subject_id: String,
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = nominations)]
pub struct NewNomination {
    pub id: String,
    pub org_id: String,
    pub cycle_id: String,
    pub subject_id: String,
    pub rater_id: String,
    pub relationship: Relationship,
    pub status: NominationStatus,
    pub nominated_by: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub decided_at: Option<chrono::NaiveDateTime>,
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

/// Adds leaders to a cycle. Each one's manager in the directory is nominated and approved
/// as their `manager` rater; the self-assessment is created when collecting starts.
/// Adding someone already in the cycle changes nothing.
#[utoipa::path(
    tag = "cycles",
    params(("cycle_id" = String, Path, description = "The cycle's id")),
    request_body = SubjectsRequest,
    responses(
        (status = 200, description = "Added", body = ParticipantsChange),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/cycles/{cycle_id}/participants")]
pub async fn add_participants(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<SubjectsRequest>,
) -> Result<web::Json<ParticipantsChange>, AppError> {
    principal.require(Permission::ManageCycles)?;
    let body = body.into_inner();
    validate(&body)?;
    let cycle_id = path.into_inner();
    let change = state
        .db
        .transaction(move |conn| {
            let org_id = principal.org_id.clone();
            let cycle = lock_cycle(conn, &org_id, &cycle_id, CycleLock::Share)?;
            cycle.require_state(&[CycleState::Draft, CycleState::Nominating], "add participants")?;
            let wanted = distinct(body.subject_ids);
            let found: Vec<(String, Option<String>)> = db_run!(conn, |c| people::table
                .filter(people::org_id.eq(&org_id))
                .filter(people::active.eq(true))
                .filter(people::id.eq_any(&wanted))
                .select((people::id, people::manager_id))
                .load(c))?;
            if found.len() != wanted.len() {
                let known: HashSet<&String> = found.iter().map(|(id, _)| id).collect();
                let errors = wanted
                    .iter()
                    .enumerate()
                    .filter(|(_, id)| !known.contains(id))
                    .map(|(i, _)| {
                        FieldError::new(format!("subject_ids[{i}]"), "not_found", "no active person has this id")
                    })
                    .collect();
                return Err(AppError::Validation(errors));
            }
            let present: HashSet<String> = db_run!(conn, |c| participants::table
                .filter(participants::cycle_id.eq(&cycle.id))
                .filter(participants::subject_id.eq_any(&wanted))
                .select(participants::subject_id)
                .load::<String>(c))?
            .into_iter()
            .collect();
            let at = now();
            let fresh: Vec<&(String, Option<String>)> = found.iter().filter(|(id, _)| !present.contains(id)).collect();
            let rows: Vec<Participant> = fresh
                .iter()
                .map(|(subject_id, _)| Participant {
                    id: new_id(),
                    org_id: org_id.clone(),
                    cycle_id: cycle.id.clone(),
                    subject_id: subject_id.clone(),
                    created_at: at,
                })
                .collect();
            // The directory's manager is nominated unless the cycle wants no manager raters.
            let managers = if cycle.nomination_rules().manager.max > 0 {
                active_managers(conn, &org_id, &fresh)?
            } else {
                HashSet::new()
            };
            let manager_nominations: Vec<NewNomination> = fresh
                .iter()
                .filter_map(|(subject_id, manager)| {
                    let manager = manager.as_ref().filter(|m| managers.contains(*m))?;
                    Some(NewNomination {
                        id: new_id(),
                        org_id: org_id.clone(),
                        cycle_id: cycle.id.clone(),
                        subject_id: subject_id.clone(),
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
                events::record(conn, &principal, Event::ParticipantsAdded { cycle_id: cycle.id.clone(), subject_ids })?;
            }
            Ok(ParticipantsChange { changed: rows.len(), unchanged: present.len() })
        })
        .await?;
    Ok(web::Json(change))
}

fn active_managers(
    conn: &mut DbConn,
    org_id: &str,
    subjects: &[&(String, Option<String>)],
) -> Result<HashSet<String>, AppError> {
    let ids: Vec<&String> = subjects.iter().filter_map(|(_, m)| m.as_ref()).collect();
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
#[utoipa::path(
    tag = "cycles",
    params(("cycle_id" = String, Path, description = "The cycle's id")),
    request_body = SubjectsRequest,
    responses(
        (status = 200, description = "Removed", body = ParticipantsChange),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/cycles/{cycle_id}/participants/remove")]
pub async fn remove_participants(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<SubjectsRequest>,
) -> Result<web::Json<ParticipantsChange>, AppError> {
    principal.require(Permission::ManageCycles)?;
    let body = body.into_inner();
    validate(&body)?;
    let cycle_id = path.into_inner();
    let change = state
        .db
        .transaction(move |conn| {
            let cycle = lock_cycle(conn, &principal.org_id, &cycle_id, CycleLock::Share)?;
            cycle.require_state(&[CycleState::Draft, CycleState::Nominating], "remove participants")?;
            let wanted = distinct(body.subject_ids);
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
                let subject_ids = wanted.clone();
                events::record(
                    conn,
                    &principal,
                    Event::ParticipantsRemoved { cycle_id: cycle.id.clone(), subject_ids },
                )?;
            }
            Ok(ParticipantsChange { changed: removed, unchanged: wanted.len() - removed })
        })
        .await?;
    Ok(web::Json(change))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParticipantsQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The leaders a cycle reviews.
#[utoipa::path(
    tag = "cycles",
    params(("cycle_id" = String, Path, description = "The cycle's id"), ListParticipantsQuery),
    responses(
        (status = 200, description = "A page of participants", body = Page<ParticipantResponse>),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cycles/{cycle_id}/participants")]
pub async fn list_participants(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ListParticipantsQuery>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ReadCycleDetails)?;
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let fetch = window.clone();
    let cycle_id = path.into_inner();
    let rows = state
        .db
        .run(move |conn| {
            find_cycle(conn, &principal.org_id, &cycle_id)?;
            Ok(db_run!(conn, |c| {
                let mut q = participants::table
                    .inner_join(people::table)
                    .filter(participants::cycle_id.eq(&cycle_id))
                    .select((
                        participants::id,
                        participants::subject_id,
                        people::display_name,
                        people::department,
                        participants::created_at,
                    ))
                    .order(participants::id.asc())
                    .limit(fetch.fetch())
                    .into_boxed();
                if let Some(after) = &fetch.after {
                    q = q.filter(participants::id.gt(after));
                }
                q.load::<(String, String, String, Option<String>, chrono::NaiveDateTime)>(c)
            })?)
        })
        .await?;
    let page = window.page(
        rows,
        |r| &r.0,
        |(_, subject_id, display_name, department, at)| ParticipantResponse {
            subject_id,
            display_name,
            department,
            added_at: at.and_utc(),
        },
    );
    Ok(HttpResponse::Ok().json(page))
}
