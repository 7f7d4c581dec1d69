//! Interoperability: per-account totals of `fundledger balance` equal those
//! of `ledger bal` and `hledger bal` on the same file, and `print` output
//! loads in both with the same totals as fundledger.
//!
//! The accounts fundledger writes by itself (interfund due-to/due-from and
//! the conversion account) do not exist for the other tools on the original
//! file; on `print` output the interfund postings are written out, so only
//! the conversion account (which `@` costs stand for) is left aside.

use std::collections::BTreeMap;
use std::process::Command;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::util::{root, run, tool_available};

type Totals = BTreeMap<(String, String), Decimal>;

const CONVERSION: &str = "NetAssets:Conversion";
const INTERFUND: [&str; 2] = ["Assets:Interfund:DueFrom", "Liabilities:Interfund:DueTo"];

fn fundledger_totals(args: &[&str]) -> Totals {
    let mut full = args.to_vec();
    full.extend(["balance", "-O", "csv"]);
    let result = run(&full);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let mut totals = Totals::new();
    let mut reader = csv::Reader::from_reader(result.stdout.as_bytes());
    for record in reader.records() {
        let record = record.unwrap();
        totals.insert(
            (record[0].to_string(), record[1].to_string()),
            Decimal::from_str(&record[2]).unwrap().normalize(),
        );
    }
    totals
}

fn hledger_totals(file: &str) -> Totals {
    let output = Command::new("hledger")
        .args([
            "-f",
            file,
            "bal",
            "--flat",
            "-O",
            "csv",
            "--layout=bare",
            "--no-total",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "hledger failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut totals = Totals::new();
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    for record in reader.records() {
        let record = record.unwrap();
        let amount = Decimal::from_str(&record[2]).unwrap().normalize();
        if !amount.is_zero() {
            totals.insert((record[0].to_string(), record[1].to_string()), amount);
        }
    }
    totals
}

fn ledger_totals(file: &str) -> Totals {
    let output = Command::new("ledger")
        .args([
            "-f",
            file,
            "bal",
            "--flat",
            "--no-total",
            "--format",
            // Each account's own postings: with --flat, display_total of an
            // account that has postings and sub-accounts (a holding and its
            // `:Revaluation`) would include the sub-accounts.
            "%(account)\t%(scrub(display_amount))\n",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "ledger failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut totals = Totals::new();
    let mut account = String::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let amount_text = match line.split_once('\t') {
            Some((name, amount)) => {
                account = name.to_string();
                amount
            }
            None => line,
        };
        let amount_text = amount_text.trim();
        if amount_text.is_empty() || amount_text == "0" {
            continue;
        }
        let (quantity, commodity) = amount_text
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("ledger amount {amount_text:?}"));
        totals.insert(
            (account.clone(), commodity.trim_matches('"').to_string()),
            Decimal::from_str(quantity).unwrap().normalize(),
        );
    }
    totals
}

fn without(mut totals: Totals, accounts: &[&str]) -> Totals {
    totals.retain(|(account, _), _| !accounts.contains(&account.as_str()));
    totals
}

fn assert_same(ours: &Totals, theirs: &Totals, tool: &str, what: &str) {
    if ours == theirs {
        return;
    }
    let mut differences = Vec::new();
    for key in ours.keys().chain(theirs.keys()) {
        if ours.get(key) != theirs.get(key) {
            differences.push(format!(
                "{key:?}: fundledger {:?}, {tool} {:?}",
                ours.get(key),
                theirs.get(key)
            ));
        }
    }
    differences.dedup();
    panic!(
        "{what}: {} differences with {tool}:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// The journals compared: the example ledger and generated ones (written
/// into `dir`).
fn journals(dir: &std::path::Path) -> Vec<(Vec<String>, String)> {
    let mut out = vec![(
        vec!["-C".to_string(), "ledgers/lifefunds".to_string()],
        root()
            .join("ledgers/lifefunds/main.ledger")
            .display()
            .to_string(),
    )];
    let committed = root()
        .join("tests/data/gen-200.ledger")
        .display()
        .to_string();
    out.push((vec!["-f".to_string(), committed.clone()], committed));
    let generator = root().join("../shared/bench/gen_journal.py");
    if generator.is_file() {
        for (n, seed) in [(3000, 11), (500, 12)] {
            let output = Command::new("python3")
                .args([
                    generator.to_str().unwrap(),
                    &n.to_string(),
                    "--format",
                    "ledger",
                    "--seed",
                    &seed.to_string(),
                ])
                .output()
                .unwrap();
            assert!(output.status.success());
            let path = dir.join(format!("gen-{n}-{seed}.ledger"));
            std::fs::write(&path, output.stdout).unwrap();
            let path = path.display().to_string();
            out.push((vec!["-f".to_string(), path.clone()], path));
        }
    }
    out
}

#[test]
fn balances_agree_with_ledger_and_hledger() {
    let have_ledger = tool_available("ledger");
    let have_hledger = tool_available("hledger");
    let scratch = tempfile::tempdir().unwrap();
    for (selector, file) in journals(scratch.path()) {
        let selector: Vec<&str> = selector.iter().map(String::as_str).collect();
        let ours = without(
            fundledger_totals(&selector),
            &[CONVERSION, INTERFUND[0], INTERFUND[1]],
        );
        assert!(!ours.is_empty());
        if have_ledger {
            assert_same(&ours, &ledger_totals(&file), "ledger", &file);
        }
        if have_hledger {
            assert_same(&ours, &hledger_totals(&file), "hledger", &file);
        }
    }
}

#[test]
fn printed_journal_loads_in_ledger_and_hledger_with_the_same_totals() {
    let have_ledger = tool_available("ledger");
    let have_hledger = tool_available("hledger");
    let dir = tempfile::tempdir().unwrap();
    for (index, (selector, _)) in journals(dir.path()).into_iter().enumerate() {
        let selector: Vec<&str> = selector.iter().map(String::as_str).collect();
        let mut args = selector.clone();
        args.push("print");
        let printed = run(&args);
        assert_eq!(printed.code, 0, "{}", printed.stderr);
        let path = dir.path().join(format!("printed-{index}.ledger"));
        std::fs::write(&path, &printed.stdout).unwrap();
        let path = path.display().to_string();
        let ours = without(fundledger_totals(&selector), &[CONVERSION]);
        if have_ledger {
            assert_same(&ours, &ledger_totals(&path), "ledger", &path);
        }
        if have_hledger {
            assert_same(&ours, &hledger_totals(&path), "hledger", &path);
        }
    }
}
