//! The two-way street: after a session each member may say how useful it was, and a
//! coach sees their own aggregate. Each rating is sealed and about the session's coaches
//! (a pair's coach; a circle's other members). Ratings join a coach's aggregate only in
//! batches that three different coachees or more stand behind (the anonymity module's
//! `batch_may_join`), so neither the aggregate nor any change of it points to one person.

use std::collections::BTreeSet;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::sessions::find_session;
use crate::anonymity::{Cell, MIN_ANONYMOUS_THRESHOLD, batch_may_join};
use crate::auth::principal::Principal;
use crate::db::schema::{coach_feedback, coach_ratings};
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::AppError;
use crate::error::validate;
use crate::sealing::Sealed;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"usefulness": 4}))]
pub struct RateSessionRequest {
    /// 1 (not useful) to 5 (very useful).
    #[validate(range(min = 1, max = 5))]
    pub usefulness: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingRecorded {
    /// How many coaches the rating is about.
    pub coaches: usize,
}

/// A coach's own aggregate; each figure withheld until at least three coachees stand
/// behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoachFeedback {
    #[schema(value_type = Object)]
    pub ratings: Cell<i64>,
    #[schema(value_type = Object)]
    pub coachees: Cell<i64>,
    /// Mean usefulness, 1 to 5.
    #[schema(value_type = Object)]
    pub mean_usefulness: Cell<f64>,
    pub rule: String,
}

fn rating_row(org_id: &str, session_id: &str, coach_id: &str) -> String {
    format!("coach_rating:{org_id}:{session_id}:{coach_id}")
}

/// The caller rates a session they took part in, once.
pub fn rate_session(
    conn: &mut DbConn,
    principal: &Principal,
    session_id: &str,
    input: RateSessionRequest,
) -> Result<RatingRecorded, AppError> {
    validate(&input)?;
    let me = principal.require_person()?.to_string();
    conn.transaction(|conn| {
        let (session, loaded) = find_session(conn, principal, session_id)?;
        if session.held_at.naive_utc() > now() {
            return Err(AppError::conflict("session_not_held", "A session is rated once it has taken place."));
        }
        let coaches: Vec<String> = loaded
            .members
            .iter()
            .filter(|m| m.person_id != me && m.role.coaches())
            .map(|m| m.person_id.clone())
            .collect();
        if coaches.is_empty() {
            return Err(AppError::unprocessable(
                "nothing_to_rate",
                "In a pair the coachee rates how useful the session was; the coach has no coach to rate.",
            ));
        }
        let already: i64 = db_run!(conn, |c| coach_ratings::table
            .filter(coach_ratings::session_id.eq(session_id))
            .filter(coach_ratings::rater_id.eq(&me))
            .count()
            .get_result(c))?;
        if already > 0 {
            return Err(AppError::conflict("already_rated", "You rated this session already."));
        }
        for coach_id in &coaches {
            let sealed =
                conn.keys().seal_json(&rating_row(&principal.org_id, session_id, coach_id), &input.usefulness)?;
            db_run!(conn, |c| diesel::insert_into(coach_ratings::table)
                .values((
                    coach_ratings::session_id.eq(session_id),
                    coach_ratings::rater_id.eq(&me),
                    coach_ratings::coach_id.eq(coach_id),
                    coach_ratings::org_id.eq(&principal.org_id),
                    coach_ratings::key_id.eq(&sealed.key_id),
                    coach_ratings::sealed.eq(&sealed.bytes),
                    coach_ratings::published.eq(false),
                ))
                .execute(c))?;
            publish_if_enough(conn, &principal.org_id, coach_id)?;
        }
        Ok(RatingRecorded { coaches: coaches.len() })
    })
}

/// Moves the coach's pending ratings into their aggregate once enough people stand
/// behind them.
fn publish_if_enough(conn: &mut DbConn, org_id: &str, coach_id: &str) -> Result<(), AppError> {
    let query = coach_ratings::table
        .filter(coach_ratings::coach_id.eq(coach_id))
        .filter(coach_ratings::published.eq(false))
        .select((coach_ratings::session_id, coach_ratings::rater_id, coach_ratings::key_id, coach_ratings::sealed));
    // On PostgreSQL the pending rows stay locked until commit, so two ratings arriving at
    // once cannot both publish the same rows; SQLite's writer is alone anyway.
    let pending: Vec<(String, String, String, Vec<u8>)> = match &mut *conn {
        DbConn::Postgres(c) => query.for_update().load(&mut **c)?,
        conn => db_run!(conn, |c| query.load(c))?,
    };
    let raters: BTreeSet<&str> = pending.iter().map(|(_, rater, _, _)| rater.as_str()).collect();
    if !batch_may_join(raters.len()) {
        return Ok(());
    }
    let mut total = 0i32;
    for (session_id, _, key_id, bytes) in &pending {
        let sealed = Sealed { key_id: key_id.clone(), bytes: bytes.clone() };
        total += conn.keys().open_json::<i32>(&rating_row(org_id, session_id, coach_id), &sealed)?;
    }
    db_run!(conn, |c| diesel::update(coach_ratings::table)
        .filter(coach_ratings::coach_id.eq(coach_id))
        .filter(coach_ratings::published.eq(false))
        .set(coach_ratings::published.eq(true))
        .execute(c))?;
    let all_raters: i64 = db_run!(conn, |c| coach_ratings::table
        .filter(coach_ratings::coach_id.eq(coach_id))
        .filter(coach_ratings::published.eq(true))
        .select(diesel::dsl::count(coach_ratings::rater_id).aggregate_distinct())
        .get_result(c))?;
    let count = pending.len() as i32;
    let raters = all_raters as i32;
    let at = now();
    db_run!(conn, |c| diesel::insert_into(coach_feedback::table)
        .values((
            coach_feedback::coach_id.eq(coach_id),
            coach_feedback::org_id.eq(org_id),
            coach_feedback::ratings.eq(count),
            coach_feedback::raters.eq(raters),
            coach_feedback::total.eq(total),
            coach_feedback::updated_at.eq(at),
        ))
        .on_conflict(coach_feedback::coach_id)
        .do_update()
        .set((
            coach_feedback::ratings.eq(coach_feedback::ratings + count),
            coach_feedback::raters.eq(raters),
            coach_feedback::total.eq(coach_feedback::total + total),
            coach_feedback::updated_at.eq(at),
        ))
        .execute(c))?;
    Ok(())
}

/// The caller's aggregate as a coach.
pub fn my_feedback(conn: &mut DbConn, principal: &Principal) -> Result<CoachFeedback, AppError> {
    let me = principal.require_person()?;
    let row: Option<(i32, i32, i32)> = db_run!(conn, |c| coach_feedback::table
        .filter(coach_feedback::org_id.eq(&principal.org_id))
        .filter(coach_feedback::coach_id.eq(me))
        .select((coach_feedback::ratings, coach_feedback::raters, coach_feedback::total))
        .first(c)
        .optional())?;
    let k = MIN_ANONYMOUS_THRESHOLD;
    let rule = format!(
        "Ratings join your aggregate only in batches that at least {k} different coachees stand behind, so \
         that no figure here, nor any change of it, points to one person."
    );
    Ok(match row {
        Some((ratings, raters, total)) if ratings > 0 => CoachFeedback {
            ratings: Cell::Shown(i64::from(ratings)),
            coachees: Cell::Shown(i64::from(raters)),
            mean_usefulness: Cell::Shown(crate::anonymity::round(f64::from(total) / f64::from(ratings))),
            rule,
        },
        _ => {
            let why = format!("fewer than {k} coachees have rated your sessions");
            CoachFeedback {
                ratings: Cell::hidden(why.clone()),
                coachees: Cell::hidden(why.clone()),
                mean_usefulness: Cell::hidden(why),
                rule,
            }
        }
    })
}
