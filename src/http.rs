//! HTTP plumbing shared by every route: body limits and parse errors as problems,
//! and problem answers for unknown routes (404) and wrong methods (405).

use actix_web::dev::ResourceDef;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::Method;
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

    fn allowed(&self, path: &str) -> Vec<Method> {
        self.0.iter().filter(|(def, _)| def.is_match(path)).flat_map(|(_, methods)| methods.iter().cloned()).collect()
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
