//! Where each restricted gift went (`report impact`): the foster parents'
//! statement and the rice donors' statement.
//!
//! For every donor-restricted fund, the period's roll-forward is split into
//! **layers** of money, oldest first:
//!
//! 1. **brought forward**: the fund's opening net assets (gifts of earlier
//!    years, whoever gave them);
//! 2. one layer per gift of the period, in date order, named by the gift's
//!    `donor:` tag (a posting's tag wins over its transaction's); gifts
//!    without one form layers of "donors not recorded";
//! 3. a transfer into the fund, and a refund of spending, form a layer of
//!    their own at their date ("transfers in", "refunds").
//!
//! Money leaving the fund (spending, a transfer out, a gift returned) is
//! taken from the layers by the [`Method`]: **first in, first out** (the
//! oldest money still unspent goes first) or **pro rata** (every layer
//! still holding money gives in proportion to what it holds). A
//! foreign-exchange result is a change in the value of what the fund holds,
//! so under both methods it is shared among the layers still holding money
//! on its day in proportion to what each holds; a gain with nothing held
//! forms a layer "exchange gains". What no layer can cover (a fund spent
//! below zero, which `check` refuses as E402) is shown as a layer "not
//! covered by any gift", never hidden; later money does not refill it.
//!
//! Every split is made in the base currency by the largest-remainder
//! method ([`money::allocate`]), so the parts of each movement add up to
//! it exactly and each layer's `opening + gifts − spent ± transfers ±
//! exchange = unspent`; the layers of a fund add up to the fund's figures
//! in the statement of changes in funds (the statement engine's
//! [`Classified`] figures, and the analysis of funds' printed ties), or the
//! report is refused naming both figures.
//!
//! **Outputs.** A programme output (a virtual posting in a unit commodity,
//! `(Outputs:FoodAid:RiceDelivered) 780 kg`) is attributed to the layers in
//! proportion to their parts of the spending of the transaction that
//! records it or, when that transaction spends nothing of the fund, of the
//! fund's spending in the output's calendar month; an output in a month
//! without spending stays unattributed and is listed as such. Quantities
//! are split by the largest-remainder method at the unit's precision, so a
//! fund's attributed and unattributed outputs add up to its outputs. A
//! stock (children supported, counted monthly) is attributed as
//! unit-months.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::engine::{Classified, MovementKind};
use super::statement::{currency_word, Language, RowKind, Statement};
use super::valued::Valued;
use super::{words, ReportError};
use crate::donors::register::DonorRegister;
use crate::model::journal::{FundId, PostingKind};
use crate::model::money::{self, Decimal};
use crate::render::text::grouped;

/// How spending is allocated to the gifts of a fund.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// First in, first out: the oldest money still unspent goes first.
    #[default]
    Fifo,
    /// Pro rata: every layer holding money gives in proportion to it.
    ProRata,
}

/// Where a layer of a fund's money came from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "donor")]
pub enum Source {
    /// The fund's net assets at the start of the period.
    BroughtForward,
    /// A gift of the donor with this id.
    Donor(String),
    /// Gifts without a `donor:` tag.
    DonorsNotRecorded,
    /// Transfers from other funds.
    TransfersIn,
    /// Refunds of the fund's spending.
    Refunds,
    /// Exchange gains when nothing was held.
    ExchangeGains,
    /// Outflows no layer could cover (the fund went below zero).
    NotCovered,
}

/// The columns of a layer a movement is booked to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// Gifts (income).
    Gifts,
    /// Spending (expenses).
    Spending,
    /// Transfers between funds.
    Transfers,
    /// Exchange results.
    Exchange,
}

/// One layer of a fund's money (or several of one source, summed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// Brought forward from before the period.
    pub opening: Decimal,
    /// Gifts received.
    pub gifts: Decimal,
    /// Spent (positive).
    pub spent: Decimal,
    /// Transfers in (positive) and out (negative).
    pub transfers: Decimal,
    /// Exchange gains (positive) and losses (negative).
    pub exchange: Decimal,
    /// Still unspent at the end.
    pub unspent: Decimal,
}

impl Figures {
    fn add(&mut self, other: &Figures) -> Result<(), ReportError> {
        for (a, b) in [
            (&mut self.opening, other.opening),
            (&mut self.gifts, other.gifts),
            (&mut self.spent, other.spent),
            (&mut self.transfers, other.transfers),
            (&mut self.exchange, other.exchange),
            (&mut self.unspent, other.unspent),
        ] {
            super::acc(a, b)?;
        }
        Ok(())
    }

    /// `opening + gifts − spent + transfers + exchange`.
    ///
    /// # Errors
    /// [`ReportError::Overflow`].
    pub fn rolled_forward(&self) -> Result<Decimal, ReportError> {
        Ok(money::checked_sum([
            self.opening,
            self.gifts,
            money::negate(self.spent),
            self.transfers,
            self.exchange,
        ])?)
    }
}

/// A layer: its source, the day it arrived, and its figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// Where the money came from.
    pub source: Source,
    /// The day it arrived (`None`: brought forward).
    pub date: Option<NaiveDate>,
    /// Its roll-forward.
    pub figures: Figures,
}

/// The layers of one fund's money, oldest first, and the allocation of
/// every movement to them.
#[derive(Clone, Debug)]
pub struct Layers {
    /// The layers, oldest first (the first is brought forward).
    pub layers: Vec<Layer>,
    precision: u32,
}

/// The parts of one movement taken from each layer (index, amount).
pub type Parts = Vec<(usize, Decimal)>;

impl Layers {
    /// The layers of a fund holding `opening` at the start, with amounts at
    /// `precision` decimal places.
    pub fn new(opening: Decimal, precision: u32) -> Layers {
        Layers {
            layers: vec![Layer {
                source: Source::BroughtForward,
                date: None,
                figures: Figures {
                    opening,
                    unspent: opening,
                    ..Figures::default()
                },
            }],
            precision,
        }
    }

    fn book(figures: &mut Figures, column: Column, change: Decimal) -> Result<(), ReportError> {
        match column {
            Column::Gifts => super::acc(&mut figures.gifts, change)?,
            Column::Spending => super::acc(&mut figures.spent, money::negate(change))?,
            Column::Transfers => super::acc(&mut figures.transfers, change)?,
            Column::Exchange => super::acc(&mut figures.exchange, change)?,
        }
        super::acc(&mut figures.unspent, change)
    }

    /// A movement of the fund's net assets by `change` (positive: money
    /// in) on `date`, booked to `column`: money in forms a new layer of
    /// `source`; money out is taken from the layers by `method`. Exchange
    /// results go to [`Layers::exchange`]. Returns the parts taken from
    /// each layer (empty for money in).
    ///
    /// # Errors
    /// [`ReportError::Overflow`].
    pub fn movement(
        &mut self,
        method: Method,
        source: Source,
        date: NaiveDate,
        column: Column,
        change: Decimal,
    ) -> Result<Parts, ReportError> {
        if column == Column::Exchange {
            self.exchange(date, change)?;
            return Ok(Vec::new());
        }
        if change.is_zero() {
            return Ok(Vec::new());
        }
        if change.is_sign_positive() {
            let mut figures = Figures::default();
            Layers::book(&mut figures, column, change)?;
            self.layers.push(Layer {
                source,
                date: Some(date),
                figures,
            });
            return Ok(Vec::new());
        }
        let wanted = money::negate(change);
        let mut parts = match method {
            Method::Fifo => {
                let mut left = wanted;
                let mut parts = Vec::new();
                for (k, layer) in self.layers.iter().enumerate() {
                    if left.is_zero() {
                        break;
                    }
                    let held = layer.figures.unspent;
                    if held > Decimal::ZERO {
                        let part = held.min(left);
                        parts.push((k, part));
                        left = money::checked_sub(left, part)?;
                    }
                }
                parts
            }
            Method::ProRata => self.pro_rata(wanted)?,
        };
        let taken = money::checked_sum(parts.iter().map(|(_, p)| *p))?;
        let short = money::checked_sub(wanted, taken)?;
        if !short.is_zero() {
            parts.push((self.not_covered(), short));
        }
        for &(k, part) in &parts {
            Layers::book(&mut self.layers[k].figures, column, money::negate(part))?;
        }
        Ok(parts)
    }

    /// Splits `wanted` (positive) among the layers holding money in
    /// proportion to what each holds, at most all they hold (largest
    /// remainder, so the parts add up).
    fn pro_rata(&self, wanted: Decimal) -> Result<Parts, ReportError> {
        let holders: Vec<(usize, Decimal)> = self
            .layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.figures.unspent > Decimal::ZERO)
            .map(|(k, l)| (k, l.figures.unspent))
            .collect();
        if holders.is_empty() {
            return Ok(Vec::new());
        }
        let held = money::checked_sum(holders.iter().map(|(_, h)| *h))?;
        if wanted >= held {
            return Ok(holders);
        }
        let weights: Vec<Decimal> = holders.iter().map(|(_, h)| *h).collect();
        let split = money::allocate(wanted, &weights, self.precision)?;
        Ok(holders
            .iter()
            .zip(split)
            .map(|((k, _), part)| (*k, part))
            .filter(|(_, part)| !part.is_zero())
            .collect())
    }

    /// The layer of outflows nothing covered (created when first needed).
    fn not_covered(&mut self) -> usize {
        if let Some(k) = self
            .layers
            .iter()
            .position(|l| l.source == Source::NotCovered)
        {
            return k;
        }
        self.layers.push(Layer {
            source: Source::NotCovered,
            date: None,
            figures: Figures::default(),
        });
        self.layers.len() - 1
    }

    /// An exchange result of `change` on `date`: shared among the layers
    /// holding money in proportion to what each holds (a loss at most what
    /// they hold, the rest not covered); a gain with nothing held forms a
    /// layer of its own.
    ///
    /// # Errors
    /// [`ReportError::Overflow`].
    pub fn exchange(&mut self, date: NaiveDate, change: Decimal) -> Result<(), ReportError> {
        if change.is_zero() {
            return Ok(());
        }
        let holders: Vec<(usize, Decimal)> = self
            .layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.figures.unspent > Decimal::ZERO)
            .map(|(k, l)| (k, l.figures.unspent))
            .collect();
        let parts: Parts = if change.is_sign_positive() {
            if holders.is_empty() {
                self.layers.push(Layer {
                    source: Source::ExchangeGains,
                    date: Some(date),
                    figures: Figures::default(),
                });
                vec![(self.layers.len() - 1, change)]
            } else {
                let weights: Vec<Decimal> = holders.iter().map(|(_, h)| *h).collect();
                let split = money::allocate(change, &weights, self.precision)?;
                holders.iter().map(|(k, _)| *k).zip(split).collect()
            }
        } else {
            let mut parts: Parts = self
                .pro_rata(money::negate(change))?
                .into_iter()
                .map(|(k, p)| (k, money::negate(p)))
                .collect();
            let covered = money::checked_sum(parts.iter().map(|(_, p)| *p))?;
            let short = money::checked_sub(change, covered)?;
            if !short.is_zero() {
                parts.push((self.not_covered(), short));
            }
            parts
        };
        for (k, part) in parts {
            Layers::book(&mut self.layers[k].figures, Column::Exchange, part)?;
        }
        Ok(())
    }

    /// The figures of all layers together.
    ///
    /// # Errors
    /// [`ReportError::Overflow`].
    pub fn total(&self) -> Result<Figures, ReportError> {
        let mut total = Figures::default();
        for layer in &self.layers {
            total.add(&layer.figures)?;
        }
        Ok(total)
    }
}

/// What to report.
#[derive(Clone, Debug, Default)]
pub struct ImpactOptions {
    /// How spending is allocated.
    pub method: Method,
    /// Only this donor's statement (the fund tables still cover every gift).
    pub donor: Option<String>,
    /// Only these funds (each must be donor-restricted); empty: all.
    pub funds: Vec<String>,
    /// Name donors by their own names (personal data).
    pub with_personal_data: bool,
    /// The language of the words.
    pub language: Language,
}

/// A programme output attributed to a layer or left unattributed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutputLine {
    /// What was delivered, in words ("Rice delivered").
    pub output: String,
    /// The route or region, in words ("route RN-01"), or empty.
    pub dimension: String,
    /// The unit, in words (`kg`, `children`).
    pub unit: String,
    /// The quantity (unit-months for a stock).
    pub quantity: Decimal,
    /// Whether the unit is a stock counted monthly (the quantity is then
    /// unit-months).
    pub stock: bool,
    /// The first month of the outputs.
    pub first_month: NaiveDate,
    /// The last month.
    pub last_month: NaiveDate,
    /// The line in words.
    pub text: String,
}

/// One source's share of a fund's roll-forward.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceRow {
    /// Where the money came from.
    pub source: Source,
    /// The source in words (the donor's public name, or their own with
    /// personal data).
    pub label: String,
    /// Its figures.
    pub figures: Figures,
    /// The gifts of the period (date, amount), for a donor.
    pub gifts: Vec<(NaiveDate, Decimal)>,
    /// The outputs its spending paid for.
    pub outputs: Vec<OutputLine>,
}

/// A restricted fund: its roll-forward and who it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FundImpact {
    /// The fund's id (not serialised: reports a board reads show names).
    #[serde(skip)]
    pub fund: String,
    /// Its name in words.
    pub name: String,
    /// Its purpose in words.
    pub purpose: String,
    /// The fund's figures (equal to the statement of changes in funds).
    pub total: Figures,
    /// One row per source: brought forward, each donor, the rest.
    pub rows: Vec<SourceRow>,
    /// Outputs in months without spending of the fund.
    pub unattributed_outputs: Vec<OutputLine>,
}

/// One donor's statement: each restricted fund they gave to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DonorImpact {
    /// The donor's id.
    pub donor: String,
    /// The name shown.
    pub name: String,
    /// Per fund: the fund's name and purpose, and the donor's row.
    pub funds: Vec<DonorFund>,
}

/// A donor's part of one fund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DonorFund {
    /// The fund's name in words.
    pub fund: String,
    /// Its purpose.
    pub purpose: String,
    /// The donor's figures, gifts and outputs.
    pub row: SourceRow,
    /// The statement in one sentence.
    pub sentence: String,
}

/// `report impact`.
#[derive(Clone, Debug, Serialize)]
pub struct ImpactReport {
    /// The title.
    pub title: String,
    /// The organisation.
    pub organisation: String,
    /// The period in words.
    pub period: String,
    /// The last day of the period.
    pub as_of: NaiveDate,
    /// The base currency.
    pub currency: String,
    /// The method.
    pub method: Method,
    /// The allocation rule in words.
    pub rule: String,
    /// The language.
    pub language: Language,
    /// Every donor-restricted fund asked for.
    pub funds: Vec<FundImpact>,
    /// The donors' statements (one, with `--donor`).
    pub donors: Vec<DonorImpact>,
    /// Whether one donor was asked for: the statement addressed to them
    /// leaves out the funds' tables (which list the other donors).
    pub donor_only: bool,
    /// How many anonymous givers (register category `anonymous`) have no
    /// statement of their own: there is nobody to address it to (their
    /// gifts are in the funds' tables). Zero with `--donor`, which prints
    /// the statement asked for.
    pub anonymous_without_statement: usize,
}

/// The allocation rule in words.
pub fn rule(method: Method, language: Language) -> String {
    let (en, ja) = match method {
        Method::Fifo => (
            "Spending is allocated to gifts first in, first out: each payment uses the oldest money still unspent, first what was brought forward from earlier years, then this period's gifts in the order they arrived.",
            "支出は先入先出法で寄付に割り当てています。各支出は、まだ使われていない最も古いお金から、すなわちまず前期からの繰越額、次に当期の寄付を受け取った順に使ったものとしています。",
        ),
        Method::ProRata => (
            "Spending is allocated to gifts pro rata: each payment is shared among all the money still unspent on its day, in proportion to what each gift still holds.",
            "支出は按分法で寄付に割り当てています。各支出は、その日にまだ使われていないすべてのお金に、各寄付の残高に比例して配分しています。",
        ),
    };
    let (rest_en, rest_ja) = (
        "A transfer out of the fund is taken the same way; a transfer in is new money, spent after what came before it. An exchange gain or loss is shared among the gifts still unspent on its day in proportion to what each holds. Outputs are attributed to gifts in proportion to their part of the spending of the entry that records them or, when that entry spends nothing, of the fund's spending in that month (a count such as children supported as unit-months). Money is split to the yen and outputs to their unit by the largest-remainder method, so the parts add up to the whole.",
        "他の基金への振替は支出と同じ順で、他の基金からの振替はその日に受け取った新しいお金として扱います。為替差損益は、その日に残っている寄付に残高に比例して配分します。事業の成果は、成果を記録した取引の支出（その取引に支出がない場合はその月の基金の支出）に占める各寄付の割合で配分しています（支援した子どもの数などは延べ人月）。金額は円単位、成果はその単位で最大剰余法により配分し、部分の合計は全体に一致します。",
    );
    match language {
        Language::En => format!("{en} {rest_en}"),
        Language::Ja => format!("{ja}{rest_ja}"),
    }
}

/// Groups the parts of an attributed output.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct OutputKey {
    account: String,
    commodity: String,
    dimension: String,
}

/// Quantities of outputs by output and month.
type OutputsByMonth = BTreeMap<OutputKey, BTreeMap<NaiveDate, Decimal>>;

/// The layers of one source of a fund, summed.
struct SourceSums {
    source: Source,
    figures: Figures,
    gifts: Vec<(NaiveDate, Decimal)>,
    outputs: OutputsByMonth,
}

/// A fund's allocation: its layers, the spending parts of each transaction
/// and month, and the outputs to attribute.
struct FundAllocation {
    layers: Layers,
    /// Per transaction index: the parts its spending took.
    spent_by_transaction: BTreeMap<usize, BTreeMap<usize, Decimal>>,
    /// Per month: the parts the month's spending took.
    spent_by_month: BTreeMap<NaiveDate, BTreeMap<usize, Decimal>>,
    /// Per layer: output → month → quantity.
    outputs: BTreeMap<usize, OutputsByMonth>,
    unattributed: OutputsByMonth,
}

fn month_of(day: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day)
}

fn add_to(map: &mut BTreeMap<usize, Decimal>, parts: &Parts) -> Result<(), ReportError> {
    for &(k, part) in parts {
        super::acc(map.entry(k).or_default(), part)?;
    }
    Ok(())
}

/// The donor of a posting: its own `donor:` tag, else its transaction's.
fn donor_of<'j>(
    journal: &'j crate::Journal,
    t: &'j crate::model::journal::Transaction,
    p: &'j crate::model::journal::Posting,
) -> Option<&'j str> {
    journal.posting_tag(p, "donor").or_else(|| {
        journal
            .transaction_tags(t)
            .iter()
            .find(|tag| tag.name == "donor")
            .map(|tag| tag.value)
    })
}

/// Every donor id named by a `donor:` tag in the journal.
pub fn tagged_donors(journal: &crate::Journal) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for t in journal.transactions() {
        for tag in journal.transaction_tags(t) {
            if tag.name == "donor" {
                ids.insert(tag.value.to_string());
            }
        }
        for p in journal.postings(t) {
            if let Some(v) = journal.posting_tag(p, "donor") {
                ids.insert(v.to_string());
            }
        }
    }
    ids
}

/// Allocates the movements of `fund` in the period to its layers.
fn allocate_fund(
    c: &Classified<'_, '_>,
    fund: FundId,
    opening: Decimal,
    method: Method,
) -> Result<FundAllocation, ReportError> {
    let valued = c.valued;
    let journal = valued.journal;
    let mut allocation = FundAllocation {
        layers: Layers::new(opening, valued.precision),
        spent_by_transaction: BTreeMap::new(),
        spent_by_month: BTreeMap::new(),
        outputs: BTreeMap::new(),
        unattributed: BTreeMap::new(),
    };
    let transactions = journal.transactions();
    let mut order: Vec<usize> = (0..transactions.len())
        .filter(|&i| transactions[i].date >= c.begin && transactions[i].date < c.end)
        .collect();
    order.sort_by_key(|&i| transactions[i].date);
    let mut with_outputs: Vec<usize> = Vec::new();
    for &i in &order {
        let t = &transactions[i];
        let start = t.posting_range().start;
        // The transaction's movements of this fund: gifts per donor, the
        // rest per kind, netted within the transaction.
        let mut gifts: BTreeMap<Option<&str>, Decimal> = BTreeMap::new();
        let (mut spending, mut transfers, mut exchange) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let mut has_outputs = false;
        for (offset, p) in journal.postings(t).iter().enumerate() {
            if p.fund != fund {
                continue;
            }
            if p.kind == PostingKind::UnbalancedVirtual {
                has_outputs = true;
                continue;
            }
            if p.kind != PostingKind::Real {
                continue;
            }
            let change = money::negate(valued.value(start + offset));
            match c.movement_kind(p.account) {
                None => {}
                Some(MovementKind::Income) => {
                    super::acc(gifts.entry(donor_of(journal, t, p)).or_default(), change)?
                }
                Some(MovementKind::Expense) => super::acc(&mut spending, change)?,
                Some(MovementKind::Transfer) => super::acc(&mut transfers, change)?,
                Some(MovementKind::Exchange) => super::acc(&mut exchange, change)?,
            }
        }
        if has_outputs {
            with_outputs.push(i);
        }
        // Money in first, then the exchange result, then money out.
        let source_of = |donor: Option<&str>| match donor {
            Some(id) => Source::Donor(id.to_string()),
            None => Source::DonorsNotRecorded,
        };
        let mut moves: Vec<(Source, Column, Decimal)> = gifts
            .iter()
            .map(|(donor, change)| (source_of(*donor), Column::Gifts, *change))
            .collect();
        moves.push((Source::TransfersIn, Column::Transfers, transfers));
        moves.push((Source::Refunds, Column::Spending, spending));
        moves.sort_by_key(|(_, _, change)| change.is_sign_negative());
        let first_out = moves
            .iter()
            .position(|(_, _, change)| change.is_sign_negative())
            .unwrap_or(moves.len());
        moves.insert(
            first_out,
            (Source::ExchangeGains, Column::Exchange, exchange),
        );
        for (source, column, change) in moves {
            let parts = allocation
                .layers
                .movement(method, source, t.date, column, change)?;
            if column == Column::Spending && !parts.is_empty() {
                add_to(
                    allocation.spent_by_transaction.entry(i).or_default(),
                    &parts,
                )?;
                add_to(
                    allocation
                        .spent_by_month
                        .entry(month_of(t.date))
                        .or_default(),
                    &parts,
                )?;
            }
        }
    }
    // Outputs, by the spending of their transaction or of their month.
    let settings = journal.settings();
    for i in with_outputs {
        let t = &transactions[i];
        let month = month_of(t.date);
        let shares = allocation
            .spent_by_transaction
            .get(&i)
            .or_else(|| allocation.spent_by_month.get(&month))
            .cloned();
        for p in journal.postings(t) {
            if p.fund != fund || p.kind != PostingKind::UnbalancedVirtual {
                continue;
            }
            let commodity = journal.commodity_name(p.commodity);
            if settings
                .commodity(commodity)
                .is_some_and(|c| c.kind != crate::model::settings::CommodityKind::Unit)
            {
                continue;
            }
            let dimension = ["route", "region"]
                .iter()
                .find_map(|tag| journal.posting_tag(p, tag).map(|v| format!("{tag}:{v}")))
                .unwrap_or_default();
            let key = OutputKey {
                account: journal.account_name(p.account).to_string(),
                commodity: commodity.to_string(),
                dimension,
            };
            match &shares {
                Some(shares) => {
                    let layers: Vec<usize> = shares.keys().copied().collect();
                    let weights: Vec<Decimal> = shares.values().copied().collect();
                    let precision = journal.precision(p.commodity).unwrap_or(0);
                    let split = money::allocate(p.quantity, &weights, precision)?;
                    for (k, part) in layers.into_iter().zip(split) {
                        if part.is_zero() {
                            continue;
                        }
                        super::acc(
                            allocation
                                .outputs
                                .entry(k)
                                .or_default()
                                .entry(key.clone())
                                .or_default()
                                .entry(month)
                                .or_default(),
                            part,
                        )?;
                    }
                }
                None => super::acc(
                    allocation
                        .unattributed
                        .entry(key)
                        .or_default()
                        .entry(month)
                        .or_default(),
                    p.quantity,
                )?,
            }
        }
    }
    Ok(allocation)
}

/// A month in words (`May 2000`; `2000年5月`).
fn month_words(month: NaiveDate, language: Language) -> String {
    match language {
        Language::En => month.format("%B %Y").to_string(),
        Language::Ja => format!("{}年{}月", month.year(), month.month()),
    }
}

/// Output lines of one source, summed over its layers and months.
fn output_lines(
    journal: &crate::Journal,
    outputs: &OutputsByMonth,
    language: Language,
) -> Result<Vec<OutputLine>, ReportError> {
    let settings = journal.settings();
    let mut lines = Vec::new();
    for (key, months) in outputs {
        let quantity = money::checked_sum(months.values().copied())?;
        if quantity.is_zero() {
            continue;
        }
        let (Some(first), Some(last)) = (months.keys().next(), months.keys().next_back()) else {
            continue;
        };
        let output = words::account(settings, &key.account, language);
        let unit = words::unit(settings, &key.commodity, language);
        let stock = settings
            .commodity(&key.commodity)
            .is_some_and(|c| c.measure == crate::model::settings::Measure::Stock);
        let dimension = key
            .dimension
            .split_once(':')
            .map(|(tag, value)| words::dimension(settings, tag, value, language))
            .unwrap_or_default();
        let commodity = journal.commodity_id(&key.commodity);
        let shown = commodity
            .map(|c| super::at_precision(journal, quantity, c))
            .unwrap_or(quantity);
        let amount = match (language, stock) {
            (Language::En, false) => format!("{} {unit}", grouped(shown)),
            (Language::En, true) => {
                format!("the equivalent of {} {unit} for one month", grouped(shown))
            }
            (Language::Ja, false) => format!("{}{unit}", grouped(shown)),
            (Language::Ja, true) => format!("延べ{}{unit}月", grouped(shown)),
        };
        let when = if first == last {
            month_words(*first, language)
        } else {
            match language {
                Language::En => format!(
                    "{} to {}",
                    month_words(*first, language),
                    month_words(*last, language)
                ),
                Language::Ja => format!(
                    "{}〜{}",
                    month_words(*first, language),
                    month_words(*last, language)
                ),
            }
        };
        let text = match (language, dimension.is_empty()) {
            (Language::En, true) => format!("{output}: {amount}, {when}"),
            (Language::En, false) => format!("{output}: {amount} ({dimension}), {when}"),
            (Language::Ja, true) => format!("{output}：{amount}（{when}）"),
            (Language::Ja, false) => format!("{output}：{amount}（{dimension}、{when}）"),
        };
        lines.push(OutputLine {
            output,
            dimension,
            unit,
            quantity: shown,
            stock,
            first_month: *first,
            last_month: *last,
            text,
        });
    }
    Ok(lines)
}

fn merge_outputs(into: &mut OutputsByMonth, from: &OutputsByMonth) -> Result<(), ReportError> {
    for (key, months) in from {
        let target = into.entry(key.clone()).or_default();
        for (month, q) in months {
            super::acc(target.entry(*month).or_default(), *q)?;
        }
    }
    Ok(())
}

/// The label of a source.
fn source_label(
    source: &Source,
    register: &DonorRegister,
    with_personal_data: bool,
    language: Language,
) -> String {
    let pick = |en: &str, ja: &str| words::pick(language, en, ja).to_string();
    match source {
        Source::BroughtForward => pick(
            "Brought forward (gifts of earlier years)",
            "前期からの繰越（前期以前の寄付）",
        ),
        Source::Donor(id) => match register.get(id) {
            // An anonymous giver without a label: say so, not only the id.
            Some(d)
                if d.category == crate::donors::register::DonorCategory::Anonymous
                    && d.label.is_none() =>
            {
                match language {
                    Language::En => format!("Anonymous donor ({id})"),
                    Language::Ja => format!("匿名の寄付者（{id}）"),
                }
            }
            Some(d) => d.display_name(with_personal_data).to_string(),
            None => id.clone(),
        },
        Source::DonorsNotRecorded => pick("Donors not recorded", "寄付者の記録なし"),
        Source::TransfersIn => pick("Transfers from other funds", "他の基金からの振替"),
        Source::Refunds => pick("Refunds of spending", "支出の戻り"),
        Source::ExchangeGains => pick("Exchange gains", "為替差益"),
        Source::NotCovered => pick(
            "Spending not covered by any gift",
            "寄付で賄われていない支出",
        ),
    }
}

/// `report impact`: for each donor-restricted fund, where its money went,
/// and each donor's statement.
///
/// # Errors
/// [`ReportError::Request`] for a fund that is not donor-restricted or
/// unknown, or an unknown donor; [`ReportError::DoesNotTie`] when a fund's
/// allocation does not equal its figures in the statement of changes in
/// funds (naming both).
pub fn impact(
    valued: &Valued<'_>,
    standard: super::financial::Standard,
    begin: NaiveDate,
    end: NaiveDate,
    register: &DonorRegister,
    options: &ImpactOptions,
) -> Result<ImpactReport, ReportError> {
    let journal = valued.journal;
    let settings = journal.settings();
    let language = options.language;
    let restricted: Vec<FundId> = journal
        .fund_ids()
        .filter(|&f| journal.fund_restriction(f).is_donor_restricted())
        .collect();
    let funds: Vec<FundId> = if options.funds.is_empty() {
        restricted.clone()
    } else {
        let names: Vec<&str> = restricted.iter().map(|&f| journal.fund_name(f)).collect();
        options
            .funds
            .iter()
            .map(|name| match journal.fund_id(name) {
                Some(f) if restricted.contains(&f) => Ok(f),
                Some(f) => Err(ReportError::Request(format!(
                    "fund {name} is {}: report impact follows donor-restricted gifts; the restricted funds are {}",
                    journal.fund_restriction(f),
                    names.join(", ")
                ))),
                None => Err(ReportError::Request(format!(
                    "no fund named {name:?}; the restricted funds are {}",
                    names.join(", ")
                ))),
            })
            .collect::<Result<_, _>>()?
    };
    if let Some(id) = &options.donor {
        if register.get(id).is_none() && !tagged_donors(journal).contains(id) {
            return Err(ReportError::Request(format!(
                "no donor {id:?}: it is neither in {} nor named by a `donor:` tag in the journal",
                register.path().display()
            )));
        }
    }
    let c = Classified::new(valued, begin, end)?;
    let set = super::financial::statements(valued, standard, begin, end)?;
    let mut tie_statement = Statement::new("impact", "", "", Vec::new(), &valued.base);
    let mut fund_reports = Vec::new();
    // Per donor: (fund index, row).
    let mut by_donor: BTreeMap<String, Vec<(usize, SourceRow)>> = BTreeMap::new();
    for fund in funds {
        let id = journal.fund_name(fund);
        let figures = c.funds.get(&fund).cloned().unwrap_or_default();
        let allocation = allocate_fund(&c, fund, figures.opening, options.method)?;
        let total = allocation.layers.total()?;
        // The allocation must tie to the statement of changes in funds.
        let expected = [
            ("opening", figures.opening, total.opening),
            ("income", figures.income, total.gifts),
            ("expenses", figures.expenses, total.spent),
            ("exchange", figures.exchange, total.exchange),
            ("transfers", figures.transfers, total.transfers),
            ("closing", figures.closing_by_balances, total.unspent),
        ];
        for (what, statement, allocated) in expected {
            if statement != allocated {
                return Err(ReportError::DoesNotTie(format!(
                    "fund {id}: the allocation to gifts gives {what} {allocated} but the statement of changes in funds gives {statement}"
                )));
            }
            tie_statement.tie(
                format!("fund/{id}/{what}"),
                format!("impact: {id} / {what}"),
                allocated,
            );
        }
        for layer in &allocation.layers.layers {
            if layer.figures.rolled_forward()? != layer.figures.unspent {
                return Err(ReportError::DoesNotTie(format!(
                    "fund {id}: a layer of {:?} rolls forward to {} but holds {}",
                    layer.source,
                    layer.figures.rolled_forward()?,
                    layer.figures.unspent
                )));
            }
        }
        // One row per source, in the order the sources first arrived.
        let mut rows: Vec<SourceSums> = Vec::new();
        for (k, layer) in allocation.layers.layers.iter().enumerate() {
            let position = match rows.iter().position(|r| r.source == layer.source) {
                Some(p) => p,
                None => {
                    rows.push(SourceSums {
                        source: layer.source.clone(),
                        figures: Figures::default(),
                        gifts: Vec::new(),
                        outputs: BTreeMap::new(),
                    });
                    rows.len() - 1
                }
            };
            let row = &mut rows[position];
            row.figures.add(&layer.figures)?;
            if let (Source::Donor(_) | Source::DonorsNotRecorded, Some(date)) =
                (&layer.source, layer.date)
            {
                if layer.figures.gifts > Decimal::ZERO {
                    row.gifts.push((date, layer.figures.gifts));
                }
            }
            if let Some(outputs) = allocation.outputs.get(&k) {
                merge_outputs(&mut row.outputs, outputs)?;
            }
        }
        // Not-covered last.
        rows.sort_by_key(|r| r.source == Source::NotCovered);
        let name = words::fund(settings, id, language);
        let purpose = settings
            .fund(id)
            .map(|f| match (language, &f.purpose_ja) {
                (Language::Ja, Some(p)) => p.clone(),
                _ => f.purpose.clone().unwrap_or_default(),
            })
            .unwrap_or_default();
        let mut source_rows = Vec::new();
        for sums in rows {
            let row = SourceRow {
                label: source_label(&sums.source, register, options.with_personal_data, language),
                source: sums.source,
                figures: sums.figures,
                gifts: sums.gifts,
                outputs: output_lines(journal, &sums.outputs, language)?,
            };
            if let Source::Donor(donor) = &row.source {
                by_donor
                    .entry(donor.clone())
                    .or_default()
                    .push((fund_reports.len(), row.clone()));
            }
            source_rows.push(row);
        }
        fund_reports.push(FundImpact {
            fund: id.to_string(),
            name,
            purpose,
            total,
            rows: source_rows,
            unattributed_outputs: output_lines(journal, &allocation.unattributed, language)?,
        });
    }
    // Tie to the analysis of funds as printed (a fund with no figures is
    // not printed there, and has only zeros here).
    let printed: BTreeSet<&str> = set.funds.ties.iter().map(|t| t.key.as_str()).collect();
    tie_statement
        .ties
        .retain(|t| printed.contains(t.key.as_str()));
    tie_statement.title = words::pick(
        language,
        "Where the restricted gifts went",
        "指定寄付の使途",
    )
    .into();
    super::engine::reconcile([&set.funds, &tie_statement])?;
    let as_of = end.pred_opt().unwrap_or(end);
    let currency = currency_word(&valued.base, language).to_string();
    let mut donors = Vec::new();
    let is_anonymous = |id: &str| {
        register
            .get(id)
            .is_some_and(|d| d.category == crate::donors::register::DonorCategory::Anonymous)
    };
    let wanted: Vec<String> = match &options.donor {
        Some(id) => vec![id.clone()],
        None => by_donor
            .keys()
            .filter(|id| !is_anonymous(id))
            .cloned()
            .collect(),
    };
    let anonymous_without_statement = match &options.donor {
        Some(_) => 0,
        None => by_donor.keys().filter(|id| is_anonymous(id)).count(),
    };
    for donor in wanted {
        let rows = by_donor.remove(&donor).unwrap_or_default();
        let name = source_label(
            &Source::Donor(donor.clone()),
            register,
            options.with_personal_data,
            language,
        );
        let funds = rows
            .into_iter()
            .map(|(k, row)| {
                let fund = &fund_reports[k];
                let outputs: Vec<String> = row
                    .outputs
                    .iter()
                    .map(|o| match language {
                        // Inside a sentence: "which paid for rice delivered: …".
                        Language::En => lower_first(&o.text),
                        Language::Ja => o.text.clone(),
                    })
                    .collect();
                let sentence = sentence(&row, &fund.name, &outputs, &currency, as_of, language);
                DonorFund {
                    fund: fund.name.clone(),
                    purpose: fund.purpose.clone(),
                    row,
                    sentence,
                }
            })
            .collect();
        donors.push(DonorImpact { donor, name, funds });
    }
    Ok(ImpactReport {
        title: words::pick(
            language,
            "Where the restricted gifts went",
            "指定寄付の使途報告",
        )
        .into(),
        organisation: words::organisation(settings, language),
        period: words::period(journal, begin, end, language),
        as_of,
        currency: valued.base.clone(),
        method: options.method,
        rule: rule(options.method, language),
        language,
        funds: fund_reports,
        donors,
        donor_only: options.donor.is_some(),
        anonymous_without_statement,
    })
}

/// `text` with its first letter in lower case.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "Your 36,000 JPY to the Foster-parent scheme: …; still unspent …".
fn sentence(
    row: &SourceRow,
    fund: &str,
    outputs: &[String],
    currency: &str,
    as_of: NaiveDate,
    language: Language,
) -> String {
    let f = &row.figures;
    // The sentence's parts in each language; `{…}` are filled in below.
    let parts: [&str; 8] = match language {
        Language::En => [
            "Your {given} {c} to {fund}: {spent} {c} spent",
            " (no programme outputs were recorded against it)",
            ", which paid for {outputs}",
            "; transfers between funds {amount} {c}",
            "; {amount} {c} was lost to exchange rates when yen were changed",
            "; {amount} {c} was gained from exchange rates",
            "; {unspent} {c} still unspent on {date}.",
            "; ",
        ],
        Language::Ja => [
            "{fund}へのご寄付{given}{c}のうち{spent}{c}を使いました",
            "（この支出に対応する事業の成果の記録はありません）",
            "。その成果：{outputs}",
            "。基金間の振替{amount}{c}",
            "。円を両替した際の為替の変動で{amount}{c}減少しました",
            "。為替の変動で{amount}{c}増加しました",
            "。{date}現在の未使用残高は{unspent}{c}です。",
            "、",
        ],
    };
    let [opening, no_outputs, paid_for, transfers, lost, gained, closing, separator] = parts;
    let mut s = opening
        .replace("{given}", &grouped(f.gifts))
        .replace("{fund}", fund)
        .replace("{spent}", &grouped(f.spent));
    if outputs.is_empty() {
        s.push_str(no_outputs);
    } else {
        s.push_str(&paid_for.replace("{outputs}", &outputs.join(separator)));
    }
    let amount = |template: &str, a: Decimal| template.replace("{amount}", &grouped(a));
    if !f.transfers.is_zero() {
        s.push_str(&amount(transfers, f.transfers));
    }
    if f.exchange < Decimal::ZERO {
        s.push_str(&amount(lost, money::negate(f.exchange)));
    } else if f.exchange > Decimal::ZERO {
        s.push_str(&amount(gained, f.exchange));
    }
    s.push_str(
        &closing
            .replace("{unspent}", &grouped(f.unspent))
            .replace("{date}", &words::date(as_of, language)),
    );
    s.replace("{c}", currency)
}

/// The report as statements (for text, CSV, Markdown, JSON-less renderers
/// and the plain HTML page): one table per fund (its sources and their
/// roll-forward) and one per donor (their funds and outputs).
pub fn statements(report: &ImpactReport) -> Vec<Statement> {
    let language = report.language;
    let pick = |en: &str, ja: &str| words::pick(language, en, ja).to_string();
    let columns = vec![
        pick("Brought forward", "前期繰越"),
        pick("Gifts", "寄付"),
        pick("Spent", "支出"),
        pick("Transfers", "振替"),
        pick("Exchange", "為替差損益"),
        pick("Unspent", "未使用残高"),
    ];
    let cells = |f: &Figures| {
        [
            f.opening,
            f.gifts,
            f.spent,
            f.transfers,
            f.exchange,
            f.unspent,
        ]
    };
    let mut out = Vec::new();
    let funds = if report.donor_only {
        &[][..]
    } else {
        &report.funds[..]
    };
    for (k, fund) in funds.iter().enumerate() {
        let mut s = Statement::new(
            &format!("impact-fund-{}", k + 1),
            match language {
                // The fund first: a spreadsheet keeps 31 characters of a
                // title as the sheet's name.
                Language::En => format!("{}: {}", fund.name, lower_first(&report.title)),
                Language::Ja => format!("{}：{}", fund.name, report.title),
            },
            report.period.clone(),
            columns.clone(),
            &report.currency,
        );
        s.language = language;
        s.label_header = pick("Where the money came from", "資金の出所");
        for row in &fund.rows {
            s.amounts(row.label.clone(), 1, RowKind::Line, &cells(&row.figures));
        }
        s.amounts(
            pick("Total", "合計"),
            0,
            RowKind::Total,
            &cells(&fund.total),
        );
        if !fund.purpose.is_empty() {
            s.notes.push(fund.purpose.clone());
        }
        if k == 0 && report.anonymous_without_statement > 0 {
            let n = report.anonymous_without_statement;
            s.notes.push(match language {
                Language::En => format!(
                    "{n} anonymous donor{} ha{} no statement of their own: there is nobody to address it to. Their gifts are in the funds' tables.",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "s" } else { "ve" }
                ),
                Language::Ja => format!(
                    "匿名の寄付者{n}名には個別の報告書を作成していません（宛先がないため）。そのご寄付は各基金の表に含まれます。"
                ),
            });
        }
        // What each source paid for, as notes (full width, under the table).
        for row in &fund.rows {
            if !row.outputs.is_empty() {
                s.notes
                    .push(outputs_note(&row.label, &row.outputs, language));
            }
        }
        if !fund.unattributed_outputs.is_empty() {
            s.notes.push(outputs_note(
                &pick(
                    "Not attributed (months without spending)",
                    "配分なし（支出のない月）",
                ),
                &fund.unattributed_outputs,
                language,
            ));
        }
        s.notes.push(pick(
            "The total is the fund's line in the analysis of funds (opening, income, expenditure, exchange, transfers, closing); the report is refused if they differ.",
            "合計は「使途等が制約された寄付等の内訳」の当該基金の行（期首残高、受入、使用、為替差損益、振替、期末残高）と一致します（一致しない場合は出力しません）。",
        ));
        out.push(s);
    }
    if let Some(last) = out.last_mut() {
        last.notes.push(report.rule.clone());
    }
    for donor in &report.donors {
        let mut s = Statement::new(
            &format!("impact-donor-{}", donor.donor),
            match language {
                Language::En => format!("{}: where your gifts went", donor.name),
                Language::Ja => format!("{} 様：ご寄付の使途", donor.name),
            },
            report.period.clone(),
            columns.clone(),
            &report.currency,
        );
        s.language = language;
        s.label_header = pick("Fund", "基金");
        for f in &donor.funds {
            s.amounts(f.fund.clone(), 0, RowKind::Line, &cells(&f.row.figures));
            s.notes.push(f.sentence.clone());
        }
        if donor.funds.is_empty() {
            s.notes.push(pick(
                "No gift to a restricted fund in the period.",
                "期間中に使途指定の基金へのご寄付はありません。",
            ));
        }
        out.push(s);
    }
    if report.donor_only {
        if let Some(last) = out.last_mut() {
            last.notes.push(report.rule.clone());
        }
    }
    out
}

/// "Foster parent A paid for: rice delivered …; …" (a note under a table).
fn outputs_note(label: &str, outputs: &[OutputLine], language: Language) -> String {
    let texts: Vec<&str> = outputs.iter().map(|o| o.text.as_str()).collect();
    match language {
        Language::En => format!("{label} paid for: {}.", texts.join("; ")),
        Language::Ja => format!("{label}で実現したこと：{}。", texts.join("、")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    fn day(m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2000, m, dd).unwrap()
    }

    fn donor(id: &str) -> Source {
        Source::Donor(id.into())
    }

    fn check_ties(layers: &Layers) {
        for l in &layers.layers {
            assert_eq!(
                l.figures.rolled_forward().unwrap(),
                l.figures.unspent,
                "{l:?}"
            );
        }
    }

    #[test]
    fn fifo_spends_the_oldest_money_first() {
        let mut layers = Layers::new(d(1000), 0);
        layers
            .movement(Method::Fifo, donor("A"), day(4, 1), Column::Gifts, d(3000))
            .unwrap();
        layers
            .movement(Method::Fifo, donor("B"), day(5, 1), Column::Gifts, d(2000))
            .unwrap();
        let parts = layers
            .movement(
                Method::Fifo,
                Source::Refunds,
                day(5, 2),
                Column::Spending,
                d(-2500),
            )
            .unwrap();
        assert_eq!(parts, vec![(0, d(1000)), (1, d(1500))]);
        let unspent: Vec<Decimal> = layers.layers.iter().map(|l| l.figures.unspent).collect();
        assert_eq!(unspent, vec![d(0), d(1500), d(2000)]);
        assert_eq!(layers.layers[1].figures.spent, d(1500));
        check_ties(&layers);
        let total = layers.total().unwrap();
        assert_eq!(total.rolled_forward().unwrap(), d(3500));
        assert_eq!(total.unspent, d(3500));
    }

    #[test]
    fn pro_rata_shares_spending_by_what_each_holds_and_parts_add_up() {
        let mut layers = Layers::new(d(1), 0);
        layers
            .movement(Method::ProRata, donor("A"), day(4, 1), Column::Gifts, d(1))
            .unwrap();
        layers
            .movement(Method::ProRata, donor("B"), day(4, 1), Column::Gifts, d(1))
            .unwrap();
        let parts = layers
            .movement(
                Method::ProRata,
                Source::Refunds,
                day(4, 2),
                Column::Spending,
                d(-2),
            )
            .unwrap();
        assert_eq!(parts.iter().map(|p| p.1).sum::<Decimal>(), d(2));
        assert!(parts.iter().all(|p| p.1 == d(1)));
        let mut layers = Layers::new(d(0), 0);
        layers
            .movement(
                Method::ProRata,
                donor("A"),
                day(4, 1),
                Column::Gifts,
                d(3000),
            )
            .unwrap();
        layers
            .movement(
                Method::ProRata,
                donor("B"),
                day(4, 1),
                Column::Gifts,
                d(1000),
            )
            .unwrap();
        layers
            .movement(
                Method::ProRata,
                Source::Refunds,
                day(4, 2),
                Column::Spending,
                d(-1001),
            )
            .unwrap();
        let spent: Vec<Decimal> = layers.layers.iter().map(|l| l.figures.spent).collect();
        assert_eq!(spent, vec![d(0), d(751), d(250)]);
        check_ties(&layers);
    }

    #[test]
    fn transfers_in_form_a_layer_and_transfers_out_are_taken_like_spending() {
        let mut layers = Layers::new(d(500), 0);
        layers
            .movement(
                Method::Fifo,
                Source::TransfersIn,
                day(4, 1),
                Column::Transfers,
                d(700),
            )
            .unwrap();
        assert_eq!(layers.layers[1].source, Source::TransfersIn);
        layers
            .movement(
                Method::Fifo,
                Source::TransfersIn,
                day(4, 2),
                Column::Transfers,
                d(-600),
            )
            .unwrap();
        assert_eq!(layers.layers[0].figures.transfers, d(-500));
        assert_eq!(layers.layers[1].figures.transfers, d(600));
        assert_eq!(layers.layers[1].figures.unspent, d(600));
        check_ties(&layers);
    }

    #[test]
    fn exchange_results_are_shared_by_what_each_layer_holds() {
        let mut layers = Layers::new(d(1000), 0);
        layers
            .movement(Method::Fifo, donor("A"), day(4, 1), Column::Gifts, d(3000))
            .unwrap();
        layers.exchange(day(4, 2), d(-401)).unwrap();
        let fx: Vec<Decimal> = layers.layers.iter().map(|l| l.figures.exchange).collect();
        assert_eq!(fx, vec![d(-100), d(-301)]);
        layers.exchange(day(4, 3), d(40)).unwrap();
        assert_eq!(layers.total().unwrap().exchange, d(-361));
        // A gain with nothing held forms its own layer.
        let mut empty = Layers::new(d(0), 0);
        empty.exchange(day(4, 3), d(7)).unwrap();
        assert_eq!(empty.layers[1].source, Source::ExchangeGains);
        assert_eq!(empty.layers[1].figures.unspent, d(7));
        check_ties(&layers);
        check_ties(&empty);
    }

    #[test]
    fn overspending_is_shown_as_not_covered_and_still_ties() {
        for method in [Method::Fifo, Method::ProRata] {
            let mut layers = Layers::new(d(100), 0);
            layers
                .movement(method, donor("A"), day(4, 1), Column::Gifts, d(50))
                .unwrap();
            let parts = layers
                .movement(
                    method,
                    Source::Refunds,
                    day(4, 2),
                    Column::Spending,
                    d(-200),
                )
                .unwrap();
            assert_eq!(parts.iter().map(|p| p.1).sum::<Decimal>(), d(200));
            let last = layers.layers.last().unwrap();
            assert_eq!(last.source, Source::NotCovered);
            assert_eq!(last.figures.unspent, d(-50));
            // A loss with nothing held is not covered either.
            layers.exchange(day(4, 3), d(-5)).unwrap();
            assert_eq!(layers.layers.last().unwrap().figures.unspent, d(-55));
            let total = layers.total().unwrap();
            assert_eq!(total.rolled_forward().unwrap(), total.unspent);
            assert_eq!(total.unspent, d(-55));
            check_ties(&layers);
        }
    }

    #[test]
    fn a_refund_of_spending_is_new_money() {
        let mut layers = Layers::new(d(0), 0);
        layers
            .movement(
                Method::Fifo,
                Source::Refunds,
                day(4, 1),
                Column::Spending,
                d(30),
            )
            .unwrap();
        assert_eq!(layers.layers[1].figures.spent, d(-30));
        assert_eq!(layers.layers[1].figures.unspent, d(30));
        check_ties(&layers);
    }
}
