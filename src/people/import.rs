//! CSV import of an HR snapshot, through the same path as the bulk upsert.

use actix_web::http::header;
use actix_web::{HttpRequest, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::upsert::{BulkUpsertResponse, MAX_ROWS, PersonRow, RowInput, upsert_people};
use crate::auth::access::{Permission, Role};
use crate::auth::principal::Principal;
use crate::error::{AppError, Errors, FieldError};
use crate::http::read_body;
use crate::state::AppState;

/// The columns a snapshot may have; the first three are required.
const COLUMNS: [&str; 8] =
    ["external_id", "email", "display_name", "department", "title", "manager_external_id", "role", "active"];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Treat the file as the whole directory: deactivate active people whose external id
    /// it does not list (default `false`).
    #[serde(default)]
    pub deactivate_missing: bool,
}

fn bad_csv(detail: String) -> AppError {
    AppError::bad_request("invalid_csv", detail)
}

/// A column's trimmed value, absent when blank.
fn column<'r>(headers: &[String], record: &'r csv::StringRecord, name: &str) -> Option<&'r str> {
    headers.iter().position(|h| h == name).and_then(|i| record.get(i)).map(str::trim).filter(|v| !v.is_empty())
}

/// A typed row, or the field errors of a row whose values cannot even be typed.
fn parse_row(headers: &[String], record: &csv::StringRecord) -> Result<PersonRow, Vec<FieldError>> {
    let get = |name: &str| column(headers, record, name);
    let mut errors = Vec::new();
    let role = match get("role") {
        None => None,
        Some(v) => v.parse::<Role>().map_err(|e| errors.push(FieldError::new("role", "invalid", e))).ok(),
    };
    let active = match get("active").map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("true" | "1" | "yes") => Some(true),
        Some("false" | "0" | "no") => Some(false),
        Some(_) => {
            errors.push(FieldError::new("active", "invalid", "must be true or false"));
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PersonRow {
        external_id: get("external_id").unwrap_or_default().to_string(),
        email: get("email").unwrap_or_default().to_string(),
        display_name: get("display_name").unwrap_or_default().to_string(),
        department: get("department").map(str::to_string),
        title: get("title").map(str::to_string),
        manager_external_id: get("manager_external_id").map(str::to_string),
        role,
        active,
    })
}

/// The rows of a CSV file, numbered by line; a file that is not UTF-8 CSV with known,
/// unique columns (the first three present) or has too many rows is refused whole.
fn parse_csv(body: &[u8]) -> Result<Vec<RowInput>, AppError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| bad_csv(format!("The file is not UTF-8 (first bad byte at offset {}).", e.valid_up_to())))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(at) = text.find('\0') {
        let line = text[..at].matches('\n').count() + 1;
        return Err(bad_csv(format!("Line {line} holds a NUL character (U+0000), which no field accepts.")));
    }

    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| bad_csv(format!("The header row cannot be read: {e}.")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if let Some(unknown) = headers.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(bad_csv(format!("Unknown column `{unknown}`; the columns are: {}.", COLUMNS.join(", "))));
    }
    for required in &COLUMNS[..3] {
        if !headers.iter().any(|h| h == required) {
            return Err(bad_csv(format!("The column `{required}` is required.")));
        }
    }
    if let Some(dup) = headers.iter().enumerate().find(|(i, h)| headers[..*i].contains(h)).map(|(_, h)| h) {
        return Err(bad_csv(format!("The column `{dup}` appears twice.")));
    }

    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad_csv(format!("The file is not valid CSV: {e}.")))?;
        if rows.len() >= MAX_ROWS {
            return Err(bad_csv(format!("The file has more than {MAX_ROWS} rows.")));
        }
        let label = record.position().map(|p| p.line() as usize).unwrap_or_default();
        let external_id = column(&headers, &record, "external_id").map(str::to_string);
        rows.push(RowInput { label, external_id, row: parse_row(&headers, &record) });
    }
    Ok(rows)
}

/// Imports people from a CSV file (RFC 4180, UTF-8, header row).
///
/// Columns: `external_id`, `email`, `display_name` (required), `department`, `title`,
/// `manager_external_id`, `role`, `active`. Rows are upserted like `POST /people/bulk`;
/// results give each row's line number. With `deactivate_missing=true` the file is a full
/// snapshot and active people it leaves out are deactivated.
#[utoipa::path(
    tag = "people",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv",
        example = "external_id,email,display_name,department,title,manager_external_id\nE-1,grace@example.com,Grace Hopper,Engineering,CTO,\nE-2,alan@example.com,Alan Turing,Research,Scientist,E-1\n"),
    responses(
        (status = 200, description = "Per-row results", body = BulkUpsertResponse),
        Errors,
    ),
)]
#[post("/people/import", wrap = "crate::idempotency::Idempotent")]
pub async fn import_people_csv(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<web::Json<BulkUpsertResponse>, AppError> {
    // Checked before a body of up to `max_import_bytes` is read and parsed.
    principal.require(Permission::WritePeople)?;
    let is_csv = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("text/csv"));
    if !is_csv {
        return Err(AppError::UnsupportedMediaType("Send the file with `Content-Type: text/csv`.".into()));
    }
    let body = read_body(payload, state.max_import_bytes).await?;
    let rows = parse_csv(&body)?;
    let deactivate_missing = query.deactivate_missing;
    let response = state.db.run(move |conn| upsert_people(conn, &principal, rows, deactivate_missing, "csv")).await?;
    Ok(web::Json(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_in_a_cell_is_refused_with_its_line() {
        let refused = parse_csv(b"external_id,email,display_name\nE-1,a@example.com,A\nE-2,b@example.com,B\0\n");
        let Err(AppError::BadRequest { code, detail }) = refused else { panic!("refused") };
        assert_eq!((code, detail.starts_with("Line 3 holds a NUL")), ("invalid_csv", true), "{detail}");
    }
}
