//! HTTP plumbing shared by every route: body limits and parse errors as problems,
//! and problem answers for unknown routes (404) and wrong methods (405).

use actix_web::body::MessageBody;
use actix_web::dev::{ResourceDef, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use utoipa::openapi::OpenApi;

use crate::error::AppError;

/// Extractor settings that turn malformed input into clear problems.
pub fn json_config(max_body_bytes: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(max_body_bytes).error_handler(|err, _req| json_error(err).into())
}

fn json_error(err: JsonPayloadError) -> AppError {
    match err {
        JsonPayloadError::OverflowKnownLength { length, limit } => {
            AppError::PayloadTooLarge(format!("The request body is {length} bytes; the limit is {limit} bytes."))
        }
        JsonPayloadError::Overflow { limit } => {
            AppError::PayloadTooLarge(format!("The request body is larger than the limit of {limit} bytes."))
        }
        JsonPayloadError::ContentType => AppError::UnsupportedMediaType(
            "The request body must be JSON, sent with `Content-Type: application/json`.".into(),
        ),
        JsonPayloadError::Deserialize(e) => {
            AppError::bad_request("malformed_json", format!("The request body is not valid here: {e}."))
        }
        JsonPayloadError::Serialize(e) => AppError::internal(e),
        other => AppError::bad_request("malformed_body", format!("The request body could not be read: {other}.")),
    }
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        AppError::bad_request("invalid_query", format!("The query string is not valid: {err}.")).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req| {
        AppError::bad_request("invalid_path", format!("The path is not valid: {err}.")).into()
    })
}

pub fn payload_config(max_body_bytes: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(max_body_bytes)
}

/// The documented routes, so that an undocumented method on a known path answers 405.
pub struct KnownRoutes(Vec<(ResourceDef, Vec<Method>)>);

impl KnownRoutes {
    pub fn from_openapi(api: &OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::HEAD, item.head.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }

    /// The methods of the documented paths `path` matches, the most specific only: of
    /// `/people/bulk` and `/people/{person_id}`, the first, as routing picks it.
    fn allowed(&self, path: &str) -> Vec<Method> {
        let fixed = |def: &ResourceDef| def.pattern().unwrap_or("").split('/').filter(|s| !s.contains('{')).count();
        let matching: Vec<&(ResourceDef, Vec<Method>)> = self.0.iter().filter(|(def, _)| def.is_match(path)).collect();
        let most = matching.iter().map(|(def, _)| fixed(def)).max().unwrap_or(0);
        matching
            .into_iter()
            .filter(|(def, _)| fixed(def) == most)
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect()
    }
}

/// Answers requests no route took: 405 where the path exists, 404 otherwise.
pub async fn fallback(req: HttpRequest, routes: web::Data<KnownRoutes>) -> HttpResponse {
    let allowed = routes.allowed(req.path());
    let error = if allowed.is_empty() {
        AppError::NotFound
    } else {
        AppError::MethodNotAllowed(allowed.iter().map(|m| m.to_string()).collect())
    };
    error.error_response()
}

/// The `If-Match` header, if sent (empty when it is not visible ASCII, which no ETag of
/// ours contains).
pub fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers().get(header::IF_MATCH).map(|v| v.to_str().unwrap_or("").to_string())
}

/// 412 unless `If-Match` is absent, `*`, or names the current `etag` of the `what`; 400
/// when it names nothing.
pub fn check_if_match(if_match: Option<&str>, etag: &str, what: &str) -> Result<(), AppError> {
    if if_match.is_some_and(|tag| tag.split(',').all(|t| t.trim().is_empty())) {
        return Err(AppError::bad_request(
            "invalid_if_match",
            "If-Match names no ETag: send the ETag you read (for example \"3\"), or `*`.",
        ));
    }
    match if_match {
        Some(tag) if tag.trim() != "*" && !tag.split(',').any(|t| t.trim() == etag) => {
            Err(AppError::PreconditionFailed(format!(
                "The {what} has changed since you read it (now at {etag}); read it again and retry."
            )))
        }
        _ => Ok(()),
    }
}

/// Reads a whole request body up to `limit` bytes; larger bodies answer 413.
pub async fn read_body(payload: web::Payload, limit: usize) -> Result<web::Bytes, AppError> {
    payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge(format!("The request body is larger than the limit of {limit} bytes.")))?
        .map_err(|e| AppError::bad_request("malformed_body", format!("The request body could not be read: {e}.")))
}

/// Parses a JSON body read with [`read_body`], with the same errors as the JSON extractor
/// and the input guard: 415 unless it is sent as JSON, a NUL refused.
pub fn parse_json<T: serde::de::DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, AppError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !crate::input_guard::is_json(content_type) {
        return Err(json_error(JsonPayloadError::ContentType));
    }
    crate::input_guard::check_body(content_type, body)?;
    serde_json::from_slice(body).map_err(|e| json_error(JsonPayloadError::Deserialize(e)))
}

/// Turns error answers that actix-web or a middleware wrote as plain text into problems,
/// so that every error of the API has the same shape.
pub fn problem_for_bare_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim())
        // Problems, JSON, and SCIM's errors (`application/scim+json`) already say what is wrong.
        .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
    if is_json || res.status().as_u16() < 400 {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let error = match res.status() {
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge("The request body is too large.".into()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            AppError::UnsupportedMediaType("This content type is not accepted here.".into())
        }
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed(Vec::new()),
        status if status.is_server_error() => AppError::internal(format!("bare {status} answer")),
        status => AppError::bad_request("bad_request", format!("The request was refused ({status}).")),
    };
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, error.error_response()).map_into_right_body()))
}
