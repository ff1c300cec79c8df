//! `Idempotency-Key` on the creating POST routes under `/api/v1`: the same key with the
//! same body answers what the first request answered, without doing the work again; the
//! same key with another body answers 422; a key whose first request is still running
//! answers 409.
//!
//! A route takes part by naming the middleware on its own route attribute:
//! `#[post("/cycles", wrap = "crate::idempotency::Idempotent")]`. It runs after routing,
//! so however the path is spelled (`/api/v1/%63ycles`) it applies to exactly the routes
//! that opted in, and the request hash uses the path as routed, not as sent.
//!
//! Keys are kept per organisation and caller for 24 hours, and only for requests that
//! succeeded: a refused request stores nothing, so the caller can correct it and retry
//! with the same key. A key whose request died mid-way is free again after a minute.
//!
//! Two kinds of POST route must not opt in. Answering (`/invitations/…`): a stored
//! request would tie a rater to their answers, and a second submission answers 409
//! anyway. Routes whose answer holds a secret shown once (client secrets, user tokens,
//! invitation links, webhook secrets): a stored answer would keep the secret in clear.

use std::collections::BTreeMap;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;

use crate::sealing::AnswerKeys;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{self, HeaderName};
use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, HttpResponse, ResponseError, web};
use chrono::Duration;
use diesel::prelude::*;

use crate::auth::principal::Principal;
use crate::db::schema::idempotency_keys;
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::AppError;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";
const KEPT_FOR_HOURS: i64 = 24;
/// How long an unfinished claim holds its key before another request may take it over.
const LEASE_SECONDS: i64 = 60;

/// Response headers worth replaying along with the body.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

#[derive(Queryable)]
struct StoredKey {
    request_hash: String,
    status_code: Option<i32>,
    response_body: Option<String>,
    response_headers: Option<String>,
    created_at: chrono::NaiveDateTime,
}

enum Claim {
    /// This request holds the key now and does the work.
    Fresh,
    Replay {
        status: u16,
        body: String,
        headers: BTreeMap<String, String>,
    },
}

/// A keyed digest of the request (`AnswerKeys::digest`): without the server's answer key,
/// a stored digest cannot be checked against guessed bodies.
fn request_hash(keys: &AnswerKeys, req: &ServiceRequest, body: &[u8]) -> Result<String, AppError> {
    // The path as routed (percent-decoded where that keeps its meaning) and the query as
    // parsed, so that spellings of one request share a key.
    let query = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()
        .and_then(|pairs| serde_urlencoded::to_string(pairs).ok())
        .unwrap_or_else(|| req.query_string().to_string());
    let mut material = format!("{} {}?{}\n", req.method(), req.match_info().as_str(), query).into_bytes();
    material.extend_from_slice(body);
    keys.digest(&material)
}

fn claim(conn: &mut DbConn, org_id: &str, actor: &str, key: &str, hash: &str) -> Result<Claim, AppError> {
    conn.transaction(|conn| {
        let found: Option<StoredKey> = db_run!(conn, |c| idempotency_keys::table
            .filter(idempotency_keys::org_id.eq(org_id))
            .filter(idempotency_keys::actor.eq(actor))
            .filter(idempotency_keys::key.eq(key))
            .select((
                idempotency_keys::request_hash,
                idempotency_keys::status_code,
                idempotency_keys::response_body,
                idempotency_keys::response_headers,
                idempotency_keys::created_at,
            ))
            .first(c)
            .optional())?;
        let at = now();
        // Finished keys past their day, and claims whose request died, no longer count.
        let live = |s: &StoredKey| match s.status_code {
            Some(_) => s.created_at > at - Duration::hours(KEPT_FOR_HOURS),
            None => s.created_at > at - Duration::seconds(LEASE_SECONDS),
        };
        match found {
            Some(stored) if live(&stored) => {
                if stored.request_hash != hash {
                    return Err(AppError::unprocessable(
                        "idempotency_key_reused",
                        "This Idempotency-Key was used with another request; use a new key for a new request.",
                    ));
                }
                match (stored.status_code, stored.response_body) {
                    (Some(status), Some(body)) => Ok(Claim::Replay {
                        status: status as u16,
                        body,
                        headers: stored
                            .response_headers
                            .and_then(|h| serde_json::from_str(&h).ok())
                            .unwrap_or_default(),
                    }),
                    _ => Err(AppError::conflict(
                        "idempotency_in_flight",
                        "A request with this Idempotency-Key is still being processed; retry shortly.",
                    )),
                }
            }
            expired => {
                if expired.is_some() {
                    release(conn, org_id, actor, key)?;
                }
                db_run!(conn, |c| diesel::delete(
                    idempotency_keys::table
                        .filter(idempotency_keys::org_id.eq(org_id))
                        .filter(idempotency_keys::created_at.lt(at - Duration::hours(KEPT_FOR_HOURS)))
                )
                .execute(c))?;
                db_run!(conn, |c| diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::org_id.eq(org_id),
                        idempotency_keys::actor.eq(actor),
                        idempotency_keys::key.eq(key),
                        idempotency_keys::request_hash.eq(hash),
                        idempotency_keys::created_at.eq(now()),
                    ))
                    .execute(c))
                .map_err(|e| match AppError::from(e) {
                    // Another request took the key between our read and our insert.
                    AppError::Conflict { .. } => AppError::conflict(
                        "idempotency_in_flight",
                        "A request with this Idempotency-Key is still being processed; retry shortly.",
                    ),
                    other => other,
                })?;
                Ok(Claim::Fresh)
            }
        }
    })
}

fn release(conn: &mut DbConn, org_id: &str, actor: &str, key: &str) -> Result<(), AppError> {
    db_run!(conn, |c| diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::org_id.eq(org_id))
            .filter(idempotency_keys::actor.eq(actor))
            .filter(idempotency_keys::key.eq(key))
    )
    .execute(c))?;
    Ok(())
}

fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The middleware a route opts in with (`wrap = "crate::idempotency::Idempotent"`); see
/// the module documentation.
pub struct Idempotent;

impl<S, B> Transform<S, ServiceRequest> for Idempotent
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Transform = IdempotentService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(IdempotentService { service: Rc::new(service) }))
    }
}

pub struct IdempotentService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for IdempotentService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        Box::pin(handle(req, Rc::clone(&self.service)))
    }
}

async fn handle<S, B>(mut req: ServiceRequest, next: Rc<S>) -> Result<ServiceResponse<BoxBody>, actix_web::Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    let key = req.headers().get(HEADER).map(|v| v.to_str().map(str::to_string));
    // Only POSTs take part, should the middleware ever wrap a resource serving other methods.
    let Some(key) = key.filter(|_| req.method() == Method::POST) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = match key {
        Ok(key) if valid_key(&key) => key,
        _ => {
            let error = AppError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters.",
            );
            return Ok(req.into_response(error.error_response()));
        }
    };
    // Whose key it is: without a valid caller the route itself answers 401 or 403.
    let principal = Principal::from_request(req.request(), &mut Payload::None).await;
    let (Ok(principal), Some(state)) = (principal, req.app_data::<web::Data<AppState>>().cloned()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };

    let payload = req.extract::<web::Payload>().await?;
    let body = match payload.to_bytes_limited(state.max_import_bytes).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            let error = AppError::PayloadTooLarge(format!(
                "The request body is larger than the limit of {} bytes.",
                state.max_import_bytes
            ));
            return Ok(req.into_response(error.error_response()));
        }
        Err(e) => {
            let error = AppError::bad_request("malformed_body", format!("The request body could not be read: {e}."));
            return Ok(req.into_response(error.error_response()));
        }
    };
    let hash = match request_hash(state.db.keys(), &req, &body) {
        Ok(hash) => hash,
        Err(error) => return Ok(req.into_response(error.error_response())),
    };
    req.set_payload(Payload::from(body));

    let org_id = principal.org_id.clone();
    let actor = principal.audit_name();
    let claimed = {
        let (org_id, actor, key) = (org_id.clone(), actor.clone(), key.clone());
        state.db.run(move |conn| claim(conn, &org_id, &actor, &key, &hash)).await
    };
    match claimed {
        Err(error) => Ok(req.into_response(error.error_response())),
        Ok(Claim::Replay { status, body, headers }) => {
            let mut response = HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
            for (name, value) in &headers {
                response.insert_header((name.as_str(), value.as_str()));
            }
            response.insert_header((REPLAYED, "true"));
            Ok(req.into_response(response.body(body)))
        }
        Ok(Claim::Fresh) => {
            let answered = match next.call(req).await {
                Ok(res) => {
                    let res = res.map_into_boxed_body();
                    let status = res.status();
                    let (http_req, response) = res.into_parts();
                    let (head, body) = response.into_parts();
                    actix_web::body::to_bytes(body)
                        .await
                        .map(|bytes| (status, http_req, head, bytes))
                        .map_err(|e| actix_web::Error::from(AppError::internal(e)))
                }
                Err(e) => Err(e),
            };
            let (status, http_req, head, bytes) = match answered {
                Ok(parts) => parts,
                Err(e) => {
                    let _ = state.db.run(move |conn| release(conn, &org_id, &actor, &key)).await;
                    return Err(e);
                }
            };
            let stored_headers: BTreeMap<String, String> = KEPT_HEADERS
                .iter()
                .filter_map(|name| {
                    head.headers().get(name).and_then(|v| v.to_str().ok()).map(|v| (name.to_string(), v.to_string()))
                })
                .collect();
            let text = String::from_utf8(bytes.to_vec()).ok();
            let outcome = state
                .db
                .run(move |conn| match text.filter(|_| status.is_success()) {
                    Some(text) => {
                        db_run!(conn, |c| diesel::update(
                            idempotency_keys::table
                                .filter(idempotency_keys::org_id.eq(&org_id))
                                .filter(idempotency_keys::actor.eq(&actor))
                                .filter(idempotency_keys::key.eq(&key))
                        )
                        .set((
                            idempotency_keys::status_code.eq(Some(i32::from(status.as_u16()))),
                            idempotency_keys::response_body.eq(Some(text)),
                            idempotency_keys::response_headers.eq(serde_json::to_string(&stored_headers).ok()),
                        ))
                        .execute(c))?;
                        Ok(())
                    }
                    None => release(conn, &org_id, &actor, &key),
                })
                .await;
            if let Err(e) = outcome {
                tracing::error!(cause = %e, "could not record the idempotency key's outcome");
            }
            Ok(ServiceResponse::new(http_req, head.set_body(bytes).map_into_boxed_body()))
        }
    }
}
