//! A report as CSV (RFC 4180, safe to open in a spreadsheet); the radar is in `radar.rs`.

use super::GrowthReport;
use crate::anonymity::Relationship;
use crate::anonymity::{Cell, Stat};

/// Spreadsheets run cells that start like formulas; a leading apostrophe keeps them text.
fn safe(field: &str) -> String {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{field}") } else { field.to_string() }
}

fn group_name(relationship: Option<Relationship>) -> &'static str {
    relationship.map(|r| r.as_str()).unwrap_or("all_others")
}

pub fn csv(report: &GrowthReport) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "competency_key",
        "competency",
        "question_key",
        "question",
        "group",
        "mean",
        "count",
        "spread",
        "suppressed_reason",
    ])?;
    let mut row = |competency: (&str, &str), question: (&str, &str), group: Option<Relationship>, cell: &Cell<Stat>| {
        let (mean, count, spread, reason) = match cell {
            Cell::Shown(s) => (s.mean.to_string(), s.count.to_string(), s.spread.to_string(), String::new()),
            Cell::Suppressed(s) => (String::new(), String::new(), String::new(), s.reason.clone()),
        };
        out.write_record([
            safe(competency.0),
            safe(competency.1),
            safe(question.0),
            safe(question.1),
            group_name(group).to_string(),
            mean,
            count,
            spread,
            reason,
        ])
    };
    for c in &report.competencies {
        for (group, cell) in &c.groups {
            row((&c.key, &c.name), ("", ""), Some(*group), cell)?;
        }
        row((&c.key, &c.name), ("", ""), None, &c.others)?;
        for q in &c.questions {
            for (group, cell) in &q.groups {
                row((&c.key, &c.name), (&q.key, &q.prompt), Some(*group), cell)?;
            }
            row((&c.key, &c.name), (&q.key, &q.prompt), None, &q.others)?;
        }
    }
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn formula_like_cells_are_kept_as_text() {
        assert_eq!(safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe("+1"), "'+1");
        assert_eq!(safe("@cmd"), "'@cmd");
        assert_eq!(safe("Vision"), "Vision");
    }
}
