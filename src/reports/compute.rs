//! A growth report's figures, and the anonymity rule that decides which of them may be
//! shown. Pure: no I/O, so the rule can be tested on its own.
//!
//! **The invariant.** No number a principal can obtain, alone or by arithmetic with the
//! other numbers of the cycle they can obtain, describes fewer than k respondents of an
//! anonymous group. It holds because only question-level cells bring information in:
//! - a relationship group's figures for a question are shown only when at least k of the
//!   group answered it (k is the group's threshold; 1 for self and an attributed manager);
//! - "all others" for a question folds in the groups too small to show only when those
//!   groups together have at least as many answers as the largest of their thresholds, so
//!   subtracting the shown groups leaves a mix of at least k; otherwise it leaves them out
//!   and says which groups it includes;
//! - every competency figure is pooled from the question-level figures that are shown, so
//!   it is arithmetic on published numbers and adds nothing to them.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use crate::cycles::Relationship;
use crate::cycles::settings::AnonymitySettings;

/// The non-self groups, in report order.
pub const OTHER_GROUPS: [Relationship; 4] =
    [Relationship::Manager, Relationship::Peer, Relationship::DirectReport, Relationship::Other];

/// Counts of each score one group gave one question.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// score → how many gave it
    pub counts: BTreeMap<i32, i64>,
}

impl Tally {
    pub fn add(&mut self, score: i32, n: i64) {
        *self.counts.entry(score).or_default() += n;
    }

    pub fn merge(&mut self, other: &Tally) {
        for (score, n) in &other.counts {
            self.add(*score, *n);
        }
    }

    pub fn n(&self) -> i64 {
        self.counts.values().sum()
    }

    pub fn sum(&self) -> i64 {
        self.counts.iter().map(|(s, n)| i64::from(*s) * n).sum()
    }

    pub fn stat(&self) -> Option<Stat> {
        let n = self.n();
        if n == 0 {
            return None;
        }
        let mean = self.sum() as f64 / n as f64;
        let variance =
            self.counts.iter().map(|(s, c)| *c as f64 * (f64::from(*s) - mean).powi(2)).sum::<f64>() / n as f64;
        Some(Stat {
            mean: round(mean),
            count: n,
            spread: round(variance.sqrt()),
            distribution: self.counts.iter().map(|(score, n)| ScoreCount { score: *score, n: *n }).collect(),
        })
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ScoreCount {
    pub score: i32,
    pub n: i64,
}

/// Figures for one cell: mean, how many answers, spread (standard deviation) and the
/// count of each score.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Stat {
    pub mean: f64,
    pub count: i64,
    pub spread: f64,
    pub distribution: Vec<ScoreCount>,
}

/// A figure, or why it is withheld.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Cell<T> {
    Shown(T),
    Suppressed(Suppressed),
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Suppressed {
    /// Always `true`.
    pub suppressed: bool,
    pub reason: String,
}

impl<T> Cell<T> {
    pub fn hidden(reason: impl Into<String>) -> Self {
        Cell::Suppressed(Suppressed { suppressed: true, reason: reason.into() })
    }

    pub fn shown(&self) -> Option<&T> {
        match self {
            Cell::Shown(v) => Some(v),
            Cell::Suppressed(_) => None,
        }
    }
}

/// One question's tallies per group, and the scale it is on.
#[derive(Debug, Clone)]
pub struct QuestionInput {
    pub id: String,
    pub key: String,
    pub prompt: String,
    pub competency_key: String,
    pub scale: (i32, i32),
    pub tallies: HashMap<Relationship, Tally>,
}

/// The shown figures of one question.
#[derive(Debug, Clone)]
pub struct QuestionCells {
    pub groups: BTreeMap<Relationship, Cell<Stat>>,
    pub others: Cell<Stat>,
    /// The groups "all others" pools.
    pub others_includes: Vec<Relationship>,
    /// Tallies behind the shown cells, for pooling at competency level.
    pub shown_tallies: BTreeMap<Relationship, Tally>,
    pub others_tally: Option<Tally>,
}

fn too_few(k: i32) -> String {
    format!("fewer than {k} responses")
}

/// Decides which of one question's figures may be shown.
pub fn question_cells(question: &QuestionInput, anonymity: &AnonymitySettings) -> QuestionCells {
    let mut groups = BTreeMap::new();
    let mut shown_tallies = BTreeMap::new();
    let empty = Tally::default();
    for relationship in std::iter::once(Relationship::Myself).chain(OTHER_GROUPS) {
        let tally = question.tallies.get(&relationship).unwrap_or(&empty);
        let k = anonymity.threshold(relationship);
        let cell = match tally.stat() {
            None => Cell::hidden("no responses"),
            Some(_) if tally.n() < i64::from(k) => Cell::hidden(too_few(k)),
            Some(stat) => {
                shown_tallies.insert(relationship, tally.clone());
                Cell::Shown(stat)
            }
        };
        groups.insert(relationship, cell);
    }

    // Groups too small to show may join "all others" only as a mix of at least k.
    let small: Vec<Relationship> = OTHER_GROUPS
        .into_iter()
        .filter(|r| !shown_tallies.contains_key(r) && question.tallies.get(r).is_some_and(|t| t.n() > 0))
        .collect();
    let small_n: i64 = small.iter().map(|r| question.tallies[r].n()).sum();
    let small_k = small.iter().map(|r| anonymity.threshold(*r)).max().unwrap_or(0);
    let fold_small = !small.is_empty() && small_n >= i64::from(small_k);
    let others_includes: Vec<Relationship> = OTHER_GROUPS
        .into_iter()
        .filter(|r| shown_tallies.contains_key(r) || (fold_small && small.contains(r)))
        .collect();
    let mut others_tally = Tally::default();
    for r in &others_includes {
        others_tally.merge(&question.tallies[r]);
    }
    let (others, others_tally) = match others_tally.stat() {
        Some(stat) => (Cell::Shown(stat), Some(others_tally)),
        None => (Cell::hidden("no group has enough responses"), None),
    };
    QuestionCells { groups, others, others_includes, shown_tallies, others_tally }
}

/// A question in the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionReport {
    pub question_id: String,
    pub key: String,
    pub prompt: String,
    /// Per relationship: `self`, `manager`, `peer`, `direct_report`, `other`.
    #[schema(value_type = Object)]
    pub groups: BTreeMap<Relationship, Cell<Stat>>,
    /// All raters but the subject, pooled.
    #[schema(value_type = Object)]
    pub others: Cell<Stat>,
    pub others_includes: Vec<Relationship>,
    /// Self mean minus others mean.
    pub gap: Option<f64>,
}

/// How a competency stands against its previous cycle.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Change {
    pub previous_cycle_id: String,
    pub previous_mean: f64,
    pub delta: f64,
    /// True when the change is larger than the noise: |delta| > 1.96 × √(sd₁²/n₁ + sd₂²/n₂),
    /// with n the respondents behind each "all others" mean.
    pub significant: bool,
}

/// The summary of "all others" for one competency, kept for norms and later cycles.
#[derive(Debug, Clone, PartialEq)]
pub struct OthersSummary {
    pub mean: f64,
    pub spread: f64,
    /// Respondents: the most who answered any one of its questions.
    pub respondents: i64,
    pub sum: i64,
    pub answers: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GapFlag {
    /// Self rates clearly higher than others do.
    BlindSpot,
    /// Others rate clearly higher than self does.
    HiddenStrength,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompetencyReport {
    pub key: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub groups: BTreeMap<Relationship, Cell<Stat>>,
    #[schema(value_type = Object)]
    pub others: Cell<Stat>,
    pub gap: Option<f64>,
    pub flag: Option<GapFlag>,
    /// The organisation's mean of "all others" for this competency in the cycle.
    #[schema(value_type = Object)]
    pub norm: Cell<f64>,
    /// Share of the cycle's subjects whose "all others" mean is lower (ties count half), 0–100.
    #[schema(value_type = Object)]
    pub percentile: Cell<f64>,
    pub change: Option<Change>,
    pub questions: Vec<QuestionReport>,
}

/// One competency's inputs.
pub struct CompetencyInput {
    pub key: String,
    pub name: String,
    pub questions: Vec<QuestionInput>,
}

/// Pools the shown cells of a competency's questions.
pub fn competency_cells(
    cells: &[QuestionCells],
) -> (BTreeMap<Relationship, Cell<Stat>>, Cell<Stat>, Option<OthersSummary>) {
    let mut groups = BTreeMap::new();
    for relationship in std::iter::once(Relationship::Myself).chain(OTHER_GROUPS) {
        let mut pooled = Tally::default();
        for c in cells {
            if let Some(t) = c.shown_tallies.get(&relationship) {
                pooled.merge(t);
            }
        }
        let cell = match pooled.stat() {
            Some(stat) => Cell::Shown(stat),
            None => Cell::hidden("no question has enough responses from this group"),
        };
        groups.insert(relationship, cell);
    }
    let mut others = Tally::default();
    let mut respondents = 0;
    for c in cells {
        if let Some(t) = &c.others_tally {
            others.merge(t);
            respondents = respondents.max(t.n());
        }
    }
    let summary = others.stat().map(|s| OthersSummary {
        mean: others.sum() as f64 / others.n() as f64,
        spread: s.spread,
        respondents,
        sum: others.sum(),
        answers: others.n(),
    });
    let others_cell = match others.stat() {
        Some(stat) => Cell::Shown(stat),
        None => Cell::hidden("no question has enough responses"),
    };
    (groups, others_cell, summary)
}

/// The gap beyond which self and others clearly disagree: a third of the scale's range.
pub fn gap_threshold(scale: (i32, i32)) -> f64 {
    f64::from(scale.1 - scale.0) / 3.0
}

pub fn gap_flag(gap: f64, scale: (i32, i32)) -> Option<GapFlag> {
    let threshold = gap_threshold(scale);
    if gap >= threshold {
        Some(GapFlag::BlindSpot)
    } else if -gap >= threshold {
        Some(GapFlag::HiddenStrength)
    } else {
        None
    }
}

/// Whether a change is larger than the noise of the two means.
pub fn change(previous_cycle_id: &str, previous: &OthersSummary, current: &OthersSummary) -> Change {
    let delta = current.mean - previous.mean;
    let se = |s: &OthersSummary| s.spread.powi(2) / (s.respondents.max(1) as f64);
    let noise = 1.96 * (se(previous) + se(current)).sqrt();
    Change {
        previous_cycle_id: previous_cycle_id.to_string(),
        previous_mean: round(previous.mean),
        delta: round(delta),
        significant: delta.abs() > noise && delta.abs() > 0.0,
    }
}

/// Where a value stands among others: share below, ties counted half, 0–100. `sorted`
/// must be in ascending order: two binary searches, so a cycle's percentiles take
/// O(n log n) rather than a pass over every subject for each subject.
pub fn percentile(value: f64, sorted: &[f64]) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let below = sorted.partition_point(|v| *v < value);
    let up_to = sorted.partition_point(|v| *v <= value);
    let equal = (up_to - below) as f64;
    round(100.0 * (below as f64 + equal / 2.0) / sorted.len() as f64)
}

pub fn self_gap(groups: &BTreeMap<Relationship, Cell<Stat>>, others: &Cell<Stat>) -> Option<f64> {
    let own = groups.get(&Relationship::Myself)?.shown()?;
    Some(round(own.mean - others.shown()?.mean))
}

#[cfg(test)]
mod tests;
