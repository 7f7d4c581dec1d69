//! `receipt`: donation receipts (寄附金受領証明書) on a scratch ledger
//! (`tests/data/receipts`: gifts, membership dues, a sale, donors with and
//! without an address, an anonymous donor, a gift without a donor tag):
//! what is receipted and what is not, the register, refusals, copies, two
//! processes at once, and re-imported donations.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::import::copy_dir;
use crate::util::{root, run_in, Run};

/// A scratch copy of the receipts ledger.
struct Ledger {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Ledger {
    fn new() -> Ledger {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger");
        copy_dir(&root().join("tests/data/receipts"), &path);
        Ledger { _dir: dir, path }
    }

    /// `fundledger -C . receipt --date 2001-04-10 ARGS`.
    fn receipt(&self, args: &[&str]) -> Run {
        let mut full = vec!["-C", ".", "receipt", "--date", "2001-04-10"];
        full.extend_from_slice(args);
        run_in(&self.path, &full)
    }

    fn register(&self) -> Option<String> {
        std::fs::read_to_string(self.path.join("receipts.csv")).ok()
    }

    /// Gives donor D003 the address the fixture leaves out.
    fn give_d003_an_address(&self) {
        let path = self.path.join("donors.csv");
        let text = std::fs::read_to_string(&path).unwrap().replace(
            "D003,鈴木 一郎,スズキ イチロウ,,",
            "D003,鈴木 一郎,スズキ イチロウ,〒060-0000 北海道札幌市中央区（例示）,",
        );
        std::fs::write(path, text).unwrap();
    }
}

/// The register's rows: number → (donor, gift identities).
fn rows(register: &str) -> Vec<(String, String, Vec<String>)> {
    let mut reader = csv::Reader::from_reader(register.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                r[2].to_string(),
                r[5].split(' ').map(str::to_string).collect(),
            )
        })
        .collect()
}

/// Numbers are unique and no gift is in two receipts; returns the gifts.
fn assert_never_twice(register: &str) -> BTreeSet<String> {
    let mut numbers = BTreeSet::new();
    let mut gifts = BTreeSet::new();
    for (number, _, covered) in rows(register) {
        assert!(
            numbers.insert(number.clone()),
            "number {number} twice:\n{register}"
        );
        for gift in covered {
            assert!(gifts.insert(gift.clone()), "gift {gift} twice:\n{register}");
        }
    }
    gifts
}

#[test]
fn a_donors_year_is_receipted_once_and_copies_record_nothing() {
    let ledger = Ledger::new();
    let dry = ledger.receipt(&["--fy", "2000", "--donor", "D001", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.contains("見本 / SPECIMEN"), "{}", dry.stdout);
    assert_eq!(ledger.register(), None, "a dry run records nothing");

    let issued = ledger.receipt(&["--fy", "2000", "--donor", "D001"]);
    insta::assert_snapshot!("receipt_year_md", issued.transcript());
    assert_eq!(issued.code, 0);
    // The gifts, not the membership dues of 2000-04-20.
    assert!(issued.stdout.contains("￥60,000円"));
    assert!(!issued.stdout.contains("2000年4月20日"));
    let register = ledger.register().unwrap();
    insta::assert_snapshot!("receipt_register", register);

    let again = ledger.receipt(&["--fy", "2000", "--donor", "D001"]);
    insta::assert_snapshot!("receipt_twice_refused", again.transcript());
    assert_eq!(again.code, 1);
    assert_eq!(ledger.register().unwrap(), register, "nothing recorded");

    let copy = run_in(
        &ledger.path,
        &[
            "-C",
            ".",
            "receipt",
            "--reissue",
            "2000-0001",
            "--date",
            "2001-06-01",
        ],
    );
    insta::assert_snapshot!("receipt_copy_md", copy.transcript());
    assert_eq!(copy.code, 0);
    assert!(copy.stdout.contains("再発行 / COPY"));
    assert_eq!(
        ledger.register().unwrap(),
        register,
        "a copy records nothing"
    );
}

#[test]
fn a_gift_and_then_every_donor_of_the_year() {
    let ledger = Ledger::new();
    // The company's gift alone, not the sale in the same transaction.
    let gift = ledger.receipt(&["--gift", "2000-09-01/C-0901"]);
    assert_eq!(gift.code, 0, "{}", gift.stderr);
    assert!(gift.stdout.contains("￥100,000円"), "{}", gift.stdout);
    // D003 has no address: --all refuses and records nothing.
    let refused = ledger.receipt(&["--fy", "2000", "--all"]);
    insta::assert_snapshot!("receipt_all_refused", refused.transcript());
    assert_eq!(refused.code, 1);
    assert_eq!(rows(&ledger.register().unwrap()).len(), 1);
    ledger.give_d003_an_address();
    let all = ledger.receipt(&["--fy", "2000", "--all", "-O", "json"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    insta::assert_snapshot!("receipt_all_stderr", all.stderr);
    let register = ledger.register().unwrap();
    let numbers: Vec<(String, String)> = rows(&register)
        .into_iter()
        .map(|(n, d, _)| (n, d))
        .collect();
    assert_eq!(
        numbers,
        [
            ("2000-0001", "D002"),
            ("2000-0002", "D001"),
            ("2000-0003", "D003")
        ]
        .map(|(n, d)| (n.to_string(), d.to_string()))
    );
    assert_eq!(assert_never_twice(&register).len(), 4);
    // Run again: nothing left to issue.
    let nothing = ledger.receipt(&["--fy", "2000", "--all"]);
    assert_eq!(nothing.code, 0, "{}", nothing.stderr);
    assert!(
        nothing.stderr.contains("nothing to issue"),
        "{}",
        nothing.stderr
    );
    assert_eq!(ledger.register().unwrap(), register);
}

#[test]
fn receipts_print_on_a4_as_html_with_names_escaped() {
    let ledger = Ledger::new();
    let donors = ledger.path.join("donors.csv");
    let text = std::fs::read_to_string(&donors)
        .unwrap()
        .replace("Acme Trading Co.", "Acme & <Sons>");
    std::fs::write(&donors, text).unwrap();
    let out = ledger.path.join("out.html");
    let run = ledger.receipt(&[
        "--gift",
        "C-0901",
        "--donor",
        "D002",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("<html lang=\"ja\">"));
    assert!(html.contains("@page { size: A4;"));
    assert!(html.contains("Acme &amp; &lt;Sons&gt;"), "{html}");
    assert!(!html.contains("<Sons>"));
    assert_eq!(html.matches("<section class=\"receipt\">").count(), 1);
    assert!(html.contains("￥100,000円"));
    assert!(html.contains("認定特定非営利活動法人"));
}

#[test]
fn refusals_say_what_to_do() {
    let ledger = Ledger::new();
    for (name, args) in [
        ("receipt_no_selection", vec![]),
        (
            "receipt_unknown_donor",
            vec!["--fy", "2000", "--donor", "D999"],
        ),
        ("receipt_no_gifts", vec!["--fy", "1999", "--donor", "D001"]),
        ("receipt_gift_without_donor", vec!["--gift", "2000-12-24"]),
        ("receipt_anonymous", vec!["--fy", "2000", "--donor", "D004"]),
        ("receipt_no_such_copy", vec!["--reissue", "2000-0042"]),
    ] {
        let run = ledger.receipt(&args);
        insta::assert_snapshot!(name, run.transcript());
        assert_ne!(run.code, 0, "{name}");
    }
    let early = run_in(
        &ledger.path,
        &[
            "-C",
            ".",
            "receipt",
            "--fy",
            "2000",
            "--donor",
            "D001",
            "--date",
            "2000-06-01",
        ],
    );
    assert_eq!(early.code, 2, "{}", early.stderr);
    assert!(early.stderr.contains("before the gift"), "{}", early.stderr);
    assert_eq!(ledger.register(), None, "no refusal records anything");
}

/// Two (and more) `receipt` processes at once on one ledger: every number
/// is unique, no gift is receipted twice, and every gift is receipted by
/// exactly one of them.
#[test]
fn concurrent_runs_never_give_a_number_or_a_gift_twice() {
    for round in 0..3 {
        let ledger = Ledger::new();
        ledger.give_d003_an_address();
        let argument_sets: [&[&str]; 6] = [
            &["--fy", "2000", "--all"],
            &["--fy", "2000", "--donor", "D001"],
            &["--gift", "2000-09-01/C-0901"],
            &["--fy", "2000", "--all"],
            &["--fy", "2000", "--donor", "D001"],
            &["--fy", "2000", "--donor", "D003"],
        ];
        let children: Vec<_> = argument_sets
            .iter()
            .map(|args| {
                Command::new(env!("CARGO_BIN_EXE_fundledger"))
                    .args(["-C", ".", "receipt", "--date", "2001-04-10"])
                    .args(*args)
                    .current_dir(&ledger.path)
                    .env_clear()
                    .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                    .output_async()
            })
            .collect();
        let mut succeeded = 0;
        for child in children {
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            match output.status.code() {
                Some(0) => succeeded += 1,
                // Refused: the gift was receipted by another run.
                Some(1) => assert!(stderr.contains("[E911]"), "round {round}: {stderr}"),
                other => panic!("round {round}: exit {other:?}: {stderr}"),
            }
        }
        assert!(succeeded >= 2, "round {round}: {succeeded} succeeded");
        let register = ledger.register().unwrap();
        let gifts = assert_never_twice(&register);
        assert_eq!(
            gifts.len(),
            4,
            "round {round}: every gift once:\n{register}"
        );
        let by_donor: BTreeMap<String, usize> =
            rows(&register)
                .into_iter()
                .fold(BTreeMap::new(), |mut m, (_, donor, g)| {
                    *m.entry(donor).or_default() += g.len();
                    m
                });
        assert_eq!(
            by_donor,
            BTreeMap::from([
                ("D001".to_string(), 2),
                ("D002".to_string(), 1),
                ("D003".to_string(), 1)
            ])
        );
    }
}

/// Spawning a child whose output is collected later.
trait OutputAsync {
    fn output_async(&mut self) -> std::process::Child;
}

impl OutputAsync for Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }
}

/// Adds `; donor: ID` under each imported transaction whose payee the map
/// names, where the import wrote no donor tag (what donor matching in
/// imports writes itself).
fn tag_imported_donors(journal: &Path, donors: &[(&str, &str)]) {
    let text = std::fs::read_to_string(journal).unwrap();
    if text.contains("donor:") {
        return;
    }
    let mut out = String::new();
    let mut pending = None;
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
        if let Some((_, id)) = donors.iter().find(|(payee, _)| line.ends_with(payee)) {
            pending = Some(*id);
        }
        if line.trim_start().starts_with("; import:") {
            if let Some(id) = pending.take() {
                out.push_str(&format!("    ; donor: {id}\n"));
            }
        }
    }
    std::fs::write(journal, out).unwrap();
}

#[test]
fn a_donation_imported_twice_is_receipted_once() {
    let ledger = Ledger::new();
    std::fs::write(ledger.path.join("journal.ledger"), "").unwrap();
    let csv = ledger.path.join("gifts.csv");
    std::fs::write(
        &csv,
        "date,donor,amount,currency,designation,reference,memo\n\
         2000-05-10,佐藤 花子,30000,JPY,,,\n\
         2000-06-10,Acme Trading Co.,50000,JPY,,,\n\
         2000-06-10,Acme Trading Co.,50000,JPY,,,\n",
    )
    .unwrap();
    let import = |added: usize| {
        let expect_added = format!("added {added} new transaction(s)");
        let run = run_in(
            &ledger.path,
            &["-C", ".", "import", "donations", "gifts.csv"],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout.contains(&expect_added) || run.stderr.contains(&expect_added),
            "expected {expect_added:?}:\n{}{}",
            run.stdout,
            run.stderr
        );
    };
    import(3);
    tag_imported_donors(
        &ledger.path.join("journal.ledger"),
        &[("佐藤 花子", "D001"), ("Acme Trading Co.", "D002")],
    );
    let journal = std::fs::read(ledger.path.join("journal.ledger")).unwrap();
    import(0);
    assert_eq!(
        std::fs::read(ledger.path.join("journal.ledger")).unwrap(),
        journal,
        "the re-import added nothing"
    );
    let issued = ledger.receipt(&["--fy", "2000", "--all"]);
    assert_eq!(issued.code, 0, "{}", issued.stderr);
    // The two identical rows are two gifts (both imported), in one receipt.
    assert!(issued.stdout.contains("￥100,000円"), "{}", issued.stdout);
    import(0);
    // A gift is also named by its import id.
    let import_id = std::fs::read_to_string(ledger.path.join("journal.ledger"))
        .unwrap()
        .lines()
        .find_map(|l| l.trim().strip_prefix("; import: ").map(str::to_string))
        .unwrap();
    let by_id = ledger.receipt(&["--gift", &import_id]);
    assert_eq!(by_id.code, 1, "{}", by_id.stderr);
    assert!(by_id.stderr.contains("[E911]"), "{}", by_id.stderr);
    let again = ledger.receipt(&["--fy", "2000", "--all"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("nothing to issue"),
        "{}",
        again.stderr
    );
    let register = ledger.register().unwrap();
    let gifts = assert_never_twice(&register);
    assert_eq!(rows(&register).len(), 2, "{register}");
    assert_eq!(gifts.len(), 3, "{register}");
    assert!(gifts.iter().all(|g| g.starts_with("import:")), "{register}");
}

/// Golden receipts in `reports/receipts/`, issued from a scratch copy of
/// `tests/data/receipts` (the date of issue fixed by `--date`);
/// `UPDATE_GOLDEN=1` rewrites them.
#[test]
fn golden_receipts_match() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let ledger = Ledger::new();
    ledger.give_d003_an_address();
    let out_dir = root().join("reports/receipts");
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut stale = Vec::new();
    for (file, args) in [
        (
            "receipt-fy2000-D001.md",
            vec!["--fy", "2000", "--donor", "D001", "--dry-run", "-O", "md"],
        ),
        (
            "receipt-fy2000-D001.html",
            vec!["--fy", "2000", "--donor", "D001", "-O", "html"],
        ),
        (
            "receipt-fy2000-D001-copy.html",
            vec!["--reissue", "2000-0001", "-O", "html"],
        ),
        (
            "receipts-fy2000-all.html",
            vec!["--fy", "2000", "--all", "-O", "html"],
        ),
    ] {
        let run = ledger.receipt(&args);
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        let path = out_dir.join(file);
        if std::fs::read_to_string(&path).unwrap_or_default() != run.stdout {
            if update {
                std::fs::write(&path, &run.stdout).unwrap();
            } else {
                stale.push(format!("reports/receipts/{file}"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "golden receipts differ: {stale:?}\nreview, then run `UPDATE_GOLDEN=1 cargo test --test integration golden`"
    );
}

/// A crash before the register's rename records nothing; one after it
/// records the receipt whole; either way the next run numbers on from the
/// register and never repeats a gift.
#[test]
fn a_crash_leaves_the_register_old_or_new() {
    let ledger = Ledger::new();
    let crash = |step: &str, args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_fundledger"))
            .args(["-C", ".", "receipt", "--date", "2001-04-10"])
            .args(args)
            .current_dir(&ledger.path)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("FUNDLEDGER_CRASH_AT", step)
            .output()
            .unwrap();
        assert!(!output.status.success(), "the run was to crash at {step}");
    };
    crash("temp-synced", &["--fy", "2000", "--donor", "D001"]);
    assert_eq!(
        ledger.register(),
        None,
        "nothing recorded before the rename"
    );
    crash("renamed", &["--fy", "2000", "--donor", "D001"]);
    let register = ledger.register().unwrap();
    assert_eq!(rows(&register).len(), 1, "{register}");
    let again = ledger.receipt(&["--fy", "2000", "--donor", "D001"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains("[E911]"));
    let next = ledger.receipt(&["--gift", "C-0901", "--donor", "D002"]);
    assert_eq!(next.code, 0, "{}", next.stderr);
    assert!(next.stderr.contains("receipt 2000-0002"), "{}", next.stderr);
    assert_never_twice(&ledger.register().unwrap());
}
