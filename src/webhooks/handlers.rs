//! The HTTP face of webhooks: each handler checks the permission, checks an endpoint URL
//! (resolving its host) before anything is written, and hands typed input to an operation.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    CreateEndpointRequest, DeliveryDetail, DeliveryResponse, DeliveryStatus, EndpointResponse, EndpointWithSecret,
    RotateSecretRequest, UpdateEndpointRequest, deliveries, endpoints, target,
};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::error::{AppError, Errors, validate};
use crate::pagination::{Page, PageQuery, Window};
use crate::state::AppState;

/// Registers an endpoint. Its host must resolve to public addresses only, unless the
/// service allows private targets; the signing secret is in this answer only.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateEndpointRequest,
    responses(
        (status = 201, description = "Registered; the secret is in this answer only", body = EndpointWithSecret),
        Errors,
    ),
)]
#[post("/webhooks/endpoints")]
pub async fn create_endpoint(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<CreateEndpointRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageWebhooks)?;
    let request = body.into_inner();
    validate(&request)?;
    let target = target::check(&request.url, state.webhooks_allow_private).await?;
    let created = state.db.run(move |conn| endpoints::create(conn, &principal, target, request)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/webhooks/endpoints/{}", created.endpoint.id)))
        .json(created))
}

/// Lists the organisation's endpoints.
#[utoipa::path(
    tag = "webhooks",
    params(PageQuery),
    responses((status = 200, description = "A page of endpoints", body = Page<EndpointResponse>), Errors),
)]
#[get("/webhooks/endpoints")]
pub async fn list_endpoints(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<EndpointResponse>>, AppError> {
    principal.require(Permission::ManageWebhooks)?;
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    Ok(web::Json(state.db.run(move |conn| endpoints::list(conn, &principal, &window)).await?))
}

/// One endpoint.
#[utoipa::path(
    tag = "webhooks",
    params(("endpoint_id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint", body = EndpointResponse), Errors),
)]
#[get("/webhooks/endpoints/{endpoint_id}")]
pub async fn get_endpoint(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<EndpointResponse>, AppError> {
    principal.require(Permission::ManageWebhooks)?;
    let id = path.into_inner();
    Ok(web::Json(state.db.run(move |conn| endpoints::get(conn, &principal, &id)).await?))
}

/// Changes an endpoint's URL (checked like a new one), description, event filter, or
/// whether it is enabled.
#[utoipa::path(
    tag = "webhooks",
    params(("endpoint_id" = String, Path, description = "The endpoint's id")),
    request_body = UpdateEndpointRequest,
    responses((status = 200, description = "The endpoint as changed", body = EndpointResponse), Errors),
)]
#[patch("/webhooks/endpoints/{endpoint_id}")]
pub async fn update_endpoint(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<UpdateEndpointRequest>,
) -> Result<web::Json<EndpointResponse>, AppError> {
    principal.require(Permission::ManageWebhooks)?;
    let request = body.into_inner();
    validate(&request)?;
    let target = match &request.url {
        Some(url) => Some(target::check(url, state.webhooks_allow_private).await?),
        None => None,
    };
    let id = path.into_inner();
    Ok(web::Json(state.db.run(move |conn| endpoints::update(conn, &principal, &id, target, request)).await?))
}

/// Deletes an endpoint: nothing more is sent to it and its pending deliveries are given
/// up.
#[utoipa::path(
    tag = "webhooks",
    params(("endpoint_id" = String, Path, description = "The endpoint's id")),
    responses((status = 204, description = "Deleted"), Errors),
)]
#[delete("/webhooks/endpoints/{endpoint_id}")]
pub async fn delete_endpoint(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageWebhooks)?;
    let id = path.into_inner();
    state.db.run(move |conn| endpoints::delete(conn, &principal, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Gives the endpoint a new secret, shown in this answer only. The old one keeps
/// signing beside it (two `v1,` entries in `webhook-signature`) for the grace period.
#[utoipa::path(
    tag = "webhooks",
    params(("endpoint_id" = String, Path, description = "The endpoint's id")),
    request_body = RotateSecretRequest,
    responses((status = 200, description = "The new secret", body = EndpointWithSecret), Errors),
)]
#[post("/webhooks/endpoints/{endpoint_id}/rotate-secret")]
pub async fn rotate_secret(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<RotateSecretRequest>,
) -> Result<web::Json<EndpointWithSecret>, AppError> {
    principal.require(Permission::ManageWebhooks)?;
    let request = body.into_inner();
    validate(&request)?;
    let id = path.into_inner();
    Ok(web::Json(state.db.run(move |conn| endpoints::rotate(conn, &principal, &id, request.grace_seconds)).await?))
}

/// Sends the endpoint a `webhook.ping` message, whatever its filter. The answer is the
/// queued delivery; read it back to see how the receiver answered.
#[utoipa::path(
    tag = "webhooks",
    params(("endpoint_id" = String, Path, description = "The endpoint's id")),
    responses((status = 202, description = "Queued", body = DeliveryResponse), Errors),
)]
#[post("/webhooks/endpoints/{endpoint_id}/ping")]
pub async fn ping_endpoint(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageWebhooks)?;
    let id = path.into_inner();
    let delivery = state.db.run(move |conn| deliveries::ping(conn, &principal, &id)).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The endpoint's delivery log, newest first.
#[utoipa::path(
    tag = "webhooks",
    params(("endpoint_id" = String, Path, description = "The endpoint's id"), DeliveriesQuery),
    responses((status = 200, description = "A page of deliveries", body = Page<DeliveryResponse>), Errors),
)]
#[get("/webhooks/endpoints/{endpoint_id}/deliveries")]
pub async fn list_deliveries(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DeliveriesQuery>,
) -> Result<web::Json<Page<DeliveryResponse>>, AppError> {
    principal.require(Permission::ManageWebhooks)?;
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let (id, status) = (path.into_inner(), query.status);
    Ok(web::Json(state.db.run(move |conn| deliveries::list(conn, &principal, &id, status, &window)).await?))
}

/// One delivery with the body sent and every attempt.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("endpoint_id" = String, Path, description = "The endpoint's id"),
        ("delivery_id" = String, Path, description = "The delivery's id"),
    ),
    responses((status = 200, description = "The delivery", body = DeliveryDetail), Errors),
)]
#[get("/webhooks/endpoints/{endpoint_id}/deliveries/{delivery_id}")]
pub async fn get_delivery(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<web::Json<DeliveryDetail>, AppError> {
    principal.require(Permission::ManageWebhooks)?;
    let (endpoint_id, delivery_id) = path.into_inner();
    Ok(web::Json(state.db.run(move |conn| deliveries::get(conn, &principal, &endpoint_id, &delivery_id)).await?))
}

/// Sends a succeeded or failed delivery again, with the same `webhook-id`.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("endpoint_id" = String, Path, description = "The endpoint's id"),
        ("delivery_id" = String, Path, description = "The delivery's id"),
    ),
    responses((status = 202, description = "Queued again", body = DeliveryResponse), Errors),
)]
#[post("/webhooks/endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ManageWebhooks)?;
    let (endpoint_id, delivery_id) = path.into_inner();
    let delivery =
        state.db.run(move |conn| deliveries::redeliver(conn, &principal, &endpoint_id, &delivery_id)).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}
