//! Where a closed cycle's [`SubjectResults`] live: one sealed row per subject, written at
//! close.

use diesel::prelude::*;

use super::build::SubjectResults;
use crate::cycles::Cycle;
use crate::db::DbConn;
use crate::db::schema::subject_results;
use crate::db_run;
use crate::error::AppError;
use crate::sealing::{AnswerKeys, Sealed};

/// The associated data of a subject's sealed results: the row they belong to.
fn row_name(org_id: &str, cycle_id: &str, subject_id: &str) -> String {
    format!("subject_results/{org_id}/{cycle_id}/{subject_id}")
}

/// One subject's results, sealed, ready to be written.
pub(super) struct SealedResults {
    subject_id: String,
    sealed: Sealed,
}

/// Seals the results of some subjects of a closing cycle (on any thread).
pub(super) fn seal(
    keys: &AnswerKeys,
    cycle: &Cycle,
    results: &[(String, SubjectResults)],
) -> Result<Vec<SealedResults>, AppError> {
    results
        .iter()
        .map(|(subject_id, r)| {
            let sealed = keys.seal_json(&row_name(&cycle.org_id, &cycle.id, subject_id), r)?;
            Ok(SealedResults { subject_id: subject_id.clone(), sealed })
        })
        .collect()
}

/// Writes sealed results.
pub(super) fn write(conn: &mut DbConn, cycle: &Cycle, results: &[SealedResults]) -> Result<(), AppError> {
    let rows: Vec<_> = results
        .iter()
        .map(|r| {
            (
                subject_results::cycle_id.eq(&cycle.id),
                subject_results::subject_id.eq(&r.subject_id),
                subject_results::org_id.eq(&cycle.org_id),
                subject_results::key_id.eq(&r.sealed.key_id),
                subject_results::sealed.eq(&r.sealed.bytes),
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        db_run!(conn, |c| diesel::insert_into(subject_results::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// A subject's results from their stored row (key id and sealed bytes, read with the
/// report's other facts); empty when the subject had no answer set at close.
pub fn open(
    keys: &AnswerKeys,
    cycle: &Cycle,
    subject_id: &str,
    row: Option<(String, Vec<u8>)>,
) -> Result<SubjectResults, AppError> {
    match row {
        Some((key_id, bytes)) => {
            keys.open_json(&row_name(&cycle.org_id, &cycle.id, subject_id), &Sealed { key_id, bytes })
        }
        None => Ok(SubjectResults::default()),
    }
}

/// A subject's results, read alone.
pub fn load(conn: &mut DbConn, cycle: &Cycle, subject_id: &str) -> Result<SubjectResults, AppError> {
    let row = db_run!(conn, |c| subject_results::table
        .find((&cycle.id, subject_id))
        .select((subject_results::key_id, subject_results::sealed))
        .first(c)
        .optional())?;
    open(conn.keys(), cycle, subject_id, row)
}
