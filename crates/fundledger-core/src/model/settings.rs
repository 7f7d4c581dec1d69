//! `fundledger.toml`: the settings that sit beside a journal.
//!
//! The file is read with serde; unknown keys and wrong types are errors that
//! name the key and the line ([`Code::Settings`]). A bare journal opened with
//! `-f` gets [`Settings::for_bare_journal`]: no declared funds or commodities,
//! so nothing is checked against declarations, and the conventional account
//! roots (`Assets`, `Liabilities`, `Equity`/`NetAssets`, `Income`/`Revenue`,
//! `Expenses`, in any case).

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::model::diagnostic::{Code, Diagnostic, Location};

/// The settings file's name.
pub const SETTINGS_FILE_NAME: &str = "fundledger.toml";

/// The class of an account root, which decides where its balance goes in the
/// statements and how fund balances are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountClass {
    /// What the organisation owns.
    Assets,
    /// What it owes (member loans, payables, interfund due-to).
    Liabilities,
    /// Net assets (equity): opening balances, fund transfers, conversions.
    NetAssets,
    /// Revenue: donations, grants, sales.
    Income,
    /// Expenses.
    Expenses,
}

impl AccountClass {
    /// True for the classes whose postings change a fund's net assets.
    pub fn changes_net_assets(self) -> bool {
        matches!(
            self,
            AccountClass::NetAssets | AccountClass::Income | AccountClass::Expenses
        )
    }

    /// The class's name as written in settings.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountClass::Assets => "assets",
            AccountClass::Liabilities => "liabilities",
            AccountClass::NetAssets => "net-assets",
            AccountClass::Income => "income",
            AccountClass::Expenses => "expenses",
        }
    }
}

/// Whether a commodity is money or a unit of program output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CommodityKind {
    /// A currency (JPY, CNY, USD).
    #[default]
    Currency,
    /// A unit counted in program outputs (kg, garments, people).
    Unit,
}

/// A commodity the ledger declares.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommoditySettings {
    /// The symbol as written in the journal (`JPY`).
    pub symbol: String,
    /// Decimal places an amount may have (JPY 0, USD 2).
    pub precision: u32,
    /// Currency or unit.
    #[serde(default)]
    pub kind: CommodityKind,
    /// A human name.
    #[serde(default)]
    pub name: Option<String>,
    /// How reports write the unit after a number (`kg`, `people`);
    /// default: the symbol.
    #[serde(default)]
    pub label: Option<String>,
    /// The unit in Japanese reports (`人`, `か所`); default: `label`.
    #[serde(default)]
    pub label_ja: Option<String>,
    /// For a unit: whether it counts a flow (summed over a period) or a
    /// stock (observed at dates: year-end, peak and average, never summed).
    #[serde(default)]
    pub measure: Measure,
}

/// How a unit of programme output is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// Summed over the period (kg delivered, garments, cushions sold).
    #[default]
    Flow,
    /// A count at a date (children supported, people sheltered, shelters):
    /// reported as the year-end, peak and average observation.
    Stock,
}

/// A fund's restriction class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Restriction {
    /// Free to use for any purpose.
    Unrestricted,
    /// Restricted by a donor to a purpose or a time.
    Restricted,
    /// Set aside by the board (still unrestricted in law).
    BoardDesignated,
    /// A permanent endowment.
    Endowment,
}

impl Restriction {
    /// The name as written in settings and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Restriction::Unrestricted => "unrestricted",
            Restriction::Restricted => "restricted",
            Restriction::BoardDesignated => "board-designated",
            Restriction::Endowment => "endowment",
        }
    }

    /// True when the fund's money is restricted by donors (so it must never
    /// be spent below zero).
    pub fn is_donor_restricted(self) -> bool {
        matches!(self, Restriction::Restricted | Restriction::Endowment)
    }
}

impl fmt::Display for Restriction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fund: a self-balancing set of accounts kept for a purpose.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundSettings {
    /// The id used in `fund:` tags (`FoodAid`).
    pub id: String,
    /// A human name.
    pub name: String,
    /// The restriction class.
    pub restriction: Restriction,
    /// What the money is for, in words.
    #[serde(default)]
    pub purpose: Option<String>,
    /// True for the one fund that takes untagged postings.
    #[serde(default)]
    pub default: bool,
    /// When set, the only expense account prefixes this fund may pay for.
    #[serde(default)]
    pub expense_accounts: Option<Vec<String>>,
    /// The fund's name in Japanese, for statements under the NPO standard.
    #[serde(default)]
    pub name_ja: Option<String>,
    /// Its purpose in Japanese.
    #[serde(default)]
    pub purpose_ja: Option<String>,
    /// Income account prefixes whose gifts are restricted by their donors
    /// to this fund's purpose (only for restricted and endowment funds): a
    /// posting to one of them in an unrestricted or board-designated fund
    /// is an error, whatever fund the treasurer picked.
    #[serde(default)]
    pub income_accounts: Vec<String>,
}

/// A product of the self-reliance project, in the sales catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSettings {
    /// The id a sales CSV names it by (`cushion`).
    pub id: String,
    /// A human name.
    pub name: String,
    /// Its name in Japanese reports (default: `name`).
    #[serde(default)]
    pub name_ja: Option<String>,
    /// Other names a sales CSV may use (`クッション`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The catalogue price of one unit, written as a string or an integer
    /// (`"500"`), never a float.
    #[serde(deserialize_with = "exact_decimal")]
    pub unit_price: crate::model::money::Decimal,
    /// The currency of the price.
    pub currency: String,
    /// Where its sales are credited.
    pub income_account: String,
    /// The unit commodity its quantities are counted in (`pcs`).
    #[serde(default = "default_unit")]
    pub unit: String,
    /// The ( ) account counting units sold.
    pub sold_account: String,
    /// The ( ) account counting units returned for poor finish.
    pub returned_account: String,
    /// Kilograms of rice the profit of one unit buys: `"5"` or a range
    /// `"15-20"`.
    #[serde(default)]
    pub rice_kg_per_unit: Option<String>,
}

fn default_unit() -> String {
    "pcs".to_string()
}

/// Deserialises a decimal from a string or an integer; a float is refused
/// (it may not be the number written).
fn exact_decimal<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<crate::model::money::Decimal, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Exact {
        Text(String),
        Integer(i64),
    }
    match Exact::deserialize(deserializer)? {
        Exact::Integer(i) => Ok(crate::model::money::Decimal::from(i)),
        Exact::Text(t) => crate::model::money::Decimal::from_str_exact(t.trim()).map_err(|_| {
            serde::de::Error::custom(format!(
                "{t:?} is not an exact decimal number (at most 28 decimal places); write it like \"500\" or \"12.50\""
            ))
        }),
    }
}

/// How a CSV column is found: by its header or by its position (from 0).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ColumnRef {
    /// The header text.
    Name(String),
    /// The position, counting from 0.
    Index(usize),
}

/// A rule sending donations whose designation or memo contains some text to
/// a fund (and optionally an income account).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Designation {
    /// Any of these texts (case-insensitive) selects the rule.
    pub contains: Vec<String>,
    /// The fund the donation goes to.
    pub fund: String,
    /// The income account, when not the default one.
    #[serde(default)]
    pub income_account: Option<String>,
}

/// How to read one kind of CSV file and what to record from it. The same
/// keys serve in `fundledger.toml` (`[import.donations]`, `[import.sales]`)
/// and in a rules file given with `--rules`, whose keys win.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ImportRules {
    /// `utf-8` (the default) or `shift_jis` (CP932, Japanese banks and the
    /// post office).
    #[serde(default)]
    pub encoding: Option<String>,
    /// The field separator (default `,`).
    #[serde(default)]
    pub delimiter: Option<char>,
    /// Lines to skip before the header row.
    #[serde(default)]
    pub skip_rows: Option<usize>,
    /// The date format, in chrono's `strftime` syntax (default `%Y-%m-%d`).
    #[serde(default)]
    pub date_format: Option<String>,
    /// The decimal mark of amounts (default `.`).
    #[serde(default)]
    pub decimal_mark: Option<char>,
    /// A digit-group separator to remove from amounts (none by default).
    #[serde(default)]
    pub thousands_separator: Option<char>,
    /// Texts to remove from amounts before reading them (`"¥"`, `"円"`).
    #[serde(default)]
    pub strip: Option<Vec<String>>,
    /// The currency when the file has no currency column.
    #[serde(default)]
    pub currency: Option<String>,
    /// Where each field is: field name → header text or position.
    #[serde(default)]
    pub columns: Option<BTreeMap<String, ColumnRef>>,
    /// The account money comes into.
    #[serde(default)]
    pub asset_account: Option<String>,
    /// The income account credited (donations).
    #[serde(default)]
    pub income_account: Option<String>,
    /// The account returns are debited to (sales).
    #[serde(default)]
    pub returns_account: Option<String>,
    /// The fund when no designation matches (donations) or for all rows
    /// (sales).
    #[serde(default)]
    pub fund: Option<String>,
    /// Designation rules, tried in order (donations).
    #[serde(default)]
    pub designations: Option<Vec<Designation>>,
    /// The expense account a gift's fee is charged to (donations: a `fee`
    /// column, or `fee_per_gift`), such as `Expenses:Fundraising:Fees`.
    #[serde(default)]
    pub fee_account: Option<String>,
    /// The fund that bears fees (default: the default fund).
    #[serde(default)]
    pub fee_fund: Option<String>,
    /// A fee on every gift the file's `fee` column leaves empty, in the
    /// gift's currency (the postal transfer charge the organisation bears),
    /// written as a decimal string: `"130"`.
    #[serde(default)]
    pub fee_per_gift: Option<String>,
}

impl ImportRules {
    /// These rules with every key `over` sets taking its place.
    pub fn overlaid(&self, over: &ImportRules) -> ImportRules {
        ImportRules {
            encoding: over.encoding.clone().or_else(|| self.encoding.clone()),
            delimiter: over.delimiter.or(self.delimiter),
            skip_rows: over.skip_rows.or(self.skip_rows),
            date_format: over
                .date_format
                .clone()
                .or_else(|| self.date_format.clone()),
            decimal_mark: over.decimal_mark.or(self.decimal_mark),
            thousands_separator: over.thousands_separator.or(self.thousands_separator),
            strip: over.strip.clone().or_else(|| self.strip.clone()),
            currency: over.currency.clone().or_else(|| self.currency.clone()),
            columns: over.columns.clone().or_else(|| self.columns.clone()),
            asset_account: over
                .asset_account
                .clone()
                .or_else(|| self.asset_account.clone()),
            income_account: over
                .income_account
                .clone()
                .or_else(|| self.income_account.clone()),
            returns_account: over
                .returns_account
                .clone()
                .or_else(|| self.returns_account.clone()),
            fund: over.fund.clone().or_else(|| self.fund.clone()),
            designations: over
                .designations
                .clone()
                .or_else(|| self.designations.clone()),
            fee_account: over
                .fee_account
                .clone()
                .or_else(|| self.fee_account.clone()),
            fee_fund: over.fee_fund.clone().or_else(|| self.fee_fund.clone()),
            fee_per_gift: over
                .fee_per_gift
                .clone()
                .or_else(|| self.fee_per_gift.clone()),
        }
    }
}

/// The `[import]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ImportSettings {
    /// Defaults for donation files.
    #[serde(default)]
    pub donations: ImportRules,
    /// Defaults for sales files.
    #[serde(default)]
    pub sales: ImportRules,
}

/// A loan from a member, for the board's loan review.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoanSettings {
    /// The lender's name.
    pub lender: String,
    /// The liability account of the loan.
    pub account: String,
    /// When the loan is due (none: on demand or not agreed).
    #[serde(default)]
    pub due: Option<NaiveDate>,
    /// True when the lender is a related party (an officer or their family).
    #[serde(default)]
    pub related_party: bool,
    /// The lender's name in Japanese reports (default: `lender`).
    #[serde(default)]
    pub lender_ja: Option<String>,
    /// The public label reports show instead of the lender's name
    /// ("Member A"), unless `--with-personal-data`; default:
    /// `report.account_labels` of the account, else "Lender N" (N: the
    /// loan's place in `[[loans]]`).
    #[serde(default)]
    pub label: Option<String>,
    /// The public label in Japanese reports ("会員A"; default:
    /// `report.account_labels_ja` of the account, else 「貸主N」).
    #[serde(default)]
    pub label_ja: Option<String>,
    /// The annual interest rate in percent, as text (`"0"`).
    #[serde(default)]
    pub interest_percent: Option<String>,
}

/// A monthly target for a programme output (`5000 kg` of rice a month).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSettings {
    /// The ( ) output account.
    pub account: String,
    /// The target per month, in `unit`.
    #[serde(deserialize_with = "exact_decimal")]
    pub per_month: crate::model::money::Decimal,
    /// The unit commodity.
    pub unit: String,
}

/// How reports label and group accounts.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    /// Names of programmes by the second part of their expense accounts
    /// (`FoodAid = "Food supply"`).
    #[serde(default)]
    pub program_names: BTreeMap<String, String>,
    /// Japanese names of programmes, for `--standard jp-npo`.
    #[serde(default)]
    pub program_names_ja: BTreeMap<String, String>,
    /// Expense account prefixes that are personnel costs (人件費).
    #[serde(default)]
    pub personnel_accounts: Vec<String>,
    /// Asset account prefixes that are cash and bank balances.
    #[serde(default)]
    pub cash_accounts: Vec<String>,
    /// Monthly output targets.
    #[serde(default)]
    pub targets: Vec<TargetSettings>,
    /// Shared costs split between functions by percentages.
    #[serde(default)]
    pub allocations: Vec<AllocationSettings>,
    /// The natures of expense (personnel, rent, travel...), each mapped
    /// from expense account prefixes; an expense account none of them
    /// names is its own nature, named after its last part.
    #[serde(default)]
    pub natures: Vec<NatureSettings>,
    /// Labels of tag values reports break figures down by, keyed
    /// `"TAG:VALUE"`: `"region:South-East" = "South-East Asia"`.
    #[serde(default)]
    pub tag_labels: BTreeMap<String, String>,
    /// The same labels in Japanese reports.
    #[serde(default)]
    pub tag_labels_ja: BTreeMap<String, String>,
    /// The organisation's name in Japanese (北朝鮮難民救援基金).
    #[serde(default)]
    pub organisation_ja: Option<String>,
    /// Labels of accounts (or account prefixes) in statements:
    /// `"Assets:Bank:Postal" = "Postal savings account"`.
    #[serde(default)]
    pub account_labels: BTreeMap<String, String>,
    /// Japanese labels of accounts, with the NPO standard's 科目 and, in
    /// the inventory, the place: `"Assets:Bank:Postal" = "普通預金　ゆうちょ銀行"`.
    #[serde(default)]
    pub account_labels_ja: BTreeMap<String, String>,
    /// Asset account prefixes that are fixed (固定資産); every other asset
    /// is current.
    #[serde(default)]
    pub fixed_assets: Vec<String>,
    /// The output accounts whose cost per unit the outputs report shows:
    /// the programme's whole cost (after shared costs are allocated)
    /// divided by this output, so name one output per programme.
    #[serde(default)]
    pub unit_costs: Vec<String>,
    /// Income or expense account prefixes that hold foreign-exchange
    /// results (revaluation at the closing rate); they are reported with
    /// the conversion results, not as income or expenses.
    #[serde(default)]
    pub fx_accounts: Vec<String>,
}

/// A nature of expense: what the money bought, whatever the programme.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatureSettings {
    /// A stable id (`rent`).
    pub id: String,
    /// The English label (`Rent`).
    pub label: String,
    /// The Japanese label of the NPO standard (`地代家賃`).
    #[serde(default)]
    pub label_ja: Option<String>,
    /// Personnel (人件費) or other (その他経費).
    #[serde(default)]
    pub group: NatureGroup,
    /// Expense account prefixes of this nature.
    pub accounts: Vec<String>,
}

/// The NPO standard's two groups of expense natures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NatureGroup {
    /// 人件費: salaries, fees for people's work.
    Personnel,
    /// その他経費: everything else.
    #[default]
    Other,
}

/// A shared cost split between functions (programmes, `Management and
/// general`, `Fundraising`) by percentages that add up to 100.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationSettings {
    /// The expense account (or prefix) whose cost is shared.
    pub account: String,
    /// The basis of the split, in words (floor area, time sheets...).
    #[serde(default)]
    pub basis: Option<String>,
    /// The basis in Japanese (按分の基準).
    #[serde(default)]
    pub basis_ja: Option<String>,
    /// Function label → percentage (a string or an integer).
    pub shares: BTreeMap<String, ExactDecimal>,
}

/// A decimal read from a string or an integer, never a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExactDecimal(pub crate::model::money::Decimal);

impl<'de> Deserialize<'de> for ExactDecimal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        exact_decimal(deserializer).map(ExactDecimal)
    }
}

/// The accounts fundledger writes postings to by itself.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratedAccounts {
    /// Receivable from another fund (an asset of the lending fund).
    #[serde(default = "default_due_from")]
    pub due_from: String,
    /// Payable to another fund (a liability of the borrowing fund).
    #[serde(default = "default_due_to")]
    pub due_to: String,
    /// Where the two legs of a currency conversion meet (net assets).
    #[serde(default = "default_conversion")]
    pub conversion: String,
    /// Where a bare journal's balancing residuals go (hledger's tolerance:
    /// a transaction balanced to the display precision is accepted).
    #[serde(default = "default_rounding")]
    pub rounding: String,
}

fn default_due_from() -> String {
    "Assets:Interfund:DueFrom".to_string()
}
fn default_due_to() -> String {
    "Liabilities:Interfund:DueTo".to_string()
}
fn default_conversion() -> String {
    "NetAssets:Conversion".to_string()
}
fn default_rounding() -> String {
    "NetAssets:Rounding".to_string()
}

impl Default for GeneratedAccounts {
    fn default() -> Self {
        GeneratedAccounts {
            due_from: default_due_from(),
            due_to: default_due_to(),
            conversion: default_conversion(),
            rounding: default_rounding(),
        }
    }
}

/// `fundledger.toml` as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    organisation: String,
    base_currency: String,
    #[serde(default = "default_fiscal_year_start")]
    fiscal_year_start: String,
    journal: PathBuf,
    #[serde(default)]
    strict_funds: bool,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    account_classes: Option<BTreeMap<String, AccountClass>>,
    #[serde(default)]
    accounts: Option<Vec<String>>,
    #[serde(default)]
    generated_accounts: GeneratedAccounts,
    #[serde(default)]
    commodities: Vec<CommoditySettings>,
    #[serde(default)]
    funds: Vec<FundSettings>,
    #[serde(default)]
    products: Vec<ProductSettings>,
    #[serde(default)]
    import: ImportSettings,
    #[serde(default)]
    loans: Vec<LoanSettings>,
    #[serde(default)]
    report: ReportSettings,
    #[serde(default)]
    close: crate::write_path::close::CloseSettings,
    #[serde(default)]
    reconcile: crate::monthend::reconcile::ReconcileSettings,
    #[serde(default)]
    advances: crate::monthend::advances::AdvanceSettings,
    #[serde(default)]
    remittances: crate::monthend::remittances::RemittanceSettings,
    #[serde(default)]
    receipts: crate::donors::receipts::ReceiptSettings,
}

fn default_fiscal_year_start() -> String {
    "04-01".to_string()
}

/// The month and day a fiscal year starts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FiscalYearStart {
    /// 1-12.
    pub month: u32,
    /// 1-28 (so that every year has the day).
    pub day: u32,
}

impl FiscalYearStart {
    /// The first day of the fiscal year that starts in `year`.
    pub fn first_day(self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
    }

    /// The fiscal year (named by the calendar year it starts in) that `date`
    /// falls in.
    pub fn year_of(self, date: NaiveDate) -> i32 {
        use chrono::Datelike;
        match self.first_day(date.year()) {
            Some(start) if date >= start => date.year(),
            _ => date.year() - 1,
        }
    }
}

/// Validated settings of a ledger.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The organisation's name.
    pub organisation: String,
    /// The currency statements are reported in (`JPY`), when known.
    pub base_currency: Option<String>,
    /// When the fiscal year starts.
    pub fiscal_year_start: FiscalYearStart,
    /// The journal file, absolute or relative to the working directory.
    pub journal: PathBuf,
    /// The directory includes must stay inside.
    pub root: PathBuf,
    /// With `true`, a fund that does not balance on its own is an error;
    /// with `false`, interfund postings are added.
    pub strict_funds: bool,
    /// With `true` (`strict = true`, or `check --strict`), `account` and
    /// `commodity` directives declare: a name they do not list is an error,
    /// as under `hledger check accounts commodities`. With `false` they only
    /// name accounts and commodities (and a directive's sample amount gives
    /// no precision to check).
    pub strict: bool,
    /// Apply automated transactions (`= QUERY`), as `hledger --auto` does.
    pub auto: bool,
    /// Whom loading tells how far it got (nobody by default).
    pub progress: crate::load::progress::Progress,
    /// Show personal data in reports a board or the public reads (the
    /// CLI's `--with-personal-data`): names of donors and lenders and
    /// donors' addresses instead of their declared public labels. Never
    /// read from `fundledger.toml`.
    pub with_personal_data: bool,
    /// Account roots and their classes.
    pub account_classes: BTreeMap<String, AccountClass>,
    /// Match account roots case-insensitively (bare journals).
    pub classes_ignore_case: bool,
    /// Declared accounts, when the settings declare them.
    pub declared_accounts: Option<HashSet<String>>,
    /// Accounts fundledger writes to.
    pub generated_accounts: GeneratedAccounts,
    /// Declared commodities (empty: none declared, nothing checked).
    pub commodities: Vec<CommoditySettings>,
    /// Declared funds (empty: any fund tag is accepted).
    pub funds: Vec<FundSettings>,
    /// The id of the fund untagged postings belong to.
    pub default_fund: String,
    /// True when read from a `fundledger.toml` (stricter checks apply).
    pub from_file: bool,
    /// The donor register to check against instead of reading `donors.csv`:
    /// set by an import while it validates the journal it is about to write
    /// with the donors it adds.
    pub donors: Option<std::sync::Arc<crate::donors::register::DonorRegister>>,
    /// The self-reliance product catalogue.
    pub products: Vec<ProductSettings>,
    /// Import defaults.
    pub import: ImportSettings,
    /// The member-loan register.
    pub loans: Vec<LoanSettings>,
    /// Report labels and groupings.
    pub report: ReportSettings,
    /// Closing a year (`[close]`).
    pub close: crate::write_path::close::CloseSettings,
    /// Reconciling accounts with statements (`[reconcile]`).
    pub reconcile: crate::monthend::reconcile::ReconcileSettings,
    /// Field advances (`[advances]`).
    pub advances: crate::monthend::advances::AdvanceSettings,
    /// Money sent abroad (`[remittances]`).
    pub remittances: crate::monthend::remittances::RemittanceSettings,
    /// Donation receipts (`[receipts]`).
    pub receipts: crate::donors::receipts::ReceiptSettings,
}

fn default_account_classes() -> BTreeMap<String, AccountClass> {
    [
        ("Assets", AccountClass::Assets),
        ("Liabilities", AccountClass::Liabilities),
        ("NetAssets", AccountClass::NetAssets),
        ("Equity", AccountClass::NetAssets),
        ("Income", AccountClass::Income),
        ("Revenue", AccountClass::Income),
        ("Revenues", AccountClass::Income),
        ("Expenses", AccountClass::Expenses),
        ("Expense", AccountClass::Expenses),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The report settings with the close's revaluation account among the FX
/// accounts: a revaluation at the closing rate is an FX result.
fn with_fx_account(
    mut report: ReportSettings,
    close: &crate::write_path::close::CloseSettings,
) -> ReportSettings {
    let account = &close.fx_revaluation_account;
    if !report
        .fx_accounts
        .iter()
        .any(|a| crate::model::query::account_matches(account, a))
    {
        report.fx_accounts.push(account.clone());
    }
    report
}

/// The fund untagged postings of a bare journal belong to.
pub const BARE_DEFAULT_FUND: &str = "General";

impl Settings {
    /// Settings for a journal with no `fundledger.toml`.
    pub fn for_bare_journal(journal: &Path) -> Settings {
        let root = journal
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Settings {
            organisation: String::new(),
            base_currency: None,
            fiscal_year_start: FiscalYearStart { month: 4, day: 1 },
            journal: journal.to_path_buf(),
            root,
            strict_funds: false,
            strict: false,
            auto: false,
            progress: Default::default(),
            with_personal_data: false,
            account_classes: default_account_classes(),
            classes_ignore_case: true,
            declared_accounts: None,
            generated_accounts: GeneratedAccounts::default(),
            commodities: Vec::new(),
            funds: Vec::new(),
            default_fund: BARE_DEFAULT_FUND.to_string(),
            from_file: false,
            donors: None,
            products: Vec::new(),
            import: ImportSettings::default(),
            loans: Vec::new(),
            report: with_fx_account(
                ReportSettings::default(),
                &crate::write_path::close::CloseSettings::default(),
            ),
            close: crate::write_path::close::CloseSettings::default(),
            reconcile: crate::monthend::reconcile::ReconcileSettings::default(),
            advances: crate::monthend::advances::AdvanceSettings::default(),
            remittances: crate::monthend::remittances::RemittanceSettings::default(),
            receipts: crate::donors::receipts::ReceiptSettings::default(),
        }
    }

    /// Reads `DIR/fundledger.toml`.
    ///
    /// # Errors
    /// All problems found, each a [`Code::Settings`] diagnostic naming the key
    /// and line. An unreadable file is an I/O error.
    pub fn read(dir: &Path) -> Result<Result<Settings, Vec<Diagnostic>>, std::io::Error> {
        let path = dir.join(SETTINGS_FILE_NAME);
        let text = crate::write_path::import::read_text(&path)?;
        Ok(Settings::parse(&text, &path, dir))
    }

    /// Parses settings text read from `path` for the ledger in `dir`.
    pub fn parse(text: &str, path: &Path, dir: &Path) -> Result<Settings, Vec<Diagnostic>> {
        let file: SettingsFile = match toml::from_str(text) {
            Ok(file) => file,
            Err(error) => {
                let line = error
                    .span()
                    .map(|span| line_of_offset(text, span.start))
                    .unwrap_or(1);
                let message = error.message().trim().to_string();
                let mut diagnostic = settings_error(text, path, line, message);
                if let Some(span) = error.span().and_then(|span| columns_of(text, span)) {
                    diagnostic = diagnostic.with_span(span);
                }
                return Err(vec![diagnostic]);
            }
        };
        let mut problems = Vec::new();
        let mut problem = |line: u32, message: String| {
            problems.push(settings_error(text, path, line, message));
        };
        // The line of each fund's id and each commodity's symbol, from the
        // toml crate's spans (a key's first mention may be another entry's).
        // Read a second time only when a problem needs a line (most
        // settings have none).
        let entry_lines =
            std::cell::LazyCell::new(|| -> EntryLines { toml::from_str(text).unwrap_or_default() });
        let fund_line = |index: usize| {
            entry_lines
                .funds
                .get(index)
                .map_or(1, |f| line_of_offset(text, f.id.span().start))
        };
        let commodity_line = |index: usize| {
            entry_lines
                .commodities
                .get(index)
                .map_or(1, |c| line_of_offset(text, c.symbol.span().start))
        };

        let fiscal_year_start = match parse_month_day(&file.fiscal_year_start) {
            Some(start) => start,
            None => {
                problem(
                    line_of_key(text, "fiscal_year_start"),
                    format!(
                        "fiscal_year_start is {:?}; expected MM-DD with a day from 01 to 28, such as \"04-01\"",
                        file.fiscal_year_start
                    ),
                );
                FiscalYearStart { month: 4, day: 1 }
            }
        };

        let mut seen = HashSet::new();
        for (index, commodity) in file.commodities.iter().enumerate() {
            if !seen.insert(commodity.symbol.as_str()) {
                problem(
                    commodity_line(index),
                    format!("commodity {} is declared twice", commodity.symbol),
                );
            }
            if commodity.precision > 18 {
                problem(
                    commodity_line(index),
                    format!(
                        "commodity {} has precision {}; expected at most 18 decimal places",
                        commodity.symbol, commodity.precision
                    ),
                );
            }
        }
        if !file.commodities.is_empty()
            && !file
                .commodities
                .iter()
                .any(|c| c.symbol == file.base_currency)
        {
            problem(
                line_of_key(text, "base_currency"),
                format!(
                    "base_currency {} is not among the declared commodities",
                    file.base_currency
                ),
            );
        }

        let mut fund_ids = HashSet::new();
        for (index, fund) in file.funds.iter().enumerate() {
            if !fund_ids.insert(fund.id.as_str()) {
                problem(
                    fund_line(index),
                    format!("fund {} is declared twice", fund.id),
                );
            }
            if fund.id.is_empty() || fund.id.chars().any(|c| c.is_whitespace() || c == ',') {
                problem(
                    fund_line(index),
                    format!(
                        "fund id {:?} is not a single word; expected letters, digits, '-' or '_'",
                        fund.id
                    ),
                );
            }
        }
        let defaults: Vec<&FundSettings> = file.funds.iter().filter(|f| f.default).collect();
        let default_fund = match (file.funds.is_empty(), defaults.as_slice()) {
            (true, _) => BARE_DEFAULT_FUND.to_string(),
            (false, [one]) => one.id.clone(),
            (false, []) => {
                problem(
                    line_of_key(text, "funds"),
                    "no fund has `default = true`; expected exactly one default fund for untagged postings".to_string(),
                );
                String::new()
            }
            (false, many) => {
                problem(
                    line_of_key(text, "default"),
                    format!(
                        "{} funds have `default = true` ({}); expected exactly one",
                        many.len(),
                        many.iter()
                            .map(|f| f.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                String::new()
            }
        };

        for allocation in &file.report.allocations {
            let total = allocation
                .shares
                .values()
                .try_fold(crate::model::money::Decimal::ZERO, |sum, share| {
                    crate::model::money::checked_add(sum, share.0)
                });
            let Ok(total) = total else {
                problem(
                    line_of_key(text, &allocation.account),
                    format!(
                        "the shares of {} overflow when added; expected 100%",
                        allocation.account
                    ),
                );
                continue;
            };
            if total != crate::model::money::Decimal::from(100) {
                problem(
                    line_of_key(text, &allocation.account),
                    format!(
                        "the shares of {} add up to {total}%; expected 100%",
                        allocation.account
                    ),
                );
            }
        }
        // A gift restricted by its donor stays restricted whatever fund it is
        // routed to: income accounts belong to restricted funds only, and an
        // import rule may not send them to an unrestricted fund.
        for (index, fund) in file.funds.iter().enumerate() {
            if !fund.income_accounts.is_empty() && !fund.restriction.is_donor_restricted() {
                problem(
                    fund_line(index),
                    format!(
                        "fund {} is {} but lists income_accounts ({}); expected donor-restricted income accounts only on restricted or endowment funds",
                        fund.id,
                        fund.restriction,
                        fund.income_accounts.join(", ")
                    ),
                );
            }
        }
        for rule in file.import.donations.designations.iter().flatten() {
            let Some(account) =
                rule.income_account
                    .as_deref()
                    .or(file.import.donations.income_account.as_deref())
            else {
                continue;
            };
            let target = file.funds.iter().find(|f| f.id == rule.fund);
            if let (Some(owner), Some(target)) = (restricted_fund_for(&file.funds, account), target)
            {
                if !target.restriction.is_donor_restricted() {
                    problem(
                        line_of_key(text, &rule.fund),
                        format!(
                            "the designation rule for {:?} sends donor-restricted gifts ({account}, restricted to fund {}) to the {} fund {}; expected fund {} or another restricted fund",
                            rule.contains.join(", "),
                            owner.id,
                            target.restriction,
                            target.id,
                            owner.id
                        ),
                    );
                }
            }
        }
        let account_classes = file
            .account_classes
            .clone()
            .unwrap_or_else(default_account_classes);
        for root in account_classes.keys() {
            if root.contains(':') || root.is_empty() {
                problem(
                    line_of_key(text, root),
                    format!("account class key {root:?} is not a root account name (no ':')"),
                );
            }
        }

        let mut declared_accounts = file
            .accounts
            .clone()
            .map(|list| list.into_iter().collect::<HashSet<_>>());
        if let Some(declared) = &mut declared_accounts {
            let generated = &file.generated_accounts;
            for account in [
                &generated.due_from,
                &generated.due_to,
                &generated.conversion,
                &generated.rounding,
            ] {
                declared.insert(account.clone());
            }
        }

        if let Some(outside) = journal_outside(dir, &file.journal) {
            let line = line_of_key(text, "journal");
            let mut d = settings_error(text, path, line, outside);
            d.code = Code::IncludeOutsideLedger;
            problems.push(
                d.expected("`journal` naming a file inside the ledger directory (like an include)"),
            );
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let journal = if dir == Path::new(".") {
            file.journal.clone()
        } else {
            dir.join(&file.journal)
        };
        Ok(Settings {
            organisation: file.organisation,
            base_currency: Some(file.base_currency),
            fiscal_year_start,
            journal,
            root: dir.to_path_buf(),
            strict_funds: file.strict_funds,
            strict: file.strict,
            auto: false,
            progress: Default::default(),
            with_personal_data: false,
            account_classes,
            classes_ignore_case: false,
            declared_accounts,
            generated_accounts: file.generated_accounts,
            commodities: file.commodities,
            funds: file.funds,
            default_fund,
            from_file: true,
            donors: None,
            products: file.products,
            import: file.import,
            loans: file.loans,
            report: with_fx_account(file.report, &file.close),
            close: file.close,
            reconcile: file.reconcile,
            advances: file.advances,
            remittances: file.remittances,
            receipts: file.receipts,
        })
    }

    /// The class of an account, from its root.
    pub fn class_of(&self, account: &str) -> Option<AccountClass> {
        let root = account.split(':').next().unwrap_or(account);
        if self.classes_ignore_case {
            self.account_classes
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(root))
                .map(|(_, class)| *class)
        } else {
            self.account_classes.get(root).copied()
        }
    }

    /// The declared commodity with this symbol.
    pub fn commodity(&self, symbol: &str) -> Option<&CommoditySettings> {
        self.commodities.iter().find(|c| c.symbol == symbol)
    }

    /// The product a sales file names (by id, name or alias; any case).
    pub fn product(&self, name: &str) -> Option<&ProductSettings> {
        let name = name.trim();
        self.products.iter().find(|p| {
            p.id.eq_ignore_ascii_case(name)
                || p.name.eq_ignore_ascii_case(name)
                || p.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
        })
    }

    /// The declared fund with this id.
    pub fn fund(&self, id: &str) -> Option<&FundSettings> {
        self.funds.iter().find(|f| f.id == id)
    }

    /// The restriction class of a fund (unrestricted when undeclared).
    pub fn restriction_of(&self, fund: &str) -> Restriction {
        self.fund(fund)
            .map(|f| f.restriction)
            .unwrap_or(Restriction::Unrestricted)
    }

    /// The restricted fund whose `income_accounts` name `account`, when a
    /// donor restricts gifts booked to it.
    pub fn donor_restricted_income(&self, account: &str) -> Option<&FundSettings> {
        restricted_fund_for(&self.funds, account)
    }

    /// The date range `[first day, first day of next year)` of fiscal year
    /// `year`.
    pub fn fiscal_year(&self, year: i32) -> Option<(NaiveDate, NaiveDate)> {
        let start = self.fiscal_year_start.first_day(year)?;
        let end = self.fiscal_year_start.first_day(year.checked_add(1)?)?;
        Some((start, end))
    }
}

/// The donor-restricted fund among `funds` whose `income_accounts` name
/// `account`; one rule for validation and for [`Settings::donor_restricted_income`].
fn restricted_fund_for<'a>(funds: &'a [FundSettings], account: &str) -> Option<&'a FundSettings> {
    funds.iter().find(|f| {
        f.restriction.is_donor_restricted()
            && f.income_accounts
                .iter()
                .any(|prefix| crate::model::query::account_matches(account, prefix))
    })
}

fn parse_month_day(text: &str) -> Option<FiscalYearStart> {
    let (month, day) = text.split_once('-')?;
    if month.len() != 2 || day.len() != 2 {
        return None;
    }
    let month: u32 = month.parse().ok()?;
    let day: u32 = day.parse().ok()?;
    ((1..=12).contains(&month) && (1..=28).contains(&day)).then_some(FiscalYearStart { month, day })
}

/// Why the `journal` path leaves the ledger directory `dir` (absolute, `..`
/// past the top, or a symbolic link whose target is outside); `None` when it
/// stays inside.
fn journal_outside(dir: &Path, journal: &Path) -> Option<String> {
    use std::path::Component;
    let shown = journal.display();
    if journal.is_absolute() || journal.has_root() {
        return Some(format!(
            "journal {shown:?} is an absolute path, outside the ledger directory"
        ));
    }
    let mut depth = 0usize;
    for component in journal.components() {
        match component {
            Component::ParentDir if depth == 0 => {
                return Some(format!("journal {shown:?} leaves the ledger directory"));
            }
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
    }
    let (Ok(root), Ok(target)) = (dir.canonicalize(), dir.join(journal).canonicalize()) else {
        return None;
    };
    (!target.starts_with(&root)).then(|| {
        format!(
            "journal {shown:?} leads (through a symbolic link) to {}, outside the ledger directory",
            target.display()
        )
    })
}

/// Where fund ids and commodity symbols are written (spans only).
#[derive(Deserialize, Default)]
struct EntryLines {
    #[serde(default)]
    funds: Vec<FundIdSpan>,
    #[serde(default)]
    commodities: Vec<SymbolSpan>,
}

#[derive(Deserialize)]
struct FundIdSpan {
    id: toml::Spanned<String>,
}

#[derive(Deserialize)]
struct SymbolSpan {
    symbol: toml::Spanned<String>,
}

fn line_of_offset(text: &str, offset: usize) -> u32 {
    let offset = offset.min(text.len());
    let newlines = text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

/// The 1-based character columns of the byte range `span` of `text` on
/// its first line (cut at the line's end).
fn columns_of(text: &str, span: std::ops::Range<usize>) -> Option<crate::model::diagnostic::Span> {
    let start = span.start.min(text.len());
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |at| at + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |at| start + at);
    let end = span.end.clamp(start, line_end);
    let column = |offset: usize| {
        let chars = text.get(line_start..offset)?.chars().count();
        u32::try_from(chars + 1).ok()
    };
    Some(crate::model::diagnostic::Span {
        start: column(start)?,
        end: column(end)?,
    })
}

/// The first line that mentions `key` as a key or a quoted value; 1 when none.
fn line_of_key(text: &str, key: &str) -> u32 {
    let quoted = format!("\"{key}\"");
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            line.starts_with(key) || line.contains(&quoted) || line.starts_with(&format!("[{key}"))
        })
        .map(|index| u32::try_from(index + 1).unwrap_or(u32::MAX))
        .unwrap_or(1)
}

fn settings_error(text: &str, path: &Path, line: u32, message: String) -> Diagnostic {
    let excerpt = text
        .lines()
        .nth(line.saturating_sub(1) as usize)
        .map(|l| vec![(line, l.to_string())])
        .unwrap_or_default();
    Diagnostic::new(Code::Settings, message)
        .at(Location {
            path: path.to_path_buf(),
            line,
        })
        .with_excerpt(excerpt)
        .expected(format!(
            "settings as documented in {SETTINGS_FILE_NAME}: see README.md"
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toml_error_points_at_its_columns() {
        let text = "organisation = \"x\"\nbase_currency = \"JPY\"\njurnal = \"j.ledger\"\n";
        let problems =
            Settings::parse(text, Path::new("fundledger.toml"), Path::new(".")).unwrap_err();
        assert_eq!(problems[0].location.as_ref().map(|l| l.line), Some(3));
        assert_eq!(
            problems[0].span,
            Some(crate::model::diagnostic::Span { start: 1, end: 7 })
        );
        assert_eq!(
            columns_of("ab\ncdé f\n", 3..8),
            Some(crate::model::diagnostic::Span { start: 1, end: 5 })
        );
    }

    const MINIMAL: &str = r#"
organisation = "Test"
base_currency = "JPY"
journal = "main.ledger"

[[commodities]]
symbol = "JPY"
precision = 0

[[funds]]
id = "General"
name = "General fund"
restriction = "unrestricted"
default = true
"#;

    fn parse(text: &str) -> Result<Settings, Vec<Diagnostic>> {
        Settings::parse(text, Path::new("fundledger.toml"), Path::new("."))
    }

    #[test]
    fn minimal_settings_load_with_defaults() {
        let settings = parse(MINIMAL).unwrap();
        assert_eq!(settings.default_fund, "General");
        assert_eq!(
            settings.fiscal_year_start,
            FiscalYearStart { month: 4, day: 1 }
        );
        assert_eq!(
            settings.class_of("Expenses:Food"),
            Some(AccountClass::Expenses)
        );
        assert_eq!(
            settings.class_of("expenses:food"),
            None,
            "case matters in a ledger"
        );
        let (start, end) = settings.fiscal_year(2000).unwrap();
        assert_eq!(start.to_string(), "2000-04-01");
        assert_eq!(end.to_string(), "2001-04-01");
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = MINIMAL.replace("journal = ", "jurnal = ");
        let errors = parse(&text).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("jurnal"),
            "{}",
            errors[0].message
        );
        assert_eq!(errors[0].location.as_ref().unwrap().line, 4);
    }

    #[test]
    fn decimals_are_read_exactly_and_summed_without_panic() {
        let with_shares = |shares: &str| {
            format!("{MINIMAL}\n[[report.allocations]]\naccount = \"Expenses:Office\"\nshares = {{ {shares} }}\n")
        };
        let rounded = parse(&with_shares(r#"a = "0.12345678901234567890123456789123""#));
        assert!(rounded.unwrap_err()[0]
            .message
            .contains("not an exact decimal"));
        let huge = r#"a = "79228162514264337593543950335", b = "79228162514264337593543950335""#;
        let overflow = parse(&with_shares(huge));
        assert!(overflow.unwrap_err()[0].message.contains("overflow"));
        assert!(
            parse(&with_shares(r#"a = "62.5", b = 37.5"#)).is_err(),
            "a float is refused"
        );
        assert!(parse(&with_shares(r#"a = "62.5", b = "37.5""#)).is_ok());
    }

    #[test]
    fn wrong_type_names_line() {
        let text = MINIMAL.replace("precision = 0", "precision = \"zero\"");
        let errors = parse(&text).unwrap_err();
        assert_eq!(errors[0].location.as_ref().unwrap().line, 8);
    }

    #[test]
    fn two_default_funds_is_an_error() {
        let text = format!(
            "{MINIMAL}\n[[funds]]\nid = \"Food\"\nname = \"F\"\nrestriction = \"restricted\"\ndefault = true\n"
        );
        let errors = parse(&text).unwrap_err();
        assert!(errors[0].message.contains("expected exactly one"));
    }

    #[test]
    fn allocation_shares_must_add_to_100() {
        let text = format!("{MINIMAL}\n[[report.allocations]]\naccount = \"Expenses:Office\"\nshares = {{ \"A\" = 60, \"B\" = \"30\" }}\n");
        let errors = parse(&text).unwrap_err();
        assert!(
            errors[0].message.contains("add up to 90%"),
            "{}",
            errors[0].message
        );
        let float = format!("{MINIMAL}\n[[report.allocations]]\naccount = \"Expenses:Office\"\nshares = {{ \"A\" = 60.5, \"B\" = \"39.5\" }}\n");
        assert!(parse(&float).is_err(), "a float share is refused");
    }

    #[test]
    fn fiscal_year_of_a_date() {
        let start = FiscalYearStart { month: 4, day: 1 };
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(start.year_of(d("2001-03-31")), 2000);
        assert_eq!(start.year_of(d("2001-04-01")), 2001);
    }
}
