//! `fundledger`: the command-line frontend.
//!
//! This binary only parses arguments, calls the library and writes what it
//! renders. Exit codes: 0 fine, 1 the data has errors, 2 usage or I/O error.
//! A closed pipe (`fundledger print | head`) ends quietly with 0.

mod args;
mod output;
mod progress;

use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use fundledger_core::cli_support::entry::{self, NewEntry};
use fundledger_core::cli_support::lists::{self, NameKind};
use fundledger_core::cli_support::locate::{self, LocateError};
use fundledger_core::cli_support::print;
use fundledger_core::cli_support::render::{self, Format};
use fundledger_core::cli_support::sheet;
use fundledger_core::import::{self, ImportKind, ImportRequest};
use fundledger_core::query::Filter;
use fundledger_core::write::{self, ChangeError};
use fundledger_core::{reports, Diagnostic, Journal, LoadError, Settings};

use args::{
    AddArgs, AuditArgs, Cli, CloseArgs, ColorChoice, Command, ImportArgs, ImportKindArg, MethodArg,
    OutputFormat, PeriodArgs, QueryArgs, ReceiptArgs, ReconcileArgs, ReportArgs, StandardArg,
};
use output::{Output, Rendered};

/// How a run ended.
enum Failure {
    /// The data has errors (exit 1); they have been printed.
    Data,
    /// A usage or I/O problem (exit 2), with its message.
    Usage(String),
    /// The reader of our output went away (`fundledger print | head`): a
    /// quiet, successful end.
    BrokenPipe,
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            return Failure::BrokenPipe;
        }
        Failure::Usage(format!("I/O error: {error}"))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    COLOUR.store(
        colour_on_stderr(cli.color),
        std::sync::atomic::Ordering::Relaxed,
    );
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Data) => ExitCode::from(1),
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("fundledger: {message}");
            ExitCode::from(2)
        }
    }
}

/// Whether diagnostics are coloured (set once from `--color`).
static COLOUR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let colour = COLOUR.load(std::sync::atomic::Ordering::Relaxed);
    let stderr = std::io::stderr();
    let mut stderr = stderr.lock();
    for d in diagnostics {
        let _ = writeln!(stderr, "{}", d.render(colour));
    }
}

/// Prints what loading found, saying how many more it found than it kept.
fn print_loaded_diagnostics(loaded: &fundledger_core::Loaded) {
    print_diagnostics(&loaded.diagnostics);
    if let Some(note) = loaded.omitted_note() {
        eprintln!("{note}");
    }
}

fn settings_for(cli: &Cli) -> Result<Settings, Failure> {
    let mut settings = located_settings(cli)?;
    settings.auto |= cli.auto;
    settings.with_personal_data |= cli.with_personal_data;
    settings.strict |= matches!(&cli.command, Command::Check(args) if args.strict);
    settings.progress = progress::on_stderr(cli.quiet);
    Ok(settings)
}

/// Where a bare journal's text comes from when it is not one file.
enum BareSource {
    /// `-f -`.
    Stdin,
    /// Several `-f FILE`: read as one journal that includes each in turn
    /// (from their common directory, which includes stay inside).
    Files(String),
}

/// The common directory of several files and the text including each.
fn bare_source(cli: &Cli) -> Result<Option<(PathBuf, BareSource)>, Failure> {
    match cli.file.as_slice() {
        [] => Ok(None),
        [one] if one.as_os_str() == "-" => Ok(Some((PathBuf::from("-"), BareSource::Stdin))),
        [_] => Ok(None),
        many => {
            if many.iter().any(|f| f.as_os_str() == "-") {
                return Err(Failure::Usage(
                    "`-f -` (standard input) cannot be combined with other -f files".into(),
                ));
            }
            let absolute: Vec<PathBuf> = many
                .iter()
                .map(|f| {
                    f.canonicalize()
                        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", f.display())))
                })
                .collect::<Result<_, _>>()?;
            let mut root = absolute[0]
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            while !absolute.iter().all(|f| f.starts_with(&root)) {
                if !root.pop() {
                    break;
                }
            }
            let mut text = String::new();
            for file in &absolute {
                let relative = file.strip_prefix(&root).unwrap_or(file);
                text.push_str(&format!("include {}\n", relative.display()));
            }
            Ok(Some((root.join("(-f files)"), BareSource::Files(text))))
        }
    }
}

fn located_settings(cli: &Cli) -> Result<Settings, Failure> {
    if let Some((path, _)) = bare_source(cli)? {
        return Ok(Settings::for_bare_journal(&path));
    }
    if let Some(file) = cli.file.first() {
        return Ok(Settings::for_bare_journal(file));
    }
    let working_dir = std::env::current_dir()?;
    match locate::resolve(cli.dir.as_deref(), &working_dir) {
        Ok(settings) => Ok(settings),
        Err(LocateError::NotFound { .. })
            if cli.dir.is_none()
                && std::env::var_os("LEDGER_FILE").is_some_and(|f| !f.is_empty()) =>
        {
            let file = PathBuf::from(std::env::var_os("LEDGER_FILE").unwrap_or_default());
            Ok(Settings::for_bare_journal(&file))
        }
        Err(LocateError::Invalid(problems)) => {
            print_diagnostics(&problems);
            eprintln!("fundledger: {} error(s) in settings", problems.len());
            Err(Failure::Data)
        }
        Err(other) => Err(Failure::Usage(other.to_string())),
    }
}

/// `--timings` after loading: how long each phase of a command took, to
/// standard error, each measured from the end of the one before.
struct Lap {
    /// Since when the current phase runs; `None` without `--timings`.
    since: Option<std::time::Instant>,
}

impl Lap {
    fn new(timings: bool) -> Lap {
        Lap {
            since: timings.then(std::time::Instant::now),
        }
    }

    /// Prints how long `phase` took and starts the next one.
    fn phase(&mut self, phase: &str) {
        if let Some(since) = self.since {
            print_timing(phase, since.elapsed());
            self.since = Some(std::time::Instant::now());
        }
    }
}

/// One line of `--timings`: how long `phase` took.
fn print_timing(phase: &str, took: std::time::Duration) {
    use std::io::Write as _;
    // Never a panic on a closed standard error: a write's last phase is
    // told after its rename, and must not turn a done write into a crash.
    let _ = writeln!(
        std::io::stderr(),
        "timing: {phase}: {:.1} ms",
        took.as_secs_f64() * 1000.0
    );
}

/// Loads the journal; prints warnings always and errors when `report_errors`.
fn load(cli: &Cli) -> Result<fundledger_core::Loaded, Failure> {
    load_with(cli, false)
}

/// [`load`]; with `files_digest`, a journal file (not standard input or
/// bare text) is loaded taking the annual report's digest of it as it is
/// read ([`fundledger_core::Loaded::files_digest`]).
fn load_with(cli: &Cli, files_digest: bool) -> Result<fundledger_core::Loaded, Failure> {
    let settings = settings_for(cli)?;
    let loaded = match bare_source(cli)? {
        None if files_digest => fundledger_core::load::load_with_files_digest(settings),
        None => fundledger_core::load(settings),
        Some((path, BareSource::Stdin)) => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::Usage(format!("cannot read standard input: {e}")))?;
            fundledger_core::load::load_text(settings, &path, text)
        }
        Some((path, BareSource::Files(text))) => {
            fundledger_core::load::load_text(settings, &path, text)
        }
    };
    match loaded {
        Ok(loaded) => {
            if cli.timings {
                for (phase, duration) in &loaded.timings {
                    print_timing(phase, *duration);
                }
                eprintln!(
                    "timing: transactions read by the common lane: {} of {}",
                    loaded.common_lane_blocks(),
                    loaded.journal.transactions().len()
                );
            }
            Ok(loaded)
        }
        Err(LoadError::Io { path, error }) => Err(Failure::Usage(format!(
            "cannot read {}: {error}",
            path.display()
        ))),
        Err(error) => Err(Failure::Usage(error.to_string())),
    }
}

/// `add` and `import` write to one journal file: not to standard input or
/// to several files.
fn refuse_unwritable(cli: &Cli) -> Result<(), Failure> {
    if bare_source(cli)?.is_some() {
        return Err(Failure::Usage(
            "add and import write to one journal: name one file with -f, or a ledger directory"
                .into(),
        ));
    }
    Ok(())
}

/// Loads a journal for a report: any data error stops here (exit 1).
fn load_valid(cli: &Cli) -> Result<Journal, Failure> {
    load_valid_with(cli, false).map(|(journal, _)| journal)
}

/// [`load_valid`] through [`load_with`]: the journal, and the digest of its
/// file when asked for and taken.
fn load_valid_with(cli: &Cli, files_digest: bool) -> Result<(Journal, Option<String>), Failure> {
    let loaded = load_with(cli, files_digest)?;
    print_loaded_diagnostics(&loaded);
    if loaded.has_errors() {
        let errors = loaded.error_count();
        eprintln!("fundledger: {errors} error(s); run `fundledger check` for the full list. No report is printed from data with errors.");
        return Err(Failure::Data);
    }
    let digest = loaded.files_digest().map(str::to_string);
    Ok((loaded.journal, digest))
}

/// Where a command's output goes (`-o`, `-O`, `--bom`), for a command
/// that writes the `supported` formats.
fn destination(
    cli: &Cli,
    explicit: Option<OutputFormat>,
    supported: &[OutputFormat],
    default_bom: bool,
) -> Result<Output, Failure> {
    let bom = if cli.no_bom {
        Some(false)
    } else if cli.bom {
        Some(true)
    } else {
        None
    };
    Output::new(
        explicit,
        cli.output_file.as_deref(),
        bom,
        default_bom,
        supported,
    )
}

/// Writes the text of a command that only writes text (`check`, `print`,
/// `import`, `add`), to standard output or `-o FILE`.
fn output(cli: &Cli, text: &str) -> Result<(), Failure> {
    destination(cli, Some(OutputFormat::Text), &[OutputFormat::Text], false)?
        .write(Rendered::Text(text.to_string()))
}

/// The formats of the journal views (`balance`, `register`, `accounts`,
/// `funds`).
const VIEW_FORMATS: [OutputFormat; 4] = [
    OutputFormat::Text,
    OutputFormat::Csv,
    OutputFormat::Json,
    OutputFormat::Xlsx,
];

/// Renders a journal view in `out`'s format: `text` renders the text
/// formats, `sheets` the spreadsheet.
fn view(
    out: &Output,
    text: impl FnOnce(Format) -> Result<String, render::RenderError>,
    sheets: impl FnOnce() -> Vec<sheet::Sheet>,
) -> Result<(), Failure> {
    let rendered = match out.format {
        OutputFormat::Xlsx => Rendered::Sheets(sheets()),
        OutputFormat::Csv => Rendered::Text(text(Format::Csv).map_err(report_failed)?),
        OutputFormat::Json => Rendered::Text(text(Format::Json).map_err(report_failed)?),
        _ => Rendered::Text(text(Format::Text).map_err(report_failed)?),
    };
    out.write(rendered)
}

/// Whether diagnostics on standard error are coloured (`--color`,
/// `NO_COLOR`).
fn colour_on_stderr(choice: ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    }
}

/// The formats of listings (`print` with a format, `stats`, `payees`,
/// `tags`, `commodities`, `prices`).
const LISTING_FORMATS: [OutputFormat; 3] =
    [OutputFormat::Text, OutputFormat::Csv, OutputFormat::Json];

/// Writes a listing in text, CSV or JSON, to standard output or `-o FILE`.
fn listing(
    cli: &Cli,
    format: Option<OutputFormat>,
    text: impl FnOnce(Format) -> Result<String, render::RenderError>,
) -> Result<(), Failure> {
    let out = destination(cli, format, &LISTING_FORMATS, false)?;
    let format = match out.format {
        OutputFormat::Csv => Format::Csv,
        OutputFormat::Json => Format::Json,
        _ => Format::Text,
    };
    out.write(Rendered::Text(text(format).map_err(report_failed)?))
}

fn names(cli: &Cli, kind: NameKind, format: Option<OutputFormat>) -> Result<(), Failure> {
    let journal = load_valid(cli)?;
    let names = lists::names(&journal, kind);
    listing(cli, format, |f| lists::render_names(&names, f))
}

fn report_failed(error: impl std::fmt::Display + 'static) -> Failure {
    // A total too large for Decimal, or an amount with no price, is a fact
    // about the data (exit 1); anything else that stops a report is not.
    use fundledger_core::reports::ReportError;
    match (&error as &dyn std::any::Any).downcast_ref::<ReportError>() {
        Some(ReportError::Overflow) => {
            eprintln!("fundledger: {error}: the journal holds amounts too large to report");
            Failure::Data
        }
        Some(ReportError::NoPrice(_)) => {
            eprintln!("fundledger: {error} (`fundledger check` warns of every such amount: W102)");
            Failure::Data
        }
        Some(ReportError::Unvaluable(_)) => {
            eprintln!("fundledger: {error}");
            Failure::Data
        }
        _ => Failure::Usage(error.to_string()),
    }
}

/// The filter of a query: its terms, funds, status marks and kinds, and the
/// period (from the period flags or a `date:` term, not both). Every term
/// that matches nothing in the journal is warned about on stderr.
fn filter_for(
    journal: &Journal,
    period: &PeriodArgs,
    query: &QueryArgs,
) -> Result<Filter, Failure> {
    use fundledger_core::journal::Status;
    use fundledger_core::query;
    let terms = query::terms(&query.terms).map_err(Failure::Usage)?;
    let (begin, end) = match &terms.date {
        None => period_of(journal, period)?,
        Some(date) => {
            if period.fy.is_some()
                || period.begin.is_some()
                || period.end.is_some()
                || period.period.is_some()
            {
                return Err(Failure::Usage(
                    "date: cannot be combined with --fy, -b, -e or -p (it would override them)"
                        .into(),
                ));
            }
            let as_period = PeriodArgs {
                period: Some(date.clone()),
                as_of: period.as_of.clone(),
                ..PeriodArgs::default()
            };
            period_of(journal, &as_period)?
        }
    };
    let fund_ids = |names: &[String]| fund_ids(journal, names);
    let mut funds = fund_ids(&query.fund)?;
    funds.extend(fund_ids(&terms.funds)?);
    let statuses = [
        (query.cleared, Status::Cleared),
        (query.pending, Status::Pending),
        (query.unmarked, Status::Unmarked),
    ]
    .into_iter()
    .filter_map(|(on, status)| on.then_some(status))
    .collect();
    let filter = Filter::default()
        .between(begin, end)
        .with_accounts(terms.accounts)
        .without_accounts(terms.not_accounts)
        .with_payees(terms.descriptions)
        .without_payees(terms.not_descriptions)
        .with_funds(funds)
        .without_funds(fund_ids(&terms.not_funds)?)
        .with_statuses(statuses)
        .real_only(query.real)
        .no_generated(query.no_generated);
    let unmatched = filter.unmatched(journal);
    for warning in &unmatched {
        eprintln!("fundledger: warning: {warning}");
    }
    if unmatched.is_empty() && filter.select(journal).next().is_none() {
        eprintln!(
            "fundledger: warning: no posting matches these filters together; the report is empty"
        );
    }
    Ok(filter)
}

/// The valuation `-V`/`-X COMMODITY` asks for: real postings in the base
/// currency at their own date's price, or with `--value=end` at the price
/// of the report's last day (the filter's end, else the journal's last
/// transaction). `-X` names the base currency or is refused.
fn valuation_for<'j>(
    journal: &'j Journal,
    query: &QueryArgs,
    filter: &Filter,
) -> Result<Option<reports::valued::Valued<'j>>, Failure> {
    if query.value.is_none() && query.exchange.is_none() {
        return Ok(None);
    }
    // `--value end` (hledger writes `--value=end`) would read `end` as an
    // account filter and value at the postings' dates: refused.
    if let Some(when @ ("end" | "then")) = query.terms.first().map(String::as_str) {
        return Err(Failure::Usage(format!(
            "\"{when}\" after -V/--value is read as an account filter: write --value={when}"
        )));
    }
    let base = journal.settings().base_currency.clone().ok_or_else(|| {
        Failure::Usage("-V/-X need a base currency (base_currency in fundledger.toml)".into())
    })?;
    if let Some(wanted) = &query.exchange {
        if *wanted != base {
            return Err(Failure::Usage(format!(
                "-X {wanted}: fundledger values in the base currency only ({base}); use -X {base} or -V"
            )));
        }
    }
    let valued = if query.value == Some(args::ValueAt::End) {
        let last_day = match filter.end {
            Some(end) => end.pred_opt().unwrap_or(end),
            None => journal
                .transactions()
                .iter()
                .map(|t| t.date)
                .max()
                .ok_or_else(|| {
                    Failure::Usage("--value=end: the journal has no transactions".into())
                })?,
        };
        reports::valued::Valued::at_day(journal, last_day)
    } else {
        reports::valued::Valued::new(journal)
    };
    valued.map(Some).map_err(report_failed)
}

/// Every output format.
const ALL_FORMATS: [OutputFormat; 6] = [
    OutputFormat::Text,
    OutputFormat::Csv,
    OutputFormat::Json,
    OutputFormat::Md,
    OutputFormat::Html,
    OutputFormat::Xlsx,
];

/// `-p "monthly in fy2000"` on `balance`: the interval, and the period flags
/// with the range alone (as `-b`/`-e`), so that the interval gives columns.
fn period_interval(
    journal: &Journal,
    period: &PeriodArgs,
) -> Result<(PeriodArgs, Option<fundledger_core::period::Interval>), Failure> {
    use fundledger_core::period;
    let Some(text) = &period.period else {
        return Ok((period.clone(), None));
    };
    let ctx = period::Context {
        today: today(),
        fiscal_year_start: journal.settings().fiscal_year_start,
    };
    let parsed = period::parse(text, &ctx).map_err(Failure::Usage)?;
    let Some(interval) = parsed.interval else {
        return Ok((period.clone(), None));
    };
    Ok((
        PeriodArgs {
            begin: parsed.begin.map(|d| d.to_string()),
            end: parsed.end.map(|d| d.to_string()),
            ..period.clone()
        }
        .without_period(),
        Some(interval),
    ))
}

/// The interval of `balance -M/-Q/-Y/--fy-columns`.
fn interval_of(args: &args::BalanceArgs) -> Option<fundledger_core::period::Interval> {
    interval_flags([args.monthly, args.quarterly, args.yearly, args.fy_columns])
}

/// The interval of `-M`, `-Q`, `-Y`, `--fy-columns` (in that order).
fn interval_flags(flags: [bool; 4]) -> Option<fundledger_core::period::Interval> {
    use fundledger_core::period::Interval;
    let [monthly, quarterly, yearly, fy_columns] = flags;
    [
        (monthly, Interval::Monthly),
        (quarterly, Interval::Quarterly),
        (yearly, Interval::Yearly),
        (fy_columns, Interval::FiscalYearly),
    ]
    .into_iter()
    .find_map(|(on, interval)| on.then_some(interval))
}

/// The filter's range with open ends closed at the journal's first and last
/// dates, for columns.
fn bounded(
    journal: &Journal,
    filter: &Filter,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), Failure> {
    closed_range(journal, filter.begin, filter.end)
}

/// `[begin, end)` with open ends closed at the journal's first and last
/// dates, for columns.
fn closed_range(
    journal: &Journal,
    begin: Option<chrono::NaiveDate>,
    end: Option<chrono::NaiveDate>,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), Failure> {
    let dates = journal.transactions().iter().map(|t| t.date);
    let (Some(first), Some(last)) = (dates.clone().min(), dates.max()) else {
        return Err(Failure::Usage(
            "the journal has no transactions to put in columns".into(),
        ));
    };
    let begin = begin.unwrap_or(first);
    let end = end.unwrap_or_else(|| last.succ_opt().unwrap_or(last));
    Ok((begin, end))
}

/// Own amounts, at cost (`-B`) or values (`-V`, `-X`).
fn shown_of<'v>(
    query: &QueryArgs,
    valued: Option<&'v reports::valued::Valued<'v>>,
) -> reports::valued::Shown<'v> {
    use reports::valued::Shown;
    match valued {
        Some(v) => Shown::Value(v),
        None if query.cost => Shown::Cost,
        None => Shown::Own,
    }
}

/// A resolved period: `[begin, end)`, either end open.
type Period = (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>);

/// Reads `--fy`, `-b`, `-e`, `-p` and `--as-of` into `[begin, end)`, refusing
/// combinations that would silently override each other, intervals where
/// multi-period columns are not made, and periods entirely outside the
/// journal's dates; says on stderr when no transaction falls in the period.
fn period_of(journal: &Journal, period: &PeriodArgs) -> Result<Period, Failure> {
    use fundledger_core::period;
    let settings = journal.settings();
    let ctx = period::Context {
        today: today(),
        fiscal_year_start: settings.fiscal_year_start,
    };
    let usage = |m: String| Failure::Usage(m);
    let bounded = period.begin.is_some() || period.end.is_some();
    let (mut begin, mut end) = (None, None);
    if let Some(text) = &period.period {
        if bounded || period.fy.is_some() {
            return Err(usage(
                "-p cannot be combined with --fy, -b or -e (it would override them)".into(),
            ));
        }
        let parsed = period::parse(text, &ctx).map_err(usage)?;
        if parsed.interval.is_some() {
            return Err(usage(format!(
                "-p {text:?} asks for one column per period; this command prints a single period (give the range alone, such as fy2000)"
            )));
        }
        (begin, end) = (parsed.begin, parsed.end);
    } else if let Some(year) = period.fy {
        if bounded {
            return Err(usage("--fy cannot be combined with -b/-e".into()));
        }
        let (b, e) = settings
            .fiscal_year(year)
            .ok_or_else(|| usage(format!("fiscal year {year} is out of range")))?;
        (begin, end) = (Some(b), Some(e));
    } else {
        if let Some(text) = &period.begin {
            begin = Some(period::span(text, &ctx).map_err(usage)?.0);
        }
        if let Some(text) = &period.end {
            end = Some(period::span(text, &ctx).map_err(usage)?.0);
        }
    }
    if let Some(text) = &period.as_of {
        if period.end.is_some() || period.period.is_some() {
            return Err(usage(
                "--as-of cannot be combined with -e or -p (both set the end)".into(),
            ));
        }
        let as_of_end = period::span(text, &ctx).map_err(usage)?.1;
        if let Some(e) = end {
            if as_of_end > e {
                return Err(usage(format!(
                    "--as-of {text} is after the end of the fiscal year ({})",
                    e.pred_opt().unwrap_or(e)
                )));
            }
        }
        end = Some(as_of_end);
    }
    if let (Some(b), Some(e)) = (begin, end) {
        if e <= b {
            return Err(usage(format!(
                "the end date {e} is not after the begin date {b} (-e is exclusive)"
            )));
        }
    }
    within_journal(journal, begin, end)?;
    Ok((begin, end))
}

/// Refuses a period entirely outside the journal's dates; notes a quiet one.
fn within_journal(
    journal: &Journal,
    begin: Option<chrono::NaiveDate>,
    end: Option<chrono::NaiveDate>,
) -> Result<(), Failure> {
    let dates = journal.transactions().iter().map(|t| t.date);
    let (Some(first), Some(last)) = (dates.clone().min(), dates.max()) else {
        return Ok(());
    };
    let describe = || match (begin, end) {
        (Some(b), Some(e)) => format!("{b} to {}", e.pred_opt().unwrap_or(e)),
        (Some(b), None) => format!("from {b}"),
        (None, Some(e)) => format!("up to {}", e.pred_opt().unwrap_or(e)),
        (None, None) => "all dates".into(),
    };
    if end.is_some_and(|e| e <= first) || begin.is_some_and(|b| b > last) {
        return Err(Failure::Usage(format!(
            "the period {} is outside the journal, whose transactions run from {first} to {last}",
            describe()
        )));
    }
    let quiet = !journal
        .transactions()
        .iter()
        .any(|t| begin.is_none_or(|b| t.date >= b) && end.is_none_or(|e| t.date < e));
    if quiet {
        eprintln!("fundledger: note: no transaction falls in {}", describe());
    }
    Ok(())
}

/// Prints why a change was not made, and how the run ends.
fn change_failed(error: ChangeError) -> Failure {
    match error {
        ChangeError::Input(problems) => {
            print_diagnostics(&problems);
            eprintln!(
                "fundledger: {} error(s); nothing was written",
                problems.len()
            );
            Failure::Data
        }
        ChangeError::JournalInvalid(problems) => {
            print_diagnostics(&problems);
            eprintln!("fundledger: the journal has {} error(s); fix them (`fundledger check`) before adding to it. Nothing was written.", problems.len());
            Failure::Data
        }
        other => Failure::Usage(other.to_string()),
    }
}

/// How `import` and `add` change the journal: telling the user on stderr
/// when another writer holds the lock.
fn change_options(
    cli: &Cli,
    dry_run: bool,
    lock_timeout: Option<u64>,
) -> write::ChangeOptions<'static> {
    fn tell(message: &str) {
        eprintln!("fundledger: {message}");
    }
    write::ChangeOptions {
        dry_run,
        lock_timeout: lock_timeout.map(std::time::Duration::from_secs),
        on_wait: &tell,
        on_phase: if cli.timings {
            &print_timing
        } else {
            &|_, _| {}
        },
    }
}

fn import(cli: &Cli, args: &ImportArgs) -> Result<(), Failure> {
    refuse_unwritable(cli)?;
    let settings = settings_for(cli)?;
    let kind = match args.kind {
        ImportKindArg::Donations => ImportKind::Donations,
        ImportKindArg::Sales => ImportKind::Sales,
    };
    let request = ImportRequest::new(kind, &args.csv)
        .with_rules(args.rules.as_deref())
        .with_encoding(args.encoding.as_deref());
    let result = write::change_with(
        &settings,
        change_options(cli, args.dry_run, args.lock_timeout),
        |journal| {
            let prepared = import::prepare(&settings, journal, &request)
                .map_err(|e| ChangeError::io(format!("cannot read {}", args.csv.display()), e))?
                .map_err(ChangeError::Input)?;
            Ok(prepared.into_addition())
        },
    );
    let addition = result.map_err(change_failed)?;
    let mut text = String::new();
    if args.dry_run && !addition.text.is_empty() {
        text.push_str(&addition.text);
        text.push('\n');
    }
    text.push_str(&import::summary_text(&addition.value, args.dry_run));
    output(cli, &text)
}

/// The period of a report: `[begin, end)`, its fiscal year (the one it ends
/// in) and the day of a loan review. A report needs both ends: `--as-of`
/// alone runs from the start of its fiscal year; `-b` alone to the end of
/// that fiscal year.
fn report_period(
    journal: &Journal,
    args: &ReportArgs,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate, i32, chrono::NaiveDate), Failure> {
    report_period_of(journal, args, &args.period)
}

/// [`report_period`] from the period flags `p` (those of `args`, or with
/// `-p "quarterly in fy2000"` turned into its range).
fn report_period_of(
    journal: &Journal,
    args: &ReportArgs,
    p: &PeriodArgs,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate, i32, chrono::NaiveDate), Failure> {
    if !p.is_set() {
        return Err(Failure::Usage(format!(
            "report {} needs a period: --fy YEAR (the fiscal year that starts in YEAR), -p PERIOD (2000q2, fy2000, \"from 2000-04 to 2000-10\") or --as-of DATE",
            args.name
        )));
    }
    let settings = journal.settings();
    let start = settings.fiscal_year_start;
    let (begin, end) = period_of(journal, p)?;
    let fy_of = |day: chrono::NaiveDate| start.year_of(day);
    let (begin, end) = match (begin, end) {
        (Some(b), Some(e)) => (b, e),
        (None, Some(e)) => {
            let last = e.pred_opt().unwrap_or(e);
            let (b, _) = settings.fiscal_year(fy_of(last)).ok_or_else(|| {
                Failure::Usage(format!("the fiscal year of {last} is out of range"))
            })?;
            (b, e)
        }
        (Some(b), None) => {
            let (_, e) = settings
                .fiscal_year(fy_of(b))
                .ok_or_else(|| Failure::Usage(format!("the fiscal year of {b} is out of range")))?;
            (b, e)
        }
        (None, None) => return Err(Failure::Usage("a report needs a period".into())),
    };
    let last = end.pred_opt().unwrap_or(end);
    Ok((begin, end, fy_of(last), last))
}

/// The ids of the funds named, or a usage error listing the funds.
fn fund_ids(
    journal: &Journal,
    names: &[String],
) -> Result<Vec<fundledger_core::journal::FundId>, Failure> {
    names
        .iter()
        .map(|name| {
            journal.fund_id(name).ok_or_else(|| {
                let known: Vec<&str> = journal.fund_ids().map(|f| journal.fund_name(f)).collect();
                Failure::Usage(format!(
                    "no fund named {name:?}; the funds are {}",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

/// The journal, or with `--fund` those funds' books as a journal of their
/// own.
fn books_of(journal: Journal, names: &[String]) -> Result<Journal, Failure> {
    if names.is_empty() {
        return Ok(journal);
    }
    let ids = fund_ids(&journal, names)?;
    Ok(journal.fund_books(&ids))
}

/// The last day `--as-of DATE` includes (the last of DATE's span).
fn as_of_day(journal: &Journal, text: &str) -> Result<chrono::NaiveDate, Failure> {
    use fundledger_core::period;
    let ctx = period::Context {
        today: today(),
        fiscal_year_start: journal.settings().fiscal_year_start,
    };
    let (_, end) = period::span(text, &ctx).map_err(Failure::Usage)?;
    Ok(end.pred_opt().unwrap_or(end))
}

/// "fund: FoodAid" / "funds: FoodAid, Shelters".
fn funds_note(names: &[String]) -> String {
    let label = if names.len() == 1 { "fund" } else { "funds" };
    format!("{label}: {}", names.join(", "))
}

/// Says in a statement's subtitle which funds' books it is, with `--fund`.
fn name_funds(statement: &mut reports::statement::Statement, names: &[String]) {
    if !names.is_empty() {
        statement.subtitle = format!("{} ({})", statement.subtitle, funds_note(names));
    }
}

fn standard_of(standard: StandardArg) -> fundledger_core::reports::financial::Standard {
    use fundledger_core::reports::financial::Standard;
    match standard {
        StandardArg::Asc958 => Standard::Asc958,
        StandardArg::JpNpo => Standard::JpNpo,
        StandardArg::Sorp => Standard::Sorp,
    }
}

fn audit(cli: &Cli, args: &AuditArgs) -> Result<(), Failure> {
    use fundledger_core::cli_support::audit;
    let journal = load_valid(cli)?;
    let package = audit::package(
        &journal,
        args.fy,
        standard_of(args.standard),
        Some(&|sheets: &[sheet::Sheet]| output::workbook(sheets).map_err(|e| e.to_string())),
    )
    .map_err(|e| match e {
        audit::AuditError::Report(e) => report_failed(e),
        other => Failure::Usage(other.to_string()),
    })?;
    let dir = cli
        .output_file
        .as_deref()
        .ok_or_else(|| Failure::Usage("audit needs -o DIR: the new folder to write".into()))?;
    audit::write_new_dir(dir, &package)
        .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", dir.display())))?;
    let mut text = format!(
        "wrote the audit package of FY{} to {}:\n",
        args.fy,
        dir.display()
    );
    for name in package
        .files
        .iter()
        .map(|(n, _)| n)
        .chain(package.binary.iter().map(|(n, _)| n))
    {
        text.push_str(&format!("  {name}\n"));
    }
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

fn reconcile(cli: &Cli, args: &ReconcileArgs) -> Result<(), Failure> {
    use fundledger_core::cli_support::reconcile::{self, Request, Statement};
    let settings = settings_for(cli)?;
    let balance = match &args.balance {
        None => None,
        Some(text) => {
            let plain: String = text.chars().filter(|c| *c != ',' && *c != '_').collect();
            Some(
                fundledger_core::money::Decimal::from_str_exact(plain.trim()).map_err(|_| {
                    Failure::Usage(format!(
                        "--balance {text:?} is not an amount; expected a number such as 1234567 or -12.50"
                    ))
                })?,
            )
        }
    };
    let statement = match &args.statement {
        Some(path) => {
            let rules = match &args.rules {
                None => fundledger_core::settings::ImportRules::default(),
                Some(rules) => import::read_rules(rules)
                    .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", rules.display())))?
                    .map_err(|problems| {
                        print_diagnostics(&problems);
                        Failure::Data
                    })?,
            };
            let rows = import::read_statement(&settings, path, &rules)
                .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?
                .map_err(|problems| {
                    print_diagnostics(&problems);
                    eprintln!(
                        "fundledger: {} error(s) in the statement; nothing was written",
                        problems.len()
                    );
                    Failure::Data
                })?;
            Statement::Lines {
                path: path.clone(),
                rows,
                balance,
            }
        }
        None => Statement::Paper {
            balance: balance.ok_or_else(|| {
                Failure::Usage("give --statement FILE.csv or --balance AMOUNT --as-of DATE".into())
            })?,
        },
    };
    let request = Request {
        account: &args.account,
        commodity: args.commodity.as_deref(),
        statement,
        as_of: args.as_of,
        suspense: args.suspense.as_deref(),
    };
    let applied = reconcile::apply(
        &settings,
        change_options(cli, args.dry_run, args.lock_timeout),
        &request,
    )
    .map_err(change_failed)?;
    let rec = &applied.reconciliation;
    if let Some((suspense, difference)) = &rec.posted_to_suspense {
        eprintln!(
            "fundledger: warning: the count differs from the books by {difference} {}; {} the difference to {suspense}: have it approved and cleared to other losses or gains (check warns W802 until then; close refuses)",
            rec.commodity,
            if args.dry_run { "would post" } else { "posted" }
        );
    }
    let text = match args.output {
        OutputFormat::Json => render::json(rec).map_err(report_failed)?,
        _ => {
            let mut text = rec.render_text();
            let verb = if args.dry_run { "would mark" } else { "marked" };
            if rec.changes_nothing() {
                text.push_str("Already reconciled: nothing to change.\n");
            } else {
                text.push_str(&format!(
                    "{verb} {} posting line(s) cleared",
                    rec.newly_cleared
                ));
                if !rec.already_recorded {
                    text.push_str(&format!(
                        "; {} the reconciliation at {}",
                        if args.dry_run {
                            "would record"
                        } else {
                            "recorded"
                        },
                        rec.as_of
                    ));
                }
                text.push_str(".\n");
            }
            text
        }
    };
    output(cli, &text)
}

/// `receipt`: issues donation receipts (or prints a copy) and renders
/// them; the summary goes to standard error.
fn receipt(cli: &Cli, args: &ReceiptArgs) -> Result<(), Failure> {
    use fundledger_core::cli_support::receipts::{self, Selection};
    refuse_unwritable(cli)?;
    if !cli.file.is_empty() {
        return Err(Failure::Usage(
            "receipts need a ledger directory (fundledger.toml, donors.csv): use -C DIR".into(),
        ));
    }
    let settings = settings_for(cli)?;
    let today = args
        .date
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let out = destination(
        cli,
        args.output,
        &[
            OutputFormat::Text,
            OutputFormat::Md,
            OutputFormat::Html,
            OutputFormat::Json,
        ],
        false,
    )?;
    let format = out.format;
    let render = |list: &[receipts::Receipt]| -> Result<String, Failure> {
        Ok(match format {
            OutputFormat::Html => receipts::html(list),
            OutputFormat::Json => render::json(&list).map_err(report_failed)?,
            _ => receipts::markdown(list),
        })
    };
    if let Some(number) = &args.reissue {
        let journal = load_valid(cli)?;
        let copy = receipts::reissue(&settings, &journal, number, today).map_err(change_failed)?;
        eprintln!(
            "fundledger: a copy of receipt {number} (issued {}), marked 再発行 / COPY; nothing recorded",
            copy.issued
        );
        return out.write(Rendered::Text(render(std::slice::from_ref(&copy))?));
    }
    let selection = match (&args.gift, args.fy, &args.donor, args.all) {
        (Some(gift), _, donor, _) => Selection::Gift {
            selector: gift.clone(),
            donor: donor.clone(),
        },
        (None, Some(fy), Some(donor), false) => Selection::Donor {
            fiscal_year: fy,
            donor: donor.clone(),
        },
        (None, Some(fy), None, true) => Selection::All { fiscal_year: fy },
        _ => {
            return Err(Failure::Usage(
                "say which gifts: --fy YEAR --donor ID, --fy YEAR --all, --gift GIFT, or --reissue NUMBER"
                    .into(),
            ))
        }
    };
    let issued = receipts::issue(
        &settings,
        change_options(cli, args.dry_run, args.lock_timeout),
        &selection,
        today,
    )
    .map_err(change_failed)?;
    for note in &issued.notes {
        eprintln!("fundledger: {note}");
    }
    let verb = if issued.recorded {
        "issued"
    } else {
        "would issue (dry run, nothing recorded)"
    };
    for r in &issued.receipts {
        eprintln!(
            "fundledger: {verb} receipt {} to {} for {} gift(s), {} {}",
            r.number,
            r.donor.id,
            r.gifts.len(),
            render::grouped(r.total),
            r.currency
        );
    }
    if issued.receipts.is_empty() {
        return Ok(());
    }
    out.write(Rendered::Text(render(&issued.receipts)?))
}

/// The `[begin, end)` of `--fy YEAR`, which `report NAME` needs.
fn report_fiscal_year(
    journal: &Journal,
    args: &ReportArgs,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), Failure> {
    let fy = args
        .period
        .fy
        .ok_or_else(|| Failure::Usage(format!("report {} needs --fy YEAR", args.name)))?;
    journal
        .settings()
        .fiscal_year(fy)
        .ok_or_else(|| Failure::Usage(format!("fiscal year {fy} is out of range")))
}

fn report(cli: &Cli, args: &ReportArgs) -> Result<(), Failure> {
    use fundledger_core::reports::{annual, financial::Standard, valued::Valued};
    // The annual report prints the digest of the journal's files: taken as
    // the journal file is read, and used if the journal loaded is that one
    // file; otherwise the report takes it after loading.
    let (journal, file_digest) = load_valid_with(cli, args.name == "annual")?;
    let columns_asked =
        interval_flags([args.monthly, args.quarterly, args.yearly, args.fy_columns]).is_some();
    if columns_asked && !matches!(args.name.as_str(), "activities" | "functional" | "budget") {
        return Err(columns_refused(&args.name));
    }
    if args.name == "remittances" {
        let (begin, end) = report_fiscal_year(&journal, args)?;
        let rows = fundledger_core::cli_support::remittances::report(&journal, begin, end);
        let text = match args.output {
            Some(OutputFormat::Json) => render::json(&rows).map_err(report_failed)?,
            _ => {
                fundledger_core::cli_support::remittances::render_text(&journal, begin, end, &rows)
            }
        };
        return output(cli, &text);
    }
    if args.name == "documents" {
        let (begin, end) = report_fiscal_year(&journal, args)?;
        let valued = Valued::new(&journal).map_err(report_failed)?;
        let over =
            fundledger_core::money::Decimal::from(args.over.unwrap_or(
                fundledger_core::cli_support::audit::DEFAULT_DOCUMENTS_OVER.unsigned_abs(),
            ));
        let rows = fundledger_core::cli_support::audit::payments_without_documents(
            &valued, begin, end, over,
        )
        .map_err(report_failed)?;
        let text = match args.output {
            Some(OutputFormat::Json) => render::json(&rows).map_err(report_failed)?,
            _ => fundledger_core::cli_support::audit::undocumented_csv(&rows),
        };
        return output(cli, &text);
    }
    if args.name == "reconciliation" || args.name == "advances" {
        let as_of = match (&args.period.as_of, args.period.fy) {
            (Some(text), _) => as_of_day(&journal, text)?,
            (None, Some(fy)) => journal
                .settings()
                .fiscal_year(fy)
                .and_then(|(_, end)| end.pred_opt())
                .ok_or_else(|| Failure::Usage(format!("fiscal year {fy} is out of range")))?,
            (None, None) => {
                return Err(Failure::Usage(format!(
                    "report {} needs --as-of DATE or --fy YEAR",
                    args.name
                )))
            }
        };
        if args.name == "advances" {
            let advances = fundledger_core::cli_support::advances::report(&journal, as_of)
                .map_err(|_| {
                    eprintln!("fundledger: the advances overflow");
                    Failure::Data
                })?;
            let text = match args.output {
                Some(OutputFormat::Json) => render::json(&advances).map_err(report_failed)?,
                _ => fundledger_core::cli_support::advances::render_text(as_of, &advances),
            };
            return output(cli, &text);
        }
        let statuses =
            fundledger_core::cli_support::reconcile::last_reconciliations(&journal, as_of);
        let text = match args.output {
            Some(OutputFormat::Json) => render::json(&statuses).map_err(report_failed)?,
            _ => fundledger_core::cli_support::reconcile::render_status(
                journal.settings(),
                as_of,
                &statuses,
            ),
        };
        return output(cli, &text);
    }
    if args.name == "impact" {
        return impact(cli, args, journal);
    }
    let journal = books_of(journal, &args.fund)?;
    // `-p "quarterly in fy2000"` is `-Q --fy 2000` (columns or a refusal
    // below, as for -Q).
    let (period, interval_asked) = period_interval(&journal, &args.period)?;
    let (begin, end, fy, as_of) = report_period_of(&journal, args, &period)?;
    let standard = standard_of(args.standard);
    let mut lap = Lap::new(cli.timings);
    let valued = Valued::new(&journal).map_err(report_failed)?;
    lap.phase("verify the journal, value every posting in the base currency");
    // Japanese statements go to Japanese Excel: their CSV starts with a
    // byte-order mark unless --no-bom.
    let out = destination(cli, args.output, &ALL_FORMATS, standard == Standard::JpNpo)?;
    if interval_asked.is_some() && args.name == "annual" {
        return Err(columns_refused(&args.name));
    }
    if args.name == "annual" && !reports::words::is_fiscal_year(journal.settings(), begin, end) {
        return Err(Failure::Usage(format!(
            "report annual covers a whole fiscal year (--fy YEAR); {begin} to {} is interim: ask for its statements (report activities, position, funds, functional, cashflows) instead",
            end.pred_opt().unwrap_or(end)
        )));
    }
    if args.name == "annual" {
        let digest = file_digest
            .filter(|_| journal.files() == std::slice::from_ref(&journal.settings().journal));
        let mut report = match digest {
            Some(digest) => annual::annual_digested(&valued, standard, fy, begin, end, digest),
            None => annual::annual(&valued, standard, fy, begin, end),
        }
        .map_err(report_failed)?;
        lap.phase("build and reconcile the annual report");
        if !args.fund.is_empty() {
            report.period = format!("{} ({})", report.period, funds_note(&args.fund));
            for s in std::iter::once(&mut report.summary)
                .chain(&mut report.statements)
                .chain(&mut report.notes)
            {
                name_funds(s, &args.fund);
            }
        }
        let rendered = match out.format {
            OutputFormat::Html => Rendered::Text(fundledger_core::cli_support::html::annual(
                &report,
                generation_date(),
            )),
            OutputFormat::Md => Rendered::Text(annual::markdown(&report)),
            OutputFormat::Json => Rendered::Text(render::json(&report).map_err(report_failed)?),
            OutputFormat::Xlsx => Rendered::Sheets(sheet::annual(&report)),
            OutputFormat::Text | OutputFormat::Csv => {
                let all: Vec<_> = std::iter::once(&report.summary)
                    .chain(&report.statements)
                    .chain(&report.notes)
                    .cloned()
                    .collect();
                match statements_rendered(&out, &all)? {
                    Rendered::Text(mut text) => {
                        text.push('\n');
                        Rendered::Text(text)
                    }
                    other => other,
                }
            }
        };
        lap.phase("render the annual report");
        out.write(rendered)?;
        lap.phase("write the output");
        return Ok(());
    }
    let interval = interval_flags([args.monthly, args.quarterly, args.yearly, args.fy_columns])
        .or(interval_asked);
    if args.name == "budget" {
        let periods = match interval {
            Some(interval) => fundledger_core::period::split(
                interval,
                begin,
                end,
                journal.settings().fiscal_year_start,
            ),
            None => vec![(begin, end)],
        };
        let request = fundledger_core::budget::Request {
            periods,
            version: args.budget_name.as_deref(),
            language: reports::words::language_of(standard),
        };
        let mut statement =
            fundledger_core::budget::report(&valued, &request).map_err(report_failed)?;
        name_funds(&mut statement, &args.fund);
        let rendered = statements_rendered(&out, &[statement])?;
        return out.write(rendered);
    }
    if let Some(interval) = interval {
        let in_columns = args
            .name
            .parse::<reports::Report>()
            .ok()
            .filter(|r| reports::columns::IN_COLUMNS.contains(r));
        let Some(report) = in_columns else {
            return Err(columns_refused(&args.name));
        };
        let periods = fundledger_core::period::split(
            interval,
            begin,
            end,
            journal.settings().fiscal_year_start,
        );
        let mut statement =
            reports::columns::statement_columns(&valued, report, standard, interval, &periods)
                .map_err(report_failed)?;
        name_funds(&mut statement, &args.fund);
        let rendered = statements_rendered(&out, &[statement])?;
        return out.write(rendered);
    }
    if args.budget_name.is_some() {
        return Err(Failure::Usage(format!(
            "--budget-name is an option of report budget, not of report {}",
            args.name
        )));
    }
    let mut statements = if args.name == "donors" {
        reports::donors::donors(&valued, standard, fy, begin, end, cli.with_personal_data)
            .map_err(report_failed)?
    } else {
        reports::statements(
            &valued,
            args.name.parse().map_err(report_failed)?,
            standard,
            begin,
            end,
            as_of,
        )
        .map_err(report_failed)?
    };
    for s in &mut statements {
        name_funds(s, &args.fund);
    }
    let rendered = statements_rendered(&out, &statements)?;
    out.write(rendered)
}

/// The refusal of `-M/-Q/-Y/--fy-columns` (or `-p "quarterly in ..."`) on
/// a report that has no period columns, saying why.
fn columns_refused(name: &str) -> Failure {
    let why = if name == "position" {
        "a position is a balance at one date, so it has no columns per period: ask for report position --as-of DATE at each date instead"
    } else {
        "columns per period are made so far only for the statements of activities and of functional expenses"
    };
    Failure::Usage(format!(
        "-M, -Q, -Y and --fy-columns are options of report activities, functional and budget (and of balance), not of report {name}: {why}"
    ))
}

/// `report impact`: where each restricted gift went, per fund and per
/// donor; `-O html` prints one donor to an A4 page.
fn impact(cli: &Cli, args: &ReportArgs, journal: Journal) -> Result<(), Failure> {
    use fundledger_core::cli_support::donors::DonorRegister;
    use fundledger_core::reports::{financial::Standard, impact, valued::Valued};
    let (begin, end, _, _) = report_period(&journal, args)?;
    let standard = standard_of(args.standard);
    let register = DonorRegister::load(&journal.settings().root).map_err(|problems| {
        print_diagnostics(&problems);
        Failure::Data
    })?;
    let valued = Valued::new(&journal).map_err(report_failed)?;
    let out = destination(cli, args.output, &ALL_FORMATS, standard == Standard::JpNpo)?;
    let options = impact::ImpactOptions {
        method: match args.method {
            MethodArg::Fifo => impact::Method::Fifo,
            MethodArg::ProRata => impact::Method::ProRata,
        },
        donor: args.donor.clone(),
        funds: args.fund.clone(),
        with_personal_data: cli.with_personal_data,
        language: reports::words::language_of(standard),
    };
    let report = impact::impact(&valued, standard, begin, end, &register, &options)
        .map_err(report_failed)?;
    let rendered = match out.format {
        OutputFormat::Json => Rendered::Text(render::json(&report).map_err(report_failed)?),
        OutputFormat::Html => Rendered::Text(fundledger_core::cli_support::html::impact(&report)),
        _ => statements_rendered(&out, &impact::statements(&report))?,
    };
    out.write(rendered)
}

/// Statements in the output's format: text and CSV one after another, JSON,
/// Markdown, one HTML page, or one spreadsheet sheet each.
fn statements_rendered(
    out: &Output,
    statements: &[reports::statement::Statement],
) -> Result<Rendered, Failure> {
    Ok(match out.format {
        OutputFormat::Json => Rendered::Text(render::json(&statements).map_err(report_failed)?),
        OutputFormat::Html => {
            let body: String = statements
                .iter()
                .map(fundledger_core::cli_support::html::statement)
                .collect();
            let first = statements.first();
            // More than six figures across (a year by month) no longer fit
            // portrait A4: the page turns.
            let landscape = statements
                .iter()
                .any(|s| s.id.ends_with("-columns") && s.columns.len() > 6);
            Rendered::Text(fundledger_core::cli_support::html::page_oriented(
                &first.map(|s| s.title.clone()).unwrap_or_default(),
                &body,
                first.map(|s| s.language).unwrap_or_default(),
                landscape,
            ))
        }
        OutputFormat::Md => {
            Rendered::Text(statements.iter().map(render::statement_markdown).collect())
        }
        OutputFormat::Xlsx => Rendered::Sheets(sheet::statements(statements)),
        OutputFormat::Text | OutputFormat::Csv => {
            let format = if out.format == OutputFormat::Csv {
                Format::Csv
            } else {
                Format::Text
            };
            let mut parts = Vec::new();
            for s in statements {
                parts.push(render::statement(s, format).map_err(report_failed)?);
            }
            Rendered::Text(parts.join("\n"))
        }
    })
}

/// The date a report says it was generated: today, or the day of
/// `SOURCE_DATE_EPOCH` (seconds since 1970) when set, so that a report can
/// be reproduced byte for byte.
fn generation_date() -> chrono::NaiveDate {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

fn add(cli: &Cli, args: &AddArgs) -> Result<(), Failure> {
    refuse_unwritable(cli)?;
    let settings = settings_for(cli)?;
    let entry = NewEntry {
        date: args.date,
        payee: args.payee.clone(),
        code: args.code.clone(),
        fund: args
            .fund
            .clone()
            .unwrap_or_else(|| settings.default_fund.clone()),
        memo: args.memo.clone(),
        postings: args.postings.clone(),
    };
    let addition = write::change_with(
        &settings,
        change_options(cli, args.dry_run, args.lock_timeout),
        |_| {
            let text = entry::render(&entry).map_err(ChangeError::Input)?;
            Ok(write::Addition {
                text,
                transactions: 1,
                value: (),
                donors: None,
            })
        },
    )
    .map_err(change_failed)?;
    let verb = if args.dry_run { "would add" } else { "added" };
    output(
        cli,
        &format!(
            "{}{verb} 1 transaction to {}\n",
            addition.text,
            settings.journal.display()
        ),
    )
}

/// Today's date (UTC), for the date of a close.
fn today() -> chrono::NaiveDate {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_days(chrono::Days::new(days)))
        .unwrap_or_default()
}

fn close(cli: &Cli, args: &CloseArgs) -> Result<(), Failure> {
    use fundledger_core::close;
    let settings = settings_for(cli)?;
    if let Some(path) = &args.migrate {
        if path.exists() {
            return Err(Failure::Usage(format!(
                "{} exists; --migrate writes a new file and never overwrites one",
                path.display()
            )));
        }
    }
    let closed_on = args.on.unwrap_or_else(today);
    let mut opening = None;
    let addition = write::change(&settings, args.dry_run, |journal| {
        let plan = close::plan(journal, args.fy, closed_on, args.force)
            .map_err(|e| ChangeError::io("", e))?;
        if !plan.blockers.is_empty() && (!args.force || plan.text.is_empty()) {
            return Err(ChangeError::Input(plan.blockers));
        }
        if args.migrate.is_some() {
            opening = Some(
                close::opening_balances(journal, args.fy).map_err(|e| ChangeError::io("", e))?,
            );
        }
        Ok(write::Addition {
            text: plan.text.clone(),
            transactions: plan.transactions,
            value: plan,
            donors: None,
        })
    })
    .map_err(change_failed)?;
    let plan = addition.value;
    let mut text = String::new();
    for warning in &plan.blockers {
        text.push_str(&format!(
            "warning (recorded in the close): {}\n",
            warning.message
        ));
    }
    if let Some(record) = &plan.already_closed {
        text.push_str(&format!(
            "FY{} is already closed: {} transactions, digest {} ({}); nothing written\n",
            plan.year,
            record.transactions,
            record.digest,
            record.describe()
        ));
    } else {
        if args.dry_run {
            text.push_str(&plan.text);
            text.push('\n');
        }
        for r in &plan.revaluations {
            let rate = r.rate.map(|r| r.to_string()).unwrap_or_else(|| "-".into());
            text.push_str(&format!(
                "revalued {} ({}): {} {} at {rate}: book value {} {base}, closing value {} {base}, difference {} {base}\n",
                r.account, r.fund, r.quantity, r.commodity, r.book_value, r.closing_value, r.difference,
                base = settings.base_currency.as_deref().unwrap_or("")
            ));
        }
        let verb = if args.dry_run {
            "would close"
        } else {
            "closed"
        };
        text.push_str(&format!(
            "{verb} FY{} on {closed_on}: {} transactions, digest {}; {} transaction(s) {} {}\n",
            plan.year,
            plan.covered,
            plan.digest,
            plan.transactions,
            if args.dry_run {
                "to add to"
            } else {
                "added to"
            },
            settings.journal.display()
        ));
    }
    if let (Some(path), Some(opening)) = (&args.migrate, opening) {
        if args.dry_run {
            text.push_str(&opening);
        } else {
            write_new_file(path, &opening)?;
            text.push_str(&format!(
                "wrote the opening balances of FY{} to {}\n",
                plan.year + 1,
                path.display()
            ));
        }
    }
    output(cli, &text)
}

/// Writes a new file (never over an existing one), flushed to disk.
fn write_new_file(path: &std::path::Path, text: &str) -> Result<(), Failure> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Failure::Usage(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// `check -O json`: every diagnostic as one JSON object per line (JSON
/// Lines, as `cargo --message-format=json`), to standard output or `-o`;
/// the count of those left out and the summary on standard error; exit 1
/// when there is an error.
fn check_json(cli: &Cli, loaded: &fundledger_core::Loaded) -> Result<(), Failure> {
    let mut lines = String::new();
    for d in &loaded.diagnostics {
        let line = d
            .to_json()
            .map_err(|e| Failure::Usage(format!("cannot write JSON: {e}")))?;
        lines.push_str(&line);
        lines.push('\n');
    }
    destination(cli, Some(OutputFormat::Json), &[OutputFormat::Json], false)?
        .write(Rendered::Text(lines))?;
    if let Some(note) = loaded.omitted_note() {
        eprintln!("{note}");
    }
    let (errors, warnings) = (loaded.error_count(), loaded.warning_count());
    eprintln!("{errors} error(s), {warnings} warning(s)");
    if errors > 0 {
        return Err(Failure::Data);
    }
    Ok(())
}

fn run(cli: Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Check(args) => {
            let loaded = load(&cli)?;
            if let Some(
                other @ (OutputFormat::Csv
                | OutputFormat::Md
                | OutputFormat::Html
                | OutputFormat::Xlsx),
            ) = args.output
            {
                return Err(Failure::Usage(format!(
                    "check writes text or json, not {other:?}"
                )));
            }
            if args.output == Some(OutputFormat::Json) {
                // JSON Lines on standard output, one object per
                // diagnostic; the summary stays on standard error.
                return check_json(&cli, &loaded);
            }
            print_loaded_diagnostics(&loaded);
            let errors = loaded.error_count();
            let warnings = loaded.warning_count();
            let journal = &loaded.journal;
            let summary = format!(
                "{} transactions, {} postings, {} accounts, {} funds in {} file(s): {errors} error(s), {warnings} warning(s)",
                journal.transactions().len(),
                journal.all_postings().len(),
                journal.account_ids().count(),
                journal.fund_ids().count(),
                journal.files().len()
            );
            if errors > 0 {
                eprintln!("{summary}");
                return Err(Failure::Data);
            }
            output(&cli, &format!("{summary}\n"))
        }
        Command::Balance(args) => {
            let journal = load_valid(&cli)?;
            let (period, interval_asked) = period_interval(&journal, &args.period)?;
            let filter = filter_for(&journal, &period, &args.query)?;
            let valued = valuation_for(&journal, &args.query, &filter)?;
            let options = reports::BalanceOptions::default()
                .by_fund(args.by_fund)
                .depth(args.depth)
                .shown(shown_of(&args.query, valued.as_ref()));
            if args.budget {
                let out = destination(&cli, args.output, &ALL_FORMATS, false)?;
                let (begin, end) = bounded(&journal, &filter)?;
                let (_, statement) = fundledger_core::budget::balance_budget(
                    &journal,
                    &filter,
                    options.shown,
                    args.budget_name.as_deref(),
                    begin,
                    end,
                )
                .map_err(report_failed)?;
                let rendered = statements_rendered(&out, &[statement])?;
                return out.write(rendered);
            }
            if let Some(interval) = interval_of(args).or(interval_asked) {
                let out = destination(&cli, args.output, &ALL_FORMATS, false)?;
                let (begin, end) = bounded(&journal, &filter)?;
                let periods = fundledger_core::period::split(
                    interval,
                    begin,
                    end,
                    journal.settings().fiscal_year_start,
                );
                let statement =
                    reports::balance_columns(&journal, &filter, options, &periods, "Balance")
                        .map_err(report_failed)?;
                let rendered = statements_rendered(&out, &[statement])?;
                return out.write(rendered);
            }
            let out = destination(&cli, args.output, &VIEW_FORMATS, false)?;
            let report = reports::balance(&journal, &filter, options).map_err(report_failed)?;
            view(
                &out,
                |f| render::balance(&report, f),
                || sheet::balance(&report),
            )
        }
        Command::Register(args) => {
            let journal = load_valid(&cli)?;
            let filter = filter_for(&journal, &args.period, &args.query)?;
            let out = destination(&cli, args.output, &VIEW_FORMATS, false)?;
            let valued = valuation_for(&journal, &args.query, &filter)?;
            let report =
                reports::register_shown(&journal, &filter, shown_of(&args.query, valued.as_ref()))
                    .map_err(report_failed)?;
            let width = out.terminal_width();
            view(
                &out,
                |f| render::register_fitted(&report, f, width),
                || sheet::register(&report),
            )
        }
        Command::Accounts(args) => {
            let journal = load_valid(&cli)?;
            let out = destination(&cli, args.output, &VIEW_FORMATS, false)?;
            let report = reports::accounts(&journal).map_err(report_failed)?;
            view(
                &out,
                |f| render::accounts(&report, f),
                || sheet::accounts(&report),
            )
        }
        Command::Print(args) => {
            let journal = load_valid(&cli)?;
            journal.verify_invariants().map_err(report_failed)?;
            let filtered = args.query.is_set() || args.period.is_set();
            let filter = filter_for(&journal, &args.period, &args.query)?;
            let printed = print::printed(&journal, &filter);
            listing(&cli, args.output, |format| match format {
                Format::Text if !filtered => Ok(print::print(&journal)),
                Format::Text => Ok(print::print_selected(&journal, &filter)),
                other => print::render_printed(&printed, other),
            })
        }
        Command::Stats(args) => {
            let journal = load_valid(&cli)?;
            let stats = lists::stats(&journal);
            listing(&cli, args.output, |f| lists::render_stats(&stats, f))
        }
        Command::Payees(args) => names(&cli, NameKind::Payees, args.output),
        Command::Tags(args) => names(&cli, NameKind::Tags, args.output),
        Command::Commodities(args) => names(&cli, NameKind::Commodities, args.output),
        Command::Prices(args) => {
            let journal = load_valid(&cli)?;
            let prices = lists::prices(&journal);
            listing(&cli, args.output, |f| lists::render_prices(&prices, f))
        }
        Command::Report(args) => report(&cli, args),
        Command::Completions(args) => {
            let mut script = Vec::new();
            clap_complete::generate(
                args.shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "fundledger",
                &mut script,
            );
            output(&cli, &String::from_utf8_lossy(&script))
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut page)?;
            output(&cli, &String::from_utf8_lossy(&page))
        }
        Command::Import(args) => import(&cli, args),
        Command::Add(args) => add(&cli, args),
        Command::Close(args) => close(&cli, args),
        Command::Reconcile(args) => reconcile(&cli, args),
        Command::Audit(args) => audit(&cli, args),
        Command::Receipt(args) => receipt(&cli, args),
        Command::Funds(args) => {
            let journal = books_of(load_valid(&cli)?, &args.fund)?;
            let (period, interval_asked) = period_interval(&journal, &args.period)?;
            let interval =
                interval_flags([args.monthly, args.quarterly, args.yearly, args.fy_columns])
                    .or(interval_asked);
            if let Some(interval) = interval {
                if args.by_commodity || journal.settings().base_currency.is_none() {
                    return Err(Failure::Usage(
                        "funds in columns are values in the base currency: they need a base currency and cannot be --by-commodity".into(),
                    ));
                }
                let out = destination(&cli, args.output, &ALL_FORMATS, false)?;
                let (begin, end) = period_of(&journal, &period)?;
                let (begin, end) = closed_range(&journal, begin, end)?;
                let periods = fundledger_core::period::split(
                    interval,
                    begin,
                    end,
                    journal.settings().fiscal_year_start,
                );
                let valued = reports::valued::Valued::new(&journal).map_err(report_failed)?;
                let statement = reports::columns::funds_columns(&valued, interval, &periods)
                    .map_err(report_failed)?;
                let rendered = statements_rendered(&out, &[statement])?;
                return out.write(rendered);
            }
            let out = destination(&cli, args.output, &VIEW_FORMATS, false)?;
            let (begin, end) = period_of(&journal, &args.period)?;
            let report = if args.by_commodity || journal.settings().base_currency.is_none() {
                reports::funds(&journal, begin, end).map_err(report_failed)?
            } else {
                let valued = reports::valued::Valued::new(&journal).map_err(report_failed)?;
                reports::funds_valued(&valued, begin, end).map_err(report_failed)?
            };
            view(
                &out,
                |f| render::funds(&report, f),
                || sheet::funds(&report),
            )
        }
    }
}
