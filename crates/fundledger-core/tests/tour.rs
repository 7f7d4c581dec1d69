//! Runs `examples/tour.rs` (the public API on the example ledger) and reads
//! what it printed, so the example is built and run by `cargo test`.

#[path = "../examples/tour.rs"]
#[allow(dead_code)] // its `main` is the example's entry point, unused here
mod tour;

#[test]
fn the_tour_loads_reports_and_imports_into_a_copy() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ledger = root.join("ledgers/lifefunds");
    let journals = |dir: &std::path::Path| -> Vec<(std::path::PathBuf, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "ledger"))
            .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
            .collect();
        files.sort();
        files
    };
    let journals_before = journals(&ledger);
    let mut out = Vec::new();
    tour::tour(
        &mut out,
        &ledger,
        &root.join("ledgers/lifefunds/imports/donations-2001-04.csv"),
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("232 transactions"), "{text}");
    // The roll-forward's FoodAid row: opening 410000, closing 572300 (as
    // `fundledger funds --fy 2000` prints it).
    assert!(
        text.lines()
            .any(|l| l.starts_with("FoodAid") && l.contains("410000") && l.ends_with("572300")),
        "{text}"
    );
    assert!(text.contains("Statement of activities"), "{text}");
    assert!(text.contains("Net assets, end of year"), "{text}");
    assert!(text.contains("8 new transaction(s)"), "{text}");
    assert!(
        text.contains("imported again: 0 new, 8 already present"),
        "{text}"
    );
    // The example ledger itself is untouched.
    assert_eq!(journals(&ledger), journals_before);
}
