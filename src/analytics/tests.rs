//! The subject's side of the rule, tried over random cycles: whatever a grain under the
//! minimum holds, every view comes out the same, so no figure and no arithmetic on
//! figures, in one view or across views, can tell anything about it.

use chrono::Utc;

use super::data::{CycleData, ParticipationAtom, RatingAtom};
use super::leaders::Leaders;
use super::views::{self, By};
use crate::anonymity::{OTHER_GROUPS, Relationship};
use crate::frameworks::{CompetencyResponse, QuestionKind, QuestionResponse, VersionResponse};
use crate::rng::Rng;

fn version(competencies: usize, questions: usize) -> VersionResponse {
    VersionResponse {
        id: "v".into(),
        framework_id: "f".into(),
        version: 1,
        created_at: Utc::now(),
        competencies: (0..competencies)
            .map(|c| CompetencyResponse {
                id: format!("c{c}"),
                key: format!("competency_{c}"),
                name: format!("Competency {c}"),
                description: String::new(),
                questions: (0..questions)
                    .map(|q| QuestionResponse {
                        id: format!("q{c}.{q}"),
                        key: format!("q{q}"),
                        kind: QuestionKind::Rating,
                        prompt: String::new(),
                        required: true,
                        scale: None,
                        max_length: None,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// One to `most` of a department's `size` subjects, drawn at random.
fn some_leaders(rng: &mut Rng, size: usize, most: usize) -> Leaders {
    let count = 1 + rng.below(most);
    let mut places: Vec<usize> = (0..size).collect();
    rng.shuffle(&mut places);
    let mut leaders = Leaders::default();
    places.into_iter().take(count).for_each(|p| leaders.insert(p));
    leaders
}

/// Random answers of `leaders` subjects' groups: between one and twelve answers each.
fn answers(rng: &mut Rng, leaders: i64) -> (i64, i64, i64) {
    let answers = leaders * (1 + rng.below(12) as i64);
    let scores: Vec<i64> = (0..answers).map(|_| 1 + rng.below(5) as i64).collect();
    (answers, scores.iter().sum(), scores.iter().map(|s| s * s).sum())
}

fn random_cycle(rng: &mut Rng, version: &VersionResponse) -> (CycleData, Vec<usize>) {
    let departments = 1 + rng.below(6);
    let sizes: Vec<usize> = (0..departments).map(|_| 1 + rng.below(14)).collect();
    let mut data = CycleData {
        departments: (0..departments).map(|d| (d > 0).then(|| format!("Department {d}"))).collect(),
        ..CycleData::default()
    };
    for (department, &size) in sizes.iter().enumerate() {
        for relationship in OTHER_GROUPS {
            for question in version.questions() {
                if rng.below(5) == 0 {
                    continue;
                }
                let leaders = some_leaders(rng, size, size);
                let (answers, sum, squares) = answers(rng, leaders.count());
                data.ratings.push(RatingAtom {
                    department,
                    relationship,
                    question_id: question.id.clone(),
                    leaders,
                    answers,
                    sum,
                    squares,
                });
            }
        }
        for relationship in Relationship::ALL {
            let leaders = some_leaders(rng, size, size);
            let invited = leaders.count() * (1 + rng.below(4) as i64);
            data.participation.push(ParticipationAtom {
                department,
                relationship,
                leaders,
                invited,
                answered: rng.below(invited as usize + 1) as i64,
            });
        }
    }
    (data, sizes)
}

/// Everything an analyst can read of the cycle's ratings and participation.
fn every_view(data: &CycleData, version: &VersionResponse, min_cell: i64) -> serde_json::Value {
    serde_json::json!({
        "department": views::heatmap(data, version, By::Department, min_cell),
        "relationship": views::heatmap(data, version, By::Relationship, min_cell),
        "question": views::heatmap(data, version, By::Question, min_cell),
        "participation": views::participation(data, min_cell),
    })
}

#[test]
fn what_a_grain_under_the_minimum_holds_changes_no_figure_of_any_view() {
    let version = version(3, 4);
    let mut rng = Rng::new(2026);
    let mut left_out = 0;
    for _ in 0..300 {
        let (mut data, sizes) = random_cycle(&mut rng, &version);
        let min_cell = 3 + rng.below(4) as i64;
        let before = every_view(&data, &version, min_cell);
        for atom in data.ratings.iter_mut().filter(|a| a.leaders.count() < min_cell) {
            left_out += 1;
            let size = sizes[atom.department];
            atom.leaders = some_leaders(&mut rng, size, size.min(min_cell as usize - 1));
            (atom.answers, atom.sum, atom.squares) = answers(&mut rng, atom.leaders.count());
        }
        for atom in data.participation.iter_mut().filter(|a| a.leaders.count() < min_cell) {
            atom.invited = 1 + rng.below(40) as i64;
            atom.answered = rng.below(atom.invited as usize + 1) as i64;
        }
        assert_eq!(every_view(&data, &version, min_cell), before, "min_cell {min_cell}");
    }
    assert!(left_out > 1000, "the random cycles have grains under the minimum ({left_out})");
}

#[test]
fn every_shown_figure_describes_at_least_the_minimum_and_totals_are_the_shown_cells() {
    let version = version(2, 3);
    let mut rng = Rng::new(7);
    for _ in 0..200 {
        let (data, _) = random_cycle(&mut rng, &version);
        let min_cell = 3 + rng.below(4) as i64;
        for by in [By::Department, By::Relationship, By::Question] {
            let cells = views::heatmap(&data, &version, by, min_cell);
            let mut organisation = std::collections::HashMap::new();
            let mut departments = std::collections::HashMap::new();
            for cell in &cells {
                let Some(f) = cell.figures.shown() else { continue };
                assert!(f.leaders >= min_cell, "{cell:?}");
                let key = (cell.competency_key.clone(), cell.relationship, cell.question_id.clone());
                let into = match cell.level {
                    views::Level::Organisation => &mut organisation,
                    views::Level::Department => &mut departments,
                };
                let entry: &mut (i64, i64) = into.entry(key).or_default();
                entry.0 += f.responses;
                entry.1 += f.leaders;
            }
            assert_eq!(organisation, departments, "{by:?}");
        }
    }
}

#[test]
fn gap_ranges_each_hold_the_minimum() {
    let bins: Vec<super::data::GapBin> = [(-130, 1), (-20, 2), (0, 3), (10, 1), (40, 2), (90, 1), (250, 3)]
        .into_iter()
        .map(|(hundredths, leaders)| super::data::GapBin {
            competency_key: "c".into(),
            hundredths,
            leaders,
            sum: f64::from(hundredths) / 100.0 * leaders as f64,
        })
        .collect();
    let data = CycleData { gaps: bins, ..CycleData::default() };
    let mut version = version(1, 1);
    version.competencies[0].key = "c".into();
    let rows = views::blind_spots(&data, &version, 5);
    let figures = rows[0].figures.shown().expect("13 leaders");
    assert_eq!(figures.leaders, 13);
    let ranges: Vec<_> = figures.distribution.iter().map(|r| (r.from, r.to, r.leaders)).collect();
    assert_eq!(ranges, vec![(None, Some(0.25), 7), (Some(0.25), None, 6)]);
    assert!(views::blind_spots(&data, &version, 14)[0].figures.shown().is_none());
}
