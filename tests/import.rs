//! The treasurer's write path, end to end: imports of the shipped examples,
//! re-imports that add nothing, refusals that leave the journal byte for
//! byte unchanged, crashes at every step of a write, and concurrent imports.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{root, run_in, Run};

/// A scratch copy of the example ledger.
pub struct Scratch {
    pub _dir: tempfile::TempDir,
    pub ledger: PathBuf,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("lifefunds");
        copy_dir(&root().join("ledgers/lifefunds"), &ledger);
        Scratch { _dir: dir, ledger }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let mut full = vec!["-C", "."];
        full.extend_from_slice(args);
        run_in(&self.ledger, &full)
    }

    pub fn journal(&self) -> Vec<u8> {
        std::fs::read(self.ledger.join("main.ledger")).unwrap()
    }

    /// Writes `file` in the ledger directory: a donations CSV with the
    /// usual header and `rows`.
    pub fn write_donations(&self, file: &str, rows: &[&str]) {
        let mut csv = String::from("date,donor,amount,currency,designation,reference,memo\n");
        for row in rows {
            csv.push_str(row);
            csv.push('\n');
        }
        std::fs::write(self.ledger.join(file), csv).unwrap();
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The temporary files a write left in `dir`: none, after any command
/// ends (the copy an import makes while preparing its entries included).
pub fn temporaries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".fundledger-write-"))
        .collect()
}

#[test]
fn shipped_examples_import_once() {
    let scratch = Scratch::new();
    let dry = scratch.run(&[
        "import",
        "donations",
        "imports/donations-2001-04.csv",
        "--dry-run",
    ]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(
        scratch.journal(),
        std::fs::read(root().join("ledgers/lifefunds/main.ledger")).unwrap(),
        "--dry-run wrote"
    );
    insta::assert_snapshot!("import_donations_dry_run", dry.transcript());

    for (args, name) in [
        (
            vec!["import", "donations", "imports/donations-2001-04.csv"],
            "import_donations",
        ),
        (
            vec![
                "import",
                "donations",
                "imports/yucho-2001-04.csv",
                "--rules",
                "imports/yucho-rules.toml",
            ],
            "import_yucho_shift_jis",
        ),
        (
            vec!["import", "sales", "imports/sales-2001-04.csv"],
            "import_sales",
        ),
    ] {
        let first = scratch.run(&args);
        assert_eq!(first.code, 0, "{name}: {}", first.stderr);
        insta::assert_snapshot!(name, first.transcript());
        let before = scratch.journal();
        let again = scratch.run(&args);
        assert_eq!(again.code, 0, "{}", again.stderr);
        assert!(
            again.stdout.contains("added 0 new transaction(s)"),
            "{name} again: {}",
            again.stdout
        );
        assert_eq!(
            scratch.journal(),
            before,
            "{name}: a re-import changed the journal"
        );
        assert_eq!(temporaries(&scratch.ledger), Vec::<String>::new(), "{name}");
    }
    let check = scratch.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    let by_fund = scratch.run(&[
        "balance",
        "--by-fund",
        "-O",
        "csv",
        "Income",
        "-b",
        "2001-04-01",
    ]);
    insta::assert_snapshot!("import_balance_by_fund", by_fund.stdout);
    let funds = scratch.run(&["funds", "--fy", "2001"]);
    insta::assert_snapshot!("import_funds_fy2001", funds.stdout);
}

/// Two rows of one file with one reference and other content: refused,
/// both rows named; the same reference on rows with the same content is
/// no conflict, and rows without a reference never conflict.
#[test]
fn one_reference_for_two_gifts_in_a_file_is_refused() {
    let scratch = Scratch::new();
    let before = scratch.journal();
    scratch.write_donations(
        "twice.csv",
        &[
            "2001-04-02,Tanaka Hiroshi,1000,JPY,,R-1,",
            "2001-04-03,Sato Hanako,2000,JPY,,R-1,",
            "2001-04-04,Tanaka Hiroshi,500,JPY,,,",
            "2001-04-04,Tanaka Hiroshi,500,JPY,,,",
        ],
    );
    let refused = scratch.run(&["import", "donations", "twice.csv"]);
    assert_eq!(refused.code, 1, "{}", refused.transcript());
    assert!(
        refused
            .stderr
            .contains("row 3 reuses reference \"R-1\" of row 2 with other content"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("[E606]"), "{}", refused.stderr);
    assert_eq!(
        refused.stderr.matches("[E606]").count(),
        1,
        "only the reused reference conflicts: {}",
        refused.stderr
    );
    assert_eq!(scratch.journal(), before, "the journal changed");
    scratch.write_donations(
        "twice.csv",
        &[
            "2001-04-02,Tanaka Hiroshi,1000,JPY,,R-1,",
            "2001-04-04,Tanaka Hiroshi,500,JPY,,,",
            "2001-04-04,Tanaka Hiroshi,500,JPY,,,",
        ],
    );
    let fine = scratch.run(&["import", "donations", "twice.csv"]);
    assert_eq!(fine.code, 0, "{}", fine.transcript());
    assert!(
        fine.stdout.contains("added 3 new transaction(s)"),
        "{}",
        fine.stdout
    );
}

#[test]
fn a_broken_file_writes_nothing_and_names_every_bad_row() {
    let scratch = Scratch::new();
    let before = scratch.journal();
    scratch.write_donations(
        "broken.csv",
        &[
            "2001-04-02,Good Row,1000,JPY,,,",
            "2001-4-31,Bad Date,1000,JPY,,,",
            "2001-04-03,Bad Amount,12.5,JPY,,,",
            "2001-04-04,Bad Currency,100,EUR,,,",
        ],
    );
    let result = scratch.run(&["import", "donations", "broken.csv"]);
    assert_eq!(result.code, 1);
    assert_eq!(scratch.journal(), before, "the journal changed");
    assert_eq!(temporaries(&scratch.ledger), Vec::<String>::new());
    for code in ["E602", "E204", "E301"] {
        assert!(
            result.stderr.contains(&format!("[{code}]")),
            "{code} missing:\n{}",
            result.stderr
        );
    }
    insta::assert_snapshot!("import_broken_file", result.transcript());
}

#[test]
fn amounts_too_large_to_total_exactly_are_refused_by_row() {
    let scratch = Scratch::new();
    let before = scratch.journal();
    let csv = scratch.ledger.join("huge.csv");
    // Row 2 is valued beyond 28 digits; rows 3 and 4 fit one by one but
    // their file total does not. Neither may be dropped in silence.
    std::fs::write(
        &csv,
        "date,product,quantity,unit_price,currency,channel,maker,returned\n\
         2001-04-08,cushion,79228162514264337593543950335,500,JPY,,,0\n\
         2001-04-09,keyholder,50000000000000000000000000000,1,JPY,,,0\n\
         2001-04-10,keyholder,50000000000000000000000000000,1,JPY,,,0\n",
    )
    .unwrap();
    let result = scratch.run(&["import", "sales", "huge.csv"]);
    assert_eq!(result.code, 1, "{}", result.transcript());
    assert_eq!(scratch.journal(), before, "the journal changed");
    for row in ["row 2,", "row 4,"] {
        assert!(
            result.stderr.contains(row) && result.stderr.contains("[E205]"),
            "{row} not refused:\n{}",
            result.stderr
        );
    }
    // Donations: each fits, their total for the fund does not.
    let csv = scratch.ledger.join("huge-donations.csv");
    std::fs::write(
        &csv,
        "date,donor,amount,currency,designation,reference,memo\n\
         2001-04-02,A,50000000000000000000000000000,JPY,,,\n\
         2001-04-03,B,50000000000000000000000000000,JPY,,,\n",
    )
    .unwrap();
    let result = scratch.run(&["import", "donations", "huge-donations.csv"]);
    assert_eq!(result.code, 1, "{}", result.transcript());
    assert_eq!(scratch.journal(), before, "the journal changed");
    assert!(
        result.stderr.contains("huge-donations.csv:3: error[E205]"),
        "{}",
        result.stderr
    );
}

/// What the journal would refuse is refused at the CSV cell, where the
/// treasurer can see it, not at the new entry: an amount longer than a
/// journal amount may be (20 digits with its decimals), a payout whose
/// total is, a negative unit price (which would sell at a loss against
/// the catalogue's fund), and a year before 0000 (which chrono reads; found
/// by fuzzing the import).
#[test]
fn what_a_journal_cannot_hold_is_refused_at_its_cell() {
    let scratch = Scratch::new();
    let before = scratch.journal();
    for (file, kind, text, expected) in [
        (
            "long.csv",
            "donations",
            "date,donor,amount,currency,designation,reference,memo\n\
             2001-04-02,Tanaka Hiroshi,100000000000000000000000,JPY,,,\n",
            "long.csv:2: error[E205]: row 2, column `amount`",
        ),
        (
            "payout.csv",
            "donations",
            "date,donor,amount,currency,designation,reference,memo,fee,payout\n\
             2001-04-11,P06,90000000000000000000,JPY,,,x,0,PO-1\n\
             2001-04-12,M07,90000000000000000000,JPY,,,y,0,PO-1\n",
            "payout.csv:2: error[E205]",
        ),
        (
            "price.csv",
            "sales",
            "date,product,quantity,unit_price,currency,channel,maker,returned\n\
             2001-04-08,cushion,14,-500,JPY,bazaar,A,0\n",
            "price.csv:2: error[E603]: row 2, column `unit_price`",
        ),
        (
            "year.csv",
            "sales",
            "date,product,quantity,unit_price,currency,channel,maker,returned\n\
             -001-04-15,cushion,5,400,JPY,meeting,B,0\n",
            "year.csv:2: error[E602]: row 2, column `date`",
        ),
        (
            "units.csv",
            "sales",
            "date,product,quantity,unit_price,currency,channel,maker,returned\n\
             2001-04-08,cushion,1000000000000000000000,0,JPY,bazaar,A,0\n",
            "units.csv:2: error[E205]: row 2, column `quantity`",
        ),
    ] {
        std::fs::write(scratch.ledger.join(file), text).unwrap();
        let result = scratch.run(&["import", kind, file]);
        assert_eq!(result.code, 1, "{}", result.transcript());
        assert!(
            result.stderr.contains(expected),
            "{file}:\n{}",
            result.stderr
        );
        assert!(
            !result.stderr.contains("<new entries>"),
            "{}",
            result.stderr
        );
        assert_eq!(scratch.journal(), before, "the journal changed");
    }
    // Trailing zeros of a cell are not written, so they are not digits: 18
    // digits of yen written `.000` import (the example's yen are written
    // with up to 2 decimals, in its costs: 20 digits in all).
    scratch.write_donations(
        "zeros.csv",
        &["2001-04-02,Tanaka Hiroshi,100000000000000000.000,JPY,,,"],
    );
    let result = scratch.run(&["import", "donations", "zeros.csv", "--dry-run"]);
    assert_eq!(result.code, 0, "{}", result.transcript());
    assert!(
        result.stdout.contains("100000000000000000 JPY"),
        "{}",
        result.stdout
    );
}

#[test]
fn add_records_a_checked_transaction() {
    let scratch = Scratch::new();
    let added = scratch.run(&[
        "add",
        "--date",
        "2001-04-20",
        "--payee",
        "Stamps for the newsletter",
        "--posting",
        "Expenses:Fundraising:Postage 820 JPY",
        "--posting",
        "Assets:Cash:JPY",
    ]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    insta::assert_snapshot!("add", added.transcript());
    let before = scratch.journal();
    let unbalanced = scratch.run(&[
        "add",
        "--date",
        "2001-04-21",
        "--payee",
        "Typo",
        "--posting",
        "Expenses:Fundraising:Postage 820 JPY",
        "--posting",
        "Assets:Cash:JPY -82 JPY",
    ]);
    assert_eq!(unbalanced.code, 1);
    assert!(
        unbalanced.stderr.contains("[E201]"),
        "{}",
        unbalanced.stderr
    );
    let restricted = scratch.run(&[
        "add",
        "--date",
        "2001-04-21",
        "--payee",
        "Office rent from food aid",
        "--fund",
        "FoodAid",
        "--posting",
        "Expenses:Management:Office 30000 JPY",
        "--posting",
        "Assets:Bank:Postal",
    ]);
    assert_eq!(restricted.code, 1);
    assert!(
        restricted.stderr.contains("[E403]"),
        "{}",
        restricted.stderr
    );
    assert_eq!(scratch.journal(), before);
}

/// Runs an import with `FUNDLEDGER_CRASH_AT=step` and returns whether the
/// process was killed by the abort.
fn import_crashing_at(scratch: &Scratch, step: &str) -> bool {
    let status = Command::new(env!("CARGO_BIN_EXE_fundledger"))
        .args([
            "-C",
            ".",
            "import",
            "donations",
            "imports/donations-2001-04.csv",
        ])
        .current_dir(&scratch.ledger)
        .env("FUNDLEDGER_CRASH_AT", step)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    !status.success()
}

#[test]
fn a_crash_at_any_step_leaves_the_old_or_the_new_journal() {
    // The new journal, from an import that does not crash.
    let reference = Scratch::new();
    let old = reference.journal();
    assert_eq!(
        reference
            .run(&["import", "donations", "imports/donations-2001-04.csv"])
            .code,
        0
    );
    let new = reference.journal();
    assert_ne!(old, new);
    let donors = |s: &Scratch| std::fs::read(s.ledger.join("donors.csv")).unwrap();
    let old_donors = donors(&Scratch::new());
    let new_donors = donors(&reference);
    assert_ne!(old_donors, new_donors, "the import adds donors");
    // The donor register is renamed just before the journal: a crash
    // between leaves the new register and the old journal.
    for (step, expect_new) in [
        ("locked", false),
        ("temp-written", false),
        ("temp-synced", false),
        ("side-temp-written", false),
        ("side-files-renamed", false),
        ("renamed", true),
    ] {
        let scratch = Scratch::new();
        assert!(
            import_crashing_at(&scratch, step),
            "{step}: the crash hook did not fire"
        );
        let journal = scratch.journal();
        assert_eq!(
            journal,
            if expect_new { new.clone() } else { old.clone() },
            "{step}: torn or unexpected journal"
        );
        let register_new = matches!(step, "side-files-renamed" | "renamed");
        assert_eq!(
            donors(&scratch),
            if register_new {
                new_donors.clone()
            } else {
                old_donors.clone()
            },
            "{step}: unexpected donor register"
        );
        // The next write cleans up what the crash left and completes.
        let again = scratch.run(&["import", "donations", "imports/donations-2001-04.csv"]);
        assert_eq!(again.code, 0, "{step}: {}", again.stderr);
        assert_eq!(
            scratch.journal(),
            new,
            "{step}: the retry did not give the new journal"
        );
        // ... and the same register: no donor added twice.
        assert_eq!(
            donors(&scratch),
            new_donors,
            "{step}: register after the retry"
        );
        let leftovers = temporaries(&scratch.ledger);
        assert!(
            leftovers.is_empty(),
            "{step}: temporary files left: {leftovers:?}"
        );
    }
}

#[test]
fn killed_imports_never_tear_the_journal() {
    let scratch = Scratch::new();
    let old = scratch.journal();
    let mut csv = String::from("date,donor,amount,currency,designation,reference,memo\n");
    for i in 0..3000 {
        csv.push_str(&format!(
            "2001-05-{:02},Donor {i},{},JPY,rice,,\n",
            i % 28 + 1,
            1000 + i
        ));
    }
    std::fs::write(scratch.ledger.join("big.csv"), csv).unwrap();
    let before = scratch.run(&["check"]);
    let count_before: usize = before
        .stdout
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no transaction count in {:?}", before.stdout));
    let complete = format!("{} transactions", count_before + 3000);
    for delay_ms in [5u64, 20, 40, 60, 80, 100, 130, 160, 200, 260] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fundledger"))
            .args(["-C", ".", "import", "donations", "big.csv"])
            .current_dir(&scratch.ledger)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        if scratch.journal() == old {
            continue;
        }
        // Otherwise it must be the complete new journal: it loads cleanly
        // with all 3000 new transactions.
        let check = scratch.run(&["check"]);
        assert_eq!(
            check.code, 0,
            "after a kill at {delay_ms} ms: {}",
            check.stderr
        );
        assert!(
            check.stdout.starts_with(&complete),
            "after a kill at {delay_ms} ms: {}",
            check.stdout
        );
        break;
    }
    // Whatever state the kills left, it loads: never a torn journal.
    assert_eq!(scratch.run(&["check"]).code, 0);
}

#[test]
fn concurrent_imports_lose_nothing() {
    let scratch = Scratch::new();
    let transactions = |check: &Run| -> usize {
        assert_eq!(check.code, 0, "{}", check.stderr);
        check.stdout.split(' ').next().unwrap().parse().unwrap()
    };
    let before = transactions(&scratch.run(&["check"]));
    let files: Vec<String> = (0..4)
        .map(|n| {
            let name = format!("batch-{n}.csv");
            let mut csv = String::from("date,donor,amount,currency,designation,reference,memo\n");
            for i in 0..25 {
                // One donor gives in every batch, written differently.
                let donor = match (i, n % 2) {
                    (0, 0) => "Shared Donor".to_string(),
                    (0, _) => "ＳＨＡＲＥＤ　DONOR".to_string(),
                    _ => format!("Batch {n} donor {i}"),
                };
                csv.push_str(&format!(
                    "2001-06-{:02},{donor},{},JPY,,,\n",
                    i + 1,
                    100 * (n + 1)
                ));
            }
            std::fs::write(scratch.ledger.join(&name), csv).unwrap();
            name
        })
        .collect();
    let children: Vec<_> = files
        .iter()
        .map(|name| {
            Command::new(env!("CARGO_BIN_EXE_fundledger"))
                .args(["-C", ".", "import", "donations", name])
                .current_dir(&scratch.ledger)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // Four files of 25 rows: 100 transactions more, none lost.
    assert_eq!(transactions(&scratch.run(&["check"])), before + 100);
    // Each import read the register the one before it wrote: 96 donors of
    // one batch each, and the shared donor once, whichever import came first.
    let register = std::fs::read_to_string(scratch.ledger.join("donors.csv")).unwrap();
    let added: Vec<&str> = register.lines().filter(|l| l.starts_with("D0")).collect();
    assert_eq!(added.len(), 97, "{register}");
    let shared = added
        .iter()
        .filter(|l| l.contains("Shared Donor") || l.contains("ＳＨＡＲＥＤ"))
        .count();
    assert_eq!(shared, 1, "{register}");
}

/// `--timings` on an import: the load's phases, then the write's, in order,
/// on standard error; the import itself is as without it.
#[test]
fn timings_of_an_import_name_the_load_and_the_write_phases() {
    let scratch = Scratch::new();
    let run = scratch.run(&[
        "--timings",
        "import",
        "donations",
        "imports/donations-2001-04.csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let phases: Vec<&str> = run
        .stderr
        .lines()
        .filter_map(|line| line.strip_prefix("timing: "))
        .filter_map(|line| line.rsplit_once(": ").map(|(phase, _)| phase))
        .collect();
    let position = |wanted: &str| {
        phases
            .iter()
            .position(|phase| phase.starts_with(wanted))
            .unwrap_or_else(|| panic!("no phase {wanted:?} in {phases:#?}"))
    };
    let order = [
        position("lock"),
        position("the file system's clock, the journal's state"),
        position("read and scan files"),
        position("journal unchanged by the load"),
        position("prepare the entries"),
        position("copy the journal"),
        position("write the entries, check the new journal"),
        position("last look, rename, flush the directory"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{phases:#?}");
    assert!(run.stdout.contains("added"), "{}", run.stdout);
    // Without the flag, no timing line.
    let quiet = Scratch::new().run(&["import", "donations", "imports/donations-2001-04.csv"]);
    assert!(!quiet.stderr.contains("timing:"), "{}", quiet.stderr);
}
