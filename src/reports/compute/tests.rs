use super::*;
use crate::anonymity::{Relationship, Tally, question_cells};

#[test]
fn percentile_counts_those_below_and_half_the_ties() {
    let sorted = [1.0, 2.0, 2.0, 2.0, 3.5, 4.0];
    assert_eq!(percentile(2.0, &sorted), round(100.0 * (1.0 + 1.5) / 6.0));
    assert_eq!(percentile(0.5, &sorted), 0.0);
    assert_eq!(percentile(4.5, &sorted), 100.0);
    assert_eq!(percentile(3.0, &sorted), round(100.0 * 4.0 / 6.0));
    assert_eq!(percentile(3.0, &[]), 0.0);
    assert_eq!(percentile(3.0, &[1.0, 2.0, 3.0, 4.0]), 62.5);
}

#[test]
fn gaps_of_a_third_of_the_scale_are_flagged() {
    let mut own = Tally::default();
    own.add(5, 1);
    let mut peers = Tally::default();
    peers.add(3, 3);
    let question = QuestionInput {
        id: "q".into(),
        key: "q".into(),
        prompt: "q".into(),
        competency_key: "c".into(),
        scale: (1, 5),
        tallies: [(Relationship::Myself, own), (Relationship::Peer, peers)].into_iter().collect(),
    };
    let cells = question_cells(&question, &crate::anonymity::AnonymitySettings::default());
    assert_eq!(self_gap(&cells.groups, &cells.others), Some(2.0));
    assert_eq!(gap_flag(2.0, (1, 5)), Some(GapFlag::BlindSpot));
    assert_eq!(gap_flag(-1.34, (1, 5)), Some(GapFlag::HiddenStrength));
    assert_eq!(gap_flag(1.3, (1, 5)), None);
}
