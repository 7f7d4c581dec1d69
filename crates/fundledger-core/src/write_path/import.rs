//! Importing donation and sales CSV files.
//!
//! An import reads the whole file first (decoding it strictly: a byte that is
//! not valid in the file's encoding is an error, never a replacement
//! character), turns every row into a transaction, and reports **every** bad
//! row with its file, row, column, value and what was expected. Only a file
//! without a single bad row is written, through [`crate::write_path::write::append`]
//! (locked, atomic, validated).
//!
//! # Never twice, never lost
//!
//! Each imported transaction carries `; import: ID` and `; importhash: HASH`
//! tags. The hash is a digest of the row's fields (not of its position, so a
//! re-sorted or overlapping later export gives the same hashes). The id is
//! the kind of file, the hash and an occurrence counter (the n-th identical
//! row of the file), so two genuinely identical rows both import, and
//! importing the same file again adds nothing. When the row has a reference
//! number the id is built from it instead, and the same reference with other
//! content is a conflict (E606) naming both places.
//!
//! # No injection
//!
//! Text from a CSV cell (donor names, memos) is written on one line, with
//! control characters and runs of spaces folded to one space and `;` turned
//! into `,`: a cell cannot start a new journal line, a comment, a directive,
//! or split an account from its amount.

use std::collections::BTreeMap;

// Import ids and row digests are looked up by text many times per row; the
// keys come from the journal and the file, not from an adversary who could
// choose them to collide (a collision only slows a lookup).
use rustc_hash::FxHashMap as HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use encoding_rs::{DecoderResult, SHIFT_JIS};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::donors::register::{DonorMatch, DonorRegister};
use crate::load::checks::AMOUNT_DIGITS_MAX;
use crate::model::diagnostic::{Code, Diagnostic, Location};
use crate::model::journal::{amount_text, quote_commodity, Journal, PostingKind, Status};
use crate::model::money::{self, Decimal};
use crate::model::settings::{ColumnRef, ImportRules, ProductSettings, Settings};
use crate::write_path::print;
use crate::write_path::write::ChangeError;

/// What kind of file is imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportKind {
    /// `date,donor,amount,currency,designation,reference,memo`.
    Donations,
    /// `date,product,quantity,unit_price,currency,channel,maker,returned`.
    Sales,
}

impl ImportKind {
    fn name(self) -> &'static str {
        match self {
            ImportKind::Donations => "donations",
            ImportKind::Sales => "sales",
        }
    }

    /// The fields of this kind, in the default column order.
    fn fields(self) -> &'static [&'static str] {
        match self {
            ImportKind::Donations => &[
                "date",
                "donor",
                "amount",
                "currency",
                "designation",
                "reference",
                "memo",
                "child",
                "fee",
                "payout",
            ],
            ImportKind::Sales => &[
                "date",
                "product",
                "quantity",
                "unit_price",
                "currency",
                "channel",
                "maker",
                "returned",
            ],
        }
    }

    fn required(self) -> &'static [&'static str] {
        match self {
            ImportKind::Donations => &["date", "amount"],
            ImportKind::Sales => &["date", "product", "quantity"],
        }
    }
}

/// The columns a CSV file of some kind has: every field, and those required.
#[derive(Clone, Copy)]
struct Layout {
    fields: &'static [&'static str],
    required: &'static [&'static str],
}

impl Layout {
    fn of(kind: ImportKind) -> Layout {
        Layout {
            fields: kind.fields(),
            required: kind.required(),
        }
    }

    fn fields(self) -> &'static [&'static str] {
        self.fields
    }

    fn required(self) -> &'static [&'static str] {
        self.required
    }
}

/// The columns of a bank or postal statement: `amount` (signed), or
/// `deposit` and `withdrawal`; `balance` after the row, when the statement
/// shows it.
const STATEMENT_LAYOUT: Layout = Layout {
    fields: &[
        "date",
        "description",
        "amount",
        "deposit",
        "withdrawal",
        "reference",
        "balance",
    ],
    required: &["date"],
};

/// One line of a bank or postal statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRow {
    /// Its line in the CSV file.
    pub line: u32,
    /// The line as written.
    pub raw: String,
    /// The date the bank booked it.
    pub date: NaiveDate,
    /// Signed: money in is positive.
    pub amount: Decimal,
    /// The bank's reference, when the statement has one.
    pub reference: Option<String>,
    /// The bank's description.
    pub description: String,
    /// The balance after this line, when the statement shows it.
    pub balance: Option<Decimal>,
}

/// Reads a statement CSV file with import `rules` (encoding, delimiter,
/// date format, amount format, `columns`). Every problem is reported, each
/// at its file and row.
///
/// # Errors
/// I/O errors as `Err`; data problems as `Ok(Err)`.
pub fn read_statement(
    settings: &Settings,
    path: &Path,
    rules: &ImportRules,
) -> Result<Result<Vec<StatementRow>, Vec<Diagnostic>>, std::io::Error> {
    let bytes = crate::read::source::read_regular(path, CSV_SIZE_MAX_BYTES)?;
    let encoding = rules
        .encoding
        .clone()
        .unwrap_or_else(|| "utf-8".to_string());
    if let Some(problem) = utf8_read_as_shift_jis(path, &bytes, &encoding) {
        return Ok(Err(vec![problem]));
    }
    let text = match decode(path, &bytes, &encoding) {
        Ok(text) => text,
        Err(problems) => return Ok(Err(problems)),
    };
    let rows = match read_rows(STATEMENT_LAYOUT, path, &text, rules) {
        Ok(rows) => rows,
        Err(problems) => return Ok(Err(problems)),
    };
    let mut reader = RowReader::new(path, rules, settings, None);
    let mut lines = Vec::with_capacity(rows.len());
    for row in &rows {
        let date = reader.date(row);
        let amount = reader.statement_amount(row);
        let balance = match reader.field(row, "balance").to_string() {
            text if text.is_empty() => None,
            text => reader.decimal(row, "balance", &text),
        };
        let reference = Some(clean_text(reader.field(row, "reference"))).filter(|r| !r.is_empty());
        let description = clean_text(reader.field(row, "description"));
        if let (Some(date), Some(amount)) = (date, amount) {
            lines.push(StatementRow {
                line: row.line,
                raw: row.raw.to_string(),
                date,
                amount,
                reference,
                description,
                balance,
            });
        }
    }
    if reader.problems.is_empty() {
        Ok(Ok(lines))
    } else {
        Ok(Err(reader.problems))
    }
}

/// Totals of an import, for its summary.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportSummary {
    /// The file read.
    pub file: String,
    /// Data rows read (the header and skipped rows not counted).
    pub rows_read: usize,
    /// Transactions that are new (written, or to be written with --dry-run).
    pub new_transactions: usize,
    /// Rows whose transaction is already in the journal.
    pub already_present: usize,
    /// New money per (fund, commodity).
    pub totals: BTreeMap<String, BTreeMap<String, Decimal>>,
    /// Donations that matched a designation rule.
    pub designations_matched: usize,
    /// Donations that matched none and went to the default fund.
    pub designations_unmatched: usize,
    /// Sales per product: (units sold, units returned, revenue) of new rows.
    pub products: BTreeMap<String, ProductTotals>,
    /// Sales rows at a price other than the catalogue's.
    pub price_differences: Vec<String>,
    /// Donors the import adds to the donor register: (id, name as given).
    pub new_donors: Vec<(String, String)>,
    /// Fees of new gifts per currency (charged to `fee_account`).
    pub fees: BTreeMap<String, Decimal>,
}

/// Sales of one product in an import.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProductTotals {
    /// Units sold.
    pub sold: Decimal,
    /// Units returned for poor finish.
    pub returned: Decimal,
    /// Revenue net of returns.
    pub revenue: Decimal,
    /// Its currency.
    pub currency: String,
}

/// A prepared import: the text to append and its summary.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The new transactions, in file order, ready to append.
    pub text: String,
    /// How many transactions `text` holds.
    pub transactions: usize,
    /// The summary.
    pub summary: ImportSummary,
    /// The donor register with the donors the import adds, and its file's
    /// new text (`None` when it adds none).
    pub donors: Option<crate::write_path::write::DonorsUpdate>,
}

impl Prepared {
    /// The change that appends this import (and writes the donors it adds
    /// with the journal).
    pub fn into_addition(self) -> crate::write_path::write::Addition<ImportSummary> {
        crate::write_path::write::Addition {
            text: self.text,
            transactions: self.transactions,
            value: self.summary,
            donors: self.donors,
        }
    }
}

/// An import id the journal holds: its hash and where it is (borrowed
/// from the journal: a journal of a million imported entries makes no
/// copies).
struct Existing<'j> {
    hash: &'j str,
    /// The transaction's file (an index into [`Journal::files`]) and line.
    file: u32,
    line: u32,
}

impl Existing<'_> {
    /// `FILE:LINE` of the transaction imported under the id.
    fn place(&self, journal: &Journal) -> String {
        let file = journal.files().get(self.file as usize);
        format!(
            "{}:{}",
            file.map(|f| f.display().to_string()).unwrap_or_default(),
            self.line
        )
    }
}

/// What to import: [`ImportRequest::new`], then `with_rules` and
/// `with_encoding` when needed.
#[non_exhaustive]
pub struct ImportRequest<'a> {
    /// Donations or sales.
    pub kind: ImportKind,
    /// The CSV file.
    pub csv: &'a Path,
    /// An optional rules file.
    pub rules: Option<&'a Path>,
    /// An encoding that overrides the rules'.
    pub encoding: Option<&'a str>,
}

impl<'a> ImportRequest<'a> {
    /// Imports `csv` as `kind`, with the ledger's own rules.
    pub fn new(kind: ImportKind, csv: &'a Path) -> ImportRequest<'a> {
        ImportRequest {
            kind,
            csv,
            rules: None,
            encoding: None,
        }
    }

    /// Reads the columns and designations from this rules file.
    pub fn with_rules(mut self, rules: Option<&'a Path>) -> ImportRequest<'a> {
        self.rules = rules;
        self
    }

    /// Decodes the CSV in this encoding (overriding the rules').
    pub fn with_encoding(mut self, encoding: Option<&'a str>) -> ImportRequest<'a> {
        self.encoding = encoding;
        self
    }
}

/// Imports a CSV file into the journal of `settings`, atomically (the
/// whole of [`crate::write_path::write::change`]: lock, checks, temporary file,
/// rename), and returns what was added. Rows already imported add nothing;
/// a bad row writes nothing. With `dry_run`, everything is checked and
/// nothing is written.
///
/// # Errors
/// [`ChangeError::Input`] with every problem of the CSV file,
/// [`ChangeError::Io`] when it cannot be read, or any other
/// [`ChangeError`]; in every case the journal is unchanged.
pub fn import(
    settings: &Settings,
    request: &ImportRequest<'_>,
    dry_run: bool,
) -> Result<crate::write_path::write::Addition<ImportSummary>, ChangeError> {
    crate::write_path::write::change(settings, dry_run, |journal| {
        let prepared = prepare(settings, journal, request)
            .map_err(|e| ChangeError::io(format!("cannot read {}", request.csv.display()), e))?
            .map_err(ChangeError::Input)?;
        Ok(prepared.into_addition())
    })
}

/// The largest CSV file imported, in bytes.
pub const CSV_SIZE_MAX_BYTES: u64 = 1 << 30;
/// The largest rules or settings file read, in bytes.
pub const SETTINGS_SIZE_MAX_BYTES: u64 = 256 << 20;

/// Reads a rules or settings file: a regular file of at most
/// [`SETTINGS_SIZE_MAX_BYTES`], in UTF-8.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = crate::read::source::read_regular(path, SETTINGS_SIZE_MAX_BYTES)?;
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Reads a rules file.
///
/// # Errors
/// E607 diagnostics naming the key and line; I/O errors as `Err(Err)`.
pub fn read_rules(path: &Path) -> Result<Result<ImportRules, Vec<Diagnostic>>, std::io::Error> {
    let text = read_text(path)?;
    Ok(toml::from_str::<ImportRules>(&text).map_err(|error| {
        let line = error
            .span()
            .map(|span| {
                u32::try_from(text[..span.start.min(text.len())].matches('\n').count() + 1)
                    .unwrap_or(1)
            })
            .unwrap_or(1);
        let excerpt = text
            .lines()
            .nth(line as usize - 1)
            .map(|l| vec![(line, l.to_string())])
            .unwrap_or_default();
        vec![
            Diagnostic::new(Code::ImportRules, error.message().trim().to_string())
                .at(Location {
                    path: path.to_path_buf(),
                    line,
                })
                .with_excerpt(excerpt)
                .expected("the keys documented in README.md (Importing)"),
        ]
    }))
}

/// The problems of a set of import rules that would change amounts or
/// write something other than intended (E607), each located at the line of
/// the first of `files` (the rules file, then fundledger.toml) that sets
/// the key: account and fund names the journal would read differently,
/// digit or equal separators, strip texts with digits, empty patterns.
fn rules_problems(rules: &ImportRules, files: &[(PathBuf, String)]) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut problem = |key: &str, value: &str, message: String, expected: &str| {
        let quoted = format!("{value:?}");
        let mut found = None;
        'files: for (path, text) in files {
            for (index, line) in text.lines().enumerate() {
                let trimmed = line.trim_start();
                let sets_key = trimmed
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='));
                if sets_key && (line.contains(&quoted) || found.is_none()) {
                    let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
                    found = Some((path.clone(), number, line.to_string()));
                    if line.contains(&quoted) {
                        break 'files;
                    }
                }
            }
        }
        let mut d = Diagnostic::new(Code::ImportRules, message).expected(expected.to_string());
        if let Some((path, line, text)) = found.or_else(|| {
            files
                .first()
                .map(|(path, _)| (path.clone(), 1, String::new()))
        }) {
            d = d.at(Location { path, line });
            if !text.is_empty() {
                d = d.with_excerpt(vec![(line, text)]);
            }
        }
        problems.push(d);
    };
    let mut accounts: Vec<(&str, &str)> = [
        ("asset_account", &rules.asset_account),
        ("income_account", &rules.income_account),
        ("returns_account", &rules.returns_account),
        ("fee_account", &rules.fee_account),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.as_deref().map(|v| (key, v)))
    .collect();
    let designations = rules.designations.as_deref().unwrap_or_default();
    accounts.extend(
        designations
            .iter()
            .filter_map(|d| d.income_account.as_deref().map(|v| ("income_account", v))),
    );
    for (key, account) in accounts {
        if let Some(why) = print::account_name_problem(account) {
            problem(
                key,
                account,
                format!("{key} {account:?} is not a valid account name: {why}"),
                "an account name such as \"Assets:Bank:Postal\" (single spaces, no line breaks or control characters)",
            );
        }
    }
    let funds = rules
        .fund
        .as_deref()
        .into_iter()
        .chain(rules.fee_fund.as_deref())
        .chain(designations.iter().map(|d| d.fund.as_str()));
    for fund in funds {
        if fund.is_empty()
            || fund.contains(|c: char| c.is_whitespace() || print::is_forbidden_char(c))
        {
            problem(
                "fund",
                fund,
                format!("fund {fund:?} is not a fund id"),
                "a fund id from fundledger.toml (one word)",
            );
        }
    }
    if let Some(fee) = &rules.fee_per_gift {
        if !fee
            .parse::<Decimal>()
            .is_ok_and(|f| f.is_sign_positive() || f.is_zero())
        {
            problem(
                "fee_per_gift",
                fee,
                format!("fee_per_gift {fee:?} is not an amount"),
                "a fee of zero or more, as a decimal string such as \"130\"",
            );
        }
    }
    if (rules.fee_per_gift.is_some() || rules.fee_fund.is_some()) && rules.fee_account.is_none() {
        problem(
            "fee_per_gift",
            rules.fee_per_gift.as_deref().unwrap_or(""),
            "fees are set, but not the account they are charged to".into(),
            "fee_account = \"Expenses:Fundraising:Fees\" beside them",
        );
    }
    let separator_problem =
        |c: char| c.is_ascii_digit() || c == '-' || c.is_whitespace() && c != ' ';
    for (key, mark) in [
        ("decimal_mark", rules.decimal_mark),
        ("thousands_separator", rules.thousands_separator),
    ] {
        if let Some(mark) = mark.filter(|&m| separator_problem(m)) {
            problem(
                key,
                &mark.to_string(),
                format!("{key} {mark:?} would change the digits of amounts"),
                "a mark that is not a digit or a minus sign, such as \".\" or \",\"",
            );
        }
    }
    if let (Some(decimal), Some(thousands)) = (rules.decimal_mark, rules.thousands_separator) {
        if decimal == thousands {
            problem(
                "thousands_separator",
                &thousands.to_string(),
                format!("thousands_separator and decimal_mark are both {decimal:?}"),
                "two different marks, such as \",\" and \".\"",
            );
        }
    }
    if rules.thousands_separator.is_some()
        && rules.decimal_mark.is_none()
        && rules.thousands_separator == Some('.')
    {
        problem(
            "thousands_separator",
            ".",
            "thousands_separator is \".\", the default decimal mark".to_string(),
            "decimal_mark set to another mark (\",\") when \".\" groups digits",
        );
    }
    for text in rules.strip.as_deref().unwrap_or_default() {
        if text.is_empty() || text.contains(|c: char| c.is_ascii_digit() || c == '-') {
            problem(
                "strip",
                text,
                format!(
                    "strip text {text:?} would remove digits or signs from amounts (or nothing)"
                ),
                "texts such as \"円\" or \"¥\", without digits or '-'",
            );
        }
    }
    for designation in designations {
        if designation.contains.is_empty() {
            problem(
                "contains",
                "",
                format!(
                    "the designation for fund {} has no texts to match",
                    designation.fund
                ),
                "contains = [\"text\", ...] with at least one non-empty text",
            );
        }
        for pattern in &designation.contains {
            if pattern.trim().is_empty() {
                problem(
                    "contains",
                    pattern,
                    format!(
                        "an empty pattern {pattern:?} sends every donation to fund {}",
                        designation.fund
                    ),
                    "non-empty texts to look for in the designation or memo",
                );
            }
        }
    }
    problems
}

/// A file read as Shift_JIS whose bytes are valid UTF-8 with multi-byte
/// characters is almost surely UTF-8: decoded as Shift_JIS it would become
/// mojibake (`里親` no longer matches its designation, and the gift goes to
/// the wrong fund). Refused (E601) at the first such character.
fn utf8_read_as_shift_jis(path: &Path, bytes: &[u8], encoding: &str) -> Option<Diagnostic> {
    let shift_jis = matches!(
        encoding.to_ascii_lowercase().replace('_', "-").as_str(),
        "shift-jis" | "sjis" | "cp932" | "windows-31j"
    );
    let text = std::str::from_utf8(bytes).ok().filter(|_| shift_jis)?;
    let offset = text.find(|c: char| !c.is_ascii())?;
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_number = u32::try_from(text[..offset].matches('\n').count() + 1).unwrap_or(u32::MAX);
    let line_text = text[line_start..].lines().next().unwrap_or("").to_string();
    let character = text[offset..].chars().next().unwrap_or(' ');
    Some(
        Diagnostic::new(
            Code::CsvEncoding,
            "the file is UTF-8, not Shift_JIS: read as Shift_JIS its text would be garbled",
        )
        .at(Location {
            path: path.to_path_buf(),
            line: line_number,
        })
        .with_excerpt(vec![(line_number, line_text)])
        .found(format!(
            "{character:?} as valid multi-byte UTF-8 at byte {offset}"
        ))
        .expected("--encoding utf-8 (or encoding = \"utf-8\" in the rules) for this file"),
    )
}

/// Decodes CSV bytes strictly in `encoding`.
fn decode(path: &Path, bytes: &[u8], encoding: &str) -> Result<String, Vec<Diagnostic>> {
    let located = |offset: usize, message: String, found: String| {
        let line = u32::try_from(bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1)
            .unwrap_or(u32::MAX);
        let line_start = bytes[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|i| i + 1)
            .unwrap_or(0);
        Diagnostic::new(Code::CsvEncoding, message)
            .at(Location {
                path: path.to_path_buf(),
                line,
            })
            .found(format!(
                "{found} at byte {offset} (column {} of row {line})",
                offset - line_start + 1
            ))
    };
    match encoding.to_ascii_lowercase().replace('_', "-").as_str() {
        "utf-8" | "utf8" => {
            let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
            std::str::from_utf8(bytes).map(str::to_string).map_err(|e| {
                vec![{
                    let offset = e.valid_up_to();
                    let bad: Vec<String> = bytes[offset..]
                        .iter()
                        .take(2)
                        .map(|b| format!("{b:02X}"))
                        .collect();
                    located(
                        offset,
                        "the file is not valid UTF-8".to_string(),
                        format!("the bytes {}", bad.join(" ")),
                    )
                    .expected(
                        "a UTF-8 file, or --encoding shift_jis for a Shift_JIS (CP932) export",
                    )
                }]
            })
        }
        "shift-jis" | "sjis" | "cp932" | "windows-31j" => {
            let mut decoder = SHIFT_JIS.new_decoder_without_bom_handling();
            let capacity = decoder
                .max_utf8_buffer_length_without_replacement(bytes.len())
                .unwrap_or(bytes.len() * 3);
            let mut out = String::with_capacity(capacity);
            let (result, read) =
                decoder.decode_to_string_without_replacement(bytes, &mut out, true);
            match result {
                DecoderResult::InputEmpty => Ok(out),
                DecoderResult::Malformed(bad, after) => {
                    let offset = read.saturating_sub(usize::from(bad) + usize::from(after));
                    let shown: Vec<String> = bytes[offset..]
                        .iter()
                        .take(usize::from(bad).max(1))
                        .map(|b| format!("{b:02X}"))
                        .collect();
                    Err(vec![located(
                        offset,
                        "the file is not valid Shift_JIS (CP932)".to_string(),
                        format!("the bytes {}", shown.join(" ")),
                    )
                    .expected(
                        "a Shift_JIS (CP932) file, or --encoding utf-8 for a UTF-8 one",
                    )])
                }
                DecoderResult::OutputFull => Err(vec![located(
                    0,
                    "the file could not be decoded".into(),
                    "an output buffer too small".into(),
                )]),
            }
        }
        other => Err(vec![Diagnostic::new(
            Code::ImportRules,
            format!("unknown encoding {other:?}"),
        )
        .at(Location {
            path: path.to_path_buf(),
            line: 1,
        })
        .expected("utf-8 or shift_jis")]),
    }
}

/// One data row: its line in the file and its fields by name.
struct Row<'t> {
    line: u32,
    /// The row's line as the file has it (for excerpts).
    raw: &'t str,
    /// The row's cells, as the CSV reader unquoted them.
    record: csv::StringRecord,
    /// Which cell holds each field the file has, in the layout's order (at
    /// most a dozen, so a search beats hashing), each with its
    /// [`field_key`]; shared by every row.
    positions: Arc<[(u32, &'static str, usize)]>,
}

/// A field name's length, first and last bytes: a row's fields are looked
/// up by it (a dozen integer comparisons, no string compared but the one
/// found), as each row looks up a dozen fields.
fn field_key(name: &str) -> u32 {
    let bytes = name.as_bytes();
    let (first, last) = (bytes.first().copied(), bytes.last().copied());
    (u32::try_from(bytes.len()).unwrap_or(u32::MAX) << 16)
        | (u32::from(first.unwrap_or(0)) << 8)
        | u32::from(last.unwrap_or(0))
}

impl Row<'_> {
    /// The value of the field `name` (trimmed), or "" when the file has no
    /// such column.
    fn get(&self, name: &str) -> &str {
        let key = field_key(name);
        self.positions
            .iter()
            .find(|&&(field_key, field, _)| field_key == key && field == name)
            .and_then(|&(_, _, position)| self.record.get(position))
            .map_or("", str::trim)
    }
}

/// Reads the rows of a CSV file according to `rules`.
fn read_rows<'t>(
    kind: Layout,
    path: &Path,
    text: &'t str,
    rules: &ImportRules,
) -> Result<Vec<Row<'t>>, Vec<Diagnostic>> {
    let delimiter = rules.delimiter.unwrap_or(',');
    if !delimiter.is_ascii() {
        return Err(vec![Diagnostic::new(
            Code::ImportRules,
            format!("delimiter {delimiter:?} is not a single ASCII character"),
        )
        .expected("a delimiter such as \",\", \";\" or \"\\t\"")]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter as u8)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let lines: Vec<&'t str> = text.lines().collect();
    let location = |line: u64| Location {
        path: path.to_path_buf(),
        line: u32::try_from(line).unwrap_or(u32::MAX),
    };
    let excerpt = |line: u64| {
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        lines
            .get(line as usize - 1)
            .map(|l| vec![(line, l.to_string())])
            .unwrap_or_default()
    };
    let mut records = reader.records().skip(rules.skip_rows.unwrap_or(0));
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(e)) => {
            return Err(vec![Diagnostic::new(
                Code::CsvMalformed,
                format!("cannot read the header row: {e}"),
            )
            .at(location(e.position().map(|p| p.line()).unwrap_or(1)))])
        }
        None => {
            return Err(vec![Diagnostic::new(
                Code::CsvMissing,
                "the file has no header row",
            )
            .at(location(1))
            .expected(format!(
                "a header row naming the columns: {}",
                kind.fields().join(",")
            ))])
        }
    };
    let header_line = header.position().map(|p| p.line()).unwrap_or(1);
    let header_names: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    // Where each field is, in the layout's order.
    let mut positions: Vec<(u32, &'static str, usize)> = Vec::new();
    let mut problems = Vec::new();
    for (index, name) in header_names.iter().enumerate() {
        if !name.is_empty() && header_names[..index].contains(name) {
            problems.push(
                Diagnostic::new(
                    Code::CsvMalformed,
                    format!("the header names the column {name:?} twice"),
                )
                .at(location(header_line))
                .with_excerpt(excerpt(header_line))
                .found(format!("the columns {}", header_names.join(", ")))
                .expected("each column named once, so it is clear which one holds the value"),
            );
        }
    }
    for &field in kind.fields() {
        let wanted = rules.columns.as_ref().and_then(|c| c.get(field).cloned());
        let position = match &wanted {
            Some(ColumnRef::Index(i)) => Some(*i),
            Some(ColumnRef::Name(name)) => header_names.iter().position(|h| h == name),
            None => header_names
                .iter()
                .position(|h| h.eq_ignore_ascii_case(field)),
        };
        match position {
            Some(p) if p < header_names.len() => {
                positions.push((field_key(field), field, p));
            }
            _ if kind.required().contains(&field) => {
                let name = match &wanted {
                    Some(ColumnRef::Name(n)) => format!("{n:?}"),
                    Some(ColumnRef::Index(i)) => format!("position {i}"),
                    None => format!("{field:?}"),
                };
                problems.push(
                    Diagnostic::new(Code::CsvMissing, format!("no column {name} for the required field `{field}`"))
                        .at(location(header_line))
                        .with_excerpt(excerpt(header_line))
                        .found(format!("the columns {}", header_names.join(", ")))
                        .expected(format!(
                            "a column for the `{field}` field: a header named {field:?}, or `columns.{field} = \"HEADER\"` in a rules file (--rules)"
                        )),
                );
            }
            _ => {}
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let positions: Arc<[(u32, &'static str, usize)]> = positions.into();
    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(
                    Diagnostic::new(Code::CsvMalformed, format!("cannot read this row: {e}"))
                        .at(location(line))
                        .with_excerpt(excerpt(line)),
                );
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != header_names.len() {
            problems.push(
                Diagnostic::new(
                    Code::CsvMalformed,
                    format!("row {line} has {} fields", record.len()),
                )
                .at(location(line))
                .with_excerpt(excerpt(line))
                .expected(format!(
                    "{} fields, as in the header row",
                    header_names.len()
                )),
            );
            continue;
        }
        rows.push(Row {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            raw: lines
                .get((line as usize).saturating_sub(1))
                .copied()
                .unwrap_or(""),
            record,
            positions: Arc::clone(&positions),
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// Text folded for matching, never for storing: Unicode compatibility
/// normalisation (NFKC: half-width katakana such as `ｼｪﾙﾀｰ` become `シェルター`,
/// full-width letters become ASCII) and lower case.
fn folded(text: &str) -> String {
    // ASCII is its own compatibility form: the same result without the
    // normaliser.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    folded_in_general(text)
}

/// [`folded`] for any text.
fn folded_in_general(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc().collect::<String>().to_lowercase()
}

/// Text from a CSV cell made safe for one journal line.
pub fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else if c == ';' {
            ','
        } else {
            c
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

/// Reads rows into candidates; collects every problem.
struct RowReader<'a> {
    path: &'a Path,
    rules: &'a ImportRules,
    settings: &'a Settings,
    problems: Vec<Diagnostic>,
    /// The donor register (donations into a ledger directory), with the
    /// donors this import adds.
    donors: Option<DonorRegister>,
    /// The row being read is already in the journal (no donor is added).
    already: bool,
    /// The `contains` texts of each designation rule, folded ([`folded`])
    /// once for every row (shared by the reader's views).
    designation_patterns: Arc<[Vec<String>]>,
}

/// A donation row read: a gift, its fee and where they are booked.
struct GiftRow {
    date: NaiveDate,
    payee: String,
    /// `donor:`, `designation:`... tags, in order.
    tags: Vec<(&'static str, String)>,
    asset: String,
    income: String,
    fund: String,
    currency: String,
    /// `currency` as an amount in the journal writes it
    /// ([`quote_commodity`](crate::model::journal::quote_commodity)).
    quoted_currency: String,
    precision: u32,
    /// The gross gift.
    amount: Decimal,
    /// The fee kept by the bank, the post office or the processor.
    fee: Decimal,
    /// What reaches the bank: the gift less the fee.
    net: Decimal,
    negative_text: String,
}

/// What a donation row says on its own, before its donor is looked up
/// and its amounts are added to the file's totals
/// ([`RowReader::draft_gift`]).
struct GiftDraft {
    date: NaiveDate,
    /// The donor cell, cleaned ([`clean_text`]).
    donor: String,
    /// The tags after the donor's (`designation:`, `memo:`...), in order.
    tags: Vec<(&'static str, String)>,
    matched_rule: bool,
    asset: String,
    income: String,
    fund: String,
    currency: String,
    quoted_currency: String,
    precision: u32,
    amount: Decimal,
    /// The fee, or `None` with the problems that refuse it (reported only
    /// once the donor is known, as a donor problem comes first).
    fee: Result<Decimal, Vec<Diagnostic>>,
    negative_text: String,
}

/// What a sales row says on its own, its entry's text included, before its
/// figures are added to the file's totals ([`RowReader::draft_sale`]).
struct SaleDraft {
    date: NaiveDate,
    payee: String,
    body: String,
    product: String,
    currency: String,
    fund: String,
    quantity: Decimal,
    returned: Decimal,
    net: Decimal,
    /// `row N: ... sold at ..., catalogue price ...` when the row's price
    /// is not the catalogue's.
    price_difference: Option<String>,
}

/// A row's entry, read.
enum Made {
    Gift(GiftDraft),
    Sale(SaleDraft),
}

/// What a row gives without the journal or the other rows: worked out for
/// many rows at once ([`RowReader::draft`]).
struct RowDraft {
    digest: [u8; 8],
    /// `digest` in hexadecimal: the `importhash` tag.
    hash: String,
    /// The payout the row belongs to (donations), cleaned, `_` for spaces;
    /// empty when none.
    payout: String,
    /// The reference cell, cleaned, `_` for spaces (rows outside payouts).
    reference: String,
    /// The row read (rows outside payouts), when its cells allow.
    made: Option<Made>,
    /// The problems reading its cells found: reported when the row is
    /// taken up (not when its import id is refused first).
    problems: Vec<Diagnostic>,
}

/// Entries written one after another, each with its date and where it is
/// in the text.
type Piece = (String, Vec<(NaiveDate, std::ops::Range<usize>)>);

/// A row taken up: its entry waits to be written.
struct Ready {
    date: NaiveDate,
    payee: String,
    id: String,
    hash: String,
    body: Body,
}

/// The body of a ready entry. (A file's entries are all gifts or all
/// sales: boxing the larger variant would cost an allocation per gift and
/// save nothing.)
#[allow(clippy::large_enum_variant)]
enum Body {
    /// A gift of its own (its postings are written from it).
    Gift(GiftRow),
    /// Written already (a sale).
    Text(String),
}

impl GiftRow {
    /// An amount in the gift's currency, as the journal writes it.
    fn text_of(&self, quantity: Decimal) -> String {
        amount_text(quantity, self.precision, &self.quoted_currency)
    }
}

/// Digits with at most one point, neither first nor last: what an amount
/// cell holds once signs, separators and stripped texts are gone.
fn is_plain_number(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().filter(|&b| b == b'.').count() <= 1
        && !text.starts_with('.')
        && !text.ends_with('.')
}

/// Who gave a donation row.
enum Giver {
    /// Nobody named.
    Anonymous,
    /// A donor of the register (or added by this import): the id and the
    /// name a public report shows.
    Donor(String, String),
    /// The donor column holds a name as written (no register: a bare journal).
    Named(String),
}

impl<'a> RowReader<'a> {
    fn new(
        path: &'a Path,
        rules: &'a ImportRules,
        settings: &'a Settings,
        donors: Option<DonorRegister>,
    ) -> RowReader<'a> {
        let designation_patterns: Vec<Vec<String>> = rules
            .designations
            .iter()
            .flatten()
            .map(|d| d.contains.iter().map(|c| folded(c)).collect())
            .collect();
        let designation_patterns = designation_patterns.into();
        RowReader {
            path,
            rules,
            settings,
            problems: Vec::new(),
            donors,
            already: false,
            designation_patterns,
        }
    }

    /// A reader of the same file under the same rules without the donor
    /// register and with no problems yet: what reads rows on another
    /// thread ([`RowReader::draft`] needs nothing more).
    fn view(&self) -> RowReader<'a> {
        RowReader {
            path: self.path,
            rules: self.rules,
            settings: self.settings,
            problems: Vec::new(),
            donors: None,
            already: false,
            designation_patterns: Arc::clone(&self.designation_patterns),
        }
    }

    /// What `row` gives on its own ([`RowDraft`]); its problems are taken
    /// into the draft.
    fn draft(&mut self, kind: ImportKind, row: &Row) -> RowDraft {
        let digest = row_hash(kind, row);
        let hash = crate::read::source::hex(&digest);
        let payout = match kind {
            ImportKind::Donations => clean_text(self.field(row, "payout")).replace(' ', "_"),
            ImportKind::Sales => String::new(),
        };
        let (reference, made) = if payout.is_empty() {
            let reference = clean_text(self.field(row, "reference")).replace(' ', "_");
            let made = match kind {
                ImportKind::Donations => self.draft_gift(row).map(Made::Gift),
                ImportKind::Sales => self.draft_sale(row).map(Made::Sale),
            };
            (reference, made)
        } else {
            (String::new(), None)
        };
        RowDraft {
            digest,
            hash,
            payout,
            reference,
            made,
            problems: std::mem::take(&mut self.problems),
        }
    }

    fn problem(&mut self, row: &Row, code: Code, column: &str, value: &str, expected: String) {
        self.problems.push(
            Diagnostic::new(
                code,
                format!("row {}, column `{column}`: cannot use {value:?}", row.line),
            )
            .at(Location {
                path: self.path.to_path_buf(),
                line: row.line,
            })
            .with_excerpt(vec![(row.line, row.raw.to_string())])
            .found(format!("{value:?} in column `{column}`"))
            .expected(expected),
        );
    }

    fn field<'r>(&self, row: &'r Row, name: &str) -> &'r str {
        row.get(name)
    }

    fn date(&mut self, row: &Row) -> Option<NaiveDate> {
        let value = self.field(row, "date");
        let format = self.rules.date_format.as_deref().unwrap_or("%Y-%m-%d");
        // The usual format, read without interpreting the format string.
        if format == "%Y-%m-%d" {
            if let Some(date) = iso_date(value) {
                return Some(date);
            }
        }
        match NaiveDate::parse_from_str(value, format) {
            // chrono reads a year before 0 or after 9999 (`-001`,
            // `+10000`), which a journal date cannot be (found by fuzzing).
            Ok(date) if !crate::model::period::is_journal_date(date) => {
                self.problem(
                    row,
                    Code::CsvDate,
                    "date",
                    value,
                    "a date in the years 0000 to 9999, as a journal writes them".into(),
                );
                None
            }
            Ok(date) => Some(date),
            Err(_) => {
                self.problem(
                    row,
                    Code::CsvDate,
                    "date",
                    value,
                    format!("a date in the format {format:?} (date_format in the rules)"),
                );
                None
            }
        }
    }

    /// A statement line's signed amount: `amount`, or `deposit` less
    /// `withdrawal`.
    fn statement_amount(&mut self, row: &Row) -> Option<Decimal> {
        let amount = self.field(row, "amount").to_string();
        if !amount.is_empty() {
            return self.decimal(row, "amount", &amount);
        }
        let deposit = self.field(row, "deposit").to_string();
        let withdrawal = self.field(row, "withdrawal").to_string();
        let read = |reader: &mut Self, column: &str, text: &str| match text {
            "" => Some(Decimal::ZERO),
            text => reader.decimal(row, column, text),
        };
        if deposit.is_empty() && withdrawal.is_empty() {
            self.problem(
                row,
                Code::CsvMissing,
                "amount",
                "",
                "an amount (a signed `amount` column, or `deposit`/`withdrawal` columns)".into(),
            );
            return None;
        }
        let deposit = read(self, "deposit", &deposit)?;
        let withdrawal = read(self, "withdrawal", &withdrawal)?;
        match deposit.checked_sub(withdrawal) {
            Some(net) => Some(net),
            None => {
                self.problem(
                    row,
                    Code::Overflow,
                    "amount",
                    "",
                    "amounts within 28 digits".into(),
                );
                None
            }
        }
    }

    /// An amount: strips configured texts, reads sign markers and separators,
    /// and parses exactly (no rounding, no floats).
    fn decimal(&mut self, row: &Row, column: &str, value: &str) -> Option<Decimal> {
        // The usual cell (digits, at most one point inside) under rules
        // that change nothing in it: read as it is, without copies.
        let plain_rules = self.rules.strip.as_ref().is_none_or(Vec::is_empty)
            && self.rules.thousands_separator.is_none()
            && self.rules.decimal_mark.is_none_or(|mark| mark == '.');
        if plain_rules {
            let text = value.trim();
            if is_plain_number(text) {
                if let Ok(d) = Decimal::from_str_exact(text) {
                    return Some(d);
                }
            }
        }
        let mut text = value.to_string();
        for s in self.rules.strip.iter().flatten() {
            text = text.replace(s.as_str(), "");
        }
        let mut text = text.trim().to_string();
        let mut negative = false;
        if text.starts_with('(') && text.ends_with(')') {
            negative = true;
            text = text[1..text.len() - 1].to_string();
        }
        for marker in ["-", "▲", "△"] {
            if let Some(rest) = text.strip_prefix(marker) {
                negative = !negative;
                text = rest.trim().to_string();
            }
        }
        if let Some(sep) = self.rules.thousands_separator {
            text = text.replace(sep, "");
        }
        let mark = self.rules.decimal_mark.unwrap_or('.');
        if mark != '.' {
            if text.contains('.') {
                self.problem(
                    row,
                    Code::CsvAmount,
                    column,
                    value,
                    format!("an amount with {mark:?} as decimal mark"),
                );
                return None;
            }
            text = text.replace(mark, ".");
        }
        let parsed = if is_plain_number(&text) {
            Decimal::from_str_exact(&text).ok()
        } else {
            None
        };
        match parsed {
            Some(d) => Some(if negative { -d } else { d }),
            None => {
                let hint = if text.contains(',') && self.rules.thousands_separator.is_none() {
                    "a plain number such as 5000 (this file groups digits: set thousands_separator = \",\" in the rules)".to_string()
                } else {
                    "a plain number such as 5000 or 12.50".to_string()
                };
                self.problem(row, Code::CsvAmount, column, value, hint);
                None
            }
        }
    }

    /// The currency of a row, checked against the declared commodities and
    /// the precision of the amount.
    fn currency(
        &mut self,
        row: &Row,
        fallback: &str,
        amount: Decimal,
        column: &str,
    ) -> Option<String> {
        let written = self.field(row, "currency");
        let currency = if written.is_empty() {
            self.rules
                .currency
                .clone()
                .unwrap_or_else(|| fallback.to_string())
        } else {
            written.to_string()
        };
        if currency.is_empty() {
            self.problem(
                row,
                Code::CsvMissing,
                "currency",
                "",
                "a currency (a currency column, or currency = \"JPY\" in the rules)".into(),
            );
            return None;
        }
        if !self.settings.commodities.is_empty() {
            match self.settings.commodity(&currency) {
                None => {
                    let known: Vec<&str> = self
                        .settings
                        .commodities
                        .iter()
                        .filter(|c| c.kind == crate::model::settings::CommodityKind::Currency)
                        .map(|c| c.symbol.as_str())
                        .collect();
                    self.problem(
                        row,
                        Code::UndeclaredCommodity,
                        "currency",
                        &currency,
                        format!("one of the ledger's currencies: {}", known.join(", ")),
                    );
                    return None;
                }
                Some(declared) => {
                    let decimals = money::significant_decimals(amount);
                    if decimals > declared.precision {
                        self.problem(
                            row,
                            Code::TooPrecise,
                            column,
                            &amount.to_string(),
                            format!("an amount in {currency} with at most {} decimal places; fundledger never rounds it", declared.precision),
                        );
                        return None;
                    }
                    if too_long(amount, declared.precision) {
                        self.too_long_problem(row, column, amount, &currency, declared.precision);
                        return None;
                    }
                }
            }
        } else if too_long(amount, 0) {
            self.too_long_problem(row, column, amount, &currency, 0);
            return None;
        }
        Some(currency)
    }

    /// E205 at `column`: `amount` has more digits than a journal amount may
    /// ([`too_long`]); the journal would refuse the entry, so the row is
    /// refused here, where the user can see which cell.
    fn too_long_problem(
        &mut self,
        row: &Row,
        column: &str,
        amount: Decimal,
        currency: &str,
        decimals: u32,
    ) {
        let decimals = written_decimals(amount, decimals);
        self.problem(
            row,
            Code::Overflow,
            column,
            &amount.to_string(),
            format!(
                "an amount in {currency} of at most {} digits before the decimal point ({AMOUNT_DIGITS_MAX} in all with its {decimals} decimal places, the most a journal amount holds)",
                AMOUNT_DIGITS_MAX.saturating_sub(decimals)
            ),
        );
    }

    fn account(&self, value: Option<&String>, default: &str) -> String {
        value.cloned().unwrap_or_else(|| default.to_string())
    }

    /// A donation row read: [`RowReader::draft_gift`], then
    /// [`RowReader::finish_gift`].
    fn donation(&mut self, row: &Row, summary: &mut ImportSummary) -> Option<GiftRow> {
        let draft = self.draft_gift(row)?;
        self.finish_gift(row, draft, summary)
    }

    /// What a donation row says on its own: its date, amount, currency,
    /// fund and accounts, tags and fee (the fee's problems kept aside).
    fn draft_gift(&mut self, row: &Row) -> Option<GiftDraft> {
        let date = self.date(row);
        let amount_cell = self.field(row, "amount");
        let amount = self.decimal(row, "amount", amount_cell);
        let amount = match amount {
            Some(a) if a.is_sign_positive() && !a.is_zero() => Some(a),
            Some(_) => {
                self.problem(
                    row,
                    Code::CsvAmount,
                    "amount",
                    amount_cell,
                    "a donation above zero (record refunds by hand with `fundledger add`)".into(),
                );
                None
            }
            None => None,
        };
        let settings = self.settings;
        let base = settings.base_currency.as_deref().unwrap_or_default();
        let currency = amount.and_then(|a| self.currency(row, base, a, "amount"));
        let (date, amount, currency) = (date?, amount?, currency?);
        let designation = self.field(row, "designation");
        let memo = self.field(row, "memo");
        let rule = match self.rules.designations.as_deref() {
            Some(rules) if !rules.is_empty() => {
                let haystack = folded(&format!("{designation} {memo}"));
                rules
                    .iter()
                    .zip(self.designation_patterns.iter())
                    .find(|(_, patterns)| patterns.iter().any(|c| haystack.contains(c.as_str())))
                    .map(|(rule, _)| rule)
            }
            _ => None,
        };
        let (fund, income) = match rule {
            Some(rule) => (
                rule.fund.clone(),
                self.account(
                    rule.income_account
                        .as_ref()
                        .or(self.rules.income_account.as_ref()),
                    "Income:Donations",
                ),
            ),
            None => (
                self.rules
                    .fund
                    .clone()
                    .unwrap_or_else(|| self.settings.default_fund.clone()),
                self.account(self.rules.income_account.as_ref(), "Income:Donations"),
            ),
        };
        if !self.settings.funds.is_empty() && self.settings.fund(&fund).is_none() {
            self.problem(
                row,
                Code::UnknownFund,
                "designation",
                designation,
                format!(
                    "a designation rule whose fund is in fundledger.toml (found fund {fund:?})"
                ),
            );
            return None;
        }
        let asset = self.account(self.rules.asset_account.as_ref(), "Assets:Bank");
        let donor = clean_text(self.field(row, "donor"));
        let precision = self
            .settings
            .commodity(&currency)
            .map(|c| c.precision)
            .unwrap_or(0);
        let quoted_currency = quote_commodity(&currency);
        let negative_text = amount_text(-amount, precision, &quoted_currency);
        let mut tags = Vec::new();
        for (name, column) in [
            ("designation", "designation"),
            ("memo", "memo"),
            ("child", "child"),
            ("reference", "reference"),
        ] {
            let value = clean_text(self.field(row, column));
            if !value.is_empty() {
                tags.push((name, value));
            }
        }
        if self.field(row, "child").is_empty() && !(designation.is_empty() && memo.is_empty()) {
            if let Some(child) = child_named_in(&format!("{designation} {memo}")) {
                tags.push(("child", child));
            }
        }
        let problems_before = self.problems.len();
        let fee = match self.fee(row, base, amount) {
            Some(fee) => Ok(fee),
            None => Err(self.problems.split_off(problems_before)),
        };
        Some(GiftDraft {
            date,
            donor,
            tags,
            matched_rule: rule.is_some(),
            asset,
            income,
            fund,
            currency,
            quoted_currency,
            precision,
            amount,
            fee,
            negative_text,
        })
    }

    /// A drafted gift with its donor (looked up in the register, or added
    /// to it) and its amounts added to the file's totals in `summary`: row
    /// after row, in the file's order.
    fn finish_gift(
        &mut self,
        row: &Row,
        draft: GiftDraft,
        summary: &mut ImportSummary,
    ) -> Option<GiftRow> {
        if draft.matched_rule {
            summary.designations_matched += 1;
        } else {
            summary.designations_unmatched += 1;
        }
        let giver = self.giver(row, draft.donor, summary)?;
        let fee = match draft.fee {
            Ok(fee) => fee,
            Err(problems) => {
                self.problems.extend(problems);
                return None;
            }
        };
        let (payee, mut tags) = match giver {
            Giver::Anonymous => ("Anonymous donor".to_string(), draft.tags),
            Giver::Donor(id, public) => {
                let mut tags = Vec::with_capacity(draft.tags.len() + 1);
                tags.push(("donor", id));
                tags.extend(draft.tags);
                (format!("Donation from {public}"), tags)
            }
            Giver::Named(name) => (name, draft.tags),
        };
        tags.shrink_to_fit();
        let (fund, currency, amount) = (draft.fund, draft.currency, draft.amount);
        self.add_to_fund_total(row, summary, &fund, &currency, amount, "amount")?;
        if !fee.is_zero() {
            let total = match summary.fees.get_mut(&currency) {
                Some(total) => total,
                None => summary.fees.entry(currency.clone()).or_default(),
            };
            *total = money::checked_add(*total, fee).ok()?;
        }
        let net = money::checked_sub(amount, fee).ok()?;
        Some(GiftRow {
            date: draft.date,
            payee,
            tags,
            asset: draft.asset,
            income: draft.income,
            fund,
            currency,
            quoted_currency: draft.quoted_currency,
            precision: draft.precision,
            amount,
            fee,
            net,
            negative_text: draft.negative_text,
        })
    }

    /// The fee of a gift: its `fee` cell, else `fee_per_gift`, else zero; at
    /// least zero, less than the gift, and with an account to charge it to.
    fn fee(&mut self, row: &Row, base: &str, amount: Decimal) -> Option<Decimal> {
        let cell = self.field(row, "fee").to_string();
        let fee = if cell.trim().is_empty() {
            self.rules
                .fee_per_gift
                .as_deref()
                .and_then(|f| f.parse::<Decimal>().ok())
                .unwrap_or(Decimal::ZERO)
        } else {
            let fee = self.decimal(row, "fee", &cell)?;
            // The same decimals the gift's currency allows.
            self.currency(row, base, fee, "fee")?;
            fee
        };
        if fee.is_sign_negative() || fee >= amount {
            self.problem(
                row,
                Code::CsvAmount,
                "fee",
                &fee.to_string(),
                format!("a fee of zero or more and less than the gift ({amount})"),
            );
            return None;
        }
        if !fee.is_zero() && self.rules.fee_account.is_none() {
            self.problem(
                row,
                Code::CsvMissing,
                "fee",
                &fee.to_string(),
                "fee_account = \"Expenses:...\" in [import.donations] (or the rules file): the expense the fee is charged to".into(),
            );
            return None;
        }
        Some(fee)
    }

    /// The fund fees are charged to.
    fn fee_fund(&self) -> String {
        self.rules
            .fee_fund
            .clone()
            .unwrap_or_else(|| self.settings.default_fund.clone())
    }

    /// Writes the body of a gift as its own transaction: the net to the
    /// bank, the gross as income of its fund, the fee (when there is one)
    /// as an expense.
    fn write_single(&self, body: &mut String, gift: &GiftRow) {
        for (name, value) in &gift.tags {
            print::write_tag_line(body, 4, name, value);
        }
        print::write_posting_line(body, &gift.asset, &gift.text_of(gift.net), "", &gift.fund);
        print::write_posting_line(body, &gift.income, &gift.negative_text, "", &gift.fund);
        if !gift.fee.is_zero() {
            let account = self.rules.fee_account.as_deref().unwrap_or_default();
            print::write_posting_line(body, account, &gift.text_of(gift.fee), "", &self.fee_fund());
        }
    }

    /// A payout bundling gifts: one transaction, dated on its latest gift,
    /// with one posting per gift (its donor and tags below it), the fees
    /// together, and one bank line for the net (in the gifts' fund when they
    /// share one, else the fund fees are charged to; fundledger adds the
    /// interfund postings).
    fn payout(&self, reference: &str, gifts: &[GiftRow]) -> Option<(NaiveDate, String, String)> {
        let first = gifts.first()?;
        let date = gifts.iter().map(|g| g.date).max()?;
        let gross = money::checked_sum(gifts.iter().map(|g| g.amount)).ok()?;
        if too_long(gross, first.precision) {
            return None;
        }
        let fees = money::checked_sum(gifts.iter().map(|g| g.fee)).ok()?;
        let net = money::checked_sub(gross, fees).ok()?;
        let bank_fund = if gifts.iter().all(|g| g.fund == first.fund) {
            first.fund.clone()
        } else {
            self.fee_fund()
        };
        let mut body = String::new();
        print::write_tag_line(&mut body, 4, "payout", reference);
        print::write_posting_line(&mut body, &first.asset, &first.text_of(net), "", &bank_fund);
        for gift in gifts {
            print::write_posting_line(&mut body, &gift.income, &gift.negative_text, "", &gift.fund);
            for (name, value) in &gift.tags {
                print::write_tag_line(&mut body, 4, name, value);
            }
        }
        if !fees.is_zero() {
            let account = self.rules.fee_account.clone().unwrap_or_default();
            print::write_posting_line(
                &mut body,
                &account,
                &first.text_of(fees),
                "",
                &self.fee_fund(),
            );
        }
        let payee = format!("Payout {reference}: {} gift(s)", gifts.len());
        Some((date, payee, body))
    }

    /// The donor of a row: the donor column matched against the register by
    /// id, payer reference, then folded name or reading; a name the register
    /// does not hold adds a donor (listed in the summary); a name several
    /// donors share is E903, asking for the id.
    fn giver(&mut self, row: &Row, cell: String, summary: &mut ImportSummary) -> Option<Giver> {
        if cell.is_empty() {
            return Some(Giver::Anonymous);
        }
        let Some(register) = self.donors.as_mut() else {
            return Some(Giver::Named(cell));
        };
        let namesakes: Vec<String> = match register.find(&cell) {
            DonorMatch::Found(d) => {
                return Some(Giver::Donor(
                    d.id.clone(),
                    d.display_name(false).to_string(),
                ))
            }
            DonorMatch::Unknown if self.already => return Some(Giver::Anonymous),
            DonorMatch::Unknown => {
                let donor = register.add_named(&cell);
                summary
                    .new_donors
                    .push((donor.id.clone(), donor.name.clone()));
                return Some(Giver::Donor(
                    donor.id.clone(),
                    donor.display_name(false).to_string(),
                ));
            }
            DonorMatch::Namesakes(donors) => donors
                .iter()
                .map(|d| format!("{} (line {})", d.id, d.line))
                .collect(),
        };
        let register_path = self
            .donors
            .as_ref()
            .map(|r| r.path().display().to_string())
            .unwrap_or_default();
        self.problems.push(
            Diagnostic::new(
                Code::AmbiguousDonor,
                format!(
                    "row {}, column `donor`: {} donors are named {cell:?}",
                    row.line,
                    namesakes.len()
                ),
            )
            .at(Location {
                path: self.path.to_path_buf(),
                line: row.line,
            })
            .with_excerpt(vec![(row.line, row.raw.to_string())])
            .found(format!(
                "{cell:?}, the name of {} in {register_path}",
                namesakes.join(", ")
            ))
            .expected(
                "the donor's id in column `donor` (fundledger never guesses between namesakes)",
            ),
        );
        None
    }

    /// Adds a row's amount to its fund's total in the summary; a total that
    /// would overflow refuses the row (E205) rather than show a wrong figure.
    fn add_to_fund_total(
        &mut self,
        row: &Row,
        summary: &mut ImportSummary,
        fund: &str,
        currency: &str,
        amount: Decimal,
        column: &str,
    ) -> Option<()> {
        // Looked up before a key is made: most rows add to a total that
        // exists. (A helper returning the value for both would need
        // Polonius: the borrow of `get_mut` would outlive the `None` arm.)
        let of_fund = match summary.totals.get_mut(fund) {
            Some(of_fund) => of_fund,
            None => summary.totals.entry(fund.to_string()).or_default(),
        };
        let total = match of_fund.get_mut(currency) {
            Some(total) => total,
            None => of_fund.entry(currency.to_string()).or_default(),
        };
        match money::checked_add(*total, amount) {
            Ok(sum) => {
                *total = sum;
                Some(())
            }
            Err(_) => {
                self.problem(
                    row,
                    Code::Overflow,
                    column,
                    self.field(row, column),
                    "amounts whose total for the file stays within 28 digits".into(),
                );
                None
            }
        }
    }

    /// What a sales row says on its own: its product, figures, and the
    /// entry's text.
    fn draft_sale(&mut self, row: &Row) -> Option<SaleDraft> {
        let date = self.date(row);
        let product_name = self.field(row, "product").to_string();
        let product: Option<ProductSettings> = self.settings.product(&product_name).cloned();
        if product.is_none() {
            let known: Vec<String> = self
                .settings
                .products
                .iter()
                .map(|p| p.id.clone())
                .collect();
            self.problem(
                row,
                Code::UnknownProduct,
                "product",
                &product_name,
                format!(
                    "a product of the catalogue in fundledger.toml: {}",
                    if known.is_empty() {
                        "(none declared)".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            );
        }
        let count = |this: &mut Self, column: &str| -> Option<Decimal> {
            let value = this.field(row, column).to_string();
            if value.is_empty() {
                return Some(Decimal::ZERO);
            }
            let d = this.decimal(row, column, &value)?;
            if d.is_sign_negative() || money::significant_decimals(d) > 0 {
                this.problem(
                    row,
                    Code::CsvAmount,
                    column,
                    &value,
                    "a whole number of units, zero or more".into(),
                );
                return None;
            }
            // The units are written as an output amount (`5 pcs`).
            if too_long(d, 0) {
                this.problem(
                    row,
                    Code::Overflow,
                    column,
                    &value,
                    format!("at most {AMOUNT_DIGITS_MAX} digits of units, the most a journal amount holds"),
                );
                return None;
            }
            Some(d.normalize())
        };
        let quantity = count(self, "quantity");
        let returned = count(self, "returned");
        let price_text = self.field(row, "unit_price").to_string();
        let price = if price_text.is_empty() {
            product.as_ref().map(|p| p.unit_price)
        } else {
            self.decimal(row, "unit_price", &price_text)
        };
        let (product, date, quantity, returned, price) =
            (product?, date?, quantity?, returned?, price?);
        if price.is_sign_negative() && !price.is_zero() {
            // An empty cell takes the catalogue's price: that is what is
            // wrong then (in fundledger.toml).
            let found = if price_text.is_empty() {
                format!(
                    "{price}, the catalogue's unit_price of {} in fundledger.toml",
                    product.id
                )
            } else {
                price_text.clone()
            };
            self.problem(
                row,
                Code::CsvAmount,
                "unit_price",
                &found,
                "a unit price of zero or more (a return is the returned column)".into(),
            );
            return None;
        }
        if quantity.is_zero() {
            self.problem(
                row,
                Code::CsvAmount,
                "quantity",
                self.field(row, "quantity"),
                "at least one unit sold".into(),
            );
            return None;
        }
        if returned > quantity {
            self.problem(
                row,
                Code::CsvAmount,
                "returned",
                self.field(row, "returned"),
                format!("at most the {quantity} units sold"),
            );
            return None;
        }
        let amounts = money::checked_mul_exact(quantity, price).and_then(|gross| {
            let refund = money::checked_mul_exact(returned, price)?;
            Ok((gross, refund, money::checked_sub(gross, refund)?))
        });
        let Ok((gross, refund, net)) = amounts else {
            self.problem(
                row,
                Code::Overflow,
                "quantity",
                self.field(row, "quantity"),
                format!("a quantity whose value at {price} a unit is exact within 28 digits"),
            );
            return None;
        };
        let currency = self.currency(row, &product.currency, gross, "unit_price")?;
        let price_difference = (price != product.unit_price).then(|| {
            format!(
                "row {}: {} sold at {price} {currency}, catalogue price {} {}",
                row.line, product.id, product.unit_price, product.currency
            )
        });
        let fund = self
            .rules
            .fund
            .clone()
            .unwrap_or_else(|| "SelfReliance".to_string());
        if !self.settings.funds.is_empty() && self.settings.fund(&fund).is_none() {
            self.problem(row, Code::UnknownFund, "product", &product_name, format!("a sales fund in fundledger.toml (found {fund:?}: set fund = \"...\" under [import.sales])"));
            return None;
        }
        let asset = self.account(self.rules.asset_account.as_ref(), "Assets:Cash");
        let returns_account =
            self.account(self.rules.returns_account.as_ref(), "Income:Sales:Returns");
        let precision = self
            .settings
            .commodity(&currency)
            .map(|c| c.precision)
            .unwrap_or(0);
        let (quoted_currency, quoted_unit) =
            (quote_commodity(&currency), quote_commodity(&product.unit));
        let money_text = |q: Decimal| amount_text(q, precision, &quoted_currency);
        let units = |q: Decimal| amount_text(q, 0, &quoted_unit);
        let mut body = String::new();
        for (name, column) in [("channel", "channel"), ("maker", "maker")] {
            let value = clean_text(self.field(row, column));
            if !value.is_empty() {
                print::write_tag_line(&mut body, 4, name, &value);
            }
        }
        if price != product.unit_price {
            print::write_tag_line(
                &mut body,
                4,
                "catalogueprice",
                &format!("{} {}", product.unit_price, product.currency),
            );
        }
        print::write_posting_line(&mut body, &asset, &money_text(net), "", &fund);
        print::write_posting_line(
            &mut body,
            &product.income_account,
            &money_text(-gross),
            "",
            &fund,
        );
        if !returned.is_zero() {
            print::write_posting_line(&mut body, &returns_account, &money_text(refund), "", &fund);
        }
        let sold = print::account_text(
            &product.sold_account,
            PostingKind::UnbalancedVirtual,
            Status::Unmarked,
        );
        print::write_posting_line(&mut body, &sold, &units(quantity), "", &fund);
        if !returned.is_zero() {
            let back = print::account_text(
                &product.returned_account,
                PostingKind::UnbalancedVirtual,
                Status::Unmarked,
            );
            print::write_posting_line(&mut body, &back, &units(returned), "", &fund);
        }
        let channel = clean_text(self.field(row, "channel"));
        let payee = if channel.is_empty() {
            format!("Sales: {quantity} {}", product.name)
        } else {
            format!("Sales: {quantity} {} ({channel})", product.name)
        };
        Some(SaleDraft {
            date,
            payee,
            body,
            product: product.id,
            currency,
            fund,
            quantity,
            returned,
            net,
            price_difference,
        })
    }

    /// A drafted sale with its figures added to the file's totals in
    /// `summary`: row after row, in the file's order.
    fn finish_sale(
        &mut self,
        row: &Row,
        draft: SaleDraft,
        summary: &mut ImportSummary,
    ) -> Option<(NaiveDate, String, String)> {
        let SaleDraft {
            date,
            payee,
            body,
            product,
            currency,
            fund,
            quantity,
            returned,
            net,
            price_difference,
        } = draft;
        summary.price_differences.extend(price_difference);
        let totals = summary.products.entry(product).or_default();
        let added = (|| {
            Ok::<_, money::Overflow>((
                money::checked_add(totals.sold, quantity)?,
                money::checked_add(totals.returned, returned)?,
                money::checked_add(totals.revenue, net)?,
            ))
        })();
        let Ok((sold, returned_total, revenue)) = added else {
            self.problem(
                row,
                Code::Overflow,
                "quantity",
                self.field(row, "quantity"),
                "quantities whose totals for the file stay within 28 digits".into(),
            );
            return None;
        };
        (totals.sold, totals.returned, totals.revenue) = (sold, returned_total, revenue);
        totals.currency = currency.clone();
        self.add_to_fund_total(row, summary, &fund, &currency, net, "quantity")?;
        Some((date, payee, body))
    }
}

/// A foster child named in free text as `child: NAME` (or `子ども: NAME`),
/// up to a `)`, `,` or the end.
fn child_named_in(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let start = ["child:", "子ども:", "子供:"]
        .iter()
        .find_map(|marker| lower.find(marker).map(|i| i + marker.len()))?;
    // `lower` and `text` have the same byte offsets for these markers only
    // when lowercasing kept lengths; fall back to the original text's find.
    let rest = text.get(start..).unwrap_or("");
    let name: String = rest
        .chars()
        .take_while(|c| !matches!(c, ')' | ',' | '、' | '）'))
        .collect();
    let name = clean_text(&name);
    (!name.is_empty()).then_some(name)
}

/// A date written `YYYY-MM-DD` exactly (ten characters), as
/// `NaiveDate::parse_from_str(text, "%Y-%m-%d")` reads it; `None` for
/// anything else, which then goes to chrono.
fn iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(
        i32::try_from(digits(0..4)?).ok()?,
        digits(5..7)?,
        digits(8..10)?,
    )
}

/// Rows read together: drafted on every core, then taken up in order. A
/// block's drafts wait in memory (a few hundred bytes a row), so the
/// memory an import needs beyond its entries stays bounded.
const ROWS_PER_BLOCK: usize = 16_384;

/// Entries written by one task when a block's entries are written on
/// every core.
const ROWS_PER_PIECE: usize = 2048;

/// Room reserved for an entry (a usual gift's entry is about 250 bytes):
/// pages never written are never touched.
const ENTRY_BYTES: usize = 256;

/// Writes the head of an imported entry to `text`: its header line and
/// import tags (its body follows).
fn write_entry_head(text: &mut String, date: NaiveDate, payee: &str, id: &str, hash: &str) {
    print::write_header(
        text,
        &print::HeaderText {
            date,
            status: Status::Cleared,
            code: None,
            payee,
        },
    );
    print::write_tag_line(text, 4, "import", id);
    print::write_tag_line(text, 4, "importhash", hash);
}

/// The digest of a row's fields, in a fixed order. The `fee` and `payout`
/// columns count only when filled, so that files imported before they
/// existed keep their digests (and are not imported twice). The first
/// eight bytes: written as 16 hexadecimal digits.
fn row_hash(kind: ImportKind, row: &Row) -> [u8; 8] {
    let mut hasher = Sha256::new();
    hasher.update(kind.name().as_bytes());
    // The row's fields are in the layout's order: each is the next one
    // present, or absent ("").
    let mut present = row.positions.iter().peekable();
    for field in kind.fields() {
        let value = match present.next_if(|&&(_, name, _)| name == *field) {
            Some(&(_, _, position)) => row.record.get(position).map_or("", str::trim),
            None => "",
        };
        if matches!(*field, "fee" | "payout") && value.is_empty() {
            continue;
        }
        hasher.update([0x1f]);
        hasher.update(value.as_bytes());
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    first
}

/// E606 about `row` of the file at `path`: an import id or payout used
/// for other content.
fn conflict(path: &Path, row: &Row, message: String) -> Diagnostic {
    Diagnostic::new(Code::ImportConflict, message)
        .at(Location {
            path: path.to_path_buf(),
            line: row.line,
        })
        .with_excerpt(vec![(row.line, row.raw.to_string())])
}

/// Whether the journal holds the import id `id`: with `hash` (`Ok(true)`:
/// imported before), not at all (`Ok(false)`), or for other content
/// (`Err`: the entry holding it).
fn imported_before<'e, 'j>(
    existing: &'e HashMap<&str, Existing<'j>>,
    id: &str,
    hash: &str,
) -> Result<bool, &'e Existing<'j>> {
    match existing.get(id) {
        Some(e) if e.hash == hash => Ok(true),
        Some(e) => Err(e),
        None => Ok(false),
    }
}

/// Whether `amount`, written as an entry writes it (with `decimals`
/// decimal places, or its own significant ones when more: trailing zeros
/// of the cell are not written), has more digits than a journal amount may
/// hold ([`AMOUNT_DIGITS_MAX`]: the load refuses such an amount as E205).
fn too_long(amount: Decimal, decimals: u32) -> bool {
    crate::load::checks::integer_digits(amount).saturating_add(written_decimals(amount, decimals))
        > AMOUNT_DIGITS_MAX
}

/// The decimal places an entry writes `amount` with: `decimals` (its
/// currency's), or its significant ones when more.
fn written_decimals(amount: Decimal, decimals: u32) -> u32 {
    decimals.max(money::significant_decimals(amount))
}

/// Import ids already in the journal.
fn existing_ids(journal: &Journal) -> HashMap<&str, Existing<'_>> {
    let mut out = HashMap::default();
    for t in journal.transactions() {
        let tags = journal.transaction_tags(t);
        let Some(id) = tags.iter().find(|tag| tag.name == "import") else {
            continue;
        };
        let hash = tags
            .iter()
            .find(|tag| tag.name == "importhash")
            .map_or("", |tag| tag.value);
        out.insert(
            id.value,
            Existing {
                hash,
                file: t.file,
                line: t.line,
            },
        );
    }
    out
}

/// Reads `request.csv` and prepares the transactions it adds to `journal`.
///
/// # Errors
/// Every problem in the file (or the rules), as located diagnostics; I/O
/// errors reading the files as `Err(Err(..))`.
pub fn prepare(
    settings: &Settings,
    journal: &Journal,
    request: &ImportRequest<'_>,
) -> Result<Result<Prepared, Vec<Diagnostic>>, std::io::Error> {
    let defaults = match request.kind {
        ImportKind::Donations => &settings.import.donations,
        ImportKind::Sales => &settings.import.sales,
    };
    let mut rule_files = Vec::new();
    let rules = match request.rules {
        None => defaults.clone(),
        Some(path) => match read_rules(path)? {
            Ok(rules) => {
                rule_files.push((path.to_path_buf(), read_text(path)?));
                defaults.overlaid(&rules)
            }
            Err(problems) => return Ok(Err(problems)),
        },
    };
    if settings.from_file {
        let path = settings
            .root
            .join(crate::model::settings::SETTINGS_FILE_NAME);
        if let Ok(text) = read_text(&path) {
            rule_files.push((path, text));
        }
    }
    let problems = rules_problems(&rules, &rule_files);
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let bytes = crate::read::source::read_regular(request.csv, CSV_SIZE_MAX_BYTES)?;
    let encoding = request
        .encoding
        .map(str::to_string)
        .or_else(|| rules.encoding.clone())
        .unwrap_or_else(|| "utf-8".to_string());
    if let Some(problem) = utf8_read_as_shift_jis(request.csv, &bytes, &encoding) {
        return Ok(Err(vec![problem]));
    }
    let text = match decode(request.csv, &bytes, &encoding) {
        Ok(text) => text,
        Err(problems) => return Ok(Err(problems)),
    };
    let rows = match read_rows(Layout::of(request.kind), request.csv, &text, &rules) {
        Ok(rows) => rows,
        Err(problems) => return Ok(Err(problems)),
    };
    let mut summary = ImportSummary {
        file: request.csv.display().to_string(),
        rows_read: rows.len(),
        ..ImportSummary::default()
    };
    // The donor register, read with its fingerprint so that the donors
    // the import adds are written with the journal, under its lock.
    let mut donors_file = None;
    let donors = match (request.kind, settings.from_file) {
        (ImportKind::Donations, true) => {
            let path = settings
                .root
                .join(crate::donors::register::DONORS_FILE_NAME);
            let (file, old) = crate::write_path::write::SideFile::read(&path, &settings.journal)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            let register = if file.expected.is_none() {
                DonorRegister::empty(&path)
            } else {
                match DonorRegister::parse(&path, &old) {
                    Ok(register) => register,
                    Err(problems) => return Ok(Err(problems)),
                }
            };
            donors_file = Some((file, old));
            Some(register)
        }
        _ => None,
    };
    let mut reader = RowReader::new(request.csv, &rules, settings, donors);
    let existing = existing_ids(journal);
    let mut occurrences: HashMap<[u8; 8], usize> =
        HashMap::with_capacity_and_hasher(rows.len(), Default::default());
    let mut seen_in_file: HashMap<String, ([u8; 8], u32)> = HashMap::default();
    // The new entries, written in pieces (a block's rows each); each
    // candidate is a date, its piece and where its entry is in it.
    let mut pieces: Vec<String> = Vec::new();
    let mut candidates: Vec<(NaiveDate, usize, std::ops::Range<usize>)> =
        Vec::with_capacity(rows.len());
    let mut scratch = ImportSummary::default();
    // Rows sharing a payout reference, in the order payouts first appear
    // (found by an index: a file of 80,000 payouts took 9 s when each was
    // looked for along the list).
    let mut payouts: Vec<(String, Vec<(&Row, String)>)> = Vec::new();
    let mut payout_index: HashMap<String, usize> = HashMap::default();
    // Each block of rows: what each row says on its own is read on every
    // core; ids, duplicates, donors and totals then go row after row in the
    // file's order (so the result is the same as on one core); the entries
    // are written on every core again.
    let parallel = crate::parallel::worth_it(rows.len());
    let base = reader.view();
    for block in rows.chunks(ROWS_PER_BLOCK) {
        let drafts: Vec<RowDraft> = if parallel {
            block
                .par_iter()
                .map_init(|| base.view(), |view, row| view.draft(request.kind, row))
                .collect()
        } else {
            let mut view = base.view();
            block
                .iter()
                .map(|row| view.draft(request.kind, row))
                .collect()
        };
        let mut ready: Vec<Ready> = Vec::with_capacity(block.len());
        for (row, draft) in block.iter().zip(drafts) {
            let RowDraft {
                digest,
                hash,
                payout,
                reference,
                made,
                problems,
            } = draft;
            if !payout.is_empty() {
                match payout_index.get(&payout) {
                    Some(&k) => payouts[k].1.push((row, hash)),
                    None => {
                        payout_index.insert(payout.clone(), payouts.len());
                        payouts.push((payout, vec![(row, hash)]));
                    }
                }
                continue;
            }
            let id = if reference.is_empty() {
                let n = occurrences.entry(digest).or_insert(0);
                *n += 1;
                format!("{}-{hash}-{n}", request.kind.name())
            } else {
                format!("{}-ref-{reference}", request.kind.name())
            };
            // The same reference twice in one file with other content (an
            // id made from the digest is unique: it counts the rows with
            // that digest).
            if let Some((other_digest, other_line)) = seen_in_file.get(&id) {
                if *other_digest != digest {
                    reader.problems.push(
                        conflict(request.csv, row, format!("row {} reuses reference {reference:?} of row {other_line} with other content", row.line))
                            .expected("one row per reference number"),
                    );
                    continue;
                }
            }
            if !reference.is_empty() {
                seen_in_file.insert(id.clone(), (digest, row.line));
            }
            let already = match imported_before(&existing, &id, &hash) {
                Ok(already) => already,
                Err(e) => {
                    reader.problems.push(
                        conflict(request.csv, row, format!("row {} has import id {id}, which the journal already holds for other content", row.line))
                            .found(format!("{}: the transaction imported under this id", e.place(journal)))
                            .expected("a row that matches what was imported before, or a new reference number"),
                    );
                    continue;
                }
            };
            // Rows already imported are still checked, but their totals are
            // not counted as new.
            let target = if already { &mut scratch } else { &mut summary };
            let problems_before = reader.problems.len();
            reader.problems.extend(problems);
            reader.already = already;
            let made = match made {
                Some(Made::Gift(draft)) => {
                    reader.finish_gift(row, draft, target).map(|mut gift| {
                        let payee = std::mem::take(&mut gift.payee);
                        (gift.date, payee, Body::Gift(gift))
                    })
                }
                Some(Made::Sale(draft)) => reader
                    .finish_sale(row, draft, target)
                    .map(|(date, payee, body)| (date, payee, Body::Text(body))),
                None => None,
            };
            let Some((date, payee, body)) = made else {
                // A row is never dropped in silence: a row that made no
                // transaction must have said why.
                if reader.problems.len() == problems_before {
                    reader.problem(
                        row,
                        Code::CsvMalformed,
                        "*",
                        row.raw,
                        "a row fundledger can import".into(),
                    );
                }
                continue;
            };
            if already {
                summary.already_present += 1;
                continue;
            }
            ready.push(Ready {
                date,
                payee,
                id,
                hash,
                body,
            });
        }
        // A file with a bad row writes nothing: its entries are not made.
        if !reader.problems.is_empty() {
            continue;
        }
        let write = |ready: &[Ready]| {
            let mut text = String::with_capacity(ready.len().saturating_mul(ENTRY_BYTES));
            let mut entries = Vec::with_capacity(ready.len());
            for entry in ready {
                let start = text.len();
                write_entry_head(&mut text, entry.date, &entry.payee, &entry.id, &entry.hash);
                match &entry.body {
                    Body::Gift(gift) => base.write_single(&mut text, gift),
                    Body::Text(body) => text.push_str(body),
                }
                entries.push((entry.date, start..text.len()));
            }
            (text, entries)
        };
        let written: Vec<Piece> = if parallel {
            ready.par_chunks(ROWS_PER_PIECE).map(write).collect()
        } else {
            vec![write(&ready)]
        };
        for (text, entries) in written {
            let piece = pieces.len();
            candidates.extend(
                entries
                    .into_iter()
                    .map(|(date, range)| (date, piece, range)),
            );
            pieces.push(text);
        }
    }
    // Each payout: one transaction, one import id for all its rows; their
    // entries are the last piece.
    let mut payout_entries = String::new();
    for (reference, members) in &payouts {
        let id = format!("donations-payout-{reference}");
        let mut hasher = Sha256::new();
        for (_, hash) in members {
            hasher.update(hash.as_bytes());
            hasher.update([0x1f]);
        }
        let hash = crate::read::source::hex(&hasher.finalize()[..8]);
        let first = members[0].0;
        let already = match imported_before(&existing, &id, &hash) {
            Ok(already) => already,
            Err(e) => {
                reader.problems.push(
                    conflict(request.csv, first, format!("payout {reference:?} (row {} and the rows sharing it) was imported before with other gifts", first.line))
                        .found(format!("{}: the payout as imported", e.place(journal)))
                        .expected("the payout's rows as imported before, or a new payout reference"),
                );
                continue;
            }
        };
        let target = if already { &mut scratch } else { &mut summary };
        reader.already = already;
        let problems_before = reader.problems.len();
        let gifts: Vec<GiftRow> = members
            .iter()
            .filter_map(|(row, _)| reader.donation(row, target))
            .collect();
        if gifts.len() != members.len() {
            continue;
        }
        if let Some(other) = gifts.iter().find(|g| g.currency != gifts[0].currency) {
            reader.problem(
                first,
                Code::CsvAmount,
                "currency",
                &other.currency,
                format!(
                    "one currency per payout (its first gift is in {})",
                    gifts[0].currency
                ),
            );
            continue;
        }
        if already {
            summary.already_present += members.len();
            continue;
        }
        match reader.payout(reference, &gifts) {
            Some((date, payee, body)) => {
                let start = payout_entries.len();
                write_entry_head(&mut payout_entries, date, &payee, &id, &hash);
                payout_entries.push_str(&body);
                candidates.push((date, pieces.len(), start..payout_entries.len()));
            }
            None if reader.problems.len() == problems_before => reader.problem(
                first,
                Code::Overflow,
                "amount",
                first.raw,
                format!("a payout whose total has at most {AMOUNT_DIGITS_MAX} digits with its decimal places (the most a journal amount holds)"),
            ),
            None => {}
        }
    }
    if !reader.problems.is_empty() {
        return Ok(Err(reader.problems));
    }
    summary.new_transactions = candidates.len();
    // In date order (stable: rows of one date keep the file's order).
    candidates.sort_by_key(|(date, _, _)| *date);
    pieces.push(payout_entries);
    let donors = match (reader.donors, donors_file) {
        (Some(register), Some((mut file, old))) if !register.added().is_empty() => {
            file.text = register.appended_text(&old);
            Some(crate::write_path::write::DonorsUpdate {
                register: std::sync::Arc::new(register),
                file,
            })
        }
        _ => None,
    };
    // The entries in that order, a blank line between two.
    let length_bytes: usize = pieces.iter().map(String::len).sum();
    let mut text = String::with_capacity(length_bytes + candidates.len());
    for (k, (_, piece, range)) in candidates.iter().enumerate() {
        if k > 0 {
            text.push('\n');
        }
        text.push_str(&pieces[*piece][range.clone()]);
    }
    Ok(Ok(Prepared {
        text,
        transactions: candidates.len(),
        summary,
        donors,
    }))
}

/// The summary as text for people.
pub fn summary_text(summary: &ImportSummary, dry_run: bool) -> String {
    let mut out = String::new();
    let verb = if dry_run { "would add" } else { "added" };
    let _ = writeln!(
        out,
        "{}: {} row(s) read; {verb} {} new transaction(s); {} already in the journal",
        summary.file, summary.rows_read, summary.new_transactions, summary.already_present
    );
    if summary.designations_matched + summary.designations_unmatched > 0 {
        let _ = writeln!(
            out,
            "designations: {} matched a rule, {} matched none and went to the default fund",
            summary.designations_matched, summary.designations_unmatched
        );
    }
    for (product, t) in &summary.products {
        let _ = writeln!(
            out,
            "{product}: {} sold, {} returned, revenue {} {}",
            t.sold, t.returned, t.revenue, t.currency
        );
    }
    for (currency, fee) in &summary.fees {
        let _ = writeln!(
            out,
            "fees: {fee} {currency} (gifts booked gross, fees as an expense)"
        );
    }
    for (id, name) in &summary.new_donors {
        let _ = writeln!(out, "new donor {id}: {name} (added to the donor register)");
    }
    for difference in &summary.price_differences {
        let _ = writeln!(out, "price differs from the catalogue: {difference}");
    }
    for (fund, totals) in &summary.totals {
        for (commodity, amount) in totals {
            let _ = writeln!(out, "new in {fund}: {amount} {commodity}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{clean_text, folded, folded_in_general, iso_date};
    use chrono::NaiveDate;

    #[test]
    fn iso_dates_read_as_chrono_reads_them() {
        for text in [
            "2026-01-31",
            "2026-02-30",
            "0000-01-01",
            "9999-12-31",
            "2026-1-31",
            "2026/01/31",
            "2026-01-3x",
            "+026-01-31",
            "2026-01-31 ",
            "",
        ] {
            let chrono = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
            // What it reads, it reads as chrono does; what it declines,
            // chrono decides (and may accept, e.g. `2026-1-31`).
            if let Some(date) = iso_date(text) {
                assert_eq!(Some(date), chrono, "{text:?}");
            }
        }
        for text in ["2026-01-31", "0000-01-01", "9999-12-31", "2000-02-29"] {
            assert!(iso_date(text).is_some(), "{text:?}");
        }
        assert_eq!(iso_date("2001-02-29"), None);
    }

    #[test]
    fn matching_folds_width_and_case() {
        assert_eq!(folded("ｼｪﾙﾀｰ"), "シェルター");
        for b in 0u8..128 {
            let s = format!("A{}z", char::from(b));
            assert_eq!(folded(&s), folded_in_general(&s), "{s:?}");
        }
        assert_eq!(folded("ＦＯＯＤ Aid"), "food aid");
    }

    #[test]
    fn cells_are_folded_onto_one_safe_line() {
        assert_eq!(clean_text("a\nb;  c\t\r d"), "a b, c d");
        assert_eq!(clean_text("  include x  "), "include x");
    }
}

#[cfg(test)]
mod parallel_tests {
    use super::{prepare, ImportKind, ImportRequest};
    use crate::model::settings::Settings;
    use std::path::Path;
    use std::sync::atomic::Ordering::Relaxed;

    /// Rows of every shape a donations file has: designations, donors of
    /// the register, new donors (the register grows in the file's order),
    /// anonymous gifts, identical rows, references, fees, payouts.
    fn donations(rows: usize, bad_every: Option<usize>) -> String {
        let mut csv =
            String::from("date,donor,amount,currency,designation,reference,memo,fee,payout\n");
        for i in 0..rows {
            let day = 1 + i % 28;
            let donor = match i % 5 {
                0 => "F01".to_string(),
                1 => String::new(),
                2 => format!("New Donor {}", i % 700),
                3 => "Tanaka Hiroshi".to_string(),
                _ => format!("Friend {}", i % 13),
            };
            let designation = [
                "rice for North Korea",
                "shelter support",
                "里親",
                "",
                "medical",
            ][i % 5 / 2 + i % 3];
            let amount = match bad_every {
                Some(n) if i % n == n - 1 => "12x".to_string(),
                _ => format!("{}", 1000 + (i % 40) * 500),
            };
            let reference = if i % 17 == 0 {
                format!("REF-{}", i / 17)
            } else {
                String::new()
            };
            let (fee, payout) = if i % 11 == 0 {
                ("30".to_string(), format!("PO-{}", i % 50))
            } else {
                (String::new(), String::new())
            };
            // Every seventh row again, word for word: it imports twice.
            let line = format!("2001-05-{day:02},{donor},{amount},JPY,{designation},{reference},gift {},{fee},{payout}\n", i % 90);
            csv.push_str(&line);
            if i % 7 == 0 {
                csv.push_str(&line);
            }
        }
        csv
    }

    fn sales(rows: usize) -> String {
        let mut csv =
            String::from("date,product,quantity,unit_price,currency,channel,maker,returned\n");
        for i in 0..rows {
            let product = ["cushion", "cross", "key holder"][i % 3];
            let price = if i % 10 == 0 { "400" } else { "" };
            csv.push_str(&format!(
                "2001-06-{:02},{product},{},{price},JPY,bazaar {},group {},{}\n",
                1 + i % 28,
                1 + i % 20,
                i % 9,
                i % 4,
                i % 2
            ));
        }
        csv
    }

    /// Above `parallel::TRANSACTIONS_MIN` rows an import drafts and writes
    /// its entries on the pool; on the calling thread it must give the same
    /// entries, summary, donors and problems, in the same order.
    #[test]
    fn the_pool_and_the_calling_thread_prepare_the_same_import() {
        let ledger = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ledgers/lifefunds");
        let settings = Settings::read(&ledger).unwrap().unwrap();
        let journal = crate::load::load(settings.clone()).unwrap().journal;
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                ImportKind::Donations,
                "donations.csv",
                donations(40_000, None),
            ),
            (
                ImportKind::Donations,
                "bad.csv",
                donations(20_000, Some(997)),
            ),
            (ImportKind::Sales, "sales.csv", sales(20_000)),
        ];
        for (kind, name, csv) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, csv).unwrap();
            let run = |sequential: bool| {
                crate::parallel::SEQUENTIAL.store(sequential, Relaxed);
                let prepared =
                    prepare(&settings, &journal, &ImportRequest::new(kind, &path)).unwrap();
                crate::parallel::SEQUENTIAL.store(false, Relaxed);
                prepared.map(|p| {
                    let donors = p.donors.map(|d| d.file.text);
                    (p.text, p.transactions, format!("{:?}", p.summary), donors)
                })
            };
            let (pool, calling_thread) = (run(false), run(true));
            match (&pool, name) {
                (Ok((text, transactions, summary, donors)), "donations.csv") => {
                    assert!(*transactions > 40_000, "{transactions}");
                    assert!(text.contains("; donor: F01"), "donors of the register");
                    assert!(text.contains("Payout PO-"), "payouts");
                    assert!(text.contains("Anonymous donor"), "anonymous gifts");
                    assert!(summary.contains("designations_matched: 36"), "{summary}");
                    assert!(summary.contains("designations_unmatched: 9"), "{summary}");
                    assert!(
                        donors
                            .as_deref()
                            .is_some_and(|d| d.contains("D0219,New Donor 682")),
                        "{donors:?}"
                    );
                }
                (Ok((_, transactions, summary, _)), "sales.csv") => {
                    assert_eq!(*transactions, 20_000);
                    assert!(summary.contains("catalogue price"), "{summary}");
                }
                // 20 bad rows, three of them twice.
                (Err(problems), "bad.csv") => {
                    assert_eq!(problems.len(), 23, "{problems:?}");
                    assert!(problems.iter().all(|p| p.code == crate::Code::CsvAmount));
                }
                _ => panic!("{name}: {pool:?}"),
            }
            assert!(
                pool == calling_thread,
                "{name}: the pool and the calling thread differ"
            );
        }
    }
}
