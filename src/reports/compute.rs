//! A growth report's figures built on what the anonymity rule (`crate::anonymity`) lets
//! through: gaps, flags, change since earlier cycles and percentiles. Pure: no I/O.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::anonymity::{Cell, QuestionInput, Relationship, Stat, round};
pub use crate::change::{Change, change};

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
