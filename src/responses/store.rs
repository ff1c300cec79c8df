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

use std::collections::{BTreeMap, BTreeSet, HashMap};

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

/// Which set: cycle, subject and relationship.
type SetKey = (String, String, Relationship);

/// The sets of `keys`, locked until the transaction ends on PostgreSQL (SQLite's writer
/// lock already serialises writers), in key order so that two writers lock them in the
/// same order. The query may lock a few more (another relationship of the same subject).
fn locked_sets(conn: &mut DbConn, keys: &BTreeSet<SetKey>) -> Result<HashMap<SetKey, Row>, AppError> {
    let cycles: BTreeSet<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let subjects: BTreeSet<&str> = keys.iter().map(|k| k.1.as_str()).collect();
    let query = answer_sets::table
        .filter(answer_sets::cycle_id.eq_any(cycles))
        .filter(answer_sets::subject_id.eq_any(subjects))
        .order((answer_sets::cycle_id, answer_sets::subject_id, answer_sets::relationship));
    let rows = match conn {
        DbConn::Sqlite(c) => query.select(Row::as_select()).load(&mut **c),
        DbConn::Postgres(c) => query.select(Row::as_select()).for_update().load(&mut **c),
    }?;
    Ok(rows
        .into_iter()
        .map(|row| ((row.cycle_id.clone(), row.subject_id.clone(), row.relationship), row))
        .filter(|(key, _)| keys.contains(key))
        .collect())
}

/// One rater's answers for their group's set.
pub struct Addition {
    pub org_id: String,
    pub cycle_id: String,
    pub subject_id: String,
    pub relationship: Relationship,
    pub answers: Vec<CheckedAnswer>,
}

/// Adds one rater's answers to their group's set, inside the submitting transaction.
pub fn record(
    conn: &mut DbConn,
    org_id: &str,
    cycle_id: &str,
    subject_id: &str,
    relationship: Relationship,
    answers: Vec<CheckedAnswer>,
) -> Result<(), AppError> {
    let addition = Addition {
        org_id: org_id.into(),
        cycle_id: cycle_id.into(),
        subject_id: subject_id.into(),
        relationship,
        answers,
    };
    record_all(conn, vec![addition])
}

/// Adds each rater's answers to their group's set, inside the submitting transaction:
/// each set is read and locked, opened, added to and sealed again under a fresh nonce,
/// and written back, with one statement for all the sets on PostgreSQL.
pub fn record_all(conn: &mut DbConn, additions: Vec<Addition>) -> Result<(), AppError> {
    let keys: BTreeSet<SetKey> =
        additions.iter().map(|a| (a.cycle_id.clone(), a.subject_id.clone(), a.relationship)).collect();
    let mut rows = locked_sets(conn, &keys)?;
    let missing: BTreeSet<SetKey> = keys.iter().filter(|k| !rows.contains_key(*k)).cloned().collect();
    if !missing.is_empty() {
        for a in
            additions.iter().filter(|a| missing.contains(&(a.cycle_id.clone(), a.subject_id.clone(), a.relationship)))
        {
            create_sets(conn, &a.org_id, &a.cycle_id, &[(&a.subject_id, a.relationship)])?;
        }
        rows.extend(locked_sets(conn, &missing)?);
    }
    let mut sets: BTreeMap<SetKey, AnswerSet> = BTreeMap::new();
    for addition in additions {
        let key = (addition.cycle_id, addition.subject_id, addition.relationship);
        let set = match sets.entry(key) {
            std::collections::btree_map::Entry::Occupied(set) => set.into_mut(),
            std::collections::btree_map::Entry::Vacant(entry) => {
                let row = rows
                    .remove(entry.key())
                    .ok_or_else(|| AppError::internal("an answer set vanished while it was being written"))?;
                entry.insert(AnswerSet::from_row(conn.keys(), row)?)
            }
        };
        set.add(addition.answers);
    }
    let rows: Vec<Row> = sets.values().map(|set| set.to_row(conn.keys())).collect::<Result<_, _>>()?;
    for chunk in rows.chunks(CHUNK) {
        write_sealed(conn, chunk)?;
    }
    Ok(())
}

/// Writes the sets' new sealed values: one statement on PostgreSQL, one per set on SQLite
/// (in-process, where a statement costs no round trip).
fn write_sealed(conn: &mut DbConn, rows: &[Row]) -> Result<(), AppError> {
    use diesel::sql_types::{Array, Binary, Text};
    match conn {
        DbConn::Sqlite(c) => {
            for row in rows {
                diesel::update(answer_sets::table.find((&row.cycle_id, &row.subject_id, row.relationship)))
                    .set((answer_sets::key_id.eq(&row.key_id), answer_sets::sealed.eq(&row.sealed)))
                    .execute(&mut **c)?;
            }
        }
        DbConn::Postgres(c) => {
            let column = |f: fn(&Row) -> String| rows.iter().map(f).collect::<Vec<String>>();
            diesel::sql_query(
                "UPDATE answer_sets AS s SET key_id = v.key_id, sealed = v.sealed \
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[]) \
                 AS v (cycle_id, subject_id, relationship, key_id, sealed) \
                 WHERE s.cycle_id = v.cycle_id AND s.subject_id = v.subject_id AND s.relationship = v.relationship",
            )
            .bind::<Array<Text>, _>(column(|r| r.cycle_id.clone()))
            .bind::<Array<Text>, _>(column(|r| r.subject_id.clone()))
            .bind::<Array<Text>, _>(column(|r| r.relationship.as_str().to_string()))
            .bind::<Array<Text>, _>(column(|r| r.key_id.clone()))
            .bind::<Array<Binary>, _>(rows.iter().map(|r| r.sealed.clone()).collect::<Vec<Vec<u8>>>())
            .execute(&mut **c)?;
        }
    }
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
