//! The auditor's package for a fiscal year (`fundledger audit --fy YEAR -o
//! DIR`), and the evidence behind payments (`document:` tags).
//!
//! [`package`] builds every file from the same library calls the reports
//! use, so each figure is the report's figure: the trial balance is
//! `balance -e END -O csv`; the statements and notes are
//! [`crate::reports::financial::statements`] rendered as `report` renders
//! them; the reconciliations and open advances are `report reconciliation`
//! and `report advances` at the last day of the year; the confirmation
//! letters take each member loan's closing balance from
//! [`crate::reports::filing::loan_movements`]. The general ledger lists
//! every posting of the year with its transaction's source `FILE:LINE` and
//! documents; the manifest gives the SHA-256 digest of every journal file,
//! one digest of the journal as a whole, and the digest of every file of
//! the package.
//!
//! [`write_new_dir`] writes the package into a temporary directory beside
//! the target, flushes it, and renames it to the target, which must not
//! exist: the package appears whole or not at all.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::journal::{Journal, Status, Transaction};
use crate::model::money::Decimal;
use crate::read::source::hex;
use crate::render::text::{self as render, safe_csv_cell, Format};
use crate::reports::{self, financial::Standard, valued::Valued, ReportError};

/// The tag naming a document (a path inside the ledger directory).
pub const DOCUMENT_TAG: &str = "document";

/// The default threshold of [`payments_without_documents`], in the base
/// currency.
pub const DEFAULT_DOCUMENTS_OVER: i64 = 50_000;

/// The documents of a transaction: its own `document:` tags and its
/// postings'.
pub fn documents<'j>(journal: &'j Journal, t: &Transaction) -> Vec<&'j str> {
    let mut out: Vec<&str> = journal
        .transaction_tags(t)
        .iter()
        .filter(|tag| tag.name == DOCUMENT_TAG)
        .map(|tag| tag.value)
        .collect();
    for p in journal.postings(t) {
        for tag in journal.posting_tags(p) {
            if tag.name == DOCUMENT_TAG && !out.contains(&tag.value) {
                out.push(tag.value);
            }
        }
    }
    out
}

/// `check`'s problems with `document:` tags (in a ledger directory; a bare
/// `-f` journal has none to look in): E803 for a document that does not
/// exist, E804 for one outside the ledger directory (an absolute path,
/// `..`, or a symbolic link that leads out).
pub fn document_problems(journal: &Journal) -> Vec<crate::Diagnostic> {
    use crate::model::diagnostic::{Code, Diagnostic, Location};
    let root = &journal.settings().root;
    // A bare journal (`-f`) has no ledger directory to hold documents.
    if !journal.settings().from_file {
        return Vec::new();
    }
    let Ok(real_root) = std::fs::canonicalize(root) else {
        return Vec::new();
    };
    // Side by side in chunks of the journal, joined in order.
    crate::load::checks::per_transaction(journal, |t, out| {
        let mut tagged: Vec<(u32, &str)> = journal
            .transaction_tags(t)
            .iter()
            .filter(|tag| tag.name == DOCUMENT_TAG)
            .map(|tag| (t.line, tag.value))
            .collect();
        for p in journal.postings(t) {
            for tag in journal.posting_tags(p) {
                if tag.name == DOCUMENT_TAG {
                    tagged.push((p.line, tag.value));
                }
            }
        }
        for (line, document) in tagged {
            let at = Location {
                path: journal
                    .files()
                    .get(t.file as usize)
                    .cloned()
                    .unwrap_or_default(),
                line,
            };
            let relative = Path::new(document);
            let escapes = relative.is_absolute()
                || relative.components().any(|c| {
                    !matches!(
                        c,
                        std::path::Component::Normal(_) | std::path::Component::CurDir
                    )
                });
            let problem = if escapes {
                Some((
                    Code::DocumentOutside,
                    "a path that leaves the ledger directory",
                ))
            } else {
                match std::fs::canonicalize(root.join(relative)) {
                    Err(_) => Some((Code::DocumentMissing, "no such file")),
                    Ok(real) if !real.starts_with(&real_root) => Some((
                        Code::DocumentOutside,
                        "a symbolic link that leads out of the ledger directory",
                    )),
                    Ok(real) if !real.is_file() => Some((Code::DocumentMissing, "not a file")),
                    Ok(_) => None,
                }
            };
            if let Some((code, found)) = problem {
                out.push(
                Diagnostic::new(code, format!("document {document:?}: {found}"))
                    .at(at)
                    .found(found.to_string())
                    .expected("a file inside the ledger directory, named by a relative path (documents/loan-kato.pdf)"),
            );
            }
        }
    })
}

/// A payment without a document.
#[derive(Clone, Debug, Serialize)]
pub struct Undocumented {
    /// The date.
    pub date: NaiveDate,
    /// The payee.
    pub payee: String,
    /// Paid out of bank and cash accounts, in the base currency.
    pub paid: Decimal,
    /// `FILE:LINE`.
    pub location: String,
}

fn location(journal: &Journal, t: &Transaction) -> String {
    crate::monthend::reconcile::location_of(journal, t.file, t.line)
}

/// Payments in `[begin, end)` of at least `over` (base currency, paid out of
/// the bank and cash accounts of `[reconcile] accounts`, net per
/// transaction) with no `document:` tag.
///
/// # Errors
/// [`ReportError`] when an amount cannot be valued.
pub fn payments_without_documents(
    valued: &Valued<'_>,
    begin: NaiveDate,
    end: NaiveDate,
    over: Decimal,
) -> Result<Vec<Undocumented>, ReportError> {
    let journal = valued.journal;
    let settings = journal.settings();
    let mut out = Vec::new();
    for t in journal
        .transactions()
        .iter()
        .filter(|t| t.date >= begin && t.date < end)
    {
        let start = t.posting_range().start;
        let mut paid = Decimal::ZERO;
        for (offset, p) in journal.postings(t).iter().enumerate() {
            if p.kind != crate::model::journal::PostingKind::Real
                || !settings.reconcile.covers(journal.account_name(p.account))
            {
                continue;
            }
            paid = crate::model::money::checked_sub(paid, valued.value(start + offset))
                .map_err(|_| ReportError::Overflow)?;
        }
        if paid >= over && documents(journal, t).is_empty() {
            out.push(Undocumented {
                date: t.date,
                payee: journal.payee(t).to_string(),
                paid,
                location: location(journal, t),
            });
        }
    }
    Ok(out)
}
/// `report documents` (and the package's file) as CSV.
pub fn undocumented_csv(rows: &[Undocumented]) -> String {
    let mut out = String::from("date,payee,paid,source\n");
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{}",
            r.date,
            csv_field(&r.payee),
            r.paid,
            csv_field(&r.location)
        );
    }
    out
}

fn csv_field(text: &str) -> String {
    let safe = safe_csv_cell(text);
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe.into_owned()
    }
}

/// Why a package could not be made.
#[derive(Debug)]
pub enum AuditError {
    /// A report failed.
    Report(ReportError),
    /// Rendering failed.
    Render(String),
    /// The fiscal year is out of range.
    Year(i32),
}

impl std::fmt::Display for AuditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditError::Report(e) => write!(f, "{e}"),
            AuditError::Render(e) => write!(f, "{e}"),
            AuditError::Year(y) => write!(f, "fiscal year {y} is out of range"),
        }
    }
}

impl std::error::Error for AuditError {}

impl From<ReportError> for AuditError {
    fn from(e: ReportError) -> Self {
        AuditError::Report(e)
    }
}

fn rendered<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<T, AuditError> {
    result.map_err(|e| AuditError::Render(e.to_string()))
}

/// The files of a package, by name, in order.
pub struct Package {
    /// (file name, content).
    pub files: Vec<(String, String)>,
    /// Binary files (the workbook): (file name, bytes).
    pub binary: Vec<(String, Vec<u8>)>,
}

/// Writes sheets as an XLSX workbook (the binary's spreadsheet writer).
pub type WorkbookWriter<'a> = &'a dyn Fn(&[crate::render::sheet::Sheet]) -> Result<Vec<u8>, String>;

/// A file name made of safe characters only (for a lender's letter).
fn file_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    name.trim_matches('-').to_string()
}

/// The auditor's package of fiscal year `fy` (see the module
/// documentation).
///
/// # Errors
/// [`AuditError`].
/// With `workbook`, the trial balance and the statements and notes are also
/// written as one workbook, `audit.xlsx`, listed in the manifest.
pub fn package(
    journal: &Journal,
    fy: i32,
    standard: Standard,
    workbook: Option<WorkbookWriter<'_>>,
) -> Result<Package, AuditError> {
    let settings = journal.settings();
    let (begin, end) = settings.fiscal_year(fy).ok_or(AuditError::Year(fy))?;
    let last = end.pred_opt().unwrap_or(end);
    let valued = Valued::new(journal)?;
    let mut files = Vec::new();

    // The trial balance: `balance -e END -O csv`.
    let filter = crate::model::query::Filter {
        end: Some(end),
        ..crate::model::query::Filter::default()
    };
    let options = reports::BalanceOptions::default();
    let trial = reports::balance(journal, &filter, options)?;
    files.push((
        "trial-balance.csv".to_string(),
        rendered(render::balance(&trial, Format::Csv))?,
    ));

    // The general ledger: every posting of the year, with its source.
    let mut ledger =
        String::from("date,source,status,payee,account,fund,amount,commodity,documents\n");
    for t in journal
        .transactions()
        .iter()
        .filter(|t| t.date >= begin && t.date < end)
    {
        let docs = documents(journal, t).join(" ");
        for p in journal.postings(t) {
            let status = match (t.status, p.status) {
                (Status::Cleared, _) | (_, Status::Cleared) => "*",
                (Status::Pending, _) | (_, Status::Pending) => "!",
                _ => "",
            };
            let decimals = journal.precision(p.commodity).unwrap_or(0);
            let _ = writeln!(
                ledger,
                "{},{},{},{},{},{},{},{},{}",
                t.date,
                csv_field(&location(journal, t)),
                status,
                csv_field(journal.payee(t)),
                csv_field(journal.account_name(p.account)),
                csv_field(journal.fund_name(p.fund)),
                crate::model::money::format_plain(p.quantity, decimals),
                csv_field(journal.commodity_name(p.commodity)),
                csv_field(&docs)
            );
        }
    }
    files.push(("general-ledger.csv".to_string(), ledger));

    // The statements and notes.
    let set = reports::financial::statements(&valued, standard, begin, end)?;
    let mut statements = String::new();
    for s in set.statements().into_iter().chain(set.notes.iter()) {
        statements.push_str(&rendered(render::statement(s, Format::Text))?);
        statements.push('\n');
    }
    files.push(("statements.txt".to_string(), statements));
    let mut binary = Vec::new();
    if let Some(write) = workbook {
        let mut sheets = crate::render::sheet::balance(&trial);
        sheets.extend(crate::render::sheet::statements(
            set.statements().into_iter().chain(set.notes.iter()),
        ));
        binary.push((
            "audit.xlsx".to_string(),
            write(&sheets).map_err(AuditError::Render)?,
        ));
    }

    // Reconciliations and open advances at the year end.
    let statuses = crate::monthend::reconcile::last_reconciliations(journal, last);
    files.push((
        "reconciliations.txt".to_string(),
        crate::monthend::reconcile::render_status(settings, last, &statuses),
    ));
    let open: Vec<_> = crate::monthend::advances::report(journal, last)
        .map_err(|_| AuditError::Report(ReportError::Overflow))?
        .into_iter()
        .filter(|a| !a.open.is_zero())
        .collect();
    files.push((
        "open-advances.txt".to_string(),
        crate::monthend::advances::render_text(last, &open),
    ));

    // Payments without documents.
    let over = Decimal::from(DEFAULT_DOCUMENTS_OVER);
    let undocumented = payments_without_documents(&valued, begin, end, over)?;
    files.push((
        "payments-without-documents.csv".to_string(),
        undocumented_csv(&undocumented),
    ));

    // One confirmation letter per member loan.
    let base = settings.base_currency.clone().unwrap_or_default();
    for loan in reports::filing::loan_movements(&valued, begin, end)? {
        let text = format!(
            "{organisation}\n\nTo: {lender}\n\nBalance confirmation at {last}\n\n\
             Our books show that at {last} the organisation owed you\n\n    {amount} {base}\n\n\
             on the loan recorded in {account}{due}.\n\n\
             Please confirm this balance, or tell the auditor the balance you hold, by replying\n\
             directly to the auditor. This letter is sent by the auditor, not by the organisation.\n\n\
             Confirmed / not confirmed (balance: ________ {base})\n\nSignature: ________________  Date: __________\n",
            organisation = settings.organisation,
            lender = loan.lender,
            amount = crate::model::money::format_plain(
                loan.closing,
                journal
                    .commodity_id(&base)
                    .and_then(|c| journal.precision(c))
                    .unwrap_or(0)
            ),
            account = loan.account,
            due = loan
                .due
                .map(|d| format!(", due {d}"))
                .unwrap_or_default(),
        );
        files.push((
            format!("confirmation-{}.txt", file_name(&loan.lender)),
            text,
        ));
    }

    // The manifest: digests of the journal and of every file above.
    let mut manifest = format!(
        "Audit package of {}, FY{fy} ({begin} to {last})\n\nJournal files (SHA-256):\n",
        settings.organisation
    );
    let mut whole = Sha256::new();
    for path in journal.files() {
        let digest = crate::write_path::write::digest_file(path)
            .map_err(|e| AuditError::Render(e.to_string()))?;
        let shown = path
            .strip_prefix(&settings.root)
            .unwrap_or(path)
            .display()
            .to_string();
        whole.update((shown.len() as u64).to_le_bytes());
        whole.update(shown.as_bytes());
        whole.update(&digest);
        let _ = writeln!(manifest, "  {}  {shown}", hex(&digest));
    }
    let _ = writeln!(
        manifest,
        "Journal digest (SHA-256 over each file's name and digest): {}\n\nFiles of this package (SHA-256):",
        hex(&whole.finalize())
    );
    for (name, content) in &files {
        let _ = writeln!(
            manifest,
            "  {}  {name}",
            hex(&Sha256::digest(content.as_bytes()))
        );
    }
    for (name, content) in &binary {
        let _ = writeln!(manifest, "  {}  {name}", hex(&Sha256::digest(content)));
    }
    files.push(("MANIFEST.txt".to_string(), manifest));
    Ok(Package { files, binary })
}

/// Writes `package` into the new directory `dir`: a temporary directory
/// beside it, each file flushed, then renamed to `dir`. Refuses a `dir`
/// that exists.
///
/// # Errors
/// I/O errors; `AlreadyExists` when `dir` exists. Nothing is left behind.
pub fn write_new_dir(dir: &Path, package: &Package) -> std::io::Result<()> {
    if dir.symlink_metadata().is_ok() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} exists; audit writes a new folder", dir.display()),
        ));
    }
    let parent: PathBuf = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temp = tempfile::Builder::new()
        .prefix(".fundledger-audit-")
        .tempdir_in(&parent)?;
    let texts = package.files.iter().map(|(n, c)| (n, c.as_bytes()));
    let binaries = package.binary.iter().map(|(n, c)| (n, c.as_slice()));
    for (name, content) in texts.chain(binaries) {
        let path = temp.path().join(name);
        let mut file = std::fs::File::create(&path)?;
        std::io::Write::write_all(&mut file, content)?;
        file.sync_all()?;
    }
    // The folder's entries reach the disk before it gets its name.
    #[cfg(unix)]
    std::fs::File::open(temp.path())?.sync_all()?;
    let temp_path = temp.keep();
    if let Err(e) = std::fs::rename(&temp_path, dir) {
        let _ = std::fs::remove_dir_all(&temp_path);
        return Err(e);
    }
    #[cfg(unix)]
    std::fs::File::open(&parent)?.sync_all()?;
    Ok(())
}
