//! The webhook outbox: for each message an event announces, one row of
//! `webhook_messages` and one pending delivery per enabled endpoint of the organisation
//! that subscribes to its type, written in the caller's transaction. An organisation
//! without endpoints costs one indexed read.
//!
//! The rows are written here, through the schema, so that recording an event needs
//! nothing of the webhooks module (which sends what is written here).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::{Event, WebhookEvent};
use crate::db::schema::{webhook_deliveries, webhook_endpoints, webhook_messages};
use crate::db::{DbConn, new_id};
use crate::db_run;

/// Deliveries waiting for their first or next attempt.
pub const PENDING: &str = "pending";

/// A message's `webhook-id`: stable across every attempt and redelivery.
pub fn message_id() -> String {
    format!("msg_{}", uuid::Uuid::now_v7().simple())
}

/// The body receivers get: the type, when the event happened, and its data.
pub fn message_body(kind: &str, at: NaiveDateTime, data: serde_json::Value) -> String {
    json!({ "type": kind, "timestamp": at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "data": data })
        .to_string()
}

/// Whether an endpoint's stored filter (space separated types; empty for all) takes `kind`.
pub fn subscribes(filter: &str, kind: WebhookEvent) -> bool {
    filter.is_empty() || filter.split(' ').any(|t| t == kind.as_str())
}

pub(super) fn enqueue(
    conn: &mut DbConn,
    org_id: &str,
    events: &[Event],
    at: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    let notices: Vec<_> = events.iter().flat_map(Event::notices).collect();
    if notices.is_empty() {
        return Ok(());
    }
    let endpoints: Vec<(String, String)> = db_run!(conn, |c| webhook_endpoints::table
        .filter(webhook_endpoints::org_id.eq(org_id))
        .filter(webhook_endpoints::enabled.eq(true))
        .filter(webhook_endpoints::deleted_at.is_null())
        .select((webhook_endpoints::id, webhook_endpoints::event_types))
        .load(c))?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let mut messages = Vec::new();
    let mut deliveries = Vec::new();
    for (kind, data) in notices {
        let targets: Vec<&String> = endpoints.iter().filter(|(_, f)| subscribes(f, kind)).map(|(id, _)| id).collect();
        if targets.is_empty() {
            continue;
        }
        let id = message_id();
        for endpoint_id in targets {
            deliveries.push(pending_delivery(new_id(), org_id, endpoint_id, &id, at));
        }
        messages.push((
            webhook_messages::id.eq(id),
            webhook_messages::org_id.eq(org_id.to_string()),
            webhook_messages::event_type.eq(kind.as_str()),
            webhook_messages::body.eq(message_body(kind.as_str(), at, data)),
            webhook_messages::created_at.eq(at),
        ));
    }
    for chunk in messages.chunks(500) {
        db_run!(conn, |c| diesel::insert_into(webhook_messages::table).values(chunk).execute(c))?;
    }
    insert_deliveries(conn, &deliveries)
}

/// The columns of a new delivery, due at once.
pub type NewDelivery = (
    diesel::dsl::Eq<webhook_deliveries::id, String>,
    diesel::dsl::Eq<webhook_deliveries::org_id, String>,
    diesel::dsl::Eq<webhook_deliveries::endpoint_id, String>,
    diesel::dsl::Eq<webhook_deliveries::message_id, String>,
    diesel::dsl::Eq<webhook_deliveries::status, &'static str>,
    diesel::dsl::Eq<webhook_deliveries::attempts, i32>,
    diesel::dsl::Eq<webhook_deliveries::next_attempt_at, NaiveDateTime>,
    diesel::dsl::Eq<webhook_deliveries::created_at, NaiveDateTime>,
);

pub fn pending_delivery(
    id: String,
    org_id: &str,
    endpoint_id: &str,
    message_id: &str,
    at: NaiveDateTime,
) -> NewDelivery {
    (
        webhook_deliveries::id.eq(id),
        webhook_deliveries::org_id.eq(org_id.to_string()),
        webhook_deliveries::endpoint_id.eq(endpoint_id.to_string()),
        webhook_deliveries::message_id.eq(message_id.to_string()),
        webhook_deliveries::status.eq(PENDING),
        webhook_deliveries::attempts.eq(0),
        webhook_deliveries::next_attempt_at.eq(at),
        webhook_deliveries::created_at.eq(at),
    )
}

pub fn insert_deliveries(conn: &mut DbConn, rows: &[NewDelivery]) -> Result<(), diesel::result::Error> {
    for chunk in rows.chunks(500) {
        db_run!(conn, |c| diesel::insert_into(webhook_deliveries::table).values(chunk).execute(c))?;
    }
    Ok(())
}
