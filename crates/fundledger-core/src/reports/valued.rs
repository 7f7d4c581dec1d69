//! Every real posting valued in the base currency, in whole base units.
//!
//! A posting in the base currency is worth its amount. Any other is worth
//! its amount at the latest `P` price on or before its date (the same price
//! for every posting of that commodity on that date, so a transaction's
//! values still balance in every fund). The values are then rounded to the
//! base currency's precision **per transaction and fund** by the
//! **largest-remainder method** (`largest_remainder`): each value of one
//! fund in one transaction is rounded to the nearest unit (half to even),
//! and the units that rounding gained or lost are taken from, or given to,
//! that fund's values whose rounding moved them furthest. So the rounded values of every transaction
//! sum to exactly zero in every fund (and so overall), like the postings
//! themselves. Rounding the whole transaction at once would keep only the
//! overall sum: a foreign amount spread over funds (with its interfund legs)
//! could then leave one fund a unit up and another a unit down, and that
//! fund's net assets from its movements would differ from its assets less
//! liabilities. All statements are built on these values, which is what lets
//! them tie to the yen in every fund.

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::NaiveDate;

use super::ReportError;
use crate::model::journal::{
    BalanceCheck, CommodityId, FundId, Journal, Posting, PostingKind, Transaction,
};
use crate::model::money::{self, Decimal, RoundingStrategy};
use crate::model::valuation::{PriceMemo, Valuer};

/// Base-currency values of every posting of a journal.
pub struct Valued<'j> {
    /// The journal.
    pub journal: &'j Journal,
    /// The base currency symbol.
    pub base: String,
    /// Its precision.
    pub precision: u32,
    /// The values of the real postings of the transactions that are valued
    /// ([`needs_valuing`]: an amount in another commodity, or written
    /// beyond the base currency's precision), in posting order. Every
    /// other real posting is worth its quantity, as valuing it would find.
    revalued: Vec<Decimal>,
    /// Which postings those are: one bit per posting (by index).
    revalued_bits: Vec<u64>,
    /// For each word of `revalued_bits`, how many bits the words before it
    /// set: the index in `revalued` of a marked posting is that plus the
    /// bits set before it in its own word.
    revalued_before_word: Vec<u32>,
    /// Whether the journal lists its transactions in date order.
    dated_in_order: bool,
    /// What passes over the postings found, kept for the reports made
    /// after them from the same values.
    memo: Memo,
}

/// The results of passes over a journal's valued postings that more than
/// one statement needs ([`Valued::memoized`]), and the period boundaries a
/// caller said it will ask sums for ([`Valued::plan_periods`]). Each result
/// is a function of the journal, the values and its key, all fixed for one
/// [`Valued`], so a kept result is what the pass would find again.
#[derive(Default)]
struct Memo {
    /// Announced period boundaries, in order, each once.
    planned: Mutex<Vec<NaiveDate>>,
    /// (what, its key and result as `(K, T)`), newest first.
    kept: Mutex<Vec<(&'static str, Arc<dyn Any + Send + Sync>)>>,
}

impl<'j> Valued<'j> {
    /// Values every posting.
    ///
    /// # Errors
    /// [`ReportError::Request`] when the journal has no base currency,
    /// [`ReportError::NoPrice`] when an amount has no price on its date,
    /// [`ReportError::Unvaluable`] when its value at its price cannot be
    /// held exactly.
    pub fn new(journal: &'j Journal) -> Result<Valued<'j>, ReportError> {
        Valued::priced(journal, None)
    }

    /// Values every real posting at the `P` price of one day, `day`, instead
    /// of its own date (`balance --value=end`: the report's last day), with
    /// the same per-transaction and per-fund rounding as [`Valued::new`].
    /// Memo only: the statements are built on [`Valued::new`].
    ///
    /// # Errors
    /// As [`Valued::new`], the missing price named on `day`.
    pub fn at_day(journal: &'j Journal, day: NaiveDate) -> Result<Valued<'j>, ReportError> {
        Valued::priced(journal, Some(day))
    }

    /// [`Valued::new`] (`day` `None`: each posting at its own date) or
    /// [`Valued::at_day`], on a journal whose invariants hold
    /// ([`Journal::verify_invariants`], checked again here).
    fn priced(journal: &'j Journal, day: Option<NaiveDate>) -> Result<Valued<'j>, ReportError> {
        let valuer = Valuer::new(journal).ok_or_else(|| {
            ReportError::Request("statements need a base currency (base_currency in fundledger.toml) that the journal uses".into())
        })?;
        let precision = journal.precision(valuer.base()).unwrap_or(0);
        let transactions = journal.transactions();
        let dated_in_order = transactions.is_sorted_by_key(|t| t.date);
        // Each transaction is checked and valued on its own, so chunks of
        // transactions go in parallel, their results then taken in journal
        // order.
        let pass = |chunk: &[Transaction]| check_and_value(journal, &valuer, chunk, day, precision);
        let chunks: Vec<Checked> = if crate::parallel::worth_it(transactions.len()) {
            use rayon::prelude::*;
            transactions.par_chunks(VALUE_CHUNK).map(pass).collect()
        } else {
            vec![pass(transactions)]
        };
        // A broken invariant anywhere is reported before any failure to
        // value, as it would be by a check of the whole journal first.
        if let Some(violation) = chunks.iter().find_map(|c| c.violation.clone()) {
            return Err(violation);
        }
        if let Some(failure) = chunks.iter().find_map(|c| c.failure.clone()) {
            return Err(failure);
        }
        let count = chunks.iter().map(|c| c.indexes.len()).sum();
        let mut indexes: Vec<u32> = Vec::with_capacity(count);
        let mut revalued: Vec<Decimal> = Vec::with_capacity(count);
        for chunk in chunks {
            indexes.extend(chunk.indexes);
            revalued.extend(chunk.values);
        }
        // In index order already when the transactions hold the postings
        // in order (as loading lays them out).
        if !indexes.is_sorted() {
            let mut pairs: Vec<(u32, Decimal)> = indexes.into_iter().zip(revalued).collect();
            pairs.sort_unstable_by_key(|&(index, _)| index);
            (indexes, revalued) = pairs.into_iter().unzip();
        }
        let mut revalued_bits = vec![0u64; journal.all_postings().len().div_ceil(64)];
        for &index in &indexes {
            let index = index as usize;
            revalued_bits[index / 64] |= 1 << (index % 64);
        }
        let mut set_before: u32 = 0;
        let revalued_before_word = revalued_bits
            .iter()
            .map(|word| {
                let before = set_before;
                set_before += word.count_ones();
                before
            })
            .collect();
        Ok(Valued {
            journal,
            revalued,
            revalued_bits,
            revalued_before_word,
            base: valuer.base_name().to_string(),
            precision,
            dated_in_order,
            memo: Memo::default(),
        })
    }

    /// The transactions dated before `until`, and perhaps others: all of
    /// them, unless the journal lists them in date order (as most do),
    /// when only those. A pass filters by date as before; this spares it
    /// reading the rest of the journal.
    pub(crate) fn transactions_before(&self, until: NaiveDate) -> &'j [Transaction] {
        let all = self.journal.transactions();
        if self.dated_in_order {
            &all[..all.partition_point(|t| t.date < until)]
        } else {
            all
        }
    }

    /// The transactions dated in `[begin, end)`, and perhaps others, as
    /// [`Valued::transactions_before`].
    pub(crate) fn transactions_within(
        &self,
        begin: NaiveDate,
        end: NaiveDate,
    ) -> &'j [Transaction] {
        let before_end = self.transactions_before(end);
        if self.dated_in_order {
            &before_end[before_end.partition_point(|t| t.date < begin)..]
        } else {
            before_end
        }
    }

    /// Announces that sums over periods bounded by `boundaries` will be
    /// asked (the years of an annual report and of its comparatives), so
    /// that one pass over the postings can sum them all
    /// (`engine::PeriodSums`). A hint: sums of other periods are still
    /// computed, each by a pass of its own.
    pub(crate) fn plan_periods(&self, boundaries: &[NaiveDate]) {
        let mut planned = self
            .memo
            .planned
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        planned.extend_from_slice(boundaries);
        planned.sort_unstable();
        planned.dedup();
    }

    /// The period boundaries announced by [`Valued::plan_periods`], in
    /// order.
    pub(crate) fn planned_periods(&self) -> Vec<NaiveDate> {
        self.memo
            .planned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The result of `compute` for `key`, computed once per `what` and
    /// `key` for these values and kept: a statement that needs a pass
    /// another has made (the loans' movements of a year, for the notes and
    /// for the board's pages) takes its result. `compute` must be a
    /// function of the journal, its values and `key` only. Errors are not
    /// kept.
    ///
    /// # Errors
    /// What `compute` returns.
    pub(crate) fn memoized<K, T>(
        &self,
        what: &'static str,
        key: K,
        compute: impl FnOnce() -> Result<T, ReportError>,
    ) -> Result<T, ReportError>
    where
        K: PartialEq + Send + Sync + 'static,
        T: Clone + Send + Sync + 'static,
    {
        let found = self
            .memo
            .kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(kept, _)| *kept == what)
            .find_map(|(_, entry)| {
                entry
                    .downcast_ref::<(K, T)>()
                    .filter(|(kept_key, _)| *kept_key == key)
                    .map(|(_, result)| result.clone())
            });
        if let Some(result) = found {
            return Ok(result);
        }
        // Computed without the lock: `compute` may ask for other results.
        let result = compute()?;
        self.memo
            .kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(0, (what, Arc::new((key, result.clone()))));
        Ok(result)
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
        Some((base, self.real_value(index, posting)))
    }

    /// The value of the posting at `index` (zero for a virtual posting, or
    /// an index beyond the journal's postings).
    pub fn value(&self, index: usize) -> Decimal {
        match self.journal.all_postings().get(index) {
            Some(posting) if posting.kind == PostingKind::Real => self.real_value(index, posting),
            _ => Decimal::ZERO,
        }
    }

    /// The value of `posting`, the real posting at `index`.
    fn real_value(&self, index: usize, posting: &Posting) -> Decimal {
        let (word, bit) = (index / 64, index % 64);
        match self.revalued_bits.get(word) {
            Some(&bits) if bits >> bit & 1 == 1 => {
                let before = self.revalued_before_word[word] as usize
                    + (bits & ((1u64 << bit) - 1)).count_ones() as usize;
                self.revalued
                    .get(before)
                    .copied()
                    .unwrap_or(posting.quantity)
            }
            _ => posting.quantity,
        }
    }

    /// Folds the real postings of the transactions dated before `until`
    /// into a value of `A`: chunks of transactions in parallel, each from
    /// `start()`, one transaction at a time (`add` gets it with its real
    /// postings and their values), then the chunks' values merged in
    /// journal order (`merge(earlier, later)`). For passes whose sums do
    /// not depend on the order of the postings (exact sums), or whose
    /// `merge` keeps the order met.
    ///
    /// # Errors
    /// An error of `add` or `merge` (not necessarily the first in journal
    /// order: for passes whose errors are all alike, overflows).
    pub(crate) fn fold_before<A: Send>(
        &self,
        until: NaiveDate,
        start: impl Fn() -> A + Sync + Send,
        add: impl Fn(&mut A, &'j Transaction, RealPostings<'_>) -> Result<(), ReportError> + Sync + Send,
        merge: impl Fn(A, A) -> Result<A, ReportError> + Sync + Send,
    ) -> Result<A, ReportError> {
        use rayon::prelude::*;
        let journal = self.journal;
        let fold = |mut folded: A, chunk: &'j [Transaction]| {
            for t in chunk.iter().filter(|t| t.date < until) {
                let real = RealPostings {
                    postings: journal.postings(t).iter(),
                    next_index: t.posting_range().start,
                    valued: self,
                };
                add(&mut folded, t, real)?;
            }
            Ok(folded)
        };
        let transactions = self.transactions_before(until);
        if !crate::parallel::worth_it(transactions.len()) {
            return fold(start(), transactions);
        }
        transactions
            .par_chunks(FOLD_CHUNK)
            .try_fold(&start, fold)
            .try_reduce(&start, &merge)
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
                    .map(move |(offset, p)| (t, p, self.real_value(start + offset, p)))
            })
    }
}

/// How many transactions one parallel task of [`Valued::fold_before`] folds.
const FOLD_CHUNK: usize = 16 * 1024;

/// How many transactions one parallel task of [`Valued::new`] checks and
/// values.
const VALUE_CHUNK: usize = 16 * 1024;

/// What [`check_and_value`] found in a chunk of transactions.
struct Checked {
    /// The indexes of the real postings of the transactions it valued.
    indexes: Vec<u32>,
    /// Their values.
    values: Vec<Decimal>,
    /// The first transaction that does not balance in a fund.
    violation: Option<ReportError>,
    /// The first failure to value a transaction.
    failure: Option<ReportError>,
}

/// Whether a transaction's values may differ from its quantities: a real
/// posting in a commodity other than the base currency, or written with
/// more decimals than the base currency's precision. Otherwise each real
/// posting is worth its quantity ([`value_transaction`] would give
/// exactly that), and the transaction is not valued at all.
fn needs_valuing(postings: &[Posting], base: CommodityId, precision: u32) -> bool {
    postings.iter().any(|p| {
        p.kind == PostingKind::Real && (p.commodity != base || p.quantity.scale() > precision)
    })
}

/// Checks that each transaction of `chunk` balances in every fund and
/// commodity ([`Journal::verify_invariants`]: when every transaction does,
/// the journal's real postings sum to zero too) and values those that need
/// it ([`needs_valuing`]), one pass over their postings.
fn check_and_value(
    journal: &Journal,
    valuer: &Valuer<'_>,
    chunk: &[Transaction],
    day: Option<NaiveDate>,
    precision: u32,
) -> Checked {
    let base = valuer.base();
    let mut checked = Checked {
        indexes: Vec::new(),
        values: Vec::new(),
        violation: None,
        failure: None,
    };
    let mut balance = BalanceCheck::default();
    let mut scratch = Scratch::default();
    let mut values: Vec<Decimal> = Vec::new();
    for t in chunk {
        let postings = journal.postings(t);
        match balance.transaction(postings) {
            Ok(None) => {}
            Ok(Some(fund)) => {
                checked.violation = Some(journal.unbalanced(t, fund).into());
                return checked;
            }
            Err(overflow) => {
                checked.violation = Some(overflow.into());
                return checked;
            }
        }
        if checked.failure.is_some() || !needs_valuing(postings, base, precision) {
            continue;
        }
        values.clear();
        values.resize(postings.len(), Decimal::ZERO);
        if let Err(error) = value_transaction(
            journal,
            valuer,
            t,
            day,
            precision,
            &mut scratch,
            &mut values,
        ) {
            checked.failure = Some(error);
            continue;
        }
        // The journal numbers its postings in u32 (`t.postings`).
        for (index, (p, &value)) in t.postings.clone().zip(postings.iter().zip(&values)) {
            if p.kind == PostingKind::Real {
                checked.indexes.push(index);
                checked.values.push(value);
            }
        }
    }
    checked
}

/// The scratch space of [`value_transaction`], reused from one transaction
/// to the next.
#[derive(Default)]
struct Scratch {
    /// (fund, posting index, exact value) of the transaction's postings.
    exact: Vec<(FundId, usize, Decimal)>,
    /// [`largest_remainder`]'s answer.
    rounded: Vec<(usize, Decimal, Decimal)>,
    /// The prices looked up, by commodity.
    prices: PriceMemo,
}

/// Values the real postings of one transaction (each at the price of `day`,
/// else of the transaction's date) into `values`, one per posting of the
/// transaction (virtual postings stay zero), rounded per fund by
/// [`largest_remainder`]. `exact` is scratch space.
fn value_transaction(
    journal: &Journal,
    valuer: &Valuer<'_>,
    t: &Transaction,
    day: Option<NaiveDate>,
    precision: u32,
    scratch: &mut Scratch,
    values: &mut [Decimal],
) -> Result<(), ReportError> {
    let base = valuer.base();
    let priced_on = day.unwrap_or(t.date);
    scratch.exact.clear();
    for (offset, p) in journal.postings(t).iter().enumerate() {
        if p.kind != PostingKind::Real {
            continue;
        }
        let value = if p.commodity == base {
            p.quantity
        } else {
            // As `Valuer::value`, the price looked up once a day.
            let price = scratch.prices.price_on(valuer, p.commodity, priced_on);
            price
                .and_then(|price| money::checked_mul_exact(p.quantity, price).ok())
                .ok_or_else(|| {
                    // With a price, the only failure is a value
                    // `Decimal` cannot hold exactly: a fact about the
                    // data, said where.
                    if let Some(price) = price {
                        return ReportError::Unvaluable(format!(
                            "cannot value {} on {priced_on} ({}:{}) at {price} {base}: its value in {base} cannot be held exactly (at most 28 significant digits and 28 decimal places)",
                            journal.format_amount(p.quantity, p.commodity),
                            journal.files()[t.file as usize].display(),
                            p.line,
                            base = valuer.base_name(),
                        ));
                    }
                    ReportError::NoPrice(format!(
                        "cannot value {} {} on {} ({}:{}): add a `P` price for {} in {}",
                        p.quantity,
                        journal.commodity_name(p.commodity),
                        priced_on,
                        journal.files()[t.file as usize].display(),
                        p.line,
                        journal.commodity_name(p.commodity),
                        valuer.base_name()
                    ))
                })?
        };
        scratch.exact.push((p.fund, offset, value));
    }
    let Scratch { exact, rounded, .. } = scratch;
    // Amounts in the base currency need no rounding.
    if exact.iter().all(|(_, _, v)| v.scale() <= precision) {
        for &(_, offset, value) in exact.iter() {
            values[offset] = value;
        }
        return Ok(());
    }
    // Each fund's values balance on their own (the journal's
    // invariant, per fund and commodity, at one price per commodity
    // and day), so each fund is rounded on its own: its rounded
    // values then sum to zero too.
    exact.sort_by_key(|&(fund, offset, _)| (fund, offset));
    for fund_values in exact.chunk_by(|a, b| a.0 == b.0) {
        largest_remainder(fund_values, precision, rounded)?;
        for &(offset, value, _) in rounded.iter() {
            values[offset] = value;
        }
    }
    Ok(())
}

/// The real postings of one transaction, each with its value
/// ([`Valued::fold_before`]).
#[derive(Clone)]
pub(crate) struct RealPostings<'a> {
    postings: std::slice::Iter<'a, Posting>,
    /// The index of the next posting of `postings`.
    next_index: usize,
    valued: &'a Valued<'a>,
}

impl<'a> Iterator for RealPostings<'a> {
    type Item = (&'a Posting, Decimal);

    fn next(&mut self) -> Option<(&'a Posting, Decimal)> {
        loop {
            let posting = self.postings.next()?;
            let index = self.next_index;
            self.next_index += 1;
            if posting.kind == PostingKind::Real {
                return Some((posting, self.valued.real_value(index, posting)));
            }
        }
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
                if posting.origin == crate::model::journal::Origin::Conversion {
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

/// Rounds one fund's values in one transaction, which sum to zero, so that
/// they still sum to zero (the largest-remainder method): each to the
/// nearest unit (half to even), then the units the rounding gained or lost
/// are taken back from, or given to, the values whose rounding moved them
/// furthest, one unit each (of two equally far, the earlier posting).
///
/// `exact` is (fund, posting index, exact value); the answer, in `rounded`,
/// is (posting index, rounded value, exact − rounded before the units were
/// given or taken).
///
/// # Errors
/// [`ReportError::Overflow`] on overflow; [`ReportError::DoesNotTie`] when the
/// exact values do not sum to a whole number of units (a fundledger bug: the
/// journal's invariants make each fund's values sum to zero).
fn largest_remainder(
    exact: &[(FundId, usize, Decimal)],
    precision: u32,
    rounded: &mut Vec<(usize, Decimal, Decimal)>,
) -> Result<(), ReportError> {
    rounded.clear();
    for &(_, index, value) in exact {
        let near = money::round(value, precision, RoundingStrategy::MidpointNearestEven);
        rounded.push((index, near, money::checked_sub(value, near)?));
    }
    let unit = Decimal::new(1, precision);
    let exact_sum = money::checked_sum(exact.iter().map(|&(_, _, v)| v))?;
    let rounded_sum = money::checked_sum(rounded.iter().map(|&(_, r, _)| r))?;
    let mut residual = money::checked_sub(exact_sum, rounded_sum)?;
    if residual.is_zero() {
        // Nothing left over (the common case): no unit to give or take.
        return Ok(());
    }
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
            money::negate(unit)
        };
        rounded[k].1 = money::checked_add(rounded[k].1, step)?;
        residual = money::checked_sub(residual, step)?;
    }
    if !residual.is_zero() {
        return Err(ReportError::DoesNotTie(format!(
            "rounding a transaction's values to the base currency left {residual}"
        )));
    }
    Ok(())
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

    /// (fund 0, index, value) for each value, as [`Valued::new`] passes them.
    fn one_fund(values: &[&str]) -> Vec<(FundId, usize, Decimal)> {
        values
            .iter()
            .enumerate()
            .map(|(k, v)| (FundId(0), k, d(v)))
            .collect()
    }

    /// [`largest_remainder`]'s answer: (index, rounded value).
    fn rounded_values(exact: &[(FundId, usize, Decimal)]) -> Vec<(usize, Decimal)> {
        let mut rounded = Vec::new();
        largest_remainder(exact, 0, &mut rounded).unwrap();
        rounded.into_iter().map(|(i, r, _)| (i, r)).collect()
    }

    #[test]
    fn largest_remainder_keeps_the_sum_at_zero() {
        let exact = one_fund(&["100.4", "100.4", "-200.8"]);
        let rounded = rounded_values(&exact);
        let sum: Decimal = rounded.iter().map(|(_, v)| *v).sum();
        assert_eq!(sum, Decimal::ZERO);
        // 100.4 and 100.4 round down, -200.8 to -201: one unit short, given
        // to the value rounded down the most.
        assert_eq!(
            rounded.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            vec![d("101"), d("100"), d("-201")]
        );
        let exact = one_fund(&["0.333", "0.333", "0.334", "-1"]);
        let rounded = rounded_values(&exact);
        assert_eq!(
            rounded.iter().map(|(_, v)| *v).sum::<Decimal>(),
            Decimal::ZERO
        );
        assert_eq!(
            rounded.iter().filter(|(_, v)| *v == Decimal::ONE).count(),
            1
        );
    }

    /// Loads `text` with yen as the base currency, the default fund
    /// `General` and the restricted funds `FoodAid` and `Shelters`.
    fn valued_journal(text: &str) -> crate::Loaded {
        valued_journal_in(text, "JPY")
    }

    /// [`valued_journal`] with `base` as the base currency.
    fn valued_journal_in(text: &str, base: &str) -> crate::Loaded {
        use crate::model::settings::{FundSettings, Restriction};
        let path = std::path::Path::new("t.ledger");
        let mut settings = crate::Settings::for_bare_journal(path);
        settings.base_currency = Some(base.into());
        for (fund, restriction) in [
            ("General", Restriction::Unrestricted),
            ("FoodAid", Restriction::Restricted),
            ("Shelters", Restriction::Restricted),
        ] {
            settings.funds.push(FundSettings {
                id: fund.into(),
                name: fund.into(),
                restriction,
                purpose: None,
                default: fund == "General",
                expense_accounts: None,
                name_ja: None,
                purpose_ja: None,
                income_accounts: Vec::new(),
            });
        }
        let loaded = crate::load::load_text(settings, path, text.to_string()).unwrap();
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        loaded
    }

    /// The regression: dollars spread over funds at 110 yen to the dollar,
    /// where 5 cents is 5.5 yen. Rounded as one transaction, the yen
    /// balanced overall but not per fund, which left a fund's net assets
    /// from its movements a yen off its assets less liabilities, and the
    /// statement engine refused every statement. Rounded per transaction
    /// and fund, every fund balances to the yen: a gift received in
    /// General's bank for Shelters (with interfund legs), and spending in
    /// two funds whose roundings cancel out over the transaction.
    #[test]
    fn a_foreign_transaction_spread_over_funds_balances_in_every_fund() {
        let text = "P 2000-05-10 USD 110 JPY\n\n\
            2000-05-01 * Yen gift\n    \
            Assets:Bank  100 JPY  ; fund: FoodAid\n    \
            Income:Gifts  -100 JPY  ; fund: FoodAid\n\n\
            2000-05-10 * Dollar gift for Shelters, received by General\n    \
            Assets:Bank  0.45 USD  ; fund: General\n    \
            Income:Gifts  -0.30 USD  ; fund: Shelters\n    \
            Income:Gifts:Matched  -0.15 USD  ; fund: Shelters\n\n\
            2000-05-11 * Dollars spent for two funds\n    \
            Expenses:Food  0.05 USD  ; fund: FoodAid\n    \
            Expenses:Food  0.05 USD  ; fund: FoodAid\n    \
            Assets:Bank  -0.10 USD  ; fund: FoodAid\n    \
            Expenses:Food  0.15 USD  ; fund: Shelters\n    \
            Expenses:Food  0.15 USD  ; fund: Shelters\n    \
            Assets:Bank  -0.30 USD  ; fund: Shelters\n";
        let loaded = valued_journal(text);
        let valued = Valued::new(&loaded.journal).unwrap();
        let journal = valued.journal;
        let transactions = journal.transactions();
        assert_eq!(transactions.len(), 3);
        // Every transaction, in every fund, sums to zero after rounding.
        for t in transactions {
            let mut per_fund = std::collections::BTreeMap::new();
            for i in t.posting_range() {
                let fund = journal.fund_name(journal.all_postings()[i].fund);
                *per_fund.entry(fund).or_insert(Decimal::ZERO) += valued.value(i);
            }
            assert!(
                per_fund.values().all(|v| v.is_zero()),
                "transaction at line {}: {per_fund:?}",
                t.line
            );
        }
        let values_of = |k: usize| -> Vec<Decimal> {
            transactions[k]
                .posting_range()
                .map(|i| valued.value(i))
                .collect()
        };
        // The gift: 49.5 in General's bank; −33 and −16.5 in Shelters; the
        // interfund legs −49.5 (General) and 49.5 (Shelters). To the nearest
        // yen (half to even) that is 50, −33, −16, −50, 50: a yen over,
        // which rounding the whole transaction took from General's bank
        // (General −1, Shelters +1). Per fund, General's values already sum
        // to zero and Shelters' yen is taken from its own −16.5.
        assert_eq!(values_of(1), ["50", "-33", "-17", "-50", "50"].map(d));
        // The spending: FoodAid's 5.5 + 5.5 − 11 rounds to 6 + 6 − 11 (a
        // yen over) and Shelters' 16.5 + 16.5 − 33 to 16 + 16 − 33 (a yen
        // under). Over the whole transaction that is zero, so rounding it as
        // one left both funds a yen off; per fund, each is put right on its
        // own value rounded furthest (the earlier on a tie).
        assert_eq!(values_of(2), ["5", "6", "-11", "17", "16", "-33"].map(d));
        // So the statement engine's two computations of each fund's net
        // assets agree.
        let begin = NaiveDate::from_ymd_opt(2000, 4, 1).unwrap();
        let year_end = NaiveDate::from_ymd_opt(2001, 4, 1).unwrap();
        assert!(super::super::engine::Classified::new(&valued, begin, year_end).is_ok());
    }

    /// A journal of `n` transactions over several chunks of the parallel
    /// passes: dollar spending spread over funds (rounded per fund), yen
    /// gifts, and loans from seven lenders, each first met further into the
    /// journal, dated over two years.
    fn many_transactions(n: usize) -> String {
        let mut text = String::from("P 2000-04-01 USD 110.37 JPY\nP 2000-10-01 USD 109.91 JPY\n\n");
        for k in 0..n {
            let day = chrono::NaiveDate::from_ymd_opt(2000, 4, 1).unwrap()
                + chrono::Days::new((k * 730 / n) as u64);
            let (fund, other) = match k % 3 {
                0 => ("General", "FoodAid"),
                1 => ("FoodAid", "Shelters"),
                _ => ("Shelters", "General"),
            };
            let cents = 5 + (k % 97);
            text.push_str(&match k % 4 {
                0 => format!(
                    "{day} * Spending {k}\n    Expenses:Food  0.{cents:02} USD  ; fund: {fund}\n    Expenses:Food  0.{cents:02} USD  ; fund: {other}\n    Assets:Bank  -0.{cents:02} USD  ; fund: {fund}\n    Assets:Bank  -0.{cents:02} USD  ; fund: {other}\n\n"
                ),
                1 => format!(
                    "{day} * Gift {k}\n    Assets:Bank  {} JPY  ; fund: {fund}\n    Income:Gifts  -{} JPY  ; fund: {fund}\n\n",
                    1000 + k,
                    1000 + k
                ),
                2 => format!(
                    "{day} * Loan {k}\n    Assets:Bank  {} JPY  ; fund: General\n    Liabilities:MemberLoans:L{}  -{} JPY  ; fund: General\n\n",
                    500 + k,
                    k * 7 / n,
                    500 + k
                ),
                _ => format!(
                    "{day} * Dollar gift {k}\n    Assets:Bank  1.{cents:02} USD  ; fund: {fund}\n    Income:Gifts  -1.{cents:02} USD  ; fund: {other}\n\n"
                ),
            });
        }
        text
    }

    /// A pass reads only the transactions before its end when the journal
    /// is in date order, and all of them when it is not: either way it
    /// meets every transaction dated before its end, and the statements
    /// come out the same.
    #[test]
    fn passes_meet_every_transaction_before_their_end_in_any_order() {
        let n = 2 * FOLD_CHUNK + 777;
        let in_order = many_transactions(n);
        // The same transactions, the second half of the year first.
        let blocks: Vec<&str> = in_order.split("\n\n").filter(|b| !b.is_empty()).collect();
        let (prices, blocks) = blocks.split_at(1);
        let (first, second) = blocks.split_at(blocks.len() / 2);
        let shuffled = prices
            .iter()
            .chain(second)
            .chain(first)
            .map(|b| format!("{b}\n\n"))
            .collect::<String>();
        let until = chrono::NaiveDate::from_ymd_opt(2001, 9, 1).unwrap();
        let begin = chrono::NaiveDate::from_ymd_opt(2001, 4, 1).unwrap();
        let mut figures = Vec::new();
        for (text, sorted) in [(in_order, true), (shuffled, false)] {
            let loaded = valued_journal(&text);
            let valued = Valued::new(&loaded.journal).unwrap();
            assert_eq!(valued.dated_in_order, sorted);
            let dated = |t: &&Transaction| t.date < until;
            let before = loaded.journal.transactions().iter().filter(dated).count();
            let met: usize = valued
                .fold_before(
                    until,
                    || 0,
                    |met, _, _| {
                        *met += 1;
                        Ok(())
                    },
                    |a, b| Ok(a + b),
                )
                .unwrap();
            assert_eq!(met, before, "in date order: {sorted}");
            let within = |t: &&Transaction| t.date >= begin && t.date < until;
            assert_eq!(
                valued
                    .transactions_within(begin, until)
                    .iter()
                    .filter(within)
                    .count(),
                loaded.journal.transactions().iter().filter(within).count()
            );
            if sorted {
                assert!(valued
                    .transactions_before(until)
                    .iter()
                    .all(|t| t.date < until));
            }
            let c = super::super::engine::Classified::new(&valued, begin, until).unwrap();
            figures.push(format!("{:?} {:?}", c.funds, c.balances));
        }
        assert_eq!(figures[0], figures[1]);
    }

    /// Periods summed from the parts of one pass over the journal cut at
    /// announced boundaries classify exactly as a pass of their own does:
    /// each year of a journal, with the years around it, in any order asked.
    #[test]
    fn planned_periods_classify_as_their_own_passes() {
        let n = 2 * VALUE_CHUNK + 1234;
        let loaded = valued_journal(&many_transactions(n));
        let journal = &loaded.journal;
        let day = |y, m| chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        let boundaries = [day(1999, 4), day(2000, 4), day(2001, 4), day(2002, 4)];
        let planned = Valued::new(journal).unwrap();
        planned.plan_periods(&boundaries);
        let unplanned = Valued::new(journal).unwrap();
        let figures = |c: &super::super::engine::Classified<'_, '_>| {
            format!(
                "{:?} {:?} {:?} {:?} {}",
                c.funds,
                c.balances,
                c.movements().collect::<Vec<_>>(),
                c.foreign,
                c.has_transactions
            )
        };
        for (begin, end) in [(1, 2), (2, 3), (0, 1), (0, 3), (3, 3)] {
            let (begin, end) = (boundaries[begin], boundaries[end]);
            let from_parts = super::super::engine::Classified::new(&planned, begin, end).unwrap();
            let own_pass = super::super::engine::Classified::new(&unplanned, begin, end).unwrap();
            assert_eq!(figures(&from_parts), figures(&own_pass), "{begin} to {end}");
        }
        // A base currency with decimals, amounts written with and without
        // them: a sum's decimals depend on how its terms are grouped, and
        // the sums come out with the currency's decimals either way.
        let text = "1997-06-01 * a\n    Assets:Bank  5.00 USD\n    Income:Donations  -5.00 USD\n\n\
                    1998-06-01 * b\n    Assets:Bank  -5 USD\n    Income:Donations  5 USD\n\n\
                    1998-07-01 * c\n    Assets:Bank  3 USD\n    Income:Donations  -3 USD\n\n\
                    2000-06-01 * d\n    Assets:Bank  1 USD\n    Income:Grants  -1 USD\n";
        let usd = valued_journal_in(text, "USD");
        let usd_planned = Valued::new(&usd.journal).unwrap();
        let usd_boundaries = [day(1998, 4), day(1999, 4), day(2000, 4), day(2001, 4)];
        usd_planned.plan_periods(&usd_boundaries);
        let usd_unplanned = Valued::new(&usd.journal).unwrap();
        let (begin, end) = (day(2000, 4), day(2001, 4));
        let from_parts = super::super::engine::Classified::new(&usd_planned, begin, end).unwrap();
        let own_pass = super::super::engine::Classified::new(&usd_unplanned, begin, end).unwrap();
        assert_eq!(figures(&from_parts), figures(&own_pass));
        let general = from_parts.funds.values().next().unwrap();
        assert_eq!(general.opening.to_string(), "3.00");
        assert_eq!(general.closing().unwrap().to_string(), "4.00");
        // One pass made the parts, kept for every period after the first.
        let kept = planned.memo.kept.lock().unwrap();
        assert_eq!(
            kept.iter()
                .filter(|(what, _)| *what == "period parts")
                .count(),
            1
        );
        drop(kept);
        assert!(unplanned.memo.kept.lock().unwrap().is_empty());
    }

    /// The parallel passes give what one pass in journal order gives: the
    /// values (each transaction valued and rounded on its own), exact sums,
    /// and a merge that keeps the order things were met in.
    #[test]
    fn parallel_chunks_give_what_one_pass_gives() {
        let n = 2 * VALUE_CHUNK + 1234;
        let loaded = valued_journal(&many_transactions(n));
        let journal = &loaded.journal;
        assert_eq!(journal.transactions().len(), n);
        let valued = Valued::new(journal).unwrap();
        // The values, one transaction after another on this thread.
        let valuer = Valuer::new(journal).unwrap();
        let precision = journal.precision(valuer.base()).unwrap();
        let mut one_pass = vec![Decimal::ZERO; journal.all_postings().len()];
        let mut exact = Scratch::default();
        for t in journal.transactions() {
            let range = t.posting_range();
            value_transaction(
                journal,
                &valuer,
                t,
                None,
                precision,
                &mut exact,
                &mut one_pass[range],
            )
            .unwrap();
        }
        let values: Vec<Decimal> = (0..one_pass.len()).map(|i| valued.value(i)).collect();
        assert_eq!(values, one_pass);
        assert!(values.iter().any(|v| !v.is_zero()));
        // Transactions in the base currency alone are not valued: their
        // postings are worth their quantities.
        assert!(valued.revalued.len() < one_pass.len());
        assert!(!valued.revalued.is_empty());
        // A fold: per fund, the sum of the values; and the accounts in the
        // order first met.
        let until = chrono::NaiveDate::from_ymd_opt(2001, 9, 1).unwrap();
        type Folded = (
            std::collections::BTreeMap<FundId, Decimal>,
            Vec<crate::model::journal::AccountId>,
        );
        let (sums, met): Folded = valued
            .fold_before(
                until,
                Default::default,
                |(sums, met): &mut Folded, _, real| {
                    for (p, value) in real {
                        *sums.entry(p.fund).or_default() += value.abs();
                        if !met.contains(&p.account) {
                            met.push(p.account);
                        }
                    }
                    Ok(())
                },
                |(mut sums, mut met), (later_sums, later_met)| {
                    for (fund, value) in later_sums {
                        *sums.entry(fund).or_default() += value;
                    }
                    for account in later_met {
                        if !met.contains(&account) {
                            met.push(account);
                        }
                    }
                    Ok((sums, met))
                },
            )
            .unwrap();
        let (mut expected_sums, mut expected_met): Folded = Default::default();
        for (t, p, value) in valued.real_postings(None, until) {
            assert!(t.date < until);
            *expected_sums.entry(p.fund).or_default() += value.abs();
            if !expected_met.contains(&p.account) {
                expected_met.push(p.account);
            }
        }
        assert_eq!(sums, expected_sums);
        assert_eq!(met, expected_met);
        // The engine's sums in chunks: each fund's net assets agree both ways
        // (or `new` would refuse them), and equal the flows summed here.
        let begin = chrono::NaiveDate::from_ymd_opt(2001, 4, 1).unwrap();
        let classified = super::super::engine::Classified::new(&valued, begin, until).unwrap();
        for (fund, figures) in &classified.funds {
            let mut opening = Decimal::ZERO;
            let mut income = Decimal::ZERO;
            let mut expenses = Decimal::ZERO;
            for (t, p, value) in valued.real_postings(None, until) {
                if p.fund != *fund {
                    continue;
                }
                match journal.account_class(p.account) {
                    Some(crate::model::settings::AccountClass::Income) if t.date >= begin => {
                        income -= value
                    }
                    Some(crate::model::settings::AccountClass::Expenses) if t.date >= begin => {
                        expenses += value
                    }
                    Some(class) if class.changes_net_assets() => opening -= value,
                    _ => {}
                }
            }
            assert_eq!(
                (figures.opening, figures.income, figures.expenses),
                (opening, income, expenses),
                "fund {}",
                journal.fund_name(*fund)
            );
        }
    }
}
