//! Reading one subject's report from the roll-ups written at close.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use chrono::NaiveDateTime;

use diesel::prelude::*;

use super::GrowthReport;
use super::build::{self, Context};
use super::results;
use crate::anonymity::OthersSummary;
use crate::cycles::{Cycle, CycleState, replayed_close};
use crate::db::DbConn;
use crate::db::schema::{
    competency_norms, competency_summaries, cycles, participants, people, report_releases, subject_results,
};
use crate::db_run;
use crate::error::AppError;
use crate::frameworks::load_version;

/// The subject's name, the key id and bytes of their sealed results, and when their
/// report was released.
type Facts = (String, Option<String>, Option<Vec<u8>>, Option<NaiveDateTime>);

/// A closed cycle's norms (competency key → mean, subjects behind it), written once at
/// close and never changed: kept by the process once read. Bounded: cleared when full.
type Norms = HashMap<String, (f64, i64)>;
static NORMS: LazyLock<RwLock<HashMap<String, Arc<Norms>>>> = LazyLock::new(Default::default);
const CACHED_NORMS: usize = 256;

fn cycle_norms(conn: &mut DbConn, cycle: &Cycle) -> Result<Arc<Norms>, AppError> {
    if let Some(found) = NORMS.read().unwrap_or_else(|e| e.into_inner()).get(&cycle.id) {
        return Ok(Arc::clone(found));
    }
    let rows: Vec<(String, f64, i32)> = db_run!(conn, |c| competency_norms::table
        .filter(competency_norms::cycle_id.eq(&cycle.id))
        .select((competency_norms::competency_key, competency_norms::mean, competency_norms::subjects))
        .load(c))?;
    let norms = Arc::new(rows.into_iter().map(|(k, mean, n)| (k, (mean, i64::from(n)))).collect::<Norms>());
    // Kept once the close that wrote them is visible on this connection (a replica's
    // was checked by `load_report`).
    if cycle.state >= CycleState::Closed {
        let mut cache = NORMS.write().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHED_NORMS {
            cache.clear();
        }
        cache.insert(cycle.id.clone(), Arc::clone(&norms));
    }
    Ok(norms)
}

/// Everything a subject's report is built from, read from the roll-ups.
pub fn load_report(conn: &mut DbConn, cycle: &Cycle, subject_id: &str) -> Result<GrowthReport, AppError> {
    // On a replica: only once it has replayed the close, which wrote all of this.
    replayed_close(conn, cycle)?;
    // A subject of this cycle (or 404), with their sealed results and release.
    let (subject_name, key_id, sealed, released_at): Facts = db_run!(conn, |c| participants::table
        .inner_join(people::table)
        .left_join(
            subject_results::table.on(subject_results::cycle_id
                .eq(participants::cycle_id)
                .and(subject_results::subject_id.eq(participants::subject_id))),
        )
        .left_join(
            report_releases::table.on(report_releases::cycle_id
                .eq(participants::cycle_id)
                .and(report_releases::subject_id.eq(participants::subject_id))),
        )
        .filter(participants::cycle_id.eq(&cycle.id))
        .filter(participants::subject_id.eq(subject_id))
        .select((
            people::display_name,
            subject_results::key_id.nullable(),
            subject_results::sealed.nullable(),
            report_releases::released_at.nullable(),
        ))
        .first(c))?;
    let version = load_version(conn, &cycle.org_id, &cycle.framework_version_id)?;
    let results = results::open(conn.keys(), cycle, subject_id, key_id.zip(sealed))?;
    let norms = cycle_norms(conn, cycle)?;
    // This cycle's summaries (for the percentiles) and the most recent earlier cycle's
    // for each competency key, among those whose report the subject was given: a closed
    // cycle's figures stay HR's until released.
    let released_to_subject =
        report_releases::table.filter(report_releases::subject_id.eq(subject_id)).select(report_releases::cycle_id);
    let summaries: Vec<(String, String, f64, f64, i32, f64)> = db_run!(conn, |c| competency_summaries::table
        .inner_join(cycles::table)
        .filter(cycles::org_id.eq(&cycle.org_id))
        .filter(competency_summaries::subject_id.eq(subject_id))
        .filter(competency_summaries::cycle_id.eq(&cycle.id).or(
            competency_summaries::cycle_id.eq_any(released_to_subject).and(cycles::created_at.lt(cycle.created_at))
        ),)
        .order(cycles::created_at.desc())
        .select((
            competency_summaries::cycle_id,
            competency_summaries::competency_key,
            competency_summaries::mean,
            competency_summaries::spread,
            competency_summaries::respondents,
            competency_summaries::percentile,
        ))
        .load(c))?;
    let mut percentiles = HashMap::new();
    let mut previous = HashMap::new();
    for (cycle_id, key, mean, spread, respondents, percentile) in summaries {
        if cycle_id == cycle.id {
            percentiles.insert(key, percentile);
        } else {
            previous.entry(key).or_insert((cycle_id, OthersSummary::stored(mean, spread, respondents)));
        }
    }

    let ctx = Context { norms, percentiles, previous };
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
