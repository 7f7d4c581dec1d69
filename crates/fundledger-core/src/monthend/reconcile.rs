//! Reconciling a bank, postal or cash account with its statement.
//!
//! [`reconcile`] matches the lines of a statement (read from CSV with the
//! import rules, [`crate::write_path::import::read_statement`]) to the account's *items*:
//! a transaction's net movement in the account, in the statement's
//! commodity (a deposit split over several funds is one item, as the bank
//! shows it). A line matches an item of the same amount dated within
//! `[reconcile] date_window` days (7 by default): first the item whose code
//! equals the line's reference; otherwise, lines taken in date order, the
//! earliest free item (with windows all of one length, this matches as many
//! lines as any assignment can). Items are looked up by amount, so a
//! statement of n lines against m items takes about n + m steps. A paper statement (a balance and a date, no lines)
//! matches nothing: when the books agree with it, everything to that date
//! has cleared; when the uncleared items explain the gap, they stay
//! outstanding.
//!
//! The reconciliation is finished when
//! `book balance = statement balance + outstanding book items - statement lines not in the books`,
//! i.e. the difference is zero. Only then does [`apply`] write: the matched
//! postings are marked cleared (`*` before the account, on every posting
//! line of the account in the transaction, in whichever file holds it), and
//! a record is appended to the journal: a transaction at the statement date
//! with tags `reconciled: ACCOUNT` and `statement-balance: AMOUNT` and one
//! zero posting asserting the book balance (`ACCOUNT  0 JPY = BALANCE JPY`).
//! The files are replaced as every write replaces them
//! ([`crate::write_path::write::replace_files`]: under the journal's lock, atomically
//! per file, refusing when any file changed since it was read), and nothing
//! inside a closed year is marked or recorded (E701). A statement that does
//! not reconcile writes nothing and says where it disagrees (E801, each
//! statement line at its file and row, each book item at its file and
//! line). A second run finds the marks and the record and changes nothing.
//!
//! [`last_reconciliations`] reads the records back for `report
//! reconciliation`; [`stale_accounts`] gives `check`'s W801 for an account
//! not reconciled within `[reconcile] max_days` of the journal's last date.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::diagnostic::{Code, Diagnostic, Location};
use crate::model::journal::{
    amount_text, quote_commodity, AccountId, CommodityId, Journal, Status, Transaction,
};
use crate::model::money::{self, Decimal};
use crate::model::settings::Settings;
use crate::write_path::import::StatementRow;
use crate::write_path::write::{self, ChangeError, ChangeOptions, Fingerprint, Replacement};

/// The tag of a reconciliation record; its value is the account.
pub const RECONCILED_TAG: &str = "reconciled";
/// The tag holding the statement's balance (`1234567 JPY`).
pub const STATEMENT_BALANCE_TAG: &str = "statement-balance";
/// The tag naming the statement file, when there was one.
pub const STATEMENT_TAG: &str = "statement";

/// The `[reconcile]` table of `fundledger.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileSettings {
    /// Account prefixes that are reconciled with statements or counts
    /// (default `Assets:Bank`, `Assets:Cash`).
    #[serde(default = "default_accounts")]
    pub accounts: Vec<String>,
    /// `check` warns (W801) when such an account was last reconciled more
    /// than this many days before the journal's last date (no warning when
    /// unset).
    #[serde(default)]
    pub max_days: Option<u32>,
    /// How many days a statement line's date may be from its item's.
    #[serde(default = "default_date_window")]
    pub date_window: u32,
}

fn default_accounts() -> Vec<String> {
    vec!["Assets:Bank".to_string(), "Assets:Cash".to_string()]
}

fn default_date_window() -> u32 {
    7
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        ReconcileSettings {
            accounts: default_accounts(),
            max_days: None,
            date_window: default_date_window(),
        }
    }
}

impl ReconcileSettings {
    /// Whether `account` is one of the reconciled accounts.
    pub fn covers(&self, account: &str) -> bool {
        self.accounts.iter().any(|prefix| {
            account == prefix
                || account
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.starts_with(':'))
        })
    }
}

/// What the account is reconciled with.
pub enum Statement {
    /// A statement read from a file: its lines, and its closing balance when
    /// given apart from the lines (`--balance`).
    Lines {
        /// The file (for messages and the record).
        path: PathBuf,
        /// Its lines.
        rows: Vec<StatementRow>,
        /// `--balance`, overriding the last line's balance column.
        balance: Option<Decimal>,
    },
    /// A paper statement or a cash count: a balance only.
    Paper {
        /// The balance it shows.
        balance: Decimal,
    },
}

/// One reconciliation to make.
pub struct Request<'a> {
    /// The account (full name).
    pub account: &'a str,
    /// The commodity (default: the base currency).
    pub commodity: Option<&'a str>,
    /// The statement.
    pub statement: Statement,
    /// The statement date (default: the last line's date).
    pub as_of: Option<NaiveDate>,
    /// For a cash count (a paper balance): the suspense account a
    /// difference is posted to, instead of refusing.
    pub suspense: Option<&'a str>,
}

/// An item outstanding on one side.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Outstanding {
    /// Its date.
    pub date: NaiveDate,
    /// The payee (book side) or the bank's description (statement side).
    pub description: String,
    /// Signed, in the statement's commodity.
    pub amount: Decimal,
    /// The amount with its commodity, as the journal writes it.
    pub amount_text: String,
    /// Days from its date to the statement date.
    pub age_days: i64,
    /// Where it is: `FILE:LINE` (a journal line or a CSV row).
    pub location: String,
    /// The line as written.
    #[serde(skip)]
    pub line_text: String,
}

/// A statement line matched to a book item.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Matched {
    /// The statement's date.
    pub statement_date: NaiveDate,
    /// The book's date.
    pub book_date: NaiveDate,
    /// The amount.
    pub amount: Decimal,
    /// The payee.
    pub payee: String,
    /// The transaction's header: `FILE:LINE`.
    pub location: String,
}

/// The result of reconciling one account with one statement.
#[derive(Clone, Debug, Serialize)]
pub struct Reconciliation {
    /// The account.
    pub account: String,
    /// The commodity symbol.
    pub commodity: String,
    /// The statement date.
    pub as_of: NaiveDate,
    /// The statement file, when there was one.
    pub statement_file: Option<String>,
    /// The balance the statement shows.
    pub statement_balance: Decimal,
    /// The balance of the books at the statement date.
    pub book_balance: Decimal,
    /// Lines matched.
    pub matched: Vec<Matched>,
    /// In the books, not (yet) on the statement: deposits in transit,
    /// payments not yet presented.
    pub outstanding_in_books: Vec<Outstanding>,
    /// On the statement, not in the books: to be recorded.
    pub outstanding_on_statement: Vec<Outstanding>,
    /// book balance - (statement balance + outstanding in books - outstanding
    /// on statement): zero when reconciled.
    pub difference: Decimal,
    /// Posting lines newly marked cleared.
    pub newly_cleared: usize,
    /// True when the journal already holds this reconciliation's record.
    pub already_recorded: bool,
    /// A cash count's difference (counted less books) posted to suspense.
    pub posted_to_suspense: Option<(String, Decimal)>,
    /// Where a disagreement is reported: the statement's last line, or (a
    /// paper statement) the account's last entry to the statement date.
    pub location: String,
    #[serde(skip)]
    precision: u32,
    #[serde(skip)]
    to_mark: Vec<(u32, u32, NaiveDate)>,
}

impl Reconciliation {
    /// True when the difference is zero and every statement line is in the
    /// books: the reconciliation can be recorded.
    pub fn is_reconciled(&self) -> bool {
        self.difference.is_zero() && self.outstanding_on_statement.is_empty()
    }

    /// True when applying it changes no file.
    pub fn changes_nothing(&self) -> bool {
        self.to_mark.is_empty() && self.already_recorded && self.posted_to_suspense.is_none()
    }

    fn amount(&self, quantity: Decimal) -> String {
        amount_text(quantity, self.precision, &quote_commodity(&self.commodity))
    }

    /// The record appended to the journal: the statement balance in a tag
    /// and an assertion of the book balance at the statement date (after a
    /// cash count's difference posted to suspense, when there is one).
    pub fn record_text(&self) -> String {
        let mut text = String::new();
        if let Some((suspense, difference)) = &self.posted_to_suspense {
            text.push_str(&format!(
                "{} * Cash count difference, {}\n    ; cash-count: {}\n    {}  {}\n    {}  {}\n\n",
                self.as_of,
                self.account,
                self.account,
                self.account,
                self.amount(*difference),
                suspense,
                self.amount(money::negate(*difference))
            ));
        }
        text.push_str(&format!(
            "{} * Reconciliation of {} with its statement\n    ; {RECONCILED_TAG}: {}\n    ; {STATEMENT_BALANCE_TAG}: {}\n",
            self.as_of,
            self.account,
            self.account,
            self.amount(self.statement_balance)
        ));
        if let Some(file) = &self.statement_file {
            text.push_str(&format!("    ; {STATEMENT_TAG}: {file}\n"));
        }
        text.push_str(&format!(
            "    {}  {} = {}\n",
            self.account,
            self.amount(Decimal::ZERO),
            self.amount(self.book_balance)
        ));
        text
    }

    /// The reconciliation as text, for the treasurer.
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "Reconciliation of {} ({}) at {}\n",
            self.account, self.commodity, self.as_of
        );
        if let Some(file) = &self.statement_file {
            out.push_str(&format!("Statement: {file}\n"));
        }
        let row = |label: &str, value: String| format!("  {label:<44} {value:>20}\n");
        out.push_str(&row(
            "Balance per statement",
            self.amount(self.statement_balance),
        ));
        let in_books = money::checked_sum(self.outstanding_in_books.iter().map(|o| o.amount))
            .unwrap_or_default();
        let on_statement =
            money::checked_sum(self.outstanding_on_statement.iter().map(|o| o.amount))
                .unwrap_or_default();
        out.push_str(&row(
            "+ in the books, not yet on the statement",
            self.amount(in_books),
        ));
        out.push_str(&row(
            "- on the statement, not in the books",
            self.amount(on_statement),
        ));
        out.push_str(&row("Balance per books", self.amount(self.book_balance)));
        out.push_str(&row("Difference", self.amount(self.difference)));
        out.push_str(&format!(
            "  {} statement line(s) matched\n",
            self.matched.len()
        ));
        let list = |out: &mut String, title: &str, items: &[Outstanding]| {
            if items.is_empty() {
                return;
            }
            out.push_str(&format!("{title}\n"));
            for o in items {
                out.push_str(&format!(
                    "  {}  {:>4} days  {:>16}  {}  ({})\n",
                    o.date,
                    o.age_days,
                    self.amount(o.amount),
                    o.description,
                    o.location
                ));
            }
        };
        list(
            &mut out,
            "Outstanding in the books (not yet on the statement):",
            &self.outstanding_in_books,
        );
        list(
            &mut out,
            "On the statement, not in the books (record them):",
            &self.outstanding_on_statement,
        );
        out
    }
}

/// A transaction's net movement in the account.
struct Item {
    transaction: usize,
    date: NaiveDate,
    amount: Decimal,
    cleared: bool,
    /// Lines of postings to the account not yet marked cleared.
    unmarked_lines: Vec<u32>,
    file: u32,
    line: u32,
    code: Option<String>,
}

fn posting_cleared(t: &Transaction, status: Status) -> bool {
    t.status == Status::Cleared || status == Status::Cleared
}

/// The items of `account` in `commodity` (reconciliation records, whose
/// movement is zero, are left out).
fn items(
    journal: &Journal,
    account: AccountId,
    commodity: CommodityId,
) -> Result<Vec<Item>, money::Overflow> {
    let mut out = Vec::new();
    for (index, t) in journal.transactions().iter().enumerate() {
        let mut amount = Decimal::ZERO;
        let mut touched = false;
        let mut cleared = true;
        let mut unmarked_lines = Vec::new();
        for p in journal.postings(t) {
            if p.account != account || p.commodity != commodity {
                continue;
            }
            touched = true;
            amount = money::checked_add(amount, p.quantity)?;
            if !posting_cleared(t, p.status) {
                cleared = false;
                if p.line != t.line && !unmarked_lines.contains(&p.line) {
                    unmarked_lines.push(p.line);
                }
            }
        }
        if touched && !amount.is_zero() {
            out.push(Item {
                transaction: index,
                date: t.date,
                amount,
                cleared,
                unmarked_lines,
                file: t.file,
                line: t.line,
                code: journal.code(t).map(str::to_string),
            });
        }
    }
    Ok(out)
}

/// A recorded reconciliation, read back from the journal.
#[derive(Clone, Debug, Serialize)]
pub struct Recorded {
    /// The account.
    pub account: String,
    /// The statement date.
    pub date: NaiveDate,
    /// The statement balance, as written in the tag.
    pub statement_balance: String,
    /// The statement file, when recorded.
    pub statement_file: Option<String>,
    /// Where the record is: `FILE:LINE`.
    pub location: String,
}

/// `FILE:LINE` of a line of the journal, the file shown relative to the
/// ledger directory (as reports and packages cite sources).
pub fn location_of(journal: &Journal, file: u32, line: u32) -> String {
    let path = journal
        .files()
        .get(file as usize)
        .map(|p| shown_path(journal, p))
        .unwrap_or_default();
    format!("{path}:{line}")
}

/// A path as shown: relative to the ledger directory when inside it.
fn shown_path(journal: &Journal, path: &Path) -> String {
    path.strip_prefix(&journal.settings().root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Every reconciliation record in the journal, in date order.
pub fn records(journal: &Journal) -> Vec<Recorded> {
    let mut out = Vec::new();
    for t in journal.transactions() {
        let tags = journal.transaction_tags(t);
        let Some(account) = tags.iter().find(|tag| tag.name == RECONCILED_TAG) else {
            continue;
        };
        let tag = |name: &str| {
            tags.iter()
                .find(|tag| tag.name == name)
                .map(|tag| tag.value.to_string())
        };
        out.push(Recorded {
            account: account.value.to_string(),
            date: t.date,
            statement_balance: tag(STATEMENT_BALANCE_TAG).unwrap_or_default(),
            statement_file: tag(STATEMENT_TAG),
            location: location_of(journal, t.file, t.line),
        });
    }
    out.sort_by_key(|r| r.date);
    out
}

fn problem(message: String) -> Vec<Diagnostic> {
    vec![Diagnostic::new(Code::NotReconciled, message)]
}

/// Reconciles `request` against `journal`; changes nothing.
///
/// # Errors
/// E801 diagnostics for a request that cannot be reconciled at all (an
/// unknown account or commodity, a line after the statement date, no
/// statement balance); a statement that simply disagrees is returned with a
/// non-zero difference.
pub fn reconcile(
    journal: &Journal,
    request: &Request<'_>,
) -> Result<Reconciliation, Vec<Diagnostic>> {
    let settings = journal.settings();
    let window = i64::from(settings.reconcile.date_window);
    let account = journal.account_id(request.account).ok_or_else(|| {
        problem(format!(
            "the journal has no account {:?} (give the full account name)",
            request.account
        ))
    })?;
    let symbol = request
        .commodity
        .map(str::to_string)
        .or_else(|| settings.base_currency.clone())
        .ok_or_else(|| {
            problem("no commodity: give --commodity (the journal has no base currency)".into())
        })?;
    let commodity = journal
        .commodity_id(&symbol)
        .ok_or_else(|| problem(format!("the journal has no commodity {symbol:?}")))?;
    let precision = journal.precision(commodity).unwrap_or(0);
    let (rows, given_balance, statement_file): (&[StatementRow], _, _) = match &request.statement {
        Statement::Lines {
            path,
            rows,
            balance,
        } => (
            rows,
            *balance,
            Some(
                path.strip_prefix(&settings.root)
                    .unwrap_or(path)
                    .display()
                    .to_string(),
            ),
        ),
        Statement::Paper { balance } => (&[], Some(*balance), None),
    };
    let as_of = request
        .as_of
        .or_else(|| rows.iter().map(|r| r.date).max())
        .ok_or_else(|| problem("no statement date: give --as-of DATE".into()))?;
    let statement_path = statement_file.clone().unwrap_or_default();
    let row_location = |r: &StatementRow| format!("{statement_path}:{}", r.line);
    if let Some(late) = rows.iter().find(|r| r.date > as_of) {
        return Err(vec![Diagnostic::new(
            Code::NotReconciled,
            format!("a statement line is dated after the statement date {as_of}"),
        )
        .at(Location {
            path: PathBuf::from(&statement_path),
            line: late.line,
        })
        .with_excerpt(vec![(late.line, late.raw.clone())])
        .expected(format!("lines dated on or before {as_of} (--as-of)"))]);
    }
    let statement_balance = given_balance
        .or_else(|| rows.iter().rev().find_map(|r| r.balance))
        .ok_or_else(|| {
            problem(
                "the statement has no balance column: give its closing balance with --balance AMOUNT"
                    .into(),
            )
        })?;
    let overflow = |_| problem("the amounts overflow".into());
    let all_items = items(journal, account, commodity).map_err(overflow)?;
    let mut book_balance = Decimal::ZERO;
    for item in all_items.iter().filter(|i| i.date <= as_of) {
        book_balance = money::checked_add(book_balance, item.amount).map_err(overflow)?;
    }
    // A cash count that differs: the difference goes to suspense, and the
    // books then agree with the count.
    let mut posted_to_suspense = None;
    if let (Some(suspense), Statement::Paper { balance }) = (request.suspense, &request.statement) {
        if *balance != book_balance {
            let declared = settings.close.suspense_accounts.iter().any(|s| {
                suspense == s
                    || suspense
                        .strip_prefix(s.as_str())
                        .is_some_and(|rest| rest.starts_with(':'))
            });
            if !declared {
                return Err(problem(format!(
                    "{suspense:?} is not a suspense account: declare it in [close] suspense_accounts"
                )));
            }
            let difference = money::checked_sub(*balance, book_balance).map_err(overflow)?;
            posted_to_suspense = Some((suspense.to_string(), difference));
            book_balance = *balance;
        }
    }
    // The last reconciliation before this statement: items it cleared are
    // not matched again.
    let prior = records(journal)
        .into_iter()
        .filter(|r| r.account == request.account && r.date < as_of)
        .map(|r| r.date)
        .max();
    let first_line = rows.iter().map(|r| r.date).min().unwrap_or(as_of);
    let window_start = first_line - chrono::Duration::days(window);
    let eligible = |item: &Item| {
        item.date <= as_of + chrono::Duration::days(window)
            && (!item.cleared || (item.date >= window_start && prior.is_none_or(|p| item.date > p)))
    };
    // Items by amount (normalised, so 5000 and 5000.00 meet): each line
    // looks only at items of its own amount.
    let mut by_amount: HashMap<Decimal, Vec<usize>> = HashMap::new();
    for (i, item) in all_items.iter().enumerate() {
        by_amount
            .entry(item.amount.normalize())
            .or_default()
            .push(i);
    }
    let mut taken = vec![false; all_items.len()];
    let mut matched = Vec::new();
    let mut matched_items = Vec::new();
    let mut unmatched_rows = Vec::new();
    let mut ordered_rows: Vec<&StatementRow> = rows.iter().collect();
    ordered_rows.sort_by_key(|r| (r.date, r.line));
    for list in by_amount.values_mut() {
        list.sort_by_key(|&i| (all_items[i].date, i));
    }
    let fits = |row: &StatementRow, item: &Item| {
        (item.date - row.date).num_days().abs() <= window && eligible(item)
    };
    // First the lines whose reference names an item's code; then, in date
    // order, each line takes the earliest free item of its amount within the
    // window. Every line's window is as long as every other's, so taking the
    // earliest is never worse: it matches as many lines as any choice can.
    let mut chosen: Vec<Option<usize>> = vec![None; ordered_rows.len()];
    for (n, row) in ordered_rows.iter().enumerate() {
        let Some(reference) = &row.reference else {
            continue;
        };
        let candidates = by_amount
            .get(&row.amount.normalize())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let found = candidates.iter().copied().find(|&i| {
            !taken[i] && all_items[i].code.as_ref() == Some(reference) && fits(row, &all_items[i])
        });
        if let Some(i) = found {
            taken[i] = true;
            chosen[n] = Some(i);
        }
    }
    for (n, row) in ordered_rows.iter().enumerate() {
        if chosen[n].is_some() {
            continue;
        }
        let candidates = by_amount
            .get(&row.amount.normalize())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let found = candidates
            .iter()
            .copied()
            .find(|&i| !taken[i] && fits(row, &all_items[i]));
        if let Some(i) = found {
            taken[i] = true;
            chosen[n] = Some(i);
        }
    }
    for (row, choice) in ordered_rows.into_iter().zip(chosen) {
        match choice {
            Some(i) => {
                let item = &all_items[i];
                let t = &journal.transactions()[item.transaction];
                matched.push(Matched {
                    statement_date: row.date,
                    book_date: item.date,
                    amount: item.amount,
                    payee: journal.payee(t).to_string(),
                    location: location_of(journal, item.file, item.line),
                });
                matched_items.push(i);
            }
            None => unmatched_rows.push(row),
        }
    }
    let mut to_mark = Vec::new();
    let mut outstanding_in_books = Vec::new();
    let paper = matches!(request.statement, Statement::Paper { .. });
    let uncleared: Vec<usize> = (0..all_items.len())
        .filter(|&i| !taken[i] && !all_items[i].cleared && all_items[i].date <= as_of)
        .collect();
    let uncleared_sum =
        money::checked_sum(uncleared.iter().map(|&i| all_items[i].amount)).map_err(overflow)?;
    // A paper statement that agrees with the books: everything to its date
    // has cleared.
    if paper && book_balance == statement_balance {
        matched_items.extend(uncleared.iter().copied());
    } else {
        for &i in &uncleared {
            let item = &all_items[i];
            let t = &journal.transactions()[item.transaction];
            outstanding_in_books.push(Outstanding {
                date: item.date,
                description: journal.payee(t).to_string(),
                amount: item.amount,
                amount_text: journal.format_amount(item.amount, commodity),
                age_days: (as_of - item.date).num_days(),
                location: location_of(journal, item.file, item.line),
                line_text: format!("{} {}", item.date, journal.payee(t)),
            });
        }
    }
    for &i in &matched_items {
        let item = &all_items[i];
        for &line in &item.unmarked_lines {
            to_mark.push((item.file, line, item.date));
        }
    }
    to_mark.sort_unstable();
    to_mark.dedup();
    let outstanding_on_statement: Vec<Outstanding> = unmatched_rows
        .iter()
        .map(|r| Outstanding {
            date: r.date,
            description: r.description.clone(),
            amount: r.amount,
            amount_text: journal.format_amount(r.amount, commodity),
            age_days: (as_of - r.date).num_days(),
            location: row_location(r),
            line_text: r.raw.clone(),
        })
        .collect();
    let in_books = if paper && book_balance == statement_balance {
        Decimal::ZERO
    } else {
        uncleared_sum
    };
    let on_statement =
        money::checked_sum(outstanding_on_statement.iter().map(|o| o.amount)).map_err(overflow)?;
    let adjusted = money::checked_add(statement_balance, in_books)
        .and_then(|a| money::checked_sub(a, on_statement))
        .map_err(overflow)?;
    let difference = money::checked_sub(book_balance, adjusted).map_err(overflow)?;
    let balance_text = amount_text(statement_balance, precision, &quote_commodity(&symbol));
    let already_recorded = records(journal).iter().any(|r| {
        r.account == request.account && r.date == as_of && r.statement_balance == balance_text
    });
    let location = match rows.iter().max_by_key(|r| r.line) {
        Some(last) => row_location(last),
        None => all_items
            .iter()
            .filter(|i| i.date <= as_of)
            .max_by_key(|i| i.date)
            .map(|i| location_of(journal, i.file, i.line))
            .unwrap_or_default(),
    };
    Ok(Reconciliation {
        location,
        account: request.account.to_string(),
        commodity: symbol,
        as_of,
        statement_file,
        statement_balance,
        book_balance,
        matched,
        outstanding_in_books,
        outstanding_on_statement,
        difference,
        newly_cleared: to_mark.len(),
        already_recorded,
        posted_to_suspense,
        precision,
        to_mark,
    })
}

/// Why a reconciliation that does not tie writes nothing: one E801 with the
/// figures, then one per statement line not in the books (at its CSV row)
/// and one per book item not on the statement (at its journal line).
pub fn disagreement(journal: &Journal, rec: &Reconciliation) -> Vec<Diagnostic> {
    let root = &journal.settings().root;
    let split = |location: &str| -> Location {
        let (path, line) = location.rsplit_once(':').unwrap_or((location, "0"));
        Location {
            path: root.join(path),
            line: line.parse().unwrap_or(0),
        }
    };
    let mut out = vec![Diagnostic::new(
        Code::NotReconciled,
        format!(
            "{} does not reconcile with its statement at {}: difference {}{}",
            rec.account,
            rec.as_of,
            rec.amount(rec.difference),
            if rec.outstanding_on_statement.is_empty() {
                ""
            } else {
                ", and the statement has lines the books do not"
            }
        ),
    )
    .found(format!(
        "books {}, statement {}, {} in the books not on the statement, {} on the statement not in the books",
        rec.amount(rec.book_balance),
        rec.amount(rec.statement_balance),
        rec.outstanding_in_books.len(),
        rec.outstanding_on_statement.len()
    ))
    .expected(
        "book balance = statement balance + items outstanding in the books - statement lines not in the books; record the missing entries (or correct the statement) and run reconcile again; nothing was written",
    )
    .at(split(&rec.location))];
    let excerpt = |o: &Outstanding| {
        let location = split(&o.location);
        vec![(location.line, o.line_text.clone())]
    };
    for o in &rec.outstanding_on_statement {
        out.push(
            Diagnostic::new(
                Code::NotReconciled,
                format!(
                    "statement line {} {} {:?} matches nothing in the books",
                    o.date,
                    rec.amount(o.amount),
                    o.description
                ),
            )
            .at(split(&o.location))
            .with_excerpt(excerpt(o))
            .expected(format!(
                "a transaction of {} in {} dated within {} days",
                rec.amount(o.amount),
                rec.account,
                journal.settings().reconcile.date_window
            )),
        );
    }
    for o in &rec.outstanding_in_books {
        out.push(
            Diagnostic::new(
                Code::NotReconciled,
                format!(
                    "{} {} {:?} is in the books, not on the statement ({} days)",
                    o.date,
                    rec.amount(o.amount),
                    o.description,
                    o.age_days
                ),
            )
            .at(split(&o.location))
            .with_excerpt(excerpt(o)),
        );
    }
    out
}

/// Marks `lines` (1-based) of `text` cleared: `*` before the account (a `!`
/// becomes `*`). Each line must be a posting line of `account`.
fn mark_lines(
    text: &str,
    lines: &[u32],
    account: &str,
    path: &Path,
) -> Result<String, Vec<Diagnostic>> {
    let mut wanted: Vec<u32> = lines.to_vec();
    wanted.sort_unstable();
    let mut out = String::with_capacity(text.len() + 2 * lines.len());
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if wanted.binary_search(&number).is_err() {
            out.push_str(line);
            continue;
        }
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let rest = &line[indent..];
        let rest = rest.strip_prefix('!').map(str::trim_start).unwrap_or(rest);
        let bare = rest.trim_start_matches(['(', '[']);
        if !bare.starts_with(account) {
            return Err(vec![Diagnostic::new(
                Code::NotReconciled,
                format!("line {number} is not a posting to {account}; nothing was written"),
            )
            .at(Location {
                path: path.to_path_buf(),
                line: number,
            })
            .with_excerpt(vec![(number, line.trim_end().to_string())])]);
        }
        out.push_str(&line[..indent]);
        out.push_str("* ");
        out.push_str(rest);
    }
    Ok(out)
}

/// Where the record of a reconciliation at `as_of` goes: the file of the
/// account's last entry dated on or before `as_of`, before that file's first
/// transaction dated after `as_of` (its header line), or at its end (`None`).
fn record_place(journal: &Journal, account: &str, as_of: NaiveDate) -> Option<(u32, Option<u32>)> {
    let id = journal.account_id(account)?;
    let file = journal
        .transactions()
        .iter()
        .filter(|t| t.date <= as_of && journal.postings(t).iter().any(|p| p.account == id))
        .max_by_key(|t| t.date)?
        .file;
    let before = journal
        .transactions()
        .iter()
        .filter(|t| t.file == file && t.date > as_of)
        .map(|t| t.line)
        .min();
    Some((file, before))
}

/// `text` with `record` inserted before line `before` (1-based), or at the
/// end, set apart by blank lines.
fn insert_record(text: &str, record: &str, before: Option<u32>) -> String {
    let mut out = String::with_capacity(text.len() + record.len() + 2);
    let at = before.map(|line| {
        text.split_inclusive('\n')
            .take(line.saturating_sub(1) as usize)
            .map(str::len)
            .sum::<usize>()
    });
    match at {
        Some(at) => {
            out.push_str(&text[..at]);
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            out.push_str(record);
            out.push('\n');
            out.push_str(&text[at..]);
        }
        None => {
            out.push_str(text);
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
            }
            out.push_str(record);
        }
    }
    out
}

/// What [`apply`] did.
pub struct Applied {
    /// The reconciliation.
    pub reconciliation: Reconciliation,
    /// Files rewritten (none for a dry run or a re-run).
    pub files_written: Vec<PathBuf>,
}

/// Reconciles under the journal's lock and, when the difference is zero,
/// writes the marks and the record (see the module documentation). A
/// statement that does not reconcile writes nothing: `Err(Input)` with
/// [`disagreement`]'s diagnostics.
///
/// # Errors
/// [`ChangeError`]; in every case but a failed rename, no file is changed.
pub fn apply(
    settings: &Settings,
    options: ChangeOptions<'_>,
    request: &Request<'_>,
) -> Result<Applied, ChangeError> {
    let write::Locked {
        lock,
        target,
        before,
        loaded,
    } = write::lock_and_load(settings, &options)?;
    let journal = &loaded.journal;
    let rec = reconcile(journal, request).map_err(ChangeError::Input)?;
    if !rec.is_reconciled() {
        return Err(ChangeError::Input(disagreement(journal, &rec)));
    }
    // Nothing in a closed year is marked or recorded.
    let closes = crate::write_path::close::records(journal);
    let mut closed = Vec::new();
    for &(file, line, date) in &rec.to_mark {
        if let Some(close) = closes.iter().find(|c| c.contains(date)) {
            closed.push(
                Diagnostic::new(
                    Code::ClosedYear,
                    format!(
                        "reconciling would mark a posting dated {date} cleared, inside {}",
                        close.describe()
                    ),
                )
                .at(Location {
                    path: journal.files()[file as usize].clone(),
                    line,
                })
                .expected("reconcile a year before closing it; a closed year's marks are part of its digest"),
            );
        }
    }
    let record = if rec.already_recorded && rec.posted_to_suspense.is_none() {
        String::new()
    } else {
        rec.record_text()
    };
    if let Err(problems) = crate::write_path::close::refuse_closed(journal, &record) {
        closed.extend(problems);
    }
    if !closed.is_empty() {
        return Err(ChangeError::Input(closed));
    }
    if rec.changes_nothing() {
        return Ok(Applied {
            reconciliation: rec,
            files_written: Vec::new(),
        });
    }
    // The new content of every file touched: marks, and the record where a
    // reader in file order (ledger-cli) meets it after every entry of the
    // account up to the statement date and before any later one.
    let mut by_file: HashMap<u32, Vec<u32>> = HashMap::new();
    for &(file, line, _) in &rec.to_mark {
        by_file.entry(file).or_default().push(line);
    }
    let journal_file = journal
        .files()
        .iter()
        .position(|p| p == &settings.journal)
        .and_then(|i| u32::try_from(i).ok())
        .unwrap_or(0);
    let (record_file, record_before) =
        record_place(journal, request.account, rec.as_of).unwrap_or((journal_file, None));
    if !record.is_empty() {
        by_file.entry(record_file).or_default();
    }
    let mut files: Vec<u32> = by_file.keys().copied().collect();
    // The file of the record last: the record is the last thing written.
    files.sort_by_key(|&f| (f == record_file, f));
    let mut replacements = Vec::new();
    for file in files {
        let path = if file == journal_file {
            target.clone()
        } else {
            journal.files()[file as usize].clone()
        };
        let expected = if file == journal_file {
            before.clone()
        } else {
            Fingerprint::of(&path)?
        };
        let text =
            crate::write_path::import::read_text(&path).map_err(|e| ChangeError::io("", e))?;
        if Fingerprint::of(&path)? != expected {
            return Err(ChangeError::Write(write::WriteError::Changed(path)));
        }
        let mut text =
            mark_lines(&text, &by_file[&file], &rec.account, &path).map_err(ChangeError::Input)?;
        if file == record_file && !record.is_empty() {
            text = insert_record(&text, &record, record_before);
        }
        replacements.push(Replacement {
            path,
            expected,
            text,
        });
    }
    // The journal did not change while it was loaded and reconciled.
    if Fingerprint::of(&target)? != before {
        return Err(ChangeError::Write(write::WriteError::Changed(
            settings.journal.clone(),
        )));
    }
    let Some(lock) = lock else {
        return Ok(Applied {
            reconciliation: rec,
            files_written: Vec::new(),
        });
    };
    drop(loaded);
    write::replace_files(&lock, &replacements)?;
    // The journal as written must load without errors and still reconcile.
    let after = crate::load::load(settings.clone()).map_err(|e| ChangeError::io("", e))?;
    if after.has_errors() {
        return Err(ChangeError::JournalInvalid(
            after
                .diagnostics
                .into_iter()
                .filter(|d| d.is_error())
                .collect(),
        ));
    }
    Ok(Applied {
        reconciliation: rec,
        files_written: replacements.into_iter().map(|r| r.path).collect(),
    })
}

/// The last reconciliation of an account at a date, for `report
/// reconciliation`.
#[derive(Clone, Debug, Serialize)]
pub struct AccountStatus {
    /// The account.
    pub account: String,
    /// The last record on or before the report date, if any.
    pub last: Option<Recorded>,
    /// Days from it (or from the account's first entry, never reconciled)
    /// to the report date.
    pub days_since: i64,
    /// Where the last record is, or (never reconciled) the account's first
    /// entry: `FILE:LINE`.
    pub since_location: String,
    /// The account's items not marked cleared, dated on or before the last
    /// reconciliation: outstanding then (and still).
    pub outstanding: Vec<Outstanding>,
}

/// The last reconciliation of every reconciled account (`[reconcile]
/// accounts`) that has entries on or before `as_of`.
pub fn last_reconciliations(journal: &Journal, as_of: NaiveDate) -> Vec<AccountStatus> {
    let settings = &journal.settings().reconcile;
    let records = records(journal);
    let mut accounts: Vec<(String, AccountId)> = journal
        .account_ids()
        .map(|id| (journal.account_name(id).to_string(), id))
        .filter(|(name, _)| {
            settings.covers(name)
                && !name.ends_with(&format!(
                    ":{}",
                    crate::write_path::close::REVALUATION_SUFFIX
                ))
        })
        .collect();
    accounts.sort();
    let mut out = Vec::new();
    for (name, id) in accounts {
        let first = journal
            .transactions()
            .iter()
            .filter(|t| t.date <= as_of && journal.postings(t).iter().any(|p| p.account == id))
            .min_by_key(|t| t.date);
        let Some(first) = first else {
            continue;
        };
        let first_location = location_of(journal, first.file, first.line);
        let first = first.date;
        let last = records
            .iter()
            .rfind(|r| r.account == name && r.date <= as_of)
            .cloned();
        let since = last.as_ref().map(|r| r.date).unwrap_or(first);
        let mut outstanding = Vec::new();
        if let Some(record) = &last {
            for t in journal.transactions() {
                if t.date > record.date {
                    continue;
                }
                let mut by_commodity: Vec<(CommodityId, Decimal)> = Vec::new();
                for p in journal.postings(t) {
                    if p.account != id || posting_cleared(t, p.status) {
                        continue;
                    }
                    match by_commodity.iter_mut().find(|(c, _)| *c == p.commodity) {
                        Some((_, q)) => *q = money::checked_add(*q, p.quantity).unwrap_or(*q),
                        None => by_commodity.push((p.commodity, p.quantity)),
                    }
                }
                for (commodity, amount) in by_commodity.into_iter().filter(|(_, q)| !q.is_zero()) {
                    outstanding.push(Outstanding {
                        date: t.date,
                        description: journal.payee(t).to_string(),
                        amount,
                        amount_text: journal.format_amount(amount, commodity),
                        age_days: (record.date - t.date).num_days(),
                        location: location_of(journal, t.file, t.line),
                        line_text: String::new(),
                    });
                }
            }
        }
        out.push(AccountStatus {
            since_location: last
                .as_ref()
                .map(|r| r.location.clone())
                .unwrap_or(first_location),
            account: name,
            last,
            days_since: (as_of - since).num_days(),
            outstanding,
        });
    }
    out
}

/// `report reconciliation` as text.
/// Accounts are named by their labels (`[report.account_labels]`).
pub fn render_status(settings: &Settings, as_of: NaiveDate, statuses: &[AccountStatus]) -> String {
    let label = |account: &str| {
        crate::reports::words::account(settings, account, crate::reports::statement::Language::En)
    };
    let mut out = format!("Reconciliations as of {as_of}\n");
    if statuses.is_empty() {
        out.push_str("  (no bank or cash account has entries)\n");
    }
    for s in statuses {
        match &s.last {
            Some(r) => out.push_str(&format!(
                "{}: last reconciled {} ({} days ago), statement balance {}{}  [{}]\n",
                label(&s.account),
                r.date,
                s.days_since,
                r.statement_balance,
                r.statement_file
                    .as_ref()
                    .map(|f| format!(", statement {f}"))
                    .unwrap_or_default(),
                r.location
            )),
            None => out.push_str(&format!(
                "{}: never reconciled (entries since {} days)\n",
                label(&s.account),
                s.days_since
            )),
        }
        for o in &s.outstanding {
            out.push_str(&format!(
                "    outstanding {}  {:>4} days  {:>16}  {}  ({})\n",
                o.date, o.age_days, o.amount_text, o.description, o.location
            ));
        }
    }
    out
}

/// W801 for every reconciled account last reconciled (or, never
/// reconciled, first used) more than `[reconcile] max_days` before the
/// journal's last date. Nothing when `max_days` is unset.
pub fn stale_accounts(journal: &Journal) -> Vec<Diagnostic> {
    let Some(max_days) = journal.settings().reconcile.max_days else {
        return Vec::new();
    };
    let Some(last_date) = journal.transactions().iter().map(|t| t.date).max() else {
        return Vec::new();
    };
    last_reconciliations(journal, last_date)
        .into_iter()
        .filter(|s| s.days_since > i64::from(max_days))
        .map(|s| {
            let message = match &s.last {
                Some(r) => format!(
                    "{} was last reconciled on {}, {} days before the journal's last entry ({last_date})",
                    s.account, r.date, s.days_since
                ),
                None => format!(
                    "{} has never been reconciled ({} days of entries to {last_date})",
                    s.account, s.days_since
                ),
            };
            let (path, line) = s
                .since_location
                .rsplit_once(':')
                .unwrap_or((&s.since_location, "0"));
            Diagnostic::new(Code::NotReconciledRecently, message)
                .found(format!("{} days", s.days_since))
                .expected(format!(
                    "a reconciliation at most {max_days} days old ([reconcile] max_days): fundledger reconcile {} --statement FILE",
                    s.account
                ))
                .at(Location {
                    path: journal.settings().root.join(path),
                    line: line.parse().unwrap_or(0),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_go_before_the_account_and_replace_a_pending_mark() {
        let text =
            "2000-04-01 Gift\n    Assets:Bank  5 JPY\n    ! Assets:Bank  1 JPY\n    Income:Gifts\n";
        let marked = mark_lines(text, &[2, 3], "Assets:Bank", Path::new("j")).unwrap();
        assert_eq!(
            marked,
            "2000-04-01 Gift\n    * Assets:Bank  5 JPY\n    * Assets:Bank  1 JPY\n    Income:Gifts\n"
        );
    }

    #[test]
    fn a_line_of_another_account_is_refused() {
        let text = "2000-04-01 Gift\n    Income:Gifts  -5 JPY\n";
        let problems = mark_lines(text, &[2], "Assets:Bank", Path::new("j")).unwrap_err();
        assert_eq!(problems[0].code, Code::NotReconciled);
    }

    fn row(line: u32, date: &str, amount: i64) -> StatementRow {
        StatementRow {
            line,
            raw: String::new(),
            date: date.parse().unwrap(),
            amount: Decimal::from(amount),
            reference: None,
            description: String::new(),
            balance: None,
        }
    }

    #[test]
    fn lines_take_the_earliest_item_so_none_is_stranded() {
        // The nearest item for the first line (04-06) is the only one the
        // second line (04-13) can reach: taking the earliest instead
        // matches both.
        let text = "2000-04-01 Gift A\n    Assets:Bank  500 JPY\n    Income:Gifts\n\n\
                    2000-04-06 Gift B\n    Assets:Bank  500 JPY\n    Income:Gifts\n";
        let path = Path::new("j.ledger");
        let settings = Settings::for_bare_journal(path);
        let loaded = crate::load::load_text(settings, path, text.to_string()).unwrap();
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let request = Request {
            account: "Assets:Bank",
            commodity: Some("JPY"),
            statement: Statement::Lines {
                path: PathBuf::from("s.csv"),
                rows: vec![row(2, "2000-04-05", 500), row(3, "2000-04-13", 500)],
                balance: Some(Decimal::from(1000)),
            },
            as_of: None,
            suspense: None,
        };
        let rec = reconcile(&loaded.journal, &request).unwrap();
        assert_eq!(rec.matched.len(), 2, "{rec:?}");
        assert!(rec.is_reconciled());
        assert_eq!(rec.to_mark.len(), 2);
    }

    #[test]
    fn covered_accounts_are_whole_components() {
        let settings = ReconcileSettings::default();
        assert!(settings.covers("Assets:Bank:Postal"));
        assert!(settings.covers("Assets:Cash"));
        assert!(!settings.covers("Assets:Banking"));
    }
}
