//! Closing a cycle's reports: the roll-ups written once, in the closing transaction, so
//! that every later read is a few small lookups.

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::build::{competency_inputs, others_summaries};
use super::compute::percentile;
use crate::anonymity::OthersSummary;
use crate::cycles::Cycle;
use crate::db::DbConn;
use crate::db::schema::{competency_norms, competency_summaries};
use crate::db_run;
use crate::error::AppError;
use crate::frameworks::load_version;
use crate::responses;

/// When a cycle closes, in its closing transaction: seals the answers (see
/// [`responses::seal_answers`]) and, from the same pass over the answer sets, computes each
/// subject's "all others" summary per competency with its percentile, and the cycle's
/// norms. Reports then read the subject's few sets and these rows. Returns how many
/// answers the cycle holds.
pub fn close_cycle(conn: &mut DbConn, cycle: &Cycle) -> Result<usize, AppError> {
    let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
    let anonymity = cycle.anonymity();
    let mut by_competency: HashMap<String, Vec<(String, OthersSummary)>> = HashMap::new();
    let started = std::time::Instant::now();
    let answers = responses::seal_answers(conn, cycle, |sets| {
        // Sets come in key order: each subject's are together.
        for subject in sets.chunk_by(|a, b| a.subject_id == b.subject_id) {
            let inputs = competency_inputs(&version, subject);
            for (key, summary) in others_summaries(&inputs, &anonymity) {
                by_competency.entry(key).or_default().push((subject[0].subject_id.clone(), summary));
            }
        }
        Ok(())
    })?;
    let sealed = started.elapsed();

    let mut summary_rows = Vec::new();
    let mut norm_rows = Vec::new();
    for (key, subjects) in &by_competency {
        let mut means: Vec<f64> = subjects.iter().map(|(_, s)| s.mean).collect();
        means.sort_by(f64::total_cmp);
        let (sum, answers) = subjects.iter().fold((0i64, 0i64), |(s, n), (_, x)| (s + x.sum, n + x.answers));
        norm_rows.push((
            competency_norms::cycle_id.eq(cycle.id.clone()),
            competency_norms::competency_key.eq(key.clone()),
            competency_norms::mean.eq((sum as f64 / answers.max(1) as f64 * 1000.0).round() / 1000.0),
            competency_norms::subjects.eq(subjects.len() as i32),
        ));
        for (subject, s) in subjects {
            summary_rows.push((
                competency_summaries::cycle_id.eq(cycle.id.clone()),
                competency_summaries::subject_id.eq(subject.clone()),
                competency_summaries::competency_key.eq(key.clone()),
                competency_summaries::mean.eq(s.mean),
                competency_summaries::spread.eq(s.spread),
                competency_summaries::respondents.eq(s.respondents as i32),
                competency_summaries::percentile.eq(percentile(s.mean, &means)),
            ));
        }
    }
    for chunk in summary_rows.chunks(1000) {
        db_run!(conn, |c| diesel::insert_into(competency_summaries::table).values(chunk).execute(c))?;
    }
    db_run!(conn, |c| diesel::insert_into(competency_norms::table).values(&norm_rows).execute(c))?;
    if let DbConn::Postgres(c) = conn {
        c.batch_execute("ANALYZE competency_summaries, competency_norms")?;
    }
    tracing::info!(
        cycle_id = %cycle.id,
        answers,
        seal_ms = sealed.as_millis() as u64,
        summaries_ms = (started.elapsed() - sealed).as_millis() as u64,
        "closing: answers sealed and roll-ups written"
    );
    Ok(answers)
}
