//! The accounting core of fundledger: double-entry **fund accounting** on
//! plain-text Ledger journals.
//!
//! A ledger is a directory with a `fundledger.toml` ([`settings`]) and
//! Ledger-format journal files. Loading ([`load`]) reads the files, parses
//! every transaction with ledger-parser inside a layer that knows positions
//! and never panics ([`source`], [`parse`]), balances every transaction per
//! commodity **and per fund**, and checks the whole journal ([`checks`]).
//! Reports ([`reports`]) are functions from the validated [`Journal`] to
//! plain data; [`render`] turns that data into text, CSV or JSON, [`html`]
//! into self-contained pages (the printable board pack), [`sheet`] into
//! spreadsheet sheets, and [`print`] writes the journal back canonically.
//! [`close`] closes a fiscal year (revaluation at the closing rate, a close
//! record that every load verifies) and [`write`](mod@write) is the only
//! code that changes a journal.
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
//! | E205 | amount overflow, or more than 20 digits at the commodity's widest scale |
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
//! | W804 | a single remittance abroad over `[remittances] threshold` (2,000,000 by default) |
//!
//! # Example
//!
//! ```
//! use fundledger_core::{load, settings::Settings};
//! use std::path::Path;
//!
//! let text = "2000-04-03 * Rice\n    Expenses:FoodAid  1000 JPY  ; fund: FoodAid\n    Assets:Bank\n";
//! let path = Path::new("example.ledger");
//! let loaded = load::load_text(Settings::for_bare_journal(path), path, text.to_string()).unwrap();
//! assert!(!loaded.has_errors());
//! let journal = &loaded.journal;
//! // The bank posting is in the default fund (General), so fundledger added
//! // interfund postings: FoodAid owes General 1000 JPY.
//! assert_eq!(journal.postings(&journal.transactions()[0]).len(), 4);
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod advances;
pub mod audit;
pub mod auto;
pub mod checks;
pub mod close;
pub mod diagnostic;
pub mod donors;
pub mod entry;
pub mod fastpath;
pub mod grammar;
pub mod html;
pub mod import;
pub mod journal;
pub mod lists;
pub mod load;
pub mod locate;
pub mod money;
pub mod parse;
pub mod period;
pub mod print;
pub mod progress;
pub mod query;
pub mod raw;
pub mod receipts;
pub mod reconcile;
pub mod remittances;
pub mod render;
pub mod reports;
pub mod settings;
pub mod sheet;
pub mod source;
pub mod valuation;
pub mod write;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use journal::Journal;
pub use load::{load, load_text, LoadError, Loaded};
pub use settings::Settings;
