//! Liveness and readiness for load balancers and orchestrators, and metrics for scrapers.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, Problem};
use crate::state::AppState;

/// The operational routes, outside `/api/v1`.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(healthz).service(readyz).service(metrics);
}

#[derive(Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok` when the check passed.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up and serving HTTP.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses((status = 200, description = "Alive", body = HealthStatus)),
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus { status: "ok" })
}

/// The service can reach its database and is ready for traffic.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Ready", body = HealthStatus),
        (status = 503, description = "The database cannot be reached", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state.db.run(|conn| conn.ping()).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(HttpResponse::Ok().json(HealthStatus { status: "ok" }))
}

/// Prometheus metrics of the whole service (no organisation's figures): the webhook
/// outbox's depth, the age of its oldest undelivered message, deliveries by status and
/// attempts by result.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain; version=0.0.4"),
        (status = 503, description = "The database cannot be reached", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let text = state.db.run(crate::webhooks::outbox_metrics).await? + &state.db.metrics();
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}
