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

/// The shown figures of one question, made from its [`QuestionTallies`] (which is what a
/// closed cycle stores of it).
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionCells {
    pub groups: BTreeMap<Relationship, Cell<Stat>>,
    pub others: Cell<Stat>,
    /// The groups "all others" pools.
    pub others_includes: Vec<Relationship>,
    /// Tallies behind the shown cells, for pooling at competency level.
    pub shown_tallies: BTreeMap<Relationship, Tally>,
    pub others_tally: Option<Tally>,
    /// The groups that answered but are too few to show, with their threshold.
    pub few: BTreeMap<Relationship, i32>,
}

/// What the rule lets through of one question: the tallies of the groups shown, the
/// groups that answered but are too few (with their threshold), and what "all others"
/// pools. Nothing in it describes fewer than a threshold of an anonymous group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestionTallies {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub shown: BTreeMap<Relationship, Tally>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub few: BTreeMap<Relationship, i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others_includes: Vec<Relationship>,
    /// "All others" when it folds in groups too small to show; otherwise the shown
    /// groups it includes, merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folded: Option<Tally>,
}

impl From<QuestionTallies> for QuestionCells {
    fn from(t: QuestionTallies) -> Self {
        let groups = std::iter::once(Relationship::Myself)
            .chain(OTHER_GROUPS)
            .map(|r| {
                let cell = match (t.shown.get(&r).and_then(Tally::stat), t.few.get(&r)) {
                    (Some(stat), _) => Cell::Shown(stat),
                    (None, Some(k)) => Cell::hidden(too_few(*k)),
                    (None, None) => Cell::hidden("no responses"),
                };
                (r, cell)
            })
            .collect();
        let others_tally = t.folded.clone().unwrap_or_else(|| {
            let mut merged = Tally::default();
            t.others_includes.iter().filter_map(|r| t.shown.get(r)).for_each(|s| merged.merge(s));
            merged
        });
        let (others, others_tally) = match others_tally.stat() {
            Some(stat) => (Cell::Shown(stat), Some(others_tally)),
            None => (Cell::hidden("no group has enough responses"), None),
        };
        QuestionCells {
            groups,
            others,
            others_includes: t.others_includes,
            shown_tallies: t.shown,
            others_tally,
            few: t.few,
        }
    }
}

impl From<QuestionCells> for QuestionTallies {
    fn from(c: QuestionCells) -> Self {
        let folds = c.others_includes.iter().any(|r| !c.shown_tallies.contains_key(r));
        QuestionTallies {
            shown: c.shown_tallies,
            few: c.few,
            others_includes: c.others_includes,
            folded: if folds { c.others_tally } else { None },
        }
    }
}

fn too_few(k: i32) -> String {
    format!("fewer than {k} responses")
}

/// Decides which of one question's figures may be shown.
pub fn question_cells(question: &QuestionInput, anonymity: &AnonymitySettings) -> QuestionCells {
    let mut shown = BTreeMap::new();
    let mut few = BTreeMap::new();
    for relationship in std::iter::once(Relationship::Myself).chain(OTHER_GROUPS) {
        let Some(tally) = question.tallies.get(&relationship).filter(|t| t.n() > 0) else { continue };
        let k = anonymity.threshold(relationship);
        if tally.n() < i64::from(k) {
            few.insert(relationship, k);
        } else {
            shown.insert(relationship, tally.clone());
        }
    }

    // Groups too small to show may join "all others" only as a mix of at least k.
    let small: Vec<Relationship> = OTHER_GROUPS.into_iter().filter(|r| few.contains_key(r)).collect();
    let small_n: i64 = small.iter().map(|r| question.tallies[r].n()).sum();
    let small_k = small.iter().map(|r| few[r]).max().unwrap_or(0);
    let fold_small = !small.is_empty() && small_n >= i64::from(small_k);
    let others_includes: Vec<Relationship> =
        OTHER_GROUPS.into_iter().filter(|r| shown.contains_key(r) || (fold_small && small.contains(r))).collect();
    let folded = fold_small.then(|| {
        let mut all = Tally::default();
        others_includes.iter().for_each(|r| all.merge(&question.tallies[r]));
        all
    });
    QuestionCells::from(QuestionTallies { shown, few, others_includes, folded })
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
    /// The subject's own mean minus this one, where both are shown (set at close).
    pub self_gap: Option<f64>,
}

impl OthersSummary {
    /// A summary as `competency_summaries` stores it: what comparing cycles needs.
    pub fn stored(mean: f64, spread: f64, respondents: i32) -> Self {
        Self { mean, spread, respondents: i64::from(respondents), sum: 0, answers: 0, self_gap: None }
    }
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
        self_gap: None,
    });
    let others_cell = match others.stat() {
        Some(stat) => Cell::Shown(stat),
        None => Cell::hidden("no question has enough responses"),
    };
    (groups, others_cell, summary)
}
