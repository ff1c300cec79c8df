use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{GrowthReport, load_report, render};
use crate::auth::access::Permission;
use crate::auth::principal::{Actor, Principal};
use crate::cycles::{Cycle, CycleLock, CycleState, find_cycle, lock_cycle};
use crate::db::schema::{cycles, participants, report_releases};
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::{AppError, Problem, validate};
use crate::events::{self, Event};
use crate::state::AppState;

/// The report, if this caller may read it: HR once the cycle is closed, the subject once
/// their report is released; 404 for everyone else. Every read goes to the audit log
/// before the report is sent.
async fn readable_report(
    state: &AppState,
    principal: Principal,
    cycle_id: String,
    subject_id: String,
) -> Result<GrowthReport, AppError> {
    // Roll-ups never change after close, so the reads need no transaction; the audit
    // entry is a short write of its own, which keeps readers off the writer's lock.
    state
        .db
        .run(move |conn| {
            let (cycle_id, report) = read_report(conn, &principal, &cycle_id, &subject_id)?;
            let read = Event::ReportRead { cycle_id, subject_id: report.subject_id.clone() };
            conn.transaction(|conn| events::record(conn, &principal, read))?;
            Ok(report)
        })
        .await
}

fn read_report(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    subject_id: &str,
) -> Result<(String, GrowthReport), AppError> {
    let cycle = find_cycle(conn, &principal.org_id, cycle_id)?;
    let hr = principal.can(Permission::ReadReports);
    let own = matches!(&principal.actor, Actor::User { person_id, .. } if person_id == subject_id);
    if !hr && !own {
        return Err(AppError::NotFound);
    }
    if cycle.state < CycleState::Closed {
        return Err(if hr {
            AppError::conflict("cycle_not_closed", "Reports exist once the cycle is closed.")
        } else {
            AppError::NotFound
        });
    }
    let report = load_report(conn, &cycle, subject_id)?;
    if !hr && report.released_at.is_none() {
        return Err(AppError::NotFound);
    }
    Ok((cycle.id, report))
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|part| part.trim().starts_with("text/csv")))
}

/// A leader's growth report for a cycle.
///
/// Per competency and question: mean, count, spread and distribution for self, each
/// relationship group and all others; self-versus-others gaps, blind spots and hidden
/// strengths; strengths and development areas; the cycle's norm and the subject's
/// percentile; change since their previous cycle; comments, unattributed. Figures a group
/// too small to show would give away come back as `{"suppressed": true, "reason": …}`;
/// `rules` states each rule. Send `Accept: text/csv` for a spreadsheet.
#[utoipa::path(
    tag = "reports",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("subject_id" = String, Path, description = "The subject's person id"),
    ),
    responses(
        (status = 200, description = "The report", content(
            (GrowthReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 409, description = "The cycle is not closed yet (HR only)", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cycles/{cycle_id}/reports/{subject_id}")]
pub async fn get_report(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (cycle_id, subject_id) = path.into_inner();
    let report = readable_report(&state, principal, cycle_id, subject_id).await?;
    if wants_csv(&req) {
        let body = render::csv(&report).map_err(AppError::internal)?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")))
            .body(body));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")))
        .json(report))
}

/// The report's competencies as an SVG radar chart: self, all others and the norm.
#[utoipa::path(
    tag = "reports",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("subject_id" = String, Path, description = "The subject's person id"),
    ),
    responses(
        (status = 200, description = "An SVG image", body = String, content_type = "image/svg+xml"),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cycles/{cycle_id}/reports/{subject_id}/radar.svg")]
pub async fn get_report_radar(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (cycle_id, subject_id) = path.into_inner();
    let report = readable_report(&state, principal, cycle_id, subject_id).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")))
        .body(render::radar_svg(&report)))
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject_ids": ["0193a5d2-7b1f-7d2c-8a4f-3e5c6b7d8e9f"]}))]
pub struct ReleaseRequest {
    /// The subjects whose reports to release; absent, every participant's.
    #[validate(length(min = 1, max = 10000))]
    pub subject_ids: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseResponse {
    /// Reports released by this request.
    pub released: usize,
}

/// Releases reports to their subjects, now. Moving the cycle to `released` releases all.
pub fn release(
    conn: &mut DbConn,
    principal: &Principal,
    cycle: &Cycle,
    subjects: Option<Vec<String>>,
) -> Result<usize, AppError> {
    let participants: Vec<String> = db_run!(conn, |c| participants::table
        .filter(participants::cycle_id.eq(&cycle.id))
        .select(participants::subject_id)
        .load(c))?;
    let wanted = match subjects {
        None => participants,
        Some(ids) => {
            if let Some(stranger) = ids.iter().find(|id| !participants.contains(id)) {
                return Err(AppError::Validation(vec![crate::error::FieldError::new(
                    "subject_ids",
                    "not_found",
                    format!("{stranger} is not a participant of this cycle"),
                )]));
            }
            ids
        }
    };
    let already: Vec<String> = db_run!(conn, |c| report_releases::table
        .filter(report_releases::cycle_id.eq(&cycle.id))
        .select(report_releases::subject_id)
        .load(c))?;
    let at = now();
    let by = principal.audit_name();
    let mut fresh: Vec<String> = wanted.into_iter().filter(|s| !already.contains(s)).collect();
    fresh.sort();
    fresh.dedup();
    let rows: Vec<_> = fresh
        .iter()
        .map(|s| {
            (
                report_releases::cycle_id.eq(cycle.id.clone()),
                report_releases::subject_id.eq(s.clone()),
                report_releases::released_at.eq(at),
                report_releases::released_by.eq(by.clone()),
            )
        })
        .collect();
    for chunk in rows.chunks(1000) {
        db_run!(conn, |c| diesel::insert_into(report_releases::table).values(chunk).execute(c))?;
    }
    if !fresh.is_empty() {
        let released = Event::ReportsReleased { cycle_id: cycle.id.clone(), subject_ids: fresh.clone() };
        events::record(conn, principal, released)?;
    }
    Ok(fresh.len())
}

/// Releases reports to their subjects: some, or all. Only once the cycle is closed.
#[utoipa::path(
    tag = "reports",
    params(("cycle_id" = String, Path, description = "The cycle's id")),
    request_body = ReleaseRequest,
    responses(
        (status = 200, description = "Released", body = ReleaseResponse),
        (status = 409, description = "The cycle is not closed yet", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/cycles/{cycle_id}/reports/release")]
pub async fn release_reports(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<ReleaseRequest>,
) -> Result<web::Json<ReleaseResponse>, AppError> {
    principal.require(Permission::ManageCycles)?;
    let body = body.into_inner();
    validate(&body)?;
    let cycle_id = path.into_inner();
    let released = state
        .db
        .transaction(move |conn| {
            let cycle = lock_cycle(conn, &principal.org_id, &cycle_id, CycleLock::Share)?;
            cycle.require_state(&[CycleState::Closed, CycleState::Released], "release reports")?;
            release(conn, &principal, &cycle, body.subject_ids)
        })
        .await?;
    Ok(web::Json(ReleaseResponse { released }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyReport {
    pub cycle_id: String,
    pub cycle_name: String,
    pub released_at: DateTime<Utc>,
    /// Where to read it.
    pub href: String,
}

/// The signed-in person's released reports, newest first.
#[utoipa::path(
    tag = "reports",
    responses(
        (status = 200, description = "Released reports", body = Vec<MyReport>),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/me/reports")]
pub async fn my_reports(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<MyReport>>, AppError> {
    let Actor::User { person_id, .. } = principal.actor else {
        return Err(AppError::Forbidden("This lists a person's own reports: call it with a user token.".into()));
    };
    let list = state
        .db
        .run(move |conn| {
            let rows: Vec<(String, String, chrono::NaiveDateTime)> = db_run!(conn, |c| report_releases::table
                .inner_join(cycles::table)
                .filter(cycles::org_id.eq(&principal.org_id))
                .filter(report_releases::subject_id.eq(&person_id))
                .order(report_releases::released_at.desc())
                .select((cycles::id, cycles::name, report_releases::released_at))
                .load(c))?;
            Ok(rows
                .into_iter()
                .map(|(cycle_id, cycle_name, at)| MyReport {
                    href: format!("/api/v1/cycles/{cycle_id}/reports/{person_id}"),
                    cycle_id,
                    cycle_name,
                    released_at: at.and_utc(),
                })
                .collect())
        })
        .await?;
    Ok(web::Json(list))
}
