use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::settings::NominationRules;
use super::{Cycle, CycleLock, CycleResponse, CycleState, find_cycle, lock_cycle};
use crate::anonymity::AnonymitySettings;
use crate::anonymity::Relationship;
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::db::schema::{cycles, framework_versions, frameworks, nominations, participants};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError, Problem, validate};
use crate::events::{self, Event, StateChangeEffect};
use crate::frameworks::latest_version_id;
use crate::http::{check_if_match, if_match};
use crate::nullable::nullable;
use crate::pagination::{Page, Window};
use crate::reports;
use crate::responses;
use crate::state::AppState;

fn with_etag(mut response: actix_web::HttpResponseBuilder, cycle: &Cycle) -> HttpResponse {
    response.insert_header((header::ETAG, cycle.etag())).json(CycleResponse::from(cycle))
}

fn check_dates(starts_at: Option<DateTime<Utc>>, ends_at: Option<DateTime<Utc>>) -> Vec<FieldError> {
    match (starts_at, ends_at) {
        (Some(start), Some(end)) if end <= start => {
            vec![FieldError::new("ends_at", "range", "must be after starts_at")]
        }
        _ => Vec::new(),
    }
}

fn check_settings(
    anonymity: &AnonymitySettings,
    rules: &NominationRules,
    mut errors: Vec<FieldError>,
) -> Result<(), AppError> {
    errors.extend(anonymity.check());
    errors.extend(rules.check());
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Leadership 360 — spring 2026", "starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-03-21T00:00:00Z"}))]
pub struct CreateCycleRequest {
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// The framework version to use. Or give `framework_id` for its newest version;
    /// with neither, the organisation's first framework is used.
    pub framework_version_id: Option<String>,
    pub framework_id: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Default: 3 for peers, direct reports and others, the manager attributed, comments 3.
    pub anonymity: Option<AnonymitySettings>,
    pub nomination_rules: Option<NominationRules>,
}

/// The framework version a cycle uses: the one named, or the newest of the framework
/// named, or the newest of the organisation's first framework.
fn resolve_version(
    conn: &mut DbConn,
    org_id: &str,
    framework_version_id: Option<&str>,
    framework_id: Option<&str>,
) -> Result<String, AppError> {
    let not_found =
        |field: &str| AppError::Validation(vec![FieldError::new(field, "not_found", "no such framework here")]);
    if let Some(version_id) = framework_version_id {
        let found: i64 = db_run!(conn, |c| framework_versions::table
            .filter(framework_versions::org_id.eq(org_id))
            .filter(framework_versions::id.eq(version_id))
            .count()
            .get_result(c))?;
        return if found == 1 { Ok(version_id.to_string()) } else { Err(not_found("framework_version_id")) };
    }
    let framework_id = match framework_id {
        Some(id) => id.to_string(),
        None => db_run!(conn, |c| frameworks::table
            .filter(frameworks::org_id.eq(org_id))
            .order(frameworks::id.asc())
            .select(frameworks::id)
            .first::<String>(c))
        .map_err(|_| not_found("framework_id"))?,
    };
    latest_version_id(conn, org_id, &framework_id).map_err(|_| not_found("framework_id"))
}

/// Creates a cycle in `draft`.
#[utoipa::path(
    tag = "cycles",
    request_body = CreateCycleRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first answer")),
    responses(
        (status = 201, description = "Created", body = CycleResponse, headers(("etag" = String), ("location" = String))),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/cycles")]
pub async fn create_cycle(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<CreateCycleRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageCycles)?;
    let mut body = body.into_inner();
    body.name = body.name.trim().to_string();
    validate(&body)?;
    let anonymity = body.anonymity.clone().unwrap_or_default();
    let rules = body.nomination_rules.clone().unwrap_or_default();
    check_settings(&anonymity, &rules, check_dates(body.starts_at, body.ends_at))?;
    let cycle = state
        .db
        .transaction(move |conn| {
            let version_id = resolve_version(
                conn,
                &principal.org_id,
                body.framework_version_id.as_deref(),
                body.framework_id.as_deref(),
            )?;
            let at = now();
            let cycle = Cycle {
                id: new_id(),
                org_id: principal.org_id.clone(),
                name: body.name.trim().to_string(),
                framework_version_id: version_id,
                state: CycleState::Draft,
                starts_at: body.starts_at.map(|t| t.naive_utc()),
                ends_at: body.ends_at.map(|t| t.naive_utc()),
                anonymity: serde_json::to_string(&anonymity).map_err(AppError::internal)?,
                nomination_rules: serde_json::to_string(&rules).map_err(AppError::internal)?,
                version: 1,
                created_at: at,
                updated_at: at,
            };
            db_run!(conn, |c| diesel::insert_into(cycles::table).values(&cycle).execute(c))?;
            events::record(
                conn,
                &principal,
                Event::CycleCreated { cycle_id: cycle.id.clone(), name: cycle.name.clone() },
            )?;
            Ok(cycle)
        })
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/api/v1/cycles/{}", cycle.id)));
    Ok(with_etag(response, &cycle))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListCyclesQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only cycles in this state.
    pub state: Option<CycleState>,
}

/// Lists the organisation's cycles, oldest first.
#[utoipa::path(
    tag = "cycles",
    params(ListCyclesQuery),
    responses(
        (status = 200, description = "A page of cycles", body = Page<CycleResponse>),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cycles")]
pub async fn list_cycles(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListCyclesQuery>,
) -> Result<web::Json<Page<CycleResponse>>, AppError> {
    principal.require(Permission::ReadCycles)?;
    let query = query.into_inner();
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let fetch = window.clone();
    let rows = state
        .db
        .run(move |conn| {
            Ok(db_run!(conn, |c| {
                let mut q = cycles::table
                    .filter(cycles::org_id.eq(&principal.org_id))
                    .select(Cycle::as_select())
                    .order(cycles::id.asc())
                    .limit(fetch.fetch())
                    .into_boxed();
                if let Some(after) = &fetch.after {
                    q = q.filter(cycles::id.gt(after));
                }
                if let Some(state) = query.state {
                    q = q.filter(cycles::state.eq(state.as_str()));
                }
                q.load::<Cycle>(c)
            })?)
        })
        .await?;
    Ok(web::Json(window.page(rows, |c| &c.id, |c| CycleResponse::from(&c))))
}

/// One cycle.
#[utoipa::path(
    tag = "cycles",
    params(("cycle_id" = String, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "The cycle", body = CycleResponse, headers(("etag" = String))),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cycles/{cycle_id}")]
pub async fn get_cycle(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ReadCycles)?;
    let id = path.into_inner();
    let cycle = state.db.run(move |conn| find_cycle(conn, &principal.org_id, &id)).await?;
    Ok(with_etag(HttpResponse::Ok(), &cycle))
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ends_at": "2026-03-28T00:00:00Z", "anonymity": {"peer": 4}}))]
pub struct UpdateCycleRequest {
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub starts_at: Option<Option<DateTime<Utc>>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub ends_at: Option<Option<DateTime<Utc>>>,
    /// Only in `draft`.
    pub framework_version_id: Option<String>,
    /// Replaces the settings (absent fields take their defaults). Frozen once collecting starts.
    pub anonymity: Option<AnonymitySettings>,
    /// Replaces the limits. Only before collecting starts.
    pub nomination_rules: Option<NominationRules>,
}

/// Changes a cycle's settings. Send `If-Match` with the ETag you read (412 if it moved on).
#[utoipa::path(
    tag = "cycles",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    request_body = UpdateCycleRequest,
    responses(
        (status = 200, description = "Updated", body = CycleResponse, headers(("etag" = String))),
        (status = 409, description = "The cycle's state does not allow this change", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/cycles/{cycle_id}")]
pub async fn update_cycle(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<UpdateCycleRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageCycles)?;
    let mut body = body.into_inner();
    body.name = body.name.map(|n| n.trim().to_string());
    validate(&body)?;
    let id = path.into_inner();
    let tag = if_match(&req);
    let cycle = state
        .db
        .transaction(move |conn| {
            let current = lock_cycle(conn, &principal.org_id, &id, CycleLock::Update)?;
            check_if_match(tag.as_deref(), &current.etag(), "cycle")?;
            let mut next = current.clone();
            let mut changed = Vec::new();
            if let Some(name) = body.name {
                next.name = name.trim().to_string();
                changed.push("name");
            }
            if let Some(starts_at) = body.starts_at {
                next.starts_at = starts_at.map(|t| t.naive_utc());
                changed.push("starts_at");
            }
            if let Some(ends_at) = body.ends_at {
                next.ends_at = ends_at.map(|t| t.naive_utc());
                changed.push("ends_at");
            }
            if let Some(version_id) = body.framework_version_id {
                current.require_state(&[CycleState::Draft], "change the framework")?;
                next.framework_version_id = resolve_version(conn, &principal.org_id, Some(&version_id), None)?;
                changed.push("framework_version_id");
            }
            let mut anonymity = current.anonymity();
            if let Some(settings) = body.anonymity {
                current.require_state(&[CycleState::Draft, CycleState::Nominating], "change anonymity settings")?;
                anonymity = settings;
                next.anonymity = serde_json::to_string(&anonymity).map_err(AppError::internal)?;
                changed.push("anonymity");
            }
            let mut rules = current.nomination_rules();
            if let Some(new_rules) = body.nomination_rules {
                current.require_state(&[CycleState::Draft, CycleState::Nominating], "change nomination rules")?;
                rules = new_rules;
                next.nomination_rules = serde_json::to_string(&rules).map_err(AppError::internal)?;
                changed.push("nomination_rules");
            }
            let dates = check_dates(next.starts_at.map(|t| t.and_utc()), next.ends_at.map(|t| t.and_utc()));
            check_settings(&anonymity, &rules, dates)?;
            if changed.is_empty() {
                return Ok(current);
            }
            next.version = current.version + 1;
            next.updated_at = now();
            save(conn, &current, &next)?;
            events::record(conn, &principal, Event::CycleUpdated { cycle_id: id, changed })?;
            Ok(next)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &cycle))
}

/// Writes `next` over `current`, failing if someone else wrote in between.
fn save(conn: &mut DbConn, current: &Cycle, next: &Cycle) -> Result<(), AppError> {
    let updated = db_run!(conn, |c| diesel::update(
        cycles::table.filter(cycles::id.eq(&current.id)).filter(cycles::version.eq(current.version))
    )
    .set((
        cycles::name.eq(&next.name),
        cycles::starts_at.eq(next.starts_at),
        cycles::ends_at.eq(next.ends_at),
        cycles::framework_version_id.eq(&next.framework_version_id),
        cycles::state.eq(&next.state),
        cycles::anonymity.eq(&next.anonymity),
        cycles::nomination_rules.eq(&next.nomination_rules),
        cycles::version.eq(next.version),
        cycles::updated_at.eq(next.updated_at),
    ))
    .execute(c))?;
    if updated == 0 {
        return Err(AppError::conflict("concurrent_update", "The cycle was changed at the same moment; retry."));
    }
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "collecting"}))]
pub struct TransitionRequest {
    /// The next state: cycles go `draft → nominating → collecting → closed → released → archived`.
    pub to: CycleState,
}

/// Why a cycle may not start collecting: subjects with too few approved raters.
fn check_minimums(conn: &mut DbConn, cycle: &Cycle) -> Result<(), AppError> {
    let rules = cycle.nomination_rules();
    let subjects: Vec<String> = db_run!(conn, |c| participants::table
        .filter(participants::cycle_id.eq(&cycle.id))
        .select(participants::subject_id)
        .load(c))?;
    if subjects.is_empty() {
        return Err(AppError::conflict("no_participants", "Add participants before moving on."));
    }
    let counts: Vec<(String, String, i64)> = db_run!(conn, |c| nominations::table
        .filter(nominations::cycle_id.eq(&cycle.id))
        .filter(nominations::status.eq("approved"))
        .group_by((nominations::subject_id, nominations::relationship))
        .select((nominations::subject_id, nominations::relationship, diesel::dsl::count_star()))
        .load(c))?;
    let counts: HashMap<(String, String), i64> = counts.into_iter().map(|(s, r, n)| ((s, r), n)).collect();
    let mut short = Vec::new();
    for subject in &subjects {
        for relationship in Relationship::ALL {
            let Some(limit) = rules.limit(relationship) else { continue };
            let have = counts.get(&(subject.clone(), relationship.as_str().to_string())).copied().unwrap_or(0);
            if have < i64::from(limit.min) {
                short.push(format!("{subject} has {have} approved {} (needs {})", relationship.as_str(), limit.min));
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

/// Moves a cycle to its next state, with the guards of each step.
///
/// - to `nominating` or `collecting`: the cycle needs participants; to `collecting`, every
///   participant needs the minimum of approved raters. Collecting creates the invitations
///   (one per approved rater, and the self-assessment) and freezes the anonymity settings.
/// - to `closed`: no more answers; unsubmitted drafts are discarded, invitation links stop
///   working, and the answers are rewritten in content order so that nothing links them to
///   the order in which raters submitted.
/// - to `released`, then `archived`.
#[utoipa::path(
    tag = "cycles",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "The cycle in its new state", body = CycleResponse, headers(("etag" = String))),
        (status = 409, description = "Not allowed from this state, or a guard failed", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/cycles/{cycle_id}/transitions")]
pub async fn transition_cycle(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<TransitionRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageCycles)?;
    let to = body.into_inner().to;
    let id = path.into_inner();
    let tag = if_match(&req);
    let cycle = state
        .db
        .transaction(move |conn| {
            let current = lock_cycle(conn, &principal.org_id, &id, CycleLock::Update)?;
            check_if_match(tag.as_deref(), &current.etag(), "cycle")?;
            let from = current.state;
            if from.next() != Some(to) {
                let detail = match from.next() {
                    Some(next) => format!("A {from} cycle can only move to {next}, not {to}."),
                    None => format!("An {from} cycle cannot change state."),
                };
                return Err(AppError::conflict("invalid_transition", detail));
            }
            match to {
                CycleState::Nominating | CycleState::Collecting => {
                    check_minimums(conn, &current).or_else(|e| match (&e, to) {
                        // Minimums bind when collecting starts, not before.
                        (AppError::Conflict { code: "nominations_below_minimum", .. }, CycleState::Nominating) => {
                            Ok(())
                        }
                        _ => Err(e),
                    })?;
                }
                _ => {}
            }
            let mut next = current.clone();
            next.state = to;
            next.version = current.version + 1;
            next.updated_at = now();
            save(conn, &current, &next)?;
            let effect = match to {
                CycleState::Collecting => {
                    Some(StateChangeEffect::InvitationsOpened(responses::open_invitations(conn, &next)?))
                }
                CycleState::Closed => Some(StateChangeEffect::AnswersSealed(reports::close_cycle(conn, &next)?)),
                CycleState::Released => {
                    Some(StateChangeEffect::ReportsReleased(reports::release(conn, &principal, &next, None)?))
                }
                _ => None,
            };
            let changed = Event::CycleStateChanged { cycle_id: id, from: from.as_str(), to: to.as_str(), effect };
            events::record(conn, &principal, changed)?;
            Ok(next)
        })
        .await?;
    if cycle.state == CycleState::Closed {
        // Outside the closing transaction: neither engine can do this inside one.
        let started = std::time::Instant::now();
        match state.db.run(|conn| conn.purge_deleted_rows()).await {
            Ok(()) => tracing::info!(purge_ms = started.elapsed().as_millis() as u64, "closing: deleted rows purged"),
            Err(e) => tracing::warn!(cause = %e, "could not purge deleted rows after closing a cycle"),
        }
    }
    Ok(with_etag(HttpResponse::Ok(), &cycle))
}
