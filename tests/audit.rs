//! The auditor's package: written whole into a new folder, every figure the
//! reports' own.

use crate::util::{root, run_in};

fn example(args: &[&str]) -> crate::util::Run {
    let mut full = vec!["-C", "ledgers/lifefunds"];
    full.extend_from_slice(args);
    run_in(&root(), &full)
}

#[test]
fn the_package_of_fy2000_equals_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fy2000");
    let out_text = out.display().to_string();
    let run = example(&["audit", "--fy", "2000", "-o", &out_text]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();

    // Trial balance: `balance` at the year end.
    let balance = example(&["balance", "-e", "2001-04-01", "-O", "csv"]);
    assert_eq!(read("trial-balance.csv"), balance.stdout);

    // Every statement as `report` prints it.
    let statements = read("statements.txt");
    for name in [
        "activities",
        "position",
        "funds",
        "functional",
        "inventory",
        "cashflows",
        "notes",
    ] {
        let report = example(&["report", name, "--fy", "2000"]);
        assert_eq!(report.code, 0, "{name}: {}", report.stderr);
        assert!(
            statements.contains(report.stdout.trim_end()),
            "{name} differs from the package"
        );
    }

    // Reconciliations, open advances, payments without documents.
    let recs = example(&["report", "reconciliation", "--as-of", "2001-03-31"]);
    assert_eq!(read("reconciliations.txt"), recs.stdout);
    let advances = example(&["report", "advances", "--as-of", "2001-03-31"]);
    assert_eq!(read("open-advances.txt"), advances.stdout);
    let documents = example(&["report", "documents", "--fy", "2000"]);
    assert_eq!(read("payments-without-documents.csv"), documents.stdout);

    // One letter per member-lender, with the loans report's outstanding
    // balance. The letters are addressed to the lenders, so by name: the
    // report names them only with --with-personal-data.
    let loans = example(&[
        "report",
        "loans",
        "--fy",
        "2000",
        "-O",
        "csv",
        "--with-personal-data",
    ]);
    let mut letters = 0;
    for line in loans
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Lender"))
        .skip(1)
    {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() < 4 || fields[0] == "Total" || fields[0].is_empty() {
            break;
        }
        let letter = read(&format!("confirmation-{}.txt", fields[0]));
        let outstanding = fields[3].replace(['"', ','], "");
        assert!(
            letter.contains(&format!("\n    {outstanding} JPY\n")),
            "{}: {outstanding} not in\n{letter}",
            fields[0]
        );
        letters += 1;
    }
    assert_eq!(letters, 4, "{}", loans.stdout);

    // The manifest: the digest of every journal file and package file.
    let manifest = read("MANIFEST.txt");
    for name in [
        "main.ledger",
        "fy2000.ledger",
        "trial-balance.csv",
        "statements.txt",
    ] {
        let path = if name.ends_with(".ledger") {
            root().join("ledgers/lifefunds").join(name)
        } else {
            out.join(name)
        };
        let digest: String = fundledger_core::write::digest_file(&path)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(manifest.contains(&format!("{digest}  {name}")), "{name}");
    }

    // A second run refuses the existing folder and changes nothing in it.
    let again = example(&["audit", "--fy", "2000", "-o", &out_text]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
    assert_eq!(read("MANIFEST.txt"), manifest);
    // Nothing else left beside it.
    let entries = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(entries, 1);
}

#[test]
fn documents_are_checked_inside_the_ledger_and_payments_without_them_listed() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("books");
    std::fs::create_dir_all(ledger.join("documents")).unwrap();
    std::fs::write(ledger.join("documents/rent-april.txt"), "receipt").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        dir.path().join("secret.txt"),
        ledger.join("documents/link.txt"),
    )
    .unwrap();
    std::fs::write(
        ledger.join("fundledger.toml"),
        "organisation = \"Documents\"\nbase_currency = \"JPY\"\njournal = \"main.ledger\"\n\n[[commodities]]\nsymbol = \"JPY\"\nprecision = 0\n\n[account_classes]\nAssets = \"assets\"\nNetAssets = \"net-assets\"\nExpenses = \"expenses\"\n",
    )
    .unwrap();
    let journal = "2000-04-01 * Opening\n    Assets:Bank  500000 JPY\n    NetAssets:Opening\n\n\
        2000-04-10 * Rent, April\n    ; document: documents/rent-april.txt\n    Expenses:Rent  80000 JPY\n    Assets:Bank\n\n\
        2000-04-12 * Printing\n    Expenses:Printing  60000 JPY\n    Assets:Bank\n\n\
        2000-04-13 * Stamps\n    Expenses:Postage  3000 JPY\n    Assets:Bank\n";
    std::fs::write(ledger.join("main.ledger"), journal).unwrap();
    let check = run_in(&ledger, &["-C", ".", "check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    let report = run_in(&ledger, &["-C", ".", "report", "documents", "--fy", "2000"]);
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert_eq!(
        report.stdout,
        "date,payee,paid,source\n2000-04-12,Printing,60000,main.ledger:10\n"
    );
    let lower = run_in(
        &ledger,
        &[
            "-C",
            ".",
            "report",
            "documents",
            "--fy",
            "2000",
            "--over",
            "1000",
        ],
    );
    assert!(lower.stdout.contains("Stamps"), "{}", lower.stdout);
    // A link out of the ledger directory is refused, as is a missing file.
    #[cfg(unix)]
    {
        let linked = journal.replace("documents/rent-april.txt", "documents/link.txt");
        std::fs::write(ledger.join("main.ledger"), linked).unwrap();
        let check = run_in(&ledger, &["-C", ".", "check"]);
        assert_eq!(check.code, 1);
        assert!(check.stderr.contains("error[E804]"), "{}", check.stderr);
    }
    let missing = journal.replace("documents/rent-april.txt", "documents/none.txt");
    std::fs::write(ledger.join("main.ledger"), missing).unwrap();
    let check = run_in(&ledger, &["-C", ".", "check"]);
    assert!(
        check.stderr.contains("main.ledger:5: error[E803]"),
        "{}",
        check.stderr
    );
}
