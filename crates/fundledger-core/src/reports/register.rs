//! The register: the postings of some accounts, one per line, with a running
//! total.

use chrono::NaiveDate;
use serde::Serialize;

use super::{at_precision, ReportError};
use crate::journal::{CommodityId, Journal};
use crate::money::{Decimal, MultiAmount};
use crate::query::Filter;

/// One posting in the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegisterRow {
    /// The transaction date.
    pub date: NaiveDate,
    /// The payee or description.
    pub payee: String,
    /// The account.
    pub account: String,
    /// The fund.
    pub fund: String,
    /// The commodity.
    pub commodity: String,
    /// The posting's amount.
    pub amount: Decimal,
    /// The running total of the selected postings in this commodity.
    pub running_total: Decimal,
}

/// The register report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegisterReport {
    /// Rows in date order (journal order within a date).
    pub rows: Vec<RegisterRow>,
}

/// Computes the register of the postings the filter selects.
///
/// # Errors
/// [`ReportError`] on an invariant violation or overflow.
pub fn register(journal: &Journal, filter: &Filter) -> Result<RegisterReport, ReportError> {
    journal.verify_invariants()?;
    let mut selected: Vec<_> = filter.select(journal).collect();
    selected.sort_by_key(|(t, _)| t.date);
    let mut running: MultiAmount<CommodityId> = MultiAmount::new();
    let mut rows = Vec::with_capacity(selected.len());
    for (t, p) in selected {
        running.add(p.commodity, p.quantity)?;
        rows.push(RegisterRow {
            date: t.date,
            payee: journal.payee(t).to_string(),
            account: journal.account_name(p.account).to_string(),
            fund: journal.fund_name(p.fund).to_string(),
            commodity: journal.commodity_name(p.commodity).to_string(),
            amount: at_precision(journal, p.quantity, p.commodity),
            running_total: at_precision(journal, running.get(p.commodity), p.commodity),
        });
    }
    Ok(RegisterReport { rows })
}
