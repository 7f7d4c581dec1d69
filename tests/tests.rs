//! End-to-end tests of the `fundledger` binary and the library behind it.
//!
//! One test binary, grouped by area:
//!
//! - `cli`: snapshots of every command on the example ledger, and usage errors;
//! - `errors`: one reproducer per diagnostic code, with its snapshot;
//! - `golden`: the reports in `reports/`, regenerated from `ledgers/`;
//! - `grammar`: the ledger-cli/hledger constructs, one journal each, with their balances;
//! - `import`: CSV imports and `add`: idempotence, refusals, crashes, concurrency;
//! - `interop`: fundledger's balances against ledger-cli and hledger;
//! - `properties`: random balanced journals, checked against a naive model.

mod util;

mod cli;
mod errors;
mod golden;
mod grammar;
mod import;
mod interop;
mod properties;
