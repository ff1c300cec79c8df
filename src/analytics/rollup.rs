//! What a closing cycle writes for analytics, in its closing transaction: where each
//! subject stood (department at close, a place in a random order), others' ratings pooled
//! per department, group and question from the groups each report shows, invitations per
//! department and group, and the subjects' self-minus-others gaps. Nothing here is finer
//! than what a report shows, so the rater's side of the anonymity rule holds as it does in
//! reports; the subject's side (the least subjects behind a cell) is applied when a view
//! is read, under the organisation's setting.

use std::collections::{BTreeMap, HashMap};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use diesel::prelude::*;

use super::leaders::Leaders;
use crate::anonymity::{OthersSummary, QuestionTallies, Relationship};
use crate::cycles::Cycle;
use crate::db::DbConn;
use crate::db::schema::{
    analytics_departments, analytics_gaps, analytics_participation, analytics_ratings, invitations, participants,
    people,
};
use crate::db_run;
use crate::error::AppError;
use crate::responses::InvitationStatus;

/// Rows per multi-row insert: within both engines' bind-parameter limits.
const CHUNK: usize = 500;

/// Each subject's department at close and their place in it.
pub struct Places {
    /// Department name (`None`: no department) and how many subjects it has, by position.
    departments: Vec<(Option<String>, usize)>,
    /// subject id → (department position, place among the department's subjects)
    of: HashMap<String, (i32, usize)>,
}

impl Places {
    /// No subject placed: a close that adds nothing to analytics.
    pub fn none() -> Self {
        Places { departments: Vec::new(), of: HashMap::new() }
    }

    /// The cycle's participants by department, each department's in a random order.
    pub fn load(conn: &mut DbConn, cycle: &Cycle) -> Result<Self, AppError> {
        let rows: Vec<(String, Option<String>)> = db_run!(conn, |c| participants::table
            .inner_join(people::table)
            .filter(participants::cycle_id.eq(&cycle.id))
            .select((participants::subject_id, people::department))
            .load(c))?;
        let mut draws = vec![0u8; rows.len() * 8];
        SystemRandom::new().fill(&mut draws).map_err(|_| AppError::internal("the system random source failed"))?;
        let mut by_department: BTreeMap<Option<String>, Vec<(u64, String)>> = BTreeMap::new();
        for ((subject_id, department), draw) in rows.into_iter().zip(draws.chunks_exact(8)) {
            let draw = u64::from_le_bytes(draw.try_into().expect("eight bytes"));
            by_department.entry(department).or_default().push((draw, subject_id));
        }
        let mut places = Places::none();
        for (position, (name, mut subjects)) in by_department.into_iter().enumerate() {
            subjects.sort_unstable();
            places.departments.push((name, subjects.len()));
            for (place, (_, subject_id)) in subjects.into_iter().enumerate() {
                places.of.insert(subject_id, (position as i32, place));
            }
        }
        Ok(places)
    }
}

/// One department's pooled answers of one group to one question.
#[derive(Debug, Clone, Default)]
struct Atom {
    leaders: Leaders,
    answers: i64,
    sum: i64,
    squares: i64,
}

/// Others' ratings pooled per (department, group, question), from the groups each
/// subject's report shows.
#[derive(Debug, Default)]
pub struct Ratings(HashMap<(i32, Relationship, String), Atom>);

impl Ratings {
    /// Adds what one subject's results show; a subject without a place (not a participant
    /// any more) adds nothing.
    pub fn add_subject(&mut self, places: &Places, subject_id: &str, questions: &BTreeMap<String, QuestionTallies>) {
        let Some(&(department, place)) = places.of.get(subject_id) else { return };
        for (question_id, tallies) in questions {
            for (relationship, tally) in tallies.shown.iter().filter(|(r, _)| **r != Relationship::Myself) {
                let atom = self.0.entry((department, *relationship, question_id.clone())).or_default();
                atom.leaders.insert(place);
                for (score, n) in &tally.counts {
                    let score = i64::from(*score);
                    atom.answers += n;
                    atom.sum += score * n;
                    atom.squares += score * score * n;
                }
            }
        }
    }

    pub fn merge(&mut self, other: Ratings) {
        for (key, theirs) in other.0 {
            let mine = self.0.entry(key).or_default();
            mine.leaders.union_with(&theirs.leaders);
            mine.answers += theirs.answers;
            mine.sum += theirs.sum;
            mine.squares += theirs.squares;
        }
    }
}

/// Writes the cycle's analytics roll-ups. `summaries` are the subjects' "all others"
/// summaries per competency, with their self gaps.
pub fn write(
    conn: &mut DbConn,
    cycle: &Cycle,
    places: &Places,
    ratings: &Ratings,
    summaries: &HashMap<String, Vec<(String, OthersSummary)>>,
) -> Result<(), AppError> {
    let departments: Vec<_> = places
        .departments
        .iter()
        .enumerate()
        .map(|(position, (name, leaders))| {
            (
                analytics_departments::cycle_id.eq(&cycle.id),
                analytics_departments::position.eq(position as i32),
                analytics_departments::name.eq(name.clone()),
                analytics_departments::leaders.eq(*leaders as i32),
            )
        })
        .collect();
    for chunk in departments.chunks(CHUNK) {
        db_run!(conn, |c| diesel::insert_into(analytics_departments::table).values(chunk).execute(c))?;
    }

    let rating_rows: Vec<_> = ratings
        .0
        .iter()
        .map(|((department, relationship, question_id), atom)| {
            (
                analytics_ratings::cycle_id.eq(&cycle.id),
                analytics_ratings::department.eq(*department),
                analytics_ratings::relationship.eq(relationship.as_str()),
                analytics_ratings::question_id.eq(question_id.as_str()),
                analytics_ratings::leaders.eq(atom.leaders.to_bytes()),
                analytics_ratings::answers.eq(atom.answers),
                analytics_ratings::score_sum.eq(atom.sum),
                analytics_ratings::score_squares.eq(atom.squares),
            )
        })
        .collect();
    for chunk in rating_rows.chunks(CHUNK) {
        db_run!(conn, |c| diesel::insert_into(analytics_ratings::table).values(chunk).execute(c))?;
    }

    let invited: Vec<(String, Relationship, InvitationStatus)> = db_run!(conn, |c| invitations::table
        .filter(invitations::cycle_id.eq(&cycle.id))
        .select((invitations::subject_id, invitations::relationship, invitations::status))
        .load::<(String, String, String)>(c))?
    .into_iter()
    .map(|(subject_id, relationship, status)| {
        let relationship = relationship.parse().map_err(AppError::internal)?;
        let status = status.parse().map_err(AppError::internal)?;
        Ok((subject_id, relationship, status))
    })
    .collect::<Result<_, AppError>>()?;
    let mut participation: HashMap<(i32, Relationship), (Leaders, i64, i64)> = HashMap::new();
    for (subject_id, relationship, status) in invited {
        let Some(&(department, place)) = places.of.get(&subject_id) else { continue };
        let cell = participation.entry((department, relationship)).or_default();
        cell.0.insert(place);
        cell.1 += 1;
        cell.2 += i64::from(status == InvitationStatus::Submitted);
    }
    let participation_rows: Vec<_> = participation
        .iter()
        .map(|((department, relationship), (leaders, invited, answered))| {
            (
                analytics_participation::cycle_id.eq(&cycle.id),
                analytics_participation::department.eq(*department),
                analytics_participation::relationship.eq(relationship.as_str()),
                analytics_participation::leaders.eq(leaders.to_bytes()),
                analytics_participation::invited.eq(*invited),
                analytics_participation::answered.eq(*answered),
            )
        })
        .collect();
    for chunk in participation_rows.chunks(CHUNK) {
        db_run!(conn, |c| diesel::insert_into(analytics_participation::table).values(chunk).execute(c))?;
    }

    let mut gaps: BTreeMap<(&str, i32), (i32, f64)> = BTreeMap::new();
    for (key, subjects) in summaries {
        for gap in subjects.iter().filter_map(|(_, s)| s.self_gap) {
            let bin = gaps.entry((key.as_str(), (gap * 100.0).round() as i32)).or_default();
            bin.0 += 1;
            bin.1 += gap;
        }
    }
    let gap_rows: Vec<_> = gaps
        .iter()
        .map(|((key, hundredths), (leaders, sum))| {
            (
                analytics_gaps::cycle_id.eq(&cycle.id),
                analytics_gaps::competency_key.eq(*key),
                analytics_gaps::hundredths.eq(*hundredths),
                analytics_gaps::leaders.eq(*leaders),
                analytics_gaps::gap_sum.eq(*sum),
            )
        })
        .collect();
    for chunk in gap_rows.chunks(CHUNK) {
        db_run!(conn, |c| diesel::insert_into(analytics_gaps::table).values(chunk).execute(c))?;
    }
    Ok(())
}
