//! Donors end to end: imports that match donors and add the unknown ones
//! to `donors.csv` with the journal, namesakes and bad registers refused
//! with nothing written, `check` on unknown donor tags, and `report donors`
//! with and without personal data.

use crate::import::Scratch;
use crate::util::run;

const LEDGER: &str = "ledgers/lifefunds";

fn donors_csv(scratch: &Scratch) -> Vec<u8> {
    std::fs::read(scratch.ledger.join("donors.csv")).unwrap()
}

#[test]
fn an_import_matches_donors_adds_the_unknown_and_adds_nothing_twice() {
    let scratch = Scratch::new();
    let register_before = donors_csv(&scratch);
    let imported = scratch.run(&["import", "donations", "imports/donations-2001-04.csv"]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    insta::assert_snapshot!("donors_import_summary", imported.stdout);
    // Two names the register did not hold were added, after the old rows.
    let register_after = String::from_utf8(donors_csv(&scratch)).unwrap();
    assert!(register_after.starts_with(std::str::from_utf8(&register_before).unwrap()));
    let added: Vec<&str> = register_after
        .strip_prefix(std::str::from_utf8(&register_before).unwrap())
        .unwrap()
        .lines()
        .collect();
    assert_eq!(
        added,
        vec![
            "D0066,Tanaka Hiroshi,,,,individual,no,,no",
            "D0067,ｻﾄｳ ｹｲｺ,,,,individual,no,,no",
        ]
    );
    // Each gift names its donor by id; names stay out of the journal.
    let journal = String::from_utf8(scratch.journal()).unwrap();
    let new_text = &journal[journal.find("; import: donations").unwrap()..];
    for tag in [
        "; donor: D0066",
        "; donor: C01",
        "; donor: A01",
        "; donor: F05",
        "; donor: C02",
        "; donor: D0067",
        "; donor: P04",
    ] {
        assert!(new_text.contains(tag), "{tag} missing in\n{new_text}");
    }
    assert!(!new_text.contains("Tanaka"), "{new_text}");
    assert!(!new_text.contains("ｻﾄｳ"), "{new_text}");
    let check = scratch.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);

    // Again: nothing new, in the journal or the register.
    let journal_before = scratch.journal();
    let register_before = donors_csv(&scratch);
    let again = scratch.run(&["import", "donations", "imports/donations-2001-04.csv"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stdout
            .contains("added 0 new transaction(s); 8 already"),
        "{}",
        again.stdout
    );
    assert_eq!(scratch.journal(), journal_before);
    assert_eq!(donors_csv(&scratch), register_before);
}

#[test]
fn a_dry_run_writes_no_donor() {
    let scratch = Scratch::new();
    let before = donors_csv(&scratch);
    let dry = scratch.run(&[
        "import",
        "donations",
        "imports/donations-2001-04.csv",
        "--dry-run",
    ]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains("new donor D0066: Tanaka Hiroshi"),
        "{}",
        dry.stdout
    );
    assert_eq!(donors_csv(&scratch), before);
}

#[test]
fn namesakes_and_bad_register_rows_write_nothing() {
    let scratch = Scratch::new();
    let csv = scratch.ledger.join("namesakes.csv");
    // Two donors of one (folded) name.
    let mut register = String::from_utf8(donors_csv(&scratch)).unwrap();
    register.push_str("D0100,Sato Keiko,サトウ ケイコ,,,individual,no,,no\n");
    register.push_str("D0101,佐藤 恵子,さとう けいこ,,,individual,no,,no\n");
    std::fs::write(scratch.ledger.join("donors.csv"), &register).unwrap();
    std::fs::write(
        &csv,
        "date,donor,amount\n2001-04-02,Hope Foundation,3000\n2001-04-03,ｻﾄｳ ｹｲｺ,5000\n2001-04-04,New Person,1000\n",
    )
    .unwrap();
    let journal = scratch.journal();
    let refused = scratch.run(&["import", "donations", "namesakes.csv"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    let stderr = refused
        .stderr
        .replace(&*scratch.ledger.to_string_lossy(), "<ledger>");
    insta::assert_snapshot!("donors_import_namesakes", stderr);
    assert_eq!(scratch.journal(), journal);
    assert_eq!(donors_csv(&scratch), register.as_bytes());

    // A register with a bad row refuses every import, and `check` says where.
    register.push_str("D0102,Someone,,,,friend,no,,no\n");
    std::fs::write(scratch.ledger.join("donors.csv"), &register).unwrap();
    let refused = scratch.run(&["import", "donations", "imports/donations-2001-04.csv"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("error[E901]"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("donors.csv:69"),
        "{}",
        refused.stderr
    );
    assert_eq!(scratch.journal(), journal);
    assert_eq!(donors_csv(&scratch), register.as_bytes());
    let check = scratch.run(&["check"]);
    assert_eq!(check.code, 1);
    assert!(check.stderr.contains("error[E901]"), "{}", check.stderr);
}

#[test]
fn an_unknown_donor_tag_is_located() {
    let scratch = Scratch::new();
    // An open-year entry (FY2000 is closed), naming a donor nobody registered.
    let mut main = String::from_utf8(scratch.journal()).unwrap();
    main.push_str(
        "\n2001-04-03 * Gift\n    Assets:Bank:Postal  3000 JPY\n    Income:Donations:General  -3000 JPY\n    ; donor: X999\n",
    );
    std::fs::write(scratch.ledger.join("main.ledger"), main).unwrap();
    let check = scratch.run(&["check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(check.stderr.contains("error[E902]"), "{}", check.stderr);
    assert!(check.stderr.contains("main.ledger:"), "{}", check.stderr);
    // Reports refuse data with errors.
    let report = scratch.run(&["report", "donors", "--fy", "2000"]);
    assert_eq!(report.code, 1);
}

#[test]
fn personal_data_only_when_asked() {
    let public = run(&["-C", LEDGER, "report", "donors", "--fy", "2000"]);
    assert_eq!(public.code, 0, "{}", public.stderr);
    let personal = run(&[
        "-C",
        LEDGER,
        "report",
        "donors",
        "--fy",
        "2000",
        "--with-personal-data",
    ]);
    assert_eq!(personal.code, 0, "{}", personal.stderr);
    // Every address and every name of a donor who did not consent.
    let register =
        std::fs::read_to_string(crate::util::root().join(LEDGER).join("donors.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(register.as_bytes());
    let mut checked = 0;
    for row in reader.records() {
        let row = row.unwrap();
        let (name, address, consent, label) = (&row[1], &row[3], &row[6], &row[7]);
        if !address.is_empty() {
            assert!(
                !public.stdout.contains(address),
                "{address} in the public report"
            );
            assert!(personal.stdout.contains(address), "{address} missing");
            checked += 1;
        }
        if consent == "no" && !label.is_empty() && !name.is_empty() {
            assert!(
                !public.stdout.contains(&format!("{name} (")),
                "{name} in the public report"
            );
            assert!(
                personal.stdout.contains(&format!("{name} (")),
                "{name} missing"
            );
        }
    }
    assert!(checked > 50, "only {checked} addresses checked");
}

#[test]
fn the_register_ties_to_the_statement_of_activities() {
    let donors = run(&[
        "-C", LEDGER, "report", "donors", "--fy", "2000", "-O", "json",
    ]);
    assert_eq!(donors.code, 0, "{}", donors.stderr);
    let activities = run(&[
        "-C",
        LEDGER,
        "report",
        "activities",
        "--fy",
        "2000",
        "-O",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&donors.stdout).unwrap();
    let by_category = &json[2];
    assert_eq!(by_category["id"], "donors-by-category");
    let total = by_category["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "total")
        .unwrap();
    // Money, in kind, total: 9,138,000 + 365,000 (the foster parents'
    // 28 × 3,000 × 12 = 1,008,000 among them).
    assert_eq!(total["cells"][2], "9138000");
    assert_eq!(total["cells"][3], "365000");
    let activities: serde_json::Value = serde_json::from_str(&activities.stdout).unwrap();
    let line = |label: &str| -> String {
        activities[0]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["label"] == label)
            .unwrap_or_else(|| panic!("no line {label}"))["cells"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(line("Contributions"), "9138000");
    assert_eq!(line("Contributed nonfinancial assets"), "365000");
    let foster = by_category["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == "foster parent")
        .unwrap();
    assert_eq!(foster["cells"][0], "28");
    assert_eq!(foster["cells"][2], "1008000");
}

#[test]
fn gifts_net_of_fees_are_booked_gross_and_a_payout_is_one_transaction() {
    let scratch = Scratch::new();
    let imported = scratch.run(&["import", "donations", "imports/payout-2001-04.csv"]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    assert!(
        imported.stdout.contains("added 2 new transaction(s)"),
        "{}",
        imported.stdout
    );
    assert!(
        imported.stdout.contains("fees: 1390 JPY"),
        "{}",
        imported.stdout
    );
    let journal = String::from_utf8(scratch.journal()).unwrap();
    let payout = &journal[journal.find("Payout PO-20010415").unwrap()..];
    let payout = &payout[..payout.find("\n\n").unwrap_or(payout.len())];
    // One bank line (the net), one income posting per gift (gross), the fees.
    assert_eq!(payout.matches("Assets:Bank:Postal").count(), 1, "{payout}");
    assert!(
        payout.contains("Assets:Bank:Postal                               36740 JPY"),
        "{payout}"
    );
    assert_eq!(payout.matches("Income:Donations").count(), 4, "{payout}");
    assert!(
        payout.contains("Expenses:Fundraising:Fees                         1260 JPY"),
        "{payout}"
    );
    // The balances: bank net, income gross, fees an expense; ledger agrees.
    let balance = scratch.run(&[
        "balance",
        "-b",
        "2001-04-01",
        "-O",
        "csv",
        "Assets:Bank",
        "Income:Donations",
        "Expenses:Fundraising",
    ]);
    assert_eq!(balance.code, 0, "{}", balance.stderr);
    for line in [
        "Assets:Bank:Postal,JPY,39610",
        "Expenses:Fundraising:Fees,JPY,1390",
        "Income:Donations:FoodAid,JPY,-5000",
        "Income:Donations:General,JPY,-13000",
    ] {
        assert!(
            balance.stdout.contains(line),
            "{line} in\n{}",
            balance.stdout
        );
    }
    // Nothing twice.
    let before = scratch.journal();
    let again = scratch.run(&["import", "donations", "imports/payout-2001-04.csv"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("5 already in the journal"),
        "{}",
        again.stdout
    );
    assert_eq!(scratch.journal(), before);
    // The register shows each gift gross, under its donor.
    let register = scratch.run(&["report", "donors", "--fy", "2001", "-O", "csv"]);
    assert_eq!(register.code, 0, "{}", register.stderr);
    assert!(
        register.stdout.contains("Donor 6 (P06)"),
        "{}",
        register.stdout
    );
    assert!(
        register.stdout.contains("Food supply to North Korea,5000"),
        "{}",
        register.stdout
    );

    // A fee as large as the gift, or a payout changed after its import,
    // writes nothing.
    std::fs::write(
        scratch.ledger.join("bad.csv"),
        "date,donor,amount,fee,payout\n2001-04-21,P01,3000,3000,\n2001-04-22,P02,3000,100,PO-20010415\n",
    )
    .unwrap();
    let refused = scratch.run(&["import", "donations", "bad.csv"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("bad.csv:2: error[E603]"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("bad.csv:3: error[E606]"),
        "{}",
        refused.stderr
    );
    assert_eq!(scratch.journal(), before);
}

#[test]
fn member_lenders_are_shown_by_their_labels_unless_asked() {
    for standard in ["asc958", "jp-npo"] {
        let args = [
            "-C",
            LEDGER,
            "report",
            "annual",
            "--fy",
            "2000",
            "--standard",
            standard,
        ];
        let public = run(&args);
        assert_eq!(public.code, 0, "{}", public.stderr);
        for name in [
            "Sato", "Kato", "Yamada", "Mori", "佐藤", "加藤", "山田", "森 ",
        ] {
            assert!(!public.stdout.contains(name), "{standard}: {name} named");
        }
        let mut personal_args = args.to_vec();
        personal_args.push("--with-personal-data");
        let personal = run(&personal_args);
        assert_eq!(personal.code, 0, "{}", personal.stderr);
        let sato = if standard == "jp-npo" {
            "佐藤"
        } else {
            "Sato"
        };
        assert!(personal.stdout.contains(sato), "{standard}: {sato} missing");
        assert!(!personal.stdout.contains("Member C"), "{standard}");
    }
}
