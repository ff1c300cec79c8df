//! What the SVG pictures share: escaping, and text laid out without a font at hand.
//! Widths are estimated from character classes, generously for DejaVu Sans and Arial;
//! `tests/api/pictures.rs` renders the pictures with a real font and checks the result.

/// The Okabe–Ito colours, which stay apart for the common colour-vision deficiencies.
pub const VERMILLION: &str = "#D55E00";
pub const BLUE: &str = "#0072B2";
pub const BLUISH_GREEN: &str = "#009E73";
pub const REDDISH_PURPLE: &str = "#CC79A7";
pub const ORANGE: &str = "#E69F00";
pub const SKY_BLUE: &str = "#56B4E9";

use std::fmt::Write as _;

/// The font the pictures ask for, then its stand-ins.
pub const FONT_FAMILY: &str = "DejaVu Sans, Verdana, Arial, sans-serif";

pub fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            // XML 1.0 allows no other control character, not even as a reference.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// A generous estimate of a text's width in pixels at `size`.
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | '\'' | '|' | '!' | ':' | ';' | 'I' | 'f' | 't' | 'r' => 0.42,
            ' ' => 0.34,
            'm' | 'w' | 'M' | 'W' | '@' | '%' | '—' | '…' => 1.0,
            c if c.is_ascii_uppercase() => 0.80,
            c if c.is_ascii() => 0.66,
            // Latin, Greek and Cyrillic letters beyond ASCII; anything wider (CJK, symbols)
            // counts as a full em.
            c if (c as u32) < 0x0530 => 0.80,
            _ => 1.0,
        })
        .sum::<f64>()
        * size
}

/// Words into lines no wider than `width`; a word too long for a line is cut, and a
/// text that needs more than `max_lines` ends in an ellipsis.
pub fn wrap(text: &str, width: f64, size: f64, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if text_width(&candidate, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word.to_string();
        while text_width(&rest, size) > width {
            let mut cut = String::new();
            for c in rest.chars() {
                if text_width(&format!("{cut}{c}-"), size) > width {
                    break;
                }
                cut.push(c);
            }
            if cut.is_empty() {
                break;
            }
            rest = rest[cut.len()..].to_string();
            lines.push(format!("{cut}-"));
        }
        line = rest;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = &mut lines[max_lines - 1];
        while !last.is_empty() && text_width(&format!("{last}…"), size) > width {
            last.pop();
        }
        last.push('…');
    }
    lines
}

/// One line of text, cut with an ellipsis to fit `width`.
pub fn fit(text: &str, width: f64, size: f64) -> String {
    if text_width(text, size) <= width {
        return text.to_string();
    }
    let mut cut: String = text.to_string();
    while !cut.is_empty() && text_width(&format!("{cut}…"), size) > width {
        cut.pop();
    }
    format!("{}…", cut.trim_end())
}

/// Opens a picture: the root element, its `<title>` and `<desc>` (named `{id}-title` and
/// `{id}-desc` for screen readers), a white ground, and a heading with a line under it,
/// each cut to the width.
#[allow(clippy::too_many_arguments)]
pub fn open(
    svg: &mut String,
    id: &str,
    width: f64,
    height: f64,
    title: &str,
    desc: &str,
    heading: &str,
    subheading: &str,
) {
    const MARGIN: f64 = 10.0;
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="{FONT_FAMILY}"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc><rect width="100%" height="100%" fill="#ffffff"/>"##,
        escape(title),
        escape(desc)
    );
    let _ = write!(
        svg,
        r##"<text x="{MARGIN}" y="26" font-size="16" font-weight="bold" fill="#222">{}</text><text x="{MARGIN}" y="46" font-size="12" fill="#555">{}</text>"##,
        escape(&fit(heading, width - 2.0 * MARGIN, 16.0 * 1.08)),
        escape(&fit(subheading, width - 2.0 * MARGIN, 12.0))
    );
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// The shape a point is drawn as, in the fill (and stroke) of its group.
pub enum Marker {
    None,
    Circle,
    Square,
    Diamond,
    Triangle,
    TriangleDown,
    Cross,
}

/// Draws a point at (`x`, `y`).
pub fn marker(svg: &mut String, kind: Marker, x: f64, y: f64) {
    let _ = match kind {
        Marker::None => Ok(()),
        Marker::Circle => write!(svg, r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5"/>"#),
        Marker::Square => write!(svg, r#"<rect x="{:.1}" y="{:.1}" width="7" height="7"/>"#, x - 3.5, y - 3.5),
        Marker::Diamond => {
            write!(
                svg,
                r#"<path d="M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z"/>"#,
                y - 4.5,
                x + 4.5,
                y + 4.5,
                x - 4.5
            )
        }
        Marker::Triangle => {
            write!(
                svg,
                r#"<path d="M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z"/>"#,
                y - 4.5,
                x + 4.0,
                y + 3.5,
                x - 4.0,
                y + 3.5
            )
        }
        Marker::TriangleDown => write!(
            svg,
            r#"<path d="M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z"/>"#,
            y + 4.5,
            x + 4.0,
            y - 3.5,
            x - 4.0,
            y - 3.5
        ),
        Marker::Cross => write!(
            svg,
            r#"<path d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke-width="2" fill="none"/>"#,
            x - 4.0,
            y - 4.0,
            x + 4.0,
            y + 4.0,
            x - 4.0,
            y + 4.0,
            x + 4.0,
            y - 4.0
        ),
    };
}
