//! The validated journal.
//!
//! A [`Journal`] is only built by [`crate::load`](mod@crate::load), and every transaction in it
//! balances: per commodity over its real postings, and per fund within each
//! commodity (fundledger adds interfund and conversion postings to make it
//! so). [`Journal::verify_invariants`] checks this again; reports call it
//! before they compute anything.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use chrono::NaiveDate;

use crate::model::money::{self, Decimal, MultiAmount, Overflow};
use crate::model::settings::{AccountClass, Restriction, Settings};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub(crate) u32);

        impl $name {
            /// The id as an index into the journal's name table.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// An interned account name.
    AccountId
);
id_type!(
    /// An interned fund id.
    FundId
);
id_type!(
    /// An interned commodity symbol.
    CommodityId
);

/// A table of interned names: each distinct name stored once.
#[derive(Clone, Debug, Default)]
pub struct Names {
    names: Vec<Box<str>>,
    index: rustc_hash::FxHashMap<Box<str>, u32>,
}

impl Names {
    /// The id of `name`, adding it when new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.into());
        self.index.insert(name.into(), id);
        id
    }

    /// The id of `name`, when present.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// The name of `id`.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// The number of names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Whether a posting counts in the balance of the transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PostingKind {
    /// An ordinary posting: must balance.
    Real,
    /// `[Account]`: must balance with the other `[...]` postings.
    BalancedVirtual,
    /// `(Account)`: a memo (program quantities); never balanced.
    UnbalancedVirtual,
}

/// Where a posting came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Written in the journal with its amount.
    Written,
    /// Written without an amount; fundledger filled it in.
    Elided,
    /// Added by fundledger so that each fund balances on its own.
    Interfund,
    /// Added by fundledger to balance a cost conversion per commodity (the
    /// journal's `@`/`@@` stands for it, or its two commodities without a
    /// price, as hledger infers; `print` does not write it).
    Conversion,
    /// Added by fundledger to a bare journal's transaction that balances
    /// only to the display precision of its commodities (as hledger and
    /// ledger-cli accept it): the residual, on the rounding account.
    Rounding,
}

/// A cleared/pending mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Status {
    /// No mark.
    #[default]
    Unmarked,
    /// `!`
    Pending,
    /// `*`
    Cleared,
}

/// How a cost was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CostKind {
    /// `@ PRICE`: per unit.
    PerUnit,
    /// `@@ TOTAL`: for the whole amount.
    Total,
}

/// The cost of a posting in another commodity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cost {
    /// As written: `@` or `@@`.
    pub kind: CostKind,
    /// The price or total as written (unsigned for `@@`).
    pub written: Decimal,
    /// Its commodity.
    pub commodity: CommodityId,
    /// The signed amount this posting weighs in `commodity` when balancing.
    pub weight: Decimal,
}

/// A balance assertion `= AMOUNT` (or `= 0` for every commodity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assertion {
    /// The account holds exactly this much of this commodity.
    Amount(Decimal, CommodityId),
    /// The account is empty in every commodity.
    Zero,
}

/// A `name: value` tag from a comment, as the journal holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag<'j> {
    /// The tag name.
    pub name: &'j str,
    /// The value ("" for a bare `:tag:`).
    pub value: &'j str,
}

/// Every tag of a journal: names interned, values one after another, so a
/// tag costs twelve bytes and its value's text (a journal of imported
/// transactions carries two tags on each).
#[derive(Clone, Debug, Default)]
pub(crate) struct TagStore {
    names: Names,
    values: String,
    /// (name id, value start, value end).
    tags: Vec<(u32, u32, u32)>,
}

impl TagStore {
    /// Adds tags; answers their range.
    pub(crate) fn push_all<'t>(
        &mut self,
        tags: impl IntoIterator<Item = (&'t str, &'t str)>,
    ) -> Range<u32> {
        let start = index_u32(self.tags.len());
        for (name, value) in tags {
            let name = self.names.intern(name);
            let value_start = index_u32(self.values.len());
            self.values.push_str(value);
            self.tags
                .push((name, value_start, index_u32(self.values.len())));
        }
        start..index_u32(self.tags.len())
    }

    /// Adds every tag of `other` after these (interning its names here);
    /// answers how far `other`'s ranges move.
    pub(crate) fn append(&mut self, other: TagStore) -> u32 {
        let offset = index_u32(self.tags.len());
        if other.tags.is_empty() {
            return offset;
        }
        let names: Vec<u32> = (0..index_u32(other.names.len()))
            .map(|id| self.names.intern(other.names.name(id)))
            .collect();
        let value_offset = index_u32(self.values.len());
        self.values.push_str(&other.values);
        self.tags
            .extend(other.tags.into_iter().map(|(name, start, end)| {
                (
                    names[name as usize],
                    start.saturating_add(value_offset),
                    end.saturating_add(value_offset),
                )
            }));
        offset
    }

    fn list(&self, range: Range<u32>) -> Tags<'_> {
        Tags {
            store: self,
            range: range.start as usize..range.end as usize,
        }
    }
}

/// An index as a `u32` (the journal's indices), saturating.
pub(crate) fn index_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// The tags of a transaction or a posting, in the order written.
#[derive(Clone, Debug)]
pub struct Tags<'j> {
    store: &'j TagStore,
    range: Range<usize>,
}

impl<'j> Tags<'j> {
    /// The tags again, from the first (as a slice's `iter`).
    pub fn iter(&self) -> Tags<'j> {
        self.clone()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }
}

impl<'j> Iterator for Tags<'j> {
    type Item = Tag<'j>;

    fn next(&mut self) -> Option<Tag<'j>> {
        let &(name, start, end) = self.store.tags.get(self.range.next()?)?;
        Some(Tag {
            name: self.store.names.name(name),
            value: self
                .store
                .values
                .get(start as usize..end as usize)
                .unwrap_or(""),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }
}

impl ExactSizeIterator for Tags<'_> {}

/// Marks a posting or transaction with no extra details.
pub(crate) const NO_EXTRA: u32 = u32::MAX;

/// One posting of a transaction: 40 bytes, with the rarer details (cost,
/// assertion, tags, comment) kept aside in [`PostingExtra`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posting {
    /// The signed quantity.
    pub quantity: Decimal,
    /// The account.
    pub account: AccountId,
    /// The fund it belongs to.
    pub fund: FundId,
    /// The commodity of `quantity`.
    pub commodity: CommodityId,
    /// Its line (the transaction's header line for generated postings).
    pub line: u32,
    /// Real or virtual.
    pub kind: PostingKind,
    /// Written or generated.
    pub origin: Origin,
    /// A posting-level mark.
    pub status: Status,
    pub(crate) extra: u32,
}

/// The rarer details of a posting.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PostingExtra {
    /// The cost, when written with `@`/`@@` (or `{}`).
    pub cost: Option<Cost>,
    /// A balance assertion.
    pub assertion: Option<Assertion>,
    /// Tags other than `fund`: a range of the journal's tags.
    pub(crate) tags: Range<u32>,
    /// Comment text that is not a tag.
    pub comment: Option<Box<str>>,
}

/// The rarer details of a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TransactionExtra {
    /// The auxiliary date (`DATE=AUX`), kept for `print`.
    pub aux_date: Option<NaiveDate>,
    /// `(CODE)`.
    pub code: Option<Box<str>>,
    /// Header comment text that is not a tag.
    pub comment: Option<Box<str>>,
    /// Header tags, `fund` included: a range of the journal's tags.
    pub(crate) tags: Range<u32>,
}

/// One transaction; its postings are a range of [`Journal::all_postings`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// The date.
    pub date: NaiveDate,
    /// The mark.
    pub status: Status,
    /// Index into [`Journal::files`].
    pub file: u32,
    /// The header line.
    pub line: u32,
    pub(crate) postings: Range<u32>,
    /// The payee: a range of the journal's payee text.
    pub(crate) payee: Range<u32>,
    pub(crate) extra: u32,
}

impl Transaction {
    /// The range of this transaction's postings in [`Journal::all_postings`].
    pub fn posting_range(&self) -> Range<usize> {
        self.postings.start as usize..self.postings.end as usize
    }
}

/// A market price: one unit of `commodity` was worth `price` of
/// `price_commodity` on `date`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Price {
    /// The date.
    pub date: NaiveDate,
    /// The time of day written on the `P` line (midnight when none).
    pub time: chrono::NaiveTime,
    /// The commodity priced.
    pub commodity: CommodityId,
    /// The price per unit.
    pub price: Decimal,
    /// The commodity the price is in.
    pub price_commodity: CommodityId,
}

/// A violated journal invariant: a bug in fundledger, never bad data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantViolation(pub String);

impl fmt::Display for InvariantViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "internal invariant violated (a fundledger bug, please report it): {}",
            self.0
        )
    }
}

impl std::error::Error for InvariantViolation {}

/// A loaded, validated journal.
#[derive(Clone, Debug)]
pub struct Journal {
    pub(crate) settings: Settings,
    pub(crate) accounts: Names,
    pub(crate) account_classes: Vec<Option<AccountClass>>,
    pub(crate) funds: Names,
    pub(crate) commodities: Names,
    /// Decimal places per commodity id, when known.
    pub(crate) precisions: Vec<Option<u32>>,
    pub(crate) transactions: Vec<Transaction>,
    pub(crate) postings: Vec<Posting>,
    pub(crate) posting_extras: Vec<PostingExtra>,
    pub(crate) transaction_extras: Vec<TransactionExtra>,
    /// Every tag.
    pub(crate) tags: TagStore,
    /// Every payee, one after another.
    pub(crate) payees: String,
    pub(crate) prices: Vec<Price>,
    pub(crate) files: Vec<PathBuf>,
    /// Accounts declared with `account` directives, in order.
    pub(crate) account_directives: Vec<AccountId>,
    /// Commodities declared with `commodity` directives, in order.
    pub(crate) commodity_directives: Vec<CommodityId>,
    /// Per commodity id: true when its precision is declared (settings or a
    /// directive with a sample amount), false when inferred.
    pub(crate) declared_precision: Vec<bool>,
    /// The periodic entries (budgets), in journal order.
    pub(crate) budget: Vec<crate::model::budget::BudgetEntry>,
}

impl Journal {
    /// The periodic entries (`~`): the budget, never posted.
    pub fn budget_entries(&self) -> &[crate::model::budget::BudgetEntry] {
        &self.budget
    }

    /// The settings it was loaded with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Transactions in journal order (the order of the files).
    pub fn transactions(&self) -> &[Transaction] {
        &self.transactions
    }

    /// Every posting of every transaction.
    pub fn all_postings(&self) -> &[Posting] {
        &self.postings
    }

    /// The postings of one transaction.
    pub fn postings(&self, transaction: &Transaction) -> &[Posting] {
        &self.postings[transaction.posting_range()]
    }

    /// The payee or description of a transaction ("" when none).
    pub fn payee(&self, transaction: &Transaction) -> &str {
        self.payees
            .get(transaction.payee.start as usize..transaction.payee.end as usize)
            .unwrap_or("")
    }

    fn transaction_extra(&self, transaction: &Transaction) -> Option<&TransactionExtra> {
        self.transaction_extras.get(transaction.extra as usize)
    }

    /// The auxiliary date of a transaction (`DATE=AUX`), when written.
    pub fn aux_date(&self, transaction: &Transaction) -> Option<NaiveDate> {
        self.transaction_extra(transaction)?.aux_date
    }

    /// The `(CODE)` of a transaction.
    pub fn code(&self, transaction: &Transaction) -> Option<&str> {
        self.transaction_extra(transaction)?.code.as_deref()
    }

    /// The header comment text of a transaction (tags excluded).
    pub fn transaction_comment(&self, transaction: &Transaction) -> Option<&str> {
        self.transaction_extra(transaction)?.comment.as_deref()
    }

    /// The header tags of a transaction, `fund` included.
    pub fn transaction_tags(&self, transaction: &Transaction) -> Tags<'_> {
        let range = self
            .transaction_extra(transaction)
            .map_or(0..0, |e| e.tags.clone());
        self.tags.list(range)
    }

    fn posting_extra(&self, posting: &Posting) -> Option<&PostingExtra> {
        self.posting_extras.get(posting.extra as usize)
    }

    /// The cost of a posting, when it has one.
    pub fn cost(&self, posting: &Posting) -> Option<&Cost> {
        self.posting_extra(posting)?.cost.as_ref()
    }

    /// The balance assertion of a posting, when it has one.
    pub fn assertion(&self, posting: &Posting) -> Option<&Assertion> {
        self.posting_extra(posting)?.assertion.as_ref()
    }

    /// The tags of a posting (`fund` excluded: see [`Posting::fund`]).
    pub fn posting_tags(&self, posting: &Posting) -> Tags<'_> {
        let range = self.posting_extra(posting).map_or(0..0, |e| e.tags.clone());
        self.tags.list(range)
    }

    /// The value of the posting's tag `name`.
    pub fn posting_tag(&self, posting: &Posting, name: &str) -> Option<&str> {
        self.posting_tags(posting)
            .find(|t| t.name == name)
            .map(|t| t.value)
    }

    /// The comment text of a posting (tags excluded).
    pub fn posting_comment(&self, posting: &Posting) -> Option<&str> {
        self.posting_extra(posting)?.comment.as_deref()
    }

    /// What the posting weighs in balancing: its cost when it has one,
    /// otherwise its own amount.
    pub fn weight(&self, posting: &Posting) -> (Decimal, CommodityId) {
        match self.cost(posting) {
            Some(cost) => (cost.weight, cost.commodity),
            None => (posting.quantity, posting.commodity),
        }
    }

    /// Market prices in journal order.
    pub fn prices(&self) -> &[Price] {
        &self.prices
    }

    /// The files read, the journal first.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The name of an account.
    pub fn account_name(&self, id: AccountId) -> &str {
        self.accounts.name(id.0)
    }

    /// The id of an account name, when it occurs.
    pub fn account_id(&self, name: &str) -> Option<AccountId> {
        self.accounts.get(name).map(AccountId)
    }

    /// All account ids.
    pub fn account_ids(&self) -> impl Iterator<Item = AccountId> {
        (0..self.accounts.len() as u32).map(AccountId)
    }

    /// The class of an account (from its root).
    pub fn account_class(&self, id: AccountId) -> Option<AccountClass> {
        self.account_classes.get(id.index()).copied().flatten()
    }

    /// The id of a fund.
    pub fn fund_name(&self, id: FundId) -> &str {
        self.funds.name(id.0)
    }

    /// The fund with this id, when it occurs or is declared.
    pub fn fund_id(&self, name: &str) -> Option<FundId> {
        self.funds.get(name).map(FundId)
    }

    /// All funds: declared ones in declaration order, then undeclared ones
    /// as met.
    pub fn fund_ids(&self) -> impl Iterator<Item = FundId> {
        (0..self.funds.len() as u32).map(FundId)
    }

    /// The restriction class of a fund.
    pub fn fund_restriction(&self, id: FundId) -> Restriction {
        // Declared funds come first, in declaration order: the common case
        // is found without a search (a search per fund is quadratic with
        // tens of thousands of funds).
        let name = self.fund_name(id);
        match self.settings.funds.get(id.0 as usize) {
            Some(declared) if declared.id == name => declared.restriction,
            _ => self.settings.restriction_of(name),
        }
    }

    /// The symbol of a commodity.
    pub fn commodity_name(&self, id: CommodityId) -> &str {
        self.commodities.name(id.0)
    }

    /// The id of a commodity symbol, when it occurs.
    pub fn commodity_id(&self, symbol: &str) -> Option<CommodityId> {
        self.commodities.get(symbol).map(CommodityId)
    }

    /// All commodity ids.
    pub fn commodity_ids(&self) -> impl Iterator<Item = CommodityId> {
        (0..self.commodities.len() as u32).map(CommodityId)
    }

    /// Decimal places of a commodity, when declared or inferable.
    pub fn precision(&self, id: CommodityId) -> Option<u32> {
        self.precisions.get(id.index()).copied().flatten()
    }

    /// Accounts declared by `account` directives in the journal files.
    pub fn account_directives(&self) -> &[AccountId] {
        &self.account_directives
    }

    /// Commodities declared by `commodity` directives in the journal files.
    pub fn commodity_directives(&self) -> &[CommodityId] {
        &self.commodity_directives
    }

    /// Formats an amount with its commodity on the right, shown with at least
    /// the commodity's precision, never with digit-group separators.
    pub fn format_amount(&self, quantity: Decimal, commodity: CommodityId) -> String {
        let decimals = self.precision(commodity).unwrap_or(0);
        let number = money::format_plain(quantity, decimals);
        match quote_commodity(self.commodity_name(commodity)) {
            symbol if symbol.is_empty() => number,
            symbol => format!("{number} {symbol}"),
        }
    }

    /// The books of some funds as a journal of their own: only their
    /// postings (the interfund legs fundledger generates included, so each
    /// fund still balances and shows its share of interfund balances), and
    /// only the transactions that keep a posting. Every report run on it is
    /// that fund's report; the postings of all funds' books together are the
    /// journal's.
    pub fn fund_books(&self, funds: &[FundId]) -> Journal {
        let names: Vec<&str> = funds.iter().map(|f| self.fund_name(*f)).collect();
        let budget = self
            .budget
            .iter()
            .map(|entry| crate::model::budget::BudgetEntry {
                postings: entry
                    .postings
                    .iter()
                    .filter(|p| names.contains(&p.fund.as_str()))
                    .cloned()
                    .collect(),
                ..entry.clone()
            })
            .filter(|entry| !entry.postings.is_empty())
            .collect();
        let mut books = Journal {
            transactions: Vec::new(),
            postings: Vec::new(),
            budget,
            ..self.clone()
        };
        for transaction in &self.transactions {
            let start = books.postings.len() as u32;
            books.postings.extend(
                self.postings(transaction)
                    .iter()
                    .filter(|p| funds.contains(&p.fund))
                    .cloned(),
            );
            let end = books.postings.len() as u32;
            if end > start {
                books.transactions.push(Transaction {
                    postings: start..end,
                    ..transaction.clone()
                });
            }
        }
        books
    }

    /// Checks the double-entry invariants over the whole journal:
    /// every transaction's real postings sum to zero per commodity, and per
    /// fund within each commodity; so does the whole journal.
    ///
    /// # Errors
    /// An [`InvariantViolation`] naming the first transaction that breaks one.
    /// Loading never produces such a journal; this is the paired check run
    /// before reports are computed.
    pub fn verify_invariants(&self) -> Result<(), InvariantViolation> {
        use rayon::prelude::*;
        // Each transaction on its own, in parallel; the first violation in
        // journal order is named.
        let verify = |chunk: &[Transaction]| {
            let mut check = BalanceCheck::default();
            for transaction in chunk {
                if let Some(fund) = check.transaction(self.postings(transaction))? {
                    return Err(self.unbalanced(transaction, fund));
                }
            }
            Ok(check.total)
        };
        let partial: Vec<Result<MultiAmount<CommodityId>, InvariantViolation>> =
            if crate::parallel::worth_it(self.transactions.len()) {
                self.transactions
                    .par_chunks(VERIFY_CHUNK)
                    .map(verify)
                    .collect()
            } else {
                vec![verify(&self.transactions)]
            };
        let mut total: MultiAmount<CommodityId> = MultiAmount::new();
        for part in partial {
            total.add_all(&part?).map_err(|_| summing_overflow())?;
        }
        if !total.is_zero() {
            return Err(not_summing_to_zero());
        }
        Ok(())
    }

    /// The violation of a transaction that does not balance in `fund`.
    pub(crate) fn unbalanced(&self, transaction: &Transaction, fund: FundId) -> InvariantViolation {
        InvariantViolation(format!(
            "transaction at {}:{} does not balance in fund {}",
            self.files[transaction.file as usize].display(),
            transaction.line,
            self.fund_name(fund)
        ))
    }
}

/// How many transactions one parallel task of [`Journal::verify_invariants`]
/// checks.
const VERIFY_CHUNK: usize = 16 * 1024;

/// The violation of a sum that overflows.
pub(crate) fn summing_overflow() -> InvariantViolation {
    InvariantViolation("overflow while summing the journal".into())
}

/// The violation of a journal whose real postings do not sum to zero.
pub(crate) fn not_summing_to_zero() -> InvariantViolation {
    InvariantViolation("the real postings of the journal do not sum to zero".into())
}

/// The double-entry check of transactions, one at a time: the one piece of
/// code behind [`Journal::verify_invariants`] and the check loading makes as
/// it lays the journal out.
#[derive(Debug, Default)]
pub(crate) struct BalanceCheck {
    /// The real postings checked so far, per commodity.
    pub(crate) total: MultiAmount<CommodityId>,
    /// (fund, commodity, sum) of one transaction; reused between them.
    sums: Vec<(FundId, CommodityId, Decimal)>,
}

/// The real postings' sum per fund and commodity, into `sums` (emptied
/// first, so one vector serves transaction after transaction).
pub(crate) fn fund_sums(
    sums: &mut Vec<(FundId, CommodityId, Decimal)>,
    postings: &[Posting],
) -> Result<(), Overflow> {
    sums.clear();
    for posting in postings.iter().filter(|p| p.kind == PostingKind::Real) {
        match sums
            .iter_mut()
            .find(|(f, c, _)| *f == posting.fund && *c == posting.commodity)
        {
            Some((_, _, sum)) => *sum = money::checked_add(*sum, posting.quantity)?,
            None => sums.push((posting.fund, posting.commodity, posting.quantity)),
        }
    }
    Ok(())
}

impl BalanceCheck {
    /// Answers the first fund in which a transaction's real postings do
    /// not sum to zero in some commodity (`None` when it balances), and
    /// adds what they leave over to the journal's total.
    pub(crate) fn transaction(
        &mut self,
        postings: &[Posting],
    ) -> Result<Option<FundId>, InvariantViolation> {
        if BalanceCheck::balances_at_one_scale(postings) {
            // It leaves nothing over: the total does not move.
            return Ok(None);
        }
        fund_sums(&mut self.sums, postings).map_err(|_| summing_overflow())?;
        // The journal's total moves by what the transaction leaves over:
        // nothing, when it balances in every fund.
        let mut unbalanced = None;
        for &(fund, commodity, sum) in &self.sums {
            if !sum.is_zero() {
                unbalanced.get_or_insert(fund);
                self.total
                    .add(commodity, sum)
                    .map_err(|_: Overflow| summing_overflow())?;
            }
        }
        Ok(unbalanced)
    }

    /// The common case, in integers: whether the real postings all have
    /// one scale (as a journal in one currency mostly has) and their
    /// mantissas sum to zero in every fund and commodity. Numbers of one
    /// scale add as their mantissas, so that is exactly the transaction
    /// balancing; `false` (mixed scales, a sum not zero, a sum beyond what
    /// a `Decimal` holds, many funds and commodities) leaves the answer to
    /// the exact sums of [`fund_sums`].
    fn balances_at_one_scale(postings: &[Posting]) -> bool {
        // (fund, commodity, sum of the mantissas): a transaction touches a
        // few; more than this many are the exact sums' to judge.
        const PAIRS_MAX: usize = 8;
        let mut sums = [(FundId(0), CommodityId(0), 0i128); PAIRS_MAX];
        let mut pairs = 0;
        let real = postings.iter().filter(|p| p.kind == PostingKind::Real);
        let Some(scale) = real.clone().next().map(|p| p.quantity.scale()) else {
            return false;
        };
        for p in real {
            if p.quantity.scale() != scale {
                return false;
            }
            let mantissa = p.quantity.mantissa();
            match sums[..pairs]
                .iter_mut()
                .find(|(f, c, _)| *f == p.fund && *c == p.commodity)
            {
                // A sum beyond the 96-bit mantissa is the exact sums' to
                // judge (they may refuse it as an overflow).
                Some((_, _, sum)) => match sum.checked_add(mantissa) {
                    Some(added) if added.unsigned_abs() < 1 << 96 => *sum = added,
                    _ => return false,
                },
                None if pairs < PAIRS_MAX => {
                    sums[pairs] = (p.fund, p.commodity, mantissa);
                    pairs += 1;
                }
                None => return false,
            }
        }
        sums[..pairs].iter().all(|&(_, _, sum)| sum == 0)
    }
}

/// Quotes a commodity symbol when Ledger, hledger or ledger-parser would not
/// read it bare (digits, spaces, signs and other specials).
pub fn quote_commodity(symbol: &str) -> String {
    if symbol.is_empty() {
        // An amount with no commodity (`10.00`) is written as the number.
        return String::new();
    }
    let bare = !symbol.is_empty()
        && symbol
            .chars()
            .all(|c| !"0123456789{}[]()~`!@#%^&*-=+\\'\",./?;: \t\r\n".contains(c));
    if bare {
        symbol.to_string()
    } else {
        format!("\"{symbol}\"")
    }
}

/// An amount as an entry writes it: the quantity with at least
/// `precision` decimals ([`money::format_plain`]), a space, the commodity
/// as [`quote_commodity`] gave it (quoted once by a caller that writes many
/// amounts in it).
pub(crate) fn amount_text(quantity: Decimal, precision: u32, quoted_commodity: &str) -> String {
    let mut text = money::format_plain(quantity, precision);
    text.reserve(1 + quoted_commodity.len());
    text.push(' ');
    text.push_str(quoted_commodity);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posting(quantity: &str, fund: u32, commodity: u32, kind: PostingKind) -> Posting {
        Posting {
            quantity: quantity.parse().unwrap(),
            account: AccountId(0),
            fund: FundId(fund),
            commodity: CommodityId(commodity),
            line: 1,
            kind,
            origin: Origin::Written,
            status: Status::Unmarked,
            extra: NO_EXTRA,
        }
    }

    /// The integer sums of one scale answer as the exact sums do: which
    /// fund is the first not to balance, and what the journal's total
    /// keeps, for one scale, mixed scales, several funds and commodities,
    /// and virtual postings (never summed).
    #[test]
    fn the_check_at_one_scale_answers_as_the_exact_sums() {
        use PostingKind::{Real, UnbalancedVirtual};
        // Postings as `quantity fund commodity`, `(…)` for a virtual one.
        let postings = |text: &str| -> Vec<Posting> {
            text.split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| {
                    let words: Vec<&str> = p.split_whitespace().collect();
                    let (quantity, kind) = match words[0].strip_prefix('(') {
                        Some(q) => (q.trim_end_matches(')'), UnbalancedVirtual),
                        None => (words[0], Real),
                    };
                    posting(
                        quantity,
                        words[1].parse().unwrap(),
                        words[2].parse().unwrap(),
                        kind,
                    )
                })
                .collect()
        };
        let mut cases: Vec<(Vec<Posting>, Option<u32>)> = [
            ("100 0 0, -100 0 0", None),
            ("100.50 0 1, -100.5 0 1", None),
            ("100 0 0, -99 0 0", Some(0)),
            ("1.00 0 1, -1.0 0 1, 0.01 2 1", Some(2)),
            ("5 1 0, -5 1 0, 7 2 0, -7 2 1", Some(2)),
            ("3 0 0, -3 0 0, (9) 0 0", None),
            ("(9) 0 0", None),
            ("", None),
        ]
        .into_iter()
        .map(|(text, unbalanced)| (postings(text), unbalanced))
        .collect();
        // More funds than the integer sums keep: the exact sums decide.
        cases.push((
            (0..20)
                .flat_map(|f| [posting("1", f, 0, Real), posting("-1", f, 0, Real)])
                .collect(),
            None,
        ));
        cases.push(((0..20).map(|f| posting("1", f, 0, Real)).collect(), Some(0)));
        // Beyond a Decimal, both ways refuse the sum.
        let most = "79228162514264337593543950335";
        let huge: Vec<Posting> = [most, most, "-", "-"]
            .iter()
            .map(|q| match *q {
                "-" => posting(&format!("-{most}"), 0, 0, Real),
                q => posting(q, 0, 0, Real),
            })
            .collect();
        assert!(BalanceCheck::default().transaction(&huge).is_err());
        assert!(fund_sums(&mut Vec::new(), &huge).is_err());
        for (postings, unbalanced) in cases {
            let mut fast = BalanceCheck::default();
            let found = fast.transaction(&postings).unwrap();
            assert_eq!(found, unbalanced.map(FundId), "{postings:?}");
            // The exact sums alone.
            let mut sums = Vec::new();
            fund_sums(&mut sums, &postings).unwrap();
            let mut exact_total: MultiAmount<CommodityId> = MultiAmount::new();
            for &(_, commodity, sum) in &sums {
                if !sum.is_zero() {
                    exact_total.add(commodity, sum).unwrap();
                }
            }
            assert_eq!(fast.total, exact_total, "{postings:?}");
        }
    }
}
