//! Growth reports: roll-ups computed once when a cycle closes, and the report read from
//! them, shown only under the anonymity rule of `compute`.

mod build;
pub mod compute;
mod handlers;
mod render;

pub use build::GrowthReport;
pub use handlers::{get_report, get_report_radar, my_reports, release, release_reports};

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::cycles::Cycle;
use crate::db::DbConn;
use crate::db::schema::{competency_norms, competency_summaries, cycles, participants, people, report_releases};
use crate::db_run;
use crate::error::AppError;
use crate::frameworks::load_version;
use crate::responses::{self, store};
use build::{Context, competency_inputs, others_summaries};
use compute::{OthersSummary, percentile};

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

/// Everything a subject's report is built from, read from the roll-ups.
pub fn load_report(conn: &mut DbConn, cycle: &Cycle, subject_id: &str) -> Result<GrowthReport, AppError> {
    // A subject of this cycle, or 404.
    let subject_name: String = db_run!(conn, |c| participants::table
        .inner_join(people::table)
        .filter(participants::cycle_id.eq(&cycle.id))
        .filter(participants::subject_id.eq(subject_id))
        .select(people::display_name)
        .first(c))?;
    let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
    let sets = store::load_sets(conn, &cycle.id, subject_id, subject_id)?;
    let norms: Vec<(String, f64, i32)> = db_run!(conn, |c| competency_norms::table
        .filter(competency_norms::cycle_id.eq(&cycle.id))
        .select((competency_norms::competency_key, competency_norms::mean, competency_norms::subjects))
        .load(c))?;
    let own: Vec<(String, f64)> = db_run!(conn, |c| competency_summaries::table
        .filter(competency_summaries::cycle_id.eq(&cycle.id))
        .filter(competency_summaries::subject_id.eq(subject_id))
        .select((competency_summaries::competency_key, competency_summaries::percentile))
        .load(c))?;
    // The most recent earlier cycle with a summary for each competency key.
    let earlier: Vec<(String, String, f64, f64, i32)> = db_run!(conn, |c| competency_summaries::table
        .inner_join(cycles::table)
        .filter(cycles::org_id.eq(&cycle.org_id))
        .filter(competency_summaries::subject_id.eq(subject_id))
        .filter(cycles::created_at.lt(cycle.created_at))
        .order(cycles::created_at.desc())
        .select((
            competency_summaries::cycle_id,
            competency_summaries::competency_key,
            competency_summaries::mean,
            competency_summaries::spread,
            competency_summaries::respondents,
        ))
        .load(c))?;
    let mut previous = HashMap::new();
    for (cycle_id, key, mean, spread, respondents) in earlier {
        previous.entry(key).or_insert((
            cycle_id,
            OthersSummary { mean, spread, respondents: i64::from(respondents), sum: 0, answers: 0 },
        ));
    }
    let released_at: Option<chrono::NaiveDateTime> = db_run!(conn, |c| report_releases::table
        .filter(report_releases::cycle_id.eq(&cycle.id))
        .filter(report_releases::subject_id.eq(subject_id))
        .select(report_releases::released_at)
        .first(c)
        .optional())?;

    let ctx = Context {
        anonymity: cycle.anonymity(),
        respondents: sets.iter().map(|s| (s.relationship, s.respondents)).collect(),
        norms: norms.into_iter().map(|(k, mean, n)| (k, (mean, i64::from(n)))).collect(),
        percentiles: own.into_iter().collect(),
        previous,
        comments: sets
            .iter()
            .flat_map(|s| {
                s.comments.iter().flat_map(move |(question, texts)| {
                    texts.iter().map(move |t| (question.clone(), s.relationship, t.clone()))
                })
            })
            .collect(),
    };
    let inputs = competency_inputs(&version, &sets);
    let body = build::build(&version, inputs, &ctx);
    Ok(GrowthReport {
        cycle_id: cycle.id.clone(),
        cycle_name: cycle.name.clone(),
        subject_id: subject_id.to_string(),
        subject_name,
        released_at: released_at.map(|t| t.and_utc()),
        respondents: body.respondents,
        competencies: body.competencies,
        strengths: body.strengths,
        development_areas: body.development_areas,
        blind_spots: body.blind_spots,
        hidden_strengths: body.hidden_strengths,
        comments: body.comments,
        rules: build::Rules::default(),
    })
}
