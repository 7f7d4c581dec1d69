//! The register of money taken or sent abroad (`report remittances`).
//!
//! A remittance is a posting that brings a foreign currency (a commodity
//! other than the base currency that is not a unit of measure) into a bank
//! or cash account (`[reconcile] accounts`) or into an advance
//! (`[advances] account`: a member carrying cash), in a transaction that
//! pays for it in the base currency. Its yen amount is its cost (`@`/`@@`)
//! in the base currency. The carrier is the advance's person, else the
//! transaction's `carrier:` tag; the destination its `destination:` tag,
//! else the account; the purpose the payee. A carriage is the advance
//! itself: the same event is never listed twice. `check` warns (W804) of a
//! single remittance transaction over `[remittances] threshold` (2,000,000
//! in the base currency by default).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::diagnostic::{Code, Diagnostic, Location};
use crate::model::journal::{CommodityId, Journal, Posting, PostingKind, Transaction};
use crate::model::money::{self, Decimal};

/// The `[remittances]` table of `fundledger.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemittanceSettings {
    /// `check` warns (W804) of a single remittance above this, in the base
    /// currency.
    #[serde(default = "default_threshold")]
    pub threshold: Decimal,
}

fn default_threshold() -> Decimal {
    Decimal::from(2_000_000)
}

impl Default for RemittanceSettings {
    fn default() -> Self {
        RemittanceSettings {
            threshold: default_threshold(),
        }
    }
}

/// One remittance.
#[derive(Clone, Debug, Serialize)]
pub struct Remittance {
    /// The date.
    pub date: NaiveDate,
    /// Its cost in the base currency.
    pub base_amount: Decimal,
    /// The foreign amount with its currency.
    pub foreign: String,
    /// Who carried it (an advance's person, a `carrier:` tag), if known.
    pub carrier: Option<String>,
    /// Where it went (a `destination:` tag, else the account).
    pub destination: String,
    /// What for (the payee).
    pub purpose: String,
    /// The fund, by its name.
    pub fund: String,
    /// `FILE:LINE`.
    pub location: String,
}

fn transaction_tag<'a>(journal: &'a Journal, t: &Transaction, name: &str) -> Option<&'a str> {
    journal
        .transaction_tags(t)
        .iter()
        .find(|tag| tag.name == name)
        .map(|tag| tag.value)
}

/// What decides whether a posting is a remittance, worked out once per
/// journal: the base currency, and per commodity and per account id the
/// settings' answers, so each posting costs look-ups by index.
struct Remitting {
    base: CommodityId,
    /// Per commodity id: a unit of measure (never money sent abroad).
    is_unit: Vec<bool>,
    /// Per account id: `None` when money brought into it is no remittance;
    /// `Some(person)` for an advance's account (`Some(None)` for a bank or
    /// cash account reconciled).
    carrier: Vec<Option<Option<String>>>,
}

impl Remitting {
    /// `None` when the journal has no base currency.
    fn new(journal: &Journal) -> Option<Remitting> {
        let settings = journal.settings();
        let base = settings
            .base_currency
            .as_deref()
            .and_then(|b| journal.commodity_id(b))?;
        let advances = &settings.advances.account;
        let is_unit = journal
            .commodity_ids()
            .map(|c| {
                let symbol = journal.commodity_name(c);
                settings.commodities.iter().any(|d| {
                    d.symbol == symbol && d.kind == crate::model::settings::CommodityKind::Unit
                })
            })
            .collect();
        let carrier = journal
            .account_ids()
            .map(|a| {
                let account = journal.account_name(a);
                let carried_by = account
                    .strip_prefix(advances.as_str())
                    .and_then(|rest| rest.strip_prefix(':'))
                    .map(str::to_string);
                (carried_by.is_some() || settings.reconcile.covers(account)).then_some(carried_by)
            })
            .collect();
        Some(Remitting {
            base,
            is_unit,
            carrier,
        })
    }

    /// The remittance postings of `t`, each with its cost in the base
    /// currency and the advance's person who carried it, if any.
    fn postings<'j>(
        &'j self,
        journal: &'j Journal,
        t: &'j Transaction,
    ) -> impl Iterator<Item = (&'j Posting, Decimal, Option<&'j str>)> + 'j {
        journal.postings(t).iter().filter_map(move |p| {
            if p.kind != PostingKind::Real
                || p.commodity == self.base
                || !p.quantity.is_sign_positive()
            {
                return None;
            }
            let is_unit = self
                .is_unit
                .get(p.commodity.index())
                .copied()
                .unwrap_or(false);
            let (weight, weight_commodity) = journal.weight(p);
            if is_unit || weight_commodity != self.base {
                return None;
            }
            let carried_by = self.carrier.get(p.account.index())?.as_ref()?;
            Some((p, weight, carried_by.as_deref()))
        })
    }
}

/// The remittances of one transaction.
fn of_transaction(journal: &Journal, remitting: &Remitting, t: &Transaction) -> Vec<Remittance> {
    let settings = journal.settings();
    remitting
        .postings(journal, t)
        .map(|(p, weight, carried_by)| {
            let account = journal.account_name(p.account);
            Remittance {
                date: t.date,
                base_amount: weight,
                foreign: journal.format_amount(p.quantity, p.commodity),
                carrier: carried_by
                    .or_else(|| transaction_tag(journal, t, "carrier"))
                    .map(str::to_string),
                destination: journal
                    .posting_tag(p, "destination")
                    .or_else(|| transaction_tag(journal, t, "destination"))
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        crate::reports::words::account(
                            settings,
                            account,
                            crate::reports::statement::Language::En,
                        )
                    }),
                purpose: journal.payee(t).to_string(),
                fund: crate::reports::words::fund(
                    settings,
                    journal.fund_name(p.fund),
                    crate::reports::statement::Language::En,
                ),
                location: crate::monthend::reconcile::location_of(journal, t.file, p.line),
            }
        })
        .collect()
}

/// Every remittance dated in `[begin, end)`.
pub fn report(journal: &Journal, begin: NaiveDate, end: NaiveDate) -> Vec<Remittance> {
    let Some(remitting) = Remitting::new(journal) else {
        return Vec::new();
    };
    journal
        .transactions()
        .iter()
        .filter(|t| t.date >= begin && t.date < end)
        .flat_map(|t| of_transaction(journal, &remitting, t))
        .collect()
}

/// `report remittances` as text.
pub fn render_text(
    journal: &Journal,
    begin: NaiveDate,
    end: NaiveDate,
    rows: &[Remittance],
) -> String {
    let base = journal.settings().base_currency.clone().unwrap_or_default();
    let mut out = format!(
        "Money taken or sent abroad, {begin} to {}\n",
        end.pred_opt().unwrap_or(end)
    );
    out.push_str(&format!(
        "{:<10}  {:>12}  {:>16}  {:<12}  {:<22}  {:<14}  {}\n",
        "Date", base, "Currency", "Carrier", "Destination", "Fund", "Purpose"
    ));
    for r in rows {
        out.push_str(&format!(
            "{:<10}  {:>12}  {:>16}  {:<12}  {:<22}  {:<14}  {}  ({})\n",
            r.date,
            money::format_plain(r.base_amount, 0),
            r.foreign,
            r.carrier.as_deref().unwrap_or("-"),
            r.destination,
            r.fund,
            r.purpose,
            r.location
        ));
    }
    // Every row counts in the total the board signs, or no total is shown.
    let total = match money::checked_sum(rows.iter().map(|r| r.base_amount)) {
        Ok(total) => money::format_plain(total, 0),
        Err(_) => "(too large to add up)".to_string(),
    };
    out.push_str(&format!(
        "Total {total:>18} {base} in {} remittance(s)\nSigned (board member): ____________________\n",
        rows.len()
    ));
    out
}

/// W804 for each transaction whose remittances exceed `[remittances]
/// threshold` together.
pub fn problems(journal: &Journal) -> Vec<Diagnostic> {
    let threshold = journal.settings().remittances.threshold;
    let Some(remitting) = Remitting::new(journal) else {
        return Vec::new();
    };
    // Side by side in chunks of the journal, joined in order.
    crate::load::checks::per_transaction(journal, |t, out| {
        let mut rows = remitting.postings(journal, t).peekable();
        if rows.peek().is_none() {
            return;
        }
        // A sum too large to add up is over any threshold.
        let total = money::checked_sum(rows.map(|(_, weight, _)| weight)).ok();
        if total.is_none_or(|total| total > threshold) {
            out.push(
                Diagnostic::new(
                    Code::LargeRemittance,
                    format!(
                        "{} sends {} abroad in one transaction, over the threshold of {}",
                        t.date,
                        total.map_or("an amount too large to add up".to_string(), |total| {
                            money::format_plain(total, 0)
                        }),
                        money::format_plain(threshold, 0)
                    ),
                )
                .at(Location {
                    path: journal.files().get(t.file as usize).cloned().unwrap_or_default(),
                    line: t.line,
                })
                .expected("a remittance the board has approved (raise [remittances] threshold if this size is normal)"),
            );
        }
    })
}
