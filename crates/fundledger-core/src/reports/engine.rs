//! The statement engine: one classification of every posting.
//!
//! Every real posting of the journal, valued in the base currency
//! ([`Valued`]), is classified **once** per report run:
//!
//! - its **fund** and the fund's **restriction**;
//! - what it is: an asset or liability line (balance sheet), income of a
//!   category (contributions, gifts in kind, membership, grants, sales,
//!   other), an expense of a **nature** (declared in `[[report.natures]]`,
//!   mapped from accounts) and a **function** (a programme, management and
//!   general, fundraising), a foreign-exchange result, or a transfer
//!   between funds;
//! - shared costs (`[[report.allocations]]`) are split between functions
//!   **per posting** by the largest-remainder method, so each part is a
//!   classified amount of its own and every period adds up the same parts.
//!
//! Every statement (activities, functional expenses, the analysis of funds,
//! the financial position, the outputs' cost per unit, and `fundledger
//! funds`) reads only this classification. Each statement records the
//! figures it prints as [`Tie`]s keyed by what they measure; [`reconcile`]
//! then demands that every key printed by two statements has one value, so
//! a set of statements that disagree on any line, column or total is
//! refused with the lines that differ.
//!
//! Net assets of a fund are computed two independent ways: from its opening
//! balance and movements (flows), and from its assets less its liabilities
//! at the end (balances). The statement of activities prints the first, the
//! statement of financial position the second, and [`reconcile`] ties them.
//!
//! Restricted net assets can never be negative in a statement: a
//! donor-restricted fund's deficit (which `check` refuses as E402, so it
//! only appears in a journal with errors) is shown as a reduction of net
//! assets without donor restrictions, and its releases from restriction are
//! capped at what the fund holds.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use super::valued::Valued;
use super::ReportError;
use crate::model::journal::{AccountId, CommodityId, FundId, Journal};
use crate::model::money::{self, Decimal, MultiAmount};
use crate::model::query::account_matches;
use crate::model::settings::{AccountClass, NatureGroup, Restriction};

/// How an expense function is classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpenseKind {
    /// A programme service.
    Program,
    /// Management and general.
    Management,
    /// Fundraising.
    Fundraising,
}

/// A function expenses serve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Function {
    /// The id: the programme part of the expense accounts (`FoodAid`),
    /// `Management` or `Fundraising`.
    pub id: String,
    /// Programme or supporting.
    pub kind: ExpenseKind,
    /// The English label.
    pub label: String,
    /// The Japanese label.
    pub label_ja: String,
}

/// A nature of expense.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Nature {
    /// The id (declared, or the account's last part).
    pub id: String,
    /// The English label.
    pub label: String,
    /// The Japanese label.
    pub label_ja: String,
    /// 人件費 or その他経費.
    pub personnel: bool,
}

/// The category of an income line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncomeCategory {
    /// Membership dues (受取会費).
    Membership,
    /// Contributions of money (受取寄附金).
    Contributions,
    /// Gifts in kind (現物寄附).
    InKind,
    /// Grants (受取助成金等).
    Grants,
    /// Sales (事業収益).
    Sales,
    /// Anything else (その他収益).
    Other,
}

/// True for an account the statements report as an exchange result.
fn is_fx_account(report: &crate::model::settings::ReportSettings, account: &str) -> bool {
    report
        .fx_accounts
        .iter()
        .any(|a| account_matches(account, a))
}

/// Whether `account` holds loans from members: an account declared in
/// `[[loans]]` (or a parent or child of one), or any account under the
/// conventional `Liabilities:MemberLoans`. The one rule every statement,
/// note and board report uses, so the loans they print tie.
pub fn is_member_loan(settings: &crate::model::settings::Settings, account: &str) -> bool {
    settings
        .loans
        .iter()
        .any(|l| account_matches(account, &l.account) || account_matches(&l.account, account))
        || account_matches(account, "Liabilities:MemberLoans")
}

/// For each account of the journal, by index, whether `test` holds of it
/// (its id and name): a decision made once per account, so a pass over the
/// postings looks it up instead of matching names per posting.
pub(crate) fn accounts_where(
    journal: &Journal,
    test: impl Fn(AccountId, &str) -> bool,
) -> Vec<bool> {
    journal
        .account_ids()
        .map(|id| test(id, journal.account_name(id)))
        .collect()
}

/// The income category of an account as the statements classify it (an
/// income account that is not an exchange result), else `None`: what
/// `report donors` counts as a gift (contributions and gifts in kind) is
/// exactly what the statement of activities shows on those lines.
pub fn gift_kind(
    journal: &Journal,
    account: crate::model::journal::AccountId,
) -> Option<IncomeCategory> {
    let name = journal.account_name(account);
    match journal.account_class(account) {
        Some(AccountClass::Income) if !is_fx_account(&journal.settings().report, name) => {
            Some(IncomeCategory::of(name))
        }
        _ => None,
    }
}

impl IncomeCategory {
    /// Every category, in the order of the NPO standard's 経常収益.
    pub const ALL: [IncomeCategory; 6] = [
        IncomeCategory::Membership,
        IncomeCategory::Contributions,
        IncomeCategory::InKind,
        IncomeCategory::Grants,
        IncomeCategory::Sales,
        IncomeCategory::Other,
    ];

    /// The category of an income account, from its second part.
    pub(crate) fn of(account: &str) -> IncomeCategory {
        match account.split(':').nth(1).unwrap_or("") {
            "Donations" | "Contributions" => IncomeCategory::Contributions,
            "InKind" => IncomeCategory::InKind,
            "Membership" | "Dues" => IncomeCategory::Membership,
            "Grants" => IncomeCategory::Grants,
            "Sales" => IncomeCategory::Sales,
            _ => IncomeCategory::Other,
        }
    }

    /// A stable key for ties.
    pub fn key(self) -> &'static str {
        match self {
            IncomeCategory::Membership => "membership",
            IncomeCategory::Contributions => "contributions",
            IncomeCategory::InKind => "in-kind",
            IncomeCategory::Grants => "grants",
            IncomeCategory::Sales => "sales",
            IncomeCategory::Other => "other",
        }
    }
}

/// What a classified amount is, for the statement of activities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Element {
    /// Income of a category.
    Income(IncomeCategory),
    /// An expense: indexes into [`Classified::functions`] and
    /// [`Classified::natures`].
    Expense {
        /// The function.
        function: usize,
        /// The nature.
        nature: usize,
    },
    /// A foreign-exchange result (conversions at a rate other than the
    /// day's price; revaluation at the closing rate).
    Exchange,
    /// Any other net-asset posting: a transfer between funds, an opening
    /// balance entry.
    Transfer,
}

/// A line of the balance sheet.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BalanceLine {
    /// An asset account (depth 3).
    Asset(String),
    /// A liability account (depth 3).
    Liability(String),
    /// Due to and due from other funds: eliminate across the organisation.
    Interfund,
}

/// What one account is, decided once per account.
#[derive(Clone, Debug, PartialEq)]
enum Role {
    /// Not in any statement (no class).
    None,
    Balance(BalanceLine),
    /// Net-asset movements; expenses on a shared account carry several
    /// (function, weight) parts.
    Movement(Element),
    Shared {
        nature: usize,
        parts: Vec<(usize, Decimal)>,
        /// The parts' weights, in the parts' order.
        weights: Vec<Decimal>,
    },
}

/// Per fund: opening and closing net assets and the period's movements.
#[derive(Clone, Debug, Default)]
pub struct FundFigures {
    /// Net assets before the period (from flows).
    pub opening: Decimal,
    /// Income in the period.
    pub income: Decimal,
    /// Expenses in the period.
    pub expenses: Decimal,
    /// Foreign-exchange results in the period.
    pub exchange: Decimal,
    /// Transfers and other net-asset entries in the period.
    pub transfers: Decimal,
    /// Net assets at the end, from the balances (assets less liabilities).
    pub closing_by_balances: Decimal,
}

impl FundFigures {
    /// Net assets at the end from the flows: opening + income − expenses ±
    /// exchange ± transfers.
    pub fn closing(&self) -> Result<Decimal, ReportError> {
        Ok(money::checked_sum([
            self.opening,
            self.income,
            -self.expenses,
            self.exchange,
            self.transfers,
        ])?)
    }
}

/// The classification of every posting of a period, and the sums the
/// statements read.
pub struct Classified<'v, 'j> {
    /// The valued journal.
    pub valued: &'v Valued<'j>,
    /// The first day of the period.
    pub begin: NaiveDate,
    /// The first day after it.
    pub end: NaiveDate,
    /// The functions, programmes first (in order of their labels), then
    /// management and general, then fundraising.
    pub functions: Vec<Function>,
    /// The natures: declared ones in their order, then the others by label.
    pub natures: Vec<Nature>,
    /// Net-asset change of each (fund, element) in the period: income
    /// positive, expenses negative.
    movements: BTreeMap<(FundId, Element), Decimal>,
    /// Per fund figures, in fund order.
    pub funds: BTreeMap<FundId, FundFigures>,
    /// Balance-sheet lines at the end, per fund (debit positive).
    pub balances: BTreeMap<BalanceLine, BTreeMap<FundId, Decimal>>,
    /// Whether the period has any transaction.
    pub has_transactions: bool,
    /// The role of each account, by account index.
    roles: Vec<Role>,
    /// The quantities of commodities other than the base currency held on
    /// each account at the end (the inventory's foreign amounts).
    pub(crate) foreign: BTreeMap<AccountId, MultiAmount<CommodityId>>,
}

/// What a movement posting does to its fund's net assets, for reports that
/// follow a fund's movements one by one (`report impact`): the same
/// classification the statements sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MovementKind {
    /// Income (a gift, a grant, a sale...).
    Income,
    /// An expense (whatever its function; shared costs included).
    Expense,
    /// A foreign-exchange result.
    Exchange,
    /// A transfer between funds or another net-asset entry.
    Transfer,
}

/// A figure a statement printed, keyed by what it measures, so that
/// [`reconcile`] can compare it with every other statement's figure of the
/// same key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tie {
    /// What is measured (`expenses/function/FoodAid`).
    pub key: String,
    /// The value printed.
    pub value: Decimal,
    /// Where: the line and column as printed, for the error.
    pub line: String,
}

fn depth3(account: &str) -> String {
    account.split(':').take(3).collect::<Vec<_>>().join(":")
}

/// The nature of an expense account in words: its last part
/// (`ChildSupport` → `Child support`).
fn leaf_label(account: &str) -> String {
    let words = super::statement::split_camel(account.rsplit(':').next().unwrap_or(account), true);
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// Adds a net-asset change of the period to a fund's movements and figures.
fn add_movement(
    movements: &mut BTreeMap<(FundId, Element), Decimal>,
    figures: &mut FundFigures,
    fund: FundId,
    element: Element,
    change: Decimal,
) -> Result<(), ReportError> {
    super::acc(movements.entry((fund, element)).or_default(), change)?;
    match element {
        Element::Income(_) => super::acc(&mut figures.income, change),
        Element::Expense { .. } => super::acc(&mut figures.expenses, -change),
        Element::Exchange => super::acc(&mut figures.exchange, change),
        Element::Transfer => super::acc(&mut figures.transfers, change),
    }
}

/// The values of one (account, fund) over the real postings dated before
/// the period's end.
#[derive(Clone, Copy, Default)]
struct PairSums {
    /// The sum of the values dated before the period.
    before: Decimal,
    /// The sum of the values dated in the period.
    during: Decimal,
    /// Whether a posting is dated before the period.
    any_before: bool,
    /// Whether a posting is dated in the period.
    any_during: bool,
}

/// Sums keyed by two ids (an account and a fund, an account and a
/// commodity): a table indexed by both while they make at most
/// [`GRID_CELLS`] cells (the common ledger, found without hashing), a hash
/// map for the rest.
#[derive(Clone)]
struct Grid<T> {
    columns: usize,
    cells: Vec<Option<T>>,
    beyond: rustc_hash::FxHashMap<(usize, usize), T>,
}

/// The most cells a [`Grid`] holds as a table (each parallel part of a pass
/// has its own).
const GRID_CELLS: usize = 4096;

impl<T: Default> Grid<T> {
    /// A grid of `rows` × `columns` ids.
    fn new(rows: usize, columns: usize) -> Grid<T> {
        let dense = rows.checked_mul(columns).filter(|&n| n <= GRID_CELLS);
        Grid {
            columns: if dense.is_some() { columns } else { 0 },
            cells: (0..dense.unwrap_or(0)).map(|_| None).collect(),
            beyond: Default::default(),
        }
    }

    /// The sum at (`row`, `column`), made (default) if none yet.
    fn entry(&mut self, row: usize, column: usize) -> &mut T {
        if column < self.columns {
            if let Some(cell) = self.cells.get_mut(row * self.columns + column) {
                return cell.get_or_insert_with(T::default);
            }
        }
        self.beyond.entry((row, column)).or_default()
    }

    /// Every sum made, with its (row, column), in no particular order.
    fn iter(&self) -> impl Iterator<Item = ((usize, usize), &T)> {
        let columns = self.columns;
        self.cells
            .iter()
            .enumerate()
            .filter_map(move |(k, cell)| cell.as_ref().map(|v| ((k / columns, k % columns), v)))
            .chain(self.beyond.iter().map(|(&key, v)| (key, v)))
    }

    /// Every sum made, by (row, column), in that order.
    fn into_sorted(self) -> Vec<((usize, usize), T)> {
        let columns = self.columns;
        let mut all: Vec<((usize, usize), T)> = self
            .cells
            .into_iter()
            .enumerate()
            .filter_map(|(k, cell)| cell.map(|v| ((k / columns, k % columns), v)))
            .chain(self.beyond)
            .collect();
        all.sort_unstable_by_key(|&(key, _)| key);
        all
    }
}

/// One pass over the valued real postings dated before a period's end:
/// the sums per (account, fund), and the shared costs split per posting
/// (the split is per posting, so it cannot be taken from a sum).
#[derive(Clone)]
struct PeriodSums {
    /// Per (account, fund).
    pairs: Grid<PairSums>,
    /// Shared costs before the period: the net-asset change of their parts,
    /// per fund.
    shared_opening: BTreeMap<FundId, Decimal>,
    /// Shared costs in the period: the net-asset change of their parts, per
    /// fund and expense element.
    shared_during: BTreeMap<(FundId, Element), Decimal>,
    /// The quantities of commodities other than the base currency, per
    /// (account, commodity).
    foreign: Grid<Decimal>,
}

impl PeriodSums {
    /// Sums the postings of the transactions dated before `end`: those
    /// before `begin`, and those from `begin` on.
    ///
    /// The sums come from the journal cut at `begin` and `end`
    /// ([`PeriodParts`]); when both were announced by
    /// [`Valued::plan_periods`], from the journal cut at every announced
    /// boundary, one pass kept for every such period.
    fn of(
        valued: &Valued<'_>,
        roles: &[Role],
        begin: NaiveDate,
        end: NaiveDate,
    ) -> Result<PeriodSums, ReportError> {
        let planned = valued.planned_periods();
        if let (Ok(i), Ok(j)) = (planned.binary_search(&begin), planned.binary_search(&end)) {
            if i <= j {
                let parts =
                    valued.memoized("period parts", (planned.clone(), roles.to_vec()), || {
                        PeriodParts::of(valued, roles, planned.clone()).map(Arc::new)
                    })?;
                return parts.period(valued, i, j);
            }
        }
        // A period that ends before it begins has nothing in it: all that
        // is dated before its end is before it.
        let begin = begin.min(end);
        PeriodParts::of(valued, roles, vec![begin, end])?.period(valued, 0, 1)
    }
}

/// The sums of one part of the journal ([`PeriodParts`]).
#[derive(Clone)]
struct PartSums {
    /// Per (account, fund); a sum is made when a posting is met.
    pairs: Grid<Decimal>,
    /// Shared costs: the net-asset change of their parts, per fund and
    /// expense element.
    shared: BTreeMap<(FundId, Element), Decimal>,
    /// Quantities of commodities other than the base currency, per
    /// (account, commodity).
    foreign: Grid<Decimal>,
}

impl PartSums {
    /// Adds `other`'s sums to these.
    fn absorb(&mut self, other: PartSums) -> Result<(), ReportError> {
        for ((account, fund), sum) in other.pairs.into_sorted() {
            super::acc(self.pairs.entry(account, fund), sum)?;
        }
        for (key, change) in other.shared {
            super::acc(self.shared.entry(key).or_default(), change)?;
        }
        for ((account, commodity), quantity) in other.foreign.into_sorted() {
            super::acc(self.foreign.entry(account, commodity), quantity)?;
        }
        Ok(())
    }
}

/// The journal cut at announced period boundaries `b0 < b1 < …`
/// ([`Valued::plan_periods`]): the sums of the postings dated before `b0`,
/// then of each `[b(k-1), b(k))`, all from one pass. Any period between
/// two boundaries then has its [`PeriodSums`] as sums of parts: what is
/// dated before its beginning, and what is dated in it. The sums are
/// exact, so adding parts gives what one pass over the period would (the
/// shared costs too: they are split per posting, then summed).
struct PeriodParts {
    /// The sums of each part, one per boundary `b`: part 0 of the postings
    /// dated before `b0`, part `k` of those in `[b(k-1), b(k))`.
    parts: Vec<PartSums>,
}

impl PeriodParts {
    /// Sums the parts, in parallel chunks of transactions whose sums are
    /// then added together.
    fn of(
        valued: &Valued<'_>,
        roles: &[Role],
        boundaries: Vec<NaiveDate>,
    ) -> Result<PeriodParts, ReportError> {
        let journal = valued.journal;
        let base = journal.commodity_id(&valued.base);
        let accounts = journal.account_ids().count();
        let empty = PartSums {
            pairs: Grid::new(accounts, journal.fund_ids().count()),
            shared: BTreeMap::new(),
            foreign: Grid::new(accounts, journal.commodity_ids().count()),
        };
        let Some(&until) = boundaries.last() else {
            return Ok(PeriodParts { parts: Vec::new() });
        };
        let parts = valued.fold_before(
            until,
            || vec![empty.clone(); boundaries.len()],
            |parts, t, real| {
                // Dated before `until`, so before the last boundary.
                let part = &mut parts[boundaries.partition_point(|&b| b <= t.date)];
                for (p, value) in real {
                    super::acc(part.pairs.entry(p.account.index(), p.fund.index()), value)?;
                    if let Some(Role::Shared {
                        nature,
                        parts,
                        weights,
                    }) = roles.get(p.account.index())
                    {
                        let split = money::allocate(-value, weights, valued.precision)?;
                        for ((function, _), share) in parts.iter().zip(split) {
                            let element = Element::Expense {
                                function: *function,
                                nature: *nature,
                            };
                            super::acc(part.shared.entry((p.fund, element)).or_default(), share)?;
                        }
                    }
                    if Some(p.commodity) != base {
                        super::acc(
                            part.foreign.entry(p.account.index(), p.commodity.index()),
                            p.quantity,
                        )?;
                    }
                }
                Ok(())
            },
            |mut earlier, later| {
                for (mine, theirs) in earlier.iter_mut().zip(later) {
                    mine.absorb(theirs)?;
                }
                Ok(earlier)
            },
        )?;
        Ok(PeriodParts { parts })
    }

    /// The sums of the period from boundary `begin` to boundary `end`
    /// (indexes into the boundaries, `begin <= end`): parts `0..=begin`
    /// are before it, parts `begin+1..=end` in it.
    ///
    /// The sums of values are given the base currency's decimals: a sum's
    /// decimals otherwise depend on how its terms were grouped (a zero term
    /// leaves its own: `5.00 + -5 = 0.00`, then `+ 3 = 3`, where
    /// `5.00 + (-5 + 3) = 3.00`), and statements print them as they are.
    fn period(
        &self,
        valued: &Valued<'_>,
        begin: usize,
        end: usize,
    ) -> Result<PeriodSums, ReportError> {
        let journal = valued.journal;
        let accounts = journal.account_ids().count();
        let mut sums = PeriodSums {
            pairs: Grid::new(accounts, journal.fund_ids().count()),
            shared_opening: BTreeMap::new(),
            shared_during: BTreeMap::new(),
            foreign: Grid::new(accounts, journal.commodity_ids().count()),
        };
        for (k, part) in self.parts.iter().enumerate().take(end + 1) {
            let in_period = k > begin;
            for ((account, fund), &sum) in part.pairs.iter() {
                let pair = sums.pairs.entry(account, fund);
                if in_period {
                    super::acc(&mut pair.during, sum)?;
                    pair.any_during = true;
                } else {
                    super::acc(&mut pair.before, sum)?;
                    pair.any_before = true;
                }
            }
            for (&(fund, element), &change) in &part.shared {
                if in_period {
                    super::acc(
                        sums.shared_during.entry((fund, element)).or_default(),
                        change,
                    )?;
                } else {
                    super::acc(sums.shared_opening.entry(fund).or_default(), change)?;
                }
            }
            for ((account, commodity), &quantity) in part.foreign.iter() {
                super::acc(sums.foreign.entry(account, commodity), quantity)?;
            }
        }
        let decimals =
            |value: &mut Decimal| *value = money::with_min_decimals(*value, valued.precision);
        for pair in sums
            .pairs
            .cells
            .iter_mut()
            .flatten()
            .chain(sums.pairs.beyond.values_mut())
        {
            decimals(&mut pair.before);
            decimals(&mut pair.during);
        }
        sums.shared_opening.values_mut().for_each(decimals);
        sums.shared_during.values_mut().for_each(decimals);
        Ok(sums)
    }
}

impl<'v, 'j> Classified<'v, 'j> {
    /// Classifies every posting dated before `end`, with the movements of
    /// `[begin, end)`.
    ///
    /// # Errors
    /// [`ReportError`] on overflow, or when the two computations of a
    /// fund's net assets disagree (a fundledger bug).
    pub fn new(
        valued: &'v Valued<'j>,
        begin: NaiveDate,
        end: NaiveDate,
    ) -> Result<Classified<'v, 'j>, ReportError> {
        let journal = valued.journal;
        let settings = journal.settings();
        let report = &settings.report;
        let mut functions: Vec<Function> = Vec::new();
        let mut natures: Vec<Nature> = report
            .natures
            .iter()
            .map(|n| Nature {
                id: n.id.clone(),
                label: n.label.clone(),
                label_ja: n.label_ja.clone().unwrap_or_else(|| n.label.clone()),
                personnel: n.group == NatureGroup::Personnel,
            })
            .collect();
        let declared_natures = natures.len();
        let function_of = |id: &str, functions: &mut Vec<Function>| -> usize {
            if let Some(k) = functions.iter().position(|f| f.id == id || f.label == id) {
                return k;
            }
            let (kind, id, label, label_ja) = match id {
                "Management" | "Management and general" => (
                    ExpenseKind::Management,
                    "Management".to_string(),
                    "Management and general".to_string(),
                    "管理部門".to_string(),
                ),
                "Fundraising" => (
                    ExpenseKind::Fundraising,
                    "Fundraising".to_string(),
                    "Fundraising".to_string(),
                    "管理部門（募金）".to_string(),
                ),
                other => {
                    // A label of `program_names` names its programme.
                    let id = report
                        .program_names
                        .iter()
                        .find(|(_, label)| label.as_str() == other)
                        .map(|(id, _)| id.clone())
                        .unwrap_or_else(|| other.to_string());
                    let label = report
                        .program_names
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| super::statement::split_camel(&id, false));
                    let label_ja = report
                        .program_names_ja
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| label.clone());
                    (ExpenseKind::Program, id, label, label_ja)
                }
            };
            if let Some(k) = functions.iter().position(|f| f.id == id) {
                return k;
            }
            functions.push(Function {
                id,
                kind,
                label,
                label_ja,
            });
            functions.len() - 1
        };
        let generated = &settings.generated_accounts;
        // One role per account, decided once.
        let mut roles: Vec<Role> = Vec::with_capacity(journal.account_ids().count());
        for id in journal.account_ids() {
            let account = journal.account_name(id);
            let is_fx = is_fx_account(report, account);
            let role = match journal.account_class(id) {
                None => Role::None,
                Some(AccountClass::Assets) if account == generated.due_from => {
                    Role::Balance(BalanceLine::Interfund)
                }
                Some(AccountClass::Liabilities) if account == generated.due_to => {
                    Role::Balance(BalanceLine::Interfund)
                }
                Some(AccountClass::Assets) => Role::Balance(BalanceLine::Asset(depth3(account))),
                Some(AccountClass::Liabilities) => {
                    Role::Balance(BalanceLine::Liability(depth3(account)))
                }
                Some(AccountClass::NetAssets) if account == generated.conversion => {
                    Role::Movement(Element::Exchange)
                }
                Some(AccountClass::NetAssets) => Role::Movement(Element::Transfer),
                Some(AccountClass::Income | AccountClass::Expenses) if is_fx => {
                    Role::Movement(Element::Exchange)
                }
                Some(AccountClass::Income) => {
                    Role::Movement(Element::Income(IncomeCategory::of(account)))
                }
                Some(AccountClass::Expenses) => {
                    let nature = match report
                        .natures
                        .iter()
                        .enumerate()
                        .filter_map(|(k, n)| {
                            n.accounts
                                .iter()
                                .filter(|a| account_matches(account, a))
                                .map(|a| a.len())
                                .max()
                                .map(|len| (len, k))
                        })
                        .max_by_key(|&(len, k)| (len, std::cmp::Reverse(k)))
                    {
                        Some((_, k)) => k,
                        None => {
                            let label = leaf_label(account);
                            match natures[declared_natures..]
                                .iter()
                                .position(|n| n.label == label)
                            {
                                Some(k) => declared_natures + k,
                                None => {
                                    natures.push(Nature {
                                        id: account
                                            .rsplit(':')
                                            .next()
                                            .unwrap_or(account)
                                            .to_string(),
                                        label_ja: label.clone(),
                                        label,
                                        personnel: report
                                            .personnel_accounts
                                            .iter()
                                            .any(|a| account_matches(account, a)),
                                    });
                                    natures.len() - 1
                                }
                            }
                        }
                    };
                    match report
                        .allocations
                        .iter()
                        .find(|a| account_matches(account, &a.account))
                    {
                        Some(allocation) => {
                            let parts: Vec<(usize, Decimal)> = allocation
                                .shares
                                .iter()
                                .map(|(key, share)| (function_of(key, &mut functions), share.0))
                                .collect();
                            Role::Shared {
                                nature,
                                weights: parts.iter().map(|&(_, w)| w).collect(),
                                parts,
                            }
                        }
                        None => {
                            let part = account.split(':').nth(1).unwrap_or(account);
                            Role::Movement(Element::Expense {
                                function: function_of(part, &mut functions),
                                nature,
                            })
                        }
                    }
                }
            };
            roles.push(role);
        }

        let sums = PeriodSums::of(valued, &roles, begin, end)?;
        let mut foreign: BTreeMap<AccountId, MultiAmount<CommodityId>> = BTreeMap::new();
        for ((account, commodity), quantity) in sums.foreign.into_sorted() {
            foreign
                .entry(AccountId(account as u32))
                .or_default()
                .add(CommodityId(commodity as u32), quantity)?;
        }
        let mut movements: BTreeMap<(FundId, Element), Decimal> = BTreeMap::new();
        let mut funds: BTreeMap<FundId, FundFigures> = BTreeMap::new();
        let mut balances: BTreeMap<BalanceLine, BTreeMap<FundId, Decimal>> = BTreeMap::new();
        let mut has_transactions = false;
        // Each (account, fund) once, in that order, by its account's role.
        for ((account, fund), pair) in sums.pairs.into_sorted() {
            let (account, fund) = (AccountId(account as u32), FundId(fund as u32));
            has_transactions |= pair.any_during;
            let figures = funds.entry(fund).or_default();
            match &roles[account.index()] {
                // Shared costs are summed part by part below.
                Role::None | Role::Shared { .. } => {}
                Role::Balance(line) => {
                    let value = money::checked_add(pair.before, pair.during)?;
                    super::acc(
                        balances
                            .entry(line.clone())
                            .or_default()
                            .entry(fund)
                            .or_default(),
                        value,
                    )?;
                    super::acc(&mut figures.closing_by_balances, value)?;
                }
                Role::Movement(element) => {
                    if pair.any_before {
                        super::acc(&mut figures.opening, -pair.before)?;
                    }
                    if pair.any_during {
                        add_movement(&mut movements, figures, fund, *element, -pair.during)?;
                    }
                }
            }
        }
        for (fund, opening) in sums.shared_opening {
            super::acc(&mut funds.entry(fund).or_default().opening, opening)?;
        }
        for ((fund, element), change) in sums.shared_during {
            add_movement(
                &mut movements,
                funds.entry(fund).or_default(),
                fund,
                element,
                change,
            )?;
        }
        // The two computations of each fund's net assets must agree.
        for (fund, f) in &funds {
            let by_flows = f.closing()?;
            if by_flows != f.closing_by_balances {
                return Err(ReportError::DoesNotTie(format!(
                    "fund {}: opening + movements = {by_flows} but assets − liabilities = {}",
                    journal.fund_name(*fund),
                    f.closing_by_balances
                )));
            }
        }
        // Functions: programmes by label, then management, then fundraising;
        // natures: declared ones in order, then the others by label.
        let mut function_order: Vec<usize> = (0..functions.len()).collect();
        function_order.sort_by(|&a, &b| {
            (functions[a].kind, &functions[a].label).cmp(&(functions[b].kind, &functions[b].label))
        });
        let mut nature_order: Vec<usize> = (0..natures.len()).collect();
        nature_order[declared_natures..].sort_by(|&a, &b| natures[a].label.cmp(&natures[b].label));
        let remap = |order: &[usize]| {
            let mut new_index = vec![0; order.len()];
            for (new, &old) in order.iter().enumerate() {
                new_index[old] = new;
            }
            new_index
        };
        let (function_index, nature_index) = (remap(&function_order), remap(&nature_order));
        let movements = movements
            .into_iter()
            .map(|((fund, element), v)| {
                let element = match element {
                    Element::Expense { function, nature } => Element::Expense {
                        function: function_index[function],
                        nature: nature_index[nature],
                    },
                    other => other,
                };
                ((fund, element), v)
            })
            .collect();
        let functions = function_order
            .iter()
            .map(|&k| functions[k].clone())
            .collect();
        let natures = nature_order.iter().map(|&k| natures[k].clone()).collect();
        Ok(Classified {
            valued,
            begin,
            end,
            functions,
            natures,
            movements,
            funds,
            balances,
            has_transactions,
            roles,
            foreign,
        })
    }

    /// What a posting to `account` is among the fund movements, or `None`
    /// for a balance-sheet account or one outside the statements.
    pub fn movement_kind(&self, account: AccountId) -> Option<MovementKind> {
        match self.roles.get(account.index())? {
            Role::None | Role::Balance(_) => None,
            Role::Shared { .. } | Role::Movement(Element::Expense { .. }) => {
                Some(MovementKind::Expense)
            }
            Role::Movement(Element::Income(_)) => Some(MovementKind::Income),
            Role::Movement(Element::Exchange) => Some(MovementKind::Exchange),
            Role::Movement(Element::Transfer) => Some(MovementKind::Transfer),
        }
    }

    /// The restriction of a fund.
    pub fn restriction(&self, fund: FundId) -> Restriction {
        self.valued.journal.fund_restriction(fund)
    }

    /// Every movement of the period: (fund, element, net-asset change).
    pub fn movements(&self) -> impl Iterator<Item = (FundId, Element, Decimal)> + '_ {
        self.movements.iter().map(|(&(f, e), &v)| (f, e, v))
    }

    /// The sum of the net-asset changes of the movements `select` picks.
    ///
    /// # Errors
    /// [`ReportError::Overflow`].
    pub fn sum(
        &self,
        mut select: impl FnMut(FundId, Element) -> bool,
    ) -> Result<Decimal, ReportError> {
        let mut total = Decimal::ZERO;
        for (f, e, v) in self.movements() {
            if select(f, e) {
                super::acc(&mut total, v)?;
            }
        }
        Ok(total)
    }

    /// The expenses (positive) of the movements `select` picks, by
    /// (function, nature, fund).
    ///
    /// # Errors
    /// [`ReportError::Overflow`].
    pub fn expenses(
        &self,
        mut select: impl FnMut(usize, usize, FundId) -> bool,
    ) -> Result<Decimal, ReportError> {
        let total = self.sum(|f, e| match e {
            Element::Expense { function, nature } => select(function, nature, f),
            _ => false,
        })?;
        Ok(-total)
    }

    /// The part of a fund's net assets at a point that a statement shows in
    /// its restriction class: a donor-restricted fund never below zero (its
    /// deficit is borne by unrestricted net assets).
    pub fn presented(&self, fund: FundId, balance: Decimal) -> (Decimal, Decimal) {
        if self.restriction(fund).is_donor_restricted() && balance.is_sign_negative() {
            (Decimal::ZERO, balance)
        } else {
            (balance, Decimal::ZERO)
        }
    }

    /// The total of a balance line at the end.
    ///
    /// # Errors
    /// [`ReportError::Overflow`].
    pub fn balance(&self, line: &BalanceLine) -> Result<Decimal, ReportError> {
        Ok(money::checked_sum(
            self.balances
                .get(line)
                .into_iter()
                .flat_map(|m| m.values().copied()),
        )?)
    }
}

/// Checks that every key printed by more than one statement has one value.
///
/// # Errors
/// [`ReportError::DoesNotTie`] listing every key whose lines differ.
pub fn reconcile<'s>(
    statements: impl IntoIterator<Item = &'s super::statement::Statement>,
) -> Result<(), ReportError> {
    let mut seen: BTreeMap<&str, Vec<(&str, &str, Decimal)>> = BTreeMap::new();
    for s in statements {
        for tie in &s.ties {
            seen.entry(tie.key.as_str()).or_default().push((
                s.title.as_str(),
                tie.line.as_str(),
                tie.value,
            ));
        }
    }
    let mut problems = Vec::new();
    for (key, places) in &seen {
        let first = places[0].2;
        if places.iter().any(|(_, _, v)| *v != first) {
            let lines: Vec<String> = places
                .iter()
                .map(|(title, line, v)| format!("{title}, {line}: {v}"))
                .collect();
            problems.push(format!("{key}: {}", lines.join(" ≠ ")));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ReportError::DoesNotTie(format!(
            "the statements disagree on {} figure(s): {}",
            problems.len(),
            problems.join("; ")
        )))
    }
}
