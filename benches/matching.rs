//! Match suggestions on seeded organisations of 1,000 and 10,000 leaders: the objective
//! and the share of pairs across departments for the optimisation, first-come greedy and
//! random pairing, and how long each takes. Prints a Markdown table for BENCHMARKS.md.
//!
//! `cargo bench --bench matching` (add `-- --sizes 1000,10000,50000` for other sizes).

mod machine;

use std::time::Instant;

use roundtable::coaching::circles;
use roundtable::coaching::matching::{self, Leader, Problem, Settings, Solution, Standing};
use roundtable::rng::Rng;

const COMPETENCIES: usize = 8;
const DEPARTMENTS: usize = 12;

/// An organisation shaped like the demo's: departments of uneven size, a management tree
/// mostly inside departments, and results per competency with a leader effect, a
/// competency effect and noise; about one competency in ten a blind spot.
fn organisation(leaders: usize, seed: u64) -> Problem {
    let mut rng = Rng::new(seed);
    let unit = |rng: &mut Rng| (rng.below(10_001) as f64) / 10_000.0;
    let department: Vec<u32> = (0..leaders)
        .map(|_| {
            // Uneven sizes: department d is chosen with weight d + 1.
            let total = DEPARTMENTS * (DEPARTMENTS + 1) / 2;
            let mut pick = rng.below(total);
            let mut d = 0;
            while pick > d {
                pick -= d + 1;
                d += 1;
            }
            d as u32
        })
        .collect();
    let manager: Vec<Option<usize>> = (0..leaders)
        .map(|l| {
            if l < DEPARTMENTS {
                return None;
            }
            // A manager earlier in the list, in the same department four times in five.
            let same = rng.below(5) > 0;
            (0..32).map(|_| rng.below(l)).find(|&m| !same || department[m] == department[l])
        })
        .collect();
    let effect: Vec<f64> = (0..COMPETENCIES).map(|_| unit(&mut rng) - 0.5).collect();
    let means: Vec<Vec<f64>> = (0..leaders)
        .map(|_| {
            let own = unit(&mut rng) - 0.5;
            (0..COMPETENCIES).map(|c| 3.5 + own + effect[c] + (unit(&mut rng) - 0.5) * 1.2).collect()
        })
        .collect();
    // Percentiles per competency (ties count half), as close computes them.
    let mut sorted: Vec<Vec<f64>> = (0..COMPETENCIES).map(|c| means.iter().map(|m| m[c]).collect()).collect();
    sorted.iter_mut().for_each(|v| v.sort_by(f64::total_cmp));
    let fast_percentile = |c: usize, mean: f64| {
        let below = sorted[c].partition_point(|&x| x < mean) as f64;
        let upto = sorted[c].partition_point(|&x| x <= mean) as f64;
        100.0 * (below + 0.5 * (upto - below - 1.0)) / (leaders - 1).max(1) as f64
    };
    let leaders = (0..leaders)
        .map(|l| {
            let rows = (0..COMPETENCIES)
                .map(|c| Standing {
                    competency: c,
                    others_mean: means[l][c],
                    percentile: Some(fast_percentile(c, means[l][c])),
                    blind_spot: rng.below(10) == 0,
                })
                .collect();
            Leader::from_results(Some(department[l]), manager[l], rows, 75)
        })
        .collect();
    Problem { leaders, competencies: COMPETENCIES }
}

fn row(name: &str, solution: &Solution, seconds: f64) -> String {
    format!(
        "| {name} | {} | {} | {:.1} % | {:.3} s |",
        solution.objective,
        solution.pairs.len(),
        100.0 * solution.cross_department_share(),
        seconds
    )
}

fn timed<T>(f: impl Fn() -> T) -> (T, f64) {
    // The best of three runs, so one slow moment of a noisy machine does not count.
    let mut best = f64::MAX;
    let mut solution = None;
    for _ in 0..3 {
        let started = Instant::now();
        let found = f();
        best = best.min(started.elapsed().as_secs_f64());
        solution = Some(found);
    }
    (solution.expect("ran"), best)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<usize> = args
        .iter()
        .position(|a| a == "--sizes")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000]);
    let settings = Settings { cross_department_weight: 1.0, max_coachees: 2, seed: 1 };
    // The CPU's speed now: this machine's runs differ by twice from one hour to the next.
    println!("machine: {}; SHA-256 at {:.0} MB/s on one core\n", machine::machine(), machine::sha256_mb_per_second());
    println!("| leaders | method | objective | pairs | across departments | time |");
    println!("|---:|---|---:|---:|---:|---:|");
    for &leaders in &sizes {
        let problem = organisation(leaders, 42);
        for (name, solve) in [
            ("min-cost flow", matching::solve as fn(&Problem, &Settings) -> Solution),
            ("first-come greedy", matching::greedy),
            ("random pairing", matching::random),
        ] {
            let (solution, seconds) = timed(|| solve(&problem, &settings));
            println!("| {leaders} {}", row(name, &solution, seconds));
        }
    }
    println!();
    println!(
        "| leaders | shape | suggestions | leaders in one | of those with a need | objective | bound | across departments | time |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for &leaders in &sizes {
        let problem = organisation(leaders, 42);
        let wanting = problem.leaders.iter().filter(|l| !l.needs.is_empty()).count().max(1) as f64;
        let (reciprocal, seconds) = timed(|| matching::solve_reciprocal(&problem, &settings));
        let placed = 2 * reciprocal.pairs.len();
        println!(
            "| {leaders} | reciprocal pairs | {} | {placed} | {:.1} % | {} | {} ({:.1} % of it) | {:.1} % | {seconds:.3} s |",
            reciprocal.pairs.len(),
            100.0 * placed as f64 / wanting,
            reciprocal.objective,
            reciprocal.bound,
            100.0 * reciprocal.objective as f64 / reciprocal.bound.max(1) as f64,
            100.0 * reciprocal.cross_department_share(),
        );
        for size in [4, 6] {
            let (found, seconds) = timed(|| circles::circles(&problem, &settings, size));
            let placed: usize = found.iter().map(|c| c.members.len()).sum();
            let crossing = found.iter().filter(|c| c.cross_department).count();
            println!(
                "| {leaders} | circles of 3 to {size} | {} | {placed} | {:.1} % | – | – | {:.1} % | {seconds:.3} s |",
                found.len(),
                100.0 * placed as f64 / wanting,
                100.0 * crossing as f64 / found.len().max(1) as f64,
            );
        }
    }
}
