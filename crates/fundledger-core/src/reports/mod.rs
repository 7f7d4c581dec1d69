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
mod balance;
mod funds;
mod register;

pub use accounts::{accounts, AccountRow, AccountsReport};
pub use balance::{balance, BalanceOptions, BalanceReport, BalanceRow, TreeNode};
pub use funds::{funds, FundRow, FundsReport};
pub use register::{register, RegisterReport, RegisterRow};

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
            ReportError::Request(what) => f.write_str(what),
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
