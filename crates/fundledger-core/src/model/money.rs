//! Exact money arithmetic.
//!
//! Every quantity is a [`Decimal`]; nothing here ever uses a float. All
//! arithmetic on money goes through the `checked_*` functions of this module,
//! which turn an overflow into [`Overflow`] instead of a panic. No function here
//! rounds: where a report must round, it calls [`round`] and names its
//! [`RoundingStrategy`].

use std::fmt;

pub use rust_decimal::prelude::RoundingStrategy;
pub use rust_decimal::Decimal;

/// The result of a money operation that overflowed `Decimal`'s 96-bit
/// mantissa (about 7.9 × 10^28).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow;

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("amount overflows the 28-digit decimal range")
    }
}

impl std::error::Error for Overflow {}

/// `a + b`, exact, or [`Overflow`].
///
/// `Decimal::checked_add` does not fail when the exact sum needs more than
/// the 96-bit mantissa but fewer integer digits: it drops fractional digits
/// and rounds. Such a sum is refused here unless the dropped digits were all
/// zeros (`0.00 + 5E28` is exactly `5E28`).
pub fn checked_add(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    // The common case, as `Decimal` adds it but without its general
    // machinery: one scale, and a sum within the 96-bit mantissa (always
    // exact) that is not zero (whose sign `Decimal` decides).
    let scale = a.scale();
    if scale == b.scale() {
        let sum = a.mantissa() + b.mantissa();
        if sum != 0 && sum.unsigned_abs() < 1 << 96 {
            if let Ok(sum) = Decimal::try_from_i128_with_scale(sum, scale) {
                return Ok(sum);
            }
        }
    }
    exact_sum(a, b, a.checked_add(b))
}

/// `a - b`, exact, or [`Overflow`]; see [`checked_add`].
pub fn checked_sub(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    exact_sum(a, b, a.checked_sub(b))
}

/// The exact sum of `values`, or [`Overflow`] (never a panic, unlike
/// `Iterator::sum` on `Decimal`).
pub fn checked_sum(values: impl IntoIterator<Item = Decimal>) -> Result<Decimal, Overflow> {
    values.into_iter().try_fold(Decimal::ZERO, checked_add)
}

/// Accepts the result of adding or subtracting `a` and `b` only if
/// `Decimal` did not round it.
fn exact_sum(a: Decimal, b: Decimal, result: Option<Decimal>) -> Result<Decimal, Overflow> {
    let result = result.ok_or(Overflow)?;
    let scale = result.scale();
    // The common case: the sum kept the larger scale, nothing was dropped.
    // Otherwise it is exact only if neither operand had a non-zero digit
    // beyond the scale kept.
    if scale >= a.scale().max(b.scale())
        || (a.normalize().scale() <= scale && b.normalize().scale() <= scale)
    {
        Ok(result)
    } else {
        Err(Overflow)
    }
}

/// `a × b`, exact, or [`Overflow`].
///
/// `Decimal` multiplication silently rounds a product that needs more than 28
/// fractional digits; this function refuses such a product (as an overflow)
/// rather than hand back a rounded amount.
pub fn checked_mul_exact(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    let product = a.checked_mul(b).ok_or(Overflow)?;
    // The exact product has scale a.scale() + b.scale(); if that exceeds the
    // 28 digits Decimal keeps, the product above was rounded.
    if a.scale() + b.scale() > 28 && !a.is_zero() && !b.is_zero() {
        return Err(Overflow);
    }
    Ok(product)
}

/// `a ÷ b` for a ratio (a percentage, an average, a cost per unit), not an
/// amount of money: `Decimal` keeps 28 significant digits of the quotient
/// and the caller rounds it with [`round`]. Division by zero or a quotient
/// out of range is [`Overflow`].
pub fn checked_ratio(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    a.checked_div(b).ok_or(Overflow)
}

/// `a × 100 ÷ b`: a percentage, as [`checked_ratio`].
pub fn checked_percent(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    checked_ratio(checked_mul_exact(a, Decimal::ONE_HUNDRED)?, b)
}

/// `-a`. Negation of a `Decimal` cannot overflow (the range is symmetric).
pub fn negate(a: Decimal) -> Decimal {
    -a
}

/// Rounds `a` to `decimal_places` with the named strategy. The only rounding
/// entry point of the crate, so that every rounding site names its strategy.
pub fn round(a: Decimal, decimal_places: u32, strategy: RoundingStrategy) -> Decimal {
    a.round_dp_with_strategy(decimal_places, strategy)
}

/// The number of significant fractional digits of `a` (trailing zeros do not
/// count: `1000.00` has 0, `12.50` has 1).
pub fn significant_decimals(a: Decimal) -> u32 {
    a.normalize().scale()
}

/// Formats `a` as a plain decimal: no thousands separators, `-` for negatives,
/// and at least `min_decimals` fractional digits (never fewer than `a` has).
pub fn format_plain(a: Decimal, min_decimals: u32) -> String {
    let a = a.normalize();
    let text = if a.scale() < min_decimals {
        let mut padded = a;
        padded.rescale(min_decimals);
        padded.to_string()
    } else {
        a.to_string()
    };
    // `Decimal` prints negative zero as "-0"; money has no negative zero.
    if a.is_zero() {
        return text.trim_start_matches('-').to_string();
    }
    text
}

/// Splits `total` in proportion to `weights`, at `decimals` places, so that
/// the parts add up to exactly `total` (the largest-remainder method): each
/// part is rounded toward zero, then the units left over go, one each, to
/// the parts that rounding cut the most.
///
/// # Errors
/// [`Overflow`] when a product does not fit, or the weights add up to zero.
pub fn allocate(
    total: Decimal,
    weights: &[Decimal],
    decimals: u32,
) -> Result<Vec<Decimal>, Overflow> {
    let weight_sum = weights
        .iter()
        .try_fold(Decimal::ZERO, |a, w| checked_add(a, *w))?;
    if weight_sum.is_zero() {
        return Err(Overflow);
    }
    let mut parts = Vec::with_capacity(weights.len());
    for w in weights {
        let exact = total
            .checked_mul(*w)
            .and_then(|p| p.checked_div(weight_sum))
            .ok_or(Overflow)?;
        let part = round(exact, decimals, RoundingStrategy::ToZero);
        parts.push((part, checked_sub(exact, part)?));
    }
    let unit = Decimal::new(1, decimals);
    let mut left = checked_sub(
        total,
        parts
            .iter()
            .try_fold(Decimal::ZERO, |a, (p, _)| checked_add(a, *p))?,
    )?;
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| parts[b].1.abs().cmp(&parts[a].1.abs()).then(a.cmp(&b)));
    for &k in order.iter().cycle().take(parts.len() * 2) {
        if left.abs() < unit {
            break;
        }
        let step = if left.is_sign_positive() { unit } else { -unit };
        parts[k].0 = checked_add(parts[k].0, step)?;
        left = checked_sub(left, step)?;
    }
    Ok(parts.into_iter().map(|(p, _)| p).collect())
}

/// Sum of amounts in several commodities, kept sorted by commodity key.
///
/// `K` is whatever identifies a commodity to the caller (an interned id or a
/// name). Zero entries are kept until [`MultiAmount::trimmed`] drops them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultiAmount<K: Ord + Copy> {
    entries: Vec<(K, Decimal)>,
}

impl<K: Ord + Copy> Default for MultiAmount<K> {
    fn default() -> Self {
        MultiAmount::new()
    }
}

impl<K: Ord + Copy> MultiAmount<K> {
    /// An empty sum.
    pub fn new() -> Self {
        MultiAmount {
            entries: Vec::new(),
        }
    }

    /// Empties the sum, keeping its allocation for the next.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Adds `quantity` of `commodity`, or fails on overflow (leaving the sum
    /// unchanged).
    pub fn add(&mut self, commodity: K, quantity: Decimal) -> Result<(), Overflow> {
        match self.entries.binary_search_by(|(k, _)| k.cmp(&commodity)) {
            Ok(index) => {
                let entry = &mut self.entries[index].1;
                *entry = checked_add(*entry, quantity)?;
            }
            Err(index) => self.entries.insert(index, (commodity, quantity)),
        }
        Ok(())
    }

    /// Adds every entry of `other` (or fails on overflow, leaving the sum
    /// unchanged). A few entries are inserted; more are merged in one pass,
    /// so adding sums of many commodities stays linear.
    pub fn add_all(&mut self, other: &MultiAmount<K>) -> Result<(), Overflow> {
        if other.entries.len().saturating_mul(16) < self.entries.len() {
            let before = self.entries.clone();
            for &(k, q) in &other.entries {
                if let Err(overflow) = self.add(k, q) {
                    self.entries = before;
                    return Err(overflow);
                }
            }
            return Ok(());
        }
        let mut merged = Vec::with_capacity(self.entries.len() + other.entries.len());
        let (mut mine, mut theirs) = (
            self.entries.iter().peekable(),
            other.entries.iter().peekable(),
        );
        loop {
            let next = match (mine.peek(), theirs.peek()) {
                (Some(&&(a, qa)), Some(&&(b, qb))) => match a.cmp(&b) {
                    std::cmp::Ordering::Less => {
                        mine.next();
                        (a, qa)
                    }
                    std::cmp::Ordering::Greater => {
                        theirs.next();
                        (b, qb)
                    }
                    std::cmp::Ordering::Equal => {
                        mine.next();
                        theirs.next();
                        (a, checked_add(qa, qb)?)
                    }
                },
                (Some(&&entry), None) => {
                    mine.next();
                    entry
                }
                (None, Some(&&entry)) => {
                    theirs.next();
                    entry
                }
                (None, None) => break,
            };
            merged.push(next);
        }
        self.entries = merged;
        Ok(())
    }

    /// The quantity held of `commodity` (zero when absent).
    pub fn get(&self, commodity: K) -> Decimal {
        match self.entries.binary_search_by(|(k, _)| k.cmp(&commodity)) {
            Ok(index) => self.entries[index].1,
            Err(_) => Decimal::ZERO,
        }
    }

    /// True when every entry is zero.
    pub fn is_zero(&self) -> bool {
        self.entries.iter().all(|(_, q)| q.is_zero())
    }

    /// The entries, sorted by commodity, zeros included.
    pub fn entries(&self) -> &[(K, Decimal)] {
        &self.entries
    }

    /// The non-zero entries, sorted by commodity.
    pub fn trimmed(&self) -> impl Iterator<Item = (K, Decimal)> + '_ {
        self.entries
            .iter()
            .filter(|(_, q)| !q.is_zero())
            .map(|&(k, q)| (k, q))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The fast case of `checked_add` gives what `Decimal` gives, sign
        /// of zero and scale included.
        #[test]
        fn checked_add_is_decimal_addition(
            x in any::<i64>(), y in any::<i64>(), big in any::<bool>(),
            scale in 0u32..29, other_scale in 0u32..29, same in any::<bool>(), negative_zero in any::<bool>(),
        ) {
            let widen = |m: i64| if big { i128::from(m) << 30 } else { i128::from(m) };
            let a = Decimal::from_i128_with_scale(widen(x), scale);
            let mut b = Decimal::from_i128_with_scale(widen(y), if same { scale } else { other_scale });
            if negative_zero {
                b = -Decimal::from_i128_with_scale(0, scale);
            }
            let expected = exact_sum(a, b, a.checked_add(b));
            let got = checked_add(a, b);
            prop_assert_eq!(got.map(|d| (d, d.scale(), d.is_sign_negative())), expected.map(|d| (d, d.scale(), d.is_sign_negative())));
        }
    }

    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        assert_eq!(checked_add(Decimal::MAX, Decimal::ONE), Err(Overflow));
        assert_eq!(checked_sub(Decimal::MIN, Decimal::ONE), Err(Overflow));
        assert_eq!(checked_mul_exact(Decimal::MAX, d("2")), Err(Overflow));
        assert_eq!(checked_add(d("1.5"), d("2.25")), Ok(d("3.75")));
        assert_eq!(checked_sub(d("1.50"), d("1.50")), Ok(d("0.00")));
    }

    #[test]
    fn addition_refuses_to_round() {
        // Both fit in 29 digits; their exact sum needs 30, which Decimal
        // would silently round to 24 fractional digits.
        let wide = d("79227.162514264337593543950335");
        assert_eq!(checked_add(wide, d("2")), Err(Overflow));
        assert_eq!(checked_sub(d("-2"), wide), Err(Overflow));
        assert_eq!(
            checked_add(wide, d("-2")),
            Ok(d("79225.162514264337593543950335"))
        );
        // Dropping trailing zeros is exact, and allowed.
        let big = d("50000000000000000000000000000");
        assert_eq!(checked_add(d("0.00"), big), Ok(big));
        assert_eq!(checked_add(d("1.50"), big), Err(Overflow));
    }

    #[test]
    fn multiplication_refuses_to_round() {
        let tiny = d("0.00000000000001"); // 14 decimals
        assert_eq!(
            checked_mul_exact(tiny, tiny),
            Ok(d("0.0000000000000000000000000001"))
        );
        let tinier = d("0.000000000000001"); // 15 decimals
        assert_eq!(checked_mul_exact(tinier, tiny), Err(Overflow));
        assert_eq!(
            checked_mul_exact(d("1000.50"), d("15.55")),
            Ok(d("15557.775"))
        );
    }

    #[test]
    fn rounding_names_its_strategy() {
        assert_eq!(
            round(d("2.5"), 0, RoundingStrategy::MidpointNearestEven),
            d("2")
        );
        assert_eq!(
            round(d("2.5"), 0, RoundingStrategy::MidpointAwayFromZero),
            d("3")
        );
    }

    #[test]
    fn allocation_adds_up_exactly() {
        let parts = allocate(d("10000"), &[d("1"), d("1"), d("1")], 0).unwrap();
        assert_eq!(parts, vec![d("3334"), d("3333"), d("3333")]);
        let parts = allocate(d("-1001"), &[d("40"), d("30"), d("30")], 0).unwrap();
        assert_eq!(parts.iter().copied().sum::<Decimal>(), d("-1001"));
        let parts = allocate(d("99.99"), &[d("50"), d("50")], 2).unwrap();
        assert_eq!(parts.iter().copied().sum::<Decimal>(), d("99.99"));
        assert!(allocate(d("1"), &[Decimal::ZERO], 0).is_err());
    }

    #[test]
    fn plain_format_never_groups_digits() {
        assert_eq!(format_plain(d("1234567"), 0), "1234567");
        assert_eq!(format_plain(d("-12.5"), 2), "-12.50");
        assert_eq!(format_plain(d("1000.00"), 0), "1000");
        assert_eq!(format_plain(d("-0.00"), 0), "0");
        assert_eq!(significant_decimals(d("1000.00")), 0);
        assert_eq!(significant_decimals(d("12.50")), 1);
    }

    #[test]
    fn multi_amount_keeps_commodities_apart() {
        let mut sum = MultiAmount::new();
        sum.add(2u32, d("5")).unwrap();
        sum.add(1u32, d("-3")).unwrap();
        sum.add(2u32, d("-5")).unwrap();
        assert_eq!(sum.get(1), d("-3"));
        assert_eq!(sum.get(2), Decimal::ZERO);
        assert_eq!(sum.trimmed().collect::<Vec<_>>(), vec![(1, d("-3"))]);
        assert!(!sum.is_zero());
        let mut big = MultiAmount::new();
        big.add(1u32, Decimal::MAX).unwrap();
        assert_eq!(big.add(1u32, Decimal::MAX), Err(Overflow));
        assert_eq!(
            big.get(1),
            Decimal::MAX,
            "a failed add leaves the sum unchanged"
        );
    }

    /// Issue 11, item 13: summing ten sums of 50,000 interleaved commodities
    /// each is linear (it took minutes when every entry was inserted).
    #[test]
    fn adding_sums_of_many_commodities_is_linear() {
        let started = std::time::Instant::now();
        let mut total: MultiAmount<u32> = MultiAmount::new();
        for account in 0..10u32 {
            let mut sum = MultiAmount::new();
            for i in 0..50_000u32 {
                sum.add(i * 10 + account, Decimal::ONE).unwrap();
            }
            total.add_all(&sum).unwrap();
        }
        assert_eq!(total.entries().len(), 500_000);
        assert!(total.entries().windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        let mut again = total.clone();
        again.add_all(&total).unwrap();
        assert_eq!(again.get(12_345), Decimal::TWO);
        // A failed add_all leaves the sum unchanged, by insertion (few
        // entries) or by merge (many).
        let mut big = total.clone();
        big.add(7, Decimal::MAX - Decimal::ONE).unwrap();
        let mut overflowing = MultiAmount::new();
        overflowing.add(7, Decimal::MAX).unwrap();
        assert_eq!(big.add_all(&overflowing), Err(Overflow));
        assert_eq!(big.get(7), Decimal::MAX);
        assert_eq!(big.add_all(&big.clone()), Err(Overflow));
        assert_eq!(big.get(7), Decimal::MAX);
        assert_eq!(big.get(8), Decimal::ONE);
    }
}
