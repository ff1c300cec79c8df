//! The caller's own released reports: what the frontend lists under "my reports".

use diesel::prelude::*;

use super::MyReport;
use crate::db::DbConn;
use crate::db::schema::{cycles, report_releases};
use crate::db_run;
use crate::error::AppError;

/// The reports released to `person_id` in their organisation, newest first.
pub fn my_reports(conn: &mut DbConn, org_id: &str, person_id: &str) -> Result<Vec<MyReport>, AppError> {
    let rows: Vec<(String, String, chrono::NaiveDateTime)> = db_run!(conn, |c| report_releases::table
        .inner_join(cycles::table)
        .filter(cycles::org_id.eq(org_id))
        .filter(report_releases::subject_id.eq(person_id))
        .order(report_releases::released_at.desc())
        .select((cycles::id, cycles::name, report_releases::released_at))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(cycle_id, cycle_name, at)| MyReport {
            href: format!("/api/v1/cycles/{cycle_id}/reports/{person_id}"),
            cycle_id,
            cycle_name,
            released_at: at.and_utc(),
        })
        .collect())
}
