//! `report donors`: the register of donors (寄附者名簿) of a period, gifts in
//! kind apart, totals by category tied to the statement of activities'
//! donations line, and the figures of the public support test (PST) as the
//! rules of certified NPOs (認定NPO法人) define them, labelled indicative.
//!
//! A gift is a real posting, in the period, to an income account the
//! statement engine classifies as contributions (money) or in kind
//! ([`super::engine::gift_kind`]), valued in the base currency as every
//! statement values it; its donor is the posting's `donor:` tag, else its
//! transaction's ([`crate::donors::donor_of`]). Personal data (names,
//! addresses) is shown only when asked (`with_personal_data`); otherwise a
//! donor is shown by the public name of [`crate::donors::Donor::display_name`].

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::engine::IncomeCategory;
use super::statement::{Cell, Language, RowKind, Statement};
use super::valued::Valued;
use super::words::{self, pick};
use super::ReportError;
use crate::donors::{donor_of, Donor, DonorCategory, DonorRegister};
use crate::money::{self, Decimal, RoundingStrategy};

/// The least a donor's gifts in one fiscal year must total to count in the
/// 絶対値基準 (3,000 yen; 租税特別措置法施行令 第39条の22の4).
pub const PST_MIN_YEARLY_GIFTS_JPY: u32 = 3000;
/// The yearly average number of such donors the 絶対値基準 asks for.
pub const PST_MIN_DONORS_PER_YEAR: u32 = 100;
/// The fiscal years of the rule's judgement period (実績判定期間): the five
/// years before an application (two for a first or special certification).
pub const PST_JUDGEMENT_YEARS: i32 = 5;
/// The share of one donor's gifts the 相対値基準 counts at most (10% of all
/// gifts: the 基準限度超過額 above it is left out of the numerator).
pub const PST_DONOR_CAP_PERCENT: u32 = 10;

/// One gift.
#[derive(Clone, Debug)]
struct Gift {
    date: NaiveDate,
    donor: Option<String>,
    fund: String,
    description: String,
    in_kind: bool,
    amount: Decimal,
}

/// The gifts of `[begin, end)`, in journal order.
fn gifts(valued: &Valued<'_>, begin: NaiveDate, end: NaiveDate, language: Language) -> Vec<Gift> {
    let journal = valued.journal;
    let settings = journal.settings();
    let mut out = Vec::new();
    for (t, p, value) in valued.real_postings(Some(begin), end) {
        let in_kind = match super::engine::gift_kind(journal, p.account) {
            Some(IncomeCategory::Contributions) => false,
            Some(IncomeCategory::InKind) => true,
            _ => continue,
        };
        out.push(Gift {
            date: t.date,
            donor: donor_of(journal, t, p).map(str::to_string),
            fund: words::fund(settings, journal.fund_name(p.fund), language),
            description: journal.payee(t).to_string(),
            in_kind,
            amount: money::negate(value),
        });
    }
    out
}

/// The totals of one category (or of the gifts without a donor).
#[derive(Default, Clone, Copy)]
struct Totals {
    donors: usize,
    gifts: usize,
    money: Decimal,
    in_kind: Decimal,
}

/// The register of donors of `[begin, end)` (fiscal year `fy`), its gifts in
/// kind, its totals by category tied to the statement of activities, and
/// the public support test: four statements.
///
/// # Errors
/// [`ReportError::DoesNotTie`] when the gifts do not add up to the
/// statement of activities' donations (money and in kind), showing both;
/// [`ReportError::Request`] when the donor register cannot be read (fix it:
/// `check` locates every problem); any statement's error.
pub fn donors(
    valued: &Valued<'_>,
    standard: super::financial::Standard,
    fy: i32,
    begin: NaiveDate,
    end: NaiveDate,
    with_personal_data: bool,
) -> Result<Vec<Statement>, ReportError> {
    let journal = valued.journal;
    let settings = journal.settings();
    let language = words::language_of(standard);
    let register = match crate::donors::register_of(settings) {
        None => std::sync::Arc::new(DonorRegister::default()),
        Some(Ok(register)) => register,
        Some(Err(problems)) => {
            return Err(ReportError::Request(format!(
            "the donor register cannot be read ({} problem(s); `fundledger check` lists them): {}",
            problems.len(),
            problems.first().map(|d| d.message.as_str()).unwrap_or("")
        )))
        }
    };
    let gifts = gifts(valued, begin, end, language);
    let unknown: Vec<&str> = gifts
        .iter()
        .filter_map(|g| g.donor.as_deref())
        .filter(|id| register.get(id).is_none())
        .collect();
    if let Some(id) = unknown.first() {
        return Err(ReportError::Request(format!(
            "donor {id:?} is not in the donor register ({} gift(s) name an unknown donor; `fundledger check` locates them)",
            unknown.len()
        )));
    }
    let subtitle = words::period(journal, begin, end, language);
    let unit = valued.base.as_str();
    let no_donor = pick(
        language,
        "Gifts without a recorded donor",
        "寄附者の記録のない寄附",
    );

    // Gifts per donor, in the register's order; the unrecorded last.
    let order: BTreeMap<&str, usize> = register
        .donors()
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let mut by_donor: BTreeMap<usize, Vec<&Gift>> = BTreeMap::new();
    for gift in &gifts {
        let key = gift
            .donor
            .as_deref()
            .and_then(|id| order.get(id).copied())
            .unwrap_or(usize::MAX);
        by_donor.entry(key).or_default().push(gift);
    }
    let name_of = |key: usize| -> (String, Option<&Donor>) {
        match register.donors().get(key) {
            Some(d) => (
                format!("{} ({})", d.display_name(with_personal_data), d.id),
                Some(d),
            ),
            None => (no_donor.to_string(), None),
        }
    };
    let category_word = |c: DonorCategory| -> &'static str {
        match (language, c) {
            (Language::En, DonorCategory::Individual) => "individual",
            (Language::En, DonorCategory::Corporate) => "corporate",
            (Language::En, DonorCategory::Member) => "member",
            (Language::En, DonorCategory::FosterParent) => "foster parent",
            (Language::En, DonorCategory::Anonymous) => "anonymous",
            (Language::Ja, DonorCategory::Individual) => "個人",
            (Language::Ja, DonorCategory::Corporate) => "法人・団体",
            (Language::Ja, DonorCategory::Member) => "会員",
            (Language::Ja, DonorCategory::FosterParent) => "里親",
            (Language::Ja, DonorCategory::Anonymous) => "匿名",
        }
    };

    // 1 and 2: the register (money) and the gifts in kind, one layout.
    let listing = |in_kind: bool| -> Result<Statement, ReportError> {
        let mut columns = vec![pick(language, "Category", "区分").to_string()];
        columns.push(pick(language, "Fund", "寄附先").to_string());
        columns.push(
            if in_kind {
                pick(language, "Booked value", "評価額")
            } else {
                pick(language, "Amount", "金額")
            }
            .to_string(),
        );
        let (id, title) = if in_kind {
            (
                "donors-in-kind",
                pick(
                    language,
                    "Gifts in kind by donor, at their booked value",
                    "現物寄附（計上した評価額）",
                ),
            )
        } else {
            ("donors", pick(language, "Register of donors", "寄附者名簿"))
        };
        let mut s = Statement::new(id, title, subtitle.clone(), columns, unit);
        if language == Language::Ja {
            s = s.japanese();
        }
        s.label_header = match (in_kind, with_personal_data) {
            (false, false) => pick(language, "Donor / date of gift", "寄附者／受領日"),
            (false, true) => pick(
                language,
                "Donor, address / date of gift",
                "寄附者・住所／受領日",
            ),
            (true, false) => pick(language, "Donor / date and gift", "寄附者／受領日と内容"),
            (true, true) => pick(
                language,
                "Donor, address / date and gift",
                "寄附者・住所／受領日と内容",
            ),
        }
        .into();
        let blank = |n: usize| vec![Cell::Empty; n];
        let width = s.columns.len();
        let mut grand = Decimal::ZERO;
        for (&key, list) in &by_donor {
            let list: Vec<&&Gift> = list.iter().filter(|g| g.in_kind == in_kind).collect();
            if list.is_empty() {
                continue;
            }
            let (name, donor) = name_of(key);
            let mut head = vec![Cell::Text(
                donor
                    .map(|d| category_word(d.category))
                    .unwrap_or("")
                    .to_string(),
            )];
            head.extend(blank(2));
            // The address with the name (personal data only), so that it
            // wraps in the label column rather than crowding the figures.
            let address = donor
                .and_then(|d| d.address.as_deref())
                .filter(|_| with_personal_data);
            let label = match address {
                Some(address) => match language {
                    Language::En => format!("{name}, {address}"),
                    Language::Ja => format!("{name}　{address}"),
                },
                None => name,
            };
            s.cells(label, 0, RowKind::Line, head);
            let mut total = Decimal::ZERO;
            for gift in list {
                let mut cells = blank(width - 2);
                cells.push(Cell::Text(gift.fund.clone()));
                cells.push(Cell::Amount(gift.amount));
                let date = words::date(gift.date, language);
                let label = if in_kind {
                    format!("{date}: {}", gift.description)
                } else {
                    date
                };
                s.cells(label, 1, RowKind::Line, cells);
                super::acc(&mut total, gift.amount)?;
            }
            let mut cells = blank(width - 1);
            cells.push(Cell::Amount(total));
            s.cells(pick(language, "Total", "計"), 1, RowKind::Subtotal, cells);
            super::acc(&mut grand, total)?;
        }
        let mut cells = blank(width - 1);
        cells.push(Cell::Amount(grand));
        s.cells(
            if in_kind {
                pick(language, "Total gifts in kind", "現物寄附合計")
            } else {
                pick(language, "Total gifts of money", "寄附金合計")
            },
            0,
            RowKind::Total,
            cells,
        );
        if !with_personal_data {
            s.notes.push(
                pick(
                    language,
                    "Donors are shown by their public names; names and addresses only with --with-personal-data.",
                    "寄附者は公開用の名称で表示しています（氏名・住所は --with-personal-data を付けたときのみ）。",
                )
                .into(),
            );
        }
        Ok(s)
    };
    let register_statement = listing(false)?;
    let in_kind_statement = listing(true)?;

    // 3: totals by category, tied to the statement of activities.
    // Categories in their order, the gifts without a donor (`None`) last.
    let mut by_category: BTreeMap<(bool, Option<DonorCategory>), Totals> = BTreeMap::new();
    for (&key, list) in &by_donor {
        let category = register.donors().get(key).map(|d| d.category);
        let totals = by_category
            .entry((category.is_none(), category))
            .or_default();
        if category.is_some() {
            totals.donors = totals.donors.saturating_add(1);
        }
        for gift in list {
            totals.gifts = totals.gifts.saturating_add(1);
            let target = if gift.in_kind {
                &mut totals.in_kind
            } else {
                &mut totals.money
            };
            super::acc(target, gift.amount)?;
        }
    }
    let set = super::financial::statements(valued, standard, begin, end)?;
    let stated = |category: IncomeCategory| -> Result<Decimal, ReportError> {
        let prefix = format!("income/{}/", category.key());
        Ok(money::checked_sum(
            set.activities
                .ties
                .iter()
                .filter(|t| t.key.starts_with(&prefix))
                .map(|t| t.value),
        )?)
    };
    let stated_money = stated(IncomeCategory::Contributions)?;
    let stated_in_kind = stated(IncomeCategory::InKind)?;
    let mut totals = Totals::default();
    for t in by_category.values() {
        totals.donors = totals.donors.saturating_add(t.donors);
        totals.gifts = totals.gifts.saturating_add(t.gifts);
        super::acc(&mut totals.money, t.money)?;
        super::acc(&mut totals.in_kind, t.in_kind)?;
    }
    if totals.money != stated_money || totals.in_kind != stated_in_kind {
        return Err(ReportError::DoesNotTie(format!(
            "the donor register's gifts (money {}, in kind {}) differ from the statement of activities' donations (money {stated_money}, in kind {stated_in_kind})",
            totals.money, totals.in_kind
        )));
    }
    let mut s = Statement::new(
        "donors-by-category",
        pick(language, "Gifts by category of donor", "寄附者の区分別合計"),
        subtitle.clone(),
        [
            ("Donors (number)", "寄附者数（人）"),
            ("Gifts (number)", "件数（件）"),
            ("Money", "寄附金"),
            ("In kind", "現物寄附"),
            ("Total", "合計"),
        ]
        .iter()
        .map(|(en, ja)| pick(language, en, ja).to_string())
        .collect(),
        unit,
    );
    if language == Language::Ja {
        s = s.japanese();
    }
    s.label_header = pick(language, "Category", "区分").into();
    let count = |n: usize| Cell::Amount(Decimal::from(n));
    let row = |t: &Totals| -> Result<Vec<Cell>, ReportError> {
        Ok(vec![
            count(t.donors),
            count(t.gifts),
            Cell::Amount(t.money),
            Cell::Amount(t.in_kind),
            Cell::Amount(money::checked_add(t.money, t.in_kind)?),
        ])
    };
    for ((_, category), t) in &by_category {
        let label = category.map(category_word).unwrap_or(no_donor);
        let cells = row(t)?;
        s.cells(label, 1, RowKind::Line, cells);
    }
    let cells = row(&totals)?;
    s.cells(pick(language, "Total", "合計"), 0, RowKind::Total, cells);
    s.cells(
        pick(
            language,
            "Donations in the statement of activities",
            "活動計算書の受取寄附金",
        ),
        0,
        RowKind::Line,
        vec![
            Cell::Empty,
            Cell::Empty,
            Cell::Amount(stated_money),
            Cell::Amount(stated_in_kind),
            Cell::Amount(money::checked_add(stated_money, stated_in_kind)?),
        ],
    );
    s.notes.push(
        pick(
            language,
            "The register ties to the statement of activities: gifts of money to its contributions line, gifts in kind to its contributed nonfinancial assets, at the values the statements use.",
            "名簿の合計は活動計算書の受取寄附金（現物寄附を含む）と一致しています（計算書と同じ評価額）。",
        )
        .into(),
    );
    let by_category_statement = s;

    let pst = public_support_test(valued, standard, &register, fy, language)?;
    Ok(vec![
        register_statement,
        in_kind_statement,
        by_category_statement,
        pst,
    ])
}

/// "FY1999–FY2000" (or one year) in a language.
fn year_span(years: &[i32], language: Language) -> String {
    match (years.first(), years.last()) {
        (Some(a), Some(b)) if a != b => format!(
            "{}–{}",
            words::fiscal_year(*a, language),
            words::fiscal_year(*b, language)
        ),
        (Some(a), _) => words::fiscal_year(*a, language),
        _ => String::new(),
    }
}

/// The public support test's figures for the judgement period ending with
/// fiscal year `fy` (as much of it as the journal holds).
fn public_support_test(
    valued: &Valued<'_>,
    standard: super::financial::Standard,
    register: &DonorRegister,
    fy: i32,
    language: Language,
) -> Result<Statement, ReportError> {
    let journal = valued.journal;
    let settings = journal.settings();
    // The journal "holds" a year from the first one with income in it (an
    // opening balance dated the day before is not a year of activity).
    let first_date = valued
        .real_postings(None, NaiveDate::MAX)
        .filter(|(_, p, _)| super::engine::gift_kind(journal, p.account).is_some())
        .map(|(t, _, _)| t.date)
        .min();
    let first_fy = first_date.map(|d| settings.fiscal_year_start.year_of(d));
    let earliest = fy.saturating_sub(PST_JUDGEMENT_YEARS.saturating_sub(1));
    let years: Vec<i32> = (earliest..=fy)
        .filter(|y| first_fy.is_some_and(|f| *y >= f))
        .collect();
    let mut s = Statement::new(
        "public-support-test",
        pick(
            language,
            "Public support test (indicative)",
            "パブリック・サポート・テスト（参考値）",
        ),
        match language {
            Language::En => format!(
                "{}, judgement period as the journal holds it: {}",
                words::organisation(settings, language),
                year_span(&years, language)
            ),
            Language::Ja => format!(
                "{}　実績判定期間（仕訳帳にある期間）：{}",
                words::organisation(settings, language),
                year_span(&years, language)
            ),
        },
        vec![
            pick(language, "Figure", "数値").to_string(),
            pick(language, "Requirement", "要件").to_string(),
        ],
        &valued.base,
    );
    if language == Language::Ja {
        s = s.japanese();
    }
    s.label_header = pick(language, "Test and figure", "基準と項目").into();
    let text = |t: String| Cell::Text(t);
    let min_gifts = Decimal::from(PST_MIN_YEARLY_GIFTS_JPY);

    // 絶対値基準.
    s.heading(
        pick(
            language,
            "Absolute test (絶対値基準): donors giving 3,000 JPY or more in a year, 100 a year on average",
            "絶対値基準：年3,000円以上の寄附者が年平均100人以上",
        ),
        0,
    );
    let mut qualifying_sum: u32 = 0;
    let mut all_gifts = Decimal::ZERO;
    let mut identified_by_donor: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut income = Decimal::ZERO;
    let mut grants = Decimal::ZERO;
    for &year in &years {
        let Some((begin, end)) = settings.fiscal_year(year) else {
            continue;
        };
        let gifts = gifts(valued, begin, end, language);
        let mut per_donor: BTreeMap<&str, Decimal> = BTreeMap::new();
        let mut unrecorded = Decimal::ZERO;
        for gift in &gifts {
            super::acc(&mut all_gifts, gift.amount)?;
            match gift.donor.as_deref() {
                Some(id) => super::acc(per_donor.entry(id).or_default(), gift.amount)?,
                None => super::acc(&mut unrecorded, gift.amount)?,
            }
        }
        let (mut counted, mut unidentified, mut officers) = (0u32, 0u32, 0u32);
        for (id, total) in &per_donor {
            let Some(donor) = register.get(id) else {
                continue;
            };
            if *total < min_gifts {
                continue;
            }
            if !donor.is_identified() {
                unidentified = unidentified.saturating_add(1);
            } else if donor.officer {
                officers = officers.saturating_add(1);
            } else {
                counted = counted.saturating_add(1);
            }
            if donor.is_identified() {
                super::acc(
                    identified_by_donor.entry(id.to_string()).or_default(),
                    *total,
                )?;
            }
        }
        qualifying_sum = qualifying_sum.saturating_add(counted);
        let fy_word = words::fiscal_year(year, language);
        let year_rows: [(&str, &str, u8, Decimal); 4] = [
            (
                "donors counted (number)",
                "算入する寄附者数（人）",
                1,
                counted.into(),
            ),
            (
                "left out, without name and address (number)",
                "除外、氏名・住所の記録なし（人）",
                2,
                unidentified.into(),
            ),
            (
                "left out, officers (number)",
                "除外、役員（人）",
                2,
                officers.into(),
            ),
            (
                "gifts without a recorded donor, not countable (amount)",
                "寄附者の記録のない寄附、算入不可（円）",
                2,
                unrecorded,
            ),
        ];
        for (en, ja, level, value) in year_rows {
            let label = match language {
                Language::En => format!("{fy_word}: {en}"),
                Language::Ja => format!("{fy_word}：{ja}"),
            };
            s.cells(
                label,
                level,
                RowKind::Line,
                vec![Cell::Amount(value), Cell::Empty],
            );
        }
        // The year's recurring income for the relative test.
        let set = super::financial::statements(valued, standard, begin, end)?;
        for tie in &set.activities.ties {
            let mut parts = tie.key.split('/');
            if parts.next() != Some("income") {
                continue;
            }
            match parts.next() {
                Some("total") | None => {}
                Some(key) if key == IncomeCategory::Grants.key() => {
                    super::acc(&mut income, tie.value)?;
                    super::acc(&mut grants, tie.value)?;
                }
                Some(_) => super::acc(&mut income, tie.value)?,
            }
        }
    }
    let months = u32::try_from(years.len())
        .unwrap_or(u32::MAX)
        .saturating_mul(12);
    let average = if months == 0 {
        Decimal::ZERO
    } else {
        money::round(
            money::checked_ratio(
                money::checked_mul_exact(Decimal::from(qualifying_sum), Decimal::from(12))?,
                Decimal::from(months),
            )?,
            1,
            RoundingStrategy::ToZero,
        )
    };
    let meets = |yes: bool| -> String {
        match (language, yes) {
            (Language::En, true) => "met".into(),
            (Language::En, false) => "not met".into(),
            (Language::Ja, true) => "満たす".into(),
            (Language::Ja, false) => "満たさない".into(),
        }
    };
    s.cells(
        pick(
            language,
            "Yearly average (donors counted ÷ months × 12, rounded down to 0.1)",
            "年平均（算入寄附者数の合計÷月数×12、0.1未満切捨て）",
        ),
        1,
        RowKind::Subtotal,
        vec![
            text(average.to_string()),
            text(format!(
                "≥ {PST_MIN_DONORS_PER_YEAR}: {}",
                meets(average >= Decimal::from(PST_MIN_DONORS_PER_YEAR))
            )),
        ],
    );

    // 相対値基準.
    s.heading(
        pick(
            language,
            "Relative test (相対値基準): gifts at least one fifth of recurring income",
            "相対値基準：経常収入金額に占める寄附金等収入金額の割合が5分の1以上",
        ),
        0,
    );
    let cap = money::round(
        money::checked_ratio(
            money::checked_mul_exact(all_gifts, Decimal::from(PST_DONOR_CAP_PERCENT))?,
            Decimal::from(100),
        )?,
        valued.precision,
        RoundingStrategy::ToZero,
    );
    let mut numerator = Decimal::ZERO;
    for total in identified_by_donor.values() {
        super::acc(&mut numerator, (*total).min(cap))?;
    }
    let denominator = money::checked_sub(income, grants)?;
    s.cells(
        pick(
            language,
            "All gifts received (money and in kind)",
            "受入寄附金総額（現物寄附を含む）",
        ),
        1,
        RowKind::Line,
        vec![Cell::Amount(all_gifts), Cell::Empty],
    );
    s.cells(
        pick(
            language,
            "Gifts counted: from donors with name and address, each at most 10% of all gifts",
            "算入する寄附金：氏名・住所の明らかな寄附者から、1者当たり総額の10%まで",
        ),
        1,
        RowKind::Line,
        vec![Cell::Amount(numerator), Cell::Empty],
    );
    s.cells(
        pick(
            language,
            "Recurring income, grants left out",
            "経常収入金額（助成金等を除く）",
        ),
        1,
        RowKind::Line,
        vec![Cell::Amount(denominator), Cell::Empty],
    );
    let (ratio_text, met) = if denominator.is_zero() {
        ("—".to_string(), false)
    } else {
        let percent = money::round(
            money::checked_percent(numerator, denominator)?,
            1,
            RoundingStrategy::ToZero,
        );
        (
            format!("{percent}%"),
            money::checked_mul_exact(numerator, Decimal::from(5))? >= denominator,
        )
    };
    s.cells(
        pick(language, "Ratio", "割合"),
        1,
        RowKind::Subtotal,
        vec![text(ratio_text), text(format!("≥ 20%: {}", meets(met)))],
    );
    let held = years.len();
    let span = year_span(&years, language);
    let notes: [(String, String); 5] = [
        (
            "Indicative only: the figures follow the rules for certified NPOs (特定非営利活動促進法 第45条第1項第1号; 絶対値基準 イ and 相対値基準 ロ of the 規則), computed from the journal and the donor register; the competent authority decides.".into(),
            "参考値です。認定NPO法人の基準（特定非営利活動促進法第45条第1項第1号、同施行規則）に従い、仕訳帳と寄附者名簿から計算したもので、判断は所轄庁が行います。".into(),
        ),
        (
            format!("Judgement period: the rule's is the {PST_JUDGEMENT_YEARS} fiscal years before the application (2 for a first or special certification); the journal holds {held} of them ({span}), so these figures are over {held} year(s) only."),
            format!("実績判定期間：規則では申請前の{PST_JUDGEMENT_YEARS}事業年度（初回・特例認定は2事業年度）ですが、仕訳帳にあるのはそのうち{held}事業年度（{span}）だけで、この数値はその期間のものです。"),
        ),
        (
            "Households: the rule counts a donor and the members of the donor's household as one; fundledger cannot know households, so each donor of the register counts once: merge household members in the register, or deduct them by hand.".into(),
            "世帯：規則では寄附者と同一生計の者を1人と数えますが、fundledgerは世帯を知り得ないため、名簿の寄附者ごとに1人と数えています（同一世帯の寄附者は名簿で統合するか、手で差し引いてください）。".into(),
        ),
        (
            "Officers (the register's officer column) and donors without name and address are left out of the absolute test; officers' households cannot be known. Gifts without a recorded donor cannot be counted.".into(),
            "役員（名簿のofficer欄）と氏名・住所の記録のない寄附者は絶対値基準から除外しています。役員と同一生計の者は判別できません。寄附者の記録のない寄附は算入できません。".into(),
        ),
        (
            "Relative test: grants are left out of recurring income as if all were from the state (国等からの補助金); fundledger cannot tell them apart, nor exceptional income (legacies) the rule also leaves out. Membership dues are not counted as gifts.".into(),
            "相対値基準：助成金等はすべて国等からの補助金とみなして経常収入金額から除いています（区別できないため）。遺贈など臨時的な収入も判別できません。会費は寄附金に含めていません。".into(),
        ),
    ];
    for (en, ja) in notes {
        s.notes.push(if language == Language::Ja { ja } else { en });
    }
    Ok(s)
}
