//! Self-contained HTML: statements as tables, the annual report as one page
//! with inline SVG charts and print styling. No scripts, no external files:
//! a board member can open it in any browser or print it.

use std::fmt::Write as _;

use crate::money::Decimal;
use crate::render::grouped;
use crate::reports::annual::AnnualReport;
use crate::reports::statement::{Cell, RowKind, Statement};

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = r#"
:root { --ink: #1d2733; --muted: #5b6773; --rule: #c9d1d9; --accent: #2f6f8f; --bad: #b03a2e; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans", "Hiragino Sans", "Yu Gothic", "Segoe UI", Arial, sans-serif; color: var(--ink);
       max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid var(--accent); padding-bottom: 0.2rem; margin-top: 2.5rem; }
h3 { font-size: 1.05rem; margin: 1.8rem 0 0.2rem; }
.subtitle { color: var(--muted); margin: 0 0 0.6rem; font-size: 0.9rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; margin: 0.4rem 0 0.6rem; }
th { text-align: right; font-weight: 600; border-bottom: 1px solid var(--ink); padding: 0.25rem 0.5rem; vertical-align: bottom; }
th:first-child { text-align: left; }
td { padding: 0.18rem 0.5rem; text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td:first-child { text-align: left; white-space: normal; }
tr.heading td { font-weight: 600; padding-top: 0.6rem; }
tr.subtotal td { border-top: 1px solid var(--rule); font-weight: 600; }
tr.total td { border-top: 1px solid var(--ink); border-bottom: 3px double var(--ink); font-weight: 700; }
td.negative { color: var(--bad); }
table.wide { font-size: 0.72rem; } table.wide td, table.wide th { padding-left: 0.3rem; padding-right: 0.3rem; }
table.wide td:first-child { min-width: 9rem; }
.note { color: var(--muted); font-size: 0.82rem; margin: 0.2rem 0; }
.charts { display: grid; grid-template-columns: 1fr; gap: 1.2rem; }
figure { margin: 0; } figcaption { font-size: 0.85rem; color: var(--muted); }
.keyfigures { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
.keyfigure { border: 1px solid var(--rule); border-radius: 6px; padding: 0.6rem 0.9rem; min-width: 12rem; }
.keyfigure b { display: block; font-size: 1.25rem; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-before: always; } h2:first-of-type { page-break-before: avoid; }
  table, figure { page-break-inside: avoid; } }
"#;

fn cell_html(cell: &Cell, heading: bool) -> String {
    match cell {
        _ if heading => "<td></td>".to_string(),
        Cell::Amount(a) if a.is_sign_negative() && !a.is_zero() => {
            format!("<td class=\"negative\">{}</td>", escape(&grouped(*a)))
        }
        Cell::Amount(a) => format!("<td>{}</td>", escape(&grouped(*a))),
        Cell::Text(t) => format!("<td>{}</td>", escape(t)),
        Cell::Empty => "<td></td>".to_string(),
    }
}

/// A statement as an HTML section (heading, table, notes).
pub fn statement(s: &Statement) -> String {
    let mut out = format!(
        "<section id=\"{}\">\n<h3>{}</h3>\n<p class=\"subtitle\">{}",
        escape(&s.id),
        escape(&s.title),
        escape(&s.subtitle)
    );
    if !s.unit.is_empty() {
        let _ = write!(out, " · {}", escape(&s.unit_phrase()));
    }
    if s.rows.is_empty() && s.columns.is_empty() {
        // A note of text only: its paragraphs.
        out.push_str("</p>\n");
        for note in &s.notes {
            let _ = writeln!(out, "<p>{}</p>", escape(note));
        }
        out.push_str("</section>\n");
        return out;
    }
    // Tables of many columns (expenses by nature and function) set smaller
    // so that they fit the page.
    out.push_str(if s.columns.len() > 6 {
        "</p>\n<table class=\"wide\">\n<thead><tr>"
    } else {
        "</p>\n<table>\n<thead><tr>"
    });
    let _ = write!(out, "<th>{}</th>", escape(&s.label_header));
    for c in &s.columns {
        let _ = write!(out, "<th>{}</th>", escape(c));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &s.rows {
        let class = match r.kind {
            RowKind::Heading => "heading",
            RowKind::Line => "line",
            RowKind::Subtotal => "subtotal",
            RowKind::Total => "total",
        };
        let _ = write!(
            out,
            "<tr class=\"{class}\"><td style=\"padding-left:{:.1}rem\">{}</td>",
            0.5 + 1.1 * f64::from(r.level),
            escape(&r.label)
        );
        for c in &r.cells {
            out.push_str(&cell_html(c, r.kind == RowKind::Heading));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    for note in &s.notes {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(note));
    }
    out.push_str("</section>\n");
    out
}

/// A whole page around `body`.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// A coordinate for SVG. Chart geometry is display only: it converts
/// amounts to pixels through `f64`, never back into money.
fn px(value: Decimal) -> f64 {
    value.to_string().parse::<f64>().unwrap_or(0.0)
}

/// Monthly bars against a dashed target line.
pub fn bar_chart(title: &str, unit: &str, months: &[(String, Decimal)], target: Decimal) -> String {
    let (width, height, left, bottom, top) = (720.0, 260.0, 60.0, 40.0, 20.0);
    let max = months
        .iter()
        .map(|(_, v)| px(*v))
        .fold(px(target), f64::max)
        .max(1.0)
        * 1.15;
    let plot_height = height - bottom - top;
    let y = |v: f64| top + plot_height - v / max * plot_height;
    let slot = (width - left - 10.0) / months.len().max(1) as f64;
    let mut svg = format!("<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\n", escape(title));
    for k in 0..=4 {
        let v = max / 1.15 * f64::from(k) / 4.0;
        let _ = writeln!(svg, "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e3e8ee\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6773\">{:.0}</text>", width - 10.0, y(v), y(v), left - 6.0, y(v) + 4.0, v);
    }
    for (i, (label, value)) in months.iter().enumerate() {
        let x = left + slot * i as f64 + slot * 0.15;
        let v = px(*value);
        let colour = if *value >= target {
            "#2f6f8f"
        } else {
            "#d08c2f"
        };
        let _ = writeln!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {} {}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#5b6773\">{}</text>",
            y(v),
            slot * 0.7,
            (y(0.0) - y(v)).max(0.0),
            escape(label),
            grouped(*value),
            escape(unit),
            x + slot * 0.35,
            height - bottom + 14.0,
            escape(label)
        );
    }
    let _ = writeln!(
        svg,
        "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#b03a2e\" stroke-dasharray=\"6 4\" stroke-width=\"2\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#b03a2e\">target {} {}</text>",
        width - 10.0,
        y(px(target)),
        y(px(target)),
        width - 12.0,
        y(px(target)) - 5.0,
        grouped(target),
        escape(unit)
    );
    svg.push_str("</svg>\n");
    format!(
        "<figure>{svg}<figcaption>{}</figcaption></figure>\n",
        escape(title)
    )
}

const PALETTE: [&str; 8] = [
    "#2f6f8f", "#d08c2f", "#5a9b4b", "#b03a2e", "#7b5ea7", "#3c9d9b", "#8c6d46", "#5b6773",
];

/// Lines through the months, one per series, with a legend.
pub fn line_chart(
    title: &str,
    unit: &str,
    months: &[String],
    series: &[(String, Vec<Decimal>)],
) -> String {
    let (width, height, left, bottom, top) = (720.0, 280.0, 80.0, 60.0, 20.0);
    let values = series.iter().flat_map(|(_, v)| v.iter().map(|d| px(*d)));
    let (min, max) = values.fold((0.0f64, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = (max - min).max(1.0) * 1.1;
    let plot_height = height - bottom - top;
    let y = |v: f64| top + plot_height - (v - min) / span * plot_height;
    let step = (width - left - 20.0) / (months.len().max(2) - 1) as f64;
    let mut svg = format!("<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\n", escape(title));
    for k in 0..=4 {
        let v = min + span / 1.1 * f64::from(k) / 4.0;
        let _ = writeln!(svg, "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e3e8ee\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6773\">{}</text>", width - 20.0, y(v), y(v), left - 6.0, y(v) + 4.0, grouped(Decimal::from(v as i64)));
    }
    if min < 0.0 {
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1d2733\"/>",
            width - 20.0,
            y(0.0),
            y(0.0)
        );
    }
    for (i, month) in months.iter().enumerate() {
        let _ = writeln!(svg, "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#5b6773\">{}</text>", left + step * i as f64, height - bottom + 14.0, escape(month));
    }
    for (k, (name, values)) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", left + step * i as f64, y(px(*v))))
            .collect();
        let _ = writeln!(svg, "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>", points.join(" "), escape(name));
        let lx = left + (k % 4) as f64 * 155.0;
        let ly = height - 22.0 + (k / 4) as f64 * 14.0;
        let _ = writeln!(svg, "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#1d2733\">{}</text>", ly - 9.0, lx + 14.0, ly, escape(name));
    }
    svg.push_str("</svg>\n");
    format!(
        "<figure>{svg}<figcaption>{} ({})</figcaption></figure>\n",
        escape(title),
        escape(unit)
    )
}

/// Horizontal bars, one per label.
pub fn horizontal_bars(title: &str, unit: &str, bars: &[(String, Decimal)]) -> String {
    let (width, row, left) = (720.0, 26.0, 140.0);
    let height = row * bars.len() as f64 + 20.0;
    let max = bars.iter().map(|(_, v)| px(*v)).fold(1.0f64, f64::max);
    let mut svg = format!("<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\n", escape(title));
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = 10.0 + row * i as f64;
        let w = px(*value).max(0.0) / max * (width - left - 140.0);
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1d2733\">{}</text><rect x=\"{left}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"#2f6f8f\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1d2733\">{} {}</text>",
            left - 8.0,
            y + 14.0,
            escape(label),
            y + 2.0,
            row - 8.0,
            left + w + 6.0,
            y + 14.0,
            grouped(*value),
            escape(unit)
        );
    }
    svg.push_str("</svg>\n");
    format!(
        "<figure>{svg}<figcaption>{}</figcaption></figure>\n",
        escape(title)
    )
}

/// The annual report as one self-contained HTML page.
pub fn annual(report: &AnnualReport) -> String {
    let mut body = format!(
        "<h1>{}</h1>\n<p class=\"subtitle\">Annual report, {} · amounts in {}</p>\n",
        escape(&report.organisation),
        escape(&report.period),
        escape(&report.currency)
    );
    body.push_str("<div class=\"keyfigures\">\n");
    for r in report
        .summary
        .rows
        .iter()
        .filter(|r| r.kind != RowKind::Heading)
    {
        if let Some(Cell::Amount(a)) = r.cells.first() {
            let _ = writeln!(
                body,
                "<div class=\"keyfigure\">{}<b>{} {}</b></div>",
                escape(&r.label),
                escape(&grouped(*a)),
                escape(&report.currency)
            );
        }
    }
    body.push_str("</div>\n<h2>Summary</h2>\n");
    body.push_str(&statement(&report.summary));
    body.push_str("<div class=\"charts\">\n");
    for t in &report.targets {
        body.push_str(&bar_chart(
            &format!(
                "{} by month ({}), against the target of {} {} a month",
                t.title,
                t.unit,
                grouped(t.target),
                t.unit
            ),
            &t.unit,
            &t.months,
            t.target,
        ));
    }
    body.push_str(&line_chart(
        "Fund balances at each month end",
        &report.currency,
        &report.fund_balances.months,
        &report.fund_balances.funds,
    ));
    if !report.loans.is_empty() {
        body.push_str(&horizontal_bars(
            "Loans from members outstanding at the year end, by lender",
            &report.currency,
            &report.loans,
        ));
    }
    body.push_str("</div>\n<h2>Financial statements</h2>\n");
    for s in &report.statements {
        body.push_str(&statement(s));
    }
    body.push_str("<h2>Notes</h2>\n");
    for s in &report.notes {
        body.push_str(&statement(s));
    }
    page(
        &format!("{} annual report {}", report.organisation, report.period),
        &body,
    )
}
