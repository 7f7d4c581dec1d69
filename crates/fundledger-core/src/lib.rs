//! The accounting core of fundledger: double-entry **fund accounting** on
//! plain-text Ledger journals, as a library a Rust program can depend on.
//!
//! A ledger is a directory with a `fundledger.toml` ([`Settings`]) and
//! Ledger-format journal files. Loading ([`load()`]) reads the files,
//! balances every transaction per commodity **and per fund**, and checks
//! the whole journal; every problem is a [`Diagnostic`]. Reports
//! ([`reports`]) are typed functions from the validated [`Journal`] to
//! serde data; the write operations ([`write`](mod@write), [`import`], [`close`]) are
//! the only code that changes a journal.
//!
//! # The public API
//!
//! | item | what it is for |
//! |---|---|
//! | [`open_ledger_dir`], [`find_ledger_dir`], [`Settings::for_bare_journal`] | open a ledger directory, or a bare Ledger/hledger file |
//! | [`load()`], [`load_text`], [`Loaded`], [`LoadError`] | load and validate: the [`Journal`] and every [`Diagnostic`] |
//! | [`journal`] | the validated journal and its read-only views (transactions, postings, names) |
//! | [`query`] | [`query::Filter`]: which postings a report looks at |
//! | [`period`] | periods and fiscal years, as hledger reads them |
//! | [`money`] | exact, checked decimal arithmetic |
//! | [`reports`] | every report as a typed function returning serde data; [`Report`] names the statements |
//! | [`write`](mod@write), [`import`], [`close`] | the write operations: atomic, locked, all or nothing |
//! | [`diagnostic`] | [`Diagnostic`], [`Code`], [`Severity`], [`Location`], [`Span`]: problems as data (serde) and as text |
//!
//! Public structs and enums that may grow are `#[non_exhaustive]`; build
//! them with their constructors and `with_*` methods. The `cli_support`
//! module is hidden from these docs and **not part of the API**: it is what
//! the `fundledger` binary, its tests and the fuzz targets use beyond this
//! surface (the renderers, the loader's stages), with no stability promise.
//!
//! # A tour
//!
//! Load the example ledger and print its funds (the same figures as
//! `fundledger funds --fy 2000`):
//!
//! ```
//! use fundledger_core::{open_ledger_dir, reports, reports::valued::Valued};
//!
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ledgers/lifefunds");
//! let settings = open_ledger_dir(dir.as_ref())?;
//! let loaded = fundledger_core::load(settings.clone())?;
//! assert!(!loaded.has_errors());
//! let (begin, end) = settings.fiscal_year(2000).unwrap();
//! let valued = Valued::new(&loaded.journal)?;
//! let funds = reports::funds_valued(&valued, Some(begin), Some(end))?;
//! for row in &funds.rows {
//!     println!("{:<14} {:>10} -> {:>10}", row.fund, row.opening, row.closing);
//! }
//! let food_aid = funds.rows.iter().find(|r| r.fund == "FoodAid").unwrap();
//! assert_eq!(food_aid.closing.to_string(), "572300");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The statement of activities, as data:
//!
//! ```
//! use fundledger_core::reports::{self, financial::Standard, valued::Valued};
//! use fundledger_core::{open_ledger_dir, Report};
//!
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ledgers/lifefunds");
//! let settings = open_ledger_dir(dir.as_ref())?;
//! let journal = fundledger_core::load(settings.clone())?.journal;
//! let (begin, end) = settings.fiscal_year(2000).unwrap();
//! let valued = Valued::new(&journal)?;
//! let as_of = end.pred_opt().unwrap();
//! let statements =
//!     reports::statements(&valued, Report::Activities, Standard::Asc958, begin, end, as_of)?;
//! assert_eq!(statements[0].title, "Statement of activities");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Import a donations CSV into a copy of the ledger (never twice: the
//! second import adds nothing):
//!
//! ```
//! use fundledger_core::import::{self, ImportKind, ImportRequest};
//! use fundledger_core::open_ledger_dir;
//!
//! let source = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ledgers/lifefunds"));
//! let copy = tempfile::tempdir()?;
//! for folder in ["", "documents"] {
//!     std::fs::create_dir_all(copy.path().join(folder))?;
//!     for file in std::fs::read_dir(source.join(folder))? {
//!         let file = file?.path();
//!         if file.is_file() {
//!             std::fs::copy(&file, copy.path().join(folder).join(file.file_name().unwrap()))?;
//!         }
//!     }
//! }
//! let settings = open_ledger_dir(copy.path())?;
//! let csv = source.join("imports/donations-2001-04.csv");
//! let request = ImportRequest::new(ImportKind::Donations, &csv);
//! let added = import::import(&settings, &request, false)?;
//! assert_eq!(added.value.new_transactions, 8);
//! assert_eq!(import::import(&settings, &request, false)?.value.new_transactions, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Problems are data: a [`Diagnostic`] serialises to JSON and renders as
//! text with carets under the offending span:
//!
//! ```
//! use fundledger_core::{load_text, Code, Settings};
//! use std::path::Path;
//!
//! let text = "2000-04-03 * Rice\n    Expenses:FoodAid  1000 JPY\n    Assets:Bank  -100 JPY\n";
//! let path = Path::new("example.ledger");
//! let loaded = load_text(Settings::for_bare_journal(path), path, text.to_string())?;
//! let problem = &loaded.diagnostics[0];
//! assert_eq!(problem.code, Code::Unbalanced);
//! assert!(problem.to_string().starts_with("example.ledger:1: error[E201]"));
//! assert!(problem.to_json()?.contains(r#""code":"E201""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Guarantees
//!
//! - **No process-global side effects.** Loading installs no panic hook
//!   and catches no panic; it sets no environment variable, changes no
//!   working directory and keeps no global state (the thread pool is
//!   rayon's global pool, which a host may configure first).
//! - **Untrusted text is safe under `panic = "abort"`.** ledger-parser
//!   (the reference grammar for transactions and prices) panics on some
//!   inputs; it only ever sees text that the crate's own shape check
//!   accepts, a shape it parses without panicking (checked by a property
//!   test and the differential fuzz target); everything else goes to
//!   fundledger's own reader or is a located E101. Every input loads or
//!   fails with located diagnostics, in time and memory proportional to
//!   its size. One `catch_unwind` remains, in the write path: std's
//!   directory handle panics when `closedir` fails (EIO) while stale
//!   temporary files are cleaned up; under `panic = "abort"` that rare I/O
//!   failure aborts instead of being reported.
//! - **Writes are atomic.** A journal is never edited in place: a
//!   temporary file, flushed and renamed under a lock, refusing when the
//!   journal changed meanwhile; a bad row writes nothing.
//!
//! # Invariants
//!
//! - Money is a `Decimal`, never a float; arithmetic on it is checked
//!   ([`money`]): overflow is an error, never a panic, and nothing rounds
//!   without naming its strategy.
//! - Every transaction in a [`Journal`] sums to exactly zero per commodity
//!   over its real postings, and per fund within each commodity
//!   ([`Journal::verify_invariants`], run at the end of loading and again by
//!   every report).
//! - Every problem in the data is a [`Diagnostic`] with a stable [`Code`], a
//!   `file:line`, the offending lines, and what was expected; loading reports
//!   all of them.
//!
//! # Diagnostic codes
//!
//! | code | meaning |
//! |------|---------|
//! | E001 | invalid `fundledger.toml` (unknown key, wrong type, bad value) |
//! | E101 | unparsable entry; control character in a name; non-positive price; negative cost |
//! | E102 | unsupported directive (`alias`, automated `=`/periodic `~` entries...) |
//! | E103 | included file not found or not a regular file |
//! | E104 | include cycle |
//! | E105 | include or `journal` path outside the ledger directory |
//! | E106 | file is not valid UTF-8 |
//! | E107 | limit exceeded (file and load size, line and entry length, postings, account depth, include depth and count) |
//! | E201 | transaction does not balance |
//! | E202 | more than one posting without an amount |
//! | E203 | cost conversion is not exact |
//! | E204 | amount finer than its commodity's precision |
//! | E205 | amount overflow, more than 20 digits at the commodity's widest scale, or a value at its price that cannot be held exactly |
//! | E301 | undeclared commodity |
//! | E302 | undeclared account |
//! | E303 | unknown fund, empty or repeated `fund:` tag |
//! | E304 | account root has no class |
//! | E401 | fund does not balance on its own (`strict_funds = true`) |
//! | E402 | restricted fund spent below zero |
//! | E403 | expense outside the fund's purpose |
//! | E404 | donor-restricted gift in an unrestricted or board-designated fund |
//! | E405 | board-designated fund below zero |
//! | E501 | balance assertion failed |
//! | E601 | CSV file not valid in its encoding (with the byte offset) |
//! | E602 | unreadable date in a CSV row |
//! | E603 | unreadable amount in a CSV row |
//! | E604 | unknown product in a sales row |
//! | E605 | missing CSV column or value |
//! | E606 | import id already used for different content |
//! | E607 | invalid import rules file |
//! | E608 | malformed CSV row, or a header naming a column twice |
//! | E701 | entry dated inside a closed year |
//! | E702 | closed year changed after its close (count or digest) |
//! | E703 | year not ready to close (cash count, closing rate, suspense, statements) |
//! | E801 | statement does not reconcile with the books (reconcile writes nothing) |
//! | E802 | spending without a receipt that names no approver (or one not among `[advances] approvers`) |
//! | E803 | a `document:` tag naming a file that does not exist |
//! | E804 | a `document:` tag leading outside the ledger directory (absolute, `..`, or a symbolic link out) |
//! | E901 | a row of the donor register (`donors.csv`) that cannot be read, located by row and column |
//! | E902 | a `donor:` tag naming an id that is not in the donor register |
//! | E903 | an import row naming a donor by a name several donors share (the id is asked for) |
//! | E911 | `receipt`: a gift already covered by an issued receipt (names the earlier number) |
//! | E912 | `receipt`: a donor not in the register, anonymous, or without a name or address |
//! | E913 | a row of the receipts register (`receipts.csv`) that cannot be read |
//! | E914 | `receipt`: a gift not in the base currency, or (for a copy) no longer in the journal |
//! | W101 | dates out of order (warning) |
//! | W102 | no price to value an amount in the base currency (warning, any fund) |
//! | W103 | a bare journal's residual below display precision, posted to `NetAssets:Rounding` (warning) |
//! | W801 | bank or cash account not reconciled within `[reconcile] max_days` |
//! | W802 | a suspense account holds a balance (a cash count difference awaiting approval) |
//! | W803 | an advance open longer than `[advances] max_days` |
//! | E111 | a periodic entry (budget) whose period cannot be read, has no interval, depends on today, or starts inside an interval; an empty `budget:` tag |
//! | E305 | a budget naming an account no transaction uses and nothing declares (or one with no class), or money in a currency other than the base currency |
//! | W804 | a single remittance abroad over `[remittances] threshold` (2,000,000 by default) |
//!
#![deny(missing_docs)]
#![forbid(unsafe_code)]

// The folders follow the pipeline of ARCHITECTURE.md: read → load
// (validate and build) → model → reports → render, and the write path.
// Each folder is private; the public modules are re-exported below at the
// paths they have always had.
mod donors;
pub mod load;
mod model;
mod monthend;
mod parallel;
mod read;
mod render;
pub mod reports;
mod write_path;

// The public API: what a Rust program that depends on fundledger-core uses.
pub use model::{budget, diagnostic, journal, money, period, query, settings};
pub use write_path::{close, import, write};

pub use diagnostic::{Code, Diagnostic, Location, Severity, Span};
pub use journal::Journal;
pub use load::{load, load_text, LoadError, Loaded};
pub use read::locate::{find_ledger_dir, open_ledger_dir, LocateError};
pub use reports::Report;
pub use settings::Settings;

#[cfg(test)]
mod tests {
    use crate::Code;

    /// The codes of a Markdown table's rows (`| E101 | ... |`, or
    /// `| E103 / E104 | ... |`).
    fn table_codes(text: &str, prefix: &str) -> Vec<String> {
        let mut codes: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .filter_map(|l| l.trim_start().strip_prefix("| "))
            .filter_map(|l| l.split(" |").next())
            .flat_map(|cell| cell.split('/').map(|c| c.trim().to_string()))
            .filter(|c| {
                c.len() == 4
                    && (c.starts_with('E') || c.starts_with('W'))
                    && c[1..].bytes().all(|b| b.is_ascii_digit())
            })
            .collect();
        codes.sort();
        codes
    }

    fn all_codes() -> Vec<String> {
        let mut codes: Vec<String> = Code::ALL.iter().map(|c| c.as_str().to_string()).collect();
        codes.sort();
        codes
    }

    #[test]
    fn the_code_table_of_the_crate_docs_lists_every_code() {
        assert_eq!(table_codes(include_str!("lib.rs"), "//!"), all_codes());
    }

    #[test]
    fn the_readme_lists_every_code() {
        assert_eq!(
            table_codes(include_str!("../../../README.md"), ""),
            all_codes()
        );
    }
}

/// **Not part of the API**: what the `fundledger` binary, its tests and
/// the fuzz targets need beyond the public modules, with no stability
/// promise (it changes with the binary).
///
/// The renderers (text, CSV, JSON, Markdown, HTML, spreadsheet sheets) are
/// here because they are presentation, planned to move to a crate of their
/// own; the loader's stages (`fastpath`, `parse`) for the fuzz targets;
/// the other modules until each has a deliberate public form.
#[doc(hidden)]
pub mod cli_support {
    /// Advances (see the binary's `report advances`).
    pub mod advances {
        pub use crate::monthend::advances::*;
    }
    /// The auditor's package.
    pub mod audit {
        pub use crate::monthend::audit::*;
    }
    /// The donor register (`donors.csv`).
    pub mod donors {
        pub use crate::donors::register::*;
    }
    /// One transaction entered by hand (`add`).
    pub mod entry {
        pub use crate::write_path::entry::*;
    }
    /// The fast path of the reader (fuzz targets).
    pub mod fastpath {
        pub use crate::read::fastpath::*;
    }
    /// HTML pages.
    pub mod html {
        pub use crate::render::html::*;
    }
    /// hledger-style listings.
    pub mod lists {
        pub use crate::render::lists::*;
    }
    /// Finding a ledger directory.
    pub mod locate {
        pub use crate::read::locate::*;
    }
    /// The ledger-parser adapter (fuzz targets).
    pub mod parse {
        pub use crate::read::parse::*;
    }
    /// The canonical journal writer.
    pub mod print {
        pub use crate::write_path::print::*;
    }
    /// Donation receipts.
    pub mod receipts {
        pub use crate::donors::receipts::*;
    }
    /// Reconciliation.
    pub mod reconcile {
        pub use crate::monthend::reconcile::*;
    }
    /// Remittances abroad.
    pub mod remittances {
        pub use crate::monthend::remittances::*;
    }
    /// Text, CSV and JSON renderings.
    pub mod render {
        pub use crate::render::text::*;
    }
    /// Spreadsheet sheets.
    pub mod sheet {
        pub use crate::render::sheet::*;
    }
    /// Valuation in the base currency.
    pub mod valuation {
        pub use crate::model::valuation::*;
    }
}
