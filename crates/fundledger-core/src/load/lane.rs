//! The common lane: blocks of the common shape, laid out without the
//! general path's intermediate forms.
//!
//! Most transactions of a journal are plain: a date, a payee, postings to
//! accounts already seen, with amounts in known commodities, tagged with
//! known funds, each fund balancing on its own. For those, the lane reads
//! the block with the fast path into a reused [`Common`], checks it with
//! verdicts kept per interned name (the same rules as the general path's
//! checks, decided once per name instead of once per posting), balances it
//! by commodity id and lays it out straight into the run.
//!
//! **Contract:** the lane lays out exactly what the general path
//! ([`Context::process`] then [`Run::add`]) would have, or declines having
//! changed nothing; anything unusual (a name not yet interned, a cost, a
//! virtual posting, an elided amount in several commodities, a fund that
//! does not balance on its own, a directive changing how blocks read, and
//! every case the checks would report) is declined. The test
//! `load::tests::the_common_lane_lays_out_what_the_general_path_does` holds
//! it to that on ledgers of every shape.

// The fast path reads comment text only without a `:`, so a second
// `fund:` tag is all `fund_tag_problem` could find in a block the lane
// takes.
use crate::load::{
    has_second_fund_tag, name_problem, store_tags, within_precision, Context, NameTables, Run,
};
use crate::model::journal::fund_sums;
use crate::model::journal::{
    AccountId, CommodityId, FundId, Origin, Posting, PostingExtra, PostingKind, TransactionExtra,
    NO_EXTRA,
};
use crate::model::money::{self, Decimal};
use crate::read::fastpath::{self, Common};
use crate::read::source::{TransactionBlock, POSTINGS_PER_TRANSACTION_MAX};

/// What the lane knows of each interned name: whether a posting may name
/// it without a diagnostic. Kept by the builder and extended as names are
/// interned (names are never removed), so each name is judged once.
#[derive(Clone, Default)]
pub(super) struct Verdicts {
    /// Per account id: the name passes every check of a real posting's
    /// account.
    pub(super) accounts: Vec<bool>,
    /// Per fund id: a posting may name the fund.
    pub(super) funds: Vec<bool>,
    /// Per commodity id: the decimal places `fundledger.toml` allows.
    pub(super) allowed_decimals: Vec<Option<u32>>,
}

impl Verdicts {
    /// Judges the names interned since the last call.
    pub(super) fn extend(&mut self, context: &Context<'_>, tables: &NameTables<'_>) {
        for id in self.accounts.len()..tables.accounts.len() {
            let name = tables.accounts.name(super::index_u32(id));
            let fine = context.account_trouble(name, PostingKind::Real).is_none();
            self.accounts.push(fine);
        }
        for id in self.funds.len()..tables.funds.len() {
            let name = tables.funds.name(super::index_u32(id));
            self.funds.push(context.fund_known(name));
        }
        for id in self.allowed_decimals.len()..tables.commodities.len() {
            let symbol = tables.commodities.name(super::index_u32(id));
            self.allowed_decimals
                .push(context.precisions.get(symbol).copied());
        }
    }
}

/// What the lane reuses from block to block.
#[derive(Default)]
pub(super) struct Scratch<'a> {
    common: Common<'a>,
    /// The postings' sum per commodity.
    residual: Residual,
    /// The postings' sum per fund and commodity.
    by_fund: Vec<(FundId, CommodityId, Decimal)>,
    /// Account names met lately, with their ids.
    accounts: AccountCache<'a>,
}

/// A small direct-mapped cache of account ids by name: a name met again
/// costs a comparison instead of a hash and a probe.
#[derive(Default)]
struct AccountCache<'a> {
    slots: [Option<(&'a str, AccountId)>; 16],
}

impl<'a> AccountCache<'a> {
    /// The id of an interned account name, or `None` when it is not
    /// interned.
    fn id(&mut self, name: &'a str, known: &NameTables<'_>) -> Option<AccountId> {
        let bytes = name.as_bytes();
        let (first, last) = (bytes.first()?, bytes.last()?);
        let slot = (bytes.len() ^ usize::from(*first) ^ usize::from(*last) << 1) & 15;
        if let Some((cached, id)) = self.slots[slot] {
            if cached == name {
                return Some(id);
            }
        }
        let id = known.accounts.get(name).map(AccountId)?;
        self.slots[slot] = Some((name, id));
        Some(id)
    }
}

/// The sum per commodity of amounts as the fast path reads them (at most
/// 18 digits), kept exactly as integers at the largest scale met: the
/// value, and the scale, that `Decimal` addition gives.
#[derive(Default)]
struct Residual {
    /// (commodity, mantissa, scale).
    sums: Vec<(CommodityId, i128, u32)>,
}

impl Residual {
    fn clear(&mut self) {
        self.sums.clear();
    }

    /// Adds an amount; false when the sum leaves the exact range (the
    /// general path then reports it).
    fn add(&mut self, commodity: CommodityId, quantity: Decimal) -> bool {
        let (mantissa, scale) = (quantity.mantissa(), quantity.scale());
        let Some(entry) = self.sums.iter_mut().find(|(c, _, _)| *c == commodity) else {
            self.sums.push((commodity, mantissa, scale));
            return true;
        };
        let (sum, sum_scale) = (&mut entry.1, &mut entry.2);
        let widened = |m: i128, by: u32| {
            10i128
                .checked_pow(by)
                .and_then(|factor| m.checked_mul(factor))
        };
        let (left, right, new_scale) = if scale > *sum_scale {
            (widened(*sum, scale - *sum_scale), Some(mantissa), scale)
        } else {
            (
                Some(*sum),
                widened(mantissa, *sum_scale - scale),
                *sum_scale,
            )
        };
        match (left, right) {
            (Some(left), Some(right)) => match left.checked_add(right) {
                // Within Decimal's 96-bit mantissa, or the general path decides.
                Some(total) if total.unsigned_abs() < 1 << 96 => {
                    *sum = total;
                    *sum_scale = new_scale;
                    true
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// The commodities whose sum is not zero, with the sum.
    fn nonzero(&self) -> impl Iterator<Item = (CommodityId, Decimal)> + '_ {
        self.sums
            .iter()
            .filter(|(_, sum, _)| *sum != 0)
            .filter_map(|&(commodity, sum, scale)| {
                Some((
                    commodity,
                    Decimal::try_from_i128_with_scale(sum, scale).ok()?,
                ))
            })
    }
}

impl<'s> Context<'s> {
    /// Lays `block` out into `run` when it is of the common shape and
    /// passes every check; otherwise answers false, `run` unchanged.
    pub(super) fn lay_out_common<'a>(
        &'a self,
        block: &'a TransactionBlock,
        known: &NameTables<'_>,
        verdicts: &Verdicts,
        scratch: &mut Scratch<'a>,
        run: &mut Run<'a>,
    ) -> bool {
        if block
            .context
            .as_deref()
            .is_some_and(|context| !context.leaves_common_blocks_alone())
        {
            return false;
        }
        let text = self.view.block_text(block);
        // A number with a lone `,` reads differently (`1,000`), and the
        // fast path leaves a `\r` to ledger-parser: the general path
        // decides, by the same test (a `,` in words is no reason).
        if memchr::memchr(b'\r', text.as_bytes()).is_some()
            || crate::read::parse::has_lone_comma_number(text)
            || !fastpath::parse_into_without_cr(text, &mut scratch.common)
        {
            return false;
        }
        let first = run.postings.len();
        if self.lay_out_postings(block, known, verdicts, scratch, run) {
            self.finish_common(block, known, scratch, run, first);
            true
        } else {
            run.postings.truncate(first);
            false
        }
    }

    /// Checks, balances and lays out the postings of `scratch.common`
    /// (with no extras yet); false when the general path must decide.
    fn lay_out_postings<'a>(
        &self,
        block: &TransactionBlock,
        known: &NameTables<'_>,
        verdicts: &Verdicts,
        scratch: &mut Scratch<'a>,
        run: &mut Run<'a>,
    ) -> bool {
        let Scratch {
            common,
            residual,
            by_fund,
            accounts,
        } = scratch;
        if common.postings.len() > POSTINGS_PER_TRANSACTION_MAX
            || (!common.header_printable_ascii && name_problem("payee", common.payee).is_some())
            || has_second_fund_tag(common.header_tags())
        {
            return false;
        }
        let default_fund = || known.funds.get(&self.settings.default_fund).map(FundId);
        let mut elided = None;
        residual.clear();
        // The postings of a transaction mostly share a fund and a
        // commodity: the last looked up is kept.
        let mut last_fund: Option<(&str, FundId)> = None;
        let mut last_commodity: Option<(&str, CommodityId)> = None;
        for p in &common.postings {
            if p.kind != PostingKind::Real
                || p.cost.is_some()
                || has_second_fund_tag(common.posting_tags(p))
            {
                return false;
            }
            let Some(account) = accounts.id(p.account, known) else {
                return false;
            };
            if !verdicts.accounts[account.index()] {
                return false;
            }
            let fund = match p.fund.or(common.fund) {
                Some(name) => match last_fund {
                    Some((last, fund)) if last == name => fund,
                    _ => match known.funds.get(name).map(FundId) {
                        Some(fund) if verdicts.funds[fund.index()] => {
                            last_fund = Some((name, fund));
                            fund
                        }
                        _ => return false,
                    },
                },
                None => match default_fund() {
                    Some(fund) => fund,
                    None => return false,
                },
            };
            let line = block.pos.line.saturating_add(p.line_in_block.max(1) - 1);
            let (quantity, commodity, origin) = match p.amount {
                Some((quantity, symbol)) => {
                    let commodity = match last_commodity {
                        Some((last, commodity)) if last == symbol => commodity,
                        _ => {
                            let Some(commodity) = known.commodity(symbol) else {
                                return false;
                            };
                            last_commodity = Some((symbol, commodity));
                            commodity
                        }
                    };
                    if !within_precision(verdicts.allowed_decimals[commodity.index()], quantity)
                        || !residual.add(commodity, quantity)
                    {
                        return false;
                    }
                    (quantity, commodity, Origin::Written)
                }
                None if elided.is_none() => {
                    elided = Some(run.postings.len());
                    (Decimal::ZERO, CommodityId(u32::MAX), Origin::Elided)
                }
                None => return false,
            };
            run.postings.push(Posting {
                quantity,
                account,
                fund,
                commodity,
                line,
                kind: PostingKind::Real,
                origin,
                status: p.status,
                extra: NO_EXTRA,
            });
        }
        let mut nonzero = residual.nonzero();
        match (elided, nonzero.next(), nonzero.next()) {
            (None, None, _) => {}
            (Some(index), Some((commodity, residual)), None) => {
                let quantity = money::negate(residual);
                if !within_precision(verdicts.allowed_decimals[commodity.index()], quantity) {
                    return false;
                }
                let posting = &mut run.postings[index];
                posting.quantity = quantity;
                posting.commodity = commodity;
            }
            _ => return false,
        }
        // Each fund must balance on its own: interfund postings are the
        // general path's to make.
        let postings = &run.postings[run.postings.len() - common.postings.len()..];
        let several_funds = postings.iter().any(|p| p.fund != postings[0].fund);
        if several_funds
            && (fund_sums(by_fund, postings).is_err()
                || by_fund.iter().any(|(_, _, sum)| !sum.is_zero()))
        {
            return false;
        }
        true
    }

    /// Adds the extras, the payee and the transaction of a block whose
    /// postings are laid out from `first` on, and checks it balances.
    fn finish_common(
        &self,
        block: &TransactionBlock,
        known: &NameTables<'_>,
        scratch: &Scratch<'_>,
        run: &mut Run<'_>,
        first: usize,
    ) {
        let common = &scratch.common;
        for (offset, p) in common.postings.iter().enumerate() {
            let index = first + offset;
            let (origin, commodity, quantity) = {
                let posting = &run.postings[index];
                (posting.origin, posting.commodity, posting.quantity)
            };
            if origin == Origin::Written && !known.declared_precision[commodity.index()] {
                run.note_scale(commodity, quantity.scale());
            }
            let tags = common.posting_tags(p);
            if !tags.is_empty() || p.comment.is_some() {
                let tags = store_tags(&mut run.tags, tags);
                run.posting_extras.push(PostingExtra {
                    cost: None,
                    assertion: None,
                    tags,
                    comment: p.comment.as_deref().map(Into::into),
                });
                run.postings[index].extra = super::index_u32(run.posting_extras.len() - 1);
            }
        }
        let header_tags = common.header_tags();
        let extra = (common.code.is_some() || !header_tags.is_empty() || common.comment.is_some())
            .then(|| TransactionExtra {
                aux_date: None,
                code: common.code.map(Into::into),
                comment: common.comment.as_deref().map(Into::into),
                tags: store_tags(&mut run.tags, header_tags),
            });
        run.push_transaction(
            block,
            common.date,
            common.status,
            common.payee,
            extra,
            first,
            true,
        );
    }
}
