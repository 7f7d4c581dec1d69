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
/// fractional digits, or more than 96 bits of digits at its scale (it then
/// drops fractional digits until the product fits); this function refuses
/// such a product (as an overflow) rather than hand back a rounded amount.
pub fn checked_mul_exact(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    let product = a.checked_mul(b).ok_or(Overflow)?;
    if a.is_zero() || b.is_zero() {
        return Ok(product);
    }
    // The exact product has as many fractional digits as `a` and `b`
    // together, trailing zeros left out; a product kept at fewer was
    // rounded.
    if a.normalize().scale() + b.normalize().scale() > product.scale() {
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

/// `a` written with at least `decimals` fractional digits (`3` as `3.00`),
/// the same number; never fewer digits than it has, and as it is when its
/// mantissa could not hold that many.
pub fn with_min_decimals(a: Decimal, decimals: u32) -> Decimal {
    if a.scale() >= decimals {
        return a;
    }
    let mut padded = a;
    padded.rescale(decimals);
    if padded == a && padded.scale() == decimals {
        padded
    } else {
        a
    }
}

/// Formats `a` as a plain decimal: no thousands separators, `-` for negatives,
/// and at least `min_decimals` fractional digits (never fewer than `a` has).
pub fn format_plain(a: Decimal, min_decimals: u32) -> String {
    let a = a.normalize();
    let text = with_min_decimals(a, min_decimals).to_string();
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

/// The parts of [`allocate_over_periods`], and how they were rounded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodShares {
    /// Per period (in the order of its total), one part per weight.
    pub parts: Vec<Vec<Decimal>>,
    /// Whether every part is its exact share rounded down or up to a unit;
    /// otherwise the parts are the cumulative method's (see
    /// [`allocate_over_periods`]).
    pub each_within_a_unit: bool,
}

/// Splits each period's total (`totals[p]`) in proportion to the same
/// `weights`, at `decimals` places, so that both margins are exact: the
/// parts of a period add up to its total, and each weight's parts over the
/// periods add up to its part of the sum of the totals by [`allocate`]
/// (what a statement of the whole range prints).
///
/// Each part is its exact share (`totals[p] × weight / Σ weights`)
/// rounded down or up to a unit: every share is rounded down, then the
/// units left over are handed out one per part, as a flow from the periods
/// (each owed what rounding down cut from its total) to the weights (each
/// owed what rounding down cut from its whole-range part), by augmenting
/// paths that try the parts rounding cut the most first. When no such
/// rounding exists (none was found missing in random tests with weights of
/// one sign; with weights of both signs [`allocate`] itself may step
/// outside the unit), the parts are the cumulative method's: the
/// allocation of the totals through period `p` less the allocation through
/// the period before, with both margins still exact (with weights of one
/// sign each part is then within two units of its exact share; with
/// weights of both signs no bound is promised);
/// [`PeriodShares::each_within_a_unit`] says which.
///
/// # Errors
/// [`Overflow`] when a product does not fit, or the weights add up to zero.
pub fn allocate_over_periods(
    totals: &[Decimal],
    weights: &[Decimal],
    decimals: u32,
) -> Result<PeriodShares, Overflow> {
    let targets = allocate(checked_sum(totals.iter().copied())?, weights, decimals)?;
    if let Some(parts) = round_each_share(totals, weights, &targets, decimals)? {
        return Ok(PeriodShares {
            parts,
            each_within_a_unit: true,
        });
    }
    Ok(PeriodShares {
        parts: cumulative_parts(totals, weights, decimals)?,
        each_within_a_unit: false,
    })
}

/// The cumulative method: per period, the allocation ([`allocate`]) of the
/// totals through it less the allocation through the period before. Both
/// margins are exact, but a part can be more than a unit off its exact
/// share, even of the other sign (the largest remainders change places
/// as the total grows).
fn cumulative_parts(
    totals: &[Decimal],
    weights: &[Decimal],
    decimals: u32,
) -> Result<Vec<Vec<Decimal>>, Overflow> {
    let mut parts = Vec::with_capacity(totals.len());
    let mut cumulated = Decimal::ZERO;
    let mut before = vec![Decimal::ZERO; weights.len()];
    for total in totals {
        cumulated = checked_add(cumulated, *total)?;
        let through = allocate(cumulated, weights, decimals)?;
        parts.push(
            through
                .iter()
                .zip(&before)
                .map(|(t, b)| checked_sub(*t, *b))
                .collect::<Result<Vec<_>, _>>()?,
        );
        before = through;
    }
    Ok(parts)
}

/// The parts of [`allocate_over_periods`] with each one its exact share
/// rounded down or up, the parts of each weight adding up to `targets`;
/// `None` when there is no such rounding.
fn round_each_share(
    totals: &[Decimal],
    weights: &[Decimal],
    targets: &[Decimal],
    decimals: u32,
) -> Result<Option<Vec<Vec<Decimal>>>, Overflow> {
    use rust_decimal::prelude::ToPrimitive;
    let weight_sum = checked_sum(weights.iter().copied())?;
    if weight_sum.is_zero() {
        return Err(Overflow);
    }
    let unit = Decimal::new(1, decimals);
    // How many units `left` is, when a whole number of them in 0..=most.
    let units = |left: Decimal, most: usize| -> Option<usize> {
        let n = left.checked_div(unit)?;
        if !n.fract().is_zero() {
            return None;
        }
        n.to_usize().filter(|&n| n <= most)
    };
    let (periods, shares) = (totals.len(), weights.len());
    let mut parts = vec![vec![Decimal::ZERO; shares]; periods];
    // What rounding down cut from each part (zero: nothing to round up).
    let mut cut = vec![vec![Decimal::ZERO; shares]; periods];
    let mut owed_to_weight = targets.to_vec();
    let mut owed_to_period = Vec::with_capacity(periods);
    for (p, total) in totals.iter().enumerate() {
        let mut left = *total;
        for (i, weight) in weights.iter().enumerate() {
            let exact = total
                .checked_mul(*weight)
                .and_then(|x| x.checked_div(weight_sum))
                .ok_or(Overflow)?;
            let down = round(exact, decimals, RoundingStrategy::ToNegativeInfinity);
            cut[p][i] = checked_sub(exact, down)?;
            parts[p][i] = down;
            left = checked_sub(left, down)?;
            owed_to_weight[i] = checked_sub(owed_to_weight[i], down)?;
        }
        let Some(n) = units(left, shares) else {
            return Ok(None);
        };
        owed_to_period.push(n);
    }
    let Some(owed_to_weight) = owed_to_weight
        .iter()
        .map(|&left| units(left, periods))
        .collect::<Option<Vec<usize>>>()
    else {
        return Ok(None);
    };
    let owed: usize = owed_to_period.iter().sum();
    if owed != owed_to_weight.iter().sum::<usize>() {
        return Ok(None);
    }
    // The flow network: source, periods, weights, sink; `capacity[a][b]`
    // is what can still flow from a to b.
    let source = periods + shares;
    let sink = source + 1;
    let nodes = sink + 1;
    let mut capacity = vec![vec![0usize; nodes]; nodes];
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    for p in 0..periods {
        capacity[source][p] = owed_to_period[p];
        let mut order: Vec<usize> = (0..shares).filter(|&i| !cut[p][i].is_zero()).collect();
        order.sort_by(|&a, &b| cut[p][b].cmp(&cut[p][a]).then(a.cmp(&b)));
        for &i in &order {
            capacity[p][periods + i] = 1;
        }
        next[source].push(p);
        next[p].extend(order.iter().map(|&i| periods + i));
    }
    for (i, &n) in owed_to_weight.iter().enumerate() {
        capacity[periods + i][sink] = n;
        next[periods + i].push(sink);
        // Back along a part rounded up, to reroute it.
        next[periods + i].extend(0..periods);
    }
    for _ in 0..owed {
        // The shortest augmenting path, by breadth-first search.
        let mut came_from = vec![usize::MAX; nodes];
        came_from[source] = source;
        let mut queue = std::collections::VecDeque::from([source]);
        while let Some(a) = queue.pop_front() {
            for &b in &next[a] {
                if came_from[b] == usize::MAX && capacity[a][b] > 0 {
                    came_from[b] = a;
                    queue.push_back(b);
                }
            }
        }
        if came_from[sink] == usize::MAX {
            return Ok(None);
        }
        let mut b = sink;
        while b != source {
            let a = came_from[b];
            capacity[a][b] -= 1;
            capacity[b][a] += 1;
            b = a;
        }
    }
    for (p, row) in parts.iter_mut().enumerate() {
        for (i, part) in row.iter_mut().enumerate() {
            // A part rounded up has its unit of flow on the way back.
            if capacity[periods + i][p] > 0 {
                *part = checked_add(*part, unit)?;
            }
        }
    }
    Ok(Some(parts))
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

        /// A product `checked_mul_exact` accepts is the exact product: its
        /// digits times a power of ten are the operands' digits multiplied
        /// (in `i128`, exact for `i64` digits); when the exact product fits
        /// a `Decimal` (96 bits, 28 decimals) it is accepted.
        #[test]
        fn checked_mul_exact_is_exact(
            x in any::<i64>(), y in any::<i64>(), scale in 0u32..29, other_scale in 0u32..29,
        ) {
            let a = Decimal::new(x, scale);
            let b = Decimal::new(y, other_scale);
            let exact = i128::from(x) * i128::from(y);
            let exact_scale = scale + other_scale;
            match checked_mul_exact(a, b) {
                Ok(p) => {
                    let lifted = 10i128
                        .checked_pow(exact_scale - p.scale())
                        .and_then(|k| p.mantissa().checked_mul(k));
                    prop_assert_eq!(lifted, Some(exact), "{} × {} = {}", a, b, p);
                }
                Err(Overflow) => {
                    prop_assert!(
                        exact_scale > 28 || exact.unsigned_abs() >= 1u128 << 96,
                        "{} × {} refused, but it fits", a, b
                    );
                }
            }
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
        // Four decimals, but more digits than 96 bits hold at that scale:
        // `Decimal` would drop the last one (…185.1005 → …185.100).
        assert_eq!(
            checked_mul_exact(d("7922816251426433759354395.0335"), d("3")),
            Err(Overflow)
        );
        // Trailing zeros dropped to fit lose nothing.
        assert_eq!(
            checked_mul_exact(d("7922816251426433759354395.0330"), d("3")),
            Ok(d("23768448754279301278063185.099"))
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

    /// Both margins of `parts`: each period's parts add up to its total,
    /// each weight's parts to its whole-range part by `allocate`; and the
    /// largest distance of a part from its exact share.
    fn check_margins(
        parts: &[Vec<Decimal>],
        totals: &[Decimal],
        weights: &[Decimal],
        decimals: u32,
    ) -> Decimal {
        let whole = allocate(totals.iter().copied().sum(), weights, decimals).unwrap();
        let weight_sum: Decimal = weights.iter().copied().sum();
        let mut worst = Decimal::ZERO;
        for (row, total) in parts.iter().zip(totals) {
            assert_eq!(row.iter().copied().sum::<Decimal>(), *total, "{parts:?}");
            for (part, weight) in row.iter().zip(weights) {
                worst = worst.max((*part - *total * *weight / weight_sum).abs());
            }
        }
        for (i, part) in whole.iter().enumerate() {
            assert_eq!(
                parts.iter().map(|r| r[i]).sum::<Decimal>(),
                *part,
                "{parts:?}"
            );
        }
        worst
    }

    #[test]
    fn shares_over_periods_add_up_both_ways_within_a_unit() {
        let ds = |v: &[&str]| v.iter().map(|x| d(x)).collect::<Vec<_>>();
        // The cumulative method gives the fourth weight -1 of the second
        // period's 11 (its exact share 0.44): 1.44 off.
        let (totals, weights) = (ds(&["7", "11"]), ds(&["8", "8", "8", "1"]));
        let cumulative = cumulative_parts(&totals, &weights, 0).unwrap();
        assert_eq!(cumulative[1][3], d("-1"));
        assert_eq!(check_margins(&cumulative, &totals, &weights, 0), d("1.44"));
        let shares = allocate_over_periods(&totals, &weights, 0).unwrap();
        assert!(shares.each_within_a_unit);
        assert!(check_margins(&shares.parts, &totals, &weights, 0) < Decimal::ONE);
        assert!(shares.parts.iter().flatten().all(|p| !p.is_sign_negative()));
        // Refunds (a negative period), a weight of zero, cents.
        let (totals, weights) = (
            ds(&["100.00", "-33.33", "0", "12.01"]),
            ds(&["3", "0", "5", "1"]),
        );
        let shares = allocate_over_periods(&totals, &weights, 2).unwrap();
        assert!(shares.each_within_a_unit);
        assert!(check_margins(&shares.parts, &totals, &weights, 2) < d("0.01"));
        assert!(shares.parts.iter().all(|row| row[1].is_zero()));
        assert!(shares.parts[2].iter().all(|p| p.is_zero()));
        assert!(allocate_over_periods(&totals, &[Decimal::ZERO], 0).is_err());
    }

    proptest! {
        /// With weights of one sign (some zero) and periods of either
        /// sign, every part is within a unit of its exact share and both
        /// margins are exact; the cumulative method's margins are exact too.
        #[test]
        fn shares_over_periods_are_within_a_unit(
            totals in prop::collection::vec(-50i64..300, 1..13),
            weights in prop::collection::vec(0i64..13, 1..6),
            cents in any::<bool>(),
        ) {
            prop_assume!(weights.iter().any(|w| *w != 0));
            let decimals = if cents { 2 } else { 0 };
            let totals: Vec<Decimal> = totals.iter().map(|t| Decimal::new(*t, decimals)).collect();
            let weights: Vec<Decimal> = weights.iter().map(|w| Decimal::from(*w)).collect();
            let shares = allocate_over_periods(&totals, &weights, decimals).unwrap();
            prop_assert!(shares.each_within_a_unit);
            let worst = check_margins(&shares.parts, &totals, &weights, decimals);
            prop_assert!(worst < Decimal::new(1, decimals), "{:?}", shares.parts);
            let cumulative = cumulative_parts(&totals, &weights, decimals).unwrap();
            let worst = check_margins(&cumulative, &totals, &weights, decimals);
            prop_assert!(worst < Decimal::new(2, decimals));
        }
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
