//! Closing a fiscal year: checking it is ready, revaluing foreign balances
//! at the closing rate, recording the close, keeping the year closed, and
//! carrying its balances into the next year's journal.
//!
//! # The close record
//!
//! A close is an ordinary transaction, tagged, dated on the balance-sheet
//! date (the last day of the year), with one zero virtual posting (ledger-cli
//! and hledger read a transaction without postings, ledger-parser does not):
//!
//! ```text
//! 2001-03-31 * Books of FY2000 closed
//!     ; close: FY2000
//!     ; closed-on: 2026-11-30
//!     ; period: 2000-04-01 2001-03-31
//!     ; transactions: 816
//!     ; digest: 3f1c…(SHA-256, 64 hex digits)
//!     ; digests: 1a2b3c4d 5e6f7a8b …
//!     (Books:Closed)                        0 JPY  ; fund: General
//! ```
//!
//! `transactions` counts the year's transactions (every transaction dated
//! in the period except close records); `digest` is the SHA-256 of their
//! digests, sorted (so moving a transaction between files is no change);
//! `digests` lists the first 8 hex digits of each transaction's digest, so
//! `verify_closed_years` (run on every load) can name the transactions that are not as
//! recorded. A transaction's digest covers what it means, not how it is
//! laid out: date, mark, code, payee, comment, tags (in any order), and
//! every posting's account, fund, commodity, quantity, kind, mark, cost,
//! assertion, tags and comment, in order. Whether an amount was written or
//! left for fundledger to fill in, and whether an interfund posting was
//! added by fundledger or written out (as `print` does), makes no
//! difference: the journal `print` writes has the same digests.
//!
//! # Revaluation at the closing rate
//!
//! Statements value each posting at the `P` price of its date
//! ([`crate::reports::valued`]), so a foreign balance is carried at the sum of
//! the values it came in and went out at. At the close, each foreign
//! holding (an asset or liability account, a fund and a commodity, the
//! interfund accounts excepted) is brought to `balance × closing rate`,
//! rounded to the base currency's precision half away from zero, by a real
//! transaction on the balance-sheet date in the base currency:
//!
//! ```text
//! 2001-03-31 * Revaluation of foreign balances at the closing rate, FY2000
//!     ; revaluation: FY2000
//!     Assets:Cash:Yanji:Revaluation        -950 JPY  ; fund: FoodAid
//!         ; revalues: CNY
//!     Income:ForeignExchange:Revaluation    950 JPY  ; fund: FoodAid
//! ```
//!
//! The base-currency leg goes to the holding's `:Revaluation` sub-account,
//! never to the holding itself, so that counted cash (balance assertions in
//! the base currency) and the foreign quantity are untouched; statements
//! group accounts at depth three, so the sub-account shows in the holding's
//! line. The other leg is the FX gain or loss of the year, in the fund that
//! holds the balance. The book value of a holding is the value of its
//! postings plus the value of its sub-account postings tagged
//! `revalues: COMMODITY`, so a second revaluation only moves the
//! difference since the first, and re-running one adds nothing.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::model::diagnostic::{Code, Diagnostic, Location};
use crate::model::journal::{
    quote_commodity, Assertion, CommodityId, CostKind, Journal, PostingKind, Status, Transaction,
};
use crate::model::money::{self, Decimal, RoundingStrategy};
use crate::model::query::account_matches;
use crate::model::settings::{AccountClass, Settings};
use crate::read::source::{hex, SourceMap, SourcePos};
use crate::reports::financial::Standard;
use crate::reports::valued::Valued;
use crate::reports::ReportError;
use crate::write_path::print::{self, HeaderText};

/// The `[close]` table of `fundledger.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseSettings {
    /// Where revaluation gains and losses go (an income account: the FX
    /// result, 為替差損益).
    #[serde(default = "default_fx_account")]
    pub fx_revaluation_account: String,
    /// Account prefixes that must be empty when a year is closed.
    #[serde(default)]
    pub suspense_accounts: Vec<String>,
    /// The net-asset account that `close --migrate` balances the opening
    /// balances of the next year's journal against, per fund.
    #[serde(default = "default_opening_account")]
    pub opening_balances_account: String,
}

fn default_fx_account() -> String {
    "Income:ForeignExchange:Revaluation".to_string()
}

fn default_opening_account() -> String {
    "NetAssets:OpeningBalances".to_string()
}

impl Default for CloseSettings {
    fn default() -> Self {
        CloseSettings {
            fx_revaluation_account: default_fx_account(),
            suspense_accounts: Vec::new(),
            opening_balances_account: default_opening_account(),
        }
    }
}

/// The tag that marks a close record; its value is `FY` and the year.
pub const CLOSE_TAG: &str = "close";
/// The tag that marks a revaluation transaction.
pub const REVALUATION_TAG: &str = "revaluation";
/// The posting tag naming the commodity a revaluation posting revalues.
pub const REVALUES_TAG: &str = "revalues";
/// The last part of the sub-account a holding's revaluation goes to.
pub const REVALUATION_SUFFIX: &str = "Revaluation";
/// The virtual account of a close record's zero posting.
pub const CLOSE_ACCOUNT: &str = "Books:Closed";
/// Short digests per `digests:` line.
const DIGESTS_PER_LINE: usize = 16;
/// Hex digits of a short digest.
const SHORT_DIGEST_LEN: usize = 8;
/// How a holding's closing value is rounded to the base currency.
pub const CLOSING_ROUNDING: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// A close recorded in the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseRecord {
    /// The fiscal year (by the calendar year it starts in).
    pub year: i32,
    /// The first day of the year.
    pub begin: NaiveDate,
    /// The day after its last day.
    pub end: NaiveDate,
    /// When the books were closed.
    pub closed_on: NaiveDate,
    /// How many transactions the year had.
    pub transactions: usize,
    /// The SHA-256 of their sorted digests, in hex.
    pub digest: String,
    /// The short digest of each transaction.
    pub short_digests: Vec<String>,
    /// The warnings a forced close recorded.
    pub warnings: Vec<String>,
    /// Where the record is (for messages).
    pub location: Location,
}

impl CloseRecord {
    /// `FY2000, closed on 2026-11-30 (main.ledger:1470)`.
    pub fn describe(&self) -> String {
        format!(
            "FY{}, closed on {} ({}:{})",
            self.year,
            self.closed_on,
            self.location.path.display(),
            self.location.line
        )
    }

    /// True when `date` falls in the closed year.
    pub fn contains(&self, date: NaiveDate) -> bool {
        date >= self.begin && date < self.end
    }
}

fn tag<'j>(journal: &'j Journal, t: &Transaction, name: &str) -> Option<&'j str> {
    journal
        .transaction_tags(t)
        .iter()
        .find(|tag| tag.name == name)
        .map(|tag| tag.value.trim())
}

/// True for a close record.
pub fn is_close_record(journal: &Journal, t: &Transaction) -> bool {
    tag(journal, t, CLOSE_TAG).is_some()
}

/// True for the entries `close` writes (a close record or a revaluation):
/// appended at the end of the journal, dated on a past balance-sheet date,
/// they are exempt from the date-order warning (W101). Neither holds a
/// balance assertion, so ledger-cli's file-order assertions are unaffected.
pub fn is_written_by_close(journal: &Journal, t: &Transaction) -> bool {
    journal
        .transaction_tags(t)
        .iter()
        .any(|tag| tag.name == CLOSE_TAG || tag.name == REVALUATION_TAG)
}

fn location_of(journal: &Journal, t: &Transaction) -> Location {
    Location {
        path: journal
            .files()
            .get(t.file as usize)
            .cloned()
            .unwrap_or_default(),
        line: t.line,
    }
}

/// Reads one close record; `Err` says which tag is missing or unreadable.
fn read_record(journal: &Journal, t: &Transaction) -> Result<CloseRecord, String> {
    let get = |name: &str| tag(journal, t, name).ok_or_else(|| format!("no `{name}:` tag"));
    let year_text = get(CLOSE_TAG)?;
    let year: i32 = year_text
        .trim_start_matches("FY")
        .parse()
        .map_err(|_| format!("`close: {year_text}` is not a fiscal year such as FY2000"))?;
    let date = |name: &str, text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| format!("`{name}: {text}` is not a YYYY-MM-DD date"))
    };
    let closed_on = date("closed-on", get("closed-on")?)?;
    let period = get("period")?;
    let (first, last) = period
        .split_once(' ')
        .ok_or_else(|| format!("`period: {period}` is not two dates"))?;
    let begin = date("period", first.trim())?;
    let last = date("period", last.trim())?;
    let end = last
        .succ_opt()
        .ok_or_else(|| format!("`period: {period}` ends too late"))?;
    let count_text = get("transactions")?;
    let transactions = count_text
        .parse()
        .map_err(|_| format!("`transactions: {count_text}` is not a count"))?;
    let digest = get("digest")?.to_string();
    let mut short_digests = Vec::new();
    let mut warnings = Vec::new();
    for tag in journal.transaction_tags(t) {
        match tag.name {
            "digests" => short_digests.extend(tag.value.split_whitespace().map(str::to_string)),
            "warning" => warnings.push(tag.value.trim().to_string()),
            _ => {}
        }
    }
    Ok(CloseRecord {
        year,
        begin,
        end,
        closed_on,
        transactions,
        digest,
        short_digests,
        warnings,
        location: location_of(journal, t),
    })
}

/// Every readable close record of the journal, in journal order.
pub fn records(journal: &Journal) -> Vec<CloseRecord> {
    journal
        .transactions()
        .iter()
        .filter(|t| is_close_record(journal, t))
        .filter_map(|t| read_record(journal, t).ok())
        .collect()
}

/// The SHA-256 digest of what a transaction means (see the module docs).
pub fn transaction_digest(journal: &Journal, t: &Transaction) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        // Length-prefixed, so no two different field lists hash alike.
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    // Explicit bytes, so that reordering an enum never changes a digest.
    let status = |s: Status| match s {
        Status::Unmarked => [b' '],
        Status::Pending => [b'!'],
        Status::Cleared => [b'*'],
    };
    let decimal = |q: Decimal| {
        let q = q.normalize();
        let mut bytes = [0u8; 20];
        bytes[..16].copy_from_slice(&q.mantissa().to_le_bytes());
        bytes[16..].copy_from_slice(&q.scale().to_le_bytes());
        bytes
    };
    field(&t.date.to_string().into_bytes());
    field(&status(t.status));
    field(journal.code(t).unwrap_or("").as_bytes());
    field(journal.payee(t).as_bytes());
    field(journal.transaction_comment(t).unwrap_or("").as_bytes());
    digest_tags(&mut field, journal.transaction_tags(t));
    for p in journal.postings(t) {
        field(b"posting");
        field(journal.account_name(p.account).as_bytes());
        field(journal.fund_name(p.fund).as_bytes());
        field(journal.commodity_name(p.commodity).as_bytes());
        field(&decimal(p.quantity));
        field(match p.kind {
            PostingKind::Real => b"real",
            PostingKind::BalancedVirtual => b"[..]",
            PostingKind::UnbalancedVirtual => b"(..)",
        });
        field(&status(p.status));
        if let Some(cost) = journal.cost(p) {
            field(match cost.kind {
                CostKind::PerUnit => b"@",
                CostKind::Total => b"@@",
            });
            field(&decimal(cost.written));
            field(journal.commodity_name(cost.commodity).as_bytes());
        }
        match journal.assertion(p) {
            Some(Assertion::Amount(q, c)) => {
                field(b"=");
                field(&decimal(*q));
                field(journal.commodity_name(*c).as_bytes());
            }
            Some(Assertion::Zero) => field(b"=0"),
            None => {}
        }
        digest_tags(&mut field, journal.posting_tags(p));
        if let Some(comment) = journal.posting_comment(p) {
            field(b";");
            field(comment.as_bytes());
        }
    }
    hasher.finalize().into()
}

/// Tags in a digest: sorted, without the `fundledger: interfund` mark that
/// `print` writes on the interfund postings it writes out.
fn digest_tags(field: &mut impl FnMut(&[u8]), tags: crate::model::journal::Tags<'_>) {
    let mut tags: Vec<(&str, &str)> = tags
        .filter(|t| !(t.name == "fundledger" && t.value.trim() == "interfund"))
        .map(|t| (t.name, t.value.trim()))
        .collect();
    tags.sort_unstable();
    field(b"tags");
    for (name, value) in tags {
        field(name.as_bytes());
        field(value.as_bytes());
    }
}

fn short(digest: &[u8; 32]) -> String {
    hex(&digest[..SHORT_DIGEST_LEN / 2])
}

/// The digests of some transactions, computed on every core.
fn digests_of(journal: &Journal, transactions: &[&Transaction]) -> Vec<[u8; 32]> {
    use rayon::prelude::*;
    let digest = |t: &&Transaction| transaction_digest(journal, t);
    if crate::parallel::worth_it(transactions.len()) {
        transactions.par_iter().map(digest).collect()
    } else {
        transactions.iter().map(digest).collect()
    }
}

/// The digest of a year: SHA-256 of its transactions' digests, sorted.
fn year_digest(mut digests: Vec<[u8; 32]>) -> String {
    use sha2::{Digest, Sha256};
    digests.sort_unstable();
    let mut hasher = Sha256::new();
    for d in &digests {
        hasher.update(d);
    }
    hex(&hasher.finalize())
}

/// The transactions of `[begin, end)` that a close covers (close records
/// excepted), in journal order.
fn year_transactions<'j>(
    journal: &'j Journal,
    begin: NaiveDate,
    end: NaiveDate,
) -> impl Iterator<Item = &'j Transaction> + 'j {
    journal
        .transactions()
        .iter()
        .filter(move |t| t.date >= begin && t.date < end && !is_close_record(journal, t))
}

/// The whole-journal check of closed years (run by every load): each close
/// record must be readable, and the transactions of its year must be
/// exactly those it recorded. A transaction whose digest the close did not
/// record (added or changed after the close) is E701 at the transaction; a
/// count or digest that no longer matches is E702 at the close record.
pub(crate) fn verify_closed_years(
    journal: &Journal,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    let mut closes: Vec<(CloseRecord, SourcePos)> = Vec::new();
    for t in journal.transactions() {
        if !is_close_record(journal, t) {
            continue;
        }
        let at = SourcePos {
            file: t.file,
            line: t.line,
        };
        match read_record(journal, t) {
            Ok(record) => closes.push((record, at)),
            Err(problem) => out.push(
                sources
                    .diagnostic_at(Code::ClosedYearChanged, at, "unreadable close record")
                    .found(problem)
                    .expected("the tags close, closed-on, period, transactions, digest and digests that `fundledger close` writes"),
            ),
        }
    }
    if closes.is_empty() {
        return;
    }
    // Each closed year's transactions, in one pass over the journal.
    let mut years: Vec<Vec<&Transaction>> = vec![Vec::new(); closes.len()];
    for t in journal.transactions() {
        if !closes.iter().any(|(r, _)| r.contains(t.date)) || is_close_record(journal, t) {
            continue;
        }
        for ((record, _), year) in closes.iter().zip(years.iter_mut()) {
            if record.contains(t.date) {
                year.push(t);
            }
        }
    }
    for ((record, at), year) in closes.iter().zip(years) {
        let at = *at;
        let mut recorded: HashMap<&str, usize> = HashMap::new();
        for d in &record.short_digests {
            *recorded.entry(d.as_str()).or_default() += 1;
        }
        let digests = digests_of(journal, &year);
        let mut unrecorded = 0usize;
        for (other, digest) in year.iter().zip(&digests) {
            let key = short(digest);
            match recorded.get_mut(key.as_str()) {
                Some(n) if *n > 0 => *n -= 1,
                _ => {
                    unrecorded += 1;
                    out.push(
                        sources
                            .diagnostic_at(
                                Code::ClosedYear,
                                SourcePos {
                                    file: other.file,
                                    line: other.line,
                                },
                                format!(
                                    "transaction dated {} is inside {}, and is not as the close recorded it",
                                    other.date,
                                    record.describe()
                                ),
                            )
                            .found("a transaction added or changed after the year was closed")
                            .expected(format!(
                                "no change to FY{} after its close; record it in an open year (an adjustment dated on or after {})",
                                record.year, record.end
                            )),
                    );
                }
            }
        }
        let gone: usize = recorded.values().sum();
        let count = digests.len();
        let digest = year_digest(digests);
        if count != record.transactions || digest != record.digest || gone > 0 {
            let mut found = format!("{count} transaction(s) with digest {digest}");
            if unrecorded > 0 {
                let _ = write!(found, "; {unrecorded} not as recorded (listed above)");
            }
            if gone > 0 {
                let _ = write!(
                    found,
                    "; {gone} recorded transaction(s) missing (deleted or changed)"
                );
            }
            out.push(
                sources
                    .diagnostic_at(
                        Code::ClosedYearChanged,
                        at,
                        format!(
                            "FY{} changed after it was closed on {}",
                            record.year, record.closed_on
                        ),
                    )
                    .found(found)
                    .expected(format!(
                        "the {} transaction(s) with digest {} that the close recorded",
                        record.transactions, record.digest
                    )),
            );
        }
    }
}

/// Refuses new entries dated inside a closed year (the hook of
/// [`crate::write_path::write::change`], so `add` and `import` refuse before anything is
/// written, even with `--dry-run`). `text` is the entries to add.
///
/// # Errors
/// One E701 per entry inside a closed year.
pub fn refuse_closed(journal: &Journal, text: &str) -> Result<(), Vec<Diagnostic>> {
    let closes = records(journal);
    if closes.is_empty() || text.is_empty() {
        return Ok(());
    }
    let path = std::path::Path::new("(new entries)");
    let added = crate::load::load_text(journal.settings().clone(), path, text.to_string())
        .map_err(|e| vec![Diagnostic::new(Code::Unparsable, e.to_string())])?;
    let mut problems = Vec::new();
    for t in added.journal.transactions() {
        if let Some(close) = closes.iter().find(|c| c.contains(t.date)) {
            problems.push(
                Diagnostic::new(
                    Code::ClosedYear,
                    format!(
                        "{} {:?} is dated inside {}",
                        t.date,
                        added.journal.payee(t),
                        close.describe()
                    ),
                )
                .at(close.location.clone())
                .found(format!(
                    "an entry dated {}, in {} to {}",
                    t.date,
                    close.begin,
                    close.end.pred_opt().unwrap_or(close.end)
                ))
                .expected(format!(
                    "entries dated on or after {}: a closed year takes no new entries; record a correction in the open year",
                    close.end
                )),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// One foreign holding revalued at the closing rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revaluation {
    /// The account holding the balance.
    pub account: String,
    /// The fund it belongs to.
    pub fund: String,
    /// The foreign commodity.
    pub commodity: String,
    /// The balance on the balance-sheet date.
    pub quantity: Decimal,
    /// The closing rate (none for an empty holding with a value left).
    pub rate: Option<Decimal>,
    /// Its value in the statements before the revaluation.
    pub book_value: Decimal,
    /// `quantity × rate`, rounded half away from zero.
    pub closing_value: Decimal,
    /// `closing_value - book_value`: the FX gain (loss when negative).
    pub difference: Decimal,
}

/// What `close` found and will write.
#[derive(Debug)]
pub struct ClosePlan {
    /// The year.
    pub year: i32,
    /// Its balance-sheet date.
    pub balance_sheet_date: NaiveDate,
    /// The close already in the journal, when the year is closed.
    pub already_closed: Option<CloseRecord>,
    /// What stops the close (E703 each); recorded as warnings when forced.
    pub blockers: Vec<Diagnostic>,
    /// The holdings revalued (differences of zero left out).
    pub revaluations: Vec<Revaluation>,
    /// The entries to append (revaluation and close record), or "".
    pub text: String,
    /// How many transactions `text` holds.
    pub transactions: usize,
    /// The number of transactions the close covers.
    pub covered: usize,
    /// Their digest.
    pub digest: String,
}

/// Why `close` could not plan.
#[derive(Debug)]
pub enum CloseError {
    /// The request cannot be answered (no base currency, a year out of range).
    Request(String),
    /// A sum overflowed.
    Overflow,
}

impl std::fmt::Display for CloseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseError::Request(what) => f.write_str(what),
            CloseError::Overflow => f.write_str("a total overflows the 28-digit decimal range"),
        }
    }
}

impl std::error::Error for CloseError {}

impl From<money::Overflow> for CloseError {
    fn from(_: money::Overflow) -> Self {
        CloseError::Overflow
    }
}

/// The first day and the day after the last day of fiscal year `year`.
///
/// # Errors
/// [`CloseError::Request`] for a year out of range.
pub fn period(settings: &Settings, year: i32) -> Result<(NaiveDate, NaiveDate), CloseError> {
    settings
        .fiscal_year(year)
        .ok_or_else(|| CloseError::Request(format!("fiscal year {year} is out of range")))
}

fn blocker(message: String, expected: &str) -> Diagnostic {
    Diagnostic::new(Code::NotReadyToClose, message).expected(expected)
}

/// A real balance on the balance-sheet date, per account and commodity,
/// all funds.
struct Held {
    /// The balance (postings dated before the end of the year).
    balance: Decimal,
    /// True when posted to during the year.
    posted_in_year: bool,
    /// Where it was last posted to.
    last: Location,
}

fn balances(
    journal: &Journal,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<BTreeMap<(String, String), Held>, CloseError> {
    let mut held: BTreeMap<(String, String), Held> = BTreeMap::new();
    for t in journal.transactions().iter().filter(|t| t.date < end) {
        for p in journal.postings(t) {
            if p.kind != PostingKind::Real {
                continue;
            }
            let key = (
                journal.account_name(p.account).to_string(),
                journal.commodity_name(p.commodity).to_string(),
            );
            let mut last = location_of(journal, t);
            last.line = p.line;
            let entry = held.entry(key).or_insert_with(|| Held {
                balance: Decimal::ZERO,
                posted_in_year: false,
                last: last.clone(),
            });
            entry.balance = money::checked_add(entry.balance, p.quantity)?;
            entry.posted_in_year |= t.date >= begin;
            entry.last = last;
        }
    }
    Ok(held)
}

fn is_revaluation_account(account: &str) -> bool {
    account
        .rsplit_once(':')
        .is_some_and(|(_, last)| last == REVALUATION_SUFFIX)
}

/// The closing rates: `P` prices in the base currency dated exactly `date`
/// (of two on one date, the later line).
fn closing_rates(
    journal: &Journal,
    base: CommodityId,
    date: NaiveDate,
) -> HashMap<CommodityId, Decimal> {
    journal
        .prices()
        .iter()
        .filter(|p| p.date == date && p.price_commodity == base)
        .map(|p| (p.commodity, p.price))
        .collect()
}

/// What stands in the way of closing `[begin, end)` (each an E703, located
/// where the account or commodity was last posted, or at the year's last
/// transaction).
fn readiness(
    journal: &Journal,
    valued: Option<&Valued<'_>>,
    base: CommodityId,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<Diagnostic>, CloseError> {
    let settings = journal.settings();
    let bs = end.pred_opt().unwrap_or(end);
    let base_name = journal.commodity_name(base);
    let mut out = Vec::new();
    let held = balances(journal, begin, end)?;
    let amount = |quantity: Decimal, commodity: &str| match journal.commodity_id(commodity) {
        Some(id) => journal.format_amount(quantity, id),
        None => format!("{quantity} {}", quote_commodity(commodity)),
    };

    // Cash counts: an assertion on the balance-sheet date per commodity.
    let mut counted: std::collections::BTreeSet<(String, Option<String>)> = Default::default();
    for t in journal.transactions().iter().filter(|t| t.date == bs) {
        for p in journal.postings(t) {
            let account = journal.account_name(p.account).to_string();
            match journal.assertion(p) {
                Some(Assertion::Amount(_, c)) => {
                    counted.insert((account, Some(journal.commodity_name(*c).to_string())));
                }
                Some(Assertion::Zero) => {
                    counted.insert((account, None));
                }
                None => {}
            }
        }
    }
    for ((account, commodity), h) in &held {
        let is_cash = settings
            .report
            .cash_accounts
            .iter()
            .any(|p| account_matches(account, p))
            && !is_revaluation_account(account);
        if !is_cash
            || (h.balance.is_zero() && !h.posted_in_year)
            || counted.contains(&(account.clone(), Some(commodity.clone())))
            || counted.contains(&(account.clone(), None))
        {
            continue;
        }
        out.push(
            blocker(
                format!(
                    "no cash count for {account} in {commodity} on {bs} (the books say {})",
                    amount(h.balance, commodity)
                ),
                &format!(
                    "a balance assertion dated {bs}, such as `{account}  {} = AMOUNT`, for every commodity of every cash and bank account",
                    amount(Decimal::ZERO, commodity)
                ),
            )
            .at(h.last.clone()),
        );
    }

    // Closing rates for every foreign currency held in assets or liabilities.
    let rates = closing_rates(journal, base, bs);
    let mut foreign: BTreeMap<&str, (Vec<String>, Location)> = BTreeMap::new();
    for ((account, commodity), h) in &held {
        let Some(id) = journal.commodity_id(commodity) else {
            continue;
        };
        let class = journal
            .account_id(account)
            .and_then(|a| journal.account_class(a));
        if id == base
            || h.balance.is_zero()
            || !matches!(
                class,
                Some(AccountClass::Assets | AccountClass::Liabilities)
            )
            || rates.contains_key(&id)
        {
            continue;
        }
        let entry = foreign
            .entry(commodity)
            .or_insert_with(|| (Vec::new(), h.last.clone()));
        entry
            .0
            .push(format!("{account} {}", amount(h.balance, commodity)));
        entry.1 = entry.1.clone().max(h.last.clone());
    }
    for (commodity, (holders, last)) in foreign {
        out.push(
            blocker(
                format!(
                    "no closing rate for {commodity} on {bs} (held: {})",
                    holders.join(", ")
                ),
                &format!(
                    "a price dated on the balance-sheet date: `P {bs} {} RATE {}`",
                    quote_commodity(commodity),
                    quote_commodity(base_name)
                ),
            )
            .at(last),
        );
    }

    // Suspense accounts must be empty.
    for ((account, commodity), h) in &held {
        if h.balance.is_zero()
            || !settings
                .close
                .suspense_accounts
                .iter()
                .any(|p| account_matches(account, p))
        {
            continue;
        }
        out.push(
            blocker(
                format!(
                    "suspense account {account} holds {} on {bs}",
                    amount(h.balance, commodity)
                ),
                "suspense accounts ([close] suspense_accounts) empty at the year end: post each item to where it belongs",
            )
            .at(h.last.clone()),
        );
    }

    // The year's statements tie under every standard.
    let year_end = journal
        .transactions()
        .iter()
        .filter(|t| t.date >= begin && t.date < end)
        .max_by_key(|t| t.date)
        .map(|t| location_of(journal, t))
        .unwrap_or_else(|| Location {
            path: settings.journal.clone(),
            line: 1,
        });
    if let Some(valued) = valued {
        let standards = [
            (Standard::Asc958, "asc958"),
            (Standard::JpNpo, "jp-npo"),
            (Standard::Sorp, "sorp"),
        ];
        for (standard, standard_name) in standards {
            // One pass computes and reconciles activities, position, funds
            // and functional (what `reports::named` returns one by one).
            if let Err(error) = crate::reports::financial::statements(valued, standard, begin, end)
            {
                let what = match &error {
                    ReportError::DoesNotTie(_) => "do not tie",
                    _ => "cannot be produced",
                };
                out.push(
                    blocker(
                        format!(
                            "the statements ({standard_name}) of FY{} {what}: {error}",
                            settings.fiscal_year_start.year_of(begin)
                        ),
                        "statements that reconcile (`fundledger report activities --fy YEAR` shows the same problem)",
                    )
                    .at(year_end.clone()),
                );
            }
        }
    }
    Ok(out)
}

/// Per (account, fund, commodity): (balance, book value).
type Holdings = BTreeMap<(String, String, String), (Decimal, Decimal)>;

/// The foreign holdings on the balance-sheet date with their book values.
fn holdings(
    valued: &Valued<'_>,
    base: CommodityId,
    end: NaiveDate,
) -> Result<Holdings, CloseError> {
    let journal = valued.journal;
    let generated = &journal.settings().generated_accounts;
    let mut out: Holdings = BTreeMap::new();
    for (_, p, value) in valued.real_postings(None, end) {
        let account = journal.account_name(p.account);
        if !matches!(
            journal.account_class(p.account),
            Some(AccountClass::Assets | AccountClass::Liabilities)
        ) || account == generated.due_from
            || account == generated.due_to
        {
            continue;
        }
        let fund = journal.fund_name(p.fund).to_string();
        let key = match journal.posting_tag(p, REVALUES_TAG) {
            Some(commodity) if is_revaluation_account(account) => {
                let holder = account.rsplit_once(':').map_or(account, |(h, _)| h);
                (holder.to_string(), fund, commodity.trim().to_string())
            }
            _ if p.commodity == base => continue,
            _ => (
                account.to_string(),
                fund,
                journal.commodity_name(p.commodity).to_string(),
            ),
        };
        let is_quantity = journal.commodity_name(p.commodity) == key.2;
        let entry = out.entry(key).or_default();
        if is_quantity {
            entry.0 = money::checked_add(entry.0, p.quantity)?;
        }
        entry.1 = money::checked_add(entry.1, value)?;
    }
    Ok(out)
}

fn revaluations(
    valued: &Valued<'_>,
    base: CommodityId,
    end: NaiveDate,
) -> Result<Vec<Revaluation>, CloseError> {
    let journal = valued.journal;
    let bs = end.pred_opt().unwrap_or(end);
    let rates = closing_rates(journal, base, bs);
    let mut out = Vec::new();
    for ((account, fund, commodity), (quantity, book_value)) in holdings(valued, base, end)? {
        let rate = journal
            .commodity_id(&commodity)
            .and_then(|c| rates.get(&c).copied());
        let closing_value = match rate {
            _ if quantity.is_zero() => Decimal::ZERO,
            // No closing rate: a blocker; a forced close leaves it as it is.
            None => continue,
            Some(rate) => money::round(
                money::checked_mul_exact(quantity, rate)?,
                valued.precision,
                CLOSING_ROUNDING,
            ),
        };
        let difference = money::checked_sub(closing_value, book_value)?;
        if difference.is_zero() {
            continue;
        }
        out.push(Revaluation {
            account,
            fund,
            commodity,
            quantity,
            rate,
            book_value,
            closing_value,
            difference,
        });
    }
    Ok(out)
}

fn revaluation_text(
    journal: &Journal,
    base: CommodityId,
    year: i32,
    bs: NaiveDate,
    revaluations: &[Revaluation],
) -> Result<String, CloseError> {
    let mut out = String::new();
    write_entry_header(
        &mut out,
        bs,
        &format!("Revaluation of foreign balances at the closing rate, FY{year}"),
        REVALUATION_TAG,
        &format!("FY{year}"),
    );
    let _ = writeln!(
        out,
        "    ; each holding at its balance times the closing rate of {bs}, rounded half away from zero"
    );
    let mut fx: BTreeMap<&str, Decimal> = BTreeMap::new();
    for r in revaluations {
        let account = format!("{}:{REVALUATION_SUFFIX}", r.account);
        print::write_posting_line(
            &mut out,
            &account,
            &journal.format_amount(r.difference, base),
            "",
            &r.fund,
        );
        print::write_tag_line(&mut out, 8, REVALUES_TAG, &r.commodity);
        let rate = r
            .rate
            .map(|rate| format!(" x {}", money::format_plain(rate, 0)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "        ; {} {}{rate} is {}; book value {}",
            r.quantity,
            quote_commodity(&r.commodity),
            journal.format_amount(r.closing_value, base),
            journal.format_amount(r.book_value, base),
        );
        let sum = fx.entry(&r.fund).or_default();
        *sum = money::checked_sub(*sum, r.difference)?;
    }
    let fx_account = &journal.settings().close.fx_revaluation_account;
    for (fund, amount) in fx {
        if !amount.is_zero() {
            print::write_posting_line(
                &mut out,
                fx_account,
                &journal.format_amount(amount, base),
                "",
                fund,
            );
        }
    }
    Ok(out)
}

/// Writes a cleared transaction header dated `date` and its first tag.
fn write_entry_header(out: &mut String, date: NaiveDate, payee: &str, tag: &str, value: &str) {
    print::write_header(
        out,
        &HeaderText {
            date,
            status: Status::Cleared,
            code: None,
            payee,
        },
    );
    print::write_tag_line(out, 4, tag, value);
}

/// Plans closing fiscal year `year` on `closed_on`: checks it, computes the
/// revaluation and writes the close record. With `force`, blockers become
/// warnings recorded in the close; without, a plan with blockers has no
/// text (nor with it, when the journal cannot be valued at all: a plan
/// with blockers and no text cannot be closed). A year already closed (and unchanged: the journal loaded cleanly)
/// gives an empty plan.
///
/// # Errors
/// [`CloseError`] when the year is out of range or has no base currency.
pub fn plan(
    journal: &Journal,
    year: i32,
    closed_on: NaiveDate,
    force: bool,
) -> Result<ClosePlan, CloseError> {
    let settings = journal.settings();
    let (begin, end) = period(settings, year)?;
    let bs = end.pred_opt().unwrap_or(end);
    let base = settings
        .base_currency
        .as_deref()
        .and_then(|b| journal.commodity_id(b))
        .ok_or_else(|| CloseError::Request("closing a year needs a base currency (base_currency in fundledger.toml) that the journal uses".into()))?;
    let mut result = ClosePlan {
        year,
        balance_sheet_date: bs,
        already_closed: None,
        blockers: Vec::new(),
        revaluations: Vec::new(),
        text: String::new(),
        transactions: 0,
        covered: 0,
        digest: String::new(),
    };
    if let Some(record) = records(journal).into_iter().find(|r| r.year == year) {
        result.covered = record.transactions;
        result.digest = record.digest.clone();
        result.already_closed = Some(record);
        return Ok(result);
    }
    let valued = Valued::new(journal);
    if let Err(error) = &valued {
        result.blockers.push(
            blocker(
                format!(
                    "the journal cannot be valued in {}: {error}",
                    journal.commodity_name(base)
                ),
                "every foreign amount priced (`P` lines) on or before its date",
            )
            .at(Location {
                path: settings.journal.clone(),
                line: 1,
            }),
        );
    }
    let valued = valued.ok();
    result.blockers = [
        result.blockers,
        readiness(journal, valued.as_ref(), base, begin, end)?,
    ]
    .concat();
    if !result.blockers.is_empty() && !force {
        return Ok(result);
    }
    let Some(valued) = valued else {
        // Forced, but nothing can be revalued or checked without values:
        // the blockers stand and there is nothing to write.
        return Ok(result);
    };
    result.revaluations = revaluations(&valued, base, end)?;
    let in_year: Vec<&Transaction> = year_transactions(journal, begin, end).collect();
    let mut digests = digests_of(journal, &in_year);
    if !result.revaluations.is_empty() {
        let text = revaluation_text(journal, base, year, bs, &result.revaluations)?;
        // Its digest as it will load: load it alone with the same settings.
        let loaded = crate::load::load_text(
            settings.clone(),
            std::path::Path::new("(revaluation)"),
            text.clone(),
        )
        .map_err(|e| CloseError::Request(e.to_string()))?;
        let [t] = loaded.journal.transactions() else {
            return Err(CloseError::Request(
                "the revaluation entry did not load as one transaction (a fundledger bug)".into(),
            ));
        };
        digests.push(transaction_digest(&loaded.journal, t));
        result.text.push_str(&text);
        result.text.push('\n');
        result.transactions += 1;
    }
    result.covered = digests.len();
    let shorts: Vec<String> = digests.iter().map(short).collect();
    result.digest = year_digest(digests);
    let mut record = String::new();
    write_entry_header(
        &mut record,
        bs,
        &format!("Books of FY{year} closed"),
        CLOSE_TAG,
        &format!("FY{year}"),
    );
    print::write_tag_line(&mut record, 4, "closed-on", &closed_on.to_string());
    print::write_tag_line(&mut record, 4, "period", &format!("{begin} {bs}"));
    print::write_tag_line(&mut record, 4, "transactions", &result.covered.to_string());
    print::write_tag_line(&mut record, 4, "digest", &result.digest);
    for warning in &result.blockers {
        // hledger ends a tag value at a comma.
        print::write_tag_line(
            &mut record,
            4,
            "warning",
            &warning.message.replace(',', ";"),
        );
    }
    for chunk in shorts.chunks(DIGESTS_PER_LINE) {
        print::write_tag_line(&mut record, 4, "digests", &chunk.join(" "));
    }
    print::write_posting_line(
        &mut record,
        &format!("({CLOSE_ACCOUNT})"),
        &journal.format_amount(Decimal::ZERO, base),
        "",
        &settings.default_fund,
    );
    result.text.push_str(&record);
    result.transactions += 1;
    Ok(result)
}

/// The next year's opening balances, for a treasurer who starts a new
/// journal file per year (`close --migrate FILE`, like hledger's `close
/// --migrate`): the closing `P` price of each commodity held, then one
/// transaction on the balance-sheet date (so that the new journal's next
/// year opens with it) carrying every asset and liability balance per
/// account, fund and commodity, balanced per fund and commodity on the
/// opening-balances account. Revaluation sub-accounts are not carried: at
/// the closing rate, the foreign balance itself is worth what the holding
/// and its sub-account were worth together.
///
/// # Errors
/// [`CloseError`] for a year out of range or an overflow.
pub fn opening_balances(journal: &Journal, year: i32) -> Result<String, CloseError> {
    let settings = journal.settings();
    let (_, end) = period(settings, year)?;
    let bs = end.pred_opt().unwrap_or(end);
    let mut held: BTreeMap<(String, String, String), Decimal> = BTreeMap::new();
    let mut commodities: BTreeMap<String, CommodityId> = BTreeMap::new();
    for t in journal.transactions().iter().filter(|t| t.date < end) {
        for p in journal.postings(t) {
            let account = journal.account_name(p.account);
            if p.kind != PostingKind::Real
                || !matches!(
                    journal.account_class(p.account),
                    Some(AccountClass::Assets | AccountClass::Liabilities)
                )
                || is_revaluation_account(account)
            {
                continue;
            }
            let commodity = journal.commodity_name(p.commodity).to_string();
            commodities.insert(commodity.clone(), p.commodity);
            let key = (
                account.to_string(),
                journal.fund_name(p.fund).to_string(),
                commodity,
            );
            let sum = held.entry(key).or_default();
            *sum = money::checked_add(*sum, p.quantity)?;
        }
    }
    held.retain(|_, q| !q.is_zero());
    commodities.retain(|name, _| held.keys().any(|(_, _, c)| c == name));
    let mut out = format!(
        "; Opening balances of FY{next}: the balances of FY{year} on {bs}, per account, fund and commodity.\n; Written by `fundledger close --fy {year} --migrate` from {journal}.\n\n",
        next = year + 1,
        journal = settings.journal.display()
    );
    let valuer = crate::model::valuation::Valuer::new(journal);
    let mut wrote_price = false;
    for (name, id) in &commodities {
        let Some(valuer) = &valuer else { break };
        if *id == valuer.base() {
            continue;
        }
        if let Some(price) = valuer.price_on(*id, bs) {
            let _ = writeln!(
                out,
                "P {bs} {} {} {}",
                quote_commodity(name),
                money::format_plain(price, 0),
                valuer.base_name()
            );
            wrote_price = true;
        }
    }
    if wrote_price {
        out.push('\n');
    }
    write_entry_header(
        &mut out,
        bs,
        &format!("Opening balances of FY{}", year + 1),
        "opening",
        &format!("FY{}", year + 1),
    );
    let mut equity: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for ((account, fund, commodity), quantity) in &held {
        let id = commodities[commodity];
        print::write_posting_line(
            &mut out,
            account,
            &journal.format_amount(*quantity, id),
            "",
            fund,
        );
        let sum = equity.entry((fund.clone(), commodity.clone())).or_default();
        *sum = money::checked_sub(*sum, *quantity)?;
    }
    let opening_account = &settings.close.opening_balances_account;
    for ((fund, commodity), quantity) in equity {
        if quantity.is_zero() {
            continue;
        }
        let id = commodities[&commodity];
        print::write_posting_line(
            &mut out,
            opening_account,
            &journal.format_amount(quantity, id),
            "",
            &fund,
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn load(text: &str) -> crate::Loaded {
        let path = Path::new("t.ledger");
        let mut settings = Settings::for_bare_journal(path);
        settings.base_currency = Some("JPY".into());
        settings.report.cash_accounts = vec!["Assets:Bank".into(), "Assets:Cash".into()];
        crate::load::load_text(settings, path, text.to_string()).unwrap()
    }

    fn journal(text: &str) -> Journal {
        let loaded = load(text);
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        loaded.journal
    }

    fn close_2000(j: &Journal) -> ClosePlan {
        plan(
            j,
            2000,
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            false,
        )
        .unwrap()
    }

    const YEAR: &str = "P 2000-04-01 CNY 15 JPY\n\n\
2000-04-02 * Yuan bought\n    Assets:Cash:CNY  1000.00 CNY @ 15 JPY  ; fund: Food\n    Assets:Bank  -15000 JPY  ; fund: Food\n\n\
2000-04-03 * Gift\n    Assets:Bank  5000 JPY\n    Income:Gifts  -5000 JPY\n\n\
P 2001-03-31 CNY 14.5 JPY\n\n\
2001-03-31 * Count\n    Assets:Cash:CNY  0.00 CNY = 1000.00 CNY  ; fund: Food\n    Assets:Bank  0 JPY = -10000 JPY\n";

    #[test]
    fn digests_ignore_layout_and_see_meaning() {
        let a = journal("2000-05-01 * Rice\n    Expenses:Food  1000 JPY\n    Assets:Bank\n");
        let b = journal("2000-05-01   *   Rice\n    Expenses:Food        1000 JPY\n    Assets:Bank   -1000 JPY\n");
        let c = journal("2000-05-01 * Rice\n    Expenses:Food  1001 JPY\n    Assets:Bank\n");
        let digest = |j: &Journal| transaction_digest(j, &j.transactions()[0]);
        // An elided amount means the same as the amount written out.
        assert_eq!(digest(&a), digest(&b));
        assert_ne!(digest(&a), digest(&c));
        let a2 = journal("2000-05-01 *  Rice\n    Expenses:Food      1000 JPY\n    Assets:Bank\n");
        assert_eq!(digest(&a), digest(&a2));
    }

    #[test]
    fn a_planned_close_loads_and_verifies() {
        let j = journal(YEAR);
        let plan = close_2000(&j);
        assert!(plan.blockers.is_empty(), "{:?}", plan.blockers);
        // 1000 CNY bought at 15: book 15000; at 14.5: 14500; loss 500.
        assert_eq!(plan.revaluations.len(), 1);
        assert_eq!(plan.revaluations[0].difference, Decimal::from(-500));
        assert_eq!(plan.transactions, 2);
        assert_eq!(plan.covered, 4);
        let closed = journal(&format!("{YEAR}\n{}", plan.text));
        let records = records(&closed);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].transactions, 4);
        // A second plan finds it closed and writes nothing.
        let again = close_2000(&closed);
        assert!(again.already_closed.is_some() && again.text.is_empty());
    }

    #[test]
    fn an_edit_after_the_close_is_named() {
        let j = journal(YEAR);
        let plan = close_2000(&j);
        let edited = format!("{YEAR}\n{}", plan.text).replace("5000 JPY", "5001 JPY");
        let loaded = load(&edited);
        let codes: Vec<(Code, u32)> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.code, d.location.as_ref().map_or(0, |l| l.line)))
            .collect();
        assert!(codes.contains(&(Code::ClosedYear, 7)), "{codes:?}");
        assert!(
            codes.iter().any(|(c, _)| *c == Code::ClosedYearChanged),
            "{codes:?}"
        );
    }

    #[test]
    fn a_year_without_counts_or_rates_lists_what_is_missing() {
        let j = journal(
            &YEAR
                .replace("P 2001-03-31 CNY 14.5 JPY\n", "")
                .replace("    Assets:Bank  0 JPY = -10000 JPY\n", ""),
        );
        let plan = close_2000(&j);
        let messages: Vec<&str> = plan.blockers.iter().map(|d| d.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("no cash count for Assets:Bank in JPY")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("no closing rate for CNY")),
            "{messages:?}"
        );
        assert!(plan.text.is_empty());
    }
}
