//! A closed cycle's analytics roll-ups as read back, kept per process: they never change
//! once the cycle has closed.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use diesel::prelude::*;

use super::leaders::Leaders;
use crate::anonymity::Relationship;
use crate::cycles::{Cycle, replayed_close};
use crate::db::DbConn;
use crate::db::schema::{analytics_departments, analytics_gaps, analytics_participation, analytics_ratings};
use crate::db_run;
use crate::error::AppError;

/// One department's pooled answers of one group to one question.
#[derive(Debug, Clone)]
pub struct RatingAtom {
    pub department: usize,
    pub relationship: Relationship,
    pub question_id: String,
    pub leaders: Leaders,
    pub answers: i64,
    pub sum: i64,
    pub squares: i64,
}

/// One department's invitations of one group.
#[derive(Debug, Clone)]
pub struct ParticipationAtom {
    pub department: usize,
    pub relationship: Relationship,
    pub leaders: Leaders,
    pub invited: i64,
    pub answered: i64,
}

/// How many subjects had a self-minus-others gap of `hundredths` / 100 on a competency.
#[derive(Debug, Clone)]
pub struct GapBin {
    pub competency_key: String,
    pub hundredths: i32,
    pub leaders: i64,
    pub sum: f64,
}

/// What a closed cycle keeps for analytics.
#[derive(Debug, Default)]
pub struct CycleData {
    /// Department names by position (`None`: subjects without a department).
    pub departments: Vec<Option<String>>,
    pub ratings: Vec<RatingAtom>,
    pub participation: Vec<ParticipationAtom>,
    pub gaps: Vec<GapBin>,
}

static CYCLES: LazyLock<RwLock<HashMap<String, Arc<CycleData>>>> = LazyLock::new(Default::default);
const CACHED_CYCLES: usize = 64;

fn relationship(text: String) -> Result<Relationship, AppError> {
    text.parse().map_err(AppError::internal)
}

/// The roll-ups of a closed cycle (the caller has checked it is closed and the caller's).
pub fn load(conn: &mut DbConn, cycle: &Cycle) -> Result<Arc<CycleData>, AppError> {
    if let Some(found) = CYCLES.read().unwrap_or_else(|e| e.into_inner()).get(&cycle.id) {
        return Ok(Arc::clone(found));
    }
    // Kept once loaded: never from a replica that has not replayed the close yet.
    replayed_close(conn, cycle)?;
    let departments: Vec<Option<String>> = db_run!(conn, |c| analytics_departments::table
        .filter(analytics_departments::cycle_id.eq(&cycle.id))
        .order(analytics_departments::position.asc())
        .select(analytics_departments::name)
        .load(c))?;
    let ratings = db_run!(conn, |c| analytics_ratings::table
        .filter(analytics_ratings::cycle_id.eq(&cycle.id))
        .select((
            analytics_ratings::department,
            analytics_ratings::relationship,
            analytics_ratings::question_id,
            analytics_ratings::leaders,
            analytics_ratings::answers,
            analytics_ratings::score_sum,
            analytics_ratings::score_squares,
        ))
        .load::<(i32, String, String, Vec<u8>, i64, i64, i64)>(c))?
    .into_iter()
    .map(|(department, r, question_id, leaders, answers, sum, squares)| {
        Ok(RatingAtom {
            department: department as usize,
            relationship: relationship(r)?,
            question_id,
            leaders: Leaders::from_bytes(&leaders),
            answers,
            sum,
            squares,
        })
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    let participation = db_run!(conn, |c| analytics_participation::table
        .filter(analytics_participation::cycle_id.eq(&cycle.id))
        .select((
            analytics_participation::department,
            analytics_participation::relationship,
            analytics_participation::leaders,
            analytics_participation::invited,
            analytics_participation::answered,
        ))
        .load::<(i32, String, Vec<u8>, i64, i64)>(c))?
    .into_iter()
    .map(|(department, r, leaders, invited, answered)| {
        Ok(ParticipationAtom {
            department: department as usize,
            relationship: relationship(r)?,
            leaders: Leaders::from_bytes(&leaders),
            invited,
            answered,
        })
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    let gaps = db_run!(conn, |c| analytics_gaps::table
        .filter(analytics_gaps::cycle_id.eq(&cycle.id))
        .select((
            analytics_gaps::competency_key,
            analytics_gaps::hundredths,
            analytics_gaps::leaders,
            analytics_gaps::gap_sum
        ))
        .load::<(String, i32, i32, f64)>(c))?
    .into_iter()
    .map(|(competency_key, hundredths, leaders, sum)| GapBin {
        competency_key,
        hundredths,
        leaders: i64::from(leaders),
        sum,
    })
    .collect();
    let loaded = Arc::new(CycleData { departments, ratings, participation, gaps });
    let mut cache = CYCLES.write().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= CACHED_CYCLES {
        cache.clear();
    }
    cache.insert(cycle.id.clone(), Arc::clone(&loaded));
    Ok(loaded)
}
