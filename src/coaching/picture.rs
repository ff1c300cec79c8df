//! A leader's growth over cycles as SVG: one small chart per competency, with a point
//! per cycle the caller may see. A significant change is marked by its own shape: a
//! triangle up for a rise, down for a fall. The goals set on the competency sit on the
//! time axis. A withheld figure is a gap, and `<title>` and `<desc>` give every figure.
//! The x positions are shared by every chart, so the cycles line up down the page.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::growth::{GrowthResponse, growth};
use crate::anonymity::Cell;
use crate::auth::principal::Principal;
use crate::db::DbPool;
use crate::error::AppError;
use crate::svg::{self, BLUE, BLUISH_GREEN, Marker, ORANGE, VERMILLION, escape, fit, text_width};

const WIDTH: f64 = 640.0;
const MARGIN: f64 = 10.0;
const PANEL_W: f64 = 305.0;
const PANEL_H: f64 = 150.0;
const GUTTER: f64 = 10.0;
const TOP: f64 = 62.0;
const LOW: f64 = 1.0;
const HIGH: f64 = 5.0;

/// The person's growth, as the JSON route shows it, drawn; the same access.
pub async fn growth_svg(db: &DbPool, principal: Principal, person_id: String) -> Result<String, AppError> {
    let (name, found) = growth(db, principal, person_id).await?;
    Ok(draw(&name, &found))
}

fn draw(name: &str, growth: &GrowthResponse) -> String {
    // Every cycle shown in any chart, oldest first.
    let mut cycles: Vec<(DateTime<Utc>, String, String)> = growth
        .competencies
        .iter()
        .flat_map(|c| c.points.iter().map(|p| (p.at, p.cycle_id.clone(), p.cycle_name.clone())))
        .collect();
    cycles.sort();
    cycles.dedup();
    let panels = growth.competencies.len().max(1);
    let rows = panels.div_ceil(2);
    let legend_y = TOP + rows as f64 * (PANEL_H + GUTTER) + 16.0;
    let height = legend_y + 40.0;

    let mut desc = format!("The mean of all others' ratings, {LOW} to {HIGH}, in each cycle.");
    for c in &growth.competencies {
        let points: Vec<String> = c
            .points
            .iter()
            .map(|p| match (&p.others_mean, &p.change) {
                (Cell::Shown(m), Some(ch)) if ch.significant => {
                    let way = if ch.delta > 0.0 { "rise" } else { "fall" };
                    format!("{} {m:.1}, a significant {way} of {:.1}", p.cycle_name, ch.delta.abs())
                }
                (Cell::Shown(m), _) => format!("{} {m:.1}", p.cycle_name),
                (Cell::Suppressed(_), _) => format!("{} withheld", p.cycle_name),
            })
            .collect();
        let goals: Vec<String> =
            c.goals.iter().map(|g| format!("goal \"{}\" set {}", g.title, g.created_at.format("%Y-%m-%d"))).collect();
        let _ =
            write!(desc, " {}: {}.", c.name, if points.is_empty() { "no cycle yet".into() } else { points.join("; ") });
        if !goals.is_empty() {
            let _ = write!(desc, " {}.", goals.join("; "));
        }
    }

    let mut svg = String::new();
    let title = format!("Growth over cycles: {name}");
    let subheading = "Growth over cycles: all others' mean per competency";
    svg::open(&mut svg, "growth", WIDTH, height, &title, &desc, name, subheading);

    if growth.competencies.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{MARGIN}" y="{:.1}" font-size="12" fill="#555">No cycle with figures to show yet.</text>"##,
            TOP + 20.0
        );
    }
    for (k, c) in growth.competencies.iter().enumerate() {
        let left = MARGIN + (k % 2) as f64 * (PANEL_W + GUTTER);
        let top = TOP + (k / 2) as f64 * (PANEL_H + GUTTER);
        // The cycles span x0 to x1; the strip to the right of x1 holds the goals set since
        // the latest cycle.
        let (x0, x1, later) = (left + 24.0, left + PANEL_W - 40.0, left + PANEL_W - 18.0);
        let (y_high, y_low) = (top + 32.0, top + PANEL_H - 30.0);
        let x_of = |i: usize| {
            if cycles.len() <= 1 { (x0 + x1) / 2.0 } else { x0 + (x1 - x0) * i as f64 / (cycles.len() - 1) as f64 }
        };
        let y_of = |v: f64| y_low - (y_low - y_high) * ((v - LOW) / (HIGH - LOW)).clamp(0.0, 1.0);
        let _ = write!(
            svg,
            r##"<rect x="{left:.1}" y="{top:.1}" width="{PANEL_W}" height="{PANEL_H}" fill="#fafbfc" stroke="#e1e4e8"/><text x="{:.1}" y="{:.1}" font-size="12" font-weight="bold" fill="#222">{}</text>"##,
            left + 8.0,
            top + 16.0,
            escape(&fit(&c.name, PANEL_W - 16.0, 12.0 * 1.08))
        );
        // The scale: 1, 3 and 5, with their guide lines.
        for value in [1.0, 3.0, 5.0] {
            let y = y_of(value);
            let _ = write!(
                svg,
                r##"<line x1="{x0:.1}" y1="{y:.1}" x2="{x1:.1}" y2="{y:.1}" stroke="#d8dce2"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#555">{value}</text>"##,
                left + 6.0,
                y + 4.0
            );
        }
        // The cycles under the axis: every one when they fit, else the first and last.
        let labels: Vec<usize> =
            if cycles.len() <= 4 { (0..cycles.len()).collect() } else { vec![0, cycles.len() - 1] };
        for i in labels {
            let label = cycles[i].0.format("%Y-%m").to_string();
            let anchor = if cycles.len() > 1 && i == 0 {
                "start"
            } else if cycles.len() > 1 && i == cycles.len() - 1 {
                "end"
            } else {
                "middle"
            };
            let x = match anchor {
                "start" => x_of(i) - 4.0,
                "end" => x_of(i) + 4.0,
                _ => x_of(i),
            };
            let _ = write!(
                svg,
                r##"<text x="{x:.1}" y="{:.1}" font-size="11" fill="#555" text-anchor="{anchor}">{label}</text>"##,
                y_low + 24.0
            );
        }
        // Goals on the time axis, between the cycles around the day each was set.
        for goal in &c.goals {
            let x = position(&cycles, goal.created_at, &x_of).unwrap_or(later);
            dot(&mut svg, ORANGE, Marker::Diamond, x, y_low + 8.0);
        }
        // The line, broken where a figure is withheld, then the points.
        let shown: Vec<Option<(f64, f64)>> = c
            .points
            .iter()
            .map(|p| {
                let i = cycles.iter().position(|(_, id, _)| *id == p.cycle_id).unwrap_or(0);
                p.others_mean.shown().map(|m| (x_of(i), y_of(*m)))
            })
            .collect();
        for pair in shown.windows(2) {
            if let [Some((xa, ya)), Some((xb, yb))] = pair {
                let _ = write!(
                    svg,
                    r#"<line x1="{xa:.1}" y1="{ya:.1}" x2="{xb:.1}" y2="{yb:.1}" stroke="{BLUE}" stroke-width="2"/>"#
                );
            }
        }
        for (p, at) in c.points.iter().zip(&shown) {
            let Some((x, y)) = at else { continue };
            let (colour, shape) = match &p.change {
                Some(ch) if ch.significant && ch.delta > 0.0 => (BLUISH_GREEN, Marker::Triangle),
                Some(ch) if ch.significant => (VERMILLION, Marker::TriangleDown),
                _ => (BLUE, Marker::Circle),
            };
            dot(&mut svg, colour, shape, *x, *y);
        }
    }

    // The legend: one row of shapes, then what a gap means.
    let items = [
        (Marker::Circle, BLUE, "all others' mean"),
        (Marker::Triangle, BLUISH_GREEN, "significant rise"),
        (Marker::TriangleDown, VERMILLION, "significant fall"),
        (Marker::Diamond, ORANGE, "goal set"),
    ];
    let mut x = MARGIN;
    for (shape, colour, label) in items {
        dot(&mut svg, colour, shape, x + 6.0, legend_y - 4.0);
        let _ =
            write!(svg, r##"<text x="{:.1}" y="{legend_y:.1}" font-size="12" fill="#222">{label}</text>"##, x + 16.0);
        x += 16.0 + text_width(label, 12.0) + 20.0;
    }
    let _ = write!(
        svg,
        r##"<text x="{MARGIN}" y="{:.1}" font-size="11" fill="#555">{}</text>"##,
        legend_y + 22.0,
        escape(&fit(
            "A break in a line: that cycle's figure is withheld (too few answers to keep raters anonymous).",
            WIDTH - 2.0 * MARGIN,
            11.0
        ))
    );
    svg.push_str("</svg>");
    svg
}

/// One point in one colour.
fn dot(svg: &mut String, colour: &str, shape: Marker, x: f64, y: f64) {
    let _ = write!(svg, r#"<g fill="{colour}" stroke="{colour}">"#);
    svg::marker(svg, shape, x, y);
    svg.push_str("</g>");
}

/// Where a moment falls on the shared time axis: between the two cycles around it, in
/// proportion to the days (the cycles themselves are evenly spaced), at the first cycle
/// if it came before it; `None` after the latest cycle began.
fn position(cycles: &[(DateTime<Utc>, String, String)], at: DateTime<Utc>, x_of: &dyn Fn(usize) -> f64) -> Option<f64> {
    match cycles.iter().position(|(t, _, _)| *t > at) {
        None => None,
        Some(0) => Some(x_of(0)),
        Some(next) => {
            let (a, b) = (cycles[next - 1].0, cycles[next].0);
            let share = (at - a).num_seconds() as f64 / (b - a).num_seconds().max(1) as f64;
            Some(x_of(next - 1) + (x_of(next) - x_of(next - 1)) * share)
        }
    }
}
