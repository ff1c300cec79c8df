//! Match suggestions as one optimisation over the whole organisation. Pure: the inputs
//! are what growth reports show (development areas, blind spots, percentiles), the
//! output is pairs with their focus; `suggest.rs` does the database work and the words.
//!
//! **Objective.** Choose pairs (coach, coachee) that maximise the sum of their benefits.
//! A pair's benefit is that of its best focus competency: one of the coachee's needs (a
//! blind spot weighs twice a development area) where the coach is strong (at or above the
//! strength percentile), plus the coach's percentile there in steps of five points (half
//! a development area at most), plus the cross-department weight when the two
//! work in different departments. Constraints:
//! every leader is coachee in at most one pair and coach in at most `max_coachees` pairs,
//! those they coach already counted;
//! nobody coaches themselves, their manager or a direct report.
//!
//! **Algorithm.** A min-cost flow: source → coachee (capacity 1) → coach (one arc per
//! candidate, cost `B − benefit`) → sink (capacity `max_coachees`), and an arc from each
//! coachee straight to the sink at cost `B` for "no pair". Every coachee sends its unit;
//! minimising cost maximises total benefit. It is solved exactly by the primal-dual
//! method: in rounds, Dijkstra on reduced costs from every unrouted coachee at once sets
//! the node potentials, then every coachee that can is routed along a path of arcs that
//! cost nothing reduced, until all are routed. To keep the graph
//! sparse, a coachee's candidate coaches are, for each of their needs and on each side of
//! the department line, the strongest `CANDIDATES / 2` coaches and as many spread over the
//! rest of those strong there (so that coachees sharing a need do not all compete for the
//! same few); the flow is optimal on that graph. Ties are broken by a seeded order, so the same
//! input and seed give the same pairs.
//!
//! **Reciprocal pairs** ([`solve_reciprocal`]) reuse the same flow as a relaxation of a
//! maximum-weight matching; circles are in `circles`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::rng::Rng;

/// Candidate coaches per need and per side of the department line.
pub const CANDIDATES: usize = 8;
/// Reciprocal partners kept per leader: their best edges.
const RECIPROCAL_CANDIDATES: usize = 8;
/// A need's weight unit: a development area weighs one, a blind spot two.
const NEED_UNIT: i64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// Others rate the competency among the leader's lowest.
    DevelopmentArea,
    /// The leader rates themselves clearly higher than others do.
    BlindSpot,
}

impl Need {
    fn weight(self) -> i64 {
        match self {
            Need::DevelopmentArea => NEED_UNIT,
            Need::BlindSpot => 2 * NEED_UNIT,
        }
    }
}

/// One leader, as matching sees them. Indices refer to `Problem::leaders` and to the
/// problem's competencies.
#[derive(Debug, Clone, Default)]
pub struct Leader {
    /// Department index; `None` when unknown (never counted as crossing).
    pub department: Option<u32>,
    pub manager: Option<usize>,
    /// Competencies to grow in, blind spots first.
    pub needs: Vec<(usize, Need)>,
    /// Competencies where the leader is strong enough to coach, with their percentile (0–100).
    pub strengths: Vec<(usize, u8)>,
    /// Coachees they coach already, in relationships under way: counted against their room.
    pub coaching_already: usize,
}

impl Problem {
    /// How many more coachees `coach` may take.
    pub fn room(&self, settings: &Settings, coach: usize) -> usize {
        settings.max_coachees.saturating_sub(self.leaders[coach].coaching_already)
    }
}

/// One competency of a leader's released results, as their report shows it.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    pub competency: usize,
    /// The "all others" mean.
    pub others_mean: f64,
    /// `None` where the report withholds the percentile (too few subjects).
    pub percentile: Option<f64>,
    /// Self rates clearly higher than others (the report's blind-spot flag).
    pub blind_spot: bool,
}

impl Leader {
    /// The needs and strengths a leader's results give: blind spots first, then the
    /// development areas as reports name them (the lowest "all others" means, at most
    /// three and at most half); strong where the percentile is at least `min_percentile`.
    pub fn from_results(
        department: Option<u32>,
        manager: Option<usize>,
        mut rows: Vec<Standing>,
        min_percentile: u8,
    ) -> Self {
        // Ties as reports break them, with competencies indexed in key order: the later first.
        rows.sort_by(|a, b| a.others_mean.total_cmp(&b.others_mean).then(b.competency.cmp(&a.competency)));
        let top = (rows.len() / 2).min(3);
        let mut needs: Vec<(usize, Need)> =
            rows.iter().filter(|r| r.blind_spot).map(|r| (r.competency, Need::BlindSpot)).collect();
        needs.sort();
        for r in rows.iter().take(top) {
            if !needs.iter().any(|(c, _)| *c == r.competency) {
                needs.push((r.competency, Need::DevelopmentArea));
            }
        }
        let strengths = rows
            .iter()
            .filter_map(|r| {
                let p = r.percentile.filter(|p| *p >= f64::from(min_percentile))?;
                Some((r.competency, p.round().clamp(0.0, 100.0) as u8))
            })
            .collect();
        Self { department, manager, needs, strengths, coaching_already: 0 }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Problem {
    pub leaders: Vec<Leader>,
    pub competencies: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Added to a pair's benefit when it crosses departments, in units of a development
    /// area's weight (0 = departments do not matter).
    pub cross_department_weight: f64,
    pub max_coachees: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub coach: usize,
    pub coachee: usize,
    /// The focus competencies, best first (one or two).
    pub focus: Vec<(usize, Need)>,
    pub cross_department: bool,
    pub benefit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    pub pairs: Vec<Pair>,
    /// The sum of the pairs' benefits.
    pub objective: i64,
}

impl Solution {
    fn of(mut pairs: Vec<Pair>) -> Self {
        pairs.sort_by_key(|p| (p.coachee, p.coach));
        Self { objective: pairs.iter().map(|p| p.benefit).sum(), pairs }
    }

    pub fn cross_department_share(&self) -> f64 {
        share(self.pairs.iter().filter(|p| p.cross_department).count(), self.pairs.len())
    }
}

/// `part` of `whole` as a fraction, zero of nothing.
fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// Whether `a` may coach `b`: not themselves, not within a reporting line.
fn allowed(problem: &Problem, coach: usize, coachee: usize) -> bool {
    coach != coachee
        && problem.leaders[coachee].manager != Some(coach)
        && problem.leaders[coach].manager != Some(coachee)
}

fn crosses(problem: &Problem, a: usize, b: usize) -> bool {
    matches!((problem.leaders[a].department, problem.leaders[b].department), (Some(x), Some(y)) if x != y)
}

/// What working on a need is worth with a coach at `percentile` there.
fn focus_score(need: Need, percentile: u8) -> i64 {
    need.weight() + i64::from(percentile / 5) * 25
}

fn cross_bonus(problem: &Problem, settings: &Settings, coach: usize, coachee: usize) -> i64 {
    if crosses(problem, coach, coachee) {
        (settings.cross_department_weight * NEED_UNIT as f64).round() as i64
    } else {
        0
    }
}

/// A pair's benefit alone, as [`pair`] computes it, without building the pair.
fn benefit(problem: &Problem, settings: &Settings, coach: usize, coachee: usize) -> Option<i64> {
    if !allowed(problem, coach, coachee) {
        return None;
    }
    let strengths = &problem.leaders[coach].strengths;
    let best = problem.leaders[coachee]
        .needs
        .iter()
        .filter_map(|&(c, need)| strengths.iter().find(|(k, _)| *k == c).map(|&(_, p)| focus_score(need, p)))
        .max()?;
    Some(best + cross_bonus(problem, settings, coach, coachee))
}

/// The pair's benefit and focus, or `None` when the coach is strong in none of the
/// coachee's needs.
pub fn pair(problem: &Problem, settings: &Settings, coach: usize, coachee: usize) -> Option<Pair> {
    if !allowed(problem, coach, coachee) {
        return None;
    }
    let strengths = &problem.leaders[coach].strengths;
    let mut scored: Vec<(i64, usize, Need)> = problem.leaders[coachee]
        .needs
        .iter()
        .filter_map(|&(c, need)| {
            let (_, percentile) = strengths.iter().find(|(k, _)| *k == c)?;
            Some((focus_score(need, *percentile), c, need))
        })
        .collect();
    scored.sort_by_key(|&(score, c, _)| (Reverse(score), c));
    let &(best, _, _) = scored.first()?;
    Some(Pair {
        coach,
        coachee,
        focus: scored.iter().take(2).map(|&(_, c, need)| (c, need)).collect(),
        cross_department: crosses(problem, coach, coachee),
        benefit: best + cross_bonus(problem, settings, coach, coachee),
    })
}

/// Each coachee's candidate pairs, from the strongest coaches in each of their needs on
/// both sides of the department line.
fn candidates(problem: &Problem, settings: &Settings, rng: &mut Rng) -> Vec<Vec<Pair>> {
    // Per competency: coaches by percentile, strongest first, ties in a seeded order.
    let mut order: Vec<usize> = (0..problem.leaders.len()).collect();
    rng.shuffle(&mut order);
    let rank: Vec<usize> = {
        let mut rank = vec![0; order.len()];
        order.iter().enumerate().for_each(|(r, &l)| rank[l] = r);
        rank
    };
    let mut strong: Vec<Vec<(u8, usize)>> = vec![Vec::new(); problem.competencies];
    for (l, leader) in problem.leaders.iter().enumerate() {
        for &(c, p) in &leader.strengths {
            strong[c].push((p, l));
        }
    }
    for list in &mut strong {
        list.sort_by_key(|&(p, l)| (Reverse(p), rank[l]));
    }
    let mut by_department: HashMap<(usize, u32), Vec<usize>> = HashMap::new();
    for (c, list) in strong.iter().enumerate() {
        for &(_, l) in list {
            if let Some(d) = problem.leaders[l].department {
                by_department.entry((c, d)).or_default().push(l);
            }
        }
    }
    (0..problem.leaders.len())
        .map(|coachee| {
            let own = problem.leaders[coachee].department;
            let mut chosen: Vec<usize> = Vec::new();
            for &(c, _) in &problem.leaders[coachee].needs {
                let elsewhere = |l: usize| own.is_none() || problem.leaders[l].department != own;
                let strongest: Vec<usize> = strong[c].iter().map(|&(_, l)| l).collect();
                pick(&strongest, coachee, &mut chosen, |l| elsewhere(l) && allowed(problem, l, coachee));
                if let Some(d) = own {
                    let same = by_department.get(&(c, d)).map(|v| v.as_slice()).unwrap_or_default();
                    pick(same, coachee, &mut chosen, |l| allowed(problem, l, coachee));
                }
            }
            chosen.sort_unstable();
            chosen.dedup();
            chosen.into_iter().filter_map(|coach| pair(problem, settings, coach, coachee)).collect()
        })
        .collect()
}

/// From coaches ordered strongest first: the first `CANDIDATES / 2` that `fits`, and as
/// many more spread evenly over the rest of the list from an offset of the coachee's own,
/// so that coachees who share a need do not all compete for the same few coaches.
fn pick(list: &[usize], coachee: usize, chosen: &mut Vec<usize>, fits: impl Fn(usize) -> bool) {
    let half = CANDIDATES / 2;
    let mut top = 0;
    let mut i = 0;
    while top < half && i < list.len() {
        if fits(list[i]) {
            chosen.push(list[i]);
            top += 1;
        }
        i += 1;
    }
    let rest = &list[i..];
    if rest.is_empty() {
        return;
    }
    let stride = (rest.len() / half).max(1);
    let offset = coachee.wrapping_mul(2_654_435_761) % rest.len();
    for j in 0..half.min(rest.len()) {
        // The first coach that fits at or after the sampled position, looking a few ahead.
        let start = (offset + j * stride) % rest.len();
        if let Some(&l) = (0..4).map(|k| &rest[(start + k) % rest.len()]).find(|&&l| fits(l)) {
            chosen.push(l);
        }
    }
}

/// Per-round labels (distance, settled), reset afterwards for the nodes touched only.
struct Scratch {
    dist: Vec<i64>,
    done: Vec<bool>,
    touched: Vec<usize>,
}

impl Scratch {
    fn new(nodes: usize) -> Self {
        Self { dist: vec![i64::MAX; nodes], done: vec![false; nodes], touched: Vec::new() }
    }

    fn reach(&mut self, v: usize, dist: i64) {
        if self.dist[v] == i64::MAX {
            self.touched.push(v);
        }
        self.dist[v] = dist;
    }

    fn clear(&mut self) {
        for &v in &self.touched {
            self.dist[v] = i64::MAX;
            self.done[v] = false;
        }
        self.touched.clear();
    }
}

/// The residual network of the flow: coachees are nodes `0..n`, coaches `n..2n`, the
/// sink `2n`; potentials keep every residual arc's reduced cost at zero or more.
struct Network {
    n: usize,
    /// Coachee `u`'s candidate arcs are `start[u]..start[u + 1]` of `arc_coach` and
    /// `arc_cost` (`B − benefit`), laid out flat for the many scans of each round.
    start: Vec<usize>,
    arc_coach: Vec<u32>,
    arc_cost: Vec<i64>,
    /// How many more coachees each coach may take.
    room: Vec<usize>,
    /// `B`, above every benefit: an arc coachee → coach costs `B − benefit`, coachee →
    /// sink (no pair) costs `B`.
    big: i64,
    potential: Vec<i64>,
    coach_of: Vec<Option<usize>>,
    benefit_of: Vec<i64>,
    coachees_of: Vec<Vec<usize>>,
    routed: Vec<bool>,
}

impl Network {
    fn sink(&self) -> usize {
        2 * self.n
    }

    /// The residual arcs out of `u` with their costs.
    fn arcs(&self, u: usize, mut visit: impl FnMut(usize, i64)) {
        let (n, sink) = (self.n, self.sink());
        if u < n {
            let current = self.coach_of[u];
            for a in self.start[u]..self.start[u + 1] {
                let coach = self.arc_coach[a] as usize;
                if current != Some(coach) {
                    visit(n + coach, self.arc_cost[a]);
                }
            }
            // Leaving the programme, unless already out of it.
            if self.coach_of[u].is_some() || !self.routed[u] {
                visit(sink, self.big);
            }
        } else if u < sink {
            let coach = u - n;
            if self.coachees_of[coach].len() < self.room[coach] {
                visit(sink, 0);
            }
            for &coachee in &self.coachees_of[coach] {
                visit(coachee, self.benefit_of[coachee] - self.big);
            }
        }
    }

    fn reduced(&self, u: usize, v: usize, cost: i64) -> i64 {
        cost + self.potential[u] - self.potential[v]
    }

    /// Shortest distances from every coachee not yet routed (Dijkstra on reduced costs)
    /// as far as the sink; then the potentials of the nodes settled move so that the arcs
    /// on shortest paths cost nothing and none costs less than nothing.
    fn reprice(&mut self, scratch: &mut Scratch) {
        let sink = self.sink();
        let mut heap = BinaryHeap::new();
        for s in (0..self.n).filter(|&s| !self.routed[s]) {
            scratch.reach(s, 0);
            heap.push(Reverse((0i64, s)));
        }
        let mut to_sink = i64::MAX;
        let mut settled = Vec::new();
        while let Some(Reverse((d, u))) = heap.pop() {
            if d > scratch.dist[u] || scratch.done[u] || d >= to_sink {
                continue;
            }
            if u == sink {
                to_sink = d;
                continue;
            }
            scratch.done[u] = true;
            settled.push(u);
            self.arcs(u, |v, cost| {
                let nd = d + self.reduced(u, v, cost);
                if nd < scratch.dist[v] {
                    scratch.reach(v, nd);
                    heap.push(Reverse((nd, v)));
                }
            });
        }
        for u in settled {
            self.potential[u] -= to_sink - scratch.dist[u];
        }
        scratch.clear();
    }

    /// Routes every unrouted coachee it can along vertex-disjoint paths of arcs that cost
    /// nothing reduced (shortest paths, after [`Network::reprice`]); returns how many.
    fn augment(&mut self, scratch: &mut Scratch) -> usize {
        let sink = self.sink();
        let sources: Vec<usize> = (0..self.n).filter(|&s| !self.routed[s]).collect();
        let mut routed = 0;
        for source in sources {
            let mut path = vec![source];
            scratch.reach(source, 0);
            while let Some(&u) = path.last() {
                if u == sink {
                    break;
                }
                let mut next = None;
                self.arcs(u, |v, cost| {
                    let fresh = v == sink || scratch.dist[v] == i64::MAX;
                    if next.is_none() && fresh && self.reduced(u, v, cost) == 0 {
                        next = Some(v);
                    }
                });
                match next {
                    Some(v) if v == sink => path.push(v),
                    Some(v) => {
                        scratch.reach(v, 0);
                        path.push(v);
                    }
                    None => {
                        path.pop();
                    }
                }
            }
            if path.last() == Some(&sink) {
                self.apply(&path);
                routed += 1;
            }
        }
        scratch.clear();
        routed
    }

    /// Sends one unit along `path` (source coachee … sink), re-routing each coachee on it.
    fn apply(&mut self, path: &[usize]) {
        let (n, sink) = (self.n, self.sink());
        self.routed[path[0]] = true;
        for step in path.windows(2) {
            let (u, v) = (step[0], step[1]);
            if u >= n {
                continue;
            }
            if let Some(old) = self.coach_of[u].take() {
                self.coachees_of[old].retain(|&c| c != u);
            }
            if v != sink {
                let coach = v - n;
                self.coach_of[u] = Some(coach);
                self.coachees_of[coach].push(u);
                let arc = (self.start[u]..self.start[u + 1]).find(|&a| self.arc_coach[a] as usize == coach);
                self.benefit_of[u] = arc.map_or(0, |a| self.big - self.arc_cost[a]);
            }
        }
    }
}

/// The min-cost flow over `candidates` (each coachee's candidate pairs) with each coach's
/// `room`: every coachee's coach in the optimum on that graph, or `None`.
fn assign(candidates: &[Vec<Pair>], room: Vec<usize>) -> Vec<Option<usize>> {
    let n = candidates.len();
    let big = candidates.iter().flatten().map(|p| p.benefit).max().unwrap_or(0) + 1;
    let mut start = Vec::with_capacity(n + 1);
    start.push(0);
    for list in candidates {
        start.push(start[start.len() - 1] + list.len());
    }
    let mut network = Network {
        n,
        start,
        arc_coach: candidates.iter().flatten().map(|p| p.coach as u32).collect(),
        arc_cost: candidates.iter().flatten().map(|p| big - p.benefit).collect(),
        room,
        big,
        potential: vec![0; 2 * n + 1],
        coach_of: vec![None; n],
        benefit_of: vec![0; n],
        coachees_of: vec![Vec::new(); n],
        // Coachees with no candidate are out of the programme from the start.
        routed: candidates.iter().map(|c| c.is_empty()).collect(),
    };
    let mut scratch = Scratch::new(2 * n + 1);
    while network.routed.iter().any(|r| !r) {
        network.reprice(&mut scratch);
        if network.augment(&mut scratch) == 0 {
            break;
        }
    }
    network.coach_of
}

/// The optimal pairs on the candidate graph (see the module's documentation).
pub fn solve(problem: &Problem, settings: &Settings) -> Solution {
    let mut rng = Rng::new(settings.seed);
    let candidates = candidates(problem, settings, &mut rng);
    let room = (0..problem.leaders.len()).map(|l| problem.room(settings, l)).collect();
    let coach_of = assign(&candidates, room);
    let pairs = coach_of
        .iter()
        .enumerate()
        .filter_map(|(coachee, coach)| candidates[coachee].iter().find(|p| Some(p.coach) == *coach).cloned())
        .collect();
    Solution::of(pairs)
}

/// Reciprocal pairs: each of the two coaches the other, on a need of the other's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reciprocal {
    /// Per pair, `a` coaching `b` and `b` coaching `a`, with `a < b`.
    pub pairs: Vec<(Pair, Pair)>,
    /// The sum of both directions' benefits over the pairs.
    pub objective: i64,
    /// No set of reciprocal pairs on the kept edges (each leader's best few) can do better
    /// than this; one using edges left out may.
    pub bound: i64,
}

impl Reciprocal {
    pub fn cross_department_share(&self) -> f64 {
        share(self.pairs.iter().filter(|(p, _)| p.cross_department).count(), self.pairs.len())
    }
}

/// The most valuable matching on a path of nodes `0..=k` whose consecutive nodes are
/// joined by `weights[i]` (between `i` and `i + 1`): the edges taken, by index.
fn path_matching(weights: &[i64]) -> Vec<usize> {
    // best[i]: the best total over the first i edges; taken when edge i - 1 is in it.
    let mut best = vec![0i64; weights.len() + 1];
    for i in 1..=weights.len() {
        let with = weights[i - 1] + if i >= 2 { best[i - 2] } else { 0 };
        best[i] = best[i - 1].max(with);
    }
    let mut taken = Vec::new();
    let mut i = weights.len();
    while i > 0 {
        if best[i] == best[i - 1] {
            i -= 1;
        } else {
            taken.push(i - 1);
            i = i.saturating_sub(2);
        }
    }
    taken
}

/// The most valuable matching on a chain of nodes `0..=k` (`weights[i]` joins `i` and
/// `i + 1`), or on a cycle when `closing` joins `k` and `0`: the node pairs taken.
fn walk_matching(weights: &[i64], closing: Option<i64>) -> Vec<(usize, usize)> {
    let path: Vec<(usize, usize)> = path_matching(weights).into_iter().map(|i| (i, i + 1)).collect();
    let Some(closing) = closing.filter(|_| weights.len() >= 2) else { return path };
    // Or the closing edge, with the best of the chain between its ends.
    let last = weights.len();
    let inner = &weights[1..last - 1];
    let inner_taken = path_matching(inner);
    let with = closing + inner_taken.iter().map(|&i| inner[i]).sum::<i64>();
    if with > path.iter().map(|&(a, _)| weights[a]).sum::<i64>() {
        let mut taken: Vec<(usize, usize)> = inner_taken.into_iter().map(|i| (i + 1, i + 2)).collect();
        taken.push((last, 0));
        taken
    } else {
        path
    }
}

/// The most valuable reciprocal pairs (see the README, "Match suggestions"): the edge
/// between two leaders exists when each is strong in a need of the other, and is worth
/// both directions' benefits. Finding the best matching of leaders is relaxed to the
/// same min-cost flow as one-way pairs with every coach's room one, whose optimum is at
/// least twice the best matching's and splits into chains and cycles of leaders; the
/// best matching of each chain or cycle is exact by dynamic programming, and leaders
/// still unmatched are then paired greedily on the edges left.
pub fn solve_reciprocal(problem: &Problem, settings: &Settings) -> Reciprocal {
    let mut rng = Rng::new(settings.seed);
    let n = problem.leaders.len();
    let one_way = candidates(problem, settings, &mut rng);
    let open = |l: usize| problem.room(settings, l) > 0;
    // Edges (a, b), a < b, from the one-way candidates, worth both directions' benefits.
    let mut keys: Vec<(usize, usize)> = one_way
        .iter()
        .flatten()
        .map(|p| (p.coach.min(p.coachee), p.coach.max(p.coachee)))
        .filter(|&(a, b)| open(a) && open(b))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let all: Vec<((usize, usize), i64)> = keys
        .into_iter()
        .filter_map(|(a, b)| Some(((a, b), benefit(problem, settings, a, b)? + benefit(problem, settings, b, a)?)))
        .collect();
    // Sparse again: an edge stays when it is among the best few of either leader's.
    let mut best: Vec<Vec<(i64, usize)>> = vec![Vec::new(); n];
    for &((a, b), w) in &all {
        best[a].push((w, b));
        best[b].push((w, a));
    }
    for list in &mut best {
        list.sort_by_key(|&(w, other)| (Reverse(w), other));
        list.truncate(RECIPROCAL_CANDIDATES);
    }
    let kept = |a: usize, b: usize| best[a].iter().any(|&(_, o)| o == b) || best[b].iter().any(|&(_, o)| o == a);
    let edges: Vec<((usize, usize), i64)> = all.iter().copied().filter(|&((a, b), _)| kept(a, b)).collect();
    let weights: HashMap<(usize, usize), i64> = edges.iter().copied().collect();
    let weight = |a: usize, b: usize| weights[&(a.min(b), a.max(b))];
    let mut two_way: Vec<Vec<Pair>> = vec![Vec::new(); n];
    for &((a, b), w) in &edges {
        for (u, v) in [(a, b), (b, a)] {
            two_way[u].push(Pair { coach: v, coachee: u, focus: Vec::new(), cross_department: false, benefit: w });
        }
    }
    let next = assign(&two_way, vec![1; n]);
    let bound = next.iter().enumerate().filter_map(|(u, v)| v.map(|v| weight(u, v))).sum::<i64>() / 2;
    // Each leader has at most one successor and one predecessor: chains and cycles.
    let mut previous = vec![None; n];
    for (u, v) in next.iter().enumerate() {
        if let Some(v) = *v {
            previous[v] = Some(u);
        }
    }
    let mut seen = vec![false; n];
    let mut matched: Vec<(usize, usize)> = Vec::new();
    let walk = |start: usize, seen: &mut Vec<bool>, matched: &mut Vec<(usize, usize)>| {
        let mut nodes = vec![start];
        seen[start] = true;
        while let Some(v) = next[*nodes.last().unwrap()] {
            if seen[v] {
                break;
            }
            seen[v] = true;
            nodes.push(v);
        }
        let closed = nodes.len() > 2 && next[*nodes.last().unwrap()] == Some(nodes[0]);
        let weights: Vec<i64> = nodes.windows(2).map(|w| weight(w[0], w[1])).collect();
        let closing = closed.then(|| weight(nodes[nodes.len() - 1], nodes[0]));
        matched.extend(walk_matching(&weights, closing).into_iter().map(|(a, b)| (nodes[a], nodes[b])));
    };
    for start in (0..n).filter(|&u| previous[u].is_none() && next[u].is_some()) {
        walk(start, &mut seen, &mut matched);
    }
    for start in 0..n {
        if !seen[start] && next[start].is_some() {
            walk(start, &mut seen, &mut matched);
        }
    }
    // Those left unmatched: the best edges among them, in turn.
    let mut used = vec![false; n];
    for &(a, b) in &matched {
        used[a] = true;
        used[b] = true;
    }
    let mut rest: Vec<(i64, usize, usize)> =
        edges.iter().filter(|&&((a, b), _)| !used[a] && !used[b]).map(|&((a, b), w)| (w, a, b)).collect();
    rest.sort_by_key(|&(w, a, b)| (Reverse(w), a, b));
    for (_, a, b) in rest {
        if !used[a] && !used[b] {
            used[a] = true;
            used[b] = true;
            matched.push((a, b));
        }
    }
    let mut pairs: Vec<(Pair, Pair)> = matched
        .into_iter()
        .filter_map(|(a, b)| {
            let (a, b) = (a.min(b), a.max(b));
            Some((pair(problem, settings, a, b)?, pair(problem, settings, b, a)?))
        })
        .collect();
    pairs.sort_by_key(|(p, _)| (p.coach, p.coachee));
    let objective = pairs.iter().map(|(x, y)| x.benefit + y.benefit).sum();
    Reciprocal { pairs, objective, bound }
}

/// First come, first served, for comparison: each coachee in a seeded order takes the
/// best candidate coach who still has room.
pub fn greedy(problem: &Problem, settings: &Settings) -> Solution {
    let mut rng = Rng::new(settings.seed);
    let candidates = candidates(problem, settings, &mut rng);
    let mut order: Vec<usize> = (0..problem.leaders.len()).collect();
    rng.shuffle(&mut order);
    let mut load = vec![0usize; problem.leaders.len()];
    let mut pairs = Vec::new();
    for coachee in order {
        let best = candidates[coachee]
            .iter()
            .filter(|p| load[p.coach] < problem.room(settings, p.coach))
            .max_by_key(|p| (p.benefit, Reverse(p.coach)));
        if let Some(p) = best {
            load[p.coach] += 1;
            pairs.push(p.clone());
        }
    }
    Solution::of(pairs)
}

/// Random pairing, for comparison: each coachee in a seeded order gets a random allowed
/// leader with room as coach; the pair counts what it happens to be worth.
pub fn random(problem: &Problem, settings: &Settings) -> Solution {
    let mut rng = Rng::new(settings.seed);
    let n = problem.leaders.len();
    let mut order: Vec<usize> = (0..n).filter(|&l| !problem.leaders[l].needs.is_empty()).collect();
    rng.shuffle(&mut order);
    let mut load = vec![0usize; n];
    let mut pairs = Vec::new();
    for coachee in order {
        for _ in 0..64 {
            let coach = rng.below(n);
            if load[coach] < problem.room(settings, coach) && allowed(problem, coach, coachee) {
                load[coach] += 1;
                let cross_department = crosses(problem, coach, coachee);
                let found = pair(problem, settings, coach, coachee);
                pairs.push(found.unwrap_or(Pair { coach, coachee, focus: Vec::new(), cross_department, benefit: 0 }));
                break;
            }
        }
    }
    Solution::of(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A random organisation of `n` leaders over `competencies`, in `departments`.
    fn organisation(seed: u64, n: usize, competencies: usize, departments: u32) -> Problem {
        let mut rng = Rng::new(seed);
        let leaders = (0..n)
            .map(|l| {
                let mut needs = Vec::new();
                let mut strengths = Vec::new();
                for c in 0..competencies {
                    match rng.below(6) {
                        0 => needs.push((c, Need::BlindSpot)),
                        1 => needs.push((c, Need::DevelopmentArea)),
                        2 | 3 => strengths.push((c, 75 + rng.below(26) as u8)),
                        _ => {}
                    }
                }
                needs.sort_by_key(|&(c, need)| (Reverse(need), c));
                let manager = (l > 0 && rng.below(3) == 0).then(|| rng.below(l));
                Leader {
                    department: Some(rng.below(departments as usize) as u32),
                    manager,
                    needs,
                    strengths,
                    coaching_already: 0,
                }
            })
            .collect();
        Problem { leaders, competencies }
    }

    /// The best total benefit by trying every assignment.
    fn brute_force(problem: &Problem, settings: &Settings) -> i64 {
        fn go(problem: &Problem, settings: &Settings, coachee: usize, load: &mut Vec<usize>) -> i64 {
            if coachee == problem.leaders.len() {
                return 0;
            }
            let mut best = go(problem, settings, coachee + 1, load);
            for coach in 0..problem.leaders.len() {
                if load[coach] < problem.room(settings, coach)
                    && let Some(p) = pair(problem, settings, coach, coachee)
                {
                    load[coach] += 1;
                    best = best.max(p.benefit + go(problem, settings, coachee + 1, load));
                    load[coach] -= 1;
                }
            }
            best
        }
        go(problem, settings, 0, &mut vec![0; problem.leaders.len()])
    }

    #[test]
    fn the_flow_finds_the_best_total_that_exhaustive_search_finds() {
        for seed in 1..=60 {
            let problem = organisation(seed, 6, 4, 3);
            for max_coachees in [1, 2] {
                let settings = Settings { cross_department_weight: 0.5, max_coachees, seed };
                let solved = solve(&problem, &settings);
                assert_eq!(solved.objective, brute_force(&problem, &settings), "seed {seed}, capacity {max_coachees}");
                assert!(greedy(&problem, &settings).objective <= solved.objective);
            }
        }
    }

    #[test]
    fn pairs_respect_every_constraint_and_repeat_for_the_same_seed() {
        let problem = organisation(7, 400, 8, 6);
        let settings = Settings { cross_department_weight: 1.0, max_coachees: 2, seed: 11 };
        let solved = solve(&problem, &settings);
        assert!(solved.pairs.len() > 200, "{} pairs", solved.pairs.len());
        let mut load = vec![0; 400];
        let mut coached = std::collections::HashSet::new();
        for p in &solved.pairs {
            assert!(p.coach != p.coachee);
            assert_ne!(problem.leaders[p.coachee].manager, Some(p.coach), "never the coachee's manager");
            assert_ne!(
                problem.leaders[p.coach].manager,
                Some(p.coachee),
                "never a direct report of the coach... as coachee's report"
            );
            assert!(coached.insert(p.coachee), "coachee once");
            load[p.coach] += 1;
            let need = problem.leaders[p.coachee].needs.iter().any(|(c, _)| *c == p.focus[0].0);
            let strong = problem.leaders[p.coach].strengths.iter().any(|(c, _)| *c == p.focus[0].0);
            assert!(need && strong, "the focus is the coachee's need and the coach's strength");
        }
        assert!(load.iter().all(|&l| l <= 2));
        assert_eq!(solve(&problem, &settings), solved, "same input and seed, same pairs");
        assert!(greedy(&problem, &settings).objective < solved.objective);
    }

    /// The best reciprocal matching by trying every one.
    fn best_reciprocal(problem: &Problem, settings: &Settings) -> i64 {
        fn go(problem: &Problem, settings: &Settings, free: &mut Vec<bool>) -> i64 {
            let Some(a) = free.iter().position(|&f| f) else { return 0 };
            free[a] = false;
            let mut best = go(problem, settings, free);
            for b in a + 1..free.len() {
                if free[b]
                    && problem.room(settings, a) > 0
                    && problem.room(settings, b) > 0
                    && let (Some(x), Some(y)) = (pair(problem, settings, a, b), pair(problem, settings, b, a))
                {
                    free[b] = false;
                    best = best.max(x.benefit + y.benefit + go(problem, settings, free));
                    free[b] = true;
                }
            }
            free[a] = true;
            best
        }
        go(problem, settings, &mut vec![true; problem.leaders.len()])
    }

    #[test]
    fn reciprocal_pairs_help_both_ways_and_come_close_to_the_best() {
        let (mut exact, mut total) = (0, 0);
        for seed in 1..=60 {
            let problem = organisation(seed, 8, 4, 3);
            let settings = Settings { cross_department_weight: 0.5, max_coachees: 1, seed };
            let found = solve_reciprocal(&problem, &settings);
            let best = best_reciprocal(&problem, &settings);
            assert!(
                found.objective <= best && best <= found.bound,
                "seed {seed}: {} {best} {}",
                found.objective,
                found.bound
            );
            exact += usize::from(found.objective == best);
            total += 1;
            let mut seen = std::collections::HashSet::new();
            for (ab, ba) in &found.pairs {
                assert_eq!((ab.coach, ab.coachee), (ba.coachee, ba.coach));
                assert!(seen.insert(ab.coach) && seen.insert(ab.coachee), "a leader in one pair at most");
            }
            assert_eq!(solve_reciprocal(&problem, &settings), found);
        }
        assert!(exact * 10 >= total * 9, "exact in {exact} of {total}");
    }

    #[test]
    fn chains_and_cycles_are_matched_at_their_best() {
        assert_eq!(walk_matching(&[2, 5, 2], None), [(1, 2)]);
        let mut chain = walk_matching(&[3, 1, 3], None);
        chain.sort();
        assert_eq!(chain, [(0, 1), (2, 3)]);
        assert_eq!(walk_matching(&[1, 1], Some(5)), [(2, 0)], "a triangle's heaviest edge is its closing one");
        assert_eq!(walk_matching(&[4, 1], Some(2)), [(0, 1)]);
        // A five-cycle: the closing edge and the better of the chain between its ends.
        let mut cycle = walk_matching(&[1, 1, 2, 1], Some(10));
        cycle.sort();
        assert_eq!(cycle, [(2, 3), (4, 0)]);
        assert_eq!(walk_matching(&[7], Some(7)), [(0, 1)], "a two-cycle is one pair");
    }

    #[test]
    fn reciprocal_pairs_on_larger_organisations_never_exceed_the_best_or_the_bound() {
        for seed in 1..=10 {
            let problem = organisation(seed, 12, 3, 3);
            let settings = Settings { cross_department_weight: 0.5, max_coachees: 1, seed };
            let found = solve_reciprocal(&problem, &settings);
            assert!(found.objective <= found.bound && found.objective <= best_reciprocal(&problem, &settings));
        }
    }

    #[test]
    fn a_high_cross_department_weight_makes_every_pair_cross_when_the_data_allows() {
        let problem = organisation(3, 300, 8, 5);
        let heavy = solve(&problem, &Settings { cross_department_weight: 10.0, max_coachees: 2, seed: 1 });
        assert!(heavy.pairs.iter().all(|p| p.cross_department));
        let indifferent = solve(&problem, &Settings { cross_department_weight: 0.0, max_coachees: 2, seed: 1 });
        assert!(indifferent.cross_department_share() < 1.0);
    }
}
