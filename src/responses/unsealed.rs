//! Answers stored before sealing existed: the migration that brought sealing moved them
//! into `unsealed_answer_sets` and `unsealed_response_drafts`; the first start after it
//! seals them under the answer key and empties those tables.

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use super::store::{self, AnswerSet};
use crate::anonymity::Relationship;
use crate::db::DbConn;
use crate::db_run;
use crate::error::AppError;

#[derive(QueryableByName)]
struct UnsealedSet {
    #[diesel(sql_type = Text)]
    cycle_id: String,
    #[diesel(sql_type = Text)]
    subject_id: String,
    #[diesel(sql_type = Text)]
    relationship: Relationship,
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = Integer)]
    respondents: i32,
    #[diesel(sql_type = Text)]
    scores: String,
    #[diesel(sql_type = Text)]
    comments: String,
}

#[derive(QueryableByName)]
struct UnsealedDraft {
    #[diesel(sql_type = Text)]
    invitation_id: String,
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = Text)]
    answers: String,
    #[diesel(sql_type = Timestamp)]
    updated_at: chrono::NaiveDateTime,
    #[diesel(sql_type = Text)]
    credential: String,
}

/// Seals every answer set and draft left in clear, in one transaction.
pub fn seal_unsealed(conn: &mut DbConn) -> Result<(), AppError> {
    conn.transaction(|conn| {
        let sets: Vec<UnsealedSet> = db_run!(conn, |c| {
            diesel::sql_query(
            "SELECT cycle_id, subject_id, relationship, org_id, respondents, scores, comments FROM unsealed_answer_sets"
        )
        .load(c)
        })?;
        let drafts: Vec<UnsealedDraft> = db_run!(conn, |c| diesel::sql_query(
            "SELECT invitation_id, org_id, answers, updated_at, credential FROM unsealed_response_drafts"
        )
        .load(c))?;
        if sets.is_empty() && drafts.is_empty() {
            return Ok(());
        }
        let sealed: Vec<AnswerSet> = sets
            .into_iter()
            .map(|s| {
                let mut set = AnswerSet::new(&s.org_id, &s.cycle_id, &s.subject_id, s.relationship);
                set.respondents = i64::from(s.respondents);
                set.scores = serde_json::from_str(&s.scores).map_err(AppError::internal)?;
                set.comments = serde_json::from_str(&s.comments).map_err(AppError::internal)?;
                Ok(set)
            })
            .collect::<Result<_, AppError>>()?;
        store::insert_sets(conn, &sealed)?;
        for d in &drafts {
            let answers: Vec<super::answers::AnswerInput> = serde_json::from_str(&d.answers).unwrap_or_default();
            super::draft::insert_draft(conn, &d.org_id, &d.invitation_id, &d.credential, d.updated_at, &answers)?;
        }
        db_run!(conn, |c| diesel::sql_query("DELETE FROM unsealed_answer_sets").execute(c))?;
        db_run!(conn, |c| diesel::sql_query("DELETE FROM unsealed_response_drafts").execute(c))?;
        tracing::info!(sets = sealed.len(), drafts = drafts.len(), "sealed the answers stored before sealing");
        Ok(())
    })
}
