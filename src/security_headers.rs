//! Headers every response carries so that a browser treats what we send as exactly what
//! it says it is and keeps none of it:
//! - `X-Content-Type-Options: nosniff`: a JSON body or an SVG is never run as something else;
//! - `Cache-Control: no-store` unless the route chose its own: reports, people, tokens and
//!   questionnaires must not sit in a shared or a browser cache;
//! - a `Content-Security-Policy`: the API's bodies load nothing and may not be framed; the
//!   Swagger UI under `/docs` loads only its own scripts and styles and talks only to us;
//! - `Referrer-Policy: no-referrer`: an invitation link in the address bar does not leak
//!   to whatever a page links to.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// What the API's own bodies (JSON, CSV, SVG with inline styles) need: nothing to load.
const API_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// What the vendored Swagger UI needs: its own files, the inline styles it sets, the
/// `data:` images of its icons, and requests to this origin for the document and "Try it out".
const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Middleware (`from_fn`), inside the request id and outside everything that answers:
/// handlers' and extractors' errors reach it as responses, problems included.
pub async fn add<B: MessageBody>(req: ServiceRequest, next: Next<B>) -> Result<ServiceResponse<B>, Error> {
    let docs = req.path() == "/docs" || req.path().starts_with("/docs/");
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    let policy = if docs { DOCS_POLICY } else { API_POLICY };
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    if !docs && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}
