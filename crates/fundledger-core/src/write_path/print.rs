//! Writing a journal back canonically.
//!
//! The output is the common subset that ledger-cli 3, hledger and
//! ledger-parser all read: ISO dates, every amount explicit (elided amounts
//! filled in) with its commodity on the right and no digit-group separators,
//! two or more spaces between account and amount, an explicit `; fund:` tag on
//! every posting, interfund postings written out, prices as
//! `P DATE 00:00:00 SYMBOL PRICE`, transactions in date order. Conversion
//! postings are not written: the `@`/`@@` cost stands for them, and loading
//! the output adds them again. Loading the output gives the same journal.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;

use crate::model::journal::{
    quote_commodity, Assertion, CostKind, Journal, Origin, PostingKind, Status, Tag,
};
use crate::model::money;
use crate::model::query::Filter;

pub use crate::model::diagnostic::is_forbidden_char;

/// The column, in display cells, that amounts are aligned after.
const ACCOUNT_COLUMN_WIDTH: usize = 44;
/// The width amounts are right-aligned in.
const AMOUNT_COLUMN_WIDTH: usize = 14;

fn status_mark(status: Status) -> &'static str {
    match status {
        Status::Unmarked => "",
        Status::Pending => "! ",
        Status::Cleared => "* ",
    }
}

/// A tag of the journal under a header (`indent` 4) or a posting (8): a
/// valued tag as [`write_tag_line`] writes it, a bare one as `; :name:`.
fn tag_line(out: &mut String, indent: usize, tag: Tag<'_>) {
    if tag.value.is_empty() {
        push_spaces(out, indent);
        let _ = writeln!(out, "; :{}:", tag.name);
    } else {
        write_tag_line(out, indent, tag.name, tag.value);
    }
}

/// Comment text on one line: a newline would end the comment and start a new
/// journal line.
fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['\n', '\r']) {
        std::borrow::Cow::Owned(text.replace(['\n', '\r'], " "))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Appends `count` spaces to `out`.
fn push_spaces(out: &mut String, count: usize) {
    out.extend(std::iter::repeat_n(' ', count));
}

/// Why `name` cannot be written as an account name in a journal (it would
/// be read back as something else), or `None` when it can.
pub fn account_name_problem(name: &str) -> Option<&'static str> {
    if name.trim().is_empty() {
        return Some("it is empty");
    }
    if name.contains(is_forbidden_char) {
        return Some("it contains a control character (a line break, a tab, ESC...) or a bidirectional override");
    }
    if name.contains("  ") {
        return Some("it contains two spaces in a row, which end an account name");
    }
    if name.trim() != name {
        return Some("it starts or ends with a space");
    }
    if name.starts_with(['(', '[', '!', '*', ';']) || name.ends_with([')', ']']) {
        return Some("it starts or ends with a mark (`(`, `[`, `!`, `*`, `;`) the journal reads as something else");
    }
    None
}

/// Writes the whole journal.
pub fn print(journal: &Journal) -> String {
    let mut out = String::new();
    for &c in journal.commodity_directives() {
        let _ = writeln!(
            out,
            "commodity {}",
            quote_commodity(journal.commodity_name(c))
        );
    }
    for &a in journal.account_directives() {
        let _ = writeln!(out, "account {}", journal.account_name(a));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let mut prices: Vec<&crate::model::journal::Price> = journal.prices().iter().collect();
    prices.sort_by_key(|p| p.date);
    let mut prices = prices.into_iter().peekable();
    let order = crate::load::checks::date_order(journal);
    for index in order {
        let t = &journal.transactions()[index];
        let mut wrote_price = false;
        while let Some(p) = prices.next_if(|p| p.date <= t.date) {
            price_line(&mut out, journal, p);
            wrote_price = true;
        }
        if wrote_price {
            out.push('\n');
        }
        write_transaction(&mut out, journal, t);
        out.push('\n');
    }
    let rest: Vec<_> = prices.collect();
    for p in &rest {
        price_line(&mut out, journal, p);
    }
    out
}

/// Writes a `P DATE TIME SYMBOL PRICE` line, keeping the time written.
fn price_line(out: &mut String, journal: &Journal, p: &crate::model::journal::Price) {
    let _ = writeln!(
        out,
        "P {} {} {} {} {}",
        p.date,
        p.time.format("%H:%M:%S"),
        quote_commodity(journal.commodity_name(p.commodity)),
        money::format_plain(p.price, 0),
        quote_commodity(journal.commodity_name(p.price_commodity))
    );
}

/// The transactions a filter selects (dated in its period, with at least
/// one posting it matches), whole, in date order, without the directives and
/// prices (as `hledger print QUERY` shows them).
pub fn print_selected(journal: &Journal, filter: &Filter) -> String {
    let mut out = String::new();
    for t in selected(journal, filter) {
        write_transaction(&mut out, journal, t);
        out.push('\n');
    }
    out
}

fn selected<'j>(
    journal: &'j Journal,
    filter: &'j Filter,
) -> impl Iterator<Item = &'j crate::model::journal::Transaction> + 'j {
    crate::load::checks::date_order(journal)
        .into_iter()
        .map(|index| &journal.transactions()[index])
        .filter(move |t| {
            filter.date_matches(t)
                && journal
                    .postings(t)
                    .iter()
                    .any(|p| filter.posting_matches(journal, p))
        })
}

/// One posting of a printed transaction, for CSV and JSON.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PrintedPosting {
    /// The account.
    pub account: String,
    /// The amount.
    pub amount: money::Decimal,
    /// Its commodity.
    pub commodity: String,
    /// Its fund.
    pub fund: String,
    /// `real`, `virtual` (`[ ]`) or `unbalanced` (`( )`).
    pub kind: &'static str,
    /// `written`, `elided` (filled in), `interfund`, `conversion` or `rounding`.
    pub origin: &'static str,
}

/// A printed transaction, for CSV and JSON.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PrintedTransaction {
    /// 1-based position in date order.
    pub index: usize,
    /// The date.
    pub date: chrono::NaiveDate,
    /// `*`, `!` or "".
    pub status: &'static str,
    /// `(CODE)`.
    pub code: Option<String>,
    /// The payee.
    pub description: String,
    /// Every posting, generated ones included (each says which it is).
    pub postings: Vec<PrintedPosting>,
}

/// The transactions a filter selects, as data.
pub fn printed(journal: &Journal, filter: &Filter) -> Vec<PrintedTransaction> {
    selected(journal, filter)
        .enumerate()
        .map(|(n, t)| PrintedTransaction {
            index: n + 1,
            date: t.date,
            status: status_mark(t.status).trim_end(),
            code: journal.code(t).map(str::to_string),
            description: journal.payee(t).to_string(),
            postings: journal
                .postings(t)
                .iter()
                .map(|p| PrintedPosting {
                    account: journal.account_name(p.account).to_string(),
                    amount: p.quantity,
                    commodity: journal.commodity_name(p.commodity).to_string(),
                    fund: journal.fund_name(p.fund).to_string(),
                    kind: match p.kind {
                        PostingKind::Real => "real",
                        PostingKind::BalancedVirtual => "virtual",
                        PostingKind::UnbalancedVirtual => "unbalanced",
                    },
                    origin: match p.origin {
                        Origin::Written => "written",
                        Origin::Elided => "elided",
                        Origin::Interfund => "interfund",
                        Origin::Conversion => "conversion",
                        Origin::Rounding => "rounding",
                    },
                })
                .collect(),
        })
        .collect()
}

/// [`printed`] as CSV (one row per posting) or JSON; text is
/// [`print_selected`].
///
/// # Errors
/// When CSV or JSON serialisation fails.
pub fn render_printed(
    transactions: &[PrintedTransaction],
    format: crate::render::text::Format,
) -> Result<String, crate::render::text::RenderError> {
    use crate::render::text::{csv_of, json, Format};
    match format {
        Format::Json => json(&transactions),
        _ => csv_of(
            &[
                "txnidx",
                "date",
                "status",
                "code",
                "description",
                "account",
                "amount",
                "commodity",
                "fund",
                "kind",
                "origin",
            ],
            transactions.iter().flat_map(|t| {
                t.postings.iter().map(move |p| {
                    vec![
                        t.index.to_string(),
                        t.date.to_string(),
                        t.status.to_string(),
                        t.code.clone().unwrap_or_default(),
                        t.description.clone(),
                        p.account.clone(),
                        money::format_plain(p.amount, p.amount.scale()),
                        p.commodity.clone(),
                        p.fund.clone(),
                        p.kind.to_string(),
                        p.origin.to_string(),
                    ]
                })
            }),
        ),
    }
}

/// A transaction header to write: date, mark, code, payee.
pub struct HeaderText<'a> {
    /// The date.
    pub date: chrono::NaiveDate,
    /// The mark.
    pub status: Status,
    /// `(CODE)`.
    pub code: Option<&'a str>,
    /// The payee ("" for none).
    pub payee: &'a str,
}

/// Writes a header line. A payee starting with `(` would read back as a
/// code, so its first `(` is written as a full-width `（`.
pub fn write_header(out: &mut String, header: &HeaderText<'_>) {
    write_date(out, header.date);
    match header.status {
        Status::Unmarked => {}
        Status::Pending => out.push_str(" !"),
        Status::Cleared => out.push_str(" *"),
    }
    if let Some(code) = header.code {
        let _ = write!(out, " ({})", one_line(code).replace(')', ""));
    }
    let payee = one_line(header.payee);
    let payee = payee.trim();
    if !payee.is_empty() {
        match payee.strip_prefix('(') {
            Some(rest) => {
                let _ = write!(out, " （{rest}");
            }
            None => {
                let _ = write!(out, " {payee}");
            }
        }
    }
    out.push('\n');
}

/// Writes `date` as its `Display` does (`2001-03-31`), without the
/// formatting machinery for the years 0 to 9999 (an import writes one
/// date per row).
fn write_date(out: &mut String, date: chrono::NaiveDate) {
    use chrono::Datelike as _;
    if !crate::model::period::is_journal_date(date) {
        let _ = write!(out, "{date}");
        return;
    }
    let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
    let year = date.year().unsigned_abs();
    for n in [year / 1000, year / 100, year / 10, year] {
        out.push(digit(n));
    }
    for part in [date.month(), date.day()] {
        out.push('-');
        out.push(digit(part / 10));
        out.push(digit(part));
    }
}

/// Writes one posting line: the account (with its mark and `()`/`[]`),
/// padded, the amount right-aligned, any `@`/`=` suffix, and the fund tag.
pub fn write_posting_line(out: &mut String, account: &str, amount: &str, suffix: &str, fund: &str) {
    let pad = ACCOUNT_COLUMN_WIDTH.saturating_sub(account.width()).max(2);
    out.push_str("    ");
    out.push_str(account);
    if !amount.is_empty() {
        push_spaces(out, pad);
        // Right-aligned as `{amount:>AMOUNT_COLUMN_WIDTH$}` would: by
        // characters.
        push_spaces(
            out,
            AMOUNT_COLUMN_WIDTH.saturating_sub(amount.chars().count()),
        );
        out.push_str(amount);
        out.push_str(suffix);
    }
    out.push_str("  ; fund: ");
    out.push_str(fund);
    out.push('\n');
}

/// Writes a tag line under a header (`indent` 4) or a posting (8).
pub fn write_tag_line(out: &mut String, indent: usize, name: &str, value: &str) {
    push_spaces(out, indent);
    out.push_str("; ");
    out.push_str(name);
    out.push_str(": ");
    out.push_str(&one_line(value));
    out.push('\n');
}

/// The account as written in a posting: mark, then `(A)`, `[A]` or `A`.
pub fn account_text(name: &str, kind: PostingKind, status: Status) -> String {
    let account = match kind {
        PostingKind::Real => name.to_string(),
        PostingKind::BalancedVirtual => format!("[{name}]"),
        PostingKind::UnbalancedVirtual => format!("({name})"),
    };
    format!("{}{account}", status_mark(status))
}

/// Writes one transaction.
pub fn write_transaction(
    out: &mut String,
    journal: &Journal,
    t: &crate::model::journal::Transaction,
) {
    let header_start = out.len();
    write_header(
        out,
        &HeaderText {
            date: t.date,
            status: t.status,
            code: journal.code(t),
            payee: journal.payee(t),
        },
    );
    if let Some(aux_date) = journal.aux_date(t) {
        let date_end = header_start + t.date.to_string().len();
        out.insert_str(date_end, &format!("={aux_date}"));
    }
    if let Some(comment) = journal.transaction_comment(t) {
        for line in comment.lines() {
            let _ = writeln!(out, "    ; {line}");
        }
    }
    for tag in journal.transaction_tags(t) {
        tag_line(out, 4, tag);
    }
    for p in journal.postings(t) {
        if p.origin == Origin::Conversion {
            continue;
        }
        let account = account_text(journal.account_name(p.account), p.kind, p.status);
        let amount = journal.format_amount(p.quantity, p.commodity);
        let mut suffix = String::new();
        if let Some(cost) = journal.cost(p) {
            let marker = match cost.kind {
                CostKind::PerUnit => "@",
                CostKind::Total => "@@",
            };
            let _ = write!(
                suffix,
                " {marker} {} {}",
                money::format_plain(cost.written, 0),
                quote_commodity(journal.commodity_name(cost.commodity))
            );
        }
        match journal.assertion(p) {
            Some(Assertion::Amount(q, c)) => {
                let _ = write!(suffix, " = {}", journal.format_amount(*q, *c));
            }
            Some(Assertion::Zero) => suffix.push_str(" = 0"),
            None => {}
        }
        write_posting_line(out, &account, &amount, &suffix, journal.fund_name(p.fund));
        if p.origin == Origin::Interfund {
            out.push_str("        ; fundledger: interfund\n");
        }
        for tag in journal.posting_tags(p) {
            tag_line(out, 8, tag);
        }
        if let Some(comment) = journal.posting_comment(p) {
            for line in comment.lines() {
                let _ = writeln!(out, "        ; {line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        for (year, month, day) in [
            (2001, 3, 31),
            (0, 1, 1),
            (9999, 12, 31),
            (812, 10, 5),
            (10000, 1, 1),
            (-1, 2, 3),
        ] {
            let date = chrono::NaiveDate::from_ymd_opt(year, month, day).unwrap();
            let mut out = String::new();
            write_date(&mut out, date);
            assert_eq!(out, date.to_string());
        }
    }
}
