//! Command-line arguments (clap). Parsing only: no accounting here.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Double-entry fund accounting for small charities, on plain-text Ledger
/// journals.
#[derive(Debug, Parser)]
#[command(name = "fundledger", version, about, long_about = None)]
pub struct Cli {
    /// The ledger directory (holding fundledger.toml). Default: the nearest
    /// one at or above the working directory.
    #[arg(
        short = 'C',
        long = "dir",
        global = true,
        env = "FUNDLEDGER_DIR",
        value_name = "DIR",
        conflicts_with = "file"
    )]
    pub dir: Option<PathBuf>,

    /// A bare Ledger/hledger journal, read with default settings; `-` reads
    /// standard input; repeat it to read several files as one journal.
    /// Default when no ledger directory is found: `LEDGER_FILE`.
    #[arg(short = 'f', long = "file", global = true, value_name = "FILE")]
    pub file: Vec<PathBuf>,

    /// Print how long each loading phase took (and, for `report`, valuing
    /// and each phase of the annual report), to standard error.
    #[arg(long, global = true)]
    pub timings: bool,

    /// Draw no progress bar (one is drawn on a terminal for work that takes
    /// more than a second; never when standard error is a pipe or a file).
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,

    /// Write the output to FILE (atomically) instead of standard output;
    /// its extension (.txt .csv .json .md .html .xlsx) sets the format
    /// unless -O is given.
    #[arg(short = 'o', long = "output", global = true, value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Start CSV with a UTF-8 byte-order mark, so that Excel reads it as
    /// UTF-8 (the default for `report --standard jp-npo`).
    #[arg(long, global = true, overrides_with = "no_bom")]
    pub bom: bool,

    /// No byte-order mark in CSV, even under `--standard jp-npo`.
    #[arg(long, global = true)]
    pub no_bom: bool,

    /// Colour in text output: auto (when standard output is a terminal and
    /// NO_COLOR is not set), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Apply automated transactions (`= QUERY` rules), as `hledger --auto` does.
    #[arg(long, global = true)]
    pub auto: bool,

    /// Show personal names in reports a board or the public reads (member
    /// lenders and donors by name instead of their declared labels).
    #[arg(long, global = true)]
    pub with_personal_data: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load and validate the journal; report every problem (exit 1 if any error).
    Check(CheckArgs),
    /// Account balances, as a tree (text) or one row per account and commodity.
    #[command(visible_alias = "bal")]
    Balance(BalanceArgs),
    /// The postings of some accounts with a running total.
    #[command(visible_alias = "reg")]
    Register(RegisterArgs),
    /// The accounts used or declared.
    Accounts(OutputArgs),
    /// The journal written back canonically (elided amounts and interfund postings explicit); with filters, the transactions they select.
    Print(RegisterArgs),
    /// Counts: files, dates, transactions, postings, payees, accounts, funds, commodities, prices.
    Stats(OutputArgs),
    /// The payees (transaction descriptions).
    Payees(OutputArgs),
    /// The tag names.
    Tags(OutputArgs),
    /// The commodities.
    Commodities(OutputArgs),
    /// The `P` prices.
    Prices(OutputArgs),
    /// The fund roll-forward: opening, income, expenses, transfers, closing per fund.
    Funds(FundsArgs),
    /// Import a donations or sales CSV file (validated whole, written atomically, never twice).
    Import(ImportArgs),
    /// Record one transaction by hand.
    Add(AddArgs),
    /// Close a fiscal year: check it (cash counts, closing rates, suspense, statements), revalue foreign balances at the closing rate, record the close; --migrate FILE writes the next year's opening balances.
    Close(CloseArgs),
    /// Reconcile a bank, postal or cash account with its statement (CSV, or --balance for a paper statement or cash count): match lines, mark them cleared, assert the balance, print the reconciliation. Writes only when the difference is zero.
    Reconcile(ReconcileArgs),
    /// The auditor's package of a fiscal year, written atomically into the new folder -o DIR: trial balance, general ledger with sources and documents, statements and notes, reconciliations, open advances, payments without documents, loan confirmation letters, and a manifest of digests.
    Audit(AuditArgs),
    /// Fiscal-year statements and board reports: activities, position, funds, functional, loans, sales, outputs, annual, impact (where each restricted gift went).
    Report(ReportArgs),
    /// Donation receipts (寄附金受領証明書) for gifts of money: a donor's fiscal year (--fy YEAR --donor ID), every donor's (--fy YEAR --all) or one gift (--gift); numbered and recorded in receipts.csv, never twice for a gift; --reissue NUMBER prints a copy. Markdown, or A4 HTML with -o FILE.html.
    Receipt(ReceiptArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell); see the README.
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `fundledger man > fundledger.1`.
    Man,
}

/// `receipt` arguments.
#[derive(Debug, Args)]
pub struct ReceiptArgs {
    /// The fiscal year whose gifts the receipt covers (with --donor or --all).
    #[arg(long, value_name = "YEAR", conflicts_with_all = ["gift", "reissue"])]
    pub fy: Option<i32>,
    /// The donor (an id of donors.csv); with --gift, narrows which gift is meant.
    #[arg(long, value_name = "ID", conflicts_with_all = ["all", "reissue"])]
    pub donor: Option<String>,
    /// Every donor with gifts of the fiscal year not yet receipted.
    #[arg(long, requires = "fy", conflicts_with_all = ["gift", "reissue"])]
    pub all: bool,
    /// One gift: its date (YYYY-MM-DD), DATE/CODE, its transaction code, or its import id.
    #[arg(long, value_name = "GIFT", conflicts_with = "reissue")]
    pub gift: Option<String>,
    /// Print a copy (再発行 / COPY) of the issued receipt NUMBER; records nothing.
    #[arg(long, value_name = "NUMBER")]
    pub reissue: Option<String>,
    /// The date of issue (default: today).
    #[arg(long, value_parser = parse_date)]
    pub date: Option<NaiveDate>,
    /// Show what would be issued (marked 見本 / SPECIMEN) and record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Give up after waiting this many seconds for another writer's lock.
    #[arg(long, value_name = "SECONDS")]
    pub lock_timeout: Option<u64>,
    /// Output format: md (the default, also for text), html (A4, one receipt a page) or json.
    #[arg(short = 'O', long = "output-format", value_enum)]
    pub output: Option<OutputFormat>,
}

/// `completions` arguments.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `check` arguments.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// `account` and `commodity` directives declare: a name they do not list is an error (as `hledger check accounts commodities`).
    #[arg(long)]
    pub strict: bool,
    /// Output format: text (the default, on standard error) or json (one
    /// JSON object per diagnostic and line, on standard output).
    #[arg(short = 'O', long = "output-format", value_enum)]
    pub output: Option<OutputFormat>,
}

/// `--color`.
#[derive(Clone, Copy, Debug, ValueEnum, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// When standard output is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Accounting standards.
#[derive(Clone, Copy, Debug, ValueEnum, Default)]
pub enum StandardArg {
    /// US GAAP, ASC 958.
    #[default]
    Asc958,
    /// Japan's NPO accounting standard (活動計算書).
    JpNpo,
    /// UK Charities SORP.
    Sorp,
}

/// The day `-V`/`--value` takes a commodity's price from.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ValueAt {
    /// Each posting's own date.
    Then,
    /// The report's last day.
    End,
}

/// How `report impact` allocates a fund's spending to its gifts.
#[derive(Clone, Copy, Debug, ValueEnum, Default, PartialEq, Eq)]
pub enum MethodArg {
    /// First in, first out: the oldest money still unspent goes first.
    #[default]
    Fifo,
    /// Pro rata: every gift still holding money gives in proportion to it.
    ProRata,
}

/// `report` arguments.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// activities, position, funds, functional, loans, sales, outputs, annual, impact, donors, reconciliation, advances, documents or remittances.
    pub name: String,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// That fund's books as an independent set (its postings and its share
    /// of interfund balances); repeat for several funds together.
    #[arg(long, value_name = "FUND")]
    pub fund: Vec<String>,
    /// The accounting standard of the statements.
    #[arg(long, value_enum, default_value_t = StandardArg::Asc958)]
    pub standard: StandardArg,
    /// `documents`: list payments of at least this much (base currency; default 50000).
    #[arg(long, value_name = "AMOUNT")]
    pub over: Option<u64>,
    /// `impact`: only this donor's statement (an id of donors.csv or of a `donor:` tag).
    #[arg(long, value_name = "ID")]
    pub donor: Option<String>,
    /// `impact`: how spending is allocated to gifts.
    #[arg(long, value_enum, default_value_t = MethodArg::Fifo)]
    pub method: MethodArg,
    /// `budget`: the version of the budget (`; budget: NAME` on periodic
    /// entries; default: the version written last).
    #[arg(long, value_name = "NAME")]
    pub budget_name: Option<String>,
    /// `budget`: one column pair per month, plus the total;
    /// `activities`, `functional`: one column per month, plus the total.
    #[arg(short = 'M', long, group = "report_columns")]
    pub monthly: bool,
    /// `budget`: one column pair per calendar quarter, plus the total;
    /// `activities`, `functional`: one column per calendar quarter, plus the total.
    #[arg(short = 'Q', long, group = "report_columns")]
    pub quarterly: bool,
    /// `budget`: one column pair per calendar year, plus the total;
    /// `activities`, `functional`: one column per calendar year, plus the total.
    #[arg(short = 'Y', long, group = "report_columns")]
    pub yearly: bool,
    /// `budget`: one column pair per fiscal year, plus the total;
    /// `activities`, `functional`: one column per fiscal year, plus the total.
    #[arg(long, group = "report_columns")]
    pub fy_columns: bool,
    /// Output format (default: from -o's extension, else text). xlsx: one
    /// sheet per statement.
    #[arg(short = 'O', long = "output-format", value_enum)]
    pub output: Option<OutputFormat>,
}

/// `reconcile` arguments.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The account (full name, such as Assets:Bank:Postal).
    pub account: String,
    /// The statement, as CSV (date, description, amount or deposit/withdrawal, reference, balance).
    #[arg(long, value_name = "FILE.csv", required_unless_present = "balance")]
    pub statement: Option<PathBuf>,
    /// A rules file (TOML) for the statement's layout: columns, date format, encoding, amount format.
    #[arg(long, value_name = "RULES.toml", requires = "statement")]
    pub rules: Option<PathBuf>,
    /// The statement's closing balance (a paper statement, a cash count, or a CSV without a balance column).
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    pub balance: Option<String>,
    /// The statement date (default: the last line's date; required with --balance alone).
    #[arg(long, value_parser = parse_date, required_unless_present = "statement")]
    pub as_of: Option<NaiveDate>,
    /// A cash count: post a difference between the count (--balance) and the books to this suspense account (one of [close] suspense_accounts), with a warning, instead of refusing.
    #[arg(
        long,
        value_name = "ACCOUNT",
        requires = "balance",
        conflicts_with = "statement"
    )]
    pub suspense: Option<String>,
    /// The commodity of the account's statement (default: the base currency).
    #[arg(long, value_name = "SYMBOL")]
    pub commodity: Option<String>,
    /// Print the reconciliation and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Give up after waiting this many seconds for another writer's lock.
    #[arg(long, value_name = "SECONDS")]
    pub lock_timeout: Option<u64>,
    /// Output format of the reconciliation.
    #[arg(short = 'O', long = "output-format", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// `audit` arguments.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The fiscal year that starts in YEAR.
    #[arg(long)]
    pub fy: i32,
    /// The accounting standard of the statements.
    #[arg(long, value_enum, default_value_t = StandardArg::Asc958)]
    pub standard: StandardArg,
}

/// What a CSV file holds.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ImportKindArg {
    /// date,donor,amount,currency,designation,reference,memo
    Donations,
    /// date,product,quantity,unit_price,currency,channel,maker,returned
    Sales,
}

/// `import` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: ImportKindArg,
    /// The CSV file.
    #[arg(value_name = "FILE.csv")]
    pub csv: PathBuf,
    /// A rules file (TOML) for another layout: columns, date format, encoding, accounts, designations.
    #[arg(long, value_name = "RULES.toml")]
    pub rules: Option<PathBuf>,
    /// The file's encoding (overrides the rules).
    #[arg(long, value_name = "ENCODING", value_parser = ["utf-8", "shift_jis"])]
    pub encoding: Option<String>,
    /// Show what would be added and change nothing (every check of a real run is made).
    #[arg(long)]
    pub dry_run: bool,
    /// Give up after waiting this many seconds for another writer's lock.
    #[arg(long, value_name = "SECONDS")]
    pub lock_timeout: Option<u64>,
}

/// `add` arguments.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The date (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub date: NaiveDate,
    /// The payee or description.
    #[arg(long)]
    pub payee: String,
    /// The fund of the postings (default: the ledger's default fund).
    #[arg(long, value_name = "FUND")]
    pub fund: Option<String>,
    /// A code, such as a receipt number.
    #[arg(long)]
    pub code: Option<String>,
    /// A comment kept with the transaction.
    #[arg(long)]
    pub memo: Option<String>,
    /// A posting: "ACCOUNT AMOUNT COMMODITY", or just "ACCOUNT" for the one amount to infer; "; fund: NAME" at the end gives it its own fund. Repeat it.
    #[arg(long = "posting", value_name = "POSTING", required = true)]
    pub postings: Vec<String>,
    /// Show the transaction and change nothing (every check of a real run is made).
    #[arg(long)]
    pub dry_run: bool,
    /// Give up after waiting this many seconds for another writer's lock.
    #[arg(long, value_name = "SECONDS")]
    pub lock_timeout: Option<u64>,
}

/// `close` arguments.
#[derive(Debug, Args)]
pub struct CloseArgs {
    /// The fiscal year that starts in YEAR (FY2000 = 2000-04-01 to 2001-03-31).
    #[arg(long)]
    pub fy: i32,
    /// Close even though something is missing; what is missing is recorded as warnings in the close.
    #[arg(long)]
    pub force: bool,
    /// Also write the next year's opening balances to FILE (a new journal; never overwritten).
    #[arg(long, value_name = "FILE")]
    pub migrate: Option<std::path::PathBuf>,
    /// The date of the close (default: today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub on: Option<NaiveDate>,
    /// Show what would be written and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Output formats (each command says which it writes).
#[derive(Clone, Copy, Debug, ValueEnum, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned text.
    #[default]
    Text,
    /// CSV with a header row.
    Csv,
    /// JSON.
    Json,
    /// Markdown (reports).
    Md,
    /// A self-contained HTML page (reports).
    Html,
    /// An Excel workbook (write it with -o FILE.xlsx).
    Xlsx,
}

/// The report period. Every range is `[begin, end)`: `-b` and `--as-of`
/// include their day, `-e` excludes its day (hledger's rule). Dates may be
/// spans: `2000`, `2000-04`, `2000/04/15`, `2000q2`, `fy2000`, `last quarter`,
/// `ytd`.
#[derive(Clone, Debug, Args, Default)]
pub struct PeriodArgs {
    /// The fiscal year that starts in YEAR (FY2000 = 2000-04-01 to 2001-03-31).
    #[arg(long, value_name = "YEAR")]
    pub fy: Option<i32>,
    /// First date included: the first day of DATE (2000, 2000-04, 2000/04/01, 2000q2, fy2000...).
    #[arg(short = 'b', long = "begin", value_name = "DATE")]
    pub begin: Option<String>,
    /// First date excluded: the first day of DATE (`-e 2000-10` ends on 2000-09-30).
    #[arg(short = 'e', long = "end", value_name = "DATE")]
    pub end: Option<String>,
    /// A period expression: 2000q2, fy2000, "from 2000-04 to 2000-10" (end excluded), "last quarter", ytd, "monthly in fy2000".
    #[arg(short = 'p', long = "period", value_name = "PERIOD")]
    pub period: Option<String>,
    /// Balances at the end of DATE (included): `--as-of 2000-09-30`, `--as-of 2000q2`.
    #[arg(long = "as-of", value_name = "DATE")]
    pub as_of: Option<String>,
}

/// `-O FORMAT`.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format: text, csv, json or xlsx (default: from -o's
    /// extension, else text).
    #[arg(short = 'O', long = "output-format", value_enum)]
    pub output: Option<OutputFormat>,
}

/// Which postings: query terms, funds, status marks, kinds.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Query terms: ACCOUNT (a prefix by whole component, any case:
    /// `assets:bank` is Assets:Bank and below, not Assets:Banking), acct:ACCOUNT,
    /// desc:TEXT or payee:TEXT (part of the payee, any case), fund:FUND,
    /// date:PERIOD, not:TERM. A term that matches nothing is warned about.
    #[arg(value_name = "QUERY")]
    pub terms: Vec<String>,
    /// Only this fund's postings (repeat for several).
    #[arg(long, value_name = "FUND")]
    pub fund: Vec<String>,
    /// Leave out virtual postings.
    #[arg(long)]
    pub real: bool,
    /// Only cleared postings (`*`, a posting's own mark or its transaction's;
    /// `-C` is --dir here, so there is no short form).
    #[arg(long)]
    pub cleared: bool,
    /// Only pending postings (`!`).
    #[arg(short = 'P', long)]
    pub pending: bool,
    /// Only unmarked postings.
    #[arg(short = 'U', long)]
    pub unmarked: bool,
    /// Leave out the postings fundledger generates (interfund and conversion legs).
    #[arg(long)]
    pub no_generated: bool,
    /// Value real postings in the base currency: `-V` (or `--value=then`)
    /// at the price of each posting's own date (the values the statements
    /// use); `--value=end` at the price of the report's last day (its end,
    /// else the last transaction's date), as hledger's `--value=end`; memo
    /// (virtual) quantities stay in their units.
    #[arg(
        short = 'V',
        long = "value",
        value_enum,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "then",
        value_name = "WHEN"
    )]
    pub value: Option<ValueAt>,
    /// Amounts at cost: a posting written with @/@@ shows its cost (the
    /// conversion legs fundledger generates for it are left out).
    #[arg(short = 'B', long = "cost", conflicts_with_all = ["value", "exchange"])]
    pub cost: bool,
    /// As -V, naming the commodity: only the base currency is accepted.
    #[arg(short = 'X', long = "exchange", value_name = "COMMODITY")]
    pub exchange: Option<String>,
}

impl QueryArgs {
    /// True when any term or flag narrows the selection.
    pub fn is_set(&self) -> bool {
        !self.terms.is_empty()
            || !self.fund.is_empty()
            || self.real
            || self.cleared
            || self.pending
            || self.unmarked
            || self.no_generated
            || self.value.is_some()
            || self.cost
            || self.exchange.is_some()
    }
}

impl PeriodArgs {
    /// The same flags without `-p` (its range moved to `-b`/`-e`).
    pub fn without_period(self) -> PeriodArgs {
        PeriodArgs {
            period: None,
            ..self
        }
    }

    /// True when any period flag is given.
    pub fn is_set(&self) -> bool {
        self.fy.is_some()
            || self.begin.is_some()
            || self.end.is_some()
            || self.period.is_some()
            || self.as_of.is_some()
    }
}

/// `balance` arguments.
#[derive(Debug, Args)]
pub struct BalanceArgs {
    #[command(flatten)]
    pub query: QueryArgs,
    /// One row per account, fund and commodity.
    #[arg(long)]
    pub by_fund: bool,
    /// One column per month, plus a total.
    #[arg(short = 'M', long, group = "columns")]
    pub monthly: bool,
    /// One column per calendar quarter, plus a total.
    #[arg(short = 'Q', long, group = "columns")]
    pub quarterly: bool,
    /// One column per calendar year, plus a total.
    #[arg(short = 'Y', long, group = "columns")]
    pub yearly: bool,
    /// One column per fiscal year, plus a total.
    #[arg(long, group = "columns")]
    pub fy_columns: bool,
    /// Collapse accounts below this depth into their parents.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(usize))]
    pub depth: Option<usize>,
    /// Each budgeted account's actual against its budget (periodic `~`
    /// entries), as hledger's `bal --budget`.
    #[arg(long, conflicts_with_all = ["by_fund", "depth", "columns"])]
    pub budget: bool,
    /// With --budget: the version of the budget (`; budget: NAME`; default:
    /// the version written last).
    #[arg(long, value_name = "NAME", requires = "budget")]
    pub budget_name: Option<String>,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Output format: text, csv, json or xlsx (default: from -o's
    /// extension, else text).
    #[arg(short = 'O', long = "output-format", value_enum)]
    pub output: Option<OutputFormat>,
}

/// `register` arguments.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    #[command(flatten)]
    pub query: QueryArgs,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Output format: text, csv, json or xlsx (default: from -o's
    /// extension, else text).
    #[arg(short = 'O', long = "output-format", value_enum)]
    pub output: Option<OutputFormat>,
}

/// `funds` arguments.
#[derive(Debug, Args)]
pub struct FundsArgs {
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Only these funds (repeat for several).
    #[arg(long, value_name = "FUND")]
    pub fund: Vec<String>,
    /// One row per fund and commodity, in each commodity's own units,
    /// instead of values in the base currency.
    #[arg(long)]
    pub by_commodity: bool,
    /// One column per month: each fund's net movement, between its opening
    /// and closing net assets.
    #[arg(short = 'M', long, group = "funds_columns")]
    pub monthly: bool,
    /// One column per calendar quarter (see -M).
    #[arg(short = 'Q', long, group = "funds_columns")]
    pub quarterly: bool,
    /// One column per calendar year (see -M).
    #[arg(short = 'Y', long, group = "funds_columns")]
    pub yearly: bool,
    /// One column per fiscal year (see -M).
    #[arg(long, group = "funds_columns")]
    pub fy_columns: bool,
    /// Output format: text, csv, json or xlsx (default: from -o's
    /// extension, else text; with columns also md and html).
    #[arg(short = 'O', long = "output-format", value_enum)]
    pub output: Option<OutputFormat>,
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date; expected YYYY-MM-DD"))?;
    if !fundledger_core::period::is_journal_date(date) {
        return Err(format!(
            "{text:?} is outside the years 0000 to 9999 a journal date can have; expected YYYY-MM-DD"
        ));
    }
    Ok(date)
}
