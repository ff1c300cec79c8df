//! Registering and keeping endpoints: each change and its audit entry in one transaction.
//! The URL was checked (and its host resolved) by [`super::target::check`] before any of
//! this runs.

use chrono::{Duration, Utc};
use diesel::prelude::*;

use super::target::Target;
use super::{
    CreateEndpointRequest, Endpoint, EndpointResponse, EndpointWithSecret, PreviousSecret, Secrets,
    UpdateEndpointRequest, check_may_hear, event_filter, signing,
};
use crate::auth::principal::Principal;
use crate::db::schema::{webhook_deliveries, webhook_endpoints};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::AppError;
use crate::events::outbox::PENDING;
use crate::events::{self, Event};
use crate::pagination::{Page, Window};

/// The grace period of a rotation when none is given: a day.
const DEFAULT_GRACE_SECONDS: u32 = 86_400;

/// An endpoint of the organisation that is not deleted, or 404.
pub fn find(conn: &mut DbConn, org_id: &str, id: &str) -> Result<Endpoint, AppError> {
    db_run!(conn, |c| webhook_endpoints::table
        .filter(webhook_endpoints::id.eq(id))
        .filter(webhook_endpoints::org_id.eq(org_id))
        .filter(webhook_endpoints::deleted_at.is_null())
        .select(Endpoint::as_select())
        .first(c)
        .optional())?
    .ok_or(AppError::NotFound)
}

fn response(conn: &DbConn, endpoint: &Endpoint) -> Result<EndpointResponse, AppError> {
    Ok(EndpointResponse::new(endpoint, &Secrets::open(conn, endpoint)?))
}

pub fn create(
    conn: &mut DbConn,
    principal: &Principal,
    target: Target,
    request: CreateEndpointRequest,
) -> Result<EndpointWithSecret, AppError> {
    check_may_hear(principal, &request.events)?;
    let at = now();
    let id = new_id();
    let secrets = Secrets { current: signing::new_secret(), previous: None };
    let sealed = secrets.seal(conn, &id)?;
    let endpoint = Endpoint {
        id,
        org_id: principal.org_id.clone(),
        url: target.0.to_string(),
        description: request.description.trim().to_string(),
        event_types: event_filter(&request.events),
        enabled: true,
        disabled_reason: None,
        key_id: sealed.key_id,
        sealed: sealed.bytes,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    };
    conn.transaction(|conn| {
        db_run!(conn, |c| diesel::insert_into(webhook_endpoints::table).values(&endpoint).execute(c))?;
        let created = Event::WebhookEndpointCreated {
            endpoint_id: endpoint.id.clone(),
            url: endpoint.url.clone(),
            event_types: endpoint.events(),
        };
        events::record(conn, principal, created)?;
        Ok::<_, AppError>(())
    })?;
    Ok(EndpointWithSecret { endpoint: EndpointResponse::new(&endpoint, &secrets), secret: secrets.current })
}

pub fn list(conn: &mut DbConn, principal: &Principal, window: &Window) -> Result<Page<EndpointResponse>, AppError> {
    let rows: Vec<Endpoint> = db_run!(conn, |c| {
        let mut q = webhook_endpoints::table
            .filter(webhook_endpoints::org_id.eq(&principal.org_id))
            .filter(webhook_endpoints::deleted_at.is_null())
            .select(Endpoint::as_select())
            .order(webhook_endpoints::id.asc())
            .limit(window.fetch())
            .into_boxed();
        if let Some(after) = &window.after {
            q = q.filter(webhook_endpoints::id.gt(after));
        }
        q.load(c)
    })?;
    let shown: Result<Vec<(String, EndpointResponse)>, AppError> =
        rows.iter().map(|e| Ok((e.id.clone(), response(conn, e)?))).collect();
    Ok(window.page(shown?, |(id, _)| id, |(_, e)| e))
}

pub fn get(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<EndpointResponse, AppError> {
    let endpoint = find(conn, &principal.org_id, id)?;
    response(conn, &endpoint)
}

pub fn update(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    target: Option<Target>,
    request: UpdateEndpointRequest,
) -> Result<EndpointResponse, AppError> {
    conn.transaction(|conn| {
        let mut endpoint = find(conn, &principal.org_id, id)?;
        let mut changed = Vec::new();
        if let Some(target) = target.map(|t| t.0.to_string()).filter(|u| *u != endpoint.url) {
            endpoint.url = target;
            changed.push("url");
        }
        if let Some(description) =
            request.description.map(|d| d.trim().to_string()).filter(|d| *d != endpoint.description)
        {
            endpoint.description = description;
            changed.push("description");
        }
        if let Some(events) = &request.events {
            check_may_hear(principal, events)?;
        }
        if let Some(filter) = request.events.map(|e| event_filter(&e)).filter(|f| *f != endpoint.event_types) {
            endpoint.event_types = filter;
            changed.push("events");
        }
        if let Some(enabled) = request.enabled.filter(|e| *e != endpoint.enabled) {
            endpoint.enabled = enabled;
            if enabled {
                endpoint.disabled_reason = None;
            }
            changed.push("enabled");
        }
        if changed.is_empty() {
            return response(conn, &endpoint);
        }
        endpoint.updated_at = now();
        db_run!(conn, |c| diesel::update(webhook_endpoints::table.find(&endpoint.id))
            .set((
                webhook_endpoints::url.eq(&endpoint.url),
                webhook_endpoints::description.eq(&endpoint.description),
                webhook_endpoints::event_types.eq(&endpoint.event_types),
                webhook_endpoints::enabled.eq(endpoint.enabled),
                webhook_endpoints::disabled_reason.eq(&endpoint.disabled_reason),
                webhook_endpoints::updated_at.eq(endpoint.updated_at),
            ))
            .execute(c))?;
        events::record(conn, principal, Event::WebhookEndpointUpdated { endpoint_id: endpoint.id.clone(), changed })?;
        response(conn, &endpoint)
    })
}

/// Deletes an endpoint: it receives nothing more, its pending deliveries are given up,
/// and its log is kept.
pub fn delete(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<(), AppError> {
    conn.transaction(|conn| {
        let endpoint = find(conn, &principal.org_id, id)?;
        let at = now();
        db_run!(conn, |c| diesel::update(webhook_endpoints::table.find(&endpoint.id))
            .set((webhook_endpoints::deleted_at.eq(Some(at)), webhook_endpoints::updated_at.eq(at)))
            .execute(c))?;
        db_run!(conn, |c| diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::endpoint_id.eq(&endpoint.id))
                .filter(webhook_deliveries::status.eq(PENDING))
        )
        .set((
            webhook_deliveries::status.eq(super::DeliveryStatus::Failed.as_str()),
            webhook_deliveries::last_error.eq(Some("the endpoint was deleted")),
        ))
        .execute(c))?;
        Ok(events::record(conn, principal, Event::WebhookEndpointDeleted { endpoint_id: endpoint.id })?)
    })
}

/// Gives an endpoint a new secret; the old one keeps signing beside it for the grace
/// period, so that receivers can switch without losing a message.
pub fn rotate(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    grace_seconds: Option<u32>,
) -> Result<EndpointWithSecret, AppError> {
    let grace_seconds = grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS);
    conn.transaction(|conn| {
        let mut endpoint = find(conn, &principal.org_id, id)?;
        let old = Secrets::open(conn, &endpoint)?;
        let secrets = Secrets {
            current: signing::new_secret(),
            previous: (grace_seconds > 0).then(|| PreviousSecret {
                secret: old.current,
                expires_at: Utc::now() + Duration::seconds(i64::from(grace_seconds)),
            }),
        };
        let sealed = secrets.seal(conn, &endpoint.id)?;
        endpoint.updated_at = now();
        db_run!(conn, |c| diesel::update(webhook_endpoints::table.find(&endpoint.id))
            .set((
                webhook_endpoints::key_id.eq(&sealed.key_id),
                webhook_endpoints::sealed.eq(&sealed.bytes),
                webhook_endpoints::updated_at.eq(endpoint.updated_at),
            ))
            .execute(c))?;
        let rotated = Event::WebhookSecretRotated { endpoint_id: endpoint.id.clone(), grace_seconds };
        events::record(conn, principal, rotated)?;
        Ok(EndpointWithSecret { endpoint: EndpointResponse::new(&endpoint, &secrets), secret: secrets.current })
    })
}
