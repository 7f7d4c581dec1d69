//! Fuzzes the whole loader: any bytes must either load or fail with located
//! diagnostics, never panic. Printing a loaded journal and loading it again
//! must give a journal without errors.
#![no_main]

use std::path::Path;

use fundledger_core::{load, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.ledger");
    let Ok(loaded) = load::load_bytes(Settings::for_bare_journal(path), path, data) else {
        panic!("the loader broke an invariant");
    };
    for d in &loaded.diagnostics {
        assert!(d.location.is_some() || d.code == fundledger_core::Code::Settings, "unlocated: {d}");
    }
    if !loaded.has_errors() {
        let printed = fundledger_core::cli_support::print::print(&loaded.journal);
        let again = load::load_text(Settings::for_bare_journal(path), path, printed.clone()).unwrap();
        assert!(!again.has_errors(), "print output does not load:\n{printed}\n{:?}", again.diagnostics);
    }
});
