//! Reading one subject's report from the roll-ups written at close.

use std::collections::HashMap;

use diesel::prelude::*;

use super::GrowthReport;
use super::build::{self, Context};
use super::results;
use crate::anonymity::OthersSummary;
use crate::cycles::Cycle;
use crate::db::DbConn;
use crate::db::schema::{competency_norms, competency_summaries, cycles, participants, people, report_releases};
use crate::db_run;
use crate::error::AppError;
use crate::frameworks::load_version;

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
    let results = results::load(conn, cycle, subject_id)?;
    let norms: Vec<(String, f64, i32)> = db_run!(conn, |c| competency_norms::table
        .filter(competency_norms::cycle_id.eq(&cycle.id))
        .select((competency_norms::competency_key, competency_norms::mean, competency_norms::subjects))
        .load(c))?;
    let own: Vec<(String, f64)> = db_run!(conn, |c| competency_summaries::table
        .filter(competency_summaries::cycle_id.eq(&cycle.id))
        .filter(competency_summaries::subject_id.eq(subject_id))
        .select((competency_summaries::competency_key, competency_summaries::percentile))
        .load(c))?;
    // The most recent earlier cycle with a summary for each competency key, among those
    // whose report the subject was given: a closed cycle's figures stay HR's until released.
    let released_to_subject =
        report_releases::table.filter(report_releases::subject_id.eq(subject_id)).select(report_releases::cycle_id);
    let earlier: Vec<(String, String, f64, f64, i32)> = db_run!(conn, |c| competency_summaries::table
        .inner_join(cycles::table)
        .filter(cycles::org_id.eq(&cycle.org_id))
        .filter(competency_summaries::subject_id.eq(subject_id))
        .filter(competency_summaries::cycle_id.eq_any(released_to_subject))
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
        previous.entry(key).or_insert((cycle_id, OthersSummary::stored(mean, spread, respondents)));
    }
    let released_at: Option<chrono::NaiveDateTime> = db_run!(conn, |c| report_releases::table
        .filter(report_releases::cycle_id.eq(&cycle.id))
        .filter(report_releases::subject_id.eq(subject_id))
        .select(report_releases::released_at)
        .first(c)
        .optional())?;

    let ctx = Context {
        norms: norms.into_iter().map(|(k, mean, n)| (k, (mean, i64::from(n)))).collect(),
        percentiles: own.into_iter().collect(),
        previous,
    };
    let body = build::build(&version, &results, &ctx);
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
