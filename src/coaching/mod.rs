//! Leaders coaching leaders: relationships (a pair, or a circle of 3 to 6 leaders who
//! coach one another) under an agreement every member accepts, the reports coachees
//! choose to share with them, and their sessions with private notes, action items and a
//! rating of how useful each session was.
//!
//! One file per operation: `create` (HR, or a leader proposing to peers), `respond`
//! (accept or decline the agreement), `amend` (change a proposed agreement), `transition` (pause, resume, end), `list`, `share`
//! (consent to show a released report, and its revocation), `goals` (development goals
//! and check-ins), `growth` (figures over cycles with the goals), `resources` (the library, its starter set and recommendations),
//! `sessions` (sessions and
//! action items, sealed), `ratings` (the two-way street), `matching` (the optimisation,
//! pure) and `suggest` (its inputs and words), `mine` (a leader's overview); `view`
//! shapes a relationship for its reader and `handlers` only translate HTTP.

pub mod amend;
pub mod circles;
pub mod create;
pub mod goals;
pub mod growth;
mod handlers;
pub mod list;
pub mod matching;
pub mod mine;
mod picture;
pub mod ratings;
pub mod resources;
pub mod respond;
pub mod sessions;
pub mod share;
mod starter;
pub mod suggest;
pub mod transition;
pub mod view;

/// The coaching routes.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(handlers::create_relationship)
        .service(handlers::create_relationships)
        .service(handlers::suggest_coaching)
        .service(handlers::list_relationships)
        .service(handlers::get_relationship)
        .service(handlers::amend_relationship)
        .service(handlers::accept_agreement)
        .service(handlers::decline_relationship)
        .service(handlers::transition_relationship)
        .service(handlers::share_report)
        .service(handlers::revoke_share)
        .service(handlers::create_session)
        .service(handlers::list_sessions)
        .service(handlers::get_session)
        .service(handlers::update_session)
        .service(handlers::add_action_item)
        .service(handlers::update_action_item)
        .service(handlers::rate_session)
        .service(handlers::my_coach_feedback)
        .service(handlers::my_coaching)
        .service(handlers::create_goal)
        .service(handlers::list_goals)
        .service(handlers::get_goal)
        .service(handlers::update_goal)
        .service(handlers::check_in)
        .service(handlers::list_check_ins)
        .service(handlers::list_resources)
        .service(handlers::create_resource)
        .service(handlers::update_resource)
        .service(handlers::delete_resource)
        .service(handlers::my_recommendations)
        .service(handlers::person_growth)
        .service(handlers::person_growth_svg);
}

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::db::schema::{coaching_members, coaching_relationships};
use crate::db_run;
use crate::error::AppError;

/// Longest agreement text, agenda or note field accepted, in characters.
pub const MAX_TERMS: u64 = 4_000;
/// Longest reason, cadence or action item accepted, in characters.
pub const MAX_SHORT: u64 = 500;
/// The most focus competencies a relationship names.
pub const MAX_FOCUS: u64 = 8;
/// The size of a circle.
pub const CIRCLE_SIZE: std::ops::RangeInclusive<usize> = 3..=6;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipKind {
    /// A coach and a coachee.
    Pair,
    /// 3 to 6 leaders who coach one another.
    Circle,
}

impl RelationshipKind {
    pub const ALL: [Self; 2] = [Self::Pair, Self::Circle];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pair => "pair",
            Self::Circle => "circle",
        }
    }
}

crate::stored_as_text!(RelationshipKind, "relationship kind");

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipStatus {
    /// Waiting for every member to accept the agreement.
    Proposed,
    Active,
    Paused,
    /// A member declined the agreement before it started.
    Declined,
    Ended,
}

impl RelationshipStatus {
    pub const ALL: [Self; 5] = [Self::Proposed, Self::Active, Self::Paused, Self::Declined, Self::Ended];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Declined => "declined",
            Self::Ended => "ended",
        }
    }

    /// Whether the relationship is over: nothing more happens in it.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Declined | Self::Ended)
    }
}

crate::stored_as_text!(RelationshipStatus, "relationship status");

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// In a pair: the one who coaches.
    Coach,
    /// In a pair: the one coached.
    Coachee,
    /// In a circle: coaches and is coached by the others.
    Peer,
}

impl MemberRole {
    pub const ALL: [Self; 3] = [Self::Coach, Self::Coachee, Self::Peer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Coach => "coach",
            Self::Coachee => "coachee",
            Self::Peer => "peer",
        }
    }

    /// Whether a member in this role is coached, and so may share their report.
    pub fn is_coached(self) -> bool {
        matches!(self, Self::Coachee | Self::Peer)
    }

    /// Whether a member in this role coaches the others.
    pub fn coaches(self) -> bool {
        matches!(self, Self::Coach | Self::Peer)
    }
}

crate::stored_as_text!(MemberRole, "member role");

/// The terms every member accepts before a relationship is active.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "cadence": "Every two weeks, 45 minutes",
    "confidentiality": "What we say stays between us; we share only what each of us chooses to share.",
    "expectations": "We come prepared, we listen first, and we each bring one real challenge.",
    "starts_on": "2027-01-11",
    "review_on": "2027-04-12"
}))]
pub struct Agreement {
    #[validate(length(min = 1, max = MAX_SHORT), custom(function = "crate::error::no_nul"))]
    pub cadence: String,
    #[validate(length(min = 1, max = MAX_TERMS), custom(function = "crate::error::no_nul"))]
    pub confidentiality: String,
    #[validate(length(min = 1, max = MAX_TERMS), custom(function = "crate::error::no_nul"))]
    pub expectations: String,
    pub starts_on: NaiveDate,
    /// When the members look back on how it goes; after `starts_on`.
    pub review_on: NaiveDate,
}

impl Agreement {
    /// The starter agreement, from `today`: a session every two weeks, reviewed after
    /// three months.
    pub fn starter(today: NaiveDate) -> Self {
        Self {
            cadence: "Every two weeks, 45 minutes".into(),
            confidentiality: "What is said in a session stays among the members. Each of us shares our report, \
                              or parts of it, only by choice, and may take that back at any time."
                .into(),
            expectations: "We come prepared with one real challenge, listen before advising, ask more than we \
                           tell, and give each other honest feedback: coaching runs both ways."
                .into(),
            starts_on: today,
            review_on: today + chrono::Days::new(91),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = coaching_relationships)]
pub struct Relationship {
    pub id: String,
    pub org_id: String,
    pub kind: RelationshipKind,
    pub status: RelationshipStatus,
    pub created_by: String,
    pub cadence: String,
    pub confidentiality: String,
    pub expectations: String,
    pub starts_on: NaiveDate,
    pub review_on: NaiveDate,
    pub focus_competencies: String,
    pub override_reason: Option<String>,
    pub end_reason: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Relationship {
    pub fn agreement(&self) -> Agreement {
        Agreement {
            cadence: self.cadence.clone(),
            confidentiality: self.confidentiality.clone(),
            expectations: self.expectations.clone(),
            starts_on: self.starts_on,
            review_on: self.review_on,
        }
    }

    pub fn focus(&self) -> Vec<String> {
        serde_json::from_str(&self.focus_competencies).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = coaching_members)]
pub struct Member {
    pub relationship_id: String,
    pub person_id: String,
    pub org_id: String,
    pub role: MemberRole,
    pub accepted_at: Option<NaiveDateTime>,
}

/// A relationship with its members.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub relationship: Relationship,
    pub members: Vec<Member>,
}

impl Loaded {
    /// The caller's membership, if they are a member.
    pub fn member(&self, principal: &Principal) -> Option<&Member> {
        let person_id = principal.person_id()?;
        self.members.iter().find(|m| m.person_id == person_id)
    }
}

/// Whether a relationship is loaded to be read, or to be changed: then, on PostgreSQL,
/// its row stays locked until the transaction ends, so that two members accepting at once
/// cannot both miss being the last. SQLite's writer is alone anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// A relationship of the caller's organisation with its members, or 404.
pub fn load(conn: &mut DbConn, org_id: &str, id: &str, access: Access) -> Result<Loaded, AppError> {
    let query = coaching_relationships::table
        .filter(coaching_relationships::org_id.eq(org_id))
        .filter(coaching_relationships::id.eq(id));
    let relationship: Relationship = match (&mut *conn, access) {
        (DbConn::Postgres(c), Access::Write) => query.select(Relationship::as_select()).for_update().first(&mut **c)?,
        (conn, _) => db_run!(conn, |c| query.select(Relationship::as_select()).first(c))?,
    };
    let members = db_run!(conn, |c| coaching_members::table
        .filter(coaching_members::relationship_id.eq(id))
        .select(Member::as_select())
        .order(coaching_members::person_id.asc())
        .load(c))?;
    Ok(Loaded { relationship, members })
}

/// The relationship if the caller is a member of it or reads every relationship; 404 for
/// anyone else, so a stranger learns nothing, not even that it exists.
pub fn load_visible(conn: &mut DbConn, principal: &Principal, id: &str, access: Access) -> Result<Loaded, AppError> {
    let loaded = load(conn, &principal.org_id, id, access)?;
    if loaded.member(principal).is_some() || principal.can(crate::auth::access::Permission::ReadCoaching) {
        Ok(loaded)
    } else {
        Err(AppError::NotFound)
    }
}

/// The caller's own membership of the relationship, or 404: for what only members do
/// (sessions, sharing, accepting), whatever else the caller may read.
pub fn load_as_member(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    access: Access,
) -> Result<(Loaded, Member), AppError> {
    let loaded = load(conn, &principal.org_id, id, access)?;
    let member = loaded.member(principal).cloned().ok_or(AppError::NotFound)?;
    Ok((loaded, member))
}
