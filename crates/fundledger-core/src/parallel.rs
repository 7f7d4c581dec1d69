//! When work is worth the thread pool.
//!
//! Rayon starts its pool (a thread per core) the first time anything asks
//! it for a thread, and its idle threads spin a while before they sleep.
//! On a small ledger that costs more than the work: the example's `check`
//! took 8.3 ms with the pool and 6.2 ms without it. So each parallel step
//! asks [`worth_it`] first and, below the threshold, runs
//! the same code on the calling thread, never touching the pool. The
//! result is the same either way: every parallel step here joins its parts
//! in order. (The whole-journal checks of a small journal still use two
//! threads: the closed years' digests on a plain scoped thread of their
//! own, see `load::checks::run`. The loader decides by its own measure:
//! a chunk of at most 256 blocks, `RUN_BLOCKS`, is laid out on the calling
//! thread, so a journal of a few hundred transactions loads without the
//! pool, and a bigger one starts it while loading.)

/// Below this many transactions, work runs on the calling thread. At
/// about a microsecond a transaction a step, this is a few milliseconds of
/// work: less than the pool costs to start and wake.
pub(crate) const TRANSACTIONS_MIN: usize = 4096;

/// True when work over `transactions` transactions is worth spreading on
/// the cores.
pub(crate) fn worth_it(transactions: usize) -> bool {
    reaches_threshold(transactions) && !forced_sequential()
}

/// True when `transactions` reaches [`TRANSACTIONS_MIN`].
fn reaches_threshold(transactions: usize) -> bool {
    transactions >= TRANSACTIONS_MIN
}

/// Under test, every step can be made to run on the calling thread, so
/// that a test compares both ways on the same journal (other tests running
/// meanwhile only run slower: both ways give the same result).
#[cfg(test)]
pub(crate) static SEQUENTIAL: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

#[cfg(test)]
fn forced_sequential() -> bool {
    SEQUENTIAL.load(std::sync::atomic::Ordering::Relaxed)
}

#[cfg(not(test))]
fn forced_sequential() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    // The threshold alone: `worth_it` also reads `SEQUENTIAL`, which a
    // test running meanwhile may have set.
    #[test]
    fn the_threshold_is_where_it_says() {
        assert!(!reaches_threshold(0));
        assert!(!reaches_threshold(TRANSACTIONS_MIN - 1));
        assert!(reaches_threshold(TRANSACTIONS_MIN));
    }
}
