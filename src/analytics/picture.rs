//! The heatmap as SVG: competencies down, the organisation then each department across.
//! Each cell is coloured on a sequential blue scale (ColorBrewer's Blues, readable with
//! the common colour-vision deficiencies) and shows its mean and how many leaders are
//! behind it. A withheld cell is hatched and labelled, and `<title>` and `<desc>` give
//! every figure.

use std::collections::HashMap;
use std::fmt::Write;

use super::read::HeatmapResponse;
use super::views::{Figures, HeatmapCell, Level, too_few};
use crate::anonymity::Cell;
use crate::frameworks::VersionResponse;
use crate::svg::{self, escape, fit, text_width, wrap};

const MARGIN: f64 = 10.0;
const LEFT: f64 = 220.0;
const COLUMN: f64 = 104.0;
const ROW: f64 = 44.0;
const SIZE: f64 = 12.0;
const LINE: f64 = 14.0;
const HEADER_LINES: usize = 3;
const LOW: f64 = 1.0;
const HIGH: f64 = 5.0;
/// Blues from ColorBrewer, light to dark.
const SCALE: [(u8, u8, u8); 6] = [
    (0xef, 0xf3, 0xff),
    (0xc6, 0xdb, 0xef),
    (0x9e, 0xca, 0xe1),
    (0x6b, 0xae, 0xd6),
    (0x31, 0x82, 0xbd),
    (0x08, 0x51, 0x9c),
];

/// The colour of a mean, and whether text on it should be light.
fn colour(mean: f64) -> (String, bool) {
    let t = ((mean - LOW) / (HIGH - LOW)).clamp(0.0, 1.0) * (SCALE.len() - 1) as f64;
    let (i, f) = ((t.floor() as usize).min(SCALE.len() - 2), t - t.floor().min((SCALE.len() - 2) as f64));
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (SCALE[i], SCALE[i + 1]);
    let (r, g, bl) = (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2));
    (format!("#{r:02x}{g:02x}{bl:02x}"), t > 3.0)
}

/// What a cell shows.
enum Shown<'a> {
    Figures(&'a Figures),
    /// Under the organisation's minimum of leaders.
    Withheld,
    /// Nobody answered there.
    Nothing,
}

fn shown<'a>(cell: Option<&&'a Cell<Figures>>, min_cell: i64) -> Shown<'a> {
    match cell {
        Some(Cell::Shown(f)) => Shown::Figures(f),
        Some(Cell::Suppressed(s)) if s.reason == too_few(min_cell) => Shown::Withheld,
        _ => Shown::Nothing,
    }
}

fn column_name(department: Option<&str>) -> &str {
    department.unwrap_or("No department")
}

/// The competency × department heatmap of a closed cycle (`by=department`).
pub fn heatmap_svg(version: &VersionResponse, view: &HeatmapResponse) -> String {
    let mut columns: Vec<Option<&str>> = Vec::new();
    let mut cells: HashMap<(&str, usize), &Cell<Figures>> = HashMap::new();
    for cell in &view.cells {
        let HeatmapCell { level, department, competency_key, figures, .. } = cell;
        let column = match level {
            Level::Organisation => 0,
            Level::Department => {
                let name = department.as_deref();
                match columns.iter().position(|c| *c == name) {
                    Some(i) => i + 1,
                    None => {
                        columns.push(name);
                        columns.len()
                    }
                }
            }
        };
        cells.insert((competency_key.as_str(), column), figures);
    }
    let headers: Vec<String> =
        std::iter::once("Organisation").chain(columns.iter().map(|c| column_name(*c))).map(str::to_string).collect();
    let width = LEFT + COLUMN * headers.len() as f64 + MARGIN;
    let grid_top = 64.0 + LINE * HEADER_LINES as f64 + 8.0;
    let grid_bottom = grid_top + ROW * version.competencies.len() as f64;
    let legend_y = grid_bottom + 30.0;
    // What hatching means: beside the scale, or under it where the picture is narrow.
    let note = format!("withheld: fewer than {} leaders behind it", view.min_cell);
    let beside = MARGIN + 200.0 + 24.0;
    let (swatch_x, swatch_y) = if beside + 30.0 + text_width(&note, 11.0) + MARGIN <= width {
        (beside, legend_y)
    } else {
        (MARGIN, legend_y + 34.0)
    };
    let height = swatch_y + 44.0;

    let mut desc = format!("Mean rating of all others, {LOW} to {HIGH}, and the leaders behind it.");
    for competency in &version.competencies {
        let figures: Vec<String> = headers
            .iter()
            .enumerate()
            .map(|(i, name)| match shown(cells.get(&(competency.key.as_str(), i)), view.min_cell) {
                Shown::Figures(f) => format!("{name} {:.1} ({} leaders)", f.mean, f.leaders),
                Shown::Withheld => format!("{name} withheld"),
                Shown::Nothing => format!("{name} no answers"),
            })
            .collect();
        let _ = write!(desc, " {}: {}.", competency.name, figures.join(", "));
    }

    let mut svg = String::new();
    let title = format!("Heatmap: {}", view.cycle_name);
    let subheading = "All others' mean per competency and department";
    svg::open(&mut svg, "heatmap", width, height, &title, &desc, &view.cycle_name, subheading);
    svg.push_str(
        r##"<defs><pattern id="withheld" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="8" stroke="#9a9a9a" stroke-width="3"/></pattern></defs>"##,
    );

    // Column headers, wrapped and centred above their column, the last line just over it.
    for (i, name) in headers.iter().enumerate() {
        let x = LEFT + COLUMN * (i as f64 + 0.5);
        let lines = wrap(name, COLUMN - 8.0, SIZE, HEADER_LINES);
        let first = grid_top - 8.0 - LINE * (lines.len() as f64 - 1.0) - 3.0;
        let weight = if i == 0 { r#" font-weight="bold""# } else { "" };
        let _ = write!(svg, r##"<text font-size="{SIZE}" fill="#222" text-anchor="middle"{weight}>"##);
        for (k, line) in lines.iter().enumerate() {
            let _ = write!(svg, r#"<tspan x="{x:.1}" y="{:.1}">{}</tspan>"#, first + LINE * k as f64, escape(line));
        }
        svg.push_str("</text>");
    }

    for (row, competency) in version.competencies.iter().enumerate() {
        let top = grid_top + ROW * row as f64;
        let lines = wrap(&competency.name, LEFT - MARGIN - 10.0, SIZE, 2);
        let first = top + ROW / 2.0 - LINE * (lines.len() as f64 - 1.0) / 2.0 + 4.0;
        let _ = write!(svg, r##"<text font-size="{SIZE}" fill="#222">"##);
        for (k, line) in lines.iter().enumerate() {
            let _ = write!(svg, r#"<tspan x="{MARGIN}" y="{:.1}">{}</tspan>"#, first + LINE * k as f64, escape(line));
        }
        svg.push_str("</text>");
        for column in 0..headers.len() {
            let left = LEFT + COLUMN * column as f64;
            let (cx, cy) = (left + COLUMN / 2.0, top + ROW / 2.0);
            let _ = match shown(cells.get(&(competency.key.as_str(), column)), view.min_cell) {
                Shown::Figures(f) => {
                    let (fill, light) = colour(f.mean);
                    let ink = if light { "#ffffff" } else { "#111111" };
                    write!(
                        svg,
                        r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}" stroke="#ffffff" stroke-width="2"/><text x="{cx:.1}" y="{:.1}" font-size="13" font-weight="bold" fill="{ink}" text-anchor="middle">{:.1}</text><text x="{cx:.1}" y="{:.1}" font-size="11" fill="{ink}" text-anchor="middle">{} leaders</text>"##,
                        left,
                        top,
                        COLUMN,
                        ROW,
                        cy - 2.0,
                        f.mean,
                        cy + 13.0,
                        f.leaders
                    )
                }
                Shown::Withheld => write!(
                    svg,
                    r##"<rect x="{left:.1}" y="{top:.1}" width="{COLUMN:.1}" height="{ROW:.1}" fill="url(#withheld)" stroke="#ffffff" stroke-width="2"/><text x="{cx:.1}" y="{:.1}" font-size="11" fill="#222" text-anchor="middle">withheld</text>"##,
                    cy + 4.0
                ),
                Shown::Nothing => write!(
                    svg,
                    r##"<rect x="{left:.1}" y="{top:.1}" width="{COLUMN:.1}" height="{ROW:.1}" fill="#fafafa" stroke="#ffffff" stroke-width="2"/><text x="{cx:.1}" y="{:.1}" font-size="11" fill="#555" text-anchor="middle">no answers</text>"##,
                    cy + 4.0
                ),
            };
        }
    }

    // The scale, then what hatching means.
    let bar = 200.0;
    svg.push_str(r#"<defs><linearGradient id="scale">"#);
    for (i, (r, g, b)) in SCALE.iter().enumerate() {
        let _ = write!(
            svg,
            r##"<stop offset="{:.2}" stop-color="#{r:02x}{g:02x}{b:02x}"/>"##,
            i as f64 / (SCALE.len() - 1) as f64
        );
    }
    svg.push_str("</linearGradient></defs>");
    let _ = write!(
        svg,
        r##"<rect x="{MARGIN}" y="{:.1}" width="{bar}" height="12" fill="url(#scale)" stroke="#999"/>"##,
        legend_y - 12.0
    );
    for value in 1..=5 {
        let x = MARGIN + bar * (f64::from(value) - LOW) / (HIGH - LOW);
        let anchor = match value {
            1 => "start",
            5 => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            r##"<text x="{x:.1}" y="{:.1}" font-size="11" fill="#333" text-anchor="{anchor}">{value}</text>"##,
            legend_y + 14.0
        );
    }
    let _ = write!(
        svg,
        r##"<rect x="{swatch_x:.1}" y="{:.1}" width="24" height="12" fill="url(#withheld)" stroke="#999"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#333">{}</text>"##,
        swatch_y - 12.0,
        swatch_x + 30.0,
        swatch_y - 2.0,
        escape(&fit(&note, width - swatch_x - 30.0 - MARGIN, 11.0))
    );
    svg.push_str("</svg>");
    svg
}
