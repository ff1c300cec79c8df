//! The delivery log of an endpoint, redelivery, and the test ping.

use diesel::prelude::*;
use serde_json::json;

use super::endpoints::find;
use super::{Attempt, AttemptResponse, Delivery, DeliveryDetail, DeliveryResponse, DeliveryStatus, check_may_hear};
use crate::auth::principal::Principal;
use crate::db::schema::{webhook_attempts, webhook_deliveries, webhook_messages};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::AppError;
use crate::events::outbox::{PENDING, insert_deliveries, message_body, message_id, pending_delivery};
use crate::events::{self, Event, WebhookEvent};
use crate::pagination::{Page, Window};

/// The type of the message a ping sends; no endpoint subscribes to it.
pub const PING: &str = "webhook.ping";

/// One page of an endpoint's deliveries, newest first, optionally of one status.
pub fn list(
    conn: &mut DbConn,
    principal: &Principal,
    endpoint_id: &str,
    status: Option<DeliveryStatus>,
    window: &Window,
) -> Result<Page<DeliveryResponse>, AppError> {
    let endpoint = find(conn, &principal.org_id, endpoint_id)?;
    let rows: Vec<(Delivery, String)> = db_run!(conn, |c| {
        let mut q = webhook_deliveries::table
            .inner_join(webhook_messages::table)
            .filter(webhook_deliveries::endpoint_id.eq(&endpoint.id))
            .select((Delivery::as_select(), webhook_messages::event_type))
            .order(webhook_deliveries::id.desc())
            .limit(window.fetch())
            .into_boxed();
        if let Some(before) = &window.after {
            q = q.filter(webhook_deliveries::id.lt(before));
        }
        if let Some(status) = status {
            q = q.filter(webhook_deliveries::status.eq(status.as_str()));
        }
        q.load(c)
    })?;
    Ok(window.page(rows, |(d, _)| &d.id, |(d, kind)| DeliveryResponse::new(d, kind)))
}

fn find_delivery(
    conn: &mut DbConn,
    principal: &Principal,
    endpoint_id: &str,
    delivery_id: &str,
) -> Result<(Delivery, String, String), AppError> {
    let endpoint = find(conn, &principal.org_id, endpoint_id)?;
    db_run!(conn, |c| webhook_deliveries::table
        .inner_join(webhook_messages::table)
        .filter(webhook_deliveries::id.eq(delivery_id))
        .filter(webhook_deliveries::endpoint_id.eq(&endpoint.id))
        .select((Delivery::as_select(), webhook_messages::event_type, webhook_messages::body))
        .first(c)
        .optional())?
    .ok_or(AppError::NotFound)
}

/// A delivery with the body sent and every attempt.
pub fn get(
    conn: &mut DbConn,
    principal: &Principal,
    endpoint_id: &str,
    delivery_id: &str,
) -> Result<DeliveryDetail, AppError> {
    let (delivery, kind, body) = find_delivery(conn, principal, endpoint_id, delivery_id)?;
    if let Some(event) = WebhookEvent::parse(&kind) {
        check_may_hear(principal, &[event])?;
    }
    let attempts: Vec<Attempt> = db_run!(conn, |c| webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq(&delivery.id))
        .order((webhook_attempts::attempted_at.asc(), webhook_attempts::id.asc()))
        .select(Attempt::as_select())
        .load(c))?;
    Ok(DeliveryDetail {
        delivery: DeliveryResponse::new(delivery, kind),
        payload: serde_json::from_str(&body).map_err(AppError::internal)?,
        attempt_log: attempts.into_iter().map(AttemptResponse::from).collect(),
    })
}

/// Sends a delivery again, with the same `webhook-id` and the whole retry schedule
/// ahead, whatever became of it (the log keeps the earlier attempts); a delivery still
/// pending answers 409.
pub fn redeliver(
    conn: &mut DbConn,
    principal: &Principal,
    endpoint_id: &str,
    delivery_id: &str,
) -> Result<DeliveryResponse, AppError> {
    conn.transaction(|conn| {
        let (mut delivery, kind, _) = find_delivery(conn, principal, endpoint_id, delivery_id)?;
        if delivery.status == PENDING {
            return Err(AppError::conflict(
                "delivery_pending",
                "This delivery is still pending: it is attempted again on its own.",
            ));
        }
        delivery.status = PENDING.into();
        delivery.next_attempt_at = now();
        delivery.attempts = 0;
        db_run!(conn, |c| diesel::update(webhook_deliveries::table.find(&delivery.id))
            .set((
                webhook_deliveries::status.eq(PENDING),
                webhook_deliveries::next_attempt_at.eq(delivery.next_attempt_at),
                webhook_deliveries::attempts.eq(0),
            ))
            .execute(c))?;
        let requested = Event::WebhookRedeliveryRequested {
            endpoint_id: delivery.endpoint_id.clone(),
            delivery_id: delivery.id.clone(),
        };
        events::record(conn, principal, requested)?;
        Ok(DeliveryResponse::new(delivery, kind))
    })
}

/// Queues a `webhook.ping` message for one endpoint, whatever its filter; the delivery
/// it answers shows how the receiver took it.
pub fn ping(conn: &mut DbConn, principal: &Principal, endpoint_id: &str) -> Result<DeliveryResponse, AppError> {
    conn.transaction(|conn| {
        let endpoint = find(conn, &principal.org_id, endpoint_id)?;
        let at = now();
        let id = message_id();
        let message = (
            webhook_messages::id.eq(&id),
            webhook_messages::org_id.eq(&endpoint.org_id),
            webhook_messages::event_type.eq(PING),
            webhook_messages::body.eq(message_body(PING, at, json!({ "endpoint_id": endpoint.id }))),
            webhook_messages::created_at.eq(at),
        );
        db_run!(conn, |c| diesel::insert_into(webhook_messages::table).values(&message).execute(c))?;
        let delivery_id = new_id();
        insert_deliveries(conn, &[pending_delivery(delivery_id.clone(), &endpoint.org_id, &endpoint.id, &id, at)])?;
        let delivery: Delivery =
            db_run!(conn, |c| webhook_deliveries::table.find(&delivery_id).select(Delivery::as_select()).first(c))?;
        Ok(DeliveryResponse::new(delivery, PING.into()))
    })
}
