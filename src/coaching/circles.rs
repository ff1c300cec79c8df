//! Coaching circles for the suggestions: 3 to `size` leaders who share a development area
//! and coach one another, from as many departments as the data allows and never two in
//! one reporting line. Pure, like `matching`, over the same problem.
//!
//! **Construction.** First every leader who may join is placed in the pool of their first
//! need (blind spots first, then development areas); the smallest pool too small for a
//! circle sends its leaders on to their next need, one pool at a time, until every pool is
//! empty or large enough. Then
//! each pool of `p` leaders becomes `k` circles, as few as hold it (`⌈p / size⌉`, fewer
//! when that would leave a circle under three; those left over have the lowest need
//! weight). Its leaders are dealt round the circles one by one, department by department
//! (the largest first), which puts no more of a department's `m` leaders in any circle
//! than `⌈m / k⌉`, the least possible. Finally, of two members in one reporting line, the
//! later moves to another circle of the pool with a free seat where they fit, or swaps with
//! a member of one where both then fit, or leaves; a circle left under three hands its
//! members on the same way. This is a construction, not a proven optimum: the pairs are
//! the optimisation.

use std::cmp::Reverse;

use super::matching::{Need, Problem, Settings};
use crate::rng::Rng;

/// The fewest members of a circle.
pub const MIN_MEMBERS: usize = 3;
/// The most members of a circle.
pub const MAX_MEMBERS: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Circle {
    /// The development area the members share.
    pub competency: usize,
    /// Members in leader order, with what the competency is for each.
    pub members: Vec<(usize, Need)>,
    /// Every member works in a department of their own (known for all).
    pub cross_department: bool,
}

fn in_one_line(problem: &Problem, a: usize, b: usize) -> bool {
    problem.leaders[a].manager == Some(b) || problem.leaders[b].manager == Some(a)
}

fn fits(problem: &Problem, circle: &[usize], leader: usize, without: Option<usize>) -> bool {
    circle.iter().filter(|&&m| Some(m) != without && m != leader).all(|&m| !in_one_line(problem, m, leader))
}

/// The circles (see the module's documentation), at most `size` members each.
pub fn circles(problem: &Problem, settings: &Settings, size: usize) -> Vec<Circle> {
    let size = size.clamp(MIN_MEMBERS, MAX_MEMBERS);
    let n = problem.leaders.len();
    let mut order: Vec<usize> = (0..n).collect();
    Rng::new(settings.seed).shuffle(&mut order);
    let mut rank = vec![0; n];
    order.iter().enumerate().for_each(|(r, &l)| rank[l] = r);
    let need_of = |l: usize, c: usize| problem.leaders[l].needs.iter().find(|(k, _)| *k == c).map(|&(_, need)| need);

    // Pools: each leader's first need whose pool is large enough.
    let mut choice = vec![0usize; n];
    let mut pools: Vec<Vec<usize>> = vec![Vec::new(); problem.competencies];
    for l in (0..n).filter(|&l| !problem.leaders[l].needs.is_empty() && problem.room(settings, l) > 0) {
        pools[problem.leaders[l].needs[0].0].push(l);
    }
    while let Some(small) =
        (0..pools.len()).filter(|&c| (1..MIN_MEMBERS).contains(&pools[c].len())).min_by_key(|&c| (pools[c].len(), c))
    {
        for l in std::mem::take(&mut pools[small]) {
            choice[l] += 1;
            if let Some(&(c, _)) = problem.leaders[l].needs.get(choice[l]) {
                pools[c].push(l);
            }
        }
    }

    let mut result = Vec::new();
    for (competency, mut pool) in pools.into_iter().enumerate() {
        if pool.is_empty() {
            continue;
        }
        let mut k = pool.len().div_ceil(size);
        if MIN_MEMBERS * k > pool.len() {
            k = pool.len() / MIN_MEMBERS;
        }
        // Who stays when the circles cannot hold everyone: the greater need, then the seed.
        pool.sort_by_key(|&l| (Reverse(need_of(l, competency)), rank[l]));
        pool.truncate(k * size);
        // Dealt department by department, the largest first, unless departments do not matter.
        if settings.cross_department_weight > 0.0 {
            let department = |l: usize| problem.leaders[l].department.unwrap_or(u32::MAX);
            let count = |d: u32| pool.iter().filter(|&&l| department(l) == d).count();
            let mut keyed: Vec<(Reverse<usize>, u32, usize)> =
                pool.iter().map(|&l| (Reverse(count(department(l))), department(l), l)).collect();
            // Stable: within a department, the order above.
            keyed.sort_by_key(|&(size, d, _)| (size, d));
            pool = keyed.into_iter().map(|(_, _, l)| l).collect();
        }
        let mut dealt: Vec<Vec<usize>> = vec![Vec::new(); k];
        for (i, l) in pool.into_iter().enumerate() {
            dealt[i % k].push(l);
        }
        part_reporting_lines(problem, &mut dealt, size);
        for mut members in dealt.into_iter().filter(|m| m.len() >= MIN_MEMBERS) {
            members.sort_unstable();
            let departments: Vec<Option<u32>> = members.iter().map(|&l| problem.leaders[l].department).collect();
            let cross_department = departments.iter().all(Option::is_some)
                && departments.iter().enumerate().all(|(i, d)| !departments[..i].contains(d));
            let members = members.into_iter().filter_map(|l| Some((l, need_of(l, competency)?))).collect();
            result.push(Circle { competency, members, cross_department });
        }
    }
    result
}

/// Where `leader`, leaving circle `from`, can go: a circle with a free seat where they
/// fit, or a swap with a member of another circle where both then fit (one of their own
/// department first).
enum Place {
    Seat(usize),
    Swap(usize, usize),
}

fn place(problem: &Problem, dealt: &[Vec<usize>], from: usize, leader: usize, size: usize) -> Option<Place> {
    let others = || dealt.iter().enumerate().filter(move |&(o, _)| o != from);
    if let Some((o, _)) = others().find(|(_, other)| other.len() < size && fits(problem, other, leader, None)) {
        return Some(Place::Seat(o));
    }
    let swaps = || {
        others().flat_map(|(o, other)| other.iter().enumerate().map(move |(x, &candidate)| (o, x, candidate))).filter(
            |&(o, _, candidate)| {
                fits(problem, &dealt[from], candidate, Some(leader))
                    && fits(problem, &dealt[o], leader, Some(candidate))
            },
        )
    };
    let department = problem.leaders[leader].department;
    swaps()
        .find(|&(_, _, candidate)| problem.leaders[candidate].department == department)
        .or_else(|| swaps().next())
        .map(|(o, x, _)| Place::Swap(o, x))
}

/// Parts every two members of a circle in one reporting line (the later one moves, swaps
/// or leaves), then hands on the members of circles left under three.
fn part_reporting_lines(problem: &Problem, dealt: &mut [Vec<usize>], size: usize) {
    for i in 0..dealt.len() {
        let mut j = 0;
        while j < dealt[i].len() {
            let leader = dealt[i][j];
            if fits(problem, &dealt[i][..j], leader, None) {
                j += 1;
                continue;
            }
            match place(problem, dealt, i, leader, size) {
                Some(Place::Seat(o)) => {
                    dealt[i].remove(j);
                    dealt[o].push(leader);
                }
                Some(Place::Swap(o, x)) => {
                    dealt[i][j] = std::mem::replace(&mut dealt[o][x], leader);
                }
                None => {
                    dealt[i].remove(j);
                }
            }
        }
    }
    for i in 0..dealt.len() {
        if (1..MIN_MEMBERS).contains(&dealt[i].len()) {
            for leader in std::mem::take(&mut dealt[i]) {
                if let Some((o, _)) = dealt.iter().enumerate().find(|(o, other)| {
                    *o != i && other.len() >= MIN_MEMBERS && other.len() < size && fits(problem, other, leader, None)
                }) {
                    dealt[o].push(leader);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coaching::matching::Leader;

    /// `n` leaders in `departments`, each needing one of `competencies`, managers in chains.
    fn organisation(seed: u64, n: usize, competencies: usize, departments: u32) -> Problem {
        let mut rng = Rng::new(seed);
        let leaders = (0..n)
            .map(|l| Leader {
                department: Some(rng.below(departments as usize) as u32),
                manager: (l > 0 && rng.below(2) == 0).then(|| rng.below(l)),
                needs: vec![
                    (rng.below(competencies), if rng.below(4) == 0 { Need::BlindSpot } else { Need::DevelopmentArea }),
                    (rng.below(competencies), Need::DevelopmentArea),
                ],
                strengths: Vec::new(),
                coaching_already: 0,
            })
            .collect();
        Problem { leaders, competencies }
    }

    #[test]
    fn circles_hold_three_to_size_members_who_share_a_need_and_no_reporting_line() {
        for seed in 1..=40 {
            let problem = organisation(seed, 60 + seed as usize, 5, 6);
            for size in MIN_MEMBERS..=MAX_MEMBERS {
                let settings = Settings { cross_department_weight: 1.0, max_coachees: 2, seed };
                let found = circles(&problem, &settings, size);
                assert!(!found.is_empty());
                let mut placed = std::collections::HashSet::new();
                for circle in &found {
                    assert!((MIN_MEMBERS..=size).contains(&circle.members.len()), "{circle:?}");
                    for (i, &(a, _)) in circle.members.iter().enumerate() {
                        assert!(placed.insert(a), "a leader in one circle at most");
                        assert!(problem.leaders[a].needs.iter().any(|(c, _)| *c == circle.competency));
                        for &(b, _) in &circle.members[..i] {
                            assert!(!in_one_line(&problem, a, b), "seed {seed}: {a} and {b} in one line");
                        }
                    }
                }
                assert_eq!(circles(&problem, &settings, size), found, "same input and seed");
            }
        }
    }

    #[test]
    fn members_come_from_different_departments_when_there_are_enough() {
        // Twelve leaders needing the same competency, three in each of four departments.
        let leaders = (0..12)
            .map(|l| Leader {
                department: Some((l / 3) as u32),
                needs: vec![(0, Need::DevelopmentArea)],
                ..Leader::default()
            })
            .collect();
        let problem = Problem { leaders, competencies: 1 };
        let spread = circles(&problem, &Settings { cross_department_weight: 1.0, max_coachees: 1, seed: 3 }, 4);
        assert_eq!(spread.len(), 3);
        assert!(spread.iter().all(|c| c.cross_department), "{spread:?}");
    }

    #[test]
    fn small_pools_break_up_one_at_a_time_so_a_shared_second_need_still_makes_a_circle() {
        // Two leaders need A then B, two need B then A: neither first need makes a circle,
        // but all four share both.
        let need = |first: usize, second: usize| Leader {
            department: Some(first as u32 * 2 + second as u32),
            needs: vec![(first, Need::DevelopmentArea), (second, Need::DevelopmentArea)],
            ..Leader::default()
        };
        let mut leaders = vec![need(0, 1), need(0, 1), need(1, 0), need(1, 0)];
        leaders[1].department = Some(9);
        leaders[3].department = Some(8);
        let problem = Problem { leaders, competencies: 2 };
        let found = circles(&problem, &Settings { cross_department_weight: 1.0, max_coachees: 1, seed: 1 }, 4);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].members.len(), 4);
    }
}
