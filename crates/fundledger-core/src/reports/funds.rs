//! The fund roll-forward: for each fund, opening balance, income, expenses,
//! exchange results, transfers and closing balance over a period.
//!
//! By default ([`funds_valued`]) the figures are in the base currency, read
//! from the statement engine, so `fundledger funds` and `report funds` tell
//! one story. Per commodity ([`funds`]), a currency exchange inside a fund
//! stands in the exchange column (its two legs on the conversion account),
//! never as a transfer: transfers are only net-asset postings that move
//! money between funds (or open the books).
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
use crate::model::journal::{CommodityId, FundId, Journal, PostingKind};
use crate::model::money::{checked_add, checked_sub, Decimal, MultiAmount};
use crate::model::settings::AccountClass;

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
    /// Currency exchanges inside the fund: in the base currency, the gain
    /// or loss against the day's price; per commodity, the legs of each
    /// conversion.
    pub exchange: Decimal,
    /// Net-asset postings other than exchanges: transfers between funds,
    /// opening-balance entries.
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
    exchange: Decimal,
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
    let conversion = journal.account_id(&journal.settings().generated_accounts.conversion);
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
                AccountClass::NetAssets if Some(p.account) == conversion => {
                    f.exchange = checked_sub(f.exchange, p.quantity)?
                }
                AccountClass::NetAssets => f.transfers = checked_sub(f.transfers, p.quantity)?,
                AccountClass::Assets | AccountClass::Liabilities => {}
            }
        }
    }
    let mut rows = Vec::new();
    let mut closing_total: MultiAmount<CommodityId> = MultiAmount::new();
    for (&(fund, commodity), f) in &figures {
        let closing = crate::model::money::checked_sum([
            f.opening,
            f.income,
            -f.expenses,
            f.exchange,
            f.transfers,
        ])?;
        if closing != f.closing_recomputed {
            return Err(ReportError::DoesNotTie(format!(
                "fund {} in {}: opening + income - expenses + transfers = {closing}, but its balance at the end is {}",
                journal.fund_name(fund),
                journal.commodity_name(commodity),
                f.closing_recomputed
            )));
        }
        closing_total.add(commodity, closing)?;
        if [f.opening, f.income, f.expenses, f.exchange, f.transfers]
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
            exchange: shown(f.exchange),
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

/// The roll-forward of `[begin, end)` in the base currency, from the
/// statement engine: the same figures as the analysis of funds of
/// `report funds`, for every fund.
///
/// # Errors
/// [`ReportError`] when a figure cannot be valued or does not tie.
pub fn funds_valued(
    valued: &super::valued::Valued<'_>,
    begin: Option<NaiveDate>,
    end: Option<NaiveDate>,
) -> Result<FundsReport, ReportError> {
    let classified = super::engine::Classified::new(
        valued,
        begin.unwrap_or(NaiveDate::MIN),
        end.unwrap_or(NaiveDate::MAX),
    )?;
    funds_classified(&classified, begin, end)
}

/// [`funds_valued`] from a classification of `[begin, end)` already made
/// (`None`: from the first day, to the last).
///
/// # Errors
/// [`ReportError::Overflow`].
pub(crate) fn funds_classified(
    classified: &super::engine::Classified<'_, '_>,
    begin: Option<NaiveDate>,
    end: Option<NaiveDate>,
) -> Result<FundsReport, ReportError> {
    let valued = classified.valued;
    let journal = valued.journal;
    let mut rows = Vec::new();
    let mut total = Decimal::ZERO;
    for fund in journal.fund_ids() {
        let Some(f) = classified.funds.get(&fund) else {
            continue;
        };
        total = checked_add(total, f.closing_by_balances)?;
        if [f.opening, f.income, f.expenses, f.exchange, f.transfers]
            .iter()
            .all(|d| d.is_zero())
        {
            continue;
        }
        let name = journal.fund_name(fund);
        rows.push(FundRow {
            fund: name.to_string(),
            name: journal
                .settings()
                .fund(name)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| name.to_string()),
            restriction: journal.fund_restriction(fund).as_str(),
            commodity: valued.base.clone(),
            opening: f.opening,
            income: f.income,
            expenses: f.expenses,
            exchange: f.exchange,
            transfers: f.transfers,
            closing: f.closing()?,
        });
    }
    Ok(FundsReport {
        begin,
        end,
        rows,
        total_net_assets: vec![Amount {
            commodity: valued.base.clone(),
            quantity: total,
        }],
    })
}
