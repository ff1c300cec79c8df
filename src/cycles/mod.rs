//! Feedback cycles: the state machine, anonymity settings, participants and nominations.
//! What raters answer lives in `responses`; what a change of state sets off in other
//! domains, in `lifecycle`.

mod approvals;
mod create;
mod handlers;
mod nominate;
mod nominations;
mod participants;
mod queries;
pub mod settings;
mod transition;
mod update;

pub use handlers::with_etag;
pub use nominate::{decide, nominate};
pub use nominations::{DecisionRequest, NominateRequest, NominationResponse, NominationStatus};
pub use queries::{find_cycle, lock_cycle, replayed_close, standing};
pub use transition::transition;

/// The cycle routes; `lifecycle` registers those that reach into other domains.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(handlers::create_cycle)
        .service(handlers::list_cycles)
        .service(handlers::get_cycle)
        .service(handlers::update_cycle)
        .service(handlers::add_participants)
        .service(handlers::remove_participants)
        .service(handlers::list_participants)
        .service(handlers::list_nominations)
        .service(handlers::my_approvals);
}

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::anonymity::AnonymitySettings;
use crate::db::schema::cycles;
use crate::error::AppError;
use crate::nullable::nullable;
use settings::NominationRules;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum CycleState {
    Draft,
    Nominating,
    Collecting,
    Closed,
    Released,
    Archived,
}

impl CycleState {
    pub const ALL: [CycleState; 6] = [
        CycleState::Draft,
        CycleState::Nominating,
        CycleState::Collecting,
        CycleState::Closed,
        CycleState::Released,
        CycleState::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CycleState::Draft => "draft",
            CycleState::Nominating => "nominating",
            CycleState::Collecting => "collecting",
            CycleState::Closed => "closed",
            CycleState::Released => "released",
            CycleState::Archived => "archived",
        }
    }

    /// The one state each state may move to: cycles only go forward.
    pub fn next(self) -> Option<CycleState> {
        match self {
            CycleState::Draft => Some(CycleState::Nominating),
            CycleState::Nominating => Some(CycleState::Collecting),
            CycleState::Collecting => Some(CycleState::Closed),
            CycleState::Closed => Some(CycleState::Released),
            CycleState::Released => Some(CycleState::Archived),
            CycleState::Archived => None,
        }
    }
}

crate::stored_as_text!(CycleState, "cycle state");

/// How a cycle's raters prove who they are. Frozen once collecting starts.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum RaterSignIn {
    /// An invitation link HR delivers, or a user token a client mints for the rater.
    /// Whoever delivers the links, or holds a client that mints tokens, could answer in a
    /// rater's place; re-issued links are in the audit log.
    #[default]
    Link,
    /// Only a token from the organisation's identity provider: no API client can answer
    /// in a rater's place.
    IdentityProvider,
}

impl RaterSignIn {
    pub const ALL: [RaterSignIn; 2] = [RaterSignIn::Link, RaterSignIn::IdentityProvider];

    pub fn as_str(self) -> &'static str {
        match self {
            RaterSignIn::Link => "link",
            RaterSignIn::IdentityProvider => "identity_provider",
        }
    }
}

crate::stored_as_text!(RaterSignIn, "rater sign-in");

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cycles)]
pub struct Cycle {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub framework_version_id: String,
    pub state: CycleState,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub anonymity: String,
    pub nomination_rules: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub rater_sign_in: RaterSignIn,
    /// JSON array of hours before `ends_at`.
    pub reminder_hours: String,
}

/// When pending invitations are reminded unless a cycle says otherwise: 3 days and 1 day
/// before its end.
pub const DEFAULT_REMINDER_HOURS: [u32; 2] = [72, 24];

impl Cycle {
    /// The hours before `ends_at` at which raters who have not answered are reminded.
    pub fn reminder_hours(&self) -> Vec<u32> {
        serde_json::from_str(&self.reminder_hours).unwrap_or_else(|_| DEFAULT_REMINDER_HOURS.to_vec())
    }

    pub fn anonymity(&self) -> AnonymitySettings {
        serde_json::from_str(&self.anonymity).unwrap_or_default()
    }

    pub fn nomination_rules(&self) -> NominationRules {
        serde_json::from_str(&self.nomination_rules).unwrap_or_default()
    }

    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }

    /// 409 unless the cycle is in one of `states`.
    pub fn require_state(&self, states: &[CycleState], doing: &str) -> Result<(), AppError> {
        let state = self.state;
        if states.contains(&state) {
            return Ok(());
        }
        let allowed: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
        Err(AppError::conflict(
            "invalid_cycle_state",
            format!("Cannot {doing} while the cycle is {state}; it must be {}.", allowed.join(" or ")),
        ))
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5d2-6a0e-7c1b-9f3e-2d4b5a6c7d8e",
    "name": "Leadership 360 — spring 2026",
    "framework_version_id": "0193a5d2-5a0e-7c1b-9f3e-2d4b5a6c7d8e",
    "state": "draft",
    "starts_at": "2026-03-01T00:00:00Z",
    "ends_at": "2026-03-21T00:00:00Z",
    "anonymity": {"peer": 3, "direct_report": 3, "other": 3, "manager": 1, "manager_attributed": true, "comments": 3},
    "nomination_rules": {
        "manager": {"min": 0, "max": 1}, "peer": {"min": 0, "max": 10},
        "direct_report": {"min": 0, "max": 10}, "other": {"min": 0, "max": 5}
    },
    "rater_sign_in": "link",
    "reminder_hours": [72, 24],
    "created_at": "2026-02-20T09:30:00Z",
    "updated_at": "2026-02-20T09:30:00Z"
}))]
pub struct CycleResponse {
    pub id: String,
    pub name: String,
    pub framework_version_id: String,
    pub state: CycleState,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub anonymity: AnonymitySettings,
    pub nomination_rules: NominationRules,
    pub rater_sign_in: RaterSignIn,
    /// Hours before `ends_at` at which each rater who has not answered is reminded
    /// through the `invitation.reminder` webhook.
    pub reminder_hours: Vec<u32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Cycle> for CycleResponse {
    fn from(c: &Cycle) -> Self {
        Self {
            id: c.id.clone(),
            name: c.name.clone(),
            framework_version_id: c.framework_version_id.clone(),
            state: c.state,
            starts_at: c.starts_at.map(|t| t.and_utc()),
            ends_at: c.ends_at.map(|t| t.and_utc()),
            anonymity: c.anonymity(),
            nomination_rules: c.nomination_rules(),
            rater_sign_in: c.rater_sign_in,
            reminder_hours: c.reminder_hours(),
            created_at: c.created_at.and_utc(),
            updated_at: c.updated_at.and_utc(),
        }
    }
}

/// How a writing transaction holds its cycle on PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleLock {
    /// Changes within the cycle (answers, nominations, participants): many may run at
    /// once, but the cycle's state cannot change under them.
    Share,
    /// Changes of the cycle itself (settings, state): waits for every shared holder.
    Update,
}

/// How the caller stands towards one subject of a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// HR (an admin or a client with `cycles:write`).
    Hr,
    /// The subject's manager in the directory.
    Manager,
    /// The subject themself.
    Subject,
    None,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Leadership 360 — spring 2026", "starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-03-21T00:00:00Z"}))]
pub struct CreateCycleRequest {
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// The framework version to use. Or give `framework_id` for its newest version;
    /// with neither, the organisation's first framework is used.
    pub framework_version_id: Option<String>,
    pub framework_id: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Default: 3 for peers, direct reports and others, the manager attributed, comments 3.
    pub anonymity: Option<AnonymitySettings>,
    pub nomination_rules: Option<NominationRules>,
    /// Default `link`.
    pub rater_sign_in: Option<RaterSignIn>,
    /// Hours before `ends_at` at which each rater who has not answered is reminded
    /// (the `invitation.reminder` webhook): at most 10, each 1 to 2160. Default
    /// `[72, 24]`; `[]` sends no reminder.
    #[validate(length(max = 10))]
    pub reminder_hours: Option<Vec<u32>>,
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ends_at": "2026-03-28T00:00:00Z", "anonymity": {"peer": 4}}))]
pub struct UpdateCycleRequest {
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub starts_at: Option<Option<DateTime<Utc>>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub ends_at: Option<Option<DateTime<Utc>>>,
    /// Only in `draft`.
    pub framework_version_id: Option<String>,
    /// Replaces the settings (absent fields take their defaults). Frozen once collecting starts.
    pub anonymity: Option<AnonymitySettings>,
    /// Replaces the limits. Only before collecting starts.
    pub nomination_rules: Option<NominationRules>,
    /// Frozen once collecting starts.
    pub rater_sign_in: Option<RaterSignIn>,
    /// Replaces the reminder times; may change in any state before closing.
    #[validate(length(max = 10))]
    pub reminder_hours: Option<Vec<u32>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "collecting"}))]
pub struct TransitionRequest {
    /// The next state: cycles go `draft → nominating → collecting → closed → released → archived`.
    pub to: CycleState,
}
