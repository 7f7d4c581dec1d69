//! The board's reports: the member-loan review, the self-reliance sales, and
//! the programme outputs.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::statement::{Cell, Language, RowKind, Statement};
use super::valued::{months, Valued};
use super::words::{self, pick};
use super::ReportError;
use crate::model::journal::{FundId, Journal, PostingKind};
use crate::model::money::{self, Decimal, RoundingStrategy};
use crate::model::query::account_matches;
use crate::model::settings::AccountClass;

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// Ratio as a decimal with two places, rounded half to even (banker's), or
/// empty when the denominator is zero.
fn ratio(numerator: Decimal, denominator: Decimal) -> Cell {
    if denominator.is_zero() {
        return text("-");
    }
    match money::checked_ratio(numerator, denominator) {
        Ok(r) => Cell::Amount(money::round(r, 2, RoundingStrategy::MidpointNearestEven)),
        Err(_) => text("-"),
    }
}

/// Columns of a statement: the English or the Japanese headers.
fn headers(language: Language, english: &[&str], japanese: &[&str]) -> Vec<String> {
    let chosen = if language == Language::Ja {
        japanese
    } else {
        english
    };
    chosen.iter().map(|s| s.to_string()).collect()
}

/// "Organisation, as of 2001-03-31" or 「…　2001年3月31日現在」.
fn as_of_text(journal: &Journal, as_of: NaiveDate, language: Language) -> String {
    words::at(journal, as_of.succ_opt().unwrap_or(as_of), language)
}

/// A statement in `language`.
fn in_language(s: Statement, language: Language) -> Statement {
    if language == Language::Ja {
        s.japanese()
    } else {
        s
    }
}

/// The member-loan review as of `as_of` (inclusive), with exposure measured
/// against the fiscal year `[begin, end)`, in `language`.
///
/// # Errors
/// [`ReportError::DoesNotTie`] when the loans do not add up to the
/// member-loan accounts' balance.
pub fn loans(
    valued: &Valued<'_>,
    as_of: NaiveDate,
    begin: NaiveDate,
    end: NaiveDate,
    language: Language,
) -> Result<Vec<Statement>, ReportError> {
    let journal = valued.journal;
    let settings = journal.settings();
    let cutoff = as_of.succ_opt().unwrap_or(as_of);
    let columns = headers(
        language,
        &[
            "Borrowed",
            "Repaid",
            "Outstanding",
            "First drawdown",
            "Last drawdown",
            "Due",
            "Days outstanding",
            "Overdue",
            "Related party",
            "Financed fund",
        ],
        &[
            "借入額",
            "返済額",
            "残高",
            "初回借入日",
            "最終借入日",
            "返済期日",
            "借入日数",
            "期日超過",
            "関連当事者",
            "充当した会計",
        ],
    );
    let mut register = in_language(
        Statement::new(
            "loans",
            pick(language, "Loans from members", "会員からの借入金"),
            as_of_text(journal, as_of, language),
            columns,
            &valued.base,
        ),
        language,
    );
    register.label_header = pick(language, "Lender", "貸付者").into();
    // Per loan account: borrowed, repaid, first, last, funds.
    struct Loan {
        borrowed: Decimal,
        repaid: Decimal,
        first: Option<NaiveDate>,
        last: Option<NaiveDate>,
        funds: Vec<String>,
    }
    // The same, by account id, with the funds that borrowed as ids in the
    // order met.
    #[derive(Default)]
    struct LoanById {
        borrowed: Decimal,
        repaid: Decimal,
        first: Option<NaiveDate>,
        last: Option<NaiveDate>,
        funds: Vec<FundId>,
    }
    let is_loan = super::engine::accounts_where(journal, |_, name| {
        super::engine::is_member_loan(settings, name)
    });
    let is_cash = super::engine::accounts_where(journal, |id, name| {
        journal.account_class(id) == Some(AccountClass::Assets)
            && settings
                .report
                .cash_accounts
                .iter()
                .any(|c| account_matches(name, c))
    });
    let unrestricted_fund: Vec<bool> = journal
        .fund_ids()
        .map(|f| !journal.fund_restriction(f).is_donor_restricted())
        .collect();
    // The sums of one part of the journal.
    struct Sums {
        by_id: Vec<Option<LoanById>>,
        control: Decimal,
        unrestricted_cash: Decimal,
        unrestricted_income: Decimal,
        unrestricted_net_assets: Decimal,
    }
    let start = || Sums {
        by_id: journal.account_ids().map(|_| None).collect(),
        control: Decimal::ZERO,
        unrestricted_cash: Decimal::ZERO,
        unrestricted_income: Decimal::ZERO,
        unrestricted_net_assets: Decimal::ZERO,
    };
    // In parallel chunks of transactions, merged in journal order (so each
    // loan's funds stay in the order met).
    let sums = valued.fold_before(
        cutoff,
        start,
        |sums, t, real| {
            for (p, value) in real {
                let account = p.account.index();
                if unrestricted_fund
                    .get(p.fund.index())
                    .copied()
                    .unwrap_or(true)
                {
                    let class = journal.account_class(p.account);
                    if is_cash[account] {
                        super::acc(&mut sums.unrestricted_cash, value)?;
                    }
                    if class.is_some_and(AccountClass::changes_net_assets) {
                        super::acc(&mut sums.unrestricted_net_assets, -(value))?;
                    }
                    if class == Some(AccountClass::Income) && t.date >= begin && t.date < end {
                        super::acc(&mut sums.unrestricted_income, -(value))?;
                    }
                }
                if !is_loan[account] {
                    continue;
                }
                super::acc(&mut sums.control, value)?;
                let loan = sums.by_id[account].get_or_insert_with(LoanById::default);
                if value.is_sign_negative() {
                    super::acc(&mut loan.borrowed, -value)?;
                    loan.first = Some(loan.first.map_or(t.date, |d| d.min(t.date)));
                    loan.last = Some(loan.last.map_or(t.date, |d| d.max(t.date)));
                    if !loan.funds.contains(&p.fund) {
                        loan.funds.push(p.fund);
                    }
                } else {
                    super::acc(&mut loan.repaid, value)?;
                }
            }
            Ok(())
        },
        |mut earlier, later| {
            for (mine, theirs) in earlier.by_id.iter_mut().zip(later.by_id) {
                let Some(theirs) = theirs else { continue };
                let Some(loan) = mine else {
                    *mine = Some(theirs);
                    continue;
                };
                super::acc(&mut loan.borrowed, theirs.borrowed)?;
                super::acc(&mut loan.repaid, theirs.repaid)?;
                loan.first = match (loan.first, theirs.first) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                loan.last = loan.last.max(theirs.last);
                for fund in theirs.funds {
                    if !loan.funds.contains(&fund) {
                        loan.funds.push(fund);
                    }
                }
            }
            for (sum, part) in [
                (&mut earlier.control, later.control),
                (&mut earlier.unrestricted_cash, later.unrestricted_cash),
                (&mut earlier.unrestricted_income, later.unrestricted_income),
                (
                    &mut earlier.unrestricted_net_assets,
                    later.unrestricted_net_assets,
                ),
            ] {
                super::acc(sum, part)?;
            }
            Ok(earlier)
        },
    )?;
    let Sums {
        by_id,
        control,
        unrestricted_cash,
        unrestricted_income,
        unrestricted_net_assets,
    } = sums;
    // By account name, each fund by its name once (two funds may share one).
    let mut per_account: BTreeMap<String, Loan> = BTreeMap::new();
    for (id, loan) in journal.account_ids().zip(by_id) {
        let Some(loan) = loan else { continue };
        let mut funds: Vec<String> = Vec::new();
        for fund in loan.funds {
            let fund = words::fund(settings, journal.fund_name(fund), language);
            if !funds.contains(&fund) {
                funds.push(fund);
            }
        }
        per_account.insert(
            journal.account_name(id).to_string(),
            Loan {
                borrowed: loan.borrowed,
                repaid: loan.repaid,
                first: loan.first,
                last: loan.last,
                funds,
            },
        );
    }
    let mut outstanding_total = Decimal::ZERO;
    let mut ladder = [Decimal::ZERO; 4]; // 3 months, 3-12 months, later, no date
    let (mut borrowed_total, mut repaid_total) = (Decimal::ZERO, Decimal::ZERO);
    for (account, loan) in &per_account {
        let settings_loan = settings.loans.iter().find(|l| l.account == *account);
        let lender = words::lender(settings, account, language);
        let outstanding = money::checked_sub(loan.borrowed, loan.repaid)?;
        let due = settings_loan.and_then(|l| l.due);
        let days = loan.first.map(|f| (as_of - f).num_days()).unwrap_or(0);
        let overdue = due.is_some_and(|d| d < as_of) && outstanding > Decimal::ZERO;
        let bucket = match due {
            None => 3,
            Some(d)
                if d <= as_of
                    .checked_add_months(chrono::Months::new(3))
                    .unwrap_or(as_of) =>
            {
                0
            }
            Some(d)
                if d <= as_of
                    .checked_add_months(chrono::Months::new(12))
                    .unwrap_or(as_of) =>
            {
                1
            }
            Some(_) => 2,
        };
        super::acc(&mut ladder[bucket], outstanding)?;
        super::acc(&mut outstanding_total, outstanding)?;
        super::acc(&mut borrowed_total, loan.borrowed)?;
        super::acc(&mut repaid_total, loan.repaid)?;
        register.cells(
            lender,
            1,
            RowKind::Line,
            vec![
                Cell::Amount(loan.borrowed),
                Cell::Amount(loan.repaid),
                Cell::Amount(outstanding),
                text(
                    loan.first
                        .map(|d| words::date(d, language))
                        .unwrap_or_default(),
                ),
                text(
                    loan.last
                        .map(|d| words::date(d, language))
                        .unwrap_or_default(),
                ),
                text(
                    due.map(|d| words::date(d, language))
                        .unwrap_or_else(|| pick(language, "none agreed", "定めなし").into()),
                ),
                Cell::Amount(Decimal::from(days)),
                text(if overdue {
                    pick(language, "OVERDUE", "超過")
                } else {
                    pick(language, "no", "なし")
                }),
                text(if settings_loan.is_some_and(|l| l.related_party) {
                    pick(language, "yes", "該当")
                } else {
                    pick(language, "no", "非該当")
                }),
                text(loan.funds.join(", ")),
            ],
        );
    }
    let mut totals = vec![
        Cell::Amount(borrowed_total),
        Cell::Amount(repaid_total),
        Cell::Amount(outstanding_total),
    ];
    totals.extend(std::iter::repeat_n(Cell::Empty, 7));
    let total_label = pick(language, "Total", "合計");
    register.cells(total_label, 0, RowKind::Total, totals);
    if outstanding_total != -control {
        return Err(ReportError::DoesNotTie(format!(
            "the loans add up to {outstanding_total} but the member-loan accounts hold {}",
            -control
        )));
    }
    register.tie(
        "liabilities/member-loans",
        "Total / Outstanding",
        outstanding_total,
    );
    register.notes.push(match language {
        Language::En => format!(
            "The total equals the balance of the member-loan accounts in the statement of financial position ({} {}).",
            crate::render::text::grouped(-control),
            valued.base
        ),
        Language::Ja => format!(
            "合計は貸借対照表の会員からの借入金の残高（{}）に一致します。",
            crate::render::text::grouped(-control),
        ),
    });

    let mut maturity = in_language(
        Statement::new(
            "loans-maturity",
            pick(
                language,
                "Maturity of member loans",
                "会員からの借入金の返済期日別残高",
            ),
            as_of_text(journal, as_of, language),
            headers(language, &["Outstanding"], &["残高"]),
            &valued.base,
        ),
        language,
    );
    let ladder_labels = match language {
        Language::En => [
            "Due within 3 months",
            "Due in 3 to 12 months",
            "Due later",
            "No due date agreed",
        ],
        Language::Ja => [
            "3か月以内に期日",
            "3か月超12か月以内に期日",
            "12か月超",
            "返済期日の定めなし",
        ],
    };
    for (label, amount) in ladder_labels.iter().zip(ladder) {
        maturity.amounts(*label, 1, RowKind::Line, &[amount]);
    }
    maturity.amounts(total_label, 0, RowKind::Total, &[outstanding_total]);

    let mut exposure = in_language(
        Statement::new(
            "loans-exposure",
            pick(language, "Loan exposure", "借入金の負担"),
            as_of_text(journal, as_of, language),
            headers(language, &["Value"], &["値"]),
            &valued.base,
        ),
        language,
    );
    let monthly_income = money::round(
        unrestricted_income / Decimal::from(12),
        valued.precision,
        RoundingStrategy::MidpointNearestEven,
    );
    let exposure_labels = match language {
        Language::En => [
            "Outstanding member loans",
            "Unrestricted net assets",
            "Loans / unrestricted net assets",
            "Unrestricted cash",
            "Loans / unrestricted cash",
            "Average unrestricted income per month (the fiscal year)",
            "Loans in months of unrestricted income",
        ],
        Language::Ja => [
            "会員からの借入金残高",
            "使途の制約のない正味財産",
            "借入金 ÷ 制約のない正味財産",
            "使途の制約のない現金預金",
            "借入金 ÷ 制約のない現金預金",
            "使途の制約のない収益の月平均（当年度）",
            "借入金は制約のない収益の何か月分か",
        ],
    };
    for (label, cell) in exposure_labels.iter().zip([
        Cell::Amount(outstanding_total),
        Cell::Amount(unrestricted_net_assets),
        ratio(outstanding_total, unrestricted_net_assets),
        Cell::Amount(unrestricted_cash),
        ratio(outstanding_total, unrestricted_cash),
        Cell::Amount(monthly_income),
        ratio(outstanding_total, monthly_income),
    ]) {
        exposure.cells(*label, 1, RowKind::Line, vec![cell]);
    }
    exposure.notes.push(pick(language, "Ratios are rounded to two places, half to even. Unrestricted: the unrestricted and board-designated funds; cash: cash in hand and at bank.", "比率は小数第2位まで（偶数丸め）。使途の制約のないもの：一般会計と理事会が指定した会計。現金預金：手許現金と預金。").into());
    // The year's movement per lender, beside the figures since inception.
    let movements = super::filing::loan_movements(valued, begin.min(cutoff), cutoff)?;
    let mut movement = in_language(
        Statement::new(
            "loans-movement",
            pick(
                language,
                "Movement of member loans in the year",
                "会員からの借入金の当期増減",
            ),
            words::period(journal, begin.min(cutoff), cutoff, language),
            headers(
                language,
                &["Owed at the start", "Borrowed", "Repaid", "Owed at the end"],
                &["期首残高", "当期借入", "当期返済", "期末残高"],
            ),
            &valued.base,
        ),
        language,
    );
    movement.label_header = register.label_header.clone();
    let mut totals = [Decimal::ZERO; 4];
    for m in &movements {
        let row = [m.opening, m.borrowed, m.repaid, m.closing];
        let lender = words::lender(settings, &m.account, language);
        movement.amounts(lender, 1, RowKind::Line, &row);
        for (t, v) in totals.iter_mut().zip(row) {
            super::acc(t, v)?;
        }
    }
    movement.amounts(total_label, 0, RowKind::Total, &totals);
    movement.tie(
        "liabilities/member-loans",
        "Total / Owed at the end",
        totals[3],
    );
    Ok(vec![register, movement, maturity, exposure])
}

/// Self-reliance sales by product and month.
///
/// # Errors
/// [`ReportError`] when a figure cannot be valued.
pub fn sales(
    valued: &Valued<'_>,
    begin: NaiveDate,
    end: NaiveDate,
    language: Language,
) -> Result<Statement, ReportError> {
    let journal = valued.journal;
    let settings = journal.settings();
    let kg = words::unit(settings, "kg", language);
    let rice_header = match language {
        Language::En => format!("Rice bought ({kg})"),
        Language::Ja => format!("購入できる米（{kg}）"),
    };
    let mut columns = headers(
        language,
        &[
            "Units sold",
            "Units returned",
            "Defect rate %",
            "Revenue",
            "Average price",
        ],
        &["販売数", "返品数", "返品率 %", "売上高", "平均単価"],
    );
    columns.push(rice_header);
    let mut s = in_language(
        Statement::new(
            "sales",
            pick(language, "Self-reliance sales", "自立支援事業の販売"),
            words::period(journal, begin, end, language),
            columns,
            &valued.base,
        ),
        language,
    );
    s.label_header = pick(language, "Product and month", "製品・月").into();
    // Which product and figure (0 sold, 1 returned, 2 revenue) each account
    // counts for, by account id: one look-up per posting, one pass.
    let roles: Vec<Option<(usize, usize)>> = journal
        .account_ids()
        .map(|id| {
            let name = journal.account_name(id);
            settings
                .products
                .iter()
                .enumerate()
                .find_map(|(k, product)| {
                    if name == product.sold_account {
                        Some((k, 0))
                    } else if name == product.returned_account {
                        Some((k, 1))
                    } else if name == product.income_account {
                        Some((k, 2))
                    } else {
                        None
                    }
                })
        })
        .collect();
    let mut months: Vec<BTreeMap<NaiveDate, [Decimal; 3]>> =
        vec![BTreeMap::new(); settings.products.len()];
    for t in valued.transactions_within(begin, end) {
        if t.date < begin || t.date >= end {
            continue;
        }
        let range = t.posting_range();
        for (offset, p) in journal.postings(t).iter().enumerate() {
            let Some((k, figure)) = roles[p.account.index()] else {
                continue;
            };
            let wanted_kind = if figure == 2 {
                PostingKind::Real
            } else {
                PostingKind::UnbalancedVirtual
            };
            if p.kind != wanted_kind {
                continue;
            }
            let month = NaiveDate::from_ymd_opt(
                chrono::Datelike::year(&t.date),
                chrono::Datelike::month(&t.date),
                1,
            )
            .unwrap_or(t.date);
            let entry = months[k].entry(month).or_insert([Decimal::ZERO; 3]);
            let amount = if figure == 2 {
                -valued.value(range.start + offset)
            } else {
                p.quantity
            };
            entry[figure] = money::checked_add(entry[figure], amount)?;
        }
    }
    for (product, mut per_month) in settings.products.iter().zip(months) {
        per_month.retain(|_, v| v.iter().any(|d| !d.is_zero()));
        if per_month.is_empty() {
            continue;
        }
        let name = words::product(product, language);
        s.heading(name.clone(), 0);
        let mut totals = [Decimal::ZERO; 3];
        for (month, [sold, returned, revenue]) in &per_month {
            s.cells(
                words::month(*month, language),
                1,
                RowKind::Line,
                product_cells(product, *sold, *returned, *revenue)?,
            );
            super::acc(&mut totals[0], *sold)?;
            super::acc(&mut totals[1], *returned)?;
            super::acc(&mut totals[2], *revenue)?;
        }
        s.cells(
            match language {
                Language::En => format!("{name} total"),
                Language::Ja => format!("{name} 計"),
            },
            1,
            RowKind::Subtotal,
            product_cells(product, totals[0], totals[1], totals[2])?,
        );
    }
    s.notes.push(pick(language, "Revenue is gross of returns (returns are shown as their own line of income). Rice bought: units sold net of returns times the kilograms of rice one unit's profit buys, from the product catalogue.", "売上高は返品控除前（返品は収益の別の行に示す）。購入できる米：返品を除いた販売数に、製品1個の利益で買える米の量（製品一覧による）を掛けたもの。").into());
    Ok(s)
}

fn product_cells(
    product: &crate::model::settings::ProductSettings,
    sold: Decimal,
    returned: Decimal,
    revenue: Decimal,
) -> Result<Vec<Cell>, ReportError> {
    let defect = if sold.is_zero() {
        text("-")
    } else {
        Cell::Amount(money::round(
            money::checked_percent(returned, sold)?,
            1,
            RoundingStrategy::MidpointNearestEven,
        ))
    };
    let average = if sold.is_zero() {
        text("-")
    } else {
        Cell::Amount(money::round(
            money::checked_ratio(revenue, sold)?,
            0,
            RoundingStrategy::MidpointNearestEven,
        ))
    };
    let kept = money::checked_sub(sold, returned)?;
    let rice = match product
        .rice_kg_per_unit
        .as_deref()
        .map(|r| r.split_once('-').unwrap_or((r, r)))
    {
        Some((low, high)) => {
            let low: Decimal = low.trim().parse().unwrap_or_default();
            let high: Decimal = high.trim().parse().unwrap_or_default();
            let (low, high) = (
                money::checked_mul_exact(kept, low)?,
                money::checked_mul_exact(kept, high)?,
            );
            if low == high {
                Cell::Amount(low)
            } else {
                text(format!("{low}-{high}"))
            }
        }
        None => text("-"),
    };
    Ok(vec![
        Cell::Amount(sold),
        Cell::Amount(returned),
        defect,
        Cell::Amount(revenue),
        average,
        rice,
    ])
}

/// Monthly quantities of one output account (all its unit commodities
/// added; the account's postings are expected in one unit).
///
/// # Errors
/// [`ReportError::Overflow`] when a sum overflows.
pub fn monthly_outputs(
    journal: &Journal,
    account: &str,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<(NaiveDate, Decimal)>, ReportError> {
    let mut per_month: BTreeMap<NaiveDate, Decimal> = months(begin, end)
        .into_iter()
        .map(|m| (m, Decimal::ZERO))
        .collect();
    for t in journal.transactions() {
        if t.date < begin || t.date >= end {
            continue;
        }
        let month = NaiveDate::from_ymd_opt(
            chrono::Datelike::year(&t.date),
            chrono::Datelike::month(&t.date),
            1,
        )
        .unwrap_or(t.date);
        for p in journal.postings(t) {
            if p.kind == PostingKind::UnbalancedVirtual
                && account_matches(journal.account_name(p.account), account)
            {
                super::acc(per_month.entry(month).or_default(), p.quantity)?;
            }
        }
    }
    Ok(per_month.into_iter().collect())
}

/// One output account's observations in the period, per tag value.
#[derive(Default)]
struct OutputSeries {
    /// (dimension value or "", month) → (date of the latest observation,
    /// quantity observed that date).
    observations: BTreeMap<(String, NaiveDate), (NaiveDate, Decimal)>,
    /// Sum of the postings per dimension value ("" for postings without).
    sums: BTreeMap<String, Decimal>,
}

/// A stock's year-end, peak and average over the months observed.
struct StockFigures {
    end: Decimal,
    peak: Decimal,
    average: Decimal,
}

fn stock_figures(
    months: &BTreeMap<NaiveDate, Decimal>,
) -> Result<Option<StockFigures>, ReportError> {
    let Some((_, &end)) = months.iter().next_back() else {
        return Ok(None);
    };
    let peak = months.values().copied().max().unwrap_or_default();
    let sum = money::checked_sum(months.values().copied())?;
    let average = money::round(
        money::checked_ratio(sum, Decimal::from(months.len() as u64))?,
        1,
        RoundingStrategy::MidpointNearestEven,
    );
    Ok(Some(StockFigures { end, peak, average }))
}

/// Programme outputs: every output account's figures over the period (a
/// flow's total; a stock's year-end, peak and monthly average, never a
/// sum), broken down by route or region, with the cost per unit from the
/// statement engine (the programme's expenses after shared costs are
/// allocated), and each target month by month.
///
/// # Errors
/// [`ReportError`] when a figure overflows.
pub fn outputs(
    c: &super::engine::Classified<'_, '_>,
    language: Language,
) -> Result<Vec<Statement>, ReportError> {
    let journal = c.valued.journal;
    let settings = journal.settings();
    let (begin, end) = (c.begin, c.end);
    let mut series: BTreeMap<(String, String), OutputSeries> = BTreeMap::new();
    for t in c.valued.transactions_within(begin, end) {
        if t.date < begin || t.date >= end {
            continue;
        }
        let month = NaiveDate::from_ymd_opt(
            chrono::Datelike::year(&t.date),
            chrono::Datelike::month(&t.date),
            1,
        )
        .unwrap_or(t.date);
        for p in journal.postings(t) {
            if p.kind != PostingKind::UnbalancedVirtual {
                continue;
            }
            let account = journal.account_name(p.account).to_string();
            let unit = journal.commodity_name(p.commodity).to_string();
            let entry = series.entry((account, unit)).or_default();
            let dimension = ["route", "region"]
                .iter()
                .find_map(|tag| {
                    journal
                        .posting_tag(p, tag)
                        .map(|v| words::dimension(settings, tag, v, language))
                })
                .unwrap_or_default();
            super::acc(entry.sums.entry(dimension.clone()).or_default(), p.quantity)?;
            let observation = entry
                .observations
                .entry((dimension, month))
                .or_insert((t.date, Decimal::ZERO));
            if t.date > observation.0 {
                *observation = (t.date, Decimal::ZERO);
            }
            super::acc(&mut observation.1, p.quantity)?;
        }
    }
    let mut summary = in_language(
        Statement::new(
            "outputs",
            pick(language, "Programme outputs", "事業の成果"),
            words::period(journal, begin, end, language),
            headers(
                language,
                &[
                    "Total in the period",
                    "At the end",
                    "Peak",
                    "Monthly average",
                    "Unit",
                    "Cost per unit",
                ],
                &[
                    "期間の合計",
                    "期末",
                    "最大",
                    "月平均",
                    "単位",
                    "単位あたり費用",
                ],
            ),
            &c.valued.base,
        ),
        language,
    );
    summary.label_header = pick(language, "Output", "成果").into();
    let measure_of = |unit: &str| {
        settings
            .commodity(unit)
            .map(|c| c.measure)
            .unwrap_or_default()
    };
    for ((account, unit), s) in &series {
        let label = words::account(settings, account, language);
        let stock = measure_of(unit) == crate::model::settings::Measure::Stock;
        // Per dimension value: month → quantity. A stock's monthly figure
        // for the whole output adds the dimensions' latest observations.
        let mut per_dimension: BTreeMap<&str, BTreeMap<NaiveDate, Decimal>> = BTreeMap::new();
        for ((dimension, month), (_, quantity)) in &s.observations {
            super::acc(
                per_dimension
                    .entry(dimension.as_str())
                    .or_default()
                    .entry(*month)
                    .or_default(),
                *quantity,
            )?;
        }
        let mut whole: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
        for months in per_dimension.values() {
            for (month, q) in months {
                super::acc(whole.entry(*month).or_default(), *q)?;
            }
        }
        let program = account.split(':').nth(1).unwrap_or("");
        let function = c.functions.iter().position(|f| f.id == program);
        let cost = match function {
            Some(k) if settings.report.unit_costs.iter().any(|a| a == account) => {
                Some(c.expenses(|f, _, _| f == k)?)
            }
            _ => None,
        };
        let row = |figures: (Option<Decimal>, Option<StockFigures>),
                   with_cost: bool|
         -> Result<Vec<Cell>, ReportError> {
            let (flow, stock) = figures;
            let basis = flow.or(stock.as_ref().map(|s| s.average));
            let cost_cell = match (with_cost, cost, basis) {
                (true, Some(cost), Some(b)) if !b.is_zero() => Cell::Amount(money::round(
                    money::checked_ratio(cost, b)?,
                    0,
                    RoundingStrategy::MidpointNearestEven,
                )),
                _ => Cell::Empty,
            };
            Ok(vec![
                flow.map(Cell::Amount).unwrap_or(Cell::Empty),
                stock
                    .as_ref()
                    .map(|s| Cell::Amount(s.end))
                    .unwrap_or(Cell::Empty),
                stock
                    .as_ref()
                    .map(|s| Cell::Amount(s.peak))
                    .unwrap_or(Cell::Empty),
                stock
                    .as_ref()
                    .map(|s| Cell::Amount(s.average))
                    .unwrap_or(Cell::Empty),
                text(words::unit(settings, unit, language)),
                cost_cell,
            ])
        };
        let figures_of = |months: &BTreeMap<NaiveDate, Decimal>,
                          sum: Decimal|
         -> Result<(Option<Decimal>, Option<StockFigures>), ReportError> {
            Ok(if stock {
                (None, stock_figures(months)?)
            } else {
                (Some(sum), None)
            })
        };
        let total_sum = money::checked_sum(s.sums.values().copied())?;
        summary.cells(
            label.clone(),
            1,
            RowKind::Line,
            row(figures_of(&whole, total_sum)?, true)?,
        );
        if let (Some(k), Some(cost)) = (function, cost) {
            summary.tie(
                format!("expenses/function/{}", c.functions[k].id),
                format!("cost of {account}"),
                cost,
            );
        }
        for (dimension, months) in &per_dimension {
            if dimension.is_empty() {
                continue;
            }
            let sum = s.sums.get(*dimension).copied().unwrap_or_default();
            summary.cells(
                match language {
                    Language::En => format!("{label}, {dimension}"),
                    Language::Ja => format!("{label}（{dimension}）"),
                },
                2,
                RowKind::Line,
                row(figures_of(months, sum)?, false)?,
            );
        }
    }
    summary.notes.push(match language {
        Language::En => format!(
            "A flow (kg delivered, garments, pieces sold) is the total of the period; a stock (children supported, people sheltered, shelters, spots served) is counted when observed: its latest count at the end, its peak and its average over the months observed (rounded to one place, half to even), never a sum. Cost per unit (for each programme's main output): the programme's whole expenses in {} after shared costs are allocated, divided by a flow's total or a stock's average, rounded half to even.",
            c.valued.base
        ),
        Language::Ja => "フロー（配送した米、衣類、販売した製品）は期間の合計。ストック（支援した子ども、シェルターの人数、シェルター数、配布場所）は観測した時点の数で、期末の最新の数、最大、観測した月の平均（小数第1位まで、偶数丸め）を示し、合計はしない。単位あたり費用（各事業の主な成果について）：共通費を配分した後の事業の費用の総額を、フローは合計で、ストックは平均で割ったもの（偶数丸め）。".to_string(),
    });
    let mut out = vec![summary];
    for target in &settings.report.targets {
        let monthly = monthly_outputs(journal, &target.account, begin, end)?;
        let label = words::account(settings, &target.account, language);
        let unit = words::unit(settings, &target.unit, language);
        let per_month = crate::render::text::grouped(target.per_month);
        let mut s = in_language(
            Statement::new(
                "outputs-target",
                match language {
                    Language::En => {
                        format!("{label} against the target of {per_month} {unit} a month")
                    }
                    Language::Ja => format!("{label}：月 {per_month} {unit} の目標に対する実績"),
                },
                words::period(journal, begin, end, language),
                headers(
                    language,
                    &["Delivered", "Target", "Delivered / target %"],
                    &["実績", "目標", "達成率 %"],
                ),
                &unit,
            ),
            language,
        );
        s.label_header = pick(language, "Month", "月").into();
        let mut total = Decimal::ZERO;
        for (month, quantity) in &monthly {
            let percent = if target.per_month.is_zero() {
                text("-")
            } else {
                Cell::Amount(money::round(
                    money::checked_percent(*quantity, target.per_month)?,
                    1,
                    RoundingStrategy::MidpointNearestEven,
                ))
            };
            s.cells(
                words::month(*month, language),
                1,
                RowKind::Line,
                vec![
                    Cell::Amount(*quantity),
                    Cell::Amount(target.per_month),
                    percent,
                ],
            );
            super::acc(&mut total, *quantity)?;
        }
        let target_total =
            money::checked_mul_exact(target.per_month, Decimal::from(monthly.len() as u64))?;
        s.cells(
            pick(language, "Total", "合計"),
            0,
            RowKind::Total,
            vec![
                Cell::Amount(total),
                Cell::Amount(target_total),
                ratio(
                    money::checked_mul_exact(total, Decimal::ONE_HUNDRED)?,
                    target_total,
                ),
            ],
        );
        out.push(s);
    }
    Ok(out)
}
