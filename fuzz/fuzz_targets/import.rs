//! Fuzzes the CSV import (donations and sales) under the example ledger's
//! settings (designation rules, the product catalogue, the donor
//! register): any bytes must either prepare entries or fail with problems
//! located in the file, never panic. Entries prepared must load as one
//! transaction each, without an error but those of the whole-journal fund
//! checks (a refund taking a restricted fund below zero: E402, E405),
//! which the write refuses at the entry; and preparing the same file
//! against the journal holding them, with the donor register as the import
//! left it, must add nothing (re-importing adds nothing).
//!
//! The first byte picks the kind (even: donations, odd: sales); the rest is
//! the file.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use fundledger_core::import::{self, ImportKind, ImportRequest};
use fundledger_core::{load, Code, Settings};
use libfuzzer_sys::fuzz_target;

/// The example ledger's settings, donor register and an empty journal in a
/// directory of their own, made once per process.
struct Ledger {
    settings: Settings,
    journal: PathBuf,
    csv: PathBuf,
    /// The donor register's file and its text as shipped.
    donors: (PathBuf, &'static str),
    empty: fundledger_core::Journal,
}

/// What the directory of one fuzzing process is called in the temporary
/// directory, before the process id.
const DIR_PREFIX: &str = "fundledger-fuzz-import-";

/// A directory for this process (`DIR_PREFIX` and its id), emptied. libFuzzer
/// ends a process without dropping statics, so a directory cannot remove
/// itself: each process removes those of processes that have ended
/// (Linux: no `/proc/PID`), so a campaign of many processes leaves one
/// directory per live process, not one per process run.
fn process_dir() -> PathBuf {
    let base = std::env::temp_dir();
    let own = std::process::id();
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let pid = name
                .to_str()
                .and_then(|n| n.strip_prefix(DIR_PREFIX))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid {
                let ended = !std::path::Path::new("/proc").join(pid.to_string()).exists();
                if pid == own || (cfg!(target_os = "linux") && ended) {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
    let dir = base.join(format!("{DIR_PREFIX}{own}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ledger() -> &'static Ledger {
    static LEDGER: OnceLock<Ledger> = OnceLock::new();
    LEDGER.get_or_init(|| {
        let dir = process_dir();
        let settings_text = include_str!("../../ledgers/lifefunds/fundledger.toml")
            .replace("journal = \"main.ledger\"", "journal = \"journal.ledger\"");
        std::fs::write(dir.as_path().join("fundledger.toml"), settings_text).unwrap();
        let donors = (
            dir.as_path().join("donors.csv"),
            include_str!("../../ledgers/lifefunds/donors.csv"),
        );
        std::fs::write(&donors.0, donors.1).unwrap();
        let journal = dir.as_path().join("journal.ledger");
        std::fs::write(&journal, "").unwrap();
        let settings = Settings::read(dir.as_path()).unwrap().unwrap();
        let csv = dir.as_path().join("in.csv");
        let empty = load::load_text(settings.clone(), &journal, String::new())
            .unwrap()
            .journal;
        Ledger {
            settings,
            journal,
            csv,
            donors,
            empty,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let kind = if pick % 2 == 0 {
        ImportKind::Donations
    } else {
        ImportKind::Sales
    };
    let ledger = ledger();
    std::fs::write(&ledger.csv, bytes).unwrap();
    let settings = ledger.settings.clone();
    let request = ImportRequest::new(kind, &ledger.csv);
    let prepared = match import::prepare(&settings, &ledger.empty, &request) {
        Err(error) => panic!("an I/O error reading a file just written: {error}"),
        Ok(Err(problems)) => {
            assert!(!problems.is_empty(), "refused without a problem");
            for p in &problems {
                let location = p.location.as_ref();
                assert!(
                    location.is_some_and(|l| l.path == ledger.csv && l.line >= 1),
                    "a problem not located in the file: {p}"
                );
            }
            return;
        }
        Ok(Ok(prepared)) => prepared,
    };
    // The new journal is read with the donors the import adds, as the
    // write validates it.
    let mut with_donors = settings.clone();
    with_donors.donors = prepared.donors.as_ref().map(|d| d.register.clone());
    let loaded = load::load_text(with_donors, &ledger.journal, prepared.text.clone()).unwrap();
    let whole_journal = [Code::RestrictedFundOverspent, Code::DesignatedFundBelowZero];
    assert!(
        loaded
            .diagnostics
            .iter()
            .all(|d| !d.is_error() || whole_journal.contains(&d.code)),
        "prepared entries do not load:\n{}\n{:?}",
        prepared.text,
        loaded.diagnostics
    );
    assert_eq!(
        loaded.journal.transactions().len(),
        prepared.transactions,
        "{}",
        prepared.text
    );
    assert_eq!(prepared.summary.new_transactions, prepared.transactions);
    if loaded.has_errors() {
        return;
    }
    // The same file again, with the register as the import left it, adds
    // nothing.
    if let Some(update) = &prepared.donors {
        std::fs::write(&ledger.donors.0, &update.file.text).unwrap();
    }
    let again = import::prepare(&settings, &loaded.journal, &request);
    std::fs::write(&ledger.donors.0, ledger.donors.1).unwrap();
    let again = again
        .expect("the file reads again")
        .unwrap_or_else(|problems| panic!("re-import refused: {problems:?}"));
    assert_eq!(again.transactions, 0, "re-import adds:\n{}", again.text);
    assert!(again.text.is_empty());
    assert!(again.donors.is_none(), "re-import adds donors");
});
