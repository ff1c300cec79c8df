//! Change between two cycles' "all others" means, flagged only where it is larger than
//! the noise of the two: the rule growth reports and analytics trends share.

use serde::Serialize;
use utoipa::ToSchema;

use crate::anonymity::{OthersSummary, round};

/// How a competency stands against its previous cycle.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Change {
    pub previous_cycle_id: String,
    pub previous_mean: f64,
    pub delta: f64,
    /// True when the change is larger than the noise: |delta| > 1.96 × √(sd₁²/n₁ + sd₂²/n₂),
    /// with n the respondents behind each "all others" mean (in analytics trends, the
    /// leaders behind each cell).
    pub significant: bool,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_is_flagged_only_beyond_the_noise() {
        let at = |mean: f64, spread: f64, respondents: i32| OthersSummary::stored(mean, spread, respondents);
        assert!(!change("c0", &at(3.0, 1.0, 5), &at(3.5, 1.0, 5)).significant); // noise ≈ 1.24
        assert!(change("c0", &at(3.0, 0.5, 12), &at(3.8, 0.5, 12)).significant); // noise ≈ 0.40
    }
}
