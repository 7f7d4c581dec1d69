//! Every real posting valued in the base currency, in whole base units.
//!
//! A posting in the base currency is worth its amount. Any other is worth
//! its amount at the latest `P` price on or before its date (the same price
//! for every posting of that commodity on that date, so a transaction's
//! values still balance). The values of one transaction are then rounded to
//! the base currency's precision by the **largest-remainder method**: each is
//! rounded toward zero, and the units left over go to the values with the
//! largest remainders, so the rounded values of every transaction sum to
//! exactly zero, like the postings themselves. All statements are built on
//! these values, which is what lets them tie to the yen.

use chrono::NaiveDate;

use super::ReportError;
use crate::journal::{CommodityId, Journal, Posting, PostingKind, Transaction};
use crate::money::{self, Decimal, RoundingStrategy};
use crate::valuation::Valuer;

/// Base-currency values of every posting of a journal.
pub struct Valued<'j> {
    /// The journal.
    pub journal: &'j Journal,
    /// The value of each posting (by index in [`Journal::all_postings`]);
    /// zero for virtual postings.
    pub values: Vec<Decimal>,
    /// The base currency symbol.
    pub base: String,
    /// Its precision.
    pub precision: u32,
}

impl<'j> Valued<'j> {
    /// Values every posting.
    ///
    /// # Errors
    /// [`ReportError::Request`] when the journal has no base currency,
    /// [`ReportError::NoPrice`] when an amount has no price on its date.
    pub fn new(journal: &'j Journal) -> Result<Valued<'j>, ReportError> {
        journal.verify_invariants()?;
        let valuer = Valuer::new(journal).ok_or_else(|| {
            ReportError::Request("statements need a base currency (base_currency in fundledger.toml) that the journal uses".into())
        })?;
        let base = valuer.base();
        let precision = journal.precision(base).unwrap_or(0);
        let mut values = vec![Decimal::ZERO; journal.all_postings().len()];
        let mut exact: Vec<(usize, Decimal)> = Vec::new();
        for t in journal.transactions() {
            let range = t.posting_range();
            exact.clear();
            for (offset, p) in journal.postings(t).iter().enumerate() {
                if p.kind != PostingKind::Real {
                    continue;
                }
                let value = if p.commodity == base {
                    p.quantity
                } else {
                    valuer
                        .value(p.quantity, p.commodity, t.date)
                        .ok_or_else(|| {
                            // With a price, the only failure is a value
                            // beyond Decimal's range: a fact about the data.
                            if valuer.price_on(p.commodity, t.date).is_some() {
                                return ReportError::Overflow;
                            }
                            ReportError::NoPrice(format!(
                                "cannot value {} {} on {} ({}:{}): add a `P` price for {} in {}",
                                p.quantity,
                                journal.commodity_name(p.commodity),
                                t.date,
                                journal.files()[t.file as usize].display(),
                                p.line,
                                journal.commodity_name(p.commodity),
                                valuer.base_name()
                            ))
                        })?
                };
                exact.push((range.start + offset, value));
            }
            // Amounts in the base currency need no rounding.
            if exact.iter().all(|(_, v)| v.scale() <= precision) {
                for &(index, value) in &exact {
                    values[index] = value;
                }
                continue;
            }
            for (index, value) in largest_remainder(&exact, precision)? {
                values[index] = value;
            }
        }
        Ok(Valued {
            journal,
            values,
            base: valuer.base_name().to_string(),
            precision,
        })
    }

    /// The amount `balance -V` and `register -V` show for the posting at
    /// `index`: a real posting's value in the base currency at the price of
    /// its own date (the value the statements use), a virtual posting (a
    /// memo quantity, which has no price) in its own commodity.
    pub fn shown(&self, index: usize) -> Option<(CommodityId, Decimal)> {
        let posting = self.journal.all_postings().get(index)?;
        if posting.kind != PostingKind::Real {
            return Some((posting.commodity, posting.quantity));
        }
        let base = self.journal.commodity_id(&self.base)?;
        Some((base, *self.values.get(index)?))
    }

    /// The value of the posting at `index`.
    pub fn value(&self, index: usize) -> Decimal {
        self.values[index]
    }

    /// Every real posting of the transactions dated before `until` (and on
    /// or after `from`, when given), with its transaction and its value, in
    /// journal order.
    pub fn real_postings(
        &self,
        from: Option<NaiveDate>,
        until: NaiveDate,
    ) -> impl Iterator<Item = (&'j Transaction, &'j Posting, Decimal)> + '_ {
        let journal = self.journal;
        journal
            .transactions()
            .iter()
            .filter(move |t| t.date < until && from.is_none_or(|f| t.date >= f))
            .flat_map(move |t| {
                let start = t.posting_range().start;
                journal
                    .postings(t)
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.kind == PostingKind::Real)
                    .map(move |(offset, p)| (t, p, self.values[start + offset]))
            })
    }
}

/// Which amount `balance` and `register` show for a posting.
#[derive(Clone, Copy, Default)]
pub enum Shown<'v> {
    /// Its own quantity and commodity.
    #[default]
    Own,
    /// `-B`: its cost when written with `@`/`@@`, else its own amount. The
    /// conversion legs fundledger generates for a cost are left out (the
    /// cost stands for them, as in hledger).
    Cost,
    /// `-V`: its value ([`Valued::shown`]).
    Value(&'v Valued<'v>),
}

impl Shown<'_> {
    /// The (commodity, quantity) shown for the posting at `index`, or `None`
    /// for a posting not shown at all (a conversion leg at cost).
    ///
    /// # Errors
    /// [`ReportError::Request`] when the valuation does not cover the posting
    /// (a different journal).
    pub fn amount(
        &self,
        journal: &Journal,
        posting: &Posting,
        index: usize,
    ) -> Result<Option<(CommodityId, Decimal)>, ReportError> {
        match self {
            Shown::Own => Ok(Some((posting.commodity, posting.quantity))),
            Shown::Cost => {
                if posting.origin == crate::journal::Origin::Conversion {
                    return Ok(None);
                }
                let (quantity, commodity) = journal.weight(posting);
                Ok(Some((commodity, quantity)))
            }
            Shown::Value(v) => v.shown(index).map(Some).ok_or_else(|| {
                ReportError::Request(format!(
                    "no value for posting {index}, or no commodity {} in the journal",
                    v.base
                ))
            }),
        }
    }
}

/// Rounds values that sum to zero so that they still sum to zero (the
/// largest-remainder method): each to the nearest unit (half to even), then
/// the units the rounding gained or lost are taken back from, or given to,
/// the values whose rounding moved them furthest, one unit each.
fn largest_remainder(
    exact: &[(usize, Decimal)],
    precision: u32,
) -> Result<Vec<(usize, Decimal)>, ReportError> {
    let mut rounded: Vec<(usize, Decimal, Decimal)> = exact
        .iter()
        .map(|&(i, v)| {
            let r = money::round(v, precision, RoundingStrategy::MidpointNearestEven);
            (i, r, v - r)
        })
        .collect();
    let unit = Decimal::new(1, precision);
    let exact_sum = money::checked_sum(exact.iter().map(|(_, v)| *v))?;
    let rounded_sum = money::checked_sum(rounded.iter().map(|(_, r, _)| *r))?;
    let mut residual = money::checked_sub(exact_sum, rounded_sum)?;
    // Positive residual: units are missing; give them to the values rounded
    // down the most (largest error). Negative: take them from the values
    // rounded up the most (smallest error).
    let mut order: Vec<usize> = (0..rounded.len()).collect();
    if residual.is_sign_positive() {
        order.sort_by(|&a, &b| rounded[b].2.cmp(&rounded[a].2).then(a.cmp(&b)));
    } else {
        order.sort_by(|&a, &b| rounded[a].2.cmp(&rounded[b].2).then(a.cmp(&b)));
    }
    for &k in &order {
        if residual.abs() < unit {
            break;
        }
        let step = if residual.is_sign_positive() {
            unit
        } else {
            -unit
        };
        rounded[k].1 += step;
        residual -= step;
    }
    if !residual.is_zero() {
        return Err(ReportError::DoesNotTie(format!(
            "rounding a transaction's values to the base currency left {residual}"
        )));
    }
    Ok(rounded.into_iter().map(|(i, r, _)| (i, r)).collect())
}

/// Months from `start` (inclusive) to `end` (exclusive), as first days.
pub fn months(start: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
    use chrono::Datelike;
    let mut out = Vec::new();
    let mut month = NaiveDate::from_ymd_opt(start.year(), start.month(), 1);
    while let Some(m) = month {
        if m >= end {
            break;
        }
        out.push(m);
        month = if m.month() == 12 {
            NaiveDate::from_ymd_opt(m.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(m.year(), m.month() + 1, 1)
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn largest_remainder_keeps_the_sum_at_zero() {
        let exact = vec![(0, d("100.4")), (1, d("100.4")), (2, d("-200.8"))];
        let rounded = largest_remainder(&exact, 0).unwrap();
        let sum: Decimal = rounded.iter().map(|(_, v)| *v).sum();
        assert_eq!(sum, Decimal::ZERO);
        // 100.4 and 100.4 round down, -200.8 to -201: one unit short, given
        // to the value rounded down the most.
        assert_eq!(
            rounded.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            vec![d("101"), d("100"), d("-201")]
        );
        let exact = vec![
            (0, d("0.333")),
            (1, d("0.333")),
            (2, d("0.334")),
            (3, d("-1")),
        ];
        let rounded = largest_remainder(&exact, 0).unwrap();
        assert_eq!(
            rounded.iter().map(|(_, v)| *v).sum::<Decimal>(),
            Decimal::ZERO
        );
        assert_eq!(
            rounded.iter().filter(|(_, v)| *v == Decimal::ONE).count(),
            1
        );
    }
}
