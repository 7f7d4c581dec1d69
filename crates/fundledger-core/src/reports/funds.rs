//! The fund roll-forward: for each fund and commodity, opening balance,
//! income, expenses, transfers and closing balance over a period.
//!
//! A fund's balance is its net assets: the negated sum of its postings to
//! net-asset, income and expense accounts (equivalently, because every fund
//! balances on its own, its assets plus its liabilities). The report ties two
//! ways before it is returned: each row's `closing` equals
//! `opening + income − expenses + transfers` and also the balance recomputed
//! at the end date; and the closing balances of all funds add up to the
//! total net assets (assets + liabilities) of the organisation.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{at_precision, Amount, ReportError};
use crate::journal::{CommodityId, FundId, Journal, PostingKind};
use crate::money::{checked_add, checked_sub, Decimal, MultiAmount};
use crate::settings::AccountClass;

/// One fund in one commodity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FundRow {
    /// The fund id.
    pub fund: String,
    /// Its human name (the id for undeclared funds).
    pub name: String,
    /// Its restriction class.
    pub restriction: &'static str,
    /// The commodity.
    pub commodity: String,
    /// Net assets at the start of the period.
    pub opening: Decimal,
    /// Income during the period.
    pub income: Decimal,
    /// Expenses during the period.
    pub expenses: Decimal,
    /// Net-asset postings during the period: transfers between funds,
    /// currency conversions, opening-balance entries.
    pub transfers: Decimal,
    /// Net assets at the end of the period.
    pub closing: Decimal,
}

/// The fund roll-forward.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FundsReport {
    /// The first day of the period.
    pub begin: Option<NaiveDate>,
    /// The first day after the period.
    pub end: Option<NaiveDate>,
    /// Rows: funds in declaration order, then commodities by symbol; funds
    /// with nothing in any column are left out.
    pub rows: Vec<FundRow>,
    /// Total net assets (assets + liabilities) at the end, per commodity;
    /// equal to the sum of the closing balances.
    pub total_net_assets: Vec<Amount>,
}

#[derive(Default, Clone, Copy)]
struct Figures {
    opening: Decimal,
    income: Decimal,
    expenses: Decimal,
    transfers: Decimal,
    closing_recomputed: Decimal,
}

/// Computes the roll-forward for `[begin, end)`; `None` leaves that side open.
///
/// # Errors
/// [`ReportError::DoesNotTie`] when a figure does not reconcile, or an
/// invariant/overflow error.
pub fn funds(
    journal: &Journal,
    begin: Option<NaiveDate>,
    end: Option<NaiveDate>,
) -> Result<FundsReport, ReportError> {
    journal.verify_invariants()?;
    let mut figures: BTreeMap<(FundId, CommodityId), Figures> = BTreeMap::new();
    let mut net_assets_total: MultiAmount<CommodityId> = MultiAmount::new();
    for t in journal.transactions() {
        if end.is_some_and(|e| t.date >= e) {
            continue;
        }
        let before = begin.is_some_and(|b| t.date < b);
        for p in journal.postings(t) {
            if p.kind != PostingKind::Real {
                continue;
            }
            let Some(class) = journal.account_class(p.account) else {
                continue;
            };
            if matches!(class, AccountClass::Assets | AccountClass::Liabilities) {
                net_assets_total.add(p.commodity, p.quantity)?;
                continue;
            }
            let f = figures.entry((p.fund, p.commodity)).or_default();
            // Net assets move opposite to the sign of the posting.
            f.closing_recomputed = checked_sub(f.closing_recomputed, p.quantity)?;
            if before {
                f.opening = checked_sub(f.opening, p.quantity)?;
                continue;
            }
            match class {
                AccountClass::Income => f.income = checked_sub(f.income, p.quantity)?,
                AccountClass::Expenses => f.expenses = checked_add(f.expenses, p.quantity)?,
                AccountClass::NetAssets => f.transfers = checked_sub(f.transfers, p.quantity)?,
                AccountClass::Assets | AccountClass::Liabilities => {}
            }
        }
    }
    let mut rows = Vec::new();
    let mut closing_total: MultiAmount<CommodityId> = MultiAmount::new();
    for (&(fund, commodity), f) in &figures {
        let closing = checked_add(
            checked_sub(checked_add(f.opening, f.income)?, f.expenses)?,
            f.transfers,
        )?;
        if closing != f.closing_recomputed {
            return Err(ReportError::DoesNotTie(format!(
                "fund {} in {}: opening + income - expenses + transfers = {closing}, but its balance at the end is {}",
                journal.fund_name(fund),
                journal.commodity_name(commodity),
                f.closing_recomputed
            )));
        }
        closing_total.add(commodity, closing)?;
        if [f.opening, f.income, f.expenses, f.transfers]
            .iter()
            .all(|d| d.is_zero())
        {
            continue;
        }
        let name = journal.fund_name(fund);
        let settings = journal.settings().fund(name);
        let shown = |q| at_precision(journal, q, commodity);
        rows.push(FundRow {
            fund: name.to_string(),
            name: settings
                .map(|s| s.name.clone())
                .unwrap_or_else(|| name.to_string()),
            restriction: journal.fund_restriction(fund).as_str(),
            commodity: journal.commodity_name(commodity).to_string(),
            opening: shown(f.opening),
            income: shown(f.income),
            expenses: shown(f.expenses),
            transfers: shown(f.transfers),
            closing: shown(closing),
        });
    }
    rows.sort_by(|a, b| {
        let fa = journal.fund_id(&a.fund);
        let fb = journal.fund_id(&b.fund);
        (fa, &a.commodity).cmp(&(fb, &b.commodity))
    });
    for commodity in journal.commodity_ids() {
        let closing = closing_total.get(commodity);
        let net_assets = net_assets_total.get(commodity);
        if closing != net_assets {
            return Err(ReportError::DoesNotTie(format!(
                "the funds' closing balances sum to {closing} {c}, but assets + liabilities are {net_assets} {c}",
                c = journal.commodity_name(commodity)
            )));
        }
    }
    let mut total_net_assets: Vec<Amount> = net_assets_total
        .trimmed()
        .map(|(c, q)| Amount::new(journal, q, c))
        .collect();
    total_net_assets.sort_by(|a, b| a.commodity.cmp(&b.commodity));
    Ok(FundsReport {
        begin,
        end,
        rows,
        total_net_assets,
    })
}
