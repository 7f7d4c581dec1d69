//! Reconciliation end to end: a month reconciled from a CSV statement
//! (matched, marked cleared in an included file, asserted, printed), a re-run
//! that changes nothing, a statement that does not reconcile and writes
//! nothing, a paper statement, a closed year refused, and reconciliation
//! under concurrent imports and a concurrent edit.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::import::{copy_dir, Scratch};
use crate::util::{root, run_in, Run};

/// A scratch copy of `tests/data/reconcile`.
struct Books {
    _dir: tempfile::TempDir,
    ledger: PathBuf,
}

impl Books {
    fn new() -> Books {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("books");
        copy_dir(&root().join("tests/data/reconcile"), &ledger);
        Books { _dir: dir, ledger }
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut full = vec!["-C", "."];
        full.extend_from_slice(args);
        run_in(&self.ledger, &full)
    }

    fn files(&self) -> (String, String) {
        let read = |name: &str| std::fs::read_to_string(self.ledger.join(name)).unwrap();
        (read("main.ledger"), read("april.ledger"))
    }
}

fn transcript_without_dir(run: &Run, dir: &Path) -> String {
    run.transcript()
        .replace(&dir.display().to_string(), "[DIR]")
}

#[test]
fn a_month_reconciles_end_to_end_and_a_rerun_changes_nothing() {
    let books = Books::new();
    let run = books.run(&[
        "reconcile",
        "Assets:Bank:Postal",
        "--statement",
        "april.csv",
        "--as-of",
        "2000-04-30",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("reconcile_april", run.transcript());
    let (main, april) = books.files();
    // The matched postings are cleared where they are, in the included file;
    // the gift still in transit is not.
    assert!(april.contains("    * Assets:Bank:Postal                         30000 JPY"));
    assert!(april.contains("    * Assets:Bank:Postal                         20000 JPY"));
    assert!(april.contains("    * Assets:Bank:Postal                        -40000 JPY"));
    assert!(april.contains("    Assets:Bank:Postal                          7000 JPY"));
    // The record: statement balance in a tag, the book balance asserted,
    // after the account's last entry to the statement date (in its file),
    // before any later one; the journal itself is untouched.
    insta::assert_snapshot!("reconcile_april_journal", april);
    assert_eq!(
        main,
        std::fs::read_to_string(root().join("tests/data/reconcile/main.ledger")).unwrap()
    );
    let check = books.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(!check.stderr.contains("warning"), "{}", check.stderr);

    let again = books.run(&[
        "reconcile",
        "Assets:Bank:Postal",
        "--statement",
        "april.csv",
        "--as-of",
        "2000-04-30",
    ]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again
        .stdout
        .contains("Already reconciled: nothing to change."));
    assert_eq!(books.files(), (main, april), "a re-run changes nothing");

    let report = books.run(&["report", "reconciliation", "--as-of", "2000-05-31"]);
    assert_eq!(report.code, 0, "{}", report.stderr);
    insta::assert_snapshot!("report_reconciliation", report.stdout);
}

#[test]
fn a_statement_that_does_not_reconcile_writes_nothing_and_says_where() {
    let books = Books::new();
    let before = books.files();
    let run = books.run(&[
        "reconcile",
        "Assets:Bank:Postal",
        "--statement",
        "april-with-charge.csv",
        "--as-of",
        "2000-04-30",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(books.files(), before, "nothing written");
    // The line the books lack is named at its CSV row.
    assert!(
        run.stderr.contains("april-with-charge.csv:4: error[E801]"),
        "{}",
        run.stderr
    );
    insta::assert_snapshot!(
        "reconcile_disagreement",
        transcript_without_dir(&run, &books.ledger)
    );
    // A wrong paper balance: the difference, each book item at its line.
    let paper = books.run(&[
        "reconcile",
        "Assets:Bank:Postal",
        "--balance",
        "118000",
        "--as-of",
        "2000-05-31",
    ]);
    assert_eq!(paper.code, 1);
    assert!(
        paper.stderr.contains("difference -18000 JPY"),
        "{}",
        paper.stderr
    );
    assert!(
        paper.stderr.contains("april.ledger:5: error[E801]"),
        "{}",
        paper.stderr
    );
    assert_eq!(books.files(), before, "nothing written");
}

#[test]
fn a_paper_statement_that_agrees_clears_everything_to_its_date() {
    let books = Books::new();
    let run = books.run(&[
        "reconcile",
        "Assets:Bank:Postal",
        "--balance",
        "122,000",
        "--as-of",
        "2000-05-31",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("marked 5 posting line(s) cleared"),
        "{}",
        run.stdout
    );
    let (main, april) = books.files();
    // Every posting of the account is cleared: the opening by its
    // transaction's mark, the others by their own.
    assert_eq!(
        april.matches("    * Assets:Bank:Postal").count(),
        4,
        "{april}"
    );
    assert!(
        main.contains("Assets:Bank:Postal  0 JPY = 122000 JPY"),
        "{main}"
    );
    assert_eq!(books.run(&["check"]).code, 0);
}

#[test]
fn check_warns_of_an_account_not_reconciled_within_max_days() {
    let books = Books::new();
    let mut main = books.files().0;
    main.push_str(
        "\n2000-06-20 Gift, June\n    Assets:Bank:Postal  1000 JPY\n    Income:Donations\n",
    );
    std::fs::write(books.ledger.join("main.ledger"), &main).unwrap();
    let check = books.run(&["check"]);
    assert_eq!(check.code, 0);
    assert!(check.stderr.contains("warning[W801]"), "{}", check.stderr);
    assert!(
        check.stderr.contains("never been reconciled (80 days"),
        "{}",
        check.stderr
    );
    let run = books.run(&[
        "reconcile",
        "Assets:Bank:Postal",
        "--statement",
        "april.csv",
        "--as-of",
        "2000-04-30",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let check = books.run(&["check"]);
    assert!(
        check
            .stderr
            .contains("last reconciled on 2000-04-30, 51 days"),
        "{}",
        check.stderr
    );
}

#[test]
fn a_closed_year_is_not_reconciled() {
    let scratch = Scratch::new();
    let before = scratch.journal();
    let run = scratch.run(&[
        "reconcile",
        "Assets:Bank:Postal",
        "--balance",
        "4664358",
        "--as-of",
        "2001-03-31",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("error[E701]"), "{}", run.stderr);
    assert_eq!(scratch.journal(), before);
}

#[test]
fn reconciliation_under_concurrent_imports_loses_nothing() {
    let scratch = Scratch::new();
    // A gift not yet cleared, in the open year.
    let mut journal = String::from_utf8(scratch.journal()).unwrap();
    journal.push_str("\n2001-05-10 Gift by transfer\n    Assets:Bank:Postal  12000 JPY\n    Income:Donations:General\n");
    std::fs::write(scratch.ledger.join("main.ledger"), journal).unwrap();
    let count = |check: &Run| -> usize {
        assert_eq!(check.code, 0, "{}", check.stderr);
        check.stdout.split(' ').next().unwrap().parse().unwrap()
    };
    let before = count(&scratch.run(&["check"]));
    let files: Vec<String> = (0..3)
        .map(|n| {
            let name = format!("june-{n}.csv");
            let mut csv = String::from("date,donor,amount,currency,designation,reference,memo\n");
            for i in 0..20 {
                csv.push_str(&format!(
                    "2001-06-{:02},Donor {n}-{i},{},JPY,,,\n",
                    i + 1,
                    100 * (n + 1)
                ));
            }
            std::fs::write(scratch.ledger.join(&name), csv).unwrap();
            name
        })
        .collect();
    let spawn = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_fundledger"))
            .args(["-C", "."])
            .args(args)
            .current_dir(&scratch.ledger)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut children = vec![spawn(&[
        "reconcile",
        "Assets:Bank:Postal",
        "--balance",
        "4676358",
        "--as-of",
        "2001-05-31",
    ])];
    for name in &files {
        children.push(spawn(&["import", "donations", name]));
    }
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // 60 imported, 1 reconciliation record, none lost; the May gift cleared.
    assert_eq!(count(&scratch.run(&["check"])), before + 61);
    let journal = String::from_utf8(scratch.journal()).unwrap();
    assert!(
        journal
            .lines()
            .any(|l| l.trim_start().starts_with("* Assets:Bank:Postal") && l.contains("12000 JPY")),
        "{journal}"
    );
    let record = journal.find("; reconciled: Assets:Bank:Postal").unwrap();
    assert!(
        journal[..record].contains("2001-05-10 Gift"),
        "the record follows the gift"
    );
    assert!(!journal[..record].contains("2001-06-"), "and precedes June");
}

#[test]
fn a_journal_changed_during_the_write_is_not_overwritten() {
    let books = Books::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fundledger"))
        .args([
            "-C",
            ".",
            "reconcile",
            "Assets:Bank:Postal",
            "--statement",
            "april.csv",
            "--as-of",
            "2000-04-30",
        ])
        .current_dir(&books.ledger)
        .env("FUNDLEDGER_PAUSE_AT", "validated")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the pause, then change the included file behind its back.
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).contains("paused at validated") {
        use std::io::Read;
        if stderr.read(&mut byte).unwrap() == 0 {
            break;
        }
        seen.push(byte[0]);
    }
    let april = books.ledger.join("april.ledger");
    let mut text = std::fs::read_to_string(&april).unwrap();
    text.push_str(
        "\n2000-04-30 Edited by hand\n    Assets:Bank:Postal  1 JPY\n    Income:Donations\n",
    );
    std::fs::write(&april, &text).unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"\n").unwrap();
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&april).unwrap(),
        text,
        "the edit survives"
    );
    assert!(
        !books.files().0.contains("reconciled:"),
        "no record written"
    );
}

#[test]
fn advances_are_reported_per_person_with_their_settlements() {
    let run = run_in(
        &root().join("tests/data/advances"),
        &["-C", ".", "report", "advances", "--as-of", "2000-08-31"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run
        .stdout
        .contains("Tanaka (CNY): open 100.00 CNY since 2000-07-03 (59 days)"));
    assert!(run.stdout.contains("spent, no receipt"));
    assert!(run.stdout.contains("[approved by Kato]"));
    assert!(run.stdout.contains("cash returned"));
    insta::assert_snapshot!("report_advances", run.stdout);
}

#[test]
fn a_cash_count_difference_goes_to_suspense_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("books");
    copy_dir(&root().join("tests/data/advances"), &ledger);
    let args = [
        "-C",
        ".",
        "reconcile",
        "Assets:Cash:JPY",
        "--balance",
        "149000",
        "--as-of",
        "2000-08-31",
        "--suspense",
        "Assets:Suspense",
    ];
    let run = run_in(&ledger, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("differs from the books by -1000 JPY"),
        "{}",
        run.stderr
    );
    let journal = std::fs::read_to_string(ledger.join("main.ledger")).unwrap();
    assert!(
        journal.contains("    Assets:Suspense  1000 JPY"),
        "{journal}"
    );
    assert!(
        journal.contains("Assets:Cash:JPY  0 JPY = 149000 JPY"),
        "{journal}"
    );
    let check = run_in(&ledger, &["-C", ".", "check"]);
    assert_eq!(check.code, 0);
    assert!(check.stderr.contains("warning[W802]"), "{}", check.stderr);
    // A re-run changes nothing; a suspense account not declared is refused.
    let again = run_in(&ledger, &args);
    assert!(
        again.stdout.contains("Already reconciled"),
        "{}",
        again.stdout
    );
    assert_eq!(
        std::fs::read_to_string(ledger.join("main.ledger")).unwrap(),
        journal
    );
    let undeclared = run_in(
        &ledger,
        &[
            "-C",
            ".",
            "reconcile",
            "Assets:Cash:JPY",
            "--balance",
            "1",
            "--as-of",
            "2000-08-31",
            "--suspense",
            "Expenses:Misc",
        ],
    );
    assert_eq!(undeclared.code, 1);
    assert!(
        undeclared.stderr.contains("not a suspense account"),
        "{}",
        undeclared.stderr
    );
}

#[test]
fn remittances_list_transfers_and_carriages_once() {
    let run = run_in(
        &root().join("tests/data/advances"),
        &["-C", ".", "report", "remittances", "--fy", "2000"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The carriage is the advance to Sato: listed once, with its carrier
    // and destination; cash moved between advances in yuan is not a
    // remittance.
    let rows: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("2000-"))
        .collect();
    assert_eq!(rows.len(), 1, "{}", run.stdout);
    assert!(rows[0].contains("Sato"), "{}", run.stdout);
    assert!(run.stdout.contains("Yanji (China)"), "{}", run.stdout);
    assert!(!run.stdout.contains("Tanaka"), "{}", run.stdout);
    insta::assert_snapshot!("report_remittances", run.stdout);
}
