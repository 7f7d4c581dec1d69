//! A tour of fundledger-core's public API: open the example ledger, print
//! the fund roll-forward and the statement of activities of FY2000, then
//! import a donations CSV into a temporary copy of the ledger.
//!
//! Run it from the repository root:
//!
//! ```sh
//! cargo run -p fundledger-core --example tour
//! ```
//!
//! or give another ledger directory and CSV file:
//! `cargo run -p fundledger-core --example tour -- DIR FILE.csv`.

use std::io::Write;
use std::path::{Path, PathBuf};

use fundledger_core::import::{self, ImportKind, ImportRequest};
use fundledger_core::reports::{self, financial::Standard, statement::Cell, valued::Valued};
use fundledger_core::{open_ledger_dir, Report};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let ledger = args
        .next()
        .unwrap_or_else(|| root.join("ledgers/lifefunds"));
    let csv = args
        .next()
        .unwrap_or_else(|| root.join("ledgers/lifefunds/imports/donations-2001-04.csv"));
    tour(&mut std::io::stdout().lock(), &ledger, &csv)
}

/// The tour, written to `out` (`tests/tour.rs` runs it and reads it).
pub fn tour(
    out: &mut dyn Write,
    ledger: &Path,
    csv: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    // 1. Open and load: every problem is a located Diagnostic.
    let settings = open_ledger_dir(ledger)?;
    let loaded = fundledger_core::load(settings.clone())?;
    for diagnostic in &loaded.diagnostics {
        eprintln!("{diagnostic}");
    }
    if loaded.has_errors() {
        return Err(format!("{} error(s) in {}", loaded.error_count(), ledger.display()).into());
    }
    let journal = &loaded.journal;
    writeln!(
        out,
        "{}: {} transactions",
        ledger.display(),
        journal.transactions().len()
    )?;

    // 2. The fund roll-forward of FY2000, in the base currency.
    let (begin, end) = settings.fiscal_year(2000).ok_or("no FY2000")?;
    let valued = Valued::new(journal)?;
    let funds = reports::funds_valued(&valued, Some(begin), Some(end))?;
    writeln!(out, "\nFund roll-forward, {begin} to {end} (end excluded)")?;
    writeln!(
        out,
        "{:<16} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "fund", "opening", "income", "expenses", "transfers", "closing"
    )?;
    for row in &funds.rows {
        writeln!(
            out,
            "{:<16} {:>12} {:>12} {:>12} {:>12} {:>12}",
            row.fund, row.opening, row.income, row.expenses, row.transfers, row.closing
        )?;
    }

    // 3. The statement of activities: a typed report, serde data.
    let as_of = end.pred_opt().ok_or("no last day")?;
    let statements = reports::statements(
        &valued,
        Report::Activities,
        Standard::Asc958,
        begin,
        end,
        as_of,
    )?;
    let activities = &statements[0];
    writeln!(out, "\n{} — {}", activities.title, activities.subtitle)?;
    for row in &activities.rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|cell| match cell {
                Cell::Amount(amount) => amount.to_string(),
                Cell::Text(text) => text.clone(),
                _ => String::new(),
            })
            .collect();
        writeln!(
            out,
            "{:indent$}{:<40} {}",
            "",
            row.label,
            cells.join("  "),
            indent = usize::from(row.level) * 2
        )?;
    }

    // 4. Import a donations CSV into a temporary copy of the ledger: the
    //    original is never touched.
    let copy = tempfile::tempdir()?;
    copy_dir(ledger, copy.path())?;
    let copied = open_ledger_dir(copy.path())?;
    let request = ImportRequest::new(ImportKind::Donations, csv);
    let added = import::import(&copied, &request, false)?;
    writeln!(
        out,
        "\nimported {}: {} new transaction(s) in the copy at {}",
        csv.display(),
        added.value.new_transactions,
        copy.path().display()
    )?;
    // Importing again adds nothing.
    let again = import::import(&copied, &request, false)?;
    writeln!(
        out,
        "imported again: {} new, {} already present",
        again.value.new_transactions, again.value.already_present
    )?;
    Ok(())
}

/// Copies a directory tree (files and folders only).
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
