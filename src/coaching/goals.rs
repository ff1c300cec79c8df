//! Development goals tied to a competency, with check-ins of progress. A goal is private
//! to its leader and to the other members of the relationships they share it with; HR,
//! admins and everyone else get 404. Its words (title, target, a check-in's note) are
//! sealed with the answer key; its competency, dates, status and progress are not, so
//! growth over cycles can lay goals over the figures.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::create::check_competencies;
use super::{Access, MAX_TERMS, load};
use crate::auth::principal::Principal;
use crate::db::schema::{coaching_members, coaching_relationships, goal_check_ins, goal_shares, goals};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError, validate};
use crate::http::check_if_match;
use crate::nullable::nullable;
use crate::sealing::Sealed;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    Open,
    Achieved,
    Dropped,
}

impl GoalStatus {
    pub const ALL: [Self; 3] = [Self::Open, Self::Achieved, Self::Dropped];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Achieved => "achieved",
            Self::Dropped => "dropped",
        }
    }
}

crate::stored_as_text!(GoalStatus, "goal status");

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "competency_key": "decision_making",
    "title": "Decide faster on reversible calls",
    "target": "Two-way-door decisions made in the meeting they come up in, by the end of Q1.",
    "due_on": "2027-03-31",
    "shared_with": ["0193a5d2-7b1f-7d2c-8a4f-3e5c6b7d8e9f"]
}))]
pub struct CreateGoalRequest {
    #[validate(length(min = 1, max = 64))]
    pub competency_key: String,
    #[validate(length(min = 1, max = 200), custom(function = "crate::error::no_nul"))]
    pub title: String,
    /// What "done" looks like.
    #[validate(length(max = MAX_TERMS), custom(function = "crate::error::no_nul"))]
    #[serde(default)]
    pub target: String,
    pub due_on: Option<NaiveDate>,
    /// Relationships (the caller's) whose other members may read the goal.
    #[validate(length(max = 10))]
    #[serde(default)]
    pub shared_with: Vec<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "achieved"}))]
pub struct UpdateGoalRequest {
    #[validate(length(min = 1, max = 200), custom(function = "crate::error::no_nul"))]
    pub title: Option<String>,
    #[validate(length(max = MAX_TERMS), custom(function = "crate::error::no_nul"))]
    pub target: Option<String>,
    pub status: Option<GoalStatus>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub due_on: Option<Option<NaiveDate>>,
    /// Replaces the relationships the goal is shared with.
    #[validate(length(max = 10))]
    pub shared_with: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"progress": 40, "note": "Two of five decisions made in the room this month."}))]
pub struct CheckInRequest {
    /// 0 to 100.
    #[validate(range(min = 0, max = 100))]
    pub progress: i32,
    #[validate(length(max = MAX_TERMS), custom(function = "crate::error::no_nul"))]
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalResponse {
    pub id: String,
    pub person_id: String,
    pub competency_key: String,
    pub title: String,
    pub target: String,
    pub status: GoalStatus,
    pub due_on: Option<NaiveDate>,
    pub shared_with: Vec<String>,
    /// The latest check-in's progress; absent before the first.
    pub progress: Option<i32>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl GoalResponse {
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInResponse {
    pub id: String,
    pub goal_id: String,
    pub progress: i32,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct Words {
    title: String,
    target: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = goals)]
struct GoalRow {
    id: String,
    org_id: String,
    person_id: String,
    competency_key: String,
    status: GoalStatus,
    due_on: Option<NaiveDate>,
    key_id: String,
    sealed: Vec<u8>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn goal_row_name(org_id: &str, id: &str) -> String {
    format!("goal:{org_id}:{id}")
}

fn check_in_row_name(org_id: &str, id: &str) -> String {
    format!("goal_check_in:{org_id}:{id}")
}

/// Every relationship named is the owner's and not over.
fn check_shares(conn: &mut DbConn, principal: &Principal, owner: &str, ids: &[String]) -> Result<(), AppError> {
    for (i, id) in ids.iter().enumerate() {
        let fits = load(conn, &principal.org_id, id, Access::Read)
            .ok()
            .is_some_and(|l| !l.relationship.status.is_closed() && l.members.iter().any(|m| m.person_id == owner));
        if !fits {
            return Err(AppError::Validation(vec![FieldError::new(
                format!("shared_with[{i}]"),
                "unknown",
                "is not one of your relationships that is still going",
            )]));
        }
    }
    Ok(())
}

/// The goals `rows` as `principal` may see them: all for their owner; for anyone else,
/// those shared with a relationship, not over, that they are a fellow member of.
fn visible(conn: &mut DbConn, principal: &Principal, rows: Vec<GoalRow>) -> Result<Vec<GoalResponse>, AppError> {
    let Some(me) = principal.person_id() else { return Ok(Vec::new()) };
    let ids: Vec<&String> = rows.iter().map(|r| &r.id).collect();
    let shares: Vec<(String, String)> = db_run!(conn, |c| goal_shares::table
        .filter(goal_shares::goal_id.eq_any(&ids))
        .select((goal_shares::goal_id, goal_shares::relationship_id))
        .load(c))?;
    let mine: Vec<String> = db_run!(conn, |c| coaching_members::table
        .inner_join(coaching_relationships::table)
        .filter(coaching_members::person_id.eq(me))
        .filter(
            coaching_relationships::status
                .ne_all([super::RelationshipStatus::Declined, super::RelationshipStatus::Ended,])
        )
        .select(coaching_members::relationship_id)
        .load(c))?;
    let progress: Vec<(String, i32)> = db_run!(conn, |c| goal_check_ins::table
        .filter(goal_check_ins::goal_id.eq_any(&ids))
        .order(goal_check_ins::id.asc())
        .select((goal_check_ins::goal_id, goal_check_ins::progress))
        .load(c))?;
    let mut seen = Vec::new();
    for row in rows {
        let shared_with: Vec<String> = shares.iter().filter(|(g, _)| *g == row.id).map(|(_, r)| r.clone()).collect();
        if row.person_id != me && !shared_with.iter().any(|r| mine.contains(r)) {
            continue;
        }
        let sealed = Sealed { key_id: row.key_id, bytes: row.sealed };
        let words: Words = conn.keys().open_json(&goal_row_name(&row.org_id, &row.id), &sealed)?;
        seen.push(GoalResponse {
            progress: progress.iter().rev().find(|(g, _)| *g == row.id).map(|(_, p)| *p),
            id: row.id,
            person_id: row.person_id,
            competency_key: row.competency_key,
            title: words.title,
            target: words.target,
            status: row.status,
            due_on: row.due_on,
            shared_with,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        });
    }
    Ok(seen)
}

fn write_shares(conn: &mut DbConn, org_id: &str, goal_id: &str, ids: &[String]) -> Result<(), AppError> {
    db_run!(conn, |c| diesel::delete(goal_shares::table.filter(goal_shares::goal_id.eq(goal_id))).execute(c))?;
    let rows: Vec<_> = ids
        .iter()
        .map(|r| (goal_shares::goal_id.eq(goal_id), goal_shares::relationship_id.eq(r), goal_shares::org_id.eq(org_id)))
        .collect();
    db_run!(conn, |c| diesel::insert_into(goal_shares::table).values(&rows).execute(c))?;
    Ok(())
}

/// One goal, if the caller may see it; 404 otherwise.
pub fn get_goal(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<GoalResponse, AppError> {
    let row: GoalRow = db_run!(conn, |c| goals::table
        .filter(goals::org_id.eq(&principal.org_id))
        .filter(goals::id.eq(id))
        .select(GoalRow::as_select())
        .first(c))?;
    visible(conn, principal, vec![row])?.pop().ok_or(AppError::NotFound)
}

/// The caller's own goal, or 404.
fn own_goal(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<GoalResponse, AppError> {
    let goal = get_goal(conn, principal, id)?;
    if goal.person_id != principal.require_person()? {
        return Err(AppError::NotFound);
    }
    Ok(goal)
}

/// A leader sets themselves a goal.
pub fn create_goal(
    conn: &mut DbConn,
    principal: &Principal,
    person_id: &str,
    mut input: CreateGoalRequest,
) -> Result<GoalResponse, AppError> {
    if principal.require_person()? != person_id {
        return Err(AppError::Forbidden("A leader sets their own goals.".into()));
    }
    validate(&input)?;
    input.shared_with.sort();
    input.shared_with.dedup();
    conn.transaction(|conn| {
        check_competencies(conn, &principal.org_id, std::slice::from_ref(&input.competency_key), |_| {
            "competency_key".into()
        })?;
        check_shares(conn, principal, person_id, &input.shared_with)?;
        let (id, at) = (new_id(), now());
        let words = Words { title: input.title, target: input.target };
        let sealed = conn.keys().seal_json(&goal_row_name(&principal.org_id, &id), &words)?;
        db_run!(conn, |c| diesel::insert_into(goals::table)
            .values((
                goals::id.eq(&id),
                goals::org_id.eq(&principal.org_id),
                goals::person_id.eq(person_id),
                goals::competency_key.eq(&input.competency_key),
                goals::status.eq(GoalStatus::Open),
                goals::due_on.eq(input.due_on),
                goals::key_id.eq(&sealed.key_id),
                goals::sealed.eq(&sealed.bytes),
                goals::version.eq(1),
                goals::created_at.eq(at),
                goals::updated_at.eq(at),
            ))
            .execute(c))?;
        write_shares(conn, &principal.org_id, &id, &input.shared_with)?;
        get_goal(conn, principal, &id)
    })
}

/// The person's goals the caller may see, oldest first: all of them for the person,
/// the shared ones for their coaches, none for anyone else.
pub fn list_goals(conn: &mut DbConn, principal: &Principal, person_id: &str) -> Result<Vec<GoalResponse>, AppError> {
    let rows: Vec<GoalRow> = db_run!(conn, |c| goals::table
        .filter(goals::org_id.eq(&principal.org_id))
        .filter(goals::person_id.eq(person_id))
        .order(goals::id.asc())
        .select(GoalRow::as_select())
        .load(c))?;
    visible(conn, principal, rows)
}

/// The owner changes their goal.
pub fn update_goal(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    if_match: Option<&str>,
    input: UpdateGoalRequest,
) -> Result<GoalResponse, AppError> {
    validate(&input)?;
    conn.transaction(|conn| {
        let goal = own_goal(conn, principal, id)?;
        check_if_match(if_match, &goal.etag(), "goal")?;
        if let Some(ids) = &input.shared_with {
            let mut ids = ids.clone();
            ids.sort();
            ids.dedup();
            check_shares(conn, principal, &goal.person_id, &ids)?;
            write_shares(conn, &principal.org_id, id, &ids)?;
        }
        let words = Words { title: input.title.unwrap_or(goal.title), target: input.target.unwrap_or(goal.target) };
        let sealed = conn.keys().seal_json(&goal_row_name(&principal.org_id, id), &words)?;
        let updated = db_run!(conn, |c| diesel::update(goals::table)
            .filter(goals::id.eq(id))
            .filter(goals::version.eq(goal.version))
            .set((
                goals::status.eq(input.status.unwrap_or(goal.status)),
                goals::due_on.eq(input.due_on.unwrap_or(goal.due_on)),
                goals::key_id.eq(&sealed.key_id),
                goals::sealed.eq(&sealed.bytes),
                goals::version.eq(goal.version + 1),
                goals::updated_at.eq(now()),
            ))
            .execute(c))?;
        if updated == 0 {
            return Err(AppError::PreconditionFailed(
                "The goal changed while this edit was made; read it again.".into(),
            ));
        }
        get_goal(conn, principal, id)
    })
}

/// The owner records progress on an open goal.
pub fn check_in(
    conn: &mut DbConn,
    principal: &Principal,
    goal_id: &str,
    input: CheckInRequest,
) -> Result<CheckInResponse, AppError> {
    validate(&input)?;
    conn.transaction(|conn| {
        let goal = own_goal(conn, principal, goal_id)?;
        if goal.status != GoalStatus::Open {
            return Err(AppError::conflict("goal_not_open", format!("The goal is {}.", goal.status.as_str())));
        }
        let (id, at) = (new_id(), now());
        let sealed = conn.keys().seal_json(&check_in_row_name(&principal.org_id, &id), &input.note)?;
        db_run!(conn, |c| diesel::insert_into(goal_check_ins::table)
            .values((
                goal_check_ins::id.eq(&id),
                goal_check_ins::org_id.eq(&principal.org_id),
                goal_check_ins::goal_id.eq(goal_id),
                goal_check_ins::progress.eq(input.progress),
                goal_check_ins::key_id.eq(&sealed.key_id),
                goal_check_ins::sealed.eq(&sealed.bytes),
                goal_check_ins::created_at.eq(at),
            ))
            .execute(c))?;
        Ok(CheckInResponse {
            id,
            goal_id: goal_id.into(),
            progress: input.progress,
            note: input.note,
            created_at: at.and_utc(),
        })
    })
}

/// A goal's check-ins, oldest first, for whoever may see the goal.
pub fn list_check_ins(
    conn: &mut DbConn,
    principal: &Principal,
    goal_id: &str,
) -> Result<Vec<CheckInResponse>, AppError> {
    get_goal(conn, principal, goal_id)?;
    let rows: Vec<(String, String, i32, String, Vec<u8>, NaiveDateTime)> = db_run!(conn, |c| goal_check_ins::table
        .filter(goal_check_ins::goal_id.eq(goal_id))
        .order(goal_check_ins::id.asc())
        .select((
            goal_check_ins::id,
            goal_check_ins::org_id,
            goal_check_ins::progress,
            goal_check_ins::key_id,
            goal_check_ins::sealed,
            goal_check_ins::created_at,
        ))
        .load(c))?;
    rows.into_iter()
        .map(|(id, org_id, progress, key_id, bytes, created_at)| {
            let note: String = conn.keys().open_json(&check_in_row_name(&org_id, &id), &Sealed { key_id, bytes })?;
            Ok(CheckInResponse { id, goal_id: goal_id.into(), progress, note, created_at: created_at.and_utc() })
        })
        .collect()
}
