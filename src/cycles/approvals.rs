//! The nominations waiting for the caller's decision as the subjects' manager, across the
//! cycles still taking decisions: what a frontend shows a manager to act on.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::CycleState;
use super::nominations::{Nomination, NominationResponse, NominationStatus, respond};
use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::db::schema::{cycles, nominations, people};
use crate::db_run;
use crate::error::AppError;

#[derive(Debug, Serialize, ToSchema)]
pub struct Approval {
    pub cycle_id: String,
    pub cycle_name: String,
    pub subject_name: String,
    pub nomination: NominationResponse,
    /// Where to send `{"decision": "approve" | "reject"}`.
    pub decide_href: String,
}

/// Proposed nominations of the caller's direct reports, oldest first.
pub fn my_approvals(conn: &mut DbConn, principal: &Principal) -> Result<Vec<Approval>, AppError> {
    let person_id = principal.require_person()?;
    let reports = people::table
        .filter(people::org_id.eq(&principal.org_id))
        .filter(people::manager_id.eq(person_id))
        .select(people::id);
    let deciding = [CycleState::Draft, CycleState::Nominating, CycleState::Collecting];
    let rows: Vec<(Nomination, String, String)> = db_run!(conn, |c| nominations::table
        .inner_join(cycles::table.on(cycles::id.eq(nominations::cycle_id)))
        .filter(cycles::org_id.eq(&principal.org_id))
        .filter(cycles::state.eq_any(deciding))
        .filter(nominations::status.eq(NominationStatus::Proposed))
        .filter(nominations::subject_id.eq_any(reports))
        .order(nominations::id.asc())
        .select((Nomination::as_select(), cycles::id, cycles::name))
        .load(c))?;
    let ids: Vec<&String> = rows.iter().flat_map(|(n, _, _)| [&n.subject_id, &n.rater_id]).collect();
    let names: HashMap<String, String> = db_run!(conn, |c| people::table
        .filter(people::id.eq_any(&ids))
        .select((people::id, people::display_name))
        .load::<(String, String)>(c))?
    .into_iter()
    .collect();
    Ok(rows
        .into_iter()
        .map(|(n, cycle_id, cycle_name)| Approval {
            decide_href: format!("/api/v1/cycles/{cycle_id}/nominations/{}/decision", n.id),
            subject_name: names.get(&n.subject_id).cloned().unwrap_or_default(),
            nomination: {
                let rater = names.get(&n.rater_id).cloned().unwrap_or_default();
                respond(n, rater)
            },
            cycle_id,
            cycle_name,
        })
        .collect())
}
