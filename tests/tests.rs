//! End-to-end tests of the `fundledger` binary and the library behind it.
//!
//! One test binary, grouped by area:
//!
//! - `audit`: the auditor's package equals the reports;
//! - `board`: the printed board pack (Chromium), spreadsheets (LibreOffice), no internal names in reports;
//! - `cli`: snapshots of every command on the example ledger, and usage errors;
//! - `close`: closing a year: refusals, revaluation, closed-year checks, migration;
//! - `donors`: donor matching in imports, the register written with the journal, `report donors`;
//! - `errors`: one reproducer per diagnostic code, with its snapshot;
//! - `golden`: the reports in `reports/`, regenerated from `ledgers/`;
//! - `hardening`: the attacks of issue 11 (lost updates, links, permissions,
//!   limits, exports), one test per item;
//! - `grammar`: the ledger-cli/hledger constructs, one journal each, with their balances;
//! - `impact`: where each restricted gift went: formats, refusals, ties, a property test;
//! - `import`: CSV imports and `add`: idempotence, refusals, crashes, concurrency;
//! - `interop`: fundledger's balances against ledger-cli and hledger;
//! - `properties`: random balanced journals, checked against a naive model.
//! - `receipts`: donation receipts: the register, refusals, copies, concurrent runs, re-imports;
//! - `reconcile`: reconciliation with statements, re-runs, refusals, concurrency.

mod util;

mod audit;
mod board;
mod cli;
mod close;
mod donors;
mod errors;
mod filing;
mod golden;
mod grammar;
mod hardening;
mod impact;
mod import;
mod interop;
mod properties;
mod receipts;
mod reconcile;
