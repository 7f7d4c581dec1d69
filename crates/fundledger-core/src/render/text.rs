//! Rendering report data as text, CSV or JSON.
//!
//! Pure functions from a report value to a `String`; the binary writes it.
//! CSV and JSON are machine formats with fixed headers and plain decimal
//! amounts (no digit grouping); text is for people, aligned by display width
//! so Japanese names line up.

use std::fmt::Write as _;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::model::money::{self, Decimal};
use crate::reports::{
    AccountsReport, Amount, BalanceReport, FundsReport, RegisterReport, TreeNode,
};

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned text for people.
    Text,
    /// CSV with a header row.
    Csv,
    /// Pretty-printed JSON.
    Json,
}

/// Why rendering failed (only CSV and JSON encoders can fail).
#[derive(Debug)]
pub struct RenderError(String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot render the report: {}", self.0)
    }
}

impl std::error::Error for RenderError {}

/// Serialises any report as pretty JSON with a final newline.
///
/// # Errors
/// When serde_json fails (it does not for these types).
pub fn json<T: Serialize>(report: &T) -> Result<String, RenderError> {
    let mut text = serde_json::to_string_pretty(report).map_err(|e| RenderError(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// A CSV cell made safe to open in a spreadsheet (the OWASP rule against
/// formula injection): a cell starting with `=`, `+`, `-`, `@`, tab or
/// carriage return gets a leading `'`, so a donor named `=cmd|' /C calc'!A0`
/// stays text. Numbers (`-1234.50`, `-1234.50 CNY`, `-12.5%`) and a lone
/// `-` (no figure) are left alone.
pub fn safe_csv_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if !risky || cell == "-" || is_plain_number(cell.strip_suffix('%').unwrap_or(cell)) {
        return std::borrow::Cow::Borrowed(cell);
    }
    std::borrow::Cow::Owned(format!("'{cell}"))
}

/// `-1234.50` or `-1234.50 CNY`: a signed decimal, optionally followed by
/// one word of letters and digits (a commodity).
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let (number, commodity) = unsigned.split_once(' ').unwrap_or((unsigned, ""));
    let mut parts = number.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
        && commodity.chars().all(char::is_alphanumeric)
}

/// A CSV table with a header row (the `csv` crate quotes as needed), every
/// cell made safe to open in a spreadsheet.
///
/// # Errors
/// When the CSV writer fails (it does not for in-memory output).
pub fn csv_of(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<String, RenderError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(header)
        .map_err(|e| RenderError(e.to_string()))?;
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| safe_csv_cell(cell).into_owned()))
            .map_err(|e| RenderError(e.to_string()))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| RenderError(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| RenderError(e.to_string()))
}

/// `1234.50 CNY`: a plain amount and its commodity.
pub fn amount_text(amount: &Amount) -> String {
    format!("{} {}", plain(amount.quantity), amount.commodity)
}

/// `1,234.50 CNY`: an amount for people, digits grouped.
pub fn amount_grouped(amount: &Amount) -> String {
    format!("{} {}", grouped(amount.quantity), amount.commodity)
}

fn plain(quantity: Decimal) -> String {
    // Report amounts already carry their commodity's decimals.
    money::format_plain(quantity, quantity.scale())
}

/// A text table: columns padded to their display width; `right` marks the
/// right-aligned (numeric) columns. The last column is not padded when left
/// aligned, so lines carry no trailing spaces.
pub fn table(header: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.width());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.width());
            if i > 0 {
                text.push_str("  ");
            }
            if right.get(i).copied().unwrap_or(false) {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                if i + 1 < cells.len() {
                    text.push_str(&" ".repeat(pad));
                }
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(rule.iter().map(String::as_str).collect());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

/// Renders the balance report.
///
/// # Errors
/// On a CSV or JSON encoding failure.
pub fn balance(report: &BalanceReport, format: Format) -> Result<String, RenderError> {
    match format {
        Format::Json => json(report),
        Format::Csv => {
            let by_fund = report.rows.iter().any(|r| r.fund.is_some()) || !report.funds.is_empty();
            let header: &[&str] = if by_fund {
                &["account", "fund", "commodity", "amount"]
            } else {
                &["account", "commodity", "amount"]
            };
            csv_of(
                header,
                report.rows.iter().map(|r| {
                    let mut row = vec![r.account.clone()];
                    if let Some(fund) = &r.fund {
                        row.push(fund.clone());
                    }
                    row.push(r.commodity.clone());
                    row.push(plain(r.amount));
                    row
                }),
            )
        }
        Format::Text => {
            if report.funds.is_empty() {
                return Ok(tree_text(&report.tree, &report.total));
            }
            let mut out = String::new();
            for (i, section) in report.funds.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                let _ = writeln!(out, "fund {}", section.fund);
                out.push_str(&tree_text(&section.tree, &section.total));
            }
            Ok(out)
        }
    }
}

/// An hledger-style account tree: amounts right-aligned on the left, names
/// indented two spaces per level, then a rule and the total.
fn tree_text(tree: &[TreeNode], total: &[Amount]) -> String {
    let amount_width = tree
        .iter()
        .flat_map(|n| n.totals.iter())
        .chain(total.iter())
        .map(|a| amount_grouped(a).width())
        .max()
        .unwrap_or(1)
        .max(1);
    let mut out = String::new();
    for node in tree {
        let leaf = node.account.rsplit(':').next().unwrap_or(&node.account);
        // As in hledger and ledger: the name goes on the last amount's line.
        let last = node.totals.len().saturating_sub(1);
        for (i, amount) in node.totals.iter().enumerate() {
            let text = amount_grouped(amount);
            if i == last {
                let _ = writeln!(
                    out,
                    "{text:>amount_width$}  {}{leaf}",
                    "  ".repeat(node.depth)
                );
            } else {
                let _ = writeln!(out, "{text:>amount_width$}");
            }
        }
    }
    let _ = writeln!(out, "{}", "-".repeat(amount_width));
    if total.is_empty() {
        let _ = writeln!(out, "{:>amount_width$}", "0");
    }
    for amount in total {
        let _ = writeln!(out, "{:>amount_width$}", amount_grouped(amount));
    }
    out
}

/// Renders the register.
///
/// # Errors
/// On a CSV or JSON encoding failure.
pub fn register(report: &RegisterReport, format: Format) -> Result<String, RenderError> {
    register_fitted(report, format, None)
}

/// Cuts `text` to `width` display cells, ending with `…` when cut.
fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        let next = format!("{out}{c}");
        if next.width() + 1 > width {
            break;
        }
        out = next;
    }
    out.push('…');
    out
}

/// Renders the register; as text, fitted to `width` display cells when
/// given (a terminal's width): the payee, then the account, are cut short
/// (ending with `…`) until the line fits, down to 12 and 20 cells.
///
/// # Errors
/// On a CSV or JSON encoding failure.
pub fn register_fitted(
    report: &RegisterReport,
    format: Format,
    width: Option<usize>,
) -> Result<String, RenderError> {
    let header = [
        "date",
        "payee",
        "account",
        "fund",
        "commodity",
        "amount",
        "running_total",
    ];
    // Amounts plain for machines, grouped for people.
    let rows_with = |amount: fn(Decimal) -> String| -> Vec<Vec<String>> {
        report
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.date.to_string(),
                    r.payee.clone(),
                    r.account.clone(),
                    r.fund.clone(),
                    r.commodity.clone(),
                    amount(r.amount),
                    amount(r.running_total),
                ]
            })
            .collect()
    };
    match format {
        Format::Json => json(report),
        Format::Csv => csv_of(&header, rows_with(plain)),
        Format::Text => {
            let mut rows = rows_with(grouped);
            if let Some(limit) = width {
                let widths = |rows: &[Vec<String>]| -> Vec<usize> {
                    (0..header.len())
                        .map(|k| {
                            rows.iter()
                                .map(|r| r[k].width())
                                .chain([header[k].width()])
                                .max()
                                .unwrap_or(0)
                        })
                        .collect()
                };
                // Two spaces between the columns.
                let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * (w.len() - 1);
                let mut current = widths(&rows);
                for (column, floor) in [(1, 12), (2, 20)] {
                    let excess = total(&current).saturating_sub(limit);
                    if excess == 0 {
                        break;
                    }
                    let target = current[column].saturating_sub(excess).max(floor);
                    for row in &mut rows {
                        row[column] = fit(&row[column], target);
                    }
                    current = widths(&rows);
                }
            }
            Ok(table(
                &header,
                &rows,
                &[false, false, false, false, false, true, true],
            ))
        }
    }
}

/// Renders the account list.
///
/// # Errors
/// On a CSV or JSON encoding failure.
pub fn accounts(report: &AccountsReport, format: Format) -> Result<String, RenderError> {
    match format {
        Format::Json => json(report),
        Format::Csv => csv_of(
            &["account", "class", "postings", "declared"],
            report.rows.iter().map(|r| {
                vec![
                    r.account.clone(),
                    r.class.unwrap_or("").to_string(),
                    r.postings.to_string(),
                    r.declared.to_string(),
                ]
            }),
        ),
        Format::Text => {
            // Each account with its class (as `-O csv` gives it).
            let rows: Vec<Vec<String>> = report
                .rows
                .iter()
                .map(|r| vec![r.account.clone(), r.class.unwrap_or("-").to_string()])
                .collect();
            Ok(table(&["account", "class"], &rows, &[false, false]))
        }
    }
}

/// Renders the fund roll-forward.
///
/// # Errors
/// On a CSV or JSON encoding failure.
pub fn funds(report: &FundsReport, format: Format) -> Result<String, RenderError> {
    let header = [
        "fund",
        "restriction",
        "commodity",
        "opening",
        "income",
        "expenses",
        "exchange",
        "transfers",
        "closing",
    ];
    let rows: Vec<Vec<String>> = report
        .rows
        .iter()
        .map(|r| {
            vec![
                r.fund.clone(),
                r.restriction.to_string(),
                r.commodity.clone(),
                plain(r.opening),
                plain(r.income),
                plain(r.expenses),
                plain(r.exchange),
                plain(r.transfers),
                plain(r.closing),
            ]
        })
        .collect();
    match format {
        Format::Json => json(report),
        Format::Csv => csv_of(&header, rows),
        Format::Text => {
            // For people: the fund's name, not its id, and digits grouped.
            let rows: Vec<Vec<String>> = report
                .rows
                .iter()
                .map(|r| {
                    let mut row = vec![
                        r.name.clone(),
                        r.restriction.to_string(),
                        r.commodity.clone(),
                    ];
                    row.extend(
                        [
                            r.opening,
                            r.income,
                            r.expenses,
                            r.exchange,
                            r.transfers,
                            r.closing,
                        ]
                        .into_iter()
                        .map(grouped),
                    );
                    row
                })
                .collect();
            let mut out = String::new();
            let period = match (report.begin, report.end) {
                (Some(b), Some(e)) => format!("{b} to {}", e.pred_opt().unwrap_or(e)),
                (Some(b), None) => format!("from {b}"),
                (None, Some(e)) => format!("until {}", e.pred_opt().unwrap_or(e)),
                (None, None) => "all dates".to_string(),
            };
            let _ = writeln!(out, "Fund roll-forward, {period}\n");
            out.push_str(&table(
                &header,
                &rows,
                &[false, false, false, true, true, true, true, true, true],
            ));
            let totals: Vec<String> = report
                .total_net_assets
                .iter()
                .map(|a| format!("{} {}", grouped(a.quantity), a.commodity))
                .collect();
            let _ = writeln!(
                out,
                "\nTotal net assets (sum of closing balances): {}",
                if totals.is_empty() {
                    "0".to_string()
                } else {
                    totals.join(", ")
                }
            );
            Ok(out)
        }
    }
}

/// Formats an amount for people: digit groups of three, `-` for negatives.
/// (Machine formats, CSV and JSON, never group digits.)
pub fn grouped(quantity: Decimal) -> String {
    let plain = money::format_plain(quantity, quantity.scale());
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

fn cell_text(cell: &crate::reports::statement::Cell, group: bool) -> String {
    use crate::reports::statement::Cell;
    match cell {
        Cell::Amount(a) if group => grouped(*a),
        Cell::Amount(a) => plain(*a),
        Cell::Text(t) => t.clone(),
        Cell::Empty => String::new(),
    }
}

/// Renders a statement as text, CSV, JSON or Markdown (HTML: see
/// `crate::render::html`).
///
/// # Errors
/// On a CSV or JSON encoding failure.
pub fn statement(
    s: &crate::reports::statement::Statement,
    format: Format,
) -> Result<String, RenderError> {
    match format {
        Format::Json => json(s),
        Format::Csv => {
            let mut header = vec![if s.label_header.is_empty() {
                "line"
            } else {
                s.label_header.as_str()
            }];
            header.extend(s.columns.iter().map(String::as_str));
            csv_of(
                &header,
                s.rows.iter().map(|r| {
                    let mut row = vec![r.label.clone()];
                    row.extend(r.cells.iter().map(|c| cell_text(c, false)));
                    row
                }),
            )
        }
        Format::Text => Ok(statement_text(s)),
    }
}

fn statement_text(s: &crate::reports::statement::Statement) -> String {
    use crate::reports::statement::RowKind;
    let mut out = format!("{}\n{}\n", s.title, s.subtitle);
    if !s.unit.is_empty() {
        out.push_str(&format!("({})\n", s.unit_phrase()));
    }
    out.push('\n');
    let mut header = vec![s.label_header.as_str()];
    header.extend(s.columns.iter().map(String::as_str));
    let rows: Vec<Vec<String>> = s
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![format!("{}{}", "  ".repeat(r.level as usize), r.label)];
            if r.kind == RowKind::Heading {
                row.extend(r.cells.iter().map(|_| String::new()));
            } else {
                row.extend(r.cells.iter().map(|c| cell_text(c, true)));
            }
            row
        })
        .collect();
    let mut right = vec![false];
    right.extend(s.columns.iter().map(|_| true));
    // A note of text only has no table, and its paragraphs no prefix.
    let text_only = s.rows.is_empty() && s.columns.is_empty();
    if !text_only {
        out.push_str(&table(&header, &rows, &right));
    }
    for note in &s.notes {
        if text_only {
            out.push_str(&format!("{note}\n"));
        } else {
            out.push_str(&format!("\n{}{note}\n", s.note_prefix()));
        }
    }
    out
}

/// Renders a statement as a Markdown section.
pub fn statement_markdown(s: &crate::reports::statement::Statement) -> String {
    use crate::reports::statement::RowKind;
    let escape = |t: &str| t.replace('|', "\\|");
    let mut out = format!("### {}\n\n{}", escape(&s.title), escape(&s.subtitle));
    if !s.unit.is_empty() {
        out.push_str(&format!(" ({})", s.unit_phrase()));
    }
    out.push_str("\n\n");
    if s.rows.is_empty() && s.columns.is_empty() {
        // A note of text only: its paragraphs.
        for note in &s.notes {
            out.push_str(&format!("{}\n\n", escape(note)));
        }
        return out;
    }
    out.push_str(&format!("| {} |", escape(&s.label_header)));
    for c in &s.columns {
        out.push_str(&format!(" {} |", escape(c)));
    }
    out.push_str("\n|---|");
    for _ in &s.columns {
        out.push_str("---:|");
    }
    out.push('\n');
    for r in &s.rows {
        let indent = "&nbsp;&nbsp;".repeat(r.level as usize);
        let strong = matches!(
            r.kind,
            RowKind::Heading | RowKind::Subtotal | RowKind::Total
        );
        let wrap = |t: String| {
            if strong && !t.is_empty() {
                format!("**{t}**")
            } else {
                t
            }
        };
        out.push_str(&format!("| {indent}{} |", wrap(escape(&r.label))));
        for c in &r.cells {
            let text = if r.kind == RowKind::Heading {
                String::new()
            } else {
                cell_text(c, true)
            };
            out.push_str(&format!(" {} |", wrap(escape(&text))));
        }
        out.push('\n');
    }
    for note in &s.notes {
        out.push_str(&format!("\n_{}_\n", escape(note)));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod statement_tests {
    use super::grouped;
    use std::str::FromStr;

    #[test]
    fn groups_digits_for_people() {
        let d = |s: &str| crate::model::money::Decimal::from_str(s).unwrap();
        assert_eq!(grouped(d("1234567")), "1,234,567");
        assert_eq!(grouped(d("-1234.50")), "-1,234.50");
        assert_eq!(grouped(d("999")), "999");
        assert_eq!(grouped(d("0")), "0");
    }
}
