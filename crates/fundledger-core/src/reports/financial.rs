//! The financial statements of a fiscal year: activities, financial
//! position, and the analysis of funds, under three standards.
//!
//! All three are computed from one [`Figures`] pass over the valued journal
//! and reconciled with each other before they are returned: the closing net
//! assets of the statement of activities equal the net assets of the
//! statement of financial position in every column; releases from
//! restriction net to zero across columns; the expense lines add up to the
//! expenses by function; the funds' closing balances add up to total net
//! assets; assets equal liabilities plus net assets. A statement that does
//! not tie is [`ReportError::DoesNotTie`], never output.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::statement::{humanize, Cell, RowKind, Statement};
use super::valued::Valued;
use super::ReportError;
use crate::journal::FundId;
use crate::money::Decimal;
use crate::settings::{AccountClass, Restriction};

/// The accounting standard a statement follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Standard {
    /// US GAAP, FASB ASC 958 (after ASU 2016-14).
    Asc958,
    /// Japan's NPO accounting standard (NPO法人会計基準).
    JpNpo,
    /// The UK Charities SORP (FRS 102).
    Sorp,
}

impl Standard {
    /// The restriction columns of this standard.
    fn columns(self) -> Vec<String> {
        let names: &[&str] = match self {
            Standard::Asc958 => &[
                "Without donor restrictions",
                "With donor restrictions",
                "Total",
            ],
            Standard::JpNpo => &["一般正味財産", "指定正味財産", "合計"],
            Standard::Sorp => &[
                "Unrestricted funds",
                "Restricted funds",
                "Endowment funds",
                "Total",
            ],
        };
        names.iter().map(|s| s.to_string()).collect()
    }

    /// The column (0-based, before Total) of a fund of this restriction.
    fn bucket(self, restriction: Restriction) -> usize {
        match (self, restriction) {
            (_, Restriction::Unrestricted | Restriction::BoardDesignated) => 0,
            (Standard::Sorp, Restriction::Endowment) => 2,
            _ => 1,
        }
    }

    fn buckets(self) -> usize {
        self.columns().len() - 1
    }
}

/// Amounts per restriction column (without the total).
type Columns = Vec<Decimal>;

/// Sums over one period, per restriction column and line.
pub(crate) struct Figures {
    standard: Standard,
    /// Income per category label.
    income: BTreeMap<String, Columns>,
    /// Expenses per programme or function label, with whether it is a
    /// programme and the personnel part.
    expenses: BTreeMap<String, (ExpenseKind, Columns, Columns)>,
    /// Net-asset postings other than conversions (transfers between funds,
    /// opening entries), per column.
    transfers: Columns,
    /// Currency conversion results, per column.
    exchange: Columns,
    /// Net assets at the start and at the end, per column.
    opening: Columns,
    closing: Columns,
    /// Per fund: (opening, income, expenditure, transfers, closing).
    funds: BTreeMap<FundId, [Decimal; 5]>,
    /// Balances at the end per asset/liability account (depth 3).
    balances: BTreeMap<String, Decimal>,
    /// Due-from plus due-to balances at the end: zero but for rounding.
    interfund: Decimal,
}

/// How an expense line is classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExpenseKind {
    /// A programme service.
    Program,
    /// Management and general.
    Management,
    /// Fundraising.
    Fundraising,
}

/// The nature of an expense for people: its account's last part, in words
/// (`ChildSupport` → `Child support`).
fn nature_label(account: &str) -> String {
    let words = super::statement::split_camel(account.rsplit(':').next().unwrap_or(account), true);
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

fn second_part(account: &str) -> &str {
    account.split(':').nth(1).unwrap_or(account)
}

fn depth3(account: &str) -> String {
    account.split(':').take(3).collect::<Vec<_>>().join(":")
}

/// The income category of an income account.
fn income_category(account: &str, standard: Standard) -> String {
    let part = second_part(account);
    let (us, jp, uk) = match part {
        "Donations" => ("Contributions", "受取寄附金", "Donations and legacies"),
        "InKind" => (
            "Gifts in kind",
            "受取寄附金（現物寄附）",
            "Donations and legacies (gifts in kind)",
        ),
        "Membership" => (
            "Membership dues",
            "受取会費",
            "Donations and legacies (membership)",
        ),
        "Grants" => ("Grants", "受取助成金等", "Donations and legacies (grants)"),
        "Sales" => (
            "Sales of self-reliance products",
            "事業収益",
            "Other trading activities",
        ),
        _ => ("Other income", "その他収益", "Other income"),
    };
    match standard {
        Standard::Asc958 => us,
        Standard::JpNpo => jp,
        Standard::Sorp => uk,
    }
    .to_string()
}

fn zeros(n: usize) -> Columns {
    vec![Decimal::ZERO; n]
}

fn add(columns: &mut Columns, bucket: usize, value: Decimal) -> Result<(), ReportError> {
    columns[bucket] = crate::money::checked_add(columns[bucket], value)?;
    Ok(())
}

fn total(columns: &Columns) -> Result<Decimal, ReportError> {
    Ok(crate::money::checked_sum(columns.iter().copied())?)
}

fn with_total(columns: &Columns) -> Result<Columns, ReportError> {
    let mut out = columns.clone();
    out.push(total(columns)?);
    Ok(out)
}

impl Figures {
    /// The figures of a period, computed once per report run: every
    /// statement of the annual report reads the same ones.
    fn cached(
        valued: &Valued<'_>,
        standard: Standard,
        begin: NaiveDate,
        end: NaiveDate,
    ) -> Result<std::rc::Rc<Figures>, ReportError> {
        let key = (standard, begin, end);
        if let Some((_, f)) = valued.figures.borrow().iter().find(|(k, _)| *k == key) {
            return Ok(f.clone());
        }
        let f = std::rc::Rc::new(Figures::compute(valued, standard, begin, end)?);
        valued.figures.borrow_mut().push((key, f.clone()));
        Ok(f)
    }

    fn compute(
        valued: &Valued<'_>,
        standard: Standard,
        begin: NaiveDate,
        end: NaiveDate,
    ) -> Result<Figures, ReportError> {
        let journal = valued.journal;
        let settings = journal.settings();
        let n = standard.buckets();
        let mut f = Figures {
            standard,
            income: BTreeMap::new(),
            expenses: BTreeMap::new(),
            transfers: zeros(n),
            exchange: zeros(n),
            opening: zeros(n),
            closing: zeros(n),
            funds: BTreeMap::new(),
            balances: BTreeMap::new(),
            interfund: Decimal::ZERO,
        };
        let generated = &settings.generated_accounts;
        for (t, p, value) in valued.real_postings(None, end) {
            let Some(class) = journal.account_class(p.account) else {
                continue;
            };
            let account = journal.account_name(p.account);
            let bucket = standard.bucket(journal.fund_restriction(p.fund));
            let fund = f.funds.entry(p.fund).or_insert([Decimal::ZERO; 5]);
            if matches!(class, AccountClass::Assets | AccountClass::Liabilities) {
                if account == generated.due_from || account == generated.due_to {
                    f.interfund = crate::money::checked_add(f.interfund, value)?;
                } else {
                    let balance = f.balances.entry(depth3(account)).or_default();
                    *balance = crate::money::checked_add(*balance, value)?;
                }
                continue;
            }
            // Net assets move opposite to the postings.
            let change = -value;
            add(&mut f.closing, bucket, change)?;
            super::acc(&mut fund[4], change)?;
            if t.date < begin {
                add(&mut f.opening, bucket, change)?;
                super::acc(&mut fund[0], change)?;
                continue;
            }
            match class {
                AccountClass::Income => {
                    add(
                        f.income
                            .entry(income_category(account, standard))
                            .or_insert_with(|| zeros(n)),
                        bucket,
                        change,
                    )?;
                    super::acc(&mut fund[1], change)?;
                }
                AccountClass::Expenses => {
                    let part = second_part(account);
                    let kind = match part {
                        "Management" => ExpenseKind::Management,
                        "Fundraising" => ExpenseKind::Fundraising,
                        _ => ExpenseKind::Program,
                    };
                    let label = settings
                        .report
                        .program_names
                        .get(part)
                        .cloned()
                        .unwrap_or_else(|| part.to_string());
                    let personnel = settings
                        .report
                        .personnel_accounts
                        .iter()
                        .any(|a| crate::query::account_matches(account, a));
                    let entry = f
                        .expenses
                        .entry(label)
                        .or_insert_with(|| (kind, zeros(n), zeros(n)));
                    add(&mut entry.1, bucket, value)?;
                    if personnel {
                        add(&mut entry.2, bucket, value)?;
                    }
                    super::acc(&mut fund[2], value)?;
                }
                AccountClass::NetAssets => {
                    if account == generated.conversion {
                        add(&mut f.exchange, bucket, change)?;
                    } else {
                        add(&mut f.transfers, bucket, change)?;
                    }
                    super::acc(&mut fund[3], change)?;
                }
                AccountClass::Assets | AccountClass::Liabilities => {}
            }
        }
        Ok(f)
    }

    fn total_expenses(&self) -> Result<Columns, ReportError> {
        let mut out = zeros(self.standard.buckets());
        for (_, columns, _) in self.expenses.values() {
            for (o, c) in out.iter_mut().zip(columns) {
                super::acc(&mut *o, *c)?;
            }
        }
        Ok(out)
    }
}

/// The Japanese name of a programme whose English label is `label`.
fn japanese_program_name(valued: &Valued<'_>, label: &str) -> String {
    let report = &valued.journal.settings().report;
    report
        .program_names
        .iter()
        .find(|(_, name)| name.as_str() == label)
        .map(|(part, _)| part.as_str())
        .or(Some(label))
        .and_then(|part| report.program_names_ja.get(part))
        .cloned()
        .unwrap_or_else(|| label.to_string())
}

fn period_text(journal: &crate::Journal, begin: NaiveDate, end: NaiveDate) -> String {
    let last = end.pred_opt().unwrap_or(end);
    let organisation = &journal.settings().organisation;
    format!("{organisation}, {begin} to {last}")
}

/// The statement of activities (活動計算書; statement of financial
/// activities) for `[begin, end)`.
///
/// # Errors
/// [`ReportError`] when a figure cannot be valued or does not tie.
pub fn activities(
    valued: &Valued<'_>,
    standard: Standard,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<Statement, ReportError> {
    let f = Figures::cached(valued, standard, begin, end)?;
    let n = standard.buckets();
    let title = match standard {
        Standard::Asc958 => "Statement of activities",
        Standard::JpNpo => "活動計算書",
        Standard::Sorp => "Statement of financial activities",
    };
    let mut s = Statement::new(
        "activities",
        title,
        period_text(valued.journal, begin, end),
        standard.columns(),
        &valued.base,
    );
    let jp = standard == Standard::JpNpo;
    let (revenue_heading, revenue_total, expenses_heading, expenses_total) = match standard {
        Standard::JpNpo => ("経常収益", "経常収益計", "経常費用", "経常費用計"),
        Standard::Sorp => (
            "Income and endowments",
            "Total income",
            "Expenditure",
            "Total expenditure",
        ),
        Standard::Asc958 => (
            "Revenue, gains and other support",
            "Total revenue and support",
            "Expenses",
            "Total expenses",
        ),
    };
    s.heading(revenue_heading, 0);
    let mut revenue = zeros(n);
    for (label, columns) in &f.income {
        s.amounts(label.clone(), 1, RowKind::Line, &with_total(columns)?);
        for (r, c) in revenue.iter_mut().zip(columns) {
            super::acc(&mut *r, *c)?;
        }
    }
    let expenses = f.total_expenses()?;
    // ASC 958 and the NPO standard report every expense in the unrestricted
    // column; what restricted funds spent is released to it.
    let releases: Columns = match standard {
        Standard::Sorp => zeros(n),
        _ => {
            let released = crate::money::checked_sum(expenses[1..].iter().copied())?;
            let mut r = zeros(n);
            r[0] = released;
            for (k, e) in expenses.iter().enumerate().skip(1) {
                r[k] = -*e;
            }
            r
        }
    };
    if standard != Standard::Sorp {
        let label = if jp {
            "指定正味財産からの振替額"
        } else {
            "Net assets released from restrictions"
        };
        s.amounts(label, 1, RowKind::Line, &with_total(&releases)?);
    }
    let mut support = revenue.clone();
    for (t, r) in support.iter_mut().zip(&releases) {
        super::acc(&mut *t, *r)?;
    }
    s.amounts(revenue_total, 0, RowKind::Subtotal, &with_total(&support)?);

    s.heading(expenses_heading, 0);
    let shown = |columns: &Columns| -> Result<Columns, ReportError> {
        Ok(match standard {
            Standard::Sorp => columns.clone(),
            _ => {
                let mut c = zeros(n);
                c[0] = total(columns)?;
                c
            }
        })
    };
    let mut shown_expenses = zeros(n);
    for group in [
        [ExpenseKind::Program, ExpenseKind::Program],
        [ExpenseKind::Management, ExpenseKind::Fundraising],
    ] {
        let lines: Vec<(&String, &(ExpenseKind, Columns, Columns))> = f
            .expenses
            .iter()
            .filter(|(_, (k, _, _))| group.contains(k))
            .collect();
        if lines.is_empty() {
            continue;
        }
        let heading = match (standard, group[0]) {
            (Standard::JpNpo, ExpenseKind::Program) => "事業費",
            (Standard::JpNpo, _) => "管理費",
            (Standard::Sorp, ExpenseKind::Program) => "Expenditure on charitable activities",
            (Standard::Sorp, _) => "Expenditure on raising funds and governance",
            (_, ExpenseKind::Program) => "Program services",
            (_, _) => "Supporting services",
        };
        s.heading(heading, 1);
        for (label, (kind, columns, personnel)) in lines {
            let label = match kind {
                ExpenseKind::Management if jp => "一般管理費".to_string(),
                ExpenseKind::Fundraising if jp => "資金調達費".to_string(),
                ExpenseKind::Management => "Management and general".to_string(),
                ExpenseKind::Fundraising => "Fundraising".to_string(),
                ExpenseKind::Program if jp => japanese_program_name(valued, label),
                ExpenseKind::Program => label.clone(),
            };
            let values = shown(columns)?;
            s.amounts(label.clone(), 2, RowKind::Line, &with_total(&values)?);
            if jp && !total(personnel)?.is_zero() {
                let p = shown(personnel)?;
                let other = values
                    .iter()
                    .zip(&p)
                    .map(|(a, b)| crate::money::checked_sub(*a, *b))
                    .collect::<Result<Columns, _>>()?;
                s.amounts("人件費", 3, RowKind::Line, &with_total(&p)?);
                s.amounts("その他経費", 3, RowKind::Line, &with_total(&other)?);
            }
            for (t, v) in shown_expenses.iter_mut().zip(&values) {
                super::acc(&mut *t, *v)?;
            }
        }
    }
    s.amounts(
        expenses_total,
        0,
        RowKind::Subtotal,
        &with_total(&shown_expenses)?,
    );
    if !total(&f.exchange)?.is_zero() {
        s.amounts(
            if jp {
                "為替差損益"
            } else {
                "Foreign exchange gains (losses)"
            },
            0,
            RowKind::Line,
            &with_total(&f.exchange)?,
        );
    }
    if !f.transfers.iter().all(|d| d.is_zero()) {
        let label = match standard {
            Standard::Sorp => "Transfers between funds",
            Standard::JpNpo => "正味財産の振替・その他",
            Standard::Asc958 => "Transfers and other changes in net assets",
        };
        s.amounts(label, 0, RowKind::Line, &with_total(&f.transfers)?);
    }
    let change = (0..n)
        .map(|k| {
            crate::money::checked_sum([
                support[k],
                -shown_expenses[k],
                f.exchange[k],
                f.transfers[k],
            ])
        })
        .collect::<Result<Columns, _>>()?;
    let (change_label, opening_label, closing_label) = match standard {
        Standard::JpNpo => (
            "当期正味財産増減額",
            "前期繰越正味財産額",
            "次期繰越正味財産額",
        ),
        Standard::Sorp => (
            "Net movement in funds",
            "Total funds brought forward",
            "Total funds carried forward",
        ),
        Standard::Asc958 => (
            "Change in net assets",
            "Net assets, beginning of year",
            "Net assets, end of year",
        ),
    };
    s.amounts(change_label, 0, RowKind::Subtotal, &with_total(&change)?);
    s.amounts(opening_label, 0, RowKind::Line, &with_total(&f.opening)?);
    let closing = (0..n)
        .map(|k| crate::money::checked_add(f.opening[k], change[k]))
        .collect::<Result<Columns, _>>()?;
    s.amounts(closing_label, 0, RowKind::Total, &with_total(&closing)?);

    // Reconcile.
    let names = standard.columns();
    for ((stated, balance), name) in closing.iter().zip(&f.closing).zip(&names) {
        if stated != balance {
            return Err(ReportError::DoesNotTie(format!(
                "{}: closing net assets in column {name:?} are {stated} by the statement but {balance} by the balances (difference {})",
                s.title,
                crate::money::checked_sub(*stated, *balance)?
            )));
        }
    }
    if !total(&releases)?.is_zero() {
        return Err(ReportError::DoesNotTie(format!(
            "releases from restriction do not net to zero: {}",
            total(&releases)?
        )));
    }
    if total(&shown_expenses)? != total(&expenses)? {
        return Err(ReportError::DoesNotTie(
            "the expense lines do not add up to the expenses by function".into(),
        ));
    }
    s.notes.push(format!(
        "Amounts in {}. Foreign currency is valued at the monthly rates of the journal's P prices on each transaction's date; each transaction's values are rounded to the {} by the largest-remainder method, so they still balance.",
        valued.base,
        if valued.precision == 0 { "unit" } else { "cent" }
    ));
    Ok(s)
}

/// The statement of financial position (貸借対照表; balance sheet) at the
/// end of `[begin, end)`.
///
/// # Errors
/// [`ReportError`] when a figure cannot be valued or does not tie.
pub fn position(
    valued: &Valued<'_>,
    standard: Standard,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<Statement, ReportError> {
    let f = Figures::cached(valued, standard, begin, end)?;
    let journal = valued.journal;
    let settings = journal.settings();
    let jp = standard == Standard::JpNpo;
    let last = end.pred_opt().unwrap_or(end);
    let title = match standard {
        Standard::JpNpo => "貸借対照表",
        Standard::Sorp => "Balance sheet",
        Standard::Asc958 => "Statement of financial position",
    };
    let mut s = Statement::new(
        "position",
        title,
        format!("{}, at {last}", settings.organisation),
        vec![if jp {
            "金額".to_string()
        } else {
            "Amount".to_string()
        }],
        &valued.base,
    );
    s.heading(if jp { "資産の部" } else { "Assets" }, 0);
    let mut assets = Decimal::ZERO;
    for (account, value) in &f.balances {
        if settings.class_of(account) == Some(AccountClass::Assets) && !value.is_zero() {
            s.amounts(
                humanize(account, &settings.report.program_names),
                1,
                RowKind::Line,
                &[*value],
            );
            super::acc(&mut assets, *value)?;
        }
    }
    if !f.interfund.is_zero() {
        // Due-to and due-from cancel out across the organisation; what is
        // left is the rounding of their base-currency values.
        let label = if jp {
            "内部貸借（相殺後の端数）"
        } else {
            "Interfund balances after elimination (rounding)"
        };
        s.amounts(label, 1, RowKind::Line, &[f.interfund]);
        super::acc(&mut assets, f.interfund)?;
    }
    s.amounts(
        if jp { "資産合計" } else { "Total assets" },
        0,
        RowKind::Total,
        &[assets],
    );
    s.heading(if jp { "負債の部" } else { "Liabilities" }, 0);
    let horizon = last
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(last);
    let (mut current, mut later, mut other) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for (account, value) in &f.balances {
        if settings.class_of(account) != Some(AccountClass::Liabilities) || value.is_zero() {
            continue;
        }
        let owed = -*value;
        let loan = settings.loans.iter().find(|l| {
            crate::query::account_matches(&l.account, account)
                || crate::query::account_matches(account, &l.account)
        });
        match loan {
            Some(l) if l.due.is_some_and(|d| d > horizon) => super::acc(&mut later, owed)?,
            Some(_) => super::acc(&mut current, owed)?,
            None if !settings.loans.is_empty()
                && account.starts_with("Liabilities:MemberLoans") =>
            {
                super::acc(&mut current, owed)?
            }
            None => {
                s.amounts(
                    humanize(account, &settings.report.program_names),
                    1,
                    RowKind::Line,
                    &[owed],
                );
                super::acc(&mut other, owed)?;
            }
        }
    }
    if !current.is_zero() || !later.is_zero() {
        s.amounts(
            if jp {
                "短期借入金（会員）"
            } else {
                "Loans from members, due within 12 months"
            },
            1,
            RowKind::Line,
            &[current],
        );
        s.amounts(
            if jp {
                "長期借入金（会員）"
            } else {
                "Loans from members, due later"
            },
            1,
            RowKind::Line,
            &[later],
        );
    }
    let liabilities = crate::money::checked_sum([current, later, other])?;
    s.amounts(
        if jp {
            "負債合計"
        } else {
            "Total liabilities"
        },
        0,
        RowKind::Subtotal,
        &[liabilities],
    );
    s.heading(
        if jp {
            "正味財産の部"
        } else {
            "Net assets"
        },
        0,
    );
    let columns = standard.columns();
    let mut net_assets = Decimal::ZERO;
    for (k, value) in f.closing.iter().enumerate() {
        s.amounts(columns[k].clone(), 1, RowKind::Line, &[*value]);
        super::acc(&mut net_assets, *value)?;
    }
    s.amounts(
        if jp {
            "正味財産合計"
        } else {
            "Total net assets"
        },
        0,
        RowKind::Subtotal,
        &[net_assets],
    );
    s.amounts(
        if jp {
            "負債及び正味財産合計"
        } else {
            "Total liabilities and net assets"
        },
        0,
        RowKind::Total,
        &[crate::money::checked_add(liabilities, net_assets)?],
    );
    let claims = crate::money::checked_add(liabilities, net_assets)?;
    if assets != claims {
        return Err(ReportError::DoesNotTie(format!(
            "assets {assets} differ from liabilities and net assets {claims} by {}",
            crate::money::checked_sub(assets, claims)?
        )));
    }
    s.notes.push(
        "Interfund receivables and payables (due to/due from) eliminate and are not shown.".into(),
    );
    Ok(s)
}

/// The analysis of funds (使途等が制約された寄付等の内訳 under the NPO
/// standard, which lists only restricted funds).
///
/// # Errors
/// [`ReportError`] when a figure cannot be valued or does not tie.
pub fn fund_analysis(
    valued: &Valued<'_>,
    standard: Standard,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<Statement, ReportError> {
    let f = Figures::cached(valued, standard, begin, end)?;
    let journal = valued.journal;
    let settings = journal.settings();
    let jp = standard == Standard::JpNpo;
    let columns: Vec<String> = if jp {
        ["期首残高", "当期増加額", "当期減少額", "振替等", "期末残高"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        [
            "Opening",
            "Income",
            "Expenditure",
            "Transfers and exchange",
            "Closing",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let title = if jp {
        "使途等が制約された寄付等の内訳"
    } else {
        "Analysis of funds"
    };
    let mut s = Statement::new(
        "funds",
        title,
        period_text(journal, begin, end),
        columns,
        &valued.base,
    );
    s.label_header = if jp { "内容".into() } else { "Fund".into() };
    let mut totals = [Decimal::ZERO; 5];
    for fund in journal.fund_ids() {
        let Some(figures) = f.funds.get(&fund) else {
            continue;
        };
        let restriction = journal.fund_restriction(fund);
        if jp && !restriction.is_donor_restricted() {
            continue;
        }
        if figures.iter().all(|d| d.is_zero()) {
            continue;
        }
        let [opening, income, expenditure, transfers, closing] = *figures;
        let rolled = crate::money::checked_sum([opening, income, -expenditure, transfers])?;
        if rolled != closing {
            return Err(ReportError::DoesNotTie(format!(
                "fund {} does not roll forward",
                journal.fund_name(fund)
            )));
        }
        let name = settings
            .fund(journal.fund_name(fund))
            .map(|s| s.name.clone())
            .unwrap_or_else(|| journal.fund_name(fund).to_string());
        s.amounts(format!("{name} ({restriction})"), 1, RowKind::Line, figures);
        for (t, v) in totals.iter_mut().zip(figures) {
            super::acc(&mut *t, *v)?;
        }
    }
    s.amounts(
        if jp { "合計" } else { "Total" },
        0,
        RowKind::Total,
        &totals,
    );
    if !jp && totals[4] != total(&f.closing)? {
        return Err(ReportError::DoesNotTie(format!(
            "the funds close at {} but net assets are {}",
            totals[4],
            total(&f.closing)?
        )));
    }
    for fund in journal.fund_ids() {
        if let Some(purpose) = settings
            .fund(journal.fund_name(fund))
            .and_then(|s| s.purpose.clone())
        {
            if f.funds.contains_key(&fund)
                && (!jp || journal.fund_restriction(fund).is_donor_restricted())
            {
                s.notes
                    .push(format!("{}: {purpose}", journal.fund_name(fund)));
            }
        }
    }
    let _ = Cell::Empty;
    Ok(s)
}

/// Expenses by nature (rows: the last part of the expense account, such as
/// Rice or Rent) and by function (columns: each programme, management and
/// general, fundraising, total).
///
/// # Errors
/// [`ReportError`] when a figure cannot be valued or does not tie.
pub fn functional(
    valued: &Valued<'_>,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<Statement, ReportError> {
    let journal = valued.journal;
    let settings = journal.settings();
    let figures = Figures::cached(valued, Standard::Asc958, begin, end)?;
    // function label → column; nature → values per column.
    let mut functions: Vec<(ExpenseKind, String)> = Vec::new();
    let mut natures: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
    let allocations = &settings.report.allocations;
    // (allocation, nature) → the shared cost to split.
    let mut shared: BTreeMap<(usize, String), Decimal> = BTreeMap::new();
    for (_, p, value) in valued.real_postings(Some(begin), end) {
        if journal.account_class(p.account) != Some(AccountClass::Expenses) {
            continue;
        }
        let account = journal.account_name(p.account);
        if let Some(k) = allocations
            .iter()
            .position(|a| crate::query::account_matches(account, &a.account))
        {
            let nature = nature_label(account);
            super::acc(shared.entry((k, nature)).or_default(), value)?;
            continue;
        }
        let account = journal.account_name(p.account);
        let part = second_part(account);
        let (kind, function) = match part {
            "Management" => (
                ExpenseKind::Management,
                "Management and general".to_string(),
            ),
            "Fundraising" => (ExpenseKind::Fundraising, "Fundraising".to_string()),
            _ => (
                ExpenseKind::Program,
                settings
                    .report
                    .program_names
                    .get(part)
                    .cloned()
                    .unwrap_or_else(|| part.to_string()),
            ),
        };
        if !functions.iter().any(|(_, f)| *f == function) {
            functions.push((kind, function.clone()));
        }
        let nature = nature_label(account);
        let cell = natures
            .entry(nature)
            .or_default()
            .entry(function)
            .or_default();
        *cell = crate::money::checked_add(*cell, value)?;
    }
    for ((k, nature), total) in shared {
        let allocation = &allocations[k];
        let labels: Vec<&String> = allocation.shares.keys().collect();
        let weights: Vec<Decimal> = allocation.shares.values().map(|s| s.0).collect();
        let parts = crate::money::allocate(total, &weights, valued.precision)?;
        for (label, part) in labels.into_iter().zip(parts) {
            let kind = match label.as_str() {
                "Management and general" => ExpenseKind::Management,
                "Fundraising" => ExpenseKind::Fundraising,
                _ => ExpenseKind::Program,
            };
            if !functions.iter().any(|(_, f)| f == label) {
                functions.push((kind, label.clone()));
            }
            let cell = natures
                .entry(nature.clone())
                .or_default()
                .entry(label.clone())
                .or_default();
            super::acc(cell, part)?;
        }
    }
    functions.sort();
    let mut columns: Vec<String> = functions.iter().map(|(_, f)| f.clone()).collect();
    columns.push("Total".into());
    let mut s = Statement::new(
        "functional",
        "Expenses by nature and function",
        period_text(journal, begin, end),
        columns,
        &valued.base,
    );
    s.label_header = "Nature of expense".into();
    let mut totals = vec![Decimal::ZERO; functions.len() + 1];
    for (nature, by_function) in &natures {
        let mut row: Vec<Decimal> = functions
            .iter()
            .map(|(_, f)| by_function.get(f).copied().unwrap_or_default())
            .collect();
        row.push(crate::money::checked_sum(row.iter().copied())?);
        for (t, v) in totals.iter_mut().zip(&row) {
            super::acc(&mut *t, *v)?;
        }
        s.amounts(nature.clone(), 1, RowKind::Line, &row);
    }
    s.amounts("Total expenses", 0, RowKind::Total, &totals);
    let expected = total(&figures.total_expenses()?)?;
    if totals.last().copied().unwrap_or_default() != expected {
        return Err(ReportError::DoesNotTie(format!(
            "expenses by function add up to {} but the statement of activities has {expected}",
            totals.last().copied().unwrap_or_default()
        )));
    }
    s.notes.push("Programme columns come from the second part of the expense accounts (report.program_names labels them).".into());
    for allocation in allocations {
        let shares: Vec<String> = allocation
            .shares
            .iter()
            .map(|(f, share)| format!("{f} {}%", share.0))
            .collect();
        s.notes.push(format!(
            "{} is shared: {}{}; the parts are rounded to the {} by the largest-remainder method, so they add up exactly.",
            allocation.account,
            shares.join(", "),
            allocation.basis.as_deref().map(|b| format!(" ({b})")).unwrap_or_default(),
            if valued.precision == 0 { "unit" } else { "cent" }
        ));
    }
    Ok(s)
}
