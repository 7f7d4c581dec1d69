//! The balance report: totals per account (and fund) and commodity.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{at_precision, Amount, ReportError};
use crate::model::journal::{AccountId, CommodityId, FundId, Journal};
use crate::model::money::MultiAmount;
use crate::model::query::Filter;

/// Options of the balance report beyond the filter.
/// (Not `Debug`: it may hold a whole valuation.)
/// Start from [`BalanceOptions::default`] (one row per account, every
/// depth, own amounts) and set what differs.
#[derive(Clone, Copy, Default)]
#[non_exhaustive]
pub struct BalanceOptions<'v> {
    /// One row per account, fund and commodity.
    pub by_fund: bool,
    /// Collapse accounts deeper than this many components into their parent.
    pub depth: Option<usize>,
    /// Own amounts, at cost (`-B`) or values (`-V`).
    pub shown: super::valued::Shown<'v>,
}

impl<'v> BalanceOptions<'v> {
    /// One row per account, fund and commodity.
    pub fn by_fund(mut self, by_fund: bool) -> Self {
        self.by_fund = by_fund;
        self
    }

    /// Collapse accounts deeper than `depth` components into their parent.
    pub fn depth(mut self, depth: Option<usize>) -> Self {
        self.depth = depth;
        self
    }

    /// Show own amounts, at cost (`-B`) or values (`-V`).
    pub fn shown(mut self, shown: super::valued::Shown<'v>) -> Self {
        self.shown = shown;
        self
    }
}

/// One row: the total of an account (in a fund) in one commodity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BalanceRow {
    /// The full account name (cut to the depth asked for).
    pub account: String,
    /// The fund, with `--by-fund`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fund: Option<String>,
    /// The commodity symbol.
    pub commodity: String,
    /// The total.
    pub amount: crate::model::money::Decimal,
}

/// A node of the account tree, for the text rendering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TreeNode {
    /// The full account name.
    pub account: String,
    /// Components above it (0 for a root).
    pub depth: usize,
    /// The total of the account and everything below it, per commodity.
    pub totals: Vec<Amount>,
}

/// The balance report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BalanceReport {
    /// Rows sorted by account, fund, commodity; zero totals left out.
    pub rows: Vec<BalanceRow>,
    /// The account tree with inclusive totals (accounts in `rows` and their
    /// parents), in tree order.
    pub tree: Vec<TreeNode>,
    /// The grand total per commodity (zero for a whole balanced journal).
    pub total: Vec<Amount>,
    /// The funds, with `--by-fund`: each fund's own tree and total.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub funds: Vec<FundSection>,
}

/// One fund's part of a `--by-fund` balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FundSection {
    /// The fund id.
    pub fund: String,
    /// Its account tree.
    pub tree: Vec<TreeNode>,
    /// Its total per commodity.
    pub total: Vec<Amount>,
}

fn cut(account: &str, depth: Option<usize>) -> &str {
    match depth {
        Some(depth) if depth > 0 => match account.match_indices(':').nth(depth - 1) {
            Some((i, _)) => &account[..i],
            None => account,
        },
        _ => account,
    }
}

/// Computes the balance report.
///
/// # Errors
/// [`ReportError`] on an invariant violation or overflow.
pub fn balance(
    journal: &Journal,
    filter: &Filter,
    options: BalanceOptions<'_>,
) -> Result<BalanceReport, ReportError> {
    journal.verify_invariants()?;
    // First by ids (cheap per posting), then by names (once per account).
    let mut by_id: rustc_hash::FxHashMap<(AccountId, Option<FundId>), MultiAmount<CommodityId>> =
        Default::default();
    for (_, index, posting) in filter.select_indexed(journal) {
        let fund = options.by_fund.then_some(posting.fund);
        let Some((commodity, quantity)) = options.shown.amount(journal, posting, index)? else {
            continue;
        };
        by_id
            .entry((posting.account, fund))
            .or_default()
            .add(commodity, quantity)?;
    }
    // (account, fund) → amounts. The fund key is "" without --by-fund.
    let mut sums: BTreeMap<(String, String), MultiAmount<CommodityId>> = BTreeMap::new();
    for ((account, fund), amounts) in &by_id {
        let account = cut(journal.account_name(*account), options.depth).to_string();
        let fund = fund
            .map(|f| journal.fund_name(f).to_string())
            .unwrap_or_default();
        sums.entry((account, fund)).or_default().add_all(amounts)?;
    }
    let mut rows = Vec::new();
    let mut total: MultiAmount<CommodityId> = MultiAmount::new();
    let mut by_fund: BTreeMap<String, BTreeMap<String, MultiAmount<CommodityId>>> = BTreeMap::new();
    let mut by_account: BTreeMap<String, MultiAmount<CommodityId>> = BTreeMap::new();
    for ((account, fund), amounts) in &sums {
        total.add_all(amounts)?;
        by_account
            .entry(account.clone())
            .or_default()
            .add_all(amounts)?;
        if options.by_fund {
            by_fund
                .entry(fund.clone())
                .or_default()
                .entry(account.clone())
                .or_default()
                .add_all(amounts)?;
        }
        let mut entries: Vec<(String, crate::model::money::Decimal)> = amounts
            .trimmed()
            .map(|(c, q)| {
                (
                    journal.commodity_name(c).to_string(),
                    at_precision(journal, q, c),
                )
            })
            .collect();
        entries.sort();
        for (commodity, amount) in entries {
            rows.push(BalanceRow {
                account: account.clone(),
                fund: options.by_fund.then(|| fund.clone()),
                commodity,
                amount,
            });
        }
    }
    let tree = build_tree(journal, &by_account)?;
    let funds = by_fund
        .iter()
        .map(|(fund, accounts)| {
            let mut fund_total = MultiAmount::new();
            for amounts in accounts.values() {
                fund_total.add_all(amounts)?;
            }
            Ok(FundSection {
                fund: fund.clone(),
                tree: build_tree(journal, accounts)?,
                total: amounts(journal, &fund_total),
            })
        })
        .collect::<Result<Vec<_>, ReportError>>()?;
    // Reconcile: the rows add up to the total.
    let mut check_rows: BTreeMap<String, crate::model::money::Decimal> = BTreeMap::new();
    for row in &rows {
        let entry = check_rows.entry(row.commodity.clone()).or_default();
        *entry = crate::model::money::checked_add(*entry, row.amount)?;
    }
    for (c, q) in total.trimmed() {
        let from_rows = check_rows
            .get(journal.commodity_name(c))
            .copied()
            .unwrap_or_default();
        if from_rows != q {
            return Err(ReportError::DoesNotTie(format!(
                "balance rows sum to {from_rows} {} but the total is {q}",
                journal.commodity_name(c)
            )));
        }
    }
    Ok(BalanceReport {
        rows,
        tree,
        total: amounts(journal, &total),
        funds,
    })
}

fn amounts(journal: &Journal, sum: &MultiAmount<CommodityId>) -> Vec<Amount> {
    let mut out: Vec<Amount> = sum
        .trimmed()
        .map(|(c, q)| Amount::new(journal, q, c))
        .collect();
    out.sort_by(|a, b| a.commodity.cmp(&b.commodity));
    out
}

/// Inclusive totals for every account with a non-zero total and each of its
/// parents, in tree (sorted) order.
fn build_tree(
    journal: &Journal,
    by_account: &BTreeMap<String, MultiAmount<CommodityId>>,
) -> Result<Vec<TreeNode>, ReportError> {
    let mut inclusive: BTreeMap<String, MultiAmount<CommodityId>> = BTreeMap::new();
    for (account, amounts) in by_account {
        if amounts.is_zero() {
            continue;
        }
        let mut end = 0;
        loop {
            let next = account[end..].find(':').map(|i| end + i);
            let prefix = &account[..next.unwrap_or(account.len())];
            inclusive
                .entry(prefix.to_string())
                .or_default()
                .add_all(amounts)?;
            match next {
                Some(i) => end = i + 1,
                None => break,
            }
        }
    }
    // Sort so that children follow their parent: compare component lists.
    let mut names: Vec<&String> = inclusive.keys().collect();
    names.sort_by(|a, b| a.split(':').cmp(b.split(':')));
    Ok(names
        .into_iter()
        .filter(|name| !inclusive[*name].is_zero())
        .map(|name| TreeNode {
            account: name.clone(),
            depth: name.matches(':').count(),
            totals: amounts(journal, &inclusive[name]),
        })
        .collect())
}

/// The balance in columns (`balance -M/-Q/-Y/--fy-columns`): one column per
/// `[begin, end)` of `periods` and a total over all of them, one row per
/// account (cut to `options.depth`) and commodity, as a statement so that
/// every renderer prints it. The total column is the balance of the whole
/// range, and each row's periods add up to it (checked: a row that does not
/// is [`ReportError::DoesNotTie`]).
///
/// # Errors
/// [`ReportError`] on an invariant violation, overflow or a row that does
/// not add up.
pub fn balance_columns(
    journal: &Journal,
    filter: &Filter,
    options: BalanceOptions<'_>,
    periods: &[(chrono::NaiveDate, chrono::NaiveDate)],
    title: &str,
) -> Result<super::statement::Statement, ReportError> {
    use super::statement::{RowKind, Statement};
    let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
        return Err(ReportError::Request("no period to show".into()));
    };
    let options = BalanceOptions {
        by_fund: false,
        ..options
    };
    let mut columns: Vec<BTreeMap<(String, String), crate::model::money::Decimal>> = Vec::new();
    for (begin, end) in periods.iter().copied().chain([(first.0, last.1)]) {
        let narrowed = Filter {
            begin: Some(filter.begin.map_or(begin, |b| b.max(begin))),
            end: Some(filter.end.map_or(end, |e| e.min(end))),
            ..filter.clone()
        };
        let report = balance(journal, &narrowed, options)?;
        columns.push(
            report
                .rows
                .into_iter()
                .map(|r| ((r.account, r.commodity), r.amount))
                .collect(),
        );
    }
    let keys: std::collections::BTreeSet<(String, String)> =
        columns.iter().flat_map(|c| c.keys().cloned()).collect();
    let commodities: std::collections::BTreeSet<&str> =
        keys.iter().map(|(_, c)| c.as_str()).collect();
    let single = (commodities.len() == 1)
        .then(|| commodities.iter().next().copied())
        .flatten();
    let mut headers: Vec<String> = periods
        .iter()
        .map(|(b, e)| format!("{b}..{}", e.pred_opt().unwrap_or(*e)))
        .collect();
    headers.push("Total".into());
    let subtitle = format!(
        "{}, {} to {}",
        journal.settings().organisation,
        first.0,
        last.1.pred_opt().unwrap_or(last.1)
    );
    let mut s = Statement::new(
        "balance-columns",
        title,
        subtitle,
        headers,
        single.unwrap_or(""),
    );
    s.label_header = "account".into();
    let mut totals: BTreeMap<String, Vec<crate::model::money::Decimal>> = BTreeMap::new();
    for key in &keys {
        let cells: Vec<crate::model::money::Decimal> = columns
            .iter()
            .map(|c| c.get(key).copied().unwrap_or_default())
            .collect();
        let (periods_part, total) = cells.split_at(cells.len() - 1);
        let mut sum = crate::model::money::Decimal::ZERO;
        for v in periods_part {
            super::acc(&mut sum, *v)?;
        }
        if sum != total[0] {
            return Err(ReportError::DoesNotTie(format!(
                "{} {}: the periods add up to {sum}, the whole range is {}",
                key.0, key.1, total[0]
            )));
        }
        let label = match single {
            Some(_) => key.0.clone(),
            None => format!("{} ({})", key.0, key.1),
        };
        s.amounts(label, 0, RowKind::Line, &cells);
        let column_totals = totals
            .entry(key.1.clone())
            .or_insert_with(|| vec![crate::model::money::Decimal::ZERO; cells.len()]);
        for (t, v) in column_totals.iter_mut().zip(&cells) {
            super::acc(t, *v)?;
        }
    }
    for (commodity, cells) in &totals {
        let label = match single {
            Some(_) => "Total".to_string(),
            None => format!("Total ({commodity})"),
        };
        s.amounts(label, 0, RowKind::Total, cells);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn depth_cuts_components() {
        assert_eq!(cut("A:B:C", Some(1)), "A");
        assert_eq!(cut("A:B:C", Some(2)), "A:B");
        assert_eq!(cut("A:B:C", Some(5)), "A:B:C");
        assert_eq!(cut("A:B:C", None), "A:B:C");
    }
}
