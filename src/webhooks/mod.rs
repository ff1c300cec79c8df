//! Webhooks: endpoints an organisation registers, signed deliveries of what its events
//! announce, and the log of every attempt.
//!
//! Events write their messages and deliveries into the outbox in the transaction of the
//! change (`events::outbox`); the [`worker`] of every instance claims what is due, sends
//! it signed the Standard Webhooks way ([`signing`]), retries with back-off, and never
//! connects to a private address unless allowed ([`target`]).
//!
//! One file per operation: `endpoints` (register, change, rotate, delete), `deliveries`
//! (the log, redeliver, ping), `worker`, and `handlers`, which only translate HTTP.

mod deliveries;
mod endpoints;
mod handlers;
pub mod schedule;
pub mod signing;
pub mod target;
pub mod worker;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::db::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints};
use crate::error::AppError;
use crate::events::WebhookEvent;
use crate::sealing::Sealed;

pub use worker::{Worker, outbox_metrics};

/// The webhook routes.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(handlers::create_endpoint)
        .service(handlers::list_endpoints)
        .service(handlers::get_endpoint)
        .service(handlers::update_endpoint)
        .service(handlers::delete_endpoint)
        .service(handlers::rotate_secret)
        .service(handlers::ping_endpoint)
        .service(handlers::list_deliveries)
        .service(handlers::get_delivery)
        .service(handlers::redeliver);
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct Endpoint {
    pub id: String,
    pub org_id: String,
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub key_id: String,
    pub sealed: Vec<u8>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// An endpoint's signing secrets, sealed together under the answer key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secrets {
    pub current: String,
    /// The secret a rotation replaced, which keeps signing until `expires_at`.
    pub previous: Option<PreviousSecret>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PreviousSecret {
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

impl Secrets {
    fn row(endpoint_id: &str) -> String {
        format!("webhook_endpoints/{endpoint_id}")
    }

    pub fn seal(&self, conn: &DbConn, endpoint_id: &str) -> Result<Sealed, AppError> {
        conn.keys().seal_json(&Self::row(endpoint_id), self)
    }

    pub fn open(conn: &DbConn, endpoint: &Endpoint) -> Result<Self, AppError> {
        let sealed = Sealed { key_id: endpoint.key_id.clone(), bytes: endpoint.sealed.clone() };
        conn.keys().open_json(&Self::row(&endpoint.id), &sealed)
    }

    /// The secrets that sign a message sent at `at`.
    pub fn signing(&self, at: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.current.as_str()];
        if let Some(previous) = self.previous.as_ref().filter(|p| p.expires_at > at) {
            secrets.push(&previous.secret);
        }
        secrets
    }
}

impl Endpoint {
    pub fn events(&self) -> Vec<WebhookEvent> {
        self.event_types.split(' ').filter_map(WebhookEvent::parse).collect()
    }
}

/// What a caller must be allowed to read over the API to hear of an event type: an
/// endpoint, and its delivery log, tell nothing its registrar could not read.
fn permission_for(kind: WebhookEvent) -> Permission {
    match kind {
        WebhookEvent::CycleStateChanged => Permission::ReadCycles,
        WebhookEvent::InvitationCreated
        | WebhookEvent::InvitationReminder
        | WebhookEvent::ResponseSubmitted
        | WebhookEvent::ReportReleased => Permission::ReadCycleDetails,
        WebhookEvent::CoachingRelationshipCreated | WebhookEvent::CoachingAgreementAccepted => Permission::ReadCoaching,
        WebhookEvent::PersonDeactivated => Permission::ReadPeople,
    }
}

/// 403 unless the caller may read what each event type of a filter carries (an empty
/// filter is every type).
fn check_may_hear(principal: &Principal, events: &[WebhookEvent]) -> Result<(), AppError> {
    let wanted = if events.is_empty() { WebhookEvent::ALL.as_slice() } else { events };
    let refused: Vec<&str> =
        wanted.iter().filter(|e| !principal.can(permission_for(**e))).map(|e| e.as_str()).collect();
    if refused.is_empty() {
        return Ok(());
    }
    Err(AppError::Forbidden(format!(
        "This caller may not read what these events carry: {}. Name the events it may hear in `events`.",
        refused.join(", ")
    )))
}

/// The stored form of an event filter: space separated, sorted; empty for every event.
fn event_filter(events: &[WebhookEvent]) -> String {
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(" ")
}

/// An endpoint as the API shows it: never with its secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5d2-6a0e-7c1b-9f3e-2d4b5a6c7d8e",
    "url": "https://hr.example.com/roundtable/webhooks",
    "description": "Invitations and reminders for the HR mailer",
    "events": ["invitation.created", "invitation.reminder"],
    "enabled": true,
    "disabled_reason": null,
    "previous_secret_expires_at": null,
    "created_at": "2026-12-03T09:30:00Z",
    "updated_at": "2026-12-03T09:30:00Z"
}))]
pub struct EndpointResponse {
    pub id: String,
    pub url: String,
    pub description: String,
    /// The event types sent here; empty: every event.
    pub events: Vec<WebhookEvent>,
    /// A disabled endpoint receives nothing; its pending deliveries wait until it is
    /// enabled again.
    pub enabled: bool,
    /// Why the service disabled it (the receiver answered 410 Gone).
    pub disabled_reason: Option<String>,
    /// Until when the secret a rotation replaced still signs, beside the new one.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EndpointResponse {
    fn new(endpoint: &Endpoint, secrets: &Secrets) -> Self {
        Self {
            id: endpoint.id.clone(),
            url: endpoint.url.clone(),
            description: endpoint.description.clone(),
            events: endpoint.events(),
            enabled: endpoint.enabled,
            disabled_reason: endpoint.disabled_reason.clone(),
            previous_secret_expires_at: secrets.previous.as_ref().map(|p| p.expires_at).filter(|at| *at > Utc::now()),
            created_at: endpoint.created_at.and_utc(),
            updated_at: endpoint.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://hr.example.com/roundtable/webhooks",
    "description": "Invitations and reminders for the HR mailer",
    "events": ["invitation.created", "invitation.reminder"]
}))]
pub struct CreateEndpointRequest {
    /// Where to POST messages: http or https, a public address.
    #[validate(length(min = 1, max = 2000))]
    pub url: String,
    #[validate(length(max = 500))]
    #[serde(default)]
    pub description: String,
    /// The event types to send; absent or empty: every event.
    #[validate(length(max = 20))]
    #[serde(default)]
    pub events: Vec<WebhookEvent>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"events": ["cycle.state_changed"], "enabled": true}))]
pub struct UpdateEndpointRequest {
    #[validate(length(min = 1, max = 2000))]
    pub url: Option<String>,
    #[validate(length(max = 500))]
    pub description: Option<String>,
    #[validate(length(max = 20))]
    pub events: Option<Vec<WebhookEvent>>,
    /// Enabling an endpoint clears why it was disabled; its pending deliveries resume.
    pub enabled: Option<bool>,
}

/// A new endpoint with its signing secret: the only answer that contains it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: EndpointResponse,
    /// Configure your receiver with it now: it is not shown again.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grace_seconds": 86400}))]
pub struct RotateSecretRequest {
    /// How long the old secret keeps signing beside the new one, in seconds: 0 to
    /// 604800 (a week); 86400 when absent.
    #[validate(range(max = 604_800))]
    pub grace_seconds: Option<u32>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The receiver answered 2xx.
    Succeeded,
    /// Given up: every attempt failed, the receiver answered 410, or the endpoint was deleted.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    fn parse(stored: &str) -> Self {
        match stored {
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: String,
    pub org_id: String,
    pub endpoint_id: String,
    pub message_id: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// One message to one endpoint, as the delivery log shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    pub id: String,
    pub endpoint_id: String,
    /// The `webhook-id` header: the same on every attempt and redelivery.
    #[schema(example = "msg_0193a5d26a0e7c1b9f3e2d4b5a6c7d8e")]
    pub message_id: String,
    #[schema(example = "invitation.created")]
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When a pending delivery is next attempted.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last answer, if there was one.
    pub last_status_code: Option<i32>,
    /// What went wrong on the last attempt, if it failed.
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl DeliveryResponse {
    fn new(d: Delivery, event_type: String) -> Self {
        let status = DeliveryStatus::parse(&d.status);
        Self {
            id: d.id,
            endpoint_id: d.endpoint_id,
            message_id: d.message_id,
            event_type,
            status,
            attempts: d.attempts,
            next_attempt_at: (status == DeliveryStatus::Pending).then(|| d.next_attempt_at.and_utc()),
            last_attempt_at: d.last_attempt_at.map(|t| t.and_utc()),
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            delivered_at: d.delivered_at.map(|t| t.and_utc()),
            created_at: d.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
pub struct Attempt {
    pub attempted_at: NaiveDateTime,
    pub outcome: String,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

/// One attempt to send a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptResponse {
    pub attempted_at: DateTime<Utc>,
    /// `succeeded`, `http_error` (an answer other than 2xx), `gone` (410: the endpoint
    /// was disabled), `network_error` (no answer in time, or no connection) or `refused`
    /// (the host resolved to no public address).
    #[schema(example = "http_error")]
    pub outcome: String,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

impl From<Attempt> for AttemptResponse {
    fn from(a: Attempt) -> Self {
        Self {
            attempted_at: a.attempted_at.and_utc(),
            outcome: a.outcome,
            status_code: a.status_code,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

/// A delivery with its message and every attempt, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: DeliveryResponse,
    /// The body sent, as sent.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub attempt_log: Vec<AttemptResponse>,
}
