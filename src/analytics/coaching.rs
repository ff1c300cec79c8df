//! Whether peer coaching works, and whether it crosses departments: coaching impact
//! between two closed cycles, and the silo view of the coaching that followed a cycle.
//! Only counts and means over at least the minimum of leaders; never who coaches whom.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::settings;
use super::views::too_few;
use crate::anonymity::{Cell, round};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::coaching::{MemberRole, RelationshipStatus};
use crate::cycles::{Cycle, CycleState, find_cycle};
use crate::db::DbConn;
use crate::db::schema::{coaching_members, coaching_relationships, competency_summaries, cycles, people};
use crate::db_run;
use crate::error::{AppError, FieldError};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImpactQuery {
    /// The earlier closed cycle.
    pub from_cycle_id: String,
    /// The later closed cycle.
    pub to_cycle_id: String,
}

/// One group's change on a competency between the two cycles.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupChange {
    pub leaders: i64,
    /// Changes behind the figures: one per leader and competency.
    pub changes: i64,
    /// Mean of the leaders' changes of their "all others" mean.
    pub mean_change: f64,
    pub spread: f64,
}

/// Coached minus not coached, with its 95 % interval.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Difference {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImpactRow {
    /// The competency; null on the row that pools every competency whose two groups are
    /// shown.
    pub competency_key: Option<String>,
    pub coached: Cell<GroupChange>,
    pub not_coached: Cell<GroupChange>,
    pub difference: Cell<Difference>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImpactResponse {
    pub from_cycle_id: String,
    pub to_cycle_id: String,
    pub min_cell: i64,
    pub competencies: Vec<ImpactRow>,
    pub method: String,
}

/// How a cycle's end is dated: its end date, or when it last changed (its close).
fn ended(cycle: &Cycle) -> NaiveDate {
    cycle.ends_at.unwrap_or(cycle.updated_at).date()
}

fn closed_cycle(conn: &mut DbConn, principal: &Principal, id: &str, field: &str) -> Result<Cycle, AppError> {
    let cycle = find_cycle(conn, &principal.org_id, id).map_err(|e| match e {
        AppError::NotFound => AppError::Validation(vec![FieldError::new(field, "unknown", "no such cycle")]),
        other => other,
    })?;
    if cycle.state < CycleState::Closed {
        return Err(AppError::conflict("cycle_not_closed", format!("`{field}` names a cycle that is not closed yet.")));
    }
    Ok(cycle)
}

/// One member of a coaching relationship, with the relationship's focus.
struct Membership {
    relationship_id: String,
    person_id: String,
    role: MemberRole,
    focus: Vec<String>,
}

/// Members of relationships that started between two dates and were agreed by their
/// members (active, paused or since ended).
fn coached_between(
    conn: &mut DbConn,
    org_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Membership>, AppError> {
    let agreed = [RelationshipStatus::Active, RelationshipStatus::Paused, RelationshipStatus::Ended]
        .map(RelationshipStatus::as_str);
    let rows: Vec<(String, String, String, String)> = db_run!(conn, |c| coaching_members::table
        .inner_join(coaching_relationships::table)
        .filter(coaching_relationships::org_id.eq(org_id))
        .filter(coaching_relationships::status.eq_any(agreed))
        .filter(coaching_relationships::starts_on.ge(from))
        .filter(coaching_relationships::starts_on.le(to))
        .select((
            coaching_relationships::id,
            coaching_members::person_id,
            coaching_members::role,
            coaching_relationships::focus_competencies,
        ))
        .load(c))?;
    rows.into_iter()
        .map(|(relationship_id, person_id, role, focus)| {
            let role = role.parse().map_err(AppError::internal)?;
            let focus = serde_json::from_str(&focus).map_err(AppError::internal)?;
            Ok(Membership { relationship_id, person_id, role, focus })
        })
        .collect()
}

/// Two-sided 97.5 % quantiles of Student's t for 1 to 30 degrees of freedom.
const T_975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

fn t_975(df: f64) -> f64 {
    match df {
        d if d < 1.0 => T_975[0],
        d if d <= 30.0 => T_975[d.floor() as usize - 1],
        d if d <= 60.0 => 2.000,
        d if d <= 120.0 => 1.980,
        _ => 1.960,
    }
}

/// One leader's change on one competency.
type Changes = Vec<(String, f64)>;

fn group(changes: &Changes, min_cell: i64) -> Cell<(GroupChange, f64)> {
    let leaders = changes.iter().map(|(subject, _)| subject).collect::<HashSet<_>>().len() as i64;
    if leaders < min_cell {
        return Cell::hidden(if leaders == 0 { "no leaders".to_string() } else { too_few(min_cell) });
    }
    let n = changes.len();
    let mean = changes.iter().map(|(_, c)| c).sum::<f64>() / n as f64;
    let variance = changes.iter().map(|(_, c)| (c - mean).powi(2)).sum::<f64>() / (n - 1).max(1) as f64;
    let figures = GroupChange { leaders, changes: n as i64, mean_change: round(mean), spread: round(variance.sqrt()) };
    Cell::Shown((figures, variance))
}

/// Welch's interval for the difference of two means.
fn difference(
    coached: &Cell<(GroupChange, f64)>,
    others: &Cell<(GroupChange, f64)>,
    exact: (f64, f64),
) -> Cell<Difference> {
    let (Some((a, va)), Some((b, vb))) = (coached.shown(), others.shown()) else {
        return Cell::hidden("both groups must be shown");
    };
    let (na, nb) = (a.changes as f64, b.changes as f64);
    let (sa, sb) = (va / na, vb / nb);
    let se = (sa + sb).sqrt();
    let df =
        if se > 0.0 { (sa + sb).powi(2) / (sa.powi(2) / (na - 1.0) + sb.powi(2) / (nb - 1.0)) } else { na + nb - 2.0 };
    let estimate = exact.0 - exact.1;
    let half = t_975(df) * se;
    Cell::Shown(Difference { estimate: round(estimate), low: round(estimate - half), high: round(estimate + half) })
}

fn strip(cell: Cell<(GroupChange, f64)>) -> Cell<GroupChange> {
    match cell {
        Cell::Shown((g, _)) => Cell::Shown(g),
        Cell::Suppressed(s) => Cell::Suppressed(s),
    }
}

fn row(key: Option<String>, coached: &Changes, others: &Changes, min_cell: i64) -> ImpactRow {
    let (a, b) = (group(coached, min_cell), group(others, min_cell));
    let mean = |v: &Changes| v.iter().map(|(_, c)| c).sum::<f64>() / v.len().max(1) as f64;
    let difference = difference(&a, &b, (mean(coached), mean(others)));
    ImpactRow { competency_key: key, coached: strip(a), not_coached: strip(b), difference }
}

pub fn method(min_cell: i64) -> String {
    format!(
        "Leaders with an 'all others' mean on the competency in both cycles. Coached: a coachee or \
         circle member of a relationship agreed by its members that started between the two cycles' \
         ends, with the competency among its focus. Not coached: in no coaching relationship that \
         started then, as coach or coached. A leader's change is the later mean minus the earlier. \
         Difference: coached mean change minus not coached, with a 95 % interval by Welch's t. Each \
         group needs at least {min_cell} different leaders; the pooled row takes every (leader, competency) \
         change of the competencies whose two groups are both shown, and only those, and its \
         interval treats each change as independent, which makes it too narrow where one leader \
         has several. Observational: \
         leaders were not assigned to coaching at random."
    )
}

/// Coaching impact between two closed cycles of the caller's organisation.
pub fn impact(conn: &mut DbConn, principal: &Principal, query: ImpactQuery) -> Result<ImpactResponse, AppError> {
    principal.require(Permission::ReadAnalytics)?;
    let from = closed_cycle(conn, principal, &query.from_cycle_id, "from_cycle_id")?;
    let to = closed_cycle(conn, principal, &query.to_cycle_id, "to_cycle_id")?;
    if from.id == to.id {
        return Err(AppError::Validation(vec![FieldError::new(
            "to_cycle_id",
            "same",
            "must differ from `from_cycle_id`",
        )]));
    }
    let min_cell = i64::from(settings::load(conn, &principal.org_id)?.min_cell);
    let (start, end) = (ended(&from).min(ended(&to)), ended(&from).max(ended(&to)));
    let mut focus: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut involved: HashSet<String> = HashSet::new();
    for member in coached_between(conn, &principal.org_id, start, end)? {
        involved.insert(member.person_id.clone());
        if member.role != MemberRole::Coach {
            focus.entry(member.person_id).or_default().extend(member.focus);
        }
    }
    let means = |conn: &mut DbConn, cycle_id: &str| -> Result<HashMap<(String, String), f64>, AppError> {
        let rows: Vec<(String, String, f64)> = db_run!(conn, |c| competency_summaries::table
            .filter(competency_summaries::cycle_id.eq(cycle_id))
            .select((
                competency_summaries::subject_id,
                competency_summaries::competency_key,
                competency_summaries::mean
            ))
            .load(c))?;
        Ok(rows.into_iter().map(|(s, k, m)| ((s, k), m)).collect())
    };
    let before = means(conn, &from.id)?;
    let after = means(conn, &to.id)?;
    // competency → (coached changes, not coached changes)
    let mut changes: BTreeMap<String, (Changes, Changes)> = BTreeMap::new();
    for ((subject, key), now) in &after {
        let Some(then) = before.get(&(subject.clone(), key.clone())) else { continue };
        let entry = changes.entry(key.clone()).or_default();
        if focus.get(subject).is_some_and(|keys| keys.contains(key)) {
            entry.0.push((subject.clone(), now - then));
        } else if !involved.contains(subject) {
            entry.1.push((subject.clone(), now - then));
        }
    }
    let mut rows: Vec<ImpactRow> = Vec::new();
    let (mut pooled_coached, mut pooled_others) = (Vec::new(), Vec::new());
    for (key, (coached, others)) in &changes {
        let row = row(Some(key.clone()), coached, others, min_cell);
        if row.coached.shown().is_some() && row.not_coached.shown().is_some() {
            pooled_coached.extend(coached.iter().cloned());
            pooled_others.extend(others.iter().cloned());
        }
        rows.push(row);
    }
    rows.insert(0, row(None, &pooled_coached, &pooled_others, min_cell));
    Ok(ImpactResponse {
        from_cycle_id: from.id,
        to_cycle_id: to.id,
        min_cell,
        competencies: rows,
        method: method(min_cell),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SilosQuery {
    /// The closed cycle whose following coaching to show.
    pub cycle_id: String,
}

/// Coaching links between two departments (a pair is one link; a circle of n, n(n−1)/2).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LinkFigures {
    pub links: i64,
    /// Leaders in those links.
    pub leaders: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiloCell {
    /// The two departments in name order (null: no department); the same one twice for
    /// links inside a department.
    pub department_a: Option<String>,
    pub department_b: Option<String>,
    pub figures: Cell<LinkFigures>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SilosResponse {
    pub cycle_id: String,
    pub min_cell: i64,
    pub cells: Vec<SiloCell>,
    /// Links of the shown cells, and the share of them that join two departments.
    pub links: i64,
    pub crossing_share: Option<f64>,
    pub rules: String,
}

/// The coaching that followed a closed cycle (relationships agreed and started after its
/// end and before the next closed cycle's), as a department × department matrix.
pub fn silos(conn: &mut DbConn, principal: &Principal, cycle_id: &str) -> Result<SilosResponse, AppError> {
    principal.require(Permission::ReadAnalytics)?;
    let cycle = closed_cycle(conn, principal, cycle_id, "cycle_id")?;
    let min_cell = i64::from(settings::load(conn, &principal.org_id)?.min_cell);
    let start = ended(&cycle);
    let closed = [CycleState::Closed, CycleState::Released, CycleState::Archived].map(CycleState::as_str);
    let later: Vec<Cycle> = db_run!(conn, |c| cycles::table
        .filter(cycles::org_id.eq(&principal.org_id))
        .filter(cycles::state.eq_any(closed))
        .select(Cycle::as_select())
        .load(c))?;
    let end = later.iter().map(ended).filter(|d| *d > start).min().unwrap_or(NaiveDate::MAX);
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for member in coached_between(conn, &principal.org_id, start, end)? {
        members.entry(member.relationship_id).or_default().push(member.person_id);
    }
    let ids: Vec<&String> = members.values().flatten().collect();
    let departments: HashMap<String, Option<String>> = db_run!(conn, |c| people::table
        .filter(people::org_id.eq(&principal.org_id))
        .filter(people::id.eq_any(&ids))
        .select((people::id, people::department))
        .load::<(String, Option<String>)>(c))?
    .into_iter()
    .collect();
    // (department, department) in name order → (links, leaders in them)
    type Pair = (Option<String>, Option<String>);
    let mut cells: BTreeMap<Pair, (i64, BTreeSet<String>)> = BTreeMap::new();
    for people in members.values() {
        for (i, a) in people.iter().enumerate() {
            for b in &people[i + 1..] {
                let (da, db) = (departments.get(a).cloned().flatten(), departments.get(b).cloned().flatten());
                let key = if da <= db { (da, db) } else { (db, da) };
                let cell = cells.entry(key).or_default();
                cell.0 += 1;
                cell.1.insert(a.clone());
                cell.1.insert(b.clone());
            }
        }
    }
    // Every pair of the organisation's departments, so that a withheld cell says nothing
    // about whether anyone in it coaches.
    let mut all: Vec<Option<String>> = db_run!(conn, |c| people::table
        .filter(people::org_id.eq(&principal.org_id))
        .select(people::department)
        .distinct()
        .load(c))?;
    all.sort();
    let (mut links, mut crossing) = (0, 0);
    let mut shown = Vec::new();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i..] {
            let figures = match cells.remove(&(a.clone(), b.clone())) {
                Some((n, leaders)) if leaders.len() as i64 >= min_cell => {
                    links += n;
                    crossing += if a == b { 0 } else { n };
                    Cell::Shown(LinkFigures { links: n, leaders: leaders.len() as i64 })
                }
                _ => Cell::hidden(too_few(min_cell)),
            };
            shown.push(SiloCell { department_a: a.clone(), department_b: b.clone(), figures });
        }
    }
    Ok(SilosResponse {
        cycle_id: cycle.id,
        min_cell,
        cells: shown,
        links,
        crossing_share: (links > 0).then(|| round(crossing as f64 / links as f64)),
        rules: format!(
            "Relationships agreed by their members that started after the cycle ended and before the \
             next closed cycle ended, by the members' departments today. A cell joining fewer than \
             {min_cell} leaders is withheld and left out of the totals."
        ),
    })
}
