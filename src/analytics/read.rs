//! Reading a view: who may, of which cycle, and the figures under the organisation's
//! setting.

use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use super::data::{self, CycleData};
use super::settings;
use super::views::{self, BlindSpotRow, By, HeatmapCell, ParticipationCell};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::cycles::{CycleState, find_cycle};
use crate::db::DbConn;
use crate::error::AppError;
use crate::frameworks::{VersionResponse, load_version};

/// The rule every view follows, in words.
pub fn rules(min_cell: i64) -> String {
    format!(
        "Figures pool the answers each subject's report shows (every group at least its threshold). \
         The finest grain is one department's answers of one relationship group to one question; \
         a grain describing fewer than {min_cell} leaders is left out of every figure of the cycle, \
         its department's and the organisation's included, so no figure or difference of figures \
         describes fewer than {min_cell} leaders. A cell with nothing left is suppressed."
    )
}

/// What a view is computed from.
pub struct Source {
    pub cycle_id: String,
    pub cycle_name: String,
    pub data: Arc<CycleData>,
    pub version: Arc<VersionResponse>,
    pub min_cell: i64,
}

/// The caller's organisation's closed cycle with its roll-ups: 403 without the analytics
/// permission, 404 for another organisation's, 409 before close.
pub fn source(conn: &mut DbConn, principal: &Principal, cycle_id: &str) -> Result<Source, AppError> {
    principal.require(Permission::ReadAnalytics)?;
    let cycle = find_cycle(conn, &principal.org_id, cycle_id)?;
    if cycle.state < CycleState::Closed {
        return Err(AppError::conflict("cycle_not_closed", "Analytics are computed when the cycle closes."));
    }
    let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
    let min_cell = i64::from(settings::load(conn, &principal.org_id)?.min_cell);
    let data = data::load(conn, &cycle)?;
    Ok(Source { cycle_id: cycle.id, cycle_name: cycle.name, data, version, min_cell })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeatmapResponse {
    pub cycle_id: String,
    pub cycle_name: String,
    pub by: By,
    /// The least leaders behind any figure.
    pub min_cell: i64,
    /// The organisation's cells of each column, then each department's.
    pub cells: Vec<HeatmapCell>,
    pub rules: String,
}

pub fn heatmap(source: &Source, by: By) -> HeatmapResponse {
    HeatmapResponse {
        cycle_id: source.cycle_id.clone(),
        cycle_name: source.cycle_name.clone(),
        by,
        min_cell: source.min_cell,
        cells: views::heatmap(&source.data, &source.version, by, source.min_cell),
        rules: rules(source.min_cell),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipationResponse {
    pub cycle_id: String,
    pub cycle_name: String,
    pub min_cell: i64,
    /// Per relationship group (null: all groups), the organisation's cell, then each
    /// department's.
    pub cells: Vec<ParticipationCell>,
    pub rules: String,
}

pub fn participation(source: &Source) -> ParticipationResponse {
    ParticipationResponse {
        cycle_id: source.cycle_id.clone(),
        cycle_name: source.cycle_name.clone(),
        min_cell: source.min_cell,
        cells: views::participation(&source.data, source.min_cell),
        rules: rules(source.min_cell),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlindSpotsResponse {
    pub cycle_id: String,
    pub cycle_name: String,
    pub min_cell: i64,
    pub competencies: Vec<BlindSpotRow>,
    pub rules: String,
}

pub fn blind_spots(source: &Source) -> BlindSpotsResponse {
    BlindSpotsResponse {
        cycle_id: source.cycle_id.clone(),
        cycle_name: source.cycle_name.clone(),
        min_cell: source.min_cell,
        competencies: views::blind_spots(&source.data, &source.version, source.min_cell),
        rules: format!(
            "A subject's gap is their self-assessment's mean minus all others' on the competency, as \
             their report shows it. The mean and the ranges pool at least {} leaders each.",
            source.min_cell
        ),
    }
}
