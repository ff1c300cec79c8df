//! The views an analyst reads, computed from a closed cycle's roll-ups under the least
//! number of subjects behind a cell. Pure: no I/O.
//!
//! **The subject's side of the rule, by leaving out.** The finest grain any view is made
//! of is one department's answers of one relationship group to one question (an *atom*;
//! for participation, one department's invitations of one group). An atom that describes
//! fewer subjects than the minimum is left out of every figure of the cycle: its own
//! cell, its department's, the organisation's, and every cell of the other views. So each
//! figure an analyst can obtain is a sum of atoms that each describe at least the minimum,
//! and so is every difference or other combination of figures, from one view or several:
//! no arithmetic reaches below an atom. A cell with no atom left is withheld as
//! `{"suppressed": true, "reason": …}`. Where the usual complementary suppression hides
//! a second cell so that a total minus the shown cells covers two, and still hands out
//! their sum, nothing left out here is in any total to subtract.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::data::{CycleData, GapBin};
use super::leaders::Leaders;
use crate::anonymity::{Cell, OTHER_GROUPS, Relationship, round};
use crate::frameworks::{QuestionKind, VersionResponse};

/// How a heatmap splits others' ratings besides department and competency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum By {
    /// One cell per department and competency: all others' ratings.
    #[default]
    Department,
    /// One cell per department, competency and relationship group.
    Relationship,
    /// One cell per department and question: all others' ratings.
    Question,
}

/// Whether a cell is one department's or the whole organisation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Department,
    Organisation,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Department => "department",
            Level::Organisation => "organisation",
        }
    }
}

/// The figures of a ratings cell.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    pub mean: f64,
    /// Standard deviation of the answers.
    pub spread: f64,
    /// Subjects (leaders rated) behind the figures.
    pub leaders: i64,
    /// Answers behind the figures.
    pub responses: i64,
}

/// One cell of a heatmap.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeatmapCell {
    pub level: Level,
    /// The department; null on the organisation's cells and for subjects without one.
    pub department: Option<String>,
    pub competency_key: String,
    /// The relationship group (`by=relationship`); null where the cell pools all others.
    pub relationship: Option<Relationship>,
    /// The question (`by=question`); null where the cell pools the competency's questions.
    pub question_id: Option<String>,
    pub question_key: Option<String>,
    pub figures: Cell<Figures>,
}

/// The figures of a participation cell.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ParticipationFigures {
    pub invited: i64,
    pub answered: i64,
    /// answered / invited, to three decimals.
    pub rate: f64,
    /// Subjects (leaders rated) the invitations were about.
    pub leaders: i64,
}

/// One cell of the participation view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipationCell {
    pub level: Level,
    /// The department; null on the organisation's cells and for subjects without one.
    pub department: Option<String>,
    /// The relationship group; null for all groups together.
    pub relationship: Option<Relationship>,
    pub figures: Cell<ParticipationFigures>,
}

/// One bar of a gap distribution: subjects whose gap lies in `[from, to)`; the first range
/// has no lower end and the last no upper one, so no edge marks where a single subject's
/// gap lies.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GapRange {
    pub from: Option<f64>,
    pub to: Option<f64>,
    pub leaders: i64,
}

/// The organisation's self-minus-others gap on one competency.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GapFigures {
    /// Mean of the subjects' self-minus-others gaps: above 0, leaders rate themselves
    /// higher than others do.
    pub mean_gap: f64,
    pub leaders: i64,
    /// Ranges of a quarter point, merged with their neighbours until each holds at least
    /// the minimum of subjects.
    pub distribution: Vec<GapRange>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BlindSpotRow {
    pub competency_key: String,
    pub figures: Cell<GapFigures>,
}

/// What the rule withholds, in words.
pub fn too_few(min_cell: i64) -> String {
    format!("fewer than {min_cell} leaders")
}

const NO_RESPONSES: &str = "no responses";

/// Sums of included atoms, per department.
#[derive(Debug, Clone, Default)]
struct Pool {
    leaders: Leaders,
    answers: i64,
    sum: i64,
    squares: i64,
}

impl Pool {
    fn figures(&self) -> Figures {
        let n = self.answers.max(1) as f64;
        let mean = self.sum as f64 / n;
        let variance = (self.squares as f64 / n - mean * mean).max(0.0);
        Figures {
            mean: round(mean),
            spread: round(variance.sqrt()),
            leaders: self.leaders.count(),
            responses: self.answers,
        }
    }
}

/// question id → its competency's key, for the rated questions.
fn competency_of(version: &VersionResponse) -> HashMap<&str, &str> {
    version
        .competencies
        .iter()
        .flat_map(|c| {
            c.questions.iter().filter(|q| q.kind == QuestionKind::Rating).map(move |q| (q.id.as_str(), c.key.as_str()))
        })
        .collect()
}

/// A heatmap cell's place: (competency key, group, question id).
type Column = (String, Option<Relationship>, Option<String>);

/// Every column of a heatmap, in framework order.
fn columns(version: &VersionResponse, by: By) -> Vec<(Column, Option<String>)> {
    let mut columns = Vec::new();
    for c in &version.competencies {
        let rated: Vec<_> = c.questions.iter().filter(|q| q.kind == QuestionKind::Rating).collect();
        if rated.is_empty() {
            continue;
        }
        match by {
            By::Department => columns.push(((c.key.clone(), None, None), None)),
            By::Relationship => {
                columns.extend(OTHER_GROUPS.into_iter().map(|r| ((c.key.clone(), Some(r), None), None)))
            }
            By::Question => {
                columns.extend(rated.iter().map(|q| ((c.key.clone(), None, Some(q.id.clone())), Some(q.key.clone()))))
            }
        }
    }
    columns
}

/// The competency × department heatmap of others' ratings, split `by`, with the
/// organisation's cells first.
pub fn heatmap(data: &CycleData, version: &VersionResponse, by: By, min_cell: i64) -> Vec<HeatmapCell> {
    let competency_of = competency_of(version);
    let mut pools: HashMap<(usize, Column), Pool> = HashMap::new();
    let mut left_out: HashSet<(usize, Column)> = HashSet::new();
    for atom in &data.ratings {
        let Some(competency_key) = competency_of.get(atom.question_id.as_str()) else { continue };
        let column = (
            competency_key.to_string(),
            (by == By::Relationship).then_some(atom.relationship),
            (by == By::Question).then(|| atom.question_id.clone()),
        );
        if atom.leaders.count() < min_cell {
            left_out.insert((atom.department, column));
            continue;
        }
        let pool = pools.entry((atom.department, column)).or_default();
        pool.leaders.union_with(&atom.leaders);
        pool.answers += atom.answers;
        pool.sum += atom.sum;
        pool.squares += atom.squares;
    }
    let mut cells = Vec::new();
    for (column, question_key) in columns(version, by) {
        let mut organisation = Pool::default();
        let mut organisation_leaders = 0;
        let mut department_cells = Vec::new();
        let mut any_left_out = false;
        for (position, department) in data.departments.iter().enumerate() {
            let key = (position, column.clone());
            let figures = match pools.get(&key) {
                Some(pool) => {
                    organisation.answers += pool.answers;
                    organisation.sum += pool.sum;
                    organisation.squares += pool.squares;
                    organisation_leaders += pool.leaders.count();
                    Cell::Shown(pool.figures())
                }
                None if left_out.contains(&key) => {
                    any_left_out = true;
                    Cell::hidden(too_few(min_cell))
                }
                None => Cell::hidden(NO_RESPONSES),
            };
            department_cells.push(cell(Level::Department, department.clone(), &column, &question_key, figures));
        }
        let figures = if organisation.answers > 0 {
            Cell::Shown(Figures { leaders: organisation_leaders, ..organisation.figures() })
        } else if any_left_out {
            Cell::hidden(too_few(min_cell))
        } else {
            Cell::hidden(NO_RESPONSES)
        };
        cells.push(cell(Level::Organisation, None, &column, &question_key, figures));
        cells.extend(department_cells);
    }
    cells
}

fn cell(
    level: Level,
    department: Option<String>,
    (competency_key, relationship, question_id): &Column,
    question_key: &Option<String>,
    figures: Cell<Figures>,
) -> HeatmapCell {
    HeatmapCell {
        level,
        department,
        competency_key: competency_key.clone(),
        relationship: *relationship,
        question_id: question_id.clone(),
        question_key: question_key.clone(),
        figures,
    }
}

/// Invitations and answers per department and relationship group, with each department's
/// and the organisation's totals.
pub fn participation(data: &CycleData, min_cell: i64) -> Vec<ParticipationCell> {
    let groups: Vec<Option<Relationship>> =
        std::iter::once(None).chain(Relationship::ALL.into_iter().map(Some)).collect();
    // (department, group) → (leaders, invited, answered); None pools every group.
    let mut pools: HashMap<(usize, Option<Relationship>), (Leaders, i64, i64)> = HashMap::new();
    let mut left_out: HashSet<(usize, Option<Relationship>)> = HashSet::new();
    for atom in &data.participation {
        if atom.leaders.count() < min_cell {
            left_out.insert((atom.department, Some(atom.relationship)));
            left_out.insert((atom.department, None));
            continue;
        }
        for group in [Some(atom.relationship), None] {
            let pool = pools.entry((atom.department, group)).or_default();
            pool.0.union_with(&atom.leaders);
            pool.1 += atom.invited;
            pool.2 += atom.answered;
        }
    }
    let figures = |leaders: i64, invited: i64, answered: i64| ParticipationFigures {
        invited,
        answered,
        rate: round(answered as f64 / invited.max(1) as f64),
        leaders,
    };
    let mut cells = Vec::new();
    for group in groups {
        let (mut leaders, mut invited, mut answered, mut any_left_out) = (0, 0, 0, false);
        let mut department_cells = Vec::new();
        for (position, department) in data.departments.iter().enumerate() {
            let key = (position, group);
            let shown = match pools.get(&key) {
                Some((l, i, a)) => {
                    leaders += l.count();
                    invited += i;
                    answered += a;
                    Cell::Shown(figures(l.count(), *i, *a))
                }
                None if left_out.contains(&key) => {
                    any_left_out = true;
                    Cell::hidden(too_few(min_cell))
                }
                None => Cell::hidden("no invitations"),
            };
            department_cells.push(ParticipationCell {
                level: Level::Department,
                department: department.clone(),
                relationship: group,
                figures: shown,
            });
        }
        let organisation = match (invited, any_left_out) {
            (0, true) => Cell::hidden(too_few(min_cell)),
            (0, false) => Cell::hidden("no invitations"),
            _ => Cell::Shown(figures(leaders, invited, answered)),
        };
        cells.push(ParticipationCell {
            level: Level::Organisation,
            department: None,
            relationship: group,
            figures: organisation,
        });
        cells.extend(department_cells);
    }
    cells
}

/// Width of a gap range before merging, in hundredths.
const GAP_RANGE: i32 = 25;

/// The organisation's self-minus-others gap per competency, with its distribution.
pub fn blind_spots(data: &CycleData, version: &VersionResponse, min_cell: i64) -> Vec<BlindSpotRow> {
    let mut by_competency: BTreeMap<&str, Vec<&GapBin>> = BTreeMap::new();
    for bin in &data.gaps {
        by_competency.entry(bin.competency_key.as_str()).or_default().push(bin);
    }
    version
        .competencies
        .iter()
        .filter(|c| c.questions.iter().any(|q| q.kind == QuestionKind::Rating))
        .map(|c| {
            let bins = by_competency.remove(c.key.as_str()).unwrap_or_default();
            let leaders: i64 = bins.iter().map(|b| b.leaders).sum();
            let figures = if leaders == 0 {
                Cell::hidden("no subject has both a self-assessment and others' ratings")
            } else if leaders < min_cell {
                Cell::hidden(too_few(min_cell))
            } else {
                Cell::Shown(GapFigures {
                    mean_gap: round(bins.iter().map(|b| b.sum).sum::<f64>() / leaders as f64),
                    leaders,
                    distribution: distribution(&bins, min_cell),
                })
            };
            BlindSpotRow { competency_key: c.key.clone(), figures }
        })
        .collect()
}

/// Quarter-point ranges, each merged into the next until it holds at least `min_cell`
/// subjects; a short last range joins the one before it. Ranges meet, and the outer ones
/// are open.
fn distribution(bins: &[&GapBin], min_cell: i64) -> Vec<GapRange> {
    let mut quarters: BTreeMap<i32, i64> = BTreeMap::new();
    for bin in bins {
        *quarters.entry(bin.hundredths.div_euclid(GAP_RANGE)).or_default() += bin.leaders;
    }
    let edge = |quarter: i32| f64::from(quarter * GAP_RANGE) / 100.0;
    let mut ranges: Vec<GapRange> = Vec::new();
    let mut open: Option<GapRange> = None;
    for (quarter, leaders) in quarters {
        let from = ranges.last().and_then(|r| r.to);
        let range = open.get_or_insert(GapRange { from, to: None, leaders: 0 });
        range.to = Some(edge(quarter + 1));
        range.leaders += leaders;
        if range.leaders >= min_cell {
            ranges.extend(open.take());
        }
    }
    if let Some(rest) = open {
        match ranges.last_mut() {
            Some(last) => last.leaders += rest.leaders,
            None => ranges.push(rest),
        }
    }
    if let Some(last) = ranges.last_mut() {
        last.to = None;
    }
    ranges
}
