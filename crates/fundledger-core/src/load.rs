//! Loading: files → entries → parsed blocks → a validated [`Journal`].
//!
//! The pipeline, each stage a function:
//!
//! 1. [`crate::source::read_journal`] reads and scans the files (sequential:
//!    includes must be followed in order);
//! 2. every transaction block is parsed by ledger-parser **in parallel**
//!    ([`crate::parse`]); blocks are independent;
//! 3. [`Builder`] walks the entries in order: interns names, assigns funds,
//!    fills elided amounts, balances each transaction per commodity and per
//!    fund (adding interfund and conversion postings), and checks what can be
//!    checked posting by posting;
//! 4. [`crate::checks`] runs the checks that need the whole journal in date
//!    order (balance assertions, restricted funds, date order);
//! 5. [`Journal::verify_invariants`] confirms the double-entry invariants.
//!
//! A transaction with an error is reported and left out of the journal, so
//! the journal handed back always balances; reports refuse to run while any
//! error is reported.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ledger_parser::{Balance as ParsedBalance, Price as ParsedPrice, Reality, TagValue};
use rayon::prelude::*;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::journal::{
    AccountId, Assertion, CommodityId, Cost, CostKind, FundId, InvariantViolation, Journal, Names,
    Origin, Posting, PostingKind, Price, Status, Tag, Transaction,
};
use crate::money::{self, Decimal, MultiAmount, Overflow};
use crate::parse::{self, BlockError};
use crate::settings::{AccountClass, Settings};
use crate::source::{
    self, Entry, SourcePos, Sources, TransactionBlock, POSTINGS_PER_TRANSACTION_MAX,
};

/// A loaded journal and everything found wrong with it.
#[derive(Debug)]
pub struct Loaded {
    /// The journal: every transaction that had no error.
    pub journal: Journal,
    /// All errors and warnings, in file and line order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Why loading could not even start.
#[derive(Debug)]
pub enum LoadError {
    /// The journal file named by the user cannot be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// A fundledger bug: the built journal broke an invariant.
    Invariant(InvariantViolation),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            LoadError::Invariant(v) => v.fmt(f),
        }
    }
}

impl std::error::Error for LoadError {}

/// Loads the journal named by `settings`.
///
/// # Errors
/// [`LoadError::Io`] when the journal file itself cannot be read. Problems in
/// the data are diagnostics in the [`Loaded`] value.
pub fn load(settings: Settings) -> Result<Loaded, LoadError> {
    let mut diagnostics = Vec::new();
    let journal_path = settings.journal.clone();
    let sources =
        source::read_journal(&journal_path, &settings.root, &mut diagnostics).map_err(|error| {
            LoadError::Io {
                path: journal_path.clone(),
                error,
            }
        })?;
    build(settings, sources, diagnostics)
}

/// Loads journal text held in memory, as if read from `path` (which is only
/// used in messages and to resolve includes).
///
/// # Errors
/// Only [`LoadError::Invariant`], which would be a fundledger bug.
pub fn load_text(settings: Settings, path: &Path, text: String) -> Result<Loaded, LoadError> {
    let mut diagnostics = Vec::new();
    let sources = source::read_text_journal(path, text, &mut diagnostics);
    build(settings, sources, diagnostics)
}

fn build(
    settings: Settings,
    sources: Sources,
    diagnostics: Vec<Diagnostic>,
) -> Result<Loaded, LoadError> {
    let blocks: Vec<&TransactionBlock> = sources
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Transaction(b) => Some(b),
            _ => None,
        })
        .collect();
    let parsed: Vec<Result<ledger_parser::Transaction, BlockError>> = blocks
        .par_iter()
        .with_min_len(256)
        .map(|block| parse::parse_transaction(sources.block_text(block)))
        .collect();

    let mut builder = Builder::new(settings, &sources);
    builder.diagnostics.extend(diagnostics);
    builder.declare(&sources);
    let mut parsed = parsed.into_iter();
    for entry in &sources.entries {
        match entry {
            Entry::Transaction(block) => {
                let Some(result) = parsed.next() else { break };
                match result {
                    Ok(transaction) => builder.add_transaction(block, transaction),
                    Err(error) => builder.block_error(block, error),
                }
            }
            Entry::Price { pos } => builder.add_price(*pos),
            Entry::Account { .. } | Entry::Commodity { .. } => {}
        }
    }
    let (journal, mut diagnostics) = builder.finish(&sources);
    diagnostics.extend(crate::checks::run(&journal, &sources));
    journal.verify_invariants().map_err(LoadError::Invariant)?;
    Ok(Loaded {
        journal,
        diagnostics: diagnostics.sorted(),
    })
}

/// Builds the journal entry by entry.
struct Builder<'s> {
    settings: Settings,
    sources: &'s Sources,
    accounts: Names,
    account_classes: Vec<Option<AccountClass>>,
    funds: Names,
    commodities: Names,
    precisions: Vec<Option<u32>>,
    /// Commodities whose precision is declared (checked), by id.
    declared_precision: Vec<bool>,
    declared_commodities: Option<HashSet<String>>,
    declared_accounts: Option<HashSet<String>>,
    declared_funds: bool,
    transactions: Vec<Transaction>,
    postings: Vec<Posting>,
    prices: Vec<Price>,
    account_directives: Vec<AccountId>,
    commodity_directives: Vec<CommodityId>,
    diagnostics: Diagnostics,
    default_fund: FundId,
}

impl<'s> Builder<'s> {
    fn new(settings: Settings, sources: &'s Sources) -> Self {
        let mut builder = Builder {
            sources,
            accounts: Names::default(),
            account_classes: Vec::new(),
            funds: Names::default(),
            commodities: Names::default(),
            precisions: Vec::new(),
            declared_precision: Vec::new(),
            declared_commodities: None,
            declared_accounts: settings.declared_accounts.clone(),
            declared_funds: !settings.funds.is_empty(),
            transactions: Vec::new(),
            postings: Vec::new(),
            prices: Vec::new(),
            account_directives: Vec::new(),
            commodity_directives: Vec::new(),
            diagnostics: Diagnostics::default(),
            default_fund: FundId(0),
            settings,
        };
        for fund in builder.settings.funds.clone() {
            builder.funds.intern(&fund.id);
        }
        builder.default_fund = FundId(builder.funds.intern(&builder.settings.default_fund.clone()));
        for commodity in builder.settings.commodities.clone() {
            let id = builder.commodity(&commodity.symbol);
            builder.precisions[id.index()] = Some(commodity.precision);
            builder.declared_precision[id.index()] = true;
        }
        if !builder.settings.commodities.is_empty() {
            builder.declared_commodities = Some(
                builder
                    .settings
                    .commodities
                    .iter()
                    .map(|c| c.symbol.clone())
                    .collect(),
            );
        }
        builder
    }

    /// Records `account` and `commodity` directives before any transaction,
    /// so that a declaration later in the file still counts (as in hledger).
    fn declare(&mut self, sources: &Sources) {
        for entry in &sources.entries {
            match entry {
                Entry::Account { name, .. } => {
                    let id = self.account(name);
                    self.account_directives.push(id);
                    let declared = self.declared_accounts.get_or_insert_with(|| {
                        let generated = &self.settings.generated_accounts;
                        [
                            &generated.due_from,
                            &generated.due_to,
                            &generated.conversion,
                        ]
                        .into_iter()
                        .cloned()
                        .collect()
                    });
                    declared.insert(name.clone());
                }
                Entry::Commodity {
                    symbol, precision, ..
                } => {
                    let id = self.commodity(symbol);
                    self.commodity_directives.push(id);
                    if let Some(p) = precision {
                        if !self.declared_precision[id.index()] {
                            self.precisions[id.index()] = Some(*p);
                            self.declared_precision[id.index()] = true;
                        }
                    }
                    self.declared_commodities
                        .get_or_insert_with(HashSet::new)
                        .insert(symbol.clone());
                }
                _ => {}
            }
        }
    }

    fn account(&mut self, name: &str) -> AccountId {
        let id = self.accounts.intern(name);
        if id as usize == self.account_classes.len() {
            self.account_classes.push(self.settings.class_of(name));
        }
        AccountId(id)
    }

    fn commodity(&mut self, symbol: &str) -> CommodityId {
        let id = self.commodities.intern(symbol);
        if id as usize == self.precisions.len() {
            self.precisions.push(None);
            self.declared_precision.push(false);
        }
        CommodityId(id)
    }

    fn block_error(&mut self, block: &TransactionBlock, error: BlockError) {
        let line = block
            .pos
            .line
            .saturating_add(error.line_in_block.saturating_sub(1));
        let pos = SourcePos {
            file: block.pos.file,
            line,
        };
        let text = self.sources.line_text(pos).to_string();
        let mut excerpt = Vec::new();
        if line != block.pos.line {
            excerpt.push((
                block.pos.line,
                self.sources.line_text(block.pos).to_string(),
            ));
        }
        excerpt.push((line, text));
        self.diagnostics.push(
            Diagnostic::new(Code::Unparsable, error.message)
                .at(self.sources.location(pos))
                .with_excerpt(excerpt)
                .expected(error.expected),
        );
    }

    fn add_price(&mut self, pos: SourcePos) {
        let line = self.sources.line_text(pos);
        match parse::parse_price(line) {
            Ok(p) => {
                let commodity = self.commodity(&p.commodity_name);
                let price_commodity = self.commodity(&p.amount.commodity.name);
                self.prices.push(Price {
                    date: p.datetime.date(),
                    commodity,
                    price: p.amount.quantity,
                    price_commodity,
                });
            }
            Err(expected) => {
                let d = self
                    .sources
                    .diagnostic_at(Code::Unparsable, pos, "cannot read this price line")
                    .expected(expected);
                self.diagnostics.push(d);
            }
        }
    }

    /// A diagnostic about one posting line, shown under its header.
    fn posting_diagnostic(
        &self,
        block: &TransactionBlock,
        line: u32,
        code: Code,
        message: String,
    ) -> Diagnostic {
        let pos = SourcePos {
            file: block.pos.file,
            line,
        };
        let mut excerpt = vec![(
            block.pos.line,
            self.sources.line_text(block.pos).to_string(),
        )];
        if line != block.pos.line {
            excerpt.push((line, self.sources.line_text(pos).to_string()));
        }
        Diagnostic::new(code, message)
            .at(self.sources.location(pos))
            .with_excerpt(excerpt)
    }

    fn add_transaction(&mut self, block: &TransactionBlock, parsed: ledger_parser::Transaction) {
        let errors_before = self.diagnostics.error_count();
        if parsed.postings.len() > POSTINGS_PER_TRANSACTION_MAX {
            let d = self.sources.diagnostic_for_block(
                Code::LimitExceeded,
                block,
                format!(
                    "transaction has {} postings; fundledger reads at most {POSTINGS_PER_TRANSACTION_MAX}",
                    parsed.postings.len()
                ),
            );
            self.diagnostics.push(d);
            return;
        }
        let (header_tags, header_comment) =
            tags_and_comment(&parsed.posting_metadata.tags, parsed.comment.as_deref());
        let header_fund = header_tags
            .iter()
            .find(|t| &*t.name == "fund")
            .map(|t| t.value.clone());
        let first_posting = self.postings.len();
        let mut elided: Vec<usize> = Vec::new();
        for (index, p) in parsed.postings.iter().enumerate() {
            let line = block
                .posting_lines
                .get(index)
                .copied()
                .unwrap_or(block.pos.line);
            let account_name = p.account.trim();
            if account_name.is_empty() {
                let d = self.posting_diagnostic(
                    block,
                    line,
                    Code::Unparsable,
                    "posting without an account name".into(),
                );
                self.diagnostics.push(d.expected("`  ACCOUNT  AMOUNT`"));
                continue;
            }
            let account = self.account(account_name);
            let kind = match p.reality {
                Reality::Real => PostingKind::Real,
                Reality::BalancedVirtual => PostingKind::BalancedVirtual,
                Reality::UnbalancedVirtual => PostingKind::UnbalancedVirtual,
            };
            let (tags, comment) = tags_and_comment(&p.metadata.tags, p.comment.as_deref());
            let fund_name = tags
                .iter()
                .find(|t| &*t.name == "fund")
                .map(|t| t.value.clone())
                .or_else(|| header_fund.clone());
            let fund = match fund_name {
                Some(name) => self.fund(block, line, &name),
                None => self.default_fund,
            };
            let tags: Box<[Tag]> = tags.into_iter().filter(|t| &*t.name != "fund").collect();
            self.check_account(block, line, account, kind);
            let status = match p.status {
                Some(ledger_parser::TransactionStatus::Cleared) => Status::Cleared,
                Some(ledger_parser::TransactionStatus::Pending) => Status::Pending,
                None => Status::Unmarked,
            };
            let assertion = match &p.balance {
                None => None,
                Some(ParsedBalance::Zero) => Some(Assertion::Zero),
                Some(ParsedBalance::Amount(a)) => {
                    let c = self.commodity(&a.commodity.name);
                    self.check_commodity(block, line, c);
                    Some(Assertion::Amount(a.quantity, c))
                }
            };
            let (quantity, commodity, cost, origin) = match &p.amount {
                None => {
                    if kind == PostingKind::UnbalancedVirtual {
                        let d = self.posting_diagnostic(
                            block,
                            line,
                            Code::Unparsable,
                            "a virtual posting in ( ) has no amount".into(),
                        );
                        self.diagnostics.push(d.expected(
                            "an amount: ( ) postings are never balanced, so none can be inferred",
                        ));
                        continue;
                    }
                    elided.push(self.postings.len());
                    (Decimal::ZERO, CommodityId(u32::MAX), None, Origin::Elided)
                }
                Some(amount) => {
                    let commodity = self.commodity(&amount.amount.commodity.name);
                    let quantity = amount.amount.quantity;
                    self.check_commodity(block, line, commodity);
                    self.check_precision(block, line, quantity, commodity);
                    let cost = match self.cost(amount, quantity) {
                        Ok(cost) => cost,
                        Err(Overflow) => {
                            let d = self.posting_diagnostic(
                                block,
                                line,
                                Code::Overflow,
                                "the cost of this posting overflows".into(),
                            );
                            self.diagnostics
                                .push(d.expected("amounts within 28 significant digits"));
                            continue;
                        }
                    };
                    (quantity, commodity, cost, Origin::Written)
                }
            };
            self.postings.push(Posting {
                account,
                fund,
                quantity,
                commodity,
                kind,
                origin,
                status,
                cost,
                assertion,
                line,
                tags,
                comment,
            });
        }
        if self.diagnostics.error_count() == errors_before {
            if let Err(d) = self.balance(block, first_posting, &elided) {
                self.diagnostics.push(*d);
            }
        }
        if self.diagnostics.error_count() != errors_before {
            self.postings.truncate(first_posting);
            return;
        }
        let postings_end = self.postings.len();
        self.transactions.push(Transaction {
            date: parsed.date,
            status: match parsed.status {
                Some(ledger_parser::TransactionStatus::Cleared) => Status::Cleared,
                Some(ledger_parser::TransactionStatus::Pending) => Status::Pending,
                None => Status::Unmarked,
            },
            code: parsed.code.map(Into::into),
            payee: parsed.description.unwrap_or_default().trim().into(),
            comment: header_comment,
            tags: header_tags.into(),
            file: block.pos.file,
            line: block.pos.line,
            postings: index_u32(first_posting)..index_u32(postings_end),
        });
    }

    fn fund(&mut self, block: &TransactionBlock, line: u32, name: &str) -> FundId {
        if self.declared_funds {
            if let Some(id) = self.funds.get(name) {
                return FundId(id);
            }
            let known: Vec<&str> = self.settings.funds.iter().map(|f| f.id.as_str()).collect();
            let d = self.posting_diagnostic(
                block,
                line,
                Code::UnknownFund,
                format!("unknown fund {name:?}"),
            );
            self.diagnostics.push(d.expected(format!(
                "one of the funds in fundledger.toml: {}",
                known.join(", ")
            )));
            return self.default_fund;
        }
        if name.is_empty() {
            let d =
                self.posting_diagnostic(block, line, Code::UnknownFund, "empty fund tag".into());
            self.diagnostics.push(d.expected("`; fund: NAME`"));
            return self.default_fund;
        }
        FundId(self.funds.intern(name))
    }

    fn check_account(
        &mut self,
        block: &TransactionBlock,
        line: u32,
        account: AccountId,
        kind: PostingKind,
    ) {
        let name = self.accounts.name(account.0).to_string();
        if let Some(declared) = &self.declared_accounts {
            if !declared.contains(&name) {
                let d = self.posting_diagnostic(
                    block,
                    line,
                    Code::UndeclaredAccount,
                    format!("account {name} is not declared"),
                );
                self.diagnostics.push(d.expected("an account listed in fundledger.toml `accounts` or declared with an `account` directive"));
            }
        }
        if kind == PostingKind::Real && self.account_classes[account.index()].is_none() {
            let roots: Vec<&String> = self.settings.account_classes.keys().collect();
            let code = Code::UnclassifiedAccount;
            let d = self.posting_diagnostic(
                block,
                line,
                code,
                format!("account {name} has a root with no class"),
            );
            let expected = format!(
                "a real posting under one of the classified roots ({}); use ( ) for memo quantities",
                roots.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            );
            if self.settings.from_file {
                self.diagnostics.push(d.expected(expected));
            }
        }
    }

    fn check_commodity(&mut self, block: &TransactionBlock, line: u32, commodity: CommodityId) {
        let Some(declared) = &self.declared_commodities else {
            return;
        };
        let symbol = self.commodities.name(commodity.0);
        if !declared.contains(symbol) {
            let mut known: Vec<&String> = declared.iter().collect();
            known.sort();
            let message = format!("commodity {symbol} is not declared");
            let expected = format!(
                "one of the declared commodities ({})",
                known
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let d = self.posting_diagnostic(block, line, Code::UndeclaredCommodity, message);
            self.diagnostics.push(d.expected(expected));
        }
    }

    fn check_precision(
        &mut self,
        block: &TransactionBlock,
        line: u32,
        quantity: Decimal,
        commodity: CommodityId,
    ) {
        let decimals = money::significant_decimals(quantity);
        if self.declared_precision[commodity.index()] {
            let allowed = self.precisions[commodity.index()].unwrap_or(0);
            if decimals > allowed {
                let symbol = self.commodities.name(commodity.0);
                let d = self.posting_diagnostic(
                    block,
                    line,
                    Code::TooPrecise,
                    format!("{quantity} {symbol} has {decimals} decimal places; {symbol} allows {allowed}"),
                );
                self.diagnostics.push(d.expected(format!("an amount in whole multiples of {symbol}'s smallest unit ({allowed} decimal places); fundledger never rounds it for you")));
            }
        } else {
            // Undeclared: display with as many decimals as written (as hledger
            // infers a commodity's display style), never fewer.
            let known = &mut self.precisions[commodity.index()];
            *known = Some(known.unwrap_or(0).max(quantity.scale()));
        }
    }

    fn cost(
        &mut self,
        amount: &ledger_parser::PostingAmount,
        quantity: Decimal,
    ) -> Result<Option<Cost>, Overflow> {
        let (price, from_lot) = match (&amount.price, &amount.lot_price) {
            (Some(p), _) => (p, false),
            (None, Some(p)) => (p, true),
            (None, None) => return Ok(None),
        };
        let _ = from_lot;
        let (kind, written) = match price {
            ParsedPrice::Unit(a) => (CostKind::PerUnit, a),
            ParsedPrice::Total(a) => (CostKind::Total, a),
        };
        let commodity = self.commodity(&written.commodity.name);
        let weight = match kind {
            CostKind::PerUnit => money::checked_mul_exact(quantity, written.quantity)?,
            CostKind::Total => {
                let total = written.quantity.abs();
                if quantity.is_sign_negative() {
                    -total
                } else {
                    total
                }
            }
        };
        Ok(Some(Cost {
            kind,
            written: written.quantity,
            commodity,
            weight,
        }))
    }

    /// Fills the elided amount, checks the sum is zero per commodity, adds
    /// conversion postings for costs and interfund postings for funds.
    fn balance(
        &mut self,
        block: &TransactionBlock,
        first: usize,
        elided: &[usize],
    ) -> Result<(), Box<Diagnostic>> {
        let overflow = |this: &Self| {
            Box::new(
                this.sources
                    .diagnostic_for_block(
                        Code::Overflow,
                        block,
                        "the amounts of this transaction overflow when summed",
                    )
                    .expected("amounts within 28 significant digits"),
            )
        };
        for kind in [PostingKind::Real, PostingKind::BalancedVirtual] {
            let mut residual: MultiAmount<CommodityId> = MultiAmount::new();
            let mut has_cost = false;
            for posting in &self.postings[first..] {
                if posting.kind != kind || posting.origin == Origin::Elided {
                    continue;
                }
                has_cost |= posting.cost.is_some();
                let (weight, commodity) = posting.weight();
                residual
                    .add(commodity, weight)
                    .map_err(|_| overflow(self))?;
            }
            let elided_here: Vec<usize> = elided
                .iter()
                .copied()
                .filter(|&i| self.postings[i].kind == kind)
                .collect();
            if elided_here.len() > 1 {
                let lines: Vec<String> = elided_here
                    .iter()
                    .map(|&i| self.postings[i].line.to_string())
                    .collect();
                return Err(Box::new(self
                    .sources
                    .diagnostic_for_block(Code::MultipleElided, block, "more than one posting has no amount")
                    .found(format!("postings without an amount on lines {}", lines.join(", ")))
                    .expected("at most one posting without an amount; fundledger fills it with what balances the others")));
            }
            let nonzero: Vec<(CommodityId, Decimal)> = residual.trimmed().collect();
            if let Some(&index) = elided_here.first() {
                // The elided posting takes the negated residual, one posting
                // per commodity.
                let template = self.postings[index].clone();
                let fills: Vec<(CommodityId, Decimal)> = if nonzero.is_empty() {
                    // Nothing to balance: the posting gets zero of the
                    // transaction's first commodity.
                    let commodity = self.postings[first..]
                        .iter()
                        .find(|p| p.origin != Origin::Elided)
                        .map(|p| p.commodity)
                        .unwrap_or(CommodityId(0));
                    vec![(commodity, Decimal::ZERO)]
                } else {
                    nonzero.clone()
                };
                for (n, (commodity, amount)) in fills.iter().enumerate() {
                    let quantity = money::negate(*amount);
                    self.check_filled_precision(
                        block,
                        template.line,
                        quantity,
                        *commodity,
                        has_cost,
                    )?;
                    let posting = Posting {
                        quantity,
                        commodity: *commodity,
                        ..template.clone()
                    };
                    if n == 0 {
                        self.postings[index] = posting;
                    } else {
                        self.postings.push(posting);
                    }
                }
            } else if !nonzero.is_empty() {
                let sums: Vec<String> = nonzero
                    .iter()
                    .map(|(c, q)| format!("{q} {}", self.commodities.name(c.0)))
                    .collect();
                let fractional_cost = has_cost
                    && nonzero.iter().any(|(c, q)| {
                        self.declared_precision[c.index()]
                            && money::significant_decimals(*q)
                                > self.precisions[c.index()].unwrap_or(0)
                    });
                let what = if kind == PostingKind::Real {
                    "postings"
                } else {
                    "[virtual] postings"
                };
                let (code, message, expected) = if fractional_cost {
                    (
                        Code::InexactCost,
                        "transaction does not balance: a per-unit cost converts to an amount finer than its commodity allows".to_string(),
                        "write the total cost with `@@ TOTAL` so the conversion is exact".to_string(),
                    )
                } else {
                    (
                        Code::Unbalanced,
                        "transaction does not balance".to_string(),
                        format!("the {what} of each commodity (after cost conversion) sum to exactly zero; no tolerance is applied"),
                    )
                };
                return Err(Box::new(
                    self.sources
                        .diagnostic_for_block(code, block, message)
                        .found(format!("the {what} sum to {}", sums.join(", ")))
                        .expected(expected),
                ));
            }
        }
        self.add_conversions(first).map_err(|_| overflow(self))?;
        self.add_interfund(block, first)
            .map_err(|d| d.unwrap_or_else(|| overflow(self)))
    }

    fn check_filled_precision(
        &self,
        block: &TransactionBlock,
        line: u32,
        quantity: Decimal,
        commodity: CommodityId,
        has_cost: bool,
    ) -> Result<(), Box<Diagnostic>> {
        if !self.declared_precision[commodity.index()] {
            return Ok(());
        }
        let allowed = self.precisions[commodity.index()].unwrap_or(0);
        if money::significant_decimals(quantity) <= allowed {
            return Ok(());
        }
        let symbol = self.commodities.name(commodity.0);
        let (code, expected) = if has_cost {
            (
                Code::InexactCost,
                "write the total cost with `@@ TOTAL` so the conversion is exact".to_string(),
            )
        } else {
            (
                Code::TooPrecise,
                format!("amounts in {symbol} with at most {allowed} decimal places"),
            )
        };
        Err(Box::new(self
            .posting_diagnostic(
                block,
                line,
                code,
                format!("the amount inferred for this posting, {quantity} {symbol}, is finer than {symbol} allows ({allowed} decimal places)"),
            )
            .expected(expected)))
    }

    /// For every posting with a cost in another commodity, two postings to
    /// the conversion account (in the posting's fund) so that the
    /// transaction also sums to zero per commodity.
    fn add_conversions(&mut self, first: usize) -> Result<(), Overflow> {
        let conversion_name = self.settings.generated_accounts.conversion.clone();
        let mut added = Vec::new();
        for posting in &self.postings[first..] {
            let Some(cost) = &posting.cost else { continue };
            if posting.kind != PostingKind::Real || cost.commodity == posting.commodity {
                continue;
            }
            let base = Posting {
                origin: Origin::Conversion,
                cost: None,
                assertion: None,
                tags: Box::new([]),
                comment: None,
                status: Status::Unmarked,
                ..posting.clone()
            };
            added.push(Posting {
                quantity: money::negate(posting.quantity),
                ..base.clone()
            });
            added.push(Posting {
                quantity: cost.weight,
                commodity: cost.commodity,
                ..base
            });
        }
        if !added.is_empty() {
            let account = self.account(&conversion_name);
            for mut p in added {
                p.account = account;
                self.postings.push(p);
            }
        }
        Ok(())
    }

    /// Adds due-to/due-from postings for every fund that does not balance on
    /// its own (or reports it, with `strict_funds`).
    fn add_interfund(
        &mut self,
        block: &TransactionBlock,
        first: usize,
    ) -> Result<(), Option<Box<Diagnostic>>> {
        let mut by_fund: Vec<(FundId, MultiAmount<CommodityId>)> = Vec::new();
        for posting in &self.postings[first..] {
            if posting.kind != PostingKind::Real {
                continue;
            }
            let slot = match by_fund.iter().position(|(f, _)| *f == posting.fund) {
                Some(i) => i,
                None => {
                    by_fund.push((posting.fund, MultiAmount::new()));
                    by_fund.len() - 1
                }
            };
            by_fund[slot]
                .1
                .add(posting.commodity, posting.quantity)
                .map_err(|_| None)?;
        }
        let unbalanced: Vec<(FundId, Vec<(CommodityId, Decimal)>)> = by_fund
            .into_iter()
            .map(|(f, sum)| (f, sum.trimmed().collect::<Vec<_>>()))
            .filter(|(_, sums)| !sums.is_empty())
            .collect();
        if unbalanced.is_empty() {
            return Ok(());
        }
        if self.settings.strict_funds {
            let found: Vec<String> = unbalanced
                .iter()
                .map(|(f, sums)| {
                    let amounts: Vec<String> = sums
                        .iter()
                        .map(|(c, q)| format!("{q} {}", self.commodities.name(c.0)))
                        .collect();
                    format!(
                        "fund {} sums to {}",
                        self.funds.name(f.0),
                        amounts.join(", ")
                    )
                })
                .collect();
            return Err(Some(Box::new(
                self.sources
                    .diagnostic_for_block(Code::FundUnbalanced, block, "transaction does not balance within each fund")
                    .found(found.join("; "))
                    .expected("each fund's postings sum to zero; move money between funds with explicit transfer postings, or set strict_funds = false to have fundledger add due-to/due-from postings"),
            )));
        }
        let due_to = self.account(&self.settings.generated_accounts.due_to.clone());
        let due_from = self.account(&self.settings.generated_accounts.due_from.clone());
        for (fund, sums) in unbalanced {
            for (commodity, residual) in sums {
                // A fund whose postings sum to more than zero received value
                // from the others: it owes (due to). One that sums below
                // zero gave value: it is owed (due from).
                let account = if residual.is_sign_positive() {
                    due_to
                } else {
                    due_from
                };
                self.postings.push(Posting {
                    account,
                    fund,
                    quantity: money::negate(residual),
                    commodity,
                    kind: PostingKind::Real,
                    origin: Origin::Interfund,
                    status: Status::Unmarked,
                    cost: None,
                    assertion: None,
                    line: block.pos.line,
                    tags: Box::new([]),
                    comment: None,
                });
            }
        }
        Ok(())
    }

    fn finish(self, sources: &Sources) -> (Journal, Diagnostics) {
        let journal = Journal {
            settings: self.settings,
            accounts: self.accounts,
            account_classes: self.account_classes,
            funds: self.funds,
            commodities: self.commodities,
            precisions: self.precisions,
            transactions: self.transactions,
            postings: self.postings,
            prices: self.prices,
            files: sources.files.iter().map(|f| f.path.clone()).collect(),
            account_directives: self.account_directives,
            commodity_directives: self.commodity_directives,
        };
        (journal, self.diagnostics)
    }
}

fn index_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Splits ledger-parser's tags and comment into our tags and the remaining
/// comment text. Comment lines of the form `name: value` whose name
/// ledger-parser does not take as a tag (it needs the name to be
/// alphanumeric, so `import-id:` is not one) become tags here too.
fn tags_and_comment(
    tags: &[ledger_parser::Tag],
    comment: Option<&str>,
) -> (Vec<Tag>, Option<Box<str>>) {
    let mut out: Vec<Tag> = tags
        .iter()
        .map(|t| Tag {
            name: t.name.as_str().into(),
            value: match &t.value {
                None => "".into(),
                Some(TagValue::String(s)) => s.trim().into(),
                Some(TagValue::Integer(i)) => i.to_string().into(),
                Some(TagValue::Float(f)) => f.to_string().into(),
                Some(TagValue::Date(d)) => d.to_string().into(),
            },
        })
        .collect();
    let mut rest = Vec::new();
    for line in comment.unwrap_or("").lines() {
        let trimmed = line.trim();
        match trimmed.split_once(": ") {
            Some((name, value))
                if !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '_') =>
            {
                out.push(Tag {
                    name: name.into(),
                    value: value.trim().into(),
                })
            }
            _ if !trimmed.is_empty() => rest.push(trimmed),
            _ => {}
        }
    }
    let comment = (!rest.is_empty()).then(|| rest.join("\n").into_boxed_str());
    (out, comment)
}
