//! The financial statements of a period under three standards: activities,
//! financial position, the analysis of funds and functional expenses.
//!
//! Each statement is a short layout over the statement engine
//! ([`super::engine::Classified`]): which classified amounts go on which
//! line and in which column, with each standard's words. Every figure a
//! statement prints that another statement also prints is recorded as a
//! tie, and [`statements`] refuses the set unless every such figure agrees
//! on each line, column and total ([`super::engine::reconcile`]).

use chrono::NaiveDate;

use super::engine::{BalanceLine, Classified, Element, ExpenseKind, IncomeCategory};
use super::statement::{humanize, RowKind, Statement};
use super::valued::Valued;
use super::ReportError;
use crate::journal::FundId;
use crate::money::{self, Decimal};
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
    /// The word for this standard among three.
    fn pick<'a>(self, us: &'a str, ja: &'a str, uk: &'a str) -> &'a str {
        match self {
            Standard::Asc958 => us,
            Standard::JpNpo => ja,
            Standard::Sorp => uk,
        }
    }

    /// The restriction columns of this standard, with the total.
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

    /// The label of an income category.
    fn income_label(self, category: IncomeCategory) -> &'static str {
        match category {
            IncomeCategory::Membership => self.pick(
                "Membership dues",
                "受取会費",
                "Donations and legacies: membership",
            ),
            IncomeCategory::Contributions => {
                self.pick("Contributions", "受取寄附金", "Donations and legacies")
            }
            IncomeCategory::InKind => self.pick(
                "Contributed nonfinancial assets",
                "受取寄附金（現物寄附）",
                "Donations and legacies: gifts in kind",
            ),
            IncomeCategory::Grants => self.pick("Grants", "受取助成金等", "Grants"),
            IncomeCategory::Sales => self.pick(
                "Sales of self-reliance products",
                "事業収益",
                "Other trading activities",
            ),
            IncomeCategory::Other => self.pick("Other income", "その他収益", "Other income"),
        }
    }
}

/// Amounts per restriction column (without the total).
type Columns = Vec<Decimal>;

fn zeros(n: usize) -> Columns {
    vec![Decimal::ZERO; n]
}

fn total(columns: &[Decimal]) -> Result<Decimal, ReportError> {
    Ok(money::checked_sum(columns.iter().copied())?)
}

fn with_total(columns: &[Decimal]) -> Result<Columns, ReportError> {
    let mut out = columns.to_vec();
    out.push(total(columns)?);
    Ok(out)
}

fn add_into(target: &mut [Decimal], other: &[Decimal]) -> Result<(), ReportError> {
    for (t, o) in target.iter_mut().zip(other) {
        super::acc(t, *o)?;
    }
    Ok(())
}

fn period_text(journal: &crate::Journal, begin: NaiveDate, end: NaiveDate) -> String {
    let last = end.pred_opt().unwrap_or(end);
    let organisation = &journal.settings().organisation;
    format!("{organisation}, {begin} to {last}")
}

/// The statements of one period, built from one classification and
/// reconciled with each other.
#[derive(Clone, Debug)]
pub struct StatementSet {
    /// The statement of activities (活動計算書; SoFA).
    pub activities: Statement,
    /// The statement of financial position (貸借対照表; balance sheet).
    pub position: Statement,
    /// The analysis of funds.
    pub funds: Statement,
    /// Expenses by nature and function.
    pub functional: Statement,
    /// Programme outputs and their cost per unit.
    pub outputs: Vec<Statement>,
}

/// Builds every statement of `[begin, end)` under `standard` from one
/// classification of the journal, and refuses them unless they tie with
/// each other line by line.
///
/// # Errors
/// [`ReportError::DoesNotTie`] naming the lines that differ; any figure
/// that cannot be valued.
pub fn statements(
    valued: &Valued<'_>,
    standard: Standard,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<StatementSet, ReportError> {
    let c = Classified::new(valued, begin, end)?;
    let set = StatementSet {
        activities: activities(&c, standard)?,
        position: position(&c, standard)?,
        funds: fund_analysis(&c, standard)?,
        functional: functional(&c, standard)?,
        outputs: super::board::outputs(&c)?,
    };
    super::engine::reconcile(
        [&set.activities, &set.position, &set.funds, &set.functional]
            .into_iter()
            .chain(&set.outputs),
    )?;
    Ok(set)
}

/// Per fund in the period, how its net assets are presented: the opening
/// and closing of its own column and of the unrestricted column (a
/// restricted fund's deficit), and its release from restriction.
struct Presentation {
    bucket: usize,
    opening: (Decimal, Decimal),
    closing: (Decimal, Decimal),
    /// The change in the deficit borne by unrestricted net assets.
    deficit_cover: Decimal,
}

fn presentation(
    c: &Classified<'_, '_>,
    standard: Standard,
    fund: FundId,
) -> Result<Presentation, ReportError> {
    let f = &c.funds[&fund];
    let opening = c.presented(fund, f.opening);
    let closing = c.presented(fund, f.closing()?);
    Ok(Presentation {
        bucket: standard.bucket(c.restriction(fund)),
        opening,
        closing,
        deficit_cover: money::checked_sub(-closing.1, -opening.1)?,
    })
}

/// The statement of activities (活動計算書; statement of financial
/// activities).
fn activities(c: &Classified<'_, '_>, standard: Standard) -> Result<Statement, ReportError> {
    let journal = c.valued.journal;
    let n = standard.buckets();
    let jp = standard == Standard::JpNpo;
    let names = standard.columns();
    let mut s = Statement::new(
        "activities",
        standard.pick(
            "Statement of activities",
            "活動計算書",
            "Statement of financial activities",
        ),
        period_text(journal, c.begin, c.end),
        names.clone(),
        &c.valued.base,
    );
    // Column vectors of the movements, by fund class.
    let by_bucket = |select: &dyn Fn(Element) -> bool| -> Result<Columns, ReportError> {
        let mut out = zeros(n);
        for (fund, element, change) in c.movements() {
            if select(element) {
                super::acc(&mut out[standard.bucket(c.restriction(fund))], change)?;
            }
        }
        Ok(out)
    };
    let mut opening = zeros(n);
    let mut closing_presented = zeros(n);
    let mut releases = zeros(n);
    let mut cover = zeros(n);
    for (&fund, f) in &c.funds {
        let p = presentation(c, standard, fund)?;
        super::acc(&mut opening[p.bucket], p.opening.0)?;
        super::acc(&mut opening[0], p.opening.1)?;
        super::acc(&mut closing_presented[p.bucket], p.closing.0)?;
        super::acc(&mut closing_presented[0], p.closing.1)?;
        if p.bucket != 0 {
            // A restricted fund's spending is released to the unrestricted
            // column, capped at what the fund holds (ASC 958, the NPO
            // standard); under the SORP its deficit is a transfer.
            let released = money::checked_sub(f.expenses, p.deficit_cover)?;
            super::acc(&mut releases[0], released)?;
            super::acc(&mut releases[p.bucket], -released)?;
            super::acc(&mut cover[p.bucket], p.deficit_cover)?;
            super::acc(&mut cover[0], -p.deficit_cover)?;
        }
    }

    // Revenue.
    s.heading(
        standard.pick(
            "Revenue, gains and other support",
            "経常収益",
            "Income and endowments from",
        ),
        0,
    );
    let mut revenue = zeros(n);
    for category in IncomeCategory::ALL {
        let columns = by_bucket(&|e| e == Element::Income(category))?;
        if columns.iter().all(|v| v.is_zero())
            && !c
                .movements()
                .any(|(_, e, _)| e == Element::Income(category))
        {
            continue;
        }
        let label = standard.income_label(category);
        s.amounts(label, 1, RowKind::Line, &with_total(&columns)?);
        for (k, v) in columns.iter().enumerate() {
            s.tie(
                format!("income/{}/{k}", category.key()),
                format!("{label} / {}", names[k]),
                *v,
            );
        }
        add_into(&mut revenue, &columns)?;
    }
    for (k, v) in revenue.iter().enumerate() {
        s.tie(
            format!("income/total/{k}"),
            format!("revenue / {}", names[k]),
            *v,
        );
    }
    let mut support = revenue.clone();
    if standard != Standard::Sorp {
        let label = standard.pick(
            "Net assets released from restrictions",
            "指定正味財産からの振替額",
            "",
        );
        s.amounts(label, 1, RowKind::Line, &with_total(&releases)?);
        add_into(&mut support, &releases)?;
    }
    s.amounts(
        standard.pick("Total revenue and support", "経常収益計", "Total income"),
        0,
        RowKind::Subtotal,
        &with_total(&support)?,
    );

    // Expenses.
    s.heading(standard.pick("Expenses", "経常費用", "Expenditure on"), 0);
    let expenses = match standard {
        Standard::Asc958 => expenses_by_function(c, &mut s, n)?,
        Standard::JpNpo => expenses_by_nature(c, &mut s, n)?,
        Standard::Sorp => expenses_by_activity(c, &mut s)?,
    };
    let total_label = standard.pick("Total expenses", "経常費用計", "Total expenditure");
    s.amounts(total_label, 0, RowKind::Subtotal, &with_total(&expenses)?);
    s.tie("expenses/total", total_label, total(&expenses)?);
    if standard == Standard::Sorp {
        for (k, v) in expenses.iter().enumerate() {
            s.tie(
                format!("expenses/by-fund-class/{k}"),
                format!("{total_label} / {}", names[k]),
                *v,
            );
        }
    }

    let exchange = by_bucket(&|e| e == Element::Exchange)?;
    let exchange_label = standard.pick(
        "Foreign exchange gains (losses)",
        "為替差損益",
        "Net gains (losses) on foreign exchange",
    );
    if exchange.iter().any(|v| !v.is_zero()) {
        s.amounts(exchange_label, 0, RowKind::Line, &with_total(&exchange)?);
    }
    for (k, v) in exchange.iter().enumerate() {
        s.tie(
            format!("exchange/{k}"),
            format!("{exchange_label} / {}", names[k]),
            *v,
        );
    }
    let mut transfers = by_bucket(&|e| e == Element::Transfer)?;
    if standard == Standard::Sorp {
        add_into(&mut transfers, &cover)?;
    }
    let transfers_label = standard.pick(
        "Transfers and other changes in net assets",
        "正味財産の振替・その他",
        "Transfers between funds",
    );
    if transfers.iter().any(|v| !v.is_zero()) {
        s.amounts(transfers_label, 0, RowKind::Line, &with_total(&transfers)?);
    }
    let change = (0..n)
        .map(|k| money::checked_sum([support[k], -expenses[k], exchange[k], transfers[k]]))
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
    s.amounts(opening_label, 0, RowKind::Line, &with_total(&opening)?);
    let closing = (0..n)
        .map(|k| money::checked_add(opening[k], change[k]))
        .collect::<Result<Columns, _>>()?;
    s.amounts(closing_label, 0, RowKind::Total, &with_total(&closing)?);
    for (k, v) in closing.iter().enumerate() {
        s.tie(
            format!("net-assets/closing/{k}"),
            format!("{closing_label} / {}", names[k]),
            *v,
        );
    }
    // The flows close where the presented balances do (a fundledger bug
    // otherwise, caught before anything prints).
    if closing != closing_presented {
        return Err(ReportError::DoesNotTie(format!(
            "{}: closing net assets by column are {closing:?} by the movements but {closing_presented:?} by the funds' balances",
            s.title
        )));
    }
    if !total(&releases)?.is_zero() {
        return Err(ReportError::DoesNotTie(format!(
            "releases from restriction do not net to zero: {}",
            total(&releases)?
        )));
    }
    if jp {
        s.notes.push(format!(
            "金額の単位：{}。外貨建取引は取引日の P 価格（月次レート）で換算し、取引ごとに最大剰余法で円単位に丸めています。",
            c.valued.base
        ));
    } else {
        s.notes.push(format!(
            "Amounts in {}. Foreign currency is valued at the journal's P prices (monthly rates) on each transaction's date; each transaction's values are rounded to the {} by the largest-remainder method, so they still balance.",
            c.valued.base,
            if c.valued.precision == 0 { "unit" } else { "cent" }
        ));
    }
    Ok(s)
}

/// ASC 958: programme services and supporting services, one line per
/// function, all in the column without donor restrictions.
fn expenses_by_function(
    c: &Classified<'_, '_>,
    s: &mut Statement,
    n: usize,
) -> Result<Columns, ReportError> {
    let mut all = zeros(n);
    for (heading, kinds, subtotal) in [
        (
            "Program services",
            &[ExpenseKind::Program][..],
            "Total program services",
        ),
        (
            "Supporting services",
            &[ExpenseKind::Management, ExpenseKind::Fundraising][..],
            "Total supporting services",
        ),
    ] {
        let members: Vec<usize> = (0..c.functions.len())
            .filter(|&k| kinds.contains(&c.functions[k].kind))
            .collect();
        if members.is_empty() {
            continue;
        }
        s.heading(heading, 1);
        let mut group = zeros(n);
        for &k in &members {
            let function = &c.functions[k];
            let spent = c.expenses(|f, _, _| f == k)?;
            let mut columns = zeros(n);
            columns[0] = spent;
            s.amounts(
                function.label.clone(),
                2,
                RowKind::Line,
                &with_total(&columns)?,
            );
            s.tie(
                format!("expenses/function/{}", function.id),
                function.label.clone(),
                spent,
            );
            add_into(&mut group, &columns)?;
        }
        s.amounts(subtotal, 1, RowKind::Subtotal, &with_total(&group)?);
        let key = if kinds[0] == ExpenseKind::Program {
            "expenses/programs"
        } else {
            "expenses/support"
        };
        s.tie(key, subtotal, total(&group)?);
        add_into(&mut all, &group)?;
    }
    Ok(all)
}

/// The NPO standard: 事業費 and 管理費, each split into 人件費 and その他経費
/// by nature, all in the 一般正味財産 column.
fn expenses_by_nature(
    c: &Classified<'_, '_>,
    s: &mut Statement,
    n: usize,
) -> Result<Columns, ReportError> {
    let mut all = zeros(n);
    for (number, heading, programs, subtotal, key) in [
        ("1", "事業費", true, "事業費計", "program"),
        ("2", "管理費", false, "管理費計", "support"),
    ] {
        let in_group =
            |function: usize| (c.functions[function].kind == ExpenseKind::Program) == programs;
        let group_total = c.expenses(|f, _, _| in_group(f))?;
        if group_total.is_zero() && !(0..c.functions.len()).any(in_group) {
            continue;
        }
        s.heading(format!("{number} {heading}"), 1);
        for (part, personnel, part_total) in [
            ("(1) 人件費", true, "人件費計"),
            ("(2) その他経費", false, "その他経費計"),
        ] {
            let mut part_sum = Decimal::ZERO;
            let mut headed = false;
            for (k, nature) in c.natures.iter().enumerate() {
                if nature.personnel != personnel {
                    continue;
                }
                let spent = c.expenses(|f, m, _| m == k && in_group(f))?;
                if spent.is_zero() {
                    continue;
                }
                if !headed {
                    s.heading(part, 2);
                    headed = true;
                }
                let mut columns = zeros(n);
                columns[0] = spent;
                s.amounts(
                    nature.label_ja.clone(),
                    3,
                    RowKind::Line,
                    &with_total(&columns)?,
                );
                s.tie(
                    format!("expenses/nature/{}/{key}", nature.id),
                    format!("{heading} {}", nature.label_ja),
                    spent,
                );
                super::acc(&mut part_sum, spent)?;
            }
            if headed {
                let mut columns = zeros(n);
                columns[0] = part_sum;
                s.amounts(part_total, 2, RowKind::Subtotal, &with_total(&columns)?);
            }
        }
        let mut columns = zeros(n);
        columns[0] = group_total;
        s.amounts(subtotal, 1, RowKind::Subtotal, &with_total(&columns)?);
        s.tie(
            if programs {
                "expenses/programs"
            } else {
                "expenses/support"
            },
            subtotal,
            group_total,
        );
        add_into(&mut all, &columns)?;
    }
    Ok(all)
}

/// The SORP: raising funds, then charitable activities per programme in
/// each fund's own column, with support costs (management, governance)
/// allocated to the activities in proportion to their direct costs.
fn expenses_by_activity(c: &Classified<'_, '_>, s: &mut Statement) -> Result<Columns, ReportError> {
    let standard = Standard::Sorp;
    let n = standard.buckets();
    let by_bucket = |select: &dyn Fn(usize) -> bool| -> Result<Columns, ReportError> {
        let mut out = zeros(n);
        for (fund, element, change) in c.movements() {
            if let Element::Expense { function, .. } = element {
                if select(function) {
                    super::acc(&mut out[standard.bucket(c.restriction(fund))], -change)?;
                }
            }
        }
        Ok(out)
    };
    let programs: Vec<usize> = (0..c.functions.len())
        .filter(|&k| c.functions[k].kind == ExpenseKind::Program)
        .collect();
    let mut all = zeros(n);
    let raising = by_bucket(&|f| c.functions[f].kind == ExpenseKind::Fundraising)?;
    if raising.iter().any(|v| !v.is_zero()) {
        s.amounts("Raising funds", 1, RowKind::Line, &with_total(&raising)?);
        add_into(&mut all, &raising)?;
    }
    let support = by_bucket(&|f| c.functions[f].kind == ExpenseKind::Management)?;
    let direct: Vec<Columns> = programs
        .iter()
        .map(|&p| by_bucket(&|f| f == p))
        .collect::<Result<_, _>>()?;
    let weights: Vec<Decimal> = direct.iter().map(|d| total(d)).collect::<Result<_, _>>()?;
    let mut lines = direct.clone();
    if !programs.is_empty() && !total(&weights)?.is_zero() {
        for k in 0..n {
            let parts = money::allocate(support[k], &weights, c.valued.precision)?;
            for (line, part) in lines.iter_mut().zip(parts) {
                super::acc(&mut line[k], part)?;
            }
        }
    } else if support.iter().any(|v| !v.is_zero()) {
        s.amounts(
            "Other: support costs",
            1,
            RowKind::Line,
            &with_total(&support)?,
        );
        add_into(&mut all, &support)?;
    }
    if !programs.is_empty() {
        s.heading("Charitable activities", 1);
        for (&p, line) in programs.iter().zip(&lines) {
            s.amounts(
                c.functions[p].label.clone(),
                2,
                RowKind::Line,
                &with_total(line)?,
            );
            add_into(&mut all, line)?;
        }
        if support.iter().any(|v| !v.is_zero()) {
            s.notes.push("Support costs (management and governance) are allocated to the charitable activities in proportion to their direct costs, by the largest-remainder method.".into());
        }
    }
    Ok(all)
}

/// The statement of financial position (貸借対照表; balance sheet) at the
/// end of the period, from the balances of assets and liabilities.
fn position(c: &Classified<'_, '_>, standard: Standard) -> Result<Statement, ReportError> {
    let journal = c.valued.journal;
    let settings = journal.settings();
    let jp = standard == Standard::JpNpo;
    let last = c.end.pred_opt().unwrap_or(c.end);
    let mut s = Statement::new(
        "position",
        standard.pick(
            "Statement of financial position",
            "貸借対照表",
            "Balance sheet",
        ),
        format!("{}, at {last}", settings.organisation),
        vec![standard.pick("Amount", "金額", "Amount").to_string()],
        &c.valued.base,
    );
    let names = &settings.report.program_names;
    s.heading(standard.pick("Assets", "資産の部", "Assets"), 0);
    let mut assets = Decimal::ZERO;
    for line in c.balances.keys() {
        if let BalanceLine::Asset(account) = line {
            let value = c.balance(line)?;
            if !value.is_zero() {
                s.amounts(humanize(account, names), 1, RowKind::Line, &[value]);
                super::acc(&mut assets, value)?;
            }
        }
    }
    let interfund = c.balance(&BalanceLine::Interfund)?;
    if !interfund.is_zero() {
        // Due-to and due-from cancel out across the organisation; what is
        // left is the rounding of their base-currency values.
        s.amounts(
            standard.pick(
                "Interfund balances after elimination (rounding)",
                "内部貸借（相殺後の端数）",
                "Interfund balances after elimination (rounding)",
            ),
            1,
            RowKind::Line,
            &[interfund],
        );
        super::acc(&mut assets, interfund)?;
    }
    let assets_label = standard.pick("Total assets", "資産合計", "Total assets");
    s.amounts(assets_label, 0, RowKind::Total, &[assets]);

    s.heading(standard.pick("Liabilities", "負債の部", "Liabilities"), 0);
    let horizon = last
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(last);
    let (mut current, mut later, mut other) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for line in c.balances.keys() {
        let BalanceLine::Liability(account) = line else {
            continue;
        };
        let owed = -c.balance(line)?;
        if owed.is_zero() {
            continue;
        }
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
                s.amounts(humanize(account, names), 1, RowKind::Line, &[owed]);
                super::acc(&mut other, owed)?;
            }
        }
    }
    if !current.is_zero() || !later.is_zero() {
        s.amounts(
            standard.pick(
                "Loans from members, due within 12 months",
                "短期借入金（会員）",
                "Loans from members, due within one year",
            ),
            1,
            RowKind::Line,
            &[current],
        );
        s.amounts(
            standard.pick(
                "Loans from members, due later",
                "長期借入金（会員）",
                "Loans from members, due after one year",
            ),
            1,
            RowKind::Line,
            &[later],
        );
        s.tie(
            "liabilities/member-loans",
            "loans from members",
            money::checked_add(current, later)?,
        );
    }
    let liabilities = money::checked_sum([current, later, other])?;
    s.amounts(
        standard.pick("Total liabilities", "負債合計", "Total liabilities"),
        0,
        RowKind::Subtotal,
        &[liabilities],
    );

    s.heading(
        standard.pick("Net assets", "正味財産の部", "The funds of the charity"),
        0,
    );
    let columns = standard.columns();
    let mut by_class = zeros(standard.buckets());
    for (&fund, f) in &c.funds {
        let (own, deficit) = c.presented(fund, f.closing_by_balances);
        super::acc(&mut by_class[standard.bucket(c.restriction(fund))], own)?;
        super::acc(&mut by_class[0], deficit)?;
    }
    let mut net_assets = Decimal::ZERO;
    for (k, value) in by_class.iter().enumerate() {
        s.amounts(columns[k].clone(), 1, RowKind::Line, &[*value]);
        s.tie(
            format!("net-assets/closing/{k}"),
            columns[k].clone(),
            *value,
        );
        super::acc(&mut net_assets, *value)?;
    }
    s.amounts(
        standard.pick("Total net assets", "正味財産合計", "Total funds"),
        0,
        RowKind::Subtotal,
        &[net_assets],
    );
    let claims = money::checked_add(liabilities, net_assets)?;
    s.amounts(
        standard.pick(
            "Total liabilities and net assets",
            "負債及び正味財産合計",
            "Total liabilities and funds",
        ),
        0,
        RowKind::Total,
        &[claims],
    );
    if assets != claims {
        return Err(ReportError::DoesNotTie(format!(
            "{}: assets {assets} differ from liabilities and net assets {claims} by {}",
            s.title,
            money::checked_sub(assets, claims)?
        )));
    }
    let designated: Vec<String> = c
        .funds
        .keys()
        .filter(|&&f| c.restriction(f) == Restriction::BoardDesignated)
        .map(|&f| {
            let name = settings
                .fund(journal.fund_name(f))
                .map(|s| s.name.clone())
                .unwrap_or_else(|| journal.fund_name(f).to_string());
            format!(
                "{name} {}",
                crate::render::grouped(c.funds[&f].closing_by_balances)
            )
        })
        .collect();
    if jp {
        s.notes
            .push("内部貸借（他の基金に対する債権・債務）は相殺消去しています。".into());
    } else {
        s.notes.push(
            "Interfund receivables and payables (due to/due from) eliminate and are not shown."
                .into(),
        );
        if !designated.is_empty() {
            s.notes.push(format!(
                "Net assets without donor restrictions include amounts designated by the board: {} ({}).",
                designated.join(", "),
                c.valued.base
            ));
        }
    }
    Ok(s)
}

/// The analysis of funds: each fund's opening, income, expenditure,
/// exchange results, transfers and closing (使途等が制約された寄付等の内訳
/// under the NPO standard, which lists only restricted funds).
fn fund_analysis(c: &Classified<'_, '_>, standard: Standard) -> Result<Statement, ReportError> {
    let journal = c.valued.journal;
    let settings = journal.settings();
    let jp = standard == Standard::JpNpo;
    let headers: &[&str] = if jp {
        &[
            "期首残高",
            "当期増加額",
            "当期減少額",
            "為替差損益",
            "振替等",
            "期末残高",
        ]
    } else {
        &[
            "Opening",
            "Income",
            "Expenditure",
            "Exchange gains (losses)",
            "Transfers",
            "Closing",
        ]
    };
    let mut s = Statement::new(
        "funds",
        if jp {
            "使途等が制約された寄付等の内訳"
        } else {
            "Analysis of funds"
        },
        period_text(journal, c.begin, c.end),
        headers.iter().map(|h| h.to_string()).collect(),
        &c.valued.base,
    );
    s.label_header = if jp { "内容".into() } else { "Fund".into() };
    let n = standard.buckets();
    let mut totals = [Decimal::ZERO; 6];
    let mut income_by_class = zeros(n);
    let mut expenses_by_class = zeros(n);
    let mut closing_by_class = zeros(n);
    let mut listed_all = vec![true; n];
    for fund in journal.fund_ids() {
        let Some(f) = c.funds.get(&fund) else {
            continue;
        };
        let restriction = c.restriction(fund);
        let bucket = standard.bucket(restriction);
        let p = presentation(c, standard, fund)?;
        super::acc(&mut closing_by_class[bucket], p.closing.0)?;
        super::acc(&mut closing_by_class[0], p.closing.1)?;
        super::acc(&mut income_by_class[bucket], f.income)?;
        super::acc(&mut expenses_by_class[bucket], f.expenses)?;
        if jp && !restriction.is_donor_restricted() {
            listed_all[bucket] = false;
            continue;
        }
        let closing = f.closing()?;
        let row = [
            f.opening,
            f.income,
            f.expenses,
            f.exchange,
            f.transfers,
            closing,
        ];
        if row.iter().all(|d| d.is_zero()) {
            continue;
        }
        let id = journal.fund_name(fund);
        let name = settings
            .fund(id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| id.to_string());
        let label = if jp {
            name
        } else {
            format!("{name} ({restriction})")
        };
        s.amounts(label.clone(), 1, RowKind::Line, &row);
        for (k, key) in [
            "opening",
            "income",
            "expenses",
            "exchange",
            "transfers",
            "closing",
        ]
        .iter()
        .enumerate()
        {
            s.tie(
                format!("fund/{id}/{key}"),
                format!("{label} / {}", headers[k]),
                row[k],
            );
            super::acc(&mut totals[k], row[k])?;
        }
    }
    s.amounts(
        if jp { "合計" } else { "Total" },
        0,
        RowKind::Total,
        &totals,
    );
    let names = standard.columns();
    for k in 0..n {
        if !listed_all[k] {
            continue;
        }
        s.tie(
            format!("income/total/{k}"),
            format!("income of the {} funds", names[k]),
            income_by_class[k],
        );
        s.tie(
            format!("expenses/by-fund-class/{k}"),
            format!("expenditure of the {} funds", names[k]),
            expenses_by_class[k],
        );
    }
    if listed_all.iter().all(|&l| l) {
        for (k, v) in closing_by_class.iter().enumerate() {
            s.tie(
                format!("net-assets/closing/{k}"),
                format!("closing of the {} funds", names[k]),
                *v,
            );
        }
        s.tie("expenses/total", "total expenditure", totals[2]);
    } else {
        // Only restricted funds are listed: they close at the restricted
        // net assets.
        s.tie("net-assets/closing/1", "期末残高 合計", closing_by_class[1]);
    }
    for fund in journal.fund_ids() {
        let listed =
            c.funds.contains_key(&fund) && (!jp || c.restriction(fund).is_donor_restricted());
        if let (true, Some(purpose)) = (
            listed,
            settings
                .fund(journal.fund_name(fund))
                .and_then(|s| s.purpose.clone()),
        ) {
            let name = settings
                .fund(journal.fund_name(fund))
                .map(|s| s.name.clone())
                .unwrap_or_default();
            s.notes.push(format!("{name}: {purpose}"));
        }
    }
    Ok(s)
}

/// Expenses by nature (rows) and by function (columns: each programme,
/// the programmes' total, management and general, fundraising, total).
fn functional(c: &Classified<'_, '_>, standard: Standard) -> Result<Statement, ReportError> {
    let journal = c.valued.journal;
    let settings = journal.settings();
    let jp = standard == Standard::JpNpo;
    let label_of = |k: usize| {
        if jp {
            c.functions[k].label_ja.clone()
        } else {
            c.functions[k].label.clone()
        }
    };
    let programs: Vec<usize> = (0..c.functions.len())
        .filter(|&k| c.functions[k].kind == ExpenseKind::Program)
        .collect();
    let supporting: Vec<usize> = (0..c.functions.len())
        .filter(|&k| c.functions[k].kind != ExpenseKind::Program)
        .collect();
    let mut columns: Vec<String> = programs.iter().map(|&k| label_of(k)).collect();
    columns.push(
        standard
            .pick(
                "Total program services",
                "事業部門計",
                "Total charitable activities",
            )
            .into(),
    );
    columns.extend(supporting.iter().map(|&k| label_of(k)));
    columns.push(standard.pick("Total", "合計", "Total").into());
    let mut s = Statement::new(
        "functional",
        standard.pick(
            "Statement of functional expenses",
            "事業費の内訳（事業別・形態別）",
            "Analysis of expenditure by activity and nature",
        ),
        period_text(journal, c.begin, c.end),
        columns.clone(),
        &c.valued.base,
    );
    s.label_header = standard
        .pick("Nature of expense", "科目", "Nature of expenditure")
        .into();
    let mut totals = vec![Decimal::ZERO; columns.len()];
    for (m, nature) in c.natures.iter().enumerate() {
        let mut row = Vec::with_capacity(columns.len());
        for &k in &programs {
            row.push(c.expenses(|f, mm, _| f == k && mm == m)?);
        }
        let program_total = total(&row)?;
        row.push(program_total);
        let mut support_total = Decimal::ZERO;
        for &k in &supporting {
            let v = c.expenses(|f, mm, _| f == k && mm == m)?;
            super::acc(&mut support_total, v)?;
            row.push(v);
        }
        let all = money::checked_add(program_total, support_total)?;
        row.push(all);
        if row.iter().all(|v| v.is_zero()) {
            continue;
        }
        let label = if jp { &nature.label_ja } else { &nature.label };
        s.amounts(label.clone(), 1, RowKind::Line, &row);
        s.tie(
            format!("expenses/nature/{}/program", nature.id),
            format!("{label} / {}", columns[programs.len()]),
            program_total,
        );
        s.tie(
            format!("expenses/nature/{}/support", nature.id),
            format!("{label} / supporting"),
            support_total,
        );
        add_into(&mut totals, &row)?;
    }
    let total_label = standard.pick("Total expenses", "合計", "Total expenditure");
    s.amounts(total_label, 0, RowKind::Total, &totals);
    for (i, &k) in programs.iter().enumerate() {
        s.tie(
            format!("expenses/function/{}", c.functions[k].id),
            format!("{total_label} / {}", columns[i]),
            totals[i],
        );
    }
    for (i, &k) in supporting.iter().enumerate() {
        let col = programs.len() + 1 + i;
        s.tie(
            format!("expenses/function/{}", c.functions[k].id),
            format!("{total_label} / {}", columns[col]),
            totals[col],
        );
    }
    s.tie(
        "expenses/programs",
        format!("{total_label} / {}", columns[programs.len()]),
        totals[programs.len()],
    );
    let support_sum =
        money::checked_sum(totals[programs.len() + 1..totals.len() - 1].iter().copied())?;
    s.tie(
        "expenses/support",
        format!("{total_label} / supporting"),
        support_sum,
    );
    s.tie(
        "expenses/total",
        total_label,
        totals.last().copied().unwrap_or_default(),
    );
    if !jp {
        s.notes.push("Each expense is classified once by nature (what was bought) and by function (the programme or supporting service it served); the statement of activities and the analysis of funds add up the same classified amounts.".into());
    }
    for allocation in &settings.report.allocations {
        let shares: Vec<String> = allocation
            .shares
            .iter()
            .map(|(f, share)| format!("{f} {}%", share.0))
            .collect();
        s.notes.push(format!(
            "{} is shared: {}{}; each payment is split when it is made, rounded to the {} by the largest-remainder method, so the parts add up exactly.",
            humanize(&allocation.account, &settings.report.program_names),
            shares.join(", "),
            allocation.basis.as_deref().map(|b| format!(" ({b})")).unwrap_or_default(),
            if c.valued.precision == 0 { "unit" } else { "cent" }
        ));
    }
    let _ = AccountClass::Expenses;
    Ok(s)
}
