//! The rule itself: which of a question's figures may be shown, and how shown figures pool
//! into a competency's.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{AnonymitySettings, Cell, OTHER_GROUPS, Stat, Tally};
use crate::anonymity::Relationship;

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
