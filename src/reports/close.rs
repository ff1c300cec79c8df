//! Closing a cycle's reports: the roll-ups written once, in the closing transaction, so
//! that every later read is a few small lookups.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::build::close_subject;
use super::compute::percentile;
use super::results;
use crate::analytics::rollup::{self as analytics, Places, Ratings};
use crate::anonymity::{AnonymitySettings, MIN_NORM_SUBJECTS, OthersSummary};
use crate::cycles::Cycle;
use crate::db::DbConn;
use crate::db::schema::{competency_norms, competency_summaries};
use crate::db_run;
use crate::error::AppError;
use crate::frameworks::{VersionResponse, load_version};
use crate::responses;
use crate::responses::store::{self, AnswerSet};
use crate::sealing::AnswerKeys;

/// Subjects whose answer sets are turned into results together at close.
const CLOSE_BATCH: usize = 200;

/// When a cycle closes, in its closing transaction: discards drafts and links (see
/// [`responses::close_answers`]), then, in batches of subjects, turns each subject's
/// answer sets into their [`SubjectResults`] (the anonymity rule applied once) and
/// destroys the sets. From the same pass it computes each subject's "all others" summary
/// per competency with its percentile, and the cycle's norms. Reports then read the
/// subject's results and these rows. Returns how many answers the cycle held.
pub fn close_cycle(conn: &mut DbConn, cycle: &Cycle) -> Result<usize, AppError> {
    let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
    responses::close_answers(conn, cycle)?;
    let started = std::time::Instant::now();
    let places = Places::load(conn, cycle)?;
    let (answers, rollups) = sets_into_results(conn, cycle, &version, &places)?;
    let sealed = started.elapsed();
    let mut summary_rows = Vec::new();
    for (key, subjects) in &rollups.summaries {
        let mut means: Vec<f64> = subjects.iter().map(|(_, s)| s.mean).collect();
        means.sort_by(f64::total_cmp);
        for (subject, s) in subjects {
            summary_rows.push((
                competency_summaries::cycle_id.eq(cycle.id.clone()),
                competency_summaries::subject_id.eq(subject.clone()),
                competency_summaries::competency_key.eq(key.clone()),
                competency_summaries::mean.eq(s.mean),
                competency_summaries::spread.eq(s.spread),
                competency_summaries::respondents.eq(s.respondents as i32),
                competency_summaries::percentile.eq(percentile(s.mean, &means)),
                competency_summaries::self_gap.eq(s.self_gap),
            ));
        }
    }
    // A norm pools every answer of others in the cycle, groups too small to show
    // included; it is kept only when enough subjects are behind it to be shown, so no
    // stored norm describes one subject's small group.
    let norm_rows: Vec<_> = rollups
        .pooled
        .iter()
        .filter(|(_, (_, _, subjects))| *subjects >= MIN_NORM_SUBJECTS)
        .map(|(key, (sum, answers, subjects))| {
            (
                competency_norms::cycle_id.eq(cycle.id.clone()),
                competency_norms::competency_key.eq(key.clone()),
                competency_norms::mean.eq((*sum as f64 / (*answers).max(1) as f64 * 1000.0).round() / 1000.0),
                competency_norms::subjects.eq(*subjects as i32),
            )
        })
        .collect();
    for chunk in summary_rows.chunks(1000) {
        db_run!(conn, |c| diesel::insert_into(competency_summaries::table).values(chunk).execute(c))?;
    }
    db_run!(conn, |c| diesel::insert_into(competency_norms::table).values(&norm_rows).execute(c))?;
    analytics::write(conn, cycle, &places, &rollups.ratings, &rollups.summaries)?;
    if let DbConn::Postgres(c) = conn {
        c.batch_execute("ANALYZE competency_summaries, competency_norms, subject_results")?;
    }
    tracing::info!(
        cycle_id = %cycle.id,
        answers,
        results_ms = sealed.as_millis() as u64,
        summaries_ms = (started.elapsed() - sealed).as_millis() as u64,
        "closing: answer sets turned into results and roll-ups written"
    );
    Ok(answers)
}

/// Turns the answer sets of a cycle that closed before results existed into results (its
/// roll-ups were written when it closed; analytics did not exist yet, and are not made).
pub fn finish_close(conn: &mut DbConn, cycle: &Cycle) -> Result<(), AppError> {
    let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
    sets_into_results(conn, cycle, &version, &Places::none()).map(|_| ())
}

/// Opens some subjects' sets, applies the rule to each subject and seals the results.
fn compute_batch(
    sealed: store::SealedSets,
    keys: &AnswerKeys,
    cycle: &Cycle,
    version: &VersionResponse,
    anonymity: &AnonymitySettings,
    places: &Places,
) -> Result<Batch, AppError> {
    let at = Instant::now();
    let sets = sealed.open(keys)?;
    let mut batch = Batch { answers: sets.iter().map(AnswerSet::answers).sum(), ..Batch::default() };
    let mut results = Vec::new();
    // Sets come in key order: each subject's are together.
    for subject in sets.chunk_by(|a, b| a.subject_id == b.subject_id) {
        let subject_id = subject[0].subject_id.clone();
        let closed = close_subject(version, subject, anonymity);
        batch.ratings.add_subject(places, &subject_id, &closed.results.questions);
        batch.summaries.push((subject_id.clone(), closed.summaries));
        batch.totals.extend(closed.totals);
        results.push((subject_id, closed.results));
    }
    batch.sealed = results::seal(keys, cycle, &results)?;
    batch.spent = at.elapsed();
    Ok(batch)
}

/// Where the close's time goes, summed over its batches.
#[derive(Default)]
struct Phases {
    load: Duration,
    delete: Duration,
    compute: Duration,
    write: Duration,
}

/// What one batch of subjects yields on the computing thread.
#[derive(Default)]
struct Batch {
    spent: Duration,
    answers: usize,
    /// subject → its "all others" summary per competency
    summaries: Vec<(String, Vec<(String, OthersSummary)>)>,
    /// (competency key, sum of scores, answers) of every answer of others, per subject
    totals: Vec<(String, i64, i64)>,
    sealed: Vec<results::SealedResults>,
    /// Others' ratings per department, group and question, for analytics
    ratings: Ratings,
}

/// What the roll-ups are computed from, gathered subject by subject.
#[derive(Default)]
struct Rollups {
    /// competency key → each subject's "all others" summary
    summaries: HashMap<String, Vec<(String, OthersSummary)>>,
    /// competency key → (sum of scores, answers, subjects) of every answer of others
    pooled: HashMap<String, (i64, i64, i64)>,
    /// Others' ratings per department, group and question, for analytics
    ratings: Ratings,
}

/// In batches of subjects: each subject's sets become their results, and are destroyed.
/// Returns how many answers the sets held and what the roll-ups need.
fn sets_into_results(
    conn: &mut DbConn,
    cycle: &Cycle,
    version: &VersionResponse,
    places: &Places,
) -> Result<(usize, Rollups), AppError> {
    let anonymity = cycle.anonymity();
    let mut rollups = Rollups::default();
    let mut answers = 0;
    let keys = conn.shared_keys();
    let mut spent = Phases::default();
    for (first, last) in store::subject_batches(conn, &cycle.id, CLOSE_BATCH)? {
        let at = Instant::now();
        let sealed = store::load_sealed(conn, &cycle.id, &first, &last)?;
        spent.load += at.elapsed();
        // Opening, the rule and sealing run on two threads of their own, each on half of
        // the batch's subjects, while the engine deletes the batch.
        let (halves, deleted) = std::thread::scope(|scope| {
            let (one, two) = sealed.halves();
            let compute = |half| compute_batch(half, &keys, cycle, version, &anonymity, places);
            let (one, two) = (scope.spawn(move || compute(one)), scope.spawn(move || compute(two)));
            let at = Instant::now();
            let deleted = store::delete_sets(conn, &cycle.id, &first, &last);
            spent.delete += at.elapsed();
            ([one.join(), two.join()], deleted)
        });
        deleted?;
        let mut batch = Batch::default();
        for half in halves {
            let half = half.map_err(|_| AppError::internal("applying the anonymity rule panicked"))??;
            batch.answers += half.answers;
            batch.spent = batch.spent.max(half.spent);
            batch.summaries.extend(half.summaries);
            batch.totals.extend(half.totals);
            batch.sealed.extend(half.sealed);
            rollups.ratings.merge(half.ratings);
        }
        answers += batch.answers;
        spent.compute += batch.spent;
        for (subject_id, summaries) in batch.summaries {
            for (key, summary) in summaries {
                rollups.summaries.entry(key).or_default().push((subject_id.clone(), summary));
            }
        }
        for (key, sum, n) in batch.totals {
            let pooled = rollups.pooled.entry(key).or_default();
            *pooled = (pooled.0 + sum, pooled.1 + n, pooled.2 + 1);
        }
        let at = Instant::now();
        results::write(conn, cycle, &batch.sealed)?;
        spent.write += at.elapsed();
    }
    let ms = |d: Duration| d.as_millis() as u64;
    tracing::info!(
        load_ms = ms(spent.load),
        delete_ms = ms(spent.delete),
        compute_ms = ms(spent.compute),
        write_ms = ms(spent.write),
        "closing: time spent turning sets into results, the computing thread's alongside the deletes"
    );
    Ok((answers, rollups))
}
