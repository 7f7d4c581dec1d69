//! The write path: the only code that changes a journal. [`write`] appends
//! atomically under a lock; [`import`], [`entry`] and [`close`] build the
//! text to append; [`print`] writes transactions in the canonical form.

pub mod close;
pub mod entry;
pub mod import;
pub mod print;
pub mod write;
