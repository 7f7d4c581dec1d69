//! Checks that need the whole journal: balance assertions, restricted funds
//! spent below zero, expenses outside a fund's purpose, and date order.
//!
//! They run on the built [`Journal`] (so every transaction in it balances)
//! and report with the positions kept in [`Sources`].

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::model::diagnostic::{Code, Diagnostic};
use crate::model::journal::{
    AccountId, Assertion, CommodityId, FundId, Journal, Origin, Posting, Transaction,
};
use crate::model::money::{self, Decimal, MultiAmount};
use crate::model::settings::AccountClass;
use crate::model::valuation::{PriceMemo, Valuer};
use crate::read::source::{SourceMap, SourcePos};

/// `d` with the line it is located at, when that line is in the journal.
fn with_line(journal: &Journal, sources: &SourceMap, d: Diagnostic) -> Diagnostic {
    let Some(location) = d.location.clone() else {
        return d;
    };
    let root = &journal.settings().root;
    let file = journal.files().iter().position(|p| {
        *p == location.path || root.join(p.strip_prefix(root).unwrap_or(p)) == location.path
    });
    match file.and_then(|f| u32::try_from(f).ok()) {
        Some(file) if location.line > 0 => {
            let text = sources.line_text(SourcePos {
                file,
                line: location.line,
            });
            d.with_excerpt(vec![(location.line, text)])
        }
        _ => d,
    }
}

/// One whole-journal check, adding what it finds.
type Check<'c> = dyn Fn(&mut Vec<Diagnostic>) + Sync + 'c;

/// Runs every whole-journal check. The checks only read the journal, so
/// they run side by side on the cores (in four groups: those that share a
/// result run in one), and their findings are joined in a fixed order.
pub fn run(journal: &Journal, sources: &SourceMap) -> Vec<Diagnostic> {
    let group = |checks: &[&Check<'_>]| {
        let mut out = Vec::new();
        for check in checks {
            check(&mut out);
        }
        out
    };
    let declared_and_dated = || {
        group(&[
            &|out| declarations(journal, sources, out),
            &|out| dates_in_order(journal, sources, out),
            &|out| fund_purposes(journal, sources, out),
            &|out| restricted_gifts(journal, sources, out),
        ])
    };
    let totals_and_closes = || {
        group(&[
            &|out| {
                let digits_within_limit = amount_digits(journal, sources, out);
                report_totals(journal, sources, digits_within_limit, out);
            },
            &|out| crate::write_path::close::verify_closed_years(journal, sources, out),
            &|out| out.extend(crate::model::budget::check(journal, sources)),
        ])
    };
    let in_date_order = || {
        let mut out = Vec::new();
        let has_assertions = journal.posting_extras.iter().any(|e| e.assertion.is_some());
        let has_restricted = journal.fund_ids().any(|f| {
            journal.fund_restriction(f) != crate::model::settings::Restriction::Unrestricted
        });
        if has_assertions || has_restricted {
            let order = date_order(journal);
            if has_assertions {
                balance_assertions(journal, sources, &order, &mut out);
            }
            restricted_funds(journal, sources, &order, &mut out);
        }
        out
    };
    let month_end = || {
        let mut out = Vec::new();
        unpriced_and_unvaluable(journal, sources, &mut out);
        let month_end = crate::monthend::reconcile::stale_accounts(journal)
            .into_iter()
            .chain(crate::monthend::advances::problems(journal))
            .chain(crate::monthend::remittances::problems(journal))
            .chain(crate::monthend::audit::document_problems(journal))
            .chain(crate::donors::register::problems(journal));
        out.extend(month_end.map(|d| with_line(journal, sources, d)));
        out
    };
    let ((first, second), (third, fourth)) =
        if crate::parallel::worth_it(journal.transactions().len()) {
            rayon::join(
                || rayon::join(declared_and_dated, totals_and_closes),
                || rayon::join(in_date_order, month_end),
            )
        } else {
            // A small journal, without the thread pool: the closed years'
            // digests (SHA-256 of every closed transaction, about half the
            // work here) on one thread of their own, the rest beside them.
            // (When no thread can be started, they run here too.)
            std::thread::scope(|scope| {
                let closes = std::thread::Builder::new().spawn_scoped(scope, totals_and_closes);
                let first = declared_and_dated();
                let third = in_date_order();
                let fourth = month_end();
                let second = match closes {
                    Ok(closes) => closes
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                    Err(_) => totals_and_closes(),
                };
                ((first, second), (third, fourth))
            })
        };
    let mut out = first;
    out.extend(second);
    out.extend(third);
    out.extend(fourth);
    out
}

/// W102, once per commodity, in every fund: an amount of a commodity other
/// than the base currency with no `P` price on or before its date, which
/// the statements (they value at prices) cannot value. And E205, once a
/// line, at every real posting in another commodity whose value at its
/// price `Decimal` cannot hold exactly (more than 28 significant digits or
/// decimal places), which the statements refuse: found here, at its line,
/// instead of by a statement that can only say a total overflows.
fn unpriced_and_unvaluable(journal: &Journal, sources: &SourceMap, out: &mut Vec<Diagnostic>) {
    let Some(valuer) = Valuer::new(journal) else {
        return;
    };
    let base = valuer.base();
    let commodities = journal.commodity_ids().count();
    // The first date each commodity has a price in the base currency on:
    // `valuer.price_on` finds a price for a date exactly when it is on or
    // after that one.
    let mut first_priced: Vec<Option<NaiveDate>> = vec![None; commodities];
    for price in journal.prices() {
        if price.price_commodity != base {
            continue;
        }
        if let Some(first) = first_priced.get_mut(price.commodity.index()) {
            *first = Some(first.map_or(price.date, |d| d.min(price.date)));
        }
    }
    // The first unpriced posting of each commodity, by date then file order,
    // and the postings that cannot be valued exactly, in journal order.
    let chunks = in_chunks(journal, |range| {
        let mut first: Vec<Option<(NaiveDate, usize, u32)>> = vec![None; commodities];
        let mut unvaluable: Vec<(usize, u32, Decimal, CommodityId, Decimal)> = Vec::new();
        let mut prices = PriceMemo::default();
        for index in range {
            let t = &journal.transactions()[index];
            for p in journal.postings(t) {
                if p.kind != crate::model::journal::PostingKind::Real || p.commodity == base {
                    continue;
                }
                let priced = first_priced
                    .get(p.commodity.index())
                    .copied()
                    .flatten()
                    .is_some_and(|d| d <= t.date);
                if priced {
                    // Valued as the statements value it: its quantity at
                    // the price of its date.
                    let price = prices.price_on(&valuer, p.commodity, t.date);
                    // Once a line: the conversion postings of a cost
                    // (`@`) carry the line of the posting written.
                    let reported = unvaluable
                        .last()
                        .is_some_and(|&(i, line, ..)| i == index && line == p.line);
                    if let Some(price) = price.filter(|_| !reported) {
                        if money::checked_mul_exact(p.quantity, price).is_err() {
                            unvaluable.push((index, p.line, p.quantity, p.commodity, price));
                        }
                    }
                    continue;
                }
                if let Some(earliest) = first.get_mut(p.commodity.index()) {
                    let candidate = (t.date, index, p.line);
                    *earliest = Some(earliest.map_or(candidate, |e| e.min(candidate)));
                }
            }
        }
        (first, unvaluable)
    });
    let mut first: Vec<Option<(NaiveDate, usize, u32)>> = vec![None; commodities];
    let mut unvaluable = Vec::new();
    for (chunk, chunk_unvaluable) in chunks {
        unvaluable.extend(chunk_unvaluable);
        for (earliest, found) in first.iter_mut().zip(chunk) {
            *earliest = match (*earliest, found) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    let mut found: Vec<_> = journal
        .commodity_ids()
        .zip(first)
        .filter_map(|(commodity, at)| Some((commodity, at?)))
        .collect();
    found.sort_by_key(|&(_, at)| at);
    for (commodity, (date, index, line)) in found {
        let symbol = journal.commodity_name(commodity);
        out.push(
            posting_diagnostic(
                sources,
                &journal.transactions()[index],
                line,
                Code::NoPrice,
                format!("cannot value {symbol} in {} on {date}: no price", valuer.base_name()),
            )
            .expected(format!(
                "a `P` line giving {symbol} in {} on or before {date}; without one, no statement can be made from this journal",
                valuer.base_name()
            )),
        );
    }
    for (index, line, quantity, commodity, price) in unvaluable {
        out.push(overflow_at(
            sources,
            &journal.transactions()[index],
            line,
            format!(
                "the value of this posting in {} cannot be held exactly, so no statement can value it",
                valuer.base_name()
            ),
            format!(
                "{} at {price} {} each",
                journal.format_amount(quantity, commodity),
                valuer.base_name()
            ),
        ));
    }
}

/// Totals that reports will compute but that overflow `Decimal`, reported at
/// the posting where a running total first overflows: per account and each
/// of its parents, and per fund, in each commodity, in date order.
///
/// Every transaction balances, yet two large ones can still push an
/// account's balance past 28 digits. When every amount is within
/// [`AMOUNT_DIGITS_MAX`] digits at its commodity's widest scale, no sum of
/// fewer than [`SUMMABLE_POSTINGS_MAX`] of them can overflow (in any order),
/// so the full pass only runs when that does not hold.
fn report_totals(
    journal: &Journal,
    sources: &SourceMap,
    digits_within_limit: bool,
    out: &mut Vec<Diagnostic>,
) {
    if digits_within_limit && journal.all_postings().len() < SUMMABLE_POSTINGS_MAX {
        return;
    }
    // The names totals are kept for: accounts and their parents, and
    // `fund NAME`, each numbered once; per account id and per fund id, the
    // numbers of the totals its postings add to.
    let fund_names: Vec<String> = journal
        .fund_ids()
        .map(|f| format!("fund {}", journal.fund_name(f)))
        .collect();
    let mut numbers: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    let mut number = |name| {
        *numbers.entry(name).or_insert_with(|| {
            names.push(name);
            names.len() - 1
        })
    };
    let account_totals: Vec<Vec<usize>> = journal
        .account_ids()
        .map(|a| {
            let account = journal.account_name(a);
            account
                .char_indices()
                .filter(|&(_, c)| c == ':')
                .map(|(i, _)| &account[..i])
                .chain([account])
                .map(&mut number)
                .collect()
        })
        .collect();
    let fund_totals: Vec<usize> = fund_names.iter().map(|name| number(name)).collect();
    // Keyed by the number of an account, a parent or a fund, and commodity.
    let mut totals: HashMap<(usize, CommodityId), Decimal> = HashMap::new();
    for index in date_order(journal) {
        let t = &journal.transactions()[index];
        for p in journal.postings(t) {
            let slots = account_totals[p.account.index()]
                .iter()
                .chain([&fund_totals[p.fund.index()]]);
            for &slot in slots {
                let name = names[slot];
                let total = totals.entry((slot, p.commodity)).or_default();
                match money::checked_add(*total, p.quantity) {
                    Ok(sum) => *total = sum,
                    Err(_) => {
                        let commodity = journal.commodity_name(p.commodity);
                        out.push(
                            posting_diagnostic(
                                sources,
                                t,
                                p.line,
                                Code::Overflow,
                                format!("the balance of {name} in {commodity} overflows here"),
                            )
                            .found(format!(
                                "{} before this posting, and {} more",
                                journal.format_amount(*total, p.commodity),
                                journal.format_amount(p.quantity, p.commodity)
                            ))
                            .expected("balances within 28 significant digits"),
                        );
                        return;
                    }
                }
            }
        }
    }
}

/// The most digits an amount may have when written with as many decimal
/// places as the widest amount of its commodity (which is how `print`
/// writes it): integer digits plus that scale. 20 digits leave room to sum
/// [`SUMMABLE_POSTINGS_MAX`] amounts exactly in `Decimal`'s 96-bit
/// mantissa (about 7.9 × 10^28), in any order, so whether a journal loads
/// never depends on summation order or display scale.
pub const AMOUNT_DIGITS_MAX: u32 = 20;

/// How many amounts of at most [`AMOUNT_DIGITS_MAX`] digits always sum
/// exactly: 7.9 × 10^28 / 10^20, rounded down.
pub const SUMMABLE_POSTINGS_MAX: usize = 790_000_000;

/// The digits of the integer part of `quantity` (0 for a pure fraction).
pub(crate) fn integer_digits(quantity: Decimal) -> u32 {
    let integer = quantity.abs().trunc().mantissa().unsigned_abs();
    if integer == 0 {
        0
    } else {
        integer.ilog10() + 1
    }
}

/// Whether the integer part of `quantity` has more than `digits` digits:
/// whether |mantissa| ≥ 10^(digits + scale), without dividing.
fn integer_digits_exceed(quantity: Decimal, digits: u32) -> bool {
    let power = digits.saturating_add(quantity.scale());
    match 10u128.checked_pow(power) {
        Some(bound) => quantity.mantissa().unsigned_abs() >= bound,
        None => false,
    }
}

/// Where the widest amounts of one commodity are, each as (digits,
/// transaction index, line): the first amount with the most decimals, and
/// the first with the most integer digits.
#[derive(Default, Clone, Copy)]
struct Widest {
    /// Whether any amount of the commodity was met.
    seen: bool,
    scale: (u32, usize, u32),
    integer: (u32, usize, u32),
}

impl Widest {
    /// Takes in an amount met after every one taken in so far.
    fn note(&mut self, quantity: Decimal, index: usize, line: u32) {
        self.seen = true;
        // The significant decimals are at most the scale: most amounts
        // are passed over without normalising.
        if quantity.scale() > self.scale.0 {
            let scale = money::significant_decimals(quantity);
            if scale > self.scale.0 {
                self.scale = (scale, index, line);
            }
        }
        if integer_digits_exceed(quantity, self.integer.0) {
            self.integer = (integer_digits(quantity), index, line);
        }
    }

    /// Takes in what was found in a later part of the journal.
    fn then(&mut self, later: Widest) {
        self.seen |= later.seen;
        if later.scale.0 > self.scale.0 {
            self.scale = later.scale;
        }
        if later.integer.0 > self.integer.0 {
            self.integer = later.integer;
        }
    }
}

/// Splits the transactions into chunks, runs `pass` on each side by side
/// (on the cores), and returns what each found in journal order. A pass
/// whose findings depend only on its transactions reports as it would in
/// one run over the journal when its chunks' findings are joined in order.
pub(crate) fn in_chunks<T: Send>(
    journal: &Journal,
    pass: impl Fn(std::ops::Range<usize>) -> T + Sync,
) -> Vec<T> {
    use rayon::iter::{IntoParallelIterator as _, ParallelIterator as _};
    let count = journal.transactions().len();
    if !crate::parallel::worth_it(count) {
        return vec![pass(0..count)];
    }
    let chunk = (count / (4 * rayon::current_num_threads()).max(1)).max(CHUNK_TRANSACTIONS_MIN);
    (0..count.div_ceil(chunk))
        .into_par_iter()
        .map(|i| pass(i * chunk..count.min((i + 1) * chunk)))
        .collect()
}

/// Runs `check` on every transaction, in chunks side by side
/// ([`in_chunks`]), and returns what it adds, in journal order.
pub(crate) fn per_transaction(
    journal: &Journal,
    check: impl Fn(&Transaction, &mut Vec<Diagnostic>) + Sync,
) -> Vec<Diagnostic> {
    let chunks = in_chunks(journal, |range| {
        let mut out = Vec::new();
        for t in &journal.transactions()[range] {
            check(t, &mut out);
        }
        out
    });
    chunks.into_iter().flatten().collect()
}

/// The fewest transactions [`in_chunks`] gives one chunk: fewer are not
/// worth a task.
const CHUNK_TRANSACTIONS_MIN: usize = 8192;

/// Amounts too long to be written at their commodity's widest scale, one
/// E205 per commodity at the amount with the most decimals (naming the one
/// with the most integer digits). Costs count too: `print` writes them.
/// Returns true when every amount is within [`AMOUNT_DIGITS_MAX`].
fn amount_digits(journal: &Journal, sources: &SourceMap, out: &mut Vec<Diagnostic>) -> bool {
    let commodities = journal.commodity_ids().count();
    let chunks = in_chunks(journal, |range| {
        let mut widest = vec![Widest::default(); commodities];
        let mut note = |commodity: CommodityId, quantity: Decimal, index: usize, line: u32| {
            if let Some(w) = widest.get_mut(commodity.index()) {
                w.note(quantity, index, line);
            }
        };
        for (index, t) in journal.transactions()[range.clone()].iter().enumerate() {
            let index = range.start + index;
            for p in journal.postings(t) {
                note(p.commodity, p.quantity, index, p.line);
                if let Some(cost) = journal.cost(p) {
                    note(cost.commodity, cost.written, index, p.line);
                }
            }
        }
        widest
    });
    let mut widest = vec![Widest::default(); commodities];
    for chunk in chunks {
        for (w, later) in widest.iter_mut().zip(chunk) {
            w.then(later);
        }
    }
    let mut within = true;
    let mut over: Vec<_> = journal
        .commodity_ids()
        .zip(widest)
        .filter(|(_, w)| w.seen)
        .map(|(commodity, w)| {
            let scale = w.scale.0.max(journal.precision(commodity).unwrap_or(0));
            (commodity, w, scale)
        })
        .filter(|(_, w, scale)| w.integer.0 + scale > AMOUNT_DIGITS_MAX)
        .collect();
    over.sort_by_key(|(_, w, _)| (w.scale.1, w.scale.2));
    for (commodity, w, scale) in over {
        within = false;
        let symbol = journal.commodity_name(commodity);
        let (_, index, line) = if w.scale.0 > 0 { w.scale } else { w.integer };
        let t = &journal.transactions()[index];
        let (_, other_index, other_line) = w.integer;
        let other = &journal.transactions()[other_index];
        let other_at = sources.location(SourcePos {
            file: other.file,
            line: other_line,
        });
        out.push(
            posting_diagnostic(
                sources,
                t,
                line,
                Code::Overflow,
                format!(
                    "{symbol} amounts need {} digits when written alike; fundledger keeps at most {AMOUNT_DIGITS_MAX}",
                    w.integer.0 + scale
                ),
            )
            .found(format!(
                "{scale} decimal places here (or declared), and {} integer digits at {}:{}",
                w.integer.0,
                other_at.path.display(),
                other_at.line
            ))
            .expected(format!(
                "integer digits plus decimal places of {symbol} amounts within {AMOUNT_DIGITS_MAX}: fewer decimals (round the amount) or smaller amounts"
            )),
        );
    }
    within
}

/// Transaction indices sorted by date, file order within a date.
pub fn date_order(journal: &Journal) -> Vec<usize> {
    use rayon::slice::ParallelSliceMut as _;
    let mut order: Vec<usize> = (0..journal.transactions().len()).collect();
    // A stable sort: file order is kept within a date.
    if crate::parallel::worth_it(order.len()) {
        order.par_sort_by_key(|&i| journal.transactions()[i].date);
    } else {
        order.sort_by_key(|&i| journal.transactions()[i].date);
    }
    order
}

/// E205 at a posting of `t` (`line`) whose value in the base currency, or
/// a running total of such values, `Decimal` cannot hold exactly (past 28
/// significant digits, or a product with more than 28 decimal places).
fn overflow_at(
    sources: &SourceMap,
    t: &Transaction,
    line: u32,
    message: String,
    found: String,
) -> Diagnostic {
    posting_diagnostic(sources, t, line, Code::Overflow, message)
        .found(found)
        .expected("values in the base currency held exactly: within 28 significant digits and 28 decimal places")
}

fn posting_diagnostic(
    sources: &SourceMap,
    t: &Transaction,
    line: u32,
    code: Code,
    message: String,
) -> Diagnostic {
    let header = SourcePos {
        file: t.file,
        line: t.line,
    };
    let pos = SourcePos { file: t.file, line };
    let mut excerpt = vec![(t.line, sources.line_text(header))];
    if line != t.line {
        excerpt.push((line, sources.line_text(pos)));
    }
    Diagnostic::new(code, message)
        .at(sources.location(pos))
        .with_excerpt(excerpt)
}

/// Accounts and commodities used but not declared (when `fundledger.toml`
/// declares them, or `account`/`commodity` directives do under `strict`),
/// reported once each at their first use, and amounts finer than a
/// precision declared by a `commodity` directive. (They are checked here,
/// after loading, because a declaration may come after its first use, as
/// hledger allows.)
fn declarations(journal: &Journal, sources: &SourceMap, out: &mut Vec<Diagnostic>) {
    let settings = journal.settings();
    let generated = &settings.generated_accounts;
    let mut declared_accounts: Option<std::collections::HashSet<&str>> = settings
        .declared_accounts
        .as_ref()
        .map(|d| d.iter().map(String::as_str).collect());
    if settings.strict && !journal.account_directives().is_empty() {
        let declared = declared_accounts.get_or_insert_with(Default::default);
        declared.extend([
            generated.due_from.as_str(),
            generated.due_to.as_str(),
            generated.conversion.as_str(),
            generated.rounding.as_str(),
        ]);
        declared.extend(
            journal
                .account_directives()
                .iter()
                .map(|&a| journal.account_name(a)),
        );
    }
    let mut declared_commodities: Option<std::collections::HashSet<&str>> =
        (!settings.commodities.is_empty()).then(|| {
            settings
                .commodities
                .iter()
                .map(|c| c.symbol.as_str())
                .collect()
        });
    if settings.strict && !journal.commodity_directives().is_empty() {
        let declared = declared_commodities.get_or_insert_with(Default::default);
        declared.extend(
            journal
                .commodity_directives()
                .iter()
                .map(|&c| journal.commodity_name(c)),
        );
    }
    // Precisions declared only by directives (the settings' are checked as
    // the journal is read).
    let directive_precision: Vec<Option<u32>> = journal
        .commodity_ids()
        .map(|c| {
            let by_directive = journal
                .declared_precision
                .get(c.index())
                .copied()
                .unwrap_or(false)
                && settings.strict
                && settings.commodity(journal.commodity_name(c)).is_none();
            if by_directive {
                journal.precision(c)
            } else {
                None
            }
        })
        .collect();
    let check_precision = directive_precision.iter().any(Option::is_some);
    if declared_accounts.is_none() && declared_commodities.is_none() && !check_precision {
        return;
    }
    // Per id: whether the account or commodity is declared (all are when
    // nothing declares any), so each posting costs a look-up by index.
    let account_declared: Vec<bool> = journal
        .account_ids()
        .map(|a| {
            declared_accounts
                .as_ref()
                .is_none_or(|d| d.contains(journal.account_name(a)))
        })
        .collect();
    let commodity_declared: Vec<bool> = journal
        .commodity_ids()
        .map(|c| {
            declared_commodities
                .as_ref()
                .is_none_or(|d| d.contains(journal.commodity_name(c)))
        })
        .collect();
    let is_declared = |table: &[bool], index: usize| table.get(index).copied().unwrap_or(true);
    // In chunks side by side: the first use in each chunk of each account
    // and commodity not declared, and the amounts too precise, in order.
    let chunks = in_chunks(journal, |range| {
        let mut found = Vec::new();
        let mut met_accounts = vec![false; account_declared.len()];
        let mut met_commodities = vec![false; commodity_declared.len()];
        for index in range {
            let t = &journal.transactions()[index];
            for p in journal.postings(t) {
                let a = p.account.index();
                if !is_declared(&account_declared, a)
                    && !met_accounts.get(a).copied().unwrap_or(true)
                {
                    met_accounts[a] = true;
                    found.push(Undeclared::Account(index, p.line, p.account));
                }
                let cost = journal.cost(p).map(|cost| cost.commodity);
                let asserted = match journal.assertion(p) {
                    Some(Assertion::Amount(_, c)) => Some(*c),
                    _ => None,
                };
                for c in std::iter::once(p.commodity).chain(cost).chain(asserted) {
                    let i = c.index();
                    if !is_declared(&commodity_declared, i)
                        && !met_commodities.get(i).copied().unwrap_or(true)
                    {
                        met_commodities[i] = true;
                        found.push(Undeclared::Commodity(index, p.line, c));
                    }
                }
                if let Some(Some(allowed)) = directive_precision.get(p.commodity.index()) {
                    if let Some(d) = too_precise(journal, sources, t, p, *allowed) {
                        found.push(Undeclared::Finding(d));
                    }
                }
            }
        }
        found
    });
    // Joined in order, each account and commodity reported at its first
    // use only.
    let mut reported_accounts = vec![false; account_declared.len()];
    let mut reported_commodities = vec![false; commodity_declared.len()];
    let mut uses: Option<Vec<usize>> = None;
    for finding in chunks.into_iter().flatten() {
        match finding {
            Undeclared::Account(index, line, account_id) => {
                if std::mem::replace(&mut reported_accounts[account_id.index()], true) {
                    continue;
                }
                let uses = uses.get_or_insert_with(|| {
                    let mut uses = vec![0; account_declared.len()];
                    for q in journal.all_postings() {
                        if let Some(count) = uses.get_mut(q.account.index()) {
                            *count += 1;
                        }
                    }
                    uses
                });
                let uses = uses[account_id.index()];
                let account = journal.account_name(account_id);
                let t = &journal.transactions()[index];
                out.push(
                    posting_diagnostic(sources, t, line, Code::UndeclaredAccount, format!("account {account} is not declared"))
                        .pointing_at(account)
                        .found(format!("{uses} posting(s) to {account}; this is the first"))
                        .expected("an account listed in fundledger.toml `accounts` or declared with an `account` directive"),
                );
            }
            Undeclared::Commodity(index, line, c) => {
                if std::mem::replace(&mut reported_commodities[c.index()], true) {
                    continue;
                }
                let symbol = journal.commodity_name(c);
                let mut known: Vec<&str> = declared_commodities.iter().flatten().copied().collect();
                known.sort_unstable();
                let t = &journal.transactions()[index];
                out.push(
                    posting_diagnostic(
                        sources,
                        t,
                        line,
                        Code::UndeclaredCommodity,
                        format!("commodity {symbol} is not declared"),
                    )
                    .pointing_at(symbol)
                    .expected(format!(
                        "one of the declared commodities ({})",
                        known.join(", ")
                    )),
                );
            }
            Undeclared::Finding(d) => out.push(d),
        }
    }
}

/// What [`declarations`] finds in a chunk of the journal, in order.
enum Undeclared {
    /// The first use in the chunk of an account not declared: the
    /// transaction's index and the posting's line.
    Account(usize, u32, AccountId),
    /// The first use in the chunk of a commodity not declared.
    Commodity(usize, u32, CommodityId),
    /// An amount finer than its commodity's declared precision.
    Finding(Diagnostic),
}

/// E207 or E208 when `p`'s amount has more decimals than `allowed`, the
/// precision a `commodity` directive declares.
fn too_precise(
    journal: &Journal,
    sources: &SourceMap,
    t: &Transaction,
    p: &Posting,
    allowed: u32,
) -> Option<Diagnostic> {
    // The significant decimals are at most the scale.
    if p.quantity.scale() <= allowed {
        return None;
    }
    let decimals = money::significant_decimals(p.quantity);
    if decimals <= allowed || p.origin == Origin::Conversion {
        return None;
    }
    let symbol = journal.commodity_name(p.commodity);
    let from_cost = p.origin == Origin::Elided
        && journal
            .postings(t)
            .iter()
            .any(|q| journal.cost(q).is_some());
    Some(if from_cost {
        posting_diagnostic(
            sources,
            t,
            p.line,
            Code::InexactCost,
            format!("the amount inferred for this posting, {} {symbol}, is finer than {symbol} allows ({allowed} decimal places)", p.quantity),
        )
        .expected("write the total cost with `@@ TOTAL` so the conversion is exact")
    } else {
        posting_diagnostic(
            sources,
            t,
            p.line,
            Code::TooPrecise,
            format!("{} {symbol} has {decimals} decimal places; {symbol} allows {allowed}", p.quantity),
        )
        .expected(format!(
            "an amount in whole multiples of {symbol}'s smallest unit ({allowed} decimal places); fundledger never rounds it for you"
        ))
    })
}
/// Out-of-order warnings shown per file; the rest are counted in one more.
const DATE_ORDER_WARNINGS_SHOWN: usize = 20;

fn dates_in_order(journal: &Journal, sources: &SourceMap, out: &mut Vec<Diagnostic>) {
    let mut last_in_file: Vec<Option<NaiveDate>> = vec![None; journal.files().len()];
    let mut count_in_file: Vec<usize> = vec![0; journal.files().len()];
    for t in journal.transactions() {
        let Some(last) = last_in_file.get_mut(t.file as usize) else {
            continue;
        };
        // `close` appends its entries, dated on a past balance-sheet date.
        if crate::write_path::close::is_written_by_close(journal, t) {
            continue;
        }
        if let Some(previous) = last {
            if t.date < *previous {
                count_in_file[t.file as usize] += 1;
                if count_in_file[t.file as usize] > DATE_ORDER_WARNINGS_SHOWN {
                    *last = Some(last.map_or(t.date, |d| d.max(t.date)));
                    continue;
                }
                out.push(
                    posting_diagnostic(
                        sources,
                        t,
                        t.line,
                        Code::DatesOutOfOrder,
                        format!("{} comes after a transaction dated {previous}", t.date),
                    )
                    .expected("transactions in date order within each file (ledger-cli 3.3 checks balance assertions in file order)"),
                );
            }
        }
        *last = Some(last.map_or(t.date, |d| d.max(t.date)));
    }
    for (file, &count) in count_in_file.iter().enumerate() {
        if count > DATE_ORDER_WARNINGS_SHOWN {
            let path = &journal.files()[file];
            out.push(
                Diagnostic::new(
                    Code::DatesOutOfOrder,
                    format!(
                        "{} more transactions out of date order in {} (the first {DATE_ORDER_WARNINGS_SHOWN} are shown)",
                        count - DATE_ORDER_WARNINGS_SHOWN,
                        path.display()
                    ),
                )
                .at(crate::model::diagnostic::Location { path: path.clone(), line: 1 })
                .expected("transactions in date order within each file; `fundledger print` writes them sorted"),
            );
        }
    }
}

fn balance_assertions(
    journal: &Journal,
    sources: &SourceMap,
    order: &[usize],
    out: &mut Vec<Diagnostic>,
) {
    // Per account id: its balance so far.
    let mut balances: Vec<MultiAmount<CommodityId>> =
        vec![MultiAmount::default(); journal.account_ids().count()];
    for &index in order {
        let t = &journal.transactions()[index];
        for p in journal.postings(t) {
            let Some(balance) = balances.get_mut(p.account.index()) else {
                continue;
            };
            if balance.add(p.commodity, p.quantity).is_err() {
                out.push(posting_diagnostic(
                    sources,
                    t,
                    p.line,
                    Code::Overflow,
                    "running balance overflows".into(),
                ));
                return;
            }
            let Some(assertion) = journal.assertion(p) else {
                continue;
            };
            let failed = match assertion {
                Assertion::Amount(expected, commodity) => {
                    let actual = balance.get(*commodity);
                    (actual != *expected).then(|| {
                        (
                            journal.format_amount(actual, *commodity),
                            journal.format_amount(*expected, *commodity),
                        )
                    })
                }
                Assertion::Zero => (!balance.is_zero()).then(|| {
                    let held: Vec<String> = balance
                        .trimmed()
                        .map(|(c, q)| journal.format_amount(q, c))
                        .collect();
                    (held.join(", "), "0 in every commodity".to_string())
                }),
            };
            if let Some((actual, expected)) = failed {
                let account = journal.account_name(p.account);
                out.push(
                    posting_diagnostic(
                        sources,
                        t,
                        p.line,
                        Code::AssertionFailed,
                        format!("balance assertion failed for {account} on {}", t.date),
                    )
                    .found(format!(
                        "{account} holds {actual} after this posting (all funds, in date order)"
                    ))
                    .expected(expected),
                );
            }
        }
    }
}

/// A gift its donor restricted stays restricted: a posting to an income
/// account that a restricted fund lists in `income_accounts` must be in a
/// donor-restricted fund.
fn restricted_gifts(journal: &Journal, sources: &SourceMap, out: &mut Vec<Diagnostic>) {
    let settings = journal.settings();
    if settings.funds.iter().all(|f| f.income_accounts.is_empty()) {
        return;
    }
    // Per account id: the restricted fund its gifts belong to, if any.
    let owners: Vec<Option<&crate::model::settings::FundSettings>> = journal
        .account_ids()
        .map(|id| {
            if journal.account_class(id) == Some(AccountClass::Income) {
                settings.donor_restricted_income(journal.account_name(id))
            } else {
                None
            }
        })
        .collect();
    out.extend(per_transaction(journal, |t, out| {
        restricted_gifts_of(journal, sources, &owners, t, out);
    }));
}

/// [`restricted_gifts`] in one transaction, given each account's owner.
fn restricted_gifts_of(
    journal: &Journal,
    sources: &SourceMap,
    owners: &[Option<&crate::model::settings::FundSettings>],
    t: &Transaction,
    out: &mut Vec<Diagnostic>,
) {
    for p in journal.postings(t) {
        let Some(owner) = owners.get(p.account.index()).copied().flatten() else {
            continue;
        };
        let restriction = journal.fund_restriction(p.fund);
        if restriction.is_donor_restricted() {
            continue;
        }
        let account = journal.account_name(p.account);
        let fund = journal.fund_name(p.fund);
        out.push(
            posting_diagnostic(
                sources,
                t,
                p.line,
                Code::RestrictedGiftUnrestricted,
                format!("a gift restricted by its donor ({account}) is booked to the {restriction} fund {fund}"),
            )
            .found(format!("{account} in fund {fund} ({restriction})"))
            .expected(format!(
                "gifts to {account} in the restricted fund {} (`; fund: {}`): a donor's restriction does not depend on the fund chosen",
                owner.id, owner.id
            )),
        );
    }
}

fn fund_purposes(journal: &Journal, sources: &SourceMap, out: &mut Vec<Diagnostic>) {
    let settings = journal.settings();
    if settings.funds.iter().all(|f| f.expense_accounts.is_none()) {
        return;
    }
    // Per fund id: the expense accounts it may pay for, when limited.
    let limits: Vec<Option<&Vec<String>>> = journal
        .fund_ids()
        .map(|f| {
            settings
                .fund(journal.fund_name(f))
                .and_then(|f| f.expense_accounts.as_ref())
        })
        .collect();
    out.extend(per_transaction(journal, |t, out| {
        fund_purposes_of(journal, sources, &limits, t, out);
    }));
}

/// [`fund_purposes`] in one transaction, given each fund's limits.
fn fund_purposes_of(
    journal: &Journal,
    sources: &SourceMap,
    limits: &[Option<&Vec<String>>],
    t: &Transaction,
    out: &mut Vec<Diagnostic>,
) {
    for p in journal.postings(t) {
        if p.origin != Origin::Written && p.origin != Origin::Elided {
            continue;
        }
        if journal.account_class(p.account) != Some(AccountClass::Expenses) {
            continue;
        }
        let Some(allowed) = limits.get(p.fund.index()).copied().flatten() else {
            continue;
        };
        let fund_name = journal.fund_name(p.fund);
        let account = journal.account_name(p.account);
        if !allowed
            .iter()
            .any(|prefix| crate::model::query::account_matches(account, prefix))
        {
            out.push(
                posting_diagnostic(
                    sources,
                    t,
                    p.line,
                    Code::FundPurpose,
                    format!("fund {fund_name} may not pay for {account}"),
                )
                .found(format!("an expense to {account} charged to {fund_name}"))
                .expected(format!(
                    "{fund_name} pays only for {} (expense_accounts in fundledger.toml); charge this to another fund",
                    allowed.join(", ")
                )),
            );
        }
    }
}

/// A donor-restricted or board-designated fund's net assets, valued in the
/// base currency at the rates booked (costs) or the latest price on or
/// before each date, must not fall below zero at the end of any day (E402
/// for restricted money spent beyond what the fund holds, E405 for a
/// designation larger than what was set aside).
fn restricted_funds(
    journal: &Journal,
    sources: &SourceMap,
    order: &[usize],
    out: &mut Vec<Diagnostic>,
) {
    let restricted: Vec<FundId> = journal
        .fund_ids()
        .filter(|&f| {
            journal.fund_restriction(f) != crate::model::settings::Restriction::Unrestricted
        })
        .collect();
    if restricted.is_empty() {
        return;
    }
    let Some(valuer) = Valuer::new(journal) else {
        return;
    };
    // Per fund id: restricted or designated; its net assets so far;
    // whether it was below zero at the end of the day before; the
    // transaction of the day that last lowered it.
    let funds = journal.fund_ids().count();
    let mut is_restricted = vec![false; funds];
    for f in &restricted {
        is_restricted[f.index()] = true;
    }
    // Per account id: whether its postings move a fund's net assets.
    let moves_net_assets: Vec<bool> = journal
        .account_ids()
        .map(|a| {
            journal
                .account_class(a)
                .is_some_and(AccountClass::changes_net_assets)
        })
        .collect();
    let mut net_assets: Vec<Decimal> = vec![Decimal::ZERO; funds];
    let mut overspent: Vec<bool> = vec![false; funds];
    let mut lowered_by: Vec<Option<(usize, u32)>> = vec![None; funds];
    let mut day_start = 0;
    while day_start < order.len() {
        let date = journal.transactions()[order[day_start]].date;
        let mut day_end = day_start;
        for &fund in &restricted {
            lowered_by[fund.index()] = None;
        }
        while day_end < order.len() && journal.transactions()[order[day_end]].date == date {
            let index = order[day_end];
            let t = &journal.transactions()[index];
            for p in journal.postings(t) {
                if !is_restricted.get(p.fund.index()).copied().unwrap_or(false)
                    || !changes_fund_balance(p, &moves_net_assets)
                {
                    continue;
                }
                // An amount without a price is warned about once, for
                // every fund, by `unpriced_and_unvaluable` (W102), and one
                // whose value at its price `Decimal` cannot hold exactly is
                // an error there (E205): without that value the fund's
                // figures cannot be kept, so this check stops.
                let Some(value) = valuer.value_in_base(p, date) else {
                    if valuer.price_on(p.commodity, date).is_some() {
                        return;
                    }
                    continue;
                };
                let balance = &mut net_assets[p.fund.index()];
                // Net assets rise with credits (income) and fall with debits.
                match money::checked_sub(*balance, value) {
                    Ok(b) => *balance = b,
                    Err(_) => {
                        // Not a silent stop: the fund's figures cannot be
                        // kept, so neither this check nor a statement can
                        // go on (an error).
                        out.push(overflow_at(
                            sources,
                            t,
                            p.line,
                            format!(
                                "the net assets of fund {} valued in {} overflow here",
                                journal.fund_name(p.fund),
                                valuer.base_name()
                            ),
                            format!(
                                "{} before this posting, and {} more",
                                valuer.format_base(*balance),
                                valuer.format_base(-value)
                            ),
                        ));
                        return;
                    }
                }
                if value.is_sign_positive() && !value.is_zero() {
                    lowered_by[p.fund.index()] = Some((index, p.line));
                }
            }
            day_end += 1;
        }
        for &fund in &restricted {
            let balance = net_assets[fund.index()];
            let was_overspent = overspent[fund.index()];
            if balance.is_sign_negative() && !balance.is_zero() {
                if !was_overspent {
                    let (index, line) = lowered_by[fund.index()].unwrap_or((order[day_start], 0));
                    let t = &journal.transactions()[index];
                    let line = if line == 0 { t.line } else { line };
                    let name = journal.fund_name(fund);
                    let restriction = journal.fund_restriction(fund);
                    let shortfall = valuer.format_base(-balance);
                    let (code, expected) = if restriction.is_donor_restricted() {
                        (
                            Code::RestrictedFundOverspent,
                            format!("restricted money spent only up to what {name} holds; record the income first, or charge the excess to an unrestricted fund (`; fund: {}`)", journal.settings().default_fund),
                        )
                    } else {
                        (
                            Code::DesignatedFundBelowZero,
                            format!("a designation sets aside unrestricted net assets that exist: transfer more to {name} from an unrestricted fund first, or charge the excess to one"),
                        )
                    };
                    out.push(
                        posting_diagnostic(
                            sources,
                            t,
                            line,
                            code,
                            format!("{restriction} fund {name} is spent below zero on {date}, by {shortfall}"),
                        )
                        .found(format!("{name}'s net assets are {} at the end of {date}", valuer.format_base(balance)))
                        .expected(expected),
                    );
                }
                overspent[fund.index()] = true;
            } else {
                overspent[fund.index()] = false;
            }
        }
        day_start = day_end;
    }
}

/// True for postings that move a fund's net assets (income, expenses, net
/// asset transfers), leaving out conversions, which net to zero at cost.
/// `moves_net_assets` says, per account id, whether the account's class
/// changes net assets.
fn changes_fund_balance(p: &Posting, moves_net_assets: &[bool]) -> bool {
    p.kind == crate::model::journal::PostingKind::Real
        && p.origin != Origin::Conversion
        && moves_net_assets
            .get(p.account.index())
            .copied()
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::settings::Settings;

    #[test]
    fn integer_digits_exceed_agrees_with_integer_digits() {
        for text in [
            "0",
            "0.5",
            "9",
            "10",
            "99.99",
            "100",
            "-100",
            "123456.789",
            "0.000001",
            "79228162514264337593543950335",
            "-7922816251426433759354395.0335",
        ] {
            let quantity: Decimal = text.parse().unwrap();
            for digits in 0..32 {
                assert_eq!(
                    integer_digits_exceed(quantity, digits),
                    integer_digits(quantity) > digits,
                    "{text} > {digits} digits"
                );
            }
        }
    }

    /// The E205s of `text` loaded with a general fund and a restricted fund
    /// `Rice`, JPY the base currency, and whether the load has errors.
    fn overflows_in_rice(text: String) -> (Vec<Diagnostic>, bool) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("fundledger.toml"),
            "organisation = \"Test\"\nbase_currency = \"JPY\"\njournal = \"journal.ledger\"\n\
             [[funds]]\nid = \"General\"\nname = \"General\"\nrestriction = \"unrestricted\"\ndefault = true\n\
             [[funds]]\nid = \"Rice\"\nname = \"Rice\"\nrestriction = \"restricted\"\n",
        )
        .unwrap();
        let path = dir.path().join("journal.ledger");
        std::fs::write(&path, &text).unwrap();
        let settings = Settings::read(dir.path()).unwrap().unwrap();
        let loaded = crate::load::load_text(settings, &path, text).unwrap();
        let overflows = loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::Overflow)
            .cloned()
            .collect();
        (overflows, loaded.has_errors())
    }

    /// Net assets of a restricted fund whose value in the base currency
    /// passes what `Decimal` holds are an error at the posting where they
    /// do, not a check that stops without a word.
    #[test]
    fn restricted_net_assets_that_overflow_are_an_error_where_they_do() {
        // Each gift is worth 10^28 JPY; the eighth takes the fund past
        // 7.9 * 10^28, on the gift's income line.
        let mut text = String::from("P 2000-04-01 USD 10000000000 JPY\n\n");
        for day in 1..=9 {
            text.push_str(&format!(
                "2000-04-{day:02} * Gift {day}\n    Assets:Bank  1000000000000000000 USD  ; fund: Rice\n    Income:Gifts  -1000000000000000000 USD  ; fund: Rice\n\n"
            ));
        }
        let (overflows, has_errors) = overflows_in_rice(text);
        assert_eq!(overflows.len(), 1, "{overflows:#?}");
        assert!(has_errors);
        let d = &overflows[0];
        // The eighth gift's header is line 3 + 4 * 7; its income line two on.
        assert_eq!(d.location.as_ref().unwrap().line, 33, "{d:#?}");
        assert_eq!(
            d.message,
            "the net assets of fund Rice valued in JPY overflow here"
        );
        assert_eq!(
            d.found.as_deref(),
            Some("70000000000000000000000000000 JPY before this posting, and 10000000000000000000000000000 JPY more")
        );
    }

    /// A posting whose value at its price `Decimal` cannot hold exactly is
    /// an error at the posting, in any fund, once: before, one in a
    /// restricted fund was reported by the fund check alone, and one in an
    /// unrestricted fund only by a statement, which could not say where.
    #[test]
    fn a_posting_whose_value_cannot_be_held_exactly_is_an_error_where_it_is() {
        // 10^17 USD at 10^12 JPY: 10^29 JPY, past Decimal's 7.9 * 10^28;
        // 100.01 USD at a price of 26 decimals: 31 significant digits.
        for fund in ["Rice", "General"] {
            let text = format!(
                "P 2000-04-01 USD 1000000000000 JPY\n\n\
                 2000-04-02 * Gift\n    Assets:Bank  100000000000000000 USD  ; fund: {fund}\n    Income:Gifts  -100000000000000000 USD  ; fund: {fund}\n\n\
                 P 2000-04-03 USD 1.23456789012345678901234567 JPY\n\n\
                 2000-04-04 * Gift\n    Assets:Bank  100.01 USD  ; fund: {fund}\n    Income:Gifts  -100.01 USD  ; fund: {fund}\n\n\
                 2000-04-05 * Gift\n    Assets:Bank  100 USD  ; fund: {fund}\n    Income:Gifts  -100 USD  ; fund: {fund}\n"
            );
            let (overflows, has_errors) = overflows_in_rice(text);
            assert!(has_errors);
            let lines: Vec<u32> = overflows
                .iter()
                .map(|d| d.location.as_ref().unwrap().line)
                .collect();
            assert_eq!(lines, [4, 5, 10, 11], "{fund}: {overflows:#?}");
            for d in &overflows {
                assert_eq!(
                    d.message,
                    "the value of this posting in JPY cannot be held exactly, so no statement can value it"
                );
            }
            assert_eq!(
                overflows[2].found.as_deref(),
                Some("100.01 USD at 1.23456789012345678901234567 JPY each")
            );
        }
        // At a cost (`@`), the posting and the conversion postings made of
        // it share its line: one E205 there, naming the amount written.
        let (overflows, _) = overflows_in_rice(
            "P 2000-04-01 USD 1000000000000 JPY\n\n\
             2000-05-01 * Exchange\n    Assets:Cash  100000000000000000 USD @ 1 JPY\n    Assets:Bank  -100000000000000000 JPY\n"
                .to_string(),
        );
        assert_eq!(overflows.len(), 1, "{overflows:#?}");
        assert_eq!(overflows[0].location.as_ref().unwrap().line, 4);
        assert_eq!(
            overflows[0].found.as_deref(),
            Some("100000000000000000 USD at 1000000000000 JPY each")
        );
    }

    /// A journal of many chunks: the first use of an undeclared account and
    /// of an undeclared, unpriced commodity is reported once, where it is
    /// first, whichever chunk it is in.
    #[test]
    fn findings_across_chunks_are_reported_once_at_first_use() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("fundledger.toml"),
            "organisation = \"Test\"\nbase_currency = \"JPY\"\njournal = \"journal.ledger\"\nstrict = true\n",
        )
        .unwrap();
        let count = 4 * CHUNK_TRANSACTIONS_MIN + 100;
        let (late_account, late_commodity) =
            (2 * CHUNK_TRANSACTIONS_MIN + 7, CHUNK_TRANSACTIONS_MIN + 3);
        let mut text = String::from("account Assets:Bank\naccount Income:Gifts\ncommodity JPY\n\n");
        let mut lines = (0, 0);
        // Each transaction takes four lines after the four of the header.
        for i in 0..count {
            let line = 4 * i as u32 + 5;
            let (account, commodity) = match i {
                _ if i == late_account || i == count - 1 => ("Income:Odd", "JPY"),
                _ if i == late_commodity || i == count - 2 => ("Income:Gifts", "USD"),
                _ => ("Income:Gifts", "JPY"),
            };
            // Reported at the posting naming it.
            if i == late_account {
                lines.0 = line + 2;
            }
            if i == late_commodity {
                lines.1 = line + 1;
            }
            text.push_str(&format!(
                "2000-04-01 * Gift {i}\n    Assets:Bank  1 {commodity}\n    {account}  -1 {commodity}\n\n"
            ));
        }
        std::fs::write(dir.path().join("journal.ledger"), &text).unwrap();
        let settings = Settings::read(dir.path()).unwrap().unwrap();
        let path = dir.path().join("journal.ledger");
        let loaded = crate::load::load_text(settings, &path, text).unwrap();
        let mut found: Vec<(Code, u32, String)> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.code, d.location.as_ref().unwrap().line, d.message.clone()))
            .collect();
        found.sort();
        let mut expected = vec![
            (
                Code::UndeclaredCommodity,
                lines.1,
                "commodity USD is not declared".to_string(),
            ),
            (
                Code::NoPrice,
                lines.1,
                "cannot value USD in JPY on 2000-04-01: no price".to_string(),
            ),
            (
                Code::UndeclaredAccount,
                lines.0,
                "account Income:Odd is not declared".to_string(),
            ),
        ];
        expected.sort();
        assert_eq!(found, expected);
        let uses = loaded
            .diagnostics
            .iter()
            .find(|d| d.code == Code::UndeclaredAccount)
            .unwrap();
        assert_eq!(
            uses.found.as_deref(),
            Some("2 posting(s) to Income:Odd; this is the first")
        );
    }
}
