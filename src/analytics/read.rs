//! Reading a view: who may, of which cycle, and the figures under the organisation's
//! setting.

use std::collections::BTreeMap;
use std::sync::Arc;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::data::{self, CycleData};
use super::settings;
use super::views::{self, BlindSpotRow, By, Figures, HeatmapCell, Level, ParticipationCell};
use crate::anonymity::{Cell, OthersSummary};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::change::{Change, change};
use crate::cycles::{Cycle, CycleState, find_cycle};
use crate::db::schema::cycles;
use crate::db::{DbConn, DbPool};
use crate::db_run;
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
/// permission, 404 for another organisation's, 409 before close. Who may read, the
/// cycle's state and the organisation's smallest cell are read on the primary; the
/// roll-ups, written once at close, on the read replica when there is one.
pub async fn source(db: &DbPool, principal: Principal, cycle_id: String) -> Result<Source, AppError> {
    let (_, source) = db
        .run_then_read(
            move |conn| admit(conn, &principal, &cycle_id),
            |conn, (cycle, min_cell)| source_of(conn, cycle.clone(), *min_cell),
        )
        .await?;
    Ok(source)
}

/// The closed cycle a caller may read the analytics of, and the organisation's smallest cell.
fn admit(conn: &mut DbConn, principal: &Principal, cycle_id: &str) -> Result<(Cycle, i64), AppError> {
    principal.require(Permission::ReadAnalytics)?;
    let cycle = find_cycle(conn, &principal.org_id, cycle_id)?;
    if cycle.state < CycleState::Closed {
        return Err(AppError::conflict("cycle_not_closed", "Analytics are computed when the cycle closes."));
    }
    let min_cell = i64::from(settings::load(conn, &principal.org_id)?.min_cell);
    Ok((cycle, min_cell))
}

fn source_of(conn: &mut DbConn, cycle: Cycle, min_cell: i64) -> Result<Source, AppError> {
    let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
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

/// The closed cycles a trend covers at most: the latest.
pub const TREND_CYCLES: i64 = 24;

/// One cycle's figure of a competency, and its change since the previous shown one.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendPoint {
    pub cycle_id: String,
    pub cycle_name: String,
    pub figures: Cell<Figures>,
    /// Since the previous cycle with a shown figure, flagged by the rule reports use.
    pub change: Option<Change>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompetencyTrend {
    pub competency_key: String,
    /// Oldest cycle first.
    pub points: Vec<TrendPoint>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendsResponse {
    /// The department the trend is of; null for the whole organisation.
    pub department: Option<String>,
    pub min_cell: i64,
    pub competencies: Vec<CompetencyTrend>,
    pub rules: String,
}

/// All others' ratings per competency across the organisation's latest closed cycles, of
/// the whole organisation or of one department, each cycle's figure under the same rule
/// as its heatmap (they are the heatmap's cells), with change flagged as reports flag it.
///
/// Who may read, the organisation's smallest cell and which cycles are read on the
/// primary; their roll-ups on the read replica when there is one.
pub async fn trends(db: &DbPool, principal: Principal, department: Option<String>) -> Result<TrendsResponse, AppError> {
    let (_, trends) = db
        .run_then_read(
            move |conn| latest_closed(conn, &principal),
            move |conn, (latest, min_cell)| trends_of(conn, latest, *min_cell, department.clone()),
        )
        .await?;
    Ok(trends)
}

/// The organisation's latest closed cycles, oldest first, and its smallest cell.
fn latest_closed(conn: &mut DbConn, principal: &Principal) -> Result<(Vec<Cycle>, i64), AppError> {
    principal.require(Permission::ReadAnalytics)?;
    let min_cell = i64::from(settings::load(conn, &principal.org_id)?.min_cell);
    let closed = [CycleState::Closed, CycleState::Released, CycleState::Archived].map(CycleState::as_str);
    let mut latest: Vec<Cycle> = db_run!(conn, |c| cycles::table
        .filter(cycles::org_id.eq(&principal.org_id))
        .filter(cycles::state.eq_any(closed))
        .order((cycles::ends_at.desc(), cycles::created_at.desc(), cycles::id.desc()))
        .limit(TREND_CYCLES)
        .select(Cycle::as_select())
        .load(c))?;
    latest.reverse();
    Ok((latest, min_cell))
}

fn trends_of(
    conn: &mut DbConn,
    latest: &[Cycle],
    min_cell: i64,
    department: Option<String>,
) -> Result<TrendsResponse, AppError> {
    let mut by_competency: BTreeMap<String, Vec<TrendPoint>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for cycle in latest {
        let source = source_of(conn, cycle.clone(), min_cell)?;
        let cells = views::heatmap(&source.data, &source.version, By::Department, min_cell);
        let mine = cells.into_iter().filter(|c| match &department {
            Some(name) => c.level == Level::Department && c.department.as_ref() == Some(name),
            None => c.level == Level::Organisation,
        });
        let mut seen: BTreeMap<String, Cell<Figures>> = mine.map(|c| (c.competency_key, c.figures)).collect();
        for competency in &source.version.competencies {
            let Some(figures) = seen
                .remove(&competency.key)
                .or_else(|| department.is_some().then(|| Cell::hidden("the department has no subject in this cycle")))
            else {
                continue;
            };
            let points = by_competency.entry(competency.key.clone()).or_insert_with(|| {
                order.push(competency.key.clone());
                Vec::new()
            });
            let previous = points.iter().rev().find_map(|p| Some((&p.cycle_id, p.figures.shown()?)));
            let summary = |f: &Figures| OthersSummary::stored(f.mean, f.spread, f.leaders as i32);
            let change = match (previous, figures.shown()) {
                (Some((cycle_id, before)), Some(now)) => Some(change(cycle_id, &summary(before), &summary(now))),
                _ => None,
            };
            points.push(TrendPoint {
                cycle_id: source.cycle_id.clone(),
                cycle_name: source.cycle_name.clone(),
                figures,
                change,
            });
        }
    }
    let competencies = order
        .into_iter()
        .map(|key| CompetencyTrend { points: by_competency.remove(&key).unwrap_or_default(), competency_key: key })
        .collect();
    Ok(TrendsResponse {
        department,
        min_cell,
        competencies,
        rules: format!(
            "{} Change since the previous shown figure is flagged significant when |delta| > 1.96 × \
             √(sd₁²/n₁ + sd₂²/n₂), n being the leaders behind each mean. The latest {TREND_CYCLES} \
             closed cycles, oldest first.",
            rules(min_cell)
        ),
    })
}
