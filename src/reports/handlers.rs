//! The HTTP face of growth reports: each handler extracts the request, calls one
//! operation and shapes its answer into a response.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use serde::Deserialize;
use utoipa::IntoParams;

use super::radar::{self, Series};
use super::{GrowthReport, MyReport, ReleaseRequest, ReleaseResponse, access, mine, release, render};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::error::{AppError, Errors, Problem, validate};
use crate::state::AppState;

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|part| part.trim().starts_with("text/csv")))
}

/// A report is about one named person: no shared cache may keep it.
fn private() -> (header::HeaderName, HeaderValue) {
    (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"))
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
        Errors,
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
    let report = access::read_report(&state.db, &state.reads, principal, cycle_id, subject_id).await?;
    if wants_csv(&req) {
        let body = render::csv(&report).map_err(AppError::internal)?;
        return Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").insert_header(private()).body(body));
    }
    Ok(HttpResponse::Ok().insert_header(private()).json(report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RadarQuery {
    /// The series to draw, comma separated, drawn in the order given: `self`, `others` (all but the
    /// subject), `norm` (the organisation's), and the groups `manager`, `peer`,
    /// `direct_report`, `other`. Default `self,others,norm`.
    #[param(example = "self,others,peer,direct_report")]
    pub series: Option<String>,
}

/// The report's competencies as an SVG radar chart (self, all others and the norm, or
/// the series asked for), with its figures in `<title>` and `<desc>` for screen readers;
/// a withheld figure is a gap in its line, never zero.
#[utoipa::path(
    tag = "reports",
    params(
        ("cycle_id" = String, Path, description = "The cycle's id"),
        ("subject_id" = String, Path, description = "The subject's person id"),
        RadarQuery,
    ),
    responses(
        (status = 200, description = "An SVG image", body = String, content_type = "image/svg+xml"),
        Errors,
    ),
)]
#[get("/cycles/{cycle_id}/reports/{subject_id}/radar.svg")]
pub async fn get_report_radar(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<RadarQuery>,
) -> Result<HttpResponse, AppError> {
    let series = Series::parse_list(query.series.as_deref())?;
    let (cycle_id, subject_id) = path.into_inner();
    let report = access::read_report(&state.db, &state.reads, principal, cycle_id, subject_id).await?;
    let svg = radar::radar_svg(&report, &series);
    Ok(HttpResponse::Ok().content_type("image/svg+xml").insert_header(private()).body(svg))
}

/// Releases reports to their subjects: some, or all. Only once the cycle is closed.
#[utoipa::path(
    tag = "reports",
    params(("cycle_id" = String, Path, description = "The cycle's id")),
    request_body = ReleaseRequest,
    responses(
        (status = 200, description = "Released", body = ReleaseResponse),
        (status = 409, description = "The cycle is not closed yet", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/cycles/{cycle_id}/reports/release", wrap = "crate::idempotency::Idempotent")]
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
    let released =
        state.db.run(move |conn| release::release_in_cycle(conn, &principal, &cycle_id, body.subject_ids)).await?;
    Ok(web::Json(ReleaseResponse { released }))
}

/// The signed-in person's released reports, newest first.
#[utoipa::path(
    tag = "reports",
    responses(
        (status = 200, description = "Released reports", body = Vec<MyReport>),
        Errors,
    ),
)]
#[get("/me/reports")]
pub async fn my_reports(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<MyReport>>, AppError> {
    let person_id = principal.require_person()?.to_string();
    let list = state.db.run(move |conn| mine::my_reports(conn, &principal.org_id, &person_id)).await?;
    Ok(web::Json(list))
}
