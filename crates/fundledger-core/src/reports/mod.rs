//! Reports: functions from a validated [`Journal`] to plain data.
//!
//! Each report is a serde-serialisable value; nothing here formats text (see
//! [`crate::render`]). Every report first re-checks the journal's invariants
//! ([`Journal::verify_invariants`]) and reconciles its own totals before it
//! returns, so a report that does not tie is an error, never output.
//!
//! Amounts are `Decimal`s shown at least at their commodity's precision
//! (`12.50 CNY`, `1000 JPY`) and serialise as decimal strings.

mod accounts;
pub mod annual;
mod balance;
pub mod board;
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

/// The statements a `report NAME` produces, by name. Every statement of
/// the period is built and reconciled with the others
/// ([`financial::statements`]) before the one asked for is returned.
///
/// # Errors
/// [`ReportError::Request`] for an unknown name; any statement's error.
pub fn named(
    valued: &valued::Valued<'_>,
    name: &str,
    standard: financial::Standard,
    begin: chrono::NaiveDate,
    end: chrono::NaiveDate,
    as_of: chrono::NaiveDate,
) -> Result<Vec<statement::Statement>, ReportError> {
    const NAMES: &str = "activities, position, funds, functional, inventory, cashflows, notes, loans, sales, outputs, annual";
    if !matches!(
        name,
        "activities"
            | "position"
            | "funds"
            | "functional"
            | "loans"
            | "sales"
            | "outputs"
            | "inventory"
            | "notes"
            | "cashflows"
    ) {
        return Err(ReportError::Request(format!(
            "no report named {name:?}; the reports are {NAMES}"
        )));
    }
    let set = financial::statements(valued, standard, begin, end)?;
    Ok(match name {
        "activities" => {
            let mut out = vec![set.activities];
            out.extend(comparative(valued, standard, begin, end, false)?);
            out
        }
        "position" => {
            let mut out = vec![set.position];
            out.extend(comparative(valued, standard, begin, end, true)?);
            out
        }
        "funds" => vec![set.funds],
        "functional" => vec![set.functional],
        "inventory" => vec![set.inventory],
        "cashflows" => vec![set.cashflows],
        "notes" => set.notes,
        "outputs" => set.outputs,
        "loans" => {
            let loans = board::loans(valued, as_of, begin, end, words::language_of(standard))?;
            if as_of.succ_opt() == Some(end) {
                engine::reconcile(loans.iter().chain([&set.position]))?;
            }
            loans
        }
        _ => vec![board::sales(
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

use std::fmt;

use serde::Serialize;

use crate::journal::{CommodityId, InvariantViolation, Journal};
use crate::money::{Decimal, Overflow};

/// Why a report could not be produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportError {
    /// The journal broke an invariant (a fundledger bug).
    Invariant(InvariantViolation),
    /// A sum overflowed.
    Overflow,
    /// The report's figures do not reconcile: what, and by how much.
    DoesNotTie(String),
    /// The request cannot be answered (an unknown fiscal year, say).
    Request(String),
    /// An amount has no price to value it in the base currency on its date
    /// (a fact about the data, warned about by `check` as W102).
    NoPrice(String),
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::Invariant(v) => v.fmt(f),
            ReportError::Overflow => {
                f.write_str("a report total overflows the 28-digit decimal range")
            }
            ReportError::DoesNotTie(what) => {
                write!(f, "the report does not tie, so it is not printed: {what}")
            }
            ReportError::Request(what) | ReportError::NoPrice(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for ReportError {}

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
    *target = crate::money::checked_add(*target, value)?;
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
    let mut shown = quantity.normalize();
    let decimals = journal.precision(commodity).unwrap_or(0);
    if shown.scale() < decimals {
        shown.rescale(decimals);
    }
    shown
}
