//! Parsed, not yet validated transactions: what a transaction block says,
//! borrowed from the source text where possible.
//!
//! Both parsers produce this form: the fast path ([`crate::read::fastpath`]) for the
//! common shape of transaction, and ledger-parser (through
//! [`from_ledger_parser`]) for everything else. The differential tests hold
//! them to giving the same value on every block the fast path accepts.

use std::borrow::Cow;

use chrono::NaiveDate;
use ledger_parser::{Balance as ParsedBalance, Price as ParsedPrice, Reality, TagValue};

use crate::model::journal::{CostKind, PostingKind, Status};
use crate::model::money::Decimal;

/// A `name: value` tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawTag<'a> {
    /// The name.
    pub name: Cow<'a, str>,
    /// The value ("" for a bare `:tag:`).
    pub value: Cow<'a, str>,
}

/// An amount as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawAmount<'a> {
    /// The quantity, with the scale it was written with.
    pub quantity: Decimal,
    /// The commodity symbol.
    pub commodity: Cow<'a, str>,
}

/// A cost as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawCost<'a> {
    /// `@` or `@@` (or `{}`/`{{}}` when no `@` is given).
    pub kind: CostKind,
    /// The price or total.
    pub amount: RawAmount<'a>,
}

/// A balance assertion as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawAssertion<'a> {
    /// `= AMOUNT`.
    Amount(RawAmount<'a>),
    /// `= 0`.
    Zero,
}

/// A posting as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawPosting<'a> {
    /// Its line within the block (the header is line 1).
    pub line_in_block: u32,
    /// The account, trimmed, without `()`/`[]`.
    pub account: Cow<'a, str>,
    /// Real or virtual.
    pub kind: PostingKind,
    /// The posting's own mark.
    pub status: Status,
    /// The amount, unless elided.
    pub amount: Option<RawAmount<'a>>,
    /// The cost.
    pub cost: Option<Box<RawCost<'a>>>,
    /// A balance assertion.
    pub assertion: Option<Box<RawAssertion<'a>>>,
    /// The value of the first `fund:` tag.
    pub fund: Option<Cow<'a, str>>,
    /// The other tags (every `fund:` tag left out).
    pub tags: Vec<RawTag<'a>>,
    /// Comment text that is not a tag.
    pub comment: Option<Cow<'a, str>>,
}

/// A transaction as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawTransaction<'a> {
    /// The date.
    pub date: NaiveDate,
    /// The auxiliary date (`DATE=AUX`), when written.
    pub aux_date: Option<NaiveDate>,
    /// The mark.
    pub status: Status,
    /// `(CODE)`.
    pub code: Option<Cow<'a, str>>,
    /// The payee, trimmed ("" when none).
    pub payee: Cow<'a, str>,
    /// The value of the first header `fund:` tag.
    pub fund: Option<Cow<'a, str>>,
    /// The other header tags (every `fund:` tag left out).
    pub tags: Vec<RawTag<'a>>,
    /// Header comment text that is not a tag.
    pub comment: Option<Cow<'a, str>>,
    /// The postings in order.
    pub postings: Vec<RawPosting<'a>>,
}

fn status_of(status: Option<ledger_parser::TransactionStatus>) -> Status {
    match status {
        Some(ledger_parser::TransactionStatus::Cleared) => Status::Cleared,
        Some(ledger_parser::TransactionStatus::Pending) => Status::Pending,
        None => Status::Unmarked,
    }
}

fn amount_of(a: ledger_parser::Amount) -> RawAmount<'static> {
    RawAmount {
        quantity: a.quantity,
        commodity: Cow::Owned(a.commodity.name),
    }
}

/// Splits ledger-parser's tags and comment into tags and the remaining
/// comment text. Comment lines of the form `name: value` whose name
/// ledger-parser does not take as a tag (it needs an alphanumeric name, so
/// `import-id:` is not one) become tags here too.
pub fn tags_and_comment(
    tags: Vec<ledger_parser::Tag>,
    comment: Option<String>,
) -> (Vec<RawTag<'static>>, Option<Cow<'static, str>>) {
    let mut out: Vec<RawTag<'static>> = tags
        .into_iter()
        .map(|t| RawTag {
            name: Cow::Owned(t.name),
            value: Cow::Owned(match t.value {
                None => String::new(),
                Some(TagValue::String(s)) => s.trim().to_string(),
                Some(TagValue::Integer(i)) => i.to_string(),
                Some(TagValue::Float(f)) => f.to_string(),
                Some(TagValue::Date(d)) => d.to_string(),
            }),
        })
        .collect();
    let mut rest = Vec::new();
    for line in comment.as_deref().unwrap_or("").lines() {
        let trimmed = line.trim();
        match trimmed.split_once(": ") {
            Some((name, value))
                if !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '_') =>
            {
                out.push(RawTag {
                    name: Cow::Owned(name.to_string()),
                    value: Cow::Owned(value.trim().to_string()),
                })
            }
            _ if !trimmed.is_empty() => rest.push(trimmed),
            _ => {}
        }
    }
    let comment = (!rest.is_empty()).then(|| Cow::Owned(rest.join("\n")));
    (out, comment)
}

/// Takes the first `fund:` tag out of `tags` and returns its value; any
/// later `fund:` tag stays among the tags, for the loader to refuse.
pub fn take_fund<'a>(tags: &mut Vec<RawTag<'a>>) -> Option<Cow<'a, str>> {
    let first = tags.iter().position(|t| t.name == "fund")?;
    Some(tags.remove(first).value)
}

/// Converts ledger-parser's transaction into the raw form. Posting lines are
/// left at 0: ledger-parser does not know them (see
/// [`crate::read::parse::parse_slow`]).
pub fn from_ledger_parser(t: ledger_parser::Transaction) -> RawTransaction<'static> {
    let (mut tags, comment) = tags_and_comment(t.posting_metadata.tags, t.comment);
    let fund = take_fund(&mut tags);
    let postings = t
        .postings
        .into_iter()
        .map(|p| {
            let (mut tags, comment) = tags_and_comment(p.metadata.tags, p.comment);
            let fund = take_fund(&mut tags);
            let (amount, cost) = match p.amount {
                None => (None, None),
                Some(a) => {
                    // A lot price `{…}` is read and ignored, as hledger
                    // does: only `@`/`@@` is a cost.
                    let cost = match a.price {
                        Some(ParsedPrice::Unit(c)) => Some(RawCost {
                            kind: CostKind::PerUnit,
                            amount: amount_of(c),
                        }),
                        Some(ParsedPrice::Total(c)) => Some(RawCost {
                            kind: CostKind::Total,
                            amount: amount_of(c),
                        }),
                        None => None,
                    };
                    (Some(amount_of(a.amount)), cost)
                }
            };
            RawPosting {
                line_in_block: 0,
                account: Cow::Owned(p.account.trim().to_string()),
                kind: match p.reality {
                    Reality::Real => PostingKind::Real,
                    Reality::BalancedVirtual => PostingKind::BalancedVirtual,
                    Reality::UnbalancedVirtual => PostingKind::UnbalancedVirtual,
                },
                status: status_of(p.status),
                amount,
                cost: cost.map(Box::new),
                assertion: p.balance.map(|b| {
                    Box::new(match b {
                        ParsedBalance::Zero => RawAssertion::Zero,
                        ParsedBalance::Amount(a) => RawAssertion::Amount(amount_of(a)),
                    })
                }),
                fund,
                tags,
                comment,
            }
        })
        .collect();
    RawTransaction {
        date: t.date,
        aux_date: t.effective_date,
        status: status_of(t.status),
        code: t.code.map(Cow::Owned),
        payee: Cow::Owned(t.description.unwrap_or_default().trim().to_string()),
        fund,
        tags,
        comment,
        postings,
    }
}
