//! Growth reports: roll-ups computed once when a cycle closes, and the report read from
//! them, shown only under the anonymity rule of `compute`.
//!
//! One file per operation: `close` (the roll-ups), `load` (a report from them), `access`
//! (who may read it, and the audited read), `release`, `mine` (the caller's released
//! reports), `render` (CSV and the radar chart); `handlers` only translate HTTP.

pub mod access;
mod build;
mod close;
pub mod compute;
mod handlers;
mod load;
mod mine;
pub mod radar;
mod release;
mod render;
pub mod results;

pub use build::{GrowthReport, ShownComment, SubjectResults};
pub use close::{close_cycle, finish_close};
pub use load::load_report;
pub use release::release;

/// The report routes.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(handlers::get_report)
        .service(handlers::get_report_radar)
        .service(handlers::release_reports)
        .service(handlers::my_reports);
}

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

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

#[derive(Debug, Serialize, ToSchema)]
pub struct MyReport {
    pub cycle_id: String,
    pub cycle_name: String,
    pub released_at: DateTime<Utc>,
    /// Where to read it.
    pub href: String,
}
