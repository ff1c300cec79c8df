//! A report as CSV (RFC 4180, safe to open in a spreadsheet) and as an SVG radar chart.

use std::fmt::Write;

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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A radar of competencies: self, all others and the organisation's norm, on a 1–5 scale.
pub fn radar_svg(report: &GrowthReport) -> String {
    const SIZE: f64 = 480.0;
    const CENTER: f64 = SIZE / 2.0;
    const RADIUS: f64 = 170.0;
    let (low, high) = (1.0, 5.0);
    let n = report.competencies.len().max(1);
    let point = |i: usize, value: f64| {
        let angle = std::f64::consts::TAU * i as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
        let r = RADIUS * ((value - low) / (high - low)).clamp(0.0, 1.0);
        (CENTER + r * angle.cos(), CENTER + r * angle.sin())
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" width="{SIZE}" height="{SIZE}" role="img" aria-label="{}">"##,
        escape(&format!("Competency radar for {}", report.subject_name))
    );
    svg.push_str(r##"<g fill="none" stroke="#d0d4dc" stroke-width="1">"##);
    for ring in 1..=4 {
        let points: Vec<String> = (0..n)
            .map(|i| {
                let (x, y) = point(i, low + f64::from(ring) * (high - low) / 4.0);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(svg, r#"<polygon points="{}"/>"#, points.join(" "));
    }
    for i in 0..n {
        let (x, y) = point(i, high);
        let _ = write!(svg, r#"<line x1="{CENTER}" y1="{CENTER}" x2="{x:.1}" y2="{y:.1}"/>"#);
    }
    svg.push_str("</g>");
    for (i, c) in report.competencies.iter().enumerate() {
        let (x, y) = point(i, high + 0.45);
        let anchor = if (x - CENTER).abs() < 1.0 {
            "middle"
        } else if x > CENTER {
            "start"
        } else {
            "end"
        };
        let _ = write!(
            svg,
            r##"<text x="{x:.1}" y="{y:.1}" font-family="sans-serif" font-size="11" fill="#333" text-anchor="{anchor}">{}</text>"##,
            escape(&c.name)
        );
    }
    let series: [(&str, &str, Vec<Option<f64>>); 3] = [
        ("norm", "#9aa0a6", report.competencies.iter().map(|c| c.norm.shown().copied()).collect()),
        ("others", "#1a73e8", report.competencies.iter().map(|c| c.others.shown().map(|s| s.mean)).collect()),
        (
            "self",
            "#e8710a",
            report
                .competencies
                .iter()
                .map(|c| c.groups.get(&Relationship::Myself).and_then(|g| g.shown()).map(|s| s.mean))
                .collect(),
        ),
    ];
    for (name, colour, values) in &series {
        let _ = write!(svg, r#"<g class="{name}" stroke="{colour}" fill="{colour}">"#);
        if values.iter().all(Option::is_some) && !values.is_empty() {
            let points: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let (x, y) = point(i, v.unwrap_or(low));
                    format!("{x:.1},{y:.1}")
                })
                .collect();
            let _ = write!(svg, r#"<polygon points="{}" fill-opacity="0.15" stroke-width="2"/>"#, points.join(" "));
        }
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let (x, y) = point(i, *v);
                let _ = write!(svg, r#"<circle cx="{x:.1}" cy="{y:.1}" r="3"/>"#);
            }
        }
        svg.push_str("</g>");
    }
    let legend = [("Self", "#e8710a"), ("All others", "#1a73e8"), ("Norm", "#9aa0a6")];
    for (i, (label, colour)) in legend.iter().enumerate() {
        let y = SIZE - 16.0 - 16.0 * i as f64;
        let _ = write!(
            svg,
            r##"<rect x="12" y="{:.1}" width="10" height="10" fill="{colour}"/><text x="28" y="{y:.1}" font-family="sans-serif" font-size="11" fill="#333">{label}</text>"##,
            y - 9.0
        );
    }
    svg.push_str("</svg>");
    svg
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
