//! Where submitted answers live: one row per cycle, subject and relationship (an
//! "answer set"), holding how many of that group answered, how many gave each score to
//! each question, and the group's comments in text order.
//!
//! A row has no rater, no invitation, no id of its own and no time; inside it, scores are
//! counts and comments are sorted, so nothing pairs one rater's answer to one question
//! with the same rater's answer to another, or says in which order the group answered.
//! The same rows are the tallies reports are computed from, so closing a cycle does not
//! have to read each answer again.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::answers::CheckedAnswer;
use crate::anonymity::Relationship;
use crate::db::schema::answer_sets;
use crate::db::{DbConn, Engine};
use crate::db_run;
use crate::error::AppError;
use crate::rng::Rng;

/// Row count per multi-row write: well within both engines' bind-parameter limits.
const CHUNK: usize = 500;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = answer_sets)]
struct Row {
    cycle_id: String,
    subject_id: String,
    relationship: Relationship,
    org_id: String,
    respondents: i32,
    scores: String,
    comments: String,
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

    fn to_row(&self) -> Result<Row, AppError> {
        Ok(Row {
            cycle_id: self.cycle_id.clone(),
            subject_id: self.subject_id.clone(),
            relationship: self.relationship,
            org_id: self.org_id.clone(),
            respondents: i32::try_from(self.respondents).map_err(AppError::internal)?,
            scores: serde_json::to_string(&self.scores).map_err(AppError::internal)?,
            comments: serde_json::to_string(&self.comments).map_err(AppError::internal)?,
        })
    }

    fn from_row(row: &Row) -> Result<Self, AppError> {
        Ok(Self {
            org_id: row.org_id.clone(),
            cycle_id: row.cycle_id.clone(),
            subject_id: row.subject_id.clone(),
            relationship: row.relationship,
            respondents: i64::from(row.respondents),
            scores: serde_json::from_str(&row.scores).map_err(AppError::internal)?,
            comments: serde_json::from_str(&row.comments).map_err(AppError::internal)?,
        })
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
    let rows: Vec<Row> = groups
        .iter()
        .map(|(subject, relationship)| AnswerSet::new(org_id, cycle_id, subject, *relationship).to_row())
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
    let rows: Vec<Row> = sets.iter().map(AnswerSet::to_row).collect::<Result<_, _>>()?;
    insert_rows(conn, &rows)
}

fn insert_rows(conn: &mut DbConn, rows: &[Row]) -> Result<(), AppError> {
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

/// Adds one rater's answers to their group's set, inside the submitting transaction.
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
    let mut set = AnswerSet::from_row(&row)?;
    set.add(answers);
    let row = set.to_row()?;
    db_run!(conn, |c| diesel::update(answer_sets::table.find((cycle_id, subject_id, relationship)))
        .set((
            answer_sets::respondents.eq(row.respondents),
            answer_sets::scores.eq(&row.scores),
            answer_sets::comments.eq(&row.comments),
        ))
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

/// The stored rows of the subjects from `first` to `last` (by id), in key order.
fn load_rows(conn: &mut DbConn, cycle_id: &str, first: &str, last: &str) -> Result<Vec<Row>, AppError> {
    Ok(db_run!(conn, |c| subject_range(cycle_id, first, last)
        .order((answer_sets::subject_id.asc(), answer_sets::relationship.asc()))
        .select(Row::as_select())
        .load(c))?)
}

/// The sets of the subjects from `first` to `last` (by id), in key order.
pub fn load_sets(conn: &mut DbConn, cycle_id: &str, first: &str, last: &str) -> Result<Vec<AnswerSet>, AppError> {
    load_rows(conn, cycle_id, first, last)?.iter().map(AnswerSet::from_row).collect()
}

/// The subjects of a cycle that have sets, in id order.
fn subjects_with_sets(conn: &mut DbConn, cycle_id: &str) -> Result<Vec<String>, AppError> {
    Ok(db_run!(conn, |c| answer_sets::table
        .filter(answer_sets::cycle_id.eq(cycle_id))
        .select(answer_sets::subject_id)
        .distinct()
        .order(answer_sets::subject_id.asc())
        .load(c))?)
}

/// Rewrites every set of the cycle as a new row, in batches of `batch` subjects, each
/// batch handed to `visit` in key order, then written back in a shuffled order. Inside
/// one transaction with the rest of the close, this leaves no row whose place or (on
/// PostgreSQL) transaction id dates from a submission. Returns how many answers the sets
/// hold.
///
/// `visit` runs on a thread of its own while the engine rewrites the same batch, so the
/// close keeps two cores busy rather than taking turns between them.
pub fn rewrite_sets(
    conn: &mut DbConn,
    cycle_id: &str,
    batch: usize,
    mut visit: impl FnMut(&[AnswerSet]) -> Result<(), AppError> + Send,
) -> Result<usize, AppError> {
    let subjects = subjects_with_sets(conn, cycle_id)?;
    let mut answers = 0;
    let mut rng = Rng::from_entropy();
    for chunk in subjects.chunks(batch.max(1)) {
        let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else { continue };
        let rows = load_rows(conn, cycle_id, first, last)?;
        let (visited, rewritten) = std::thread::scope(|scope| {
            let visiting = scope.spawn(|| {
                let sets: Vec<AnswerSet> = rows.iter().map(AnswerSet::from_row).collect::<Result<_, _>>()?;
                visit(&sets)?;
                Ok::<_, AppError>(sets.iter().map(AnswerSet::answers).sum::<usize>())
            });
            let rewritten = rewrite_batch(conn, cycle_id, first, last, &rows, &mut rng);
            (visiting.join(), rewritten)
        });
        rewritten?;
        answers += visited.map_err(|_| AppError::internal("computing the roll-ups panicked"))??;
    }
    if conn.engine() == Engine::Postgres {
        // Fresh rows have no statistics yet; reports read them by key.
        db_run!(conn, |c| diesel::sql_query("ANALYZE answer_sets").execute(c))?;
    }
    Ok(answers)
}

/// Deletes one batch's rows and writes them back as new rows, in a random order.
fn rewrite_batch(
    conn: &mut DbConn,
    cycle_id: &str,
    first: &str,
    last: &str,
    rows: &[Row],
    rng: &mut Rng,
) -> Result<(), AppError> {
    if let DbConn::Postgres(c) = conn {
        // The engine moves the rows itself: none of them travels back to be written.
        diesel::sql_query(
            "WITH gone AS (DELETE FROM answer_sets WHERE cycle_id = $1 AND subject_id >= $2 AND subject_id <= $3 \
             RETURNING *) INSERT INTO answer_sets SELECT * FROM gone ORDER BY random()",
        )
        .bind::<Text, _>(cycle_id)
        .bind::<Text, _>(first)
        .bind::<Text, _>(last)
        .execute(&mut **c)?;
        return Ok(());
    }
    db_run!(conn, |c| diesel::delete(subject_range(cycle_id, first, last)).execute(c))?;
    let mut shuffled = rows.to_vec();
    rng.shuffle(&mut shuffled);
    insert_rows(conn, &shuffled)
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
        let row = forwards.to_row().unwrap();
        assert_eq!(row.scores, r#"{"q1":{"2":1,"4":2}}"#);
        assert_eq!(AnswerSet::from_row(&row).unwrap(), forwards);
    }
}
