//! The register: the postings of some accounts, one per line, with a running
//! total.

use chrono::NaiveDate;
use serde::Serialize;

use super::{at_precision, ReportError};
use crate::model::journal::{CommodityId, Journal};
use crate::model::money::{Decimal, MultiAmount};
use crate::model::query::Filter;

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
    register_shown(journal, filter, super::valued::Shown::Own)
}

/// The register with amounts at cost (`-B`) or values (`-V`: each real
/// posting at its value in the base currency on its date, so that the
/// running total is one sum); the running total is kept per commodity.
///
/// # Errors
/// [`ReportError`] on an invariant violation or overflow.
pub fn register_shown(
    journal: &Journal,
    filter: &Filter,
    shown: super::valued::Shown<'_>,
) -> Result<RegisterReport, ReportError> {
    journal.verify_invariants()?;
    let mut selected: Vec<_> = filter.select_indexed(journal).collect();
    selected.sort_by_key(|(t, _, _)| t.date);
    let mut running: MultiAmount<CommodityId> = MultiAmount::new();
    let mut rows = Vec::with_capacity(selected.len());
    for (t, index, posting) in selected {
        let Some((commodity, quantity)) = shown.amount(journal, posting, index)? else {
            continue;
        };
        running.add(commodity, quantity)?;
        rows.push(RegisterRow {
            date: t.date,
            payee: journal.payee(t).to_string(),
            account: journal.account_name(posting.account).to_string(),
            fund: journal.fund_name(posting.fund).to_string(),
            commodity: journal.commodity_name(commodity).to_string(),
            amount: at_precision(journal, quantity, commodity),
            running_total: at_precision(journal, running.get(commodity), commodity),
        });
    }
    Ok(RegisterReport { rows })
}
