//! Period expressions, read the way hledger reads them.
//!
//! A *date span* names a stretch of days: `2000` (a calendar year), `2000-04`
//! or `2000/04` (a month), `2000-04-15`, `2000/04/15` or `2000.04.15` (a
//! day), `2000q2` (a calendar quarter), `fy2000` (the fiscal year that starts
//! in 2000), `today`, `yesterday`, `tomorrow`, `this|last|next
//! day|month|quarter|year|fy`, and `ytd` (the fiscal year to today).
//!
//! The rule for ends, as in hledger: every range is `[begin, end)`.
//! `-b DATE` begins at the first day of DATE's span; `-e DATE` ends *before*
//! the first day of DATE's span (exclusive: `-e 2000-10` stops at
//! 2000-09-30); `from A to B` is `-b A -e B`; `-p SPAN` is the whole span
//! (`-p 2000q2` is 2000-04-01 to 2000-06-30, both included). `--as-of DATE`
//! is inclusive: balances at the end of the last day of DATE's span
//! (`--as-of 2000-09-30` includes that day; `--as-of 2000q3` is at
//! 2000-09-30).
//!
//! A period expression may start with an interval (`monthly`, `quarterly`,
//! `yearly`, `fiscal-yearly`, or `every month|quarter|year`), optionally
//! followed by `in SPAN` or a range: `monthly in fy2000`.

use chrono::{Datelike, Months, NaiveDate};

use crate::model::settings::FiscalYearStart;

/// Whether `date` is one a journal can hold: the years 0000 to 9999,
/// written with four digits (chrono also reads `-001-04-15` and
/// `+10000-01-01`, which no journal line can say).
pub fn is_journal_date(date: NaiveDate) -> bool {
    (0..=9999).contains(&date.year())
}

/// How a multi-period report splits its range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    /// One column per calendar month.
    Monthly,
    /// One column per calendar quarter.
    Quarterly,
    /// One column per calendar year.
    Yearly,
    /// One column per fiscal year.
    FiscalYearly,
}

/// A period: `[begin, end)`, either end open, and an optional interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Period {
    /// First day included.
    pub begin: Option<NaiveDate>,
    /// First day excluded.
    pub end: Option<NaiveDate>,
    /// The interval of a multi-period expression.
    pub interval: Option<Interval>,
}

/// What relative dates are relative to, and where fiscal years start.
#[derive(Clone, Copy, Debug)]
pub struct Context {
    /// The day `today` means.
    pub today: NaiveDate,
    /// The first month and day of a fiscal year.
    pub fiscal_year_start: FiscalYearStart,
}

fn month_start(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn after(start: NaiveDate, months: u32) -> Result<(NaiveDate, NaiveDate), String> {
    start
        .checked_add_months(Months::new(months))
        .map(|end| (start, end))
        .ok_or_else(|| format!("{start} plus {months} months is out of range"))
}

fn fiscal_year(ctx: &Context, year: i32) -> Result<(NaiveDate, NaiveDate), String> {
    let start = ctx
        .fiscal_year_start
        .first_day(year)
        .ok_or_else(|| format!("fiscal year {year} is out of range"))?;
    after(start, 12)
}

fn quarter_start(day: NaiveDate) -> Option<NaiveDate> {
    month_start(day.year(), (day.month0() / 3) * 3 + 1)
}

fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The span `text` names, as `[first day, first day after)`.
///
/// # Errors
/// A message saying what was found and what is expected.
pub fn span(text: &str, ctx: &Context) -> Result<(NaiveDate, NaiveDate), String> {
    let lower = text.trim().to_ascii_lowercase();
    let bad = || {
        format!(
            "{text:?} is not a date; expected 2000, 2000-04, 2000-04-15 (or 2000/04/15), 2000q2, fy2000, today, yesterday, this/last/next month|quarter|year|fy, or ytd"
        )
    };
    let day = |d: NaiveDate| {
        d.succ_opt()
            .map(|n| (d, n))
            .ok_or_else(|| format!("{d} is out of range"))
    };
    match lower.as_str() {
        "today" => return day(ctx.today),
        "yesterday" => return day(ctx.today.pred_opt().ok_or_else(bad)?),
        "tomorrow" => return day(ctx.today.succ_opt().ok_or_else(bad)?),
        "ytd" => {
            let (begin, _) = fiscal_year(ctx, ctx.fiscal_year_start.year_of(ctx.today))?;
            return Ok((begin, ctx.today.succ_opt().ok_or_else(bad)?));
        }
        _ => {}
    }
    let words: Vec<&str> = lower.split_whitespace().collect();
    if let [which, unit] = words.as_slice() {
        let offset: i32 = match *which {
            "this" => 0,
            "last" => -1,
            "next" => 1,
            _ => return Err(bad()),
        };
        let shift = |start: NaiveDate, months: u32| -> Result<(NaiveDate, NaiveDate), String> {
            let moved = match offset {
                -1 => start.checked_sub_months(Months::new(months)),
                1 => start.checked_add_months(Months::new(months)),
                _ => Some(start),
            }
            .ok_or_else(bad)?;
            after(moved, months)
        };
        return match *unit {
            "day" => day(ctx
                .today
                .checked_add_signed(chrono::Duration::days(offset.into()))
                .ok_or_else(bad)?),
            "month" => shift(
                month_start(ctx.today.year(), ctx.today.month()).ok_or_else(bad)?,
                1,
            ),
            "quarter" => shift(quarter_start(ctx.today).ok_or_else(bad)?, 3),
            "year" => shift(month_start(ctx.today.year(), 1).ok_or_else(bad)?, 12),
            "fy" => fiscal_year(ctx, ctx.fiscal_year_start.year_of(ctx.today) + offset),
            _ => Err(bad()),
        };
    }
    if let Some(year) = lower.strip_prefix("fy") {
        return fiscal_year(ctx, number(year).ok_or_else(bad)?);
    }
    if let Some((year, quarter)) = lower.split_once('q') {
        let (year, quarter): (i32, u32) = (
            number(year).ok_or_else(bad)?,
            number(quarter).ok_or_else(bad)?,
        );
        if !(1..=4).contains(&quarter) {
            return Err(format!("{text:?}: a quarter is q1 to q4"));
        }
        return after(month_start(year, quarter * 3 - 2).ok_or_else(bad)?, 3);
    }
    let separator = ['-', '/', '.']
        .into_iter()
        .find(|s| lower.contains(*s))
        .unwrap_or('-');
    let parts: Vec<&str> = lower.split(separator).collect();
    match parts.as_slice() {
        [year] if year.len() == 4 => after(
            month_start(number(year).ok_or_else(bad)?, 1).ok_or_else(bad)?,
            12,
        ),
        [year, month] if year.len() == 4 => after(
            month_start(
                number(year).ok_or_else(bad)?,
                number(month).ok_or_else(bad)?,
            )
            .ok_or_else(bad)?,
            1,
        ),
        // A full date reads as the journal's dates do.
        [year, _, _] if year.len() == 4 => {
            day(crate::read::grammar::parse_date(&lower, None).ok_or_else(bad)?)
        }
        _ => Err(bad()),
    }
}

/// A period expression (`-p`): a span, a range (`from A to B`, `from A`,
/// `to B`, `A to B`, `A..B`), optionally after an interval.
///
/// # Errors
/// A message naming the part that could not be read.
pub fn parse(text: &str, ctx: &Context) -> Result<Period, String> {
    let lower = text.trim().to_ascii_lowercase();
    let mut rest = lower.as_str();
    let mut interval = None;
    for (word, value) in [
        ("monthly", Interval::Monthly),
        ("quarterly", Interval::Quarterly),
        ("fiscal-yearly", Interval::FiscalYearly),
        ("yearly", Interval::Yearly),
        ("annually", Interval::Yearly),
        ("every month", Interval::Monthly),
        ("every quarter", Interval::Quarterly),
        ("every year", Interval::Yearly),
        ("every fy", Interval::FiscalYearly),
    ] {
        if let Some(tail) = rest.strip_prefix(word) {
            if tail.is_empty() || tail.starts_with(' ') {
                interval = Some(value);
                rest = tail.trim_start();
                break;
            }
        }
    }
    if let Some(tail) = rest.strip_prefix("in ") {
        rest = tail.trim_start();
    }
    let mut period = Period {
        interval,
        ..Period::default()
    };
    if rest.is_empty() {
        if interval.is_none() {
            return Err("an empty period; expected, for example, 2000q2, fy2000, \"from 2000-04 to 2000-10\" or \"monthly in fy2000\"".into());
        }
        return Ok(period);
    }
    let (from, to) = if let Some(tail) = rest
        .strip_prefix("from ")
        .or_else(|| rest.strip_prefix("since "))
    {
        match tail
            .split_once(" to ")
            .or_else(|| tail.split_once(" until "))
        {
            Some((a, b)) => (Some(a), Some(b)),
            None => (Some(tail), None),
        }
    } else if let Some(tail) = rest
        .strip_prefix("to ")
        .or_else(|| rest.strip_prefix("until "))
    {
        (None, Some(tail))
    } else if let Some((a, b)) = rest.split_once(" to ").or_else(|| rest.split_once("..")) {
        (Some(a), Some(b))
    } else {
        let (begin, end) = span(rest, ctx)?;
        period.begin = Some(begin);
        period.end = Some(end);
        return Ok(period);
    };
    if let Some(a) = from {
        period.begin = Some(span(a.trim(), ctx)?.0);
    }
    if let Some(b) = to {
        period.end = Some(span(b.trim(), ctx)?.0);
    }
    if let (Some(b), Some(e)) = (period.begin, period.end) {
        if e <= b {
            return Err(format!(
                "{text:?}: the end {e} is not after the beginning {b} (the end of a range is excluded)"
            ));
        }
    }
    Ok(period)
}

/// The `[begin, end)` sub-periods of `[begin, end)` for `interval`, each
/// cut to the range (the first and last may be partial).
pub fn split(
    interval: Interval,
    begin: NaiveDate,
    end: NaiveDate,
    fiscal_year_start: FiscalYearStart,
) -> Vec<(NaiveDate, NaiveDate)> {
    let first = match interval {
        Interval::Monthly => month_start(begin.year(), begin.month()),
        Interval::Quarterly => quarter_start(begin),
        Interval::Yearly => month_start(begin.year(), 1),
        Interval::FiscalYearly => NaiveDate::from_ymd_opt(
            fiscal_year_start.year_of(begin),
            fiscal_year_start.month,
            fiscal_year_start.day,
        ),
    };
    let months = match interval {
        Interval::Monthly => 1,
        Interval::Quarterly => 3,
        Interval::Yearly | Interval::FiscalYearly => 12,
    };
    let mut out = Vec::new();
    let mut start = first.unwrap_or(begin);
    while start < end {
        let Some(next) = start.checked_add_months(Months::new(months)) else {
            break;
        };
        out.push((start.max(begin), next.min(end)));
        start = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            today: NaiveDate::from_ymd_opt(2000, 8, 15).unwrap(),
            fiscal_year_start: FiscalYearStart { month: 4, day: 1 },
        }
    }

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn range(text: &str) -> (NaiveDate, NaiveDate) {
        let p = parse(text, &ctx()).unwrap();
        (p.begin.unwrap(), p.end.unwrap())
    }

    #[test]
    fn spans() {
        assert_eq!(range("2000"), (d("2000-01-01"), d("2001-01-01")));
        assert_eq!(range("2000-04"), (d("2000-04-01"), d("2000-05-01")));
        assert_eq!(range("2000/04"), (d("2000-04-01"), d("2000-05-01")));
        assert_eq!(range("2001/03/31"), (d("2001-03-31"), d("2001-04-01")));
        assert_eq!(range("2000.4.1"), (d("2000-04-01"), d("2000-04-02")));
        assert_eq!(range("2000q2"), (d("2000-04-01"), d("2000-07-01")));
        assert_eq!(range("2000Q4"), (d("2000-10-01"), d("2001-01-01")));
        assert_eq!(range("fy2000"), (d("2000-04-01"), d("2001-04-01")));
        assert_eq!(range("last quarter"), (d("2000-04-01"), d("2000-07-01")));
        assert_eq!(range("this month"), (d("2000-08-01"), d("2000-09-01")));
        assert_eq!(range("next year"), (d("2001-01-01"), d("2002-01-01")));
        assert_eq!(range("last fy"), (d("1999-04-01"), d("2000-04-01")));
        assert_eq!(range("ytd"), (d("2000-04-01"), d("2000-08-16")));
        assert_eq!(range("today"), (d("2000-08-15"), d("2000-08-16")));
    }

    #[test]
    fn ranges_exclude_their_end() {
        assert_eq!(
            range("from 2000-04 to 2000-10"),
            (d("2000-04-01"), d("2000-10-01"))
        );
        assert_eq!(
            range("2000-04..2000-10"),
            (d("2000-04-01"), d("2000-10-01"))
        );
        let open = parse("from 2000-04", &ctx()).unwrap();
        assert_eq!((open.begin, open.end), (Some(d("2000-04-01")), None));
        let to = parse("to 2000", &ctx()).unwrap();
        assert_eq!((to.begin, to.end), (None, Some(d("2000-01-01"))));
        assert!(parse("from 2000-10 to 2000-04", &ctx()).is_err());
    }

    #[test]
    fn intervals() {
        let p = parse("monthly in fy2000", &ctx()).unwrap();
        assert_eq!(p.interval, Some(Interval::Monthly));
        assert_eq!(p.begin, Some(d("2000-04-01")));
        let q = parse("quarterly from 2000-04 to 2001-04", &ctx()).unwrap();
        assert_eq!(q.interval, Some(Interval::Quarterly));
        assert_eq!(q.end, Some(d("2001-04-01")));
        let quarters = split(
            Interval::Quarterly,
            d("2000-04-01"),
            d("2001-04-01"),
            ctx().fiscal_year_start,
        );
        assert_eq!(quarters.len(), 4);
        assert_eq!(quarters[3], (d("2001-01-01"), d("2001-04-01")));
        let partial = split(
            Interval::Monthly,
            d("2000-04-15"),
            d("2000-06-10"),
            ctx().fiscal_year_start,
        );
        assert_eq!(
            partial,
            vec![
                (d("2000-04-15"), d("2000-05-01")),
                (d("2000-05-01"), d("2000-06-01")),
                (d("2000-06-01"), d("2000-06-10"))
            ]
        );
    }

    #[test]
    fn mistakes_are_named() {
        for bad in [
            "2000q5",
            "fyx",
            "20000",
            "last decade",
            "2000-13",
            "",
            "monthly in 2000q9",
        ] {
            let error = parse(bad, &ctx()).unwrap_err();
            assert!(!error.is_empty(), "{bad}");
        }
        assert!(parse("2000q5", &ctx()).unwrap_err().contains("q1 to q4"));
    }
}
