//! `fundledger`: the command-line frontend.
//!
//! This binary only parses arguments, calls the library and writes what it
//! renders. Exit codes: 0 fine, 1 the data has errors, 2 usage or I/O error.
//! A closed pipe (`fundledger print | head`) ends quietly with 0.

mod args;

use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use fundledger_core::entry::{self, NewEntry};
use fundledger_core::import::{self, ImportKind, ImportRequest};
use fundledger_core::lists::{self, NameKind};
use fundledger_core::locate::{self, LocateError};
use fundledger_core::print;
use fundledger_core::query::Filter;
use fundledger_core::render::{self, Format};
use fundledger_core::write::{self, ChangeError};
use fundledger_core::{reports, Diagnostic, Journal, LoadError, Settings};

use args::{
    AddArgs, Cli, Command, ImportArgs, ImportKindArg, OutputFormat, PeriodArgs, ReportArgs,
    ReportFormat, StandardArg,
};

/// How a run ended.
enum Failure {
    /// The data has errors (exit 1); they have been printed.
    Data,
    /// A usage or I/O problem (exit 2), with its message.
    Usage(String),
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure::Usage(format!("I/O error: {error}"))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Data) => ExitCode::from(1),
        Err(Failure::Usage(message)) => {
            if message.contains("Broken pipe") {
                return ExitCode::SUCCESS;
            }
            eprintln!("fundledger: {message}");
            ExitCode::from(2)
        }
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let stderr = std::io::stderr();
    let mut stderr = stderr.lock();
    for d in diagnostics {
        let _ = writeln!(stderr, "{d}");
    }
}

fn settings_for(cli: &Cli) -> Result<Settings, Failure> {
    let mut settings = located_settings(cli)?;
    settings.auto |= cli.auto;
    settings.strict |= matches!(&cli.command, Command::Check(args) if args.strict);
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

/// Loads the journal; prints warnings always and errors when `report_errors`.
fn load(cli: &Cli) -> Result<fundledger_core::Loaded, Failure> {
    let settings = settings_for(cli)?;
    let loaded = match bare_source(cli)? {
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
                    eprintln!("timing: {phase}: {:.1} ms", duration.as_secs_f64() * 1000.0);
                }
            }
            Ok(loaded)
        }
        Err(LoadError::Io { path, error }) => Err(Failure::Usage(format!(
            "cannot read {}: {error}",
            path.display()
        ))),
        Err(error @ LoadError::Invariant(_)) => Err(Failure::Usage(error.to_string())),
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
    let loaded = load(cli)?;
    print_diagnostics(&loaded.diagnostics);
    if loaded.has_errors() {
        let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!("fundledger: {errors} error(s); run `fundledger check` for the full list. No report is printed from data with errors.");
        return Err(Failure::Data);
    }
    Ok(loaded.journal)
}

fn output(text: &str) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

fn names(cli: &Cli, kind: NameKind, format: OutputFormat) -> Result<(), Failure> {
    let journal = load_valid(cli)?;
    output(
        &lists::render_names(&lists::names(&journal, kind), format_of(format))
            .map_err(report_failed)?,
    )
}

fn format_of(format: OutputFormat) -> Format {
    match format {
        OutputFormat::Text => Format::Text,
        OutputFormat::Csv => Format::Csv,
        OutputFormat::Json => Format::Json,
    }
}

fn report_failed(error: impl std::fmt::Display + 'static) -> Failure {
    // A total too large for Decimal is a fact about the data (exit 1);
    // anything else that stops a report is not.
    let is_overflow = (&error as &dyn std::any::Any)
        .downcast_ref::<fundledger_core::reports::ReportError>()
        .is_some_and(|e| *e == fundledger_core::reports::ReportError::Overflow);
    if is_overflow {
        eprintln!("fundledger: {error}: the journal holds amounts too large to report");
        return Failure::Data;
    }
    Failure::Usage(error.to_string())
}

/// The filter for a period, accounts and fund.
fn filter_for(
    journal: &Journal,
    period: &PeriodArgs,
    accounts: Vec<String>,
    fund: Option<&str>,
    real: bool,
) -> Result<Filter, Failure> {
    let (begin, end) = period_of(journal.settings(), period)?;
    let fund = match fund {
        None => None,
        Some(name) => Some(journal.fund_id(name).ok_or_else(|| {
            let known: Vec<&str> = journal.fund_ids().map(|f| journal.fund_name(f)).collect();
            Failure::Usage(format!(
                "no fund named {name:?}; the funds are {}",
                known.join(", ")
            ))
        })?),
    };
    Ok(Filter {
        begin,
        end,
        accounts,
        fund,
        real_only: real,
    })
}

type Period = (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>);

fn period_of(settings: &Settings, period: &PeriodArgs) -> Result<Period, Failure> {
    if let Some(year) = period.fy {
        if period.begin.is_some() || period.end.is_some() {
            return Err(Failure::Usage("--fy cannot be combined with -b/-e".into()));
        }
        let (begin, end) = settings
            .fiscal_year(year)
            .ok_or_else(|| Failure::Usage(format!("fiscal year {year} is out of range")))?;
        return Ok((Some(begin), Some(end)));
    }
    if let (Some(b), Some(e)) = (period.begin, period.end) {
        if e <= b {
            return Err(Failure::Usage(format!(
                "the end date {e} is not after the begin date {b} (-e is exclusive)"
            )));
        }
    }
    Ok((period.begin, period.end))
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
        ChangeError::Write(e) => Failure::Usage(e.to_string()),
        ChangeError::Io(e) => Failure::Usage(e),
    }
}

fn import(cli: &Cli, args: &ImportArgs) -> Result<(), Failure> {
    refuse_unwritable(cli)?;
    let settings = settings_for(cli)?;
    let kind = match args.kind {
        ImportKindArg::Donations => ImportKind::Donations,
        ImportKindArg::Sales => ImportKind::Sales,
    };
    let request = ImportRequest {
        kind,
        csv: &args.csv,
        rules: args.rules.as_deref(),
        encoding: args.encoding.as_deref(),
    };
    let result = write::change(&settings, args.dry_run, |journal| {
        let prepared = import::prepare(&settings, journal, &request)
            .map_err(|e| ChangeError::Io(format!("cannot read {}: {e}", args.csv.display())))?
            .map_err(ChangeError::Input)?;
        Ok(write::Addition {
            text: prepared.text,
            transactions: prepared.transactions,
            value: prepared.summary,
        })
    });
    let addition = result.map_err(change_failed)?;
    let mut text = String::new();
    if args.dry_run && !addition.text.is_empty() {
        text.push_str(&addition.text);
        text.push('\n');
    }
    text.push_str(&import::summary_text(&addition.value, args.dry_run));
    output(&text)
}

fn report(cli: &Cli, args: &ReportArgs) -> Result<(), Failure> {
    use fundledger_core::reports::{annual, financial::Standard, valued::Valued};
    let journal = load_valid(cli)?;
    let (begin, end) = journal
        .settings()
        .fiscal_year(args.fy)
        .ok_or_else(|| Failure::Usage(format!("fiscal year {} is out of range", args.fy)))?;
    let standard = match args.standard {
        StandardArg::Asc958 => Standard::Asc958,
        StandardArg::JpNpo => Standard::JpNpo,
        StandardArg::Sorp => Standard::Sorp,
    };
    let valued = Valued::new(&journal).map_err(report_failed)?;
    if args.name == "annual" {
        let report =
            annual::annual(&valued, standard, args.fy, begin, end).map_err(report_failed)?;
        let text = match args.output {
            ReportFormat::Html => fundledger_core::html::annual(&report),
            ReportFormat::Md => annual::markdown(&report),
            ReportFormat::Json => render::json(&report).map_err(report_failed)?,
            ReportFormat::Text | ReportFormat::Csv => {
                let mut out = String::new();
                for s in std::iter::once(&report.summary)
                    .chain(&report.statements)
                    .chain(&report.notes)
                {
                    let format = if args.output == ReportFormat::Csv {
                        Format::Csv
                    } else {
                        Format::Text
                    };
                    out.push_str(&render::statement(s, format).map_err(report_failed)?);
                    out.push('\n');
                }
                out
            }
        };
        return output(&text);
    }
    let as_of = args.as_of.unwrap_or_else(|| end.pred_opt().unwrap_or(end));
    let statements =
        reports::named(&valued, &args.name, standard, begin, end, as_of).map_err(report_failed)?;
    let text = match args.output {
        ReportFormat::Json => render::json(&statements).map_err(report_failed)?,
        ReportFormat::Html => {
            let body: String = statements
                .iter()
                .map(fundledger_core::html::statement)
                .collect();
            fundledger_core::html::page(
                &statements
                    .first()
                    .map(|s| s.title.clone())
                    .unwrap_or_default(),
                &body,
            )
        }
        ReportFormat::Md => statements.iter().map(render::statement_markdown).collect(),
        ReportFormat::Text | ReportFormat::Csv => {
            let format = if args.output == ReportFormat::Csv {
                Format::Csv
            } else {
                Format::Text
            };
            let mut parts = Vec::new();
            for s in &statements {
                parts.push(render::statement(s, format).map_err(report_failed)?);
            }
            parts.join("\n")
        }
    };
    output(&text)
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
    let addition = write::change(&settings, args.dry_run, |_| {
        let text = entry::render(&entry).map_err(ChangeError::Input)?;
        Ok(write::Addition {
            text,
            transactions: 1,
            value: (),
        })
    })
    .map_err(change_failed)?;
    let verb = if args.dry_run { "would add" } else { "added" };
    output(&format!(
        "{}{verb} 1 transaction to {}\n",
        addition.text,
        settings.journal.display()
    ))
}

fn run(cli: Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Check(_) => {
            let loaded = load(&cli)?;
            print_diagnostics(&loaded.diagnostics);
            let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings = loaded.diagnostics.len() - errors;
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
            output(&format!("{summary}\n"))
        }
        Command::Balance(args) => {
            let journal = load_valid(&cli)?;
            let filter = filter_for(
                &journal,
                &args.period,
                args.accounts.clone(),
                args.fund.as_deref(),
                args.real,
            )?;
            let options = reports::BalanceOptions {
                by_fund: args.by_fund,
                depth: args.depth,
            };
            let report = reports::balance(&journal, &filter, options).map_err(report_failed)?;
            output(&render::balance(&report, format_of(args.output)).map_err(report_failed)?)
        }
        Command::Register(args) => {
            let journal = load_valid(&cli)?;
            let filter = filter_for(
                &journal,
                &args.period,
                args.accounts.clone(),
                args.fund.as_deref(),
                args.real,
            )?;
            let report = reports::register(&journal, &filter).map_err(report_failed)?;
            output(&render::register(&report, format_of(args.output)).map_err(report_failed)?)
        }
        Command::Accounts(args) => {
            let journal = load_valid(&cli)?;
            let report = reports::accounts(&journal).map_err(report_failed)?;
            output(&render::accounts(&report, format_of(args.output)).map_err(report_failed)?)
        }
        Command::Print(args) => {
            let journal = load_valid(&cli)?;
            journal.verify_invariants().map_err(report_failed)?;
            let filtered = !args.accounts.is_empty()
                || args.fund.is_some()
                || args.real
                || args.period.fy.is_some()
                || args.period.begin.is_some()
                || args.period.end.is_some();
            let filter = filter_for(
                &journal,
                &args.period,
                args.accounts.clone(),
                args.fund.as_deref(),
                args.real,
            )?;
            match args.output {
                OutputFormat::Text if !filtered => output(&print::print(&journal)),
                OutputFormat::Text => output(&print::print_selected(&journal, &filter)),
                other => {
                    let printed = print::printed(&journal, &filter);
                    output(
                        &print::render_printed(&printed, format_of(other))
                            .map_err(report_failed)?,
                    )
                }
            }
        }
        Command::Stats(args) => {
            let journal = load_valid(&cli)?;
            output(
                &lists::render_stats(&lists::stats(&journal), format_of(args.output))
                    .map_err(report_failed)?,
            )
        }
        Command::Payees(args) => names(&cli, NameKind::Payees, args.output),
        Command::Tags(args) => names(&cli, NameKind::Tags, args.output),
        Command::Commodities(args) => names(&cli, NameKind::Commodities, args.output),
        Command::Prices(args) => {
            let journal = load_valid(&cli)?;
            output(
                &lists::render_prices(&lists::prices(&journal), format_of(args.output))
                    .map_err(report_failed)?,
            )
        }
        Command::Report(args) => report(&cli, args),
        Command::Import(args) => import(&cli, args),
        Command::Add(args) => add(&cli, args),
        Command::Funds(args) => {
            let journal = load_valid(&cli)?;
            let (begin, end) = period_of(journal.settings(), &args.period)?;
            let report = reports::funds(&journal, begin, end).map_err(report_failed)?;
            output(&render::funds(&report, format_of(args.output)).map_err(report_failed)?)
        }
    }
}
