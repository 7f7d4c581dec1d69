//! Reports: functions from a validated [`Journal`] to plain data.
//!
//! Each report is a serde-serialisable value; nothing here formats text (see
//! `crate::render::text`). Every report first re-checks the journal's invariants
//! ([`Journal::verify_invariants`]) and reconciles its own totals before it
//! returns, so a report that does not tie is an error, never output.
//!
//! Amounts are `Decimal`s shown at least at their commodity's precision
//! (`12.50 CNY`, `1000 JPY`) and serialise as decimal strings.

mod accounts;
pub mod annual;
mod balance;
pub mod board;
pub mod columns;
pub mod donors;
pub mod engine;
pub mod filing;
pub mod financial;
mod funds;
pub mod impact;
mod register;
pub mod statement;
pub mod valued;
pub mod words;

pub use accounts::{accounts, AccountRow, AccountsReport};
pub use balance::{balance, balance_columns, BalanceOptions, BalanceReport, BalanceRow, TreeNode};
pub use funds::{funds, funds_valued, FundRow, FundsReport};
pub use register::{register, register_shown, RegisterReport, RegisterRow};

/// A fiscal-year statement or board report, as `fundledger report NAME`
/// names it. More may be added, so a match needs a wildcard arm.
///
/// ```
/// use fundledger_core::Report;
/// let report: Report = "activities".parse().unwrap();
/// assert_eq!(report, Report::Activities);
/// assert_eq!(report.name(), "activities");
/// assert!("activites".parse::<Report>().is_err());
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Report {
    /// The statement of activities (and, for an interim period, the same
    /// period of the previous year).
    Activities,
    /// The statement of financial position (and, for an interim period,
    /// the last year-end).
    Position,
    /// The fund roll-forward.
    Funds,
    /// Expenses by function and nature.
    Functional,
    /// Inventory of the self-reliance project.
    Inventory,
    /// The statement of cash flows.
    Cashflows,
    /// The notes to the statements.
    Notes,
    /// Loans from members.
    Loans,
    /// Self-reliance project sales.
    Sales,
    /// Programme outputs (memo quantities).
    Outputs,
}

impl Report {
    /// Every report, in the order the README lists them.
    pub const ALL: &'static [Report] = &[
        Report::Activities,
        Report::Position,
        Report::Funds,
        Report::Functional,
        Report::Inventory,
        Report::Cashflows,
        Report::Notes,
        Report::Loans,
        Report::Sales,
        Report::Outputs,
    ];

    /// The name `fundledger report` takes.
    pub fn name(self) -> &'static str {
        match self {
            Report::Activities => "activities",
            Report::Position => "position",
            Report::Funds => "funds",
            Report::Functional => "functional",
            Report::Inventory => "inventory",
            Report::Cashflows => "cashflows",
            Report::Notes => "notes",
            Report::Loans => "loans",
            Report::Sales => "sales",
            Report::Outputs => "outputs",
        }
    }
}

impl std::str::FromStr for Report {
    type Err = ReportError;

    /// A report by its name; [`ReportError::Request`] naming the reports
    /// for anything else.
    fn from_str(name: &str) -> Result<Report, ReportError> {
        Report::ALL
            .iter()
            .copied()
            .find(|r| r.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Report::ALL.iter().map(|r| r.name()).collect();
                ReportError::Request(format!(
                    "no report named {name:?}; the reports are {}, annual",
                    names.join(", ")
                ))
            })
    }
}

/// The statements of `report`. Every statement of the period is built and
/// reconciled with the others ([`financial::statements`]) before the one
/// asked for is returned.
///
/// # Errors
/// Any statement's [`ReportError`].
pub fn statements(
    valued: &valued::Valued<'_>,
    report: Report,
    standard: financial::Standard,
    begin: chrono::NaiveDate,
    end: chrono::NaiveDate,
    as_of: chrono::NaiveDate,
) -> Result<Vec<statement::Statement>, ReportError> {
    let set = financial::statements(valued, standard, begin, end)?;
    Ok(match report {
        Report::Activities => {
            let mut out = vec![set.activities];
            out.extend(comparative(valued, standard, begin, end, false)?);
            out
        }
        Report::Position => {
            let mut out = vec![set.position];
            out.extend(comparative(valued, standard, begin, end, true)?);
            out
        }
        Report::Funds => vec![set.funds],
        Report::Functional => vec![set.functional],
        Report::Inventory => vec![set.inventory],
        Report::Cashflows => vec![set.cashflows],
        Report::Notes => set.notes,
        Report::Outputs => set.outputs,
        Report::Loans => {
            let loans = board::loans(valued, as_of, begin, end, words::language_of(standard))?;
            if as_of.succ_opt() == Some(end) {
                engine::reconcile(loans.iter().chain([&set.position]))?;
            }
            loans
        }
        Report::Sales => vec![board::sales(
            valued,
            begin,
            end,
            words::language_of(standard),
        )?],
    })
}

/// The comparative of an interim statement, when the journal reaches back
/// to it: for activities, the same period of the previous year; for the
/// position (`position`), the last fiscal year-end before `end`. `None`
/// for a whole fiscal year (its comparatives are in the notes) or when the
/// journal has no transaction before the comparative's end.
fn comparative(
    valued: &valued::Valued<'_>,
    standard: financial::Standard,
    begin: chrono::NaiveDate,
    end: chrono::NaiveDate,
    position: bool,
) -> Result<Option<statement::Statement>, ReportError> {
    let settings = valued.journal.settings();
    let year_before = |day: chrono::NaiveDate| day.checked_sub_months(chrono::Months::new(12));
    let (b, e) = if position {
        if words::is_year_end(settings, end) {
            return Ok(None);
        }
        let last = end.pred_opt().unwrap_or(end);
        let year_start = settings
            .fiscal_year(settings.fiscal_year_start.year_of(last))
            .map(|(first, _)| first);
        match year_start.and_then(|e| year_before(e).map(|b| (b, e))) {
            Some(range) => range,
            None => return Ok(None),
        }
    } else {
        if words::is_fiscal_year(settings, begin, end) {
            return Ok(None);
        }
        match (year_before(begin), year_before(end)) {
            (Some(b), Some(e)) => (b, e),
            _ => return Ok(None),
        }
    };
    if !valued.journal.transactions().iter().any(|t| t.date < e) {
        return Ok(None);
    }
    let set = financial::statements(valued, standard, b, e)?;
    let mut s = if position {
        set.position
    } else {
        set.activities
    };
    let japanese = s.language == statement::Language::Ja;
    s.id = format!("{}-comparative", s.id);
    s.title = match (japanese, position) {
        (true, true) => format!("{}（前期末）", s.title),
        (true, false) => format!("{}（前年同期）", s.title),
        (false, true) => format!("{}: comparative at the last year-end", s.title),
        (false, false) => format!(
            "{}: comparative, the same period of the previous year",
            s.title
        ),
    };
    Ok(Some(s))
}

use serde::Serialize;

use crate::model::journal::{CommodityId, InvariantViolation, Journal};
use crate::model::money::{Decimal, Overflow};

/// Why a report could not be produced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The journal broke an invariant (a fundledger bug).
    #[error(transparent)]
    Invariant(InvariantViolation),
    /// A sum overflowed.
    #[error("a report total overflows the 28-digit decimal range")]
    Overflow,
    /// The report's figures do not reconcile: what, and by how much.
    #[error("the report does not tie, so it is not printed: {0}")]
    DoesNotTie(String),
    /// The request cannot be answered (an unknown fiscal year, say).
    #[error("{0}")]
    Request(String),
    /// An amount has no price to value it in the base currency on its date
    /// (a fact about the data, warned about by `check` as W102).
    #[error("{0}")]
    NoPrice(String),
    /// A posting's value at its price cannot be held exactly (a fact about
    /// the data): which posting, where, at what price. `check` finds it at
    /// the price of the posting's own date (E205); a report valuing at
    /// another day's price (`--value=end`) finds it here.
    #[error("{0}")]
    Unvaluable(String),
}

impl From<Overflow> for ReportError {
    fn from(_: Overflow) -> Self {
        ReportError::Overflow
    }
}

impl From<InvariantViolation> for ReportError {
    fn from(v: InvariantViolation) -> Self {
        ReportError::Invariant(v)
    }
}

/// `*target += value`, checked: an overflow is an error, never a panic.
pub(crate) fn acc(target: &mut Decimal, value: Decimal) -> Result<(), ReportError> {
    *target = crate::model::money::checked_add(*target, value)?;
    Ok(())
}

/// An amount in a report: a commodity symbol and a decimal quantity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Amount {
    /// The commodity symbol.
    pub commodity: String,
    /// The quantity, at least at the commodity's precision.
    pub quantity: Decimal,
}

impl Amount {
    /// Builds a report amount from journal ids.
    pub fn new(journal: &Journal, quantity: Decimal, commodity: CommodityId) -> Amount {
        Amount {
            commodity: journal.commodity_name(commodity).to_string(),
            quantity: at_precision(journal, quantity, commodity),
        }
    }
}

/// `quantity` with at least its commodity's decimal places (never fewer than
/// it has: no rounding happens here).
pub fn at_precision(journal: &Journal, quantity: Decimal, commodity: CommodityId) -> Decimal {
    let decimals = journal.precision(commodity).unwrap_or(0);
    crate::model::money::with_min_decimals(quantity.normalize(), decimals)
}
