//! Statements in multi-period columns (`report activities -Q`,
//! `report functional -M`...): one column per period and a total column.
//!
//! Each period's column is the statement the engine builds for that period
//! alone ([`super::financial::statements`], so every period is itself
//! reconciled), reduced to its total column; the total column is the
//! statement of the whole range. Rows are matched by their place in the
//! statement (the headings above them and their label), so a line that is
//! empty in one period and printed in another lands on one row. Before the
//! statement is returned every row is checked: a flow's periods add up to
//! its total, a balance at a date ([`Stock`]) is the first period's
//! (opening) or the last period's (closing) — otherwise
//! [`ReportError::DoesNotTie`], naming the row and both figures.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::financial::Standard;
use super::statement::{Cell, Language, Row, RowKind, Statement, Stock};
use super::valued::Valued;
use super::{Report, ReportError};
use crate::model::money::Decimal;
use crate::model::period::Interval;

/// The reports that can be printed in columns: statements of flows over a
/// period. A position is a balance at a date, so it has no columns.
pub const IN_COLUMNS: [Report; 2] = [Report::Activities, Report::Functional];

/// The most period columns a statement has (a century of months): each is
/// a statement of its own, and the support costs' shares are worked out
/// in a table that grows with the square of the number of periods.
pub const COLUMNS_MAX: usize = 1200;

/// `report` (activities or functional) with one column per `[begin, end)`
/// of `periods` (in order, adjoining) and a total column for the whole
/// range, checked row by row (see the module documentation).
///
/// # Errors
/// [`ReportError::Request`] for a report that has no columns or no
/// periods; any statement's error; [`ReportError::DoesNotTie`] for a row
/// whose periods do not add up to its total.
pub fn statement_columns(
    valued: &Valued<'_>,
    report: Report,
    standard: Standard,
    interval: Interval,
    periods: &[(NaiveDate, NaiveDate)],
) -> Result<Statement, ReportError> {
    if !IN_COLUMNS.contains(&report) {
        return Err(ReportError::Request(format!(
            "report {} has no multi-period columns (they are made for {})",
            report.name(),
            IN_COLUMNS.map(Report::name).join(", ")
        )));
    }
    let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
        return Err(ReportError::Request("no period to show".into()));
    };
    if periods.len() > COLUMNS_MAX {
        return Err(ReportError::Request(format!(
            "{} periods from {} to {}: a statement in columns has at most {COLUMNS_MAX}; ask for a shorter range (-b/-e) or a longer interval (-Q, -Y)",
            periods.len(),
            first.0,
            last.1
        )));
    }
    use super::engine::Classified;
    use super::financial::{column_support, Built};
    let whole = Classified::new(valued, first.0, last.1)?;
    let parts = periods
        .iter()
        .map(|&(b, e)| Classified::new(valued, b, e))
        .collect::<Result<Vec<_>, _>>()?;
    // The SoFA shares out support costs by the whole range's direct costs
    // in every column, so that its activities add up across the periods.
    let support = match (standard, report) {
        (Standard::Sorp, Report::Activities) => Some(column_support(&whole, &parts)?),
        _ => None,
    };
    let mut statements = Vec::with_capacity(parts.len() + 1);
    for (k, c) in parts.into_iter().chain([whole]).enumerate() {
        // The statements of the column, tied with each other; the notes
        // and the year before, which `financial::statements` adds, are
        // not shown in columns.
        let set = Built::of(c, standard, support.as_ref().map(|s| &s[k]))?.set;
        statements.push(match report {
            Report::Functional => set.functional,
            _ => set.activities,
        });
    }
    let whole = statements
        .pop()
        .ok_or_else(|| ReportError::Request("no period to show".into()))?;
    // Only the SoFA shares support costs out (the analysis of expenditure
    // shows them as they were spent).
    let shared = support.is_some() && report == Report::Activities;
    merge(whole, &statements, interval, periods, shared)
}

/// The fund roll-forward in columns (`fundledger funds -Q`): per fund its
/// net assets at the start of the range, its net movement (income less
/// expenses, with exchange results and transfers) in each of `periods`,
/// and its net assets at the end, with a total row. Every figure is the
/// statement engine's ([`super::funds::funds_valued`], one run per
/// period and one for the whole range). Checked before it is returned,
/// per fund: each period opens where the one before closed, the first
/// opens at the range's opening, and opening + movements = closing
/// ([`ReportError::DoesNotTie`] otherwise, naming the fund and both
/// figures).
///
/// # Errors
/// [`ReportError::Request`] without periods; any statement's error;
/// [`ReportError::DoesNotTie`] as above.
pub fn funds_columns(
    valued: &Valued<'_>,
    interval: Interval,
    periods: &[(NaiveDate, NaiveDate)],
) -> Result<Statement, ReportError> {
    use crate::model::money::{checked_add, checked_sub};
    let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
        return Err(ReportError::Request("no period to show".into()));
    };
    let whole = super::funds::funds_valued(valued, Some(first.0), Some(last.1))?;
    let parts = periods
        .iter()
        .map(|&(b, e)| super::funds::funds_valued(valued, Some(b), Some(e)))
        .collect::<Result<Vec<_>, _>>()?;
    let language = Language::En;
    let mut columns = vec!["Opening".to_string()];
    columns.extend(periods.iter().map(|&(b, e)| heading(b, e, language)));
    columns.push("Closing".to_string());
    let mut s = Statement::new(
        "funds-columns",
        format!("Funds: net movement{}", title_suffix(interval, language)),
        format!("{} to {}", first.0, last.1.pred_opt().unwrap_or(last.1)),
        columns,
        &valued.base,
    );
    s.label_header = "Fund".to_string();
    let mut totals = vec![Decimal::ZERO; periods.len() + 2];
    for row in &whole.rows {
        let mut cells = vec![row.opening];
        let mut running = row.opening;
        for (part, &(begin, _)) in parts.iter().zip(periods) {
            let (opening, closing) = part
                .rows
                .iter()
                .find(|r| r.fund == row.fund)
                .map_or((Decimal::ZERO, Decimal::ZERO), |r| (r.opening, r.closing));
            if opening != running {
                return Err(ReportError::DoesNotTie(format!(
                    "fund {}: the period from {begin} opens at {opening}, the one before closed at {running}",
                    row.fund
                )));
            }
            cells.push(checked_sub(closing, opening)?);
            running = closing;
        }
        if running != row.closing {
            return Err(ReportError::DoesNotTie(format!(
                "fund {}: opening + movements = {running}, the whole range closes at {}",
                row.fund, row.closing
            )));
        }
        cells.push(row.closing);
        for (total, cell) in totals.iter_mut().zip(&cells) {
            *total = checked_add(*total, *cell)?;
        }
        s.amounts(row.name.clone(), 0, RowKind::Line, &cells);
    }
    s.amounts("Total".to_string(), 0, RowKind::Total, &totals);
    s.notes.push(
        "Each period column is the fund's net movement in that period: income less expenses, with exchange results and transfers between funds. Opening + movements = closing, checked for every fund before the statement prints.".to_string(),
    );
    Ok(s)
}

/// A row's place: the headings above it, its label and kind, and how many
/// rows before it had the same (so repeated labels stay apart).
type Key = (Vec<String>, String, RowKind, usize);

/// Each row of `s` with its key, its total (the last cell) and whether it
/// is a balance at a date.
fn keyed(s: &Statement) -> Vec<(Key, &Row, Option<Decimal>, Option<Stock>)> {
    let mut headings: Vec<String> = Vec::new();
    let mut seen: BTreeMap<(Vec<String>, String, RowKind), usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(s.rows.len());
    for (i, row) in s.rows.iter().enumerate() {
        let level = usize::from(row.level);
        headings.truncate(level);
        let path = headings.clone();
        if row.kind == RowKind::Heading {
            headings.resize(level, String::new());
            headings.push(row.label.clone());
        }
        let n = seen
            .entry((path.clone(), row.label.clone(), row.kind))
            .or_default();
        let key = (path, row.label.clone(), row.kind, *n);
        *n += 1;
        let total = match row.cells.last() {
            Some(Cell::Amount(v)) => Some(*v),
            _ => None,
        };
        let stock = s
            .stocks
            .iter()
            .find(|(index, _)| *index == i)
            .map(|(_, stock)| *stock);
        out.push((key, row, total, stock));
    }
    out
}

/// The whole-range statement `whole` and the periods' `parts` as one
/// statement in columns; `shared_by_whole_range` when the periods' support
/// costs are shared out by the whole range's direct costs (the SORP), which
/// the note says.
fn merge(
    whole: Statement,
    parts: &[Statement],
    interval: Interval,
    periods: &[(NaiveDate, NaiveDate)],
    shared_by_whole_range: bool,
) -> Result<Statement, ReportError> {
    // The rows in the whole range's order; a row printed only in some
    // periods goes after the row it follows there.
    struct Merged {
        key: Key,
        label: String,
        level: u8,
        kind: RowKind,
        stock: Option<Stock>,
        amounts: bool,
    }
    let whole_keyed = keyed(&whole);
    let mut rows: Vec<Merged> = whole_keyed
        .iter()
        .cloned()
        .map(|(key, row, total, stock)| Merged {
            key,
            label: row.label.clone(),
            level: row.level,
            kind: row.kind,
            stock,
            amounts: total.is_some(),
        })
        .collect();
    let part_rows: Vec<_> = parts.iter().map(keyed).collect();
    for part in &part_rows {
        let mut after: Option<usize> = None;
        for (key, row, total, stock) in part {
            match rows.iter().position(|m| &m.key == key) {
                Some(at) => {
                    // A row with amounts in any period has amounts (and
                    // is checked), even if the whole range has none.
                    rows[at].amounts |= total.is_some();
                    after = Some(at);
                }
                None => {
                    let at = after.map_or(0, |a| a + 1);
                    rows.insert(
                        at,
                        Merged {
                            key: key.clone(),
                            label: row.label.clone(),
                            level: row.level,
                            kind: row.kind,
                            stock: *stock,
                            amounts: total.is_some(),
                        },
                    );
                    after = Some(at);
                }
            }
        }
    }
    let totals = |rows: &[(Key, &Row, Option<Decimal>, Option<Stock>)]| {
        rows.iter()
            .filter_map(|(k, _, t, _)| t.map(|t| (k.clone(), t)))
            .collect::<BTreeMap<Key, Decimal>>()
    };
    let whole_totals = totals(&whole_keyed);
    let part_totals: Vec<BTreeMap<Key, Decimal>> = part_rows.iter().map(|p| totals(p)).collect();

    let language = whole.language;
    let mut columns: Vec<String> = periods
        .iter()
        .map(|&(b, e)| heading(b, e, language))
        .collect();
    columns.push(super::words::pick(language, "Total", "合計").to_string());
    let mut s = Statement::new(
        &format!("{}-columns", whole.id),
        format!("{}{}", whole.title, title_suffix(interval, language)),
        whole.subtitle.clone(),
        columns,
        &whole.unit,
    );
    s.language = language;
    s.label_header = whole.label_header.clone();
    s.ties = whole.ties.clone();
    for m in &rows {
        if !m.amounts {
            s.cells(
                m.label.clone(),
                m.level,
                m.kind,
                vec![Cell::Empty; s.columns.len()],
            );
            continue;
        }
        let values: Vec<Decimal> = part_totals
            .iter()
            .map(|p| p.get(&m.key).copied().unwrap_or_default())
            .collect();
        let total = whole_totals.get(&m.key).copied().unwrap_or_default();
        let (expected, how) = match m.stock {
            Some(Stock::Opening) => (
                values.first().copied().unwrap_or_default(),
                "the first period's opening is",
            ),
            Some(Stock::Closing) => (
                values.last().copied().unwrap_or_default(),
                "the last period's closing is",
            ),
            None => {
                let mut sum = Decimal::ZERO;
                for v in &values {
                    super::acc(&mut sum, *v)?;
                }
                (sum, "the periods add up to")
            }
        };
        if expected != total {
            return Err(ReportError::DoesNotTie(format!(
                "{}, row {:?}: {how} {expected}, the whole range is {total}",
                s.title, m.label
            )));
        }
        let mut cells = values;
        cells.push(total);
        s.amounts(m.label.clone(), m.level, m.kind, &cells);
        if let Some(stock) = m.stock {
            s.stock(stock);
        }
    }
    s.notes = whole.notes.clone();
    s.notes.push(if shared_by_whole_range {
        // The SORP is in English only.
        "Each column is the statement of its period, its support costs shared out by the whole range's direct costs as said above; the Total column is the statement of the whole range, and each line's periods add up to it (net assets at the beginning and end are those of the first and last period).".to_string()
    } else {
        super::words::pick(
            language,
            "Each column is the statement of its period alone; the Total column is the statement of the whole range, and each line's periods add up to it (net assets at the beginning and end are those of the first and last period).",
            "各列はその期間だけの計算書、合計列は全期間の計算書です。各行の期間の合計は合計列に一致します（期首・期末の正味財産は最初と最後の期間のものです）。",
        )
        .to_string()
    });
    Ok(s)
}

/// What the title says the columns are.
fn title_suffix(interval: Interval, language: Language) -> &'static str {
    match (interval, language) {
        (Interval::Monthly, Language::En) => ", by month",
        (Interval::Quarterly, Language::En) => ", by quarter",
        (Interval::Yearly, Language::En) => ", by calendar year",
        (Interval::FiscalYearly, Language::En) => ", by fiscal year",
        (Interval::Monthly, Language::Ja) => "（月別）",
        (Interval::Quarterly, Language::Ja) => "（四半期別）",
        (Interval::Yearly, Language::Ja) => "（暦年別）",
        (Interval::FiscalYearly, Language::Ja) => "（年度別）",
    }
}

/// A column's heading for `[begin, end)`: whole months as months
/// (`Apr–Jun 2000`, `2000年4月〜6月`), other ranges by their days. Every
/// report with a column per period (statements, budgets) names its
/// periods with it, so a fiscal quarter reads the same everywhere.
pub(crate) fn heading(begin: NaiveDate, end: NaiveDate, language: Language) -> String {
    let last = end.pred_opt().unwrap_or(end);
    let whole_months = begin.day() == 1 && end.day() == 1;
    if !whole_months {
        return match language {
            Language::En => format!("{begin}..{last}"),
            Language::Ja => format!("{begin}〜{last}"),
        };
    }
    let en = |d: NaiveDate| d.format("%b").to_string();
    match language {
        Language::En if begin.year() == last.year() && begin.month() == last.month() => {
            format!("{} {}", en(begin), begin.year())
        }
        Language::En if begin.year() == last.year() => {
            format!("{}–{} {}", en(begin), en(last), last.year())
        }
        Language::En => format!(
            "{} {}–{} {}",
            en(begin),
            begin.year(),
            en(last),
            last.year()
        ),
        Language::Ja if begin.year() == last.year() && begin.month() == last.month() => {
            format!("{}年{}月", begin.year(), begin.month())
        }
        Language::Ja if begin.year() == last.year() => {
            format!("{}年 {}月〜{}月", begin.year(), begin.month(), last.month())
        }
        Language::Ja => format!(
            "{}年{}月〜 {}年{}月",
            begin.year(),
            begin.month(),
            last.year(),
            last.month()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn headings_name_months_and_quarters() {
        assert_eq!(
            heading(d(2000, 4, 1), d(2000, 7, 1), Language::En),
            "Apr–Jun 2000"
        );
        assert_eq!(
            heading(d(2001, 1, 1), d(2001, 4, 1), Language::Ja),
            "2001年 1月〜3月"
        );
        assert_eq!(
            heading(d(2000, 4, 1), d(2000, 5, 1), Language::En),
            "Apr 2000"
        );
        assert_eq!(
            heading(d(2000, 10, 1), d(2001, 4, 1), Language::Ja),
            "2000年10月〜 2001年3月"
        );
        assert_eq!(
            heading(d(2000, 4, 15), d(2000, 7, 1), Language::En),
            "2000-04-15..2000-06-30"
        );
    }

    fn statement(rows: &[(&str, u8, RowKind, Option<i64>)]) -> Statement {
        let mut s = Statement::new("t", "T", "", vec!["Total".into()], "JPY");
        for (label, level, kind, v) in rows {
            match v {
                Some(v) => s.amounts(*label, *level, *kind, &[Decimal::from(*v)]),
                None => s.heading(*label, *level),
            }
        }
        s
    }

    #[test]
    fn rows_missing_in_a_period_are_zero_and_repeated_labels_stay_apart() {
        use RowKind::{Heading as H, Line as L};
        let whole = statement(&[
            ("A", 0, H, None),
            ("x", 1, L, Some(5)),
            ("B", 0, H, None),
            ("x", 1, L, Some(7)),
        ]);
        let q1 = statement(&[("A", 0, H, None), ("x", 1, L, Some(5))]);
        let q2 = statement(&[("B", 0, H, None), ("x", 1, L, Some(7))]);
        let periods = [
            (d(2000, 4, 1), d(2000, 7, 1)),
            (d(2000, 7, 1), d(2000, 10, 1)),
        ];
        let s = merge(whole, &[q1, q2], Interval::Quarterly, &periods, false).unwrap();
        let amounts: Vec<Vec<Cell>> = s.rows.iter().map(|r| r.cells.clone()).collect();
        let a = |v: i64| Cell::Amount(Decimal::from(v));
        assert_eq!(amounts[1], vec![a(5), a(0), a(5)]);
        assert_eq!(amounts[3], vec![a(0), a(7), a(7)]);
    }

    #[test]
    fn a_row_whose_periods_do_not_add_up_is_refused_with_both_figures() {
        let whole = statement(&[("Gifts", 0, RowKind::Line, Some(10))]);
        let q1 = statement(&[("Gifts", 0, RowKind::Line, Some(4))]);
        let q2 = statement(&[("Gifts", 0, RowKind::Line, Some(5))]);
        let periods = [
            (d(2000, 4, 1), d(2000, 7, 1)),
            (d(2000, 7, 1), d(2000, 10, 1)),
        ];
        let err = merge(whole, &[q1, q2], Interval::Quarterly, &periods, false).unwrap_err();
        let ReportError::DoesNotTie(text) = err else {
            panic!("expected DoesNotTie, got {err:?}");
        };
        assert!(
            text.contains("\"Gifts\"") && text.contains("add up to 9") && text.contains("is 10"),
            "{text}"
        );
    }

    #[test]
    fn a_row_printed_only_in_periods_must_add_up_to_nothing() {
        use RowKind::{Heading as H, Line as L};
        let periods = [
            (d(2000, 4, 1), d(2000, 7, 1)),
            (d(2000, 7, 1), d(2000, 10, 1)),
        ];
        let whole = statement(&[("A", 0, H, None), ("x", 1, L, Some(5))]);
        // "Refund" is printed in both quarters, not in the whole range:
        // +3 and -3 add up to its (absent) total, so it prints, after x.
        let q1 = statement(&[
            ("A", 0, H, None),
            ("x", 1, L, Some(5)),
            ("Refund", 1, L, Some(3)),
        ]);
        let q2 = statement(&[("A", 0, H, None), ("Refund", 1, L, Some(-3))]);
        let s = merge(
            whole.clone(),
            &[q1, q2],
            Interval::Quarterly,
            &periods,
            false,
        )
        .unwrap();
        let a = |v: i64| Cell::Amount(Decimal::from(v));
        let labels: Vec<&str> = s.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["A", "x", "Refund"]);
        assert_eq!(s.rows[2].cells, vec![a(3), a(-3), a(0)]);
        // Printed in one quarter only, with an amount the whole range
        // does not have: refused, naming the row.
        let q1 = statement(&[
            ("A", 0, H, None),
            ("x", 1, L, Some(5)),
            ("Refund", 1, L, Some(3)),
        ]);
        let q2 = statement(&[("A", 0, H, None)]);
        let err = merge(whole, &[q1, q2], Interval::Quarterly, &periods, false).unwrap_err();
        let ReportError::DoesNotTie(text) = err else {
            panic!("expected DoesNotTie, got {err:?}");
        };
        assert!(
            text.contains("\"Refund\"") && text.contains("add up to 3") && text.contains("is 0"),
            "{text}"
        );
        // A row without an amount in the whole range but with one in a
        // period is checked too, not shown empty.
        let mut whole = statement(&[("x", 0, L, Some(5))]);
        whole.cells("Note", 0, L, vec![Cell::Empty]);
        let q1 = statement(&[("x", 0, L, Some(5)), ("Note", 0, L, Some(2))]);
        let q2 = statement(&[("x", 0, L, Some(0))]);
        let err = merge(whole, &[q1, q2], Interval::Quarterly, &periods, false).unwrap_err();
        assert!(
            matches!(&err, ReportError::DoesNotTie(t) if t.contains("\"Note\"")),
            "{err:?}"
        );
    }

    #[test]
    fn balances_at_a_date_are_the_first_and_last_periods() {
        let mut whole = statement(&[("Opening", 0, RowKind::Line, Some(100))]);
        whole.stock(Stock::Opening);
        let mut q1 = statement(&[("Opening", 0, RowKind::Line, Some(100))]);
        q1.stock(Stock::Opening);
        let mut q2 = statement(&[("Opening", 0, RowKind::Line, Some(130))]);
        q2.stock(Stock::Opening);
        let periods = [
            (d(2000, 4, 1), d(2000, 7, 1)),
            (d(2000, 7, 1), d(2000, 10, 1)),
        ];
        let s = merge(whole, &[q1, q2], Interval::Quarterly, &periods, false).unwrap();
        assert_eq!(
            s.rows[0].cells.last(),
            Some(&Cell::Amount(Decimal::from(100)))
        );
    }
}
