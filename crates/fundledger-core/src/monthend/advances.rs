//! Field advances (仮払金): money handed to a named person
//! (`Assets:Advances:<person>`, in any currency) and settled later.
//!
//! A transaction that credits an advance settles it; each of its other
//! postings says how: an expense is *spending*, receipted unless the
//! posting (or its transaction) carries `receipt: none`, in which case it
//! must name its approver in `approved-by:` (E802 otherwise; with
//! `[advances] approvers` set, the approver must be one of them); money back
//! into a bank or cash account is *cash returned*; an income or expense
//! account of foreign exchange is an *FX difference*. [`report`] lists, per
//! person and commodity, every movement and the balance still open with the
//! date it opened and its age; `check` warns (W803) of an advance open more
//! than `[advances] max_days` before the journal's last date.
//!
//! `check` also warns (W802) while a suspense account (`[close]
//! suspense_accounts`) holds a balance: a cash count's difference waits there
//! until it is approved and cleared to other losses or gains.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::diagnostic::{Code, Diagnostic, Location};
use crate::model::journal::{CommodityId, Journal, Posting, Transaction};
use crate::model::money::{self, Decimal};
use crate::model::settings::AccountClass;

/// The tag that marks spending without a receipt (`receipt: none`).
pub const RECEIPT_TAG: &str = "receipt";
/// The tag naming who approved spending without a receipt.
pub const APPROVED_BY_TAG: &str = "approved-by";

/// The `[advances]` table of `fundledger.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvanceSettings {
    /// The parent of the per-person advance accounts.
    #[serde(default = "default_prefix")]
    pub account: String,
    /// `check` warns (W803) of an advance open longer than this.
    #[serde(default)]
    pub max_days: Option<u32>,
    /// Who may approve spending without a receipt (board members); any
    /// name when empty.
    #[serde(default)]
    pub approvers: Vec<String>,
}

fn default_prefix() -> String {
    "Assets:Advances".to_string()
}

impl Default for AdvanceSettings {
    fn default() -> Self {
        AdvanceSettings {
            account: default_prefix(),
            max_days: None,
            approvers: Vec::new(),
        }
    }
}

/// How a movement changed an advance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Movement {
    /// Money handed over (or carried).
    Advanced,
    /// Spending with a receipt.
    Receipted,
    /// Spending without a receipt, approved.
    Unreceipted,
    /// Money given back.
    Returned,
    /// An exchange-rate difference.
    FxDifference,
    /// Anything else (a transfer between advances, a correction).
    Other,
}

/// One movement of an advance.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    /// The date.
    pub date: NaiveDate,
    /// What it was.
    pub kind: Movement,
    /// Signed, in the advance's commodity (negative settles).
    pub amount: Decimal,
    /// The amount with its commodity.
    pub amount_text: String,
    /// The payee.
    pub description: String,
    /// Who approved it (unreceipted spending).
    pub approved_by: Option<String>,
    /// `FILE:LINE` of the transaction.
    pub location: String,
}

/// One person's advance in one commodity.
#[derive(Clone, Debug, Serialize)]
pub struct Advance {
    /// The person (the last part of the account).
    pub person: String,
    /// The account.
    pub account: String,
    /// The commodity.
    pub commodity: String,
    /// Every movement to the report date.
    pub lines: Vec<Line>,
    /// Still open at the report date.
    pub open: Decimal,
    /// The open amount with its commodity.
    pub open_text: String,
    /// When the open balance was last zero before (the advance's date).
    pub open_since: Option<NaiveDate>,
    /// Days open at the report date.
    pub age_days: Option<i64>,
}

fn tag<'a>(
    journal: &'a Journal,
    t: &Transaction,
    p: &crate::model::journal::Posting,
    name: &str,
) -> Option<&'a str> {
    journal.posting_tag(p, name).or_else(|| {
        journal
            .transaction_tags(t)
            .iter()
            .find(|tag| tag.name == name)
            .map(|tag| tag.value)
    })
}

fn is_under(account: &str, prefix: &str) -> bool {
    account
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with(':'))
}

/// Every advance to `as_of`, by person and commodity.
///
/// # Errors
/// [`money::Overflow`] when a balance overflows.
pub fn report(journal: &Journal, as_of: NaiveDate) -> Result<Vec<Advance>, money::Overflow> {
    let settings = journal.settings();
    let prefix = &settings.advances.account;
    let fx = &settings.close.fx_revaluation_account;
    let mut advances: Vec<(String, CommodityId, Advance)> = Vec::new();
    for t in journal.transactions().iter().filter(|t| t.date <= as_of) {
        let postings = journal.postings(t);
        for p in postings {
            let account = journal.account_name(p.account);
            if !is_under(account, prefix) || p.quantity.is_zero() {
                continue;
            }
            let kind = if p.quantity.is_sign_positive() {
                Movement::Advanced
            } else {
                // What the other postings of a settlement are.
                let other = postings.iter().find(|o| {
                    o.commodity == p.commodity
                        && o.quantity.is_sign_positive()
                        && o.account != p.account
                });
                match other {
                    None => Movement::Other,
                    Some(o) => {
                        let name = journal.account_name(o.account);
                        let class = journal.account_class(o.account);
                        if name == fx || name.contains("ForeignExchange") {
                            Movement::FxDifference
                        } else if class == Some(AccountClass::Expenses) {
                            if tag(journal, t, o, RECEIPT_TAG) == Some("none") {
                                Movement::Unreceipted
                            } else {
                                Movement::Receipted
                            }
                        } else if settings.reconcile.covers(name) {
                            Movement::Returned
                        } else {
                            Movement::Other
                        }
                    }
                }
            };
            let approved_by = postings
                .iter()
                .find_map(|o| tag(journal, t, o, APPROVED_BY_TAG))
                .filter(|_| kind == Movement::Unreceipted)
                .map(str::to_string);
            let index = match advances
                .iter()
                .position(|(a, c, _)| a == account && *c == p.commodity)
            {
                Some(i) => i,
                None => {
                    advances.push((
                        account.to_string(),
                        p.commodity,
                        Advance {
                            person: account.rsplit(':').next().unwrap_or(account).to_string(),
                            account: account.to_string(),
                            commodity: journal.commodity_name(p.commodity).to_string(),
                            lines: Vec::new(),
                            open: Decimal::ZERO,
                            open_text: String::new(),
                            open_since: None,
                            age_days: None,
                        },
                    ));
                    advances.len() - 1
                }
            };
            let advance = &mut advances[index].2;
            if advance.open.is_zero() {
                advance.open_since = Some(t.date);
            }
            advance.open = money::checked_add(advance.open, p.quantity)?;
            if advance.open.is_zero() {
                advance.open_since = None;
            }
            advance.lines.push(Line {
                date: t.date,
                kind,
                amount: p.quantity,
                amount_text: journal.format_amount(p.quantity, p.commodity),
                description: journal.payee(t).to_string(),
                approved_by,
                location: location(journal, t),
            });
        }
    }
    let mut out: Vec<Advance> = advances
        .into_iter()
        .map(|(_, commodity, mut a)| {
            a.open_text = journal.format_amount(a.open, commodity);
            a.age_days = a.open_since.map(|d| (as_of - d).num_days());
            a
        })
        .collect();
    out.sort_by(|a, b| (&a.person, &a.commodity).cmp(&(&b.person, &b.commodity)));
    Ok(out)
}

fn location(journal: &Journal, t: &Transaction) -> String {
    crate::monthend::reconcile::location_of(journal, t.file, t.line)
}

/// `report advances` as text.
pub fn render_text(as_of: NaiveDate, advances: &[Advance]) -> String {
    let mut out = format!("Advances (仮払金) as of {as_of}\n");
    if advances.is_empty() {
        out.push_str("  (none)\n");
    }
    for a in advances {
        let status = match (a.open_since, a.age_days) {
            (Some(since), Some(age)) => format!("open {} since {since} ({age} days)", a.open_text),
            _ => "settled".to_string(),
        };
        out.push_str(&format!("{} ({}): {status}\n", a.person, a.commodity));
        for l in &a.lines {
            let kind = match l.kind {
                Movement::Advanced => "advanced",
                Movement::Receipted => "spent, receipted",
                Movement::Unreceipted => "spent, no receipt",
                Movement::Returned => "cash returned",
                Movement::FxDifference => "FX difference",
                Movement::Other => "other",
            };
            out.push_str(&format!(
                "  {}  {:<18} {:>16}  {}{}  ({})\n",
                l.date,
                kind,
                l.amount_text,
                l.description,
                l.approved_by
                    .as_ref()
                    .map(|a| format!(" [approved by {a}]"))
                    .unwrap_or_default(),
                l.location
            ));
        }
    }
    out
}

/// E802 (located by the caller) for spending `p` without a receipt
/// (`receipt: none`) that names no approver, or one not among `[advances]
/// approvers`.
fn unapproved_unreceipted(journal: &Journal, t: &Transaction, p: &Posting) -> Option<Diagnostic> {
    if p.quantity.is_sign_negative() || tag(journal, t, p, RECEIPT_TAG) != Some("none") {
        return None;
    }
    let settings = journal.settings();
    let approver = journal
        .postings(t)
        .iter()
        .find_map(|o| tag(journal, t, o, APPROVED_BY_TAG));
    let known = settings.advances.approvers.is_empty()
        || approver.is_some_and(|a| settings.advances.approvers.iter().any(|k| k == a));
    if approver.is_some() && known {
        return None;
    }
    Some(
        Diagnostic::new(
            Code::UnapprovedUnreceipted,
            format!(
                "spending of {} without a receipt names {}",
                journal.format_amount(p.quantity, p.commodity),
                match approver {
                    None => "no approver".to_string(),
                    Some(a) => format!("{a:?}, who is not among [advances] approvers"),
                }
            ),
        )
        .expected(format!(
            "`; {APPROVED_BY_TAG}: NAME` on the posting or transaction, naming a board member{}",
            if settings.advances.approvers.is_empty() {
                String::new()
            } else {
                format!(" ({})", settings.advances.approvers.join(", "))
            }
        )),
    )
}

/// `check`'s problems with advances and suspense: E802 for spending without
/// a receipt that names no (or no known) approver, W803 for an advance open
/// past `[advances] max_days`, W802 for a suspense account holding a balance.
pub fn problems(journal: &Journal) -> Vec<Diagnostic> {
    let settings = journal.settings();
    let mut out = Vec::new();
    let at = |t: &Transaction, line: u32| Location {
        path: journal
            .files()
            .get(t.file as usize)
            .cloned()
            .unwrap_or_default(),
        line,
    };
    let mut suspense: Vec<(String, Decimal, CommodityId, Location)> = Vec::new();
    // Per account id: whether it is a suspense account (or under one).
    let is_suspense: Vec<bool> = journal
        .account_ids()
        .map(|a| {
            let name = journal.account_name(a);
            settings
                .close
                .suspense_accounts
                .iter()
                .any(|s| name == s || is_under(name, s))
        })
        .collect();
    // Side by side in chunks of the journal: the postings to suspense
    // accounts (summed in order after), and spending without a receipt.
    let chunks = crate::load::checks::in_chunks(journal, |range| {
        let mut suspense_postings: Vec<(&Transaction, &Posting)> = Vec::new();
        let mut found = Vec::new();
        for t in &journal.transactions()[range] {
            for p in journal.postings(t) {
                if is_suspense.get(p.account.index()).copied().unwrap_or(false) {
                    suspense_postings.push((t, p));
                }
                if let Some(d) = unapproved_unreceipted(journal, t, p) {
                    found.push(d.at(at(t, p.line)));
                }
            }
        }
        (suspense_postings, found)
    });
    for (suspense_postings, found) in chunks {
        out.extend(found);
        for (t, p) in suspense_postings {
            let name = journal.account_name(p.account);
            match suspense
                .iter_mut()
                .find(|(a, _, c, _)| a == name && *c == p.commodity)
            {
                Some(entry) => {
                    entry.1 = money::checked_add(entry.1, p.quantity).unwrap_or(entry.1);
                    entry.3 = at(t, p.line);
                }
                None => suspense.push((name.to_string(), p.quantity, p.commodity, at(t, p.line))),
            }
        }
    }
    for (name, balance, commodity, location) in suspense {
        if !balance.is_zero() {
            out.push(
                Diagnostic::new(
                    Code::SuspenseBalance,
                    format!(
                        "{name} holds {} (a cash count difference or an unexplained item)",
                        journal.format_amount(balance, commodity)
                    ),
                )
                .at(location)
                .expected("the difference approved and cleared to other losses or gains (雑損失/雑収益); the year close refuses while suspense holds a balance"),
            );
        }
    }
    if let (Some(max_days), Some(last)) = (
        settings.advances.max_days,
        journal.transactions().iter().map(|t| t.date).max(),
    ) {
        if let Ok(advances) = report(journal, last) {
            for a in advances {
                if let (Some(age), Some(line)) = (a.age_days, a.lines.last()) {
                    if age > i64::from(max_days) {
                        let (path, number) = line.location.rsplit_once(':').unwrap_or(("", "0"));
                        out.push(
                            Diagnostic::new(
                                Code::AdvanceOpenTooLong,
                                format!(
                                    "the advance to {} of {} has been open since {} ({age} days to {last})",
                                    a.person,
                                    a.open_text,
                                    a.open_since.unwrap_or(last)
                                ),
                            )
                            .at(Location {
                                path: settings.root.join(path),
                                line: number.parse().unwrap_or(0),
                            })
                            .expected(format!(
                                "advances settled within {max_days} days ([advances] max_days): receipts, approved unreceipted spending, or cash returned"
                            )),
                        );
                    }
                }
            }
        }
    }
    out
}
