//! Reports as spreadsheet sheets: plain data (named sheets of typed
//! cells) that the binary writes as `.xlsx`. Amounts stay numbers (never
//! text, never grouped), with their decimal places; every statement gets a
//! sheet of its own, named after its title (Japanese under the NPO
//! standard), at most 31 characters and unique in the workbook, as Excel
//! requires.

use crate::model::money::Decimal;
use crate::reports::annual::AnnualReport;
use crate::reports::statement::{Cell, RowKind, Statement};
use crate::reports::{AccountsReport, BalanceReport, FundsReport, RegisterReport};

/// One cell of a sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SheetCell {
    /// A number (an amount, a count, a ratio), with its decimal places.
    Number(Decimal),
    /// Text.
    Text(String),
    /// Nothing.
    Empty,
}

/// One row of a sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRow {
    /// The cells, one per column.
    pub cells: Vec<SheetCell>,
    /// Indentation of the first cell (a statement's level).
    pub level: u8,
    /// A heading, subtotal or total: set in bold.
    pub strong: bool,
}

/// A named sheet: title lines, then a table with a header row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    /// The sheet's name (≤ 31 characters, unique in its workbook).
    pub name: String,
    /// Lines above the table (title, organisation and period, unit).
    pub title: Vec<String>,
    /// The header row.
    pub header: Vec<String>,
    /// The rows.
    pub rows: Vec<SheetRow>,
    /// Lines under the table (notes).
    pub notes: Vec<String>,
}

/// The characters Excel refuses in a sheet name.
const FORBIDDEN: [char; 7] = ['[', ']', ':', '*', '?', '/', '\\'];

/// Makes `wanted` a valid sheet name not yet in `used` (compared without
/// case, as Excel does): forbidden characters become spaces, the name is
/// cut to 31 characters, and a repeated name gets ` (2)`, ` (3)`...
pub fn unique_name(wanted: &str, used: &mut Vec<String>) -> String {
    let cleaned: String = wanted
        .chars()
        .map(|c| if FORBIDDEN.contains(&c) { ' ' } else { c })
        .collect();
    let cleaned = cleaned.trim().trim_matches('\'').trim();
    let base = if cleaned.is_empty() { "Sheet" } else { cleaned };
    let cut = |text: &str, limit: usize| -> String { text.chars().take(limit).collect() };
    let mut name = cut(base, 31);
    let mut n = 2;
    while used.iter().any(|u| u.to_lowercase() == name.to_lowercase()) {
        let suffix = format!(" ({n})");
        name = format!("{}{suffix}", cut(base, 31 - suffix.chars().count()));
        n += 1;
    }
    used.push(name.clone());
    name
}

fn text(value: impl Into<String>) -> SheetCell {
    SheetCell::Text(value.into())
}

/// A statement as a sheet (its name still to be made unique).
pub fn statement(s: &Statement) -> Sheet {
    let mut title = vec![s.title.clone(), s.subtitle.clone()];
    if !s.unit.is_empty() {
        title.push(s.unit_phrase());
    }
    let mut header = vec![s.label_header.clone()];
    header.extend(s.columns.iter().cloned());
    let rows = s
        .rows
        .iter()
        .map(|r| {
            let mut cells = vec![text(r.label.clone())];
            cells.extend(r.cells.iter().map(|c| match c {
                _ if r.kind == RowKind::Heading => SheetCell::Empty,
                Cell::Amount(a) => SheetCell::Number(*a),
                Cell::Text(t) => text(t.clone()),
                Cell::Empty => SheetCell::Empty,
            }));
            SheetRow {
                cells,
                level: r.level,
                strong: r.kind != RowKind::Line,
            }
        })
        .collect();
    Sheet {
        name: s.title.clone(),
        title,
        header,
        rows,
        notes: s.notes.clone(),
    }
}

/// Statements as sheets, one each, with unique names.
pub fn statements<'a>(list: impl IntoIterator<Item = &'a Statement>) -> Vec<Sheet> {
    let mut used = Vec::new();
    list.into_iter()
        .map(|s| {
            let mut sheet = statement(s);
            sheet.name = unique_name(&sheet.name, &mut used);
            sheet
        })
        .collect()
}

/// The annual report: the key figures, every statement and every note,
/// one sheet each.
pub fn annual(report: &AnnualReport) -> Vec<Sheet> {
    statements(
        std::iter::once(&report.summary)
            .chain(&report.statements)
            .chain(&report.notes),
    )
}

/// A sheet of one table under a title.
fn table(name: &str, header: &[&str], rows: Vec<Vec<SheetCell>>) -> Vec<Sheet> {
    vec![Sheet {
        name: name.to_string(),
        title: Vec::new(),
        header: header.iter().map(|h| h.to_string()).collect(),
        rows: rows
            .into_iter()
            .map(|cells| SheetRow {
                cells,
                level: 0,
                strong: false,
            })
            .collect(),
        notes: Vec::new(),
    }]
}

/// The balance report: one row per account (and fund) and commodity.
pub fn balance(report: &BalanceReport) -> Vec<Sheet> {
    let by_fund = report.rows.iter().any(|r| r.fund.is_some()) || !report.funds.is_empty();
    let header: &[&str] = if by_fund {
        &["account", "fund", "commodity", "amount"]
    } else {
        &["account", "commodity", "amount"]
    };
    let rows = report
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![text(r.account.clone())];
            if let Some(fund) = &r.fund {
                row.push(text(fund.clone()));
            }
            row.push(text(r.commodity.clone()));
            row.push(SheetCell::Number(r.amount));
            row
        })
        .collect();
    table("balance", header, rows)
}

/// The register.
pub fn register(report: &RegisterReport) -> Vec<Sheet> {
    let rows = report
        .rows
        .iter()
        .map(|r| {
            vec![
                text(r.date.to_string()),
                text(r.payee.clone()),
                text(r.account.clone()),
                text(r.fund.clone()),
                text(r.commodity.clone()),
                SheetCell::Number(r.amount),
                SheetCell::Number(r.running_total),
            ]
        })
        .collect();
    table(
        "register",
        &[
            "date",
            "payee",
            "account",
            "fund",
            "commodity",
            "amount",
            "running_total",
        ],
        rows,
    )
}

/// The account list.
pub fn accounts(report: &AccountsReport) -> Vec<Sheet> {
    let rows = report
        .rows
        .iter()
        .map(|r| {
            vec![
                text(r.account.clone()),
                text(r.class.unwrap_or("")),
                SheetCell::Number(Decimal::from(r.postings as u64)),
                text(r.declared.to_string()),
            ]
        })
        .collect();
    table(
        "accounts",
        &["account", "class", "postings", "declared"],
        rows,
    )
}

/// The fund roll-forward.
pub fn funds(report: &FundsReport) -> Vec<Sheet> {
    let rows = report
        .rows
        .iter()
        .map(|r| {
            vec![
                text(r.fund.clone()),
                text(r.name.clone()),
                text(r.restriction),
                text(r.commodity.clone()),
                SheetCell::Number(r.opening),
                SheetCell::Number(r.income),
                SheetCell::Number(r.expenses),
                SheetCell::Number(r.exchange),
                SheetCell::Number(r.transfers),
                SheetCell::Number(r.closing),
            ]
        })
        .collect();
    table(
        "funds",
        &[
            "fund",
            "name",
            "restriction",
            "commodity",
            "opening",
            "income",
            "expenses",
            "exchange",
            "transfers",
            "closing",
        ],
        rows,
    )
}

#[cfg(test)]
mod tests {
    use super::unique_name;

    #[test]
    fn sheet_names_are_short_valid_and_unique() {
        let mut used = Vec::new();
        let long = "A very long statement title that Excel would refuse";
        let first = unique_name(long, &mut used);
        assert_eq!(first.chars().count(), 31);
        let second = unique_name(long, &mut used);
        assert_eq!(second.chars().count(), 31);
        assert!(second.ends_with(" (2)"));
        assert_eq!(unique_name("Loans: a/b [x]", &mut used), "Loans  a b  x");
        assert_eq!(unique_name("loans  A B  X", &mut used), "loans  A B  X (2)");
        let japanese = "会員からの借入金の返済期日別残高と借入金の負担の一覧表ですけれども";
        assert_eq!(unique_name(japanese, &mut used).chars().count(), 31);
        assert_eq!(unique_name("", &mut used), "Sheet");
    }
}
