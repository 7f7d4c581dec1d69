//! `close`: closing FY2000 of the example end to end, the revaluation at the
//! closing rate tying to the statements, a closed year refusing new entries
//! and reporting hand edits, a year that cannot be closed saying why, and
//! the next year's journal opening with the same balances.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use fundledger_core::money::{self, Decimal, RoundingStrategy};
use fundledger_core::settings::AccountClass;

use crate::import::Scratch;
use crate::util::{root, Run};

const CLOSE: &[&str] = &["close", "--fy", "2000", "--on", "2026-11-30"];

/// The example as it was before FY2000 was closed: its journal without the
/// revaluation and the close record that `close` appended.
fn unclosed() -> Scratch {
    let scratch = Scratch::new();
    let path = scratch.ledger.join("main.ledger");
    let text = std::fs::read_to_string(&path).unwrap();
    let cut = text
        .find("2001-03-31 * Revaluation of foreign balances")
        .expect("the example is closed");
    std::fs::write(&path, text[..cut].trim_end().to_string() + "\n").unwrap();
    let check = scratch.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    scratch
}

fn ok(run: &Run) {
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

/// The total column of a row of the statement of activities (FY2000).
fn activities_total(scratch: &Scratch, label: &str) -> Decimal {
    let run = scratch.run(&["report", "activities", "--fy", "2000", "-O", "json"]);
    ok(&run);
    let statements: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let row = statements[0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == label)
        .unwrap_or_else(|| panic!("no row {label:?}"));
    let cells = row["cells"].as_array().unwrap();
    cells.last().unwrap().as_str().unwrap().parse().unwrap()
}

#[test]
fn closing_the_example_reproduces_the_committed_close() {
    let scratch = unclosed();
    let close = scratch.run(CLOSE);
    ok(&close);
    assert!(
        close.stdout.contains("closed FY2000 on 2026-11-30"),
        "{}",
        close.stdout
    );
    // The same journal, byte for byte, as the committed (closed) example.
    // After a change to FY2000 of the example, `UPDATE_GOLDEN=1 cargo test
    // --test integration close` closes it again.
    let committed = root().join("ledgers/lifefunds/main.ledger");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&committed, scratch.journal()).unwrap();
    }
    assert!(
        scratch.journal() == std::fs::read(&committed).unwrap(),
        "the example's close is out of date: UPDATE_GOLDEN=1 cargo test --test integration close"
    );
    ok(&scratch.run(&["check"]));
    // Closing again: nothing written, success.
    let before = scratch.journal();
    let again = scratch.run(&["close", "--fy", "2000"]);
    ok(&again);
    assert!(
        again.stdout.contains("FY2000 is already closed")
            && again.stdout.contains("nothing written"),
        "{}",
        again.stdout
    );
    assert_eq!(scratch.journal(), before);
}

/// Foreign balances (per account, fund, commodity) of assets and
/// liabilities on the balance-sheet date, from the library.
fn foreign_balances(scratch: &Scratch) -> BTreeMap<(String, String, String), Decimal> {
    let settings = fundledger_core::settings::Settings::read(&scratch.ledger)
        .unwrap()
        .unwrap();
    let loaded = fundledger_core::load(settings).unwrap();
    let journal = &loaded.journal;
    let mut out = BTreeMap::new();
    for t in journal.transactions() {
        if t.date > NaiveDate::from_ymd_opt(2001, 3, 31).unwrap() {
            continue;
        }
        for p in journal.postings(t) {
            let commodity = journal.commodity_name(p.commodity);
            let account = journal.account_name(p.account);
            let balance_sheet = matches!(
                journal.account_class(p.account),
                Some(AccountClass::Assets | AccountClass::Liabilities)
            );
            if commodity == "JPY" || !balance_sheet || account.contains("Interfund") {
                continue;
            }
            let key = (
                account.to_string(),
                journal.fund_name(p.fund).to_string(),
                commodity.to_string(),
            );
            *out.entry(key).or_default() += p.quantity;
        }
    }
    out.retain(|_, q: &mut Decimal| !q.is_zero());
    out
}

#[test]
fn the_revaluation_ties_to_the_rates_and_to_the_fx_line() {
    let scratch = unclosed();
    let held = foreign_balances(&scratch);
    assert!(
        !held.is_empty(),
        "the example holds foreign currency at the year end"
    );
    // The last monthly price and the closing rate, from the journal.
    let settings = fundledger_core::settings::Settings::read(&scratch.ledger)
        .unwrap()
        .unwrap();
    let loaded = fundledger_core::load(settings).unwrap();
    let valuer = fundledger_core::cli_support::valuation::Valuer::new(&loaded.journal).unwrap();
    let day_before = NaiveDate::from_ymd_opt(2001, 3, 30).unwrap();
    let closing_day = NaiveDate::from_ymd_opt(2001, 3, 31).unwrap();
    let mut expected = Decimal::ZERO;
    for ((_, _, commodity), quantity) in &held {
        let id = loaded.journal.commodity_id(commodity).unwrap();
        let monthly = valuer.price_on(id, day_before).unwrap();
        let closing = valuer.price_on(id, closing_day).unwrap();
        assert_ne!(
            monthly, closing,
            "the closing rate differs from the monthly price"
        );
        let round = |v: Decimal| money::round(v, 0, RoundingStrategy::MidpointAwayFromZero);
        expected += round(*quantity * closing) - round(*quantity * monthly);
    }
    assert!(!expected.is_zero());
    let fx_before = activities_total(&scratch, "Foreign exchange gains (losses)");
    let net_before = activities_total(&scratch, "Change in net assets");
    let close = scratch.run(CLOSE);
    ok(&close);
    // The entry: the revaluation postings sum to the expected difference.
    let journal = String::from_utf8(scratch.journal()).unwrap();
    let entry = &journal[journal.find("* Revaluation of foreign balances").unwrap()..];
    let entry = &entry[..entry.find("\n\n").unwrap()];
    let revalued: Decimal = entry
        .lines()
        .filter(|l| {
            l.trim_start().starts_with("Assets:") || l.trim_start().starts_with("Liabilities:")
        })
        .map(|l| {
            let amount = l
                .split("  ;")
                .next()
                .unwrap()
                .split_whitespace()
                .rev()
                .nth(1)
                .unwrap();
            amount.parse::<Decimal>().unwrap()
        })
        .sum();
    assert_eq!(revalued, expected, "{entry}");
    // The FX line and the change in net assets move by exactly that much.
    let fx_after = activities_total(&scratch, "Foreign exchange gains (losses)");
    let net_after = activities_total(&scratch, "Change in net assets");
    assert_eq!(fx_after - fx_before, expected);
    assert_eq!(net_after - net_before, expected);
}

#[test]
fn a_closed_year_refuses_add_and_import_and_takes_the_next_year() {
    let scratch = Scratch::new();
    let before = scratch.journal();
    let add = scratch.run(&[
        "add",
        "--date",
        "2000-06-15",
        "--payee",
        "Late receipt",
        "--posting",
        "Expenses:Management:Office  1000 JPY",
        "--posting",
        "Assets:Cash:JPY",
    ]);
    assert_eq!(add.code, 1, "{}", add.stderr);
    assert!(add.stderr.contains("error[E701]"), "{}", add.stderr);
    assert!(
        add.stderr.contains("closed on 2026-11-30 (./main.ledger:")
            || add.stderr.contains("main.ledger:"),
        "{}",
        add.stderr
    );
    assert_eq!(scratch.journal(), before, "add changed the journal");
    scratch.write_donations("late.csv", &["2001-03-20,Tanaka,5000,JPY,,L-1,late"]);
    let import = scratch.run(&["import", "donations", "late.csv"]);
    assert_eq!(import.code, 1, "{}", import.stderr);
    assert!(import.stderr.contains("error[E701]"), "{}", import.stderr);
    assert_eq!(scratch.journal(), before, "import changed the journal");
    let dry = scratch.run(&["import", "donations", "late.csv", "--dry-run"]);
    assert_eq!(dry.code, 1, "a dry run is refused too: {}", dry.stderr);
    // FY2001 is open.
    let next = scratch.run(&[
        "add",
        "--date",
        "2001-04-02",
        "--payee",
        "Receipt",
        "--posting",
        "Expenses:Management:Office  1000 JPY",
        "--posting",
        "Assets:Cash:JPY",
    ]);
    ok(&next);
    ok(&scratch.run(&["check"]));
}

#[test]
fn a_hand_edit_in_a_closed_year_fails_check_naming_it() {
    let scratch = Scratch::new();
    let path = scratch.ledger.join("fy2000.ledger");
    let text = std::fs::read_to_string(&path).unwrap();
    let header = "2001-03-28 * Postal transfer account charges";
    let line = text[..text.find(header).unwrap()].lines().count() + 1;
    std::fs::write(
        &path,
        text.replace(header, &format!("{header} (corrected)")),
    )
    .unwrap();
    let check = scratch.run(&["check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    let named = format!("fy2000.ledger:{line}: error[E701]");
    assert!(
        check.stderr.contains(&named),
        "{named} in\n{}",
        check.stderr
    );
    assert!(
        check
            .stderr
            .contains("error[E702]: FY2000 changed after it was closed"),
        "{}",
        check.stderr
    );
    assert_eq!(
        check.stderr.matches("error[E701]").count(),
        1,
        "{}",
        check.stderr
    );
}

#[test]
fn a_year_that_cannot_be_closed_says_what_is_missing() {
    let scratch = unclosed();
    let yearend = scratch.ledger.join("fy2000-yearend.ledger");
    let text = std::fs::read_to_string(&yearend).unwrap();
    let without_counts = text[..text.find("; Closing rates").unwrap()].to_string();
    std::fs::write(
        &yearend,
        format!("{without_counts}\n2001-03-30 * Cash found in the box, not yet explained\n    Assets:Cash:JPY  500 JPY\n    Assets:Suspense\n"),
    )
    .unwrap();
    ok(&scratch.run(&["check"]));
    let before = scratch.journal();
    let refused = scratch.run(CLOSE);
    assert_eq!(refused.code, 1);
    assert_eq!(scratch.journal(), before);
    insta::assert_snapshot!("close_not_ready", refused.transcript());
    // Forced: closed, with what was missing recorded in the close.
    let forced = scratch.run(&["close", "--fy", "2000", "--on", "2026-11-30", "--force"]);
    ok(&forced);
    let journal = String::from_utf8(scratch.journal()).unwrap();
    assert_eq!(journal.matches("    ; warning: ").count(), 5, "{journal}");
    assert!(journal.contains("; warning: no closing rate for CNY on 2001-03-31"));
    ok(&scratch.run(&["check"]));
}

/// `balance --by-fund -O csv` rows of assets and liabilities.
fn balance_rows(run: Run) -> Vec<String> {
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn the_next_years_journal_opens_with_the_same_balances() {
    let scratch = unclosed();
    let next_dir = scratch.ledger.parent().unwrap().join("fy2001");
    std::fs::create_dir(&next_dir).unwrap();
    let opening = next_dir.join("fy2001.ledger");
    let close = scratch.run(&[
        "close",
        "--fy",
        "2000",
        "--on",
        "2026-11-30",
        "--migrate",
        opening.to_str().unwrap(),
    ]);
    ok(&close);
    let settings = std::fs::read_to_string(scratch.ledger.join("fundledger.toml"))
        .unwrap()
        .replace("journal = \"main.ledger\"", "journal = \"fy2001.ledger\"");
    std::fs::write(next_dir.join("fundledger.toml"), settings).unwrap();
    let run_next = |args: &[&str]| {
        let mut full = vec!["-C", "."];
        full.extend_from_slice(args);
        crate::util::run_in(&next_dir, &full)
    };
    let check = run_next(&["check"]);
    ok(&check);
    // Quantities per account, fund and commodity: the same, but for the
    // revaluation sub-accounts, whose value the closing rate now carries.
    let old: Vec<String> = balance_rows(scratch.run(&[
        "balance",
        "--by-fund",
        "-O",
        "csv",
        "-e",
        "2001-04-01",
        "Assets",
        "Liabilities",
    ]))
    .into_iter()
    .filter(|row| !row.contains(":Revaluation,"))
    .collect();
    let new = balance_rows(run_next(&[
        "balance",
        "--by-fund",
        "-O",
        "csv",
        "Assets",
        "Liabilities",
    ]));
    assert_eq!(old, new);
    assert!(old.iter().any(|r| r.contains("CNY")), "{old:?}");
    // Values: the statement of financial position at the year end is the
    // same in both journals, line by line.
    let position = |run: Run| {
        assert_eq!(run.code, 0, "{}", run.stderr);
        let statements: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        statements[0]["rows"].clone()
    };
    let old_position = position(scratch.run(&["report", "position", "--fy", "2000", "-O", "json"]));
    let new_position = position(run_next(&[
        "report", "position", "--fy", "2000", "-O", "json",
    ]));
    assert_eq!(old_position, new_position);
    // Writing it again is refused: the file exists.
    let again = scratch.run(&[
        "close",
        "--fy",
        "2000",
        "--migrate",
        opening.to_str().unwrap(),
    ]);
    assert_eq!(again.code, 2, "{}", again.stderr);
}

#[test]
fn the_printed_journal_of_a_closed_year_still_verifies() {
    // `print` fills in elided amounts, writes interfund postings out and
    // reorders; the close digests what transactions mean, so it still holds.
    let scratch = Scratch::new();
    let printed = scratch.run(&["print"]);
    ok(&printed);
    std::fs::write(scratch.ledger.join("main.ledger"), printed.stdout).unwrap();
    let check = scratch.run(&["check"]);
    ok(&check);
}

proptest::proptest! {
    #![proptest_config(crate::util::proptest_config(48))]

    /// On random balanced FY2000 journals: the close loads and verifies,
    /// every foreign holding is then worth exactly its balance at the
    /// closing rate, and an edit of any one transaction is named by E701
    /// at its line (and E702 at the close).
    #[test]
    fn a_closed_year_verifies_revalues_and_names_any_edit(
        transactions in proptest::collection::vec(crate::properties::transaction(), 1..25),
        edit in proptest::prelude::any::<proptest::sample::Index>(),
    ) {
        use fundledger_core::close;
        use fundledger_core::reports::valued::Valued;
        let path = std::path::Path::new("random.ledger");
        let load = |text: &str| {
            let mut settings = fundledger_core::Settings::for_bare_journal(path);
            settings.base_currency = Some("JPY".into());
            fundledger_core::load_text(settings, path, text.to_string()).unwrap()
        };
        let text = format!(
            "P 2000-04-01 CNY 13.37 JPY\nP 2000-04-01 USD 107.5 JPY\nP 2001-03-31 CNY 14.11 JPY\nP 2001-03-31 USD 111.9 JPY\n\n{}",
            crate::properties::render(&transactions)
        );
        let open = load(&text);
        proptest::prop_assume!(!open.has_errors());
        let plan = close::plan(&open.journal, 2000, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(), true).unwrap();
        let closed_text = format!("{text}\n{}", plan.text);
        let closed = load(&closed_text);
        proptest::prop_assert!(!closed.has_errors(), "{:?}\n{closed_text}", closed.diagnostics);
        // Every foreign holding at exactly balance × closing rate.
        let journal = &closed.journal;
        let valued = Valued::new(journal).unwrap();
        let mut holdings: BTreeMap<(String, String, String), (Decimal, Decimal)> = BTreeMap::new();
        for (_, p, value) in valued.real_postings(None, NaiveDate::from_ymd_opt(2001, 4, 1).unwrap()) {
            let account = journal.account_name(p.account);
            if !matches!(journal.account_class(p.account), Some(AccountClass::Assets | AccountClass::Liabilities))
                || account.contains("Interfund")
            {
                continue;
            }
            let fund = journal.fund_name(p.fund).to_string();
            let key = match (account.strip_suffix(":Revaluation"), journal.posting_tag(p, "revalues")) {
                (Some(holder), Some(commodity)) => (holder.to_string(), fund, commodity.to_string()),
                _ if journal.commodity_name(p.commodity) == "JPY" => continue,
                _ => (account.to_string(), fund, journal.commodity_name(p.commodity).to_string()),
            };
            let entry = holdings.entry(key.clone()).or_default();
            if journal.commodity_name(p.commodity) == key.2 {
                entry.0 += p.quantity;
            }
            entry.1 += value;
        }
        for ((account, fund, commodity), (quantity, value)) in holdings {
            let rate = if commodity == "CNY" { Decimal::new(1411, 2) } else { Decimal::new(1119, 1) };
            let expected = money::round(quantity * rate, 0, RoundingStrategy::MidpointAwayFromZero);
            proptest::prop_assert_eq!(value, expected, "{} {} {}", account, fund, commodity);
        }
        // An edit of any one transaction is named.
        let i = edit.index(transactions.len());
        let header = format!("* Generated {i}\n");
    let line = closed_text[..closed_text.find(&header).unwrap()].matches('\n').count() as u32 + 1;
        let edited = load(&closed_text.replacen(&header, &format!("* Generated {i} (edited)\n"), 1));
        let named: Vec<(String, u32)> = edited
            .diagnostics
            .iter()
            .map(|d| (d.code.to_string(), d.location.as_ref().map_or(0, |l| l.line)))
            .collect();
        proptest::prop_assert!(named.contains(&("E701".to_string(), line)), "{:?}", named);
        proptest::prop_assert!(named.iter().any(|(c, _)| c == "E702"), "{:?}", named);
        proptest::prop_assert_eq!(named.iter().filter(|(c, _)| c == "E701").count(), 1);
    }
}
