//! `POST /people/bulk`: the JSON form of the bulk upsert.

use actix_web::{HttpRequest, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::upsert::{BulkUpsertResponse, MAX_ROWS, PersonRow, RowInput, upsert_people};
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::error::{AppError, Errors, FieldError};
use crate::http::{parse_json, read_body};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"people": [
    {"external_id": "E-1", "email": "grace@example.com", "display_name": "Grace Hopper", "department": "Engineering", "title": "CTO"},
    {"external_id": "E-2", "email": "alan@example.com", "display_name": "Alan Turing", "department": "Research", "manager_external_id": "E-1"}
]}))]
pub struct BulkUpsertRequest {
    /// Up to 50,000 rows.
    pub people: Vec<PersonRow>,
}

impl BulkUpsertRequest {
    /// The rows, numbered by their position; 422 beyond [`MAX_ROWS`].
    fn into_rows(self) -> Result<Vec<RowInput>, AppError> {
        if self.people.len() > MAX_ROWS {
            return Err(AppError::Validation(vec![FieldError::new(
                "people",
                "length",
                format!("at most {MAX_ROWS} rows per request"),
            )]));
        }
        Ok(self.people.into_iter().enumerate().map(RowInput::from).collect())
    }
}

/// Creates or updates many people at once, keyed on `external_id`.
///
/// Each row is independent: valid rows are applied and refused rows are reported with
/// their field errors, in one transaction. Sending the same rows again reports them all
/// `unchanged`. Managers may be rows of the same request.
#[utoipa::path(
    tag = "people",
    request_body = BulkUpsertRequest,
    responses(
        (status = 200, description = "Per-row results", body = BulkUpsertResponse),
        Errors,
    ),
)]
#[post("/people/bulk", wrap = "crate::idempotency::Idempotent")]
pub async fn bulk_upsert_people(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<web::Json<BulkUpsertResponse>, AppError> {
    // Checked before a body of up to `max_import_bytes` is read and parsed.
    principal.require(Permission::WritePeople)?;
    let body = read_body(payload, state.max_import_bytes).await?;
    let rows = parse_json::<BulkUpsertRequest>(&req, &body)?.into_rows()?;
    let response = state.db.run(move |conn| upsert_people(conn, &principal, rows, false, "bulk")).await?;
    Ok(web::Json(response))
}
