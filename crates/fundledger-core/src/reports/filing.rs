//! The rest of the filing set, from the same classification as the
//! statements: the notes each standard requires (NPO法人会計基準's 注記,
//! ASC 958's notes, the SORP's notes), the statement of cash flows, and the
//! movement of the member loans. Each table records the figures it shares
//! with the statements, so [`super::engine::reconcile`] ties the notes to
//! the statements before anything prints: restricted funds to 指定正味財産,
//! loans to 借入金, 事業費の内訳 to 事業費, the cash flows to the cash at both
//! ends of the year.

use chrono::NaiveDate;

use super::engine::{BalanceLine, Classified, IncomeCategory};
use super::financial::{Standard, StatementSet};
use super::statement::{Cell, Language, RowKind, Statement};
use super::words;
use super::ReportError;
use crate::model::money::{self, Decimal};
use crate::model::query::account_matches;
use crate::model::settings::{AccountClass, Restriction};

/// One member loan's movement over a period.
#[derive(Clone, Debug)]
pub struct LoanMovement {
    /// The liability account.
    pub account: String,
    /// The lender, as the register names them.
    pub lender: String,
    /// True when the lender is a related party (an officer or their family).
    pub related_party: bool,
    /// When it is due.
    pub due: Option<NaiveDate>,
    /// The annual interest rate in percent, as written.
    pub interest_percent: Option<String>,
    /// Owed at the start of the period.
    pub opening: Decimal,
    /// Borrowed during the period.
    pub borrowed: Decimal,
    /// Repaid during the period.
    pub repaid: Decimal,
    /// Owed at the end.
    pub closing: Decimal,
}

/// The movement of every member loan over `[begin, end)`, in the base
/// currency, from the valued postings of the loan accounts.
///
/// # Errors
/// [`ReportError::Overflow`], or a loan whose movement does not roll.
pub fn loan_movements(
    valued: &super::valued::Valued<'_>,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<LoanMovement>, ReportError> {
    // The notes and the board's pages ask the same period's movements.
    valued.memoized("loan movements", (begin, end), || {
        loan_movements_passed(valued, begin, end)
    })
}

/// [`loan_movements`], by a pass over the postings.
fn loan_movements_passed(
    valued: &super::valued::Valued<'_>,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<LoanMovement>, ReportError> {
    let journal = valued.journal;
    let settings = journal.settings();
    let is_loan = super::engine::accounts_where(journal, |_, name| {
        super::engine::is_member_loan(settings, name)
    });
    let new_loan = |account: &str| {
        let registered = settings
            .loans
            .iter()
            .find(|l| account_matches(account, &l.account));
        LoanMovement {
            account: account.to_string(),
            lender: registered
                .map(|l| l.lender.clone())
                .unwrap_or_else(|| account.rsplit(':').next().unwrap_or(account).into()),
            related_party: registered.is_some_and(|l| l.related_party),
            due: registered.and_then(|l| l.due),
            interest_percent: registered.and_then(|l| l.interest_percent.clone()),
            opening: Decimal::ZERO,
            borrowed: Decimal::ZERO,
            repaid: Decimal::ZERO,
            closing: Decimal::ZERO,
        }
    };
    // Each loan account's movement, by account id, and the accounts in the
    // order met; in parallel chunks of transactions merged in journal order.
    type Movements = (
        Vec<Option<LoanMovement>>,
        Vec<crate::model::journal::AccountId>,
    );
    let (mut by_id, order): Movements = valued.fold_before(
        end,
        || (vec![None; is_loan.len()], Vec::new()),
        |(by_id, order): &mut Movements, t, real| {
            for (p, value) in real {
                if !is_loan[p.account.index()] {
                    continue;
                }
                let m = by_id[p.account.index()].get_or_insert_with(|| {
                    order.push(p.account);
                    new_loan(journal.account_name(p.account))
                });
                let owed = -value;
                super::acc(&mut m.closing, owed)?;
                if t.date < begin {
                    super::acc(&mut m.opening, owed)?;
                } else if owed.is_sign_positive() {
                    super::acc(&mut m.borrowed, owed)?;
                } else {
                    super::acc(&mut m.repaid, -owed)?;
                }
            }
            Ok(())
        },
        |(mut by_id, mut order), (later, later_order)| {
            for account in later_order {
                let Some(theirs) = later[account.index()].clone() else {
                    continue;
                };
                match &mut by_id[account.index()] {
                    Some(m) => {
                        super::acc(&mut m.opening, theirs.opening)?;
                        super::acc(&mut m.borrowed, theirs.borrowed)?;
                        super::acc(&mut m.repaid, theirs.repaid)?;
                        super::acc(&mut m.closing, theirs.closing)?;
                    }
                    mine => {
                        *mine = Some(theirs);
                        order.push(account);
                    }
                }
            }
            Ok((by_id, order))
        },
    )?;
    let out: Vec<LoanMovement> = order
        .into_iter()
        .filter_map(|account| by_id[account.index()].take())
        .collect();
    for m in &out {
        let rolled = money::checked_sum([m.opening, m.borrowed, -m.repaid])?;
        if rolled != m.closing {
            return Err(ReportError::DoesNotTie(format!(
                "loan {}: {} + {} − {} ≠ {}",
                m.account, m.opening, m.borrowed, m.repaid, m.closing
            )));
        }
    }
    Ok(out)
}

/// True when a loan falls due more than 12 months after `last`.
fn long_term(m: &LoanMovement, last: NaiveDate) -> bool {
    let horizon = last
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(last);
    m.due.is_some_and(|d| d > horizon)
}

fn language_of(standard: Standard) -> Language {
    if standard == Standard::JpNpo {
        Language::Ja
    } else {
        Language::En
    }
}

fn titled(
    c: &Classified<'_, '_>,
    id: &str,
    title: String,
    columns: &[&str],
    language: Language,
) -> Statement {
    let mut s = Statement::new(
        id,
        title,
        words::period(c.valued.journal, c.begin, c.end, language),
        columns.iter().map(|c| c.to_string()).collect(),
        &c.valued.base,
    );
    if language == Language::Ja {
        s = s.japanese();
    }
    s
}

/// A note of text only: its paragraphs.
fn text_note(
    c: &Classified<'_, '_>,
    id: &str,
    title: String,
    language: Language,
    paragraphs: Vec<String>,
) -> Statement {
    let mut s = titled(c, id, title, &[], language);
    s.unit.clear();
    s.notes = paragraphs;
    s
}

/// The notes of the financial statements under `standard`, in the order
/// the standard sets, reconciled with the statements of `set`.
///
/// # Errors
/// [`ReportError`] when a figure overflows or a note does not tie.
pub fn notes(
    c: &Classified<'_, '_>,
    standard: Standard,
    set: &StatementSet,
    previous: Option<&StatementSet>,
) -> Result<Vec<Statement>, ReportError> {
    let notes = match standard {
        Standard::JpNpo => notes_npo(c, set)?,
        Standard::Asc958 => notes_asc958(c)?,
        Standard::Sorp => notes_sorp(c, set, previous)?,
    };
    super::engine::reconcile(set.statements().into_iter().chain(&notes))?;
    Ok(notes)
}

/// The shared-cost allocations in words.
pub(crate) fn allocation_text(c: &Classified<'_, '_>, language: Language) -> Vec<String> {
    let settings = c.valued.journal.settings();
    settings
        .report
        .allocations
        .iter()
        .map(|a| {
            let shares: Vec<String> = a
                .shares
                .iter()
                .map(|(f, share)| {
                    let label = c
                        .functions
                        .iter()
                        .find(|fu| fu.id == *f || fu.label == *f)
                        .map(|fu| match language {
                            Language::Ja => fu.label_ja.clone(),
                            Language::En => fu.label.clone(),
                        })
                        .unwrap_or_else(|| f.clone());
                    format!("{label} {}%", share.0)
                })
                .collect();
            let account = words::account(settings, &a.account, language);
            match language {
                Language::Ja => format!(
                    "{account}は{}の割合で按分しています（按分の基準：{}）。",
                    shares.join("、"),
                    a.basis_ja
                        .as_deref()
                        .or(a.basis.as_deref())
                        .unwrap_or("記載なし")
                ),
                Language::En => format!(
                    "{account} is shared: {}{}.",
                    shares.join(", "),
                    a.basis
                        .as_deref()
                        .map(|b| format!(" (basis: {b})"))
                        .unwrap_or_default()
                ),
            }
        })
        .collect()
}

/// A table of loans grouped under labels: opening, borrowed, repaid,
/// closing per group, and the total.
fn loan_table(
    s: &mut Statement,
    groups: &[(String, Vec<&LoanMovement>)],
    total_label: &str,
) -> Result<[Decimal; 4], ReportError> {
    let mut totals = [Decimal::ZERO; 4];
    for (label, members) in groups {
        let mut row = [Decimal::ZERO; 4];
        for m in members {
            for (r, v) in row
                .iter_mut()
                .zip([m.opening, m.borrowed, m.repaid, m.closing])
            {
                super::acc(r, v)?;
            }
        }
        if row.iter().all(|v| v.is_zero()) {
            continue;
        }
        s.amounts(label.clone(), 1, RowKind::Line, &row);
        for (t, v) in totals.iter_mut().zip(row) {
            super::acc(t, v)?;
        }
    }
    s.amounts(total_label, 0, RowKind::Total, &totals);
    Ok(totals)
}

fn notes_npo(c: &Classified<'_, '_>, set: &StatementSet) -> Result<Vec<Statement>, ReportError> {
    let language = Language::Ja;
    let last = c.end.pred_opt().unwrap_or(c.end);
    let mut out = Vec::new();
    let mut policies = vec![
        "(1) 財務諸表の作成基準：NPO法人会計基準（2010年7月20日 2011年11月20日一部改正、2017年12月12日最終改正 NPO法人会計基準協議会）によっています。".to_string(),
        "(2) 現物寄附の評価：受け入れた物品は、受入時の公正な評価額（古着は中古品の市場価格）で受取寄附金（現物寄附）に計上し、配付した時に同額を現物給付費に計上しています。".to_string(),
        "(3) 外貨建取引の円換算：外貨建取引は取引日の帳簿に記録した月次レートにより円換算し、取引ごとの端数は最大剰余法で調整しています。両替の実際の交換レートと月次レートとの差額は為替差損益としています。期末に保有する外貨は決算日の為替相場により円換算しています。指定正味財産に属する外貨建資産から生じた為替差損益は、指定正味財産増減の部に計上しています。".to_string(),
        "(4) 借入金の区分：返済期限が貸借対照表日の翌日から1年以内のもの及び返済期限の定めのないものを短期借入金、それ以外を長期借入金としています。".to_string(),
        "(5) 消費税等の会計処理：税込方式によっています。".to_string(),
    ];
    let allocations = allocation_text(c, language);
    if !allocations.is_empty() {
        policies.push(format!("(6) 共通経費の按分：{}", allocations.join("")));
    }
    out.push(text_note(
        c,
        "notes-policies",
        "1. 重要な会計方針".into(),
        language,
        policies,
    ));

    let mut programs = set.functional.clone();
    programs.id = "notes-programs".into();
    programs.title = "2. 事業費の内訳".into();
    out.push(programs);

    let mut restricted = set.funds.clone();
    restricted.id = "notes-restricted".into();
    restricted.title = "3. 使途等が制約された寄付等の内訳".into();
    out.push(restricted);

    let loans = loan_movements(c.valued, c.begin, c.end)?;
    let mut borrowings = titled(
        c,
        "notes-borrowings",
        "4. 借入金の増減内訳".into(),
        &["期首残高", "当期借入", "当期返済", "期末残高"],
        language,
    );
    borrowings.label_header = "科目".into();
    let groups = vec![
        (
            "短期借入金".to_string(),
            loans.iter().filter(|m| !long_term(m, last)).collect(),
        ),
        (
            "長期借入金".to_string(),
            loans.iter().filter(|m| long_term(m, last)).collect(),
        ),
    ];
    let totals = loan_table(&mut borrowings, &groups, "合計")?;
    borrowings.tie(
        "liabilities/member-loans",
        "借入金 期末残高 合計",
        totals[3],
    );
    for (label, members) in &groups {
        let closing = money::checked_sum(members.iter().map(|m| m.closing))?;
        borrowings.tie(
            format!(
                "liabilities/member-loans/{}",
                if label == "短期借入金" {
                    "current"
                } else {
                    "long-term"
                }
            ),
            format!("{label} 期末残高"),
            closing,
        );
    }
    borrowings.notes.push("借入金はすべて会員からの無利息の借入金です。貸し手ごとの明細は理事会資料（借入金の明細）に記載しています。".into());
    out.push(borrowings);

    let related: Vec<&LoanMovement> = loans.iter().filter(|m| m.related_party).collect();
    let mut officers = titled(
        c,
        "notes-officers",
        "5. 役員及びその近親者との取引の内容".into(),
        &["期首残高", "当期借入", "当期返済", "期末残高"],
        language,
    );
    officers.label_header = "取引の内容".into();
    if related.is_empty() {
        officers
            .notes
            .push("役員及びその近親者との取引はありません。".into());
    } else {
        loan_table(
            &mut officers,
            &[(
                format!("役員からの借入金（{}件）", related.len()),
                related.clone(),
            )],
            "合計",
        )?;
        let dues: Vec<String> = related
            .iter()
            .map(|m| {
                m.due
                    .map(|d| words::date(d, language))
                    .unwrap_or_else(|| "定めなし".into())
            })
            .collect();
        let mut interest: Vec<String> = related
            .iter()
            .map(|m| m.interest_percent.clone().unwrap_or_else(|| "0".into()))
            .collect();
        interest.dedup();
        officers.notes.push(format!(
            "取引条件：利率 {}%、返済期限 {}。担保の提供はありません。",
            interest.join("%、"),
            dues.join("、")
        ));
    }
    out.push(officers);
    Ok(out)
}

fn notes_asc958(c: &Classified<'_, '_>) -> Result<Vec<Statement>, ReportError> {
    let language = Language::En;
    let journal = c.valued.journal;
    let settings = journal.settings();
    let last = c.end.pred_opt().unwrap_or(c.end);
    let mut out = Vec::new();
    let mut policies = vec![
        "Basis of presentation: the financial statements follow FASB ASC 958 as amended by ASU 2016-14; net assets are classified as without donor restrictions (including amounts designated by the board) or with donor restrictions.".to_string(),
        "Contributions are recognised when received. A contribution that a donor restricts to a purpose is reported with donor restrictions and released when the organisation spends it for that purpose; a release is never larger than what the restricted fund holds.".to_string(),
        "Contributed nonfinancial assets (clothing carried from Japan) are recognised at fair value when received (second-hand market prices) and expensed when distributed in the programmes; none were monetised.".to_string(),
        "Foreign currency: transactions in yuan and dollars are translated at the month's rate recorded in the books on their date; the difference between the rate of an exchange and the month's rate is a foreign-exchange result. Foreign cash held at the year end is translated at the closing rate.".to_string(),
        "Functional allocation: expenses are charged to the programme or supporting service their account belongs to; shared costs are allocated as follows.".to_string(),
    ];
    policies.extend(allocation_text(c, language));
    out.push(text_note(
        c,
        "notes-policies",
        "Note 1. Summary of significant accounting policies".into(),
        language,
        policies,
    ));

    // Liquidity and availability (ASC 958-210-50-1A).
    let mut liquidity = titled(
        c,
        "notes-liquidity",
        "Note 2. Liquidity and availability of financial assets".into(),
        &["Amount"],
        language,
    );
    let mut financial_assets = Decimal::ZERO;
    liquidity.heading(format!("Financial assets at {last}"), 0);
    for line in c.balances.keys() {
        if let BalanceLine::Asset(account) = line {
            let is_cash = settings
                .report
                .cash_accounts
                .iter()
                .any(|a| account_matches(account, a));
            let value = c.balance(line)?;
            if is_cash && !value.is_zero() {
                liquidity.amounts(
                    words::account(settings, account, language),
                    1,
                    RowKind::Line,
                    &[value],
                );
                super::acc(&mut financial_assets, value)?;
            }
        }
    }
    liquidity.amounts(
        "Total financial assets",
        0,
        RowKind::Subtotal,
        &[financial_assets],
    );
    liquidity.heading(
        "Less amounts not available for general expenditure within one year",
        0,
    );
    let mut unavailable = Decimal::ZERO;
    let mut restricted_total = Decimal::ZERO;
    for (&fund, f) in &c.funds {
        let restriction = c.restriction(fund);
        if restriction == Restriction::Unrestricted {
            continue;
        }
        let (own, _) = c.presented(fund, f.closing_by_balances);
        if own.is_zero() {
            continue;
        }
        let why = if restriction == Restriction::BoardDesignated {
            "designated by the board"
        } else {
            "restricted by donors"
        };
        liquidity.amounts(
            format!(
                "{} ({why})",
                words::fund(settings, journal.fund_name(fund), language)
            ),
            1,
            RowKind::Line,
            &[-own],
        );
        super::acc(&mut unavailable, own)?;
        if restriction.is_donor_restricted() {
            super::acc(&mut restricted_total, own)?;
        }
    }
    let available = money::checked_sub(financial_assets, unavailable)?;
    liquidity.amounts(
        "Financial assets available for general expenditure within one year",
        0,
        RowKind::Total,
        &[available],
    );
    liquidity.tie(
        "net-assets/closing/1",
        "restricted by donors",
        restricted_total,
    );
    let loans = loan_movements(c.valued, c.begin, c.end)?;
    let due_soon = money::checked_sum(
        loans
            .iter()
            .filter(|m| !long_term(m, last))
            .map(|m| m.closing),
    )?;
    liquidity.notes.push(format!(
        "The organisation keeps its general funds in a postal savings account and in cash for the field; it has no investments. Loans from members of {} {} fall due within one year (or have no agreed due date) and are repaid from general funds as gifts allow.",
        crate::render::text::grouped(due_soon),
        c.valued.base
    ));
    out.push(liquidity);

    // Net assets with donor restrictions, by purpose; board designations.
    let mut restricted = titled(
        c,
        "notes-restricted",
        "Note 3. Net assets with donor restrictions and board designations".into(),
        &["Amount"],
        language,
    );
    restricted.label_header = "Purpose".into();
    let mut groups = [
        (Decimal::ZERO, "Total net assets with donor restrictions"),
        (Decimal::ZERO, "Total designated by the board"),
    ];
    for (heading, wanted, k) in [
        ("With donor restrictions (purpose restrictions)", true, 0),
        (
            "Designated by the board (without donor restrictions)",
            false,
            1,
        ),
    ] {
        restricted.heading(heading, 0);
        for (&fund, f) in &c.funds {
            let restriction = c.restriction(fund);
            if restriction == Restriction::Unrestricted
                || restriction.is_donor_restricted() != wanted
            {
                continue;
            }
            let (own, _) = c.presented(fund, f.closing_by_balances);
            let label = words::fund(settings, journal.fund_name(fund), language);
            if let Some(purpose) = settings
                .fund(journal.fund_name(fund))
                .and_then(|d| d.purpose.clone())
            {
                restricted.notes.push(format!("{label}: {purpose}"));
            }
            restricted.amounts(label, 1, RowKind::Line, &[own]);
            super::acc(&mut groups[k].0, own)?;
        }
        restricted.amounts(groups[k].1, 0, RowKind::Subtotal, &[groups[k].0]);
    }
    restricted.tie(
        "net-assets/closing/1",
        "Total net assets with donor restrictions",
        groups[0].0,
    );
    out.push(restricted);

    // Loans: terms and maturities.
    let mut borrowings = titled(
        c,
        "notes-loans",
        "Note 4. Loans from members".into(),
        &["Opening", "Borrowed", "Repaid", "Closing"],
        language,
    );
    borrowings.label_header = "Maturity".into();
    let totals = loan_table(
        &mut borrowings,
        &[
            (
                "Due within one year or on demand".into(),
                loans.iter().filter(|m| !long_term(m, last)).collect(),
            ),
            (
                "Due after one year".into(),
                loans.iter().filter(|m| long_term(m, last)).collect(),
            ),
        ],
        "Total",
    )?;
    borrowings.tie(
        "liabilities/member-loans",
        "Loans from members, closing",
        totals[3],
    );
    borrowings.notes.push("All loans from members are unsecured and interest-free; due dates are agreed with each lender (the board's loan register lists them). No interest is imputed.".into());
    out.push(borrowings);

    // Related parties (ASC 850).
    let parties = related_party_note(
        c,
        &loans,
        RelatedPartyWords {
            id: "notes-related-parties",
            title: "Note 5. Related-party transactions".into(),
            none: "There were no transactions with related parties.",
            row: "Loans from board members",
            explanation: "Board members lent the organisation money to keep the rescue routes open, interest-free and unsecured, on the same terms as other members; the amounts due to them at the year end are above.",
        },
    )?;
    out.push(parties);
    Ok(out)
}

fn notes_sorp(
    c: &Classified<'_, '_>,
    set: &StatementSet,
    previous: Option<&StatementSet>,
) -> Result<Vec<Statement>, ReportError> {
    let language = Language::En;
    let journal = c.valued.journal;
    let settings = journal.settings();
    let last = c.end.pred_opt().unwrap_or(c.end);
    let mut out = Vec::new();
    let mut policies = vec![
        "Basis of preparation: the accounts follow the Charities SORP (FRS 102). Funds are unrestricted (general, and designated by the trustees), restricted income funds, and endowment funds.".to_string(),
        "Income from donations is recognised when received; gifts in kind at their value to the charity when received, and as expenditure when distributed.".to_string(),
        // As the SoFA above shows them: shared out, or on a line of their
        // own when there are no charitable activities' direct costs to
        // share them by.
        if set
            .activities
            .rows
            .iter()
            .any(|r| r.label == super::financial::SUPPORT_COSTS_LINE)
        {
            "Support costs, including governance costs, are shown as a line of the SoFA of their own (\"Other: support costs\"): there are no direct costs of charitable activities to allocate them by.".to_string()
        } else {
            "Support costs, including governance costs, are not shown as a line of the SoFA: they are allocated to the charitable activities in proportion to their direct costs.".to_string()
        },
        "Foreign currency: transactions are translated at the month's rate on their date, and foreign cash held at the year end at the closing rate; exchange differences are shown as gains or losses, apart from transfers between funds.".to_string(),
    ];
    policies.extend(allocation_text(c, language));
    out.push(text_note(
        c,
        "notes-policies",
        "1. Accounting policies".into(),
        language,
        policies,
    ));

    let mut funds = set.funds.clone();
    funds.id = "notes-funds".into();
    funds.title = "2. Movements in funds".into();
    out.push(funds);

    if let Some(previous) = previous {
        let mut comparative = previous.activities.clone();
        comparative.id = "notes-comparatives".into();
        comparative.title =
            "3. Comparative statement of financial activities by fund class (previous year)".into();
        comparative.ties.clear();
        out.push(comparative);
    }

    // Transfers between funds, each explained.
    let mut transfers = titled(
        c,
        "notes-transfers",
        format!("{}. Transfers between funds", out.len() + 1),
        &["Amount"],
        language,
    );
    transfers.label_header = "Transfer".into();
    let conversion = &settings.generated_accounts.conversion;
    for (t, p, value) in c.valued.real_postings(Some(c.begin), c.end) {
        if journal.account_class(p.account) != Some(AccountClass::NetAssets)
            || journal.account_name(p.account) == conversion
            || value.is_zero()
        {
            continue;
        }
        transfers.cells(
            format!(
                "{} — {}: {}",
                t.date,
                words::fund(settings, journal.fund_name(p.fund), language),
                journal.payee(t)
            ),
            1,
            RowKind::Line,
            vec![Cell::Amount(-value)],
        );
    }
    if transfers.rows.is_empty() {
        transfers
            .notes
            .push("There were no transfers between funds.".into());
    } else {
        transfers.notes.push("Positive amounts are received by the fund named, negative amounts leave it; each transfer's description is the trustees' reason.".into());
    }
    out.push(transfers);

    // Analysis of net assets between funds.
    let classes = [
        "Unrestricted funds",
        "Restricted funds",
        "Endowment funds",
        "Total",
    ];
    let mut analysis = titled(
        c,
        "notes-net-assets",
        format!("{}. Analysis of net assets between funds", out.len() + 1),
        &classes,
        language,
    );
    let bucket = |fund| match c.restriction(fund) {
        Restriction::Unrestricted | Restriction::BoardDesignated => 0,
        Restriction::Restricted => 1,
        Restriction::Endowment => 2,
    };
    let horizon = last
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(last);
    let mut rows: Vec<(&str, [Decimal; 3])> = vec![
        (
            "Cash at bank and in hand, and other current assets",
            [Decimal::ZERO; 3],
        ),
        (
            "Creditors: amounts falling due within one year",
            [Decimal::ZERO; 3],
        ),
        (
            "Creditors: amounts falling due after more than one year",
            [Decimal::ZERO; 3],
        ),
        ("Balances between funds", [Decimal::ZERO; 3]),
    ];
    for (line, per_fund) in &c.balances {
        for (&fund, &value) in per_fund {
            let k = match line {
                BalanceLine::Asset(_) => 0,
                BalanceLine::Liability(account) => {
                    let later = settings.loans.iter().any(|l| {
                        account_matches(account, &l.account) && l.due.is_some_and(|d| d > horizon)
                    });
                    if later {
                        2
                    } else {
                        1
                    }
                }
                BalanceLine::Interfund => 3,
            };
            super::acc(&mut rows[k].1[bucket(fund)], value)?;
        }
    }
    let mut totals = [Decimal::ZERO; 3];
    for (label, values) in &rows {
        if values.iter().all(|v| v.is_zero()) {
            continue;
        }
        let mut cells: Vec<Decimal> = values.to_vec();
        cells.push(money::checked_sum(values.iter().copied())?);
        analysis.amounts(*label, 1, RowKind::Line, &cells);
        for (t, v) in totals.iter_mut().zip(values) {
            super::acc(t, *v)?;
        }
    }
    let mut cells: Vec<Decimal> = totals.to_vec();
    cells.push(money::checked_sum(totals.iter().copied())?);
    analysis.amounts("Total net assets", 0, RowKind::Total, &cells);
    // Before any restricted deficit is borne by unrestricted funds (the
    // statements' presentation), each class holds exactly its funds.
    let mut presented = [Decimal::ZERO; 3];
    for (&fund, f) in &c.funds {
        let (own, deficit) = c.presented(fund, f.closing_by_balances);
        super::acc(&mut presented[bucket(fund)], own)?;
        super::acc(&mut presented[0], deficit)?;
    }
    if presented != totals {
        analysis.notes.push("A restricted fund in deficit is shown in the statements as a reduction of unrestricted funds.".into());
    } else {
        for (k, v) in totals.iter().enumerate() {
            analysis.tie(format!("net-assets/closing/{k}"), classes[k], *v);
        }
    }
    out.push(analysis);

    // Related parties and trustee loans.
    let loans = loan_movements(c.valued, c.begin, c.end)?;
    let mut parties = related_party_note(
        c,
        &loans,
        RelatedPartyWords {
            id: "notes-related-parties",
            title: format!("{}. Related-party transactions and trustee loans", out.len() + 1),
            none: "There were no related-party transactions in the year.",
            row: "Loans from trustees",
            explanation: "Trustees lent the charity money to keep the rescue routes open, interest-free and unsecured; no trustee received remuneration or expenses.",
        },
    )?;
    let all = money::checked_sum(loans.iter().map(|m| m.closing))?;
    parties.notes.push(format!(
        "Loans from members in total at the year end: {} {}.",
        crate::render::text::grouped(all),
        c.valued.base
    ));
    out.push(parties);
    Ok(out)
}

/// The words of a related-party note in English.
struct RelatedPartyWords {
    id: &'static str,
    title: String,
    none: &'static str,
    row: &'static str,
    explanation: &'static str,
}

/// A note of the loans from related parties, aggregated (never by name).
fn related_party_note(
    c: &Classified<'_, '_>,
    loans: &[LoanMovement],
    words: RelatedPartyWords,
) -> Result<Statement, ReportError> {
    let related: Vec<&LoanMovement> = loans.iter().filter(|m| m.related_party).collect();
    let mut parties = titled(
        c,
        words.id,
        words.title,
        &["Opening", "Borrowed", "Repaid", "Closing"],
        Language::En,
    );
    if related.is_empty() {
        parties.notes.push(words.none.into());
    } else {
        loan_table(
            &mut parties,
            &[(format!("{} ({})", words.row, related.len()), related)],
            "Total",
        )?;
        parties.notes.push(words.explanation.into());
    }
    Ok(parties)
}

/// The statement of cash flows (direct method, ASC 230), with the effect of
/// exchange-rate changes on cash (ASC 830): every transaction that moves
/// the cash accounts (`report.cash_accounts`) is classified by its other
/// postings, so operating receipts and payments, financing and exchange
/// effects add up to the change in cash, which must equal the cash at the
/// end less the cash at the start.
///
/// # Errors
/// [`ReportError`] when a figure overflows or the cash does not reconcile.
pub fn cashflows(c: &Classified<'_, '_>, standard: Standard) -> Result<Statement, ReportError> {
    let language = language_of(standard);
    let jp = language == Language::Ja;
    let journal = c.valued.journal;
    let settings = journal.settings();
    let pick = |en: &'static str, ja: &'static str| if jp { ja } else { en };
    let mut s = titled(
        c,
        "cashflows",
        pick("Statement of cash flows", "キャッシュ・フロー計算書").into(),
        &[pick("Amount", "金額")],
        language,
    );
    let is_cash_account = super::engine::accounts_where(journal, |_, name| {
        settings
            .report
            .cash_accounts
            .iter()
            .any(|a| account_matches(name, a))
    });
    let is_fx_account = super::engine::accounts_where(journal, |_, name| {
        settings
            .report
            .fx_accounts
            .iter()
            .any(|a| account_matches(name, a))
    });
    let is_cash = |account: crate::model::journal::AccountId| is_cash_account[account.index()];
    let generated = &settings.generated_accounts;
    // Receipts by income category, payments, financing, exchange effect,
    // other; the cash at both ends.
    #[derive(Default)]
    struct Flows {
        receipts: Vec<(IncomeCategory, Decimal)>,
        payments: Decimal,
        borrowed: Decimal,
        repaid: Decimal,
        exchange: Decimal,
        other: Decimal,
        opening: Decimal,
        closing: Decimal,
    }
    fn receive(
        receipts: &mut Vec<(IncomeCategory, Decimal)>,
        category: IncomeCategory,
        flow: Decimal,
    ) -> Result<(), ReportError> {
        match receipts.iter_mut().find(|(k, _)| *k == category) {
            Some((_, v)) => super::acc(v, flow),
            None => {
                receipts.push((category, flow));
                Ok(())
            }
        }
    }
    // Transaction by transaction (in parallel chunks, then added up): the
    // cash at both ends, and the flows of each transaction of the period
    // that moves cash.
    let flows = c.valued.fold_before(
        c.end,
        Flows::default,
        |f, t, real| {
            let in_period = t.date >= c.begin;
            let mut moves_cash = false;
            for (p, value) in real.clone() {
                if is_cash(p.account) {
                    super::acc(&mut f.closing, value)?;
                    if !in_period {
                        super::acc(&mut f.opening, value)?;
                    }
                    moves_cash |= !value.is_zero();
                }
            }
            // A transaction that moves no cash has no cash flow.
            if !in_period || !moves_cash {
                return Ok(());
            }
            for (p, value) in real {
                if is_cash(p.account) {
                    continue;
                }
                let account = journal.account_name(p.account);
                let flow = -value;
                match journal.account_class(p.account) {
                    // A revaluation at the closing rate moves no cash: it
                    // is an effect of exchange-rate changes.
                    Some(AccountClass::Income | AccountClass::Expenses)
                        if is_fx_account[p.account.index()] =>
                    {
                        super::acc(&mut f.exchange, flow)?
                    }
                    Some(AccountClass::Income) => {
                        receive(&mut f.receipts, IncomeCategory::of(account), flow)?
                    }
                    Some(AccountClass::Expenses) => super::acc(&mut f.payments, flow)?,
                    Some(AccountClass::NetAssets) if account == generated.conversion => {
                        super::acc(&mut f.exchange, flow)?
                    }
                    Some(AccountClass::Liabilities)
                        if account != generated.due_to && flow.is_sign_positive() =>
                    {
                        super::acc(&mut f.borrowed, flow)?
                    }
                    Some(AccountClass::Liabilities) if account != generated.due_to => {
                        super::acc(&mut f.repaid, flow)?
                    }
                    _ => super::acc(&mut f.other, flow)?,
                }
            }
            Ok(())
        },
        |mut earlier, later| {
            for (category, flow) in later.receipts {
                receive(&mut earlier.receipts, category, flow)?;
            }
            for (sum, part) in [
                (&mut earlier.payments, later.payments),
                (&mut earlier.borrowed, later.borrowed),
                (&mut earlier.repaid, later.repaid),
                (&mut earlier.exchange, later.exchange),
                (&mut earlier.other, later.other),
                (&mut earlier.opening, later.opening),
                (&mut earlier.closing, later.closing),
            ] {
                super::acc(sum, part)?;
            }
            Ok(earlier)
        },
    )?;
    let Flows {
        mut receipts,
        payments,
        borrowed,
        repaid,
        exchange,
        other,
        opening,
        closing,
    } = flows;

    s.heading(
        pick(
            "Cash flows from operating activities",
            "Ⅰ 事業活動によるキャッシュ・フロー",
        ),
        0,
    );
    let mut operating = Decimal::ZERO;
    receipts.sort_by_key(|(k, _)| *k);
    for (category, v) in &receipts {
        let label = match (jp, category) {
            (false, IncomeCategory::Membership) => "Membership dues received",
            (false, IncomeCategory::Contributions) => "Contributions received",
            (false, IncomeCategory::Grants) => "Grants received",
            (false, IncomeCategory::Sales) => "Cash received from sales",
            (false, _) => "Other receipts",
            (true, IncomeCategory::Membership) => "会費収入",
            (true, IncomeCategory::Contributions) => "寄附金収入",
            (true, IncomeCategory::Grants) => "助成金収入",
            (true, IncomeCategory::Sales) => "事業収入",
            (true, _) => "その他の収入",
        };
        s.amounts(label, 1, RowKind::Line, &[*v]);
        super::acc(&mut operating, *v)?;
    }
    let paid = payments;
    s.amounts(
        pick("Cash paid for expenses", "経費の支出"),
        1,
        RowKind::Line,
        &[paid],
    );
    super::acc(&mut operating, paid)?;
    if !other.is_zero() {
        s.amounts(
            pick("Other operating cash flows", "その他の事業活動による収支"),
            1,
            RowKind::Line,
            &[other],
        );
        super::acc(&mut operating, other)?;
    }
    s.amounts(
        pick(
            "Net cash from operating activities",
            "事業活動によるキャッシュ・フロー",
        ),
        0,
        RowKind::Subtotal,
        &[operating],
    );
    s.heading(
        pick(
            "Cash flows from financing activities",
            "Ⅱ 財務活動によるキャッシュ・フロー",
        ),
        0,
    );
    s.amounts(
        pick("Loans received from members", "借入れによる収入"),
        1,
        RowKind::Line,
        &[borrowed],
    );
    s.amounts(
        pick("Loans repaid to members", "借入金の返済による支出"),
        1,
        RowKind::Line,
        &[repaid],
    );
    let financing = money::checked_add(borrowed, repaid)?;
    s.amounts(
        pick(
            "Net cash from financing activities",
            "財務活動によるキャッシュ・フロー",
        ),
        0,
        RowKind::Subtotal,
        &[financing],
    );
    s.amounts(
        pick(
            "Effect of exchange-rate changes on cash",
            "Ⅲ 現金及び現金同等物に係る換算差額",
        ),
        0,
        RowKind::Line,
        &[exchange],
    );
    let change = money::checked_sum([operating, financing, exchange])?;
    s.amounts(
        pick("Net change in cash", "Ⅳ 現金及び現金同等物の増減額"),
        0,
        RowKind::Subtotal,
        &[change],
    );
    s.amounts(
        pick(
            "Cash at the beginning of the year",
            "Ⅴ 現金及び現金同等物の期首残高",
        ),
        0,
        RowKind::Line,
        &[opening],
    );
    let end_cash = money::checked_add(opening, change)?;
    s.amounts(
        pick(
            "Cash at the end of the year",
            "Ⅵ 現金及び現金同等物の期末残高",
        ),
        0,
        RowKind::Total,
        &[end_cash],
    );
    if end_cash != closing {
        return Err(ReportError::DoesNotTie(format!(
            "{}: opening cash {opening} + flows {change} = {end_cash}, but the cash accounts hold {closing}",
            s.title
        )));
    }
    // The cash at the end from the balance sheet's lines, computed apart.
    let mut by_lines = Decimal::ZERO;
    for line in c.balances.keys() {
        if let BalanceLine::Asset(account) = line {
            if settings
                .report
                .cash_accounts
                .iter()
                .any(|a| account_matches(account, a))
            {
                super::acc(&mut by_lines, c.balance(line)?)?;
            }
        }
    }
    if by_lines != end_cash {
        return Err(ReportError::DoesNotTie(format!(
            "{}: cash at the end {end_cash} but the balance sheet's cash lines hold {by_lines}",
            s.title
        )));
    }
    s.notes.push(if jp {
        "直接法によっています。資金の範囲は現金及び預金です。外貨の両替で生じた換算差額は Ⅲ に表示しています。".into()
    } else {
        "Direct method (ASC 230). Cash: the accounts listed as cash and bank accounts. Exchanges of yen for yuan and dollars move cash between currencies; the difference between the exchange rate and the month's rate is the effect of exchange-rate changes (ASC 830).".into()
    });
    Ok(s)
}
