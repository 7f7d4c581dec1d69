//! The reader: finding the ledger, reading its files and cutting them into
//! entries, then turning each transaction block into a parsed, not yet
//! validated [`raw`] transaction (the fast path, our grammar reader, or the
//! ledger-parser adapter). Nothing here decides whether the books balance:
//! that is [`crate::load`]'s job.

pub mod auto;
pub mod fastpath;
pub mod grammar;
pub mod locate;
pub mod parse;
pub mod raw;
pub mod source;
