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
use super::statement::{Language, RowKind, Statement};
use super::valued::Valued;
use super::ReportError;
use crate::model::journal::FundId;
use crate::model::money::{self, Decimal};
use crate::model::settings::{AccountClass, Restriction};

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
    /// The inventory of assets and liabilities (財産目録).
    pub inventory: Statement,
    /// The statement of cash flows.
    pub cashflows: Statement,
    /// The notes, in the order the standard sets.
    pub notes: Vec<Statement>,
    /// Programme outputs and their cost per unit.
    pub outputs: Vec<Statement>,
}

impl StatementSet {
    /// The statements (not the outputs or the notes), in filing order.
    pub fn statements(&self) -> [&Statement; 6] {
        [
            &self.activities,
            &self.position,
            &self.funds,
            &self.functional,
            &self.inventory,
            &self.cashflows,
        ]
    }
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
    // The previous year, for the notes' comparatives, when the journal has
    // transactions in it.
    let previous = match previous_year(valued, begin) {
        Some(b) => Some(Built::new(valued, standard, b, begin)?),
        None => None,
    };
    Built::new(valued, standard, begin, end)?.with_notes(standard, previous.map(|p| p.set).as_ref())
}

/// The first day of the year before `begin`, when the journal has
/// transactions in `[that day, begin)`: the period whose statements the
/// notes of `[begin, …)` compare with.
pub(crate) fn previous_year(valued: &Valued<'_>, begin: NaiveDate) -> Option<NaiveDate> {
    let previous_begin = begin.checked_sub_months(chrono::Months::new(12))?;
    valued
        .journal
        .transactions()
        .iter()
        .any(|t| t.date >= previous_begin && t.date < begin)
        .then_some(previous_begin)
}

/// The statements of one period, reconciled with each other, and the
/// classification they were built from (which the notes read too).
pub(crate) struct Built<'v, 'j> {
    /// The classification of `[begin, end)`.
    pub(crate) classified: Classified<'v, 'j>,
    /// The statements, without their notes.
    pub(crate) set: StatementSet,
}

impl<'v, 'j> Built<'v, 'j> {
    /// Classifies `[begin, end)`, builds its statements and reconciles them.
    pub(crate) fn new(
        valued: &'v Valued<'j>,
        standard: Standard,
        begin: NaiveDate,
        end: NaiveDate,
    ) -> Result<Built<'v, 'j>, ReportError> {
        Built::of(Classified::new(valued, begin, end)?, standard, None)
    }

    /// Builds the statements of `c`'s period and reconciles them; the SoFA
    /// shares out its support costs as `columns` says when given (a
    /// statement in columns), by the period's own direct costs otherwise.
    pub(crate) fn of(
        c: Classified<'v, 'j>,
        standard: Standard,
        columns: Option<&ColumnSupport>,
    ) -> Result<Built<'v, 'j>, ReportError> {
        let set = StatementSet {
            activities: activities(&c, standard, columns)?,
            position: position(&c, standard)?,
            funds: fund_analysis(&c, standard)?,
            functional: functional(&c, standard)?,
            inventory: inventory(&c, standard)?,
            cashflows: super::filing::cashflows(&c, standard)?,
            outputs: super::board::outputs(&c, super::words::language_of(standard))?,
            notes: Vec::new(),
        };
        super::engine::reconcile(set.statements().into_iter().chain(&set.outputs))?;
        Ok(Built { classified: c, set })
    }

    /// The notes of the period (given the previous year's statements, when
    /// there are some).
    pub(crate) fn notes(
        &self,
        standard: Standard,
        previous: Option<&StatementSet>,
    ) -> Result<Vec<Statement>, ReportError> {
        super::filing::notes(&self.classified, standard, &self.set, previous)
    }

    /// The whole set: the statements and their notes.
    pub(crate) fn with_notes(
        self,
        standard: Standard,
        previous: Option<&StatementSet>,
    ) -> Result<StatementSet, ReportError> {
        let notes = self.notes(standard, previous)?;
        Ok(StatementSet { notes, ..self.set })
    }
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

/// The movements of net assets by restriction column, as every layout of
/// the statement of activities reads them.
struct ColumnMovements {
    n: usize,
    opening: Columns,
    closing_presented: Columns,
    /// Releases from restriction (ASC 958, the NPO standard).
    releases: Columns,
    /// Restricted deficits borne by the unrestricted column (SORP
    /// transfers).
    cover: Columns,
    exchange: Columns,
    transfers: Columns,
    income: Vec<(IncomeCategory, Columns)>,
}

fn column_movements(
    c: &Classified<'_, '_>,
    standard: Standard,
) -> Result<ColumnMovements, ReportError> {
    let n = standard.buckets();
    let by_bucket = |select: &dyn Fn(Element) -> bool| -> Result<Columns, ReportError> {
        let mut out = zeros(n);
        for (fund, element, change) in c.movements() {
            if select(element) {
                super::acc(&mut out[standard.bucket(c.restriction(fund))], change)?;
            }
        }
        Ok(out)
    };
    let mut m = ColumnMovements {
        n,
        opening: zeros(n),
        closing_presented: zeros(n),
        releases: zeros(n),
        cover: zeros(n),
        exchange: by_bucket(&|e| e == Element::Exchange)?,
        transfers: by_bucket(&|e| e == Element::Transfer)?,
        income: Vec::new(),
    };
    for category in IncomeCategory::ALL {
        if c.movements()
            .any(|(_, e, _)| e == Element::Income(category))
        {
            m.income
                .push((category, by_bucket(&|e| e == Element::Income(category))?));
        }
    }
    for (&fund, f) in &c.funds {
        let p = presentation(c, standard, fund)?;
        super::acc(&mut m.opening[p.bucket], p.opening.0)?;
        super::acc(&mut m.opening[0], p.opening.1)?;
        super::acc(&mut m.closing_presented[p.bucket], p.closing.0)?;
        super::acc(&mut m.closing_presented[0], p.closing.1)?;
        if p.bucket != 0 {
            // A restricted fund's spending is released to the unrestricted
            // column, capped at what the fund holds (ASC 958, the NPO
            // standard); under the SORP its deficit is a transfer.
            let released = money::checked_sub(f.expenses, p.deficit_cover)?;
            super::acc(&mut m.releases[0], released)?;
            super::acc(&mut m.releases[p.bucket], -released)?;
            super::acc(&mut m.cover[p.bucket], p.deficit_cover)?;
            super::acc(&mut m.cover[0], -p.deficit_cover)?;
        }
    }
    if !total(&m.releases)?.is_zero() {
        return Err(ReportError::DoesNotTie(format!(
            "releases from restriction do not net to zero: {}",
            total(&m.releases)?
        )));
    }
    Ok(m)
}

/// The statement of activities (活動計算書; statement of financial
/// activities).
fn activities(
    c: &Classified<'_, '_>,
    standard: Standard,
    columns: Option<&ColumnSupport>,
) -> Result<Statement, ReportError> {
    if standard == Standard::JpNpo {
        return activities_npo(c);
    }
    let journal = c.valued.journal;
    let names = standard.columns();
    let m = column_movements(c, standard)?;
    let n = m.n;
    let mut s = Statement::new(
        "activities",
        standard.pick(
            "Statement of activities",
            "活動計算書",
            "Statement of financial activities",
        ),
        super::words::period(journal, c.begin, c.end, super::statement::Language::En),
        names.clone(),
        &c.valued.base,
    );
    let (opening, closing_presented, releases, cover) =
        (&m.opening, &m.closing_presented, &m.releases, &m.cover);

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
    for (category, columns) in &m.income {
        let label = standard.income_label(*category);
        s.amounts(label, 1, RowKind::Line, &with_total(columns)?);
        for (k, v) in columns.iter().enumerate() {
            s.tie(
                format!("income/{}/{k}", category.key()),
                format!("{label} / {}", names[k]),
                *v,
            );
        }
        add_into(&mut revenue, columns)?;
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
        s.amounts(label, 1, RowKind::Line, &with_total(releases)?);
        add_into(&mut support, releases)?;
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
        Standard::Sorp => expenses_by_activity(c, &mut s, columns)?,
        _ => expenses_by_function(c, &mut s, n)?,
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

    let exchange = m.exchange.clone();
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
    let mut transfers = m.transfers.clone();
    if standard == Standard::Sorp {
        add_into(&mut transfers, cover)?;
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
    s.amounts(opening_label, 0, RowKind::Line, &with_total(opening)?);
    s.stock(super::statement::Stock::Opening);
    for (k, v) in opening.iter().enumerate() {
        s.tie(
            format!("net-assets/opening/{k}"),
            format!("{opening_label} / {}", names[k]),
            *v,
        );
    }
    let closing = (0..n)
        .map(|k| money::checked_add(opening[k], change[k]))
        .collect::<Result<Columns, _>>()?;
    s.amounts(closing_label, 0, RowKind::Total, &with_total(&closing)?);
    s.stock(super::statement::Stock::Closing);
    for (k, v) in closing.iter().enumerate() {
        s.tie(
            format!("net-assets/closing/{k}"),
            format!("{closing_label} / {}", names[k]),
            *v,
        );
    }
    // The flows close where the presented balances do (a fundledger bug
    // otherwise, caught before anything prints).
    if &closing != closing_presented {
        return Err(ReportError::DoesNotTie(format!(
            "{}: closing net assets by column are {closing:?} by the movements but {closing_presented:?} by the funds' balances",
            s.title
        )));
    }
    s.notes.push(format!(
        "Amounts in {}. Foreign currency is valued at the month's rate recorded in the books on each transaction's date; each transaction's values are rounded to the {} by the largest-remainder method, so they still balance.",
        c.valued.base,
        if c.valued.precision == 0 { "unit" } else { "cent" }
    ));
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

/// The 活動計算書 of the NPO standard (NPO法人会計基準, 様式): a single
/// column of amounts in two vertical sections, 一般正味財産増減の部 (経常収益;
/// 経常費用 split into 事業費 and 管理費, each by nature into 人件費 and
/// その他経費; a net exchange loss as 為替差損 among 管理費's その他経費, a
/// net gain as 為替差益 among the revenue) and 指定正味財産増減の部 (the
/// restricted gifts, the restricted funds' own exchange results, and the
/// transfer to 一般正味財産 of what they spent), then 正味財産期末残高.
fn activities_npo(c: &Classified<'_, '_>) -> Result<Statement, ReportError> {
    let standard = Standard::JpNpo;
    let journal = c.valued.journal;
    let m = column_movements(c, standard)?;
    let mut s = Statement::new(
        "activities",
        "活動計算書",
        super::words::period(journal, c.begin, c.end, Language::Ja),
        vec!["金額".to_string()],
        &c.valued.base,
    )
    .japanese();
    s.label_header = "科目".into();
    let line = |s: &mut Statement, label: &str, level: u8, kind: RowKind, v: Decimal| {
        s.amounts(label, level, kind, &[v]);
    };
    let (fx_general, fx_restricted) = (m.exchange[0], m.exchange[1]);
    s.tie("exchange/0", "為替差損益（一般）", fx_general);
    s.tie("exchange/1", "為替差損益（指定）", fx_restricted);

    s.heading("Ⅰ 一般正味財産増減の部", 0);
    s.heading("1 経常増減の部", 1);
    s.heading("(1) 経常収益", 2);
    let mut revenue = Decimal::ZERO;
    for (category, columns) in &m.income {
        let label = standard.income_label(*category);
        s.tie(format!("income/{}/0", category.key()), label, columns[0]);
        if columns[0].is_zero() {
            continue;
        }
        line(&mut s, label, 3, RowKind::Line, columns[0]);
        super::acc(&mut revenue, columns[0])?;
    }
    s.tie("income/total/0", "経常収益（振替額を除く）", revenue);
    if fx_general.is_sign_positive() && !fx_general.is_zero() {
        line(&mut s, "為替差益", 3, RowKind::Line, fx_general);
        super::acc(&mut revenue, fx_general)?;
    }
    line(
        &mut s,
        "指定正味財産からの振替額",
        3,
        RowKind::Line,
        m.releases[0],
    );
    super::acc(&mut revenue, m.releases[0])?;
    line(&mut s, "経常収益計", 2, RowKind::Subtotal, revenue);

    s.heading("(2) 経常費用", 2);
    let fx_loss = if fx_general.is_sign_negative() {
        -fx_general
    } else {
        Decimal::ZERO
    };
    let expenses = expenses_by_nature(c, &mut s, fx_loss)?;
    s.tie(
        "expenses/total",
        "経常費用計（為替差損を除く）",
        money::checked_sub(expenses, fx_loss)?,
    );
    line(&mut s, "経常費用計", 2, RowKind::Subtotal, expenses);
    let ordinary = money::checked_sub(revenue, expenses)?;
    line(&mut s, "当期経常増減額", 1, RowKind::Subtotal, ordinary);
    let mut general_change = ordinary;
    if !m.transfers[0].is_zero() {
        line(
            &mut s,
            "他の正味財産との振替額",
            1,
            RowKind::Line,
            m.transfers[0],
        );
        super::acc(&mut general_change, m.transfers[0])?;
    }
    s.tie("transfers/0", "他の正味財産との振替額", m.transfers[0]);
    line(
        &mut s,
        "当期一般正味財産増減額",
        1,
        RowKind::Subtotal,
        general_change,
    );
    line(
        &mut s,
        "一般正味財産期首残高",
        1,
        RowKind::Line,
        m.opening[0],
    );
    s.stock(super::statement::Stock::Opening);
    s.tie("net-assets/opening/0", "一般正味財産期首残高", m.opening[0]);
    let general_closing = money::checked_add(m.opening[0], general_change)?;
    line(
        &mut s,
        "一般正味財産期末残高",
        1,
        RowKind::Total,
        general_closing,
    );
    s.stock(super::statement::Stock::Closing);
    s.tie(
        "net-assets/closing/0",
        "一般正味財産期末残高",
        general_closing,
    );

    s.heading("Ⅱ 指定正味財産増減の部", 0);
    let mut restricted_change = Decimal::ZERO;
    let mut restricted_income = Decimal::ZERO;
    for (category, columns) in &m.income {
        let label = standard.income_label(*category);
        s.tie(format!("income/{}/1", category.key()), label, columns[1]);
        if columns[1].is_zero() {
            continue;
        }
        line(&mut s, label, 1, RowKind::Line, columns[1]);
        super::acc(&mut restricted_income, columns[1])?;
    }
    s.tie(
        "income/total/1",
        "指定正味財産への受入額",
        restricted_income,
    );
    super::acc(&mut restricted_change, restricted_income)?;
    if !fx_restricted.is_zero() {
        line(&mut s, "為替差損益", 1, RowKind::Line, fx_restricted);
        super::acc(&mut restricted_change, fx_restricted)?;
    }
    if !m.transfers[1].is_zero() {
        line(
            &mut s,
            "他の正味財産との振替額",
            1,
            RowKind::Line,
            m.transfers[1],
        );
        super::acc(&mut restricted_change, m.transfers[1])?;
    }
    s.tie("transfers/1", "他の正味財産との振替額", m.transfers[1]);
    line(
        &mut s,
        "一般正味財産への振替額",
        1,
        RowKind::Line,
        m.releases[1],
    );
    super::acc(&mut restricted_change, m.releases[1])?;
    line(
        &mut s,
        "当期指定正味財産増減額",
        1,
        RowKind::Subtotal,
        restricted_change,
    );
    line(
        &mut s,
        "指定正味財産期首残高",
        1,
        RowKind::Line,
        m.opening[1],
    );
    s.stock(super::statement::Stock::Opening);
    s.tie("net-assets/opening/1", "指定正味財産期首残高", m.opening[1]);
    let restricted_closing = money::checked_add(m.opening[1], restricted_change)?;
    line(
        &mut s,
        "指定正味財産期末残高",
        1,
        RowKind::Total,
        restricted_closing,
    );
    s.stock(super::statement::Stock::Closing);
    s.tie(
        "net-assets/closing/1",
        "指定正味財産期末残高",
        restricted_closing,
    );

    let closing = money::checked_add(general_closing, restricted_closing)?;
    line(&mut s, "Ⅲ 正味財産期末残高", 0, RowKind::Total, closing);
    s.stock(super::statement::Stock::Closing);
    if vec![general_closing, restricted_closing] != m.closing_presented {
        return Err(ReportError::DoesNotTie(format!(
            "活動計算書: 期末残高 {general_closing} / {restricted_closing} by the movements but {:?} by the funds' balances",
            m.closing_presented
        )));
    }
    s.notes.push(format!(
        "{}。外貨建取引は取引日の月次レートで円換算し、取引ごとに最大剰余法で円未満を調整しています。指定正味財産に属する外貨建資産の為替差損益は、指定正味財産増減の部に計上しています。",
        s.unit_phrase()
    ));
    Ok(s)
}

/// 事業費 and 管理費 of the 活動計算書, each split into (1) 人件費 and (2)
/// その他経費 by nature; a net exchange loss of the general funds stands as
/// 為替差損 among 管理費's その他経費. Returns 経常費用計.
fn expenses_by_nature(
    c: &Classified<'_, '_>,
    s: &mut Statement,
    fx_loss: Decimal,
) -> Result<Decimal, ReportError> {
    let mut all = Decimal::ZERO;
    for (number, heading, programs, subtotal, key) in [
        ("1", "事業費", true, "事業費計", "program"),
        ("2", "管理費", false, "管理費計", "support"),
    ] {
        let in_group =
            |function: usize| (c.functions[function].kind == ExpenseKind::Program) == programs;
        let spent_in_group = c.expenses(|f, _, _| in_group(f))?;
        let loss_here = if programs { Decimal::ZERO } else { fx_loss };
        s.tie(
            if programs {
                "expenses/programs"
            } else {
                "expenses/support"
            },
            subtotal,
            spent_in_group,
        );
        if spent_in_group.is_zero() && loss_here.is_zero() {
            continue;
        }
        s.heading(format!("{number} {heading}"), 3);
        let mut group_total = Decimal::ZERO;
        for (part, personnel, part_total) in [
            ("(1) 人件費", true, "人件費計"),
            ("(2) その他経費", false, "その他経費計"),
        ] {
            let mut part_sum = Decimal::ZERO;
            let mut headed = false;
            let mut rows: Vec<(String, Decimal)> = Vec::new();
            for (k, nature) in c.natures.iter().enumerate() {
                if nature.personnel != personnel {
                    continue;
                }
                let spent = c.expenses(|f, m, _| m == k && in_group(f))?;
                s.tie(
                    format!("expenses/nature/{}/{key}", nature.id),
                    format!("{heading} {}", nature.label_ja),
                    spent,
                );
                if !spent.is_zero() {
                    rows.push((nature.label_ja.clone(), spent));
                }
            }
            if !personnel && !loss_here.is_zero() {
                rows.push(("為替差損".to_string(), loss_here));
            }
            for (label, spent) in rows {
                if !headed {
                    s.heading(part, 4);
                    headed = true;
                }
                s.amounts(label, 5, RowKind::Line, &[spent]);
                super::acc(&mut part_sum, spent)?;
            }
            if headed {
                s.amounts(part_total, 4, RowKind::Subtotal, &[part_sum]);
                super::acc(&mut group_total, part_sum)?;
            }
        }
        s.amounts(subtotal, 3, RowKind::Subtotal, &[group_total]);
        super::acc(&mut all, group_total)?;
    }
    Ok(all)
}

/// What the SoFA shares out among the charitable activities: the support
/// costs (management, governance) per fund class, and per programme (in
/// function order) its direct costs per fund class.
struct SupportCosts {
    /// The programmes: function id and label.
    programs: Vec<(String, String)>,
    /// Each programme's direct costs, per fund class.
    direct: Vec<Columns>,
    /// The support costs per fund class.
    support: Columns,
}

impl SupportCosts {
    /// The support costs and direct costs of `c`'s period.
    fn of(c: &Classified<'_, '_>) -> Result<SupportCosts, ReportError> {
        let standard = Standard::Sorp;
        let n = standard.buckets();
        let programs: Vec<usize> = (0..c.functions.len())
            .filter(|&k| c.functions[k].kind == ExpenseKind::Program)
            .collect();
        Ok(SupportCosts {
            programs: programs
                .iter()
                .map(|&p| (c.functions[p].id.clone(), c.functions[p].label.clone()))
                .collect(),
            direct: programs
                .iter()
                .map(|&p| sorp_expenses(c, n, &|f| f == p))
                .collect::<Result<_, _>>()?,
            support: sorp_expenses(c, n, &|f| c.functions[f].kind == ExpenseKind::Management)?,
        })
    }

    /// Each programme's direct costs over all fund classes: the weights
    /// support costs are shared by.
    fn weights(&self) -> Result<Vec<Decimal>, ReportError> {
        self.direct.iter().map(|d| total(d)).collect()
    }

    /// Whether support costs can be shared out: there are programmes and
    /// their direct costs do not add up to zero.
    fn shareable(&self) -> Result<bool, ReportError> {
        Ok(!self.programs.is_empty() && !total(&self.weights()?)?.is_zero())
    }
}

/// Expenses (positive) per SORP fund class of the functions `select` picks.
fn sorp_expenses(
    c: &Classified<'_, '_>,
    n: usize,
    select: &dyn Fn(usize) -> bool,
) -> Result<Columns, ReportError> {
    let standard = Standard::Sorp;
    let mut out = zeros(n);
    for (fund, element, change) in c.movements() {
        if let Element::Expense { function, .. } = element {
            if select(function) {
                super::acc(&mut out[standard.bucket(c.restriction(fund))], -change)?;
            }
        }
    }
    Ok(out)
}

/// How a SoFA in columns shares out its support costs: by the whole
/// range's direct costs, in every period's statement and in the whole
/// range's.
#[derive(Clone, Debug)]
pub(crate) struct ColumnSupport {
    /// The whole range's programmes (function id and label), printed in
    /// every period.
    programs: Vec<(String, String)>,
    /// Per programme, its share of the support costs per fund class;
    /// `None` when the whole range's direct costs add up to zero (support
    /// costs then stand as a line of their own).
    shares: Option<Vec<Columns>>,
    /// The note that says how, when any period has support costs.
    note: Option<String>,
}

/// The support costs of each period's SoFA (`periods`, adjoining) and of
/// the whole range's (`whole`), shared out in proportion to the whole
/// range's direct costs ([`money::allocate_over_periods`] per fund class),
/// so that each activity's periods add up to its share in the whole
/// range, and each period's shares to its support costs. Returns one
/// [`ColumnSupport`] per period, then the whole range's.
pub(crate) fn column_support(
    whole: &Classified<'_, '_>,
    periods: &[Classified<'_, '_>],
) -> Result<Vec<ColumnSupport>, ReportError> {
    let n = Standard::Sorp.buckets();
    let whole_costs = SupportCosts::of(whole)?;
    let costs = periods
        .iter()
        .map(SupportCosts::of)
        .collect::<Result<Vec<_>, _>>()?;
    let programs = whole_costs.programs.clone();
    let unit = if whole.valued.precision == 0 {
        "unit"
    } else {
        "cent"
    };
    let any_support = costs.iter().any(|c| c.support.iter().any(|v| !v.is_zero()));
    if !whole_costs.shareable()? {
        let note = any_support.then(|| "Support costs (management and governance) are shown as a line of their own: the charitable activities have no direct costs over the whole range to share them by.".to_string());
        return Ok(vec![
            ColumnSupport {
                programs,
                shares: None,
                note,
            };
            periods.len() + 1
        ]);
    }
    let weights = whole_costs.weights()?;
    // shares[period][programme][fund class], and the whole range's.
    let mut shares = vec![vec![zeros(n); programs.len()]; periods.len()];
    let mut whole_shares = vec![zeros(n); programs.len()];
    let mut each_within_a_unit = true;
    for k in 0..n {
        let totals: Columns = costs.iter().map(|c| c.support[k]).collect();
        let split = money::allocate_over_periods(&totals, &weights, whole.valued.precision)?;
        each_within_a_unit &= split.each_within_a_unit;
        for (period_shares, parts) in shares.iter_mut().zip(&split.parts) {
            for ((share, whole_share), part) in
                period_shares.iter_mut().zip(&mut whole_shares).zip(parts)
            {
                share[k] = *part;
                super::acc(&mut whole_share[k], *part)?;
            }
        }
    }
    shares.push(whole_shares);
    let rounding = if each_within_a_unit {
        format!("each activity's share of a period's support costs is its exact share rounded down or up to the {unit}")
    } else {
        "each period's shares are the cumulative method's (the shares of the support costs up to the period's end, less those up to its beginning)".to_string()
    };
    let note = any_support.then(|| format!(
        "Support costs (management and governance) are allocated to the charitable activities in proportion to their direct costs over the whole range, in every period: the Total column by the largest-remainder method, as the statement of the whole range; {rounding}, so that each period's shares add up to its support costs and each activity's periods add up to its Total, for each fund class."
    ));
    Ok(shares
        .into_iter()
        .map(|s| ColumnSupport {
            programs: programs.clone(),
            shares: Some(s),
            note: note.clone(),
        })
        .collect())
}

/// The SORP: raising funds, then charitable activities per programme in
/// each fund's own column, with support costs (management, governance)
/// allocated to the activities in proportion to their direct costs: the
/// period's own, or in a statement in columns as `columns` gives.
fn expenses_by_activity(
    c: &Classified<'_, '_>,
    s: &mut Statement,
    columns: Option<&ColumnSupport>,
) -> Result<Columns, ReportError> {
    let n = Standard::Sorp.buckets();
    let mut all = zeros(n);
    let raising = sorp_expenses(c, n, &|f| c.functions[f].kind == ExpenseKind::Fundraising)?;
    if raising.iter().any(|v| !v.is_zero()) {
        s.amounts("Raising funds", 1, RowKind::Line, &with_total(&raising)?);
        add_into(&mut all, &raising)?;
    }
    let costs = SupportCosts::of(c)?;
    let support = costs.support.clone();
    let (programs, mut lines, shares, note) = match columns {
        None => {
            let shares = if costs.shareable()? {
                let weights = costs.weights()?;
                let mut shares = vec![zeros(n); costs.programs.len()];
                for k in 0..n {
                    let parts = money::allocate(support[k], &weights, c.valued.precision)?;
                    for (line, part) in shares.iter_mut().zip(parts) {
                        line[k] = part;
                    }
                }
                Some(shares)
            } else {
                None
            };
            // Said when support costs are shared out.
            let note = (shares.is_some() && support.iter().any(|v| !v.is_zero())).then(|| "Support costs (management and governance) are allocated to the charitable activities in proportion to their direct costs, by the largest-remainder method.".to_string());
            (costs.programs, costs.direct, shares, note)
        }
        Some(given) => {
            // The whole range's programmes, with this period's direct
            // costs (none for a programme without any in it).
            let lines = given
                .programs
                .iter()
                .map(|(id, _)| {
                    costs
                        .programs
                        .iter()
                        .position(|(own, _)| own == id)
                        .map_or_else(|| zeros(n), |j| costs.direct[j].clone())
                })
                .collect();
            if let Some(missing) = costs
                .programs
                .iter()
                .find(|(id, _)| !given.programs.iter().any(|(g, _)| g == id))
            {
                return Err(ReportError::DoesNotTie(format!(
                    "{}: the programme {:?} has expenses in a period but not in the whole range",
                    s.title, missing.1
                )));
            }
            (
                given.programs.clone(),
                lines,
                given.shares.clone(),
                given.note.clone(),
            )
        }
    };
    match &shares {
        Some(shares) => {
            // Every unit of support costs goes to an activity.
            let mut shared = zeros(n);
            for (line, share) in lines.iter_mut().zip(shares) {
                add_into(line, share)?;
                add_into(&mut shared, share)?;
            }
            if shared != support {
                return Err(ReportError::DoesNotTie(format!(
                    "{}: support costs by fund class are {support:?}, the activities' shares add up to {shared:?}",
                    s.title
                )));
            }
        }
        None if support.iter().any(|v| !v.is_zero()) => {
            s.amounts(SUPPORT_COSTS_LINE, 1, RowKind::Line, &with_total(&support)?);
            add_into(&mut all, &support)?;
        }
        None => {}
    }
    if !programs.is_empty() {
        s.heading("Charitable activities", 1);
        for ((_, label), line) in programs.iter().zip(&lines) {
            s.amounts(label.clone(), 2, RowKind::Line, &with_total(line)?);
            add_into(&mut all, line)?;
        }
    }
    s.notes.extend(note);
    Ok(all)
}

/// The SoFA's line for support costs left unshared (when the charitable
/// activities have no direct costs to share them by).
pub(crate) const SUPPORT_COSTS_LINE: &str = "Other: support costs";

/// Where a balance-sheet line stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    CurrentAssets,
    FixedAssets,
    CurrentLiabilities,
    LongTermLiabilities,
}

/// One line of the balance sheet, from the engine's balances.
struct SheetLine {
    section: Section,
    /// The label in the statement's language.
    label: String,
    /// What it is in the 貸借対照表 (the 科目: the label's part before a
    /// full-width space), in the statement's language.
    heading: String,
    /// The amount (positive for assets and for what is owed).
    value: Decimal,
    /// The commodity quantities behind it, when foreign (for the
    /// inventory).
    quantities: Vec<String>,
}

/// The balance sheet's lines: assets by account (current unless
/// `report.fixed_assets` names them), member loans by 科目 (current when due
/// within 12 months of the balance-sheet date or without a due date,
/// long-term otherwise; never by lender), other liabilities by account.
fn sheet_lines(c: &Classified<'_, '_>, language: Language) -> Result<Vec<SheetLine>, ReportError> {
    let journal = c.valued.journal;
    let settings = journal.settings();
    let jp = language == Language::Ja;
    let last = c.end.pred_opt().unwrap_or(c.end);
    let horizon = last
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(last);
    let heading_of = |label: &str| label.split('　').next().unwrap_or(label).to_string();
    // Foreign quantities held per asset line at the end.
    let mut held: std::collections::BTreeMap<
        String,
        crate::model::money::MultiAmount<crate::model::journal::CommodityId>,
    > = Default::default();
    for (&account, amounts) in &c.foreign {
        if journal.account_class(account) != Some(AccountClass::Assets) {
            continue;
        }
        let account = journal.account_name(account);
        let line: String = account.split(':').take(3).collect::<Vec<_>>().join(":");
        held.entry(line).or_default().add_all(amounts)?;
    }
    let mut lines = Vec::new();
    let mut loans = [(Decimal::ZERO, 0usize); 2];
    for line in c.balances.keys() {
        let value = c.balance(line)?;
        match line {
            BalanceLine::Asset(account) if !value.is_zero() => {
                let label = super::words::account(settings, account, language);
                let quantities = held
                    .get(account)
                    .map(|m| {
                        m.trimmed()
                            .map(|(k, q)| {
                                format!(
                                    "{} {}",
                                    crate::render::text::grouped(super::at_precision(
                                        journal, q, k
                                    )),
                                    journal.commodity_name(k)
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                lines.push(SheetLine {
                    section: if settings
                        .report
                        .fixed_assets
                        .iter()
                        .any(|f| crate::model::query::account_matches(account, f))
                    {
                        Section::FixedAssets
                    } else {
                        Section::CurrentAssets
                    },
                    heading: heading_of(&label),
                    label,
                    value,
                    quantities,
                });
            }
            BalanceLine::Interfund if !value.is_zero() => {
                // Due-to and due-from cancel out across the organisation;
                // what is left is the rounding of their values.
                let label = if jp {
                    "内部貸借（相殺後の端数）"
                } else {
                    "Interfund balances after elimination (rounding)"
                };
                lines.push(SheetLine {
                    section: Section::CurrentAssets,
                    label: label.into(),
                    heading: label.into(),
                    value,
                    quantities: Vec::new(),
                });
            }
            BalanceLine::Liability(account) if !value.is_zero() => {
                let owed = -value;
                let loan = settings.loans.iter().find(|l| {
                    crate::model::query::account_matches(&l.account, account)
                        || crate::model::query::account_matches(account, &l.account)
                });
                let is_member_loan = super::engine::is_member_loan(settings, account);
                if is_member_loan {
                    let later = loan.is_some_and(|l| l.due.is_some_and(|d| d > horizon));
                    let slot = &mut loans[usize::from(later)];
                    super::acc(&mut slot.0, owed)?;
                    slot.1 += 1;
                } else {
                    let label = super::words::account(settings, account, language);
                    lines.push(SheetLine {
                        section: Section::CurrentLiabilities,
                        heading: heading_of(&label),
                        label,
                        value: owed,
                        quantities: Vec::new(),
                    });
                }
            }
            _ => {}
        }
    }
    for (later, (value, lenders)) in loans.into_iter().enumerate() {
        if value.is_zero() {
            continue;
        }
        let (heading, label) = match (jp, later == 1) {
            (true, false) => (
                "短期借入金".to_string(),
                format!("短期借入金　会員からの借入金（{lenders}件）"),
            ),
            (true, true) => (
                "長期借入金".to_string(),
                format!("長期借入金　会員からの借入金（{lenders}件）"),
            ),
            (false, false) => (
                "Loans from members, due within 12 months".to_string(),
                format!(
                    "Loans from members, due within 12 months ({lenders} loan{})",
                    if lenders == 1 { "" } else { "s" }
                ),
            ),
            (false, true) => (
                "Loans from members, due later".to_string(),
                format!(
                    "Loans from members, due after 12 months ({lenders} loan{})",
                    if lenders == 1 { "" } else { "s" }
                ),
            ),
        };
        lines.push(SheetLine {
            section: if later == 1 {
                Section::LongTermLiabilities
            } else {
                Section::CurrentLiabilities
            },
            heading,
            label,
            value,
            quantities: Vec::new(),
        });
    }
    lines.sort_by_key(|l| l.section);
    Ok(lines)
}

/// The net assets of each restriction column at the end, from the funds'
/// balances (assets less liabilities), restricted deficits borne by the
/// unrestricted column.
fn net_assets_by_class(c: &Classified<'_, '_>, standard: Standard) -> Result<Columns, ReportError> {
    let mut by_class = zeros(standard.buckets());
    for (&fund, f) in &c.funds {
        let (own, deficit) = c.presented(fund, f.closing_by_balances);
        super::acc(&mut by_class[standard.bucket(c.restriction(fund))], own)?;
        super::acc(&mut by_class[0], deficit)?;
    }
    Ok(by_class)
}

/// Adds the lines of sections to a statement under their headings, one line
/// per label or, with `by_heading`, per 科目; returns each section's total.
fn sheet_sections(
    s: &mut Statement,
    lines: &[SheetLine],
    sections: &[(Section, &str, &str)],
    level: u8,
    by_heading: bool,
    always: bool,
) -> Result<Decimal, ReportError> {
    let mut all = Decimal::ZERO;
    for &(section, heading, subtotal) in sections {
        let members: Vec<&SheetLine> = lines.iter().filter(|l| l.section == section).collect();
        if members.is_empty() && !always {
            continue;
        }
        s.heading(heading, level);
        let mut sum = Decimal::ZERO;
        let mut shown: Vec<(String, Decimal)> = Vec::new();
        for l in members {
            let label = if by_heading {
                l.heading.clone()
            } else if l.quantities.is_empty() {
                l.label.clone()
            } else {
                format!("{} ({})", l.label, l.quantities.join(", "))
            };
            match shown.iter_mut().find(|(k, _)| *k == label) {
                Some((_, v)) => super::acc(v, l.value)?,
                None => shown.push((label, l.value)),
            }
            super::acc(&mut sum, l.value)?;
        }
        for (label, value) in shown {
            s.amounts(label, level + 1, RowKind::Line, &[value]);
        }
        s.amounts(subtotal, level, RowKind::Subtotal, &[sum]);
        super::acc(&mut all, sum)?;
    }
    Ok(all)
}

/// The statement of financial position (貸借対照表; balance sheet) at the
/// end of the period, from the balances of assets and liabilities: under
/// the NPO standard with 流動/固定 sections and 指定/一般正味財産, under the
/// SORP with net current assets and creditors by when they fall due.
fn position(c: &Classified<'_, '_>, standard: Standard) -> Result<Statement, ReportError> {
    let journal = c.valued.journal;
    let settings = journal.settings();
    let language = if standard == Standard::JpNpo {
        Language::Ja
    } else {
        Language::En
    };
    let mut s = Statement::new(
        "position",
        standard.pick(
            "Statement of financial position",
            "貸借対照表",
            "Balance sheet",
        ),
        super::words::at(journal, c.end, language),
        vec![standard.pick("Amount", "金額", "Amount").to_string()],
        &c.valued.base,
    );
    if language == Language::Ja {
        s = s.japanese();
        s.label_header = "科目".into();
    }
    let lines = sheet_lines(c, language)?;
    let by_class = net_assets_by_class(c, standard)?;
    let columns = standard.columns();
    let (assets, liabilities) = match standard {
        Standard::JpNpo => {
            s.heading("Ⅰ 資産の部", 0);
            let assets = sheet_sections(
                &mut s,
                &lines,
                &[
                    (Section::CurrentAssets, "1 流動資産", "流動資産合計"),
                    (Section::FixedAssets, "2 固定資産", "固定資産合計"),
                ],
                1,
                true,
                true,
            )?;
            s.amounts("資産合計", 0, RowKind::Total, &[assets]);
            s.heading("Ⅱ 負債の部", 0);
            let liabilities = sheet_sections(
                &mut s,
                &lines,
                &[
                    (Section::CurrentLiabilities, "1 流動負債", "流動負債合計"),
                    (Section::LongTermLiabilities, "2 固定負債", "固定負債合計"),
                ],
                1,
                true,
                true,
            )?;
            s.amounts("負債合計", 0, RowKind::Subtotal, &[liabilities]);
            s.heading("Ⅲ 正味財産の部", 0);
            s.amounts("指定正味財産", 1, RowKind::Line, &[by_class[1]]);
            s.amounts("一般正味財産", 1, RowKind::Line, &[by_class[0]]);
            (assets, liabilities)
        }
        Standard::Sorp => {
            s.heading("Current assets", 0);
            let current = sheet_sections(
                &mut s,
                &lines,
                &[(
                    Section::CurrentAssets,
                    "Cash at bank and in hand, and other current assets",
                    "Total current assets",
                )],
                1,
                false,
                true,
            )?;
            let fixed = sheet_sections(
                &mut s,
                &lines,
                &[(Section::FixedAssets, "Fixed assets", "Total fixed assets")],
                0,
                false,
                false,
            )?;
            let short = sheet_sections(
                &mut s,
                &lines,
                &[(
                    Section::CurrentLiabilities,
                    "Creditors: amounts falling due within one year",
                    "Total creditors within one year",
                )],
                0,
                false,
                true,
            )?;
            s.amounts(
                "Net current assets",
                0,
                RowKind::Subtotal,
                &[money::checked_sub(current, short)?],
            );
            let long = sheet_sections(
                &mut s,
                &lines,
                &[(
                    Section::LongTermLiabilities,
                    "Creditors: amounts falling due after more than one year",
                    "Total creditors after one year",
                )],
                0,
                false,
                false,
            )?;
            // The SORP balance sheet: net assets (net current assets and
            // fixed assets less long-term creditors) equal the funds.
            s.amounts(
                "Total net assets",
                0,
                RowKind::Total,
                &[money::checked_sub(
                    money::checked_sum([current, fixed, -short])?,
                    long,
                )?],
            );
            s.heading("The funds of the charity", 0);
            for (k, value) in by_class.iter().enumerate() {
                s.amounts(columns[k].clone(), 1, RowKind::Line, &[*value]);
            }
            (
                money::checked_add(current, fixed)?,
                money::checked_add(short, long)?,
            )
        }
        Standard::Asc958 => {
            s.heading("Assets", 0);
            let assets = sheet_sections(
                &mut s,
                &lines,
                &[
                    (
                        Section::CurrentAssets,
                        "Current assets",
                        "Total current assets",
                    ),
                    (
                        Section::FixedAssets,
                        "Property and equipment",
                        "Total property and equipment",
                    ),
                ],
                1,
                false,
                false,
            )?;
            s.amounts("Total assets", 0, RowKind::Total, &[assets]);
            s.heading("Liabilities", 0);
            let liabilities = sheet_sections(
                &mut s,
                &lines,
                &[
                    (
                        Section::CurrentLiabilities,
                        "Current liabilities",
                        "Total current liabilities",
                    ),
                    (
                        Section::LongTermLiabilities,
                        "Long-term liabilities",
                        "Total long-term liabilities",
                    ),
                ],
                1,
                false,
                false,
            )?;
            s.amounts("Total liabilities", 0, RowKind::Subtotal, &[liabilities]);
            s.heading("Net assets", 0);
            for (k, value) in by_class.iter().enumerate() {
                s.amounts(columns[k].clone(), 1, RowKind::Line, &[*value]);
            }
            (assets, liabilities)
        }
    };
    let net_assets = money::checked_sum(by_class.iter().copied())?;
    for (k, value) in by_class.iter().enumerate() {
        s.tie(
            format!("net-assets/closing/{k}"),
            columns[k].clone(),
            *value,
        );
    }
    s.amounts(
        standard.pick("Total net assets", "正味財産合計", "Total funds"),
        0,
        RowKind::Subtotal,
        &[net_assets],
    );
    let claims = money::checked_add(liabilities, net_assets)?;
    // The SORP's balance sheet shows net assets equal to the funds, not
    // liabilities and funds added together.
    if standard != Standard::Sorp {
        s.amounts(
            standard.pick(
                "Total liabilities and net assets",
                "負債及び正味財産合計",
                "",
            ),
            0,
            RowKind::Total,
            &[claims],
        );
    }
    if assets != claims {
        return Err(ReportError::DoesNotTie(format!(
            "{}: assets {assets} differ from liabilities and net assets {claims} by {}",
            s.title,
            money::checked_sub(assets, claims)?
        )));
    }
    s.tie("assets/total", "total assets", assets);
    s.tie("liabilities/total", "total liabilities", liabilities);
    let loans = money::checked_sum(
        lines
            .iter()
            .filter(|l| l.heading.contains("借入金") || l.heading.starts_with("Loans from members"))
            .map(|l| l.value),
    )?;
    s.tie("liabilities/member-loans", "loans from members", loans);
    for section in [Section::CurrentLiabilities, Section::LongTermLiabilities] {
        let v = money::checked_sum(
            lines
                .iter()
                .filter(|l| {
                    l.section == section
                        && (l.heading.contains("借入金")
                            || l.heading.starts_with("Loans from members"))
                })
                .map(|l| l.value),
        )?;
        s.tie(
            format!(
                "liabilities/member-loans/{}",
                if section == Section::CurrentLiabilities {
                    "current"
                } else {
                    "long-term"
                }
            ),
            "loans from members by term",
            v,
        );
    }
    let designated: Vec<String> = c
        .funds
        .keys()
        .filter(|&&f| c.restriction(f) == Restriction::BoardDesignated)
        .map(|&f| {
            format!(
                "{} {}",
                super::words::fund(settings, journal.fund_name(f), language),
                crate::render::text::grouped(c.funds[&f].closing_by_balances)
            )
        })
        .collect();
    if language == Language::Ja {
        s.notes
            .push("他の会計区分（基金）に対する債権・債務は相殺消去しています。".into());
        if !designated.is_empty() {
            s.notes.push(format!(
                "一般正味財産のうち、理事会が使途を指定した額：{}（{}）",
                designated.join("、"),
                s.unit_phrase()
            ));
        }
    } else {
        s.notes.push(
            "Interfund receivables and payables (due to/due from) eliminate and are not shown."
                .into(),
        );
        if !designated.is_empty() {
            s.notes.push(format!(
                "{}: {} ({}).",
                if standard == Standard::Sorp {
                    "Unrestricted funds include funds designated by the trustees"
                } else {
                    "Net assets without donor restrictions include amounts designated by the board"
                },
                designated.join(", "),
                c.valued.base
            ));
        }
    }
    Ok(s)
}

/// The inventory of assets and liabilities (財産目録): the balance sheet's
/// items one by one, by 科目 and place, with the foreign currency held; its
/// totals tie to the balance sheet. A public document: borrowings appear by
/// 科目, never by lender.
fn inventory(c: &Classified<'_, '_>, standard: Standard) -> Result<Statement, ReportError> {
    let journal = c.valued.journal;
    let jp = standard == Standard::JpNpo;
    let language = if jp { Language::Ja } else { Language::En };
    let mut s = Statement::new(
        "inventory",
        if jp {
            "財産目録"
        } else {
            "Inventory of assets and liabilities"
        },
        super::words::at(journal, c.end, language),
        vec![if jp { "金額" } else { "Amount" }.to_string()],
        &c.valued.base,
    );
    if jp {
        s = s.japanese();
        s.label_header = "科目・摘要".into();
    } else {
        s.label_header = "Item".into();
    }
    let lines = sheet_lines(c, language)?;
    let pick = |ja: &'static str, en: &'static str| if jp { ja } else { en };
    s.heading(pick("Ⅰ 資産の部", "Assets"), 0);
    let assets = sheet_sections(
        &mut s,
        &lines,
        &[
            (
                Section::CurrentAssets,
                pick("1 流動資産", "Current assets"),
                pick("流動資産合計", "Total current assets"),
            ),
            (
                Section::FixedAssets,
                pick("2 固定資産", "Fixed assets"),
                pick("固定資産合計", "Total fixed assets"),
            ),
        ],
        1,
        false,
        jp,
    )?;
    s.amounts(
        pick("資産合計", "Total assets"),
        0,
        RowKind::Total,
        &[assets],
    );
    s.heading(pick("Ⅱ 負債の部", "Liabilities"), 0);
    let liabilities = sheet_sections(
        &mut s,
        &lines,
        &[
            (
                Section::CurrentLiabilities,
                pick("1 流動負債", "Current liabilities"),
                pick("流動負債合計", "Total current liabilities"),
            ),
            (
                Section::LongTermLiabilities,
                pick("2 固定負債", "Long-term liabilities"),
                pick("固定負債合計", "Total long-term liabilities"),
            ),
        ],
        1,
        false,
        jp,
    )?;
    s.amounts(
        pick("負債合計", "Total liabilities"),
        0,
        RowKind::Subtotal,
        &[liabilities],
    );
    let net = money::checked_sub(assets, liabilities)?;
    s.amounts(pick("正味財産", "Net assets"), 0, RowKind::Total, &[net]);
    s.tie("assets/total", pick("資産合計", "Total assets"), assets);
    s.tie(
        "liabilities/total",
        pick("負債合計", "Total liabilities"),
        liabilities,
    );
    let by_class = net_assets_by_class(c, standard)?;
    let recorded = money::checked_sum(by_class.iter().copied())?;
    if net != recorded {
        return Err(ReportError::DoesNotTie(format!(
            "{}: assets less liabilities are {net} but the funds hold {recorded}",
            s.title
        )));
    }
    if jp {
        s.notes.push("外貨は期末日の月次レートによる円換算額を記載しています。借入金は科目ごとに記載し、個人名は記載していません。".into());
    } else {
        s.notes.push(
            "Foreign currency at the year end's rates; borrowings by kind, never by lender.".into(),
        );
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
    let language = if jp { Language::Ja } else { Language::En };
    let mut s = Statement::new(
        "funds",
        if jp {
            "使途等が制約された寄付等の内訳"
        } else {
            "Analysis of funds"
        },
        super::words::period(journal, c.begin, c.end, language),
        headers.iter().map(|h| h.to_string()).collect(),
        &c.valued.base,
    );
    if jp {
        s = s.japanese();
    }
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
        let name = super::words::fund(settings, id, language);
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
    if jp {
        let all = money::checked_add(closing_by_class[0], closing_by_class[1])?;
        s.notes.push(format!(
            "当法人の正味財産は{}円ですが、そのうち{}円は上記のように使途が特定されています。したがって使途が制約されていない正味財産は{}円です。",
            crate::render::text::grouped(all),
            crate::render::text::grouped(closing_by_class[1]),
            crate::render::text::grouped(closing_by_class[0])
        ));
    }
    for fund in journal.fund_ids() {
        let listed =
            c.funds.contains_key(&fund) && (!jp || c.restriction(fund).is_donor_restricted());
        let declared = settings.fund(journal.fund_name(fund));
        let purpose = declared.and_then(|f| {
            if jp {
                f.purpose_ja.clone().or_else(|| f.purpose.clone())
            } else {
                f.purpose.clone()
            }
        });
        if let (true, Some(purpose)) = (listed, purpose) {
            let name = super::words::fund(settings, journal.fund_name(fund), language);
            s.notes.push(format!("{name}: {purpose}"));
        }
    }
    Ok(s)
}

/// Expenses by nature (rows) and by function (columns: each programme,
/// the programmes' total, management and general, fundraising, total).
fn functional(c: &Classified<'_, '_>, standard: Standard) -> Result<Statement, ReportError> {
    let journal = c.valued.journal;
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
    let language = if jp { Language::Ja } else { Language::En };
    let mut s = Statement::new(
        "functional",
        standard.pick(
            "Statement of functional expenses",
            "事業費の内訳（事業別・形態別）",
            "Analysis of expenditure by activity and nature",
        ),
        super::words::period(journal, c.begin, c.end, language),
        columns.clone(),
        &c.valued.base,
    );
    if jp {
        s = s.japanese();
    }
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
    s.notes.extend(super::filing::allocation_text(c, language));
    if !jp {
        s.notes.push(format!(
            "Each payment of a shared cost is split when it is made, rounded to the {} by the largest-remainder method, so the parts add up exactly.",
            if c.valued.precision == 0 { "unit" } else { "cent" }
        ));
    }
    Ok(s)
}
