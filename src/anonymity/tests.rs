use std::collections::HashMap;

use super::*;

fn tally(scores: &[i32]) -> Tally {
    let mut t = Tally::default();
    for s in scores {
        t.add(*s, 1);
    }
    t
}

fn question(tallies: Vec<(Relationship, Tally)>) -> QuestionInput {
    QuestionInput {
        id: "q".into(),
        key: "q".into(),
        prompt: "q".into(),
        competency_key: "c".into(),
        scale: (1, 5),
        tallies: tallies.into_iter().collect(),
    }
}

#[test]
fn hand_computed_figures() {
    let q = question(vec![
        (Relationship::Myself, tally(&[5])),
        (Relationship::Manager, tally(&[3])),
        (Relationship::Peer, tally(&[4, 2, 3, 3])),
        (Relationship::DirectReport, tally(&[5, 4])),
    ]);
    let cells = question_cells(&q, &AnonymitySettings::default());
    let peer = cells.groups[&Relationship::Peer].shown().unwrap();
    assert_eq!(peer.mean, 3.0);
    assert_eq!(peer.count, 4);
    assert_eq!(peer.spread, 0.707); // sqrt(((1)^2 + (1)^2 + 0 + 0) / 4)
    assert_eq!(
        peer.distribution,
        vec![ScoreCount { score: 2, n: 1 }, ScoreCount { score: 3, n: 2 }, ScoreCount { score: 4, n: 1 }]
    );
    assert_eq!(cells.groups[&Relationship::Manager].shown().unwrap().mean, 3.0);
    // Two direct reports are too few, and too few to fold into "all others" on their own.
    assert_eq!(cells.groups[&Relationship::DirectReport], Cell::hidden("fewer than 3 responses"));
    assert_eq!(cells.others_includes, vec![Relationship::Manager, Relationship::Peer]);
    let others = cells.others.shown().unwrap();
    assert_eq!(others.mean, 3.0); // (3 + 4 + 2 + 3 + 3) / 5
    assert_eq!(others.count, 5);
}

#[test]
fn small_groups_fold_into_others_only_as_a_mix_of_at_least_k() {
    let q = question(vec![
        (Relationship::Peer, tally(&[4, 4, 4])),
        (Relationship::DirectReport, tally(&[1, 2])),
        (Relationship::Other, tally(&[5])),
    ]);
    let cells = question_cells(&q, &AnonymitySettings::default());
    assert_eq!(cells.others_includes, vec![Relationship::Peer, Relationship::DirectReport, Relationship::Other]);
    assert_eq!(cells.others.shown().unwrap().count, 6);
}

#[test]
fn competencies_pool_only_shown_questions() {
    let settings = AnonymitySettings::default();
    let full = question(vec![(Relationship::Peer, tally(&[4, 4, 4]))]);
    let mut optional = question(vec![(Relationship::Peer, tally(&[1, 1]))]);
    optional.id = "q2".into();
    let cells = vec![question_cells(&full, &settings), question_cells(&optional, &settings)];
    let (groups, others, summary) = competency_cells(&cells);
    assert_eq!(groups[&Relationship::Peer].shown().unwrap().mean, 4.0);
    assert_eq!(others.shown().unwrap().count, 3);
    assert_eq!(summary.unwrap().respondents, 3);
}

/// A tiny deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A published figure as the answers it pools: (respondent, question) → multiplicity.
type Tokens = Vec<i8>;

struct Case {
    anonymity: AnonymitySettings,
    /// respondent index → group
    respondents: Vec<Relationship>,
    /// (question index, respondent index) → token index
    tokens: HashMap<(usize, usize), usize>,
    cells: Vec<Tokens>,
    /// Which cells belong to which competency (question-level and pooled ones).
    scopes: Vec<Vec<usize>>,
}

fn random_case(rng: &mut Rng) -> Case {
    let manager_attributed = rng.chance(50);
    let anonymity = AnonymitySettings {
        peer: 3 + rng.below(3) as i32,
        direct_report: 3 + rng.below(2) as i32,
        other: 3,
        manager: if manager_attributed { 1 } else { 3 },
        manager_attributed,
        comments: 3,
    };
    let mut respondents = Vec::new();
    let sizes = [
        (Relationship::Myself, rng.below(2)),
        (Relationship::Manager, rng.below(3)),
        (Relationship::Peer, rng.below(7)),
        (Relationship::DirectReport, rng.below(6)),
        (Relationship::Other, rng.below(5)),
    ];
    for (group, size) in sizes {
        respondents.extend(std::iter::repeat_n(group, size as usize));
    }
    let competencies = 2;
    let per_competency = 2 + rng.below(2) as usize;
    let mut answers: Vec<Vec<(usize, i32)>> = Vec::new();
    for _ in 0..competencies * per_competency {
        let optional = rng.chance(40);
        let mut given = Vec::new();
        for r in 0..respondents.len() {
            if !optional || rng.chance(55) {
                given.push((r, 1 + rng.below(5) as i32));
            }
        }
        answers.push(given);
    }
    let mut tokens = HashMap::new();
    for (q, given) in answers.iter().enumerate() {
        for (r, _) in given {
            let next = tokens.len();
            tokens.insert((q, *r), next);
        }
    }
    let token_count = tokens.len();
    let members = |q: usize, groups: &[Relationship]| -> Tokens {
        let mut t = vec![0i8; token_count];
        for (r, _) in &answers[q] {
            if groups.contains(&respondents[*r]) {
                t[tokens[&(q, *r)]] += 1;
            }
        }
        t
    };

    let mut cells = Vec::new();
    let mut scopes = Vec::new();
    for c in 0..competencies {
        let mut scope = Vec::new();
        let mut question_cells_of_competency = Vec::new();
        let mut pooled_groups: HashMap<Relationship, Tokens> = HashMap::new();
        let mut pooled_others = vec![0i8; token_count];
        for (q, given) in answers.iter().enumerate().skip(c * per_competency).take(per_competency) {
            let mut tallies: HashMap<Relationship, Tally> = HashMap::new();
            for (r, score) in given {
                tallies.entry(respondents[*r]).or_default().add(*score, 1);
            }
            let input = QuestionInput {
                id: format!("q{q}"),
                key: format!("q{q}"),
                prompt: String::new(),
                competency_key: format!("c{c}"),
                scale: (1, 5),
                tallies,
            };
            let shown = question_cells(&input, &anonymity);
            for (group, cell) in &shown.groups {
                if cell.shown().is_some() {
                    let t = members(q, &[*group]);
                    let pooled = pooled_groups.entry(*group).or_insert_with(|| vec![0; token_count]);
                    pooled.iter_mut().zip(&t).for_each(|(a, b)| *a += b);
                    scope.push(cells.len());
                    cells.push(t);
                }
            }
            if shown.others.shown().is_some() {
                let t = members(q, &shown.others_includes);
                pooled_others.iter_mut().zip(&t).for_each(|(a, b)| *a += b);
                scope.push(cells.len());
                cells.push(t);
            }
            question_cells_of_competency.push(shown);
        }
        // The competency figures must be exactly the pooled shown question figures.
        let (groups, others, _) = competency_cells(&question_cells_of_competency);
        for (group, cell) in &groups {
            if let Some(stat) = cell.shown() {
                let t = pooled_groups.remove(group).expect("a pooled cell has shown questions behind it");
                assert_eq!(stat.count, t.iter().map(|v| i64::from(*v)).sum::<i64>());
                scope.push(cells.len());
                cells.push(t);
            }
        }
        if let Some(stat) = others.shown() {
            assert_eq!(stat.count, pooled_others.iter().map(|v| i64::from(*v)).sum::<i64>());
            scope.push(cells.len());
            cells.push(pooled_others);
        }
        scopes.push(scope);
    }
    Case { anonymity, respondents, tokens, cells, scopes }
}

/// Whether a combination of cells isolates fewer than k anonymous respondents.
fn violation(case: &Case, combined: &[i8]) -> Option<String> {
    if combined.iter().any(|v| *v < 0) || combined.iter().all(|v| *v == 0) {
        return None;
    }
    let mut anonymous = std::collections::BTreeSet::new();
    let mut required = 0;
    for ((_, r), t) in &case.tokens {
        if combined[*t] == 0 {
            continue;
        }
        let group = case.respondents[*r];
        let k = case.anonymity.threshold(group);
        let anonymous_group = match group {
            Relationship::Myself => false,
            Relationship::Manager => !case.anonymity.manager_attributed,
            _ => true,
        };
        if anonymous_group {
            anonymous.insert(*r);
            required = required.max(k);
        }
    }
    let n = anonymous.len() as i32;
    (n > 0 && n < required).then(|| format!("{n} anonymous respondents isolated (need {required})"))
}

#[test]
fn no_subtraction_between_published_figures_isolates_a_small_group() {
    let mut rng = Rng(0x5eed_2026_1125);
    for case_number in 0..300 {
        let case = random_case(&mut rng);
        let combine = |ids: &[(usize, i8)]| -> Tokens {
            let mut t = vec![0i8; case.tokens.len()];
            for (id, sign) in ids {
                t.iter_mut().zip(&case.cells[*id]).for_each(|(a, b)| *a += sign * b);
            }
            t
        };
        let all: Vec<usize> = (0..case.cells.len()).collect();
        // Every cell alone, every difference of two, and within each competency every
        // cell minus two others.
        for &a in &all {
            if let Some(v) = violation(&case, &combine(&[(a, 1)])) {
                panic!("case {case_number}: cell {a} alone: {v}");
            }
            for &b in &all {
                if a != b
                    && let Some(v) = violation(&case, &combine(&[(a, 1), (b, -1)]))
                {
                    panic!("case {case_number}: {a} - {b}: {v}");
                }
            }
        }
        for scope in &case.scopes {
            for &a in scope {
                for &b in scope {
                    for &c in scope {
                        if a == b || a == c || b <= c {
                            continue;
                        }
                        for (sb, sc) in [(-1, -1), (-1, 1), (1, -1)] {
                            if let Some(v) = violation(&case, &combine(&[(a, 1), (b, sb), (c, sc)])) {
                                panic!("case {case_number}: {a} {sb:+} {b} {sc:+} {c}: {v}");
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_question_s_cells_come_back_whole_from_what_is_stored_of_them() {
    let mut rng = Rng(0x5eed_2026_1201);
    for _ in 0..500 {
        let anonymity = AnonymitySettings {
            peer: 3 + rng.below(3) as i32,
            manager: if rng.chance(50) { 1 } else { 3 },
            ..AnonymitySettings::default()
        };
        let tallies = Relationship::ALL
            .into_iter()
            .map(|r| {
                let scores: Vec<i32> = (0..rng.below(6)).map(|_| 1 + rng.below(5) as i32).collect();
                (r, tally(&scores))
            })
            .collect();
        let cells = question_cells(&question(tallies), &anonymity);
        let stored = serde_json::to_string(&QuestionTallies::from(cells.clone())).unwrap();
        let read = QuestionCells::from(serde_json::from_str::<QuestionTallies>(&stored).unwrap());
        assert_eq!(read, cells, "{stored}");
        assert!(!stored.contains("mean"), "only tallies are stored: {stored}");
    }
}
