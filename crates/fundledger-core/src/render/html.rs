//! Self-contained HTML: statements as tables, the annual report as one page
//! with inline SVG charts and print styling. No scripts, no external files:
//! a board member can open it in any browser or print it.

use std::fmt::Write as _;

use chrono::NaiveDate;

use crate::model::money::Decimal;
use crate::render::text::grouped;
use crate::reports::annual::AnnualReport;
use crate::reports::statement::{Cell, Language, RowKind, Statement};

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page's fonts: Latin faces first, then Japanese ones (Noto Sans CJK
/// on Linux, Hiragino on macOS, Yu Gothic or Meiryo on Windows), then the
/// generic family, so Japanese never falls back to tofu where any of them
/// is installed.
pub(crate) const FONTS: &str = r#""Noto Sans", "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Yu Gothic", "Meiryo", "Segoe UI", Arial, sans-serif"#;

const STYLE: &str = r#"
:root { --ink: #1d2733; --muted: #5b6773; --rule: #c9d1d9; --accent: #0072b2; --bad: #b03a2e; }
* { box-sizing: border-box; }
body { font-family: FONTS; color: var(--ink);
       max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid var(--accent); padding-bottom: 0.2rem; margin-top: 2.5rem; }
h3 { font-size: 1.05rem; margin: 1.8rem 0 0.2rem; }
h1, h2, h3, .subtitle { break-after: avoid; page-break-after: avoid; }
.subtitle { color: var(--muted); margin: 0 0 0.6rem; font-size: 0.9rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; margin: 0.4rem 0 0.6rem; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th { text-align: right; font-weight: 600; border-bottom: 1px solid var(--ink); padding: 0.25rem 0.5rem; vertical-align: bottom; }
th:first-child { text-align: left; }
td { padding: 0.18rem 0.5rem; text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td:first-child { text-align: left; white-space: normal; }
tr.heading td { font-weight: 600; padding-top: 0.6rem; }
tr.subtotal td { border-top: 1px solid var(--rule); font-weight: 600; }
tr.total td { border-top: 1px solid var(--ink); border-bottom: 3px double var(--ink); font-weight: 700; }
td.negative { color: var(--bad); }
table.wide { font-size: 0.72rem; } table.wide td, table.wide th { padding-left: 0.3rem; padding-right: 0.3rem; }
table.wide th { white-space: normal; }
table.wide td:first-child { min-width: 9rem; }
.note { color: var(--muted); font-size: 0.82rem; margin: 0.2rem 0; }
section.keep, figure { break-inside: avoid; page-break-inside: avoid; }
figure { margin: 1.2rem 0; } figcaption { font-size: 0.85rem; color: var(--muted); }
figure svg { width: 100%; height: auto; }
.legend { list-style: none; padding: 0; margin: 0.3rem 0; font-size: 0.8rem; display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; }
.legend i { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: -0.1rem; }
.keyfigures { display: flex; gap: 0.8rem; flex-wrap: wrap; margin: 1rem 0; }
.keyfigure { border: 1px solid var(--rule); border-radius: 6px; padding: 0.6rem 0.9rem; min-width: 12rem; flex: 1 1 12rem; }
.keyfigure b { display: block; font-size: 1.25rem; font-variant-numeric: tabular-nums; }
.draft { display: inline-block; border: 2px solid var(--bad); color: var(--bad); font-weight: 700; padding: 0.2rem 0.6rem; margin: 0.6rem 0; }
.provenance { color: var(--muted); font-size: 0.78rem; overflow-wrap: anywhere; }
nav.contents ol { padding-left: 1.2rem; } nav.contents ol ol { list-style: none; padding-left: 1rem; } nav.contents li { margin: 0.1rem 0; }
nav.contents a { color: var(--ink); text-decoration: none; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10pt; }
  section.cover { break-after: page; page-break-after: always; }
  h2.part { break-before: page; page-break-before: always; margin-top: 0; }
  a { color: inherit; }
}
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
    section(s, &s.id)
}

/// A statement as an HTML section whose anchor is `anchor`.
fn section(s: &Statement, anchor: &str) -> String {
    // A table short enough for one page is kept whole; a long one may
    // break between rows (its header repeats), never after its heading.
    let keep = if s.rows.len() <= 28 {
        " class=\"keep\""
    } else {
        ""
    };
    // A statement in period columns (`-M/-Q`) reads across: its labels
    // stay on one line so that each line is one row of figures.
    let label_wrap = if s.id.ends_with("-columns") {
        ";white-space:nowrap"
    } else {
        ""
    };
    let mut out = format!(
        "<section id=\"{}\"{keep}>\n<h3>{}</h3>\n<p class=\"subtitle\">{}",
        escape(anchor),
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
    // Their headings (`2000年 4月〜6月`, `予算比 %`) break only at spaces,
    // as do the budget's (periods, versions), never inside a word.
    let heading_style = if label_wrap.is_empty() && s.id != "budget" {
        ""
    } else {
        " style=\"word-break:keep-all\""
    };
    for c in &s.columns {
        let _ = write!(out, "<th{heading_style}>{}</th>", escape(c));
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
            "<tr class=\"{class}\"><td style=\"padding-left:{:.1}rem{label_wrap}\">{}</td>",
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

/// The HTML `lang` of a language.
fn lang(language: Language) -> &'static str {
    match language {
        Language::En => "en",
        Language::Ja => "ja",
    }
}

/// Text for a CSS string (`content: "…"`): quotes, backslashes and
/// anything that could end the style element escaped.
fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' | '<' | '>' | '&' => {
                let _ = write!(out, "\\{:x} ", c as u32);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A whole page around `body`, in `language`, with `print` rules added to
/// the style (the board pack's `@page`).
fn document(title: &str, body: &str, language: Language, print: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{}{print}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        lang(language),
        escape(title),
        STYLE.replace("FONTS", FONTS)
    )
}

/// A whole page around `body` (statements printed on their own), in the
/// statements' language, A4 with page numbers when printed.
pub fn page(title: &str, body: &str, language: Language) -> String {
    page_oriented(title, body, language, false)
}

/// [`page`], printed on landscape A4 when `landscape` (statements of many
/// period columns, such as `report activities -M`).
pub fn page_oriented(title: &str, body: &str, language: Language, landscape: bool) -> String {
    let size = if landscape { "A4 landscape" } else { "A4" };
    let print = format!(
        "@page {{ size: {size}; margin: 16mm 14mm 18mm; @bottom-center {{ content: counter(page) \" / \" counter(pages); font-size: 8pt; color: #5b6773; font-family: {FONTS}; }} @top-left {{ content: {}; font-size: 8pt; color: #5b6773; font-family: {FONTS}; }} }}\n",
        css_string(title)
    );
    document(title, body, language, &print)
}

/// The print rules of the donors' statements: A4, one donor per page, the
/// funds' tables for the board after them on pages of their own.
const IMPACT_STYLE: &str = r#"
section.donor { break-inside: avoid; }
section.donor + section.donor, h2.part { break-before: page; page-break-before: always; }
section.donor h1 { margin: 0 0 0.1rem; font-size: 1.5rem; }
section.donor .to { font-size: 1.15rem; font-weight: 600; margin: 0.6rem 0 0.2rem; }
section.fund { break-inside: avoid; margin-top: 0.8rem; }
section.fund h2 { margin-top: 0.6rem; font-size: 1.15rem; }
section.fund h3 { margin: 0.6rem 0 0.1rem; font-size: 0.95rem; }
.purpose { color: var(--muted); font-size: 0.85rem; margin: 0.1rem 0 0.3rem; }
.columns { display: flex; gap: 1.5rem; align-items: flex-start; }
.columns > div { flex: 1 1 0; }
table.summary { width: 100%; }
ul.gifts { list-style: none; padding: 0; margin: 0.2rem 0 0.6rem; display: flex; flex-wrap: wrap; gap: 0.1rem 1.4rem; font-size: 0.85rem; font-variant-numeric: tabular-nums; }
ul.outputs { margin: 0.2rem 0 0.6rem; padding-left: 1.2rem; }
ul.outputs li { margin: 0.15rem 0; }
p.sentence { border-left: 4px solid var(--accent); padding: 0.4rem 0.8rem; background: #f3f7fa; margin: 0.8rem 0; }
th { white-space: nowrap; }
p.rule { color: var(--muted); font-size: 0.75rem; margin-top: 1.5rem; border-top: 1px solid var(--rule); padding-top: 0.4rem; }
"#;

/// `report impact` as a printable page: one A4 page per donor (the foster
/// parents' and rice donors' statements), then, unless one donor was asked
/// for, each fund's allocation for the board and the auditor.
pub fn impact(report: &crate::reports::impact::ImpactReport) -> String {
    use crate::reports::words::pick;
    let language = report.language;
    let currency = crate::reports::statement::currency_word(&report.currency, language);
    let money = |a: Decimal| match language {
        Language::En => format!("{} {currency}", grouped(a)),
        Language::Ja => format!("{}{currency}", grouped(a)),
    };
    let mut body = String::new();
    for donor in &report.donors {
        let _ = write!(
            body,
            "<section class=\"donor\">\n<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n<p class=\"to\">{}</p>\n",
            escape(pick(language, "Where your gifts went", "ご寄付の使途のご報告")),
            escape(&report.period),
            escape(&match language {
                Language::En => format!("For {}", donor.name),
                Language::Ja => format!("{} 様", donor.name),
            })
        );
        if donor.funds.is_empty() {
            let _ = writeln!(
                body,
                "<p>{}</p>",
                escape(pick(
                    language,
                    "No gift to a restricted fund in the period.",
                    "期間中に使途指定の基金へのご寄付はありません。"
                ))
            );
        }
        for f in &donor.funds {
            let figures = &f.row.figures;
            let _ = write!(
                body,
                "<section class=\"fund\">\n<h2>{}</h2>\n<p class=\"purpose\">{}</p>\n",
                escape(&f.fund),
                escape(&f.purpose)
            );
            let _ = writeln!(
                body,
                "<div class=\"columns\"><div>\n<h3>{}</h3>\n<ul class=\"gifts\">",
                escape(pick(language, "Gifts received", "いただいたご寄付"))
            );
            for (date, amount) in &f.row.gifts {
                let _ = writeln!(
                    body,
                    "<li>{} · {}</li>",
                    escape(&crate::reports::words::date(*date, language)),
                    escape(&money(*amount))
                );
            }
            let _ = write!(
                body,
                "</ul>\n</div><div>\n<h3>{}</h3>\n<table class=\"summary\">\n<tbody>\n",
                escape(&match language {
                    Language::En => format!("What happened to them ({currency})"),
                    Language::Ja => format!("その使途（単位：{currency}）"),
                })
            );
            let mut line = |label: &str, amount: Decimal, class: &str| {
                let _ = writeln!(
                    body,
                    "<tr class=\"{class}\"><td>{}</td>{}</tr>",
                    escape(label),
                    cell_html(&Cell::Amount(amount), false)
                );
            };
            line(
                pick(language, "Your gifts", "ご寄付"),
                figures.gifts,
                "line",
            );
            line(pick(language, "Spent", "使用額"), figures.spent, "line");
            if !figures.transfers.is_zero() {
                line(
                    pick(language, "Transfers between funds", "基金間の振替"),
                    figures.transfers,
                    "line",
                );
            }
            if !figures.exchange.is_zero() {
                line(
                    pick(language, "Exchange gains and losses", "為替差損益"),
                    figures.exchange,
                    "line",
                );
            }
            line(
                &match language {
                    Language::En => format!(
                        "Still unspent on {}",
                        crate::reports::words::date(report.as_of, language)
                    ),
                    Language::Ja => format!(
                        "{}現在の未使用残高",
                        crate::reports::words::date(report.as_of, language)
                    ),
                },
                figures.unspent,
                "total",
            );
            body.push_str("</tbody>\n</table>\n</div></div>\n");
            if !f.row.outputs.is_empty() {
                let _ = writeln!(
                    body,
                    "<h3>{}</h3>\n<ul class=\"outputs\">",
                    escape(pick(language, "What it paid for", "ご寄付で実現したこと"))
                );
                for o in &f.row.outputs {
                    let _ = writeln!(body, "<li>{}</li>", escape(&o.text));
                }
                body.push_str("</ul>\n");
            }
            let _ = writeln!(
                body,
                "<p class=\"sentence\">{}</p>\n</section>",
                escape(&f.sentence)
            );
        }
        let _ = writeln!(
            body,
            "<p class=\"rule\">{}</p>\n</section>",
            escape(&report.rule)
        );
    }
    let tables = crate::reports::impact::statements(report);
    let fund_tables: Vec<&Statement> = tables
        .iter()
        .filter(|s| !s.id.starts_with("impact-donor-"))
        .collect();
    if !fund_tables.is_empty() {
        let _ = writeln!(
            body,
            "<h2 class=\"part\">{}</h2>",
            escape(pick(
                language,
                "The funds: where each gift went (for the board and the auditor)",
                "基金別の寄付の使途（理事会・監事向け）"
            ))
        );
        for s in fund_tables {
            body.push_str(&statement(s));
        }
    }
    let title = format!("{} · {}", report.title, report.organisation);
    let print = format!(
        "{IMPACT_STYLE}@page {{ size: A4; margin: 16mm 16mm 18mm; @bottom-center {{ content: counter(page) \" / \" counter(pages); font-size: 8pt; color: #5b6773; font-family: {FONTS}; }} }}\n"
    );
    document(&title, &body, language, &print)
}

/// A coordinate for SVG. Chart geometry is display only: it converts
/// amounts to pixels through `f64`, never back into money.
fn px(value: Decimal) -> f64 {
    value.to_string().parse::<f64>().unwrap_or(0.0)
}

/// Round axis ticks covering `[low, high]` in steps of 1, 2 or 5 times a
/// power of ten, about `wanted` of them; always includes zero when the
/// range does.
pub fn ticks(low: f64, high: f64, wanted: usize) -> Vec<f64> {
    let (low, high) = (low.min(0.0), high.max(0.0));
    let span = (high - low).max(1.0);
    let rough = span / wanted.max(1) as f64;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude);
    let first = (low / step).floor() as i64;
    let last = (high / step).ceil() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// An axis label: grouped digits, with 万 (Japanese) or k/M (English) for
/// large round numbers so labels stay short.
fn tick_label(value: f64, language: Language) -> String {
    let whole = value.round() as i64;
    let magnitude = whole.unsigned_abs();
    let short = match language {
        Language::Ja if magnitude >= 10_000 && whole % 10_000 == 0 => {
            Some(format!("{}万", grouped(Decimal::from(whole / 10_000))))
        }
        Language::En if magnitude >= 1_000_000 && whole % 100_000 == 0 => {
            Some(format!("{}M", px_text(value / 1_000_000.0)))
        }
        Language::En if magnitude >= 1_000 && whole % 1_000 == 0 => {
            Some(format!("{}k", grouped(Decimal::from(whole / 1_000))))
        }
        _ => None,
    };
    short.unwrap_or_else(|| grouped(Decimal::from(whole)))
}

/// `1.5` or `2`: a short decimal for an axis label.
fn px_text(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").unwrap_or(&text).to_string()
}

/// The Okabe–Ito palette (safe for the common colour-vision
/// deficiencies), strongest first; yellow last, as it is faint on white.
const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442",
];

/// A legend under a chart, in HTML so that it wraps like text.
fn legend(entries: &[(String, &str)]) -> String {
    let mut out = String::from("<ul class=\"legend\">");
    for (name, colour) in entries {
        let _ = write!(
            out,
            "<li><i style=\"background:{colour}\"></i>{}</li>",
            escape(name)
        );
    }
    out.push_str("</ul>\n");
    out
}

/// Lines through the months, one per series, on round ticks with a zero
/// line, and a legend naming the series as the tables do.
pub fn line_chart(
    caption: &str,
    months: &[String],
    series: &[(String, Vec<Decimal>)],
    language: Language,
) -> String {
    let (width, height, left, right, bottom, top) = (720.0, 260.0, 70.0, 16.0, 28.0, 12.0);
    let values: Vec<f64> = series
        .iter()
        .flat_map(|(_, v)| v.iter().map(|d| px(*d)))
        .collect();
    let low = values.iter().copied().fold(0.0f64, f64::min);
    let high = values.iter().copied().fold(0.0f64, f64::max);
    let marks = ticks(low, high, 5);
    let (min, max) = (
        marks.first().copied().unwrap_or(0.0),
        marks.last().copied().unwrap_or(1.0),
    );
    let span = (max - min).max(1.0);
    let plot_height = height - bottom - top;
    let y = |v: f64| top + plot_height - (v - min) / span * plot_height;
    let step = (width - left - right) / (months.len().max(2) - 1) as f64;
    let mut svg = format!("<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\n", escape(caption));
    for v in &marks {
        let _ = writeln!(svg, "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e3e8ee\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6773\">{}</text>", width - right, y(*v), y(*v), left - 6.0, y(*v) + 4.0, escape(&tick_label(*v, language)));
    }
    let _ = writeln!(
        svg,
        "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1d2733\" stroke-width=\"1.2\"/>",
        width - right,
        y(0.0),
        y(0.0)
    );
    for (i, month) in months.iter().enumerate() {
        let _ = writeln!(svg, "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6773\">{}</text>", left + step * i as f64, height - bottom + 16.0, escape(month));
    }
    let mut entries = Vec::new();
    for (k, (name, values)) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", left + step * i as f64, y(px(*v))))
            .collect();
        let dash = if k >= PALETTE.len() {
            " stroke-dasharray=\"5 3\""
        } else {
            ""
        };
        let _ = writeln!(svg, "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.2\"{dash} points=\"{}\"><title>{}</title></polyline>", points.join(" "), escape(name));
        entries.push((name.clone(), colour));
    }
    svg.push_str("</svg>\n");
    format!(
        "<figure>{svg}{}<figcaption>{}</figcaption></figure>\n",
        legend(&entries),
        escape(caption)
    )
}

/// Horizontal bars, one per label, each split into parts (`parts` names
/// them for the legend), with the whole printed at the end of the bar.
pub fn stacked_bars(
    caption: &str,
    parts: &[&str],
    bars: &[(String, Vec<Decimal>)],
    unit: &str,
) -> String {
    let (width, row, left, right) = (720.0, 30.0, 250.0, 150.0);
    let height = row * bars.len() as f64 + 10.0;
    let total = |values: &[Decimal]| values.iter().map(|v| px(*v).max(0.0)).sum::<f64>();
    let max = bars.iter().map(|(_, v)| total(v)).fold(1.0f64, f64::max);
    let scale = (width - left - right) / max;
    let mut svg = format!("<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\n", escape(caption));
    let _ = writeln!(
        svg,
        "<line x1=\"{left}\" x2=\"{left}\" y1=\"0\" y2=\"{height}\" stroke=\"#1d2733\"/>"
    );
    for (i, (label, values)) in bars.iter().enumerate() {
        let y = 6.0 + row * i as f64;
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1d2733\">{}</text>",
            left - 8.0,
            y + 15.0,
            escape(label)
        );
        let mut x = left;
        let mut sum = Decimal::ZERO;
        for (k, value) in values.iter().enumerate() {
            let w = px(*value).max(0.0) * scale;
            let colour = PALETTE[k % PALETTE.len()];
            let _ = writeln!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {}</title></rect>",
                row - 10.0,
                escape(parts.get(k).copied().unwrap_or("")),
                escape(&with_unit(*value, unit))
            );
            x += w;
            sum = sum.checked_add(*value).unwrap_or(sum);
        }
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1d2733\">{}</text>",
            x + 6.0,
            y + 15.0,
            escape(&with_unit(sum, unit))
        );
    }
    svg.push_str("</svg>\n");
    let entries: Vec<(String, &str)> = parts
        .iter()
        .enumerate()
        .map(|(k, p)| (p.to_string(), PALETTE[k % PALETTE.len()]))
        .collect();
    let legend = if parts.len() > 1 {
        legend(&entries)
    } else {
        String::new()
    };
    format!(
        "<figure>{svg}{legend}<figcaption>{}</figcaption></figure>\n",
        escape(caption)
    )
}

/// `1,000 JPY`, or `1,000円` for a unit written without a space.
fn with_unit(value: Decimal, unit: &str) -> String {
    if unit.is_ascii() {
        format!("{} {unit}", grouped(value))
    } else {
        format!("{}{unit}", grouped(value))
    }
}

/// Horizontal bars in groups: one group per label, one bar per series
/// (named in the legend), from a zero line on round ticks, each bar's
/// value at its end. Negative values extend to the left of zero.
pub fn grouped_bars(
    caption: &str,
    series: &[&str],
    groups: &[(String, Vec<Decimal>)],
    unit: &str,
    language: Language,
) -> String {
    let (width, left, right, bar, gap) = (720.0, 250.0, 110.0, 11.0, 10.0);
    let per_group = bar * series.len() as f64 + gap;
    let axis = 18.0;
    let height = per_group * groups.len() as f64 + axis + 4.0;
    let values: Vec<f64> = groups
        .iter()
        .flat_map(|(_, v)| v.iter().map(|d| px(*d)))
        .collect();
    let marks = ticks(
        values.iter().copied().fold(0.0, f64::min),
        values.iter().copied().fold(0.0, f64::max),
        5,
    );
    let (min, max) = (
        marks.first().copied().unwrap_or(0.0),
        marks.last().copied().unwrap_or(1.0),
    );
    let span = (max - min).max(1.0);
    let x = |v: f64| left + (v - min) / span * (width - left - right);
    let plot_bottom = height - axis;
    let mut svg = format!("<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\n", escape(caption));
    for v in &marks {
        let _ = writeln!(svg, "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"0\" y2=\"{plot_bottom:.1}\" stroke=\"#e3e8ee\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6773\">{}</text>", x(*v), x(*v), x(*v), height - 4.0, escape(&tick_label(*v, language)));
    }
    for (k, (label, values)) in groups.iter().enumerate() {
        let top = per_group * k as f64 + gap / 2.0;
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1d2733\">{}</text>",
            left - 8.0,
            top + bar * series.len() as f64 / 2.0 + 4.0,
            escape(label)
        );
        for (i, value) in values.iter().enumerate() {
            let v = px(*value);
            let (from, to) = (x(0.0_f64.min(v)), x(0.0_f64.max(v)));
            let y = top + bar * i as f64;
            let colour = PALETTE[i % PALETTE.len()];
            let _ = writeln!(
                svg,
                "<rect x=\"{from:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#1d2733\">{}</text>",
                (to - from).max(0.5),
                bar - 1.5,
                escape(series.get(i).copied().unwrap_or("")),
                escape(&with_unit(*value, unit)),
                to.max(x(0.0)) + 4.0,
                y + bar - 3.0,
                escape(&grouped(*value))
            );
        }
    }
    let _ = writeln!(
        svg,
        "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"0\" y2=\"{plot_bottom:.1}\" stroke=\"#1d2733\" stroke-width=\"1.2\"/>",
        x(0.0),
        x(0.0)
    );
    svg.push_str("</svg>\n");
    let entries: Vec<(String, &str)> = series
        .iter()
        .enumerate()
        .map(|(k, p)| (p.to_string(), PALETTE[k % PALETTE.len()]))
        .collect();
    format!(
        "<figure>{svg}{}<figcaption>{}</figcaption></figure>\n",
        legend(&entries),
        escape(caption)
    )
}

/// The words of the annual report's frame, in one language.
struct Frame {
    title: &'static str,
    contents: &'static str,
    summary: &'static str,
    charts: &'static str,
    statements: &'static str,
    notes: &'static str,
    draft: &'static str,
    restricted: &'static str,
    spent: &'static str,
    left: &'static str,
    balances: &'static str,
    start: &'static str,
    end: &'static str,
    loans_against: &'static str,
    loans_line: &'static str,
    unrestricted_line: &'static str,
    by_lender: &'static str,
}

const ENGLISH: Frame = Frame {
    title: "Annual report",
    contents: "Contents",
    summary: "Summary",
    charts: "The year in charts",
    statements: "Financial statements",
    notes: "Notes",
    draft: "Draft — not audited: the year is not closed",
    restricted: "Restricted funds: what was available in the year (held at the start and received) and how much of it was spent",
    spent: "Spent in the year",
    left: "Held at the end of the year",
    balances: "Net assets of each fund at the start and the end of the year",
    start: "Start of the year",
    end: "End of the year",
    loans_against: "Loans from members outstanding against the net assets free of restrictions, at each month end",
    loans_line: "Loans from members outstanding",
    unrestricted_line: "Net assets free of restrictions (general and board-designated funds)",
    by_lender: "Loans from members outstanding at the year end, by lender",
};

const JAPANESE: Frame = Frame {
    title: "年次報告書",
    contents: "目次",
    summary: "概要",
    charts: "グラフで見る今年度",
    statements: "財務諸表",
    notes: "注記",
    draft: "下書き — 監査前（年度は締められていません）",
    restricted:
        "使途が指定された寄付：今年度に使えた額（期首の残高と受け入れた額）と、そのうち使った額",
    spent: "今年度に使った額",
    left: "期末の残高",
    balances: "会計ごとの正味財産（期首と期末）",
    start: "期首",
    end: "期末",
    loans_against: "会員からの借入金の残高と、使途の制約のない正味財産（各月末）",
    loans_line: "会員からの借入金の残高",
    unrestricted_line: "使途の制約のない正味財産（一般会計と理事会指定の会計）",
    by_lender: "会員からの借入金の期末残高（貸付者別）",
};

/// The annual report as a board pack: one self-contained HTML page that
/// prints on A4 with a running header (organisation and year), page
/// numbers, a cover with the key figures, a table of contents, and where
/// it came from (generation date, fundledger's version, the journal's
/// digest), marked as a draft until the year is closed.
pub fn annual(report: &AnnualReport, generated: NaiveDate) -> String {
    let language = report.language;
    let words = if language == Language::Ja {
        &JAPANESE
    } else {
        &ENGLISH
    };
    let unit = report.summary.unit_phrase();
    // The currency as the report's language writes it after an amount.
    let money = report.summary.unit_word();
    let amounts_in = report.summary.unit_phrase();
    let mut body = String::from("<section class=\"cover\">\n");
    let _ = writeln!(
        body,
        "<h1>{}</h1>\n<p class=\"subtitle\">{} · {} · {}</p>",
        escape(&report.organisation),
        escape(words.title),
        escape(&report.period),
        escape(&unit)
    );
    if !report.provenance.closed {
        let _ = writeln!(body, "<p class=\"draft\">{}</p>", escape(words.draft));
    }
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
                "<div class=\"keyfigure\">{}<b>{}</b></div>",
                escape(&r.label),
                escape(&grouped(*a)),
            );
        }
    }
    body.push_str("</div>\n");
    // The table of contents: every part and statement, linked.
    let titles = |prefix: &str, statements: &[Statement]| -> Vec<(String, String)> {
        statements
            .iter()
            .enumerate()
            .map(|(k, s)| (format!("{prefix}-{k}"), s.title.clone()))
            .collect()
    };
    let parts = [
        ("summary", words.summary, Vec::new()),
        ("charts", words.charts, Vec::new()),
        (
            "statements",
            words.statements,
            titles("statement", &report.statements),
        ),
        ("notes", words.notes, titles("note", &report.notes)),
    ];
    let _ = writeln!(
        body,
        "<nav class=\"contents\"><h2>{}</h2>\n<ol>",
        escape(words.contents)
    );
    for (anchor, title, entries) in &parts {
        let _ = write!(body, "<li><a href=\"#{anchor}\">{}</a>", escape(title));
        if !entries.is_empty() {
            body.push_str("<ol>");
            for (anchor, title) in entries {
                let _ = write!(
                    body,
                    "<li><a href=\"#{}\">{}</a></li>",
                    escape(anchor),
                    escape(title)
                );
            }
            body.push_str("</ol>");
        }
        body.push_str("</li>\n");
    }
    body.push_str("</ol></nav>\n");
    let _ = writeln!(
        body,
        "<p class=\"provenance\">{}</p>\n</section>",
        escape(&provenance_text(report, generated))
    );

    let _ = writeln!(
        body,
        "<h2 class=\"part\" id=\"summary\">{}</h2>",
        escape(words.summary)
    );
    body.push_str(&section(&report.summary, "summary-table"));
    let _ = writeln!(body, "<h2 id=\"charts\">{}</h2>", escape(words.charts));
    if !report.restricted.is_empty() {
        let bars: Vec<(String, Vec<Decimal>)> = report
            .restricted
            .iter()
            .map(|r| (r.fund.clone(), vec![r.spent, r.closing.max(Decimal::ZERO)]))
            .collect();
        body.push_str(&stacked_bars(
            &format!("{} ({amounts_in})", words.restricted),
            &[words.spent, words.left],
            &bars,
            &money,
        ));
    }
    let balances = &report.fund_balances;
    body.push_str(&line_chart(
        &format!("{}, {} ({amounts_in})", words.loans_against, report.year),
        &balances.months,
        &[
            (words.loans_line.to_string(), balances.loans.clone()),
            (
                words.unrestricted_line.to_string(),
                balances.unrestricted.clone(),
            ),
        ],
        language,
    ));
    let changes: Vec<(String, Vec<Decimal>)> = report
        .fund_changes
        .iter()
        .map(|f| (f.fund.clone(), vec![f.opening, f.closing]))
        .collect();
    body.push_str(&grouped_bars(
        &format!("{}, {} ({amounts_in})", words.balances, report.year),
        &[words.start, words.end],
        &changes,
        &money,
        language,
    ));
    if !report.loans.is_empty() {
        let bars: Vec<(String, Vec<Decimal>)> = report
            .loans
            .iter()
            .map(|(lender, amount)| (lender.clone(), vec![*amount]))
            .collect();
        body.push_str(&stacked_bars(
            &format!("{} ({amounts_in})", words.by_lender),
            &[words.loans_line],
            &bars,
            &money,
        ));
    }
    let _ = writeln!(
        body,
        "<h2 class=\"part\" id=\"statements\">{}</h2>",
        escape(words.statements)
    );
    for (k, s) in report.statements.iter().enumerate() {
        body.push_str(&section(s, &format!("statement-{k}")));
    }
    let _ = writeln!(
        body,
        "<h2 class=\"part\" id=\"notes\">{}</h2>",
        escape(words.notes)
    );
    for (k, s) in report.notes.iter().enumerate() {
        body.push_str(&section(s, &format!("note-{k}")));
    }
    let header = format!(
        "{} · {} · {}",
        report.organisation, words.title, report.year
    );
    let draft = if report.provenance.closed {
        String::new()
    } else {
        format!(
            " @top-right {{ content: {}; font-size: 8pt; color: #b03a2e; font-family: {FONTS}; }}",
            css_string(
                words
                    .draft
                    .split(':')
                    .next()
                    .unwrap_or(words.draft)
                    .split('（')
                    .next()
                    .unwrap_or(words.draft)
            )
        )
    };
    let print = format!(
        "@page {{ size: A4; margin: 16mm 14mm 18mm; @top-left {{ content: {}; font-size: 8pt; color: #5b6773; font-family: {FONTS}; }}{draft} @bottom-left {{ content: {}; font-size: 7pt; color: #5b6773; font-family: {FONTS}; }} @bottom-right {{ content: counter(page) \" / \" counter(pages); font-size: 8pt; color: #5b6773; font-family: {FONTS}; }} }}\n@page :first {{ @top-left {{ content: none; }} @top-right {{ content: none; }} }}\n",
        css_string(&header),
        css_string(&short_provenance(report, generated)),
    );
    document(
        &format!("{} {} {}", report.organisation, words.title, report.period),
        &body,
        language,
        &print,
    )
}

/// "Generated on … by fundledger … from the journal whose SHA-256 is …".
fn provenance_text(report: &AnnualReport, generated: NaiveDate) -> String {
    let p = &report.provenance;
    match report.language {
        Language::En => format!(
            "Generated on {generated} by fundledger {} from the journal whose SHA-256 digest is {}.",
            p.version, p.digest
        ),
        Language::Ja => format!(
            "{}に fundledger {} で作成。仕訳帳の SHA-256 ダイジェスト：{}",
            crate::reports::words::date(generated, Language::Ja),
            p.version,
            p.digest
        ),
    }
}

/// The page footer's provenance: date, version and the digest's first 12
/// hex digits.
fn short_provenance(report: &AnnualReport, generated: NaiveDate) -> String {
    let p = &report.provenance;
    let digest: String = p.digest.chars().take(12).collect();
    match report.language {
        Language::En => format!("{generated} · fundledger {} · journal {digest}", p.version),
        Language::Ja => format!("{generated} · fundledger {} · 仕訳帳 {digest}", p.version),
    }
}

#[cfg(test)]
mod tests {
    use super::ticks;

    #[test]
    fn ticks_are_round_and_cover_zero() {
        let marks = ticks(-1_149_960.0, 3_012_959.0, 5);
        assert_eq!(marks.first(), Some(&-2_000_000.0));
        assert_eq!(marks.last(), Some(&4_000_000.0));
        assert!(marks.contains(&0.0));
        for pair in marks.windows(2) {
            assert_eq!(pair[1] - pair[0], 1_000_000.0);
        }
        assert_eq!(ticks(0.0, 47.0, 5), vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(ticks(120.0, 130.0, 5), ticks(0.0, 130.0, 5));
    }
}
