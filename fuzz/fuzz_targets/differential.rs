//! Differential fuzzing of the fast path against ledger-parser: whenever the
//! fast path reads a block, ledger-parser must read it too and give exactly
//! the same transaction. And the shape check that guards every call to
//! ledger-parser keeps its promise: whatever text it accepts, ledger-parser
//! parses without panicking (a panic is a crash here), so the library needs
//! no `catch_unwind` and is safe under `panic = "abort"`.
#![no_main]

use fundledger_core::cli_support::{fastpath, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if parse::ledger_parser_accepts_shape(text) {
        let _ = ledger_parser::parse(text);
    }
    // Blocks as the scanner hands them on: no blank lines, ending in \n.
    let mut block: String = text
        .split_inclusive('\n')
        .filter(|line| !line.trim().is_empty())
        .collect();
    if !block.ends_with('\n') {
        block.push('\n');
    }
    if let Some(fast) = fastpath::parse(&block) {
        let slow = parse::parse_slow(&block);
        match slow {
            Ok(slow) => assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "on {block:?}"),
            Err(e) => panic!("the fast path read {block:?} but ledger-parser says {e:?}"),
        }
    }
});
