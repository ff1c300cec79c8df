//! Every view's cells as CSV (RFC 4180) or NDJSON, written to the response a few hundred
//! rows at a time rather than built whole. Text that a spreadsheet would read as a formula
//! is neutralised.

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;
use serde::Serialize;

use super::views::{BlindSpotRow, GapRange, HeatmapCell, ParticipationCell};
use crate::anonymity::Cell;

/// Rows per chunk of the response body.
const ROWS_PER_CHUNK: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// What the `Accept` header asks for, when it names an export format.
    pub fn wanted(req: &HttpRequest) -> Option<Format> {
        let accept = req.headers().get(header::ACCEPT)?.to_str().ok()?;
        accept.split(',').map(|part| part.split(';').next().unwrap_or("").trim()).find_map(|media| match media {
            "text/csv" => Some(Format::Csv),
            "application/x-ndjson" => Some(Format::Ndjson),
            _ => None,
        })
    }
}

/// A field of a CSV row.
pub enum Field {
    Text(Option<String>),
    Number(Option<String>),
}

/// A cell as a CSV row.
pub trait Row: Serialize {
    const HEADER: &'static [&'static str];
    fn fields(&self) -> Vec<Field>;
}

fn text(value: impl Into<String>) -> Field {
    Field::Text(Some(value.into()))
}

fn optional_text(value: Option<impl Into<String>>) -> Field {
    Field::Text(value.map(Into::into))
}

fn number(value: Option<impl ToString>) -> Field {
    Field::Number(value.map(|v| v.to_string()))
}

fn suppression<T>(cell: &Cell<T>) -> [Field; 2] {
    match cell {
        Cell::Shown(_) => [text("false"), Field::Text(None)],
        Cell::Suppressed(s) => [text("true"), text(s.reason.clone())],
    }
}

/// Text a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice).
fn neutralised(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

impl Row for HeatmapCell {
    const HEADER: &'static [&'static str] = &[
        "level",
        "department",
        "competency_key",
        "relationship",
        "question_id",
        "question_key",
        "mean",
        "spread",
        "leaders",
        "responses",
        "suppressed",
        "reason",
    ];

    fn fields(&self) -> Vec<Field> {
        let shown = self.figures.shown();
        let [suppressed, reason] = suppression(&self.figures);
        vec![
            text(self.level.as_str()),
            optional_text(self.department.clone()),
            text(self.competency_key.clone()),
            optional_text(self.relationship.map(|r| r.as_str())),
            optional_text(self.question_id.clone()),
            optional_text(self.question_key.clone()),
            number(shown.map(|f| f.mean)),
            number(shown.map(|f| f.spread)),
            number(shown.map(|f| f.leaders)),
            number(shown.map(|f| f.responses)),
            suppressed,
            reason,
        ]
    }
}

impl Row for ParticipationCell {
    const HEADER: &'static [&'static str] =
        &["level", "department", "relationship", "invited", "answered", "rate", "leaders", "suppressed", "reason"];

    fn fields(&self) -> Vec<Field> {
        let shown = self.figures.shown();
        let [suppressed, reason] = suppression(&self.figures);
        vec![
            text(self.level.as_str()),
            optional_text(self.department.clone()),
            optional_text(self.relationship.map(|r| r.as_str())),
            number(shown.map(|f| f.invited)),
            number(shown.map(|f| f.answered)),
            number(shown.map(|f| f.rate)),
            number(shown.map(|f| f.leaders)),
            suppressed,
            reason,
        ]
    }
}

impl Row for BlindSpotRow {
    const HEADER: &'static [&'static str] =
        &["competency_key", "mean_gap", "leaders", "distribution", "suppressed", "reason"];

    fn fields(&self) -> Vec<Field> {
        let shown = self.figures.shown();
        let [suppressed, reason] = suppression(&self.figures);
        vec![
            text(self.competency_key.clone()),
            number(shown.map(|f| f.mean_gap)),
            number(shown.map(|f| f.leaders)),
            optional_text(shown.map(|f| distribution(&f.distribution))),
            suppressed,
            reason,
        ]
    }
}

/// A gap distribution in one CSV field: `from..to:leaders` per range, `;` between them, an
/// open end left empty (`..-0.25:6;-0.25..0.5:9;0.5..:7`). The first range has no lower
/// end, so the field always starts with `..` and no spreadsheet reads it as a formula.
fn distribution(ranges: &[GapRange]) -> String {
    let end = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    ranges.iter().map(|r| format!("{}..{}:{}", end(r.from), end(r.to), r.leaders)).collect::<Vec<_>>().join(";")
}

fn csv_chunk<T: Row>(rows: &[T], header: bool) -> Result<Bytes, std::io::Error> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    if header {
        writer.write_record(T::HEADER)?;
    }
    for row in rows {
        let record: Vec<String> = row
            .fields()
            .into_iter()
            .map(|field| match field {
                Field::Text(v) => v.as_deref().map(neutralised).unwrap_or_default().into_owned(),
                Field::Number(v) => v.unwrap_or_default(),
            })
            .collect();
        writer.write_record(&record)?;
    }
    writer.into_inner().map(Bytes::from).map_err(|e| std::io::Error::other(e.to_string()))
}

fn ndjson_chunk<T: Row>(rows: &[T]) -> Result<Bytes, std::io::Error> {
    let mut out = Vec::new();
    for row in rows {
        serde_json::to_writer(&mut out, row)?;
        out.push(b'\n');
    }
    Ok(Bytes::from(out))
}

/// The rows as a streamed download named `name` (without extension).
pub fn respond<T: Row + Send + 'static>(rows: Vec<T>, format: Format, name: &str) -> HttpResponse {
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8; header=present", "csv"),
        Format::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    let mut rows = rows.into_iter().peekable();
    let mut first = true;
    let chunks = std::iter::from_fn(move || {
        if rows.peek().is_none() && !(first && format == Format::Csv) {
            return None;
        }
        let chunk: Vec<T> = rows.by_ref().take(ROWS_PER_CHUNK).collect();
        let bytes = match format {
            Format::Csv => csv_chunk(&chunk, first),
            Format::Ndjson => ndjson_chunk(&chunk),
        };
        first = false;
        Some(bytes)
    });
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.{extension}\"")))
        .streaming(futures_util::stream::iter(chunks))
}

#[cfg(test)]
mod tests {
    use super::neutralised;

    #[test]
    fn formulas_are_neutralised_and_plain_text_is_kept() {
        assert_eq!(neutralised("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        for formula in ["+1", "-1+2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralised(formula).starts_with('\''), "{formula:?}");
        }
        assert_eq!(neutralised("Engineering"), "Engineering");
        assert_eq!(neutralised(""), "");
    }
}
