//! Where submitted answers live: one row per cycle, subject and relationship (an
//! "answer set"), holding how many of that group answered, how many gave each score to
//! each question, and the group's comments in text order.
//!
//! A row has no rater, no invitation, no id of its own and no time; inside it, scores are
//! counts and comments are sorted, so nothing pairs one rater's answer to one question
//! with the same rater's answer to another, or says in which order the group answered.
//! What a row holds is sealed under the answer key (`crate::sealing`) and sealed again
//! with a fresh nonce at every submission, so two images of a set, in the WAL or in dead
//! rows, cannot be compared without the key. Closing a cycle turns the sets into what
//! its reports may show (`reports::close`) and destroys them.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::answers::CheckedAnswer;
use crate::anonymity::Relationship;
use crate::db::DbConn;
use crate::db::schema::answer_sets;
use crate::db_run;
use crate::error::AppError;
use crate::sealing::{AnswerKeys, Sealed};

/// Row count per multi-row write: well within both engines' bind-parameter limits.
const CHUNK: usize = 500;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = answer_sets)]
struct Row {
    cycle_id: String,
    subject_id: String,
    relationship: Relationship,
    org_id: String,
    key_id: String,
    sealed: Vec<u8>,
}

/// What a row seals: everything but the key of the group.
#[derive(Deserialize)]
struct Content {
    respondents: i64,
    scores: BTreeMap<String, BTreeMap<i32, i64>>,
    comments: BTreeMap<String, Vec<String>>,
}

/// [`Content`] borrowed from a set, to seal.
#[derive(Serialize)]
struct ContentRef<'a> {
    respondents: i64,
    scores: &'a BTreeMap<String, BTreeMap<i32, i64>>,
    comments: &'a BTreeMap<String, Vec<String>>,
}

/// The associated data of a set's sealed value: the row it belongs to.
fn row_name(org_id: &str, cycle_id: &str, subject_id: &str, relationship: Relationship) -> String {
    format!("answer_sets/{org_id}/{cycle_id}/{subject_id}/{}", relationship.as_str())
}

/// One group's answers about one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerSet {
    pub org_id: String,
    pub cycle_id: String,
    pub subject_id: String,
    pub relationship: Relationship,
    /// How many of the group submitted.
    pub respondents: i64,
    /// question id → score → how many gave it
    pub scores: BTreeMap<String, BTreeMap<i32, i64>>,
    /// question id → the comments, in text order
    pub comments: BTreeMap<String, Vec<String>>,
}

impl AnswerSet {
    pub fn new(org_id: &str, cycle_id: &str, subject_id: &str, relationship: Relationship) -> Self {
        Self {
            org_id: org_id.into(),
            cycle_id: cycle_id.into(),
            subject_id: subject_id.into(),
            relationship,
            respondents: 0,
            scores: BTreeMap::new(),
            comments: BTreeMap::new(),
        }
    }

    /// Adds one rater's answers.
    pub fn add(&mut self, answers: impl IntoIterator<Item = CheckedAnswer>) {
        self.respondents += 1;
        for answer in answers {
            if let Some(score) = answer.score {
                *self.scores.entry(answer.question_id.clone()).or_default().entry(score).or_default() += 1;
            }
            if let Some(comment) = answer.comment {
                let texts = self.comments.entry(answer.question_id).or_default();
                let at = texts.partition_point(|t| *t <= comment);
                texts.insert(at, comment);
            }
        }
    }

    /// How many answers the set holds.
    pub fn answers(&self) -> usize {
        let scores: i64 = self.scores.values().flat_map(|t| t.values()).sum();
        scores as usize + self.comments.values().map(Vec::len).sum::<usize>()
    }

    /// Sealed under the current answer key with a fresh nonce.
    fn to_row(&self, keys: &AnswerKeys) -> Result<Row, AppError> {
        let content = ContentRef { respondents: self.respondents, scores: &self.scores, comments: &self.comments };
        let sealed = keys.seal_json(&self.row_name(), &content)?;
        Ok(Row {
            cycle_id: self.cycle_id.clone(),
            subject_id: self.subject_id.clone(),
            relationship: self.relationship,
            org_id: self.org_id.clone(),
            key_id: sealed.key_id,
            sealed: sealed.bytes,
        })
    }

    fn from_row(keys: &AnswerKeys, row: Row) -> Result<Self, AppError> {
        let name = row_name(&row.org_id, &row.cycle_id, &row.subject_id, row.relationship);
        let content: Content = keys.open_json(&name, &Sealed { key_id: row.key_id, bytes: row.sealed })?;
        Ok(Self {
            org_id: row.org_id,
            cycle_id: row.cycle_id,
            subject_id: row.subject_id,
            relationship: row.relationship,
            respondents: content.respondents,
            scores: content.scores,
            comments: content.comments,
        })
    }

    fn row_name(&self) -> String {
        row_name(&self.org_id, &self.cycle_id, &self.subject_id, self.relationship)
    }
}

/// Makes sure each (subject, relationship) group has its empty set, so that a set exists
/// before anyone answers and its creation says nothing about who answered first.
pub fn create_sets(
    conn: &mut DbConn,
    org_id: &str,
    cycle_id: &str,
    groups: &[(&str, Relationship)],
) -> Result<(), AppError> {
    let keys = conn.keys();
    let rows: Vec<Row> = groups
        .iter()
        .map(|(subject, relationship)| AnswerSet::new(org_id, cycle_id, subject, *relationship).to_row(keys))
        .collect::<Result<_, _>>()?;
    for chunk in rows.chunks(CHUNK) {
        match conn {
            DbConn::Sqlite(c) => diesel::insert_or_ignore_into(answer_sets::table).values(chunk).execute(&mut **c),
            DbConn::Postgres(c) => {
                diesel::insert_into(answer_sets::table).values(chunk).on_conflict_do_nothing().execute(&mut **c)
            }
        }?;
    }
    Ok(())
}

/// Writes whole sets as new rows (the data generator and the demo).
pub fn insert_sets(conn: &mut DbConn, sets: &[AnswerSet]) -> Result<(), AppError> {
    let keys = conn.keys();
    let rows: Vec<Row> = sets.iter().map(|s| s.to_row(keys)).collect::<Result<_, _>>()?;
    for chunk in rows.chunks(CHUNK) {
        db_run!(conn, |c| diesel::insert_into(answer_sets::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// The group's set, locked until the transaction ends on PostgreSQL (SQLite's writer lock
/// already serialises writers).
fn locked_set(
    conn: &mut DbConn,
    cycle_id: &str,
    subject_id: &str,
    relationship: Relationship,
) -> Result<Option<Row>, AppError> {
    let key = answer_sets::table.find((cycle_id, subject_id, relationship));
    Ok(match conn {
        DbConn::Sqlite(c) => key.select(Row::as_select()).first(&mut **c).optional(),
        DbConn::Postgres(c) => key.select(Row::as_select()).for_update().first(&mut **c).optional(),
    }?)
}

/// Adds one rater's answers to their group's set, inside the submitting transaction: the
/// set is opened, added to and sealed again under a fresh nonce.
pub fn record(
    conn: &mut DbConn,
    org_id: &str,
    cycle_id: &str,
    subject_id: &str,
    relationship: Relationship,
    answers: Vec<CheckedAnswer>,
) -> Result<(), AppError> {
    let row = match locked_set(conn, cycle_id, subject_id, relationship)? {
        Some(row) => row,
        None => {
            create_sets(conn, org_id, cycle_id, &[(subject_id, relationship)])?;
            locked_set(conn, cycle_id, subject_id, relationship)?
                .ok_or_else(|| AppError::internal("an answer set vanished while it was being written"))?
        }
    };
    let mut set = AnswerSet::from_row(conn.keys(), row)?;
    set.add(answers);
    let row = set.to_row(conn.keys())?;
    db_run!(conn, |c| diesel::update(answer_sets::table.find((cycle_id, subject_id, relationship)))
        .set((answer_sets::key_id.eq(&row.key_id), answer_sets::sealed.eq(&row.sealed)))
        .execute(c))?;
    Ok(())
}

/// The sets of the subjects from `first` to `last` (by id): one range of the key.
#[diesel::dsl::auto_type]
fn subject_range<'a>(cycle_id: &'a str, first: &'a str, last: &'a str) -> _ {
    answer_sets::table
        .filter(answer_sets::cycle_id.eq(cycle_id))
        .filter(answer_sets::subject_id.ge(first))
        .filter(answer_sets::subject_id.le(last))
}

/// The sets of the subjects from `first` to `last` (by id), opened, in key order.
pub fn load_sets(conn: &mut DbConn, cycle_id: &str, first: &str, last: &str) -> Result<Vec<AnswerSet>, AppError> {
    load_sealed(conn, cycle_id, first, last)?.open(conn.keys())
}

/// Sets as stored, still sealed: they can be opened on another thread than the
/// connection's.
pub struct SealedSets(Vec<Row>);

impl SealedSets {
    /// Two halves, split between subjects, to open on two threads.
    pub fn halves(mut self) -> (SealedSets, SealedSets) {
        let mut at = self.0.len() / 2;
        while at > 0 && at < self.0.len() && self.0[at].subject_id == self.0[at - 1].subject_id {
            at += 1;
        }
        let second = self.0.split_off(at);
        (self, SealedSets(second))
    }

    /// The sets, opened, in key order.
    pub fn open(self, keys: &AnswerKeys) -> Result<Vec<AnswerSet>, AppError> {
        self.0.into_iter().map(|row| AnswerSet::from_row(keys, row)).collect()
    }
}

/// The sets of the subjects from `first` to `last` (by id), as stored, in key order.
pub fn load_sealed(conn: &mut DbConn, cycle_id: &str, first: &str, last: &str) -> Result<SealedSets, AppError> {
    Ok(SealedSets(db_run!(conn, |c| subject_range(cycle_id, first, last)
        .order((answer_sets::subject_id.asc(), answer_sets::relationship.asc()))
        .select(Row::as_select())
        .load(c))?))
}

/// Destroys the sets of the subjects from `first` to `last` (by id).
pub fn delete_sets(conn: &mut DbConn, cycle_id: &str, first: &str, last: &str) -> Result<(), AppError> {
    db_run!(conn, |c| diesel::delete(subject_range(cycle_id, first, last)).execute(c))?;
    Ok(())
}

/// The cycle's subjects that have sets, in id order, as ranges of at most `size`
/// subjects: (first, last).
pub fn subject_batches(conn: &mut DbConn, cycle_id: &str, size: usize) -> Result<Vec<(String, String)>, AppError> {
    let subjects: Vec<String> = db_run!(conn, |c| answer_sets::table
        .filter(answer_sets::cycle_id.eq(cycle_id))
        .select(answer_sets::subject_id)
        .distinct()
        .order(answer_sets::subject_id.asc())
        .load(c))?;
    Ok(subjects.chunks(size.max(1)).filter_map(|chunk| Some((chunk.first()?.clone(), chunk.last()?.clone()))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(question: &str, score: Option<i32>, comment: Option<&str>) -> CheckedAnswer {
        CheckedAnswer { question_id: question.into(), score, comment: comment.map(Into::into) }
    }

    #[test]
    fn a_set_holds_counts_and_sorted_comments_whatever_the_order_of_raters() {
        let raters = [
            vec![answer("q1", Some(4), None), answer("q2", None, Some("kind"))],
            vec![answer("q1", Some(2), None), answer("q2", None, Some("bold"))],
            vec![answer("q1", Some(4), None), answer("q2", None, Some("calm"))],
        ];
        let mut forwards = AnswerSet::new("o", "c", "s", Relationship::Peer);
        raters.iter().cloned().for_each(|r| forwards.add(r));
        let mut backwards = AnswerSet::new("o", "c", "s", Relationship::Peer);
        raters.iter().rev().cloned().for_each(|r| backwards.add(r));

        assert_eq!(forwards, backwards, "arrival order leaves no trace");
        assert_eq!(forwards.respondents, 3);
        assert_eq!(forwards.scores["q1"], BTreeMap::from([(2, 1), (4, 2)]));
        assert_eq!(forwards.comments["q2"], ["bold", "calm", "kind"]);
        assert_eq!(forwards.answers(), 6);
        let keys = AnswerKeys::from_secret(&[3; 32]);
        let row = forwards.to_row(&keys).unwrap();
        assert!(!String::from_utf8_lossy(&row.sealed).contains("kind"), "sealed");
        assert_eq!(AnswerSet::from_row(&keys, row.clone()).unwrap(), forwards);
        let mut moved = row;
        moved.subject_id = "t".into();
        assert!(AnswerSet::from_row(&keys, moved).is_err(), "a sealed set opens only in its own row");
    }
}
