//! NUL characters are refused everywhere, before any handler or query runs, so both engines
//! answer alike: PostgreSQL cannot store a NUL in text and SQLite would. A NUL in the path
//! answers 404 (no resource has one in its id); in the query string 400 naming the
//! parameter; in a JSON body 422 naming each field, as validation does; in any other body,
//! raw or as a form's `%00`, 400 (the OAuth error shape at `/oauth/token`). Bodies up to the
//! JSON body limit are read here in full and handed on; a longer one, and a CSV file, is
//! passed on unread to the two routes that take one (bulk and CSV import), which check it
//! themselves. A compressed request body answers 415.

use std::future::{Future, ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use futures_util::StreamExt;

use crate::error::{AppError, FieldError};
use crate::oauth::token::OAuthError;

/// What a NUL is called in the problems.
const NUL: &str = "a NUL character (U+0000), which no field accepts";

/// Whether a JSON text holds a `\u0000` escape (every backslash in JSON starts an escape).
fn json_has_nul(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'\\' {
            if body.get(i + 1) == Some(&b'u') && body.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Whether a percent-encoded text holds `%00`.
fn encoded_has_nul(text: &[u8]) -> bool {
    text.windows(3).any(|w| w == b"%00")
}

/// Whether a `Content-Type` is JSON (`application/json` or any `+json`).
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

fn body_has_nul(content_type: &str, body: &[u8]) -> bool {
    body.contains(&0)
        || (is_json(content_type) && json_has_nul(body))
        || (content_type.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded")
            && encoded_has_nul(body))
}

/// The fields of a JSON value whose text (or name) holds a NUL, named as validation names them.
fn nul_fields(value: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) if text.contains('\0') => out.push(path.to_string()),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nul_fields(item, &format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(fields) => {
            for (name, item) in fields {
                let inner = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                if name.contains('\0') {
                    out.push(inner.replace('\0', "\\u0000"));
                } else {
                    nul_fields(item, &inner, out);
                }
            }
        }
        _ => {}
    }
}

/// Refuses a body that holds a NUL, saying where: each field of a JSON body, as validation
/// names fields (422), or the body as a whole (400). For routes that read their body
/// themselves, past the limit this middleware reads.
pub fn check_body(content_type: &str, body: &[u8]) -> Result<(), AppError> {
    if !body_has_nul(content_type, body) {
        return Ok(());
    }
    if is_json(content_type)
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
    {
        let mut fields = Vec::new();
        nul_fields(&value, "", &mut fields);
        if !fields.is_empty() {
            let errors = fields.into_iter().map(|f| FieldError::new(f, "nul", "must not contain a NUL character"));
            return Err(AppError::Validation(errors.collect()));
        }
    }
    Err(AppError::bad_request("nul_character", format!("The request body holds {NUL}.")))
}

/// The query parameters whose name or value holds a NUL.
fn nul_parameters(query: &str) -> Vec<String> {
    query
        .split('&')
        .filter(|pair| encoded_has_nul(pair.as_bytes()))
        .map(|pair| pair.split('=').next().unwrap_or("").to_string())
        .collect()
}

/// Refuses NUL characters in bodies of up to `limit` bytes (the JSON body limit).
pub struct RefuseNul {
    pub limit: usize,
}

impl<S, B> Transform<S, ServiceRequest> for RefuseNul
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RefuseNulMiddleware<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RefuseNulMiddleware { service: Rc::new(service), limit: self.limit }))
    }
}

pub struct RefuseNulMiddleware<S> {
    service: Rc<S>,
    limit: usize,
}

fn refuse<B>(req: ServiceRequest, response: HttpResponse) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    Ok(req.into_response(response).map_into_right_body())
}

impl<S, B> Service<ServiceRequest> for RefuseNulMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let (service, limit) = (Rc::clone(&self.service), self.limit);
        Box::pin(async move {
            if encoded_has_nul(req.path().as_bytes()) {
                return refuse(req, AppError::NotFound.error_response());
            }
            if encoded_has_nul(req.query_string().as_bytes()) {
                let names = nul_parameters(req.query_string()).join("`, `");
                let problem =
                    AppError::bad_request("invalid_query", format!("The query parameter `{names}` holds {NUL}."));
                return refuse(req, problem.error_response());
            }
            // A compressed body would be checked as it was sent, not as it is read: refused.
            let encoding = req.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok());
            if encoding.is_some_and(|e| !e.trim().eq_ignore_ascii_case("identity")) {
                let problem = AppError::UnsupportedMediaType(
                    "Request bodies are accepted uncompressed only: send no `Content-Encoding`.".into(),
                );
                return refuse(req, problem.error_response());
            }
            // Bodies up to the JSON limit are checked whole. A longer one, or one that says it
            // is longer, is handed on unread (only the bulk and CSV import routes take one, and
            // they check it themselves), as is a CSV file, which the import checks line by line.
            let content_type =
                req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let declared = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<usize>().ok());
            let is_csv = content_type.trim().to_ascii_lowercase().starts_with("text/csv");
            if is_csv || declared.is_some_and(|n| n > limit) {
                return service.call(req).await.map(ServiceResponse::map_into_left_body);
            }
            let mut payload = req.take_payload();
            let mut body = BytesMut::new();
            while body.len() <= limit {
                match payload.next().await {
                    Some(Ok(chunk)) => body.extend_from_slice(&chunk),
                    Some(Err(e)) => {
                        let problem = AppError::bad_request(
                            "malformed_body",
                            format!("The request body could not be read: {e}."),
                        );
                        return refuse(req, problem.error_response());
                    }
                    None => break,
                }
            }
            let body: Bytes = body.freeze();
            if body.len() > limit {
                let rest = futures_util::stream::once(ready(Ok(body))).chain(payload);
                req.set_payload(Payload::Stream { payload: Box::pin(rest) });
                return service.call(req).await.map(ServiceResponse::map_into_left_body);
            }
            if let Err(problem) = check_body(&content_type, &body) {
                let response = if req.path().starts_with("/oauth/") {
                    OAuthError::invalid_request(format!("The request body holds {NUL}.")).error_response()
                } else {
                    problem.error_response()
                };
                return refuse(req, response);
            }
            if !body.is_empty() {
                req.set_payload(Payload::Stream { payload: Box::pin(futures_util::stream::once(ready(Ok(body)))) });
            }
            service.call(req).await.map(ServiceResponse::map_into_left_body)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_raw_escaped_or_encoded_and_only_there() {
        assert!(json_has_nul(br#"{"name": "a\u0000b"}"#));
        assert!(!json_has_nul(br#"{"name": "a\\u0000b"}"#), "an escaped backslash, then text");
        assert!(json_has_nul(br#"{"name": "a\\\u0000"}"#));
        assert!(!json_has_nul(br#"{"name": "\u00e9\n"}"#));
        assert!(body_has_nul("application/json; charset=utf-8", br#"["\u0000"]"#));
        assert!(body_has_nul("application/scim+json", br#"["\u0000"]"#));
        assert!(!body_has_nul("text/csv", br"name,\u0000"), "text in a CSV cell, not a NUL");
        assert!(body_has_nul("text/csv", b"name,\0"));
        assert!(body_has_nul("application/x-www-form-urlencoded", b"client_id=a%00"));
        assert!(!body_has_nul("application/json", b"{\"a\": \"%00\"}"), "text in JSON, not a NUL");
        let value = serde_json::json!({"title": "ok", "items": [{"note": "a\0"}], "a\0": 1});
        let mut fields = Vec::new();
        nul_fields(&value, "", &mut fields);
        fields.sort();
        assert_eq!(fields, ["a\\u0000", "items[0].note"]);
        assert_eq!(nul_parameters("limit=5&department=Sales%00&q=%00x"), ["department", "q"]);
    }
}
