//! Growth over cycles: per competency, the leader's "all others" mean in each cycle the
//! caller may see, flagged where it changed by more than the noise (the reports' rule),
//! with the leader's goals laid over it. Every figure is one a growth report shows, read
//! from the summaries written at close, so the anonymity rule holds as it does there.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::goals::{GoalResponse, GoalStatus, list_goals};
use crate::anonymity::{Cell, OthersSummary};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::cycles::{Cycle, CycleState, replayed_close};
use crate::db::schema::{competency_summaries, cycles, report_releases};
use crate::db::{DbConn, DbPool};
use crate::db_run;
use crate::error::AppError;
use crate::frameworks::load_version;
use crate::reports::access::{Reader, shared_with};
use crate::reports::compute::{Change, change};

#[derive(Debug, Serialize, ToSchema)]
pub struct GrowthPoint {
    pub cycle_id: String,
    pub cycle_name: String,
    /// When the cycle began.
    pub at: DateTime<Utc>,
    /// The "all others" mean, or why the report withholds it.
    #[schema(value_type = Object)]
    pub others_mean: Cell<f64>,
    /// Against the previous point shown, by the reports' rule.
    pub change: Option<Change>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GoalMark {
    pub goal_id: String,
    pub title: String,
    pub status: GoalStatus,
    pub created_at: DateTime<Utc>,
    pub due_on: Option<NaiveDate>,
    pub progress: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompetencyGrowth {
    pub key: String,
    pub name: String,
    /// Oldest cycle first.
    pub points: Vec<GrowthPoint>,
    /// The leader's goals on this competency that the caller may see.
    pub goals: Vec<GoalMark>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrowthResponse {
    pub person_id: String,
    pub competencies: Vec<CompetencyGrowth>,
    pub rule: String,
}

/// The competencies of a cycle the caller was given; `None`, all of them.
type Shared = Option<std::collections::BTreeSet<String>>;

/// The cycles the caller may see the person's figures of, with the competencies shared
/// (`None`: all): the leader their released ones, HR every closed one, a coach those
/// shared with them.
fn visible_cycles(conn: &mut DbConn, principal: &Principal, person_id: &str) -> Result<Vec<(Cycle, Shared)>, AppError> {
    let own = principal.person_id() == Some(person_id);
    let hr = !own && principal.can(Permission::ReadReports);
    // HR: the cycles with figures of the person; anyone else starts from those released.
    let with_figures = competency_summaries::table
        .filter(competency_summaries::subject_id.eq(person_id))
        .select(competency_summaries::cycle_id);
    let released =
        report_releases::table.filter(report_releases::subject_id.eq(person_id)).select(report_releases::cycle_id);
    let found: Vec<Cycle> = db_run!(conn, |c| {
        let query = cycles::table.filter(cycles::org_id.eq(&principal.org_id)).select(Cycle::as_select()).into_boxed();
        let query =
            if hr { query.filter(cycles::id.eq_any(with_figures)) } else { query.filter(cycles::id.eq_any(released)) };
        query.order((cycles::created_at.asc(), cycles::id.asc())).load(c)
    })?;
    let mut visible = Vec::new();
    for cycle in found.into_iter().filter(|c| c.state >= CycleState::Closed) {
        if own || hr {
            visible.push((cycle, None));
        } else if let Some(Reader::Coach { competencies, .. }) = shared_with(conn, principal, &cycle, person_id)? {
            visible.push((cycle, competencies));
        }
    }
    Ok(visible)
}

/// What the primary decides: the person's name, the cycles the caller may see of them
/// and the goals the caller may see.
#[derive(Clone)]
struct Admitted {
    name: String,
    visible: Vec<(Cycle, Shared)>,
    goals: Vec<GoalResponse>,
}

/// 404 when the caller may see nothing of the person's growth.
fn admit(conn: &mut DbConn, principal: &Principal, person_id: &str) -> Result<Admitted, AppError> {
    let person = crate::people::find(conn, &principal.org_id, person_id)?;
    let own = principal.person_id() == Some(person_id);
    let visible = visible_cycles(conn, principal, person_id)?;
    if visible.is_empty() && !own && !principal.can(Permission::ReadReports) {
        return Err(AppError::NotFound);
    }
    let goals = list_goals(conn, principal, person_id)?;
    Ok(Admitted { name: person.display_name, visible, goals })
}

/// The person's name and growth as the caller may see it. Who may see which cycles and
/// goals is read on the primary; the figures, written once at close, on the read replica
/// when there is one.
pub async fn growth(
    db: &DbPool,
    principal: Principal,
    person_id: String,
) -> Result<(String, GrowthResponse), AppError> {
    let subject = person_id.clone();
    let (admitted, found) = db
        .run_then_read(
            move |conn| admit(conn, &principal, &person_id),
            move |conn, admitted| figures(conn, &subject, admitted),
        )
        .await?;
    Ok((admitted.name, found))
}

/// The growth over the admitted cycles, from the summaries their close wrote.
fn figures(conn: &mut DbConn, person_id: &str, admitted: &Admitted) -> Result<GrowthResponse, AppError> {
    let visible = &admitted.visible;
    for (cycle, _) in visible {
        replayed_close(conn, cycle)?;
    }
    let ids: Vec<&String> = visible.iter().map(|(c, _)| &c.id).collect();
    let rows: Vec<(String, String, f64, f64, i32)> = db_run!(conn, |c| competency_summaries::table
        .filter(competency_summaries::cycle_id.eq_any(&ids))
        .filter(competency_summaries::subject_id.eq(person_id))
        .select((
            competency_summaries::cycle_id,
            competency_summaries::competency_key,
            competency_summaries::mean,
            competency_summaries::spread,
            competency_summaries::respondents,
        ))
        .load(c))?;
    let summaries: HashMap<(String, String), OthersSummary> = rows
        .into_iter()
        .map(|(cycle, key, mean, spread, respondents)| ((cycle, key), OthersSummary::stored(mean, spread, respondents)))
        .collect();
    // Competencies in the order of the latest framework version that has them.
    let mut names: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut series: HashMap<String, Vec<GrowthPoint>> = HashMap::new();
    for (cycle, shared) in visible {
        let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
        for (position, competency) in version.competencies.iter().enumerate() {
            if shared.as_ref().is_some_and(|keys| !keys.contains(&competency.key)) {
                continue;
            }
            names.insert(competency.key.clone(), (position, competency.name.clone()));
            let points = series.entry(competency.key.clone()).or_default();
            let now = summaries.get(&(cycle.id.clone(), competency.key.clone()));
            let before = points.iter().rev().find_map(|p: &GrowthPoint| {
                summaries.get(&(p.cycle_id.clone(), competency.key.clone())).map(|s| (p.cycle_id.clone(), s))
            });
            points.push(GrowthPoint {
                cycle_id: cycle.id.clone(),
                cycle_name: cycle.name.clone(),
                at: cycle.created_at.and_utc(),
                others_mean: match now {
                    Some(s) => Cell::Shown(crate::anonymity::round(s.mean)),
                    None => Cell::hidden("the report shows no 'all others' figure for this competency in this cycle"),
                },
                change: match (before, now) {
                    (Some((id, b)), Some(n)) => Some(change(&id, b, n)),
                    _ => None,
                },
            });
        }
    }
    let goals = &admitted.goals;
    let mut ordered: Vec<(String, (usize, String))> = names.into_iter().collect();
    ordered.sort_by_key(|(key, (position, _))| (*position, key.clone()));
    let competencies = ordered
        .into_iter()
        .map(|(key, (_, name))| CompetencyGrowth {
            points: series.remove(&key).unwrap_or_default(),
            goals: goals
                .iter()
                .filter(|g| g.competency_key == key)
                .map(|g| GoalMark {
                    goal_id: g.id.clone(),
                    title: g.title.clone(),
                    status: g.status,
                    created_at: g.created_at,
                    due_on: g.due_on,
                    progress: g.progress,
                })
                .collect(),
            key,
            name,
        })
        .collect();
    Ok(GrowthResponse {
        person_id: person_id.to_string(),
        competencies,
        rule: "Each mean is the 'all others' figure of the cycle's growth report, shown only where the report shows \
               it. A change is flagged significant when |delta| > 1.96 × √(sd₁²/n₁ + sd₂²/n₂) against the previous \
               cycle shown."
            .into(),
    })
}
