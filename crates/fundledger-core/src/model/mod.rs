//! The model: the validated [`journal::Journal`] and what reads it without
//! changing it: exact money, valuation in the base currency, queries,
//! periods, budgets, the ledger's settings and the diagnostics every stage
//! reports in.

pub mod budget;
pub mod diagnostic;
pub mod journal;
pub mod money;
pub mod period;
pub mod query;
pub mod settings;
pub mod valuation;
