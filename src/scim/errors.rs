//! Every error under `/scim/v2` as a SCIM error document (RFC 7644 §3.12): the service's
//! problems, wherever they were made (authentication, the NUL guard, unknown routes, the
//! people operations), are rewritten here, once, with the `scimType` that fits.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ERROR_SCHEMA, MEDIA_TYPE};

/// A SCIM error document, as every refusal under `/scim/v2` is sent.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
    "status": "409",
    "scimType": "uniqueness",
    "detail": "emails: another person of the organisation has this e-mail address"
}))]
pub struct ScimError {
    pub schemas: Vec<String>,
    /// The HTTP status, as a string.
    pub status: String,
    /// What kind of refusal (RFC 7644 §3.12), where one fits.
    #[serde(rename = "scimType", skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    pub detail: String,
}

/// The error answers every SCIM operation documents.
#[derive(utoipa::IntoResponses)]
pub enum ScimErrors {
    /// The request was refused; what is wrong is in `detail` and `scimType`.
    #[response(status = "4XX", description = "Refused, as a SCIM error", content_type = "application/scim+json")]
    Refused(ScimError),
    /// The service could not answer.
    #[response(status = "5XX", description = "Server error, as a SCIM error", content_type = "application/scim+json")]
    Failed(ScimError),
}

/// A SCIM error answer.
pub fn response(status: StatusCode, scim_type: Option<&str>, detail: &str) -> HttpResponse {
    let body = ScimError {
        schemas: vec![ERROR_SCHEMA.to_string()],
        status: status.as_u16().to_string(),
        scim_type: scim_type.map(str::to_string),
        detail: detail.to_string(),
    };
    HttpResponse::build(status).content_type(MEDIA_TYPE).json(body)
}

#[derive(Deserialize)]
struct FieldProblem {
    field: String,
    code: String,
    message: String,
}

#[derive(Deserialize)]
struct Problem {
    status: u16,
    code: String,
    detail: String,
    #[serde(default)]
    errors: Vec<FieldProblem>,
}

/// The SCIM name of a directory field.
fn scim_name(field: &str) -> &str {
    match field {
        "email" => "emails",
        "external_id" => "externalId",
        "display_name" => "displayName",
        "manager_id" => "manager",
        "user_name" => "userName",
        "employee_number" => "employeeNumber",
        other => other,
    }
}

/// The status, `scimType` and detail a problem becomes.
fn translate(problem: &Problem) -> (StatusCode, Option<&'static str>, String) {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if !problem.errors.is_empty() {
        let detail = problem
            .errors
            .iter()
            .map(|f| format!("{}: {}", scim_name(&f.field), f.message))
            .collect::<Vec<_>>()
            .join("; ");
        if problem.errors.iter().any(|f| f.code == "taken") {
            return (StatusCode::CONFLICT, Some("uniqueness"), detail);
        }
        return (StatusCode::BAD_REQUEST, Some("invalidValue"), detail);
    }
    let scim_type = match problem.code.as_str() {
        "invalid_filter" => Some("invalidFilter"),
        // A unique index caught what the checks before it could not (a race).
        "already_exists" => Some("uniqueness"),
        "invalid_path" => Some("invalidPath"),
        "no_target" => Some("noTarget"),
        "mutability" => Some("mutability"),
        "too_many" => Some("tooMany"),
        "invalid_syntax" | "malformed_json" | "malformed_body" | "invalid_query" => Some("invalidSyntax"),
        "invalid_value" | "invalid_reference" | "validation_failed" => Some("invalidValue"),
        _ => None,
    };
    // SCIM has no 422: a value it refuses is a 400.
    let status = if status == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::BAD_REQUEST } else { status };
    (status, scim_type, problem.detail.clone())
}

/// The middleware: under `/scim/`, a problem answer becomes a SCIM error with the same
/// headers (`Allow`, `Retry-After`).
pub async fn rewrite(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if !req.path().starts_with("/scim/") {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let answer = next.call(req).await?.map_into_boxed_body();
    let is_problem = answer
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if !is_problem {
        return Ok(answer);
    }
    let (req, res) = answer.into_parts();
    let (head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let Ok(problem) = serde_json::from_slice::<Problem>(&bytes) else {
        let fallback = response(head.status(), None, "The request failed.");
        return Ok(ServiceResponse::new(req, fallback));
    };
    let (status, scim_type, detail) = translate(&problem);
    let mut rewritten = response(status, scim_type, &detail);
    for (name, value) in head.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, rewritten))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(status: u16, code: &str, errors: Vec<(&str, &str)>) -> Problem {
        Problem {
            status,
            code: code.into(),
            detail: "d".into(),
            errors: errors
                .into_iter()
                .map(|(field, code)| FieldProblem { field: field.into(), code: code.into(), message: "m".into() })
                .collect(),
        }
    }

    #[test]
    fn problems_become_scim_errors_with_their_type() {
        let taken = translate(&problem(422, "validation_failed", vec![("email", "taken")]));
        assert_eq!(taken, (StatusCode::CONFLICT, Some("uniqueness"), "emails: m".to_string()));
        let invalid = translate(&problem(422, "validation_failed", vec![("display_name", "length")]));
        assert_eq!((invalid.0, invalid.1), (StatusCode::BAD_REQUEST, Some("invalidValue")));
        assert_eq!(translate(&problem(400, "invalid_filter", vec![])).1, Some("invalidFilter"));
        assert_eq!(translate(&problem(404, "not_found", vec![])), (StatusCode::NOT_FOUND, None, "d".to_string()));
    }
}
