//! The thresholds a cycle sets: how many respondents a group needs before its figures,
//! and its comments, may be shown.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Relationship;
use crate::error::FieldError;

/// No anonymous group may be shown with fewer respondents than this.
pub const MIN_ANONYMOUS_THRESHOLD: i32 = 3;

/// Least respondents a group needs before anything about it is shown. Frozen once the
/// cycle starts collecting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AnonymitySettings {
    /// Peers (at least 3).
    pub peer: i32,
    /// Direct reports (at least 3).
    pub direct_report: i32,
    /// Others (at least 3).
    pub other: i32,
    /// The manager group: 1 when attributed, at least 3 when not.
    pub manager: i32,
    /// The manager's answers are shown as theirs: managers know they are identifiable.
    pub manager_attributed: bool,
    /// Least respondents before a group's comments are shown; never below the group's own threshold.
    pub comments: i32,
}

impl Default for AnonymitySettings {
    fn default() -> Self {
        Self { peer: 3, direct_report: 3, other: 3, manager: 1, manager_attributed: true, comments: 3 }
    }
}

impl AnonymitySettings {
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let low = |field: &str, value: i32, min: i32, errors: &mut Vec<FieldError>| {
            if !(min..=100).contains(&value) {
                errors.push(FieldError::new(
                    format!("anonymity.{field}"),
                    "range",
                    format!("must be between {min} and 100: no anonymous group may be shown below {min}"),
                ));
            }
        };
        low("peer", self.peer, MIN_ANONYMOUS_THRESHOLD, &mut errors);
        low("direct_report", self.direct_report, MIN_ANONYMOUS_THRESHOLD, &mut errors);
        low("other", self.other, MIN_ANONYMOUS_THRESHOLD, &mut errors);
        low("comments", self.comments, MIN_ANONYMOUS_THRESHOLD, &mut errors);
        if self.manager_attributed {
            low("manager", self.manager, 1, &mut errors);
        } else {
            low("manager", self.manager, MIN_ANONYMOUS_THRESHOLD, &mut errors);
        }
        errors
    }

    /// Least respondents for a group's numbers to be shown.
    pub fn threshold(&self, relationship: Relationship) -> i32 {
        match relationship {
            Relationship::Myself => 1,
            Relationship::Manager => self.manager,
            Relationship::Peer => self.peer,
            Relationship::DirectReport => self.direct_report,
            Relationship::Other => self.other,
        }
    }

    /// Whether the subject sees this group's answers as its members': the self-assessment,
    /// and the manager when attributed. Every other group is pooled behind its threshold.
    pub fn attributed(&self, relationship: Relationship) -> bool {
        match relationship {
            Relationship::Myself => true,
            Relationship::Manager => self.manager_attributed,
            _ => false,
        }
    }

    /// Least respondents for a group's comments to be shown.
    pub fn comment_threshold(&self, relationship: Relationship) -> i32 {
        match relationship {
            Relationship::Myself => 1,
            Relationship::Manager if self.manager_attributed => self.manager,
            other => self.threshold(other).max(self.comments),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_thresholds_below_three_are_refused() {
        assert!(AnonymitySettings::default().check().is_empty());
        let low = AnonymitySettings { peer: 2, ..Default::default() };
        assert_eq!(low.check()[0].field, "anonymity.peer");
        let unattributed = AnonymitySettings { manager_attributed: false, manager: 1, ..Default::default() };
        assert_eq!(unattributed.check()[0].field, "anonymity.manager");
        let ok = AnonymitySettings { manager_attributed: false, manager: 3, ..Default::default() };
        assert!(ok.check().is_empty());
    }

    #[test]
    fn comments_need_at_least_the_groups_own_threshold() {
        let s = AnonymitySettings { peer: 5, comments: 3, ..Default::default() };
        assert_eq!(s.comment_threshold(Relationship::Peer), 5);
        assert_eq!(s.comment_threshold(Relationship::Other), 3);
        assert_eq!(s.comment_threshold(Relationship::Manager), 1);
        let hidden_manager =
            AnonymitySettings { manager_attributed: false, manager: 3, comments: 4, ..Default::default() };
        assert_eq!(hidden_manager.comment_threshold(Relationship::Manager), 4);
    }
}
