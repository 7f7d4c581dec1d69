//! The annual report: every statement and note of a fiscal year, the
//! previous year's key figures beside this year's, and the series the
//! charts are drawn from. Plain data; [`crate::html`] and
//! [`crate::render`] lay it out.

use chrono::NaiveDate;
use serde::Serialize;

use super::board;
use super::financial::{self, Standard};
use super::statement::{Cell, RowKind, Statement};
use super::valued::{months, Valued};
use super::ReportError;
use crate::journal::PostingKind;
use crate::money::Decimal;
use crate::settings::AccountClass;

/// A monthly series against a monthly target.
#[derive(Clone, Debug, Serialize)]
pub struct TargetSeries {
    /// What is counted.
    pub title: String,
    /// The unit.
    pub unit: String,
    /// The monthly target.
    pub target: Decimal,
    /// (month, quantity).
    pub months: Vec<(String, Decimal)>,
}

/// Month-end net assets of each fund.
#[derive(Clone, Debug, Serialize)]
pub struct FundSeries {
    /// The month labels (`2000-04`).
    pub months: Vec<String>,
    /// (fund, balance at the end of each month).
    pub funds: Vec<(String, Vec<Decimal>)>,
}

/// The whole annual report.
#[derive(Clone, Debug, Serialize)]
pub struct AnnualReport {
    /// The organisation.
    pub organisation: String,
    /// `FY2000 (2000-04-01 to 2001-03-31)`.
    pub period: String,
    /// The base currency.
    pub currency: String,
    /// Key figures: this year and, when the ledger has it, last year.
    pub summary: Statement,
    /// The statements.
    pub statements: Vec<Statement>,
    /// The notes.
    pub notes: Vec<Statement>,
    /// Outputs against their targets, for the charts.
    pub targets: Vec<TargetSeries>,
    /// Fund balances through the year, for the chart.
    pub fund_balances: FundSeries,
    /// Outstanding member loans per lender at the year end, for the chart.
    pub loans: Vec<(String, Decimal)>,
}

/// The sum of the figures a statement printed under keys starting with
/// `prefix`.
fn tie_sum(s: &Statement, prefix: &str) -> Result<Decimal, ReportError> {
    Ok(crate::money::checked_sum(
        s.ties
            .iter()
            .filter(|t| t.key.starts_with(prefix))
            .map(|t| t.value),
    )?)
}

/// Builds the annual report of the fiscal year `[begin, end)`.
///
/// # Errors
/// [`ReportError`] from any statement (a figure that cannot be valued or
/// does not tie).
pub fn annual(
    valued: &Valued<'_>,
    standard: Standard,
    year: i32,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<AnnualReport, ReportError> {
    let journal = valued.journal;
    let settings = journal.settings();
    let set = financial::statements(valued, standard, begin, end)?;
    let (activities, position, functional, funds, outputs) = (
        set.activities,
        set.position,
        set.functional,
        set.funds,
        set.outputs,
    );
    let (inventory, cashflows, filing_notes) = (set.inventory, set.cashflows, set.notes);
    let last_day = end.pred_opt().unwrap_or(end);
    let loans = board::loans(valued, last_day, begin, end)?;
    super::engine::reconcile(loans.iter().chain([&position]))?;
    let sales = board::sales(valued, begin, end)?;

    // Last year's figures, when the ledger has transactions then.
    let previous = settings.fiscal_year(year - 1);
    let has_previous = previous.is_some_and(|(b, e)| {
        journal
            .transactions()
            .iter()
            .any(|t| t.date >= b && t.date < e)
    });
    let previous_set = match (has_previous, previous) {
        (true, Some((b, e))) => Some(financial::statements(valued, standard, b, e)?),
        _ => None,
    };
    let previous_activities = previous_set.as_ref().map(|p| p.activities.clone());
    // The key figures, read from what the statement of activities printed
    // (its ties), so they are the statement's own figures in any layout.
    let jp = standard == Standard::JpNpo;
    let figures = |s: &Statement| -> Result<[Decimal; 5], ReportError> {
        let opening = tie_sum(s, "net-assets/opening/")?;
        let closing = tie_sum(s, "net-assets/closing/")?;
        Ok([
            opening,
            tie_sum(s, "income/total/")?,
            tie_sum(s, "expenses/total")?,
            crate::money::checked_sub(closing, opening)?,
            closing,
        ])
    };
    let labels: [&str; 5] = if jp {
        [
            "前期繰越正味財産額",
            "収益の合計（一般・指定）",
            "費用の合計",
            "当期正味財産増減額",
            "次期繰越正味財産額",
        ]
    } else {
        [
            "Net assets, beginning of year",
            "Total revenue",
            "Total expenses",
            "Change in net assets",
            "Net assets, end of year",
        ]
    };
    let mut columns = vec![format!("FY{year}")];
    if previous_activities.is_some() {
        columns.push(format!("FY{}", year - 1));
    }
    let mut summary = Statement::new(
        "summary",
        if jp {
            "今年度の概要"
        } else {
            "The year in figures"
        },
        if jp {
            format!(
                "{}　{year}年度",
                super::words::organisation(settings, super::statement::Language::Ja)
            )
        } else {
            format!("{}, FY{year}", settings.organisation)
        },
        columns,
        &valued.base,
    );
    if jp {
        summary = summary.japanese();
    }
    let this_year = figures(&activities)?;
    let last_year = match &previous_activities {
        Some(p) => Some(figures(p)?),
        None => None,
    };
    for (k, label) in labels.iter().enumerate() {
        let mut values = vec![this_year[k]];
        if let Some(last) = &last_year {
            values.push(last[k]);
        }
        let kind = if k == 4 {
            RowKind::Total
        } else {
            RowKind::Line
        };
        summary.amounts(*label, 1, kind, &values);
    }
    let loans_outstanding = loans[0]
        .rows
        .iter()
        .find(|r| r.kind == RowKind::Total)
        .and_then(|r| match r.cells.get(2) {
            Some(Cell::Amount(a)) => Some(*a),
            _ => None,
        })
        .unwrap_or_default();
    let mut loan_row = vec![Cell::Amount(loans_outstanding)];
    if previous_activities.is_some() {
        let previous_end = begin.pred_opt().unwrap_or(begin);
        let previous_loans = board::loans(
            valued,
            previous_end,
            previous.map(|p| p.0).unwrap_or(begin),
            begin,
        )?;
        let amount = previous_loans[0]
            .rows
            .iter()
            .find(|r| r.kind == RowKind::Total)
            .and_then(|r| r.cells.get(2).cloned())
            .unwrap_or(Cell::Empty);
        loan_row.push(amount);
    }
    summary.cells(
        if jp {
            "会員からの借入金（期末残高）"
        } else {
            "Loans from members outstanding at the year end"
        },
        1,
        RowKind::Line,
        loan_row,
    );

    let targets = settings
        .report
        .targets
        .iter()
        .map(|t| {
            Ok(TargetSeries {
                title: super::statement::humanize(&t.account, &settings.report.program_names),
                unit: t.unit.clone(),
                target: t.per_month,
                months: board::monthly_outputs(journal, &t.account, begin, end)?
                    .into_iter()
                    .map(|(m, q)| (month_label(m, begin), q))
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>, ReportError>>()?;
    let fund_balances = fund_series(valued, begin, end)?;
    let loans_by_lender = loans[0]
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Line)
        .filter_map(|r| match r.cells.get(2) {
            Some(Cell::Amount(a)) => Some((r.label.clone(), *a)),
            _ => None,
        })
        .collect();
    // The notes the standard sets (under the NPO standard they hold the
    // programmes' expenses and the restricted funds), then the board's
    // reports.
    let mut notes = filing_notes;
    if standard == Standard::Asc958 {
        notes.push(funds);
    }
    notes.extend(loans);
    notes.push(sales);
    notes.extend(outputs);
    Ok(AnnualReport {
        organisation: settings.organisation.clone(),
        period: format!("FY{year} ({begin} to {last_day})"),
        currency: valued.base.clone(),
        summary,
        statements: {
            // The previous year's totals beside this year's, when the ledger
            // has them.
            let (mut activities, mut position) = (activities, position);
            if let Some(previous) = &previous_set {
                let label = if standard == Standard::JpNpo {
                    format!("前年度（{}年度）", year - 1)
                } else {
                    format!("FY{} total", year - 1)
                };
                add_comparative(&mut activities, &previous.activities, &label);
                let previous_position = &previous.position;
                add_comparative(
                    &mut position,
                    previous_position,
                    &if standard == Standard::JpNpo {
                        format!("前年度末（{}年度）", year - 1)
                    } else {
                        format!("FY{} end", year - 1)
                    },
                );
            }
            let mut statements = vec![activities, position];
            if standard == Standard::JpNpo {
                statements.push(inventory);
            } else {
                statements.push(functional);
            }
            statements.push(cashflows);
            statements
        },
        notes,
        targets,
        fund_balances,
        loans: loans_by_lender,
    })
}

/// `Apr 2000` for the first month and January, `May` for the others.
fn month_label(month: NaiveDate, first: NaiveDate) -> String {
    use chrono::Datelike;
    if month.month() == 1 || (month.year() == first.year() && month.month() == first.month()) {
        month.format("%b %Y").to_string()
    } else {
        month.format("%b").to_string()
    }
}

/// Adds a column with the last amount of `previous`'s row of the same label
/// (empty where last year had no such row).
fn add_comparative(current: &mut Statement, previous: &Statement, header: &str) {
    current.columns.push(header.to_string());
    for row in &mut current.rows {
        let earlier = previous
            .rows
            .iter()
            .find(|r| r.label == row.label && r.level == row.level)
            .and_then(|r| r.cells.last().cloned())
            .unwrap_or(Cell::Empty);
        row.cells.push(if row.kind == RowKind::Heading {
            Cell::Empty
        } else {
            earlier
        });
    }
}

/// Net assets of every fund at the end of each month of the period.
fn fund_series(
    valued: &Valued<'_>,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<FundSeries, ReportError> {
    let journal = valued.journal;
    let month_starts = months(begin, end);
    let mut month_ends: Vec<NaiveDate> = month_starts.iter().skip(1).copied().collect();
    month_ends.push(end);
    let funds: Vec<_> = journal.fund_ids().collect();
    let mut balances = vec![vec![Decimal::ZERO; month_ends.len()]; funds.len()];
    for t in journal.transactions() {
        if t.date >= end {
            continue;
        }
        let first_month = month_ends.partition_point(|&e| e <= t.date);
        let range = t.posting_range();
        for (offset, p) in journal.postings(t).iter().enumerate() {
            if p.kind != PostingKind::Real
                || !journal
                    .account_class(p.account)
                    .is_some_and(AccountClass::changes_net_assets)
            {
                continue;
            }
            let value = valued.value(range.start + offset);
            if let Some(f) = funds.iter().position(|&f| f == p.fund) {
                for balance in balances[f].iter_mut().skip(first_month) {
                    super::acc(&mut *balance, -(value))?;
                }
            }
        }
    }
    Ok(FundSeries {
        months: month_starts
            .iter()
            .map(|m| month_label(*m, begin))
            .collect(),
        funds: funds
            .iter()
            .zip(balances)
            .filter(|(_, series)| series.iter().any(|v| !v.is_zero()))
            .map(|(f, series)| (journal.fund_name(*f).to_string(), series))
            .collect(),
    })
}

/// The annual report as Markdown.
pub fn markdown(report: &AnnualReport) -> String {
    let mut out = format!(
        "# {} — annual report, {}\n\nAmounts in {}.\n\n",
        report.organisation, report.period, report.currency
    );
    out.push_str("## Summary\n\n");
    out.push_str(&crate::render::statement_markdown(&report.summary));
    out.push_str("## Financial statements\n\n");
    for s in &report.statements {
        out.push_str(&crate::render::statement_markdown(s));
    }
    out.push_str("## Notes\n\n");
    for s in &report.notes {
        out.push_str(&crate::render::statement_markdown(s));
    }
    out
}
