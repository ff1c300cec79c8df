//! The anonymity rule every figure passes through: growth reports now, growth over cycles,
//! analytics and coaching views next. Pure: no I/O, so the rule is tested on its own.
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

mod cell;
mod rule;
mod thresholds;

pub use cell::{Cell, ScoreCount, Stat, Suppressed, Tally, round};
pub use rule::{OthersSummary, QuestionCells, QuestionInput, QuestionTallies, competency_cells, question_cells};
pub use thresholds::{AnonymitySettings, MIN_ANONYMOUS_THRESHOLD};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Least subjects behind any figure that pools subjects: a norm, a percentile, an
/// analytics cell.
pub const MIN_NORM_SUBJECTS: i64 = 5;

/// Whether ratings of one person that are not yet in their aggregate may join it now:
/// only a batch at least [`MIN_ANONYMOUS_THRESHOLD`] different people stand behind, so
/// that the aggregate, and every change of it one can observe, describes at least that
/// many people. Used for how useful coachees found a coach's sessions.
pub fn batch_may_join(distinct_raters: usize) -> bool {
    distinct_raters >= MIN_ANONYMOUS_THRESHOLD as usize
}

/// How a rater relates to the leader being reviewed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    #[serde(rename = "self")]
    Myself,
    Manager,
    Peer,
    DirectReport,
    Other,
}

impl Relationship {
    pub const ALL: [Relationship; 5] = [
        Relationship::Myself,
        Relationship::Manager,
        Relationship::Peer,
        Relationship::DirectReport,
        Relationship::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Myself => "self",
            Relationship::Manager => "manager",
            Relationship::Peer => "peer",
            Relationship::DirectReport => "direct_report",
            Relationship::Other => "other",
        }
    }
}

crate::stored_as_text!(Relationship, "relationship");

/// The non-self groups, in report order.
pub const OTHER_GROUPS: [Relationship; 4] =
    [Relationship::Manager, Relationship::Peer, Relationship::DirectReport, Relationship::Other];

#[cfg(test)]
mod tests;
