//! Coaching sessions and their action items. What was said (agenda, notes, the wording
//! of an action item) is sealed with the answer key and shown to the relationship's
//! members alone: HR, admins and everyone else get 404, and a database reader sees
//! ciphertext. Dates, owners and whether an item is done stay readable, for reminders.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{Access, Loaded, MAX_SHORT, MAX_TERMS, RelationshipStatus, load_as_member};
use crate::auth::principal::Principal;
use crate::db::schema::{action_items, coaching_sessions};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError, validate};
use crate::http::check_if_match;
use crate::nullable::nullable;
use crate::sealing::Sealed;

/// Longest notes accepted, in characters.
pub const MAX_NOTES: u64 = 20_000;
/// The most action items one request adds.
pub const MAX_ITEMS: u64 = 20;

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItemInput {
    /// A member of the relationship.
    pub owner_id: String,
    #[validate(length(min = 1, max = MAX_SHORT), custom(function = "crate::error::no_nul"))]
    pub description: String,
    pub due_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "held_at": "2027-01-12T15:00:00Z",
    "agenda": "Decision making under time pressure: the Q1 reorg.",
    "notes": "Try writing the decision and its reversal cost before the meeting.",
    "action_items": [{"owner_id": "0193a5d2-7b1f-7d2c-8a4f-3e5c6b7d8e02", "description": "Draft the reorg decision memo", "due_on": "2027-01-19"}]
}))]
pub struct CreateSessionRequest {
    pub held_at: DateTime<Utc>,
    #[validate(length(max = MAX_TERMS), custom(function = "crate::error::no_nul"))]
    #[serde(default)]
    pub agenda: String,
    #[validate(length(max = MAX_NOTES), custom(function = "crate::error::no_nul"))]
    #[serde(default)]
    pub notes: String,
    #[validate(length(max = MAX_ITEMS), nested)]
    #[serde(default)]
    pub action_items: Vec<ActionItemInput>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"notes": "Follow-up: the memo worked; next, the hiring plan."}))]
pub struct UpdateSessionRequest {
    pub held_at: Option<DateTime<Utc>>,
    #[validate(length(max = MAX_TERMS), custom(function = "crate::error::no_nul"))]
    pub agenda: Option<String>,
    #[validate(length(max = MAX_NOTES), custom(function = "crate::error::no_nul"))]
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"done": true}))]
pub struct UpdateActionItemRequest {
    pub done: Option<bool>,
    #[validate(length(min = 1, max = MAX_SHORT), custom(function = "crate::error::no_nul"))]
    pub description: Option<String>,
    /// `null` clears the due date.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub due_on: Option<Option<NaiveDate>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionItemResponse {
    pub id: String,
    pub session_id: String,
    pub owner_id: String,
    pub description: String,
    pub due_on: Option<NaiveDate>,
    pub done_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: String,
    pub relationship_id: String,
    pub held_at: DateTime<Utc>,
    /// The member who recorded it.
    pub created_by: String,
    pub agenda: String,
    pub notes: String,
    pub action_items: Vec<ActionItemResponse>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SessionResponse {
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}

/// What of a session is sealed.
#[derive(Serialize, Deserialize)]
struct Private {
    agenda: String,
    notes: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = coaching_sessions)]
struct SessionRow {
    id: String,
    org_id: String,
    relationship_id: String,
    held_at: NaiveDateTime,
    created_by: String,
    key_id: String,
    sealed: Vec<u8>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = action_items)]
struct ItemRow {
    id: String,
    org_id: String,
    session_id: String,
    owner_id: String,
    due_on: Option<NaiveDate>,
    done_at: Option<NaiveDateTime>,
    key_id: String,
    sealed: Vec<u8>,
    created_at: NaiveDateTime,
}

/// The associated data of a session's sealed text: it opens in this row only.
fn session_row(org_id: &str, id: &str) -> String {
    format!("coaching_session:{org_id}:{id}")
}

fn item_row(org_id: &str, id: &str) -> String {
    format!("action_item:{org_id}:{id}")
}

fn open_item(conn: &DbConn, row: ItemRow) -> Result<ActionItemResponse, AppError> {
    let sealed = Sealed { key_id: row.key_id, bytes: row.sealed };
    let description: String = conn.keys().open_json(&item_row(&row.org_id, &row.id), &sealed)?;
    Ok(ActionItemResponse {
        id: row.id,
        session_id: row.session_id,
        owner_id: row.owner_id,
        description,
        due_on: row.due_on,
        done_at: row.done_at.map(|t| t.and_utc()),
        created_at: row.created_at.and_utc(),
    })
}

fn open_session(conn: &DbConn, row: SessionRow, items: Vec<ItemRow>) -> Result<SessionResponse, AppError> {
    let sealed = Sealed { key_id: row.key_id, bytes: row.sealed };
    let private: Private = conn.keys().open_json(&session_row(&row.org_id, &row.id), &sealed)?;
    Ok(SessionResponse {
        action_items: items.into_iter().map(|i| open_item(conn, i)).collect::<Result<_, _>>()?,
        id: row.id,
        relationship_id: row.relationship_id,
        held_at: row.held_at.and_utc(),
        created_by: row.created_by,
        agenda: private.agenda,
        notes: private.notes,
        version: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

/// A relationship that is over keeps its sessions as they are.
fn check_open(loaded: &Loaded) -> Result<(), AppError> {
    if loaded.relationship.status.is_closed() {
        return Err(AppError::conflict(
            "relationship_closed",
            "The relationship is over; its sessions stay as they are.",
        ));
    }
    Ok(())
}

/// A session's version moves with its action items, so its ETag says they changed.
fn bump(conn: &mut DbConn, session: &SessionResponse) -> Result<(), AppError> {
    db_run!(conn, |c| diesel::update(coaching_sessions::table)
        .filter(coaching_sessions::id.eq(&session.id))
        .set((coaching_sessions::version.eq(session.version + 1), coaching_sessions::updated_at.eq(now())))
        .execute(c))?;
    Ok(())
}

/// The owner must be a member of the relationship.
fn check_owner(loaded: &Loaded, owner_id: &str, field: String) -> Result<(), AppError> {
    if loaded.members.iter().any(|m| m.person_id == owner_id) {
        return Ok(());
    }
    Err(AppError::Validation(vec![FieldError::new(field, "not_member", "is not a member of the relationship")]))
}

fn insert_item(conn: &mut DbConn, org_id: &str, session_id: &str, item: &ActionItemInput) -> Result<(), AppError> {
    let id = new_id();
    let sealed = conn.keys().seal_json(&item_row(org_id, &id), &item.description)?;
    db_run!(conn, |c| diesel::insert_into(action_items::table)
        .values((
            action_items::id.eq(&id),
            action_items::org_id.eq(org_id),
            action_items::session_id.eq(session_id),
            action_items::owner_id.eq(&item.owner_id),
            action_items::due_on.eq(item.due_on),
            action_items::key_id.eq(&sealed.key_id),
            action_items::sealed.eq(&sealed.bytes),
            action_items::created_at.eq(now()),
        ))
        .execute(c))?;
    Ok(())
}

/// Records a session of an active relationship, as one of its members.
pub fn create_session(
    conn: &mut DbConn,
    principal: &Principal,
    relationship_id: &str,
    input: CreateSessionRequest,
) -> Result<SessionResponse, AppError> {
    validate(&input)?;
    conn.transaction(|conn| {
        let (loaded, me) = load_as_member(conn, principal, relationship_id, Access::Write)?;
        if loaded.relationship.status != RelationshipStatus::Active {
            return Err(AppError::conflict(
                "relationship_not_active",
                format!(
                    "The relationship is {}; sessions are recorded while it is active.",
                    loaded.relationship.status.as_str()
                ),
            ));
        }
        for (i, item) in input.action_items.iter().enumerate() {
            check_owner(&loaded, &item.owner_id, format!("action_items[{i}].owner_id"))?;
        }
        let org_id = principal.org_id.as_str();
        let id = new_id();
        let at = now();
        let private = Private { agenda: input.agenda, notes: input.notes };
        let sealed = conn.keys().seal_json(&session_row(org_id, &id), &private)?;
        db_run!(conn, |c| diesel::insert_into(coaching_sessions::table)
            .values((
                coaching_sessions::id.eq(&id),
                coaching_sessions::org_id.eq(org_id),
                coaching_sessions::relationship_id.eq(relationship_id),
                coaching_sessions::held_at.eq(input.held_at.naive_utc()),
                coaching_sessions::created_by.eq(&me.person_id),
                coaching_sessions::key_id.eq(&sealed.key_id),
                coaching_sessions::sealed.eq(&sealed.bytes),
                coaching_sessions::version.eq(1),
                coaching_sessions::created_at.eq(at),
                coaching_sessions::updated_at.eq(at),
            ))
            .execute(c))?;
        for item in &input.action_items {
            insert_item(conn, org_id, &id, item)?;
        }
        find_session(conn, principal, &id).map(|(session, _)| session)
    })
}

/// A session and its relationship, if the caller is a member; 404 otherwise.
pub fn find_session(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<(SessionResponse, Loaded), AppError> {
    let row: SessionRow = db_run!(conn, |c| coaching_sessions::table
        .filter(coaching_sessions::org_id.eq(&principal.org_id))
        .filter(coaching_sessions::id.eq(id))
        .select(SessionRow::as_select())
        .first(c))?;
    let (loaded, _) = load_as_member(conn, principal, &row.relationship_id, Access::Read)?;
    let items: Vec<ItemRow> = db_run!(conn, |c| action_items::table
        .filter(action_items::session_id.eq(id))
        .order(action_items::id.asc())
        .select(ItemRow::as_select())
        .load(c))?;
    Ok((open_session(conn, row, items)?, loaded))
}

/// One session, for the relationship's members only.
pub fn get_session(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<SessionResponse, AppError> {
    find_session(conn, principal, id).map(|(session, _)| session)
}

/// The relationship's sessions, most recent first, for its members only.
pub fn list_sessions(
    conn: &mut DbConn,
    principal: &Principal,
    relationship_id: &str,
) -> Result<Vec<SessionResponse>, AppError> {
    load_as_member(conn, principal, relationship_id, Access::Read)?;
    let rows: Vec<SessionRow> = db_run!(conn, |c| coaching_sessions::table
        .filter(coaching_sessions::relationship_id.eq(relationship_id))
        .order((coaching_sessions::held_at.desc(), coaching_sessions::id.desc()))
        .select(SessionRow::as_select())
        .load(c))?;
    let ids: Vec<&String> = rows.iter().map(|r| &r.id).collect();
    let items: Vec<ItemRow> = db_run!(conn, |c| action_items::table
        .filter(action_items::session_id.eq_any(&ids))
        .order(action_items::id.asc())
        .select(ItemRow::as_select())
        .load(c))?;
    let mut by_session: std::collections::HashMap<String, Vec<ItemRow>> = std::collections::HashMap::new();
    for item in items {
        by_session.entry(item.session_id.clone()).or_default().push(item);
    }
    rows.into_iter()
        .map(|row| {
            let items = by_session.remove(&row.id).unwrap_or_default();
            open_session(conn, row, items)
        })
        .collect()
}

/// Changes a session's date, agenda or notes, as a member, while the relationship lasts.
pub fn update_session(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    if_match: Option<&str>,
    input: UpdateSessionRequest,
) -> Result<SessionResponse, AppError> {
    validate(&input)?;
    conn.transaction(|conn| {
        let (session, loaded) = find_session(conn, principal, id)?;
        check_open(&loaded)?;
        check_if_match(if_match, &session.etag(), "session")?;
        let private =
            Private { agenda: input.agenda.unwrap_or(session.agenda), notes: input.notes.unwrap_or(session.notes) };
        let sealed = conn.keys().seal_json(&session_row(&principal.org_id, id), &private)?;
        let held_at = input.held_at.map(|t| t.naive_utc()).unwrap_or(session.held_at.naive_utc());
        // Only over the version read, so that of two edits racing one gets 412.
        let updated = db_run!(conn, |c| diesel::update(coaching_sessions::table)
            .filter(coaching_sessions::id.eq(id))
            .filter(coaching_sessions::version.eq(session.version))
            .set((
                coaching_sessions::held_at.eq(held_at),
                coaching_sessions::key_id.eq(&sealed.key_id),
                coaching_sessions::sealed.eq(&sealed.bytes),
                coaching_sessions::version.eq(session.version + 1),
                coaching_sessions::updated_at.eq(now()),
            ))
            .execute(c))?;
        if updated == 0 {
            return Err(AppError::PreconditionFailed(
                "The session changed while this edit was made; read it again.".into(),
            ));
        }
        get_session(conn, principal, id)
    })
}

/// Adds an action item to a session, as a member.
pub fn add_action_item(
    conn: &mut DbConn,
    principal: &Principal,
    session_id: &str,
    input: ActionItemInput,
) -> Result<SessionResponse, AppError> {
    validate(&input)?;
    conn.transaction(|conn| {
        let (session, loaded) = find_session(conn, principal, session_id)?;
        check_open(&loaded)?;
        check_owner(&loaded, &input.owner_id, "owner_id".into())?;
        insert_item(conn, &principal.org_id, session_id, &input)?;
        bump(conn, &session)?;
        get_session(conn, principal, session_id)
    })
}

/// Marks an action item done (or not), or changes its wording or due date, as a member.
pub fn update_action_item(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    input: UpdateActionItemRequest,
) -> Result<ActionItemResponse, AppError> {
    validate(&input)?;
    conn.transaction(|conn| {
        let row: ItemRow = db_run!(conn, |c| action_items::table
            .filter(action_items::org_id.eq(&principal.org_id))
            .filter(action_items::id.eq(id))
            .select(ItemRow::as_select())
            .first(c))?;
        let (session, loaded) = find_session(conn, principal, &row.session_id)?;
        check_open(&loaded)?;
        bump(conn, &session)?;
        let mut item = open_item(conn, row)?;
        if let Some(done) = input.done {
            item.done_at = match (done, item.done_at) {
                (true, None) => Some(now().and_utc()),
                (true, kept) => kept,
                (false, _) => None,
            };
        }
        if let Some(due_on) = input.due_on {
            item.due_on = due_on;
        }
        let description = input.description.unwrap_or(item.description);
        let sealed = conn.keys().seal_json(&item_row(&principal.org_id, id), &description)?;
        db_run!(conn, |c| diesel::update(action_items::table)
            .filter(action_items::id.eq(id))
            .set((
                action_items::done_at.eq(item.done_at.map(|t| t.naive_utc())),
                action_items::due_on.eq(item.due_on),
                action_items::key_id.eq(&sealed.key_id),
                action_items::sealed.eq(&sealed.bytes),
            ))
            .execute(c))?;
        Ok(ActionItemResponse { description, ..item })
    })
}

/// A session still to come, as the members' overview lists it: when, not what.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpcomingSession {
    pub id: String,
    pub relationship_id: String,
    pub held_at: DateTime<Utc>,
}

/// The sessions still to come in these relationships, soonest first.
pub fn upcoming(conn: &mut DbConn, relationship_ids: &[String]) -> Result<Vec<UpcomingSession>, AppError> {
    let rows: Vec<(String, String, NaiveDateTime)> = db_run!(conn, |c| coaching_sessions::table
        .filter(coaching_sessions::relationship_id.eq_any(relationship_ids))
        .filter(coaching_sessions::held_at.gt(now()))
        .order((coaching_sessions::held_at.asc(), coaching_sessions::id.asc()))
        .select((coaching_sessions::id, coaching_sessions::relationship_id, coaching_sessions::held_at))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(id, relationship_id, held_at)| UpcomingSession { id, relationship_id, held_at: held_at.and_utc() })
        .collect())
}

/// The open action items `owner_id` owns in these relationships, soonest due first.
pub fn open_items(
    conn: &mut DbConn,
    relationship_ids: &[String],
    owner_id: &str,
) -> Result<Vec<ActionItemResponse>, AppError> {
    let sessions = coaching_sessions::table
        .filter(coaching_sessions::relationship_id.eq_any(relationship_ids))
        .select(coaching_sessions::id);
    let mut rows: Vec<ItemRow> = db_run!(conn, |c| action_items::table
        .filter(action_items::session_id.eq_any(sessions))
        .filter(action_items::owner_id.eq(owner_id))
        .filter(action_items::done_at.is_null())
        .order(action_items::id.asc())
        .select(ItemRow::as_select())
        .load(c))?;
    rows.sort_by_key(|r| (r.due_on.is_none(), r.due_on));
    rows.into_iter().map(|row| open_item(conn, row)).collect()
}
