//! Budgets: periodic transactions (`~ monthly from 2000-04 to 2001-04`)
//! read as the budget per fund, account and period, never posted.
//!
//! A periodic entry is the syntax ledger-cli and hledger read for a budget
//! (`ledger --budget`, `hledger bal --budget`), so one journal holds the
//! books and the plan for all three tools. Each entry occurs on the first
//! day of every interval (month, quarter, year, fiscal year) of its range,
//! as hledger generates it: a period's budget is the sum of the entry's
//! amounts over the occurrences that fall in it. The range must start on
//! such a first day (hledger refuses `monthly from 2000-04-15` too).
//!
//! **Versions.** A `; budget: NAME` tag on a comment line under the header
//! names the version an entry belongs to (`plan`, `revised`); an entry
//! without one belongs to every version. ledger-cli reads nothing after the
//! period on the header line, hence the tag on its own line. The version
//! used is `--budget-name NAME`, else the one named last in the journal (a
//! revision is written after the plan), and reports say which.
//!
//! **Funds.** A posting's `fund:` tag, else the entry's, else the default
//! fund, as for transactions. The elided posting (the bank, in a budget
//! written as a transaction) takes what balances the others per commodity.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::model::diagnostic::{Code, Diagnostic};
use crate::model::journal::{Journal, PostingKind};
use crate::model::money::{self, Decimal};
use crate::model::period::{self, Interval};
use crate::model::settings::{AccountClass, CommodityKind, FiscalYearStart, Settings};
use crate::read::grammar::ReadContext;
use crate::read::source::{SourceMap, SourcePos};
use crate::reports::statement::{Cell, Language, RowKind, Statement};
use crate::reports::valued::Shown;
use crate::reports::{acc, words, ReportError};

/// One periodic entry, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetEntry {
    /// Its header line.
    pub pos: SourcePos,
    /// How often it occurs.
    pub interval: Interval,
    /// The first day of its range (open: from the report's start).
    pub begin: Option<NaiveDate>,
    /// The first day after its range (open: to the report's end).
    pub end: Option<NaiveDate>,
    /// The version (`; budget: NAME`), `None` for every version.
    pub version: Option<String>,
    /// Its postings, the elided one filled in.
    pub postings: Vec<BudgetPosting>,
}

/// One posting of a periodic entry: an amount per occurrence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetPosting {
    /// Its line.
    pub line: u32,
    /// The account, as written.
    pub account: String,
    /// The fund id, as written (or the default fund's).
    pub fund: String,
    /// The commodity symbol.
    pub commodity: String,
    /// The amount per occurrence.
    pub quantity: Decimal,
    /// Real or virtual.
    pub kind: PostingKind,
}

/// Why a periodic entry could not be read: the line within the block, the
/// code, the message and what was expected.
#[derive(Debug)]
pub struct EntryError {
    /// 1-based line within the block.
    pub line_in_block: u32,
    /// The code.
    pub code: Code,
    /// What was found.
    pub message: String,
    /// What was expected.
    pub expected: String,
}

fn entry_error(line_in_block: u32, code: Code, message: String, expected: &str) -> EntryError {
    EntryError {
        line_in_block,
        code,
        message,
        expected: expected.to_string(),
    }
}

const PERIOD_EXPECTED: &str = "`~ INTERVAL [from DATE] [to DATE]` with an interval (monthly, quarterly, yearly, fiscal-yearly, every month...) and dates on the interval's first day: `~ monthly from 2000-04 to 2001-04`";

/// Reads a periodic entry (`~ PERIOD` and its lines) at `pos`.
///
/// # Errors
/// An [`EntryError`]: E111 for a period that cannot be read, has no
/// interval, uses relative dates or starts inside an interval; E101 for
/// postings the journal grammar refuses; E303 for an empty `fund:` tag.
pub fn read_entry(
    block: &str,
    context: &ReadContext,
    pos: SourcePos,
    settings: &Settings,
) -> Result<BudgetEntry, EntryError> {
    let (header, rest) = block.split_once('\n').unwrap_or((block, ""));
    let after_tilde = header.trim_start_matches('~');
    // hledger: the period, then two spaces (or a `;`) before a description.
    let cut = [
        after_tilde.find("  "),
        after_tilde.find('\t'),
        after_tilde.find(';'),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(after_tilde.len());
    let (expression, description) = after_tilde.split_at(cut);
    let interval_period = read_period(expression.trim(), settings.fiscal_year_start)
        .map_err(|message| entry_error(1, Code::BudgetPeriod, message, PERIOD_EXPECTED))?;
    // The lines as a transaction dated on any day: the journal grammar
    // reads the postings, tags and comments.
    let text = format!("2000-01-01 {}\n{rest}", description.trim());
    let raw = crate::read::parse::parse_in_context(&text, context).map_err(|e| EntryError {
        line_in_block: e.line_in_block,
        code: e.code,
        message: e.message,
        expected: e.expected,
    })?;
    let version = raw
        .tags
        .iter()
        .find(|t| t.name == "budget")
        .map(|t| t.value.trim().to_string());
    if version.as_deref() == Some("") {
        return Err(entry_error(
            1,
            Code::BudgetPeriod,
            "an empty `budget:` tag".into(),
            "`; budget: NAME` naming the version (plan, revised), or no tag for every version",
        ));
    }
    let default_fund = settings.default_fund.clone();
    let header_fund = raw.fund.as_deref().map(str::to_string);
    let mut postings = Vec::new();
    let mut elided: Option<(u32, String, String, PostingKind)> = None;
    let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
    for p in &raw.postings {
        let line = pos.line.saturating_add(p.line_in_block.max(1) - 1);
        let fund = p
            .fund
            .as_deref()
            .map(str::to_string)
            .or_else(|| header_fund.clone())
            .unwrap_or_else(|| default_fund.clone());
        if fund.trim().is_empty() {
            return Err(entry_error(
                p.line_in_block,
                Code::UnknownFund,
                "an empty `fund:` tag".into(),
                "`; fund: NAME` with a fund id",
            ));
        }
        match &p.amount {
            Some(amount) => {
                if p.kind == PostingKind::Real {
                    let sum = sums.entry(amount.commodity.to_string()).or_default();
                    *sum = money::checked_add(*sum, amount.quantity).map_err(|_| {
                        entry_error(
                            p.line_in_block,
                            Code::Overflow,
                            "the budget's amounts overflow".into(),
                            "amounts of at most 20 digits",
                        )
                    })?;
                }
                postings.push(BudgetPosting {
                    line,
                    account: p.account.to_string(),
                    fund,
                    commodity: amount.commodity.to_string(),
                    quantity: amount.quantity,
                    kind: p.kind,
                });
            }
            None => elided = Some((line, p.account.to_string(), fund, p.kind)),
        }
    }
    if let Some((line, account, fund, kind)) = elided {
        for (commodity, sum) in sums {
            postings.push(BudgetPosting {
                line,
                account: account.clone(),
                fund: fund.clone(),
                commodity,
                quantity: money::negate(sum),
                kind,
            });
        }
    }
    Ok(BudgetEntry {
        pos,
        interval: interval_period.0,
        begin: interval_period.1,
        end: interval_period.2,
        version,
        postings,
    })
}

/// The interval and range of a periodic entry's period expression.
fn read_period(
    expression: &str,
    fiscal_year_start: FiscalYearStart,
) -> Result<(Interval, Option<NaiveDate>, Option<NaiveDate>), String> {
    // Read on two different days: an expression whose meaning depends on
    // today (`this month`, `ytd`) would make the budget change by itself.
    let read = |today: NaiveDate| {
        period::parse(
            expression,
            &period::Context {
                today,
                fiscal_year_start,
            },
        )
    };
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    let first = read(day(2000, 1, 1))?;
    let second = read(day(2010, 7, 15))?;
    if first != second {
        return Err(format!(
            "the period {expression:?} depends on today's date; a budget needs fixed dates"
        ));
    }
    let Some(interval) = first.interval else {
        return Err(format!(
            "the period {expression:?} has no interval, so the entry would never occur"
        ));
    };
    for day in [first.begin, first.end].into_iter().flatten() {
        if !is_boundary(interval, day, fiscal_year_start) {
            return Err(format!(
                "{expression:?}: {day} is not the first day of a {}",
                interval_word(interval)
            ));
        }
    }
    Ok((interval, first.begin, first.end))
}

fn interval_word(interval: Interval) -> &'static str {
    match interval {
        Interval::Monthly => "month",
        Interval::Quarterly => "quarter",
        Interval::Yearly => "year",
        Interval::FiscalYearly => "fiscal year",
    }
}

/// Whether `day` is the first day of an interval.
fn is_boundary(interval: Interval, day: NaiveDate, start: FiscalYearStart) -> bool {
    match interval {
        Interval::Monthly => day.day() == 1,
        Interval::Quarterly => day.day() == 1 && day.month0().is_multiple_of(3),
        Interval::Yearly => day.day() == 1 && day.month() == 1,
        Interval::FiscalYearly => day.day() == start.day && day.month() == start.month,
    }
}

impl BudgetEntry {
    /// How many times the entry occurs in `[begin, end)`.
    pub fn occurrences(&self, begin: NaiveDate, end: NaiveDate, start: FiscalYearStart) -> u32 {
        let lo = self.begin.map_or(begin, |b| b.max(begin));
        let hi = self.end.map_or(end, |e| e.min(end));
        if lo >= hi {
            return 0;
        }
        let pieces = period::split(self.interval, lo, hi, start);
        u32::try_from(
            pieces
                .iter()
                .filter(|(s, _)| is_boundary(self.interval, *s, start))
                .count(),
        )
        .unwrap_or(u32::MAX)
    }

    /// Whether the entry is in `version` (untagged entries are in all).
    pub fn in_version(&self, version: Option<&str>) -> bool {
        match (&self.version, version) {
            (None, _) => true,
            (Some(own), Some(asked)) => own == asked,
            (Some(_), None) => false,
        }
    }
}

/// The versions the journal's budget entries name, in the order first
/// written.
pub fn versions(journal: &Journal) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for entry in journal.budget_entries() {
        if let Some(v) = &entry.version {
            if !out.contains(v) {
                out.push(v.clone());
            }
        }
    }
    out
}

/// The version a report uses: the one asked for (it must exist), else the
/// one named last in the journal, else `None` (the untagged entries).
///
/// # Errors
/// [`ReportError::Request`] for a version no entry names.
pub fn chosen_version(
    journal: &Journal,
    asked: Option<&str>,
) -> Result<Option<String>, ReportError> {
    let known = versions(journal);
    match asked {
        Some(name) if known.iter().any(|k| k == name) => Ok(Some(name.to_string())),
        Some(name) => Err(ReportError::Request(if known.is_empty() {
            format!("no budget is named {name:?}: no periodic entry has a `budget:` tag")
        } else {
            format!(
                "no budget is named {name:?}; the budgets are {}",
                known.join(", ")
            )
        })),
        None => Ok(known.last().cloned()),
    }
}

/// The whole-journal checks of budget entries (run by `check`): E305 for
/// an account the journal neither uses nor declares, or whose root has no
/// class; E303 for an unknown fund; E305 for money in a currency other than
/// the base currency (the budget report values nothing).
pub fn check(journal: &Journal, sources: &SourceMap) -> Vec<Diagnostic> {
    let settings = journal.settings();
    let mut out = Vec::new();
    for entry in journal.budget_entries() {
        for p in &entry.postings {
            let pos = SourcePos {
                file: entry.pos.file,
                line: p.line,
            };
            let known = journal.account_id(&p.account).is_some()
                || settings
                    .declared_accounts
                    .as_ref()
                    .is_some_and(|d| d.iter().any(|a| a == &p.account));
            if !known {
                out.push(
                    sources
                        .diagnostic_at(
                            Code::BudgetAccount,
                            pos,
                            format!("the budget names the account {}, which no transaction uses and nothing declares", p.account),
                        )
                        .found(p.account.clone())
                        .expected("an account of the journal (check the spelling), or declare it with `account NAME` before budgeting it"),
                );
            } else if settings.class_of(&p.account).is_none() && p.kind == PostingKind::Real {
                out.push(
                    sources
                        .diagnostic_at(
                            Code::BudgetAccount,
                            pos,
                            format!("the budget names {}, whose root has no class", p.account),
                        )
                        .expected(
                            "an account under a root of [account_classes] (Income, Expenses...)",
                        ),
                );
            }
            let fund_declared = settings.funds.is_empty()
                || settings.fund(&p.fund).is_some()
                || journal.fund_id(&p.fund).is_some();
            if !fund_declared {
                let funds: Vec<&str> = settings.funds.iter().map(|f| f.id.as_str()).collect();
                out.push(
                    sources
                        .diagnostic_at(
                            Code::UnknownFund,
                            pos,
                            format!(
                                "the budget names the fund {:?}, which is not declared",
                                p.fund
                            ),
                        )
                        .found(p.fund.clone())
                        .expected(format!("one of the funds: {}", funds.join(", "))),
                );
            }
            let is_unit = settings
                .commodity(&p.commodity)
                .is_some_and(|c| c.kind == CommodityKind::Unit);
            let base = settings.base_currency.as_deref().unwrap_or_default();
            let income_or_expense = matches!(
                settings.class_of(&p.account),
                Some(AccountClass::Income | AccountClass::Expenses)
            );
            if p.kind == PostingKind::Real
                && income_or_expense
                && !is_unit
                && !base.is_empty()
                && p.commodity != base
            {
                out.push(
                    sources
                        .diagnostic_at(
                            Code::BudgetAccount,
                            pos,
                            format!(
                                "the budget is in {}; budgets of money are in the base currency {}",
                                p.commodity, base
                            ),
                        )
                        .found(p.commodity.clone())
                        .expected(format!(
                            "an amount in {base} (actuals in other currencies are valued at each posting's date), or a unit of output"
                        )),
                );
            }
        }
    }
    out
}

/// A row key: fund (empty when funds are not separated), account,
/// commodity.
type Key = (String, String, String);

/// Amounts per row key.
type Amounts = BTreeMap<Key, Decimal>;

/// What a budget report compares.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// The sub-periods, one column pair each (one for a single period).
    pub periods: Vec<(NaiveDate, NaiveDate)>,
    /// The version asked for (`--budget-name`).
    pub version: Option<&'a str>,
    /// The language of the words.
    pub language: Language,
}

/// The budget's amounts per key over `[begin, end)`.
fn budgeted(
    journal: &Journal,
    version: Option<&str>,
    by_fund: bool,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<BTreeMap<Key, Decimal>, ReportError> {
    let start = journal.settings().fiscal_year_start;
    let mut out: BTreeMap<Key, Decimal> = BTreeMap::new();
    for entry in journal
        .budget_entries()
        .iter()
        .filter(|e| e.in_version(version))
    {
        let times = entry.occurrences(begin, end, start);
        if times == 0 {
            continue;
        }
        for p in &entry.postings {
            let amount = money::checked_mul_exact(p.quantity, Decimal::from(times))?;
            let fund = if by_fund {
                p.fund.clone()
            } else {
                String::new()
            };
            acc(
                out.entry((fund, p.account.clone(), p.commodity.clone()))
                    .or_default(),
                amount,
            )?;
        }
    }
    Ok(out)
}

/// The budgeted accounts (per fund, when separated) and commodities: the
/// rows actual postings are gathered into, the most specific first.
fn row_keys(journal: &Journal, by_fund: bool) -> BTreeSet<Key> {
    journal
        .budget_entries()
        .iter()
        .flat_map(|e| &e.postings)
        .map(|p| {
            (
                if by_fund {
                    p.fund.clone()
                } else {
                    String::new()
                },
                p.account.clone(),
                p.commodity.clone(),
            )
        })
        .collect()
}

/// The row an actual amount belongs to: the budgeted account it is at or
/// below (the longest), in its fund and commodity.
fn row_of<'k>(
    keys: &'k BTreeSet<Key>,
    fund: &str,
    account: &str,
    commodity: &str,
) -> Option<&'k Key> {
    keys.iter()
        .filter(|(f, a, c)| {
            f == fund && c == commodity && crate::model::query::account_matches(account, a)
        })
        .max_by_key(|(_, a, _)| a.len())
}

/// The actual amounts per row over `[begin, end)`: each posting as `shown`
/// (values for `-V`), in the row of the budgeted account it is at or below;
/// postings under no budgeted account are gathered per root account and
/// commodity (keyed with the root as account).
fn actuals(
    journal: &Journal,
    keys: &BTreeSet<Key>,
    shown: Shown<'_>,
    select: &dyn Fn(&crate::model::journal::Transaction, &crate::model::journal::Posting) -> bool,
    by_fund: bool,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<(Amounts, Amounts), ReportError> {
    let mut budgeted_rows: BTreeMap<Key, Decimal> = BTreeMap::new();
    let mut other: BTreeMap<Key, Decimal> = BTreeMap::new();
    for t in journal.transactions() {
        if t.date < begin || t.date >= end {
            continue;
        }
        let start = t.posting_range().start;
        for (offset, p) in journal.postings(t).iter().enumerate() {
            if !select(t, p) {
                continue;
            }
            let Some((commodity, quantity)) = shown.amount(journal, p, start + offset)? else {
                continue;
            };
            let fund = if by_fund {
                journal.fund_name(p.fund).to_string()
            } else {
                String::new()
            };
            let account = journal.account_name(p.account);
            let symbol = journal.commodity_name(commodity);
            // An output counts toward its account's target whichever fund
            // it is tagged to (memo quantities are the programme's).
            let is_unit = journal
                .settings()
                .commodity(symbol)
                .is_some_and(|c| c.kind == CommodityKind::Unit);
            let row = row_of(keys, &fund, account, symbol).or_else(|| {
                if !is_unit {
                    return None;
                }
                keys.iter()
                    .filter(|(_, a, c)| {
                        c == symbol && crate::model::query::account_matches(account, a)
                    })
                    .max_by_key(|(_, a, _)| a.len())
            });
            match row {
                Some(key) => acc(budgeted_rows.entry(key.clone()).or_default(), quantity)?,
                None => {
                    let root = account.split(':').next().unwrap_or(account).to_string();
                    acc(
                        other.entry((fund, root, symbol.to_string())).or_default(),
                        quantity,
                    )?
                }
            }
        }
    }
    Ok((budgeted_rows, other))
}

/// What a row shows: income (shown positive), expenses, or an output.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Income,
    Expenses,
    Outputs,
}

fn section_of(settings: &Settings, account: &str, commodity: &str) -> Option<Section> {
    if settings
        .commodity(commodity)
        .is_some_and(|c| c.kind == CommodityKind::Unit)
    {
        return Some(Section::Outputs);
    }
    match settings.class_of(account) {
        Some(AccountClass::Income) => Some(Section::Income),
        Some(AccountClass::Expenses) => Some(Section::Expenses),
        _ => None,
    }
}

/// Per column: the actual and budget of each sub-period, then of the
/// whole range, for one key.
struct Figures {
    periods: Vec<(Decimal, Decimal)>,
    total: (Decimal, Decimal),
    others: Vec<Decimal>,
    previous: Option<Decimal>,
}

/// Writes a fund's net row: income less expenses, per column (the percent
/// recomputed, blank where it means nothing).
fn write_net(
    statement: &mut Statement,
    sums: &BTreeMap<Section, Vec<Decimal>>,
    language: Language,
    periods: usize,
) -> Result<(), ReportError> {
    let empty = Vec::new();
    let income = sums.get(&Section::Income).unwrap_or(&empty);
    let expenses = sums.get(&Section::Expenses).unwrap_or(&empty);
    let net: Vec<Decimal> = (0..statement.columns.len())
        .map(|i| {
            money::checked_sub(
                income.get(i).copied().unwrap_or(Decimal::ZERO),
                expenses.get(i).copied().unwrap_or(Decimal::ZERO),
            )
        })
        .collect::<Result<_, _>>()?;
    let label = words::pick(language, "Net: income less expenses", "収支差額");
    statement.cells(label, 1, RowKind::Subtotal, without_percent(&net, periods)?);
    Ok(())
}

/// `report budget`: per fund, the budgeted income, expenses and outputs
/// against the actuals (values in the base currency at each posting's
/// date; outputs in their units), by period, with the difference (actual
/// less budget), the actual as a percentage of the budget, the other
/// versions' budgets and the previous year's actual. Income and expenses
/// not budgeted are shown on their own lines, so each fund's actual net is
/// its whole income less expenses. Each row's periods must add up to its
/// total (computed over the whole range), or the report is refused.
///
/// # Errors
/// [`ReportError`] for an unknown version, an empty request, overflow, or
/// figures that do not tie.
pub fn report(
    valued: &crate::reports::valued::Valued<'_>,
    request: &Request<'_>,
) -> Result<Statement, ReportError> {
    // `Valued::priced` verified the journal's invariants.
    let journal = valued.journal;
    let settings = journal.settings();
    let language = request.language;
    let (Some(first), Some(last)) = (request.periods.first(), request.periods.last()) else {
        return Err(ReportError::Request("no period to show".into()));
    };
    let (begin, end) = (first.0, last.1);
    if journal.budget_entries().is_empty() {
        return Err(ReportError::Request(
            "the journal has no budget: write periodic entries (`~ monthly from 2000-04 to 2001-04` and postings with `; fund:` tags)".into(),
        ));
    }
    let version = chosen_version(journal, request.version)?;
    let others: Vec<String> = versions(journal)
        .into_iter()
        .filter(|v| Some(v) != version.as_ref())
        .collect();
    let keys = row_keys(journal, true);
    let shown = Shown::Value(valued);
    let all = |_: &crate::model::journal::Transaction, _: &crate::model::journal::Posting| true;
    let gather = |b: NaiveDate, e: NaiveDate, v: Option<&str>| -> Result<_, ReportError> {
        let (actual, other) = actuals(journal, &keys, shown, &all, true, b, e)?;
        Ok((actual, other, budgeted(journal, v, true, b, e)?))
    };
    let whole = gather(begin, end, version.as_deref())?;
    let split: Vec<_> = if request.periods.len() > 1 {
        request
            .periods
            .iter()
            .map(|(b, e)| gather(*b, *e, version.as_deref()))
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let other_budgets: Vec<BTreeMap<Key, Decimal>> = others
        .iter()
        .map(|v| budgeted(journal, Some(v), true, begin, end))
        .collect::<Result<_, _>>()?;
    let year_before = |d: NaiveDate| d.checked_sub_months(Months::new(12));
    let previous = match (year_before(begin), year_before(end)) {
        (Some(b), Some(e)) if journal.transactions().iter().any(|t| t.date < e) => {
            Some(actuals(journal, &keys, shown, &all, true, b, e)?)
        }
        _ => None,
    };
    let zero = Decimal::ZERO;
    let get = |m: &BTreeMap<Key, Decimal>, k: &Key| m.get(k).copied().unwrap_or(zero);
    // Rows: every budgeted key of a shown section, and the unbudgeted
    // income and expenses per fund.
    let mut funds: BTreeSet<String> = keys.iter().map(|(f, _, _)| f.clone()).collect();
    funds.extend(whole.1.keys().map(|(f, _, _)| f.clone()));
    let mut columns = Vec::new();
    if request.periods.len() > 1 {
        for (b, e) in &request.periods {
            let label = crate::reports::columns::heading(*b, *e, language);
            columns.push(format!(
                "{label} {}",
                words::pick(language, "actual", "実績")
            ));
            columns.push(format!(
                "{label} {}",
                words::pick(language, "budget", "予算")
            ));
        }
    }
    columns.push(words::pick(language, "Actual", "実績").to_string());
    columns.push(words::pick(language, "Budget", "予算").to_string());
    columns.push(words::pick(language, "Variance", "差異").to_string());
    columns.push(words::pick(language, "% of budget", "予算比 %").to_string());
    for v in &others {
        columns.push(match language {
            Language::En => format!("Budget: {v}"),
            Language::Ja => format!("予算（{v}）"),
        });
    }
    if previous.is_some() {
        columns.push(words::pick(language, "Previous year", "前年実績").to_string());
    }
    let version_words = match (&version, language) {
        (Some(v), Language::En) => format!(", budget: {v}"),
        (Some(v), Language::Ja) => format!("、予算：{v}"),
        (None, _) => String::new(),
    };
    let mut statement = Statement::new(
        "budget",
        words::pick(language, "Budget against actual", "予算実績対比表"),
        format!(
            "{}{version_words}",
            words::period(journal, begin, end, language)
        ),
        columns,
        settings.base_currency.as_deref().unwrap_or_default(),
    );
    if language == Language::Ja {
        statement = statement.japanese();
    }
    statement.label_header = words::pick(language, "Fund and account", "基金・科目").into();
    let sign = |section: Section| {
        if section == Section::Income {
            -Decimal::ONE
        } else {
            Decimal::ONE
        }
    };
    let mut grand: BTreeMap<Section, Vec<Decimal>> = BTreeMap::new();
    for fund in &funds {
        let mut rows: Vec<(Section, String, Figures)> = Vec::new();
        for key in keys.iter().filter(|(f, _, _)| f == fund) {
            let Some(section) = section_of(settings, &key.1, &key.2) else {
                continue;
            };
            let s = sign(section);
            let figures = Figures {
                periods: split
                    .iter()
                    .map(|(a, _, b)| {
                        Ok((
                            money::checked_mul_exact(get(a, key), s)?,
                            money::checked_mul_exact(get(b, key), s)?,
                        ))
                    })
                    .collect::<Result<_, money::Overflow>>()?,
                total: (
                    money::checked_mul_exact(get(&whole.0, key), s)?,
                    money::checked_mul_exact(get(&whole.2, key), s)?,
                ),
                others: other_budgets
                    .iter()
                    .map(|m| money::checked_mul_exact(get(m, key), s))
                    .collect::<Result<_, _>>()?,
                previous: match &previous {
                    Some((p, _)) => Some(money::checked_mul_exact(get(p, key), s)?),
                    None => None,
                },
            };
            let mut label = words::account(settings, &key.1, language);
            let shared = keys.iter().any(|other| {
                other.0 == *fund
                    && other.1 != key.1
                    && words::account(settings, &other.1, language) == label
            });
            if shared {
                // Two accounts under one declared label: name the part.
                let last = key.1.rsplit(':').next().unwrap_or(&key.1);
                label = format!(
                    "{label}: {}",
                    crate::reports::statement::humanize(last, &settings.report.program_names)
                        .to_lowercase()
                );
            }
            if section == Section::Outputs {
                label = format!("{label} ({})", words::unit(settings, &key.2, language));
            }
            rows.push((section, label, figures));
        }
        // Income and expenses under no budgeted account.
        for (section, root_class) in [
            (Section::Income, AccountClass::Income),
            (Section::Expenses, AccountClass::Expenses),
        ] {
            let s = sign(section);
            let pick = |m: &BTreeMap<Key, Decimal>| -> Result<Decimal, ReportError> {
                let mut sum = zero;
                for ((f, root, c), v) in m {
                    if f == fund
                        && Some(c.as_str()) == settings.base_currency.as_deref()
                        && settings.class_of(root) == Some(root_class)
                    {
                        acc(&mut sum, *v)?;
                    }
                }
                Ok(money::checked_mul_exact(sum, s)?)
            };
            let figures = Figures {
                periods: split
                    .iter()
                    .map(|(_, o, _)| Ok((pick(o)?, zero)))
                    .collect::<Result<_, ReportError>>()?,
                total: (pick(&whole.1)?, zero),
                others: vec![zero; other_budgets.len()],
                previous: match &previous {
                    Some((_, o)) => Some(pick(o)?),
                    None => None,
                },
            };
            let nonzero =
                !figures.total.0.is_zero() || figures.previous.is_some_and(|p| !p.is_zero());
            if nonzero {
                let label = match (section, language) {
                    (Section::Income, Language::En) => "Income not budgeted",
                    (Section::Income, Language::Ja) => "予算外の収益",
                    (_, Language::En) => "Expenses not budgeted",
                    (_, Language::Ja) => "予算外の費用",
                };
                rows.push((section, label.to_string(), figures));
            }
        }
        if rows.is_empty() {
            continue;
        }
        rows.sort_by_key(|a| a.0);
        statement.heading(words::fund(settings, fund, language), 0);
        let mut sums: BTreeMap<Section, Vec<Decimal>> = BTreeMap::new();
        let mut last_section = None;
        // The net (income less expenses) closes the money rows, before the
        // outputs, which it does not include.
        let mut net_written = false;
        for (section, label, figures) in &rows {
            if *section == Section::Outputs && !net_written {
                write_net(&mut statement, &sums, language, request.periods.len())?;
                net_written = true;
            }
            if last_section != Some(*section) {
                let (en, ja) = match section {
                    Section::Income => ("Income", "収益"),
                    Section::Expenses => ("Expenses", "費用"),
                    Section::Outputs => ("Outputs against targets", "成果と目標"),
                };
                statement.heading(words::pick(language, en, ja), 1);
                last_section = Some(*section);
            }
            let cells = cells_of(figures, label, *section != Section::Expenses)?;
            if *section != Section::Outputs {
                let values: Vec<Decimal> = cells
                    .iter()
                    .map(|c| match c {
                        Cell::Amount(v) => *v,
                        _ => zero,
                    })
                    .collect();
                add_into(sums.entry(*section).or_default(), &values)?;
            }
            statement.cells(label.clone(), 2, RowKind::Line, cells);
        }
        if !net_written {
            write_net(&mut statement, &sums, language, request.periods.len())?;
        }
        let income = sums.get(&Section::Income).cloned().unwrap_or_default();
        let expenses = sums.get(&Section::Expenses).cloned().unwrap_or_default();
        for (section, values) in [(Section::Income, income), (Section::Expenses, expenses)] {
            add_into(grand.entry(section).or_default(), &values)?;
        }
    }
    statement.heading(words::pick(language, "All funds", "全基金"), 0);
    let mut totals = Vec::new();
    for (section, en, ja) in [
        (Section::Income, "Income", "収益"),
        (Section::Expenses, "Expenses", "費用"),
    ] {
        let values = grand.get(&section).cloned().unwrap_or_default();
        if values.is_empty() {
            continue;
        }
        statement.cells(
            words::pick(language, en, ja),
            1,
            RowKind::Subtotal,
            with_percent(&values, request.periods.len())?,
        );
        totals.push(values);
    }
    if totals.len() == 2 {
        let net: Vec<Decimal> = totals[0]
            .iter()
            .zip(&totals[1])
            .map(|(a, b)| money::checked_sub(*a, *b))
            .collect::<Result<_, _>>()?;
        statement.cells(
            words::pick(language, "Net: income less expenses", "収支差額"),
            1,
            RowKind::Total,
            without_percent(&net, request.periods.len())?,
        );
    }
    statement.notes.push(match language {
        Language::En => "Income is shown as a positive amount. Variance is favourable above zero and adverse below (in red): income or outputs above budget, spending below it. Actuals in other currencies are valued at the price of each posting's date; outputs are in the unit their line names. Percentages are rounded half away from zero to whole numbers.".into(),
        Language::Ja => "収益は正の金額で表示。差異は正が有利（収益・成果は実績が予算を上回る額、費用は予算を下回る額）、負が不利。外貨の実績は各取引日のレートで円に換算。成果は各行の単位による。比率は整数に四捨五入。".into(),
    });
    Ok(statement)
}

/// `into[i] += values[i]`, growing `into` as needed.
fn add_into(into: &mut Vec<Decimal>, values: &[Decimal]) -> Result<(), ReportError> {
    if into.len() < values.len() {
        into.resize(values.len(), Decimal::ZERO);
    }
    for (t, v) in into.iter_mut().zip(values) {
        acc(t, *v)?;
    }
    Ok(())
}

/// The percentage of `actual` in `budget`, rounded half away from zero to a
/// whole number; none without a budget.
fn percent(actual: Decimal, budget: Decimal) -> Result<Cell, ReportError> {
    if budget.is_zero() {
        return Ok(Cell::Empty);
    }
    let p = money::checked_percent(actual, budget)?;
    Ok(Cell::Amount(money::round(
        p,
        0,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    )))
}

/// The cells of a row: checks that the periods add up to the total. The
/// variance is favourable above zero: actual less budget where more is
/// better (income, outputs), budget less actual for expenses.
fn cells_of(
    figures: &Figures,
    label: &str,
    more_is_better: bool,
) -> Result<Vec<Cell>, ReportError> {
    let mut cells = Vec::new();
    if !figures.periods.is_empty() {
        let (mut actual, mut budget) = (Decimal::ZERO, Decimal::ZERO);
        for (a, b) in &figures.periods {
            acc(&mut actual, *a)?;
            acc(&mut budget, *b)?;
            cells.push(Cell::Amount(*a));
            cells.push(Cell::Amount(*b));
        }
        if (actual, budget) != figures.total {
            return Err(ReportError::DoesNotTie(format!(
                "{label}: the periods add up to {actual} actual and {budget} budget, the whole range is {} and {}",
                figures.total.0, figures.total.1
            )));
        }
    }
    let (actual, budget) = figures.total;
    cells.push(Cell::Amount(actual));
    cells.push(Cell::Amount(budget));
    cells.push(Cell::Amount(if more_is_better {
        money::checked_sub(actual, budget)?
    } else {
        money::checked_sub(budget, actual)?
    }));
    cells.push(percent(actual, budget)?);
    cells.extend(figures.others.iter().map(|v| Cell::Amount(*v)));
    if let Some(p) = figures.previous {
        cells.push(Cell::Amount(p));
    }
    Ok(cells)
}

/// A subtotal's cells: the sums given (the percent column's sum replaced
/// by the percentage of the sums).
fn with_percent(values: &[Decimal], periods: usize) -> Result<Vec<Cell>, ReportError> {
    let base = if periods > 1 { periods * 2 } else { 0 };
    let mut cells: Vec<Cell> = values.iter().map(|v| Cell::Amount(*v)).collect();
    if let (Some(a), Some(b)) = (values.get(base), values.get(base + 1)) {
        if let Some(cell) = cells.get_mut(base + 3) {
            *cell = percent(*a, *b)?;
        }
    }
    Ok(cells)
}

/// A net row's cells: its variance is the net actual less the net budget
/// (more is better); the percentage of a net budget means nothing, so its
/// cell is empty.
fn without_percent(values: &[Decimal], periods: usize) -> Result<Vec<Cell>, ReportError> {
    let base = if periods > 1 { periods * 2 } else { 0 };
    let variance = match (values.get(base), values.get(base + 1)) {
        (Some(a), Some(b)) => money::checked_sub(*a, *b)?,
        _ => Decimal::ZERO,
    };
    Ok(values
        .iter()
        .enumerate()
        .map(|(i, v)| match i {
            _ if i == base + 2 => Cell::Amount(variance),
            _ if i == base + 3 => Cell::Empty,
            _ => Cell::Amount(*v),
        })
        .collect())
}

/// One row of `balance --budget`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetRow {
    /// The budgeted account.
    pub account: String,
    /// The commodity.
    pub commodity: String,
    /// The actual amount, at or below the account (less what a more
    /// specific budgeted account takes).
    pub actual: Decimal,
    /// The budget.
    pub budget: Decimal,
}

/// `balance --budget` (hledger's `bal --budget`): every budgeted account
/// and commodity, in the journal's signs, with the actual of the postings
/// `filter` selects (as `shown`) and the budget of the chosen version over
/// the filter's period, as a statement with actual, budget, difference and
/// percentage columns.
///
/// # Errors
/// [`ReportError`] for an unknown version, a missing period, or overflow.
pub fn balance_budget(
    journal: &Journal,
    filter: &crate::model::query::Filter,
    shown: Shown<'_>,
    version: Option<&str>,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<(Vec<BudgetRow>, Statement), ReportError> {
    journal.verify_invariants()?;
    let version = chosen_version(journal, version)?;
    // Every commodity of a budgeted account is a row, so that an actual in
    // another commodity (CNY against a JPY budget, without -V) is shown,
    // never dropped.
    let mut keys = row_keys(journal, false);
    let accounts: BTreeSet<String> = keys.iter().map(|(_, a, _)| a.clone()).collect();
    for account in &accounts {
        for commodity in journal.commodity_ids() {
            keys.insert((
                String::new(),
                account.clone(),
                journal.commodity_name(commodity).to_string(),
            ));
        }
    }
    let select = |t: &crate::model::journal::Transaction, p: &crate::model::journal::Posting| {
        filter.selects(journal, t, p)
    };
    let (actual, _) = actuals(journal, &keys, shown, &select, false, begin, end)?;
    let budget = budgeted(journal, version.as_deref(), false, begin, end)?;
    let mut rows = Vec::new();
    for key in &keys {
        if !filter.accounts_match(&key.1) {
            continue;
        }
        let row = BudgetRow {
            account: key.1.clone(),
            commodity: key.2.clone(),
            actual: actual.get(key).copied().unwrap_or_default(),
            budget: budget.get(key).copied().unwrap_or_default(),
        };
        let budgeted_here = budget.contains_key(key);
        if budgeted_here || !row.actual.is_zero() {
            rows.push(row);
        }
    }
    let single = rows
        .iter()
        .map(|r| r.commodity.as_str())
        .collect::<BTreeSet<_>>();
    let unit = match (single.len(), rows.first()) {
        (1, Some(first)) => first.commodity.clone(),
        _ => String::new(),
    };
    let mut s = Statement::new(
        "balance-budget",
        "Budget performance",
        format!(
            "{}, {} to {}{}",
            journal.settings().organisation,
            begin,
            end.pred_opt().unwrap_or(end),
            version
                .map(|v| format!(", budget: {v}"))
                .unwrap_or_default()
        ),
        vec![
            "Actual".into(),
            "Budget".into(),
            "Difference".into(),
            "% of budget".into(),
        ],
        &unit,
    );
    s.label_header = "account".into();
    for r in &rows {
        let label = if unit.is_empty() {
            format!("{} ({})", r.account, r.commodity)
        } else {
            r.account.clone()
        };
        s.cells(
            label,
            0,
            RowKind::Line,
            vec![
                Cell::Amount(r.actual),
                Cell::Amount(r.budget),
                Cell::Amount(money::checked_sub(r.actual, r.budget)?),
                percent(r.actual, r.budget)?,
            ],
        );
    }
    Ok((rows, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::for_bare_journal(std::path::Path::new("journal.ledger"))
    }

    fn read(text: &str) -> Result<BudgetEntry, EntryError> {
        read_entry(
            text,
            &ReadContext::plain(),
            SourcePos { file: 0, line: 1 },
            &settings(),
        )
    }

    #[test]
    fn monthly_entry_occurs_on_each_first_day() {
        let entry = read("~ monthly from 2000-04 to 2001-04\n    ; budget: plan\n    Expenses:Rice  100 JPY\n    Assets:Bank\n").unwrap();
        assert_eq!(entry.version.as_deref(), Some("plan"));
        assert_eq!(entry.postings.len(), 2);
        assert_eq!(entry.postings[1].quantity, Decimal::from(-100));
        let start = FiscalYearStart { month: 4, day: 1 };
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(entry.occurrences(d(2000, 4, 1), d(2001, 4, 1), start), 12);
        assert_eq!(entry.occurrences(d(2000, 4, 1), d(2000, 7, 1), start), 3);
        assert_eq!(entry.occurrences(d(2000, 4, 15), d(2000, 7, 1), start), 2);
        assert_eq!(entry.occurrences(d(1999, 4, 1), d(2000, 4, 1), start), 0);
        assert!(entry.in_version(Some("plan")));
        assert!(!entry.in_version(Some("revised")));
    }

    #[test]
    fn unreadable_periods_are_refused() {
        for header in [
            "~ from 2000-04 to 2001-04",
            "~ monthly from 2000-04-15",
            "~ monthly in this year",
            "~ fortnightly",
            "~ quarterly from 2000-05",
        ] {
            let error = read(&format!(
                "{header}\n    Expenses:Rice  100 JPY\n    Assets:Bank\n"
            ))
            .unwrap_err();
            assert_eq!(error.code, Code::BudgetPeriod, "{header}");
            assert_eq!(error.line_in_block, 1);
        }
    }
}
