//! The radar chart of a growth report, as SVG a frontend embeds as it is.
//!
//! Each shown series is a closed line through its competencies. A withheld figure
//! (too few answers to keep raters anonymous) breaks the line there, it is never drawn
//! as zero, and a note says so. Labels are wrapped and placed so that they stay inside
//! the picture whatever the competencies are called. Each series has an Okabe–Ito
//! colour, its own marker and its own dash pattern. `<title>` and `<desc>` give every figure to screen
//! readers.
//!
//! Text widths are estimated (`crate::svg`); `tests/api/pictures.rs` checks the result
//! with a real renderer.

use std::fmt::Write;

use super::build::GrowthReport;
use crate::anonymity::{Cell, Relationship};
use crate::error::AppError;
use crate::svg::{
    self, BLUE, BLUISH_GREEN, Marker, ORANGE, REDDISH_PURPLE, SKY_BLUE, VERMILLION, escape, fit, text_width, wrap,
};

const WIDTH: f64 = 640.0;
const CX: f64 = WIDTH / 2.0;
const CY: f64 = 300.0;
const RADIUS: f64 = 150.0;
/// Gap between the outer ring and a label's nearest edge.
const LABEL_GAP: f64 = 14.0;
const MARGIN: f64 = 10.0;
const LABEL_SIZE: f64 = 12.0;
const LINE_HEIGHT: f64 = 14.0;
const MAX_LINES: usize = 3;
const LOW: f64 = 1.0;
const HIGH: f64 = 5.0;

/// What one series draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// The subject's own answers.
    Myself,
    /// Everyone but the subject, pooled under the anonymity rule.
    Others,
    /// The organisation's mean of "all others".
    Norm,
    /// One relationship group: manager, peers, direct reports or others.
    Group(Relationship),
}

impl Series {
    /// The series shown when none is asked for.
    pub const DEFAULT: [Series; 3] = [Series::Myself, Series::Others, Series::Norm];

    fn label(self) -> &'static str {
        match self {
            Series::Myself => "Self",
            Series::Others => "All others",
            Series::Norm => "Organisation norm",
            Series::Group(Relationship::Manager) => "Manager",
            Series::Group(Relationship::Peer) => "Peers",
            Series::Group(Relationship::DirectReport) => "Direct reports",
            Series::Group(Relationship::Other) => "Others",
            Series::Group(Relationship::Myself) => "Self",
        }
    }

    /// Colour, dash pattern (empty: solid) and marker.
    fn style(self) -> (&'static str, &'static str, Marker) {
        match self {
            Series::Myself | Series::Group(Relationship::Myself) => (VERMILLION, "", Marker::Circle),
            Series::Others => (BLUE, "", Marker::Square),
            Series::Norm => ("#444444", "6 4", Marker::None),
            Series::Group(Relationship::Manager) => (BLUISH_GREEN, "8 3 2 3", Marker::Diamond),
            Series::Group(Relationship::Peer) => (REDDISH_PURPLE, "2 3", Marker::Triangle),
            Series::Group(Relationship::DirectReport) => (ORANGE, "10 4", Marker::TriangleDown),
            Series::Group(Relationship::Other) => (SKY_BLUE, "4 2 1 2", Marker::Cross),
        }
    }

    /// A comma-separated list of series names (`self`, `others`, `norm`, `manager`,
    /// `peer`, `direct_report`, `other`), each once, in the order given; absent, the
    /// default three.
    pub fn parse_list(list: Option<&str>) -> Result<Vec<Series>, AppError> {
        let Some(list) = list else { return Ok(Series::DEFAULT.to_vec()) };
        let mut series = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let one = match name {
                "self" => Series::Myself,
                "others" => Series::Others,
                "norm" => Series::Norm,
                "manager" => Series::Group(Relationship::Manager),
                "peer" => Series::Group(Relationship::Peer),
                "direct_report" => Series::Group(Relationship::DirectReport),
                "other" => Series::Group(Relationship::Other),
                _ => {
                    return Err(AppError::bad_request(
                        "invalid_query",
                        format!(
                            "`series` names `{name}`; use self, others, norm, manager, peer, direct_report or other."
                        ),
                    ));
                }
            };
            if !series.contains(&one) {
                series.push(one);
            }
        }
        if series.is_empty() {
            return Err(AppError::bad_request("invalid_query", "`series` names no series."));
        }
        Ok(series)
    }

    /// Each competency's figure, or why there is none.
    fn values(self, report: &GrowthReport) -> Vec<Figure> {
        // A group nobody of answered is no secret: the report counts it as 0 respondents.
        let answered = |r: Relationship| !matches!(report.respondents.get(&r), None | Some(Cell::Shown(0)));
        let group = |c: &crate::reports::compute::CompetencyReport, r: Relationship| match c.groups.get(&r) {
            Some(cell) if answered(r) => cell.shown().map_or(Figure::Withheld, |s| Figure::Shown(s.mean)),
            _ => Figure::NoAnswers,
        };
        report
            .competencies
            .iter()
            .map(|c| match self {
                Series::Myself => group(c, Relationship::Myself),
                Series::Others => c.others.shown().map_or(Figure::Withheld, |s| Figure::Shown(s.mean)),
                Series::Norm => c.norm.shown().map_or(Figure::Withheld, |m| Figure::Shown(*m)),
                Series::Group(r) => group(c, r),
            })
            .collect()
    }
}

/// One point of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Figure {
    Shown(f64),
    /// The anonymity rule withholds it.
    Withheld,
    /// Nobody of the group answered.
    NoAnswers,
}

impl Figure {
    fn value(self) -> Option<f64> {
        match self {
            Figure::Shown(v) => Some(v),
            _ => None,
        }
    }
}

fn point(i: usize, n: usize, value: f64) -> (f64, f64) {
    let angle = std::f64::consts::TAU * i as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
    let r = RADIUS * ((value - LOW) / (HIGH - LOW)).clamp(0.0, 1.0);
    (CX + r * angle.cos(), CY + r * angle.sin())
}

/// Where a competency's label goes: its lines, anchor and first baseline.
fn place_label(i: usize, n: usize, name: &str) -> (Vec<String>, &'static str, f64, f64) {
    let angle = std::f64::consts::TAU * i as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
    let (cos, sin) = (angle.cos(), angle.sin());
    let r = RADIUS + LABEL_GAP;
    let (x, y) = (CX + r * cos, CY + r * sin);
    let (anchor, room) = if cos.abs() < 0.3 {
        // As wide as the neighbours' labels leave room for.
        let between = if n <= 2 { 1.0 } else { (std::f64::consts::TAU / n as f64).sin().abs() };
        let spacing = 2.0 * r * between * 0.9;
        ("middle", spacing.min(2.0 * (x.min(WIDTH - x) - MARGIN)).min(300.0))
    } else if cos > 0.0 {
        ("start", WIDTH - MARGIN - x)
    } else {
        ("end", x - MARGIN)
    };
    let lines = wrap(name, room, LABEL_SIZE, MAX_LINES);
    let height = LINE_HEIGHT * (lines.len() as f64 - 1.0);
    // The block sits above the point at the top, below it at the bottom, centred on it
    // at the sides; the baseline is about 0.75 of the size below a line's top.
    let top = if sin < -0.3 {
        y - height - LABEL_SIZE
    } else if sin > 0.3 {
        y
    } else {
        y - (height + LABEL_SIZE) / 2.0
    };
    (lines, anchor, x, top + 0.8 * LABEL_SIZE)
}

/// The radar of `report`'s competencies for the given series, on the 1–5 scale.
pub fn radar_svg(report: &GrowthReport, series: &[Series]) -> String {
    let n = report.competencies.len().max(1);
    let drawn: Vec<(Series, Vec<Figure>)> = series.iter().map(|s| (*s, s.values(report))).collect();
    let withheld = drawn.iter().any(|(_, v)| v.contains(&Figure::Withheld));

    // The legend, in rows, below the radar.
    let mut legend = Vec::new();
    let (mut lx, mut ly) = (MARGIN, CY + RADIUS + LABEL_GAP + LINE_HEIGHT * MAX_LINES as f64 + 30.0);
    for (s, _) in &drawn {
        let w = 30.0 + text_width(s.label(), LABEL_SIZE) + 18.0;
        if lx + w > WIDTH - MARGIN {
            lx = MARGIN;
            ly += 20.0;
        }
        legend.push((*s, lx, ly));
        lx += w;
    }
    let note_y = ly + 22.0;
    let height = if withheld { note_y + 12.0 } else { ly + 16.0 };

    let title = format!("Competency radar: {}, {}", report.subject_name, report.cycle_name);
    let mut desc = format!("Scale {LOW} to {HIGH}.");
    for (i, c) in report.competencies.iter().enumerate() {
        let figures: Vec<String> = drawn
            .iter()
            .map(|(s, v)| match v[i] {
                Figure::Shown(value) => format!("{} {value:.1}", s.label().to_lowercase()),
                Figure::Withheld => format!("{} withheld (too few answers)", s.label().to_lowercase()),
                Figure::NoAnswers => format!("{} no answers", s.label().to_lowercase()),
            })
            .collect();
        let _ = write!(desc, " {}: {}.", c.name, figures.join(", "));
    }

    let mut svg = String::new();
    svg::open(&mut svg, "radar", WIDTH, height, &title, &desc, &report.subject_name, &report.cycle_name);

    // Rings and spokes, then the scale's values up the first spoke.
    svg.push_str(r##"<g fill="none" stroke="#c8ccd4" stroke-width="1">"##);
    for ring in 1..=4 {
        let value = LOW + f64::from(ring) * (HIGH - LOW) / 4.0;
        let points: Vec<String> = (0..n)
            .map(|i| {
                let (x, y) = point(i, n, value);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(svg, r#"<polygon points="{}"/>"#, points.join(" "));
    }
    for i in 0..n {
        let (x, y) = point(i, n, HIGH);
        let _ = write!(svg, r#"<line x1="{CX}" y1="{CY}" x2="{x:.1}" y2="{y:.1}"/>"#);
    }
    svg.push_str("</g>");
    svg.push_str(r##"<g font-size="11" fill="#555">"##);
    for value in 1..=5 {
        let (_, y) = point(0, n, f64::from(value));
        let _ = write!(svg, r#"<text x="{:.1}" y="{:.1}">{value}</text>"#, CX + 5.0, y + 12.0);
    }
    svg.push_str("</g>");

    if report.competencies.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{CX}" y="{:.1}" font-size="{LABEL_SIZE}" fill="#555" text-anchor="middle">No competency to show.</text>"##,
            CY - RADIUS - 30.0
        );
    }
    for (i, c) in report.competencies.iter().enumerate() {
        let (lines, anchor, x, baseline) = place_label(i, n, &c.name);
        let _ = write!(svg, r##"<text font-size="{LABEL_SIZE}" fill="#222" text-anchor="{anchor}">"##);
        for (k, line) in lines.iter().enumerate() {
            let _ = write!(
                svg,
                r#"<tspan x="{x:.1}" y="{:.1}">{}</tspan>"#,
                baseline + LINE_HEIGHT * k as f64,
                escape(line)
            );
        }
        svg.push_str("</text>");
    }

    for (s, figures) in &drawn {
        let values: Vec<Option<f64>> = figures.iter().map(|f| f.value()).collect();
        let (colour, dash, kind) = s.style();
        let dash_attr = if dash.is_empty() { String::new() } else { format!(r#" stroke-dasharray="{dash}""#) };
        let _ = write!(svg, r#"<g stroke="{colour}" fill="{colour}">"#);
        if !values.is_empty() && values.iter().all(Option::is_some) {
            let points: Vec<String> = (0..n)
                .filter_map(|i| values.get(i).copied().flatten().map(|v| point(i, n, v)))
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = write!(
                svg,
                r#"<polygon points="{}" fill-opacity="0.08" stroke-width="2"{dash_attr}/>"#,
                points.join(" ")
            );
        } else {
            // Segments between neighbours that are both shown: a withheld figure is a gap.
            for i in 0..values.len() {
                let j = (i + 1) % values.len();
                if let (Some(a), Some(b)) = (values[i], values[j])
                    && values.len() > 1
                {
                    let ((x1, y1), (x2, y2)) = (point(i, n, a), point(j, n, b));
                    let _ = write!(
                        svg,
                        r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke-width="2"{dash_attr}/>"#
                    );
                }
            }
        }
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let (x, y) = point(i, n, *v);
                svg::marker(&mut svg, kind, x, y);
            }
        }
        svg.push_str("</g>");
    }

    for (s, x, y) in &legend {
        let (colour, dash, kind) = s.style();
        let dash_attr = if dash.is_empty() { String::new() } else { format!(r#" stroke-dasharray="{dash}""#) };
        let _ = write!(
            svg,
            r#"<g stroke="{colour}" fill="{colour}"><line x1="{x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke-width="2"{dash_attr}/>"#,
            y - 4.0,
            x + 24.0,
            y - 4.0
        );
        svg::marker(&mut svg, kind, x + 12.0, y - 4.0);
        let _ = write!(
            svg,
            r##"</g><text x="{:.1}" y="{y:.1}" font-size="{LABEL_SIZE}" fill="#222">{}</text>"##,
            x + 30.0,
            s.label()
        );
    }
    if withheld {
        let _ = write!(
            svg,
            r##"<text x="{MARGIN}" y="{note_y:.1}" font-size="11" fill="#555">{}</text>"##,
            escape(&fit(
                "A break in a line: that figure is withheld (too few answers to keep raters anonymous), not zero.",
                WIDTH - 2.0 * MARGIN,
                11.0
            ))
        );
    }
    svg.push_str("</svg>");
    svg
}
