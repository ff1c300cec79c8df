//! The audit log: every administrative change and every read of a growth report, with
//! who did it and when. `events::record` writes it in the same transaction as the change.

mod list;

/// The audit log route.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(list::list_audit_events);
}

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::audit_events;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: String,
    pub org_id: String,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub details: String,
    pub created_at: NaiveDateTime,
}

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5d2-6a0e-7c1b-9f3e-2d4b5a6c7d8e",
    "actor": "client:rt_ci_3f9c2a4b5d6e7f8091a2b3c4d5e6f708",
    "action": "person.created",
    "target_type": "person",
    "target_id": "0193a5d2-7b1f-7d2c-8a4f-3e5c6b7d8e9f",
    "details": {"email": "ada@example.com"},
    "created_at": "2026-11-25T09:30:00Z"
}))]
pub struct AuditEventResponse {
    pub id: String,
    /// `client:<client_id>` or `person:<person id>`.
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<AuditEvent> for AuditEventResponse {
    fn from(e: AuditEvent) -> Self {
        Self {
            details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
            id: e.id,
            actor: e.actor,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            created_at: e.created_at.and_utc(),
        }
    }
}
