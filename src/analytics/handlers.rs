//! The HTTP face of analytics: each handler reads one view and answers it as JSON, or as
//! a CSV or NDJSON download when `Accept` asks for one.

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::coaching::{self, ImpactQuery, ImpactResponse, SilosQuery, SilosResponse};
use super::export::{self, Format};
use super::picture;
use super::read::{self, BlindSpotsResponse, HeatmapResponse, ParticipationResponse, TrendsResponse};
use super::settings::{self, AnalyticsSettings};
use super::views::By;
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::error::{AppError, Errors, Problem, validate};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HeatmapQuery {
    /// `department` (default: all others per competency), `relationship` (per group) or
    /// `question` (all others per question).
    pub by: Option<By>,
}

/// The competency × department heatmap of others' ratings in a closed cycle: mean,
/// spread, leaders and responses per cell, the organisation's cells first; split by
/// relationship group or by question with `by`. A cell the rule withholds comes back as
/// `{"suppressed": true, "reason": …}`. `Accept: text/csv` or `application/x-ndjson`
/// downloads the cells.
#[utoipa::path(
    tag = "analytics",
    params(("cycle_id" = String, Path, description = "The cycle's id"), HeatmapQuery),
    responses(
        (status = 200, description = "The heatmap", content(
            (HeatmapResponse = "application/json"),
            (String = "text/csv"),
            (String = "application/x-ndjson"),
        )),
        (status = 409, description = "The cycle is not closed yet", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[get("/analytics/cycles/{cycle_id}/heatmap")]
pub async fn heatmap(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<HeatmapQuery>,
) -> Result<HttpResponse, AppError> {
    let (cycle_id, by) = (path.into_inner(), query.into_inner().by.unwrap_or_default());
    let view = read::heatmap(&read::source(&state.db, principal, cycle_id).await?, by);
    Ok(match Format::wanted(&req) {
        Some(format) => export::respond(view.cells, format, &format!("heatmap-{}", view.cycle_id)),
        None => HttpResponse::Ok().json(view),
    })
}

/// The competency × department heatmap as an SVG picture: each cell's mean on a
/// colour scale with its legend and the leaders behind it, withheld cells hatched and
/// labelled, every figure in `<title>` and `<desc>`. The same access and rule as the JSON.
#[utoipa::path(
    tag = "analytics",
    params(("cycle_id" = String, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "An SVG image", body = String, content_type = "image/svg+xml"),
        (status = 409, description = "The cycle is not closed yet", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[get("/analytics/cycles/{cycle_id}/heatmap.svg")]
pub async fn heatmap_svg(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let cycle_id = path.into_inner();
    let source = read::source(&state.db, principal, cycle_id).await?;
    let svg = picture::heatmap_svg(&source.version, &read::heatmap(&source, By::Department));
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}

/// Participation in a closed cycle: invitations, answers and the rate per department and
/// relationship group, with each department's and the organisation's totals, under the
/// same rule as every view. `Accept: text/csv` or `application/x-ndjson` downloads the cells.
#[utoipa::path(
    tag = "analytics",
    params(("cycle_id" = String, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "Participation", content(
            (ParticipationResponse = "application/json"),
            (String = "text/csv"),
            (String = "application/x-ndjson"),
        )),
        (status = 409, description = "The cycle is not closed yet", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[get("/analytics/cycles/{cycle_id}/participation")]
pub async fn participation(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let cycle_id = path.into_inner();
    let view = read::participation(&read::source(&state.db, principal, cycle_id).await?);
    Ok(match Format::wanted(&req) {
        Some(format) => export::respond(view.cells, format, &format!("participation-{}", view.cycle_id)),
        None => HttpResponse::Ok().json(view),
    })
}

/// The organisation's blind spots in a closed cycle: per competency, the mean of the
/// subjects' self-minus-others gaps and how the gaps are distributed, in ranges that each
/// hold at least the minimum of leaders. `Accept: text/csv` or `application/x-ndjson`
/// downloads the rows.
#[utoipa::path(
    tag = "analytics",
    params(("cycle_id" = String, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "Blind spots", content(
            (BlindSpotsResponse = "application/json"),
            (String = "text/csv"),
            (String = "application/x-ndjson"),
        )),
        (status = 409, description = "The cycle is not closed yet", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[get("/analytics/cycles/{cycle_id}/blind-spots")]
pub async fn blind_spots(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let cycle_id = path.into_inner();
    let view = read::blind_spots(&read::source(&state.db, principal, cycle_id).await?);
    Ok(match Format::wanted(&req) {
        Some(format) => export::respond(view.competencies, format, &format!("blind-spots-{}", view.cycle_id)),
        None => HttpResponse::Ok().json(view),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrendsQuery {
    /// A department's trend (exact name); absent, the organisation's.
    pub department: Option<String>,
}

/// All others' ratings per competency across the latest closed cycles (oldest first), of
/// the organisation or of one department: each cycle's figure is its heatmap cell, under
/// the same rule, and change since the previous shown figure is flagged as reports flag
/// it.
#[utoipa::path(
    tag = "analytics",
    params(TrendsQuery),
    responses((status = 200, description = "Trends per competency", body = TrendsResponse), Errors),
)]
#[get("/analytics/trends")]
pub async fn trends(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<TrendsQuery>,
) -> Result<web::Json<TrendsResponse>, AppError> {
    let department = query.into_inner().department;
    Ok(web::Json(read::trends(&state.db, principal, department).await?))
}

/// Whether peer coaching works: per competency, the change of leaders coached on it between
/// two closed cycles against leaders not coached, with a 95 % interval of the difference
/// and the counts behind it; the first row pools the competencies shown. `method` states
/// how.
#[utoipa::path(
    tag = "analytics",
    params(ImpactQuery),
    responses(
        (status = 200, description = "Coaching impact", body = ImpactResponse),
        (status = 409, description = "A cycle is not closed yet", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[get("/analytics/coaching-impact")]
pub async fn coaching_impact(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ImpactQuery>,
) -> Result<web::Json<ImpactResponse>, AppError> {
    let query = query.into_inner();
    Ok(web::Json(state.db.run(move |conn| coaching::impact(conn, &principal, query)).await?))
}

/// The silo view: the coaching that followed a closed cycle as a department × department
/// matrix of coaching links, with the share that joins two departments.
#[utoipa::path(
    tag = "analytics",
    params(SilosQuery),
    responses(
        (status = 200, description = "Coaching links between departments", body = SilosResponse),
        (status = 409, description = "The cycle is not closed yet", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[get("/analytics/silos")]
pub async fn silos(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<SilosQuery>,
) -> Result<web::Json<SilosResponse>, AppError> {
    let cycle_id = query.into_inner().cycle_id;
    Ok(web::Json(state.db.run(move |conn| coaching::silos(conn, &principal, &cycle_id)).await?))
}

/// The organisation's analytics setting: the least leaders behind any figure.
#[utoipa::path(
    tag = "analytics",
    responses((status = 200, description = "The setting", body = AnalyticsSettings), Errors),
)]
#[get("/analytics/settings")]
pub async fn get_settings(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<AnalyticsSettings>, AppError> {
    principal.require(Permission::ReadAnalytics)?;
    Ok(web::Json(state.db.run(move |conn| settings::load(conn, &principal.org_id)).await?))
}

/// Sets the least leaders behind any analytics figure (3 to 1000; 5 unless set). HR only;
/// audited. Every view follows it from the next read.
#[utoipa::path(
    tag = "analytics",
    request_body = AnalyticsSettings,
    responses((status = 200, description = "The new setting", body = AnalyticsSettings), Errors),
)]
#[put("/analytics/settings")]
pub async fn put_settings(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<AnalyticsSettings>,
) -> Result<web::Json<AnalyticsSettings>, AppError> {
    principal.require(Permission::ManageCycles)?;
    let body = body.into_inner();
    validate(&body)?;
    Ok(web::Json(state.db.run(move |conn| settings::save(conn, &principal, body)).await?))
}
