//! A figure, or why it is withheld; and the tallies figures are computed from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Counts of each score one group gave one question.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
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

pub fn round(x: f64) -> f64 {
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Cell<T> {
    Shown(T),
    Suppressed(Suppressed),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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
