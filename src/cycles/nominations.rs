use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::participants::NewNomination;
use super::{Cycle, CycleLock, CycleState, Standing, lock_cycle, standing};
use crate::anonymity::Relationship;
use crate::auth::principal::Principal;
use crate::db::schema::{nominations, participants, people};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError, Problem, validate};
use crate::events::{self, Event};
use crate::responses;
use crate::state::AppState;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = nominations)]
pub struct Nomination {
    pub id: String,
    pub subject_id: String,
    pub rater_id: String,
    pub relationship: Relationship,
    pub status: NominationStatus,
    pub nominated_by: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum NominationStatus {
    /// Proposed by the subject, waiting for their manager or HR.
    Proposed,
    Approved,
    Rejected,
}

impl NominationStatus {
    pub const ALL: [NominationStatus; 3] = [Self::Proposed, Self::Approved, Self::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

crate::stored_as_text!(NominationStatus, "nomination status");

#[derive(Debug, Serialize, ToSchema)]
pub struct NominationResponse {
    pub id: String,
    pub subject_id: String,
    pub rater_id: String,
    pub rater_name: String,
    pub relationship: Relationship,
    pub status: NominationStatus,
    /// `client:…`, `person:…` or `system` (the directory's manager).
    pub nominated_by: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

fn respond(n: Nomination, rater_name: String) -> NominationResponse {
    NominationResponse {
        relationship: n.relationship,
        status: n.status,
        id: n.id,
        subject_id: n.subject_id,
        rater_id: n.rater_id,
        rater_name,
        nominated_by: n.nominated_by,
        decided_by: n.decided_by,
        decision_note: n.decision_note,
        created_at: n.created_at.and_utc(),
        decided_at: n.decided_at.map(|t| t.and_utc()),
    }
}

/// Holds one participant's nominations still on PostgreSQL while one is added, so two at
/// once cannot both pass the limit (SQLite serialises write transactions anyway).
fn lock_participant(conn: &mut DbConn, cycle_id: &str, subject_id: &str) -> Result<(), AppError> {
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

fn is_participant(conn: &mut DbConn, cycle_id: &str, subject_id: &str) -> Result<bool, AppError> {
    let n: i64 = db_run!(conn, |c| participants::table
        .filter(participants::cycle_id.eq(cycle_id))
        .filter(participants::subject_id.eq(subject_id))
        .count()
        .get_result(c))?;
    Ok(n > 0)
}

/// The cycle and the caller's standing towards a participant; 404 for anyone with none,
/// so that who takes part in a cycle is not disclosed to them.
fn open_participant(
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

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rater_id": "0193a5d2-8c2a-7e3d-9b5f-4f6d7c8e9fa0", "relationship": "peer"}))]
pub struct NominateRequest {
    #[validate(length(min = 1, max = 64))]
    pub rater_id: String,
    /// `manager`, `peer`, `direct_report` or `other`; the self-assessment is automatic.
    pub relationship: Relationship,
}

/// Nominates a rater for a participant.
///
/// The subject proposes (their manager or HR then decides); HR's nominations are approved
/// at once. At most the cycle's `max` per relationship, counting proposed and approved.
/// During collecting, an approved rater is invited at once.
#[utoipa::path(
    tag = "cycles",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("subject_id" = String, Path, description = "The participant's person id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first answer"),
    ),
    request_body = NominateRequest,
    responses(
        (status = 201, description = "Nominated", body = NominationResponse),
        (status = 409, description = "Already nominated, over the limit, or the cycle's state forbids it", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/cycles/{cycle_id}/participants/{subject_id}/nominations")]
pub async fn create_nomination(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<NominateRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    validate(&body)?;
    let (cycle_id, subject_id) = path.into_inner();
    let nomination = state
        .db
        .transaction(move |conn| {
            let (cycle, standing) = open_participant(conn, &principal, &cycle_id, &subject_id)?;
            match standing {
                Standing::Manager => {
                    return Err(AppError::Forbidden(
                        "Managers approve nominations; the subject or HR proposes them.".into(),
                    ));
                }
                Standing::Subject => {
                    cycle.require_state(&[CycleState::Nominating, CycleState::Collecting], "nominate raters")?
                }
                _ => cycle.require_state(
                    &[CycleState::Draft, CycleState::Nominating, CycleState::Collecting],
                    "nominate raters",
                )?,
            }
            lock_participant(conn, &cycle.id, &subject_id)?;
            let Some(limit) = cycle.nomination_rules().limit(body.relationship) else {
                return Err(AppError::Validation(vec![FieldError::new(
                    "relationship",
                    "not_allowed",
                    "the self-assessment is created automatically",
                )]));
            };
            if body.rater_id == subject_id {
                return Err(AppError::Validation(vec![FieldError::new(
                    "rater_id",
                    "self",
                    "a subject cannot rate themself as a rater",
                )]));
            }
            let rater: Option<String> = db_run!(conn, |c| people::table
                .filter(people::org_id.eq(&principal.org_id))
                .filter(people::id.eq(&body.rater_id))
                .filter(people::active.eq(true))
                .select(people::display_name)
                .first(c)
                .optional())?;
            let rater_name = rater.ok_or_else(|| {
                AppError::Validation(vec![FieldError::new("rater_id", "not_found", "no active person has this id")])
            })?;
            let existing: i64 = db_run!(conn, |c| nominations::table
                .filter(nominations::cycle_id.eq(&cycle.id))
                .filter(nominations::subject_id.eq(&subject_id))
                .filter(nominations::rater_id.eq(&body.rater_id))
                .count()
                .get_result(c))?;
            if existing > 0 {
                return Err(AppError::conflict(
                    "already_nominated",
                    "This rater is already nominated for this subject.",
                ));
            }
            let counted: i64 = db_run!(conn, |c| nominations::table
                .filter(nominations::cycle_id.eq(&cycle.id))
                .filter(nominations::subject_id.eq(&subject_id))
                .filter(nominations::relationship.eq(body.relationship))
                .filter(nominations::status.ne(NominationStatus::Rejected))
                .count()
                .get_result(c))?;
            if counted >= i64::from(limit.max) {
                return Err(AppError::conflict(
                    "nomination_limit_reached",
                    format!(
                        "This subject already has the maximum of {} {} raters.",
                        limit.max,
                        body.relationship.as_str()
                    ),
                ));
            }
            let at = now();
            let by = principal.audit_name();
            let approved = standing == Standing::Hr;
            let status = if approved { NominationStatus::Approved } else { NominationStatus::Proposed };
            let row = NewNomination {
                id: new_id(),
                org_id: principal.org_id.clone(),
                cycle_id: cycle.id.clone(),
                subject_id: subject_id.clone(),
                rater_id: body.rater_id.clone(),
                relationship: body.relationship,
                status,
                nominated_by: by.clone(),
                decided_by: approved.then(|| by.clone()),
                decision_note: None,
                created_at: at,
                decided_at: approved.then_some(at),
            };
            db_run!(conn, |c| diesel::insert_into(nominations::table).values(&row).execute(c))?;
            if approved && cycle.state == CycleState::Collecting {
                responses::invite(conn, &cycle, &subject_id, &row.rater_id, body.relationship)?;
            }
            let created = Event::NominationCreated {
                cycle_id: cycle.id.clone(),
                nomination_id: row.id.clone(),
                subject_id: subject_id.clone(),
                rater_id: row.rater_id.clone(),
                relationship: body.relationship.as_str(),
                status: status.as_str(),
            };
            events::record(conn, &principal, created)?;
            let stored = Nomination {
                id: row.id,
                subject_id: row.subject_id,
                rater_id: row.rater_id,
                relationship: row.relationship,
                status: row.status,
                nominated_by: row.nominated_by,
                decided_by: row.decided_by,
                decision_note: row.decision_note,
                created_at: row.created_at,
                decided_at: row.decided_at,
            };
            Ok(respond(stored, rater_name))
        })
        .await?;
    Ok(HttpResponse::Created().json(nomination))
}

/// A participant's nominations, for HR, the subject and the subject's manager.
#[utoipa::path(
    tag = "cycles",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("subject_id" = String, Path, description = "The participant's person id"),
    ),
    responses(
        (status = 200, description = "The nominations", body = Vec<NominationResponse>),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cycles/{cycle_id}/participants/{subject_id}/nominations")]
pub async fn list_nominations(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<web::Json<Vec<NominationResponse>>, AppError> {
    let (cycle_id, subject_id) = path.into_inner();
    let list = state
        .db
        .run(move |conn| {
            let (cycle, _) = open_participant(conn, &principal, &cycle_id, &subject_id)?;
            let rows: Vec<(Nomination, String)> = db_run!(conn, |c| nominations::table
                .inner_join(people::table.on(people::id.eq(nominations::rater_id)))
                .filter(nominations::cycle_id.eq(&cycle.id))
                .filter(nominations::subject_id.eq(&subject_id))
                .order(nominations::id.asc())
                .select((Nomination::as_select(), people::display_name))
                .load(c))?;
            Ok(rows.into_iter().map(|(n, name)| respond(n, name)).collect())
        })
        .await?;
    Ok(web::Json(list))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "approve"}))]
pub struct DecisionRequest {
    pub decision: Decision,
    /// Why, for the subject.
    #[validate(length(max = 1000))]
    pub note: Option<String>,
}

/// Approves or rejects a proposed nomination: the subject's manager or HR decides.
#[utoipa::path(
    tag = "cycles",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("nomination_id" = String, Path, description = "The nomination's id"),
    ),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "Decided", body = NominationResponse),
        (status = 409, description = "Already decided, or the cycle's state forbids it", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/cycles/{cycle_id}/nominations/{nomination_id}/decision")]
pub async fn decide_nomination(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<DecisionRequest>,
) -> Result<web::Json<NominationResponse>, AppError> {
    let body = body.into_inner();
    validate(&body)?;
    let (cycle_id, nomination_id) = path.into_inner();
    let decided = state
        .db
        .transaction(move |conn| {
            let cycle = lock_cycle(conn, &principal.org_id, &cycle_id, CycleLock::Share)?;
            let nomination: Nomination = db_run!(conn, |c| nominations::table
                .filter(nominations::cycle_id.eq(&cycle.id))
                .filter(nominations::id.eq(&nomination_id))
                .select(Nomination::as_select())
                .first(c))?;
            match standing(conn, &principal, &nomination.subject_id)? {
                Standing::Hr | Standing::Manager => {}
                Standing::Subject => {
                    return Err(AppError::Forbidden("A subject cannot approve their own nominations.".into()));
                }
                Standing::None => return Err(AppError::NotFound),
            }
            cycle.require_state(
                &[CycleState::Draft, CycleState::Nominating, CycleState::Collecting],
                "decide nominations",
            )?;
            let status = match body.decision {
                Decision::Approve => NominationStatus::Approved,
                Decision::Reject => NominationStatus::Rejected,
            };
            let at = now();
            let updated = db_run!(conn, |c| diesel::update(
                nominations::table
                    .filter(nominations::id.eq(&nomination.id))
                    .filter(nominations::status.eq(NominationStatus::Proposed))
            )
            .set((
                nominations::status.eq(status),
                nominations::decided_by.eq(Some(principal.audit_name())),
                nominations::decision_note.eq(body.note.as_deref().map(str::trim)),
                nominations::decided_at.eq(Some(at)),
            ))
            .execute(c))?;
            if updated == 0 {
                return Err(AppError::conflict(
                    "already_decided",
                    format!("This nomination is already {}.", nomination.status),
                ));
            }
            if body.decision == Decision::Approve && cycle.state == CycleState::Collecting {
                responses::invite(conn, &cycle, &nomination.subject_id, &nomination.rater_id, nomination.relationship)?;
            }
            let decided = Event::NominationDecided {
                cycle_id: cycle.id.clone(),
                nomination_id: nomination.id.clone(),
                status: status.as_str(),
            };
            events::record(conn, &principal, decided)?;
            let (stored, name): (Nomination, String) = db_run!(conn, |c| nominations::table
                .inner_join(people::table.on(people::id.eq(nominations::rater_id)))
                .filter(nominations::id.eq(&nomination.id))
                .select((Nomination::as_select(), people::display_name))
                .first(c))?;
            Ok(respond(stored, name))
        })
        .await?;
    Ok(web::Json(decided))
}
