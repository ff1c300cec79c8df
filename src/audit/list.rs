//! Reading the audit log: the query, and the handler that pages through it.

use actix_web::{get, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{AuditEvent, AuditEventResponse};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::db::DbConn;
use crate::db::schema::audit_events;
use crate::db_run;
use crate::error::AppError;
use crate::pagination::{Page, Window};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only events with this action, e.g. `person.updated`.
    pub action: Option<String>,
}

/// Pages through the organisation's audit log, oldest first.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit events", body = Page<AuditEventResponse>),
        crate::error::Errors,
    ),
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<Page<AuditEventResponse>>, AppError> {
    principal.require(Permission::ReadAudit)?;
    let query = query.into_inner();
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let page = state.db.run(move |conn| audit_page(conn, &principal.org_id, &window, query.action.as_deref())).await?;
    Ok(web::Json(page))
}

/// One page of the organisation's audit log, oldest first, of one action if `action` is given.
pub fn audit_page(
    conn: &mut DbConn,
    org_id: &str,
    window: &Window,
    action: Option<&str>,
) -> Result<Page<AuditEventResponse>, AppError> {
    let rows: Vec<AuditEvent> = db_run!(conn, |c| {
        let mut q = audit_events::table
            .filter(audit_events::org_id.eq(org_id))
            .select(AuditEvent::as_select())
            .order(audit_events::id.asc())
            .limit(window.fetch())
            .into_boxed();
        if let Some(after) = &window.after {
            q = q.filter(audit_events::id.gt(after));
        }
        if let Some(action) = action {
            q = q.filter(audit_events::action.eq(action));
        }
        q.load(c)
    })?;
    Ok(window.page(rows, |e| &e.id, AuditEventResponse::from))
}
