//! A cycle's nomination limits. Its anonymity thresholds are in `crate::anonymity`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::anonymity::Relationship;
use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub min: i32,
    pub max: i32,
}

/// How many raters of each relationship a subject may have nominated and approved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NominationRules {
    pub manager: Limit,
    pub peer: Limit,
    pub direct_report: Limit,
    pub other: Limit,
}

impl Default for NominationRules {
    fn default() -> Self {
        Self {
            manager: Limit { min: 0, max: 1 },
            peer: Limit { min: 0, max: 10 },
            direct_report: Limit { min: 0, max: 10 },
            other: Limit { min: 0, max: 5 },
        }
    }
}

impl NominationRules {
    pub fn limit(&self, relationship: Relationship) -> Option<Limit> {
        match relationship {
            Relationship::Myself => None,
            Relationship::Manager => Some(self.manager),
            Relationship::Peer => Some(self.peer),
            Relationship::DirectReport => Some(self.direct_report),
            Relationship::Other => Some(self.other),
        }
    }

    pub fn check(&self) -> Vec<FieldError> {
        [("manager", self.manager), ("peer", self.peer), ("direct_report", self.direct_report), ("other", self.other)]
            .into_iter()
            .filter(|(_, l)| !(0 <= l.min && l.min <= l.max && l.max <= 50))
            .map(|(name, _)| {
                FieldError::new(format!("nomination_rules.{name}"), "range", "needs 0 <= min <= max <= 50")
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nomination_limits_must_be_ordered() {
        assert!(NominationRules::default().check().is_empty());
        let bad = NominationRules { peer: Limit { min: 4, max: 2 }, ..Default::default() };
        assert_eq!(bad.check()[0].field, "nomination_rules.peer");
    }
}
