//! What spans domains: a cycle's state changes and the nominations that reach into
//! collecting set off work in `responses` (invitations, sealing answers) and `reports`
//! (roll-ups, release). This module sits above cycles, responses and reports, so that
//! none of them imports another that imports it back.

mod handlers;

use crate::auth::principal::Principal;
use crate::cycles::{self, Cycle, CycleState, DecisionRequest, NominateRequest, NominationResponse, NominationStatus};
use crate::db::DbConn;
use crate::error::AppError;
use crate::events::{self, Event, StateChangeEffect};
use crate::{reports, responses};

/// The routes whose operations span domains.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(handlers::transition_cycle)
        .service(handlers::create_nomination)
        .service(handlers::decide_nomination);
}

/// Moves a cycle to its next state and does what the move means, in one transaction:
/// collecting opens the invitations, closing seals the answers and computes the
/// roll-ups, releasing lets subjects read their reports.
pub fn transition(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    if_match: Option<&str>,
    to: CycleState,
) -> Result<Cycle, AppError> {
    let cycle = conn.transaction(|conn| {
        let (from, cycle) = cycles::transition(conn, &principal.org_id, cycle_id, if_match, to)?;
        let effect = match to {
            CycleState::Collecting => {
                Some(StateChangeEffect::InvitationsOpened(responses::open_invitations(conn, &cycle)?))
            }
            CycleState::Closed => Some(StateChangeEffect::AnswersSealed(reports::close_cycle(conn, &cycle)?)),
            CycleState::Released => {
                Some(StateChangeEffect::ReportsReleased(reports::release(conn, principal, &cycle, None)?))
            }
            _ => None,
        };
        let changed =
            Event::CycleStateChanged { cycle_id: cycle.id.clone(), from: from.as_str(), to: to.as_str(), effect };
        events::record(conn, principal, changed)?;
        Ok::<_, AppError>(cycle)
    })?;
    if cycle.state == CycleState::Closed {
        // Outside the closing transaction: neither engine can do this inside one.
        let started = std::time::Instant::now();
        match conn.purge_deleted_rows() {
            Ok(()) => tracing::info!(purge_ms = started.elapsed().as_millis() as u64, "closing: deleted rows purged"),
            Err(e) => tracing::warn!(cause = %e, "could not purge deleted rows after closing a cycle"),
        }
    }
    Ok(cycle)
}

/// Nominates a rater; an approved rater of a collecting cycle is invited at once.
pub fn nominate(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    subject_id: &str,
    request: NominateRequest,
) -> Result<NominationResponse, AppError> {
    conn.transaction(|conn| {
        let (cycle, nomination) = cycles::nominate(conn, principal, cycle_id, subject_id, request)?;
        invite_if_collecting(conn, &cycle, &nomination)?;
        Ok(nomination)
    })
}

/// Decides a nomination; an approved rater of a collecting cycle is invited at once.
pub fn decide(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    nomination_id: &str,
    request: DecisionRequest,
) -> Result<NominationResponse, AppError> {
    conn.transaction(|conn| {
        let (cycle, nomination) = cycles::decide(conn, principal, cycle_id, nomination_id, request)?;
        invite_if_collecting(conn, &cycle, &nomination)?;
        Ok(nomination)
    })
}

fn invite_if_collecting(conn: &mut DbConn, cycle: &Cycle, nomination: &NominationResponse) -> Result<(), AppError> {
    if nomination.status == NominationStatus::Approved && cycle.state == CycleState::Collecting {
        responses::invite(conn, cycle, &nomination.subject_id, &nomination.rater_id, nomination.relationship)?;
    }
    Ok(())
}

/// At start, before serving: seals the answers stored before sealing existed, turns the
/// sets of cycles that closed before results existed into results (also when a start was
/// interrupted between the two), and refuses to go on when a stored answer is sealed
/// under a key this instance was not given.
pub fn prepare_answers(conn: &mut DbConn) -> anyhow::Result<()> {
    use diesel::prelude::*;

    use crate::db::schema::{answer_sets, cycles as cycle_rows};
    responses::seal_unsealed(conn)?;
    let unfinished: Vec<(String, String)> = crate::db_run!(conn, |c| answer_sets::table
        .inner_join(cycle_rows::table.on(cycle_rows::id.eq(answer_sets::cycle_id)))
        .filter(cycle_rows::state.eq_any([CycleState::Closed, CycleState::Released]))
        .select((answer_sets::org_id, answer_sets::cycle_id))
        .distinct()
        .load(c))?;
    for (org_id, cycle_id) in unfinished {
        let cycle = cycles::find_cycle(conn, &org_id, &cycle_id)?;
        conn.transaction(|conn| reports::finish_close(conn, &cycle))?;
    }
    let stored: Vec<String> = crate::db_run!(conn, |c| diesel::RunQueryDsl::load(
        diesel::dsl::sql::<diesel::sql_types::Text>(
            "SELECT key_id FROM answer_sets UNION SELECT key_id FROM response_drafts \
             UNION SELECT key_id FROM subject_results UNION SELECT key_id FROM coaching_sessions \
             UNION SELECT key_id FROM action_items UNION SELECT key_id FROM coach_ratings \
             UNION SELECT key_id FROM goals UNION SELECT key_id FROM goal_check_ins \
             UNION SELECT key_id FROM webhook_endpoints"
        ),
        c
    ))?;
    let missing: Vec<&String> = stored.iter().filter(|id| !conn.keys().holds(id)).collect();
    anyhow::ensure!(
        missing.is_empty(),
        "stored answers or coaching notes are sealed under answer key(s) {missing:?}, which this instance was not given: set \
         ROUNDTABLE_ANSWER_KEY_FILE to the key the other instances use (and earlier keys in \
         ROUNDTABLE_PREVIOUS_ANSWER_KEY_FILES)"
    );
    Ok(())
}
